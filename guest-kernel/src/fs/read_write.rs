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

    /// Moves each non-empty buffer in turn with `f(base, len, done)` until
    /// one comes back short; an error ends the call with what was moved
    /// before it, or is the result when nothing was (readv, writev,
    /// preadv, pwritev alike).
    fn each(&self, mut f: impl FnMut(u64, u64, u64) -> SysResult) -> SysResult {
        let mut total = 0u64;
        for &(base, len) in self.entries.iter().filter(|(_, len)| *len > 0) {
            match f(base, len, total) {
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
}

fn do_writev(fd: u64, iov: u64, iovcnt: u64, compat: bool) -> SysResult {
    current().files.get(fd)?;
    Iovecs::import(iov, iovcnt, compat)?.each(|base, len, _| do_write(fd, base, len))
}

fn do_readv(fd: u64, iov: u64, iovcnt: u64, compat: bool) -> SysResult {
    let file = current().files.get(fd)?;
    let iovecs = Iovecs::import(iov, iovcnt, compat)?;
    if !file.seekable() {
        // One read of a stream (the console) fills the first non-empty
        // buffer, as a tty does.
        return match iovecs.entries.iter().find(|(_, len)| *len > 0) {
            Some(&(base, len)) => do_read(fd, base, len),
            None => Ok(0),
        };
    }
    // A file fills each buffer in turn until one comes back short.
    iovecs.each(|base, len, _| do_read(fd, base, len))
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

/// Positioned I/O needs a seekable file (regular files, the disk,
/// /dev/null); consoles answer ESPIPE. The file offset does not move.
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

/// preadv/pwritev: each buffer in turn at an advancing position, until
/// one comes back short.
fn do_preadv(fd: u64, iov: u64, iovcnt: u64, pos: i64, write: bool) -> SysResult {
    let file = current().files.get(fd)?;
    if !(if write {
        file.writable()
    } else {
        file.readable()
    }) {
        return Err(EBADF);
    }
    if pos < 0 {
        return Err(EINVAL);
    }
    if !file.seekable() {
        return Err(ESPIPE);
    }
    Iovecs::import(iov, iovcnt, false)?.each(|base, len, done| {
        let at = pos as u64 + done;
        if write {
            crate::uaccess::user_slice(base, len).and_then(|b| file.write_at(at, b))
        } else {
            crate::uaccess::user_slice_mut(base, len).and_then(|b| file.read_at(at, b))
        }
    })
}

/// preadv(fd, iov, iovcnt, pos_l, pos_h): the offset comes in two halves
/// (low, high); on x86-64 the low half is already the whole offset.
pub fn sys_preadv(a: &Args) -> SysResult {
    do_preadv(a[0], a[1], a[2], a[3] as i64, false)
}

pub fn sys_pwritev(a: &Args) -> SysResult {
    do_preadv(a[0], a[1], a[2], a[3] as i64, true)
}

/// preadv2/pwritev2: offset -1 means the file offset (then like readv).
pub fn sys_preadv2(a: &Args) -> SysResult {
    if a[5] != 0 {
        return Err(crate::errno::EOPNOTSUPP);
    }
    if a[3] as i64 == -1 {
        return do_readv(a[0], a[1], a[2], false);
    }
    sys_preadv(a)
}

pub fn sys_pwritev2(a: &Args) -> SysResult {
    if a[5] != 0 {
        return Err(crate::errno::EOPNOTSUPP);
    }
    if a[3] as i64 == -1 {
        return do_writev(a[0], a[1], a[2], false);
    }
    sys_pwritev(a)
}

/// fsync and fdatasync: the file's dirty pages to its backing store (the
/// disk adds a FLUSH); EINVAL on files that cannot sync (consoles).
pub fn sys_fsync(a: &Args) -> SysResult {
    let file = current().files.get(a[0])?;
    if file.is_path() {
        return Err(EBADF);
    }
    file.ops.fsync(&file)
}

/// sync: every file system's dirty data.
pub fn sys_sync(_: &Args) -> SysResult {
    crate::fs::mount::sync_all();
    Ok(0)
}

/// syncfs(fd): the file system of `fd` (every one here writes back alike).
pub fn sys_syncfs(a: &Args) -> SysResult {
    let file = current().files.get(a[0])?;
    let sb = file.inode().sb.clone();
    sb.ops.sync(&sb).map(|_| 0)
}

/// Copies up to `count` bytes from `input` to `output` through a kernel
/// buffer, reading at `*offset` when given (left advanced), else at the
/// input's file offset; writes go to the output's offset.
fn copy_between(
    input: &crate::fs::file::File,
    output: &crate::fs::file::File,
    mut offset: Option<&mut u64>,
    mut out_offset: Option<&mut u64>,
    count: u64,
) -> SysResult {
    let mut buf = alloc::vec![0u8; 16 * 4096];
    let mut done = 0u64;
    while done < count {
        let want = ((count - done) as usize).min(buf.len());
        let got = match offset.as_deref() {
            Some(&off) => input.read_at(off, &mut buf[..want]),
            None => input.read(&mut buf[..want]),
        };
        let n = match got {
            Ok(n) => n as usize,
            Err(e) if done == 0 => return Err(e),
            Err(_) => break,
        };
        if n == 0 {
            break;
        }
        let put = match out_offset.as_deref() {
            Some(&off) => output.write_at(off, &buf[..n]),
            None => output.write(&buf[..n]),
        };
        let written = match put {
            Ok(w) => w,
            Err(e) if done == 0 => return Err(e),
            Err(_) => break,
        };
        done += written;
        if let Some(off) = offset.as_deref_mut() {
            *off += written;
        }
        if let Some(off) = out_offset.as_deref_mut() {
            *off += written;
        }
        if written < n as u64 {
            break;
        }
    }
    Ok(done)
}

/// sendfile(out, in, offset, count): from `*offset` (left updated) or the
/// input's file offset.
pub fn sys_sendfile(a: &Args) -> SysResult {
    let (out_fd, in_fd, offset_ptr, count) = (a[0], a[1], a[2], a[3].min(MAX_RW_COUNT));
    let files = &current().files;
    let (input, output) = (files.get(in_fd)?, files.get(out_fd)?);
    if !input.readable() || !output.writable() {
        return Err(EBADF);
    }
    // As on Linux, the input must be a file that can be read at an offset
    // (a tty cannot: EINVAL, and programs such as cat fall back to read).
    if !input.seekable() || input.inode().is_dir() {
        return Err(EINVAL);
    }
    if output.flags() & crate::fs::file::O_APPEND != 0 {
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
    let done = copy_between(&input, &output, offset.as_mut(), None, count)?;
    if let Some(off) = offset {
        crate::uaccess::put_user(offset_ptr, &off)?;
    }
    Ok(done)
}

/// copy_file_range(in, off_in, out, off_out, len, flags): between two
/// regular files, at the given offsets (left updated) or the file offsets.
pub fn sys_copy_file_range(a: &Args) -> SysResult {
    let (in_fd, off_in_ptr, out_fd, off_out_ptr, len, flags) = (a[0], a[1], a[2], a[3], a[4], a[5]);
    if flags != 0 {
        return Err(EINVAL);
    }
    let files = &current().files;
    let (input, output) = (files.get(in_fd)?, files.get(out_fd)?);
    if !input.readable() || !output.writable() {
        return Err(EBADF);
    }
    if output.flags() & crate::fs::file::O_APPEND != 0 {
        return Err(EBADF);
    }
    use crate::fs::inode::FileType;
    for f in [&input, &output] {
        match f.inode().file_type() {
            FileType::Regular => {}
            FileType::Directory => return Err(crate::errno::EISDIR),
            _ => return Err(EINVAL),
        }
    }
    let get_off = |p: u64| -> Result<Option<u64>, crate::errno::Errno> {
        if p == 0 {
            return Ok(None);
        }
        let off: u64 = crate::uaccess::get_user(p)?;
        if (off as i64) < 0 {
            return Err(EINVAL);
        }
        Ok(Some(off))
    };
    let (mut off_in, mut off_out) = (get_off(off_in_ptr)?, get_off(off_out_ptr)?);
    // Ranges of one file may not overlap.
    if alloc::sync::Arc::ptr_eq(input.inode(), output.inode()) {
        let i = off_in.unwrap_or(*input.pos.lock());
        let o = off_out.unwrap_or(*output.pos.lock());
        if i < o.saturating_add(len) && o < i.saturating_add(len) {
            return Err(EINVAL);
        }
    }
    let len = len.min(MAX_RW_COUNT);
    let done = match (off_in.as_mut(), off_out.as_mut()) {
        (i, Some(o)) => copy_between(&input, &output, i, Some(o), len)?,
        (i, None) => {
            // The output's own offset: advance it as write() would.
            let mut pos = *output.pos.lock();
            let n = copy_between(&input, &output, i, Some(&mut pos), len)?;
            *output.pos.lock() = pos;
            n
        }
    };
    if let Some(off) = off_in {
        crate::uaccess::put_user(off_in_ptr, &off)?;
    }
    if let Some(off) = off_out {
        crate::uaccess::put_user(off_out_ptr, &off)?;
    }
    Ok(done)
}

pub fn sys_lseek(a: &Args) -> SysResult {
    let file = current().files.get(a[0])?;
    if file.is_path() {
        return Err(EBADF);
    }
    file.lseek(a[1] as i64, a[2] as u32)
}

/// i386 lseek: a signed 32-bit offset, and EOVERFLOW for a result that
/// does not fit in one.
pub fn compat_sys_lseek(a: &Args) -> SysResult {
    let pos = sys_lseek(&[a[0], a[1] as u32 as i32 as i64 as u64, a[2], 0, 0, 0])?;
    if pos > i32::MAX as u64 {
        return Err(crate::errno::EOVERFLOW);
    }
    Ok(pos)
}

/// _llseek(fd, offset_high, offset_low, result, whence): the 64-bit
/// offset in two halves, the result stored through a pointer.
pub fn compat_sys_llseek(a: &Args) -> SysResult {
    let offset = (a[1] << 32) | (a[2] & 0xffff_ffff);
    let pos = sys_lseek(&[a[0], offset, a[4], 0, 0, 0])?;
    crate::uaccess::put_user(a[3], &pos)?;
    Ok(0)
}
