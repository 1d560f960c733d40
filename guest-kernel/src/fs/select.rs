//! poll, ppoll, select and pselect6 over the readiness every file reports
//! (`FileOps::poll`). A call that finds nothing ready sleeps on one wait
//! queue that every readiness change wakes ([`poll_wake`]: pipe activity,
//! console input), re-scans, and gives up at its deadline. Regular files
//! and devices are always ready, as on Linux.

use alloc::vec::Vec;

use super::file::{POLLIN, POLLOUT};
use crate::errno::{EINVAL, Errno, SysResult};
use core::sync::atomic::{AtomicU64, Ordering};

use crate::errno::EINTR;
use crate::kernel::time::{monotonic_ns, read_timespec};
use crate::kernel::wait::WaitQueue;
use crate::syscall::Args;
use crate::task::current;
use crate::uaccess::{get_user, put_user, user_slice_mut};

const POLLPRI: u16 = 0x2;
const POLLERR: u16 = 0x8;
const POLLHUP: u16 = 0x10;
const POLLNVAL: u16 = 0x20;

/// Readiness of `fd` for `events` (POLLERR and POLLHUP always count).
fn poll_fd(fd: i32, events: u16) -> u16 {
    if fd < 0 {
        return 0;
    }
    match current().files.get(fd as u64) {
        Ok(file) if file.is_path() => POLLNVAL,
        Ok(file) => file.ops.poll(&file) & (events | POLLERR | POLLHUP),
        Err(_) => POLLNVAL,
    }
}

static POLL_WAIT: WaitQueue = WaitQueue::new();
static POLL_EVENTS: AtomicU64 = AtomicU64::new(0);

/// How many readiness changes there have been (epoll compares them).
pub fn poll_events() -> u64 {
    POLL_EVENTS.load(Ordering::Relaxed)
}

/// Something may have become ready: pollers re-scan.
pub fn poll_wake() {
    POLL_EVENTS.fetch_add(1, Ordering::Relaxed);
    POLL_WAIT.wake_up();
}

/// Sleeps until a readiness change after `seen`, or `deadline`: Ok(false)
/// at the deadline; a signal gives EINTR (poll and select are never
/// restarted, as on Linux).
pub fn wait_for_events(seen: u64, deadline: Option<u64>) -> Result<bool, Errno> {
    POLL_WAIT
        .wait_event_until(
            &mut || POLL_EVENTS.load(Ordering::Relaxed) != seen,
            deadline,
        )
        .map_err(|_| EINTR)
}

fn do_poll(fds: u64, nfds: u64, deadline: Option<u64>) -> SysResult {
    if nfds > crate::fs::fdtable::NR_OPEN as u64 {
        return Err(EINVAL);
    }
    let raw = user_slice_mut(fds, nfds * 8)?;
    loop {
        let seen = POLL_EVENTS.load(Ordering::Relaxed);
        let mut ready = 0u64;
        for entry in raw.chunks_exact_mut(8) {
            let fd = i32::from_le_bytes([entry[0], entry[1], entry[2], entry[3]]);
            let events = u16::from_le_bytes([entry[4], entry[5]]);
            let revents = poll_fd(fd, events);
            entry[6..8].copy_from_slice(&revents.to_le_bytes());
            if revents != 0 {
                ready += 1;
            }
        }
        if ready > 0 || deadline == Some(0) || !wait_for_events(seen, deadline)? {
            return Ok(ready);
        }
    }
}

fn deadline_ms(timeout: i32) -> Option<u64> {
    (timeout >= 0).then(|| monotonic_ns().saturating_add(timeout as u64 * 1_000_000))
}

pub fn sys_poll(a: &Args) -> SysResult {
    do_poll(a[0], a[1], deadline_ms(a[2] as i32))
}

/// ppoll(fds, nfds, timeout, sigmask, sigsetsize): the mask changes
/// nothing while no signal can arrive during the wait.
pub fn sys_ppoll(a: &Args) -> SysResult {
    let deadline = match a[2] {
        0 => None,
        t => Some(monotonic_ns().saturating_add(read_timespec(t)?)),
    };
    do_poll(a[0], a[1], deadline)
}

/// select over three fd_set bitmaps of `n` bits.
fn do_select(n: u64, sets: [u64; 3], deadline: Option<u64>) -> SysResult {
    if n > crate::fs::fdtable::NR_OPEN as u64 {
        return Err(EINVAL);
    }
    let bytes = n.div_ceil(64) * 8;
    let mut maps: Vec<Option<&mut [u8]>> = Vec::with_capacity(3);
    for &set in &sets {
        maps.push(if set == 0 {
            None
        } else {
            Some(user_slice_mut(set, bytes)?)
        });
    }
    let wanted = [POLLIN | POLLHUP | POLLERR, POLLOUT | POLLERR, POLLPRI];
    let mut out: [Vec<u8>; 3] = [
        alloc::vec![0; bytes as usize],
        alloc::vec![0; bytes as usize],
        alloc::vec![0; bytes as usize],
    ];
    let mut ready;
    loop {
        let seen = POLL_EVENTS.load(Ordering::Relaxed);
        ready = 0u64;
        for fd in 0..n as usize {
            let bit = |m: &Option<&mut [u8]>| {
                m.as_ref().is_some_and(|m| m[fd / 8] & (1 << (fd % 8)) != 0)
            };
            let asked: Vec<bool> = maps.iter().map(bit).collect();
            if !asked.iter().any(|&b| b) {
                continue;
            }
            let r = poll_fd(fd as i32, POLLIN | POLLOUT | POLLPRI);
            if r & POLLNVAL != 0 {
                return Err(crate::errno::EBADF);
            }
            for k in 0..3 {
                if asked[k] && r & wanted[k] != 0 {
                    out[k][fd / 8] |= 1 << (fd % 8);
                    ready += 1;
                }
            }
        }
        if ready > 0 || deadline == Some(0) || !wait_for_events(seen, deadline)? {
            break;
        }
    }
    for (map, res) in maps.iter_mut().zip(out.iter()) {
        if let Some(m) = map {
            m.copy_from_slice(res);
        }
    }
    Ok(ready)
}

/// select(n, r, w, e, timeval*): the timeval is left with the time not
/// slept (all of it when something was ready, 0 otherwise).
pub fn sys_select(a: &Args) -> SysResult {
    let deadline = match a[4] {
        0 => None,
        t => {
            let tv: [u64; 2] = get_user(t)?;
            if (tv[0] as i64) < 0 || tv[1] >= 1_000_000 {
                return Err(EINVAL);
            }
            let ns = tv[0]
                .saturating_mul(1_000_000_000)
                .saturating_add(tv[1] * 1000);
            Some(if ns == 0 {
                0
            } else {
                monotonic_ns().saturating_add(ns)
            })
        }
    };
    let n = do_select(a[0], [a[1], a[2], a[3]], deadline)?;
    if a[4] != 0 && n == 0 {
        put_user(a[4], &[0u64; 2])?;
    }
    Ok(n)
}

/// pselect6(n, r, w, e, timespec*, sigmask): as select.
pub fn sys_pselect6(a: &Args) -> SysResult {
    let deadline = match a[4] {
        0 => None,
        t => {
            let ns = read_timespec(t)?;
            Some(if ns == 0 {
                0
            } else {
                monotonic_ns().saturating_add(ns)
            })
        }
    };
    do_select(a[0], [a[1], a[2], a[3]], deadline)
}
