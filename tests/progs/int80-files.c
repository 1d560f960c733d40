/* File system calls through the i386 ABI (`int $0x80` from 64-bit code, as
 * Linux allows): numbers and layouts of the i386 tables (stat64, _llseek,
 * getdents64, 32-bit lseek). Buffers and paths are static data, below
 * 4 GiB in this non-PIE static program. Works in the directory given as
 * argv[1] (created); prints one line per check, the same natively and in
 * lstar, then "OK". */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static long int80(long nr, long a, long b, long c, long d, long e)
{
	long ret = nr;
	__asm__ volatile("int $0x80"
			 : "+a"(ret)
			 : "b"(a), "c"(b), "d"(c), "S"(d), "D"(e)
			 : "memory", "r8", "r9", "r10", "r11");
	return ret;
}

#define I(p) ((long)(uintptr_t)(p))

static char buf[4096];
static unsigned char st[96]; /* struct stat64 */
static char dir_a[] = "a", file_f[] = "a/f", file_g[] = "a/g", link_l[] = "a/l", target[] = "g";
static char msg[] = "hello i386";
static long long llres;

static void show(const char *what, long r)
{
	if (r < 0 && r > -4096)
		printf("%s: -%s\n", what, strerror((int)-r));
	else
		printf("%s: %ld\n", what, r);
}

static unsigned st_u32(int off)
{
	unsigned v;
	memcpy(&v, st + off, 4);
	return v;
}

static long long st_s64(int off)
{
	long long v;
	memcpy(&v, st + off, 8);
	return v;
}

int main(int argc, char **argv)
{
	if ((uintptr_t)buf > 0xffffffffu || argc < 2)
		return 2;
	mkdir(argv[1], 0755);
	if (chdir(argv[1]) != 0)
		return 2;
	show("umask 022", int80(60, 022, 0, 0, 0, 0));
	show("mkdir a", int80(39, I(dir_a), 0755, 0, 0, 0));
	show("mkdir a again", int80(39, I(dir_a), 0755, 0, 0, 0));
	long fd = int80(5, I(file_f), 0101 /* O_WRONLY|O_CREAT */, 0644, 0, 0);
	show("open a/f O_CREAT", fd >= 0 ? 0 : fd);
	show("write", int80(4, fd, I(msg), sizeof msg - 1, 0, 0));
	show("lseek SEEK_CUR 0", int80(19, fd, 0, 1, 0, 0));
	show("lseek -1 SEEK_CUR", int80(19, fd, (long)(unsigned)-1, 1, 0, 0));
	show("_llseek 2", int80(140, fd, 0, 2, I(&llres), 0));
	printf("_llseek result: %lld\n", llres);
	show("ftruncate 4", int80(93, fd, 4, 0, 0, 0));
	show("fchmod 600", int80(94, fd, 0600, 0, 0, 0));
	show("ftruncate64 6", int80(194, fd, 6, 0, 0, 0));
	show("pwrite64 at 1", int80(181, fd, I(msg), 2, 1, 0));
	show("ftruncate64 4", int80(194, fd, 4, 0, 0, 0));
	show("fcntl64 F_GETFD", int80(221, fd, 1, 0, 0, 0));
	show("fstat64", int80(197, fd, I(st), 0, 0, 0));
	printf("fstat64 mode %o nlink %u size %lld\n", st_u32(16), st_u32(20), st_s64(44));
	show("close", int80(6, fd, 0, 0, 0, 0));
	show("close again", int80(6, fd, 0, 0, 0, 0));
	show("rename a/f a/g", int80(38, I(file_f), I(file_g), 0, 0, 0));
	{
		long r = int80(5, I(file_g), 0, 0, 0, 0);
		show("pread64 2 at 1", int80(180, r, I(buf), 2, 1, 0));
		printf("pread64 text: %.2s\n", buf);
		show("fstatfs64 size 84", int80(269, r, 84, I(st), 0, 0));
		unsigned ns;
		memcpy(&ns, st + 56, 4);
		printf("fstatfs64 namelen %u\n", ns);
		show("fstatfs64 size 88", int80(269, r, 88, I(st), 0, 0));
		int80(6, r, 0, 0, 0, 0);
	}
	show("statfs64 a", int80(268, I(dir_a), 84, I(st), 0, 0));
	show("truncate64 a/g 3", int80(193, I(file_g), 3, 0, 0, 0));
	show("stat64 a/f", int80(195, I(file_f), I(st), 0, 0, 0));
	show("stat64 a/g", int80(195, I(file_g), I(st), 0, 0, 0));
	printf("stat64 size %lld\n", st_s64(44));
	show("symlink g a/l", int80(83, I(target), I(link_l), 0, 0, 0));
	show("lstat64 a/l", int80(196, I(link_l), I(st), 0, 0, 0));
	printf("lstat64 mode %o size %lld\n", st_u32(16), st_s64(44));
	long n = int80(85, I(link_l), I(buf), sizeof buf, 0, 0);
	show("readlink a/l", n);
	printf("readlink text: %.*s\n", (int)(n > 0 ? n : 0), buf);
	show("chmod a/g 640", int80(15, I(file_g), 0640, 0, 0, 0));
	show("stat64 a/l (follows)", int80(195, I(link_l), I(st), 0, 0, 0));
	printf("stat64 mode %o\n", st_u32(16));
	long d = int80(5, I(dir_a), 0200000 /* O_DIRECTORY */, 0, 0, 0);
	show("open a O_DIRECTORY", d >= 0 ? 0 : d);
	long total = 0, names = 0;
	for (;;) {
		long got = int80(220, d, I(buf), sizeof buf, 0, 0);
		if (got <= 0) {
			show("getdents64 end", got);
			break;
		}
		total += got;
		for (long off = 0; off < got;) {
			unsigned short reclen;
			memcpy(&reclen, buf + off + 16, 2);
			names++;
			off += reclen;
		}
	}
	printf("getdents64 entries: %ld\n", names);
	int80(6, d, 0, 0, 0, 0);
	show("chdir a", int80(12, I(dir_a), 0, 0, 0, 0));
	long len = int80(183, I(buf), sizeof buf, 0, 0, 0);
	const char *base = strrchr(buf, '/');
	printf("getcwd ends in: %s (%s)\n", base ? base : "?", len > 0 ? "ok" : "failed");
	show("chdir ..", int80(12, I(".."), 0, 0, 0, 0));
	show("unlink a/l", int80(10, I(link_l), 0, 0, 0, 0));
	show("rmdir a (not empty)", int80(40, I(dir_a), 0, 0, 0, 0));
	show("unlink a/g", int80(10, I(file_g), 0, 0, 0, 0));
	show("rmdir a", int80(40, I(dir_a), 0, 0, 0, 0));
	show("access a", int80(33, I(dir_a), 0, 0, 0, 0));
	puts("OK");
	return 0;
}
