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
pub struct Stat {
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

const S_IFBLK: u32 = 0o060000;

/// The status of a device node, by kind.
pub fn stat_kind(kind: FileKind) -> Stat {
    let dev = |mode, ino, rdev, size, blksize| Stat {
        mode,
        nlink: 1,
        ino,
        rdev,
        size,
        blksize,
    };
    match kind {
        // ttyS0 and ttyS1 are character devices 4:64 and 4:65.
        FileKind::Console => dev(S_IFCHR | 0o620, 64, encode_dev(4, 64), 0, 1024),
        FileKind::ConsoleErr => dev(S_IFCHR | 0o620, 65, encode_dev(4, 65), 0, 1024),
        // /dev/null is 1:3.
        FileKind::Null => dev(S_IFCHR | 0o666, 3, encode_dev(1, 3), 0, 4096),
        // /dev/zero is 1:5.
        FileKind::Zero => dev(S_IFCHR | 0o666, 5, encode_dev(1, 5), 0, 4096),
        // virtio-blk's vda: block major 254, reporting the disk's size.
        FileKind::Disk => {
            let size = super::page_cache::geometry().map_or(0, |(size, _)| size) as i64;
            dev(S_IFBLK | 0o660, 254 << 8, encode_dev(254, 0), size, 4096)
        }
    }
}

fn stat_file(file: &File) -> Stat {
    stat_kind(file.kind)
}

fn dir_stat(ino: u64) -> Stat {
    Stat {
        mode: S_IFDIR | 0o755,
        nlink: 2,
        ino,
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
    let name = super::namei::getname(path)?;
    let stat = match super::namei::lookup(&name)? {
        super::namei::Node::Dir(ino) => dir_stat(ino),
        super::namei::Node::Device(kind) => stat_kind(kind),
    };
    copy_to_user(buf, &stat.to_bytes()).map(|_| 0)
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
                copy_to_user(buf, &dir_stat(1).to_bytes()).map(|_| 0)
            } else {
                fstat(dirfd, buf)
            };
        }
    }
    stat_path(path, buf)
}
