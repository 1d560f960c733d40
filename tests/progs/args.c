/* Prints argc, then every argv[i] as "i:HEX" (lower-case hex of its bytes,
 * "-" for an empty string), so that any byte survives the comparison. */
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
	printf("argc=%d\n", argc);
	for (int i = 0; i < argc; i++) {
		size_t n = strlen(argv[i]);
		printf("%d:", i);
		if (n == 0)
			putchar('-');
		for (size_t j = 0; j < n; j++)
			printf("%02x", (unsigned char)argv[i][j]);
		putchar('\n');
	}
	if (argv[argc] != NULL) {
		puts("argv[argc] is not NULL");
		return 1;
	}
	return 0;
}
