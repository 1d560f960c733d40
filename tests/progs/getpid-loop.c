/* A million getpid system calls: every answer must be the same, and the
 * program must finish (no leak per call, no drift): the break (brk(0)) is
 * the same after the loop as before it. Prints "OK <pid>". */
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	long n = 1000000;
	if (argc > 1)
		n = atol(argv[1]);
	long first = syscall(SYS_getpid);
	if (first <= 0) {
		printf("getpid returned %ld\n", first);
		return 1;
	}
	long brk_before = syscall(SYS_brk, 0);
	for (long i = 0; i < n; i++) {
		long pid = syscall(SYS_getpid);
		if (pid != first) {
			printf("call %ld: getpid returned %ld, first %ld\n", i, pid, first);
			return 1;
		}
	}
	long brk_after = syscall(SYS_brk, 0);
	if (brk_after != brk_before) {
		printf("brk(0) was %#lx before the loop, %#lx after\n", brk_before, brk_after);
		return 1;
	}
	printf("OK %ld\n", first);
	return 0;
}
