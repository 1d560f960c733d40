/* munmap of touched anonymous memory (the performance issue's figure):
 * maps MIB MiB (argv[1], default 8), writes one byte per page, then, unless
 * argv[2] is "keep", unmaps it all in one call; prints the time of the
 * first touches and of the munmap by its own CLOCK_MONOTONIC. Running it
 * with "keep" too gives the munmap's kernel instructions by difference. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

static double now_us(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

int main(int argc, char **argv)
{
	size_t mib = argc > 1 ? strtoul(argv[1], 0, 10) : 8;
	int keep = argc > 2 && strcmp(argv[2], "keep") == 0;
	size_t len = mib << 20;
	char *p = mmap(0, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	double t0 = now_us();
	for (size_t off = 0; off < len; off += 4096)
		((volatile char *)p)[off] = 1;
	double t1 = now_us();
	if (!keep && munmap(p, len) != 0) {
		perror("munmap");
		return 1;
	}
	double t2 = now_us();
	printf("touch %zu MiB: %.1f us (%.2f us/page)\n", mib, t1 - t0, (t1 - t0) / (len / 4096));
	if (!keep)
		printf("munmap %zu MiB touched: %.1f us\n", mib, t2 - t1);
	return 0;
}
