/* malloc's mapping churn, for scripts/mm-bench.sh: N times mmap of LEN
 * bytes of anonymous memory, optionally one write per page, munmap. musl's
 * mallocng does this for SQLite (one page, 20,178 times in the insert
 * script of scripts/programs-bench.sh) and Lua (32 and 64 KiB).
 *
 *   mm-churn N TOUCH LEN      # TOUCH 0 or 1 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: mm-churn N TOUCH LEN\n");
		return 2;
	}
	long n = atol(argv[1]), len = atol(argv[3]);
	int touch = atoi(argv[2]);
	for (long i = 0; i < n; i++) {
		char *a = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (a == MAP_FAILED) {
			perror("mmap");
			return 1;
		}
		if (touch)
			for (long p = 0; p < len; p += 4096)
				a[p] = 1;
		if (munmap(a, len)) {
			perror("munmap");
			return 1;
		}
	}
	return 0;
}
