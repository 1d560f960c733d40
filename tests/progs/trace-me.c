/* A known sequence of system calls for the tracing tests: getpid through
 * SYSCALL, a write, getpid through int $0x80 (i386 number 20), an unknown
 * number (ENOSYS), then exit_group(7). */
#include <unistd.h>
#include <sys/syscall.h>

static long int80_getpid(void)
{
	long ret = 20;
	__asm__ volatile("int $0x80" : "+a"(ret) : : "memory");
	return ret;
}

int main(void)
{
	syscall(SYS_getpid);
	syscall(SYS_write, 1, "x\n", 2);
	int80_getpid();
	syscall(999);
	syscall(SYS_exit_group, 7);
	return 0;
}
