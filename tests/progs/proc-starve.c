/* A CPU-bound child cannot starve its parent (tests/process.rs: the same
 * lines natively and in lstar): the child spins in user mode without a
 * single system call; the parent, on the same CPU (pinned natively; the
 * guest has one vCPU), still completes its sleeps and yields, reads what a
 * second child writes to a pipe, then kills the spinner. Only the fact
 * that everything completed is printed, never how long it took. */
#include "proc.h"
#include <sched.h>
#include <sys/time.h>

static volatile unsigned long spin_count;

int main(void)
{
    proc_init();
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(0, &one);
    sched_setaffinity(0, sizeof one, &one); /* may fail in the guest: one vCPU anyway */

    int started[2];
    CHECK(pipe(started) == 0);
    pid_t spinner = fork();
    CHECK(spinner >= 0);
    if (spinner == 0) {
        CHECK(write(started[1], "s", 1) == 1);
        for (;;)
            spin_count++;
    }
    char c;
    CHECK(read(started[0], &c, 1) == 1);
    printf("spinner started\n");

    int sleeps = 0;
    for (int i = 0; i < 5; i++) {
        sleep_ms(10);
        sleeps++;
    }
    printf("parent completed %d sleeps of 10 ms\n", sleeps);
    int yields = 0;
    for (int i = 0; i < 20; i++)
        if (sched_yield() == 0)
            yields++;
    printf("parent completed %d sched_yield calls\n", yields);

    /* Another child gets the CPU too. */
    int p[2];
    CHECK(pipe(p) == 0);
    pid_t talker = fork();
    CHECK(talker >= 0);
    if (talker == 0) {
        close(p[0]);
        for (int i = 0; i < 3; i++) {
            char line[32];
            int n = snprintf(line, sizeof line, "tick %d\n", i);
            CHECK(write(p[1], line, n) == n);
            sleep_ms(5);
        }
        _exit(0);
    }
    close(p[1]);
    char buf[128];
    size_t total = 0;
    ssize_t n;
    while ((n = read(p[0], buf + total, sizeof buf - 1 - total)) > 0)
        total += n;
    buf[total] = 0;
    printf("second child wrote: %s", buf);
    printf("second child: %s\n", status_str(wait_for(talker)));

    /* A timer signal reaches the parent while the spinner runs. */
    struct itimerval it = {{0, 0}, {0, 20000}};
    sigset_t alrm, old;
    sigemptyset(&alrm);
    sigaddset(&alrm, SIGALRM);
    sigprocmask(SIG_BLOCK, &alrm, &old);
    CHECK(setitimer(ITIMER_REAL, &it, NULL) == 0);
    int sig = 0;
    CHECK(sigwait(&alrm, &sig) == 0);
    printf("parent got %s from a 20 ms timer\n", signame(sig));

    CHECK(kill(spinner, SIGKILL) == 0);
    printf("spinner: %s\n", status_str(wait_for(spinner)));
    printf("done\n");
    return 0;
}
