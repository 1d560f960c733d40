/* For the task table tests (/vm/tasks, --stats per task, --trace pids):
 * `fork-sleepers N SECS` forks N children; each execs this program again
 * as `fork-sleepers sleep SECS`, which sleeps SECS seconds (nanosleep) and
 * exits 0. Once all are forked the parent writes "ready\n" (its one write)
 * and waits for them; it exits 0 when every child exited 0. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "sleep") == 0) {
		struct timespec ts = { atol(argv[2]), 0 };
		return nanosleep(&ts, NULL) == 0 ? 0 : 3;
	}
	long n = argc > 1 ? atol(argv[1]) : 2;
	const char *secs = argc > 2 ? argv[2] : "1";
	for (long i = 0; i < n; i++) {
		pid_t pid = fork();
		if (pid < 0)
			return 2;
		if (pid == 0) {
			char *args[] = { argv[0], "sleep", (char *)secs, NULL };
			execv(argv[0], args);
			_exit(4);
		}
	}
	static const char ready[] = "ready\n";
	if (write(1, ready, sizeof ready - 1) != sizeof ready - 1)
		return 5;
	int failed = 0;
	for (long i = 0; i < n; i++) {
		int status;
		if (wait(&status) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
			failed = 1;
	}
	return failed;
}
