/* Every system call of issue 3's Linux ABI, checked the way Linux answers
 * it, one output line per check ("name: ok" or "FAIL name: ..."), then "OK"
 * (status 0) or the number of failures (status 1).
 *
 *   abi tty|pipe [REALTIME_SECONDS]     all checks
 *   abi exit                            exit(3) through SYS_exit, not exit_group
 *
 * `tty`/`pipe` says what fd 1 is (under the test harness a pipe, natively and
 * in lstar, whose console mirrors the host's; a tty with lstar.tty=7), so
 * that the ioctl lines read the same everywhere. REALTIME_SECONDS is the
 * host's clock when the test started.
 *
 * Raw system calls only (return value -errno, errno untouched), and output
 * through raw write(1): the lines come out in order whatever stdio's
 * buffering, and libc cannot call something behind our back between two
 * checks (arch_prctl changes FS, which musl's TLS lives on). Everything
 * that differs between Linux and lstar by design is checked loosely and
 * says so: readlink of /proc/self/exe, rseq, the ids, fd 1's access mode. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define ARCH_SET_FS 0x1002
#define ARCH_GET_FS 0x1003
#define PAGE 4096L

static int failures;

static long raw6(long nr, long a, long b, long c, long d, long e, long f)
{
	long ret;
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	register long r9 __asm__("r9") = f;
	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	return ret;
}
#define raw(nr, ...) raw_n(nr, __VA_ARGS__, 0, 0, 0, 0, 0, 0)
#define raw_n(nr, a, b, c, d, e, f, ...) \
	raw6(nr, (long)(a), (long)(b), (long)(c), (long)(d), (long)(e), (long)(f))
#define raw0(nr) raw6(nr, 0, 0, 0, 0, 0, 0)

static void say(const char *fmt, ...)
{
	char line[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof line - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (n > (int)sizeof line - 2)
		n = sizeof line - 2;
	line[n++] = '\n';
	raw(SYS_write, 1, line, n);
}

/* `what` returned `got`; `good` says whether that is right. */
static void check(const char *what, int good, long got, const char *want)
{
	if (good) {
		say("%s: ok", what);
	} else {
		say("FAIL %s: got %ld, want %s", what, got, want);
		failures++;
	}
}
#define EXPECT_EQ(what, got, want)                                              \
	do {                                                                    \
		long g_ = (got), w_ = (want);                                   \
		char s_[32];                                                    \
		snprintf(s_, sizeof s_, "%ld", w_);                             \
		check(what, g_ == w_, g_, s_);                                  \
	} while (0)
#define EXPECT_ERR(what, got, err) EXPECT_EQ(what, got, -(err))
#define EXPECT_TRUE(what, got, cond, want) check(what, (cond), (got), want)

static void test_read_write(void)
{
	static char buf[64];
	EXPECT_EQ("write(1, 6 bytes)", raw(SYS_write, 1, "write\n", 6), 6);
	EXPECT_EQ("write(1, 0 bytes)", raw(SYS_write, 1, buf, 0), 0);
	EXPECT_ERR("write(99) EBADF", raw(SYS_write, 99, buf, 1), EBADF);
	EXPECT_ERR("write(-1) EBADF", raw(SYS_write, -1, buf, 1), EBADF);
	struct iovec wv[3] = {{"wri", 3}, {"", 0}, {"tev\n", 4}};
	EXPECT_EQ("writev(1, 3 iovecs)", raw(SYS_writev, 1, wv, 3), 7);
	EXPECT_EQ("writev(1, 0 iovecs)", raw(SYS_writev, 1, wv, 0), 0);
	EXPECT_ERR("writev(1, -1 iovecs) EINVAL", raw(SYS_writev, 1, wv, -1), EINVAL);
	EXPECT_ERR("writev(1, 1025 iovecs) EINVAL", raw(SYS_writev, 1, wv, 1025), EINVAL);
	EXPECT_ERR("writev(99) EBADF", raw(SYS_writev, 99, wv, 1), EBADF);

	/* stdin is /dev/null natively and at end of input in lstar. */
	EXPECT_EQ("read(0, 0 bytes)", raw(SYS_read, 0, buf, 0), 0);
	EXPECT_EQ("read(0) at end of input", raw(SYS_read, 0, buf, sizeof buf), 0);
	EXPECT_ERR("read(99) EBADF", raw(SYS_read, 99, buf, 1), EBADF);
	struct iovec rv[2] = {{buf, 8}, {buf + 8, 8}};
	EXPECT_EQ("readv(0, 2 iovecs) at end of input", raw(SYS_readv, 0, rv, 2), 0);
	EXPECT_ERR("readv(0, -1 iovecs) EINVAL", raw(SYS_readv, 0, rv, -1), EINVAL);
	EXPECT_ERR("readv(99) EBADF", raw(SYS_readv, 99, rv, 2), EBADF);
	/* Linux checks every iovec before reading anything (efault.c has the
	 * other pointer cases; this one would block on QEMU's stdin if wrong). */
	struct iovec bad_rv[2] = {{buf, 8}, {(void *)0xffff800000000000UL, 8}};
	EXPECT_ERR("readv(0, {ok, kernel address}) EFAULT", raw(SYS_readv, 0, bad_rv, 2), EFAULT);
	/* Same for writev: nothing is written when a later iovec is bad. */
	static const char partial[] = "writev wrote the first iovec before the bad one\n";
	struct iovec bad_wv[2] = {{(void *)partial, sizeof partial - 1},
				  {(void *)0xffff800000000000UL, 8}};
	EXPECT_ERR("writev(1, {ok, kernel address}) EFAULT", raw(SYS_writev, 1, bad_wv, 2), EFAULT);
}

static void test_brk(void)
{
	long cur = raw(SYS_brk, 0);
	EXPECT_TRUE("brk(0)", cur, cur > 0, "> 0");
	long grown = raw(SYS_brk, cur + 65536);
	EXPECT_EQ("brk(+64 KiB)", grown, cur + 65536);
	if (grown == cur + 65536) {
		volatile char *p = (char *)cur;
		p[0] = 1;
		p[65535] = 2;
		EXPECT_EQ("brk memory is writable", p[0] + p[65535], 3);
	}
	EXPECT_EQ("brk(0) after growing", raw(SYS_brk, 0), cur + 65536);
	EXPECT_EQ("brk(back)", raw(SYS_brk, cur), cur);
	/* Below the program's data: refused, the break stays. */
	EXPECT_EQ("brk(4096) refused", raw(SYS_brk, 4096), cur);
	EXPECT_EQ("brk(0) unchanged", raw(SYS_brk, 0), cur);
}

static int all_bytes(const char *p, long n, char v)
{
	for (long i = 0; i < n; i++)
		if (p[i] != v)
			return 0;
	return 1;
}

static void test_mmap(void)
{
	const long prot = PROT_READ | PROT_WRITE, anon = MAP_PRIVATE | MAP_ANONYMOUS;
	long r = raw(SYS_mmap, 0, 3 * PAGE, prot, anon, -1, 0);
	EXPECT_TRUE("mmap(3 pages, anonymous private)", r, r > 0 && r % PAGE == 0,
		    "a page-aligned address");
	if (r <= 0 || r % PAGE)
		return;
	char *p = (char *)r;
	EXPECT_EQ("mmap memory is zero", all_bytes(p, 3 * PAGE, 0), 1);
	memset(p, 'a', PAGE);
	memset(p + PAGE, 'b', PAGE);
	memset(p + 2 * PAGE, 'c', PAGE);
	EXPECT_EQ("munmap(middle page)", raw(SYS_munmap, p + PAGE, PAGE), 0);
	EXPECT_EQ("mmap(MAP_FIXED, the hole)",
		  raw(SYS_mmap, p + PAGE, PAGE, prot, anon | MAP_FIXED, -1, 0), (long)(p + PAGE));
	EXPECT_EQ("MAP_FIXED page is fresh",
		  all_bytes(p + PAGE, PAGE, 0) && all_bytes(p, PAGE, 'a') &&
			  all_bytes(p + 2 * PAGE, PAGE, 'c'),
		  1);
	EXPECT_EQ("mmap(MAP_FIXED over a mapped page)",
		  raw(SYS_mmap, p, PAGE, prot, anon | MAP_FIXED, -1, 0), (long)p);
	EXPECT_EQ("MAP_FIXED replaced it", all_bytes(p, PAGE, 0) && all_bytes(p + 2 * PAGE, PAGE, 'c'),
		  1);

	EXPECT_EQ("mprotect(PROT_READ)", raw(SYS_mprotect, p, PAGE, PROT_READ), 0);
	EXPECT_EQ("PROT_READ page still readable", ((volatile char *)p)[100], 0);
	EXPECT_EQ("mprotect(PROT_READ|PROT_WRITE)", raw(SYS_mprotect, p, PAGE, prot), 0);
	p[100] = 'x';
	EXPECT_EQ("writable again", p[100], 'x');
	EXPECT_ERR("mprotect(unaligned) EINVAL", raw(SYS_mprotect, p + 1, PAGE, PROT_READ), EINVAL);

	EXPECT_ERR("mmap(length 0) EINVAL", raw(SYS_mmap, 0, 0, prot, anon, -1, 0), EINVAL);
	EXPECT_ERR("mmap(MAP_FIXED unaligned) EINVAL",
		   raw(SYS_mmap, p + 1, PAGE, prot, anon | MAP_FIXED, -1, 0), EINVAL);
	EXPECT_ERR("mmap(neither private nor shared) EINVAL",
		   raw(SYS_mmap, 0, PAGE, prot, MAP_ANONYMOUS, -1, 0), EINVAL);
	EXPECT_ERR("munmap(unaligned) EINVAL", raw(SYS_munmap, p + 1, PAGE), EINVAL);
	EXPECT_ERR("munmap(length 0) EINVAL", raw(SYS_munmap, p, 0), EINVAL);
	EXPECT_EQ("munmap(all 3 pages)", raw(SYS_munmap, p, 3 * PAGE), 0);
	EXPECT_EQ("munmap(nothing mapped there)", raw(SYS_munmap, p, 3 * PAGE), 0);
	EXPECT_ERR("mprotect(unmapped) ENOMEM", raw(SYS_mprotect, p, PAGE, PROT_READ), ENOMEM);

	/* A bigger one, touched sparsely, then unmapped. */
	long big = raw(SYS_mmap, 0, 256 * PAGE, prot, anon, -1, 0);
	EXPECT_TRUE("mmap(1 MiB)", big, big > 0 && big % PAGE == 0, "a page-aligned address");
	if (big > 0) {
		((volatile char *)big)[0] = 1;
		((volatile char *)big)[255 * PAGE] = 1;
		EXPECT_EQ("munmap(1 MiB)", raw(SYS_munmap, big, 256 * PAGE), 0);
	}
}

static void test_arch_prctl(void)
{
	static char tls_test[64];
	unsigned long fs = 0, fs2 = 0;
	EXPECT_EQ("arch_prctl(ARCH_GET_FS)", raw(SYS_arch_prctl, ARCH_GET_FS, &fs), 0);
	EXPECT_TRUE("ARCH_GET_FS is musl's TLS", (long)fs, fs != 0, "non-zero");
	/* No libc call until FS is back. */
	long set = raw(SYS_arch_prctl, ARCH_SET_FS, tls_test);
	long get = raw(SYS_arch_prctl, ARCH_GET_FS, &fs2);
	long restore = raw(SYS_arch_prctl, ARCH_SET_FS, fs);
	EXPECT_EQ("arch_prctl(ARCH_SET_FS)", set, 0);
	EXPECT_EQ("ARCH_GET_FS reads it back", get == 0 && fs2 == (unsigned long)tls_test, 1);
	EXPECT_EQ("arch_prctl(ARCH_SET_FS, back)", restore, 0);
	EXPECT_ERR("arch_prctl(ARCH_SET_FS, kernel address) EPERM",
		   raw(SYS_arch_prctl, ARCH_SET_FS, 0xffff800000000000UL), EPERM);
	EXPECT_ERR("arch_prctl(0x9999) EINVAL", raw(SYS_arch_prctl, 0x9999, 0), EINVAL);
}

static void test_ids(void)
{
	long pid = raw0(SYS_getpid), tid = raw0(SYS_gettid), ppid = raw0(SYS_getppid);
	EXPECT_TRUE("getpid", pid, pid > 0, "> 0");
	EXPECT_EQ("gettid == getpid", tid, pid);
	EXPECT_TRUE("getppid", ppid, ppid >= 0 && ppid != pid, ">= 0, not getpid");
	long uid = raw0(SYS_getuid), euid = raw0(SYS_geteuid);
	long gid = raw0(SYS_getgid), egid = raw0(SYS_getegid);
	EXPECT_TRUE("getuid", uid, uid >= 0, ">= 0");
	EXPECT_EQ("geteuid == getuid", euid, uid);
	EXPECT_TRUE("getgid", gid, gid >= 0, ">= 0");
	EXPECT_EQ("getegid == getgid", egid, gid);

	int tid_word = 0;
	EXPECT_EQ("set_tid_address returns the tid", raw(SYS_set_tid_address, &tid_word), tid);
	/* struct robust_list_head is 3 words. */
	static long robust_head[3];
	robust_head[0] = (long)robust_head;
	EXPECT_EQ("set_robust_list(24)", raw(SYS_set_robust_list, robust_head, 24), 0);
	EXPECT_ERR("set_robust_list(23) EINVAL", raw(SYS_set_robust_list, robust_head, 23),
		   EINVAL);

	/* struct rseq: 32 bytes, 32-byte aligned. Registered natively (musl does
	 * not register one itself), ENOSYS in lstar: both fine. */
	static struct {
		uint32_t cpu_id_start, cpu_id;
		uint64_t rseq_cs;
		uint32_t flags, node_id, mm_cid, pad;
	} __attribute__((aligned(32))) rs;
	const long sig = 0x53053053;
	long r = raw(SYS_rseq, &rs, sizeof rs, 0, sig);
	EXPECT_TRUE("rseq (0 or ENOSYS)", r, r == 0 || r == -ENOSYS, "0 or -ENOSYS");
	if (r == 0)
		raw(SYS_rseq, &rs, sizeof rs, 1 /* RSEQ_FLAG_UNREGISTER */, sig);
}

static void test_prlimit_getrandom_uname(void)
{
	struct rlimit old = {0, 0}, again = {0, 0};
	EXPECT_EQ("prlimit64(RLIMIT_STACK, get)", raw(SYS_prlimit64, 0, RLIMIT_STACK, 0, &old), 0);
	EXPECT_TRUE("RLIMIT_STACK cur <= max", (long)old.rlim_cur,
		    old.rlim_cur > 0 && old.rlim_cur <= old.rlim_max, "0 < cur <= max");
	EXPECT_EQ("prlimit64(RLIMIT_NOFILE, get)", raw(SYS_prlimit64, 0, RLIMIT_NOFILE, 0, &old), 0);
	EXPECT_TRUE("RLIMIT_NOFILE cur >= 3", (long)old.rlim_cur,
		    old.rlim_cur >= 3 && old.rlim_cur <= old.rlim_max, "3 <= cur <= max");
	EXPECT_EQ("prlimit64(RLIMIT_NOFILE, set the same)",
		  raw(SYS_prlimit64, 0, RLIMIT_NOFILE, &old, &again), 0);
	EXPECT_EQ("prlimit64 set returns the old value",
		  again.rlim_cur == old.rlim_cur && again.rlim_max == old.rlim_max, 1);
	EXPECT_ERR("prlimit64(resource 999) EINVAL", raw(SYS_prlimit64, 0, 999, 0, &old), EINVAL);

	unsigned char a[32], b[32];
	memset(a, 0, sizeof a);
	memset(b, 0, sizeof b);
	EXPECT_EQ("getrandom(32)", raw(SYS_getrandom, a, sizeof a, 0), 32);
	EXPECT_EQ("getrandom(32, GRND_NONBLOCK)", raw(SYS_getrandom, b, sizeof b, 1), 32);
	EXPECT_EQ("getrandom gives different bytes", memcmp(a, b, sizeof a) != 0, 1);
	EXPECT_EQ("getrandom(0)", raw(SYS_getrandom, a, 0, 0), 0);
	EXPECT_ERR("getrandom(bad flags) EINVAL", raw(SYS_getrandom, a, sizeof a, 0x100), EINVAL);

	struct utsname u;
	memset(&u, 0, sizeof u);
	EXPECT_EQ("uname", raw(SYS_uname, &u), 0);
	EXPECT_EQ("uname sysname is Linux", strcmp(u.sysname, "Linux"), 0);
	EXPECT_EQ("uname machine is x86_64", strcmp(u.machine, "x86_64"), 0);
	EXPECT_EQ("uname release is set", u.release[0] != 0, 1);
}

static void test_ioctl(int tty)
{
	struct winsize ws;
	struct termios t;
	/* On a tty both succeed; on a pipe both are ENOTTY. */
	long want = tty ? 0 : -ENOTTY;
	EXPECT_EQ("ioctl(1, TIOCGWINSZ)", raw(SYS_ioctl, 1, TIOCGWINSZ, &ws), want);
	EXPECT_EQ("ioctl(1, TCGETS)", raw(SYS_ioctl, 1, TCGETS, &t), want);
	EXPECT_ERR("ioctl(1, unknown request) ENOTTY", raw(SYS_ioctl, 1, 0xdead, 0), ENOTTY);
	EXPECT_ERR("ioctl(99, TCGETS) EBADF", raw(SYS_ioctl, 99, TCGETS, &t), EBADF);
}

static long ns_of(struct timespec t)
{
	return t.tv_sec * 1000000000L + t.tv_nsec;
}

static void test_time(long host_seconds)
{
	struct timespec rt, m0, m1;
	EXPECT_EQ("clock_gettime(CLOCK_REALTIME)", raw(SYS_clock_gettime, CLOCK_REALTIME, &rt), 0);
	if (host_seconds > 0) {
		long d = rt.tv_sec - host_seconds;
		EXPECT_TRUE("CLOCK_REALTIME within 5 s of the host", d, d > -5 && d < 5,
			    "|difference| < 5 s");
	}
	EXPECT_EQ("clock_gettime(CLOCK_MONOTONIC)", raw(SYS_clock_gettime, CLOCK_MONOTONIC, &m0), 0);
	int monotonic = 1, normal = 1;
	for (int i = 0; i < 50; i++) {
		raw(SYS_clock_gettime, CLOCK_MONOTONIC, &m1);
		if (ns_of(m1) < ns_of(m0))
			monotonic = 0;
		if (m1.tv_nsec < 0 || m1.tv_nsec >= 1000000000L)
			normal = 0;
		m0 = m1;
	}
	EXPECT_EQ("CLOCK_MONOTONIC never goes back", monotonic, 1);
	EXPECT_EQ("tv_nsec < 1e9", normal, 1);
	EXPECT_ERR("clock_gettime(999) EINVAL", raw(SYS_clock_gettime, 999, &m0), EINVAL);

	struct {
		long tv_sec, tv_usec;
	} tv;
	EXPECT_EQ("gettimeofday", raw(SYS_gettimeofday, &tv, 0), 0);
	raw(SYS_clock_gettime, CLOCK_REALTIME, &rt);
	long d = rt.tv_sec - tv.tv_sec;
	EXPECT_TRUE("gettimeofday agrees with CLOCK_REALTIME", d, d >= 0 && d < 2, "0 <= d < 2 s");
	EXPECT_TRUE("tv_usec < 1e6", tv.tv_usec, tv.tv_usec >= 0 && tv.tv_usec < 1000000, "< 1e6");
	EXPECT_EQ("gettimeofday(NULL, NULL)", raw(SYS_gettimeofday, 0, 0), 0);

	struct timespec req = {0, 20 * 1000 * 1000}, rem = {0, 0};
	raw(SYS_clock_gettime, CLOCK_MONOTONIC, &m0);
	EXPECT_EQ("nanosleep(20 ms)", raw(SYS_nanosleep, &req, &rem), 0);
	raw(SYS_clock_gettime, CLOCK_MONOTONIC, &m1);
	long slept = ns_of(m1) - ns_of(m0);
	EXPECT_TRUE("nanosleep slept at least 20 ms", slept,
		    slept >= 20 * 1000 * 1000L && slept < 5 * 1000000000L, ">= 20 ms, < 5 s");
	struct timespec zero = {0, 0}, bad_ns = {0, 1000000000L}, neg = {-1, 0};
	EXPECT_EQ("nanosleep(0)", raw(SYS_nanosleep, &zero, 0), 0);
	EXPECT_ERR("nanosleep(tv_nsec = 1e9) EINVAL", raw(SYS_nanosleep, &bad_ns, 0), EINVAL);
	EXPECT_ERR("nanosleep(tv_sec = -1) EINVAL", raw(SYS_nanosleep, &neg, 0), EINVAL);
	EXPECT_EQ("sched_yield", raw0(SYS_sched_yield), 0);
}

/* The kernel's struct sigaction on x86-64. */
struct ksigaction {
	void (*handler)(int);
	unsigned long flags;
	void (*restorer)(void);
	uint64_t mask;
};
#define KSA_RESTORER 0x04000000UL
#define BIT(sig) (1ULL << ((sig) - 1))

static void handler(int sig)
{
	(void)sig;
}
static void restorer(void)
{
}

static void test_signals(void)
{
	struct ksigaction act = {handler, KSA_RESTORER | SA_RESTART, restorer, BIT(SIGUSR2)};
	struct ksigaction old, none = {0, 0, 0, 0};
	memset(&old, 0xff, sizeof old);
	EXPECT_EQ("rt_sigaction(SIGUSR1, get default)", raw(SYS_rt_sigaction, SIGUSR1, 0, &old, 8),
		  0);
	EXPECT_EQ("SIGUSR1 starts SIG_DFL", old.handler == SIG_DFL && old.mask == 0, 1);
	EXPECT_EQ("rt_sigaction(SIGUSR1, set)", raw(SYS_rt_sigaction, SIGUSR1, &act, 0, 8), 0);
	memset(&old, 0, sizeof old);
	EXPECT_EQ("rt_sigaction(SIGUSR1, set default, get old)",
		  raw(SYS_rt_sigaction, SIGUSR1, &none, &old, 8), 0);
	EXPECT_EQ("old action reads back",
		  old.handler == handler && old.flags == act.flags && old.restorer == restorer &&
			  old.mask == BIT(SIGUSR2),
		  1);
	memset(&old, 0xff, sizeof old);
	raw(SYS_rt_sigaction, SIGUSR1, 0, &old, 8);
	EXPECT_EQ("SIGUSR1 is SIG_DFL again", old.handler == SIG_DFL, 1);
	EXPECT_ERR("rt_sigaction(sigsetsize 4) EINVAL", raw(SYS_rt_sigaction, SIGUSR1, &act, 0, 4),
		   EINVAL);
	EXPECT_ERR("rt_sigaction(SIGKILL, set) EINVAL", raw(SYS_rt_sigaction, SIGKILL, &act, 0, 8),
		   EINVAL);
	EXPECT_EQ("rt_sigaction(SIGKILL, get)", raw(SYS_rt_sigaction, SIGKILL, 0, &old, 8), 0);
	EXPECT_ERR("rt_sigaction(0) EINVAL", raw(SYS_rt_sigaction, 0, 0, &old, 8), EINVAL);
	EXPECT_ERR("rt_sigaction(65) EINVAL", raw(SYS_rt_sigaction, 65, 0, &old, 8), EINVAL);

	uint64_t start = ~0ULL, set = BIT(SIGUSR1) | BIT(SIGKILL), now = 0;
	EXPECT_EQ("rt_sigprocmask(get)", raw(SYS_rt_sigprocmask, SIG_BLOCK, 0, &start, 8), 0);
	EXPECT_EQ("rt_sigprocmask(SIG_BLOCK)", raw(SYS_rt_sigprocmask, SIG_BLOCK, &set, 0, 8), 0);
	raw(SYS_rt_sigprocmask, SIG_BLOCK, 0, &now, 8);
	EXPECT_EQ("SIGUSR1 blocked, SIGKILL cannot be",
		  now == (start | BIT(SIGUSR1)) && !(now & BIT(SIGKILL)), 1);
	uint64_t old_mask = 0;
	EXPECT_EQ("rt_sigprocmask(SIG_SETMASK, back)",
		  raw(SYS_rt_sigprocmask, SIG_SETMASK, &start, &old_mask, 8), 0);
	EXPECT_EQ("old mask reads back", old_mask == now, 1);
	raw(SYS_rt_sigprocmask, SIG_BLOCK, 0, &now, 8);
	EXPECT_EQ("mask restored", now == start, 1);
	EXPECT_ERR("rt_sigprocmask(how 99) EINVAL", raw(SYS_rt_sigprocmask, 99, &set, 0, 8), EINVAL);
	EXPECT_ERR("rt_sigprocmask(sigsetsize 4) EINVAL",
		   raw(SYS_rt_sigprocmask, SIG_BLOCK, &set, 0, 4), EINVAL);
}

static void test_readlink(void)
{
	char buf[256];
	long r = raw(SYS_readlink, "/proc/self/exe", buf, sizeof buf);
	/* Linux gives the path; lstar has no /proc (issue 3: ENOENT is fine). */
	EXPECT_TRUE("readlink(/proc/self/exe) (a path or ENOENT)", r,
		    (r > 0 && buf[0] == '/') || r == -ENOENT, "> 0 or -ENOENT");
	EXPECT_ERR("readlink(\"\") ENOENT", raw(SYS_readlink, "", buf, sizeof buf), ENOENT);
}

static void test_fds(void)
{
	EXPECT_EQ("fcntl(1, F_GETFD)", raw(SYS_fcntl, 1, F_GETFD), 0);
	EXPECT_EQ("fcntl(1, F_SETFD, FD_CLOEXEC)", raw(SYS_fcntl, 1, F_SETFD, FD_CLOEXEC), 0);
	EXPECT_EQ("F_GETFD reads FD_CLOEXEC", raw(SYS_fcntl, 1, F_GETFD), FD_CLOEXEC);
	EXPECT_EQ("fcntl(1, F_SETFD, 0)", raw(SYS_fcntl, 1, F_SETFD, 0), 0);
	long fl = raw(SYS_fcntl, 1, F_GETFL);
	/* A pipe's write end natively, the console (O_RDWR or O_WRONLY) in lstar. */
	EXPECT_TRUE("fcntl(1, F_GETFL) is writable", fl,
		    fl >= 0 && ((fl & O_ACCMODE) == O_WRONLY || (fl & O_ACCMODE) == O_RDWR),
		    "O_WRONLY or O_RDWR");
	long d = raw(SYS_fcntl, 1, F_DUPFD, 10);
	EXPECT_TRUE("fcntl(1, F_DUPFD, 10)", d, d >= 10, ">= 10");
	if (d >= 10) {
		EXPECT_EQ("F_DUPFD copy has no FD_CLOEXEC", raw(SYS_fcntl, d, F_GETFD), 0);
		EXPECT_EQ("close(F_DUPFD copy)", raw(SYS_close, d), 0);
	}
	EXPECT_ERR("fcntl(99, F_GETFD) EBADF", raw(SYS_fcntl, 99, F_GETFD), EBADF);
	EXPECT_ERR("fcntl(1, 9999) EINVAL", raw(SYS_fcntl, 1, 9999), EINVAL);

	d = raw(SYS_dup, 1);
	EXPECT_TRUE("dup(1)", d, d >= 3, ">= 3");
	if (d >= 0) {
		EXPECT_EQ("write through dup(1)", raw(SYS_write, d, "through dup\n", 12), 12);
		EXPECT_EQ("close(dup)", raw(SYS_close, d), 0);
		EXPECT_ERR("close(closed fd) EBADF", raw(SYS_close, d), EBADF);
		EXPECT_ERR("write(closed fd) EBADF", raw(SYS_write, d, "x", 1), EBADF);
	}
	EXPECT_ERR("dup(99) EBADF", raw(SYS_dup, 99), EBADF);
	EXPECT_EQ("dup2(1, 1)", raw(SYS_dup2, 1, 1), 1);
	EXPECT_EQ("dup2(1, 20)", raw(SYS_dup2, 1, 20), 20);
	EXPECT_EQ("write through dup2(1, 20)", raw(SYS_write, 20, "through dup2\n", 13), 13);
	EXPECT_EQ("dup2(2, 20) replaces it", raw(SYS_dup2, 2, 20), 20);
	EXPECT_EQ("close(20)", raw(SYS_close, 20), 0);
	EXPECT_ERR("dup2(99, 20) EBADF", raw(SYS_dup2, 99, 20), EBADF);
	EXPECT_ERR("dup2(99, 99) EBADF", raw(SYS_dup2, 99, 99), EBADF);
	EXPECT_EQ("dup3(1, 21, O_CLOEXEC)", raw(SYS_dup3, 1, 21, O_CLOEXEC), 21);
	EXPECT_EQ("dup3 copy has FD_CLOEXEC", raw(SYS_fcntl, 21, F_GETFD), FD_CLOEXEC);
	EXPECT_EQ("write through dup3(1, 21)", raw(SYS_write, 21, "through dup3\n", 13), 13);
	EXPECT_EQ("close(21)", raw(SYS_close, 21), 0);
	EXPECT_ERR("dup3(1, 1, 0) EINVAL", raw(SYS_dup3, 1, 1, 0), EINVAL);
	EXPECT_ERR("dup3(1, 22, bad flags) EINVAL", raw(SYS_dup3, 1, 22, 0x1234), EINVAL);
	EXPECT_ERR("close(22) EBADF", raw(SYS_close, 22), EBADF);
	EXPECT_ERR("close(-1) EBADF", raw(SYS_close, -1), EBADF);
}

/* regs_probe_*(nr, out): loads a distinct value into every register the
 * entry preserves (rbx rbp rdx rsi rdi r8 r9 r10 r12 r13 r14 r15), makes
 * system call `nr` through `syscall` or `int $0x80`, and stores those
 * registers in out[0..11] and RAX in out[12]. In assembly, because the
 * compiler must not own any of them across the instruction. */
#define REGS_PROBE(name, insn)                                                      \
	__asm__(".text\n.globl " #name "\n" #name ":\n"                             \
		"push %rbx\npush %rbp\npush %r12\npush %r13\npush %r14\npush %r15\n" \
		"push %rsi\n"                                                       \
		"mov %rdi, %rax\n"                                                  \
		"movabs $0x5a5a5a5a00000001, %rbx\n"                                \
		"movabs $0x5a5a5a5a00000002, %rbp\n"                                \
		"movabs $0x5a5a5a5a00000003, %rdx\n"                                \
		"movabs $0x5a5a5a5a00000004, %rsi\n"                                \
		"movabs $0x5a5a5a5a00000005, %rdi\n"                                \
		"movabs $0x5a5a5a5a00000006, %r8\n"                                 \
		"movabs $0x5a5a5a5a00000007, %r9\n"                                 \
		"movabs $0x5a5a5a5a00000008, %r10\n"                                \
		"movabs $0x5a5a5a5a00000009, %r12\n"                                \
		"movabs $0x5a5a5a5a0000000a, %r13\n"                                \
		"movabs $0x5a5a5a5a0000000b, %r14\n"                                \
		"movabs $0x5a5a5a5a0000000c, %r15\n" insn "\n"                      \
		"push %rax\n"                                                       \
		"mov 8(%rsp), %rax\n"                                               \
		"mov %rbx, 0(%rax)\nmov %rbp, 8(%rax)\nmov %rdx, 16(%rax)\n"         \
		"mov %rsi, 24(%rax)\nmov %rdi, 32(%rax)\nmov %r8, 40(%rax)\n"        \
		"mov %r9, 48(%rax)\nmov %r10, 56(%rax)\nmov %r12, 64(%rax)\n"        \
		"mov %r13, 72(%rax)\nmov %r14, 80(%rax)\nmov %r15, 88(%rax)\n"       \
		"pop %rcx\nmov %rcx, 96(%rax)\n"                                    \
		"pop %rsi\npop %r15\npop %r14\npop %r13\npop %r12\npop %rbp\npop %rbx\n" \
		"ret\n")
REGS_PROBE(regs_probe_syscall, "syscall");
REGS_PROBE(regs_probe_int80, "int $0x80");
void regs_probe_syscall(long nr, long *out);
void regs_probe_int80(long nr, long *out);

/* Every register but RAX (and RCX, R11 for `syscall`) comes back as it
 * went in, on success and on failure, through both entries (the kernel's
 * fast and slow paths save and restore them differently). */
static void test_registers(void)
{
	static const struct {
		const char *what;
		int int80;
		long nr;
		long want;
	} cases[] = {
		{"registers across syscall getppid", 0, SYS_getppid, 0},
		{"registers across syscall close(bad fd) EBADF", 0, SYS_close, -EBADF},
		{"registers across syscall 1000 ENOSYS", 0, 1000, -ENOSYS},
		{"registers across int $0x80 getppid", 1, 64, 0},
		{"registers across int $0x80 1000 ENOSYS", 1, 1000, -ENOSYS},
	};
	long ppid = raw0(SYS_getppid);
	for (unsigned c = 0; c < sizeof cases / sizeof cases[0]; c++) {
		long out[13];
		if (cases[c].int80)
			regs_probe_int80(cases[c].nr, out);
		else
			regs_probe_syscall(cases[c].nr, out);
		long want = cases[c].nr == SYS_getppid || (cases[c].int80 && cases[c].nr == 64)
				    ? ppid
				    : cases[c].want;
		int bad = -1;
		for (int i = 0; i < 12 && bad < 0; i++)
			if (out[i] != (long)(0x5a5a5a5a00000001UL + i))
				bad = i;
		if (bad >= 0)
			check(cases[c].what, 0, bad, "every preserved register unchanged (got: index of the first changed)");
		else
			EXPECT_EQ(cases[c].what, out[12], want);
	}
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "exit") == 0) {
		raw(SYS_exit, 3);
		say("FAIL exit returned");
		return 1;
	}
	int tty = argc > 1 && strcmp(argv[1], "tty") == 0;
	long host_seconds = argc > 2 ? atol(argv[2]) : 0;

	test_read_write();
	test_brk();
	test_mmap();
	test_arch_prctl();
	test_ids();
	test_prlimit_getrandom_uname();
	test_ioctl(tty);
	test_time(host_seconds);
	test_signals();
	test_readlink();
	test_fds();
	test_registers();
	if (failures) {
		say("%d FAILED", failures);
		return 1;
	}
	say("OK");
	return 0;
}
