/* Signal delivery as Linux does it, one check per line: handlers with
 * siginfo, masks and pending sets, nesting, SA_RESETHAND, ignored signals,
 * fault signals (SIGSEGV with si_addr, SIGFPE, SIGILL) recovered from with
 * siglongjmp or by editing uc_mcontext, every register intact across a
 * handler that clobbers them all, sigaltstack, rt_sigsuspend,
 * rt_sigtimedwait and queued real-time signals. The output is the same on
 * Linux and in lstar (tests/signals.rs compares them); addresses are never
 * printed, only whether they are right. */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

static int failures;

static void check(const char *what, int ok)
{
	printf("%s: %s\n", what, ok ? "ok" : "FAILED");
	if (!ok)
		failures++;
}

static long raw4(long nr, long a, long b, long c, long d)
{
	long ret;
	register long r10 __asm__("r10") = d;
	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10)
			 : "rcx", "r11", "memory");
	return ret;
}

static pid_t tid(void)
{
	return (pid_t)raw4(SYS_gettid, 0, 0, 0, 0);
}

static void on(int sig, void (*fn)(int, siginfo_t *, void *), int flags)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = fn;
	sa.sa_flags = SA_SIGINFO | flags;
	sigemptyset(&sa.sa_mask);
	if (sigaction(sig, &sa, 0))
		check("sigaction", 0);
}

static void block(int how, int sig)
{
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, sig);
	sigprocmask(how, &s, 0);
}

/* --- siginfo from raise, kill, tgkill, int 0x80 kill --- */

static siginfo_t last;
static int hits;

static void record(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	last = *si;
	hits++;
}

static void test_siginfo(void)
{
	on(SIGUSR1, record, 0);
	hits = 0;
	raise(SIGUSR1);
	check("raise: handler ran once", hits == 1);
	check("raise: si_signo", last.si_signo == SIGUSR1);
	check("raise: si_code SI_TKILL", last.si_code == SI_TKILL);
	check("raise: si_pid", last.si_pid == getpid());
	kill(getpid(), SIGUSR1);
	check("kill(getpid()): handler ran", hits == 2);
	check("kill: si_code SI_USER", last.si_code == SI_USER);
	check("kill: si_pid and si_uid", last.si_pid == getpid() && last.si_uid == getuid());
	raw4(SYS_tgkill, getpid(), tid(), SIGUSR1, 0);
	check("tgkill: si_code SI_TKILL", hits == 3 && last.si_code == SI_TKILL);
	check("kill(sig 0)", kill(getpid(), 0) == 0 && hits == 3);
	errno = 0;
	check("kill(sig 65) EINVAL", kill(getpid(), 65) == -1 && errno == EINVAL);
	errno = 0;
	check("tgkill(tid 0) EINVAL", raw4(SYS_tgkill, getpid(), 0, SIGUSR1, 0) == -EINVAL);
	/* The i386 ABI's kill (37) from 64-bit code: the handler was set with
	 * the 64-bit rt_sigaction, so it gets the 64-bit frame. */
	long ret = 37;
	__asm__ volatile("int $0x80"
			 : "+a"(ret)
			 : "b"((long)getpid()), "c"((long)SIGUSR1)
			 : "memory");
	check("int 0x80 kill: handler ran", ret == 0 && hits == 4 && last.si_code == SI_USER);
	union sigval v = {.sival_int = 77};
	check("sigqueue to self", sigqueue(getpid(), SIGUSR1, v) == 0 && hits == 5);
	check("sigqueue: SI_QUEUE and value", last.si_code == SI_QUEUE && last.si_value.sival_int == 77);
}

/* --- masks, pending, order --- */

static char order[64];
static int order_len;

static void note(int sig, siginfo_t *si, void *uc)
{
	(void)si;
	(void)uc;
	if (order_len < 60) {
		int n = snprintf(order + order_len, sizeof order - order_len, "%s%d",
				 order_len ? "," : "", sig);
		order_len += n;
	}
}

static void test_masks(void)
{
	on(SIGUSR1, note, 0);
	on(SIGUSR2, note, 0);
	on(SIGTERM, note, 0);
	order_len = 0;
	order[0] = 0;
	sigset_t s, p;
	sigemptyset(&s);
	sigaddset(&s, SIGUSR1);
	sigaddset(&s, SIGUSR2);
	sigaddset(&s, SIGTERM);
	sigprocmask(SIG_BLOCK, &s, 0);
	raise(SIGTERM);
	raise(SIGUSR2);
	raise(SIGUSR1);
	raise(SIGUSR1); /* a standard signal is pending once */
	check("blocked: no handler yet", order_len == 0);
	sigemptyset(&p);
	sigpending(&p);
	check("sigpending: USR1 USR2 TERM",
	      sigismember(&p, SIGUSR1) && sigismember(&p, SIGUSR2) && sigismember(&p, SIGTERM) &&
		      !sigismember(&p, SIGINT));
	sigprocmask(SIG_UNBLOCK, &s, 0);
	printf("delivered on unblock: %s\n", order);
	sigpending(&p);
	check("nothing pending after", !sigismember(&p, SIGUSR1) && !sigismember(&p, SIGTERM));

	/* A per-handler mask: while SIGUSR1's handler runs, SIGUSR2 waits. */
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = note;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	sigaddset(&sa.sa_mask, SIGUSR2);
	sigaction(SIGUSR1, &sa, 0);
	order_len = 0;
	sigprocmask(SIG_BLOCK, &s, 0);
	raise(SIGUSR2);
	raise(SIGUSR1);
	sigprocmask(SIG_UNBLOCK, &s, 0);
	printf("with sa_mask USR2 in USR1's handler: %s\n", order);

	sigset_t now;
	sigprocmask(SIG_BLOCK, 0, &now);
	check("mask back to empty after handlers", !sigismember(&now, SIGUSR1) &&
							  !sigismember(&now, SIGUSR2));
}

/* --- nesting: default mask vs SA_NODEFER --- */

static int depth;

static void nest(int sig, siginfo_t *si, void *uc)
{
	(void)si;
	(void)uc;
	int me = ++depth;
	printf("  enter %d\n", me);
	if (me == 1)
		raise(sig);
	printf("  leave %d\n", me);
}

static void test_nesting(void)
{
	printf("default mask:\n");
	depth = 0;
	on(SIGUSR1, nest, 0);
	raise(SIGUSR1);
	printf("SA_NODEFER:\n");
	depth = 0;
	on(SIGUSR1, nest, SA_NODEFER);
	raise(SIGUSR1);
}

/* --- SA_RESETHAND, ignored signals --- */

static void test_resethand_and_ignore(void)
{
	on(SIGUSR2, record, SA_RESETHAND);
	hits = 0;
	raise(SIGUSR2);
	struct sigaction old;
	sigaction(SIGUSR2, 0, &old);
	check("SA_RESETHAND: ran, then SIG_DFL", hits == 1 && old.sa_handler == SIG_DFL);

	signal(SIGUSR1, SIG_IGN);
	raise(SIGUSR1);
	check("SIG_IGN: survived", 1);
	signal(SIGUSR1, SIG_DFL);
	raise(SIGCHLD); /* default: ignore */
	raise(SIGWINCH);
	check("SIGCHLD/SIGWINCH default: survived", 1);
	/* Ignoring a pending signal discards it. */
	on(SIGUSR1, record, 0);
	hits = 0;
	block(SIG_BLOCK, SIGUSR1);
	raise(SIGUSR1);
	signal(SIGUSR1, SIG_IGN);
	sigset_t p;
	sigpending(&p);
	check("SIG_IGN discards the pending one", !sigismember(&p, SIGUSR1));
	on(SIGUSR1, record, 0);
	block(SIG_UNBLOCK, SIGUSR1);
	check("and it never runs", hits == 0);
	/* A blocked, ignored signal stays pending (POSIX leaves it open; Linux
	 * queues it). */
	block(SIG_BLOCK, SIGUSR2);
	signal(SIGUSR2, SIG_IGN);
	raise(SIGUSR2);
	sigpending(&p);
	check("blocked SIG_IGN stays pending", sigismember(&p, SIGUSR2));
	block(SIG_UNBLOCK, SIGUSR2);
	signal(SIGUSR2, SIG_DFL);
}

/* --- fault signals --- */

static sigjmp_buf jb;
static volatile uintptr_t fault_addr;
static volatile int fault_code, fault_sig;

static void on_fault(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	fault_sig = sig;
	fault_code = si->si_code;
	fault_addr = (uintptr_t)si->si_addr;
	siglongjmp(jb, 1);
}

extern char ud2_here[];
static volatile double fp_sink;

static volatile int corrupt_how;

static void corrupt_frame(int sig, siginfo_t *si, void *p)
{
	ucontext_t *uc = p;
	(void)sig;
	(void)si;
	if (corrupt_how == 0)
		uc->uc_mcontext.fpregs = (void *)0x10;
	else
		uc->uc_mcontext.gregs[REG_RIP] = (greg_t)0x8000000000000000ULL;
}

static void test_faults(void)
{
	on(SIGSEGV, on_fault, 0);
	on(SIGFPE, on_fault, 0);
	on(SIGILL, on_fault, 0);
	on(SIGBUS, on_fault, 0);

	if (!sigsetjmp(jb, 1))
		*(volatile int *)0x1000 = 1;
	check("SIGSEGV: si_addr", fault_sig == SIGSEGV && fault_addr == 0x1000);
	check("SIGSEGV: SEGV_MAPERR", fault_code == SEGV_MAPERR);

	char *ro = mmap(0, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	fault_sig = 0;
	if (!sigsetjmp(jb, 1))
		*(volatile char *)(ro + 8) = 1;
	check("SIGSEGV on a read-only page: SEGV_ACCERR",
	      fault_sig == SIGSEGV && fault_code == SEGV_ACCERR && fault_addr == (uintptr_t)ro + 8);
	sigset_t now;
	sigprocmask(SIG_BLOCK, 0, &now);
	check("siglongjmp restored the mask", !sigismember(&now, SIGSEGV));

	volatile int zero = 0, n = 7;
	fault_sig = 0;
	if (!sigsetjmp(jb, 1))
		n = n / zero;
	check("SIGFPE: FPE_INTDIV", fault_sig == SIGFPE && fault_code == FPE_INTDIV);


	fault_sig = 0;
	if (!sigsetjmp(jb, 1))
		__asm__ volatile("ud2_here: ud2");
	check("SIGILL: ILL_ILLOPN at the ud2",
	      fault_sig == SIGILL && fault_code == ILL_ILLOPN && fault_addr == (uintptr_t)ud2_here);

	/* Twice in a row, to see that nothing stays blocked. */
	fault_sig = 0;
	if (!sigsetjmp(jb, 1))
		*(volatile int *)0x2000 = 1;
	check("SIGSEGV again", fault_sig == SIGSEGV && fault_addr == 0x2000);

	/* rt_sigreturn of a frame whose FPU pointer is bad, then of one whose
	 * RIP is not canonical: SIGSEGV (SI_KERNEL), which a handler catches. */
	on(SIGUSR2, corrupt_frame, 0);
	for (corrupt_how = 0; corrupt_how < 2; corrupt_how++) {
		fault_sig = 0;
		if (!sigsetjmp(jb, 1))
			raise(SIGUSR2);
		printf("corrupt frame %d: signal %d, code %d\n", corrupt_how, fault_sig, fault_code);
	}
	signal(SIGUSR2, SIG_DFL);
}

static int no_simd_traps;

static void test_simd_fault(void)
{
	/* An SSE divide by zero with the exception unmasked (#XM). QEMU's TCG
	 * raises no SIMD exceptions: "no-simd-traps" skips this there. */
	if (no_simd_traps)
		return;
	fault_sig = 0;
	if (!sigsetjmp(jb, 1)) {
		unsigned mx = 0x1f80 & ~0x200u;
		volatile double one = 1.0, dzero = 0.0;
		__asm__ volatile("ldmxcsr %0" ::"m"(mx));
		fp_sink = one / dzero;
	}
	check("SIGFPE from SSE: FPE_FLTDIV", fault_sig == SIGFPE && fault_code == FPE_FLTDIV);
	unsigned mx_after;
	__asm__ volatile("stmxcsr %0" : "=m"(mx_after));
	printf("MXCSR after siglongjmp from the handler: %#x\n", mx_after);
	mx_after = 0x1f80;
	__asm__ volatile("ldmxcsr %0" ::"m"(mx_after));
}

/* --- registers across a handler that clobbers them all --- */

/* clobber_all: a handler in assembly that changes every general register
 * but RSP, RFLAGS' arithmetic flags and all 16 XMM registers, then
 * returns through the restorer. skip_ud2: the same, after moving the
 * interrupted RIP over a 2-byte ud2 and setting its R12 to 0xfeed
 * (uc_mcontext: ucontext + 40; rip is word 16, r12 word 4). */
__asm__(".text\n"
	".globl clobber_all, skip_ud2, regs_round_trip\n"
	"skip_ud2:\n"
	"	addq $2, 40+16*8(%rdx)\n"
	"	movq $0xfeed, 40+4*8(%rdx)\n"
	"clobber_all:\n"
	"	mov $-1, %rax\n"
	"	mov %rax, %rbx\n mov %rax, %rcx\n mov %rax, %rdx\n mov %rax, %rsi\n"
	"	mov %rax, %rdi\n mov %rax, %rbp\n mov %rax, %r8\n mov %rax, %r9\n"
	"	mov %rax, %r10\n mov %rax, %r11\n mov %rax, %r12\n mov %rax, %r13\n"
	"	mov %rax, %r14\n mov %rax, %r15\n"
	"	pcmpeqd %xmm0, %xmm0\n"
	"	movdqa %xmm0, %xmm1\n movdqa %xmm0, %xmm2\n movdqa %xmm0, %xmm3\n"
	"	movdqa %xmm0, %xmm4\n movdqa %xmm0, %xmm5\n movdqa %xmm0, %xmm6\n"
	"	movdqa %xmm0, %xmm7\n movdqa %xmm0, %xmm8\n movdqa %xmm0, %xmm9\n"
	"	movdqa %xmm0, %xmm10\n movdqa %xmm0, %xmm11\n movdqa %xmm0, %xmm12\n"
	"	movdqa %xmm0, %xmm13\n movdqa %xmm0, %xmm14\n movdqa %xmm0, %xmm15\n"
	"	add $1, %rax\n" /* ZF, CF set */
	"	ret\n"
	/* regs_round_trip(in = rdi, out = rsi, how = rdx): loads every register
	 * from in[] (15 GPRs: rax rbx rcx rdx rsi rdi rbp r8..r15, then 16 XMM
	 * as 32 words), then either makes the system call in in[0] (how 0:
	 * rax = nr, rdi/rsi/rdx args from in[5], in[4], in[3]) or runs ud2
	 * (how 1), and stores every register to out[] in the same order. */
	"regs_round_trip:\n"
	"	push %rbx\n push %rbp\n push %r12\n push %r13\n push %r14\n push %r15\n"
	"	push %rsi\n" /* out */
	"	push %rdx\n" /* how */
	"	movdqu 15*8+0*16(%rdi), %xmm0\n movdqu 15*8+1*16(%rdi), %xmm1\n"
	"	movdqu 15*8+2*16(%rdi), %xmm2\n movdqu 15*8+3*16(%rdi), %xmm3\n"
	"	movdqu 15*8+4*16(%rdi), %xmm4\n movdqu 15*8+5*16(%rdi), %xmm5\n"
	"	movdqu 15*8+6*16(%rdi), %xmm6\n movdqu 15*8+7*16(%rdi), %xmm7\n"
	"	movdqu 15*8+8*16(%rdi), %xmm8\n movdqu 15*8+9*16(%rdi), %xmm9\n"
	"	movdqu 15*8+10*16(%rdi), %xmm10\n movdqu 15*8+11*16(%rdi), %xmm11\n"
	"	movdqu 15*8+12*16(%rdi), %xmm12\n movdqu 15*8+13*16(%rdi), %xmm13\n"
	"	movdqu 15*8+14*16(%rdi), %xmm14\n movdqu 15*8+15*16(%rdi), %xmm15\n"
	"	mov 0*8(%rdi), %rax\n mov 1*8(%rdi), %rbx\n mov 2*8(%rdi), %rcx\n"
	"	mov 3*8(%rdi), %rdx\n mov 4*8(%rdi), %rsi\n mov 6*8(%rdi), %rbp\n"
	"	mov 7*8(%rdi), %r8\n mov 8*8(%rdi), %r9\n mov 9*8(%rdi), %r10\n"
	"	mov 10*8(%rdi), %r11\n mov 11*8(%rdi), %r12\n mov 12*8(%rdi), %r13\n"
	"	mov 13*8(%rdi), %r14\n mov 14*8(%rdi), %r15\n"
	"	mov 5*8(%rdi), %rdi\n"
	"	cmpq $0, (%rsp)\n"
	"	jne 1f\n"
	"	syscall\n"
	"	jmp 2f\n"
	"1:	ud2\n"
	"2:	xchg %rdi, 8(%rsp)\n" /* rdi := out, out slot := rdi */
	"	mov %rax, 0*8(%rdi)\n mov %rbx, 1*8(%rdi)\n mov %rcx, 2*8(%rdi)\n"
	"	mov %rdx, 3*8(%rdi)\n mov %rsi, 4*8(%rdi)\n mov %rbp, 6*8(%rdi)\n"
	"	mov %r8, 7*8(%rdi)\n mov %r9, 8*8(%rdi)\n mov %r10, 9*8(%rdi)\n"
	"	mov %r11, 10*8(%rdi)\n mov %r12, 11*8(%rdi)\n mov %r13, 12*8(%rdi)\n"
	"	mov %r14, 13*8(%rdi)\n mov %r15, 14*8(%rdi)\n"
	"	mov 8(%rsp), %rax\n mov %rax, 5*8(%rdi)\n"
	"	movdqu %xmm0, 15*8+0*16(%rdi)\n movdqu %xmm1, 15*8+1*16(%rdi)\n"
	"	movdqu %xmm2, 15*8+2*16(%rdi)\n movdqu %xmm3, 15*8+3*16(%rdi)\n"
	"	movdqu %xmm4, 15*8+4*16(%rdi)\n movdqu %xmm5, 15*8+5*16(%rdi)\n"
	"	movdqu %xmm6, 15*8+6*16(%rdi)\n movdqu %xmm7, 15*8+7*16(%rdi)\n"
	"	movdqu %xmm8, 15*8+8*16(%rdi)\n movdqu %xmm9, 15*8+9*16(%rdi)\n"
	"	movdqu %xmm10, 15*8+10*16(%rdi)\n movdqu %xmm11, 15*8+11*16(%rdi)\n"
	"	movdqu %xmm12, 15*8+12*16(%rdi)\n movdqu %xmm13, 15*8+13*16(%rdi)\n"
	"	movdqu %xmm14, 15*8+14*16(%rdi)\n movdqu %xmm15, 15*8+15*16(%rdi)\n"
	"	add $16, %rsp\n"
	"	pop %r15\n pop %r14\n pop %r13\n pop %r12\n pop %rbp\n pop %rbx\n"
	"	ret\n");

extern void clobber_all(int, siginfo_t *, void *);
extern void skip_ud2(int, siginfo_t *, void *);
extern void regs_round_trip(const uint64_t *in, uint64_t *out, long how);

#define NWORDS (15 + 32)
static const char *const reg_names[15] = {"rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "r8",
					  "r9",	 "r10", "r11", "r12", "r13", "r14", "r15"};

static void test_registers(void)
{
	uint64_t in[NWORDS], out[NWORDS];
	for (int i = 0; i < NWORDS; i++)
		in[i] = 0x0101010101010101ULL * (uint64_t)(i + 1) ^ ((uint64_t)i << 56);

	/* Through a system call (tkill to self), the handler runs on its way
	 * out: everything but rax (the result) and rcx/r11 (SYSCALL's) must
	 * come back. */
	on(SIGUSR1, clobber_all, 0);
	in[0] = SYS_tkill;
	in[5] = (uint64_t)tid();
	in[4] = SIGUSR1;
	regs_round_trip(in, out, 0);
	int bad = 0;
	check("syscall: rax is the result", out[0] == 0);
	for (int i = 1; i < 15; i++)
		if (i != 2 && i != 10 && out[i] != in[i]) {
			printf("  %s changed\n", reg_names[i]);
			bad++;
		}
	for (int i = 15; i < NWORDS; i++)
		if (out[i] != in[i]) {
			printf("  xmm%d changed\n", (i - 15) / 2);
			bad++;
			i |= 1;
		}
	check("syscall + clobbering handler: registers intact", bad == 0);

	/* Through a fault: the handler moves RIP over the ud2 and sets R12 in
	 * uc_mcontext; every other register, rcx and r11 included, is back. */
	on(SIGILL, skip_ud2, 0);
	in[0] = 0x1234;
	regs_round_trip(in, out, 1);
	bad = 0;
	for (int i = 0; i < 15; i++)
		if (i != 11 && out[i] != in[i]) {
			printf("  %s changed\n", reg_names[i]);
			bad++;
		}
	for (int i = 15; i < NWORDS; i++)
		if (out[i] != in[i]) {
			printf("  xmm%d changed\n", (i - 15) / 2);
			bad++;
			i |= 1;
		}
	check("ud2 + handler editing uc_mcontext: rip skipped, registers intact", bad == 0);
	check("uc_mcontext r12 change took effect", out[11] == 0xfeed);
}

/* --- the FPU control state is the handler's own, and comes back --- */

static volatile double fp_result;
static unsigned handler_mxcsr;

static void fp_handler(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)si;
	(void)uc;
	__asm__ volatile("stmxcsr %0" : "=m"(handler_mxcsr));
	/* Change MXCSR rounding to "up" and compute. */
	unsigned mx = 0x5f80;
	__asm__ volatile("ldmxcsr %0" ::"m"(mx));
	fp_result = 1.0 / 3.0;
}

/* xmm_probe: a handler that stores its XMM15 as it finds it. */
uint64_t probed[2] = {1, 1};
__asm__(".text\n"
	".globl xmm_probe\n"
	"xmm_probe:\n"
	"	movdqu %xmm15, probed(%rip)\n"
	"	ret\n");
extern void xmm_probe(int, siginfo_t *, void *);

static void test_fpu(void)
{
	on(SIGUSR1, xmm_probe, 0);
	__asm__ volatile("pcmpeqd %%xmm15, %%xmm15" ::: "xmm15");
	raise(SIGUSR1);
	check("handler starts with XMM15 zero", probed[0] == 0 && probed[1] == 0);

	/* The interrupted code rounds toward zero; the handler starts with
	 * the default MXCSR, and whatever it sets is gone after it returns. */
	unsigned before = 0x7f80, after;
	__asm__ volatile("ldmxcsr %0" ::"m"(before));
	on(SIGUSR2, fp_handler, 0);
	raise(SIGUSR2);
	__asm__ volatile("stmxcsr %0" : "=m"(after));
	unsigned dflt = 0x1f80;
	__asm__ volatile("ldmxcsr %0" ::"m"(dflt));
	check("handler starts with the default MXCSR", handler_mxcsr == 0x1f80);
	check("MXCSR restored after the handler", after == before && fp_result > 0.33);
}

/* --- sigaltstack --- */

static char *alt_base;
static size_t alt_size;
static volatile int on_alt, alt_flags_in_handler, alt_eperm;

static void alt_handler(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)si;
	char local;
	on_alt = &local >= alt_base && &local < alt_base + alt_size;
	stack_t cur;
	sigaltstack(0, &cur);
	alt_flags_in_handler = cur.ss_flags;
	stack_t other = {.ss_sp = alt_base, .ss_size = alt_size, .ss_flags = 0};
	alt_eperm = sigaltstack(&other, 0) == -1 && errno == EPERM;
	(void)uc;
}

static void test_altstack(void)
{
	stack_t old;
	sigaltstack(0, &old);
	check("no alternate stack at start", old.ss_flags == SS_DISABLE);
	alt_size = 64 * 1024;
	alt_base = malloc(alt_size);
	stack_t ss = {.ss_sp = alt_base, .ss_size = alt_size, .ss_flags = 0};
	check("sigaltstack(set)", sigaltstack(&ss, 0) == 0);
	sigaltstack(0, &old);
	check("reads back, not on it", old.ss_sp == alt_base && old.ss_size == alt_size &&
					       old.ss_flags == 0);
	on(SIGUSR1, alt_handler, SA_ONSTACK);
	raise(SIGUSR1);
	check("SA_ONSTACK: handler ran on the alternate stack", on_alt);
	check("sigaltstack in the handler: SS_ONSTACK", alt_flags_in_handler == SS_ONSTACK);
	check("changing it while on it: EPERM", alt_eperm);
	on(SIGUSR1, alt_handler, 0);
	raise(SIGUSR1);
	check("without SA_ONSTACK: the normal stack", !on_alt);
	stack_t small = {.ss_sp = alt_base, .ss_size = 1024, .ss_flags = 0};
	errno = 0;
	check("too small: ENOMEM", sigaltstack(&small, 0) == -1 && errno == ENOMEM);
	stack_t badflags = {.ss_sp = alt_base, .ss_size = alt_size, .ss_flags = 99};
	errno = 0;
	check("bad flags: EINVAL", sigaltstack(&badflags, 0) == -1 && errno == EINVAL);
	stack_t off = {.ss_flags = SS_DISABLE};
	check("SS_DISABLE", sigaltstack(&off, 0) == 0);
	sigaltstack(0, &old);
	check("disabled reads back", old.ss_flags == SS_DISABLE);
	on(SIGUSR1, alt_handler, SA_ONSTACK);
	raise(SIGUSR1);
	check("SA_ONSTACK with none: the normal stack", !on_alt);
}

/* A stack overflow in miniature: RSP is unusable, so the SIGSEGV frame can
 * only go on the alternate stack. */
static void on_fault_alt(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	char local;
	on_alt = &local >= alt_base && &local < alt_base + alt_size;
	fault_sig = sig;
	fault_addr = (uintptr_t)si->si_addr;
	siglongjmp(jb, 1);
}

static void test_bad_stack(void)
{
	stack_t ss = {.ss_sp = alt_base, .ss_size = alt_size, .ss_flags = 0};
	sigaltstack(&ss, 0);
	on(SIGSEGV, on_fault_alt, SA_ONSTACK);
	fault_sig = 0;
	on_alt = 0;
	if (!sigsetjmp(jb, 1))
		__asm__ volatile("mov $0x1000, %%rsp\n push %%rax" ::: "memory");
	check("SIGSEGV on a bad stack, handled on the alternate one",
	      fault_sig == SIGSEGV && fault_addr == 0xff8 && on_alt);
	stack_t off = {.ss_flags = SS_DISABLE};
	sigaltstack(&off, 0);
	signal(SIGSEGV, SIG_DFL);
}

/* --- rt_sigsuspend, rt_sigtimedwait, queued real-time signals --- */

static void test_waits(void)
{
	on(SIGUSR1, record, 0);
	hits = 0;
	block(SIG_BLOCK, SIGUSR1);
	raise(SIGUSR1);
	sigset_t empty;
	sigemptyset(&empty);
	errno = 0;
	int r = sigsuspend(&empty);
	check("sigsuspend: handler ran, EINTR", r == -1 && errno == EINTR && hits == 1);
	sigset_t now;
	sigprocmask(SIG_BLOCK, 0, &now);
	check("sigsuspend: old mask back", sigismember(&now, SIGUSR1));
	block(SIG_UNBLOCK, SIGUSR1);

	sigset_t w;
	sigemptyset(&w);
	sigaddset(&w, SIGUSR2);
	block(SIG_BLOCK, SIGUSR2);
	raise(SIGUSR2);
	siginfo_t si;
	struct timespec zero = {0, 0};
	check("sigtimedwait takes it", sigtimedwait(&w, &si, &zero) == SIGUSR2 &&
					      si.si_signo == SIGUSR2 && si.si_code == SI_TKILL);
	errno = 0;
	check("sigtimedwait, nothing: EAGAIN", sigtimedwait(&w, &si, &zero) == -1 && errno == EAGAIN);
	block(SIG_UNBLOCK, SIGUSR2);

	int rt = SIGRTMIN + 1;
	on(rt, note, 0);
	block(SIG_BLOCK, rt);
	for (int i = 1; i <= 3; i++) {
		union sigval v = {.sival_int = i};
		sigqueue(getpid(), rt, v);
	}
	sigset_t p;
	sigpending(&p);
	check("real-time signal pending", sigismember(&p, rt));
	order_len = 0;
	block(SIG_UNBLOCK, rt);
	char want[64];
	snprintf(want, sizeof want, "%d,%d,%d", rt, rt, rt);
	check("queued three times, delivered three times, in order", strcmp(order, want) == 0);
}

int main(int argc, char **argv)
{
	setvbuf(stdout, 0, _IONBF, 0);
	no_simd_traps = argc > 1 && !strcmp(argv[1], "no-simd-traps");
	test_siginfo();
	test_masks();
	test_nesting();
	test_resethand_and_ignore();
	test_faults();
	test_simd_fault();
	test_registers();
	test_fpu();
	test_altstack();
	test_bad_stack();
	test_waits();
	printf("%s\n", failures ? "FAILED" : "OK");
	return failures != 0;
}
