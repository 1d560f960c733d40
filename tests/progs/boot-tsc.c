/* The boot row of scripts/bench.sh under QEMU TCG `-icount shift=0`, where
 * the guest TSC counts instructions from reset: prints the TSC at the first
 * instruction of main and again just before the exit, as
 * "boot-tsc: main N" and "boot-tsc: exit N", so both kernels (lstar's and
 * Linux's) are measured from reset to the same two points of the same
 * program.
 *
 *   boot-tsc [exit-port]
 *
 * With `exit-port` (Linux as the peer: the program is /init, pid 1, root)
 * it ends QEMU by writing 0 to the isa-debug-exit port (0xf4) after
 * ioperm(2), since init may not exit; without it it returns from main
 * (under the lstar kernel the program's exit is the VM's exit). */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/io.h>
#include <unistd.h>

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("lfence; rdtsc; lfence" : "=a"(lo), "=d"(hi) : : "memory");
	return ((uint64_t)hi << 32) | lo;
}

int main(int argc, char **argv)
{
	uint64_t at_main = rdtsc();
	int exit_port = argc > 1 && strcmp(argv[1], "exit-port") == 0;
	printf("boot-tsc: main %llu\n", (unsigned long long)at_main);
	printf("boot-tsc: exit %llu\n", (unsigned long long)rdtsc());
	fflush(stdout);
	if (exit_port) {
		if (ioperm(0xf4, 4, 1)) {
			perror("boot-tsc: ioperm");
			return 1;
		}
		outl(0, 0xf4);
		fprintf(stderr, "boot-tsc: still running after the isa-debug-exit write\n");
		return 1;
	}
	return 0;
}
