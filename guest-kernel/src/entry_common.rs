//! The one way back to user mode, shared by SYSCALL, int 0x80, exceptions
//! and interrupts (Linux's `exit_to_user_mode_loop`): before the task may
//! return, pending work is done (task work, a reschedule the tick asked
//! for, signals), in a loop, because work can queue work.

use core::sync::atomic::{AtomicBool, Ordering};

use crate::arch::pt_regs::PtRegs;
use crate::task_work::{task_work_pending, task_work_run};

/// Every system call comes through here, so the common case (nothing to
/// do) is a handful of loads inlined into the caller; the loop is out of
/// line (its signal code made this function's prologue ~45 instructions,
/// each one emulated on kvm-pvm).
#[inline(always)]
pub fn exit_to_user_mode(regs: &mut PtRegs) {
    if exit_work_pending(regs) {
        exit_to_user_mode_loop(regs);
    }
}

/// Whether exit work may have appeared for the running task since a
/// system call last found none (Linux's TIF work flags, as one hint): set
/// by every producer of the work the loop below does (a signal queued, a
/// sigsuspend mask saved, task work added, the vector state saved in its
/// slot, a reschedule asked for) and by every context switch (the task
/// switched to has not looked since it last ran); cleared only by
/// `syscall_exit_slow`, once nothing is pending. It makes the exit-work
/// test of a successful system call one load and one branch.
static EXIT_WORK_HINT: AtomicBool = AtomicBool::new(true);

/// Called by each producer of exit work, and at each context switch.
#[inline(always)]
pub fn exit_work_may_be_pending() {
    EXIT_WORK_HINT.store(true, Ordering::Relaxed);
}

/// `exit_to_user_mode` after a system call that succeeded (the fast path
/// of syscall/mod.rs): unless the hint is set, there is nothing to do.
/// Its RAX is a result, never a restart code, so the restart test of the
/// signal step is not needed; failed calls take `exit_to_user_mode`.
#[inline(always)]
pub fn syscall_exit_to_user_mode(regs: &mut PtRegs) {
    if EXIT_WORK_HINT.load(Ordering::Relaxed) {
        syscall_exit_slow(regs);
    }
}

#[cold]
#[inline(never)]
fn syscall_exit_slow(regs: &mut PtRegs) {
    if work_maybe_pending() {
        exit_to_user_mode_loop(regs);
    }
    // Interrupts stay off until user mode, and no other task runs before
    // it: nothing can queue work between this test and the return, and
    // anything queued later sets the hint again. Work left pending (a
    // blocked signal) keeps it set.
    if !work_maybe_pending() {
        EXIT_WORK_HINT.store(false, Ordering::Relaxed);
    }
}

/// A superset of `exit_work_pending` for a frame with no restart code:
/// any signal pending, blocked or not.
#[inline(always)]
fn work_maybe_pending() -> bool {
    other_work_pending() || crate::kernel::signal::signal_maybe_pending()
}

/// Whether the loop below would do anything: each test is the condition
/// under which one of its steps acts.
#[inline(always)]
fn exit_work_pending(regs: &PtRegs) -> bool {
    other_work_pending() || crate::kernel::signal::signal_work_pending(regs)
}

/// The steps before the signal step: task work, a reschedule, the
/// restore of the vector state.
#[inline(always)]
fn other_work_pending() -> bool {
    task_work_pending()
        || crate::kernel::sched::resched_requested()
        || crate::arch::xstate::restore_pending()
}

#[cold]
#[inline(never)]
fn exit_to_user_mode_loop(regs: &mut PtRegs) {
    loop {
        while task_work_pending() {
            task_work_run();
        }
        if crate::kernel::sched::need_resched() {
            // Preempted at an arbitrary point: the task saves its vector
            // state in user mode first and then yields (arch/xstate.rs).
            if crate::arch::xstate::save_before_switch(regs) {
                return;
            }
            crate::kernel::sched::yield_now();
            continue;
        }
        if crate::arch::xstate::restore_before_return(regs) {
            return;
        }
        crate::kernel::signal::do_signal(regs);
        if !task_work_pending() {
            break;
        }
    }
}
