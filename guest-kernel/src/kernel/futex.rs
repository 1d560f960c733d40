//! Futexes (Linux's kernel/futex/): user-space locks enter the kernel only
//! on contention, to sleep on a word's address until another thread wakes
//! it. A waiter is keyed by its address space and address (private
//! futexes) or by the physical address of the word (shared ones, which
//! other processes may map elsewhere).

use alloc::vec::Vec;

use spin::Mutex;

use crate::errno::{EAGAIN, EFAULT, EINVAL, ENOSYS, ERESTARTSYS, Errno, SysResult};
use crate::kernel::sched;
use crate::kernel::time::monotonic_ns;
use crate::syscall::Args;
use crate::task::{Pid, current};
use crate::uaccess::{get_user, put_user};

const FUTEX_WAIT: u64 = 0;
const FUTEX_WAKE: u64 = 1;
const FUTEX_REQUEUE: u64 = 3;
const FUTEX_CMP_REQUEUE: u64 = 4;
const FUTEX_WAKE_OP: u64 = 5;
const FUTEX_WAIT_BITSET: u64 = 9;
const FUTEX_WAKE_BITSET: u64 = 10;
const FUTEX_PRIVATE_FLAG: u64 = 128;
const FUTEX_CLOCK_REALTIME: u64 = 256;
const FUTEX_BITSET_MATCH_ANY: u32 = u32::MAX;
const ETIMEDOUT: Errno = Errno(110);

/// Which word a waiter sleeps on.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Key {
    /// (page-table root of the address space, user address).
    Private(u64, u64),
    /// Physical address of the word.
    Shared(u64),
}

struct Waiter {
    key: Key,
    bitset: u32,
    pid: Pid,
    woken: bool,
}

static WAITERS: Mutex<Vec<Waiter>> = Mutex::new(Vec::new());

fn key_of(uaddr: u64, private: bool) -> Result<Key, Errno> {
    if !uaddr.is_multiple_of(4) {
        return Err(EINVAL);
    }
    let mm = &mut current().mm;
    if private {
        return Ok(Key::Private(mm.pml4, uaddr));
    }
    if !mm.ensure_user_range(uaddr, 4, false) {
        return Err(EFAULT);
    }
    crate::mm::virt_to_phys(uaddr)
        .map(Key::Shared)
        .ok_or(EFAULT)
}

/// Wakes up to `n` waiters on `key` whose bitset meets `bitset`.
fn wake(key: Key, n: u64, bitset: u32) -> u64 {
    let mut woken = 0;
    let mut pids = Vec::new();
    {
        let mut w = WAITERS.lock();
        for waiter in w.iter_mut() {
            if woken >= n {
                break;
            }
            if waiter.key == key && !waiter.woken && waiter.bitset & bitset != 0 {
                waiter.woken = true;
                pids.push(waiter.pid);
                woken += 1;
            }
        }
    }
    for pid in pids {
        sched::wake_up(pid);
    }
    woken
}

/// Wakes one waiter on `uaddr` in the current address space (thread exit:
/// CLONE_CHILD_CLEARTID, robust lists).
pub fn wake_one(uaddr: u64) {
    if let Ok(k) = key_of(uaddr, true) {
        wake(k, 1, FUTEX_BITSET_MATCH_ANY);
    }
    if let Ok(k) = key_of(uaddr, false) {
        wake(k, 1, FUTEX_BITSET_MATCH_ANY);
    }
}

/// FUTEX_WAIT: sleeps while *uaddr == val, until woken, `deadline`
/// (monotonic ns) or a signal.
fn wait(uaddr: u64, val: u32, deadline: Option<u64>, bitset: u32, private: bool) -> SysResult {
    if bitset == 0 {
        return Err(EINVAL);
    }
    let key = key_of(uaddr, private)?;
    let now: u32 = get_user(uaddr)?;
    if now != val {
        return Err(EAGAIN);
    }
    let pid = current().pid;
    WAITERS.lock().push(Waiter {
        key,
        bitset,
        pid,
        woken: false,
    });
    let result = loop {
        // By pid alone: a task waits on one futex at a time, and a requeue
        // may have moved its entry to another word.
        let woken = WAITERS.lock().iter().any(|w| w.pid == pid && w.woken);
        if woken {
            break Ok(0);
        }
        if sched::signal_pending() {
            break Err(ERESTARTSYS);
        }
        if deadline.is_some_and(|d| monotonic_ns() >= d) {
            break Err(ETIMEDOUT);
        }
        sched::sleep(deadline);
    };
    WAITERS.lock().retain(|w| w.pid != pid);
    result
}

/// A relative timeout (FUTEX_WAIT) or an absolute one (the BITSET ops),
/// on CLOCK_MONOTONIC or, with FUTEX_CLOCK_REALTIME, CLOCK_REALTIME; as a
/// monotonic deadline.
fn deadline(timeout: u64, absolute: bool, realtime: bool) -> Result<Option<u64>, Errno> {
    if timeout == 0 {
        return Ok(None);
    }
    let ns = crate::kernel::time::read_timespec(timeout)?;
    let now = monotonic_ns();
    Ok(Some(if !absolute {
        now.saturating_add(ns)
    } else if realtime {
        now.saturating_add(ns.saturating_sub(crate::kernel::time::realtime_ns()))
    } else {
        ns
    }))
}

/// FUTEX_WAKE_OP's operation on the second word; returns its old value.
fn wake_op_update(uaddr2: u64, op: u32) -> Result<u32, Errno> {
    let old: u32 = get_user(uaddr2)?;
    let mut oparg = (op >> 12) & 0xfff;
    if (op >> 28) & 8 != 0 {
        oparg = 1u32.checked_shl(oparg).unwrap_or(0);
    }
    let new = match (op >> 28) & 7 {
        0 => oparg,
        1 => old.wrapping_add(oparg),
        2 => old | oparg,
        3 => old & !oparg,
        4 => old ^ oparg,
        _ => return Err(ENOSYS),
    };
    put_user(uaddr2, &new)?;
    Ok(old)
}

fn wake_op_cmp(old: u32, op: u32) -> Result<bool, Errno> {
    let cmparg = op & 0xfff;
    // Linux sign-extends the 12-bit comparison argument.
    let cmparg = ((cmparg << 20) as i32 >> 20) as u32;
    let (a, b) = (old as i32, cmparg as i32);
    Ok(match (op >> 24) & 15 {
        0 => a == b,
        1 => a != b,
        2 => a < b,
        3 => a <= b,
        4 => a > b,
        5 => a >= b,
        _ => return Err(ENOSYS),
    })
}

/// Moves up to `n` waiters from `from` to `to`.
fn requeue(from: Key, to: Key, n: u64) -> u64 {
    let mut moved = 0;
    for w in WAITERS.lock().iter_mut() {
        if moved >= n {
            break;
        }
        if w.key == from && !w.woken {
            w.key = to;
            moved += 1;
        }
    }
    moved
}

pub fn sys_futex(a: &Args) -> SysResult {
    let (uaddr, op, val, timeout, uaddr2, val3) = (a[0], a[1], a[2], a[3], a[4], a[5]);
    let private = op & FUTEX_PRIVATE_FLAG != 0;
    let realtime = op & FUTEX_CLOCK_REALTIME != 0;
    let cmd = op & !(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME);
    if realtime && cmd != FUTEX_WAIT_BITSET && cmd != FUTEX_WAIT {
        return Err(ENOSYS);
    }
    match cmd {
        FUTEX_WAIT => wait(
            uaddr,
            val as u32,
            deadline(timeout, false, false)?,
            FUTEX_BITSET_MATCH_ANY,
            private,
        ),
        FUTEX_WAIT_BITSET => wait(
            uaddr,
            val as u32,
            deadline(timeout, true, realtime)?,
            val3 as u32,
            private,
        ),
        FUTEX_WAKE => Ok(wake(key_of(uaddr, private)?, val, FUTEX_BITSET_MATCH_ANY)),
        FUTEX_WAKE_BITSET => {
            if val3 as u32 == 0 {
                return Err(EINVAL);
            }
            Ok(wake(key_of(uaddr, private)?, val, val3 as u32))
        }
        FUTEX_REQUEUE | FUTEX_CMP_REQUEUE => {
            let (from, to) = (key_of(uaddr, private)?, key_of(uaddr2, private)?);
            if cmd == FUTEX_CMP_REQUEUE {
                let now: u32 = get_user(uaddr)?;
                if now != val3 as u32 {
                    return Err(EAGAIN);
                }
            }
            // val wakes, the timeout argument is the requeue count.
            let woken = wake(from, val, FUTEX_BITSET_MATCH_ANY);
            let moved = requeue(from, to, timeout & 0xffff_ffff);
            Ok(woken + moved)
        }
        FUTEX_WAKE_OP => {
            let (k1, k2) = (key_of(uaddr, private)?, key_of(uaddr2, private)?);
            let old = wake_op_update(uaddr2, val3 as u32)?;
            let mut n = wake(k1, val, FUTEX_BITSET_MATCH_ANY);
            if wake_op_cmp(old, val3 as u32)? {
                n += wake(k2, timeout & 0xffff_ffff, FUTEX_BITSET_MATCH_ANY);
            }
            Ok(n)
        }
        _ => Err(ENOSYS),
    }
}

const FUTEX_OWNER_DIED: u32 = 0x4000_0000;
const FUTEX_WAITERS: u32 = 0x8000_0000;
const FUTEX_TID_MASK: u32 = 0x3fff_ffff;
/// Linux's ROBUST_LIST_LIMIT: a corrupt (circular) list ends here.
const ROBUST_LIST_LIMIT: usize = 2048;

/// A thread's exit with robust futexes held (Linux's exit_robust_list):
/// each lock word the list names and this thread owns gets OWNER_DIED,
/// and a waiter is woken to take it over.
pub fn exit_robust_list(head: u64) {
    let tid = current().pid;
    let Ok(first) = get_user::<u64>(head) else {
        return;
    };
    let Ok(offset) = get_user::<u64>(head + 8) else {
        return;
    };
    let pending = get_user::<u64>(head + 16).unwrap_or(0);
    let mut entry = first;
    let handle = |e: u64| {
        let word = (e & !1).wrapping_add(offset);
        if let Ok(v) = get_user::<u32>(word)
            && v & FUTEX_TID_MASK == tid
        {
            let _ = put_user(word, &((v & FUTEX_WAITERS) | FUTEX_OWNER_DIED));
            if v & FUTEX_WAITERS != 0 {
                wake_one(word);
            }
        }
    };
    for _ in 0..ROBUST_LIST_LIMIT {
        if entry == head || entry == 0 {
            break;
        }
        if entry != pending {
            handle(entry);
        }
        match get_user::<u64>(entry & !1) {
            Ok(next) => entry = next,
            Err(_) => break,
        }
    }
    if pending != 0 {
        handle(pending);
    }
}
