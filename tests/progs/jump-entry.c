/* Jumps to the kernel's SYSCALL entry itself (tests/syscalls.rs passes its
 * address): under kvm-pvm a SYSCALL is exactly that, a fault at the entry
 * from user mode with the return address in RCX, so the kernel cannot tell
 * the two apart, and must survive whatever RCX a program chose.
 *
 *   jump-entry ADDR bad    RCX non-canonical: must be killed by SIGSEGV
 *   jump-entry ADDR ok     RCX the label after the jump: served as a
 *                          getppid that returns there; prints "OK" */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc != 3)
		return 2;
	unsigned long entry = strtoul(argv[1], NULL, 16);
	long ret;
	printf("jumping to %#lx (%s)\n", entry, argv[2]);
	fflush(stdout);
	if (strcmp(argv[2], "bad") == 0) {
		__asm__ volatile("movabs $0x8000000000000000, %%rcx\n\t"
				 "mov $110, %%eax\n\t"
				 "jmp *%0"
				 :
				 : "r"(entry)
				 : "rax", "rcx", "r11", "memory");
		printf("FAIL: came back\n");
		return 1;
	}
	__asm__ volatile("lea 1f(%%rip), %%rcx\n\t"
			 "mov $110, %%eax\n\t"
			 "jmp *%1\n"
			 "1:"
			 : "=a"(ret)
			 : "r"(entry)
			 : "rcx", "r11", "memory");
	if (ret != getppid()) {
		printf("FAIL: %ld, want getppid's %ld\n", ret, (long)getppid());
		return 1;
	}
	printf("OK\n");
	return 0;
}
