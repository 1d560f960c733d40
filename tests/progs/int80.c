/* The i386 system call ABI from 64-bit code, as Linux allows it:
 * `int $0x80` with EAX = i386 number (4 = write, 20 = getpid, 1 = exit) and
 * arguments in EBX, ECX, EDX (32-bit values: the buffer is static data,
 * which this non-PIE static program has below 4 GiB). Prints what it checks,
 * then "OK", then exits with status 7 through the i386 exit. */
#include <stdint.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

static long int80(long nr, long a, long b, long c)
{
	long ret = nr;
	__asm__ volatile("int $0x80"
			 : "+a"(ret)
			 : "b"(a), "c"(b), "d"(c)
			 : "memory", "r8", "r9", "r10", "r11");
	return ret;
}

static const char msg[] = "written by int $0x80\n";

int main(void)
{
	if ((uintptr_t)msg > 0xffffffffu) {
		printf("message at %p is above 4 GiB: not a non-PIE static build?\n", (void *)msg);
		return 1;
	}
	fflush(stdout);
	long n = int80(4, 1, (long)(uintptr_t)msg, sizeof msg - 1);
	if (n != (long)(sizeof msg - 1)) {
		printf("i386 write returned %ld\n", n);
		return 1;
	}
	long pid = int80(20, 0, 0, 0);
	long pid64 = syscall(SYS_getpid);
	if (pid != pid64) {
		printf("i386 getpid returned %ld, x86-64 getpid %ld\n", pid, pid64);
		return 1;
	}
	puts("getpid agrees");
	puts("OK");
	fflush(stdout);
	int80(1, 7, 0, 0);
	puts("i386 exit returned");
	return 1;
}
