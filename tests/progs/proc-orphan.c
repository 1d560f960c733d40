/* Orphans are reparented (tests/process.rs: the same lines natively and in
 * lstar). In the guest this program is pid 1, which adopts orphans as
 * Linux's init does; natively it makes itself a child subreaper
 * (PR_SET_CHILD_SUBREAPER), which adopts its descendants' orphans the same
 * way, so both print the same lines. A grandchild whose parent exits sees
 * getppid() become this process's pid, and this process reaps it. */
#include "proc.h"
#include <sys/prctl.h>

#ifndef PR_SET_CHILD_SUBREAPER
#define PR_SET_CHILD_SUBREAPER 36
#endif

int main(void)
{
    proc_init();
    pid_t top = getpid();
    if (top != 1)
        CHECK(prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0);
    int report[2], release[2], checked[2];
    CHECK(pipe(report) == 0 && pipe(release) == 0 && pipe(checked) == 0);
    pid_t child = fork();
    CHECK(child >= 0);
    if (child == 0) {
        pid_t me = getpid();
        pid_t grandchild = fork();
        CHECK(grandchild >= 0);
        if (grandchild == 0) {
            close(report[0]);
            close(release[1]);
            int before = getppid() == me;
            CHECK(write(checked[1], "c", 1) == 1);
            char c;
            /* Wait until the parent has exited (the top process says so). */
            CHECK(read(release[0], &c, 1) == 1);
            char line[128];
            int n = snprintf(line, sizeof line,
                             "grandchild: parent was the child %s, after its exit getppid() is the top process %s\n",
                             yes(before), yes(getppid() == top));
            CHECK(write(report[1], line, n) == n);
            _exit(3);
        }
        char c;
        CHECK(read(checked[0], &c, 1) == 1); /* the grandchild has seen its parent */
        _exit(0);
    }
    close(report[1]);
    close(release[0]);
    close(checked[0]);
    close(checked[1]);
    printf("child: %s\n", status_str(wait_for(child)));
    CHECK(write(release[1], "x", 1) == 1);
    char buf[256];
    ssize_t n = read(report[0], buf, sizeof buf - 1);
    CHECK(n > 0);
    buf[n] = 0;
    fputs(buf, stdout);
    int st;
    pid_t r = wait(&st);
    printf("the top process reaps the orphan: %s, %s\n", yes(r > 0 && r != child), status_str(st));
    printf("then: %s\n", RET(wait(&st)));

    /* A whole orphaned chain: three generations below a child that exits. */
    child = fork();
    CHECK(child >= 0);
    if (child == 0) {
        for (int gen = 0; gen < 3; gen++) {
            pid_t p = fork();
            CHECK(p >= 0);
            if (p > 0)
                _exit(0); /* each parent leaves at once */
        }
        sleep_ms(50);
        _exit(9);
    }
    int orphans = 0, nines = 0;
    while ((r = wait(&st)) > 0) {
        if (r != child)
            orphans++;
        if (WIFEXITED(st) && WEXITSTATUS(st) == 9)
            nines++;
    }
    printf("a chain of orphans: reaped %d of them here, the last exited 9 %s\n", orphans, yes(nines == 1));
    printf("done\n");
    return 0;
}
