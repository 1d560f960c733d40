/* The smallest libc program: one line on stdout, status 0. */
#include <stdio.h>

int main(void)
{
	puts("hello world");
	return 0;
}
