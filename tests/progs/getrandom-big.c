/* One getrandom() of 32 MiB: prints the count it returned (a short count
 * is allowed, as on Linux) and the nanoseconds the call took; then checks
 * that the bytes it claims to have written were written (not all zero in
 * any 64-byte block) and that 256 bytes come back in full. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

static long long now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(void)
{
	size_t len = (size_t)32 << 20;
	unsigned char *buf = calloc(1, len);
	if (!buf) {
		perror("calloc");
		return 2;
	}
	long long t0 = now_ns();
	ssize_t n = getrandom(buf, len, 0);
	long long t1 = now_ns();
	printf("getrandom 32 MiB: %zd in %lld ns\n", n, t1 - t0);
	if (n <= 0)
		return 1;
	for (ssize_t at = 0; at + 64 <= n; at += 64) {
		static const unsigned char zero[64];
		if (memcmp(buf + at, zero, 64) == 0) {
			printf("zero block at %zd\n", at);
			return 1;
		}
	}
	unsigned char small[256] = {0};
	t0 = now_ns();
	n = getrandom(small, sizeof small, 0);
	t1 = now_ns();
	printf("getrandom 256: %zd in %lld ns\n", n, t1 - t0);
	return n == 256 ? 0 : 1;
}
