//! Signal dispositions and masks are recorded; nothing is delivered to a
//! handler yet. A signal the program sends itself (abort, raise) takes its
//! default action: ignored, or the program ends with 128 + signal.

use crate::errno::{EINVAL, ESRCH, SysResult};
use crate::syscall::Args;
use crate::task::{NSIG, SigAction, current};
use crate::uaccess::{copy_from_user, copy_to_user, get_user, put_user};

const SIGKILL: u64 = 9;
const SIGSTOP: u64 = 19;
const SIG_IGN: u64 = 1;
const SIGSET_SIZE: u64 = 8;
const SIG_BLOCK: u64 = 0;
const SIG_UNBLOCK: u64 = 1;
const SIG_SETMASK: u64 = 2;
/// SIGKILL and SIGSTOP can be neither caught nor blocked.
const UNBLOCKABLE: u64 = (1 << (SIGKILL - 1)) | (1 << (SIGSTOP - 1));

fn action_bytes(act: &SigAction) -> [u8; 32] {
    let mut b = [0u8; 32];
    b[..8].copy_from_slice(&act.handler.to_le_bytes());
    b[8..16].copy_from_slice(&act.flags.to_le_bytes());
    b[16..24].copy_from_slice(&act.restorer.to_le_bytes());
    b[24..].copy_from_slice(&act.mask.to_le_bytes());
    b
}

pub fn sys_rt_sigaction(a: &Args) -> SysResult {
    let (sig, act, oact, sigsetsize) = (a[0], a[1], a[2], a[3]);
    if sigsetsize != SIGSET_SIZE || sig == 0 || sig > NSIG as u64 {
        return Err(EINVAL);
    }
    if act != 0 && (sig == SIGKILL || sig == SIGSTOP) {
        return Err(EINVAL);
    }
    let new = if act != 0 {
        let mut b = [0u8; 32];
        copy_from_user(&mut b, act)?;
        let word = |i: usize| {
            u64::from_le_bytes([
                b[i],
                b[i + 1],
                b[i + 2],
                b[i + 3],
                b[i + 4],
                b[i + 5],
                b[i + 6],
                b[i + 7],
            ])
        };
        Some(SigAction {
            handler: word(0),
            flags: word(8),
            restorer: word(16),
            mask: word(24) & !UNBLOCKABLE,
        })
    } else {
        None
    };
    let task = current();
    if oact != 0 {
        copy_to_user(oact, &action_bytes(&task.sigaction(sig as u32)))?;
    }
    if let Some(new) = new {
        task.set_sigaction(sig as u32, new);
    }
    Ok(0)
}

pub fn sys_rt_sigprocmask(a: &Args) -> SysResult {
    let (how, set, oset, sigsetsize) = (a[0], a[1], a[2], a[3]);
    if sigsetsize != SIGSET_SIZE {
        return Err(EINVAL);
    }
    let task = current();
    let old = task.sigmask;
    if set != 0 {
        let set: u64 = get_user(set)?;
        task.sigmask = match how {
            SIG_BLOCK => old | set,
            SIG_UNBLOCK => old & !set,
            SIG_SETMASK => set,
            _ => return Err(EINVAL),
        } & !UNBLOCKABLE;
    }
    if oset != 0 {
        put_user(oset, &old)?;
    }
    Ok(0)
}

const SS_DISABLE: u32 = 2;

pub fn sys_sigaltstack(a: &Args) -> SysResult {
    // No delivery means no alternate stack is ever used; report none.
    if a[1] != 0 {
        let mut old = [0u8; 24];
        old[8..12].copy_from_slice(&SS_DISABLE.to_le_bytes());
        copy_to_user(a[1], &old)?;
    }
    Ok(0)
}

/// Signals whose default action is to do nothing.
fn ignored_by_default(sig: u64) -> bool {
    matches!(sig, 17 | 18 | 23 | 28) // SIGCHLD SIGCONT SIGURG SIGWINCH
}

fn send_self(sig: u64) -> SysResult {
    if sig > NSIG as u64 {
        return Err(EINVAL);
    }
    if sig == 0 {
        return Ok(0);
    }
    let task = current();
    let action = task.sigaction(sig as u32);
    if sig != SIGKILL && (action.handler == SIG_IGN || ignored_by_default(sig)) {
        return Ok(0);
    }
    crate::warn!(
        "{}: killed by signal {sig}",
        core::str::from_utf8(&task.comm).unwrap_or("?")
    );
    crate::exit::do_exit(128 + sig as u32)
}

fn is_self(pid: u64) -> bool {
    pid as i64 == i64::from(current().pid) || pid == 0 || pid as i64 == -1
}

pub fn sys_kill(a: &Args) -> SysResult {
    if !is_self(a[0]) {
        return Err(ESRCH);
    }
    send_self(a[1])
}

pub fn sys_tkill(a: &Args) -> SysResult {
    if a[0] != u64::from(current().pid) {
        return Err(if (a[0] as i64) <= 0 { EINVAL } else { ESRCH });
    }
    send_self(a[1])
}

pub fn sys_tgkill(a: &Args) -> SysResult {
    if a[0] != u64::from(current().pid) || a[1] != u64::from(current().pid) {
        return Err(if (a[0] as i64) <= 0 || (a[1] as i64) <= 0 {
            EINVAL
        } else {
            ESRCH
        });
    }
    send_self(a[2])
}
