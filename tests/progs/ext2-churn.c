/* A workload for kill -9 at random moments (tests/ext2.rs):
 *
 *   ext2-churn DIR   makes DIR, then for i = 0, 1, 2...:
 *                    writes DIR/f<i> (size(i) bytes of byte(i)), closes
 *                    it, prints "c <i>";
 *                    when i % 3 == 2, renames f<i-1> to g<i-1>, "r <i-1>";
 *                    when i % 4 == 3, unlinks file i-3 (f or g), "u <i-3>".
 *
 * Each line is written after its call returned, so the host knows what
 * was done before it killed lstar; the next operation is the only one
 * that may be half done. The host computes size(i) and byte(i) too. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char buf[9 * 4096];

static long size_of(long i)
{
	return (i % 9) * 4096 + (i * 37) % 4096;
}

static void name(char *out, size_t n, const char *dir, char c, long i)
{
	snprintf(out, n, "%s/%c%ld", dir, c, i);
}

int main(int argc, char **argv)
{
	if (argc != 2)
		return 2;
	const char *dir = argv[1];
	if (mkdir(dir, 0755) != 0)
		return 3;
	char a[256], b[256];
	for (long i = 0;; i++) {
		name(a, sizeof a, dir, 'f', i);
		int fd = open(a, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd < 0)
			return 4;
		long size = size_of(i);
		memset(buf, 'A' + i % 26, size);
		if (write(fd, buf, size) != size || close(fd) != 0)
			return 5;
		dprintf(1, "c %ld\n", i);
		if (i % 3 == 2) {
			name(a, sizeof a, dir, 'f', i - 1);
			name(b, sizeof b, dir, 'g', i - 1);
			if (rename(a, b) != 0)
				return 6;
			dprintf(1, "r %ld\n", i - 1);
		}
		if (i % 4 == 3) {
			long j = i - 3;
			name(a, sizeof a, dir, j % 3 == 1 ? 'g' : 'f', j);
			if (unlink(a) != 0)
				return 7;
			dprintf(1, "u %ld\n", j);
		}
	}
}
