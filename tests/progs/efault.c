/* Bad user pointers make system calls fail with -EFAULT; the program (and
 * the kernel) go on. Uses raw system calls, so libc cannot interfere.
 * Kernel-half and non-canonical addresses must fail before any blocking;
 * (void *)1 is an unmapped user address. Prints "OK" when all pass.
 *
 * Every class of pointer argument: a buffer the kernel reads (write) or
 * writes (read, getrandom), a struct it writes (uname, clock_gettime,
 * gettimeofday, prlimit64's old limit, rt_sigaction's old action,
 * rt_sigprocmask's old set, arch_prctl ARCH_GET_FS), a struct it reads
 * (nanosleep's request, rt_sigaction's new action, rt_sigprocmask's set,
 * prlimit64's new limit), a string (readlink's path), an iovec array and
 * one iovec's base (readv, writev), through both entries. */
#include <errno.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

static int failures;

static long raw4(long nr, long a, long b, long c, long d)
{
	long ret;
	register long r10 __asm__("r10") = d;
	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10)
			 : "rcx", "r11", "memory");
	return ret;
}

static long raw(long nr, long a, long b, long c)
{
	return raw4(nr, a, b, c, 0);
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
	/* Buffers the kernel writes. */
	expect("getrandom(1, 16)", raw(SYS_getrandom, LOW_UNMAPPED, 16, 0));
	expect("getrandom(kernel, 16)", raw(SYS_getrandom, KERNEL_HALF, 16, 0));
	/* Structs the kernel writes. */
	expect("gettimeofday(1)", raw(SYS_gettimeofday, LOW_UNMAPPED, 0, 0));
	expect("gettimeofday(kernel)", raw(SYS_gettimeofday, KERNEL_HALF, 0, 0));
	expect("prlimit64(NOFILE, old = 1)", raw4(SYS_prlimit64, 0, 7, 0, LOW_UNMAPPED));
	expect("prlimit64(NOFILE, old = kernel)", raw4(SYS_prlimit64, 0, 7, 0, KERNEL_HALF));
	expect("rt_sigaction(SIGUSR1, old = 1)", raw4(SYS_rt_sigaction, 10, 0, LOW_UNMAPPED, 8));
	expect("rt_sigprocmask(old = 1)", raw4(SYS_rt_sigprocmask, 0, 0, LOW_UNMAPPED, 8));
	expect("arch_prctl(ARCH_GET_FS, 1)", raw(SYS_arch_prctl, 0x1003, LOW_UNMAPPED, 0));
	/* Structs the kernel reads. */
	expect("nanosleep(1)", raw(SYS_nanosleep, LOW_UNMAPPED, 0, 0));
	expect("nanosleep(kernel)", raw(SYS_nanosleep, KERNEL_HALF, 0, 0));
	expect("rt_sigaction(SIGUSR1, act = 1)", raw4(SYS_rt_sigaction, 10, LOW_UNMAPPED, 0, 8));
	expect("rt_sigaction(SIGUSR1, act = kernel)",
	       raw4(SYS_rt_sigaction, 10, KERNEL_HALF, 0, 8));
	expect("rt_sigprocmask(SIG_BLOCK, set = 1)",
	       raw4(SYS_rt_sigprocmask, 0, LOW_UNMAPPED, 0, 8));
	expect("prlimit64(NOFILE, new = 1)", raw4(SYS_prlimit64, 0, 7, LOW_UNMAPPED, 0));
	/* Strings. */
	static char link[64];
	expect("readlink(path = 1)", raw(SYS_readlink, LOW_UNMAPPED, (long)link, sizeof link));
	expect("readlink(path = kernel)", raw(SYS_readlink, KERNEL_HALF, (long)link, sizeof link));
	/* iovec arrays and iovec bases, both directions. */
	expect("writev(1, iov = 1, 1)", raw(SYS_writev, 1, LOW_UNMAPPED, 1));
	expect("readv(0, iov = 1, 1)", raw(SYS_readv, 0, LOW_UNMAPPED, 1));
	expect("readv(0, iov = kernel, 1)", raw(SYS_readv, 0, KERNEL_HALF, 1));
	/* readv with a bad base after a good one is in abi.c: a kernel that
	 * checked it late would block reading stdin under QEMU. */

	expect("int80 write(1, 1, 10)", int80(4, 1, LOW_UNMAPPED, 10));
	expect("int80 write(1, 0xfffff000, 10)", int80(4, 1, 0xfffff000L, 10));
	expect("int80 uname(1)", int80(122, LOW_UNMAPPED, 0, 0));
	expect("int80 writev(1, iov = 1, 1)", int80(146, 1, LOW_UNMAPPED, 1));

	if (failures)
		return 1;
	puts("OK");
	return 0;
}
