/* Threads and futexes, printed deterministically: the same text natively
 * and in lstar (tests/threads.rs). */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* <linux/futex.h> is not in musl-gcc's include path. */
#define FUTEX_WAIT_PRIVATE 128
#define FUTEX_WAKE_PRIVATE 129
#define FUTEX_CMP_REQUEUE_PRIVATE (4 | 128)
#define FUTEX_WAKE_OP_PRIVATE (5 | 128)
#define FUTEX_WAIT_BITSET_PRIVATE (9 | 128)
#define FUTEX_WAKE_BITSET_PRIVATE (10 | 128)
#define FUTEX_BITSET_MATCH_ANY 0xffffffffu
#define FUTEX_OP_ADD 1
#define FUTEX_OP_CMP_EQ 0
#define FUTEX_OP(op, oparg, cmp, cmparg) \
    ((((op) & 0xf) << 28) | (((cmp) & 0xf) << 24) | (((oparg) & 0xfff) << 12) | ((cmparg) & 0xfff))

static long futex(uint32_t *uaddr, int op, uint32_t val, const struct timespec *t, uint32_t *uaddr2, uint32_t val3) {
    return syscall(SYS_futex, uaddr, op, val, t, uaddr2, val3);
}

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static long counter;
static int arrived;
static __thread int tls_value = 42;

static void *worker(void *arg) {
    long id = (long)arg;
    tls_value = (int)id;
    for (int i = 0; i < 20000; i++) {
        pthread_mutex_lock(&lock);
        counter++;
        pthread_mutex_unlock(&lock);
    }
    pthread_mutex_lock(&lock);
    arrived++;
    pthread_cond_broadcast(&cond);
    pthread_mutex_unlock(&lock);
    sched_yield();
    return (void *)(id * 100 + (tls_value == id));
}

static uint32_t word;
static atomic_int woken;

/* The waiters of one round, by thread id, as each announces itself just
 * before its FUTEX_WAIT: after that it can block nowhere else. */
#define MAX_SLEEPERS 4
static atomic_int announced;
static atomic_int sleeper_tid[MAX_SLEEPERS];

static void announce(void) {
    int i = atomic_fetch_add(&announced, 1);
    if (i < MAX_SLEEPERS) atomic_store(&sleeper_tid[i], (int)syscall(SYS_gettid));
}

static void *waiter(void *arg) {
    (void)arg;
    announce();
    long r = futex(&word, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
    if (r == 0) atomic_fetch_add(&woken, 1);
    return NULL;
}

static uint32_t word2;

static void *bitset_waiter(void *arg) {
    uint32_t bits = (uint32_t)(uintptr_t)arg;
    announce();
    if (futex(&word2, FUTEX_WAIT_BITSET_PRIVATE, 0, NULL, NULL, bits) == 0) atomic_fetch_add(&woken, 1);
    return NULL;
}

static void nap_ms(long ms) {
    struct timespec t = {ms / 1000, (ms % 1000) * 1000 * 1000};
    nanosleep(&t, NULL);
}

static double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* The state letter of thread TID (/proc/TID/stat, after the name), or 0. */
static char thread_state(int tid) {
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%d/stat", tid);
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    char *paren = strrchr(buf, ')');
    return paren && paren[1] == ' ' ? paren[2] : 0;
}

/* Returns once n waiters sleep in their FUTEX_WAIT: each has announced
 * itself, then its state is S. A wake sent before a waiter got there would
 * find nobody, and that waiter would sleep forever (a fixed nap was not
 * enough on a loaded machine: the native run hung until the test's
 * timeout). After 10 s it fails loudly instead. */
static void wait_sleepers(int n) {
    double deadline = now_s() + 10;
    for (int i = 0; i < n; i++) {
        int tid;
        while (atomic_load(&announced) <= i || (tid = atomic_load(&sleeper_tid[i])) == 0 || thread_state(tid) != 'S') {
            if (now_s() > deadline) {
                printf("FAIL: waiter %d of %d never slept in FUTEX_WAIT\n", i + 1, n);
                exit(2);
            }
            nap_ms(1);
        }
    }
    atomic_store(&announced, 0);
    for (int i = 0; i < MAX_SLEEPERS; i++) atomic_store(&sleeper_tid[i], 0);
}

static void futex_ops(void) {
    /* EAGAIN when the word differs; ETIMEDOUT after a relative timeout. */
    uint32_t w = 1;
    printf("wait on changed word: %s\n", futex(&w, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0) == -1 && errno == EAGAIN ? "EAGAIN" : "?");
    struct timespec t = {0, 30 * 1000 * 1000};
    printf("relative timeout: %s\n", futex(&w, FUTEX_WAIT_PRIVATE, 1, &t, NULL, 0) == -1 && errno == ETIMEDOUT ? "ETIMEDOUT" : "?");
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    now.tv_nsec += 20 * 1000 * 1000;
    if (now.tv_nsec >= 1000000000) { now.tv_sec++; now.tv_nsec -= 1000000000; }
    printf("absolute timeout: %s\n", futex(&w, FUTEX_WAIT_BITSET_PRIVATE, 1, &now, NULL, FUTEX_BITSET_MATCH_ANY) == -1 && errno == ETIMEDOUT ? "ETIMEDOUT" : "?");
    printf("wake with nobody waiting: %ld\n", futex(&w, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0));

    /* WAKE wakes at most n. */
    pthread_t t3[3];
    for (int i = 0; i < 3; i++) pthread_create(&t3[i], NULL, waiter, NULL);
    wait_sleepers(3);
    long a = futex(&word, FUTEX_WAKE_PRIVATE, 2, NULL, NULL, 0);
    long b = futex(&word, FUTEX_WAKE_PRIVATE, 10, NULL, NULL, 0);
    for (int i = 0; i < 3; i++) pthread_join(t3[i], NULL);
    printf("wake 2 then 10: %ld %ld, woken %d\n", a, b, atomic_load(&woken));

    /* WAKE_BITSET wakes only matching waiters. */
    atomic_store(&woken, 0);
    pthread_t tb[2];
    pthread_create(&tb[0], NULL, bitset_waiter, (void *)1);
    pthread_create(&tb[1], NULL, bitset_waiter, (void *)2);
    wait_sleepers(2);
    long c = futex(&word2, FUTEX_WAKE_BITSET_PRIVATE, 10, NULL, NULL, 2);
    long d = futex(&word2, FUTEX_WAKE_BITSET_PRIVATE, 10, NULL, NULL, 1);
    for (int i = 0; i < 2; i++) pthread_join(tb[i], NULL);
    printf("wake bitset 2 then 1: %ld %ld\n", c, d);

    /* CMP_REQUEUE moves waiters to another word; EAGAIN if val3 differs. */
    atomic_store(&woken, 0);
    word = 0;
    for (int i = 0; i < 3; i++) pthread_create(&t3[i], NULL, waiter, NULL);
    wait_sleepers(3);
    uint32_t other = 0;
    printf("cmp_requeue wrong value: %s\n", futex(&word, FUTEX_CMP_REQUEUE_PRIVATE, 0, (void *)2, &other, 5) == -1 && errno == EAGAIN ? "EAGAIN" : "?");
    long e = futex(&word, FUTEX_CMP_REQUEUE_PRIVATE, 1, (void *)2, &other, 0);
    long f = futex(&other, FUTEX_WAKE_PRIVATE, 10, NULL, NULL, 0);
    for (int i = 0; i < 3; i++) pthread_join(t3[i], NULL);
    printf("cmp_requeue 1+2, then wake on the other word: %ld %ld\n", e, f);

    /* WAKE_OP: word2 += 1 (old 0 == 0), wakes on both. */
    word2 = 0;
    uint32_t op = FUTEX_OP(FUTEX_OP_ADD, 1, FUTEX_OP_CMP_EQ, 0);
    long g = futex(&word, FUTEX_WAKE_OP_PRIVATE, 1, (void *)1, &word2, op);
    printf("wake_op: %ld, second word now %u\n", g, word2);
}

static void *exits_group(void *arg) {
    (void)arg;
    struct timespec t = {0, 10 * 1000 * 1000};
    nanosleep(&t, NULL);
    exit(7); /* exit_group: every thread ends */
}

static void *execs(void *arg) {
    char *argv[] = {(char *)arg, "after-exec", NULL};
    execv("/proc/self/exe", argv);
    return NULL;
}

static void *sleeps_forever(void *arg) {
    (void)arg;
    for (;;) pause();
    return NULL;
}

static pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
static pthread_barrier_t barrier;
static atomic_int readers_in, max_readers, detached_done;
static double readers_deadline;

static void *reader(void *arg) {
    (void)arg;
    pthread_barrier_wait(&barrier);
    pthread_rwlock_rdlock(&rw);
    int now = atomic_fetch_add(&readers_in, 1) + 1;
    int seen = atomic_load(&max_readers);
    while (now > seen && !atomic_compare_exchange_weak(&max_readers, &seen, now)) {
    }
    /* Hold the read lock until two readers were in at once: a fixed nap
     * let a starved reader arrive after the others had left. A lock that
     * admits one reader at a time shows 0 after the deadline. */
    while (atomic_load(&max_readers) < 2 && now_s() < readers_deadline) nap_ms(1);
    atomic_fetch_sub(&readers_in, 1);
    pthread_rwlock_unlock(&rw);
    return NULL;
}

static void *detached(void *arg) {
    (void)arg;
    atomic_store(&detached_done, 1);
    return NULL;
}

static void *cancellable(void *arg) {
    (void)arg;
    for (;;) {
        struct timespec t = {0, 1000 * 1000};
        nanosleep(&t, NULL); /* a cancellation point */
    }
    return NULL;
}

static void more_pthreads(void) {
    /* Readers share an rwlock; a barrier starts them together. */
    readers_deadline = now_s() + 5;
    pthread_barrier_init(&barrier, NULL, 4);
    pthread_t r[4];
    for (int i = 0; i < 4; i++) pthread_create(&r[i], NULL, reader, NULL);
    for (int i = 0; i < 4; i++) pthread_join(r[i], NULL);
    pthread_barrier_destroy(&barrier);
    pthread_rwlock_wrlock(&rw);
    printf("rwlock: readers overlapped %d, writer got it after them\n", atomic_load(&max_readers) > 1);
    pthread_rwlock_unlock(&rw);

    /* A detached thread runs and goes by itself. */
    pthread_t d;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_create(&d, &attr, detached, NULL);
    while (!atomic_load(&detached_done)) sched_yield();
    printf("detached thread ran\n");

    /* pthread_cancel at a cancellation point. */
    pthread_t c;
    pthread_create(&c, NULL, cancellable, NULL);
    struct timespec t = {0, 10 * 1000 * 1000};
    nanosleep(&t, NULL);
    pthread_cancel(c);
    void *res;
    pthread_join(c, &res);
    printf("cancelled thread: %s\n", res == PTHREAD_CANCELED ? "PTHREAD_CANCELED" : "?");
}

static void *robust_owner(void *arg) {
    pthread_mutex_t *m = arg;
    pthread_mutex_lock(m);
    return NULL; /* dies holding it */
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IONBF, 0);
    if (argc > 1 && strcmp(argv[1], "after-exec") == 0) {
        printf("exec from a thread: new program runs alone, pid kept: %d\n", getpid() == (pid_t)syscall(SYS_gettid));
        return 0;
    }
    pthread_t t[8];
    for (long i = 0; i < 8; i++) pthread_create(&t[i], NULL, worker, (void *)i);
    pthread_mutex_lock(&lock);
    while (arrived < 8) pthread_cond_wait(&cond, &lock);
    pthread_mutex_unlock(&lock);
    long sum = 0;
    for (int i = 0; i < 8; i++) {
        void *r;
        pthread_join(t[i], &r);
        sum += (long)r;
    }
    printf("8 threads: counter %ld, results %ld, main tls %d\n", counter, sum, tls_value);
    printf("getpid == gettid in main: %d\n", getpid() == (pid_t)syscall(SYS_gettid));

    futex_ops();
    more_pthreads();

    /* A robust mutex whose owner died: EOWNERDEAD, then consistent. */
    pthread_mutexattr_t ma;
    pthread_mutexattr_init(&ma);
    pthread_mutexattr_setrobust(&ma, PTHREAD_MUTEX_ROBUST);
    pthread_mutex_t rm;
    pthread_mutex_init(&rm, &ma);
    pthread_t o;
    pthread_create(&o, NULL, robust_owner, &rm);
    pthread_join(o, NULL);
    int r = pthread_mutex_lock(&rm);
    printf("robust mutex after owner died: %s\n", r == EOWNERDEAD ? "EOWNERDEAD" : strerror(r));
    pthread_mutex_consistent(&rm);
    pthread_mutex_unlock(&rm);

    /* exit_group from a thread ends the process with its status. */
    pid_t p = fork();
    if (p == 0) {
        pthread_t a, b;
        pthread_create(&a, NULL, sleeps_forever, NULL);
        pthread_create(&b, NULL, exits_group, NULL);
        for (;;) pause();
    }
    int st;
    waitpid(p, &st, 0);
    printf("exit from a thread: exited %d, status %d\n", WIFEXITED(st), WEXITSTATUS(st));

    /* execve from a thread: the other threads go, the new program runs. */
    p = fork();
    if (p == 0) {
        pthread_t a, b;
        pthread_create(&a, NULL, sleeps_forever, NULL);
        pthread_create(&b, NULL, execs, argv[0]);
        for (;;) pause();
    }
    waitpid(p, &st, 0);
    printf("exec'd child: exited %d, status %d\n", WIFEXITED(st), WEXITSTATUS(st));

    /* A signal to the process reaches it even with threads blocked. */
    p = fork();
    if (p == 0) {
        pthread_t a;
        pthread_create(&a, NULL, sleeps_forever, NULL);
        for (;;) pause();
    }
    kill(p, SIGTERM);
    waitpid(p, &st, 0);
    printf("SIGTERM to a threaded child: signaled %d, signal %d\n", WIFSIGNALED(st), WTERMSIG(st));
    return 0;
}
