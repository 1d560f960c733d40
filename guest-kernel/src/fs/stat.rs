//! fstat, stat, lstat, newfstatat.

use crate::errno::{EINVAL, SysResult};
use crate::file::{File, FileKind};
use crate::syscall::Args;
use crate::task::current;
use crate::uaccess::copy_to_user;

const S_IFCHR: u32 = 0o020000;
const S_IFDIR: u32 = 0o040000;
const AT_EMPTY_PATH: u64 = 0x1000;
const AT_FDCWD: u64 = (-100i64) as u64;

/// Linux's x86-64 `struct stat` (144 bytes), filled field by field.
struct Stat {
    mode: u32,
    nlink: u64,
    ino: u64,
    rdev: u64,
    size: i64,
    blksize: i64,
}

impl Stat {
    fn to_bytes(&self) -> [u8; 144] {
        let mut b = [0u8; 144];
        b[8..16].copy_from_slice(&self.ino.to_le_bytes());
        b[16..24].copy_from_slice(&self.nlink.to_le_bytes());
        b[24..28].copy_from_slice(&self.mode.to_le_bytes());
        b[40..48].copy_from_slice(&self.rdev.to_le_bytes());
        b[48..56].copy_from_slice(&self.size.to_le_bytes());
        b[56..64].copy_from_slice(&self.blksize.to_le_bytes());
        b
    }
}

/// `new_encode_dev(MKDEV(major, minor))`.
fn encode_dev(major: u64, minor: u64) -> u64 {
    (minor & 0xff) | (major << 8) | ((minor & !0xff) << 12)
}

fn stat_file(file: &File) -> Stat {
    // ttyS0 and ttyS1 are character devices 4:64 and 4:65.
    let minor = match file.kind {
        FileKind::Console => 64,
        FileKind::ConsoleErr => 65,
    };
    Stat {
        mode: S_IFCHR | 0o620,
        nlink: 1,
        ino: minor,
        rdev: encode_dev(4, minor),
        size: 0,
        blksize: 1024,
    }
}

fn root_stat() -> Stat {
    Stat {
        mode: S_IFDIR | 0o755,
        nlink: 2,
        ino: 1,
        rdev: 0,
        size: 0,
        blksize: 4096,
    }
}

fn fstat(fd: u64, buf: u64) -> SysResult {
    let file = current().files.get(fd)?;
    copy_to_user(buf, &stat_file(&file).to_bytes()).map(|_| 0)
}

fn stat_path(path: u64, buf: u64) -> SysResult {
    super::namei::getname(path)?;
    super::namei::sys_access(&[path, 0, 0, 0, 0, 0])?;
    copy_to_user(buf, &root_stat().to_bytes()).map(|_| 0)
}

pub fn sys_fstat(a: &Args) -> SysResult {
    fstat(a[0], a[1])
}

pub fn sys_stat(a: &Args) -> SysResult {
    stat_path(a[0], a[1])
}

pub fn sys_newfstatat(a: &Args) -> SysResult {
    let (dirfd, path, buf, flags) = (a[0], a[1], a[2], a[3]);
    if flags & !(AT_EMPTY_PATH | 0x100 | 0x800) != 0 {
        return Err(EINVAL);
    }
    if flags & AT_EMPTY_PATH != 0 {
        let mut first = [0u8; 1];
        crate::uaccess::copy_from_user(&mut first, path)?;
        if first[0] == 0 {
            return if dirfd == AT_FDCWD {
                copy_to_user(buf, &root_stat().to_bytes()).map(|_| 0)
            } else {
                fstat(dirfd, buf)
            };
        }
    }
    stat_path(path, buf)
}
