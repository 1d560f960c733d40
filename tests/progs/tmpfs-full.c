/* Fills a tmpfs and recovers (tests/vfs.rs runs it in lstar with --mem 64).
 *
 *   tmpfs-full [DIR]     DIR defaults to /tmp
 *
 * Writes 1 MiB chunks to DIR/big until write() fails and prints the errno
 * (ENOSPC expected; a short write before it is fine, as on Linux), then
 * unlinks DIR/big and shows that a small file can be created, written and
 * read back: the space came back. Prints nothing that depends on how much
 * fitted. Exits 0 when every step did what it should, 1 otherwise. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define MIB (1024 * 1024)

static char chunk[MIB];

static const char *err_name(int e)
{
	switch (e) {
	case ENOSPC:
		return "ENOSPC";
	case ENOMEM:
		return "ENOMEM";
	case EFBIG:
		return "EFBIG";
	case EDQUOT:
		return "EDQUOT";
	case EIO:
		return "EIO";
	default: {
		static char other[16];
		snprintf(other, sizeof other, "E%d", e);
		return other;
	}
	}
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "/tmp";
	char big[4096], small[4096];
	int failures = 0;
	snprintf(big, sizeof big, "%s/big", dir);
	snprintf(small, sizeof small, "%s/small", dir);
	setvbuf(stdout, NULL, _IOLBF, 0);
	memset(chunk, 0x5a, sizeof chunk);

	int fd = open(big, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0) {
		printf("open big: %s\n", err_name(errno));
		return 1;
	}
	long long written = 0;
	int err = 0;
	for (;;) {
		ssize_t n = write(fd, chunk, sizeof chunk);
		if (n < 0) {
			err = errno;
			break;
		}
		if (n == 0) {
			printf("write returned 0\n");
			return 1;
		}
		written += n;
	}
	printf("write 1 MiB chunks until it fails: %s\n", err_name(err));
	failures += err != ENOSPC;
	printf("wrote at least 1 MiB first: %s\n", written >= MIB ? "yes" : "no");
	failures += written < MIB;
	/* The full file system refuses a new file's data too. */
	int full = open(small, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (full >= 0) {
		ssize_t n = write(full, chunk, 4096);
		printf("write 4 KiB to another file while full: %s\n",
		       n < 0 ? err_name(errno) : "written");
		failures += n >= 0;
		close(full);
		unlink(small);
	} else {
		/* A full tmpfs may also refuse the inode. */
		printf("write 4 KiB to another file while full: %s\n", err_name(errno));
		failures += errno != ENOSPC;
	}
	printf("close big: %d\n", close(fd));
	printf("unlink big: %d\n", unlink(big));

	fd = open(small, O_RDWR | O_CREAT | O_TRUNC, 0644);
	printf("create a small file: %s\n", fd >= 0 ? "ok" : err_name(errno));
	if (fd < 0)
		return 1;
	ssize_t n = write(fd, "space again\n", 12);
	printf("write 12 bytes: %zd\n", n);
	failures += n != 12;
	char back[32] = {0};
	n = pread(fd, back, sizeof back - 1, 0);
	printf("read back: %zd %s", n, back);
	failures += n != 12 || strcmp(back, "space again\n") != 0;
	/* And more than one chunk fits again. */
	n = pwrite(fd, chunk, sizeof chunk, 4096);
	printf("write 1 MiB more: %s\n", n == MIB ? "ok" : n < 0 ? err_name(errno) : "short");
	failures += n != MIB;
	close(fd);
	unlink(small);
	printf("%s\n", failures ? "FAIL" : "OK");
	return failures ? 1 : 0;
}
