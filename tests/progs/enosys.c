/* Unknown system call numbers return -ENOSYS in both tables, and the
 * program goes on. Prints "OK" when all checks pass. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int failures;

static long raw_syscall(long nr)
{
	long ret;
	__asm__ volatile("syscall" : "=a"(ret) : "a"(nr) : "rcx", "r11", "memory");
	return ret;
}

static long int80(long nr)
{
	long ret = nr;
	__asm__ volatile("int $0x80" : "+a"(ret) : : "memory", "r8", "r9", "r10", "r11");
	return ret;
}

static void expect_enosys(const char *gate, long nr, long ret)
{
	if (ret != -ENOSYS) {
		printf("FAIL %s %ld: returned %ld, want %d\n", gate, nr, ret, -ENOSYS);
		failures++;
	} else {
		printf("%s %ld: ENOSYS\n", gate, nr);
	}
}

int main(void)
{
	static const long x86_64[] = {1000, 4095, 100000, 0x7fffffff};
	static const long i386[] = {1000, 4095, 100000, 0x7fffffff};

	for (size_t i = 0; i < sizeof x86_64 / sizeof x86_64[0]; i++)
		expect_enosys("syscall", x86_64[i], raw_syscall(x86_64[i]));
	expect_enosys("syscall", -1, raw_syscall(-1));
	for (size_t i = 0; i < sizeof i386 / sizeof i386[0]; i++)
		expect_enosys("int80", i386[i], int80(i386[i]));

	/* The program is still alive and its system calls still work. */
	if (write(1, "", 0) != 0) {
		printf("FAIL write after ENOSYS: %s\n", strerror(errno));
		failures++;
	}
	if (failures)
		return 1;
	puts("OK");
	return 0;
}
