/* Writes distinct lines to fd 1 and fd 2, interleaved. */
#include <string.h>
#include <unistd.h>

static void say(int fd, const char *s)
{
	if (write(fd, s, strlen(s)) != (ssize_t)strlen(s))
		_exit(3);
}

int main(void)
{
	say(1, "out 1\n");
	say(2, "err 1\n");
	say(1, "out 2\n");
	say(2, "err 2\n");
	return 0;
}
