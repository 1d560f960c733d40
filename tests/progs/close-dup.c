/* close(dup(1)) N times (default 100): each last close queues the file's
 * release as task work, which the syscall exit path runs. Prints "OK N". */
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 100;
	for (long i = 0; i < n; i++) {
		long fd = syscall(SYS_dup, 1);
		if (fd < 0) {
			printf("dup failed at %ld\n", i);
			return 1;
		}
		if (syscall(SYS_close, fd) != 0) {
			printf("close failed at %ld\n", i);
			return 1;
		}
	}
	printf("OK %ld\n", n);
	return 0;
}
