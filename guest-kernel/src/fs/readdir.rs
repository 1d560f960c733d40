//! Reading directories: getdents64, getdents (and the i386 getdents),
//! over any file system's `InodeOps::readdir`. Positions 0 and 1 are `.`
//! and `..`; the file system numbers its own entries from 2 on.

use alloc::sync::Arc;

use super::file::{File, FileOps};
use super::inode::{DirEntry, FileType, Filldir};
use crate::errno::{EBADF, EINVAL, EISDIR, Errno, SysResult};
use crate::syscall::Args;
use crate::task::current;

/// An open directory.
pub struct DirFile;

impl DirFile {
    pub fn ops() -> Arc<dyn FileOps> {
        Arc::new(DirFile)
    }
}

impl FileOps for DirFile {
    fn seekable(&self) -> bool {
        true
    }
    fn read_at(&self, _file: &File, _pos: u64, _buf: &mut [u8]) -> SysResult {
        Err(EISDIR)
    }
    fn fsync(&self, _file: &File) -> SysResult {
        Ok(0)
    }
    fn getdents(&self, file: &File, emit: &mut Filldir) -> Result<(), Errno> {
        let pos = *file.pos.lock();
        let d = &file.dentry;
        // A removed directory lists nothing, not even `.` (IS_DEADDIR).
        if d.inode.meta.lock().nlink == 0 {
            return Err(crate::errno::ENOENT);
        }
        if pos == 0 {
            let dot = DirEntry {
                name: b".",
                ino: d.inode.ino,
                kind: FileType::Directory,
            };
            if !emit(&dot, 1) {
                return Ok(());
            }
        }
        if pos <= 1 {
            // `..` of the task's root is the root itself.
            let root = &current().fs.root;
            let parent = if Arc::ptr_eq(d, root) {
                d.inode.ino
            } else {
                d.parent().map_or(d.inode.ino, |p| p.inode.ino)
            };
            let dotdot = DirEntry {
                name: b"..",
                ino: parent,
                kind: FileType::Directory,
            };
            if !emit(&dotdot, 2) {
                return Ok(());
            }
        }
        let inode = file.inode();
        inode
            .ops
            .readdir(inode, pos.saturating_sub(2), &mut |e, next| {
                emit(e, next + 2)
            })
    }
}

/// The record layouts getdents can write.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Layout {
    /// `struct linux_dirent64`: ino u64, off i64, reclen u16, type u8, name.
    Dirent64,
    /// `struct linux_dirent`: ino, off as longs, reclen u16, name, NUL,
    /// type in the last byte; `long` is 8 bytes here, 4 for i386.
    Dirent { long: usize },
}

fn do_getdents(fd: u64, buf: u64, count: u64, layout: Layout) -> SysResult {
    let file = current().files.get(fd)?;
    if file.is_path() {
        return Err(EBADF);
    }
    let count = count.min(i32::MAX as u64) as usize;
    let out = crate::uaccess::user_slice_mut(buf, count as u64)?;
    let mut used = 0usize;
    let mut too_small = false;
    let mut last_pos = None;
    let result = file.ops.getdents(&file, &mut |e: &DirEntry, next: u64| {
        let (header, align) = match layout {
            Layout::Dirent64 => (19, 8),
            Layout::Dirent { long } => (2 * long + 2, long),
        };
        let trailer = match layout {
            Layout::Dirent64 => 1,
            Layout::Dirent { .. } => 2,
        };
        let reclen = (header + e.name.len() + trailer).next_multiple_of(align);
        if used + reclen > out.len() {
            too_small = used == 0;
            return false;
        }
        let rec = &mut out[used..used + reclen];
        rec.fill(0);
        match layout {
            Layout::Dirent64 => {
                rec[0..8].copy_from_slice(&e.ino.to_le_bytes());
                rec[8..16].copy_from_slice(&next.to_le_bytes());
                rec[16..18].copy_from_slice(&(reclen as u16).to_le_bytes());
                rec[18] = e.kind.dirent_type();
                rec[19..19 + e.name.len()].copy_from_slice(e.name);
            }
            Layout::Dirent { long } => {
                rec[0..long].copy_from_slice(&e.ino.to_le_bytes()[..long]);
                rec[long..2 * long].copy_from_slice(&next.to_le_bytes()[..long]);
                rec[2 * long..2 * long + 2].copy_from_slice(&(reclen as u16).to_le_bytes());
                let name_at = 2 * long + 2;
                rec[name_at..name_at + e.name.len()].copy_from_slice(e.name);
                rec[reclen - 1] = e.kind.dirent_type();
            }
        }
        used += reclen;
        last_pos = Some(next);
        true
    });
    if let Some(p) = last_pos {
        *file.pos.lock() = p;
    }
    result?;
    if too_small {
        return Err(EINVAL);
    }
    Ok(used as u64)
}

pub fn sys_getdents64(a: &Args) -> SysResult {
    do_getdents(a[0], a[1], a[2], Layout::Dirent64)
}

pub fn sys_getdents(a: &Args) -> SysResult {
    do_getdents(a[0], a[1], a[2], Layout::Dirent { long: 8 })
}

pub fn compat_sys_getdents(a: &Args) -> SysResult {
    do_getdents(a[0], a[1], a[2], Layout::Dirent { long: 4 })
}
