/* Signals as Linux delivers them (tests/process.rs: the same lines natively
 * and in lstar): siginfo (si_signo, si_code, si_pid, si_uid, si_value,
 * si_addr), registers and SSE state restored by rt_sigreturn (after a
 * syscall and after an interrupt), faults, sigaltstack, nested signals and
 * the handler masks, SA_NODEFER, SA_RESETHAND, SA_RESTART against EINTR,
 * sigsuspend, pending sets, sigtimedwait, real-time queueing. Handlers log
 * into a buffer that main prints, never printf. */
#include "proc.h"
#include <poll.h>
#include <setjmp.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/time.h>

static char logbuf[4096];
static volatile int loglen;

static void logs(const char *s)
{
    while (*s && loglen < (int)sizeof logbuf - 1)
        logbuf[loglen++] = *s++;
}

static void logn(long n)
{
    char b[24];
    int i = sizeof b - 1;
    b[i] = 0;
    int neg = n < 0;
    unsigned long u = neg ? -(unsigned long)n : (unsigned long)n;
    do
        b[--i] = '0' + u % 10;
    while ((u /= 10) && i > 1);
    if (neg)
        b[--i] = '-';
    logs(b + i);
}

static void print_log(const char *what)
{
    logbuf[loglen] = 0;
    printf("%s: %s\n", what, logbuf);
    loglen = 0;
}

static void handle(int sig, void (*fn)(int, siginfo_t *, void *), int flags, const sigset_t *mask)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = fn;
    sa.sa_flags = SA_SIGINFO | flags;
    if (mask)
        sa.sa_mask = *mask;
    else
        sigemptyset(&sa.sa_mask);
    CHECK(sigaction(sig, &sa, NULL) == 0);
}

static void block(int sig, int how)
{
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, sig);
    CHECK(sigprocmask(how, &s, NULL) == 0);
}

static const char *code_name(int code)
{
    switch (code) {
    case SI_USER: return "SI_USER";
    case SI_QUEUE: return "SI_QUEUE";
    case SI_TKILL: return "SI_TKILL";
    case SI_TIMER: return "SI_TIMER";
    case SI_KERNEL: return "SI_KERNEL";
    default: {
        static char b[16];
        snprintf(b, sizeof b, "code %d", code);
        return b;
    }
    }
}

/* ------------------------------------------------------------------ */

static siginfo_t last;
static int last_count;
static void record(int sig, siginfo_t *si, void *uc)
{
    (void)sig;
    (void)uc;
    last = *si;
    last_count++;
}

static void siginfo_checks(void)
{
    section("siginfo");
    handle(SIGUSR1, record, 0, NULL);
    pid_t me = getpid();

    memset(&last, 0, sizeof last);
    CHECK(kill(me, SIGUSR1) == 0);
    printf("kill(self): si_signo=%s si_code=%s si_pid is ours %s si_uid is ours %s\n",
           signame(last.si_signo), code_name(last.si_code), yes(last.si_pid == me),
           yes(last.si_uid == getuid()));

    memset(&last, 0, sizeof last);
    CHECK(raise(SIGUSR1) == 0);
    printf("raise: si_code=%s si_pid is ours %s\n", code_name(last.si_code),
           yes(last.si_pid == me));

    memset(&last, 0, sizeof last);
    union sigval v = {.sival_int = 1234};
    CHECK(sigqueue(me, SIGUSR1, v) == 0);
    printf("sigqueue: si_code=%s si_value=%d si_pid is ours %s\n", code_name(last.si_code),
           last.si_value.sival_int, yes(last.si_pid == me));

    /* From a child: si_pid is the child's. */
    block(SIGUSR1, SIG_BLOCK);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        kill(getppid(), SIGUSR1);
        _exit(0);
    }
    wait_for(pid);
    memset(&last, 0, sizeof last);
    block(SIGUSR1, SIG_UNBLOCK);
    printf("kill from a child: delivered at unblock %s, si_pid is the child's %s, si_code=%s\n",
           yes(last.si_signo == SIGUSR1), yes(last.si_pid == pid), code_name(last.si_code));

    /* SIGCHLD's siginfo. */
    handle(SIGCHLD, record, SA_NOCLDSTOP, NULL);
    block(SIGCHLD, SIG_BLOCK);
    pid = fork();
    CHECK(pid >= 0);
    if (pid == 0)
        _exit(42);
    int st;
    CHECK(waitid(P_PID, pid, &(siginfo_t){0}, WEXITED | WNOWAIT) == 0);
    memset(&last, 0, sizeof last);
    block(SIGCHLD, SIG_UNBLOCK);
    printf("SIGCHLD: si_code=%s si_status=%d si_pid is the child's %s\n",
           last.si_code == CLD_EXITED ? "CLD_EXITED" : code_name(last.si_code), last.si_status,
           yes(last.si_pid == pid));
    CHECK(waitpid(pid, &st, 0) == pid);
    block(SIGCHLD, SIG_BLOCK);
    pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        for (;;)
            pause();
    }
    CHECK(kill(pid, SIGKILL) == 0);
    CHECK(waitid(P_PID, pid, &(siginfo_t){0}, WEXITED | WNOWAIT) == 0);
    memset(&last, 0, sizeof last);
    block(SIGCHLD, SIG_UNBLOCK);
    printf("SIGCHLD of a killed child: si_code=%s si_status=%s\n",
           last.si_code == CLD_KILLED ? "CLD_KILLED" : code_name(last.si_code),
           signame(last.si_status));
    CHECK(waitpid(pid, &st, 0) == pid);
    signal(SIGCHLD, SIG_DFL);

    printf("sigaction(SIGKILL): %s, ", RET(sigaction(SIGKILL, &(struct sigaction){0}, NULL)));
    printf("sigaction(SIGSTOP): %s, ", RET(sigaction(SIGSTOP, &(struct sigaction){0}, NULL)));
    printf("sigaction(65): %s\n", RET(sigaction(65, &(struct sigaction){0}, NULL)));
    printf("kill(self, 0): %s, kill(self, 65): %s\n", RET(kill(me, 0)), RET(kill(me, 65)));
}

/* ------------------------------------------------------------------ */
/* Registers: every caller-saved register and some SSE registers keep their
 * values across a handler that clobbers them (rt_sigreturn restores them). */

static void clobber(int sig, siginfo_t *si, void *uc)
{
    (void)sig;
    (void)si;
    (void)uc;
    __asm__ volatile("mov $0xbad1, %%r8\n\tmov $0xbad2, %%r9\n\tmov $0xbad3, %%r10\n\t"
                     "mov $0xbad4, %%rdx\n\tmov $0xbad5, %%rsi\n\tmov $0xbad6, %%rdi\n\t"
                     "mov $0xbad7, %%r11\n\tmov $0xbad8, %%rcx\n\t"
                     "movq %%r8, %%xmm0\n\tmovq %%r9, %%xmm7\n\tmovq %%r10, %%xmm15\n\t"
                     "pcmpeqb %%xmm1, %%xmm1\n\t"
                     :
                     :
                     : "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11", "xmm0", "xmm1",
                       "xmm7", "xmm15", "memory");
    last_count++;
}

static void registers_restored(void)
{
    section("registers after a handler");
    handle(SIGUSR2, clobber, 0, NULL);
    last_count = 0;
    uint64_t out[11];
    long pid = getpid();
    __asm__ volatile("mov %[pid], %%rdi\n\t"
                     "mov $12, %%esi\n\t" /* SIGUSR2 */
                     "mov $0x1111, %%r8\n\tmov $0x2222, %%r9\n\tmov $0x3333, %%r10\n\t"
                     "mov $0x4444, %%rdx\n\t"
                     "movq %%r8, %%xmm0\n\tmovq %%r9, %%xmm7\n\tmovq %%r10, %%xmm15\n\t"
                     "pxor %%xmm1, %%xmm1\n\t"
                     "mov $62, %%eax\n\t" /* kill */
                     "syscall\n\t"
                     "mov %%r8, 0(%[o])\n\tmov %%r9, 8(%[o])\n\tmov %%r10, 16(%[o])\n\t"
                     "mov %%rdx, 24(%[o])\n\tmov %%rsi, 32(%[o])\n\tmov %%rdi, 40(%[o])\n\t"
                     "mov %%rax, 48(%[o])\n\t"
                     "movq %%xmm0, 56(%[o])\n\tmovq %%xmm7, 64(%[o])\n\tmovq %%xmm15, 72(%[o])\n\t"
                     "movq %%xmm1, 80(%[o])\n\t"
                     :
                     : [pid] "r"(pid), [o] "r"(out)
                     : "rax", "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11", "xmm0",
                       "xmm1", "xmm7", "xmm15", "memory");
    printf("handler ran %d time(s) during kill()\n", last_count);
    printf("r8=%#lx r9=%#lx r10=%#lx rdx=%#lx rsi=%lu rdi is pid %s rax=%ld\n", (unsigned long)out[0],
           (unsigned long)out[1], (unsigned long)out[2], (unsigned long)out[3], (unsigned long)out[4],
           yes((long)out[5] == pid), (long)out[6]);
    printf("xmm0=%#lx xmm7=%#lx xmm15=%#lx xmm1=%#lx\n", (unsigned long)out[7], (unsigned long)out[8],
           (unsigned long)out[9], (unsigned long)out[10]);
}

/* The same after an interrupt: a timer signal lands anywhere in a loop
 * that keeps its state in registers; the result must be the one the loop
 * gives with no signal at all. */
static volatile int ticks;
static volatile int stop_loop;
static void tick(int sig, siginfo_t *si, void *uc)
{
    (void)sig;
    (void)si;
    (void)uc;
    volatile double d = 0;
    for (int k = 0; k < 50; k++)
        d += k * 0.37;
    if (++ticks >= 5)
        stop_loop = 1;
}

__attribute__((noinline)) static double mix(long limit, volatile int *stop, long *done, uint64_t *h)
{
    double x = 1.0, y = 0.5;
    uint64_t a = 0x9e3779b97f4a7c15ull;
    long i;
    for (i = 0; i < limit && !*stop; i++) {
        x = x * 1.0000001 + y * 1e-9;
        y = y * 0.9999999 + 1e-7;
        a = a * 6364136223846793005ull + (uint64_t)i;
        a ^= a >> 29;
    }
    *done = i;
    *h = a;
    return x + y;
}

static void interrupted_loop(void)
{
    section("registers after an interrupt");
    handle(SIGALRM, tick, SA_RESTART, NULL);
    struct itimerval it = {{0, 2000}, {0, 2000}};
    ticks = 0;
    stop_loop = 0;
    CHECK(setitimer(ITIMER_REAL, &it, NULL) == 0);
    long n;
    uint64_t h1, h2;
    double r1 = mix(1L << 40, &stop_loop, &n, &h1);
    struct itimerval off = {{0, 0}, {0, 0}};
    CHECK(setitimer(ITIMER_REAL, &off, NULL) == 0);
    static volatile int never;
    long n2;
    double r2 = mix(n, &never, &n2, &h2);
    printf("at least 5 timer signals: %s; same double and integer results as without signals: %s\n",
           yes(ticks >= 5), yes(n2 == n && r1 == r2 && h1 == h2));
    signal(SIGALRM, SIG_DFL);
}

/* ------------------------------------------------------------------ */

static sigjmp_buf escape;
static siginfo_t fault;
static void on_fault(int sig, siginfo_t *si, void *uc)
{
    (void)sig;
    (void)uc;
    fault = *si;
    siglongjmp(escape, 1);
}

extern char ud2_here[];
__attribute__((noinline)) static void do_ud2(void)
{
    __asm__ volatile(".globl ud2_here\nud2_here: ud2" ::: "memory");
}

static void faults(void)
{
    section("faults delivered to handlers");
    handle(SIGSEGV, on_fault, 0, NULL);
    handle(SIGBUS, on_fault, 0, NULL);
    handle(SIGFPE, on_fault, 0, NULL);
    handle(SIGILL, on_fault, 0, NULL);

    memset(&fault, 0, sizeof fault);
    if (sigsetjmp(escape, 1) == 0) {
        volatile int *volatile p = (int *)0x1000;
        *p = 1;
    }
    printf("store to unmapped 0x1000: %s si_code=%s si_addr=%p\n", signame(fault.si_signo),
           fault.si_code == SEGV_MAPERR ? "SEGV_MAPERR" : code_name(fault.si_code), fault.si_addr);

    char *ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(ro != MAP_FAILED);
    memset(&fault, 0, sizeof fault);
    if (sigsetjmp(escape, 1) == 0)
        *(volatile char *)(ro + 100) = 1;
    printf("store to a read-only page: %s si_code=%s si_addr is the byte %s\n",
           signame(fault.si_signo),
           fault.si_code == SEGV_ACCERR ? "SEGV_ACCERR" : code_name(fault.si_code),
           yes(fault.si_addr == ro + 100));
    munmap(ro, 4096);

    /* The handler ran with SIGSEGV blocked; siglongjmp(.., 1) restored the mask. */
    sigset_t now;
    sigprocmask(SIG_BLOCK, NULL, &now);
    printf("after siglongjmp out of the handler, SIGSEGV blocked: %s\n",
           yes(sigismember(&now, SIGSEGV)));

    memset(&fault, 0, sizeof fault);
    if (sigsetjmp(escape, 1) == 0) {
        volatile int zero = 0;
        volatile int q = 7 / zero;
        (void)q;
    }
    printf("integer division by zero: %s si_code=%s\n", signame(fault.si_signo),
           fault.si_code == FPE_INTDIV ? "FPE_INTDIV" : code_name(fault.si_code));

    memset(&fault, 0, sizeof fault);
    if (sigsetjmp(escape, 1) == 0)
        do_ud2();
    printf("ud2: %s si_code=%s si_addr is the instruction %s\n", signame(fault.si_signo),
           fault.si_code == ILL_ILLOPN ? "ILL_ILLOPN" : code_name(fault.si_code),
           yes(fault.si_addr == (void *)ud2_here));

    /* A file mapping past the end of its file. */
    enter_tmpdir();
    int fd = open("f", O_RDWR | O_CREAT | O_TRUNC, 0600);
    CHECK(fd >= 0);
    CHECK(ftruncate(fd, 4096) == 0);
    char *m = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    CHECK(m != MAP_FAILED);
    memset(&fault, 0, sizeof fault);
    volatile char got = 0;
    if (sigsetjmp(escape, 1) == 0) {
        got = m[10];
        got = m[4096 + 10];
    }
    printf("read past the end of a mapped file: %s si_code=%s si_addr is the byte %s\n",
           signame(fault.si_signo),
           fault.si_code == BUS_ADRERR ? "BUS_ADRERR" : code_name(fault.si_code),
           yes(fault.si_addr == m + 4096 + 10));
    (void)got;
    munmap(m, 8192);
    close(fd);
    unlink("f");
    chdir("/");
    rmdir(proc_tmpdir);

    signal(SIGSEGV, SIG_DFL);
    signal(SIGBUS, SIG_DFL);
    signal(SIGFPE, SIG_DFL);
    signal(SIGILL, SIG_DFL);
}

/* ------------------------------------------------------------------ */

static char *alt_base;
static size_t alt_size;
static void on_alt(int sig, siginfo_t *si, void *uc)
{
    (void)si;
    (void)uc;
    char here;
    stack_t ss;
    sigaltstack(NULL, &ss);
    logs(signame(sig));
    logs(": on the alternate stack ");
    logs(&here >= alt_base && &here < alt_base + alt_size ? "yes" : "no");
    logs(", SS_ONSTACK ");
    logs(ss.ss_flags & SS_ONSTACK ? "yes" : "no");
    logs("; ");
}

static volatile int depth_reached;
__attribute__((noinline)) static int recurse(int n)
{
    volatile char pad[512];
    pad[0] = (char)n;
    depth_reached = n;
    if (n < 1 << 30)
        return recurse(n + 1) + pad[0];
    return 0;
}

static void on_overflow(int sig, siginfo_t *si, void *uc)
{
    (void)si;
    (void)uc;
    char here;
    int on = &here >= alt_base && &here < alt_base + alt_size;
    _exit(sig == SIGSEGV && on ? 30 : 31);
}

static void altstack(void)
{
    section("sigaltstack");
    alt_size = 64 * 1024;
    alt_base = mmap(NULL, alt_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(alt_base != MAP_FAILED);
    stack_t ss = {.ss_sp = alt_base, .ss_size = alt_size, .ss_flags = 0}, old;
    printf("sigaltstack: %s", RET(sigaltstack(&ss, &old)));
    printf(", old was SS_DISABLE %s\n", yes(old.ss_flags & SS_DISABLE));
    stack_t tiny = {.ss_sp = alt_base, .ss_size = 100, .ss_flags = 0};
    printf("a 100-byte alternate stack: %s\n", RET(sigaltstack(&tiny, NULL)));
    handle(SIGUSR1, on_alt, SA_ONSTACK, NULL);
    handle(SIGUSR2, on_alt, 0, NULL);
    raise(SIGUSR1);
    raise(SIGUSR2);
    print_log("handlers");
    sigaltstack(NULL, &old);
    printf("after the handler: SS_ONSTACK %s, size kept %s\n", yes(old.ss_flags & SS_ONSTACK),
           yes(old.ss_size == alt_size));

    /* A stack overflow can only be handled on the alternate stack. The
     * child limits its stack to 256 KiB first. */
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        struct rlimit rl = {256 * 1024, 256 * 1024};
        setrlimit(RLIMIT_STACK, &rl);
        handle(SIGSEGV, on_overflow, SA_ONSTACK, NULL);
        recurse(0);
        _exit(32);
    }
    printf("stack overflow handled on the alternate stack (exit 30): %s\n",
           status_str(wait_for(pid)));
    stack_t dis = {.ss_flags = SS_DISABLE};
    CHECK(sigaltstack(&dis, NULL) == 0);
    signal(SIGUSR1, SIG_DFL);
    signal(SIGUSR2, SIG_DFL);
}

/* ------------------------------------------------------------------ */

static void nest_usr1(int sig, siginfo_t *si, void *uc)
{
    (void)sig;
    (void)si;
    (void)uc;
    logs("usr1-enter ");
    raise(SIGUSR2);
    logs("usr1-exit ");
}

static void nest_usr2(int sig, siginfo_t *si, void *uc)
{
    (void)sig;
    (void)si;
    (void)uc;
    logs("usr2 ");
}

static volatile int self_depth;
static void reenter(int sig, siginfo_t *si, void *uc)
{
    (void)si;
    (void)uc;
    int d = ++self_depth;
    logs("enter");
    logn(d);
    logs(" ");
    if (d < 3)
        raise(sig);
    logs("exit");
    logn(d);
    logs(" ");
}

static void order(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    logs(signame(sig));
    if (sig >= SIGRTMIN) {
        logs("(");
        logn(si->si_value.sival_int);
        logs(")");
    }
    logs(" ");
}

static int counts[65], values[65][4];
static void count(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    if (counts[sig] < 4)
        values[sig][counts[sig]] = si->si_value.sival_int;
    counts[sig]++;
}

static void nested(void)
{
    section("nested signals and masks");
    handle(SIGUSR1, nest_usr1, 0, NULL);
    handle(SIGUSR2, nest_usr2, 0, NULL);
    raise(SIGUSR1);
    print_log("USR2 raised in USR1's handler");

    sigset_t m;
    sigemptyset(&m);
    sigaddset(&m, SIGUSR2);
    handle(SIGUSR1, nest_usr1, 0, &m);
    raise(SIGUSR1);
    print_log("the same with USR2 in sa_mask");

    self_depth = 0;
    handle(SIGUSR1, reenter, 0, NULL);
    raise(SIGUSR1);
    print_log("raise of itself, no SA_NODEFER");
    self_depth = 0;
    handle(SIGUSR1, reenter, SA_NODEFER, NULL);
    raise(SIGUSR1);
    print_log("raise of itself, SA_NODEFER");

    /* SA_RESETHAND: the first delivery resets the disposition. */
    handle(SIGUSR1, order, SA_RESETHAND, NULL);
    raise(SIGUSR1);
    struct sigaction sa;
    sigaction(SIGUSR1, NULL, &sa);
    print_log("SA_RESETHAND first delivery");
    printf("then the disposition is SIG_DFL: %s\n", yes(sa.sa_handler == SIG_DFL));
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        handle(SIGUSR1, order, SA_RESETHAND, NULL);
        raise(SIGUSR1);
        raise(SIGUSR1);
        _exit(0);
    }
    printf("SA_RESETHAND, second raise: %s\n", status_str(wait_for(pid)));

    /* Pending while blocked: a standard signal once, a real-time one each
     * time it was sent, in the order it was sent. (The order between
     * different signals is not compared: Linux stacks several frames at
     * once, so the last one dequeued runs first.) */
    handle(SIGUSR1, count, 0, NULL);
    handle(SIGUSR2, count, 0, NULL);
    handle(SIGRTMIN, count, 0, NULL);
    handle(SIGRTMIN + 1, count, 0, NULL);
    sigset_t all, old, pending;
    sigemptyset(&all);
    sigaddset(&all, SIGUSR1);
    sigaddset(&all, SIGUSR2);
    sigaddset(&all, SIGRTMIN);
    sigaddset(&all, SIGRTMIN + 1);
    sigprocmask(SIG_BLOCK, &all, &old);
    pid_t me = getpid();
    for (int i = 0; i < 3; i++) {
        kill(me, SIGUSR2);
        kill(me, SIGUSR1);
        sigqueue(me, SIGRTMIN + 1, (union sigval){.sival_int = 10 + i});
        sigqueue(me, SIGRTMIN, (union sigval){.sival_int = i});
    }
    sigpending(&pending);
    printf("pending while blocked: USR1 %s USR2 %s RTMIN %s RTMIN+1 %s; nothing delivered %s\n",
           yes(sigismember(&pending, SIGUSR1)), yes(sigismember(&pending, SIGUSR2)),
           yes(sigismember(&pending, SIGRTMIN)), yes(sigismember(&pending, SIGRTMIN + 1)),
           yes(counts[SIGUSR1] + counts[SIGUSR2] + counts[SIGRTMIN] + counts[SIGRTMIN + 1] == 0));
    sigprocmask(SIG_SETMASK, &old, NULL);
    printf("delivered at unblock: USR1 %d time(s), USR2 %d, RTMIN %d:", counts[SIGUSR1],
           counts[SIGUSR2], counts[SIGRTMIN]);
    for (int i = 0; i < counts[SIGRTMIN] && i < 4; i++)
        printf(" %d", values[SIGRTMIN][i]);
    printf(", RTMIN+1 %d:", counts[SIGRTMIN + 1]);
    for (int i = 0; i < counts[SIGRTMIN + 1] && i < 4; i++)
        printf(" %d", values[SIGRTMIN + 1][i]);
    printf("\n");
    for (int s = SIGUSR1; s <= SIGUSR2; s++)
        signal(s, SIG_DFL);
    signal(SIGRTMIN, SIG_DFL);
    signal(SIGRTMIN + 1, SIG_DFL);
}

/* ------------------------------------------------------------------ */

static int pipe_w = -1;
static void on_alarm(int sig, siginfo_t *si, void *uc)
{
    (void)sig;
    (void)uc;
    logs("alarm(");
    logs(code_name(si->si_code));
    logs(") ");
    if (pipe_w >= 0)
        write(pipe_w, "x", 1);
}

static void restart_or_eintr(void)
{
    section("SA_RESTART and EINTR");
    int p[2];
    CHECK(pipe(p) == 0);
    char c = 0;

    /* Without SA_RESTART: alarm(1) interrupts the blocking read. */
    handle(SIGALRM, on_alarm, 0, NULL);
    pipe_w = -1;
    alarm(1);
    errno = 0;
    ssize_t r = read(p[0], &c, 1);
    printf("read interrupted by alarm(1), no SA_RESTART: %s\n", ret_str(r, errno));
    print_log("handler");

    /* With SA_RESTART: the handler writes a byte, the restarted read gets it. */
    handle(SIGALRM, on_alarm, SA_RESTART, NULL);
    pipe_w = p[1];
    /* 200 ms: the blocking call must have started when the timer fires
     * (else a call without SA_RESTART would not be interrupted). */
    struct itimerval it = {{0, 0}, {0, 200000}};
    CHECK(setitimer(ITIMER_REAL, &it, NULL) == 0);
    errno = 0;
    r = read(p[0], &c, 1);
    printf("read with SA_RESTART, 200 ms timer: %s '%c'\n", ret_str(r, errno), c);
    print_log("handler");

    /* Without SA_RESTART the byte is there for the next read. */
    handle(SIGALRM, on_alarm, 0, NULL);
    CHECK(setitimer(ITIMER_REAL, &it, NULL) == 0);
    errno = 0;
    r = read(p[0], &c, 1);
    printf("the same without SA_RESTART: %s", ret_str(r, errno));
    c = 0;
    r = read(p[0], &c, 1);
    printf(", next read %s '%c'\n", ret_str(r, errno), c);
    print_log("handler");

    /* wait() and nanosleep interrupted. */
    pipe_w = -1;
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        char b;
        read(p[0], &b, 1); /* until the parent writes */
        _exit(3);
    }
    CHECK(setitimer(ITIMER_REAL, &it, NULL) == 0);
    int st;
    errno = 0;
    r = waitpid(pid, &st, 0);
    printf("waitpid interrupted, no SA_RESTART: %s\n", ret_str(r, errno));
    handle(SIGALRM, on_alarm, SA_RESTART, NULL);
    pipe_w = p[1]; /* the handler's byte lets the child exit */
    CHECK(setitimer(ITIMER_REAL, &it, NULL) == 0);
    r = waitpid(pid, &st, 0);
    printf("waitpid with SA_RESTART: same pid %s, %s\n", yes(r == pid), status_str(st));
    pipe_w = -1;
    CHECK(setitimer(ITIMER_REAL, &it, NULL) == 0);
    struct timespec ts = {5, 0}, rem = {0, 0};
    errno = 0;
    r = nanosleep(&ts, &rem);
    printf("nanosleep(5 s) interrupted at 200 ms (even with SA_RESTART): %s, remaining between 4 and 5 s %s\n",
           ret_str(r, errno), yes(rem.tv_sec == 4 || (rem.tv_sec == 5 && rem.tv_nsec == 0)));
    print_log("handler");
    signal(SIGALRM, SIG_DFL);
    close(p[0]);
    close(p[1]);
}

static void suspend_and_wait(void)
{
    section("sigsuspend, sigtimedwait");
    handle(SIGUSR1, order, 0, NULL);
    block(SIGUSR1, SIG_BLOCK);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        sleep_ms(20);
        kill(getppid(), SIGUSR1);
        _exit(0);
    }
    sigset_t empty;
    sigemptyset(&empty);
    errno = 0;
    int r = sigsuspend(&empty);
    printf("sigsuspend: %s\n", ret_str(r, errno));
    print_log("handler");
    sigset_t now;
    sigprocmask(SIG_BLOCK, NULL, &now);
    printf("after sigsuspend, SIGUSR1 blocked again: %s\n", yes(sigismember(&now, SIGUSR1)));
    wait_for(pid);

    /* A signal already pending: sigsuspend returns at once. */
    raise(SIGUSR1);
    r = sigsuspend(&empty);
    printf("sigsuspend with USR1 pending: %s\n", ret_str(r, errno));
    print_log("handler");

    /* sigtimedwait takes a blocked signal without its handler. */
    sigset_t w;
    sigemptyset(&w);
    sigaddset(&w, SIGUSR1);
    siginfo_t si;
    memset(&si, 0, sizeof si);
    kill(getpid(), SIGUSR1);
    int s = sigtimedwait(&w, &si, &(struct timespec){1, 0});
    printf("sigtimedwait, pending: %s si_code=%s; handler ran %s\n", signame(s), code_name(si.si_code),
           yes(loglen != 0));
    errno = 0;
    s = sigtimedwait(&w, &si, &(struct timespec){0, 20000000});
    printf("sigtimedwait, nothing pending, 20 ms: %s\n", ret_str(s, errno));
    pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        sleep_ms(20);
        kill(getppid(), SIGUSR1);
        _exit(0);
    }
    s = sigwaitinfo(&w, &si);
    printf("sigwaitinfo, sent later by a child: %s si_pid is the child's %s\n", signame(s),
           yes(si.si_pid == pid));
    wait_for(pid);
    block(SIGUSR1, SIG_UNBLOCK);
    signal(SIGUSR1, SIG_DFL);
    /* pause(): the child sends SIGUSR2 every 20 ms until the parent,
     * back from pause, closes the pipe (one signal could come before the
     * parent is in pause, which would then wait forever). */
    handle(SIGUSR2, record, 0, NULL);
    int stop[2];
    CHECK(pipe(stop) == 0);
    pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        close(stop[1]);
        struct pollfd pfd = {stop[0], POLLIN, 0};
        do
            kill(getppid(), SIGUSR2);
        while (poll(&pfd, 1, 20) == 0);
        _exit(0);
    }
    close(stop[0]);
    last_count = 0;
    errno = 0;
    r = pause();
    int e = errno;
    close(stop[1]);
    wait_for(pid);
    printf("pause() until a child's SIGUSR2: %s, handler ran %s\n", ret_str(r, e),
           yes(last_count > 0));
    signal(SIGUSR2, SIG_DFL);
}

int main(void)
{
    proc_init();
    siginfo_checks();
    registers_restored();
    interrupted_loop();
    faults();
    altstack();
    nested();
    restart_or_eintr();
    suspend_and_wait();
    printf("done\n");
    return 0;
}
