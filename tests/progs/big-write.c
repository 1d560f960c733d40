/* Writes 1 MiB to stdout with a single write(2) call (looping only if the
 * kernel returns a short count). Byte i is (i * 2654435761) >> 13, as a u32,
 * truncated to 8 bits: every byte value occurs and no period is short. */
#include <stdint.h>
#include <unistd.h>

#define SIZE (1 << 20)

static unsigned char buf[SIZE];

int main(void)
{
	for (uint32_t i = 0; i < SIZE; i++)
		buf[i] = (unsigned char)((i * 2654435761u) >> 13);
	for (size_t off = 0; off < SIZE;) {
		ssize_t w = write(1, buf + off, SIZE - off);
		if (w <= 0)
			return 3;
		off += (size_t)w;
	}
	return 0;
}
