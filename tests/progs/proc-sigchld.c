/* SIGCHLD (tests/process.rs: the same lines natively and in lstar): a
 * handler that reaps with waitpid(WNOHANG) in a loop while children exit
 * at once (signals coalesce, no child is lost), SIG_IGN and SA_NOCLDWAIT
 * (children reaped by the kernel, wait gives ECHILD), SA_NOCLDSTOP, and
 * the default action (ignored, not fatal). */
#include "proc.h"

#define KIDS 12

static volatile int reaped, status_sum, handler_runs;

static void reap(int sig)
{
    (void)sig;
    int saved = errno, st;
    pid_t pid;
    handler_runs++;
    while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
        reaped++;
        status_sum += WEXITSTATUS(st);
    }
    errno = saved;
}

static void reaping_handler(void)
{
    section("a handler reaping with WNOHANG");
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = reap;
    sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
    sigemptyset(&sa.sa_mask);
    CHECK(sigaction(SIGCHLD, &sa, NULL) == 0);
    sigset_t chld, old;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    int go[2];
    CHECK(pipe(go) == 0);
    for (int i = 0; i < KIDS; i++) {
        pid_t pid = fork();
        CHECK(pid >= 0);
        if (pid == 0) {
            char c;
            close(go[1]);
            read(go[0], &c, 1); /* all start together: EOF when the parent closes */
            _exit(i);
        }
    }
    close(go[0]);
    close(go[1]);
    /* Sleep until every child is reaped, without a race: check with
     * SIGCHLD blocked, sigsuspend with it unblocked. */
    sigprocmask(SIG_BLOCK, &chld, &old);
    while (reaped < KIDS)
        sigsuspend(&old);
    sigprocmask(SIG_SETMASK, &old, NULL);
    printf("reaped %d children, exit statuses sum %d (want %d), handler ran %s\n", reaped,
           status_sum, KIDS * (KIDS - 1) / 2, handler_runs >= 1 && handler_runs <= KIDS ? "1..12 times" : "?");
    int st;
    printf("waitpid(-1) after: %s\n", RET(waitpid(-1, &st, WNOHANG)));

    /* A stopped child raises no SIGCHLD with SA_NOCLDSTOP. */
    handler_runs = 0;
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        raise(SIGSTOP);
        _exit(1);
    }
    pid_t r = waitpid(pid, &st, WUNTRACED);
    printf("child stopped (%s): handler ran %s\n", status_str(st), yes(handler_runs != 0 || r != pid));
    reaped = 0;
    CHECK(kill(pid, SIGKILL) == 0);
    sigprocmask(SIG_BLOCK, &chld, &old);
    while (reaped < 1)
        sigsuspend(&old);
    sigprocmask(SIG_SETMASK, &old, NULL);
    printf("after SIGKILL the handler reaped it: %s\n", yes(reaped == 1));
    signal(SIGCHLD, SIG_DFL);
}

/* Whether PID is gone (kill(pid, 0) gives ESRCH) within MS milliseconds.
 * Linux wakes a waiting parent in the child's exit_notify before the same
 * child releases its pid (release_task, for an auto-reaped child), so
 * wait() can already say ECHILD while kill(pid, 0) still finds the pid;
 * on a loaded machine the child may be preempted in between. A kernel
 * that never reaps still fails, after MS. */
static int released_within(pid_t pid, long ms)
{
    for (long waited = 0;; waited++) {
        if (kill(pid, 0) < 0 && errno == ESRCH)
            return 1;
        if (waited >= ms)
            return 0;
        sleep_ms(1);
    }
}

static void ignored(void)
{
    section("SIGCHLD ignored: no zombies");
    signal(SIGCHLD, SIG_IGN);
    pid_t kids[3];
    for (int i = 0; i < 3; i++) {
        kids[i] = fork();
        CHECK(kids[i] >= 0);
        if (kids[i] == 0)
            _exit(5);
    }
    int st;
    /* wait blocks until all are gone, then ECHILD. */
    printf("SIG_IGN, wait: %s\n", RET(wait(&st)));
    int gone = 1;
    for (int i = 0; i < 3; i++)
        gone &= released_within(kids[i], 5000);
    printf("children already reaped by the kernel: %s\n", yes(gone));
    signal(SIGCHLD, SIG_DFL);

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_DFL;
    sa.sa_flags = SA_NOCLDWAIT;
    CHECK(sigaction(SIGCHLD, &sa, NULL) == 0);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0)
        _exit(6);
    printf("SA_NOCLDWAIT, waitpid: %s\n", RET(waitpid(pid, &st, 0)));
    signal(SIGCHLD, SIG_DFL);

    /* SIG_DFL: the parent lives; the child is a zombie until waited for. */
    pid = fork();
    CHECK(pid >= 0);
    if (pid == 0)
        _exit(7);
    sleep_ms(20);
    printf("SIG_DFL: parent alive, then waitpid: %s\n", status_str(wait_for(pid)));
}

int main(void)
{
    proc_init();
    reaping_handler();
    ignored();
    printf("done\n");
    return 0;
}
