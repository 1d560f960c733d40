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

/// Positioned I/O needs a seekable file (the disk, /dev/null); consoles
/// answer ESPIPE. The file offset does not move.
pub fn sys_pread64(a: &Args) -> SysResult {
    let (fd, buf, count, pos) = (a[0], a[1], a[2].min(MAX_RW_COUNT), a[3] as i64);
    let file = current().files.get(fd)?;
    if !file.readable() {
        return Err(EBADF);
    }
    if pos < 0 {
        return Err(EINVAL);
    }
    file.read_at(pos as u64, crate::uaccess::user_slice_mut(buf, count)?)
}

pub fn sys_pwrite64(a: &Args) -> SysResult {
    let (fd, buf, count, pos) = (a[0], a[1], a[2].min(MAX_RW_COUNT), a[3] as i64);
    let file = current().files.get(fd)?;
    if !file.writable() {
        return Err(EBADF);
    }
    if pos < 0 {
        return Err(EINVAL);
    }
    file.write_at(pos as u64, crate::uaccess::user_slice(buf, count)?)
}

/// fsync and fdatasync: dirty pages to the disk, then a FLUSH (the device
/// fdatasyncs the image on the host). EINVAL on files that cannot sync.
pub fn sys_fsync(a: &Args) -> SysResult {
    current().files.get(a[0])?.sync()
}

/// sendfile(out, in, offset, count): copies through a kernel page, from
/// `*offset` (left updated) or the input's file offset.
pub fn sys_sendfile(a: &Args) -> SysResult {
    let (out_fd, in_fd, offset_ptr, count) = (a[0], a[1], a[2], a[3].min(MAX_RW_COUNT));
    let files = &current().files;
    let (input, output) = (files.get(in_fd)?, files.get(out_fd)?);
    if !input.readable() || !output.writable() {
        return Err(EBADF);
    }
    // As on Linux, the input must be a file that can be read at an offset
    // (a tty cannot: EINVAL, and programs such as cat fall back to read).
    if !matches!(
        input.kind,
        crate::file::FileKind::Disk | crate::file::FileKind::Null | crate::file::FileKind::Zero
    ) {
        return Err(EINVAL);
    }
    let mut offset = match offset_ptr {
        0 => None,
        p => {
            let off: u64 = crate::uaccess::get_user(p)?;
            if (off as i64) < 0 {
                return Err(EINVAL);
            }
            Some(off)
        }
    };
    if offset.is_some() && !input.seekable() {
        return Err(ESPIPE);
    }
    let mut buf = alloc::vec![0u8; 16 * 4096];
    let mut done = 0u64;
    while done < count {
        let want = ((count - done) as usize).min(buf.len());
        let n = match offset {
            Some(off) => input.read_at(off, &mut buf[..want])?,
            None => input.read(&mut buf[..want])?,
        } as usize;
        if n == 0 {
            break;
        }
        let written = output.write(&buf[..n])? as usize;
        done += written as u64;
        if let Some(off) = offset.as_mut() {
            *off += written as u64;
        }
        if written < n {
            break;
        }
    }
    if let Some(off) = offset {
        crate::uaccess::put_user(offset_ptr, &off)?;
    }
    Ok(done)
}

pub fn sys_lseek(a: &Args) -> SysResult {
    current().files.get(a[0])?.lseek(a[1] as i64, a[2] as u32)
}
