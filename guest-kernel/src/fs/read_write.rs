//! read, write, readv, writev, pread64, pwrite64, lseek.

use crate::errno::{EBADF, EFAULT, EINVAL, ESPIPE, SysResult};
use crate::mm::address_space::TASK_SIZE;
use crate::syscall::Args;
use crate::task::current;
use crate::uaccess::get_user;

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

/// An iovec array entry, 64-bit ({base, len}) or i386 ({u32 base, u32 len}).
fn iovec_at(iov: u64, i: u64, compat: bool) -> Result<(u64, u64), crate::errno::Errno> {
    if compat {
        let [base, len] = get_user::<[u32; 2]>(iov + i * 8)?;
        Ok((u64::from(base), u64::from(len)))
    } else {
        let [base, len] = get_user::<[u64; 2]>(iov + i * 16)?;
        Ok((base, len))
    }
}

/// Linux's import_iovec: every entry is checked before any byte moves: a
/// length over MAX_RW_COUNT or a total overflow is EINVAL, a range outside
/// user space EFAULT. (Whether the pages are mapped is found out while
/// copying, which then stops short, as on Linux.)
fn check_iovecs(iov: u64, iovcnt: u64, compat: bool) -> Result<(), crate::errno::Errno> {
    if iovcnt > UIO_MAXIOV {
        return Err(EINVAL);
    }
    let mut total: u64 = 0;
    for i in 0..iovcnt {
        let (base, len) = iovec_at(iov, i, compat)?;
        total = total
            .checked_add(len)
            .filter(|&t| t <= MAX_RW_COUNT)
            .ok_or(EINVAL)?;
        if len > 0 && base.checked_add(len).is_none_or(|end| end > TASK_SIZE) {
            return Err(EFAULT);
        }
    }
    Ok(())
}

fn do_writev(fd: u64, iov: u64, iovcnt: u64, compat: bool) -> SysResult {
    current().files.get(fd)?;
    check_iovecs(iov, iovcnt, compat)?;
    let mut total = 0u64;
    for i in 0..iovcnt {
        let (base, len) = iovec_at(iov, i, compat)?;
        if len == 0 {
            continue;
        }
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
    check_iovecs(iov, iovcnt, compat)?;
    // One read of the console fills the first non-empty buffer, as a tty does.
    for i in 0..iovcnt {
        let (base, len) = iovec_at(iov, i, compat)?;
        if len > 0 {
            return do_read(fd, base, len);
        }
    }
    Ok(0)
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
