/* One system call at a time on an ext2 root, for tests/ext2.rs: after each
 * step it prints "step NAME" and waits for a line on stdin, so that the
 * host can pause the VM and read the image (e2fsck -fn, debugfs) in the
 * state the step's return left. The steps are the namespace operations
 * that must be on disk when their call returns, and the data writes that
 * must not be until close or fsync.
 *
 *   ext2-steps DIR     DIR must exist on the ext2 file system
 *
 * Exits 0 after the last step; on a failed call prints "fail NAME errno"
 * and exits 1. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

static const char *dir;

static void wait_line(void)
{
	char c;
	while (read(0, &c, 1) == 1 && c != '\n')
		;
}

static void step(const char *name)
{
	printf("step %s\n", name);
	fflush(stdout);
	wait_line();
}

static void check(int ok, const char *name)
{
	if (!ok) {
		printf("fail %s %d\n", name, errno);
		fflush(stdout);
		exit(1);
	}
}

static const char *at(const char *name)
{
	static char buf[4][512];
	static int i;
	char *p = buf[i++ % 4];
	snprintf(p, 512, "%s/%s", dir, name);
	return p;
}

int main(int argc, char **argv)
{
	if (argc != 2)
		return 2;
	dir = argv[1];
	static char page[3 * 4096];
	for (size_t i = 0; i < sizeof page; i++)
		page[i] = 'a' + i % 26;

	int fd = open(at("f"), O_WRONLY | O_CREAT | O_EXCL, 0640);
	check(fd >= 0, "create");
	step("create");
	check(write(fd, page, sizeof page) == sizeof page, "write");
	step("write");
	check(close(fd) == 0, "close");
	step("close");
	check(mkdir(at("d"), 0750) == 0, "mkdir");
	step("mkdir");
	check(rename(at("f"), at("d/g")) == 0, "rename");
	step("rename");
	check(link(at("d/g"), at("d/h")) == 0, "link");
	step("link");
	check(symlink("g", at("d/fast")) == 0, "symlink-fast");
	char slow[200];
	memset(slow, 'x', sizeof slow - 1);
	slow[sizeof slow - 1] = 0;
	check(symlink(slow, at("d/slow")) == 0, "symlink-slow");
	step("symlink");
	check(truncate(at("d/g"), 5000) == 0, "truncate");
	step("truncate");
	check(chmod(at("d/g"), 0604) == 0, "chmod");
	struct timeval tv[2] = {{1000000000, 0}, {1234567890, 0}};
	check(utimes(at("d/g"), tv) == 0, "utimes");
	step("chmod-utimes");
	fd = open(at("d/g"), O_RDWR);
	check(fd >= 0, "open");
	check(pwrite(fd, "far", 3, 64L << 20) == 3, "pwrite-far");
	check(fsync(fd) == 0, "fsync");
	step("fsync");
	check(pwrite(fd, "tail", 4, (64L << 20) + 3) == 4, "pwrite-tail");
	step("pwrite-open");
	check(close(fd) == 0, "close-2");
	step("close-2");
	check(unlink(at("d/h")) == 0, "unlink");
	step("unlink");
	check(rmdir(at("d")) == -1 && errno == ENOTEMPTY, "rmdir-nonempty");
	check(mkfifo(at("d/p"), 0600) == 0, "mkfifo");
	step("mkfifo");
	check(unlink(at("d/g")) == 0 && unlink(at("d/fast")) == 0 && unlink(at("d/slow")) == 0 &&
		      unlink(at("d/p")) == 0,
	      "unlink-all");
	check(rmdir(at("d")) == 0, "rmdir");
	step("rmdir");
	return 0;
}
