/* Helpers shared by the process differential programs (tests/progs/proc-*.c,
 * run by tests/process.rs natively and in lstar): printing that is the same
 * on both sides (errno and signal names, wait statuses, never pids or
 * times), and failing loudly on what must not happen.
 *
 * stdout is line buffered (each line is one write, so a parent and a child
 * never split each other's lines) and every child leaves with _exit, so no
 * stdio buffer is ever written twice. */
#ifndef PROC_H
#define PROC_H

#define _GNU_SOURCE
#define PROC_UNUSED __attribute__((unused))
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

PROC_UNUSED static const char *errname(int e)
{
    switch (e) {
    case 0: return "0";
    case EPERM: return "EPERM";
    case ENOENT: return "ENOENT";
    case ESRCH: return "ESRCH";
    case EINTR: return "EINTR";
    case EIO: return "EIO";
    case E2BIG: return "E2BIG";
    case ENOEXEC: return "ENOEXEC";
    case EBADF: return "EBADF";
    case ECHILD: return "ECHILD";
    case EAGAIN: return "EAGAIN";
    case ENOMEM: return "ENOMEM";
    case EACCES: return "EACCES";
    case EFAULT: return "EFAULT";
    case EEXIST: return "EEXIST";
    case ENOTDIR: return "ENOTDIR";
    case EISDIR: return "EISDIR";
    case EINVAL: return "EINVAL";
    case ENFILE: return "ENFILE";
    case EMFILE: return "EMFILE";
    case ENOTTY: return "ENOTTY";
    case ETXTBSY: return "ETXTBSY";
    case ESPIPE: return "ESPIPE";
    case EPIPE: return "EPIPE";
    case ENOSYS: return "ENOSYS";
    case ELOOP: return "ELOOP";
    case ENAMETOOLONG: return "ENAMETOOLONG";
    default: {
        static char buf[32];
        snprintf(buf, sizeof buf, "errno %d", e);
        return buf;
    }
    }
}

PROC_UNUSED static const char *signame(int s)
{
    static const char *names[] = {
        "0", "SIGHUP", "SIGINT", "SIGQUIT", "SIGILL", "SIGTRAP", "SIGABRT",
        "SIGBUS", "SIGFPE", "SIGKILL", "SIGUSR1", "SIGSEGV", "SIGUSR2",
        "SIGPIPE", "SIGALRM", "SIGTERM", "SIGSTKFLT", "SIGCHLD", "SIGCONT",
        "SIGSTOP", "SIGTSTP", "SIGTTIN", "SIGTTOU", "SIGURG", "SIGXCPU",
        "SIGXFSZ", "SIGVTALRM", "SIGPROF", "SIGWINCH", "SIGIO", "SIGPWR",
        "SIGSYS",
    };
    if (s >= 0 && s < (int)(sizeof names / sizeof names[0]))
        return names[s];
    static char buf[32];
    snprintf(buf, sizeof buf, "SIG%d", s);
    return buf;
}

/* Each call returns one of 8 rotating buffers, so that several results fit
 * in one printf. */
PROC_UNUSED static char *proc_buf(void)
{
    static char bufs[8][96];
    static int next;
    return bufs[next++ % 8];
}

/* A wait status as words and as the raw number. */
PROC_UNUSED static const char *status_str(int st)
{
    char *buf = proc_buf();
    const size_t size = 96;
    if (WIFEXITED(st))
        snprintf(buf, size, "exited %d (0x%04x)", WEXITSTATUS(st), st);
    else if (WIFSIGNALED(st))
        snprintf(buf, size, "killed by %s%s (0x%04x)", signame(WTERMSIG(st)),
                 WCOREDUMP(st) ? " core" : "", st);
    else if (WIFSTOPPED(st))
        snprintf(buf, size, "stopped by %s (0x%04x)", signame(WSTOPSIG(st)), st);
    else if (WIFCONTINUED(st))
        snprintf(buf, size, "continued (0x%04x)", st);
    else
        snprintf(buf, size, "unknown (0x%04x)", st);
    return buf;
}

/* -1 ENAME, or the value. */
PROC_UNUSED static const char *ret_str(long r, int e)
{
    char *buf = proc_buf();
    if (r < 0)
        snprintf(buf, 96, "-1 %s", errname(e));
    else
        snprintf(buf, 96, "%ld", r);
    return buf;
}

#define RET(expr) ({ errno = 0; long r_ = (long)(expr); ret_str(r_, errno); })

PROC_UNUSED static const char *yes(int cond) { return cond ? "yes" : "no"; }

/* Something that must not happen (a setup call failing): say where, exit 2. */
#define CHECK(cond)                                                                  \
    do {                                                                             \
        if (!(cond)) {                                                               \
            printf("FAIL %s:%d: %s (errno %s)\n", __FILE__, __LINE__, #cond,         \
                   errname(errno));                                                  \
            fflush(stdout);                                                          \
            _exit(2);                                                                \
        }                                                                            \
    } while (0)

PROC_UNUSED static void proc_init(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    /* No core files natively (and no core bit in wait statuses, which the
     * guest never sets). */
    struct rlimit no_core = {0, 0};
    setrlimit(RLIMIT_CORE, &no_core);
}

/* Every section starts with "== name", as in vfs.c. */
PROC_UNUSED static void section(const char *name) { printf("== %s\n", name); }

PROC_UNUSED static int wait_for(pid_t pid)
{
    int st;
    pid_t r;
    do
        r = waitpid(pid, &st, 0);
    while (r < 0 && errno == EINTR);
    CHECK(r == pid);
    return st;
}

PROC_UNUSED static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {
    }
}

/* A private directory under /tmp (the guest's /tmp exists and is empty),
 * made the current directory; its name is never printed. */
PROC_UNUSED static char proc_tmpdir[64];
PROC_UNUSED static void enter_tmpdir(void)
{
    strcpy(proc_tmpdir, "/tmp/proc-XXXXXX");
    CHECK(mkdtemp(proc_tmpdir) != NULL);
    CHECK(chdir(proc_tmpdir) == 0);
}

PROC_UNUSED static void write_file(const char *name, const char *text, mode_t mode)
{
    int fd = open(name, O_WRONLY | O_CREAT | O_TRUNC, mode);
    CHECK(fd >= 0);
    size_t len = strlen(text);
    CHECK(write(fd, text, len) == (ssize_t)len);
    CHECK(close(fd) == 0);
    CHECK(chmod(name, mode) == 0);
}

/* A pipe a child writes one byte to when it is ready (signal dispositions
 * set, group made...), so that the parent never guesses with a sleep. */
PROC_UNUSED static void ready_signal(int fds[2])
{
    CHECK(write(fds[1], "r", 1) == 1);
}

PROC_UNUSED static void ready_wait(int fds[2])
{
    char c;
    ssize_t n;
    do
        n = read(fds[0], &c, 1);
    while (n < 0 && errno == EINTR);
    CHECK(n == 1);
}

#endif
