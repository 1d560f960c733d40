/* Thread benchmark probe (scripts/thread-bench.sh): `c N` creates and joins
 * N threads, `f N` hands a futex word back and forth N times between two
 * threads (a contended handoff: each side sleeps in FUTEX_WAIT until the
 * other wakes it). Prints microseconds per operation. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdatomic.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <time.h>
static void *nop(void *a) { return a; }
static _Atomic unsigned turn; static long rounds;
static void fwait(_Atomic unsigned *w, unsigned v){ syscall(SYS_futex, w, 128, v, 0, 0, 0); }
static void fwake(_Atomic unsigned *w){ syscall(SYS_futex, w, 129, 1, 0, 0, 0); }
static void *pong(void *a) { for (long i = 0; i < rounds; i++) { while (atomic_load(&turn) != 1) fwait(&turn, 0); atomic_store(&turn, 0); fwake(&turn); } return a; }
int main(int argc, char **argv) {
  long n = atol(argv[2]); struct timespec a, b; clock_gettime(CLOCK_MONOTONIC, &a);
  if (argv[1][0] == 'c') { for (long i = 0; i < n; i++) { pthread_t t; pthread_create(&t, 0, nop, 0); pthread_join(t, 0); } }
  else { rounds = n; pthread_t t; pthread_create(&t, 0, pong, 0);
    for (long i = 0; i < n; i++) { atomic_store(&turn, 1); fwake(&turn); while (atomic_load(&turn) != 0) fwait(&turn, 1); }
    pthread_join(t, 0); }
  clock_gettime(CLOCK_MONOTONIC, &b);
  printf("%s %ld: %.1f us/op\n", argv[1], n, ((b.tv_sec-a.tv_sec)*1e9+(b.tv_nsec-a.tv_nsec))/1e3/(n?n:1));
  return 0; }
