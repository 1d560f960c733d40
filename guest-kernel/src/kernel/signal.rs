//! Signal dispositions and masks are recorded; nothing is delivered to a
//! handler yet. A signal the program sends itself (abort, raise) takes its
//! default action: ignored, or the program ends with 128 + signal.

use crate::errno::{EINVAL, ESRCH, SysResult};
use crate::syscall::Args;
use alloc::vec::Vec;

use crate::arch::pt_regs::PtRegs;
use crate::task::{self, NSIG, Pid, SigAction, Task, TaskState, current};
use crate::uaccess::{copy_from_user, copy_to_user, get_user, put_user};

const SIGKILL: u64 = 9;
const SIGSTOP: u64 = 19;
const SIG_DFL: u64 = 0;
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

fn stops_by_default(sig: u64) -> bool {
    matches!(sig, 19..=22) // SIGSTOP SIGTSTP SIGTTIN SIGTTOU
}

const SIGCONT: u32 = 18;

/// Whether `t` has an unblocked signal pending.
pub fn signal_pending(t: &Task) -> bool {
    t.sigpending & !t.sigmask != 0
}

/// Queues `sig` on `t` and wakes it from an interruptible sleep; SIGKILL
/// and SIGCONT also continue a stopped task.
pub fn send_signal_from_kernel(t: &mut Task, sig: u32) {
    if sig == 0 || sig as usize > NSIG || t.state == TaskState::Zombie {
        return;
    }
    let action = t.sigaction(sig);
    if sig != SIGKILL as u32 && action.handler == SIG_IGN {
        return;
    }
    if sig == SIGCONT || sig == SIGKILL as u32 {
        // Pending stop signals are dropped by SIGCONT, as on Linux.
        if sig == SIGCONT {
            t.sigpending &= !(0xf << 18);
        }
        if t.state == TaskState::Stopped {
            crate::kernel::sched::make_runnable(t);
            if let Some(parent) = task::find(t.ppid) {
                parent.wait_chld.wake_up();
            }
        }
    }
    t.sigpending |= 1 << (sig - 1);
    if t.sigpending & !t.sigmask & (1 << (sig - 1)) != 0 {
        crate::kernel::sched::wake_up(t.pid);
    }
}

/// Acts on pending signals on the way back to user mode. Handlers are not
/// run yet (signal frames come with signal delivery): a caught signal is
/// consumed as if ignored. Default actions terminate, stop or ignore.
pub fn do_signal(regs: &mut PtRegs) {
    loop {
        let t = current();
        let deliverable = t.sigpending & !t.sigmask;
        if deliverable == 0 {
            break;
        }
        let sig = u64::from(deliverable.trailing_zeros()) + 1;
        t.sigpending &= !(1 << (sig - 1));
        let action = t.sigaction(sig as u32);
        if sig != SIGKILL && action.handler != SIG_DFL {
            continue;
        }
        if ignored_by_default(sig) {
            continue;
        }
        if stops_by_default(sig) {
            crate::exit::do_stop(sig as u32);
            continue;
        }
        crate::exit::do_exit_signal(sig as u32);
    }
    restart_syscall(regs);
}

/// A system call interrupted by a signal that ran no handler starts over
/// (rip back over the 2-byte `syscall` or `int $0x80`, rax = orig_rax).
fn restart_syscall(regs: &mut PtRegs) {
    let from_syscall = regs.vector == crate::arch::pt_regs::VECTOR_SYSCALL
        || regs.vector == 0x80
        || regs.vector == 6;
    if from_syscall && is_restart(regs.rax) {
        regs.rax = regs.error_code;
        regs.rip -= 2;
    }
}

fn is_restart(rax: u64) -> bool {
    let e = -(rax as i64);
    matches!(e, 512..=514 | 516)
}

/// The tasks `pid` names for kill(2): one, a process group, or all.
fn kill_targets(pid: i64) -> Vec<Pid> {
    let me = current();
    let (me_pid, me_pgid) = (me.pid, me.pgid);
    task::all()
        .filter(|t| t.state != TaskState::Zombie)
        .filter(|t| match pid {
            p if p > 0 => t.tgid == p as Pid,
            0 => t.pgid == me_pgid,
            -1 => t.pid > 1 && t.pid != me_pid,
            p => t.pgid == (-p) as Pid,
        })
        .map(|t| t.pid)
        .collect()
}

fn kill(pid: i64, sig: u64) -> SysResult {
    if sig > NSIG as u64 {
        return Err(EINVAL);
    }
    let targets = kill_targets(pid);
    if targets.is_empty() {
        return Err(ESRCH);
    }
    for p in targets {
        if let Some(t) = task::find(p) {
            send_signal_from_kernel(t, sig as u32);
        }
    }
    Ok(0)
}

pub fn sys_kill(a: &Args) -> SysResult {
    kill(a[0] as i32 as i64, a[1])
}

pub fn sys_tkill(a: &Args) -> SysResult {
    if (a[0] as i32) <= 0 {
        return Err(EINVAL);
    }
    kill(i64::from(a[0] as i32), a[1])
}

pub fn sys_tgkill(a: &Args) -> SysResult {
    if (a[0] as i32) <= 0 || (a[1] as i32) <= 0 {
        return Err(EINVAL);
    }
    match task::find(a[1] as Pid) {
        Some(t) if t.tgid == a[0] as Pid => kill(i64::from(a[1] as i32), a[2]),
        _ => Err(ESRCH),
    }
}
