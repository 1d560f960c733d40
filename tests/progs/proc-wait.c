/* fork, exit and wait: the status encoding, the wait variants and what a
 * child shares with its parent (tests/process.rs: the same lines natively
 * and in lstar). No pids are printed, only relations between them. */
#include "proc.h"
#include <sys/mman.h>

static void exit_codes(void)
{
    section("exit codes");
    int codes[] = {0, 1, 42, 127, 255, 256, 257};
    for (unsigned i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        pid_t pid = fork();
        CHECK(pid >= 0);
        if (pid == 0)
            _exit(codes[i]);
        printf("_exit(%d): %s\n", codes[i], status_str(wait_for(pid)));
    }
    /* exit() from main's caller path: atexit handlers and stdio flush. */
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        printf("child: printed before exit(3)\n");
        exit(3);
    }
    printf("exit(3): %s\n", status_str(wait_for(pid)));
}

static void killed_by_signals(void)
{
    section("killed by signals");
    int sigs[] = {SIGKILL, SIGTERM, SIGINT, SIGHUP, SIGUSR1, SIGABRT, SIGSEGV, SIGPIPE, SIGALRM};
    for (unsigned i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
        pid_t pid = fork();
        CHECK(pid >= 0);
        if (pid == 0) {
            raise(sigs[i]);
            _exit(100);
        }
        int st = wait_for(pid);
        printf("raise(%s): %s WIFSIGNALED=%d WTERMSIG=%s\n", signame(sigs[i]), status_str(st),
               WIFSIGNALED(st) ? 1 : 0, signame(WTERMSIG(st)));
    }
    /* A real fault, not a raise. */
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        volatile int *volatile bad = (int *)16;
        *bad = 1;
        _exit(100);
    }
    printf("store to address 16: %s\n", status_str(wait_for(pid)));
    /* Killed by the parent while blocked in pause(). */
    pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        for (;;)
            pause();
    }
    CHECK(kill(pid, SIGTERM) == 0);
    printf("kill(child, SIGTERM) in pause: %s\n", status_str(wait_for(pid)));
    /* A signal the child ignores does nothing; then SIGKILL. */
    int ready[2];
    CHECK(pipe(ready) == 0);
    pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        signal(SIGTERM, SIG_IGN);
        ready_signal(ready);
        for (;;)
            pause();
    }
    ready_wait(ready);
    close(ready[0]);
    close(ready[1]);
    CHECK(kill(pid, SIGTERM) == 0);
    int st;
    sleep_ms(20);
    printf("ignored SIGTERM, then WNOHANG: %s\n", RET(waitpid(pid, &st, WNOHANG)));
    CHECK(kill(pid, SIGKILL) == 0);
    printf("then SIGKILL: %s\n", status_str(wait_for(pid)));
}

static void wait_variants(void)
{
    section("wait variants");
    int st;
    printf("wait with no children: %s\n", RET(wait(&st)));
    printf("waitpid(-1, WNOHANG) with no children: %s\n", RET(waitpid(-1, &st, WNOHANG)));

    /* WNOHANG on a running child is 0; later the child is reaped once. */
    int go[2];
    CHECK(pipe(go) == 0);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        char c;
        close(go[1]);
        CHECK(read(go[0], &c, 1) == 1);
        _exit(9);
    }
    close(go[0]);
    printf("WNOHANG while running: %s\n", RET(waitpid(pid, &st, WNOHANG)));
    CHECK(write(go[1], "x", 1) == 1);
    close(go[1]);
    pid_t r = waitpid(pid, &st, 0);
    printf("then waitpid: same pid %s, %s\n", yes(r == pid), status_str(st));
    printf("again: %s\n", RET(waitpid(pid, &st, 0)));
    printf("a pid that is not a child (1): %s\n", RET(waitpid(getpid() == 1 ? 2 : 1, &st, WNOHANG)));

    /* Three children: wait(-1) returns each once, whatever the order. */
    pid_t kids[3];
    for (int i = 0; i < 3; i++) {
        kids[i] = fork();
        CHECK(kids[i] >= 0);
        if (kids[i] == 0)
            _exit(10 + i);
    }
    int seen = 0, sum = 0;
    for (int i = 0; i < 3; i++) {
        r = wait(&st);
        for (int k = 0; k < 3; k++)
            if (r == kids[k])
                seen |= 1 << k;
        sum += WEXITSTATUS(st);
    }
    printf("three wait(): each child once %s, statuses sum %d\n", yes(seen == 7), sum);
    printf("then: %s\n", RET(wait(&st)));

    /* A zombie stays until reaped: kill(pid, 0) succeeds on it. */
    pid = fork();
    CHECK(pid >= 0);
    if (pid == 0)
        _exit(0);
    sleep_ms(30);
    printf("kill(zombie, 0): %s\n", RET(kill(pid, 0)));
    wait_for(pid);
    printf("kill(reaped, 0): %s\n", RET(kill(pid, 0)));

    /* waitid. */
    pid = fork();
    CHECK(pid >= 0);
    if (pid == 0)
        _exit(77);
    siginfo_t si;
    memset(&si, 0, sizeof si);
    int w = waitid(P_PID, pid, &si, WEXITED);
    printf("waitid(P_PID, WEXITED): %d si_signo=%s si_code=%s si_status=%d si_pid ok %s\n", w,
           signame(si.si_signo), si.si_code == CLD_EXITED ? "CLD_EXITED" : "other", si.si_status,
           yes(si.si_pid == pid));
    pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        raise(SIGUSR2);
        _exit(0);
    }
    memset(&si, 0, sizeof si);
    w = waitid(P_ALL, 0, &si, WEXITED);
    printf("waitid(P_ALL) killed: %d si_code=%s si_status=%s\n", w,
           si.si_code == CLD_KILLED ? "CLD_KILLED" : "other", signame(si.si_status));
    /* WNOWAIT leaves it waitable. */
    pid = fork();
    CHECK(pid >= 0);
    if (pid == 0)
        _exit(5);
    memset(&si, 0, sizeof si);
    w = waitid(P_PID, pid, &si, WEXITED | WNOWAIT);
    printf("waitid WNOWAIT: %d status %d; ", w, si.si_status);
    printf("then waitpid: %s\n", status_str(wait_for(pid)));
    /* wait4 with rusage. */
    pid = fork();
    CHECK(pid >= 0);
    if (pid == 0)
        _exit(6);
    struct rusage ru;
    memset(&ru, 0xff, sizeof ru);
    r = wait4(pid, &st, 0, &ru);
    printf("wait4: same pid %s, %s, rusage filled %s\n", yes(r == pid), status_str(st),
           yes(ru.ru_utime.tv_sec >= 0 && ru.ru_utime.tv_usec >= 0 && ru.ru_utime.tv_usec < 1000000));
}

static void stop_and_continue(void)
{
    section("stop and continue");
    int go[2];
    CHECK(pipe(go) == 0);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        close(go[1]);
        raise(SIGSTOP);
        char c;
        read(go[0], &c, 1); /* exit only after the parent saw "continued" */
        _exit(4);
    }
    close(go[0]);
    int st;
    pid_t r = waitpid(pid, &st, WUNTRACED);
    printf("WUNTRACED: same pid %s, %s WIFSTOPPED=%d\n", yes(r == pid), status_str(st),
           WIFSTOPPED(st) ? 1 : 0);
    CHECK(kill(pid, SIGCONT) == 0);
    r = waitpid(pid, &st, WCONTINUED);
    printf("WCONTINUED: same pid %s, %s\n", yes(r == pid), status_str(st));
    close(go[1]);
    printf("then: %s\n", status_str(wait_for(pid)));
    /* A stopped child is killed by SIGKILL. */
    pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        raise(SIGSTOP);
        _exit(4);
    }
    r = waitpid(pid, &st, WUNTRACED);
    CHECK(r == pid);
    CHECK(kill(pid, SIGKILL) == 0);
    printf("SIGKILL while stopped: %s\n", status_str(wait_for(pid)));
}

static int shared_counter = 5;

static void what_is_shared(void)
{
    section("fork copies memory, shares open files");
    pid_t parent = getpid();
    char *big = malloc(1 << 20);
    CHECK(big != NULL);
    memset(big, 'p', 1 << 20);
    char *shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    CHECK(shared != MAP_FAILED);
    strcpy(shared, "before");
    enter_tmpdir();
    int fd = open("f", O_RDWR | O_CREAT | O_TRUNC, 0644);
    CHECK(fd >= 0);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        int ok = getppid() == parent && getpid() != parent;
        shared_counter = 99;
        memset(big, 'c', 1 << 20);
        strcpy(shared, "child wrote");
        CHECK(write(fd, "child\n", 6) == 6);
        _exit(ok ? 0 : 1);
    }
    printf("child saw getppid() == parent: %s\n", status_str(wait_for(pid)));
    printf("parent's global after child wrote it: %d\n", shared_counter);
    int intact = 1;
    for (int i = 0; i < 1 << 20; i++)
        intact &= big[i] == 'p';
    printf("parent's 1 MiB heap block intact: %s\n", yes(intact));
    printf("MAP_SHARED page: %s\n", shared);
    printf("shared file offset after child's write: %ld\n", (long)lseek(fd, 0, SEEK_CUR));
    close(fd);
    unlink("f");
    chdir("/");
    rmdir(proc_tmpdir);
    free(big);
}

static void process_groups(void)
{
    section("process groups");
    int ready[2];
    CHECK(pipe(ready) == 0);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        close(ready[0]);
        CHECK(setpgid(0, 0) == 0);
        pid_t inner = fork();
        CHECK(inner >= 0);
        if (inner == 0) {
            for (;;)
                pause();
        }
        signal(SIGHUP, SIG_IGN); /* the group's signal kills only inner */
        CHECK(write(ready[1], "r", 1) == 1);
        int st = wait_for(inner);
        _exit(WIFSIGNALED(st) ? 50 + WTERMSIG(st) : 1);
    }
    close(ready[1]);
    char c;
    CHECK(read(ready[0], &c, 1) == 1);
    close(ready[0]);
    printf("child's own group: %s\n", yes(getpgid(pid) == pid));
    printf("child's group is not ours: %s\n", yes(getpgid(pid) != getpgrp()));
    printf("kill(-pgid, SIGHUP): %s\n", RET(kill(-pid, SIGHUP)));
    printf("child: %s\n", status_str(wait_for(pid)));
    printf("kill(-pgid) of an empty group: %s\n", RET(kill(-pid, SIGHUP)));
    printf("getsid(0) == getsid(getpid()): %s\n", yes(getsid(0) == getsid(getpid())));
    pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        pid_t sid = setsid();
        _exit(sid == getpid() && getpgrp() == getpid() && getsid(0) == getpid() ? 0 : 1);
    }
    printf("setsid in a child: %s\n", status_str(wait_for(pid)));
}

int main(void)
{
    proc_init();
    exit_codes();
    killed_by_signals();
    wait_variants();
    stop_and_continue();
    what_is_shared();
    process_groups();
    printf("done\n");
    return 0;
}
