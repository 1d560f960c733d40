//! ioctl: a console stream that is a terminal on the host answers as one
//! (TCGETS, TIOCGWINSZ, ...); everything else is ENOTTY, as on Linux.

use crate::errno::{ENOTTY, SysResult};
use crate::syscall::Args;
use crate::task::current;
use crate::uaccess::{copy_to_user, put_user};

const TCGETS: u64 = 0x5401;
const TCSETS: u64 = 0x5402;
const TCSETSW: u64 = 0x5403;
const TCSETSF: u64 = 0x5404;
const TIOCGPGRP: u64 = 0x540f;
const TIOCGWINSZ: u64 = 0x5413;
/// Block devices: size in bytes (u64) and logical sector size (int).
const BLKGETSIZE64: u64 = 0x8008_1272;
const BLKSSZGET: u64 = 0x1268;

/// A plausible `struct termios` (36 bytes on x86-64) for a serial console:
/// ICRNL | IXON, OPOST | ONLCR, B38400 | CS8 | CREAD | HUPCL, ISIG | ICANON |
/// ECHO | ECHOE | ECHOK | IEXTEN | ECHOCTL | ECHOKE, the usual control chars.
fn termios() -> [u8; 36] {
    let mut t = [0u8; 36];
    t[0..4].copy_from_slice(&0o2400u32.to_le_bytes()); // c_iflag
    t[4..8].copy_from_slice(&0o5u32.to_le_bytes()); // c_oflag
    t[8..12].copy_from_slice(&0o2277u32.to_le_bytes()); // c_cflag
    t[12..16].copy_from_slice(&0o105073u32.to_le_bytes()); // c_lflag
    // c_line = 0, then c_cc: INTR QUIT ERASE KILL EOF TIME MIN ...
    let cc = [3u8, 28, 127, 21, 4, 0, 1, 0, 17, 19, 26, 0, 18, 15, 23, 22];
    t[17..17 + cc.len()].copy_from_slice(&cc);
    t
}

/// Generic descriptor ioctls, answered for every file (Linux's do_vfs_ioctl).
const FIONCLEX: u64 = 0x5450;
const FIOCLEX: u64 = 0x5451;
const FIONBIO: u64 = 0x5421;

pub fn sys_ioctl(a: &Args) -> SysResult {
    let (fd, request, arg) = (a[0], a[1], a[2]);
    let files = &mut current().files;
    let file = files.get(fd)?;
    if file.is_path() {
        return Err(crate::errno::EBADF);
    }
    match request & 0xffff_ffff {
        FIOCLEX => files.set_cloexec(fd, true),
        FIONCLEX => files.set_cloexec(fd, false),
        FIONBIO => {
            let on: u32 = crate::uaccess::get_user(arg)?;
            let mut flags = file.flags.lock();
            if on != 0 {
                *flags |= crate::fs::file::O_NONBLOCK;
            } else {
                *flags &= !crate::fs::file::O_NONBLOCK;
            }
            Ok(0)
        }
        _ => file.ops.ioctl(&file, request, arg),
    }
}

/// Block devices: BLKGETSIZE64 and BLKSSZGET.
pub fn blkdev_ioctl(request: u64, arg: u64) -> SysResult {
    match request & 0xffff_ffff {
        BLKGETSIZE64 => {
            let size = crate::fs::page_cache::geometry().map_or(0, |(s, _)| s);
            put_user(arg, &size).map(|_| 0)
        }
        BLKSSZGET => put_user(arg, &512u32).map(|_| 0),
        _ => Err(ENOTTY),
    }
}

/// A console that is a terminal on the host.
pub fn tty_ioctl(request: u64, arg: u64) -> SysResult {
    match request & 0xffff_ffff {
        TCGETS => copy_to_user(arg, &termios()).map(|_| 0),
        // Settings are accepted and have no effect on a serial line here.
        TCSETS | TCSETSW | TCSETSF => Ok(0),
        TIOCGWINSZ => {
            // struct winsize: rows, cols, xpixel, ypixel (u16 each).
            let (rows, cols) = crate::console::winsize();
            let winsize = u64::from(rows) | (u64::from(cols) << 16);
            put_user(arg, &winsize).map(|_| 0)
        }
        TIOCGPGRP => put_user(arg, &current().pid).map(|_| 0),
        _ => Err(ENOTTY),
    }
}
