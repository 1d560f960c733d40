/* Signals that end the program (argv[1] picks one): a default action that
 * terminates, fault signals that are blocked or ignored (they kill even
 * with a handler), a handler without SA_RESTORER, and frames a handler
 * corrupted before rt_sigreturn, and `int $N` through a gate user mode may
 * not use (#GP: SIGSEGV, not SIGILL). Each is killed by the signal before the
 * "survived" line; tests/signals.rs compares with Linux. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

static int mode;

static void handler(int sig)
{
	printf("handler ran for %d\n", sig);
}

static void ill_handler(int sig)
{
	printf("handler ran for %d\n", sig);
	__asm__ volatile("ud2");
}

static void corrupt(int sig, siginfo_t *si, void *p)
{
	ucontext_t *uc = p;
	(void)sig;
	(void)si;
	printf("corrupting the frame\n");
	if (mode == 0)
		uc->uc_mcontext.fpregs = (void *)0x10;
	else if (mode == 1)
		uc->uc_mcontext.gregs[REG_RIP] = (greg_t)0x8000000000000000ULL;
	else
		uc->uc_mcontext.fpregs->mxcsr = 0xffffffff;
}

/* The kernel's struct sigaction on x86-64 (no SA_RESTORER here). */
struct ksigaction {
	void (*handler)(int);
	unsigned long flags;
	void (*restorer)(void);
	uint64_t mask;
};

int main(int argc, char **argv)
{
	setvbuf(stdout, 0, _IONBF, 0);
	const char *what = argc > 1 ? argv[1] : "";
	printf("%s\n", what);
	if (!strcmp(what, "term")) {
		kill(getpid(), SIGTERM);
	} else if (!strcmp(what, "abort")) {
		signal(SIGABRT, SIG_DFL);
		raise(SIGABRT);
	} else if (!strcmp(what, "segv-blocked")) {
		signal(SIGSEGV, handler);
		sigset_t s;
		sigemptyset(&s);
		sigaddset(&s, SIGSEGV);
		sigprocmask(SIG_BLOCK, &s, 0);
		*(volatile int *)0x1000 = 1;
	} else if (!strcmp(what, "segv-ignored")) {
		signal(SIGSEGV, SIG_IGN);
		*(volatile int *)0x1000 = 1;
	} else if (!strcmp(what, "ill-in-handler")) {
		/* A fault inside its own handler: blocked there, so it kills. */
		signal(SIGILL, ill_handler);
		__asm__ volatile("ud2");
	} else if (!strcmp(what, "int-gate")) {
		__asm__ volatile("int $0x30");
	} else if (!strcmp(what, "bad-stack")) {
		/* A handler, but no stack to put its frame on. */
		signal(SIGSEGV, handler);
		__asm__ volatile("mov $0x1000, %%rsp\n push %%rax" ::: "memory");
	} else if (!strcmp(what, "no-restorer")) {
		struct ksigaction ka = {handler, 0, 0, 0};
		syscall(SYS_rt_sigaction, SIGUSR1, &ka, 0, 8);
		raise(SIGUSR1);
	} else if (!strcmp(what, "sigreturn-zero")) {
		/* rt_sigreturn with no handler running, on a frame of zeros:
		 * RIP 0, RSP 0, no FPU image. */
		static uint64_t zeros[128];
		__asm__ volatile("mov %0, %%rsp\n"
				 "mov $15, %%eax\n"
				 "syscall"
				 :
				 : "r"(&zeros[1])
				 : "rax", "rcx", "r11", "memory");
	} else if (!strncmp(what, "corrupt-", 8)) {
		mode = !strcmp(what, "corrupt-fpstate") ? 0 : !strcmp(what, "corrupt-rip") ? 1 : 2;
		struct sigaction sa;
		memset(&sa, 0, sizeof sa);
		sa.sa_sigaction = corrupt;
		sa.sa_flags = SA_SIGINFO;
		sigaction(SIGUSR1, &sa, 0);
		raise(SIGUSR1);
	}
	printf("survived\n");
	return 0;
}
