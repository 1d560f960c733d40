/* The virtio-blk benchmark's guest side (scripts/blk-bench.sh, issue 4).
 *
 *   blk-bench write MIB        writes MIB MiB to /dev/vda in 1 MiB writes, closes
 *   blk-bench write-fsync MIB  the same, with fsync before the close
 *   blk-bench read MIB         reads MIB MiB back in 1 MiB reads (after a fresh boot)
 *   ... MIB PATH               the same on the file PATH (created or truncated
 *                              by the write modes) instead of /dev/vda
 *
 * Write modes time, with CLOCK_MONOTONIC, the first write to the return of
 * the last write (the page cache only: no device I/O), to the return of
 * fsync, and to the return of close (the last close writes the dirty pages
 * back and waits), and print
 *   write_ms N / fsync_ms N / write_close_ms N / checksum X
 * The read mode prints read_ms N (first read to the return of the last)
 * and the checksum of what it read, which must equal the write mode's.
 * The pattern depends on the offset only, so the checksums compare. */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MIB (1024 * 1024)

static uint64_t buf[MIB / 8];

static double now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static void fill(uint64_t off)
{
	for (size_t i = 0; i < MIB / 8; i++)
		buf[i] = (off + i * 8) * 0x9e3779b97f4a7c15ull ^ 0x6c73746172626c6bull;
}

static uint64_t sum(uint64_t h)
{
	for (size_t i = 0; i < MIB / 8; i++)
		h = (h ^ buf[i]) * 0x100000001b3ull;
	return h;
}

int main(int argc, char **argv)
{
	if (argc != 3 && argc != 4) {
		fprintf(stderr, "usage: blk-bench write|write-fsync|read MIB [PATH]\n");
		return 2;
	}
	const char *mode = argv[1];
	long mib = atol(argv[2]);
	int writing = strcmp(mode, "write") == 0, do_fsync = strcmp(mode, "write-fsync") == 0;
	if (mib <= 0 || !(writing || do_fsync || strcmp(mode, "read") == 0)) {
		fprintf(stderr, "blk-bench: bad arguments\n");
		return 2;
	}
	writing |= do_fsync;
	const char *path = argc == 4 ? argv[3] : "/dev/vda";
	int flags = writing ? O_RDWR : O_RDONLY;
	if (writing && argc == 4)
		flags |= O_CREAT | O_TRUNC;
	int fd = open(path, flags, 0644);
	if (fd < 0) {
		perror(path);
		return 1;
	}
	uint64_t h = 0xcbf29ce484222325ull;
	if (writing) {
		/* The pattern and its checksum are computed in user mode between
		 * the writes: cheap next to a kernel memcpy under kvm-pvm, and
		 * timed separately below so it can be told apart. */
		double gen = 0, t0 = now_ms();
		for (long m = 0; m < mib; m++) {
			double g = now_ms();
			fill((uint64_t)m * MIB);
			h = sum(h);
			gen += now_ms() - g;
			if (write(fd, buf, MIB) != MIB) {
				perror("write");
				return 1;
			}
		}
		double t1 = now_ms();
		if (do_fsync && fsync(fd) != 0) {
			perror("fsync");
			return 1;
		}
		double t2 = now_ms();
		if (close(fd) != 0) {
			perror("close");
			return 1;
		}
		double t3 = now_ms();
		printf("pattern_ms %.3f\n", gen);
		printf("write_ms %.3f\n", t1 - t0 - gen);
		printf("fsync_ms %.3f\n", t2 - t1);
		printf("close_ms %.3f\n", t3 - t2);
		printf("write_close_ms %.3f\n", t3 - t0 - gen);
	} else {
		double t0 = now_ms(), chk = 0;
		for (long m = 0; m < mib; m++) {
			ssize_t n = read(fd, buf, MIB);
			if (n != MIB) {
				fprintf(stderr, "read: %zd\n", n);
				return 1;
			}
			double c = now_ms();
			h = sum(h);
			chk += now_ms() - c;
		}
		double t1 = now_ms();
		close(fd);
		printf("checksum_ms %.3f\n", chk);
		printf("read_ms %.3f\n", t1 - t0 - chk);
	}
	printf("checksum %016llx\n", (unsigned long long)h);
	return 0;
}
