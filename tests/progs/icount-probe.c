/* Instructions per kernel operation, for scripts/icount-bench.sh: run under
 * QEMU TCG with `-icount shift=0`, where the guest TSC counts instructions
 * (one tick per guest instruction, user and kernel alike), `rdtsc` around N
 * repetitions of an operation gives instructions per operation. From each
 * figure the cost of the same loop with nothing in it is subtracted. Each
 * operation is measured in ROUNDS rounds (fresh memory for the first-touch
 * ones) and the smallest figure is printed, which drops timer interrupts.
 *
 *   icount-probe [exit-port]
 *
 * Prints one line per operation, "icount: NAME INSTRUCTIONS", then "icount:
 * done". With `exit-port` (Linux as the peer: the probe is /init, pid 1,
 * root) it mounts a tmpfs on /tmp first and at the end writes 0 to QEMU's
 * isa-debug-exit port (0xf4) after ioperm(2), so that QEMU exits instead of
 * the kernel panicking on init's exit. Without it the probe returns from
 * main (under the lstar kernel the program's exit is the VM's exit).
 * Natively it runs too (the figures are then cycles, not instructions). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/io.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define ROUNDS 3
#define PAGE 4096L
#define MIB (1L << 20)
#define FILE_PAGES 64L

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("lfence; rdtsc; lfence" : "=a"(lo), "=d"(hi) : : "memory");
	return ((uint64_t)hi << 32) | lo;
}

static void die(const char *what)
{
	printf("icount: error %s: %s\n", what, strerror(errno));
	fflush(stdout);
	exit(1);
}

/* Instructions of one iteration of an empty counted loop. */
static double empty_loop(long n)
{
	double best = 1e300;
	for (int r = 0; r < ROUNDS; r++) {
		uint64_t t0 = rdtsc();
		for (long i = 0; i < n; i++)
			__asm__ volatile("" : : "r"(i) : "memory");
		uint64_t t1 = rdtsc();
		double c = (double)(t1 - t0) / n;
		if (c < best)
			best = c;
	}
	return best;
}

static void report(const char *name, double per_op, long n)
{
	double v = per_op - empty_loop(n);
	printf("icount: %s %.0f\n", name, v < 0 ? 0 : v);
	fflush(stdout);
}

/* Times N iterations of BODY (with i the index) after SETUP, ROUNDS times;
 * reports the smallest per-iteration figure. */
#define MEASURE(name, n, setup, body)                                \
	do {                                                         \
		double best_ = 1e300;                                \
		for (int round_ = 0; round_ < ROUNDS; round_++) {    \
			setup;                                       \
			uint64_t t0_ = rdtsc();                      \
			for (long i = 0; i < (n); i++) {             \
				body;                                \
				__asm__ volatile("" ::: "memory");   \
			}                                            \
			uint64_t t1_ = rdtsc();                      \
			double c_ = (double)(t1_ - t0_) / (n);       \
			if (c_ < best_)                              \
				best_ = c_;                          \
		}                                                    \
		report(name, best_, n);                              \
	} while (0)

static inline long getppid_syscall(void)
{
	long ret;
	__asm__ volatile("syscall" : "=a"(ret) : "a"(110L) : "rcx", "r11", "memory");
	return ret;
}

static inline long getppid_int80(void)
{
	long ret = 64; /* i386 getppid */
	__asm__ volatile("int $0x80" : "+a"(ret) : : "memory", "r8", "r9", "r10", "r11");
	return ret;
}

static char *map_anon(long len)
{
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		die("mmap");
	return p;
}

static void unmap(void *p, long len)
{
	if (munmap(p, len))
		die("munmap");
}

int main(int argc, char **argv)
{
	int exit_port = argc > 1 && strcmp(argv[1], "exit-port") == 0;
	static char buf[PAGE] __attribute__((aligned(4096)));
	const char *path = "/tmp/icount-file";
	volatile char sink;
	long n;

	if (exit_port) {
		if (mkdir("/tmp", 01777) && errno != EEXIST)
			die("mkdir /tmp");
		if (mount("tmpfs", "/tmp", "tmpfs", 0, "mode=1777"))
			die("mount tmpfs /tmp");
	}
	memset(buf, 'x', sizeof buf);

	/* The file the file probes use: FILE_PAGES pages, in the page cache
	 * (tmpfs keeps everything there). */
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		die("open");
	for (long p = 0; p < FILE_PAGES; p++)
		if (write(fd, buf, PAGE) != PAGE)
			die("write");

	long ppid = getppid_syscall();
	n = 2000;
	MEASURE("syscall-getppid", n, , if (getppid_syscall() != ppid) die("getppid"));
	MEASURE("int80-getppid", n, , if (getppid_int80() != ppid) die("int80 getppid"));

	/* First touch of anonymous memory: one write per page of a fresh
	 * mapping (the munmap is outside the timed loop). */
	n = 256;
	char *anon = NULL;
	MEASURE("anon-fault", n, if (anon) unmap(anon, n * PAGE); anon = map_anon(n * PAGE),
		anon[i * PAGE] = 1);
	unmap(anon, n * PAGE);

	/* First touch (a read) of a MAP_PRIVATE mapping of the tmpfs file. */
	n = FILE_PAGES;
	char *fmap = NULL;
	MEASURE("file-private-fault", n,
		if (fmap) unmap(fmap, n * PAGE);
		fmap = mmap(NULL, n * PAGE, PROT_READ, MAP_PRIVATE, fd, 0);
		if (fmap == MAP_FAILED) die("mmap file"),
		sink = fmap[i * PAGE]);
	unmap(fmap, n * PAGE);

	/* brk: grow by 1 MiB and shrink back (untouched). */
	long cur = syscall(SYS_brk, 0);
	n = 500;
	MEASURE("brk-1MiB-grow-shrink", n, , if (syscall(SYS_brk, cur + MIB) != cur + MIB) die("brk grow");
		if (syscall(SYS_brk, cur) != cur) die("brk shrink"));

	n = 500;
	MEASURE("mmap-munmap-1MiB", n, , unmap(map_anon(MIB), MIB));
	n = 20;
	MEASURE("mmap-touch-munmap-1MiB", n, , char *m = map_anon(MIB);
		for (long p = 0; p < MIB; p += PAGE) m[p] = 1; unmap(m, MIB));

	/* musl mallocng's churn in SQLite's insert script (strace: 20,178
	 * mmap and munmap of one page, two live at a time, each written once)
	 * and in Lua's GC script (5,663 of 32 and 64 KiB, written). */
	n = 500;
	MEASURE("mmap-touch-munmap-4KiB-x2", n, , char *a = map_anon(PAGE); char *b = map_anon(PAGE);
		a[0] = 1; b[0] = 1; unmap(a, PAGE); unmap(b, PAGE));
	n = 200;
	MEASURE("mmap-touch-munmap-64KiB", n, , char *m = map_anon(16 * PAGE);
		for (long p = 0; p < 16 * PAGE; p += PAGE) m[p] = 1; unmap(m, 16 * PAGE));

	/* write(2) of 4 KiB over pages already in the cache. */
	n = FILE_PAGES;
	MEASURE("write-4KiB-cached", n, if (lseek(fd, 0, SEEK_SET)) die("lseek"),
		if (write(fd, buf, PAGE) != PAGE) die("write"));
	n = 1000;
	MEASURE("pread-4KiB", n, , if (pread(fd, buf, PAGE, (i % FILE_PAGES) * PAGE) != PAGE) die("pread"));
	MEASURE("open-close", n, , int f = open(path, O_RDONLY); if (f < 0) die("open"); close(f));
	struct stat st;
	MEASURE("stat", n, , if (stat(path, &st)) die("stat"));

	close(fd);
	unlink(path);
	(void)sink;
	printf("icount: done\n");
	fflush(stdout);
	if (exit_port) {
		if (ioperm(0xf4, 4, 1))
			die("ioperm");
		outl(0, 0xf4);
		die("still running after the isa-debug-exit write");
	}
	return 0;
}
