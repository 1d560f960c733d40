//! Open files and the file descriptor table.
//!
//! A descriptor refers to an open file (`Arc<File>`); `dup` shares it, so
//! the last close is well defined: `fput` drops a reference and, when it was
//! the last one, queues the file's release as task work (Linux's
//! `fput` -> `____fput`), which the syscall exit path runs.

use alloc::sync::Arc;
use alloc::vec::Vec;
use spin::Mutex;

use crate::errno::{EBADF, EINVAL, EMFILE, ESPIPE, Errno, SysResult};
use crate::fs::page_cache;

/// What a file is backed by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// COM1: stdin and stdout.
    Console,
    /// COM2: stderr.
    ConsoleErr,
    /// /dev/null.
    Null,
    /// /dev/zero.
    Zero,
    /// /dev/vda, through the page cache.
    Disk,
}

pub const O_RDONLY: u32 = 0;
pub const O_WRONLY: u32 = 1;
pub const O_RDWR: u32 = 2;
pub const O_ACCMODE: u32 = 3;
pub const O_APPEND: u32 = 0o2000;
pub const O_NONBLOCK: u32 = 0o4000;
pub const O_CLOEXEC: u32 = 0o2000000;

#[derive(Debug)]
pub struct File {
    pub kind: FileKind,
    /// Status flags (O_ACCMODE, O_APPEND, O_NONBLOCK), shared by dups.
    pub flags: Mutex<u32>,
    /// A console stream that is a terminal on the host too (`lstar.tty=`).
    tty: bool,
    /// The file offset (Linux's f_pos), shared by dups; seekable files only.
    pos: Mutex<u64>,
}

impl File {
    /// A console stream; `tty` says whether it behaves as a terminal.
    pub fn console(kind: FileKind, flags: u32, tty: bool) -> Arc<File> {
        Arc::new(File {
            kind,
            flags: Mutex::new(flags),
            tty,
            pos: Mutex::new(0),
        })
    }

    /// A device file opened by path (/dev/null, /dev/vda).
    pub fn device(kind: FileKind, flags: u32) -> Arc<File> {
        File::console(kind, flags, false)
    }

    pub fn seekable(&self) -> bool {
        self.kind == FileKind::Disk
    }

    pub fn readable(&self) -> bool {
        *self.flags.lock() & O_ACCMODE != O_WRONLY
    }

    pub fn writable(&self) -> bool {
        *self.flags.lock() & O_ACCMODE != O_RDONLY
    }

    pub fn is_tty(&self) -> bool {
        self.tty
    }

    /// read(2): at the file offset for seekable files, which it advances.
    pub fn read(&self, buf: &mut [u8]) -> SysResult {
        match self.kind {
            FileKind::Console => Ok(crate::console::read_stdin(buf) as u64),
            FileKind::ConsoleErr | FileKind::Null => Ok(0),
            FileKind::Zero => {
                buf.fill(0);
                Ok(buf.len() as u64)
            }
            FileKind::Disk => {
                let mut pos = self.pos.lock();
                let n = page_cache::read(*pos, buf)? as u64;
                *pos += n;
                Ok(n)
            }
        }
    }

    /// write(2), likewise.
    pub fn write(&self, buf: &[u8]) -> SysResult {
        let written = match self.kind {
            FileKind::Console => crate::console::write_stdout(buf),
            FileKind::ConsoleErr => crate::console::write_stderr(buf),
            FileKind::Null | FileKind::Zero => buf.len(),
            FileKind::Disk => {
                let mut pos = self.pos.lock();
                let n = page_cache::write(*pos, buf)?;
                *pos += n as u64;
                return Ok(n as u64);
            }
        };
        // The host refused the bytes (a bad request, a full disk): as a
        // device error, unless part of it went out.
        if written == 0 && !buf.is_empty() {
            return Err(crate::errno::EIO);
        }
        Ok(written as u64)
    }

    /// pread64 / pwrite64: at `pos`, leaving the file offset alone.
    pub fn read_at(&self, pos: u64, buf: &mut [u8]) -> SysResult {
        match self.kind {
            FileKind::Disk => Ok(page_cache::read(pos, buf)? as u64),
            FileKind::Null => Ok(0),
            FileKind::Zero => {
                buf.fill(0);
                Ok(buf.len() as u64)
            }
            _ => Err(ESPIPE),
        }
    }

    pub fn write_at(&self, pos: u64, buf: &[u8]) -> SysResult {
        match self.kind {
            FileKind::Disk => Ok(page_cache::write(pos, buf)? as u64),
            FileKind::Null | FileKind::Zero => Ok(buf.len() as u64),
            _ => Err(ESPIPE),
        }
    }

    /// lseek(2). Seeking past the end is allowed (reads there return 0).
    pub fn lseek(&self, offset: i64, whence: u32) -> SysResult {
        const SEEK_SET: u32 = 0;
        const SEEK_CUR: u32 = 1;
        const SEEK_END: u32 = 2;
        match self.kind {
            FileKind::Null | FileKind::Zero => return Ok(0),
            FileKind::Disk => {}
            _ => return Err(ESPIPE),
        }
        let mut pos = self.pos.lock();
        let base = match whence {
            SEEK_SET => 0,
            SEEK_CUR => *pos as i64,
            SEEK_END => page_cache::geometry().map_or(0, |(size, _)| size) as i64,
            _ => return Err(EINVAL),
        };
        let new = base.checked_add(offset).filter(|&p| p >= 0).ok_or(EINVAL)?;
        *pos = new as u64;
        Ok(new as u64)
    }

    /// fsync / fdatasync: the disk's dirty pages, then a device flush.
    pub fn sync(&self) -> SysResult {
        match self.kind {
            FileKind::Disk => page_cache::sync().map(|_| 0),
            _ => Err(EINVAL),
        }
    }
}

/// Drops one reference to an open file; the last one queues its release.
pub fn fput(file: Arc<File>) {
    if let Some(file) = Arc::into_inner(file) {
        crate::task_work::task_work_add(alloc::boxed::Box::new(move || release(file)));
    }
}

/// Linux's `____fput`: the file's last reference is gone. For the disk,
/// this is where delayed writes reach the device: every dirty page is
/// written back before the task returns to user mode, so when close()
/// returns, the data is in the disk image.
fn release(file: File) {
    crate::debug!("release {:?}", file.kind);
    if file.kind == FileKind::Disk
        && let Err(e) = page_cache::writeback()
    {
        crate::warn!("writeback of /dev/vda failed: {e:?}");
    }
}

/// Most descriptors a task may have (RLIMIT_NOFILE).
pub const NR_OPEN: usize = 1024;

#[derive(Clone)]
struct Slot {
    file: Arc<File>,
    cloexec: bool,
}

#[derive(Default)]
pub struct FdTable {
    slots: Vec<Option<Slot>>,
}

impl FdTable {
    pub fn get(&self, fd: u64) -> Result<Arc<File>, Errno> {
        let slot = usize::try_from(fd)
            .ok()
            .and_then(|fd| self.slots.get(fd))
            .ok_or(EBADF)?;
        slot.as_ref().map(|s| s.file.clone()).ok_or(EBADF)
    }

    /// Installs `file` at the lowest free descriptor >= `min`.
    pub fn install(&mut self, file: Arc<File>, min: usize, cloexec: bool) -> SysResult {
        let fd = (min..NR_OPEN)
            .find(|&fd| self.slots.get(fd).is_none_or(|s| s.is_none()))
            .ok_or(EMFILE)?;
        self.install_at(fd, file, cloexec);
        Ok(fd as u64)
    }

    /// Puts `file` at `fd`, closing what was there.
    pub fn install_at(&mut self, fd: usize, file: Arc<File>, cloexec: bool) {
        if self.slots.len() <= fd {
            self.slots.resize(fd + 1, None);
        }
        if let Some(old) = self.slots[fd].replace(Slot { file, cloexec }) {
            fput(old.file);
        }
    }

    pub fn close(&mut self, fd: u64) -> SysResult {
        let slot = usize::try_from(fd)
            .ok()
            .and_then(|fd| self.slots.get_mut(fd))
            .ok_or(EBADF)?;
        let old = slot.take().ok_or(EBADF)?;
        fput(old.file);
        Ok(0)
    }

    pub fn cloexec(&self, fd: u64) -> Result<bool, Errno> {
        self.get(fd)?;
        Ok(self.slots[fd as usize].as_ref().is_some_and(|s| s.cloexec))
    }

    pub fn set_cloexec(&mut self, fd: u64, on: bool) -> SysResult {
        self.get(fd)?;
        if let Some(slot) = self.slots[fd as usize].as_mut() {
            slot.cloexec = on;
        }
        Ok(0)
    }

    /// Closes everything (exit).
    pub fn close_all(&mut self) {
        for slot in self.slots.drain(..).flatten() {
            fput(slot.file);
        }
    }
}
