/* Huge pages of anonymous memory behave as small ones (transparent huge
 * pages): zero on first touch and on reuse, a page unmapped or made
 * read-only inside one, MADV_DONTNEED of all or part of one, fork's
 * copy-on-write, mremap, pipes reading and writing them, MAP_POPULATE.
 * The regions are 2 MiB-aligned and advised MADV_HUGEPAGE, so that Linux
 * (THP "madvise" or "always") maps them huge too and the output is the
 * same. With --expect-huge (lstar only: the host's /proc/meminfo counts
 * every process) the program also checks that AnonHugePages shows them
 * mapped huge, and no longer once split or unmapped. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define MB (1024UL * 1024)
#define HUGE (2 * MB)
#define PAGE 4096UL

static int expect_huge;
static sigjmp_buf jump;

static void on_segv(int sig)
{
    (void)sig;
    siglongjmp(jump, 1);
}

static void fail(const char *what)
{
    printf("FAIL: %s\n", what);
    exit(1);
}

/* AnonHugePages of /proc/meminfo, in kB. */
static long anon_huge_kb(void)
{
    FILE *f = fopen("/proc/meminfo", "r");
    char line[128];
    long kb = -1;
    if (!f)
        fail("open /proc/meminfo");
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "AnonHugePages: %ld kB", &kb) == 1)
            break;
    fclose(f);
    return kb;
}

static void want_huge_kb(long want, const char *when)
{
    if (!expect_huge)
        return;
    long got = anon_huge_kb();
    if (got != want) {
        printf("FAIL: AnonHugePages %ld kB %s, want %ld\n", got, when, want);
        exit(1);
    }
}

/* `len` bytes of anonymous memory at a 2 MiB boundary. */
static char *map_aligned(size_t len, int flags)
{
    char *raw = mmap(NULL, len + HUGE, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | flags, -1, 0);
    if (raw == MAP_FAILED)
        fail("mmap");
    char *p = (char *)(((uintptr_t)raw + HUGE - 1) & ~(HUGE - 1));
    /* Only the aligned part stays. */
    if (p > raw && munmap(raw, p - raw) != 0)
        fail("munmap head");
    if (munmap(p + len, raw + len + HUGE - (p + len)) != 0)
        fail("munmap tail");
    madvise(p, len, MADV_HUGEPAGE);
    return p;
}

static int all_zero(const char *p, size_t len)
{
    for (size_t i = 0; i < len; i += 8)
        if (*(const uint64_t *)(p + i) != 0)
            return 0;
    return 1;
}

static uint64_t word(size_t page) { return 0x5a5a000000000000ULL ^ (page * 2654435761ULL); }

static void fill(char *p, size_t len)
{
    for (size_t off = 0; off < len; off += PAGE)
        *(uint64_t *)(p + off) = word(off / PAGE);
}

static int check(const char *p, size_t from, size_t to)
{
    for (size_t off = from; off < to; off += PAGE)
        if (*(const uint64_t *)(p + off) != word(off / PAGE))
            return 0;
    return 1;
}

static int faults(volatile char *at, int write)
{
    if (sigsetjmp(jump, 1) == 0) {
        if (write)
            *at = 1;
        else
            (void)*at;
        return 0;
    }
    return 1;
}

int main(int argc, char **argv)
{
    expect_huge = argc > 1 && strcmp(argv[1], "--expect-huge") == 0;
    signal(SIGSEGV, on_segv);
    long base_kb = expect_huge ? anon_huge_kb() : 0;

    /* First touch, and reuse of freed huge pages: zero every round. */
    for (int round = 0; round < 4; round++) {
        char *p = map_aligned(8 * MB, 0);
        if (!all_zero(p, 8 * MB))
            fail("fresh huge memory is not zero");
        memset(p, 0xa5, 8 * MB);
        want_huge_kb(base_kb + 8192, "after touching 8 MiB");
        if (munmap(p, 8 * MB) != 0)
            fail("munmap 8 MiB");
        want_huge_kb(base_kb, "after munmap");
    }
    printf("8 MiB touched and unmapped 4 times: zero each time\n");

    /* A page unmapped inside a huge page. */
    char *p = map_aligned(4 * MB, 0);
    fill(p, 4 * MB);
    want_huge_kb(base_kb + 4096, "after touching 4 MiB");
    if (munmap(p + HUGE + 5 * PAGE, PAGE) != 0)
        fail("munmap one page");
    want_huge_kb(base_kb + 2048, "after splitting one");
    if (!check(p, 0, HUGE + 5 * PAGE) || !check(p, HUGE + 6 * PAGE, 4 * MB))
        fail("pages around an unmapped one changed");
    if (!faults(p + HUGE + 5 * PAGE, 0))
        fail("the unmapped page is still readable");
    printf("one page unmapped inside a huge page: the rest kept\n");

    /* mprotect of one page, and back. */
    if (mprotect(p + 7 * PAGE, PAGE, PROT_READ) != 0)
        fail("mprotect");
    want_huge_kb(base_kb, "after mprotect split the other");
    if (!faults(p + 7 * PAGE, 1) || faults(p + 8 * PAGE, 1) || faults(p + 6 * PAGE, 1))
        fail("mprotect of one page inside a huge page");
    if (mprotect(p + 7 * PAGE, PAGE, PROT_READ | PROT_WRITE) != 0 || faults(p + 7 * PAGE, 1))
        fail("mprotect back");
    *(uint64_t *)(p + 6 * PAGE) = word(6);
    *(uint64_t *)(p + 7 * PAGE) = word(7);
    *(uint64_t *)(p + 8 * PAGE) = word(8);
    if (!check(p, 0, HUGE))
        fail("pages changed by mprotect");
    printf("mprotect of one page inside a huge page: only it read-only\n");
    munmap(p, 4 * MB);

    /* MADV_DONTNEED of a whole huge page and of part of one. */
    p = map_aligned(4 * MB, 0);
    fill(p, 4 * MB);
    if (madvise(p, HUGE, MADV_DONTNEED) != 0 || madvise(p + HUGE + 64 * 1024, 64 * 1024, MADV_DONTNEED) != 0)
        fail("madvise");
    if (!all_zero(p, HUGE) || !all_zero(p + HUGE + 64 * 1024, 64 * 1024))
        fail("MADV_DONTNEED pages do not read zero");
    if (!check(p, HUGE, HUGE + 64 * 1024) || !check(p, HUGE + 128 * 1024, 4 * MB))
        fail("pages around MADV_DONTNEED changed");
    printf("MADV_DONTNEED of a huge page and of part of one: zero there only\n");
    munmap(p, 4 * MB);

    /* fork: the child sees the pages and its writes stay its own. */
    p = map_aligned(4 * MB, 0);
    fill(p, 4 * MB);
    pid_t pid = fork();
    if (pid < 0)
        fail("fork");
    if (pid == 0) {
        if (!check(p, 0, 4 * MB))
            _exit(2);
        memset(p, 0x11, 4 * MB);
        _exit(0);
    }
    int status;
    if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
        fail("the child did not see the parent's huge pages");
    if (!check(p, 0, 4 * MB))
        fail("the child's writes reached the parent");
    p[0] = 1; /* the parent's own write after the fork */
    printf("fork: the child saw the pages, its writes stayed its own\n");
    munmap(p, 4 * MB);

    /* mremap to another place. */
    p = map_aligned(4 * MB, 0);
    fill(p, 4 * MB);
    char *q = mremap(p, 4 * MB, 6 * MB, MREMAP_MAYMOVE);
    if (q == MAP_FAILED)
        fail("mremap");
    if (!check(q, 0, 4 * MB) || !all_zero(q + 4 * MB, 2 * MB))
        fail("mremap lost pages");
    printf("mremap: the pages moved with their contents\n");
    munmap(q, 6 * MB);

    /* A pipe between two huge regions. */
    char *a = map_aligned(HUGE, 0), *b = map_aligned(HUGE, 0);
    fill(a, HUGE);
    int fds[2];
    if (pipe(fds) != 0)
        fail("pipe");
    size_t copied = 0;
    for (size_t off = 0; off + 32768 + 100 <= HUGE; off += 32768) {
        if (write(fds[1], a + off + 100, 32768) != 32768)
            fail("write from a huge page");
        size_t got = 0;
        while (got < 32768) {
            ssize_t n = read(fds[0], b + off + 100 + got, 32768 - got);
            if (n <= 0)
                fail("read into a huge page");
            got += n;
        }
        copied += 32768;
    }
    if (copied < HUGE - 65536 || memcmp(a + 100, b + 100, copied) != 0)
        fail("pipe copy between huge pages differs");
    printf("a pipe copied 2 MiB between huge pages\n");
    munmap(a, HUGE);
    munmap(b, HUGE);

    /* MADV_NOHUGEPAGE keeps them out. */
    p = map_aligned(4 * MB, 0);
    if (madvise(p, 4 * MB, MADV_NOHUGEPAGE) != 0)
        fail("madvise MADV_NOHUGEPAGE");
    fill(p, 4 * MB);
    want_huge_kb(base_kb, "after touching MADV_NOHUGEPAGE memory");
    if (!check(p, 0, 4 * MB))
        fail("MADV_NOHUGEPAGE memory");
    munmap(p, 4 * MB);
    printf("MADV_NOHUGEPAGE: single pages\n");

    /* MAP_POPULATE maps huge pages at once. */
    want_huge_kb(base_kb, "before MAP_POPULATE");
    char *raw = mmap(NULL, 8 * MB, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
    if (raw == MAP_FAILED)
        fail("mmap MAP_POPULATE");
    if (expect_huge && anon_huge_kb() < base_kb + 6144)
        fail("MAP_POPULATE of 8 MiB made fewer than 3 huge pages");
    if (!all_zero(raw, 8 * MB))
        fail("MAP_POPULATE memory is not zero");
    munmap(raw, 8 * MB);
    want_huge_kb(base_kb, "at the end");
    printf("MAP_POPULATE of 8 MiB: zero\n");
    return 0;
}
