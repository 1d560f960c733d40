/* Copies fd 0 to fd 1 with raw read/write until end of file. */
#include <errno.h>
#include <unistd.h>

int main(void)
{
	static char buf[65536];
	for (;;) {
		ssize_t n = read(0, buf, sizeof buf);
		if (n == 0)
			return 0;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return 2;
		}
		for (ssize_t off = 0; off < n;) {
			ssize_t w = write(1, buf + off, (size_t)(n - off));
			if (w <= 0)
				return 3;
			off += w;
		}
	}
}
