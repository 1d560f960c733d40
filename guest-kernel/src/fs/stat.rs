//! stat, lstat, fstat, newfstatat, statx, the i386 stat64 family, statfs
//! and fstatfs: what the generic inode holds, in each ABI's layout.

use super::inode::{Inode, decode_dev};
use super::mount::StatFs;
use super::namei::{AT_EMPTY_PATH, AT_FDCWD, AT_NO_AUTOMOUNT, AT_SYMLINK_NOFOLLOW, user_path_at};
use crate::errno::{EINVAL, SysResult};
use crate::syscall::Args;
use crate::task::current;
use crate::uaccess::copy_to_user;

fn put(b: &mut [u8], at: usize, bytes: &[u8]) {
    b[at..at + bytes.len()].copy_from_slice(bytes);
}

/// st_blksize: the page cache's unit.
const BLKSIZE: u64 = 4096;

/// Linux's x86-64 `struct stat` (144 bytes).
fn stat_bytes(inode: &Inode) -> [u8; 144] {
    let m = inode.meta();
    let mut b = [0u8; 144];
    put(&mut b, 0, &inode.sb.dev.to_le_bytes());
    put(&mut b, 8, &inode.ino.to_le_bytes());
    put(&mut b, 16, &u64::from(m.nlink).to_le_bytes());
    put(&mut b, 24, &m.mode.to_le_bytes());
    put(&mut b, 28, &m.uid.to_le_bytes());
    put(&mut b, 32, &m.gid.to_le_bytes());
    put(&mut b, 40, &m.rdev.to_le_bytes());
    put(&mut b, 48, &m.size.to_le_bytes());
    put(&mut b, 56, &BLKSIZE.to_le_bytes());
    put(&mut b, 64, &m.blocks.to_le_bytes());
    for (at, t) in [(72, m.atime), (88, m.mtime), (104, m.ctime)] {
        put(&mut b, at, &t.sec.to_le_bytes());
        put(&mut b, at + 8, &u64::from(t.nsec).to_le_bytes());
    }
    b
}

/// The i386 `struct stat64` (96 bytes, packed as the i386 ABI aligns it).
fn stat64_bytes(inode: &Inode) -> [u8; 96] {
    let m = inode.meta();
    let mut b = [0u8; 96];
    put(&mut b, 0, &inode.sb.dev.to_le_bytes());
    // __st_ino (32-bit) at 12, st_mode 16, st_nlink 20, uid 24, gid 28.
    put(&mut b, 12, &(inode.ino as u32).to_le_bytes());
    put(&mut b, 16, &m.mode.to_le_bytes());
    put(&mut b, 20, &m.nlink.to_le_bytes());
    put(&mut b, 24, &m.uid.to_le_bytes());
    put(&mut b, 28, &m.gid.to_le_bytes());
    put(&mut b, 32, &m.rdev.to_le_bytes());
    put(&mut b, 44, &m.size.to_le_bytes());
    put(&mut b, 52, &(BLKSIZE as u32).to_le_bytes());
    put(&mut b, 56, &m.blocks.to_le_bytes());
    for (at, t) in [(64, m.atime), (72, m.mtime), (80, m.ctime)] {
        put(&mut b, at, &(t.sec as u32).to_le_bytes());
        put(&mut b, at + 4, &t.nsec.to_le_bytes());
    }
    put(&mut b, 88, &inode.ino.to_le_bytes());
    b
}

fn lookup_flags(flags: u64) -> Result<u64, crate::errno::Errno> {
    if flags & !(AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT) != 0 {
        return Err(EINVAL);
    }
    Ok(flags)
}

fn fstat_inode(fd: u64) -> Result<alloc::sync::Arc<Inode>, crate::errno::Errno> {
    Ok(current().files.get(fd)?.inode().clone())
}

pub fn sys_fstat(a: &Args) -> SysResult {
    copy_to_user(a[1], &stat_bytes(&*fstat_inode(a[0])?)).map(|_| 0)
}

pub fn sys_stat(a: &Args) -> SysResult {
    let d = user_path_at(AT_FDCWD, a[0], 0)?;
    copy_to_user(a[1], &stat_bytes(&d.inode)).map(|_| 0)
}

pub fn sys_lstat(a: &Args) -> SysResult {
    let d = user_path_at(AT_FDCWD, a[0], AT_SYMLINK_NOFOLLOW)?;
    copy_to_user(a[1], &stat_bytes(&d.inode)).map(|_| 0)
}

pub fn sys_newfstatat(a: &Args) -> SysResult {
    let (dirfd, path, buf, flags) = (a[0], a[1], a[2], lookup_flags(a[3])?);
    let d = user_path_at(dirfd, path, flags)?;
    copy_to_user(buf, &stat_bytes(&d.inode)).map(|_| 0)
}

pub fn compat_sys_stat64(a: &Args) -> SysResult {
    let d = user_path_at(AT_FDCWD, a[0], 0)?;
    copy_to_user(a[1], &stat64_bytes(&d.inode)).map(|_| 0)
}

pub fn compat_sys_lstat64(a: &Args) -> SysResult {
    let d = user_path_at(AT_FDCWD, a[0], AT_SYMLINK_NOFOLLOW)?;
    copy_to_user(a[1], &stat64_bytes(&d.inode)).map(|_| 0)
}

pub fn compat_sys_fstat64(a: &Args) -> SysResult {
    copy_to_user(a[1], &stat64_bytes(&*fstat_inode(a[0])?)).map(|_| 0)
}

pub fn compat_sys_fstatat64(a: &Args) -> SysResult {
    let d = user_path_at(a[0], a[1], lookup_flags(a[3])?)?;
    copy_to_user(a[2], &stat64_bytes(&d.inode)).map(|_| 0)
}

const STATX_BASIC_STATS: u32 = 0x7ff;
const STATX_BTIME: u32 = 0x800;
/// AT_STATX_SYNC_TYPE bits: accepted, nothing to synchronise with.
const AT_STATX_SYNC_TYPE: u64 = 0x6000;
const STATX_RESERVED: u32 = 0x8000_0000;

/// statx(dirfd, path, flags, mask, buf): `struct statx`, 256 bytes.
pub fn sys_statx(a: &Args) -> SysResult {
    let (dirfd, path, flags, mask, buf) = (a[0], a[1], a[2], a[3] as u32, a[4]);
    if mask & STATX_RESERVED != 0 || flags & AT_STATX_SYNC_TYPE == AT_STATX_SYNC_TYPE {
        return Err(EINVAL);
    }
    let d = user_path_at(dirfd, path, lookup_flags(flags & !AT_STATX_SYNC_TYPE)?)?;
    let inode = &d.inode;
    let m = inode.meta();
    let mut b = [0u8; 256];
    put(&mut b, 0, &(STATX_BASIC_STATS | STATX_BTIME).to_le_bytes());
    put(&mut b, 4, &(BLKSIZE as u32).to_le_bytes());
    put(&mut b, 16, &m.nlink.to_le_bytes());
    put(&mut b, 20, &m.uid.to_le_bytes());
    put(&mut b, 24, &m.gid.to_le_bytes());
    put(&mut b, 28, &(m.mode as u16).to_le_bytes());
    put(&mut b, 32, &inode.ino.to_le_bytes());
    put(&mut b, 40, &m.size.to_le_bytes());
    put(&mut b, 48, &m.blocks.to_le_bytes());
    // stx_attributes (8) and its mask (56): the immutable bit is known.
    const STATX_ATTR_IMMUTABLE: u64 = 0x10;
    if m.immutable() {
        put(&mut b, 8, &STATX_ATTR_IMMUTABLE.to_le_bytes());
    }
    put(&mut b, 56, &STATX_ATTR_IMMUTABLE.to_le_bytes());
    for (at, t) in [(64, m.atime), (80, m.btime), (96, m.ctime), (112, m.mtime)] {
        put(&mut b, at, &t.sec.to_le_bytes());
        put(&mut b, at + 8, &t.nsec.to_le_bytes());
    }
    let (rmaj, rmin) = decode_dev(m.rdev);
    let (dmaj, dmin) = decode_dev(inode.sb.dev);
    for (at, v) in [(128, rmaj), (132, rmin), (136, dmaj), (140, dmin)] {
        put(&mut b, at, &(v as u32).to_le_bytes());
    }
    copy_to_user(buf, &b).map(|_| 0)
}

/// `struct statfs` (x86-64, 120 bytes).
fn statfs_bytes(s: &StatFs, dev: u64) -> [u8; 120] {
    let mut b = [0u8; 120];
    for (i, v) in [
        s.magic, s.bsize, s.blocks, s.bfree, s.bavail, s.files, s.ffree,
    ]
    .iter()
    .enumerate()
    {
        put(&mut b, i * 8, &v.to_le_bytes());
    }
    put(&mut b, 56, &(dev as u32).to_le_bytes());
    put(&mut b, 64, &s.namelen.to_le_bytes());
    put(&mut b, 72, &s.bsize.to_le_bytes());
    put(&mut b, 80, &s.flags.to_le_bytes());
    b
}

fn statfs_of(inode: &Inode, buf: u64) -> SysResult {
    copy_to_user(buf, &statfs_bytes(&inode.sb.statfs(), inode.sb.dev)).map(|_| 0)
}

pub fn sys_statfs(a: &Args) -> SysResult {
    statfs_of(&user_path_at(AT_FDCWD, a[0], 0)?.inode, a[1])
}

pub fn sys_fstatfs(a: &Args) -> SysResult {
    statfs_of(&*fstat_inode(a[0])?, a[1])
}
