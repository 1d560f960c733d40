//! The file descriptor table (Linux's `files_struct`).

use alloc::sync::Arc;
use alloc::vec::Vec;

use super::file::{File, fput};
use crate::errno::{EBADF, EMFILE, Errno, SysResult};

/// Most descriptors a task may have (RLIMIT_NOFILE).
pub const NR_OPEN: usize = 1024;

#[derive(Clone)]
struct Slot {
    file: Arc<File>,
    cloexec: bool,
}

#[derive(Default, Clone)]
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

    /// The open descriptors, in order (/proc/self/fd).
    pub fn fds(&self) -> impl Iterator<Item = (usize, &Arc<File>)> {
        self.slots
            .iter()
            .enumerate()
            .filter_map(|(fd, s)| s.as_ref().map(|s| (fd, &s.file)))
    }

    /// Closes the descriptors marked close-on-exec (execve).
    pub fn close_on_exec(&mut self) {
        for slot in self.slots.iter_mut() {
            if slot.as_ref().is_some_and(|s| s.cloexec)
                && let Some(s) = slot.take()
            {
                fput(s.file);
            }
        }
    }

    /// Closes everything (exit).
    pub fn close_all(&mut self) {
        for slot in self.slots.drain(..).flatten() {
            fput(slot.file);
        }
    }
}
