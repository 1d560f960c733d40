/* Maps far more anonymous memory than the guest has and touches one byte
 * per page until the kernel kills it (Linux's OOM killer: SIGKILL). Prints
 * how many MiB it touched on the way, to stderr. */
#include <stdio.h>
#include <sys/mman.h>

int main(void)
{
	size_t len = (size_t)4 << 30;
	volatile char *p = mmap(0, len, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED) {
		perror("mmap");
		return 2;
	}
	for (size_t off = 0; off < len; off += 4096) {
		p[off] = 1;
		if (off % (8 << 20) == 0)
			fprintf(stderr, "touched %zu MiB\n", off >> 20);
	}
	fprintf(stderr, "touched all of it\n");
	return 0;
}
