/* A fork bomb (tests/process.rs: the same lines natively and in lstar, where
 * the guest's memory is small): a leader forks children that stay alive
 * until fork fails; it must fail with EAGAIN or ENOMEM (the number of
 * children is not printed), the children all exit, and afterwards fork and
 * exec work again: the kernel survived. The top process, pid 1 in the
 * guest, then exits cleanly.
 *
 * Natively (not pid 1) the leader sets RLIMIT_NPROC and becomes a uid of
 * its own (root is exempt from the limit), so that fork fails with EAGAIN
 * after a few hundred processes instead of exhausting the host's pids: the
 * native side must run as root. The uid is 100000 + the leader's pid. In
 * the guest the leader stays root and the guest's memory is the limit. */
#include "proc.h"

#define LIMIT 300
/* A uid no one else has: two bombs running at once (parallel tests)
 * must not share one RLIMIT_NPROC count. */
#define BOMB_UID (100000 + getpid())
#define NO_LIMIT_AFTER 200000

static void leader(void)
{
    /* Natively never more than twice the limit, whatever happens: if the
     * limit does not hold, the output says "(never failed)". */
    long cap = NO_LIMIT_AFTER;
    if (getpid() != 1 && getppid() != 1) {
        cap = 2 * LIMIT;
        struct rlimit rl = {LIMIT, LIMIT};
        CHECK(setrlimit(RLIMIT_NPROC, &rl) == 0);
        uid_t uid = BOMB_UID;
        CHECK(setresgid(uid, uid, uid) == 0);
        CHECK(setresuid(uid, uid, uid) == 0);
    }
    int hold[2];
    CHECK(pipe(hold) == 0);
    long n = 0;
    int err = 0;
    for (;;) {
        pid_t pid = fork();
        if (pid < 0) {
            err = errno;
            break;
        }
        if (pid == 0) {
            char c;
            close(hold[1]);
            read(hold[0], &c, 1); /* until the leader closes its end */
            _exit(0);
        }
        if (++n >= cap)
            break;
    }
    close(hold[1]);
    long reaped = 0, bad = 0;
    int st;
    pid_t r;
    while ((r = wait(&st)) > 0 || (r < 0 && errno == EINTR)) {
        if (r < 0)
            continue;
        reaped++;
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
            bad++;
    }
    printf("fork failed with: %s\n",
           err == EAGAIN || err == ENOMEM ? "EAGAIN or ENOMEM" : err ? errname(err) : "(never failed)");
    printf("made at least 10 children: %s; every child reaped: %s; all exited 0: %s\n", yes(n >= 10),
           yes(reaped == n), yes(bad == 0));
    _exit(0);
}

int main(void)
{
    proc_init();
    if (getpid() != 1 && geteuid() != 0) {
        printf("FAIL: natively this program must run as root (it limits a uid of its own)\n");
        return 2;
    }
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0)
        leader();
    printf("leader: %s\n", status_str(wait_for(pid)));

    /* The kernel is still there. */
    pid = fork();
    CHECK(pid >= 0);
    if (pid == 0)
        _exit(17);
    printf("fork after the bomb: %s\n", status_str(wait_for(pid)));
    pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        execl("/bin/busybox", "sh", "-c", "echo exec after the bomb: $((6 * 7))", (char *)NULL);
        _exit(127);
    }
    printf("busybox sh: %s\n", status_str(wait_for(pid)));
    printf("done\n");
    return 0;
}
