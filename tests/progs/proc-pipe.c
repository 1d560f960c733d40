/* Pipes between processes (tests/process.rs: the same lines natively and
 * in lstar): EOF on the last writer, SIGPIPE/EPIPE on the last reader,
 * PIPE_BUF atomicity with several writers, FIONREAD, F_GETPIPE_SZ,
 * O_NONBLOCK, poll and select. */
#include "proc.h"
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/select.h>

#ifndef F_GETPIPE_SZ
#define F_GETPIPE_SZ 1032
#endif

static void eof_on_last_writer(void)
{
    section("EOF when the last writer closes");
    int p[2];
    CHECK(pipe(p) == 0);
    pid_t kids[2];
    for (int i = 0; i < 2; i++) {
        kids[i] = fork();
        CHECK(kids[i] >= 0);
        if (kids[i] == 0) {
            close(p[0]);
            if (i == 1)
                sleep_ms(50); /* the reader must wait for this one too */
            char line[32];
            int n = snprintf(line, sizeof line, "writer %d\n", i);
            CHECK(write(p[1], line, n) == n);
            _exit(0);
        }
    }
    close(p[1]);
    char buf[128];
    size_t total = 0;
    ssize_t n;
    int reads_before_eof = 0;
    while ((n = read(p[0], buf + total, sizeof buf - total)) > 0) {
        total += n;
        reads_before_eof++;
    }
    buf[total] = 0;
    int has0 = strstr(buf, "writer 0\n") != NULL, has1 = strstr(buf, "writer 1\n") != NULL;
    printf("read until EOF: %zu bytes, both lines %s, last read %zd\n", total, yes(has0 && has1), n);
    printf("read again at EOF: %s\n", RET(read(p[0], buf, 1)));
    for (int i = 0; i < 2; i++)
        wait_for(kids[i]);
    close(p[0]);

    /* A reader blocked in read() wakes with EOF when the writer exits
     * without writing. */
    CHECK(pipe(p) == 0);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        close(p[0]);
        sleep_ms(30);
        _exit(0);
    }
    close(p[1]);
    printf("blocked read, writer exits silently: %s\n", RET(read(p[0], buf, 1)));
    wait_for(pid);
    close(p[0]);
}

static int sigpipe_seen;
static void on_sigpipe(int s) { sigpipe_seen = s; }

static void sigpipe_and_epipe(void)
{
    section("SIGPIPE and EPIPE");
    int p[2];
    /* Default action: the writer dies of SIGPIPE. */
    CHECK(pipe(p) == 0);
    close(p[0]);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        signal(SIGPIPE, SIG_DFL);
        write(p[1], "x", 1);
        _exit(0);
    }
    printf("write with no reader, SIGPIPE default: %s\n", status_str(wait_for(pid)));
    /* Ignored: EPIPE. */
    signal(SIGPIPE, SIG_IGN);
    printf("write with no reader, SIGPIPE ignored: %s\n", RET(write(p[1], "x", 1)));
    /* Handled: the handler runs, then EPIPE. */
    signal(SIGPIPE, on_sigpipe);
    errno = 0;
    ssize_t r = write(p[1], "x", 1);
    printf("write with no reader, SIGPIPE handled: %s, handler got %s\n", ret_str(r, errno),
           signame(sigpipe_seen));
    /* Blocked: EPIPE, and SIGPIPE stays pending. */
    sigset_t set, old, pending;
    sigemptyset(&set);
    sigaddset(&set, SIGPIPE);
    sigprocmask(SIG_BLOCK, &set, &old);
    sigpipe_seen = 0;
    printf("write with no reader, SIGPIPE blocked: %s", RET(write(p[1], "x", 1)));
    sigpending(&pending);
    printf(", pending %s", yes(sigismember(&pending, SIGPIPE)));
    sigprocmask(SIG_SETMASK, &old, NULL);
    printf(", handler after unblocking %s\n", signame(sigpipe_seen));
    close(p[1]);
    signal(SIGPIPE, SIG_DFL);

    /* A writer blocked on a full pipe gets EPIPE when the reader goes. */
    CHECK(pipe(p) == 0);
    pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        signal(SIGPIPE, SIG_IGN);
        close(p[0]);
        static char chunk[4096];
        long total = 0;
        for (;;) {
            ssize_t n = write(p[1], chunk, sizeof chunk);
            if (n < 0)
                _exit(errno == EPIPE && total == 65536 ? 0 : 1);
            total += n;
        }
    }
    close(p[1]);
    /* Wait until the pipe is full (64 KiB) before closing the reader. */
    int avail = 0;
    for (int i = 0; i < 2000 && avail < 65536; i++) {
        sleep_ms(5);
        CHECK(ioctl(p[0], FIONREAD, &avail) == 0);
    }
    printf("writer filled the pipe: %d bytes\n", avail);
    close(p[0]);
    printf("blocked writer when the reader closes (exit 0 = EPIPE after 64 KiB): %s\n",
           status_str(wait_for(pid)));

    /* busybox: `yes | head -n 2`: yes dies of SIGPIPE, quietly. */
    CHECK(pipe(p) == 0);
    pid_t yes_pid = fork();
    CHECK(yes_pid >= 0);
    if (yes_pid == 0) {
        dup2(p[1], 1);
        close(p[0]);
        close(p[1]);
        execl("/bin/busybox", "yes", "y", (char *)NULL);
        _exit(127);
    }
    pid_t head_pid = fork();
    CHECK(head_pid >= 0);
    if (head_pid == 0) {
        dup2(p[0], 0);
        close(p[0]);
        close(p[1]);
        execl("/bin/busybox", "head", "-n", "2", (char *)NULL);
        _exit(127);
    }
    close(p[0]);
    close(p[1]);
    int head_st = wait_for(head_pid);
    printf("busybox yes | head -n 2: head %s, ", status_str(head_st));
    printf("yes %s\n", status_str(wait_for(yes_pid)));
}

#define WRITERS 4
#define RECORDS 48
#define RECORD 4096 /* PIPE_BUF */

static void atomicity(void)
{
    section("PIPE_BUF atomicity");
    printf("PIPE_BUF %d\n", (int)PIPE_BUF);
    int p[2];
    CHECK(pipe(p) == 0);
    pid_t kids[WRITERS];
    for (int w = 0; w < WRITERS; w++) {
        kids[w] = fork();
        CHECK(kids[w] >= 0);
        if (kids[w] == 0) {
            close(p[0]);
            static unsigned char rec[RECORD];
            for (int i = 0; i < RECORDS; i++) {
                memset(rec, 'A' + w, sizeof rec);
                rec[0] = (unsigned char)w;
                rec[1] = (unsigned char)i;
                CHECK(write(p[1], rec, sizeof rec) == sizeof rec);
                if (i % 8 == 0)
                    sched_yield();
            }
            _exit(0);
        }
    }
    close(p[1]);
    static unsigned char all[WRITERS * RECORDS * RECORD + 1];
    size_t total = 0;
    ssize_t n;
    /* Odd-sized reads, so that record edges fall inside reads. */
    while ((n = read(p[0], all + total, total + 1000 <= sizeof all ? 1000 : sizeof all - total)) > 0)
        total += n;
    close(p[0]);
    int torn = 0, out_of_order = 0, next[WRITERS] = {0};
    for (size_t off = 0; off + RECORD <= total; off += RECORD) {
        unsigned char *r = all + off;
        int w = r[0];
        if (w >= WRITERS) {
            torn++;
            continue;
        }
        for (int k = 2; k < RECORD; k++)
            if (r[k] != 'A' + w) {
                torn++;
                break;
            }
        if (r[1] != next[w])
            out_of_order++;
        next[w] = r[1] + 1;
    }
    int complete = 1;
    for (int w = 0; w < WRITERS; w++) {
        complete &= next[w] == RECORDS;
        wait_for(kids[w]);
    }
    printf("%d writers x %d records of %d bytes: read %zu bytes, torn records %d, out of order %d, "
           "all complete %s\n",
           WRITERS, RECORDS, RECORD, total, torn, out_of_order, yes(complete));
}

static void sizes_and_nonblock(void)
{
    section("FIONREAD, F_GETPIPE_SZ, O_NONBLOCK");
    int p[2];
    CHECK(pipe(p) == 0);
    int avail = -1;
    ioctl(p[0], FIONREAD, &avail);
    printf("FIONREAD empty: %d\n", avail);
    CHECK(write(p[1], "0123456789", 10) == 10);
    ioctl(p[0], FIONREAD, &avail);
    printf("FIONREAD after 10 bytes: %d\n", avail);
    ioctl(p[1], FIONREAD, &avail);
    printf("FIONREAD on the write end: %d\n", avail);
    char buf[8];
    CHECK(read(p[0], buf, 4) == 4);
    ioctl(p[0], FIONREAD, &avail);
    printf("FIONREAD after reading 4: %d\n", avail);
    printf("F_GETPIPE_SZ: read end %s, ", RET(fcntl(p[0], F_GETPIPE_SZ)));
    printf("write end %s\n", RET(fcntl(p[1], F_GETPIPE_SZ)));
    printf("lseek on a pipe: %s\n", RET(lseek(p[0], 0, SEEK_SET)));
    printf("read from the write end: %s\n", RET(read(p[1], buf, 1)));
    printf("write to the read end: %s\n", RET(write(p[0], "x", 1)));
    struct stat st;
    CHECK(fstat(p[0], &st) == 0);
    printf("fstat: S_ISFIFO %s, size %lld\n", yes(S_ISFIFO(st.st_mode)), (long long)st.st_size);
    close(p[0]);
    close(p[1]);

    CHECK(pipe2(p, O_NONBLOCK) == 0);
    printf("pipe2(O_NONBLOCK) flags: read end O_NONBLOCK %s, write end %s\n",
           yes(fcntl(p[0], F_GETFL) & O_NONBLOCK), yes(fcntl(p[1], F_GETFL) & O_NONBLOCK));
    printf("read, empty, writer open: %s\n", RET(read(p[0], buf, 1)));
    static char chunk[4096];
    long total = 0;
    ssize_t n;
    int writes = 0;
    while ((n = write(p[1], chunk, sizeof chunk)) > 0) {
        total += n;
        writes++;
    }
    printf("4 KiB writes until full: %d writes, %ld bytes, then %s\n", writes, total,
           ret_str(n, errno));
    printf("1-byte write to the full pipe: %s\n", RET(write(p[1], "x", 1)));
    CHECK(read(p[0], chunk, 100) == 100);
    printf("after reading 100 bytes, a 4 KiB write: %s\n", RET(write(p[1], chunk, sizeof chunk)));
    close(p[1]);
    total = 0;
    while ((n = read(p[0], chunk, sizeof chunk)) > 0)
        total += n;
    printf("drained %ld bytes, then %s\n", total, ret_str(n, errno));
    close(p[0]);

    /* O_NONBLOCK set later with F_SETFL, on the read end only. */
    CHECK(pipe(p) == 0);
    CHECK(fcntl(p[0], F_SETFL, O_NONBLOCK) == 0);
    printf("F_SETFL O_NONBLOCK, empty read: %s\n", RET(read(p[0], buf, 1)));
    close(p[0]);
    close(p[1]);
}

static const char *revents(short r)
{
    static char buf[80];
    buf[0] = 0;
    if (r & POLLIN) strcat(buf, "IN ");
    if (r & POLLOUT) strcat(buf, "OUT ");
    if (r & POLLHUP) strcat(buf, "HUP ");
    if (r & POLLERR) strcat(buf, "ERR ");
    if (r & POLLNVAL) strcat(buf, "NVAL ");
    if (!buf[0])
        return "none";
    buf[strlen(buf) - 1] = 0;
    return buf;
}

static short poll1(int fd, short events, int timeout)
{
    struct pollfd pfd = {fd, events, 0};
    int r = poll(&pfd, 1, timeout);
    CHECK(r >= 0);
    return pfd.revents;
}

static void poll_and_select(void)
{
    section("poll and select");
    int p[2];
    CHECK(pipe(p) == 0);
    printf("empty: read end %s, ", revents(poll1(p[0], POLLIN | POLLOUT, 0)));
    printf("write end %s\n", revents(poll1(p[1], POLLIN | POLLOUT, 0)));
    CHECK(write(p[1], "ab", 2) == 2);
    printf("2 bytes in: read end %s\n", revents(poll1(p[0], POLLIN, 0)));
    close(p[1]);
    printf("writer closed, data left: %s\n", revents(poll1(p[0], POLLIN, 0)));
    char buf[4];
    CHECK(read(p[0], buf, 2) == 2);
    printf("writer closed, drained: %s\n", revents(poll1(p[0], POLLIN, 0)));
    close(p[0]);
    CHECK(pipe(p) == 0);
    close(p[0]);
    printf("reader closed: write end %s\n", revents(poll1(p[1], POLLOUT, 0)));
    close(p[1]);
    printf("a closed fd: %s\n", revents(poll1(p[1], POLLIN, 0)));

    /* poll blocks until another process writes. */
    CHECK(pipe(p) == 0);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        sleep_ms(30);
        CHECK(write(p[1], "z", 1) == 1);
        _exit(0);
    }
    printf("poll(-1) woken by a child's write: %s\n", revents(poll1(p[0], POLLIN, -1)));
    wait_for(pid);
    CHECK(read(p[0], buf, 1) == 1);
    printf("poll with a 20 ms timeout, nothing written: %s\n", revents(poll1(p[0], POLLIN, 20)));

    /* select on the same pipe. */
    fd_set r, w;
    FD_ZERO(&r);
    FD_ZERO(&w);
    FD_SET(p[0], &r);
    FD_SET(p[1], &w);
    struct timeval tv = {0, 0};
    int n = select(p[1] + 1, &r, &w, NULL, &tv);
    printf("select empty: %d ready, read %s, write %s\n", n, yes(FD_ISSET(p[0], &r)),
           yes(FD_ISSET(p[1], &w)));
    pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        sleep_ms(30);
        CHECK(write(p[1], "z", 1) == 1);
        _exit(0);
    }
    FD_ZERO(&r);
    FD_SET(p[0], &r);
    n = select(p[0] + 1, &r, NULL, NULL, NULL);
    printf("select(NULL timeout) woken by a child's write: %d ready, read %s\n", n,
           yes(FD_ISSET(p[0], &r)));
    wait_for(pid);
    close(p[0]);
    close(p[1]);
}

static void busybox_pipeline(void)
{
    section("a pipeline of execs");
    /* seq 1 1000 | wc -l, made by hand: two children, two execs. */
    int p[2], out[2];
    CHECK(pipe(p) == 0 && pipe(out) == 0);
    pid_t a = fork();
    CHECK(a >= 0);
    if (a == 0) {
        dup2(p[1], 1);
        close(p[0]);
        close(p[1]);
        close(out[0]);
        close(out[1]);
        execl("/bin/busybox", "seq", "1", "1000", (char *)NULL);
        _exit(127);
    }
    pid_t b = fork();
    CHECK(b >= 0);
    if (b == 0) {
        dup2(p[0], 0);
        dup2(out[1], 1);
        close(p[0]);
        close(p[1]);
        close(out[0]);
        close(out[1]);
        execl("/bin/busybox", "wc", "-l", (char *)NULL);
        _exit(127);
    }
    close(p[0]);
    close(p[1]);
    close(out[1]);
    char buf[64];
    ssize_t n = read(out[0], buf, sizeof buf - 1);
    CHECK(n > 0);
    buf[n] = 0;
    close(out[0]);
    printf("seq 1 1000 | wc -l: %s", buf);
    printf("seq: %s, ", status_str(wait_for(a)));
    printf("wc: %s\n", status_str(wait_for(b)));
}

int main(void)
{
    proc_init();
    eof_on_last_writer();
    sigpipe_and_epipe();
    atomicity();
    sizes_and_nonblock();
    poll_and_select();
    busybox_pipeline();
    printf("done\n");
    return 0;
}
