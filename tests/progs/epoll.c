/* epoll and eventfd, printed deterministically (tests/threads.rs: the same
 * natively and in lstar). */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *err(long r) { return r < 0 ? strerror(errno) : "ok"; }

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    int p[2];
    pipe(p);
    int ep = epoll_create1(EPOLL_CLOEXEC);
    printf("epoll_create1: %s, cloexec %d\n", err(ep), (fcntl(ep, F_GETFD) & FD_CLOEXEC) != 0);
    printf("epoll_create(0): %s\n", err(epoll_create(0)));
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 0x1234};
    printf("add read end: %s\n", err(epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev)));
    printf("add again: %s\n", err(epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev)));
    printf("mod unknown fd: %s\n", err(epoll_ctl(ep, EPOLL_CTL_MOD, p[1], &ev)));
    printf("add itself: %s\n", err(epoll_ctl(ep, EPOLL_CTL_ADD, ep, &ev)));
    int f = open("/tmp/epoll-regular", O_CREAT | O_RDWR, 0644);
    printf("add a regular file: %s\n", err(epoll_ctl(ep, EPOLL_CTL_ADD, f, &ev)));
    unlink("/tmp/epoll-regular");
    struct epoll_event out[4];
    printf("nothing ready, timeout 0: %d\n", epoll_wait(ep, out, 4, 0));
    printf("maxevents 0: %s\n", err(epoll_wait(ep, out, 0, 0)));
    write(p[1], "x", 1);
    int n = epoll_wait(ep, out, 4, 0);
    printf("after a write: %d event(s), EPOLLIN %d, data %#llx\n", n, n > 0 && (out[0].events & EPOLLIN),
           n > 0 ? (unsigned long long)out[0].data.u64 : 0ULL);
    printf("level-triggered, still ready: %d\n", epoll_wait(ep, out, 4, 0));
    ev.events = EPOLLIN | EPOLLET;
    epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &ev);
    printf("edge-triggered after MOD: %d\n", epoll_wait(ep, out, 4, 0));
    printf("edge-triggered, no new data: %d\n", epoll_wait(ep, out, 4, 0));
    char c;
    read(p[0], &c, 1);
    ev.events = EPOLLIN;
    epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &ev);
    pid_t child = fork();
    if (child == 0) {
        usleep(20000);
        write(p[1], "y", 1);
        _exit(0);
    }
    n = epoll_wait(ep, out, 4, 5000);
    printf("blocking wait woken by a child's write: %d\n", n);
    waitpid(child, NULL, 0);
    read(p[0], &c, 1);
    close(p[1]);
    n = epoll_wait(ep, out, 4, 0);
    printf("writer closed: %d event(s), EPOLLHUP %d\n", n, n > 0 && (out[0].events & EPOLLHUP) != 0);
    printf("del: %s, then del again: ", err(epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL)));
    printf("%s\n", err(epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL)));

    int e = eventfd(3, EFD_NONBLOCK);
    uint64_t v = 0;
    ssize_t got = read(e, &v, 8);
    printf("eventfd read: %zd, value %llu\n", got, (unsigned long long)v);
    printf("eventfd empty, nonblocking: %s\n", err(read(e, &v, 8)));
    v = 5;
    write(e, &v, 8);
    v = 2;
    write(e, &v, 8);
    read(e, &v, 8);
    printf("two writes then a read: %llu\n", (unsigned long long)v);
    printf("short read: %s\n", err(read(e, &v, 4)));
    int s = eventfd(2, EFD_SEMAPHORE | EFD_NONBLOCK);
    read(s, &v, 8);
    printf("semaphore read: %llu\n", (unsigned long long)v);
    struct epoll_event ee = {.events = EPOLLIN | EPOLLOUT, .data.fd = s};
    epoll_ctl(ep, EPOLL_CTL_ADD, s, &ee);
    n = epoll_wait(ep, out, 4, 0);
    printf("eventfd in epoll: %d, IN %d OUT %d\n", n, n > 0 && (out[0].events & EPOLLIN) != 0,
           n > 0 && (out[0].events & EPOLLOUT) != 0);
    return 0;
}
