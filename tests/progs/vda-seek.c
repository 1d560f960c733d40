/* lseek on /dev/vda as Linux's block devices answer it: any position from
 * 0 to the disk's size is fine, one past it is EINVAL with SEEK_SET,
 * SEEK_CUR and SEEK_END, and a refused seek leaves the position alone.
 * Prints one line per check ("ok ..." or "FAIL ...") and exits 0 when all
 * passed. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int failed;

static void expect(const char *what, off_t got, off_t want, int want_errno)
{
	int e = got < 0 ? errno : 0;
	int ok = got == want && e == want_errno;
	printf("%s %s: %lld errno %d\n", ok ? "ok" : "FAIL", what, (long long)got, e);
	failed |= !ok;
}

int main(void)
{
	int fd = open("/dev/vda", O_RDWR);
	if (fd < 0) {
		perror("open /dev/vda");
		return 2;
	}
	off_t size = lseek(fd, 0, SEEK_END);
	printf("size %lld\n", (long long)size);
	errno = 0;
	expect("SEEK_SET to the end", lseek(fd, size, SEEK_SET), size, 0);
	expect("SEEK_SET past the end", lseek(fd, size + 1, SEEK_SET), -1, EINVAL);
	expect("SEEK_SET far past the end", lseek(fd, (off_t)1 << 40, SEEK_SET), -1, EINVAL);
	expect("SEEK_END +1", lseek(fd, 1, SEEK_END), -1, EINVAL);
	expect("SEEK_END -512", lseek(fd, -512, SEEK_END), size - 512, 0);
	expect("SEEK_CUR +512", lseek(fd, 512, SEEK_CUR), size, 0);
	expect("SEEK_CUR +1", lseek(fd, 1, SEEK_CUR), -1, EINVAL);
	expect("position kept", lseek(fd, 0, SEEK_CUR), size, 0);
	expect("SEEK_SET -1", lseek(fd, -1, SEEK_SET), -1, EINVAL);
	char c;
	expect("read at the end", read(fd, &c, 1), 0, 0);
	return failed;
}
