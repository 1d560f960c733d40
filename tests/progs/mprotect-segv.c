/* A page made read-only with mprotect cannot be written: the write must
 * kill the program with SIGSEGV. Prints "read-only" before the write. */
#include <stdio.h>
#include <sys/mman.h>

int main(void)
{
	char *p = mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return 1;
	p[0] = 1;
	if (mprotect(p, 4096, PROT_READ) != 0)
		return 2;
	if (((volatile char *)p)[0] != 1)
		return 3;
	puts("read-only");
	fflush(stdout);
	((volatile char *)p)[0] = 2;
	puts("the write went through");
	return 4;
}
