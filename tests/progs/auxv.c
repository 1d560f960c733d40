/* Checks the auxiliary vector against this program's own ELF headers.
 * Prints one line per failed check and "OK" when all pass; the second line
 * is "AT_RANDOM=<hex>" so a test can check that runs differ. */
#include <elf.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/auxv.h>

extern const Elf64_Ehdr __ehdr_start;
extern char _start[];

static int failures;

static void check(int ok, const char *what, unsigned long got, unsigned long want)
{
	if (!ok) {
		printf("FAIL %s: got %#lx, want %#lx\n", what, got, want);
		failures++;
	}
}

int main(void)
{
	const Elf64_Ehdr *eh = &__ehdr_start;
	unsigned long phdr = getauxval(AT_PHDR);
	unsigned long want_phdr = (unsigned long)eh + eh->e_phoff;

	check(phdr == want_phdr, "AT_PHDR", phdr, want_phdr);
	check(getauxval(AT_PHNUM) == eh->e_phnum, "AT_PHNUM", getauxval(AT_PHNUM), eh->e_phnum);
	check(getauxval(AT_PAGESZ) == 4096, "AT_PAGESZ", getauxval(AT_PAGESZ), 4096);
	check(getauxval(AT_ENTRY) == (unsigned long)_start, "AT_ENTRY", getauxval(AT_ENTRY),
	      (unsigned long)_start);
	check(getauxval(AT_ENTRY) == eh->e_entry, "AT_ENTRY vs e_entry", getauxval(AT_ENTRY),
	      eh->e_entry);
	unsigned long phent = getauxval(AT_PHENT);
	check(phent == 0 || phent == sizeof(Elf64_Phdr), "AT_PHENT", phent, sizeof(Elf64_Phdr));

	/* The program headers AT_PHDR points at must be readable and sane. */
	if (phdr == want_phdr) {
		const Elf64_Phdr *ph = (const Elf64_Phdr *)phdr;
		int loads = 0;
		for (int i = 0; i < eh->e_phnum; i++)
			loads += ph[i].p_type == PT_LOAD;
		check(loads > 0, "PT_LOAD count", (unsigned long)loads, 1);
	}

	const volatile unsigned char *rnd = (const volatile unsigned char *)getauxval(AT_RANDOM);
	check(rnd != NULL, "AT_RANDOM", 0, 1);
	char hex[33] = "";
	if (rnd != NULL) {
		unsigned any = 0;
		for (int i = 0; i < 16; i++) {
			unsigned char b = rnd[i];
			any |= b;
			snprintf(hex + 2 * i, 3, "%02x", b);
		}
		check(any != 0, "AT_RANDOM bytes are all zero", 0, 1);
	}

	if (failures)
		return 1;
	printf("OK\nAT_RANDOM=%s\n", hex);
	return 0;
}
