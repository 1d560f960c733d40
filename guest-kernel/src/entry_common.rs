//! The one way back to user mode, shared by SYSCALL, int 0x80, exceptions
//! and interrupts (Linux's `exit_to_user_mode_loop`): before the task may
//! return, pending work is done (task work, a reschedule the tick asked
//! for, signals), in a loop, because work can queue work.

use crate::arch::pt_regs::PtRegs;
use crate::task_work::{task_work_pending, task_work_run};

pub fn exit_to_user_mode(regs: &mut PtRegs) {
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
