/* Writes a line to stdout and reports on stderr what write() returned and
 * its errno, as `write 1: -1 errno 28`; then the same for a second write. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(void)
{
	for (int i = 1; i <= 2; i++) {
		errno = 0;
		ssize_t n = write(1, "hello\n", 6);
		dprintf(2, "write %d: %zd errno %d\n", i, n, n < 0 ? errno : 0);
	}
	return 0;
}
