/* Bad user pointers make system calls fail with -EFAULT; the program (and
 * the kernel) go on. Uses raw system calls, so libc cannot interfere.
 * Kernel-half and non-canonical addresses must fail before any blocking;
 * (void *)1 is an unmapped user address. Prints "OK" when all pass. */
#include <errno.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

static int failures;

static long raw(long nr, long a, long b, long c)
{
	long ret;
	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(nr), "D"(a), "S"(b), "d"(c)
			 : "rcx", "r11", "memory");
	return ret;
}

static long int80(long nr, long a, long b, long c)
{
	long ret = nr;
	__asm__ volatile("int $0x80"
			 : "+a"(ret)
			 : "b"(a), "c"(b), "d"(c)
			 : "memory", "r8", "r9", "r10", "r11");
	return ret;
}

static void expect(const char *what, long ret)
{
	if (ret != -EFAULT) {
		printf("FAIL %s: returned %ld, want %d\n", what, ret, -EFAULT);
		failures++;
	} else {
		printf("%s: EFAULT\n", what);
	}
}

#define LOW_UNMAPPED 1L
#define KERNEL_HALF ((long)0xffff800000000000UL)
#define NON_CANONICAL ((long)0x0000800000000000UL)

int main(void)
{
	expect("write(1, 1, 10)", raw(SYS_write, 1, LOW_UNMAPPED, 10));
	expect("write(1, kernel, 10)", raw(SYS_write, 1, KERNEL_HALF, 10));
	expect("write(1, non-canonical, 10)", raw(SYS_write, 1, NON_CANONICAL, 10));
	expect("write(2, kernel, 10)", raw(SYS_write, 2, KERNEL_HALF, 10));
	expect("read(0, kernel, 10)", raw(SYS_read, 0, KERNEL_HALF, 10));
	expect("read(0, non-canonical, 10)", raw(SYS_read, 0, NON_CANONICAL, 10));
	expect("writev(1, kernel, 1)", raw(SYS_writev, 1, KERNEL_HALF, 1));

	static char ok[] = "x";
	struct iovec bad_iov[2] = {{ok, 0}, {(void *)KERNEL_HALF, 10}};
	expect("writev(1, {ok, kernel}, 2)", raw(SYS_writev, 1, (long)bad_iov, 2));

	expect("uname(1)", raw(SYS_uname, LOW_UNMAPPED, 0, 0));
	expect("uname(kernel)", raw(SYS_uname, KERNEL_HALF, 0, 0));
	expect("clock_gettime(MONOTONIC, 1)", raw(SYS_clock_gettime, CLOCK_MONOTONIC, LOW_UNMAPPED, 0));
	expect("clock_gettime(MONOTONIC, kernel)",
	       raw(SYS_clock_gettime, CLOCK_MONOTONIC, KERNEL_HALF, 0));
	expect("int80 write(1, 1, 10)", int80(4, 1, LOW_UNMAPPED, 10));
	expect("int80 write(1, 0xfffff000, 10)", int80(4, 1, 0xfffff000L, 10));

	if (failures)
		return 1;
	puts("OK");
	return 0;
}
