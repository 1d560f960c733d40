/* Writeback on close, observed from the host (tests/ext2.rs):
 *
 *   ext2-close PATH TEXT   writes TEXT to PATH (created or truncated),
 *                          prints "written", waits for a line on stdin;
 *                          closes, prints "closed", waits for a line;
 *                          exits 0.
 *
 * The host looks at the disk image while it waits: before the close the
 * data must not be there, after it must. */
#include <fcntl.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static void say(const char *s)
{
	syscall(SYS_write, 1, s, strlen(s));
}

static void wait_line(void)
{
	char c;
	while (syscall(SYS_read, 0, &c, 1) == 1 && c != '\n')
		;
}

int main(int argc, char **argv)
{
	if (argc != 3)
		return 2;
	long fd = syscall(SYS_open, argv[1], O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		return 3;
	size_t n = strlen(argv[2]);
	if (syscall(SYS_write, fd, argv[2], n) != (long)n)
		return 4;
	say("written\n");
	wait_line();
	if (syscall(SYS_close, fd) != 0)
		return 5;
	say("closed\n");
	wait_line();
	return 0;
}
