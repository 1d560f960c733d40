/* A file larger than guest RAM (tests/ext2.rs):
 *
 *   ext2-pattern PATH MIB SEED   writes MIB MiB to PATH in 1 MiB writes,
 *                                closes it, prints "written".
 *
 * 64-bit word i of the file is splitmix64(SEED + i), little-endian, so the
 * host computes the same bytes (and their sha256) without storing them. */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static uint64_t splitmix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

static uint64_t buf[(1 << 20) / 8];

int main(int argc, char **argv)
{
	if (argc != 4)
		return 2;
	long mib = atol(argv[2]);
	uint64_t seed = strtoull(argv[3], NULL, 0), i = 0;
	int fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0) {
		perror("open");
		return 3;
	}
	for (long m = 0; m < mib; m++) {
		for (size_t k = 0; k < sizeof buf / 8; k++)
			buf[k] = splitmix64(seed + i++);
		if (write(fd, buf, sizeof buf) != (ssize_t)sizeof buf) {
			perror("write");
			return 4;
		}
	}
	if (close(fd) != 0) {
		perror("close");
		return 5;
	}
	puts("written");
	return 0;
}
