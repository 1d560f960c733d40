/* Prints the whole environment, one string per line, in order. */
#include <stdio.h>

extern char **environ;

int main(void)
{
	for (char **e = environ; *e != NULL; e++)
		puts(*e);
	return 0;
}
