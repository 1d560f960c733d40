//! Task work: callbacks a task runs on its way back to user mode (Linux's
//! `task_work_add` / `task_work_run`). `fput` queues the release of a file
//! here, so that the expensive part of `close()` (writeback) happens on the
//! syscall exit path, after the system call itself has finished.

use alloc::boxed::Box;
use alloc::vec::Vec;

pub type TaskWork = Box<dyn FnOnce()>;

/// Queues `work` on the current task.
pub fn task_work_add(work: TaskWork) {
    crate::task::current().task_works.push(work);
    crate::entry_common::exit_work_may_be_pending();
}

/// Runs queued work until none is left (work may queue more work).
pub fn task_work_run() {
    loop {
        let works: Vec<TaskWork> = core::mem::take(&mut crate::task::current().task_works);
        if works.is_empty() {
            return;
        }
        for work in works {
            work();
            crate::stats::count_task_work();
        }
    }
}

#[inline(always)]
pub fn task_work_pending() -> bool {
    !crate::task::current().task_works.is_empty()
}
