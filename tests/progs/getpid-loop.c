/* A million getpid system calls: every answer must be the same, and the
 * program must finish (no leak per call, no drift). Prints "OK <pid>". */
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
	for (long i = 0; i < n; i++) {
		long pid = syscall(SYS_getpid);
		if (pid != first) {
			printf("call %ld: getpid returned %ld, first %ld\n", i, pid, first);
			return 1;
		}
	}
	printf("OK %ld\n", first);
	return 0;
}
