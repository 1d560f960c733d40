/* munmap and MADV_DONTNEED over touched anonymous memory, at the sizes
 * where the kernel changes how it invalidates the TLB (one invlpg per
 * cleared page up to 33 pages, one full flush past that or when a whole
 * 2 MiB page table is detached): after each, the dropped pages must read
 * back as zero (MADV_DONTNEED) or fault (munmap: SIGSEGV, caught and
 * counted), and the neighbouring pages must keep their bytes. A stale
 * translation would show the old byte, or the page of whoever got the
 * frame next. The output is the same natively and in lstar. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define PAGE 4096UL
#define TABLE (512 * PAGE)

static sigjmp_buf env;

static void on_segv(int sig)
{
	(void)sig;
	siglongjmp(env, 1);
}

/* Whether reading `p` faults. */
static int faults(volatile char *p)
{
	if (sigsetjmp(env, 1))
		return 1;
	(void)*p;
	return 0;
}

static void fill(char *base, unsigned long pages)
{
	for (unsigned long i = 0; i < pages; i++)
		base[i * PAGE] = (char)(i % 251 + 1);
}

/* Pages [first, first + count) of a fresh area of `pages` pages, touched,
 * then dropped with `how`; checks every page. */
static void step(const char *how, unsigned long pages, unsigned long first, unsigned long count)
{
	/* 2 MiB aligned, so that a whole page table can be covered. */
	char *raw = mmap(NULL, pages * PAGE + TABLE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (raw == MAP_FAILED) {
		perror("mmap");
		exit(2);
	}
	char *base = (char *)(((unsigned long)raw + TABLE - 1) & ~(TABLE - 1));
	fill(base, pages);
	int rc = strcmp(how, "munmap") == 0 ? munmap(base + first * PAGE, count * PAGE)
					     : madvise(base + first * PAGE, count * PAGE, MADV_DONTNEED);
	if (rc) {
		perror(how);
		exit(2);
	}
	unsigned long zero = 0, fault = 0, kept = 0, wrong = 0;
	for (unsigned long i = 0; i < pages; i++) {
		char *p = base + i * PAGE;
		int dropped = i >= first && i < first + count;
		if (dropped && faults(p))
			fault++;
		else if (dropped && *p == 0)
			zero++;
		else if (!dropped && *p == (char)(i % 251 + 1))
			kept++;
		else
			wrong++;
	}
	/* The dropped pages of MADV_DONTNEED are usable again, as zero. */
	if (strcmp(how, "madvise") == 0) {
		fill(base + first * PAGE, count);
		for (unsigned long i = first; i < first + count; i++)
			if (base[i * PAGE] != (char)((i - first) % 251 + 1))
				wrong++;
	}
	printf("%s %lu of %lu pages at %lu: %lu zero, %lu faulted, %lu kept, %lu wrong\n", how,
	       count, pages, first, zero, fault, kept, wrong);
	munmap(raw, pages * PAGE + TABLE);
}

int main(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_segv;
	sigaction(SIGSEGV, &sa, NULL);
	static const unsigned long counts[] = {1, 2, 32, 33, 34, 40, 100};
	const char *hows[] = {"munmap", "madvise"};
	for (int h = 0; h < 2; h++) {
		for (unsigned long c = 0; c < sizeof counts / sizeof counts[0]; c++)
			step(hows[h], 200, 50, counts[c]);
		/* A whole page table (detached), and one with neighbours. */
		step(hows[h], 1024, 0, 512);
		step(hows[h], 1024, 511, 2);
		step(hows[h], 1536, 256, 1024);
	}
	return 0;
}
