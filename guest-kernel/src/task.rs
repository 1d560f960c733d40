//! Tasks (Linux's `task_struct`): the table of them by pid, the running
//! one, and what each holds: an address space, open files, a place in the
//! file system, signal state, a kernel stack and its saved context.
//!
//! The kernel runs with interrupts off in ring 0 and on one vCPU, so only
//! one task's kernel code runs at a time and no lock protects task state:
//! that is the one place this kernel assumes its single CPU, and it is
//! kept here. `CURRENT` is the per-CPU "running task" (it moves into the
//! per-CPU area when a second vCPU comes), and [`Shared`] is where the
//! locks will go.

use alloc::boxed::Box;
use alloc::collections::BTreeMap;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::cell::UnsafeCell;

use crate::arch::pt_regs::PtRegs;
use crate::fs::dentry::Dentry;
use crate::fs::fdtable::FdTable;
use crate::fs::fs_struct::FsStruct;
use crate::kernel::wait::WaitQueue;
use crate::mm::address_space::AddressSpace;
use crate::task_work::TaskWork;

pub type Pid = u32;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum TaskState {
    /// Running or on the run queue.
    Running,
    /// Waiting on a wait queue or a timer; a signal wakes it.
    Sleeping,
    /// Stopped by a signal (SIGSTOP, SIGTSTP...) until SIGCONT.
    Stopped,
    /// Exited; its status waits for the parent's wait4.
    Zombie,
}

/// Part of a task that tasks may share: the address space (vfork,
/// threads), the descriptor table, fs_struct and signal handlers (threads).
/// A clone of the pointer shares; `Shared::new(x.clone())` copies.
pub struct Shared<T>(Arc<UnsafeCell<T>>);

// SAFETY: the kernel is non-preemptive on one CPU (see the module comment):
// only the running task's kernel code touches a task's parts, one at a time.
unsafe impl<T> Send for Shared<T> {}
// SAFETY: as above.
unsafe impl<T> Sync for Shared<T> {}

impl<T> Shared<T> {
    pub fn new(value: T) -> Shared<T> {
        Shared(Arc::new(UnsafeCell::new(value)))
    }

    /// Whether another task holds this part too.
    pub fn is_shared(&self) -> bool {
        Arc::strong_count(&self.0) > 1
    }
}

impl<T> Clone for Shared<T> {
    fn clone(&self) -> Self {
        Shared(self.0.clone())
    }
}

impl<T> core::ops::Deref for Shared<T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: see the Send impl: no concurrent mutable access exists.
        unsafe { &*self.0.get() }
    }
}

impl<T> core::ops::DerefMut for Shared<T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as for Deref.
        unsafe { &mut *self.0.get() }
    }
}

pub struct Task {
    pub pid: Pid,
    /// Thread group (process) id: the pid of its first thread.
    pub tgid: Pid,
    pub ppid: Pid,
    pub pgid: Pid,
    pub sid: Pid,
    pub state: TaskState,
    /// The wait status once a zombie (Linux's encoding: code << 8, or the
    /// signal number with 0x80 for a core dump).
    pub exit_status: u32,
    /// The signal the parent gets when this task ends (SIGCHLD for fork;
    /// clone's low byte; 0 for none).
    pub exit_signal: u32,
    /// exit_group's status, set on every thread of the group it ends.
    pub group_exit: Option<u32>,
    /// A continue (SIGCONT) not yet reported to wait4(WCONTINUED).
    pub continue_report: bool,
    /// A stop not yet reported to the parent's wait4(WUNTRACED).
    pub stop_report: Option<u32>,
    pub mm: Shared<AddressSpace>,
    pub files: Shared<FdTable>,
    pub fs: Shared<FsStruct>,
    /// The program file (/proc/PID/exe); None for the first program, which
    /// the tree gets lazily (`fs::exe`).
    pub exe: Option<Arc<Dentry>>,
    /// argv, NUL-separated (/proc/self/cmdline).
    pub cmdline: Vec<u8>,
    pub task_works: Vec<TaskWork>,
    /// The program's name, for messages and /proc/PID/comm (at most 15 bytes).
    pub comm: Vec<u8>,
    pub clear_child_tid: u64,
    /// CLONE_CHILD_SETTID: written in the child's memory on its first run.
    pub set_child_tid: u64,
    pub robust_list: (u64, u64),
    pub fs_base: u64,
    pub gs_base: u64,
    /// Signal dispositions (shared by the threads of a process).
    pub sighand: Shared<crate::kernel::signal::SigHand>,
    /// Per-task signal state: blocked mask, pending signals, altstack.
    pub signal: crate::kernel::signal::SigState,
    /// Where the parent sleeps in wait4 (children's exits wake it).
    pub wait_chld: WaitQueue,
    /// vfork: the parent sleeping until this child execs or exits.
    pub vfork_parent: Option<Pid>,
    /// When a sleep on a timer ends (monotonic ns). Set only by
    /// sched::sleep, which keeps the scheduler's earliest deadline.
    pub wake_at: Option<u64>,
    /// alarm/setitimer(ITIMER_REAL): when SIGALRM is due, and its interval.
    /// Whoever sets it calls sched::timers_changed.
    pub alarm_at: Option<u64>,
    pub alarm_interval: u64,
    /// System calls made (/vm/tasks).
    pub syscalls: u64,
    /// CPU time used (ns), counted at switches: user and kernel time are
    /// not told apart (getrusage reports it all as user time).
    pub run_ns: u64,
    /// When it last got the CPU (monotonic ns).
    pub switched_in: u64,
    /// CPU time of its reaped children and theirs (RUSAGE_CHILDREN).
    pub children_run_ns: u64,
    pub start_ns: u64,
    pub thread: crate::arch::switch_to::Thread,
    /// The frame a trampoline trip of arch/xstate.rs will return to.
    pub xstate_regs: Option<PtRegs>,
    /// The extended register state is in the task's save slot, to be
    /// restored before it runs user code again.
    pub xstate_saved: bool,
}

/// What a new task is made of (the boot task, fork, clone): who it is,
/// its parts and its kernel stack. Everything else starts empty in
/// [`Task::new`]: no status, no pending stop or continue, no timers, no
/// task work, no CPU time yet.
pub struct NewTask {
    pub pid: Pid,
    pub tgid: Pid,
    pub ppid: Pid,
    pub pgid: Pid,
    pub sid: Pid,
    pub state: TaskState,
    pub exit_signal: u32,
    pub mm: Shared<AddressSpace>,
    pub files: Shared<FdTable>,
    pub fs: Shared<FsStruct>,
    pub sighand: Shared<crate::kernel::signal::SigHand>,
    pub signal: crate::kernel::signal::SigState,
    pub exe: Option<Arc<Dentry>>,
    pub cmdline: Vec<u8>,
    pub comm: Vec<u8>,
    pub fs_base: u64,
    pub gs_base: u64,
    pub thread: crate::arch::switch_to::Thread,
}

impl Task {
    pub fn new(n: NewTask) -> Box<Task> {
        let now = crate::kernel::time::monotonic_ns();
        Box::new(Task {
            pid: n.pid,
            tgid: n.tgid,
            ppid: n.ppid,
            pgid: n.pgid,
            sid: n.sid,
            state: n.state,
            exit_status: 0,
            exit_signal: n.exit_signal,
            group_exit: None,
            continue_report: false,
            stop_report: None,
            mm: n.mm,
            files: n.files,
            fs: n.fs,
            exe: n.exe,
            cmdline: n.cmdline,
            task_works: Vec::new(),
            comm: n.comm,
            clear_child_tid: 0,
            set_child_tid: 0,
            robust_list: (0, 0),
            fs_base: n.fs_base,
            gs_base: n.gs_base,
            sighand: n.sighand,
            signal: n.signal,
            wait_chld: WaitQueue::new(),
            vfork_parent: None,
            wake_at: None,
            alarm_at: None,
            alarm_interval: 0,
            syscalls: 0,
            run_ns: 0,
            switched_in: now,
            children_run_ns: 0,
            start_ns: now,
            thread: n.thread,
            xstate_regs: None,
            xstate_saved: false,
        })
    }

    /// The frame saved at the top of this task's kernel stack by its last
    /// entry from user mode (Linux's task_pt_regs).
    pub fn pt_regs(&mut self) -> &mut PtRegs {
        let at = self.thread.stack_top - core::mem::size_of::<PtRegs>() as u64;
        // SAFETY: every entry from user mode (SYSCALL through the per-CPU
        // kernel_rsp, traps through TSS.RSP0) builds its PtRegs at the top
        // of the running task's stack; fork writes a child's there.
        unsafe { &mut *(at as *mut PtRegs) }
    }

    /// CPU time used so far, including the running slice.
    pub fn cpu_ns(&self) -> u64 {
        let running = match try_current() {
            Some(c) if core::ptr::eq(c, self) => {
                crate::kernel::time::monotonic_ns().saturating_sub(self.switched_in)
            }
            _ => 0,
        };
        self.run_ns + running
    }

    pub fn is_group_leader(&self) -> bool {
        self.pid == self.tgid
    }

    pub fn comm_str(&self) -> &str {
        core::str::from_utf8(&self.comm).unwrap_or("?")
    }
}

/// All tasks by pid (zombies included until reaped).
struct TaskTable(UnsafeCell<BTreeMap<Pid, Box<Task>>>);

// SAFETY: see the module comment.
unsafe impl Sync for TaskTable {}

static TASKS: TaskTable = TaskTable(UnsafeCell::new(BTreeMap::new()));
static mut CURRENT: *mut Task = core::ptr::null_mut();
static mut LAST_PID: Pid = 0;

/// Linux's default pid_max.
const PID_MAX: Pid = 32768;

fn table() -> &'static mut BTreeMap<Pid, Box<Task>> {
    // SAFETY: see the module comment; references into the table are to the
    // boxed tasks, which do not move when the map changes.
    unsafe { &mut *TASKS.0.get() }
}

/// The lowest free pid after the last one given out (Linux's order).
pub fn alloc_pid() -> Option<Pid> {
    // SAFETY: see the module comment.
    let last = unsafe { &mut *core::ptr::addr_of_mut!(LAST_PID) };
    for _ in 0..PID_MAX {
        *last = if *last + 1 >= PID_MAX { 2 } else { *last + 1 };
        if !table().contains_key(last) {
            return Some(*last);
        }
    }
    None
}

/// Adds `task` to the table; the reference lives as long as it is there.
pub fn insert(task: Box<Task>) -> &'static mut Task {
    let pid = task.pid;
    crate::stats::publish_task(&task);
    table().insert(pid, task);
    match table().get_mut(&pid) {
        Some(t) => t,
        None => crate::panic_no_task(),
    }
}

pub fn find(pid: Pid) -> Option<&'static mut Task> {
    table().get_mut(&pid).map(|t| &mut **t)
}

/// Removes a reaped task; its kernel stack and parts go with it.
pub fn remove(pid: Pid) -> Option<Box<Task>> {
    crate::stats::task_gone(pid);
    table().remove(&pid)
}

pub fn count() -> usize {
    table().len()
}

/// Every task, in pid order (the caller must not add or remove tasks
/// while iterating).
pub fn all() -> impl Iterator<Item = &'static mut Task> {
    table().values_mut().map(|t| &mut **t)
}

/// The other live (not exited) threads of `t`'s group.
pub fn other_threads(t: &Task) -> Vec<Pid> {
    let (tgid, pid) = (t.tgid, t.pid);
    table()
        .values()
        .filter(|o| o.tgid == tgid && o.pid != pid && o.state != TaskState::Zombie)
        .map(|o| o.pid)
        .collect()
}

pub fn pids() -> Vec<Pid> {
    table().keys().copied().collect()
}

/// Makes `task` the running one (the scheduler's switch, and boot).
pub fn set_current(task: &mut Task) {
    // SAFETY: see the module comment.
    unsafe { *core::ptr::addr_of_mut!(CURRENT) = task };
}

/// The running task, or None before the first one exists (boot).
pub fn try_current() -> Option<&'static mut Task> {
    // SAFETY: CURRENT is null or points at a boxed task in the table, which
    // stays there at least while it runs.
    unsafe { (*core::ptr::addr_of!(CURRENT)).as_mut() }
}

/// The running task (xv6's `myproc()`).
pub fn current() -> &'static mut Task {
    match try_current() {
        Some(task) => task,
        None => crate::panic_no_task(),
    }
}
