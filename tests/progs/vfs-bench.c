/* The VFS benchmark's probe (scripts/vfs-bench.sh).
 *
 *   vfs-bench DIR [N]     N defaults to 1000; DIR is created when missing
 *
 * In DIR, N times: creates f0000, f0001... (open O_WRONLY|O_CREAT|O_TRUNC),
 * writes 4 KiB, closes it and stats it. Times the loop with CLOCK_MONOTONIC
 * and prints
 *   files N
 *   elapsed_ms X
 * N = 0 is the empty run: the same program up to the loop (the benchmark
 * subtracts its kernel instructions). Exits 1 at the first failure. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static char page[4096];

static double now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

int main(int argc, char **argv)
{
	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: vfs-bench DIR [N]\n");
		return 2;
	}
	long n = argc > 2 ? atol(argv[2]) : 1000;
	if (n < 0 || n > 1000000) {
		fprintf(stderr, "vfs-bench: bad N\n");
		return 2;
	}
	if (mkdir(argv[1], 0755) && errno != EEXIST) {
		fprintf(stderr, "vfs-bench: mkdir %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	if (chdir(argv[1])) {
		fprintf(stderr, "vfs-bench: chdir %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	memset(page, 'v', sizeof page);

	double t0 = now_ms();
	for (long i = 0; i < n; i++) {
		char name[32];
		struct stat st;
		snprintf(name, sizeof name, "f%04ld", i);
		int fd = open(name, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd < 0) {
			fprintf(stderr, "vfs-bench: open %s: %s\n", name, strerror(errno));
			return 1;
		}
		if (write(fd, page, sizeof page) != (ssize_t)sizeof page) {
			fprintf(stderr, "vfs-bench: write %s: %s\n", name, strerror(errno));
			return 1;
		}
		if (close(fd)) {
			fprintf(stderr, "vfs-bench: close %s: %s\n", name, strerror(errno));
			return 1;
		}
		if (stat(name, &st) || st.st_size != (off_t)sizeof page) {
			fprintf(stderr, "vfs-bench: stat %s: %s\n", name, strerror(errno));
			return 1;
		}
	}
	double t1 = now_ms();

	printf("files %ld\nelapsed_ms %.3f\n", n, t1 - t0);
	return 0;
}
