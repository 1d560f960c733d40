/* Timers the scheduler keeps track of (tests/process.rs: the same lines
 * natively and in lstar): deadlines that go away early (a poll or sleep
 * ended by its event or a signal) must not hide later ones, a shorter
 * sleep set after a longer one ends first, a cancelled alarm leaves no
 * SIGALRM and a new one still comes, an interval timer keeps ticking
 * while its process spins in user mode, and a sleeper beside a spinner
 * wakes. Only orders and lower bounds are printed ("slept at least N
 * ms"), never how long anything took. */
#include "proc.h"
#include <poll.h>
#include <sys/select.h>
#include <sys/time.h>

static long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static volatile sig_atomic_t ticks;
static void on_tick(int sig)
{
    (void)sig;
    ticks++;
}

/* A poll with a long timeout ends early on data; a short sleep after it
 * still ends (its deadline is earlier than the one that went away). */
static void early_end_then_short_sleep(void)
{
    section("a deadline that goes away early");
    int p[2];
    CHECK(pipe(p) == 0);
    pid_t child = fork();
    CHECK(child >= 0);
    if (child == 0) {
        sleep_ms(20);
        CHECK(write(p[1], "x", 1) == 1);
        _exit(0);
    }
    struct pollfd fd = {p[0], POLLIN, 0};
    printf("poll(5 s) on a pipe a child writes to: %s\n", RET(poll(&fd, 1, 5000)));
    printf("child: %s\n", status_str(wait_for(child)));
    long t0 = now_ms();
    sleep_ms(30);
    printf("then nanosleep(30 ms) slept at least 30 ms: %s\n", yes(now_ms() - t0 >= 30));
    t0 = now_ms();
    fd.events = POLLIN;
    char c;
    CHECK(read(p[0], &c, 1) == 1);
    printf("poll(40 ms) on the empty pipe: %s", RET(poll(&fd, 1, 40)));
    printf(", at least 40 ms: %s\n", yes(now_ms() - t0 >= 40));
    struct timeval tv = {0, 25000};
    fd_set set;
    FD_ZERO(&set);
    FD_SET(p[0], &set);
    t0 = now_ms();
    printf("select(25 ms): %s", RET(select(p[0] + 1, &set, NULL, NULL, &tv)));
    printf(", at least 25 ms: %s\n", yes(now_ms() - t0 >= 25));
    close(p[0]);
    close(p[1]);
}

/* Two sleepers: the later one asks for the shorter sleep and is done
 * first. */
static void shorter_sleep_set_later(void)
{
    section("a shorter sleep set after a longer one");
    int p[2];
    CHECK(pipe(p) == 0);
    const long ms[2] = {600, 30};
    const char *name[2] = {"600 ms", "30 ms"};
    pid_t kids[2];
    for (int i = 0; i < 2; i++) {
        int ready[2];
        CHECK(pipe(ready) == 0);
        kids[i] = fork();
        CHECK(kids[i] >= 0);
        if (kids[i] == 0) {
            close(p[0]);
            ready_signal(ready);
            sleep_ms(ms[i]);
            CHECK(write(p[1], i ? "s" : "l", 1) == 1);
            _exit(0);
        }
        /* The first one sleeps before the second is forked. */
        ready_wait(ready);
        close(ready[0]);
        close(ready[1]);
    }
    close(p[1]);
    char order[3] = {0};
    CHECK(read(p[0], &order[0], 1) == 1);
    CHECK(read(p[0], &order[1], 1) == 1);
    printf("first awake: the %s sleeper, then the %s one\n", name[order[0] == 's'],
           name[order[1] == 's']);
    for (int i = 0; i < 2; i++)
        printf("sleeper %d: %s\n", i, status_str(wait_for(kids[i])));
    close(p[0]);
}

/* alarm(5) cancelled by alarm(0): no SIGALRM from it; a 30 ms timer set
 * afterwards comes, and an interval timer ticks while the process spins
 * without a system call. */
static void alarms(void)
{
    section("alarms");
    sigset_t alrm, old;
    sigemptyset(&alrm);
    sigaddset(&alrm, SIGALRM);
    CHECK(sigprocmask(SIG_BLOCK, &alrm, &old) == 0);
    alarm(5);
    printf("alarm(0) after alarm(5) returns %u\n", alarm(0));
    struct itimerval it = {{0, 0}, {0, 30000}};
    long t0 = now_ms();
    CHECK(setitimer(ITIMER_REAL, &it, NULL) == 0);
    int sig = 0;
    CHECK(sigwait(&alrm, &sig) == 0);
    printf("sigwait: %s after at least 30 ms: %s\n", signame(sig), yes(now_ms() - t0 >= 30));
    sigset_t pending;
    sigpending(&pending);
    printf("another SIGALRM pending: %s\n", yes(sigismember(&pending, SIGALRM)));
    CHECK(sigprocmask(SIG_SETMASK, &old, NULL) == 0);

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_tick;
    CHECK(sigaction(SIGALRM, &sa, NULL) == 0);
    struct itimerval every = {{0, 5000}, {0, 5000}};
    ticks = 0;
    CHECK(setitimer(ITIMER_REAL, &every, NULL) == 0);
    while (ticks < 5) {
    }
    struct itimerval off = {{0, 0}, {0, 0}};
    CHECK(setitimer(ITIMER_REAL, &off, NULL) == 0);
    printf("a 5 ms interval timer ticked 5 times while the process spun\n");
    signal(SIGALRM, SIG_DFL);
}

/* A sleeper wakes while a spinner has the CPU, several times. */
static void sleeper_beside_spinner(void)
{
    section("a sleeper beside a spinner");
    pid_t spinner = fork();
    CHECK(spinner >= 0);
    if (spinner == 0)
        for (;;) {
        }
    int ok = 1;
    for (int i = 0; i < 4; i++) {
        long t0 = now_ms();
        sleep_ms(15);
        ok &= now_ms() - t0 >= 15;
    }
    printf("4 sleeps of 15 ms, each at least 15 ms: %s\n", yes(ok));
    CHECK(kill(spinner, SIGKILL) == 0);
    printf("spinner: %s\n", status_str(wait_for(spinner)));
}

int main(void)
{
    proc_init();
    early_end_then_short_sleep();
    shorter_sleep_set_later();
    alarms();
    sleeper_beside_spinner();
    printf("done\n");
    return 0;
}
