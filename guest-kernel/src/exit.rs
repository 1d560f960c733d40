//! Ending a task (Linux's kernel/exit.c): do_exit, stopping, and the
//! parent's side, wait4 and waitid. A task that exits becomes a zombie
//! holding its wait status until its parent reaps it; its children go to
//! pid 1, as Linux gives orphans to init. When pid 1 ends, the machine
//! does, with its status.

use crate::arch::port::outl;
use crate::errno::{ECHILD, EINVAL, Errno, SysResult};
use crate::fs::fdtable::FdTable;
use crate::mm::address_space::AddressSpace;
use crate::syscall::Args;
use crate::task::{self, Pid, Shared, Task, TaskState, current};
use crate::uaccess::{copy_to_user, put_user};

const SIGCHLD: u32 = 17;
const SA_NOCLDSTOP: u64 = 1;
const SA_NOCLDWAIT: u64 = 2;
const SIG_IGN: u64 = 1;

const WNOHANG: u64 = 1;
const WUNTRACED: u64 = 2;
const WSTOPPED: u64 = 2;
const WEXITED: u64 = 4;
const WCONTINUED: u64 = 8;
const WNOWAIT: u64 = 0x0100_0000;
const WNOTHREAD: u64 = 0x2000_0000;
const WALL: u64 = 0x4000_0000;
const WCLONE: u64 = 0x8000_0000;

/// Linux's `do_exit` for exit(code).
pub fn do_exit(code: u32) -> ! {
    do_exit_status((code & 0xff) << 8)
}

/// A signal's default action ends the whole process (every thread).
fn group_exit_by_signal(sig: u32) -> ! {
    do_group_exit(sig & 0x7f)
}

/// The default action of a terminating signal.
pub fn do_exit_signal(sig: u32) -> ! {
    let t = current();
    if t.pid == 1 {
        crate::warn!("{}: killed by signal {sig}", t.comm_str());
    } else {
        crate::info!("{} (pid {}): killed by signal {sig}", t.comm_str(), t.pid);
    }
    exit_by_signal(sig)
}

/// Ends the task killed by `sig` without a report (the caller made one).
pub fn exit_by_signal(sig: u32) -> ! {
    // SIGQUIT, SIGILL, SIGTRAP, SIGABRT, SIGBUS, SIGFPE, SIGSEGV, SIGXCPU,
    // SIGXFSZ, SIGSYS dump core on Linux; no core is written here, and the
    // status says so (no 0x80 "core dumped" bit).
    group_exit_by_signal(sig)
}

/// Gives back what the task holds: mappings, then descriptors (each last
/// reference queues its release, which writes data back, as task work),
/// then runs that work now.
fn exit_mm_and_files(t: &mut Task) {
    if t.pid == 1 && task::count() == 1 {
        // The machine stops next: nothing needs the memory back.
        t.mm.abandon();
    }
    let mm = core::mem::replace(&mut t.mm, Shared::new(AddressSpace::kernel_only()));
    if core::ptr::eq(t, current()) {
        crate::mm::paging::load_cr3(crate::mm::address_space::kernel_pml4());
    }
    drop(mm);
    let files = core::mem::replace(&mut t.files, Shared::new(FdTable::default()));
    // The releases' writebacks are the exit's (counted so).
    crate::fs::writeback::at_exit(move || {
        let mut files = files;
        if !files.is_shared() {
            files.close_all();
        }
        drop(files);
        crate::task_work::task_work_run();
    });
}

/// What a thread leaves for others on its way out: CLONE_CHILD_CLEARTID's
/// word is zeroed and its futex woken (pthread_join waits on it), robust
/// futexes it held are marked OWNER_DIED. Only when the address space
/// lives on (other threads, a vfork parent), as Linux's mm_release.
fn exit_thread_words(t: &mut Task) {
    if !t.mm.is_shared() {
        return;
    }
    if t.robust_list.0 != 0 {
        crate::kernel::futex::exit_robust_list(t.robust_list.0);
    }
    if t.clear_child_tid != 0 {
        let _ = put_user(t.clear_child_tid, &0u32);
        crate::kernel::futex::wake_one(t.clear_child_tid);
    }
}

fn do_exit_status(status: u32) -> ! {
    let t = current();
    let status = t.group_exit.unwrap_or(status);
    exit_thread_words(t);
    release_vfork_parent(t);
    exit_mm_and_files(t);
    t.exit_status = status;
    t.alarm_at = None;
    let pid = t.pid;
    if !task::other_threads(t).is_empty() {
        // Not the group's last thread: a thread other than the leader goes
        // at once; the leader stays a zombie until the group is done.
        t.state = TaskState::Zombie;
        crate::stats::publish_task(t);
        if !t.is_group_leader() {
            crate::kernel::sched::release_after_switch(pid);
        }
        loop {
            crate::kernel::sched::schedule();
        }
    }
    // The last thread: the process ends. Its status is the leader's.
    let tgid = t.tgid;
    if !t.is_group_leader() {
        t.state = TaskState::Zombie;
        crate::stats::publish_task(t);
        crate::kernel::sched::release_after_switch(pid);
    }
    let Some(leader) = task::find(tgid) else {
        loop {
            crate::kernel::sched::schedule();
        }
    };
    let status = leader
        .group_exit
        .unwrap_or(if leader.state == TaskState::Zombie {
            leader.exit_status
        } else {
            status
        });
    leader.exit_status = status;
    let mut orphan_zombie = false;
    for c in task::all() {
        if c.ppid == tgid && c.tgid != tgid {
            c.ppid = 1;
            orphan_zombie |= c.state == TaskState::Zombie;
        }
    }
    if tgid == 1 {
        end_machine(status);
    }
    if orphan_zombie && let Some(init) = task::find(1) {
        init.wait_chld.wake_up();
    }
    leader.state = TaskState::Zombie;
    crate::stats::task_exited(leader);
    let (ppid, exit_signal) = (leader.ppid, leader.exit_signal);
    match task::find(ppid) {
        Some(parent) => {
            let action = parent.sighand.get(SIGCHLD);
            if action.handler == SIG_IGN || action.flags & SA_NOCLDWAIT != 0 {
                // Nobody will wait: the leader goes once off its stack (or
                // now, if another thread of the group is the one exiting).
                if tgid == pid {
                    crate::kernel::sched::release_after_switch(tgid);
                } else {
                    drop(task::remove(tgid));
                }
            } else if exit_signal != 0 {
                let (code, value) = if status & 0x7f == 0 {
                    (CLD_EXITED, (status >> 8) & 0xff)
                } else {
                    (CLD_KILLED, status & 0x7f)
                };
                let info = crate::kernel::signal::SigInfo::child(exit_signal, code, tgid, value);
                crate::kernel::signal::send_signal(parent, exit_signal, info);
            }
            parent.wait_chld.wake_up();
        }
        None if tgid == pid => crate::kernel::sched::release_after_switch(tgid),
        None => drop(task::remove(tgid)),
    }
    loop {
        crate::kernel::sched::schedule();
    }
}

/// exit_group: every other thread of the group is killed, and all of them
/// end with `status`.
fn do_group_exit(status: u32) -> ! {
    let t = current();
    if t.group_exit.is_none() {
        for pid in task::other_threads(t) {
            if let Some(o) = task::find(pid) {
                o.group_exit = Some(status);
                crate::kernel::signal::send_signal_from_kernel(o, 9);
            }
        }
        t.group_exit = Some(status);
    }
    do_exit_status(status)
}

/// A vfork child that execs or exits lets its parent go on.
pub fn release_vfork_parent(t: &mut Task) {
    if let Some(parent) = t.vfork_parent.take()
        && let Some(p) = task::find(parent)
    {
        p.wait_chld.wake_up();
    }
}

/// pid 1 ended: every other task's files are closed (their data written
/// back) and the machine stops with pid 1's status, as lstar's own.
fn end_machine(status: u32) -> ! {
    for pid in task::pids() {
        if pid != 1
            && let Some(t) = task::find(pid)
        {
            exit_mm_and_files(t);
        }
    }
    let code = if status & 0x7f == 0 {
        (status >> 8) & 0xff
    } else {
        128 + (status & 0x7f)
    };
    power_off(code)
}

/// The default action of a stop signal: the task stops until SIGCONT (or
/// SIGKILL); the parent hears of it through SIGCHLD and wait4(WUNTRACED).
pub fn do_stop(sig: u32) {
    let t = current();
    t.state = TaskState::Stopped;
    t.stop_report = Some(sig);
    crate::stats::publish_task(t);
    if let Some(parent) = task::find(t.ppid) {
        if parent.sighand.get(SIGCHLD).flags & SA_NOCLDSTOP == 0 {
            let info = crate::kernel::signal::SigInfo::child(SIGCHLD, CLD_STOPPED, t.tgid, sig);
            crate::kernel::signal::send_signal(parent, SIGCHLD, info);
        }
        parent.wait_chld.wake_up();
    }
    crate::kernel::sched::schedule();
}

/// Writes the isa-debug-exit port: lstar exits with `status`, QEMU with
/// `(status << 1) | 1`.
pub fn power_off(status: u32) -> ! {
    loop {
        outl(lstar_abi::ports::EXIT_PORT, status);
        // Not under a VMM with an exit port: stop here.
        crate::arch::wait_for_interrupt();
    }
}

pub fn sys_exit_group(a: &Args) -> SysResult {
    do_group_exit(((a[0] & 0xff) as u32) << 8)
}

/// exit ends the calling thread (the process, if it was the last).
pub fn sys_exit(a: &Args) -> SysResult {
    do_exit((a[0] & 0xff) as u32)
}

/// The CPU time of the child the last wait reported (its rusage).
static LAST_REAPED_CPU: core::sync::atomic::AtomicU64 = core::sync::atomic::AtomicU64::new(0);

fn reaped_cpu() -> u64 {
    LAST_REAPED_CPU.load(core::sync::atomic::Ordering::Relaxed)
}

/// Which children a wait selects.
#[derive(Clone, Copy)]
enum Select {
    Any,
    Pid(Pid),
    Pgid(Pid),
}

/// What a wait found.
#[derive(Clone, Copy)]
enum Event {
    Exited,
    Stopped(u32),
    Continued,
}

fn matches(sel: Select, t: &Task) -> bool {
    match sel {
        Select::Any => true,
        Select::Pid(p) => t.pid == p,
        Select::Pgid(g) => t.pgid == g,
    }
}

/// A child that `sel` and `options` select and that has something to
/// report; Err(ECHILD) when no child matches at all.
fn find_waitable(sel: Select, options: u64) -> Result<Option<(Pid, Event)>, Errno> {
    // Children belong to the thread group: any of its threads may wait.
    let me = current().tgid;
    let mut any = false;
    for c in task::all() {
        // Threads are not waited for; a leader only once its group is gone.
        if c.ppid != me || !c.is_group_leader() || !matches(sel, c) {
            continue;
        }
        // A "clone child" signals its end with something other than
        // SIGCHLD (or nothing): only __WCLONE or __WALL waits see it, and
        // __WCLONE sees only those.
        let clone_child = c.exit_signal != SIGCHLD;
        if options & WALL == 0 && (options & WCLONE != 0) != clone_child {
            continue;
        }
        if c.state == TaskState::Zombie && !task::other_threads(c).is_empty() {
            any = true;
            continue;
        }
        any = true;
        if c.state == TaskState::Zombie && options & WEXITED != 0 {
            return Ok(Some((c.pid, Event::Exited)));
        }
        if options & WSTOPPED != 0
            && let Some(sig) = c.stop_report
        {
            return Ok(Some((c.pid, Event::Stopped(sig))));
        }
        if options & WCONTINUED != 0 && c.continue_report {
            return Ok(Some((c.pid, Event::Continued)));
        }
    }
    if any { Ok(None) } else { Err(ECHILD) }
}

/// Waits for a child event; None with WNOHANG when there is none yet.
fn do_wait(sel: Select, options: u64) -> Result<Option<(Pid, Event, u32)>, Errno> {
    let me = current();
    let mut found = None;
    let mut error = None;
    let mut scan = || match find_waitable(sel, options) {
        Ok(Some(f)) => {
            found = Some(f);
            true
        }
        Ok(None) => options & WNOHANG != 0,
        Err(e) => {
            error = Some(e);
            true
        }
    };
    // Children's exits wake the group leader's queue (their ppid is the
    // tgid), so every thread of the group waits there.
    let leader = task::find(me.tgid).unwrap_or(me);
    leader.wait_chld.wait_event(&mut scan)?;
    if let Some(e) = error {
        return Err(e);
    }
    let Some((pid, event)) = found else {
        return Ok(None);
    };
    let status = match event {
        Event::Exited => {
            let (status, cpu) =
                task::find(pid).map_or((0, 0), |c| (c.exit_status, c.run_ns + c.children_run_ns));
            if options & WNOWAIT == 0 {
                drop(task::remove(pid));
                current().children_run_ns += cpu;
            }
            LAST_REAPED_CPU.store(cpu, core::sync::atomic::Ordering::Relaxed);
            status
        }
        Event::Stopped(sig) => {
            if options & WNOWAIT == 0
                && let Some(c) = task::find(pid)
            {
                c.stop_report = None;
            }
            (sig << 8) | 0x7f
        }
        Event::Continued => {
            if options & WNOWAIT == 0
                && let Some(c) = task::find(pid)
            {
                c.continue_report = false;
            }
            0xffff
        }
    };
    Ok(Some((pid, event, status)))
}

pub fn sys_wait4(a: &Args) -> SysResult {
    // options is an int: the upper half of the register is not ours.
    let (pid, wstatus, options, rusage) = (a[0] as i32, a[1], a[2] & 0xffff_ffff, a[3]);
    if options & !(WNOHANG | WUNTRACED | WCONTINUED | WNOTHREAD | WALL | WCLONE) != 0 {
        return Err(EINVAL);
    }
    let sel = match pid {
        -1 => Select::Any,
        0 => Select::Pgid(current().pgid),
        p if p < 0 => Select::Pgid(p.unsigned_abs()),
        p => Select::Pid(p as Pid),
    };
    let Some((pid, _, status)) = do_wait(sel, options | WEXITED)? else {
        return Ok(0);
    };
    if wstatus != 0 {
        put_user(wstatus, &status)?;
    }
    if rusage != 0 {
        copy_to_user(rusage, &crate::kernel::sys::rusage_bytes(reaped_cpu()))?;
    }
    Ok(u64::from(pid))
}

const P_ALL: u64 = 0;
const P_PID: u64 = 1;
const P_PGID: u64 = 2;
const CLD_EXITED: i32 = 1;
const CLD_KILLED: i32 = 2;
const CLD_STOPPED: i32 = 5;
const CLD_CONTINUED: i32 = 6;

pub fn sys_waitid(a: &Args) -> SysResult {
    let (idtype, id, infop, options, rusage) = (
        a[0] & 0xffff_ffff,
        a[1] as i32,
        a[2],
        a[3] & 0xffff_ffff,
        a[4],
    );
    if options & !(WNOHANG | WSTOPPED | WEXITED | WCONTINUED | WNOWAIT | WNOTHREAD | WALL | WCLONE)
        != 0
        || options & (WEXITED | WSTOPPED | WCONTINUED) == 0
    {
        return Err(EINVAL);
    }
    let sel = match idtype {
        P_ALL => Select::Any,
        P_PID if id > 0 => Select::Pid(id as Pid),
        P_PGID if id >= 0 => Select::Pgid(if id == 0 { current().pgid } else { id as Pid }),
        _ => return Err(EINVAL),
    };
    let found = do_wait(sel, options)?;
    if infop != 0 {
        let mut info = [0u8; 128];
        if let Some((pid, event, status)) = found {
            let (code, value) = match event {
                Event::Exited if status & 0x7f == 0 => (CLD_EXITED, (status >> 8) & 0xff),
                Event::Exited => (CLD_KILLED, status & 0x7f),
                Event::Stopped(sig) => (CLD_STOPPED, sig),
                Event::Continued => (CLD_CONTINUED, 18),
            };
            info[0..4].copy_from_slice(&(SIGCHLD as i32).to_le_bytes());
            info[8..12].copy_from_slice(&code.to_le_bytes());
            info[16..20].copy_from_slice(&(pid as i32).to_le_bytes());
            info[24..28].copy_from_slice(&(value as i32).to_le_bytes());
        }
        copy_to_user(infop, &info)?;
    }
    if rusage != 0 {
        copy_to_user(rusage, &crate::kernel::sys::rusage_bytes(reaped_cpu()))?;
    }
    Ok(0)
}
