//! read, write, readv, writev, pread64, pwrite64, lseek.

use crate::errno::{EBADF, EFAULT, EINVAL, ESPIPE, SysResult};
use crate::mm::address_space::TASK_SIZE;
use crate::syscall::Args;
use crate::task::current;

/// Largest single transfer (Linux's MAX_RW_COUNT is INT_MAX & PAGE_MASK).
const MAX_RW_COUNT: u64 = 0x7fff_f000;
/// Most iovec entries (IOV_MAX).
const UIO_MAXIOV: u64 = 1024;

fn do_write(fd: u64, buf: u64, count: u64) -> SysResult {
    let file = current().files.get(fd)?;
    if !file.writable() {
        return Err(EBADF);
    }
    let count = count.min(MAX_RW_COUNT);
    // The console consumes the user's bytes in place (one `rep outsb`, no
    // bounce buffer: every kernel instruction counts under kvm-pvm).
    let bytes = crate::uaccess::user_slice(buf, count)?;
    file.write(bytes)
}

fn do_read(fd: u64, buf: u64, count: u64) -> SysResult {
    let file = current().files.get(fd)?;
    if !file.readable() {
        return Err(EBADF);
    }
    let count = count.min(MAX_RW_COUNT);
    if count == 0 {
        return Ok(0);
    }
    // The whole destination is checked first: a read from the console must
    // not consume input it then cannot deliver.
    let bytes = crate::uaccess::user_slice_mut(buf, count)?;
    file.read(bytes)
}

pub fn sys_read(a: &Args) -> SysResult {
    do_read(a[0], a[1], a[2])
}

pub fn sys_write(a: &Args) -> SysResult {
    do_write(a[0], a[1], a[2])
}

/// A user iovec array, copied in once (Linux's import_iovec): 64-bit
/// entries are {base, len}, i386 ones {u32 base, u32 len}.
struct Iovecs {
    entries: alloc::vec::Vec<(u64, u64)>,
}

impl Iovecs {
    /// Reads and checks every entry before any byte moves: more than
    /// UIO_MAXIOV entries, a length over MAX_RW_COUNT or a total overflow
    /// is EINVAL, a range outside user space EFAULT. (Whether the pages are
    /// mapped is found out while copying, which then stops short, as on
    /// Linux.)
    fn import(iov: u64, iovcnt: u64, compat: bool) -> Result<Iovecs, crate::errno::Errno> {
        if iovcnt > UIO_MAXIOV {
            return Err(EINVAL);
        }
        let size = if compat { 8 } else { 16 };
        // One checked view of the whole array: one page walk, not one per entry.
        let raw = crate::uaccess::user_slice(iov, iovcnt * size)?;
        let mut entries = alloc::vec::Vec::with_capacity(iovcnt as usize);
        let mut total: u64 = 0;
        for e in raw.chunks_exact(size as usize) {
            let (base, len) = if compat {
                let w =
                    |i: usize| u64::from(u32::from_le_bytes([e[i], e[i + 1], e[i + 2], e[i + 3]]));
                (w(0), w(4))
            } else {
                let w = |i: usize| u64::from_le_bytes(e[i..i + 8].try_into().unwrap_or_default());
                (w(0), w(8))
            };
            total = total
                .checked_add(len)
                .filter(|&t| t <= MAX_RW_COUNT)
                .ok_or(EINVAL)?;
            if len > 0 && base.checked_add(len).is_none_or(|end| end > TASK_SIZE) {
                return Err(EFAULT);
            }
            entries.push((base, len));
        }
        Ok(Iovecs { entries })
    }
}

fn do_writev(fd: u64, iov: u64, iovcnt: u64, compat: bool) -> SysResult {
    current().files.get(fd)?;
    let iovecs = Iovecs::import(iov, iovcnt, compat)?;
    let mut total = 0u64;
    for &(base, len) in iovecs.entries.iter().filter(|(_, len)| *len > 0) {
        match do_write(fd, base, len) {
            Ok(n) => {
                total += n;
                if n < len {
                    break;
                }
            }
            Err(e) if total == 0 => return Err(e),
            Err(_) => break,
        }
    }
    Ok(total)
}

fn do_readv(fd: u64, iov: u64, iovcnt: u64, compat: bool) -> SysResult {
    current().files.get(fd)?;
    let iovecs = Iovecs::import(iov, iovcnt, compat)?;
    // One read of the console fills the first non-empty buffer, as a tty does.
    match iovecs.entries.iter().find(|(_, len)| *len > 0) {
        Some(&(base, len)) => do_read(fd, base, len),
        None => Ok(0),
    }
}

pub fn sys_writev(a: &Args) -> SysResult {
    do_writev(a[0], a[1], a[2], false)
}

pub fn sys_readv(a: &Args) -> SysResult {
    do_readv(a[0], a[1], a[2], false)
}

pub fn compat_sys_writev(a: &Args) -> SysResult {
    do_writev(a[0], a[1], a[2], true)
}

pub fn compat_sys_readv(a: &Args) -> SysResult {
    do_readv(a[0], a[1], a[2], true)
}

/// Positioned I/O and seeking need a seekable file; consoles are not.
pub fn sys_pread64(a: &Args) -> SysResult {
    current().files.get(a[0])?;
    Err(ESPIPE)
}

pub fn sys_pwrite64(a: &Args) -> SysResult {
    current().files.get(a[0])?;
    Err(ESPIPE)
}

pub fn sys_lseek(a: &Args) -> SysResult {
    current().files.get(a[0])?.lseek(a[1] as i64, a[2] as u32)
}
