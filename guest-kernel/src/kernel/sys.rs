//! Identity, limits and small per-task settings.

use crate::errno::{EINVAL, EPERM, ESRCH, SysResult};
use crate::syscall::Args;
use crate::task::current;
use crate::uaccess::{copy_from_user, copy_to_user};

/// `struct new_utsname`: six 65-byte fields.
pub fn sys_uname(a: &Args) -> SysResult {
    let fields: [&[u8]; 6] = [
        b"Linux",
        b"lstar",
        b"6.1.0-lstar",
        b"#1 SMP lstar",
        b"x86_64",
        b"(none)",
    ];
    let mut uts = [0u8; 65 * 6];
    for (i, f) in fields.iter().enumerate() {
        uts[i * 65..i * 65 + f.len()].copy_from_slice(f);
    }
    copy_to_user(a[0], &uts).map(|_| 0)
}

pub fn sys_getpid(_: &Args) -> SysResult {
    Ok(u64::from(current().tgid))
}

pub fn sys_gettid(_: &Args) -> SysResult {
    Ok(u64::from(current().pid))
}

/// pid 1's parent is "nobody" (0), as for init.
pub fn sys_getppid(_: &Args) -> SysResult {
    Ok(u64::from(current().ppid))
}

/// Everyone is root inside the sandbox (uid/gid 0), as in a container.
pub fn sys_getuid(_: &Args) -> SysResult {
    Ok(0)
}

pub fn sys_set_tid_address(a: &Args) -> SysResult {
    let task = current();
    task.clear_child_tid = a[0];
    Ok(u64::from(task.pid))
}

/// `struct robust_list_head` is 24 bytes on x86-64.
/// get_robust_list(pid, &head, &len): a task's robust futex list head.
pub fn sys_get_robust_list(a: &Args) -> SysResult {
    let t = task_of(a[0] & 0xffff_ffff)?;
    let (head, len) = t.robust_list;
    crate::uaccess::put_user(a[1], &head)?;
    crate::uaccess::put_user(a[2], &if len == 0 { 24u64 } else { len })?;
    Ok(0)
}

pub fn sys_set_robust_list(a: &Args) -> SysResult {
    if a[1] != 24 {
        return Err(EINVAL);
    }
    current().robust_list = (a[0], a[1]);
    Ok(0)
}

/// The task `pid` names (0: the caller).
fn task_of(pid: u64) -> Result<&'static mut crate::task::Task, crate::errno::Errno> {
    if pid == 0 {
        return Ok(current());
    }
    crate::task::find(pid as u32)
        .filter(|t| t.state != crate::task::TaskState::Zombie || t.ppid != 0)
        .ok_or(ESRCH)
}

pub fn sys_getpgid(a: &Args) -> SysResult {
    Ok(u64::from(task_of(a[0] & 0xffff_ffff)?.pgid))
}

pub fn sys_getsid(a: &Args) -> SysResult {
    Ok(u64::from(task_of(a[0] & 0xffff_ffff)?.sid))
}

pub fn sys_getpgrp(_: &Args) -> SysResult {
    Ok(u64::from(current().pgid))
}

/// setpgid(pid, pgid): the caller or one of its children, into a group of
/// the same session (or a new group named after it), as Linux checks.
pub fn sys_setpgid(a: &Args) -> SysResult {
    let (pid, pgid) = (a[0] as i32, a[1] as i32);
    if pgid < 0 {
        return Err(EINVAL);
    }
    let me = current();
    let (me_pid, me_sid) = (me.pid, me.sid);
    let t = task_of(pid as u64)?;
    if t.pid != me_pid && t.ppid != me_pid {
        return Err(ESRCH);
    }
    if t.sid != me_sid {
        return Err(EPERM);
    }
    if t.pid == t.sid {
        return Err(EPERM);
    }
    let pgid = if pgid == 0 { t.pid } else { pgid as u32 };
    if pgid != t.pid && !crate::task::all().any(|o| o.pgid == pgid && o.sid == me_sid) {
        return Err(EPERM);
    }
    t.pgid = pgid;
    Ok(0)
}

/// A new session and group led by the caller; EPERM for a group leader.
pub fn sys_setsid(_: &Args) -> SysResult {
    let me = current();
    let pid = me.pid;
    if crate::task::all().any(|t| t.pgid == pid) {
        return Err(EPERM);
    }
    me.sid = pid;
    me.pgid = pid;
    Ok(u64::from(pid))
}

const RLIM_INFINITY: u64 = u64::MAX;
const RLIMIT_STACK: u64 = 3;
const RLIMIT_NOFILE: u64 = 7;
const RLIM_NLIMITS: u64 = 16;

fn rlimit(resource: u64) -> (u64, u64) {
    match resource {
        RLIMIT_STACK => (crate::mm::address_space::STACK_SIZE, RLIM_INFINITY),
        RLIMIT_NOFILE => (
            crate::fs::fdtable::NR_OPEN as u64,
            crate::fs::fdtable::NR_OPEN as u64,
        ),
        _ => (RLIM_INFINITY, RLIM_INFINITY),
    }
}

fn rlimit_bytes(resource: u64) -> [u8; 16] {
    let (cur, max) = rlimit(resource);
    let mut b = [0u8; 16];
    b[..8].copy_from_slice(&cur.to_le_bytes());
    b[8..].copy_from_slice(&max.to_le_bytes());
    b
}

/// Limits are fixed: reading works, lowering is accepted, raising above the
/// hard limit is EPERM (the new values are not enforced).
pub fn sys_prlimit64(a: &Args) -> SysResult {
    let (pid, resource, new, old) = (a[0], a[1], a[2], a[3]);
    if pid != 0 && pid != u64::from(current().pid) {
        return Err(ESRCH);
    }
    if resource >= RLIM_NLIMITS {
        return Err(EINVAL);
    }
    if new != 0 {
        let mut b = [0u8; 16];
        copy_from_user(&mut b, new)?;
        let cur = u64::from_le_bytes(b[..8].try_into().map_err(|_| EINVAL)?);
        let max = u64::from_le_bytes(b[8..].try_into().map_err(|_| EINVAL)?);
        if cur > max {
            return Err(EINVAL);
        }
        if max > rlimit(resource).1 {
            return Err(EPERM);
        }
    }
    if old != 0 {
        copy_to_user(old, &rlimit_bytes(resource))?;
    }
    Ok(0)
}

pub fn sys_getrlimit(a: &Args) -> SysResult {
    if a[0] >= RLIM_NLIMITS {
        return Err(EINVAL);
    }
    copy_to_user(a[1], &rlimit_bytes(a[0])).map(|_| 0)
}

/// `struct rusage` (144 bytes) with `cpu_ns` as user time; the other
/// fields (page faults, context switches...) are not counted per task.
pub fn rusage_bytes(cpu_ns: u64) -> [u8; 144] {
    let mut b = [0u8; 144];
    b[0..8].copy_from_slice(&(cpu_ns / 1_000_000_000).to_le_bytes());
    b[8..16].copy_from_slice(&((cpu_ns % 1_000_000_000) / 1000).to_le_bytes());
    b
}

const RUSAGE_SELF: i32 = 0;
const RUSAGE_CHILDREN: i32 = -1;
const RUSAGE_THREAD: i32 = 1;

pub fn sys_getrusage(a: &Args) -> SysResult {
    let t = current();
    let cpu = match a[0] as i32 {
        RUSAGE_SELF | RUSAGE_THREAD => t.cpu_ns(),
        RUSAGE_CHILDREN => t.children_run_ns,
        _ => return Err(EINVAL),
    };
    copy_to_user(a[1], &rusage_bytes(cpu))?;
    Ok(0)
}

/// times(): clock ticks (100 Hz) of the task and its reaped children, and
/// the ticks since boot as the return value.
pub fn sys_times(a: &Args) -> SysResult {
    let t = current();
    let ticks = |ns: u64| ns / 10_000_000;
    if a[0] != 0 {
        let mut b = [0u8; 32];
        b[0..8].copy_from_slice(&ticks(t.cpu_ns()).to_le_bytes());
        b[16..24].copy_from_slice(&ticks(t.children_run_ns).to_le_bytes());
        copy_to_user(a[0], &b)?;
    }
    Ok(ticks(crate::kernel::time::monotonic_ns()))
}

/// sysinfo(): uptime, memory in pages of 4 KiB (mem_unit 4096), tasks.
pub fn sys_sysinfo(a: &Args) -> SysResult {
    let (total, used) = crate::mm::frame::usage();
    let mut b = [0u8; 112];
    let uptime = crate::kernel::time::monotonic_ns() / 1_000_000_000;
    b[0..8].copy_from_slice(&uptime.to_le_bytes());
    b[32..40].copy_from_slice(&total.to_le_bytes());
    b[40..48].copy_from_slice(&total.saturating_sub(used).to_le_bytes());
    b[80..82].copy_from_slice(&(crate::task::count() as u16).to_le_bytes());
    b[104..108].copy_from_slice(&4096u32.to_le_bytes());
    copy_to_user(a[0], &b)?;
    Ok(0)
}
