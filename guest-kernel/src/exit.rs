//! Ending the program and the machine.

use crate::arch::port::outl;

/// Linux's `do_exit`: close the files (their releases run as task work,
/// which writes data back), then stop the machine with the status.
pub fn do_exit(status: u32) -> ! {
    let task = crate::task::current();
    // Mappings hold files open: they go first, then the descriptors; every
    // last reference queues its release (writeback) as task work.
    task.mm.vmas.clear();
    task.files.close_all();
    crate::task_work::task_work_run();
    power_off(status)
}

/// Ends the program as killed by `sig` (the default action of a
/// terminating or core-dumping signal): status 128 + sig, as a shell
/// reports it. The caller has printed why.
pub fn do_exit_signal(sig: u32) -> ! {
    do_exit(128 + sig)
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

/// exit and exit_group are the same with one thread.
pub fn sys_exit_group(a: &crate::syscall::Args) -> crate::errno::SysResult {
    do_exit((a[0] & 0xff) as u32)
}
