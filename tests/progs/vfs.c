/* The file-system system calls, call by call with their error cases, for a
 * differential test (tests/vfs.rs): the output must be byte-identical when
 * run natively as root on any ordinary Linux file system (ext4, tmpfs,
 * overlay) and in lstar's tmpfs.
 *
 *   vfs DIR      works in DIR (created when missing; must be empty), prints
 *                one line per check ("what: result"), exits 0; 2 when DIR
 *                cannot be set up
 *
 * Each check prints what the call returned: a value that is the same on
 * every file system (a size, a mode, a link count), "ok" where the value
 * itself is not (a file descriptor), or "-1 ENAME". Never inode or device
 * numbers, absolute times other than the ones the program set itself, the
 * work directory's own name, directory sizes or anything else a file system
 * chooses: relations instead ("same ino: yes", "blocks < size/512: yes").
 * Directory order is the file system's: getdents64 is summarised by counts
 * and an order-independent checksum.
 *
 * Assumptions every usual Linux file system meets: link counts of
 * directories are 2 + subdirectories (not btrfs, whose directories have 1),
 * 255-byte names, nanosecond timestamps, O_TMPFILE (printed either way).
 *
 * System calls are made through syscall(2) with their own numbers (musl's
 * stat() is newfstatat, its open() may add fcntl()), so each line is the
 * call it names. Each group of checks runs in its own subdirectory. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#ifndef O_PATH
#define O_PATH 010000000
#endif
#ifndef O_TMPFILE
#define O_TMPFILE (020000000 | O_DIRECTORY)
#endif
#ifndef AT_EMPTY_PATH
#define AT_EMPTY_PATH 0x1000
#endif
#ifndef AT_EACCESS
#define AT_EACCESS 0x200
#endif
#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE 1
#endif
#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE 2
#endif
#ifndef MFD_CLOEXEC
#define MFD_CLOEXEC 1U
#endif
#ifndef FALLOC_FL_KEEP_SIZE
#define FALLOC_FL_KEEP_SIZE 1
#endif
#ifndef SYS_faccessat2
#define SYS_faccessat2 439
#endif

#define STATX_SIZE 0x200U
#define STATX_BASIC_STATS 0x7ffU
#define STATX__RESERVED 0x80000000U

/* The kernel's struct statx (256 bytes), here so that musl's version does
 * not matter. */
struct kstatx_ts {
	int64_t tv_sec;
	uint32_t tv_nsec;
	int32_t reserved;
};
struct kstatx {
	uint32_t stx_mask, stx_blksize;
	uint64_t stx_attributes;
	uint32_t stx_nlink, stx_uid, stx_gid;
	uint16_t stx_mode, pad1;
	uint64_t stx_ino, stx_size, stx_blocks, stx_attributes_mask;
	struct kstatx_ts stx_atime, stx_btime, stx_ctime, stx_mtime;
	uint32_t stx_rdev_major, stx_rdev_minor, stx_dev_major, stx_dev_minor;
	uint64_t spare[14];
};
_Static_assert(sizeof(struct kstatx) == 256, "struct statx is 256 bytes");

struct linux_dirent64 {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

/* syscall(2) with every argument as a long: an int -1 through the
 * variadic call would reach the kernel as 0xffffffff. */
static long sys6(long nr, long a, long b, long c, long d, long e, long f)
{
	return syscall(nr, a, b, c, d, e, f);
}
#define S(...) S_(__VA_ARGS__, 0, 0, 0, 0, 0, 0, 0)
#define S_(nr, a, b, c, d, e, f, ...) \
	sys6(nr, (long)(a), (long)(b), (long)(c), (long)(d), (long)(e), (long)(f))
/* A pointer no program owns: a bad user address, -EFAULT. */
#define BAD ((void *)1)
#define KBAD ((void *)0xffff800000000000UL)

static char work[4096]; /* the work directory's absolute path */
static size_t work_len;
static long workfd = -1;

/* ------------------------------------------------------------------------
 * Output */

static const struct {
	int e;
	const char *name;
} errnames[] = {
	{EPERM, "EPERM"},	  {ENOENT, "ENOENT"},	    {EINTR, "EINTR"},
	{EIO, "EIO"},		  {ENXIO, "ENXIO"},	    {E2BIG, "E2BIG"},
	{ENOEXEC, "ENOEXEC"},	  {EBADF, "EBADF"},	    {EAGAIN, "EAGAIN"},
	{ENOMEM, "ENOMEM"},	  {EACCES, "EACCES"},	    {EFAULT, "EFAULT"},
	{EBUSY, "EBUSY"},	  {EEXIST, "EEXIST"},	    {EXDEV, "EXDEV"},
	{ENODEV, "ENODEV"},	  {ENOTDIR, "ENOTDIR"},	    {EISDIR, "EISDIR"},
	{EINVAL, "EINVAL"},	  {ENFILE, "ENFILE"},	    {EMFILE, "EMFILE"},
	{ENOTTY, "ENOTTY"},	  {ETXTBSY, "ETXTBSY"},	    {EFBIG, "EFBIG"},
	{ENOSPC, "ENOSPC"},	  {ESPIPE, "ESPIPE"},	    {EROFS, "EROFS"},
	{EMLINK, "EMLINK"},	  {EPIPE, "EPIPE"},	    {ERANGE, "ERANGE"},
	{ENAMETOOLONG, "ENAMETOOLONG"}, {ENOSYS, "ENOSYS"}, {ENOTEMPTY, "ENOTEMPTY"},
	{ELOOP, "ELOOP"},	  {EOVERFLOW, "EOVERFLOW"}, {EOPNOTSUPP, "EOPNOTSUPP"},
	{ENODATA, "ENODATA"},	  {ESTALE, "ESTALE"},	    {EDQUOT, "EDQUOT"},
};

static const char *err_name(int e)
{
	static char other[16];
	for (size_t i = 0; i < sizeof errnames / sizeof errnames[0]; i++)
		if (errnames[i].e == e)
			return errnames[i].name;
	snprintf(other, sizeof other, "E%d", e);
	return other;
}

static void say(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

static void section(const char *name);

/* A call returned r (-1 and errno on failure): its value or its error. */
static long R(const char *what, long r)
{
	int e = errno;
	if (r == -1)
		say("%s: -1 %s", what, err_name(e));
	else
		say("%s: %ld", what, r);
	errno = e;
	return r;
}

/* The same for a value that is not the same everywhere (an fd, an
 * address): "ok" or the error. */
static long K(const char *what, long r)
{
	int e = errno;
	if (r == -1)
		say("%s: -1 %s", what, err_name(e));
	else
		say("%s: ok", what);
	errno = e;
	return r;
}

static void Y(const char *what, int cond)
{
	say("%s: %s", what, cond ? "yes" : "no");
}

static const char *kind(mode_t m)
{
	switch (m & S_IFMT) {
	case S_IFREG:
		return "file";
	case S_IFDIR:
		return "dir";
	case S_IFLNK:
		return "symlink";
	case S_IFCHR:
		return "chardev";
	case S_IFIFO:
		return "fifo";
	default:
		return "other";
	}
}

/* A stat result: type, permission bits, link count, size (not for
 * directories: their size is the file system's). */
static void show(const char *what, long r, const struct stat *s)
{
	int e = errno;
	if (r == -1) {
		say("%s: -1 %s", what, err_name(e));
		return;
	}
	if (S_ISDIR(s->st_mode))
		say("%s: %s %o nlink %lu", what, kind(s->st_mode), (unsigned)(s->st_mode & 07777),
		    (unsigned long)s->st_nlink);
	else
		say("%s: %s %o nlink %lu size %lld", what, kind(s->st_mode),
		    (unsigned)(s->st_mode & 07777), (unsigned long)s->st_nlink,
		    (long long)s->st_size);
}

static void show_stat(const char *what, const char *path)
{
	struct stat s;
	show(what, S(SYS_stat, path, &s), &s);
}

static void show_lstat(const char *what, const char *path)
{
	struct stat s;
	show(what, S(SYS_lstat, path, &s), &s);
}

/* ------------------------------------------------------------------------
 * Helpers (their failures show in the checks that follow) */

static int lstat_ok(const char *path, struct stat *s)
{
	return S(SYS_lstat, path, s) == 0;
}

static int exists(const char *path)
{
	struct stat s;
	return lstat_ok(path, &s);
}

static long size_of(const char *path)
{
	struct stat s;
	return S(SYS_stat, path, &s) ? -1 : (long)s.st_size;
}

static long nlink_of(const char *path)
{
	struct stat s;
	return S(SYS_lstat, path, &s) ? -1 : (long)s.st_nlink;
}

static unsigned mode_of(const char *path)
{
	struct stat s;
	return S(SYS_lstat, path, &s) ? 0xffffffffU : (unsigned)(s.st_mode & 07777);
}

/* Same inode (and device): both lstat()ed. */
static int same_file(const char *a, const char *b)
{
	struct stat sa, sb;
	return lstat_ok(a, &sa) && lstat_ok(b, &sb) && sa.st_ino == sb.st_ino &&
	       sa.st_dev == sb.st_dev;
}

static int same_fd_file(long fd, const char *path)
{
	struct stat sa, sb;
	return S(SYS_fstat, fd, &sa) == 0 && lstat_ok(path, &sb) && sa.st_ino == sb.st_ino &&
	       sa.st_dev == sb.st_dev;
}

/* Creates (or truncates) PATH with LEN bytes of DATA, mode 0644. */
static void put(const char *path, const void *data, size_t len)
{
	long fd = S(SYS_open, path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0) {
		say("(setup) create %s: -1 %s", path, err_name(errno));
		return;
	}
	if (len && S(SYS_write, fd, data, len) != (long)len)
		say("(setup) write %s: short", path);
	S(SYS_close, fd);
}

static void puts_file(const char *path, const char *text)
{
	put(path, text, strlen(text));
}

/* Reads up to N-1 bytes of PATH into BUF (NUL-terminated); the length or -1. */
static long get(const char *path, char *buf, size_t n)
{
	long fd = S(SYS_open, path, O_RDONLY);
	long len = 0;
	if (fd < 0)
		return -1;
	while ((size_t)len < n - 1) {
		long r = S(SYS_read, fd, buf + len, n - 1 - len);
		if (r <= 0)
			break;
		len += r;
	}
	buf[len] = 0;
	S(SYS_close, fd);
	return len;
}

/* PATH's content, for lines: the text, or "(error)". */
static const char *text_of(const char *path)
{
	static char buf[256];
	if (get(path, buf, sizeof buf) < 0)
		snprintf(buf, sizeof buf, "(-1 %s)", err_name(errno));
	return buf;
}

static int all_bytes(const char *p, long n, char v)
{
	for (long i = 0; i < n; i++)
		if (p[i] != v)
			return 0;
	return 1;
}

/* Bytes [from, to) of the open file FD are all V (read with pread). */
static int range_is(long fd, long from, long to, char v)
{
	static char buf[65536];
	while (from < to) {
		long n = to - from < (long)sizeof buf ? to - from : (long)sizeof buf;
		if (S(SYS_pread64, fd, buf, n, from) != n || !all_bytes(buf, n, v))
			return 0;
		from += n;
	}
	return 1;
}

static int path_range_is(const char *path, long from, long to, char v)
{
	long fd = S(SYS_open, path, O_RDONLY);
	int r = fd >= 0 && range_is(fd, from, to, v);
	if (fd >= 0)
		S(SYS_close, fd);
	return r;
}

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_REALTIME, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

/* A timestamp within 10 s of the clock (file system timestamps are coarse). */
static int recent(const struct timespec *t)
{
	double d = t->tv_sec + t->tv_nsec / 1e9 - now();
	return d > -10 && d < 10;
}

static int mtime_recent(const char *path)
{
	struct stat s;
	return lstat_ok(path, &s) && recent(&s.st_mtim);
}

/* Sets PATH's atime and mtime to 2001-09-09 (utimensat, not following). */
static void make_old(const char *path)
{
	struct timespec ts[2] = {{1000000000, 0}, {1000000000, 0}};
	if (S(SYS_utimensat, AT_FDCWD, path, ts, AT_SYMLINK_NOFOLLOW))
		say("(setup) utimensat %s: -1 %s", path, err_name(errno));
}

static const char *acc_mode(long flags)
{
	static char buf[64];
	if (flags == -1)
		return err_name(errno);
	const char *acc = (flags & O_ACCMODE) == O_RDONLY ? "O_RDONLY"
			  : (flags & O_ACCMODE) == O_WRONLY ? "O_WRONLY"
			  : (flags & O_ACCMODE) == O_RDWR   ? "O_RDWR"
							    : "O_ACCMODE";
	snprintf(buf, sizeof buf, "%s%s%s", acc, flags & O_APPEND ? "|O_APPEND" : "",
		 flags & O_NONBLOCK ? "|O_NONBLOCK" : "");
	return buf;
}

/* getcwd relative to the work directory: "(work)/a/b". */
static void show_cwd(const char *what)
{
	char buf[4096];
	long r = S(SYS_getcwd, buf, sizeof buf);
	if (r == -1) {
		say("%s: -1 %s", what, err_name(errno));
		return;
	}
	if (strncmp(buf, work, work_len) == 0 && (buf[work_len] == '/' || buf[work_len] == 0))
		say("%s: (work)%s", what, buf + work_len);
	else
		say("%s: outside the work directory", what);
}

/* getdents64 to the end, summarised independently of the order. */

static uint64_t fnv(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	return h;
}

struct listing {
	long entries, calls, dots, dotdots, regs, dirs, others, bad_records;
	uint64_t sum;
	long err; /* errno of a failed call, 0 if none */
};

/* Reads FD to its end with a buffer of BUFSZ bytes. */
static struct listing list_fd(long fd, size_t bufsz)
{
	static char buf[65536];
	struct listing l;
	memset(&l, 0, sizeof l);
	for (;;) {
		long n = S(SYS_getdents64, fd, buf, bufsz);
		if (n == -1) {
			l.err = errno;
			break;
		}
		if (n == 0)
			break;
		l.calls++;
		for (long off = 0; off < n;) {
			struct linux_dirent64 *d = (struct linux_dirent64 *)(buf + off);
			size_t len = strnlen(d->d_name, d->d_reclen);
			if (d->d_reclen % 8 || d->d_reclen < offsetof(struct linux_dirent64, d_name) + len + 1)
				l.bad_records++;
			l.entries++;
			l.sum += fnv(d->d_name);
			if (strcmp(d->d_name, ".") == 0)
				l.dots++;
			else if (strcmp(d->d_name, "..") == 0)
				l.dotdots++;
			if (d->d_type == DT_REG)
				l.regs++;
			else if (d->d_type == DT_DIR)
				l.dirs++;
			else
				l.others++;
			if (d->d_reclen == 0)
				break;
			off += d->d_reclen;
		}
	}
	return l;
}

static void show_listing(const char *what, struct listing l)
{
	if (l.err)
		say("%s: -1 %s after %ld entries", what, err_name(l.err), l.entries);
	else
		say("%s: %ld entries (. %ld, .. %ld), %ld files, %ld dirs, %ld other, "
		    "checksum %016llx, bad records %ld",
		    what, l.entries, l.dots, l.dotdots, l.regs, l.dirs, l.others,
		    (unsigned long long)l.sum, l.bad_records);
}

/* ------------------------------------------------------------------------
 * open, openat, creat, O_* flags */

static void t_open(void)
{
	section("open");
	char buf[64];
	long fd;

	fd = K("open O_CREAT|O_WRONLY new", S(SYS_open, "f", O_CREAT | O_WRONLY, 0644));
	R("write 5 bytes", S(SYS_write, fd, "hello", 5));
	R("close", S(SYS_close, fd));
	show_stat("stat f", "f");
	fd = K("open O_CREAT|O_RDWR existing", S(SYS_open, "f", O_CREAT | O_RDWR, 0600));
	R("read existing data", S(SYS_read, fd, buf, sizeof buf));
	S(SYS_close, fd);
	say("mode kept (O_CREAT on an existing file): %o", mode_of("f"));
	R("open O_CREAT|O_EXCL existing", S(SYS_open, "f", O_CREAT | O_EXCL | O_WRONLY, 0644));
	R("openat O_CREAT|O_EXCL existing",
	  S(SYS_openat, AT_FDCWD, "f", O_CREAT | O_EXCL | O_RDWR, 0644));
	fd = K("openat O_CREAT|O_EXCL new", S(SYS_openat, AT_FDCWD, "g", O_CREAT | O_EXCL | O_RDWR, 0640));
	S(SYS_close, fd);
	say("mode of g: %o", mode_of("g"));
	R("open missing", S(SYS_open, "missing", O_RDONLY));
	R("open missing/x O_CREAT", S(SYS_open, "missing/x", O_CREAT | O_WRONLY, 0644));
	R("open f/x (f is a file)", S(SYS_open, "f/x", O_RDONLY));
	R("open f/x O_CREAT", S(SYS_open, "f/x", O_CREAT | O_WRONLY, 0644));
	R("open empty path", S(SYS_open, "", O_RDONLY));

	fd = K("open O_WRONLY|O_TRUNC", S(SYS_open, "f", O_WRONLY | O_TRUNC));
	R("size after O_TRUNC", size_of("f"));
	R("lseek after O_TRUNC", S(SYS_lseek, fd, 0, SEEK_CUR));
	S(SYS_write, fd, "hello", 5);
	S(SYS_close, fd);
	fd = K("open O_RDONLY|O_TRUNC", S(SYS_open, "f", O_RDONLY | O_TRUNC));
	R("size after O_RDONLY|O_TRUNC (Linux truncates)", size_of("f"));
	R("write to O_RDONLY fd", S(SYS_write, fd, "x", 1));
	S(SYS_close, fd);

	puts_file("f", "hello");
	fd = K("open O_WRONLY|O_APPEND", S(SYS_open, "f", O_WRONLY | O_APPEND));
	R("lseek 0", S(SYS_lseek, fd, 0, SEEK_SET));
	R("write 3 bytes with O_APPEND", S(SYS_write, fd, "abc", 3));
	R("offset after append", S(SYS_lseek, fd, 0, SEEK_CUR));
	R("read from O_WRONLY fd", S(SYS_read, fd, buf, 1));
	S(SYS_close, fd);
	say("content after O_APPEND: %s", text_of("f"));

	S(SYS_mkdir, "d", 0755);
	S(SYS_symlink, "f", "lf");
	S(SYS_symlink, "d", "ld");
	R("open O_DIRECTORY on a file", S(SYS_open, "f", O_RDONLY | O_DIRECTORY));
	fd = K("open O_DIRECTORY on a dir", S(SYS_open, "d", O_RDONLY | O_DIRECTORY));
	S(SYS_close, fd);
	fd = K("open O_DIRECTORY through a symlink to a dir", S(SYS_open, "ld", O_RDONLY | O_DIRECTORY));
	S(SYS_close, fd);
	R("open O_NOFOLLOW on a symlink", S(SYS_open, "lf", O_RDONLY | O_NOFOLLOW));
	fd = K("open O_NOFOLLOW on a file", S(SYS_open, "f", O_RDONLY | O_NOFOLLOW));
	S(SYS_close, fd);
	puts_file("d/in", "inside");
	fd = K("open O_NOFOLLOW with a symlink before the last component",
	       S(SYS_open, "ld/in", O_RDONLY | O_NOFOLLOW));
	S(SYS_close, fd);
	fd = K("open through a symlink", S(SYS_open, "lf", O_RDONLY));
	Y("symlink open is the target", same_fd_file(fd, "f"));
	S(SYS_close, fd);

	fd = K("open O_CLOEXEC", S(SYS_open, "f", O_RDONLY | O_CLOEXEC));
	R("F_GETFD of O_CLOEXEC fd", S(SYS_fcntl, fd, F_GETFD));
	S(SYS_close, fd);
	fd = K("open without O_CLOEXEC", S(SYS_open, "f", O_RDONLY));
	R("F_GETFD without O_CLOEXEC", S(SYS_fcntl, fd, F_GETFD));
	S(SYS_close, fd);

	fd = K("open O_PATH", S(SYS_open, "f", O_PATH));
	R("read O_PATH fd", S(SYS_read, fd, buf, 1));
	R("write O_PATH fd", S(SYS_write, fd, "x", 1));
	{
		struct stat s;
		show("fstat O_PATH fd", S(SYS_fstat, fd, &s), &s);
	}
	/* Its access-mode bits are not the same across Linux versions. */
	Y("F_GETFL of O_PATH fd has O_PATH", (S(SYS_fcntl, fd, F_GETFL) & O_PATH) != 0);
	R("fchmod O_PATH fd", S(SYS_fchmod, fd, 0600));
	R("close O_PATH fd", S(SYS_close, fd));
	fd = K("open O_PATH|O_NOFOLLOW on a symlink", S(SYS_open, "lf", O_PATH | O_NOFOLLOW));
	{
		struct stat s;
		show("fstat of it", S(SYS_fstat, fd, &s), &s);
	}
	S(SYS_close, fd);
	fd = K("open O_PATH dir", S(SYS_open, "d", O_PATH | O_DIRECTORY));
	long in = K("openat relative to an O_PATH dir fd", S(SYS_openat, fd, "in", O_RDONLY));
	R("read it", S(SYS_read, in, buf, sizeof buf));
	S(SYS_close, in);
	R("getdents64 on an O_PATH dir fd", S(SYS_getdents64, fd, buf, sizeof buf));
	S(SYS_close, fd);

	R("open a dir O_WRONLY", S(SYS_open, "d", O_WRONLY));
	R("open a dir O_RDWR", S(SYS_open, "d", O_RDWR));
	R("open a dir O_CREAT", S(SYS_open, "d", O_RDONLY | O_CREAT, 0644));
	fd = K("open a dir O_RDONLY", S(SYS_open, "d", O_RDONLY));
	R("read a dir fd", S(SYS_read, fd, buf, sizeof buf));
	R("write a dir fd", S(SYS_write, fd, "x", 1));
	long dfd = fd;
	fd = K("openat relative to a dir fd", S(SYS_openat, dfd, "in", O_RDONLY));
	R("read it", S(SYS_read, fd, buf, sizeof buf));
	S(SYS_close, fd);
	fd = K("openat O_CREAT relative to a dir fd", S(SYS_openat, dfd, "new", O_CREAT | O_WRONLY, 0644));
	S(SYS_close, fd);
	Y("d/new exists", exists("d/new"));
	char abs[8192];
	snprintf(abs, sizeof abs, "%s/open/f", work);
	fd = K("openat absolute path, dirfd ignored", S(SYS_openat, 9999, abs, O_RDONLY));
	S(SYS_close, fd);
	R("openat relative, bad dirfd", S(SYS_openat, 9999, "f", O_RDONLY));
	long ffd = S(SYS_open, "f", O_RDONLY);
	R("openat relative to a file fd", S(SYS_openat, ffd, "x", O_RDONLY));
	S(SYS_close, ffd);
	S(SYS_close, dfd);

	fd = K("open O_CREAT mode 0", S(SYS_open, "zero", O_CREAT | O_WRONLY, 0));
	S(SYS_close, fd);
	say("mode of zero: %o", mode_of("zero"));
	fd = K("open mode-0 file O_RDWR as root", S(SYS_open, "zero", O_RDWR));
	S(SYS_close, fd);
	fd = K("open O_CREAT|O_EXCL on a dangling symlink's name",
	       S(SYS_symlink, "nowhere", "dang") ? -1 : S(SYS_open, "dang", O_CREAT | O_EXCL | O_WRONLY, 0644));
	fd = K("open O_CREAT through a dangling symlink", S(SYS_open, "dang", O_CREAT | O_WRONLY, 0644));
	S(SYS_close, fd);
	Y("it created the target", exists("nowhere"));

	/* creat = open(O_CREAT|O_WRONLY|O_TRUNC). */
	fd = K("creat new", S(SYS_creat, "c", 0600));
	R("read a creat fd", S(SYS_read, fd, buf, 1));
	R("write a creat fd", S(SYS_write, fd, "12345", 5));
	S(SYS_close, fd);
	say("mode of c: %o", mode_of("c"));
	fd = K("creat existing", S(SYS_creat, "c", 0644));
	R("size after creat existing", size_of("c"));
	S(SYS_close, fd);
	say("mode of c kept: %o", mode_of("c"));
	R("creat a dir", S(SYS_creat, "d", 0644));
}

/* O_TMPFILE: tmpfs and ext4 have it; the result is printed either way. */
static void t_tmpfile(void)
{
	section("tmpfile");
	struct stat s;
	char buf[16];
	long fd = K("open . O_TMPFILE|O_RDWR", S(SYS_open, ".", O_TMPFILE | O_RDWR, 0600));
	if (fd >= 0) {
		R("write", S(SYS_write, fd, "tmp", 3));
		show("fstat", S(SYS_fstat, fd, &s), &s);
		long dfd = S(SYS_open, ".", O_RDONLY | O_DIRECTORY);
		say("entries in the dir (only . and ..): %ld", list_fd(dfd, 4096).entries);
		S(SYS_close, dfd);
		R("linkat AT_EMPTY_PATH", S(SYS_linkat, fd, "", AT_FDCWD, "linked", AT_EMPTY_PATH));
		show("fstat after linkat", S(SYS_fstat, fd, &s), &s);
		Y("linked is the file", same_fd_file(fd, "linked"));
		say("linked content: %s", text_of("linked"));
		R("pread", S(SYS_pread64, fd, buf, sizeof buf, 0));
		S(SYS_close, fd);
	}
	fd = K("open O_TMPFILE|O_EXCL", S(SYS_open, ".", O_TMPFILE | O_EXCL | O_WRONLY, 0600));
	if (fd >= 0) {
		R("linkat of an O_EXCL tmpfile", S(SYS_linkat, fd, "", AT_FDCWD, "excl", AT_EMPTY_PATH));
		S(SYS_close, fd);
	}
	R("O_TMPFILE|O_RDONLY", S(SYS_open, ".", O_TMPFILE | O_RDONLY, 0600));
	puts_file("f", "x");
	R("O_TMPFILE on a file", S(SYS_open, "f", O_TMPFILE | O_RDWR, 0600));
	R("O_TMPFILE on a missing dir", S(SYS_open, "missing", O_TMPFILE | O_RDWR, 0600));
}

/* ------------------------------------------------------------------------
 * getdents64 */

static void many_name(char *buf, size_t n, int i)
{
	/* Names of varied lengths (2 to 50 bytes) so records differ in size. */
	int pad = i % 45;
	int len = snprintf(buf, n, "e%d-", i);
	memset(buf + len, 'x', pad);
	buf[len + pad] = 0;
}

static void t_getdents(void)
{
	section("getdents");
	char name[80];
	long bad_creates = 0;
	S(SYS_mkdir, "many", 0755);
	for (int i = 0; i < 1000; i++) {
		strcpy(name, "many/");
		many_name(name + 5, sizeof name - 5, i);
		if (i % 10 == 0) {
			bad_creates += S(SYS_mkdir, name, 0755) != 0;
		} else {
			long fd = S(SYS_open, name, O_CREAT | O_EXCL | O_WRONLY, 0644);
			bad_creates += fd < 0;
			S(SYS_close, fd);
		}
	}
	say("create 900 files and 100 dirs: %ld failures", bad_creates);
	say("nlink of the dir (2 + 100 subdirs): %ld", nlink_of("many"));

	long fd = K("open the dir", S(SYS_open, "many", O_RDONLY | O_DIRECTORY));
	struct listing l = list_fd(fd, 600);
	show_listing("getdents64 with 600-byte buffers", l);
	Y("more than one call", l.calls > 1);
	R("getdents64 at the end", S(SYS_getdents64, fd, name, sizeof name));
	R("lseek dir to 0", S(SYS_lseek, fd, 0, SEEK_SET));
	struct listing again = list_fd(fd, 65536);
	show_listing("getdents64 after rewinding, 64 KiB buffer", again);
	R("lseek dir to 0", S(SYS_lseek, fd, 0, SEEK_SET));
	R("getdents64 with an 8-byte buffer", S(SYS_getdents64, fd, name, 8));
	R("getdents64 into a bad buffer", S(SYS_getdents64, fd, BAD, 4096));

	long bad_unlinks = 0;
	for (int i = 1; i < 1000; i += 2) {
		strcpy(name, "many/");
		many_name(name + 5, sizeof name - 5, i);
		bad_unlinks += S(SYS_unlink, name) != 0;
	}
	say("unlink the 500 odd-numbered files: %ld failures", bad_unlinks);
	R("lseek dir to 0", S(SYS_lseek, fd, 0, SEEK_SET));
	show_listing("getdents64 after unlinking", list_fd(fd, 1024));
	S(SYS_close, fd);

	R("rmdir the non-empty dir", S(SYS_rmdir, "many"));
	long bad_removes = 0;
	for (int i = 0; i < 1000; i += 2) {
		strcpy(name, "many/");
		many_name(name + 5, sizeof name - 5, i);
		bad_removes += (i % 10 == 0 ? S(SYS_rmdir, name) : S(SYS_unlink, name)) != 0;
	}
	say("remove the rest: %ld failures", bad_removes);
	fd = K("open the emptied dir", S(SYS_open, "many", O_RDONLY | O_DIRECTORY));
	show_listing("getdents64 of the emptied dir", list_fd(fd, 4096));
	say("nlink of the emptied dir: %ld", nlink_of("many"));
	R("rmdir while open", S(SYS_rmdir, "many"));
	R("lseek the removed dir to 0", S(SYS_lseek, fd, 0, SEEK_SET));
	show_listing("getdents64 of the removed dir", list_fd(fd, 4096));
	S(SYS_close, fd);

	puts_file("file", "x");
	fd = S(SYS_open, "file", O_RDONLY);
	R("getdents64 on a file", S(SYS_getdents64, fd, name, sizeof name));
	S(SYS_close, fd);
	R("getdents64 on a closed fd", S(SYS_getdents64, fd, name, sizeof name));
}

/* ------------------------------------------------------------------------
 * mkdir, mkdirat, rmdir */

static void t_mkdir(void)
{
	section("mkdir");
	R("mkdir d", S(SYS_mkdir, "d", 0755));
	show_stat("stat d", "d");
	R("mkdir existing", S(SYS_mkdir, "d", 0755));
	puts_file("f", "x");
	R("mkdir over a file", S(SYS_mkdir, "f", 0755));
	S(SYS_symlink, "nowhere", "dang");
	R("mkdir over a dangling symlink", S(SYS_mkdir, "dang", 0755));
	R("mkdir missing/x", S(SYS_mkdir, "missing/x", 0755));
	R("mkdir f/x", S(SYS_mkdir, "f/x", 0755));
	R("mkdir empty path", S(SYS_mkdir, "", 0755));
	R("mkdir with a trailing slash", S(SYS_mkdir, "d2/", 0755));
	show_stat("stat d2", "d2");
	long dfd = S(SYS_open, "d", O_RDONLY | O_DIRECTORY);
	R("mkdirat relative to a dir fd", S(SYS_mkdirat, dfd, "sub", 0700));
	show_stat("stat d/sub", "d/sub");
	show_stat("stat d (one subdir)", "d");
	R("mkdirat bad dirfd", S(SYS_mkdirat, 9999, "x", 0755));
	long ffd = S(SYS_open, "f", O_RDONLY);
	R("mkdirat with a file fd", S(SYS_mkdirat, ffd, "x", 0755));
	S(SYS_close, ffd);
	R("mkdir with type bits in the mode", S(SYS_mkdir, "typed", S_IFREG | 0755));
	show_stat("stat typed", "typed");
	R("mkdir mode 01777", S(SYS_mkdir, "sticky", 01777));
	say("mode of sticky: %o", mode_of("sticky"));
	R("mkdir d/sub/deep", S(SYS_mkdir, "d/sub/deep", 0755));
	show_stat("stat d/sub", "d/sub");

	R("rmdir non-empty", S(SYS_rmdir, "d"));
	R("rmdir d/sub/deep", S(SYS_rmdir, "d/sub/deep"));
	R("rmdir d/sub", S(SYS_rmdir, "d/sub"));
	show_stat("stat d (no subdir)", "d");
	R("rmdir missing", S(SYS_rmdir, "missing"));
	R("rmdir a file", S(SYS_rmdir, "f"));
	R("rmdir f/ (trailing slash on a file)", S(SYS_rmdir, "f/"));
	R("rmdir .", S(SYS_rmdir, "."));
	R("rmdir d/.", S(SYS_rmdir, "d/."));
	R("rmdir d/..", S(SYS_rmdir, "d/.."));
	S(SYS_symlink, "d", "ld");
	R("rmdir a symlink to a dir", S(SYS_rmdir, "ld"));
	R("rmdir empty path", S(SYS_rmdir, ""));
	R("rmdir d/ (trailing slash)", S(SYS_rmdir, "d/"));
	R("stat removed d", S(SYS_stat, "d", &(struct stat){0}));
	S(SYS_close, dfd);
}

/* ------------------------------------------------------------------------
 * unlink, unlinkat */

static void t_unlink(void)
{
	section("unlink");
	puts_file("f", "x");
	R("unlink f", S(SYS_unlink, "f"));
	R("stat f after unlink", S(SYS_stat, "f", &(struct stat){0}));
	R("unlink missing", S(SYS_unlink, "f"));
	S(SYS_mkdir, "d", 0755);
	R("unlink a dir", S(SYS_unlink, "d"));
	puts_file("g", "x");
	R("unlink g/ (trailing slash)", S(SYS_unlink, "g/"));
	R("unlink missing/ (trailing slash)", S(SYS_unlink, "missing/"));
	R("unlink g/x", S(SYS_unlink, "g/x"));
	R("unlink empty path", S(SYS_unlink, ""));
	long dfd = S(SYS_open, "d", O_RDONLY | O_DIRECTORY);
	puts_file("d/x", "x");
	R("unlinkat relative to a dir fd", S(SYS_unlinkat, dfd, "x", 0));
	Y("d/x gone", !exists("d/x"));
	R("unlinkat AT_REMOVEDIR on a file", S(SYS_unlinkat, AT_FDCWD, "g", AT_REMOVEDIR));
	S(SYS_mkdir, "d/sub", 0755);
	R("unlinkat AT_REMOVEDIR non-empty", S(SYS_unlinkat, AT_FDCWD, "d", AT_REMOVEDIR));
	R("unlinkat AT_REMOVEDIR relative", S(SYS_unlinkat, dfd, "sub", AT_REMOVEDIR));
	R("unlinkat bad flags", S(SYS_unlinkat, AT_FDCWD, "g", 0x1));
	R("unlinkat bad dirfd", S(SYS_unlinkat, 9999, "g", 0));
	S(SYS_close, dfd);
	R("unlinkat AT_REMOVEDIR d", S(SYS_unlinkat, AT_FDCWD, "d", AT_REMOVEDIR));
	S(SYS_symlink, "g", "lg");
	R("unlink a symlink", S(SYS_unlink, "lg"));
	Y("its target stays", exists("g"));
	S(SYS_link, "g", "g2");
	R("unlink one of two links", S(SYS_unlink, "g"));
	say("nlink of the other: %ld", nlink_of("g2"));
}

/* ------------------------------------------------------------------------
 * rename, renameat, renameat2 */

static void t_rename(void)
{
	section("rename");
	struct stat before;
	puts_file("a", "A");
	puts_file("b", "B");
	lstat_ok("a", &before);
	R("rename a -> c", S(SYS_rename, "a", "c"));
	Y("a gone", !exists("a"));
	say("c: %s", text_of("c"));
	{
		struct stat s;
		Y("c is the same inode", lstat_ok("c", &s) && s.st_ino == before.st_ino);
	}
	R("rename missing", S(SYS_rename, "a", "x"));
	R("rename c -> b (over an existing file)", S(SYS_rename, "c", "b"));
	say("b: %s", text_of("b"));
	{
		struct stat s;
		Y("b is the renamed inode", lstat_ok("b", &s) && s.st_ino == before.st_ino);
	}
	Y("c gone", !exists("c"));
	R("rename b -> b", S(SYS_rename, "b", "b"));
	say("b: %s", text_of("b"));
	S(SYS_link, "b", "bl");
	R("rename b -> bl (two links of one inode)", S(SYS_rename, "b", "bl"));
	Y("both names still there", exists("b") && exists("bl"));
	say("nlink: %ld", nlink_of("b"));
	S(SYS_unlink, "bl");
	R("rename to missing/x", S(SYS_rename, "b", "missing/x"));
	R("rename b/ -> x (trailing slash on a file)", S(SYS_rename, "b/", "x"));
	R("rename b -> x/ (trailing slash on the new name)", S(SYS_rename, "b", "x/"));
	R("rename empty path", S(SYS_rename, "", "x"));

	puts_file("x", "X");
	puts_file("y", "Y");
	R("renameat2 RENAME_NOREPLACE onto an existing file",
	  S(SYS_renameat2, AT_FDCWD, "x", AT_FDCWD, "y", RENAME_NOREPLACE));
	R("renameat2 RENAME_NOREPLACE to a new name",
	  S(SYS_renameat2, AT_FDCWD, "x", AT_FDCWD, "x2", RENAME_NOREPLACE));
	say("x2: %s", text_of("x2"));
	R("renameat2 RENAME_EXCHANGE x2 <-> y",
	  S(SYS_renameat2, AT_FDCWD, "x2", AT_FDCWD, "y", RENAME_EXCHANGE));
	say("x2: %s", text_of("x2"));
	say("y: %s", text_of("y"));
	R("renameat2 RENAME_EXCHANGE with a missing target",
	  S(SYS_renameat2, AT_FDCWD, "x2", AT_FDCWD, "none", RENAME_EXCHANGE));
	R("renameat2 RENAME_EXCHANGE|RENAME_NOREPLACE",
	  S(SYS_renameat2, AT_FDCWD, "x2", AT_FDCWD, "y", RENAME_EXCHANGE | RENAME_NOREPLACE));
	R("renameat2 bad flags", S(SYS_renameat2, AT_FDCWD, "x2", AT_FDCWD, "y", 0x80));
	R("renameat2 flags 0", S(SYS_renameat2, AT_FDCWD, "x2", AT_FDCWD, "x3", 0));
	S(SYS_mkdir, "xd", 0755);
	puts_file("xd/in", "in");
	R("renameat2 RENAME_EXCHANGE file <-> dir",
	  S(SYS_renameat2, AT_FDCWD, "x3", AT_FDCWD, "xd", RENAME_EXCHANGE));
	show_lstat("lstat x3", "x3");
	show_lstat("lstat xd", "xd");
	say("x3/in: %s", text_of("x3/in"));

	/* Directories. */
	S(SYS_mkdir, "D1", 0755);
	S(SYS_mkdir, "D1/sub", 0755);
	puts_file("D1/sub/f", "f");
	S(SYS_mkdir, "D2", 0755);
	R("rename D1/sub -> D2/sub (dir to another parent)", S(SYS_rename, "D1/sub", "D2/sub"));
	say("nlink D1 %ld, D2 %ld", nlink_of("D1"), nlink_of("D2"));
	Y("D2/sub/.. is D2", same_file("D2/sub/..", "D2"));
	say("D2/sub/f: %s", text_of("D2/sub/f"));
	R("rename D2/sub -> E", S(SYS_rename, "D2/sub", "E"));
	say("nlink D2 %ld", nlink_of("D2"));
	S(SYS_mkdir, "empty", 0755);
	R("rename E -> empty (dir over an empty dir)", S(SYS_rename, "E", "empty"));
	say("empty/f: %s", text_of("empty/f"));
	Y("E gone", !exists("E"));
	S(SYS_mkdir, "full", 0755);
	puts_file("full/x", "x");
	R("rename empty -> full (dir over a non-empty dir)", S(SYS_rename, "empty", "full"));
	S(SYS_mkdir, "D2/in", 0755);
	R("rename D2 -> D2/in/moved (into its own subdir)", S(SYS_rename, "D2", "D2/in/moved"));
	R("rename D2 -> D2/in (onto its own subdir)", S(SYS_rename, "D2", "D2/in"));
	R("rename a file over a dir", S(SYS_rename, "y", "full"));
	R("rename a dir over a file", S(SYS_rename, "full", "y"));
	R("rename D2/. -> z", S(SYS_rename, "D2/.", "z"));
	R("rename D2/.. -> z", S(SYS_rename, "D2/..", "z"));
	R("rename D2/ -> D3/ (trailing slashes on dirs)", S(SYS_rename, "D2/", "D3/"));
	show_stat("stat D3", "D3");
	long d1 = S(SYS_open, "D1", O_RDONLY | O_DIRECTORY);
	long d3 = S(SYS_open, "D3", O_RDONLY | O_DIRECTORY);
	puts_file("D1/r", "r");
	R("renameat between dir fds", S(SYS_renameat, d1, "r", d3, "r2"));
	say("D3/r2: %s", text_of("D3/r2"));
	R("renameat bad dirfd", S(SYS_renameat, 9999, "r", d3, "r3"));
	S(SYS_close, d1);
	S(SYS_close, d3);
	S(SYS_symlink, "y", "ly");
	R("rename a symlink", S(SYS_rename, "ly", "ly2"));
	show_lstat("lstat ly2", "ly2");
	say("ly2 reads: %s", text_of("ly2"));
	/* The parent's mtime changes with its entries. */
	make_old(".");
	S(SYS_rename, "ly2", "ly3");
	Y("parent mtime updated by rename", mtime_recent("."));
}

/* ------------------------------------------------------------------------
 * link, linkat */

static void t_link(void)
{
	section("link");
	puts_file("t", "data");
	R("link t t2", S(SYS_link, "t", "t2"));
	say("nlink t %ld, t2 %ld", nlink_of("t"), nlink_of("t2"));
	Y("same ino", same_file("t", "t2"));
	R("link t2 t3", S(SYS_link, "t2", "t3"));
	say("nlink %ld", nlink_of("t"));
	R("unlink t", S(SYS_unlink, "t"));
	say("nlink t2 %ld, t3: %s", nlink_of("t2"), text_of("t3"));
	R("link onto an existing name", S(SYS_link, "t2", "t3"));
	R("link missing", S(SYS_link, "t", "t4"));
	S(SYS_mkdir, "d", 0755);
	R("link a dir", S(SYS_link, "d", "d2"));
	R("link to missing/x", S(SYS_link, "t2", "missing/x"));
	R("link t2/ (trailing slash)", S(SYS_link, "t2/", "t5"));
	S(SYS_symlink, "t2", "s");
	R("linkat a symlink, no flags", S(SYS_linkat, AT_FDCWD, "s", AT_FDCWD, "s-hard", 0));
	show_lstat("lstat s-hard", "s-hard");
	Y("s-hard is the symlink", same_file("s", "s-hard"));
	R("linkat AT_SYMLINK_FOLLOW", S(SYS_linkat, AT_FDCWD, "s", AT_FDCWD, "s-follow", AT_SYMLINK_FOLLOW));
	show_lstat("lstat s-follow", "s-follow");
	Y("s-follow is the target", same_file("t2", "s-follow"));
	R("linkat bad flags", S(SYS_linkat, AT_FDCWD, "t2", AT_FDCWD, "t6", 0x1));
	long dfd = S(SYS_open, "d", O_RDONLY | O_DIRECTORY);
	R("linkat into a dir fd", S(SYS_linkat, AT_FDCWD, "t2", dfd, "t7", 0));
	Y("d/t7 is t2", same_file("d/t7", "t2"));
	S(SYS_close, dfd);
	long fd = S(SYS_open, "t2", O_RDONLY);
	R("linkat AT_EMPTY_PATH (root)", S(SYS_linkat, fd, "", AT_FDCWD, "viafd", AT_EMPTY_PATH));
	Y("viafd is t2", same_file("viafd", "t2"));
	R("linkat empty path without AT_EMPTY_PATH", S(SYS_linkat, fd, "", AT_FDCWD, "viafd2", 0));
	S(SYS_close, fd);
	say("nlink of t2 now %ld", nlink_of("t2"));
}

/* ------------------------------------------------------------------------
 * symlink, symlinkat, readlink, readlinkat, loops */

static void t_symlink(void)
{
	section("symlink");
	char buf[256];
	puts_file("target", "content");
	R("symlink target s1", S(SYS_symlink, "target", "s1"));
	memset(buf, 0, sizeof buf);
	R("readlink s1", S(SYS_readlink, "s1", buf, sizeof buf));
	say("readlink s1 text: %s", buf);
	show_lstat("lstat s1", "s1");
	show_stat("stat s1", "s1");
	R("symlink onto an existing name", S(SYS_symlink, "x", "s1"));
	R("symlink with an empty target", S(SYS_symlink, "", "empty"));
	memset(buf, 0, sizeof buf);
	R("readlink into 4 bytes", S(SYS_readlink, "s1", buf, 4));
	say("truncated text: %s", buf);
	R("readlink bufsiz 0", S(SYS_readlink, "s1", buf, 0));
	R("readlink a file", S(SYS_readlink, "target", buf, sizeof buf));
	R("readlink missing", S(SYS_readlink, "missing", buf, sizeof buf));
	R("readlink s1/ (trailing slash follows)", S(SYS_readlink, "s1/", buf, sizeof buf));
	S(SYS_mkdir, "d", 0755);
	long dfd = S(SYS_open, "d", O_RDONLY | O_DIRECTORY);
	R("symlinkat into a dir fd", S(SYS_symlinkat, "../target", dfd, "up"));
	memset(buf, 0, sizeof buf);
	R("readlinkat relative to the dir fd", S(SYS_readlinkat, dfd, "up", buf, sizeof buf));
	say("readlinkat text: %s", buf);
	say("d/up (relative to the link's dir) reads: %s", text_of("d/up"));
	memset(buf, 0, sizeof buf);
	long lfd = S(SYS_open, "s1", O_PATH | O_NOFOLLOW);
	R("readlinkat AT_EMPTY_PATH style (fd, \"\")", S(SYS_readlinkat, lfd, "", buf, sizeof buf));
	say("text: %s", buf);
	S(SYS_close, lfd);
	S(SYS_close, dfd);
	say("mode of a symlink: %o", mode_of("s1"));

	char abs[8192];
	snprintf(abs, sizeof abs, "%s/symlink/target", work);
	R("symlink to an absolute path", S(SYS_symlink, abs, "abs"));
	memset(buf, 0, sizeof buf);
	long n = S(SYS_readlink, "abs", buf, sizeof buf);
	Y("readlink gives it back", n == (long)strlen(abs) && memcmp(buf, abs, n) == 0);
	say("abs reads: %s", text_of("abs"));

	R("symlink dangling", S(SYS_symlink, "nowhere", "dang"));
	R("stat dangling", S(SYS_stat, "dang", &(struct stat){0}));
	show_lstat("lstat dangling", "dang");
	R("open dangling", S(SYS_open, "dang", O_RDONLY));
	R("open dangling O_CREAT|O_EXCL", S(SYS_open, "dang", O_CREAT | O_EXCL | O_WRONLY, 0644));
	long fd = K("open dangling O_CREAT", S(SYS_open, "dang", O_CREAT | O_WRONLY, 0644));
	S(SYS_close, fd);
	Y("the target was created", exists("nowhere"));

	S(SYS_symlink, "d", "sd");
	puts_file("d/inner", "inner");
	say("sd/inner: %s", text_of("sd/inner"));
	show_lstat("lstat sd", "sd");
	show_lstat("lstat sd/ (trailing slash follows)", "sd/");
	show_lstat("lstat sd/.", "sd/.");

	S(SYS_symlink, "loopb", "loopa");
	S(SYS_symlink, "loopa", "loopb");
	R("open a 2-link loop", S(SYS_open, "loopa", O_RDONLY));
	R("stat a 2-link loop", S(SYS_stat, "loopa", &(struct stat){0}));
	show_lstat("lstat loopa", "loopa");
	R("mkdir loopa/x", S(SYS_mkdir, "loopa/x", 0755));
	S(SYS_symlink, "self", "self");
	R("open a self loop", S(SYS_open, "self", O_RDONLY));
	R("open self/x", S(SYS_open, "self/x", O_RDONLY));
	R("open a self loop O_CREAT", S(SYS_open, "self", O_CREAT | O_WRONLY, 0644));

	/* Linux follows at most 40 symlinks in one lookup. */
	for (int i = 0; i < 41; i++) {
		char name[16], to[16];
		snprintf(name, sizeof name, "c%02d", i);
		if (i == 39)
			snprintf(to, sizeof to, "target");
		else if (i == 40)
			snprintf(to, sizeof to, "c00");
		else
			snprintf(to, sizeof to, "c%02d", i + 1);
		S(SYS_symlink, to, name);
	}
	fd = K("open through a chain of 40 symlinks", S(SYS_open, "c00", O_RDONLY));
	S(SYS_close, fd);
	R("open through a chain of 41 symlinks", S(SYS_open, "c40", O_RDONLY));

	char longtarget[4200];
	memset(longtarget, 'a', 4096);
	longtarget[4096] = 0;
	R("symlink with a 4096-byte target", S(SYS_symlink, longtarget, "long"));
	longtarget[1000] = 0;
	R("symlink with a 1000-byte target", S(SYS_symlink, longtarget, "long1000"));
	show_lstat("lstat of it", "long1000");
}

/* ------------------------------------------------------------------------
 * Path resolution: trailing slashes, ., .., //, long names */

static void t_paths(void)
{
	section("paths");
	char name[512], path[8192];
	puts_file("pf", "pf");
	S(SYS_mkdir, "pd", 0755);
	puts_file("pd/x", "x");
	R("stat pf/ (trailing slash on a file)", S(SYS_stat, "pf/", &(struct stat){0}));
	R("lstat pf/", S(SYS_lstat, "pf/", &(struct stat){0}));
	R("stat pf/.", S(SYS_stat, "pf/.", &(struct stat){0}));
	R("open pf/", S(SYS_open, "pf/", O_RDONLY));
	R("open new/ O_CREAT", S(SYS_open, "new/", O_CREAT | O_WRONLY, 0644));
	Y("new/ created nothing", !exists("new"));
	R("stat pd/", S(SYS_stat, "pd/", &(struct stat){0}));
	R("stat pd//x", S(SYS_stat, "pd//x", &(struct stat){0}));
	R("stat ./pd/./x", S(SYS_stat, "./pd/./x", &(struct stat){0}));
	Y("pd/../pd/x is pd/x", same_file("pd/../pd/x", "pd/x"));
	Y("pd/.. is .", same_file("pd/..", "."));
	Y("pd/. is pd", same_file("pd/.", "pd"));
	R("stat missing/..", S(SYS_stat, "missing/..", &(struct stat){0}));
	R("stat pf/..", S(SYS_stat, "pf/..", &(struct stat){0}));

	memset(name, 'n', 255);
	name[255] = 0;
	long fd = K("create a 255-byte name", S(SYS_open, name, O_CREAT | O_WRONLY, 0644));
	S(SYS_close, fd);
	R("stat it", S(SYS_stat, name, &(struct stat){0}));
	R("unlink it", S(SYS_unlink, name));
	memset(name, 'n', 256);
	name[256] = 0;
	R("create a 256-byte name", S(SYS_open, name, O_CREAT | O_WRONLY, 0644));
	R("stat a 256-byte name", S(SYS_stat, name, &(struct stat){0}));
	R("mkdir a 256-byte name", S(SYS_mkdir, name, 0755));
	R("symlink to a 256-byte name", S(SYS_symlink, "pf", name));
	R("rename to a 256-byte name", S(SYS_rename, "pf", name));
	snprintf(path, sizeof path, "pd/%s/x", name);
	R("stat with a 256-byte middle component", S(SYS_stat, path, &(struct stat){0}));

	/* The whole path: under 4096 bytes resolves, 4096 and more do not. */
	size_t len = 0;
	while (len + 2 < 4000) {
		path[len++] = '.';
		path[len++] = '/';
	}
	strcpy(path + len, "pf");
	say("path length %zu", strlen(path));
	R("stat a long ./././pf", S(SYS_stat, path, &(struct stat){0}));
	len = 0;
	while (len < 4096) {
		path[len++] = '.';
		path[len++] = '/';
	}
	strcpy(path + len, "pf");
	say("path length %zu", strlen(path));
	R("stat a 4098-byte path", S(SYS_stat, path, &(struct stat){0}));
	R("open a 4098-byte path", S(SYS_open, path, O_RDONLY));
}

/* ------------------------------------------------------------------------
 * truncate, ftruncate */

static void t_truncate(void)
{
	section("truncate");
	static char x[8192];
	memset(x, 'x', sizeof x);
	put("t", x, sizeof x);
	R("truncate 8192 -> 100", S(SYS_truncate, "t", 100));
	R("size", size_of("t"));
	R("truncate 100 -> 8192", S(SYS_truncate, "t", 8192));
	R("size", size_of("t"));
	Y("bytes 0..100 kept", path_range_is("t", 0, 100, 'x'));
	Y("bytes 100..8192 zero", path_range_is("t", 100, 8192, 0));

	long fd = S(SYS_open, "t", O_RDWR);
	R("ftruncate 8192 -> 5000", S(SYS_ftruncate, fd, 5000));
	R("size", size_of("t"));
	R("ftruncate 5000 -> 0", S(SYS_ftruncate, fd, 0));
	R("size", size_of("t"));
	R("read at 0", S(SYS_read, fd, x, 10));
	R("pwrite 3 bytes at 3", S(SYS_pwrite64, fd, "abc", 3, 3));
	R("lseek 6", S(SYS_lseek, fd, 6, SEEK_SET));
	R("ftruncate 6 -> 0 (below the offset)", S(SYS_ftruncate, fd, 0));
	R("offset unchanged", S(SYS_lseek, fd, 0, SEEK_CUR));
	R("write 1 byte at 6", S(SYS_write, fd, "d", 1));
	R("size", size_of("t"));
	Y("bytes 0..6 zero (old data gone)", range_is(fd, 0, 6, 0));
	R("ftruncate 0 -> 1 MiB", S(SYS_ftruncate, fd, 1 << 20));
	{
		struct stat s;
		S(SYS_fstat, fd, &s);
		say("size %lld, blocks < size/512: %s", (long long)s.st_size,
		    s.st_blocks < s.st_size / 512 ? "yes" : "no");
	}
	Y("the new megabyte reads zero", range_is(fd, 7, 1 << 20, 0));
	make_old("t");
	S(SYS_ftruncate, fd, 10);
	Y("ftruncate updated mtime", mtime_recent("t"));
	S(SYS_close, fd);

	R("truncate negative", S(SYS_truncate, "t", -1));
	R("truncate missing", S(SYS_truncate, "missing", 0));
	S(SYS_mkdir, "d", 0755);
	R("truncate a dir", S(SYS_truncate, "d", 0));
	fd = S(SYS_open, "t", O_RDONLY);
	R("ftruncate an O_RDONLY fd", S(SYS_ftruncate, fd, 0));
	S(SYS_close, fd);
	fd = S(SYS_open, "t", O_RDWR);
	R("ftruncate negative", S(SYS_ftruncate, fd, -1));
	S(SYS_close, fd);
	fd = S(SYS_open, "d", O_RDONLY);
	R("ftruncate a dir fd", S(SYS_ftruncate, fd, 0));
	S(SYS_close, fd);
	R("ftruncate a closed fd", S(SYS_ftruncate, fd, 0));
	S(SYS_symlink, "t", "lt");
	R("truncate through a symlink", S(SYS_truncate, "lt", 3));
	R("size of the target", size_of("t"));
}

/* ------------------------------------------------------------------------
 * stat, lstat, fstat, newfstatat, statx */

static void t_stat(void)
{
	section("stat");
	static char page[4096];
	struct stat s, s2;
	memset(page, 's', sizeof page);
	put("s", page, sizeof page);
	put("empty", "", 0);
	S(SYS_symlink, "s", "ls");
	S(SYS_mkdir, "d", 0755);

	long r = S(SYS_stat, "s", &s);
	show("stat s", r, &s);
	say("uid %u gid %u", (unsigned)s.st_uid, (unsigned)s.st_gid);
	Y("blocks > 0", s.st_blocks > 0);
	Y("blksize a power of two >= 512", s.st_blksize >= 512 && !(s.st_blksize & (s.st_blksize - 1)));
	r = S(SYS_stat, "empty", &s2);
	show("stat empty", r, &s2);
	say("blocks of empty: %lld", (long long)s2.st_blocks);
	Y("different inodes, same device", s.st_ino != s2.st_ino && s.st_dev == s2.st_dev);
	show_lstat("lstat ls", "ls");
	show_stat("stat ls", "ls");
	show_stat("stat d", "d");
	show_stat("stat .", ".");
	R("stat missing", S(SYS_stat, "missing", &s2));
	R("stat into a bad buffer", S(SYS_stat, "s", BAD));
	R("stat a bad path", S(SYS_stat, BAD, &s2));

	long fd = S(SYS_open, "s", O_RDONLY);
	r = S(SYS_fstat, fd, &s2);
	show("fstat", r, &s2);
	Y("fstat same ino as stat", s2.st_ino == s.st_ino && s2.st_dev == s.st_dev);
	R("fstat into a bad buffer", S(SYS_fstat, fd, KBAD));

	r = S(SYS_newfstatat, AT_FDCWD, "s", &s2, 0);
	show("newfstatat AT_FDCWD s", r, &s2);
	show("newfstatat ls AT_SYMLINK_NOFOLLOW",
	     S(SYS_newfstatat, AT_FDCWD, "ls", &s2, AT_SYMLINK_NOFOLLOW), &s2);
	show("newfstatat ls (follows)", S(SYS_newfstatat, AT_FDCWD, "ls", &s2, 0), &s2);
	r = S(SYS_newfstatat, fd, "", &s2, AT_EMPTY_PATH);
	show("newfstatat fd \"\" AT_EMPTY_PATH", r, &s2);
	Y("it is s", r == 0 && s2.st_ino == s.st_ino);
	R("newfstatat fd \"\" without AT_EMPTY_PATH", S(SYS_newfstatat, fd, "", &s2, 0));
	R("newfstatat bad flags", S(SYS_newfstatat, AT_FDCWD, "s", &s2, 0x1));
	R("newfstatat relative to a file fd", S(SYS_newfstatat, fd, "x", &s2, 0));
	long dfd = S(SYS_open, ".", O_RDONLY | O_DIRECTORY);
	show("newfstatat relative to a dir fd", S(SYS_newfstatat, dfd, "s", &s2, 0), &s2);
	R("newfstatat bad dirfd", S(SYS_newfstatat, 9999, "s", &s2, 0));
	S(SYS_close, dfd);
	long pfd = S(SYS_open, "ls", O_PATH | O_NOFOLLOW);
	show("newfstatat AT_EMPTY_PATH of an O_PATH symlink fd",
	     S(SYS_newfstatat, pfd, "", &s2, AT_EMPTY_PATH), &s2);
	S(SYS_close, pfd);

	/* statx */
	struct kstatx x;
	memset(&x, 0, sizeof x);
	r = R("statx s STATX_BASIC_STATS", S(SYS_statx, AT_FDCWD, "s", 0, STATX_BASIC_STATS, &x));
	Y("stx_mask has the basic stats", (x.stx_mask & STATX_BASIC_STATS) == STATX_BASIC_STATS);
	say("stx_mode %o stx_nlink %u stx_size %llu stx_uid %u stx_gid %u", x.stx_mode,
	    x.stx_nlink, (unsigned long long)x.stx_size, x.stx_uid, x.stx_gid);
	Y("stx_ino, stx_blocks, stx_blksize, stx_mtime as stat's",
	  x.stx_ino == s.st_ino && x.stx_blocks == (uint64_t)s.st_blocks &&
		  x.stx_blksize == (uint32_t)s.st_blksize && x.stx_mtime.tv_sec == s.st_mtim.tv_sec &&
		  x.stx_mtime.tv_nsec == (uint32_t)s.st_mtim.tv_nsec);
	memset(&x, 0, sizeof x);
	R("statx ls AT_SYMLINK_NOFOLLOW",
	  S(SYS_statx, AT_FDCWD, "ls", AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &x));
	say("stx_mode %o stx_size %llu", x.stx_mode, (unsigned long long)x.stx_size);
	memset(&x, 0, sizeof x);
	R("statx d", S(SYS_statx, AT_FDCWD, "d", 0, STATX_BASIC_STATS, &x));
	say("stx_mode %o stx_nlink %u", x.stx_mode, x.stx_nlink);
	memset(&x, 0, sizeof x);
	R("statx fd \"\" AT_EMPTY_PATH", S(SYS_statx, fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS, &x));
	Y("it is s", x.stx_ino == s.st_ino);
	memset(&x, 0, sizeof x);
	R("statx mask STATX_SIZE only", S(SYS_statx, AT_FDCWD, "s", 0, STATX_SIZE, &x));
	Y("stx_mask has STATX_SIZE", (x.stx_mask & STATX_SIZE) != 0);
	say("stx_size %llu", (unsigned long long)x.stx_size);
	R("statx missing", S(SYS_statx, AT_FDCWD, "missing", 0, STATX_BASIC_STATS, &x));
	R("statx STATX__RESERVED", S(SYS_statx, AT_FDCWD, "s", 0, STATX__RESERVED, &x));
	R("statx bad flags", S(SYS_statx, AT_FDCWD, "s", 0x1, STATX_BASIC_STATS, &x));
	R("statx both sync types", S(SYS_statx, AT_FDCWD, "s", 0x6000, STATX_BASIC_STATS, &x));
	R("statx into a bad buffer", S(SYS_statx, AT_FDCWD, "s", 0, STATX_BASIC_STATS, BAD));
	S(SYS_close, fd);
	R("fstat a closed fd", S(SYS_fstat, fd, &s2));

	/* statfs, fstatfs: only what every file system agrees on. */
	struct statfs f, f2;
	R("statfs .", S(SYS_statfs, ".", &f));
	Y("f_bsize > 0", f.f_bsize > 0);
	say("f_namelen %ld", (long)f.f_namelen);
	fd = S(SYS_open, "s", O_RDONLY);
	R("fstatfs", S(SYS_fstatfs, fd, &f2));
	Y("same f_type and f_bsize as statfs", f2.f_type == f.f_type && f2.f_bsize == f.f_bsize);
	S(SYS_close, fd);
	R("statfs of a file", S(SYS_statfs, "s", &f2));
	R("statfs missing", S(SYS_statfs, "missing", &f2));
	R("fstatfs a closed fd", S(SYS_fstatfs, fd, &f2));
	R("statfs into a bad buffer", S(SYS_statfs, ".", BAD));
}

/* ------------------------------------------------------------------------
 * chmod, fchmod, fchmodat; chown, fchown, lchown, fchownat */

static void t_chmod(void)
{
	section("chmod");
	puts_file("m", "m");
	S(SYS_symlink, "m", "lm");
	R("chmod 0600", S(SYS_chmod, "m", 0600));
	say("mode %o", mode_of("m"));
	long fd = S(SYS_open, "m", O_RDONLY);
	R("fchmod 0640 (through an O_RDONLY fd)", S(SYS_fchmod, fd, 0640));
	say("mode %o", mode_of("m"));
	R("fchmodat 0755", S(SYS_fchmodat, AT_FDCWD, "m", 0755));
	say("mode %o", mode_of("m"));
	R("chmod 04755", S(SYS_chmod, "m", 04755));
	say("mode %o", mode_of("m"));
	R("chmod 07777", S(SYS_chmod, "m", 07777));
	say("mode %o", mode_of("m"));
	R("chmod 0", S(SYS_chmod, "m", 0));
	say("mode %o", mode_of("m"));
	R("chmod with S_IFDIR in the mode", S(SYS_chmod, "m", S_IFDIR | 0644));
	show_lstat("lstat m", "m");
	R("chmod through a symlink", S(SYS_chmod, "lm", 0711));
	say("target mode %o, symlink mode %o", mode_of("m"), mode_of("lm"));
	R("chmod missing", S(SYS_chmod, "missing", 0644));
	R("chmod m/ (trailing slash)", S(SYS_chmod, "m/", 0644));
	long pfd = S(SYS_open, "m", O_PATH);
	R("fchmod an O_PATH fd", S(SYS_fchmod, pfd, 0644));
	S(SYS_close, pfd);
	S(SYS_close, fd);
	R("fchmod a closed fd", S(SYS_fchmod, fd, 0644));
	S(SYS_mkdir, "d", 0755);
	R("chmod a dir 0700", S(SYS_chmod, "d", 0700));
	show_stat("stat d", "d");
	long dfd = S(SYS_open, "d", O_RDONLY | O_DIRECTORY);
	puts_file("d/in", "in");
	R("fchmodat relative to a dir fd", S(SYS_fchmodat, dfd, "in", 0604));
	say("mode %o", mode_of("d/in"));
	S(SYS_close, dfd);
	make_old("m");
	S(SYS_chmod, "m", 0644);
	Y("chmod leaves mtime", !mtime_recent("m"));
}

static void show_owner(const char *what, const char *path)
{
	struct stat s;
	if (S(SYS_lstat, path, &s))
		say("%s: -1 %s", what, err_name(errno));
	else
		say("%s: %u:%u", what, (unsigned)s.st_uid, (unsigned)s.st_gid);
}

static void t_chown(void)
{
	section("chown");
	puts_file("o", "o");
	S(SYS_symlink, "o", "lo");
	show_owner("owner of a new file", "o");
	R("chown 1000:1000", S(SYS_chown, "o", 1000, 1000));
	show_owner("owner", "o");
	R("chown -1:-1", S(SYS_chown, "o", -1, -1));
	show_owner("owner", "o");
	R("chown -1:0", S(SYS_chown, "o", -1, 0));
	show_owner("owner", "o");
	long fd = S(SYS_open, "o", O_RDONLY);
	R("fchown 0:0", S(SYS_fchown, fd, 0, 0));
	show_owner("owner", "o");
	S(SYS_close, fd);
	R("fchown a closed fd", S(SYS_fchown, fd, 0, 0));
	R("lchown a symlink 1000:1000", S(SYS_lchown, "lo", 1000, 1000));
	show_owner("symlink owner", "lo");
	show_owner("target owner", "o");
	R("chown through the symlink 2000:2000", S(SYS_chown, "lo", 2000, 2000));
	show_owner("symlink owner", "lo");
	show_owner("target owner", "o");
	R("fchownat AT_SYMLINK_NOFOLLOW 0:0", S(SYS_fchownat, AT_FDCWD, "lo", 0, 0, AT_SYMLINK_NOFOLLOW));
	show_owner("symlink owner", "lo");
	show_owner("target owner", "o");
	R("fchownat (follows) 0:0", S(SYS_fchownat, AT_FDCWD, "lo", 0, 0, 0));
	show_owner("target owner", "o");
	fd = S(SYS_open, "o", O_RDONLY);
	R("fchownat fd \"\" AT_EMPTY_PATH 5:6", S(SYS_fchownat, fd, "", 5, 6, AT_EMPTY_PATH));
	show_owner("owner", "o");
	S(SYS_close, fd);
	R("fchownat bad flags", S(SYS_fchownat, AT_FDCWD, "o", 0, 0, 0x1));
	R("chown missing", S(SYS_chown, "missing", 0, 0));
	S(SYS_chown, "o", 0, 0);

	/* chown clears the set-user-ID bit (and set-group-ID with group
	 * execute), even for root. */
	S(SYS_chmod, "o", 06755);
	say("mode %o", mode_of("o"));
	R("chown 0:0 of a 6755 file", S(SYS_chown, "o", 0, 0));
	say("mode %o", mode_of("o"));

	/* A set-group-ID directory gives its group to new entries, and its
	 * set-group-ID bit to new subdirectories. */
	S(SYS_mkdir, "sg", 0755);
	R("chown sg 0:1000", S(SYS_chown, "sg", 0, 1000));
	R("chmod sg 02775", S(SYS_chmod, "sg", 02775));
	puts_file("sg/f", "f");
	show_owner("owner of a file in sg", "sg/f");
	S(SYS_mkdir, "sg/sub", 0755);
	show_owner("owner of a dir in sg", "sg/sub");
	say("mode of the dir in sg: %o", mode_of("sg/sub"));
}

/* ------------------------------------------------------------------------
 * utimensat, utimes */

static void show_times(const char *what, const char *path)
{
	struct stat s;
	if (S(SYS_lstat, path, &s))
		say("%s: -1 %s", what, err_name(errno));
	else
		say("%s: atime %lld.%09ld mtime %lld.%09ld", what, (long long)s.st_atim.tv_sec,
		    s.st_atim.tv_nsec, (long long)s.st_mtim.tv_sec, s.st_mtim.tv_nsec);
}

static void t_times(void)
{
	section("times");
	struct stat s;
	puts_file("u", "u");
	S(SYS_symlink, "u", "lu");
	struct timespec ts[2] = {{1000000000, 123456789}, {1234567890, 987654321}};
	R("utimensat explicit times", S(SYS_utimensat, AT_FDCWD, "u", ts, 0));
	show_times("times", "u");
	struct timespec omit[2] = {{0, UTIME_OMIT}, {1300000000, 5}};
	R("utimensat atime UTIME_OMIT", S(SYS_utimensat, AT_FDCWD, "u", omit, 0));
	show_times("times", "u");
	struct timespec nowmt[2] = {{0, UTIME_OMIT}, {0, UTIME_NOW}};
	R("utimensat mtime UTIME_NOW", S(SYS_utimensat, AT_FDCWD, "u", nowmt, 0));
	lstat_ok("u", &s);
	Y("atime kept", s.st_atim.tv_sec == 1000000000 && s.st_atim.tv_nsec == 123456789);
	Y("mtime is now", recent(&s.st_mtim));
	R("utimensat NULL (both now)", S(SYS_utimensat, AT_FDCWD, "u", NULL, 0));
	lstat_ok("u", &s);
	Y("atime and mtime now", recent(&s.st_atim) && recent(&s.st_mtim));
	struct timeval tv[2] = {{1111111111, 500000}, {1222222222, 999999}};
	R("utimes", S(SYS_utimes, "u", tv));
	show_times("times", "u");
	long fd = S(SYS_open, "u", O_RDONLY);
	struct timespec fts[2] = {{1400000000, 1}, {1400000001, 2}};
	R("utimensat fd NULL path (futimens)", S(SYS_utimensat, fd, NULL, fts, 0));
	show_times("times", "u");
	S(SYS_close, fd);
	struct timespec lts[2] = {{1500000000, 0}, {1500000000, 0}};
	R("utimensat AT_SYMLINK_NOFOLLOW", S(SYS_utimensat, AT_FDCWD, "lu", lts, AT_SYMLINK_NOFOLLOW));
	show_times("symlink", "lu");
	show_times("target", "u");
	R("utimensat through the symlink", S(SYS_utimensat, AT_FDCWD, "lu", ts, 0));
	/* Following the link may update its atime (relatime): mtime only. */
	lstat_ok("lu", &s);
	say("symlink mtime %lld.%09ld", (long long)s.st_mtim.tv_sec, s.st_mtim.tv_nsec);
	show_times("target", "u");
	struct timespec badns[2] = {{0, 1000000000}, {0, 0}};
	R("utimensat tv_nsec 1e9", S(SYS_utimensat, AT_FDCWD, "u", badns, 0));
	R("utimensat missing", S(SYS_utimensat, AT_FDCWD, "missing", ts, 0));
	R("utimensat bad flags", S(SYS_utimensat, AT_FDCWD, "u", ts, 0x1));
	R("utimensat bad times pointer", S(SYS_utimensat, AT_FDCWD, "u", BAD, 0));
	R("utimes missing", S(SYS_utimes, "missing", tv));

	/* Writes and directory changes update mtime. */
	make_old("u");
	fd = S(SYS_open, "u", O_WRONLY);
	S(SYS_write, fd, "v", 1);
	S(SYS_close, fd);
	Y("write updated mtime", mtime_recent("u"));
	make_old(".");
	puts_file("new", "n");
	Y("creating a file updated the dir's mtime", mtime_recent("."));
	make_old(".");
	S(SYS_unlink, "new");
	Y("unlinking updated the dir's mtime", mtime_recent("."));
	make_old(".");
	S(SYS_mkdir, "sub", 0755);
	Y("mkdir updated the dir's mtime", mtime_recent("."));
	make_old("u");
	fd = S(SYS_open, "u", O_RDONLY);
	char c;
	S(SYS_read, fd, &c, 1);
	S(SYS_close, fd);
	Y("read left mtime", !mtime_recent("u"));
}

/* ------------------------------------------------------------------------
 * access, faccessat, faccessat2 */

static void t_access(void)
{
	section("access");
	puts_file("a", "a");
	R("access F_OK", S(SYS_access, "a", F_OK));
	R("access missing", S(SYS_access, "missing", F_OK));
	S(SYS_chmod, "a", 0);
	R("access R_OK|W_OK of a mode-0 file (root)", S(SYS_access, "a", R_OK | W_OK));
	R("access X_OK of a mode-0 file (root)", S(SYS_access, "a", X_OK));
	S(SYS_chmod, "a", 0100);
	R("access X_OK of a mode-0100 file (root)", S(SYS_access, "a", X_OK));
	S(SYS_mkdir, "d", 0);
	R("access X_OK of a mode-0 dir (root)", S(SYS_access, "d", X_OK));
	R("access bad mode", S(SYS_access, "a", 0x10));
	R("access a/ (trailing slash)", S(SYS_access, "a/", F_OK));
	long dfd = S(SYS_open, ".", O_RDONLY | O_DIRECTORY);
	R("faccessat relative to a dir fd", S(SYS_faccessat, dfd, "a", R_OK));
	R("faccessat missing", S(SYS_faccessat, dfd, "missing", F_OK));
	S(SYS_symlink, "nowhere", "dang");
	R("faccessat2 dangling, AT_SYMLINK_NOFOLLOW",
	  S(SYS_faccessat2, AT_FDCWD, "dang", F_OK, AT_SYMLINK_NOFOLLOW));
	R("faccessat2 dangling, following", S(SYS_faccessat2, AT_FDCWD, "dang", F_OK, 0));
	R("faccessat2 AT_EACCESS", S(SYS_faccessat2, dfd, "a", R_OK, AT_EACCESS));
	long fd = S(SYS_open, "a", O_RDONLY);
	R("faccessat2 fd \"\" AT_EMPTY_PATH", S(SYS_faccessat2, fd, "", F_OK, AT_EMPTY_PATH));
	S(SYS_close, fd);
	R("faccessat2 bad flags", S(SYS_faccessat2, AT_FDCWD, "a", F_OK, 0x1));
	S(SYS_close, dfd);
	S(SYS_chmod, "d", 0755);
}

/* ------------------------------------------------------------------------
 * chdir, fchdir, getcwd */

static void t_cwd(void)
{
	section("cwd");
	char buf[4096];
	show_cwd("getcwd");
	S(SYS_mkdir, "sub", 0755);
	S(SYS_mkdir, "sub/deeper", 0755);
	R("chdir sub/deeper", S(SYS_chdir, "sub/deeper"));
	show_cwd("getcwd");
	R("chdir ..", S(SYS_chdir, ".."));
	show_cwd("getcwd");
	R("chdir .", S(SYS_chdir, "."));
	show_cwd("getcwd");
	R("chdir ../sub/./deeper/..", S(SYS_chdir, "../sub/./deeper/.."));
	show_cwd("getcwd");
	R("chdir ..", S(SYS_chdir, ".."));
	S(SYS_symlink, "sub/deeper", "link");
	R("chdir through a symlink", S(SYS_chdir, "link"));
	show_cwd("getcwd (the real path)");
	R("chdir ../..", S(SYS_chdir, "../.."));
	show_cwd("getcwd");
	long d = S(SYS_open, "sub", O_RDONLY | O_DIRECTORY);
	R("fchdir", S(SYS_fchdir, d));
	show_cwd("getcwd");
	S(SYS_close, d);
	R("chdir ..", S(SYS_chdir, ".."));
	long p = S(SYS_open, "sub/deeper", O_PATH | O_DIRECTORY);
	R("fchdir an O_PATH dir fd", S(SYS_fchdir, p));
	show_cwd("getcwd");
	S(SYS_close, p);
	R("chdir ../..", S(SYS_chdir, "../.."));
	puts_file("f", "f");
	R("chdir a file", S(SYS_chdir, "f"));
	R("chdir missing", S(SYS_chdir, "missing"));
	R("chdir empty path", S(SYS_chdir, ""));
	long f = S(SYS_open, "f", O_RDONLY);
	R("fchdir a file fd", S(SYS_fchdir, f));
	S(SYS_close, f);
	R("fchdir a closed fd", S(SYS_fchdir, f));
	show_cwd("getcwd (unchanged)");

	long r = S(SYS_getcwd, buf, sizeof buf);
	Y("getcwd returns strlen + 1", r == (long)strlen(buf) + 1);
	R("getcwd into 1 byte", S(SYS_getcwd, buf, 1));
	R("getcwd size 0", S(SYS_getcwd, buf, 0));
	R("getcwd into a bad buffer", S(SYS_getcwd, BAD, sizeof buf));

	/* The working directory removed under the program. */
	S(SYS_mkdir, "gone", 0755);
	R("chdir gone", S(SYS_chdir, "gone"));
	R("rmdir ../gone", S(SYS_rmdir, "../gone"));
	R("getcwd in a removed dir", S(SYS_getcwd, buf, sizeof buf));
	R("create a file in a removed dir", S(SYS_open, "x", O_CREAT | O_WRONLY, 0644));
	R("mkdir in a removed dir", S(SYS_mkdir, "x", 0755));
	show_stat("stat . (removed)", ".");
	R("chdir .. from a removed dir", S(SYS_chdir, ".."));
	show_cwd("getcwd");
}

/* ------------------------------------------------------------------------
 * umask */

static void t_umask(void)
{
	section("umask");
	say("umask 027 returns %lo", (long)S(SYS_umask, 027));
	long fd = S(SYS_open, "f", O_CREAT | O_WRONLY, 0666);
	S(SYS_close, fd);
	say("open 0666 -> %o", mode_of("f"));
	S(SYS_mkdir, "d", 0777);
	say("mkdir 0777 -> %o", mode_of("d"));
	fd = S(SYS_creat, "c", 0777);
	S(SYS_close, fd);
	say("creat 0777 -> %o", mode_of("c"));
	S(SYS_symlink, "f", "l");
	say("symlink -> %o", mode_of("l"));
	fd = S(SYS_open, ".", O_TMPFILE | O_RDWR, 0666);
	if (fd >= 0) {
		struct stat s;
		S(SYS_fstat, fd, &s);
		say("O_TMPFILE 0666 -> %o", (unsigned)(s.st_mode & 07777));
		S(SYS_close, fd);
	} else {
		say("O_TMPFILE 0666 -> -1 %s", err_name(errno));
	}
	R("chmod 0777 (umask does not apply)", S(SYS_chmod, "f", 0777));
	say("mode %o", mode_of("f"));
	say("umask 0777 returns %lo", (long)S(SYS_umask, 0777));
	fd = S(SYS_open, "none", O_CREAT | O_WRONLY, 0666);
	S(SYS_close, fd);
	say("open 0666 under umask 0777 -> %o", mode_of("none"));
	say("umask 01777 returns %lo", (long)S(SYS_umask, 01777));
	say("umask 022 returns %lo (only 0777 of 01777 kept)", (long)S(SYS_umask, 022));
}

/* ------------------------------------------------------------------------
 * fcntl, dup, dup2, dup3 */

static void t_fcntl(void)
{
	section("fcntl");
	puts_file("f", "0123456789");
	long fd = S(SYS_open, "f", O_RDWR);
	long d = S(SYS_fcntl, fd, F_DUPFD, 10);
	Y("F_DUPFD 10 gives an fd >= 10", d >= 10);
	R("F_GETFD of it", S(SYS_fcntl, d, F_GETFD));
	S(SYS_close, d);
	d = S(SYS_fcntl, fd, F_DUPFD_CLOEXEC, 10);
	Y("F_DUPFD_CLOEXEC 10 gives an fd >= 10", d >= 10);
	R("F_GETFD of it", S(SYS_fcntl, d, F_GETFD));
	say("F_GETFL: %s", acc_mode(S(SYS_fcntl, fd, F_GETFL)));
	R("F_SETFL O_APPEND", S(SYS_fcntl, fd, F_SETFL, O_APPEND));
	say("F_GETFL: %s", acc_mode(S(SYS_fcntl, fd, F_GETFL)));
	say("F_GETFL of the F_DUPFD copy (shared): %s", acc_mode(S(SYS_fcntl, d, F_GETFL)));
	S(SYS_lseek, fd, 0, SEEK_SET);
	S(SYS_write, fd, "A", 1);
	say("write after F_SETFL O_APPEND: %s", text_of("f"));
	R("F_SETFL 0", S(SYS_fcntl, fd, F_SETFL, 0));
	say("F_GETFL: %s", acc_mode(S(SYS_fcntl, fd, F_GETFL)));
	R("F_SETFL O_WRONLY (access mode cannot change)", S(SYS_fcntl, fd, F_SETFL, O_WRONLY));
	say("F_GETFL: %s", acc_mode(S(SYS_fcntl, fd, F_GETFL)));
	R("F_SETFD FD_CLOEXEC", S(SYS_fcntl, fd, F_SETFD, FD_CLOEXEC));
	R("F_GETFD", S(SYS_fcntl, fd, F_GETFD));
	R("F_GETFD of the copy (not shared)", S(SYS_fcntl, d, F_GETFD));
	R("F_SETFD 0", S(SYS_fcntl, fd, F_SETFD, 0));
	R("F_GETFD", S(SYS_fcntl, fd, F_GETFD));
	S(SYS_close, d);
	R("F_DUPFD -1", S(SYS_fcntl, fd, F_DUPFD, -1));
	R("F_DUPFD 1<<30", S(SYS_fcntl, fd, F_DUPFD, 1 << 30));
	R("F_GETFD a closed fd", S(SYS_fcntl, d, F_GETFD));
	R("F_SETFL a closed fd", S(SYS_fcntl, d, F_SETFL, 0));
	long ro = S(SYS_open, "f", O_RDONLY | O_NONBLOCK);
	say("F_GETFL O_RDONLY|O_NONBLOCK: %s", acc_mode(S(SYS_fcntl, ro, F_GETFL)));
	S(SYS_close, ro);
	long wo = S(SYS_open, "f", O_WRONLY | O_APPEND);
	say("F_GETFL O_WRONLY|O_APPEND: %s", acc_mode(S(SYS_fcntl, wo, F_GETFL)));
	S(SYS_close, wo);

	section("dup");
	S(SYS_lseek, fd, 0, SEEK_SET);
	d = K("dup", S(SYS_dup, fd));
	S(SYS_write, d, "xyz", 3);
	R("offset of the original after a write through dup (shared)", S(SYS_lseek, fd, 0, SEEK_CUR));
	S(SYS_close, d);
	S(SYS_fcntl, fd, F_SETFD, FD_CLOEXEC);
	d = S(SYS_dup, fd);
	R("F_GETFD of a dup of an FD_CLOEXEC fd (not copied)", S(SYS_fcntl, d, F_GETFD));
	S(SYS_fcntl, fd, F_SETFD, 0);
	S(SYS_close, d);
	R("dup a closed fd", S(SYS_dup, d));
	Y("dup2(fd, fd) returns fd", S(SYS_dup2, fd, fd) == fd);
	R("dup2 a closed fd onto itself", S(SYS_dup2, d, d));
	R("dup2 to 50", S(SYS_dup2, fd, 50));
	long other = S(SYS_open, "f", O_RDONLY);
	R("dup2 to 51", S(SYS_dup2, other, 51));
	R("dup2 onto an open fd (51)", S(SYS_dup2, fd, 51));
	say("F_GETFL of 51 (now a copy of the O_RDWR fd): %s", acc_mode(S(SYS_fcntl, 51, F_GETFL)));
	S(SYS_close, other);
	R("dup2 a closed fd", S(SYS_dup2, d, 52));
	R("dup2 to -1", S(SYS_dup2, fd, -1));
	R("dup3 to the same fd", S(SYS_dup3, fd, fd, 0));
	R("dup3 O_CLOEXEC to 53", S(SYS_dup3, fd, 53, O_CLOEXEC));
	R("F_GETFD of 53", S(SYS_fcntl, 53, F_GETFD));
	R("dup3 bad flags", S(SYS_dup3, fd, 54, 0x1));
	R("dup3 a closed fd", S(SYS_dup3, d, 54, 0));
	R("close 50", S(SYS_close, 50));
	R("close 51", S(SYS_close, 51));
	R("close 53", S(SYS_close, 53));
	R("close 50 again", S(SYS_close, 50));
	S(SYS_close, fd);
}

/* ------------------------------------------------------------------------
 * pread64, pwrite64, preadv, pwritev, readv, writev */

static void t_pio(void)
{
	section("pio");
	char buf[64], a[8], b[8];
	puts_file("p", "0123456789");
	long fd = S(SYS_open, "p", O_RDWR);
	memset(buf, 0, sizeof buf);
	R("pread64 4 at 3", S(SYS_pread64, fd, buf, 4, 3));
	say("read: %s", buf);
	R("offset unchanged", S(SYS_lseek, fd, 0, SEEK_CUR));
	R("pread64 10 at 8 (to the end)", S(SYS_pread64, fd, buf, 10, 8));
	R("pread64 at 100 (past the end)", S(SYS_pread64, fd, buf, 10, 100));
	R("pwrite64 2 at 2", S(SYS_pwrite64, fd, "AB", 2, 2));
	say("content: %s", text_of("p"));
	R("offset unchanged", S(SYS_lseek, fd, 0, SEEK_CUR));
	R("pwrite64 1 at 20 (past the end)", S(SYS_pwrite64, fd, "E", 1, 20));
	R("size", size_of("p"));
	Y("bytes 10..20 zero", range_is(fd, 10, 20, 0));
	R("pread64 negative offset", S(SYS_pread64, fd, buf, 1, -1));
	R("pwrite64 negative offset", S(SYS_pwrite64, fd, "x", 1, -1));
	R("pread64 0 bytes", S(SYS_pread64, fd, buf, 0, 0));
	R("pread64 into a bad buffer", S(SYS_pread64, fd, BAD, 4, 0));
	R("pwrite64 from a bad buffer", S(SYS_pwrite64, fd, BAD, 4, 0));

	struct iovec rv[2] = {{a, 3}, {b, 4}};
	memset(a, 0, sizeof a);
	memset(b, 0, sizeof b);
	R("preadv 3+4 at 1", S(SYS_preadv, fd, rv, 2, 1, 0));
	say("iovecs: %s|%s", a, b);
	struct iovec wv[2] = {{"ab", 2}, {"cde", 3}};
	R("pwritev 2+3 at 0", S(SYS_pwritev, fd, wv, 2, 0, 0));
	memset(buf, 0, sizeof buf);
	S(SYS_pread64, fd, buf, 10, 0);
	say("content: %s", buf);
	R("offset unchanged", S(SYS_lseek, fd, 0, SEEK_CUR));
	R("preadv negative offset", S(SYS_preadv, fd, rv, 2, -1, -1));
	R("preadv -1 iovecs", S(SYS_preadv, fd, rv, -1, 0, 0));
	R("readv 3+4", S(SYS_readv, fd, rv, 2));
	R("offset after readv", S(SYS_lseek, fd, 0, SEEK_CUR));
	R("writev 2+3", S(SYS_writev, fd, wv, 2));
	R("offset after writev", S(SYS_lseek, fd, 0, SEEK_CUR));
	S(SYS_close, fd);

	long ap = S(SYS_open, "p", O_WRONLY | O_APPEND);
	R("pwrite64 at 0 on an O_APPEND fd (Linux appends)", S(SYS_pwrite64, ap, "Z", 1, 0));
	R("size", size_of("p"));
	memset(buf, 0, sizeof buf);
	long len = get("p", buf, sizeof buf);
	say("first byte %c, last byte %c", buf[0], len > 0 ? buf[len - 1] : '?');
	R("pread64 an O_WRONLY fd", S(SYS_pread64, ap, buf, 1, 0));
	S(SYS_close, ap);
	R("pread64 a closed fd", S(SYS_pread64, ap, buf, 1, 0));
	S(SYS_mkdir, "d", 0755);
	long dfd = S(SYS_open, "d", O_RDONLY);
	R("pread64 a dir fd", S(SYS_pread64, dfd, buf, 1, 0));
	S(SYS_close, dfd);
}

/* ------------------------------------------------------------------------
 * sendfile, copy_file_range */

static void t_copy(void)
{
	section("copy");
	static char src[10000], got[10000];
	for (int i = 0; i < (int)sizeof src; i++)
		src[i] = 'a' + i % 23;
	put("src", src, sizeof src);
	long in = S(SYS_open, "src", O_RDONLY);
	long out = S(SYS_open, "dst", O_WRONLY | O_CREAT | O_TRUNC, 0644);
	R("sendfile 4000 (file offset)", S(SYS_sendfile, out, in, NULL, 4000));
	R("in offset", S(SYS_lseek, in, 0, SEEK_CUR));
	R("out offset", S(SYS_lseek, out, 0, SEEK_CUR));
	long long off = 6000;
	R("sendfile 10000 from offset 6000 (to the end)", S(SYS_sendfile, out, in, &off, 10000));
	say("offset now %lld, in offset %ld", off, (long)S(SYS_lseek, in, 0, SEEK_CUR));
	R("sendfile at the end", S(SYS_sendfile, out, in, &off, 100));
	R("sendfile 0 bytes", S(SYS_sendfile, out, in, NULL, 0));
	R("size of dst", size_of("dst"));
	long n = get("dst", got, sizeof got);
	Y("dst is src[0..4000] + src[6000..10000]",
	  n == 8000 && memcmp(got, src, 4000) == 0 && memcmp(got + 4000, src + 6000, 4000) == 0);
	R("sendfile to an O_RDONLY fd", S(SYS_sendfile, in, in, NULL, 10));
	R("sendfile from an O_WRONLY fd", S(SYS_sendfile, out, out, NULL, 10));
	R("sendfile from a closed fd", S(SYS_sendfile, out, 9999, NULL, 10));
	off = -1;
	R("sendfile negative offset", S(SYS_sendfile, out, in, &off, 10));
	S(SYS_close, out);

	out = S(SYS_open, "dst2", O_RDWR | O_CREAT | O_TRUNC, 0644);
	long long oin = 100, oout = 0;
	R("copy_file_range 500 from 100", S(SYS_copy_file_range, in, &oin, out, &oout, 500, 0));
	say("offsets now %lld %lld", oin, oout);
	R("in file offset unchanged", S(SYS_lseek, in, 0, SEEK_CUR));
	n = get("dst2", got, sizeof got);
	Y("dst2 is src[100..600]", n == 500 && memcmp(got, src + 100, 500) == 0);
	S(SYS_lseek, in, 9000, SEEK_SET);
	S(SYS_lseek, out, 500, SEEK_SET);
	R("copy_file_range with file offsets", S(SYS_copy_file_range, in, NULL, out, NULL, 2000, 0));
	say("offsets: in %ld, out %ld", (long)S(SYS_lseek, in, 0, SEEK_CUR),
	    (long)S(SYS_lseek, out, 0, SEEK_CUR));
	R("size of dst2", size_of("dst2"));
	oin = 20000;
	R("copy_file_range past the end", S(SYS_copy_file_range, in, &oin, out, NULL, 10, 0));
	R("copy_file_range flags 1", S(SYS_copy_file_range, in, NULL, out, NULL, 10, 1));
	oin = 0;
	oout = 100;
	R("copy_file_range overlapping, same file", S(SYS_copy_file_range, out, &oin, out, &oout, 200, 0));
	oin = 0;
	oout = 1500;
	R("copy_file_range non-overlapping, same file",
	  S(SYS_copy_file_range, out, &oin, out, &oout, 200, 0));
	n = get("dst2", got, sizeof got);
	Y("dst2 is src[100..600] + src[9000..10000] + src[100..300]",
	  n == 1700 && memcmp(got, src + 100, 500) == 0 && memcmp(got + 500, src + 9000, 1000) == 0 &&
		  memcmp(got + 1500, src + 100, 200) == 0);
	long ap = S(SYS_open, "dst2", O_WRONLY | O_APPEND);
	R("copy_file_range into an O_APPEND fd", S(SYS_copy_file_range, in, NULL, ap, NULL, 10, 0));
	S(SYS_close, ap);
	R("copy_file_range into an O_RDONLY fd", S(SYS_copy_file_range, in, NULL, in, NULL, 10, 0));
	R("copy_file_range from a closed fd", S(SYS_copy_file_range, 9999, NULL, out, NULL, 10, 0));
	long dfd = S(SYS_open, ".", O_RDONLY | O_DIRECTORY);
	R("copy_file_range from a dir", S(SYS_copy_file_range, dfd, NULL, out, NULL, 10, 0));
	S(SYS_close, dfd);
	S(SYS_close, out);
	S(SYS_close, in);
}

/* ------------------------------------------------------------------------
 * fallocate; sync, syncfs, fsync, fdatasync */

static void t_fallocate(void)
{
	section("fallocate");
	struct stat s;
	long fd = S(SYS_open, "fa", O_RDWR | O_CREAT | O_TRUNC, 0644);
	R("fallocate 0..8192", S(SYS_fallocate, fd, 0, 0, 8192));
	S(SYS_fstat, fd, &s);
	say("size %lld, blocks > 0: %s", (long long)s.st_size, s.st_blocks > 0 ? "yes" : "no");
	Y("reads zero", range_is(fd, 0, 8192, 0));
	R("fallocate 16384..20480", S(SYS_fallocate, fd, 0, 16384, 4096));
	R("size", size_of("fa"));
	R("fallocate 0..100 (inside: no shrink)", S(SYS_fallocate, fd, 0, 0, 100));
	R("size", size_of("fa"));
	R("fallocate KEEP_SIZE past the end", S(SYS_fallocate, fd, FALLOC_FL_KEEP_SIZE, 20480, 8192));
	R("size", size_of("fa"));
	R("offset unchanged", S(SYS_lseek, fd, 0, SEEK_CUR));
	R("fallocate length 0", S(SYS_fallocate, fd, 0, 0, 0));
	R("fallocate negative offset", S(SYS_fallocate, fd, 0, -1, 10));
	long ro = S(SYS_open, "fa", O_RDONLY);
	R("fallocate an O_RDONLY fd", S(SYS_fallocate, ro, 0, 0, 10));
	S(SYS_close, ro);
	R("fallocate a closed fd", S(SYS_fallocate, ro, 0, 0, 10));

	S(SYS_close, fd);

	section("sync");
	fd = S(SYS_open, "sy", O_RDWR | O_CREAT | O_TRUNC, 0644);
	S(SYS_write, fd, "data", 4);
	R("sync", S(SYS_sync));
	R("syncfs", S(SYS_syncfs, fd));
	R("fsync", S(SYS_fsync, fd));
	R("fdatasync", S(SYS_fdatasync, fd));
	long dfd = S(SYS_open, ".", O_RDONLY | O_DIRECTORY);
	R("fsync a dir fd", S(SYS_fsync, dfd));
	S(SYS_close, dfd);
	ro = S(SYS_open, "sy", O_RDONLY);
	R("fsync an O_RDONLY fd", S(SYS_fsync, ro));
	S(SYS_close, ro);
	S(SYS_close, fd);
	R("fsync a closed fd", S(SYS_fsync, fd));
	R("fdatasync a closed fd", S(SYS_fdatasync, fd));
	R("syncfs a closed fd", S(SYS_syncfs, fd));
}

/* ------------------------------------------------------------------------
 * mmap of regular files, memfd_create */

static void t_mmap(void)
{
	section("mmap");
	static char data[8192];
	char c;
	memset(data, 'a', 4096);
	memset(data + 4096, 'b', 4096);
	put("mm", data, sizeof data);
	long fd = S(SYS_open, "mm", O_RDWR);
	char *p = (char *)S(SYS_mmap, 0, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	K("mmap MAP_PRIVATE", (long)p == -1 ? -1 : 0);
	char *q = MAP_FAILED;
	if (p != MAP_FAILED) {
		Y("mapping shows the file", p[0] == 'a' && p[4095] == 'a' && p[4096] == 'b');
		p[0] = 'X';
		S(SYS_pread64, fd, &c, 1, 0);
		Y("MAP_PRIVATE write not seen by read", c == 'a');
		q = (char *)S(SYS_mmap, 0, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	}
	K("mmap MAP_SHARED", (long)q == -1 ? -1 : 0);
	if (q != MAP_FAILED) {
		Y("MAP_SHARED does not see the private write", q[0] == 'a');
		q[1] = 'Y';
		R("msync MS_SYNC", S(SYS_msync, q, 8192, MS_SYNC));
		S(SYS_lseek, fd, 1, SEEK_SET);
		S(SYS_read, fd, &c, 1);
		Y("MAP_SHARED write seen by read", c == 'Y');
		S(SYS_pwrite64, fd, "Z", 1, 4096);
		Y("pwrite seen through MAP_SHARED", q[4096] == 'Z');
		q[8191] = 'W';
		R("munmap MAP_SHARED without msync", S(SYS_munmap, q, 8192));
		S(SYS_lseek, fd, 8191, SEEK_SET);
		S(SYS_read, fd, &c, 1);
		Y("its last write seen by read after munmap", c == 'W');
		R("size unchanged by mapped writes", size_of("mm"));
	}
	if (p != MAP_FAILED)
		R("munmap MAP_PRIVATE", S(SYS_munmap, p, 8192));
	char buf[4];
	S(SYS_lseek, fd, 0, SEEK_SET);
	S(SYS_read, fd, buf, 3);
	buf[3] = 0;
	say("file after munmap starts with: %s", buf);
	char *r = (char *)S(SYS_mmap, 0, 4096, PROT_READ, MAP_SHARED, fd, 4096);
	K("mmap at offset 4096", (long)r == -1 ? -1 : 0);
	if (r != MAP_FAILED) {
		Y("it shows page 1", r[0] == 'Z' && r[1] == 'b');
		S(SYS_close, fd);
		Y("the mapping outlives close", r[1] == 'b');
		S(SYS_munmap, r, 4096);
		fd = S(SYS_open, "mm", O_RDWR);
	}
	R("mmap unaligned offset", S(SYS_mmap, 0, 4096, PROT_READ, MAP_SHARED, fd, 100));
	S(SYS_close, fd);

	put("short", "0123456789", 10);
	fd = S(SYS_open, "short", O_RDONLY);
	p = (char *)S(SYS_mmap, 0, 4096, PROT_READ, MAP_PRIVATE, fd, 0);
	K("mmap a 10-byte file", (long)p == -1 ? -1 : 0);
	if (p != MAP_FAILED) {
		Y("bytes past the end of the file read zero",
		  p[9] == '9' && all_bytes(p + 10, 4096 - 10, 0));
		S(SYS_munmap, p, 4096);
	}
	R("mmap MAP_SHARED PROT_WRITE of an O_RDONLY fd",
	  S(SYS_mmap, 0, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0));
	p = (char *)S(SYS_mmap, 0, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	K("mmap MAP_PRIVATE PROT_WRITE of an O_RDONLY fd", (long)p == -1 ? -1 : 0);
	if (p != MAP_FAILED) {
		R("msync MS_SYNC|MS_ASYNC", S(SYS_msync, p, 4096, MS_SYNC | MS_ASYNC));
		R("msync unaligned", S(SYS_msync, p + 1, 100, MS_SYNC));
		R("msync MS_ASYNC", S(SYS_msync, p, 4096, MS_ASYNC));
		S(SYS_munmap, p, 4096);
	}
	S(SYS_close, fd);
	fd = S(SYS_open, "short", O_WRONLY);
	R("mmap an O_WRONLY fd", S(SYS_mmap, 0, 4096, PROT_READ, MAP_SHARED, fd, 0));
	S(SYS_close, fd);
	fd = S(SYS_open, ".", O_RDONLY | O_DIRECTORY);
	R("mmap a dir fd", S(SYS_mmap, 0, 4096, PROT_READ, MAP_PRIVATE, fd, 0));
	S(SYS_close, fd);
	R("mmap a closed fd", S(SYS_mmap, 0, 4096, PROT_READ, MAP_PRIVATE, fd, 0));
	fd = S(SYS_open, "short", O_PATH);
	R("mmap an O_PATH fd", S(SYS_mmap, 0, 4096, PROT_READ, MAP_PRIVATE, fd, 0));
	S(SYS_close, fd);

	section("memfd");
	static char m[5000], back[5000];
	for (int i = 0; i < (int)sizeof m; i++)
		m[i] = 'A' + i % 26;
	fd = K("memfd_create MFD_CLOEXEC", S(SYS_memfd_create, "vfs-test", MFD_CLOEXEC));
	R("F_GETFD", S(SYS_fcntl, fd, F_GETFD));
	R("write 5000", S(SYS_write, fd, m, sizeof m));
	struct stat s;
	S(SYS_fstat, fd, &s);
	say("fstat: %s size %lld", kind(s.st_mode), (long long)s.st_size);
	R("lseek 0", S(SYS_lseek, fd, 0, SEEK_SET));
	R("read 5000", S(SYS_read, fd, back, sizeof back));
	Y("same bytes", memcmp(m, back, sizeof m) == 0);
	R("ftruncate 8192", S(SYS_ftruncate, fd, 8192));
	S(SYS_fstat, fd, &s);
	say("size %lld", (long long)s.st_size);
	Y("tail zero", range_is(fd, 5000, 8192, 0));
	p = (char *)S(SYS_mmap, 0, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	K("mmap MAP_SHARED", (long)p == -1 ? -1 : 0);
	if (p != MAP_FAILED) {
		Y("mapping shows the data", memcmp(p, m, sizeof m) == 0 && p[5000] == 0);
		p[6000] = '!';
		S(SYS_pread64, fd, &c, 1, 6000);
		Y("mapped write seen by read", c == '!');
		/* Truncation takes the pages out from under the mapping: grown
		 * again, the file and the mapping read zeros, not the old data. */
		R("ftruncate 0 under MAP_SHARED", S(SYS_ftruncate, fd, 0));
		R("ftruncate 8192 again", S(SYS_ftruncate, fd, 8192));
		Y("mapping reads the new zeros", p[6000] == 0 && p[0] == 0);
		p[1] = 'z';
		S(SYS_pread64, fd, &c, 1, 1);
		Y("a new mapped write reaches the file", c == 'z');
		S(SYS_munmap, p, 8192);
	}
	R("ftruncate 100", S(SYS_ftruncate, fd, 100));
	S(SYS_fstat, fd, &s);
	say("size %lld", (long long)s.st_size);
	S(SYS_close, fd);
	R("memfd_create bad flags", S(SYS_memfd_create, "x", 0x80000000U));
	char longname[300];
	memset(longname, 'm', 250);
	longname[250] = 0;
	R("memfd_create 250-byte name", S(SYS_memfd_create, longname, 0));
	R("memfd_create bad name pointer", S(SYS_memfd_create, BAD, 0));
}

/* ------------------------------------------------------------------------
 * Open files that lose their name; O_APPEND from two fds; lseek */

static void t_unlinked(void)
{
	section("unlinked");
	char buf[64];
	struct stat s;
	puts_file("uo", "still here");
	long fd = S(SYS_open, "uo", O_RDWR);
	R("unlink while open", S(SYS_unlink, "uo"));
	R("stat the name", S(SYS_stat, "uo", &s));
	show("fstat", S(SYS_fstat, fd, &s), &s);
	memset(buf, 0, sizeof buf);
	R("read", S(SYS_read, fd, buf, sizeof buf));
	say("read: %s", buf);
	R("write more", S(SYS_write, fd, " and more", 9));
	show("fstat", S(SYS_fstat, fd, &s), &s);
	puts_file("uo", "new");
	Y("a new file of the same name is another inode", !same_fd_file(fd, "uo"));
	memset(buf, 0, sizeof buf);
	R("pread the old one", S(SYS_pread64, fd, buf, sizeof buf, 0));
	say("read: %s", buf);
	R("close", S(SYS_close, fd));

	section("append");
	long a = S(SYS_open, "ap", O_CREAT | O_WRONLY | O_APPEND, 0644);
	long b = S(SYS_open, "ap", O_WRONLY | O_APPEND);
	R("write AAAA to fd 1", S(SYS_write, a, "AAAA", 4));
	R("write BB to fd 2", S(SYS_write, b, "BB", 2));
	R("write C to fd 1", S(SYS_write, a, "C", 1));
	say("content: %s", text_of("ap"));
	R("offset of fd 2", S(SYS_lseek, b, 0, SEEK_CUR));
	long c = S(SYS_open, "ap", O_WRONLY);
	R("write x at 0 through a third, non-append fd", S(SYS_write, c, "x", 1));
	say("content: %s", text_of("ap"));
	S(SYS_close, a);
	S(SYS_close, b);
	S(SYS_close, c);

	section("lseek");
	puts_file("ls", "0123456789");
	fd = S(SYS_open, "ls", O_RDWR);
	R("SEEK_SET 3", S(SYS_lseek, fd, 3, SEEK_SET));
	R("SEEK_CUR 2", S(SYS_lseek, fd, 2, SEEK_CUR));
	memset(buf, 0, sizeof buf);
	R("read 1", S(SYS_read, fd, buf, 1));
	say("read: %s", buf);
	R("SEEK_END -1", S(SYS_lseek, fd, -1, SEEK_END));
	R("SEEK_END 0", S(SYS_lseek, fd, 0, SEEK_END));
	R("read at the end", S(SYS_read, fd, buf, 1));
	R("SEEK_CUR -100", S(SYS_lseek, fd, -100, SEEK_CUR));
	R("SEEK_SET -1", S(SYS_lseek, fd, -1, SEEK_SET));
	R("whence 7", S(SYS_lseek, fd, 0, 7));
	R("offset unchanged by the failures", S(SYS_lseek, fd, 0, SEEK_CUR));
	R("SEEK_SET 1 MiB (past the end)", S(SYS_lseek, fd, 1 << 20, SEEK_SET));
	R("size before writing", size_of("ls"));
	R("write 3 at 1 MiB", S(SYS_write, fd, "end", 3));
	S(SYS_fstat, fd, &s);
	say("size %lld, blocks < size/512: %s", (long long)s.st_size,
	    s.st_blocks < s.st_size / 512 ? "yes" : "no");
	Y("the hole reads zero", range_is(fd, 10, 1 << 20, 0));
	R("SEEK_END -3", S(SYS_lseek, fd, -3, SEEK_END));
	memset(buf, 0, sizeof buf);
	R("read", S(SYS_read, fd, buf, sizeof buf));
	say("read: %s", buf);
	S(SYS_close, fd);
	R("lseek a closed fd", S(SYS_lseek, fd, 0, SEEK_SET));
	fd = S(SYS_open, ".", O_RDONLY | O_DIRECTORY);
	R("lseek a dir fd to 0", S(SYS_lseek, fd, 0, SEEK_SET));
	S(SYS_close, fd);

	/* A write far out in a sparse file: one page, wherever it lands. */
	fd = S(SYS_open, "far", O_CREAT | O_RDWR, 0644);
	R("pwrite 1 byte at 2^40", S(SYS_pwrite64, fd, "x", 1, 1L << 40));
	S(SYS_fstat, fd, &s);
	say("size 2^40 + %lld, blocks %lld", (long long)(s.st_size - (1LL << 40)),
	    (long long)s.st_blocks);
	buf[0] = 0;
	R("pread it back", S(SYS_pread64, fd, buf, 1, 1L << 40));
	Y("the byte is there", buf[0] == 'x');
	R("ftruncate it to 0", S(SYS_ftruncate, fd, 0));
	S(SYS_close, fd);
}

/* ------------------------------------------------------------------------
 * Closed fds, bad pointers */

static void t_bad(void)
{
	section("ebadf");
	char buf[16];
	struct stat s;
	puts_file("f", "f");
	long fd = S(SYS_open, "f", O_RDWR);
	R("close", S(SYS_close, fd));
	R("close again", S(SYS_close, fd));
	R("read", S(SYS_read, fd, buf, 1));
	R("write", S(SYS_write, fd, "x", 1));
	R("fstat", S(SYS_fstat, fd, &s));
	R("fcntl F_GETFL", S(SYS_fcntl, fd, F_GETFL));
	R("close -1", S(SYS_close, -1));
	R("read fd 100000", S(SYS_read, 100000, buf, 1));
	R("openat AT_FDCWD-1 relative", S(SYS_openat, -101, "f", O_RDONLY));

	section("efault");
	struct statfs f;
	puts_file("f", "f");
	R("open bad path", S(SYS_open, BAD, O_RDONLY));
	R("open kernel-address path", S(SYS_open, KBAD, O_RDONLY));
	R("openat bad path", S(SYS_openat, AT_FDCWD, BAD, O_RDONLY));
	R("creat bad path", S(SYS_creat, BAD, 0644));
	R("mkdir bad path", S(SYS_mkdir, BAD, 0755));
	R("rmdir bad path", S(SYS_rmdir, BAD));
	R("unlink bad path", S(SYS_unlink, BAD));
	R("rename bad old path", S(SYS_rename, BAD, "x"));
	R("rename bad new path", S(SYS_rename, "f", BAD));
	R("link bad path", S(SYS_link, "f", BAD));
	R("symlink bad target", S(SYS_symlink, BAD, "x"));
	R("readlink bad path", S(SYS_readlink, BAD, buf, sizeof buf));
	S(SYS_symlink, "f", "lf");
	R("readlink into a bad buffer", S(SYS_readlink, "lf", BAD, 16));
	R("chmod bad path", S(SYS_chmod, BAD, 0644));
	R("chown bad path", S(SYS_chown, BAD, 0, 0));
	R("access bad path", S(SYS_access, BAD, F_OK));
	R("chdir bad path", S(SYS_chdir, BAD));
	R("truncate bad path", S(SYS_truncate, BAD, 0));
	R("statfs bad path", S(SYS_statfs, BAD, &f));
	R("lstat into a bad buffer", S(SYS_lstat, "f", BAD));
	fd = S(SYS_open, "f", O_RDWR);
	R("read into a bad buffer", S(SYS_read, fd, BAD, 1));
	R("write from a bad buffer", S(SYS_write, fd, BAD, 1));
	R("write from a kernel address", S(SYS_write, fd, KBAD, 1));
	R("size unchanged", size_of("f"));
	S(SYS_close, fd);
}

/* ------------------------------------------------------------------------ */

static void section(const char *name)
{
	say("== %s", name);
	if (S(SYS_fchdir, workfd))
		say("(setup) fchdir work: -1 %s", err_name(errno));
	if (S(SYS_mkdir, name, 0755) || S(SYS_chdir, name))
		say("(setup) %s: -1 %s", name, err_name(errno));
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: vfs DIR\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	S(SYS_umask, 022);
	/* The work directory: created when missing (lstar runs `vfs /tmp/w`),
	 * else it must be empty. */
	if (S(SYS_mkdir, argv[1], 0755) && errno != EEXIST) {
		fprintf(stderr, "vfs: mkdir %s: %s\n", argv[1], strerror(errno));
		return 2;
	}
	if (S(SYS_chdir, argv[1])) {
		fprintf(stderr, "vfs: chdir %s: %s\n", argv[1], strerror(errno));
		return 2;
	}
	if (S(SYS_getcwd, work, sizeof work) < 0) {
		fprintf(stderr, "vfs: getcwd: %s\n", strerror(errno));
		return 2;
	}
	work_len = strlen(work);
	workfd = S(SYS_open, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	{
		struct listing l = list_fd(workfd, 4096);
		if (l.err || l.entries != 2) {
			fprintf(stderr, "vfs: %s is not an empty directory\n", argv[1]);
			return 2;
		}
	}
	say("vfs checks");
	t_open();
	t_tmpfile();
	t_getdents();
	t_mkdir();
	t_unlink();
	t_rename();
	t_link();
	t_symlink();
	t_paths();
	t_truncate();
	t_stat();
	t_chmod();
	t_chown();
	t_times();
	t_access();
	t_cwd();
	t_umask();
	t_fcntl();
	t_pio();
	t_copy();
	t_fallocate();
	t_mmap();
	t_unlinked();
	t_bad();
	S(SYS_fchdir, workfd);
	say("done");
	return 0;
}
