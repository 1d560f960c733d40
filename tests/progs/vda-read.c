/* Reads /dev/vda the ways programs do: fstat (a block device with the
 * disk's size), BLKGETSIZE64, read() across page and request boundaries,
 * lseek with SEEK_END and to the end, pread, and fsync. Prints one
 * line per check and the byte sum of the whole disk (compared with the
 * host's view of the image by the test). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>
/* BLKGETSIZE64 (linux/fs.h is not in musl-tools). */
#define BLKGETSIZE64 _IOR(0x12, 114, size_t)

int main(void)
{
	int fd = open("/dev/vda", O_RDONLY);
	if (fd < 0) { perror("open"); return 1; }
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISBLK(st.st_mode)) { printf("fstat: not a block device\n"); return 1; }
	unsigned long long size = 0;
	if (ioctl(fd, BLKGETSIZE64, &size) != 0 || (long long)size != st.st_size) { printf("size mismatch\n"); return 1; }
	printf("size %llu\n", size);
	/* Odd-sized reads so that chunks straddle pages and requests. */
	static unsigned char buf[12345];
	unsigned long long sum = 0, total = 0;
	ssize_t n;
	while ((n = read(fd, buf, sizeof buf)) > 0) {
		for (ssize_t i = 0; i < n; i++)
			sum = sum * 31 + buf[i];
		total += n;
	}
	if (n < 0) { perror("read"); return 1; }
	printf("read %llu bytes, sum %llu\n", total, sum);
	if (lseek(fd, 0, SEEK_END) != (off_t)size) { printf("SEEK_END wrong\n"); return 1; }
	if (lseek(fd, (off_t)size, SEEK_SET) != (off_t)size || read(fd, buf, 10) != 0) { printf("read at the end\n"); return 1; }
	if (lseek(fd, -1, SEEK_SET) != -1) { printf("negative seek accepted\n"); return 1; }
	unsigned char a, b;
	if (pread(fd, &a, 1, 4095) != 1 || pread(fd, &b, 1, 4096) != 1) { printf("pread\n"); return 1; }
	printf("bytes 4095 4096: %u %u\n", a, b);
	printf("fsync %d\n", fsync(fd));
	return 0;
}
