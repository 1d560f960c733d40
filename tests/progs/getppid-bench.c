/* Times N getppid calls with rdtsc, through `syscall` (x86-64 number 110)
 * and through `int $0x80` (i386 number 64). Usage: getppid-bench [N].
 * Prints "syscall: C cycles/call" and "int80: C cycles/call" (the minimum
 * over 5 rounds, to drop interference).
 *
 * getppid-bench N syscall|int80: N calls through that entry only, once,
 * untimed; prints "calls: N". For counting the kernel's instructions per
 * call from outside (scripts/syscall-bench.sh: perf stat on kvm-pvm). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("lfence; rdtsc; lfence" : "=a"(lo), "=d"(hi) : : "memory");
	return ((uint64_t)hi << 32) | lo;
}

static inline long getppid_syscall(void)
{
	long ret;
	__asm__ volatile("syscall" : "=a"(ret) : "a"(110L) : "rcx", "r11", "memory");
	return ret;
}

static inline long getppid_int80(void)
{
	long ret = 64;
	__asm__ volatile("int $0x80" : "+a"(ret) : : "memory", "r8", "r9", "r10", "r11");
	return ret;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 100000;
	if (n <= 0)
		n = 1;
	if (argc > 2) {
		int int80 = strcmp(argv[2], "int80") == 0;
		if (!int80 && strcmp(argv[2], "syscall") != 0)
			return 4;
		long ppid = getppid_syscall();
		for (long i = 0; i < n; i++)
			if ((int80 ? getppid_int80() : getppid_syscall()) != ppid)
				return 2;
		printf("calls: %ld\n", n);
		return 0;
	}
	double best_sys = 1e300, best_int = 1e300;
	long ppid = getppid_syscall();
	for (int round = 0; round < 5; round++) {
		uint64_t t0 = rdtsc();
		for (long i = 0; i < n; i++)
			if (getppid_syscall() != ppid)
				return 2;
		uint64_t t1 = rdtsc();
		for (long i = 0; i < n; i++)
			if (getppid_int80() != ppid)
				return 3;
		uint64_t t2 = rdtsc();
		double s = (double)(t1 - t0) / n, k = (double)(t2 - t1) / n;
		if (s < best_sys)
			best_sys = s;
		if (k < best_int)
			best_int = k;
	}
	printf("calls: %ld\nsyscall: %.0f cycles/call\nint80: %.0f cycles/call\n", n, best_sys,
	       best_int);
	return 0;
}
