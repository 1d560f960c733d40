/* What a program sees of a signal sent to `lstar run` on the host
 * (tests/run_signals.rs). `host-signal catch` catches SIGINT and SIGTERM,
 * says which arrived and from whom, and exits 0; `host-signal ignore`
 * ignores SIGINT and sleeps. Both print "ready" once set up. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t caught;
static volatile pid_t sender = -1;

static void handler(int sig, siginfo_t *info, void *ctx)
{
	(void)ctx;
	sender = info->si_pid;
	caught = sig;
}

int main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "catch") == 0) {
		struct sigaction sa;
		memset(&sa, 0, sizeof(sa));
		sa.sa_sigaction = handler;
		sa.sa_flags = SA_SIGINFO;
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
		printf("ready\n");
		fflush(stdout);
		while (!caught)
			pause();
		printf("caught %s from pid %d\n", caught == SIGINT ? "SIGINT" : "SIGTERM", (int)sender);
		return 0;
	}
	if (argc == 2 && strcmp(argv[1], "ignore") == 0) {
		signal(SIGINT, SIG_IGN);
		printf("ready\n");
		fflush(stdout);
		sleep(60);
		return 3;
	}
	fprintf(stderr, "usage: host-signal catch|ignore\n");
	return 2;
}
