/* fallocate(FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE) on files of DIR
 * (tests/ext2.rs runs it natively on a host directory and in lstar on an
 * ext2 image, and compares what it prints):
 *
 *   ext2-punch DIR
 *
 * After each step it prints the file's size, st_blocks and a hash of its
 * whole content (so the punched range reads as zeros, the rest as
 * written):
 *   small: a 40 KiB file, on disk (closed), holes punched at unaligned
 *          and aligned offsets, inside one block, past the end;
 *   dirty: a 40 KiB file punched before its first close (its pages
 *          still dirty, no block allocated yet);
 *   big:   a 6 MiB file through the indirect blocks, most of it punched
 *          (st_blocks on a line of its own, "big-blocks": a file system
 *          with extents counts no indirect blocks).
 * And the errno of a punch without KEEP_SIZE (EOPNOTSUPP). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PUNCH (FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE)

static char path[4096];
static unsigned char buf[1 << 16];

static void die(const char *what)
{
	printf("%s: %s\n", what, strerror(errno));
	exit(1);
}

static void fill(unsigned char *p, size_t n, uint64_t off)
{
	for (size_t i = 0; i < n; i++) {
		uint64_t x = (off + i) * 0x9e3779b97f4a7c15ull;
		p[i] = (unsigned char)(x >> 56) | 1;
	}
}

static void write_file(int fd, size_t size)
{
	for (size_t off = 0; off < size; off += sizeof buf) {
		size_t n = size - off < sizeof buf ? size - off : sizeof buf;
		fill(buf, n, off);
		if (pwrite(fd, buf, n, (off_t)off) != (ssize_t)n)
			die("pwrite");
	}
}

static void report(const char *step, int fd, int blocks_apart)
{
	struct stat st;
	uint64_t h = 0xcbf29ce484222325ull;
	ssize_t n;
	off_t off = 0;
	if (fstat(fd, &st))
		die("fstat");
	while ((n = pread(fd, buf, sizeof buf, off)) > 0) {
		for (ssize_t i = 0; i < n; i++)
			h = (h ^ buf[i]) * 0x100000001b3ull;
		off += n;
	}
	if (n < 0)
		die("pread");
	if (blocks_apart) {
		printf("%s size=%lld hash=%016llx\n", step, (long long)st.st_size, (unsigned long long)h);
		printf("%s-blocks %lld\n", step, (long long)st.st_blocks);
	} else {
		printf("%s size=%lld blocks=%lld hash=%016llx\n", step, (long long)st.st_size,
		       (long long)st.st_blocks, (unsigned long long)h);
	}
}

static void punch(int fd, off_t off, off_t len)
{
	if (fallocate(fd, PUNCH, off, len))
		die("fallocate");
}

static int open_file(const char *dir, const char *name, int flags)
{
	snprintf(path, sizeof path, "%s/%s", dir, name);
	int fd = open(path, flags, 0644);
	if (fd < 0)
		die(path);
	return fd;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: ext2-punch DIR\n");
		return 2;
	}
	const char *dir = argv[1];
	if (mkdir(dir, 0755) && errno != EEXIST)
		die("mkdir");

	int fd = open_file(dir, "small", O_RDWR | O_CREAT | O_TRUNC);
	write_file(fd, 40960);
	close(fd);
	fd = open_file(dir, "small", O_RDWR);
	report("small written", fd, 0);
	punch(fd, 5000, 15000);
	report("small punched 5000+15000", fd, 0);
	punch(fd, 24576, 8192);
	report("small punched 24576+8192", fd, 0);
	punch(fd, 100, 100);
	report("small punched 100+100", fd, 0);
	punch(fd, 50000, 10000);
	report("small punched past the end", fd, 0);
	punch(fd, 36864, 100000);
	report("small punched to past the end", fd, 0);
	if (fallocate(fd, FALLOC_FL_PUNCH_HOLE, 0, 4096) == 0)
		printf("punch without KEEP_SIZE: ok\n");
	else
		printf("punch without KEEP_SIZE: %s\n", errno == EOPNOTSUPP ? "EOPNOTSUPP" : strerror(errno));
	close(fd);
	fd = open_file(dir, "small", O_RDONLY);
	report("small reopened", fd, 0);
	close(fd);

	fd = open_file(dir, "dirty", O_RDWR | O_CREAT | O_TRUNC);
	write_file(fd, 40960);
	punch(fd, 8192, 8192);
	punch(fd, 30000, 10);
	close(fd);
	fd = open_file(dir, "dirty", O_RDONLY);
	report("dirty closed", fd, 0);
	close(fd);

	fd = open_file(dir, "big", O_RDWR | O_CREAT | O_TRUNC);
	write_file(fd, 6 << 20);
	close(fd);
	fd = open_file(dir, "big", O_RDWR);
	punch(fd, 10000, (5 << 20) + 123 - 10000);
	report("big punched", fd, 1);
	close(fd);
	fd = open_file(dir, "big", O_RDONLY);
	report("big reopened", fd, 1);
	close(fd);
	return 0;
}
