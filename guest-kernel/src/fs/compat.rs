//! i386 entry points whose arguments differ from the x86-64 ones: 64-bit
//! offsets split over two registers (low word first), and the i386
//! `struct statfs64`. They decode and call the common implementations.

use crate::errno::{EINVAL, SysResult};
use crate::syscall::Args;
use crate::uaccess::copy_to_user;

/// A 64-bit value passed as (low, high) 32-bit halves.
fn join(lo: u64, hi: u64) -> u64 {
    (hi << 32) | (lo & 0xffff_ffff)
}

/// truncate64(path, length_lo, length_hi).
pub fn compat_sys_truncate64(a: &Args) -> SysResult {
    super::open::sys_truncate(&[a[0], join(a[1], a[2]), 0, 0, 0, 0])
}

/// ftruncate64(fd, length_lo, length_hi).
pub fn compat_sys_ftruncate64(a: &Args) -> SysResult {
    super::open::sys_ftruncate(&[a[0], join(a[1], a[2]), 0, 0, 0, 0])
}

/// pread64(fd, buf, count, pos_lo, pos_hi).
pub fn compat_sys_pread64(a: &Args) -> SysResult {
    super::read_write::sys_pread64(&[a[0], a[1], a[2], join(a[3], a[4]), 0, 0])
}

pub fn compat_sys_pwrite64(a: &Args) -> SysResult {
    super::read_write::sys_pwrite64(&[a[0], a[1], a[2], join(a[3], a[4]), 0, 0])
}

/// The i386 `struct statfs64` (84 bytes): 32-bit type, bsize, namelen,
/// frsize and flags around 64-bit counts.
fn statfs64_bytes(s: &super::mount::StatFs, dev: u64) -> [u8; 84] {
    let mut b = [0u8; 84];
    let mut put = |at: usize, bytes: &[u8]| b[at..at + bytes.len()].copy_from_slice(bytes);
    put(0, &(s.magic as u32).to_le_bytes());
    put(4, &(s.bsize as u32).to_le_bytes());
    for (i, v) in [s.blocks, s.bfree, s.bavail, s.files, s.ffree]
        .iter()
        .enumerate()
    {
        put(8 + i * 8, &v.to_le_bytes());
    }
    put(48, &(dev as u32).to_le_bytes());
    put(56, &(s.namelen as u32).to_le_bytes());
    put(60, &(s.bsize as u32).to_le_bytes());
    put(64, &(s.flags as u32).to_le_bytes());
    b
}

fn statfs64_of(inode: &super::inode::Inode, size: u64, buf: u64) -> SysResult {
    // The size argument must be the i386 structure's.
    if size != 84 {
        return Err(EINVAL);
    }
    copy_to_user(buf, &statfs64_bytes(&inode.sb.statfs(), inode.sb.dev)).map(|_| 0)
}

/// statfs64(path, size, buf).
pub fn compat_sys_statfs64(a: &Args) -> SysResult {
    let d = super::namei::user_path_at(super::namei::AT_FDCWD, a[0], 0)?;
    statfs64_of(&d.inode, a[1], a[2])
}

/// fstatfs64(fd, size, buf).
pub fn compat_sys_fstatfs64(a: &Args) -> SysResult {
    let file = crate::task::current().files.get(a[0])?;
    statfs64_of(file.inode(), a[1], a[2])
}
