/* A system call loop whose rate the host can watch through the control
 * socket (scripts/api-bench.sh, tests/api.rs): prints "ready\n", then calls
 * getppid (x86-64 number 110, through `syscall`) for SECONDS seconds
 * (argv[1], default 5; 0 = forever), reading the clock once every 256
 * calls, then prints "calls: N\nseconds: S\nrate: R calls/s\n" and exits 0.
 * Counts: one write before the loop, getppid N, clock_gettime about N/256,
 * one write after it. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static inline long getppid_syscall(void)
{
	long ret;
	__asm__ volatile("syscall" : "=a"(ret) : "a"(110L) : "rcx", "r11", "memory");
	return ret;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	double seconds = argc > 1 ? atof(argv[1]) : 5;
	static const char ready[] = "ready\n";
	write(1, ready, sizeof ready - 1);
	double start = now(), t = start;
	long calls = 0;
	for (;;) {
		for (int i = 0; i < 256; i++)
			getppid_syscall();
		calls += 256;
		t = now();
		if (seconds > 0 && t - start >= seconds)
			break;
	}
	printf("calls: %ld\nseconds: %.3f\nrate: %.0f calls/s\n", calls, t - start,
	       calls / (t - start));
	return 0;
}
