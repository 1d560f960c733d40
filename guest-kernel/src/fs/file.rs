//! Open files (Linux's `struct file`) and their operations
//! (`file_operations`).
//!
//! A descriptor refers to an open file (`Arc<File>`); `dup` and fork share
//! it, so the last close is well defined: `fput` drops a reference and,
//! when it was the last one, queues the file's release as task work
//! (Linux's `fput` -> `____fput`), which the syscall exit path runs. For a
//! file with cached data, the release is where it is written back.

use alloc::sync::Arc;

use spin::Mutex;

use super::dentry::Dentry;
use super::inode::{Filldir, InodeRef};
use crate::errno::{EBADF, EINVAL, ENOTDIR, ENOTTY, ESPIPE, Errno, SysResult};

pub const O_RDONLY: u32 = 0;
pub const O_WRONLY: u32 = 1;
pub const O_RDWR: u32 = 2;
pub const O_ACCMODE: u32 = 3;
pub const O_CREAT: u32 = 0o100;
pub const O_EXCL: u32 = 0o200;
pub const O_NOCTTY: u32 = 0o400;
pub const O_TRUNC: u32 = 0o1000;
pub const O_APPEND: u32 = 0o2000;
pub const O_NONBLOCK: u32 = 0o4000;
pub const O_LARGEFILE: u32 = 0o100000;
pub const O_DIRECTORY: u32 = 0o200000;
pub const O_NOFOLLOW: u32 = 0o400000;
pub const O_NOATIME: u32 = 0o1000000;
pub const O_CLOEXEC: u32 = 0o2000000;
pub const O_PATH: u32 = 0o10000000;
pub const O_TMPFILE: u32 = 0o20200000;

pub const SEEK_SET: u32 = 0;
pub const SEEK_CUR: u32 = 1;
pub const SEEK_END: u32 = 2;
pub const SEEK_DATA: u32 = 3;
pub const SEEK_HOLE: u32 = 4;

pub const POLLIN: u16 = 0x1;
pub const POLLOUT: u16 = 0x4;

/// What an open file can do. Seekable files implement `read_at` and
/// `write_at` and the VFS keeps the offset; streams implement `read` and
/// `write`. Defaults are Linux's answers for a file without the operation.
pub trait FileOps: Send + Sync {
    /// Whether the file has an offset (regular files, block devices).
    fn seekable(&self) -> bool {
        false
    }
    fn read(&self, _file: &File, _buf: &mut [u8]) -> SysResult {
        Err(EINVAL)
    }
    fn write(&self, _file: &File, _buf: &[u8]) -> SysResult {
        Err(EINVAL)
    }
    fn read_at(&self, _file: &File, _pos: u64, _buf: &mut [u8]) -> SysResult {
        Err(ESPIPE)
    }
    fn write_at(&self, _file: &File, _pos: u64, _buf: &[u8]) -> SysResult {
        Err(ESPIPE)
    }
    /// The size SEEK_END counts from.
    fn size(&self, _file: &File) -> u64 {
        0
    }
    /// lseek; the default serves every seekable file.
    fn llseek(&self, file: &File, offset: i64, whence: u32) -> SysResult {
        if !self.seekable() {
            return Err(ESPIPE);
        }
        llseek_in(file, offset, whence, self.size(file) as i64, i64::MAX)
    }
    /// Lists directory entries from the file offset (getdents).
    fn getdents(&self, _file: &File, _emit: &mut Filldir) -> Result<(), Errno> {
        Err(ENOTDIR)
    }
    fn ioctl(&self, _file: &File, _request: u64, _arg: u64) -> SysResult {
        Err(ENOTTY)
    }
    /// Readiness (POLLIN, POLLOUT) for poll and select.
    fn poll(&self, _file: &File) -> u16 {
        POLLIN | POLLOUT
    }
    /// fsync and fdatasync.
    fn fsync(&self, _file: &File) -> SysResult {
        Err(EINVAL)
    }
    /// F_GETPIPE_SZ (None) and F_SETPIPE_SZ (Some(size)): pipes only.
    fn pipe_size(&self, _new: Option<u64>) -> SysResult {
        Err(EBADF)
    }
    /// The epoll instance behind this file, if it is one (epoll_ctl and
    /// epoll_wait need it; FileOps has no downcast).
    fn as_epoll(&self) -> Option<&super::eventpoll::EventPoll> {
        None
    }
    /// The last reference to the open file is gone.
    fn release(&self, _file: &File) {}
}

pub struct File {
    /// Where it was opened (for /proc/self/fd, fchdir, *at calls).
    pub dentry: Arc<Dentry>,
    pub ops: Arc<dyn FileOps>,
    /// Status flags (access mode, O_APPEND, O_NONBLOCK, O_PATH...), shared
    /// by dups.
    pub flags: Mutex<u32>,
    /// The file offset (f_pos), shared by dups; seekable files only.
    pub pos: Mutex<u64>,
}

impl File {
    pub fn new(dentry: Arc<Dentry>, ops: Arc<dyn FileOps>, flags: u32) -> Arc<File> {
        Arc::new(File {
            dentry,
            ops,
            flags: Mutex::new(flags),
            pos: Mutex::new(0),
        })
    }

    pub fn inode(&self) -> &InodeRef {
        &self.dentry.inode
    }

    pub fn flags(&self) -> u32 {
        *self.flags.lock()
    }

    /// An O_PATH descriptor: only a place, no I/O.
    pub fn is_path(&self) -> bool {
        self.flags() & O_PATH != 0
    }

    pub fn readable(&self) -> bool {
        let f = self.flags();
        f & O_PATH == 0 && f & O_ACCMODE != O_WRONLY
    }

    pub fn writable(&self) -> bool {
        let f = self.flags();
        f & O_PATH == 0 && f & O_ACCMODE != O_RDONLY
    }

    pub fn seekable(&self) -> bool {
        self.ops.seekable()
    }

    /// read(2): at the file offset for seekable files, which it advances.
    pub fn read(&self, buf: &mut [u8]) -> SysResult {
        if !self.seekable() {
            return self.ops.read(self, buf);
        }
        let mut pos = self.pos.lock();
        let n = self.ops.read_at(self, *pos, buf)?;
        *pos += n;
        Ok(n)
    }

    /// write(2), likewise; O_APPEND writes at the end, atomically with
    /// respect to the offset.
    pub fn write(&self, buf: &[u8]) -> SysResult {
        if !self.seekable() {
            return self.ops.write(self, buf);
        }
        let mut pos = self.pos.lock();
        if self.flags() & O_APPEND != 0 {
            *pos = self.ops.size(self);
        }
        let n = self.ops.write_at(self, *pos, buf)?;
        *pos += n;
        Ok(n)
    }

    pub fn read_at(&self, pos: u64, buf: &mut [u8]) -> SysResult {
        self.ops.read_at(self, pos, buf)
    }

    /// pwrite64: at `pos`, except that Linux appends on O_APPEND files.
    pub fn write_at(&self, pos: u64, buf: &[u8]) -> SysResult {
        let pos = if self.flags() & O_APPEND != 0 {
            self.ops.size(self)
        } else {
            pos
        };
        self.ops.write_at(self, pos, buf)
    }

    pub fn lseek(&self, offset: i64, whence: u32) -> SysResult {
        self.ops.llseek(self, offset, whence)
    }
}

/// Drops one reference to an open file; the last one queues its release.
pub fn fput(file: Arc<File>) {
    if let Some(file) = Arc::into_inner(file) {
        crate::task_work::task_work_add(alloc::boxed::Box::new(move || release(file)));
    }
}

/// Linux's `____fput`: the file's last reference is gone. For files with
/// cached data, this is where delayed writes reach the device: before the
/// task returns to user mode, so when close() returns, the data is there.
fn release(file: File) {
    file.ops.release(&file);
}

/// lseek within `[0, max]` for a file of `size` bytes (Linux's
/// generic_file_llseek_size): a regular file may seek anywhere past its
/// end (`max` = i64::MAX), a block device only up to its end (`max` =
/// size: fixed_size_llseek); beyond that EINVAL.
pub fn llseek_in(file: &File, offset: i64, whence: u32, size: i64, max: i64) -> SysResult {
    let mut pos = file.pos.lock();
    let base = match whence {
        SEEK_SET => 0,
        SEEK_CUR => *pos as i64,
        SEEK_END => size,
        // The page cache has no holes it knows of: all data, one hole
        // at the end (what Linux answers for a file system without
        // SEEK_HOLE support).
        SEEK_DATA | SEEK_HOLE => {
            if offset < 0 || offset >= size {
                return Err(crate::errno::ENXIO);
            }
            let at = if whence == SEEK_DATA { offset } else { size };
            *pos = at as u64;
            return Ok(at as u64);
        }
        _ => return Err(EINVAL),
    };
    let new = base
        .checked_add(offset)
        .filter(|&p| (0..=max).contains(&p))
        .ok_or(EINVAL)?;
    *pos = new as u64;
    Ok(new as u64)
}
