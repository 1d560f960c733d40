//! The task: the one program this kernel runs (no fork yet), with its
//! address space, open files, place in the file system, pending task work
//! and per-task ABI state.

use alloc::vec::Vec;

use crate::fs::fdtable::FdTable;
use crate::fs::fs_struct::FsStruct;
use crate::mm::address_space::AddressSpace;
use crate::task_work::TaskWork;

pub struct Task {
    pub pid: u32,
    pub mm: AddressSpace,
    pub files: FdTable,
    pub fs: FsStruct,
    /// argv, NUL-separated (/proc/self/cmdline).
    pub cmdline: Vec<u8>,
    pub task_works: Vec<TaskWork>,
    /// argv[0], for messages.
    pub comm: Vec<u8>,
    pub clear_child_tid: u64,
    pub robust_list: (u64, u64),
    pub fs_base: u64,
    /// Signal dispositions (shared by the threads of a process).
    pub sighand: crate::kernel::signal::SigHand,
    /// Per-task signal state: blocked mask, pending signals, altstack.
    pub signal: crate::kernel::signal::SigState,
}

static mut CURRENT: Option<Task> = None;

/// Makes `task` the running task.
pub fn set_current(task: Task) {
    // SAFETY: called once at boot, before anything calls `current()`.
    unsafe { *core::ptr::addr_of_mut!(CURRENT) = Some(task) };
}

/// The running task, or None before the first one exists (boot).
pub fn try_current() -> Option<&'static mut Task> {
    // SAFETY: as for `current`.
    unsafe { (*core::ptr::addr_of_mut!(CURRENT)).as_mut() }
}

/// The running task (xv6's `myproc()`).
pub fn current() -> &'static mut Task {
    // SAFETY: one CPU and one task; the kernel is entered only from user
    // mode (system calls, exceptions) or by interrupts whose handlers never
    // touch the task, so no two live references are used at once. The task
    // is installed at boot before user mode starts.
    match unsafe { (*core::ptr::addr_of_mut!(CURRENT)).as_mut() } {
        Some(task) => task,
        None => crate::panic_no_task(),
    }
}
