/* Memory the kernel hands out again reads as zero, and copies are exact,
 * whichever way the kernel clears and copies (under lstar on kvm-pvm the
 * VMM's copy port clears /dev/zero reads; elsewhere ring-0 stores do):
 * anonymous pages after munmap and after another process's exit,
 * /dev/zero reads of odd sizes and offsets into a dirty buffer (the bytes
 * around each read must stay), copy-on-write after fork, and the small
 * mappings and MAP_POPULATE lstar fills at mmap (from frames the VMM
 * cleared in batches on kvm-pvm). Prints the same lines on Linux; exits 1
 * at the first difference. */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define PAGE 4096UL

static void fail(const char *what, size_t at)
{
	printf("FAIL: %s at byte %zu\n", what, at);
	exit(1);
}

/* Every byte of [p, p + len) is `want`. */
static void expect(const unsigned char *p, size_t len, unsigned char want, const char *what)
{
	for (size_t i = 0; i < len; i++)
		if (p[i] != want)
			fail(what, i);
}

static unsigned char *map(size_t len)
{
	unsigned char *p = mmap(0, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		perror("mmap");
		exit(2);
	}
	return p;
}

int main(void)
{
	/* Sizes that are not a multiple of the fault-around window. */
	size_t len = 515 * PAGE;
	for (int round = 0; round < 6; round++) {
		unsigned char *p = map(len);
		expect(p, len, 0, "recycled anonymous page");
		/* Dirty every byte, the first and last word of each page too. */
		memset(p, 0xa5 ^ round, len);
		if (munmap(p, len) != 0)
			return 2;
	}
	printf("mmap/munmap: 6 rounds of %zu pages read zero\n", len / PAGE);

	/* Frames another process dirtied and freed at its exit. */
	pid_t pid = fork();
	if (pid == 0) {
		unsigned char *p = map(len);
		memset(p, 0x5a, len);
		_exit(0);
	}
	int status;
	if (waitpid(pid, &status, 0) != pid || status != 0)
		return 2;
	unsigned char *q = map(2 * len);
	expect(q, 2 * len, 0, "page freed by another process's exit");
	printf("after exit: %zu pages read zero\n", 2 * len / PAGE);

	/* /dev/zero into a dirty buffer: only the bytes read change. */
	int fd = open("/dev/zero", O_RDONLY);
	if (fd < 0)
		return 2;
	size_t big = 3 << 20;
	unsigned char *b = map(big);
	size_t sizes[] = {1, 100, 511, 512, 4095, 4096, 4097, 65536 + 3, (1 << 20) + 5000};
	size_t offsets[] = {0, 1, 123, 4095, 4096 * 7 + 8};
	for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++)
		for (size_t o = 0; o < sizeof offsets / sizeof *offsets; o++) {
			size_t n = sizes[s], off = offsets[o];
			memset(b, 0xc3, big);
			ssize_t got = read(fd, b + off, n);
			if (got != (ssize_t)n)
				fail("/dev/zero read count", (size_t)got);
			expect(b, off, 0xc3, "byte before a /dev/zero read");
			expect(b + off, n, 0, "/dev/zero byte");
			expect(b + off + n, big - off - n, 0xc3, "byte after a /dev/zero read");
		}
	printf("/dev/zero: %zu reads exact\n", sizeof sizes / sizeof *sizes * (sizeof offsets / sizeof *offsets));

	/* Copy-on-write: each side sees its own bytes. */
	size_t cow = 64 * PAGE;
	unsigned char *c = map(cow);
	for (size_t i = 0; i < cow; i++)
		c[i] = (unsigned char)(i * 7 + 1);
	pid = fork();
	if (pid == 0) {
		for (size_t i = 0; i < cow; i += PAGE)
			c[i + 5] = 0xee;
		for (size_t i = 0; i < cow; i++)
			if (c[i] != ((i % PAGE == 5) ? 0xee : (unsigned char)(i * 7 + 1)))
				_exit(3);
		_exit(0);
	}
	if (waitpid(pid, &status, 0) != pid || status != 0)
		fail("child's copy-on-write pages", (size_t)status);
	for (size_t i = 0; i < cow; i++)
		if (c[i] != (unsigned char)(i * 7 + 1))
			fail("parent's page after the child wrote", i);
	printf("copy-on-write: %zu pages, both sides exact\n", cow / PAGE);

	/* malloc's pattern: small mappings, two alive at a time, each dirtied
	 * and unmapped; sizes 1 to 17 pages, across the 64-frame batches. */
	unsigned char *prev = 0;
	size_t prev_len = 0;
	for (int round = 0; round < 400; round++) {
		size_t n = (1 + round % 17) * PAGE;
		unsigned char *p = map(n);
		expect(p, n, 0, "small mapping");
		memset(p, 0x3c ^ round, n);
		if (prev && munmap(prev, prev_len) != 0)
			return 2;
		prev = p;
		prev_len = n;
	}
	/* A small mapping shared with a child copy-on-write. */
	unsigned char *s = map(3 * PAGE);
	memset(s, 0x11, 3 * PAGE);
	pid = fork();
	if (pid == 0) {
		memset(s + PAGE, 0x22, PAGE);
		expect(s, PAGE, 0x11, "child's small page");
		expect(s + PAGE, PAGE, 0x22, "child's written small page");
		_exit(0);
	}
	if (waitpid(pid, &status, 0) != pid || status != 0)
		fail("child's small mapping", (size_t)status);
	expect(s, 3 * PAGE, 0x11, "parent's small mapping after the child wrote");
	printf("small mappings: 400 rounds read zero, copy-on-write exact\n");

	/* MAP_POPULATE over dirtied, freed frames. */
	size_t pop = 300 * PAGE;
	unsigned char *d = map(pop);
	memset(d, 0x77, pop);
	if (munmap(d, pop) != 0)
		return 2;
	d = mmap(0, pop, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (d == MAP_FAILED)
		return 2;
	expect(d, pop, 0, "MAP_POPULATE page");
	printf("MAP_POPULATE: %zu pages read zero\n", pop / PAGE);
	return 0;
}
