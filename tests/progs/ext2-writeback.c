/* A known writeback workload for the page cache's counters (tests/ext2.rs):
 *
 *   ext2-writeback DIR   writes DIR/c0, c1, c2 (5 pages each) and closes
 *                        them; DIR/s (2 pages), fsync, close; DIR/e
 *                        (4 pages), left open at exit.
 *
 * So: 15 pages written at 3 closes, 2 at fsync, 4 at exit. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static char page[4096];

static int make(const char *dir, const char *name, int pages)
{
	char path[512];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		return -1;
	for (int i = 0; i < pages; i++) {
		memset(page, 'a' + i, sizeof page);
		if (write(fd, page, sizeof page) != (ssize_t)sizeof page)
			return -1;
	}
	return fd;
}

int main(int argc, char **argv)
{
	if (argc != 2)
		return 2;
	const char *names[] = {"c0", "c1", "c2"};
	for (int i = 0; i < 3; i++) {
		int fd = make(argv[1], names[i], 5);
		if (fd < 0 || close(fd) != 0)
			return 3;
	}
	int fd = make(argv[1], "s", 2);
	if (fd < 0 || fsync(fd) != 0 || close(fd) != 0)
		return 4;
	if (make(argv[1], "e", 4) < 0)
		return 5;
	puts("done");
	return 0;
}
