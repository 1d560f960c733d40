/* Memory pressure after a directory walk (tests/ext2.rs):
 *
 *   ext2-shrink DIR MIB
 *
 * lists DIR with getdents (no stat: only its directory blocks are read,
 * into ext2's metadata cache), prints "entries N" and the Buffers figure
 * of /proc/meminfo, then maps MIB MiB of anonymous memory, writes every
 * page and checks it, and prints Buffers again. In a small guest the
 * mapping only fits if the kernel gave the clean metadata blocks back. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

static long buffers_kb(void)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[128];
	long kb = -1;
	if (!f) {
		perror("/proc/meminfo");
		exit(1);
	}
	while (fgets(line, sizeof line, f))
		if (sscanf(line, "Buffers: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: ext2-shrink DIR MIB\n");
		return 2;
	}
	DIR *d = opendir(argv[1]);
	if (!d) {
		perror(argv[1]);
		return 1;
	}
	long n = 0;
	struct dirent *e;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			n++;
	closedir(d);
	printf("entries %ld\nbuffers_kb %ld\n", n, buffers_kb());
	fflush(stdout);

	size_t len = (size_t)atol(argv[2]) << 20;
	unsigned char *p = mmap(0, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	for (size_t i = 0; i < len; i += 4096)
		p[i] = (unsigned char)(i >> 12);
	for (size_t i = 0; i < len; i += 4096)
		if (p[i] != (unsigned char)(i >> 12)) {
			printf("page %zu lost\n", i >> 12);
			return 1;
		}
	printf("touched %s MiB\nbuffers_kb %ld\n", argv[2], buffers_kb());
	return 0;
}
