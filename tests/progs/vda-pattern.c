/* Writes a known pattern to /dev/vda (across page boundaries, a partial
 * page, the disk's last bytes), checks it reads back, optionally waits for
 * a line on stdin before closing (so the host can look at the image while
 * the data is only in the guest's page cache), then closes and exits.
 * argv[1] = "wait" to wait; "exit" to _exit without closing (the kernel's
 * exit closes the file, and so writes back). Prints "written" once the
 * writes are done. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>
/* BLKGETSIZE64 (linux/fs.h is not in musl-tools). */
#define BLKGETSIZE64 _IOR(0x12, 114, size_t)

static unsigned char pattern(long off) { return (unsigned char)(off * 7 + 3); }

static int write_at(int fd, long off, long len)
{
	unsigned char buf[20000];
	for (long i = 0; i < len; i++)
		buf[i] = pattern(off + i);
	return pwrite(fd, buf, len, off) == len;
}

static int check_at(int fd, long off, long len)
{
	unsigned char buf[20000];
	if (pread(fd, buf, len, off) != len)
		return 0;
	for (long i = 0; i < len; i++)
		if (buf[i] != pattern(off + i))
			return 0;
	return 1;
}

int main(int argc, char **argv)
{
	int fd = open("/dev/vda", O_RDWR);
	if (fd < 0) { perror("open /dev/vda"); return 1; }
	unsigned long long size = 0;
	if (ioctl(fd, BLKGETSIZE64, &size) != 0) { perror("BLKGETSIZE64"); return 1; }
	/* Regions: inside one page, across a page boundary, several pages, the end. */
	long regions[][2] = { {100, 50}, {4000, 200}, {3 * 4096 + 17, 3 * 4096 + 100}, {(long)size - 777, 777} };
	for (int i = 0; i < 4; i++)
		if (!write_at(fd, regions[i][0], regions[i][1])) { printf("write %d failed\n", i); return 1; }
	for (int i = 0; i < 4; i++)
		if (!check_at(fd, regions[i][0], regions[i][1])) { printf("readback %d failed\n", i); return 1; }
	/* Past the end: ENOSPC for writes, 0 for reads. */
	char c = 1;
	if (pwrite(fd, &c, 1, size) != -1) { printf("write past the end succeeded\n"); return 1; }
	if (pread(fd, &c, 1, size + 4096) != 0) { printf("read past the end returned data\n"); return 1; }
	printf("written\n");
	fflush(stdout);
	if (argc > 1 && strcmp(argv[1], "wait") == 0) {
		char line[16];
		if (read(0, line, sizeof line) < 0)
			return 1;
	}
	if (argc > 1 && strcmp(argv[1], "exit") == 0)
		_exit(0);
	if (close(fd) != 0) { perror("close"); return 1; }
	printf("closed\n");
	return 0;
}
