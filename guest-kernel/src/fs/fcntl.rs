//! close, dup, dup2, dup3, fcntl.

use crate::errno::{EBADF, EINVAL, SysResult};
use crate::fs::fdtable::NR_OPEN;
use crate::fs::file::{O_APPEND, O_CLOEXEC, O_NOATIME, O_NONBLOCK};
use crate::syscall::Args;
use crate::task::current;

pub fn sys_close(a: &Args) -> SysResult {
    current().files.close(a[0])
}

pub fn sys_dup(a: &Args) -> SysResult {
    let files = &mut current().files;
    let file = files.get(a[0])?;
    files.install(file, 0, false)
}

fn do_dup3(old: u64, new: u64, flags: u64) -> SysResult {
    if flags & !u64::from(O_CLOEXEC) != 0 {
        return Err(EINVAL);
    }
    let files = &mut current().files;
    let file = files.get(old)?;
    if new >= NR_OPEN as u64 {
        return Err(EBADF);
    }
    files.install_at(new as usize, file, flags != 0);
    Ok(new)
}

pub fn sys_dup2(a: &Args) -> SysResult {
    if a[0] == a[1] {
        // dup2(fd, fd) only checks that fd is open.
        current().files.get(a[0])?;
        return Ok(a[1]);
    }
    do_dup3(a[0], a[1], 0)
}

pub fn sys_dup3(a: &Args) -> SysResult {
    if a[0] == a[1] {
        return Err(EINVAL);
    }
    do_dup3(a[0], a[1], a[2])
}

const F_DUPFD: u64 = 0;
const F_GETFD: u64 = 1;
const F_SETFD: u64 = 2;
const F_GETFL: u64 = 3;
const F_SETFL: u64 = 4;
const F_GETLK: u64 = 5;
const F_SETLK: u64 = 6;
const F_SETLKW: u64 = 7;
const F_OFD_GETLK: u64 = 36;
const F_OFD_SETLK: u64 = 37;
const F_OFD_SETLKW: u64 = 38;
const F_DUPFD_CLOEXEC: u64 = 1030;
const FD_CLOEXEC: u64 = 1;
const F_SETPIPE_SZ: u64 = 1031;
const F_GETPIPE_SZ: u64 = 1032;

pub fn sys_fcntl(a: &Args) -> SysResult {
    let (fd, cmd, arg) = (a[0], a[1], a[2]);
    let files = &mut current().files;
    let file = files.get(fd)?;
    match cmd {
        F_DUPFD | F_DUPFD_CLOEXEC => {
            if arg >= NR_OPEN as u64 {
                return Err(EINVAL);
            }
            files.install(file, arg as usize, cmd == F_DUPFD_CLOEXEC)
        }
        F_GETFD => Ok(if files.cloexec(fd)? { FD_CLOEXEC } else { 0 }),
        F_SETFD => files.set_cloexec(fd, arg & FD_CLOEXEC != 0),
        F_GETFL => Ok(u64::from(*file.flags.lock())),
        F_SETFL => {
            // Only these status flags can change after open (as on Linux).
            let settable = O_APPEND | O_NONBLOCK | O_NOATIME;
            let mut flags = file.flags.lock();
            *flags = (*flags & !settable) | (arg as u32 & settable);
            Ok(0)
        }
        // Record locks: one process holds every lock it asks for (locks
        // between processes arrive with fork). F_GETLK answers F_UNLCK.
        F_GETLK | F_OFD_GETLK => {
            const F_UNLCK: u16 = 2;
            if file.is_path() {
                return Err(EBADF);
            }
            crate::uaccess::put_user(arg, &F_UNLCK).map(|_| 0)
        }
        F_SETLK | F_SETLKW | F_OFD_SETLK | F_OFD_SETLKW => {
            if file.is_path() {
                return Err(EBADF);
            }
            let _: u16 = crate::uaccess::get_user(arg)?;
            Ok(0)
        }
        F_SETPIPE_SZ => file.ops.pipe_size(Some(arg & 0xffff_ffff)),
        F_GETPIPE_SZ => file.ops.pipe_size(None),
        _ => Err(EINVAL),
    }
}

/// flock(2): granted at once (one process), after the descriptor check.
pub fn sys_flock(a: &Args) -> SysResult {
    const LOCK_SH: u64 = 1;
    const LOCK_EX: u64 = 2;
    const LOCK_NB: u64 = 4;
    const LOCK_UN: u64 = 8;
    let file = current().files.get(a[0])?;
    if file.is_path() {
        return Err(EBADF);
    }
    match a[1] & !LOCK_NB {
        LOCK_SH | LOCK_EX | LOCK_UN => Ok(0),
        _ => Err(EINVAL),
    }
}
