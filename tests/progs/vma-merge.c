/* Thousands of one-page mappings, then mprotect, munmap, touches and
 * mremap over them, counting after each step the areas /proc/self/maps
 * shows in that range. Linux merges neighbours that could be one area
 * (same protection, both anonymous private) and splits areas on partial
 * changes, so the counts are Linux's own rules; the output is the same
 * natively and in lstar when the kernel merges as Linux does. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define N 5000
#define PAGE 4096UL

static char maps[1 << 20];
static unsigned long base;

/* The areas of /proc/self/maps that overlap [base, base + N pages). */
static int areas(void)
{
	int fd = open("/proc/self/maps", O_RDONLY);
	if (fd < 0) {
		perror("open /proc/self/maps");
		exit(2);
	}
	size_t len = 0;
	ssize_t n;
	while ((n = read(fd, maps + len, sizeof maps - 1 - len)) > 0)
		len += n;
	close(fd);
	maps[len] = 0;
	int count = 0;
	for (char *line = maps; *line;) {
		char *next = strchr(line, '\n');
		unsigned long start = strtoul(line, &line, 16);
		unsigned long end = strtoul(line + 1, 0, 16);
		if (start < base + N * PAGE && end > base)
			count++;
		if (!next)
			break;
		line = next + 1;
	}
	return count;
}

static char *page(int i)
{
	return (char *)(base + i * PAGE);
}

static void check(int ok, const char *what)
{
	if (!ok) {
		perror(what);
		exit(3);
	}
}

int main(void)
{
	/* Where mremap moves a page to, away from the range counted. */
	void *dest = mmap(0, 3 * PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	check(dest != MAP_FAILED, "mmap dest");
	/* A free range of N pages, found by mapping it once. */
	void *probe = mmap(0, N * PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	check(probe != MAP_FAILED, "mmap probe");
	base = (unsigned long)probe;
	check(munmap(probe, N * PAGE) == 0, "munmap probe");

	/* One page at a time, each where the last one ended. */
	for (int i = 0; i < N; i++) {
		void *p = mmap(page(i), PAGE, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		check(p == page(i), "mmap one page at its hint");
	}
	printf("%d one-page mmaps: %d areas\n", N, areas());

	for (int i = 1; i < N; i += 2)
		check(mprotect(page(i), PAGE, PROT_READ) == 0, "mprotect");
	printf("every other page read-only: %d areas\n", areas());

	for (int i = 0; i < N; i += 3)
		check(munmap(page(i), PAGE) == 0, "munmap");
	printf("every third page unmapped: %d areas\n", areas());

	for (int i = 1; i < N; i += 2)
		if (i % 3)
			check(mprotect(page(i), PAGE, PROT_READ | PROT_WRITE) == 0, "mprotect back");
	printf("read-only pages writable again: %d areas\n", areas());

	unsigned long sum = 0;
	for (int i = 0; i < N; i++)
		if (i % 3) {
			*(volatile int *)page(i) = i;
			sum += *(volatile int *)page(i);
		}
	printf("every remaining page touched (sum %lu): %d areas\n", sum, areas());

	/* A page unmapped in the middle of a merged pair, then the pair's
	 * whole range made read-only across the hole: ENOMEM. */
	check(munmap(page(2), PAGE) == 0, "munmap in a pair");
	printf("mprotect across a hole: %s\n",
	       mprotect(page(1), 2 * PAGE, PROT_READ) == 0 ? "ok" : "ENOMEM");
	printf("after the hole: %d areas\n", areas());

	/* mremap: shrink a two-page area to one page in place, then move
	 * a page elsewhere with its contents. */
	void *p = mremap(page(4), 2 * PAGE, PAGE, 0);
	check(p == page(4), "mremap shrink");
	printf("mremap shrink: %d areas\n", areas());
	void *q = mremap(page(4), PAGE, 3 * PAGE, MREMAP_MAYMOVE | MREMAP_FIXED, dest);
	check(q == dest, "mremap move");
	printf("mremap move: %d areas, contents %s\n", areas(),
	       *(int *)q == 4 && ((char *)q)[PAGE] == 0 && ((char *)q)[2 * PAGE] == 0
		       ? "kept" : "lost");
	/* Grow in place: the page after the moved area is free. */
	check(munmap((char *)q + 2 * PAGE, PAGE) == 0, "munmap tail");
	check(mremap(q, 2 * PAGE, 3 * PAGE, 0) == q, "mremap grow in place");
	printf("mremap grow in place: %s\n", *(int *)q == 4 ? "kept" : "lost");
	printf("mremap of an unmapped range: %s\n",
	       mremap(page(0), PAGE, 2 * PAGE, MREMAP_MAYMOVE) == MAP_FAILED ? "EFAULT" : "ok");

	for (int i = 0; i < N; i++)
		if (i % 3 && i != 2 && i != 4 && i != 5)
			check(munmap(page(i), PAGE) == 0, "munmap all");
	printf("everything unmapped: %d areas\n", areas());
	return 0;
}
