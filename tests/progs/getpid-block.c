/* For the control socket tests: exactly N `syscall` getpid and M
 * `int $0x80` getpid (i386 number 20), then a blocking read of stdin, so
 * that the host can read the counters while the program waits. argv[1] =
 * N, argv[2] = M (defaults 5 and 3); with argv[3] = "loop", getpid in an
 * endless loop instead of blocking (for pause/resume). Prints "ready\n"
 * before it blocks or loops. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static long getpid_syscall(void)
{
	long ret = 39; /* x86-64 __NR_getpid */
	__asm__ volatile("syscall" : "+a"(ret) : : "rcx", "r11", "memory");
	return ret;
}

static long getpid_int80(void)
{
	long ret = 20; /* i386 __NR_getpid */
	__asm__ volatile("int $0x80" : "+a"(ret) : : "memory", "r8", "r9", "r10", "r11");
	return ret;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 5;
	long m = argc > 2 ? atol(argv[2]) : 3;
	int loop = argc > 3 && strcmp(argv[3], "loop") == 0;
	for (long i = 0; i < n; i++)
		getpid_syscall();
	for (long i = 0; i < m; i++)
		getpid_int80();
	/* One write, so the counts above are exact: write(1) once, then read(0). */
	static const char ready[] = "ready\n";
	write(1, ready, sizeof ready - 1);
	if (loop)
		for (;;)
			getpid_syscall();
	char c;
	long r = read(0, &c, 1);
	return r < 0 ? 1 : 0;
}
