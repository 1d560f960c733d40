/* Process micro-benchmarks for scripts/proc-bench.sh, natively and in lstar:
 *
 *   proc-bench fork N        N x (fork, child _exit(0), waitpid)
 *   proc-bench forkexec N    N x (fork, child execve /bin/busybox true, waitpid)
 *   proc-bench pingpong N    N round trips of 1 byte each way between two processes (two pipes)
 *   proc-bench pipe N        N writes of 64 KiB through a pipe to another process, which reads them all
 *   proc-bench yield N       two processes on one CPU, N sched_yield calls each (2N switches)
 *
 * Prints "ops N" and "elapsed_ns T" (CLOCK_MONOTONIC around the loop
 * only; the setup, such as forking the peer, is outside it), exits 0; 1
 * with a message on stderr when anything fails. N = 0 runs the setup
 * alone, for subtracting it (kernel instructions counted from outside). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void die(const char *what)
{
    fprintf(stderr, "proc-bench: %s: %s\n", what, strerror(errno));
    exit(1);
}

static long long now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void reap(pid_t pid, int want_exit)
{
    int st;
    pid_t r;
    do
        r = waitpid(pid, &st, 0);
    while (r < 0 && errno == EINTR);
    if (r != pid)
        die("waitpid");
    if (!WIFEXITED(st) || WEXITSTATUS(st) != want_exit) {
        fprintf(stderr, "proc-bench: child ended with status %#x\n", st);
        exit(1);
    }
}

static void read_full(int fd, void *buf, size_t len)
{
    char *p = buf;
    while (len) {
        ssize_t n = read(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            die("read");
        p += n;
        len -= n;
    }
}

static void write_full(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            die("write");
        p += n;
        len -= n;
    }
}

static void pin_to_cpu0(void)
{
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(0, &one);
    sched_setaffinity(0, sizeof one, &one); /* the guest has one vCPU anyway */
}

static long long bench_fork(long n)
{
    long long t0 = now_ns();
    for (long i = 0; i < n; i++) {
        pid_t pid = fork();
        if (pid < 0)
            die("fork");
        if (pid == 0)
            _exit(0);
        reap(pid, 0);
    }
    return now_ns() - t0;
}

static long long bench_forkexec(long n)
{
    char *argv[] = {"true", NULL};
    char *envp[] = {NULL};
    long long t0 = now_ns();
    for (long i = 0; i < n; i++) {
        pid_t pid = fork();
        if (pid < 0)
            die("fork");
        if (pid == 0) {
            execve("/bin/busybox", argv, envp);
            _exit(127);
        }
        reap(pid, 0);
    }
    return now_ns() - t0;
}

static long long bench_pingpong(long n)
{
    int there[2], back[2];
    if (pipe(there) || pipe(back))
        die("pipe");
    pid_t pid = fork();
    if (pid < 0)
        die("fork");
    if (pid == 0) {
        char c;
        for (long i = 0; i < n; i++) {
            read_full(there[0], &c, 1);
            write_full(back[1], &c, 1);
        }
        _exit(0);
    }
    char c = 'x';
    long long t0 = now_ns();
    for (long i = 0; i < n; i++) {
        write_full(there[1], &c, 1);
        read_full(back[0], &c, 1);
    }
    long long t = now_ns() - t0;
    reap(pid, 0);
    return t;
}

#define CHUNK (64 * 1024)

static long long bench_pipe(long n)
{
    int p[2], ready[2];
    if (pipe(p) || pipe(ready))
        die("pipe");
    pid_t pid = fork();
    if (pid < 0)
        die("fork");
    static char buf[CHUNK];
    if (pid == 0) {
        close(p[1]);
        write_full(ready[1], "r", 1);
        long long total = 0;
        ssize_t r;
        while ((r = read(p[0], buf, sizeof buf)) > 0)
            total += r;
        _exit(total == (long long)n * CHUNK ? 0 : 3);
    }
    close(p[0]);
    memset(buf, 'p', sizeof buf);
    char c;
    read_full(ready[0], &c, 1);
    long long t0 = now_ns();
    for (long i = 0; i < n; i++)
        write_full(p[1], buf, sizeof buf);
    close(p[1]);
    reap(pid, 0); /* the reader has read everything */
    return now_ns() - t0;
}

static long long bench_yield(long n)
{
    pin_to_cpu0();
    int ready[2], go[2];
    if (pipe(ready) || pipe(go))
        die("pipe");
    pid_t pid = fork();
    if (pid < 0)
        die("fork");
    if (pid == 0) {
        char c;
        write_full(ready[1], "r", 1);
        read_full(go[0], &c, 1);
        for (long i = 0; i < n; i++)
            sched_yield();
        _exit(0);
    }
    char c;
    read_full(ready[0], &c, 1);
    long long t0 = now_ns();
    write_full(go[1], "g", 1);
    for (long i = 0; i < n; i++)
        sched_yield();
    reap(pid, 0);
    return now_ns() - t0;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: proc-bench fork|forkexec|pingpong|pipe|yield N\n");
        return 1;
    }
    char *end;
    long n = strtol(argv[2], &end, 10);
    if (*end || n < 0) {
        fprintf(stderr, "proc-bench: bad count %s\n", argv[2]);
        return 1;
    }
    signal(SIGPIPE, SIG_IGN);
    long long t;
    if (strcmp(argv[1], "fork") == 0)
        t = bench_fork(n);
    else if (strcmp(argv[1], "forkexec") == 0)
        t = bench_forkexec(n);
    else if (strcmp(argv[1], "pingpong") == 0)
        t = bench_pingpong(n);
    else if (strcmp(argv[1], "pipe") == 0)
        t = bench_pipe(n);
    else if (strcmp(argv[1], "yield") == 0)
        t = bench_yield(n);
    else {
        fprintf(stderr, "proc-bench: unknown benchmark %s\n", argv[1]);
        return 1;
    }
    printf("ops %ld\nelapsed_ns %lld\n", n, t);
    return 0;
}
