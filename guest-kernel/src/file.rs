//! Open files and the file descriptor table.
//!
//! A descriptor refers to an open file (`Arc<File>`); `dup` shares it, so
//! the last close is well defined: `fput` drops a reference and, when it was
//! the last one, queues the file's release as task work (Linux's
//! `fput` -> `____fput`), which the syscall exit path runs.

use alloc::sync::Arc;
use alloc::vec::Vec;
use spin::Mutex;

use crate::errno::{EBADF, EMFILE, ESPIPE, Errno, SysResult};

/// What a file is backed by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// COM1: stdin and stdout.
    Console,
    /// COM2: stderr.
    ConsoleErr,
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
}

impl File {
    /// A console stream; `tty` says whether it behaves as a terminal.
    pub fn console(kind: FileKind, flags: u32, tty: bool) -> Arc<File> {
        Arc::new(File {
            kind,
            flags: Mutex::new(flags),
            tty,
        })
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

    pub fn read(&self, buf: &mut [u8]) -> SysResult {
        match self.kind {
            FileKind::Console => Ok(crate::console::read_stdin(buf) as u64),
            FileKind::ConsoleErr => Ok(0),
        }
    }

    pub fn write(&self, buf: &[u8]) -> SysResult {
        let written = match self.kind {
            FileKind::Console => crate::console::write_stdout(buf),
            FileKind::ConsoleErr => crate::console::write_stderr(buf),
        };
        // The host refused the bytes (a bad request, a full disk): as a
        // device error, unless part of it went out.
        if written == 0 && !buf.is_empty() {
            return Err(crate::errno::EIO);
        }
        Ok(written as u64)
    }

    pub fn lseek(&self, _offset: i64, _whence: u32) -> SysResult {
        Err(ESPIPE)
    }
}

/// Drops one reference to an open file; the last one queues its release.
pub fn fput(file: Arc<File>) {
    if let Some(file) = Arc::into_inner(file) {
        crate::task_work::task_work_add(alloc::boxed::Box::new(move || release(file)));
    }
}

/// Linux's `____fput`: the file's last reference is gone.
fn release(file: File) {
    crate::debug!("release {:?}", file.kind);
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
