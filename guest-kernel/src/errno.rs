//! Linux error numbers, as system calls return them (negated in RAX).

/// An i64 (the numbers are small and positive) so that `SysResult`, an
/// i64-or-u64 pair, is a scalar pair the compiler returns in two registers
/// (RAX:RDX) instead of through memory: every system call and every
/// function returning a `SysResult` gains from it (measured: the null
/// system call's table call went from a store and three loads to none).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Errno(pub i64);

pub const EPERM: Errno = Errno(1);
pub const ENOENT: Errno = Errno(2);
pub const ESRCH: Errno = Errno(3);
pub const EIO: Errno = Errno(5);
pub const EBADF: Errno = Errno(9);
pub const ENOMEM: Errno = Errno(12);
pub const EACCES: Errno = Errno(13);
pub const EFAULT: Errno = Errno(14);
pub const EEXIST: Errno = Errno(17);
pub const ENOTDIR: Errno = Errno(20);
pub const EISDIR: Errno = Errno(21);
pub const EINVAL: Errno = Errno(22);
pub const EMFILE: Errno = Errno(24);
pub const ENOTTY: Errno = Errno(25);
pub const ENODEV: Errno = Errno(19);
pub const EINTR: Errno = Errno(4);
pub const E2BIG: Errno = Errno(7);
pub const ENOEXEC: Errno = Errno(8);
pub const ECHILD: Errno = Errno(10);
pub const EAGAIN: Errno = Errno(11);
pub const EPIPE: Errno = Errno(32);
pub const ENOSPC: Errno = Errno(28);
pub const ESPIPE: Errno = Errno(29);
pub const EROFS: Errno = Errno(30);
pub const ERANGE: Errno = Errno(34);
pub const ENAMETOOLONG: Errno = Errno(36);
pub const ENOSYS: Errno = Errno(38);

pub const ENXIO: Errno = Errno(6);
pub const EBUSY: Errno = Errno(16);
pub const EXDEV: Errno = Errno(18);
pub const ETXTBSY: Errno = Errno(26);
pub const EFBIG: Errno = Errno(27);
pub const ENOTEMPTY: Errno = Errno(39);
pub const ELOOP: Errno = Errno(40);
pub const EOVERFLOW: Errno = Errno(75);
pub const EOPNOTSUPP: Errno = Errno(95);

// Kernel-internal: a system call interrupted by a signal returns one of
// these, and the signal code (kernel/signal.rs) turns it into EINTR or a
// restart before user mode can see it (Linux's include/linux/errno.h).
/// Restart unless a handler without SA_RESTART runs.
pub const ERESTARTSYS: Errno = Errno(512);
/// Always restart, even after a handler.
pub const ERESTARTNOINTR: Errno = Errno(513);
/// Restart only if no handler runs.
pub const ERESTARTNOHAND: Errno = Errno(514);
/// Restart through restart_syscall (after a handler: EINTR).
pub const ERESTART_RESTARTBLOCK: Errno = Errno(516);

pub type SysResult = Result<u64, Errno>;

/// The value a system call leaves in RAX.
pub fn to_rax(result: SysResult) -> u64 {
    match result {
        Ok(v) => v,
        Err(Errno(e)) => e.wrapping_neg() as u64,
    }
}
