/* Random file-system system calls with random and half-valid arguments
 * (names that exist, /proc links, buffers, random numbers), N calls from
 * seed S (argv[1], argv[2]): the kernel must answer every one, with any
 * result, and survive; the program then prints "survived N calls". Calls
 * that would end or block the program itself are steered away from (its
 * own code and data, fds 0-2, waits without a timeout). */
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
static uint64_t s = 88172645463325252ull;
static uint64_t rnd(void) { s ^= s << 13; s ^= s >> 7; s ^= s << 17; return s; }
static char buf[65536];
static const char *names[] = {"a", "b", "a/b", "/tmp/x", "/proc/self/fd/3", "..", ".", "/", "/dev/null", "c/", "/proc/self/exe", "/tmp", "d/e/f", "", "/proc/1/maps"};
static long arg(void) {
	switch (rnd() % 8) {
	case 0: return (long)names[rnd() % (sizeof names / sizeof *names)];
	case 1: return (long)(buf + rnd() % 60000);
	case 2: return (long)(rnd() % 64);
	case 3: return -100;
	case 4: return (long)rnd();
	case 5: return (long)(rnd() % 4096);
	case 6: return 0;
	default: return (long)(rnd() & 0777777);
	}
}
int main(int argc, char **argv) {
	int nrs[] = {SYS_open, SYS_openat, SYS_close, SYS_read, SYS_write, SYS_pread64, SYS_pwrite64, SYS_lseek, SYS_mkdir, SYS_mkdirat, SYS_rmdir, SYS_unlink, SYS_unlinkat, SYS_rename, SYS_renameat2, SYS_link, SYS_linkat, SYS_symlink, SYS_symlinkat, SYS_readlink, SYS_readlinkat, SYS_truncate, SYS_ftruncate, SYS_stat, SYS_lstat, SYS_fstat, SYS_newfstatat, SYS_statx, SYS_statfs, SYS_fstatfs, SYS_chmod, SYS_fchmod, SYS_fchmodat, SYS_chown, SYS_fchown, SYS_lchown, SYS_fchownat, SYS_utimensat, SYS_access, SYS_faccessat, SYS_chdir, SYS_fchdir, SYS_getcwd, SYS_umask, SYS_fcntl, SYS_dup, SYS_dup2, SYS_dup3, SYS_getdents64, SYS_getdents, SYS_sendfile, SYS_copy_file_range, SYS_fallocate, SYS_fsync, SYS_mmap, SYS_munmap, SYS_msync, SYS_memfd_create, SYS_poll, SYS_select, SYS_creat, SYS_mknod, SYS_ioctl, SYS_preadv, SYS_pwritev, SYS_readv, SYS_writev, SYS_flock, SYS_sync};
	long n = argc > 1 ? atol(argv[1]) : 20000;
	if (argc > 2) s = atol(argv[2]);
	chdir("/tmp");
	for (long i = 0; i < n; i++) {
		int nr = nrs[rnd() % (sizeof nrs / sizeof *nrs)];
		long a[6];
		for (int k = 0; k < 6; k++) a[k] = arg();
		if (nr == SYS_munmap && (uint64_t)a[0] < 0x1000000) continue; /* keep our own text and data */
		if (nr == SYS_mmap) a[3] = (a[3] & ~0x10L) | 0x02; /* never MAP_FIXED over ourselves */
		if ((nr == SYS_close || nr == SYS_dup2 || nr == SYS_dup3) && (a[0] <= 2 || a[1] <= 2)) continue;
		static long zero_tv[2];
		if (nr == SYS_poll) a[2] = 0;
		if (nr == SYS_select) a[4] = (long)zero_tv;
		if (nr == SYS_read && (a[0] == 0)) continue;
		syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
	}
	printf("survived %ld calls\n", n);
	return 0;
}
