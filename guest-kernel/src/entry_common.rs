//! The one way back to user mode, shared by SYSCALL, int 0x80, exceptions
//! and interrupts (Linux's `exit_to_user_mode_loop`): before the task may
//! return, pending work is done, in a loop, because work can queue work;
//! then signals are delivered (or interrupted calls restarted).

use crate::arch::pt_regs::PtRegs;
use crate::task_work::{task_work_pending, task_work_run};

pub fn exit_to_user_mode(regs: &mut PtRegs) {
    while task_work_pending() {
        task_work_run();
    }
    crate::kernel::signal::do_signal(regs);
}
