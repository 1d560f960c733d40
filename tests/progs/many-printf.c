/* Writes 1 MiB to stdout as 32768 lines of 32 bytes through stdio. */
#include <stdio.h>

int main(void)
{
	for (int i = 0; i < 32768; i++)
		printf("%07d abcdefghijklmnopqrstuvw\n", i);
	return 0;
}
