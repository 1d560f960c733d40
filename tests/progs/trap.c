/* Executes ud2: the kernel must kill it with SIGILL. */
int main(void)
{
	__builtin_trap();
}
