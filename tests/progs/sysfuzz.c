/* Random system calls through both entries: N calls (argv[1]) from seed S
 * (argv[2]), each a random number with six random arguments, half of them
 * by `syscall` (the x86-64 table) and half by `int $0x80` (the i386 table,
 * 32-bit arguments). The kernel must answer every one, with any result, and
 * survive; the program then prints "survived N calls". On a kernel fault or
 * a hang the last line printed names the seed; `sysfuzz N S V` (V = 1)
 * prints every call before making it.
 *
 * Arguments: small integers (fds 3-7 are open: /dev/zero, a file in /tmp,
 * the directory /, a memfd, an epoll set), -1, pointers into a scratch area
 * (below 4 GiB, so that int $0x80 can pass them, with a PROT_NONE guard
 * page after it, and path names at its start), kernel and non-canonical
 * addresses, 0, and random words.
 *
 * Steered away from, because they would rightly end, block or corrupt the
 * program itself rather than test the kernel: exit, kill and friends,
 * execve, fork/vfork/clone, rt_sigreturn, waits without a timeout (pause,
 * sigsuspend, sleeps, poll/select/epoll_wait, futex, message queues, aio),
 * file descriptors that read can block on (pipes, sockets, eventfd,
 * timerfd, signalfd, inotify, userfaultfd), FIFOs (mknod), the signal mask
 * (kept fully blocked), timers that send signals (alarm, setitimer,
 * timer_*), resource limits, seccomp, reboot, vhangup, the FS base
 * (arch_prctl SET_FS, set_thread_area), and memory calls outside the
 * scratch area (munmap, mprotect, mremap, madvise, brk, mmap MAP_FIXED...).
 * fds 0-2 are /dev/null (reads get EOF, writes vanish); the real stdout is
 * kept at OUT_FD, which no call may close or replace. Steered-away draws
 * are not counted: N calls are made.
 *
 * It refuses to run on any other kernel: on the host, as root, the same
 * calls would chmod /, set the clock, unmount file systems... */
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <unistd.h>

#define OUT_FD 900
#define SCRATCH ((uint64_t)0x60000000)
#define SCRATCH_LEN ((uint64_t)1 << 20)

static uint64_t s = 88172645463325252ull;
static uint64_t rnd(void) { s ^= s << 13; s ^= s >> 7; s ^= s << 17; return s; }

/* Numbers never called, per table; -1 ends a list. */
static const int deny64[] = {
	60, 231, 62, 200, 234, 129, 297, 59, 322, 15,         /* exit, kill, exec, sigreturn */
	57, 58, 56, 435,                                      /* fork, vfork, clone, clone3 */
	34, 130, 35, 230, 23, 270, 7, 271, 232, 281, 441,     /* pause, sleeps, poll, select, epoll_wait */
	202, 449, 70, 69, 65, 220, 208, 333, 242, 243, 128,   /* futex, msg, sem, aio, mq, sigtimedwait */
	22, 293, 41, 53, 284, 290, 283, 282, 289, 253, 294,   /* pipes, sockets, eventfd, timerfd... */
	323, 434, 300, 298, 425, 43, 288,                     /* userfaultfd, pidfd, perf, io_uring, accept */
	14, 37, 38, 222, 223, 160, 302, 317, 169, 153,        /* sigprocmask, alarm, timers, rlimit, reboot */
	12, 30, 67, 311, 436, 133, 259, 211, 205,             /* brk, shm, process_vm_writev, close_range, mknod, TLS */
	-1};
static const int deny32[] = {
	1, 252, 37, 238, 270, 178, 335, 11, 358, 119, 173,    /* exit, kill, exec, sigreturn */
	2, 190, 120, 435,                                     /* fork, vfork, clone, clone3 */
	29, 72, 179, 162, 267, 407, 168, 142, 82, 308, 309,   /* pause, sleeps, poll, select */
	413, 414, 256, 319, 441,                              /* time64 polls, epoll_wait */
	240, 422, 449, 117, 247, 385, 177, 421,               /* futex, ipc, aio, sigtimedwait */
	278, 279, 280, 281, 282, 418, 419,                    /* mq_* */
	42, 331, 359, 360, 102, 323, 328, 322, 321, 327,      /* pipes, sockets, eventfd, timerfd, signalfd */
	291, 332, 374, 434, 338, 336, 425, 364,               /* inotify, userfaultfd, pidfd, perf... */
	126, 175, 69, 27, 104, 259, 260, 409, 75, 191, 340,   /* sigprocmask, alarm, timers, rlimit */
	354, 88, 111, 45, 90, 348, 436, 14, 297,              /* seccomp, reboot, vhangup, brk, old mmap */
	243, 113, 166, 123,                                   /* set_thread_area, vm86, modify_ldt */
	-1};

/* Calls whose first two arguments are an address and a length in our own
 * address space: they are pointed at the scratch area (or at an address no
 * user mapping has). */
static const int mem64[] = {9, 10, 11, 25, 26, 27, 28, 149, 150, 216, 237, 325, 329, 462, -1};
static const int mem32[] = {192, 125, 91, 163, 144, 218, 219, 150, 151, 257, 274, 376, 380, 462, -1};

static int in(const int *list, long nr) {
	for (; *list >= 0; list++)
		if (*list == nr) return 1;
	return 0;
}

/* Path names at the start of the scratch area (calls may overwrite them). */
static const char *paths[] = {"/tmp/a", "/tmp/d/", "/tmp", ".", "/", "/dev/null", "/dev/zero",
			      "/proc/self/maps", "/proc/self/fd/4", "a", "/etc/mtab", "", "..", "/tmp/a/b"};
#define NPATHS (sizeof paths / sizeof *paths)
#define PATH_SLOT 64

static long arg(void) {
	switch (rnd() % 11) {
	case 10: return (long)(SCRATCH + PATH_SLOT * (rnd() % NPATHS));
	case 0: return (long)(rnd() % 64);
	case 1: return -1;
	case 2: case 3: return (long)(SCRATCH + rnd() % SCRATCH_LEN);
	case 4: return (long)(0xffffffff80000000ull + (rnd() & 0xffffff));
	case 5: return (long)(0xffff888000000000ull + (rnd() & 0xffffffff));
	case 6: return 0;
	case 7: return (long)(rnd() % 4096);
	case 8: return (long)(0x8000000000000000ull | rnd());
	default: return (long)rnd();
	}
}

static long sys64(long nr, const long *a) {
	register long r10 __asm__("r10") = a[3];
	register long r8 __asm__("r8") = a[4];
	register long r9 __asm__("r9") = a[5];
	long ret;
	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(nr), "D"(a[0]), "S"(a[1]), "d"(a[2]), "r"(r10), "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory", "cc");
	return ret;
}

static long sys32(long nr, const long *a) {
	register long r12 __asm__("r12") = a[5];
	long ret;
	/* ebp is the sixth argument: kept in r13 around the call (no push: it
	 * would clobber the red zone under a leaf function's stack). */
	__asm__ volatile("mov %%rbp, %%r13\n\tmov %%r12d, %%ebp\n\tint $0x80\n\tmov %%r13, %%rbp"
			 : "=a"(ret)
			 : "a"(nr), "b"(a[0]), "c"(a[1]), "d"(a[2]), "S"(a[3]), "D"(a[4]), "r"(r12)
			 : "r8", "r9", "r10", "r11", "r13", "memory", "cc");
	return ret;
}

/* Keeps a call off what the program needs; 0 when it must be skipped. */
static int steer(int compat, long nr, long *a) {
	if (in(compat ? deny32 : deny64, nr)) return 0;
	if (in(compat ? mem32 : mem64, nr)) {
		if (rnd() % 8 == 0) {
			a[0] = (long)(0xffff800000000000ull + (rnd() & ~0xfffull & 0xffffffffffull));
			a[1] = (long)(rnd() % (1 << 20));
		} else {
			uint64_t off = rnd() % SCRATCH_LEN;
			if (rnd() % 2) off &= ~0xfffull;
			a[0] = (long)(SCRATCH + off);
			a[1] = (long)(rnd() % (SCRATCH_LEN - off + 1));
		}
		long mremap = compat ? 163 : 25;
		if (nr == mremap) a[3] &= ~6L; /* no MREMAP_FIXED / DONTUNMAP: a[4] is anything */
	}
	long mmap = compat ? 192 : 9;
	if (nr == mmap) a[3] &= ~0x10L; /* MAP_FIXED only where steered (the area above) */
	/* The program's output fd is the one it needs. */
	long close = compat ? 6 : 3, dup2 = compat ? 63 : 33, dup3 = compat ? 330 : 292;
	if (nr == close && (int)a[0] == OUT_FD) return 0;
	if ((nr == dup2 || nr == dup3) && (int)a[1] == OUT_FD) return 0;
	long arch_prctl = compat ? 384 : 158;
	if (nr == arch_prctl) return 0; /* ARCH_SET_FS would move musl's TLS */
	return 1;
}

int main(int argc, char **argv) {
	long n = argc > 1 ? atol(argv[1]) : 100000;
	if (argc > 2) s = (uint64_t)atoll(argv[2]) * 2654435761u + 1;
	int verbose = argc > 3 && atoi(argv[3]);
	uint64_t seed = argc > 2 ? (uint64_t)atoll(argv[2]) : 0;
	struct utsname u;
	if (uname(&u) || !strstr(u.release, "-lstar")) {
		fprintf(stderr, "sysfuzz: not the lstar kernel (%s): refusing to make random system calls\n", u.release);
		return 7;
	}
	if (dup2(1, OUT_FD) != OUT_FD) return 2;
	int null = open("/dev/null", O_RDWR);
	if (null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0 || dup2(null, 2) < 0) return 3;
	if (null > 2) close(null);
	if (mmap((void *)SCRATCH, SCRATCH_LEN, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == MAP_FAILED ||
	    mmap((void *)(SCRATCH + SCRATCH_LEN), 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == MAP_FAILED)
		return 4;
	memset((void *)SCRATCH, 0, SCRATCH_LEN);
	for (unsigned i = 0; i < NPATHS; i++) strcpy((char *)(SCRATCH + PATH_SLOT * i), paths[i]);
	if (chdir("/tmp") || open("/dev/zero", O_RDONLY) != 3 || open("/tmp/f", O_RDWR | O_CREAT, 0644) != 4 ||
	    open("/", O_RDONLY | O_DIRECTORY) != 5 || syscall(319 /* memfd_create */, "m", 0) != 6 ||
	    syscall(291 /* epoll_create1 */, 0) != 7)
		return 6;
	sigset_t all;
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, 0);
	FILE *out = fdopen(OUT_FD, "w");
	if (!out) return 5;
	setvbuf(out, 0, _IONBF, 0);
	fprintf(out, "sysfuzz: seed %llu, %ld calls\n", (unsigned long long)seed, n);
	long made[2] = {0, 0};
	for (long i = 0; made[0] + made[1] < n; i++) {
		int compat = rnd() & 1;
		long nr;
		switch (rnd() % 16) {
		case 0: nr = (long)rnd(); break;
		case 1: nr = (long)(rnd() % 1024); break;
		default: nr = (long)(rnd() % 470);
		}
		long a[6];
		for (int k = 0; k < 6; k++) a[k] = arg();
		if (compat) {
			nr = (uint32_t)nr;
			for (int k = 0; k < 6; k++) a[k] = (uint32_t)a[k];
		}
		if (!steer(compat, nr, a)) continue;
		if (verbose)
			fprintf(out, "%ld: %s %ld (%lx, %lx, %lx, %lx, %lx, %lx)\n", i, compat ? "int80" : "syscall", nr,
				a[0], a[1], a[2], a[3], a[4], a[5]);
		if (compat) sys32(nr, a);
		else sys64(nr, a);
		made[compat]++;
	}
	fprintf(out, "survived %ld calls (%ld syscall, %ld int 0x80)\n", n, made[0], made[1]);
	return 0;
}
