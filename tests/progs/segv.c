/* Writes through a NULL pointer: the kernel must kill it with SIGSEGV. */
int main(void)
{
	*(volatile int *)0 = 1;
	return 0;
}
