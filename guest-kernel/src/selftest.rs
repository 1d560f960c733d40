//! Kernel self-tests, run at boot when `lstar.selftest=NAME` asks, for
//! mechanisms no user program can observe directly.

use alloc::boxed::Box;
use core::sync::atomic::{AtomicU32, Ordering};

use crate::task_work::{task_work_add, task_work_pending, task_work_run};

static RAN: AtomicU32 = AtomicU32::new(0);

/// Task work that queues more task work must all run before the exit path
/// lets the task return (Linux's exit_to_user_mode_loop), in order.
fn task_work() {
    task_work_add(Box::new(|| {
        RAN.fetch_add(1, Ordering::Relaxed);
        task_work_add(Box::new(|| {
            RAN.fetch_add(10, Ordering::Relaxed);
        }));
    }));
    task_work_add(Box::new(|| {
        RAN.fetch_add(100, Ordering::Relaxed);
    }));
    // The same loop the exit path runs.
    while task_work_pending() {
        task_work_run();
    }
    let ran = RAN.load(Ordering::Relaxed);
    if ran == 111 {
        crate::warn!("selftest task-work: ok (3 callbacks, one queued by another)");
    } else {
        crate::warn!("selftest task-work: FAILED (ran = {ran}, want 111)");
        crate::exit::power_off(lstar_abi::exit::KERNEL_PANIC);
    }
}

/// A fault in the kernel itself: the report must name the function.
#[inline(never)]
fn kernel_fault() -> ! {
    let bad = core::hint::black_box(0xffff_9000_dead_0000u64) as *const u64;
    // SAFETY: none; this deliberately faults (an unmapped kernel address)
    // to exercise the kernel fault report. It never returns.
    let v = unsafe { core::ptr::read_volatile(bad) };
    crate::warn!("selftest kernel-fault: FAILED (read {v:#x})");
    crate::exit::power_off(lstar_abi::exit::KERNEL_PANIC)
}

/// Runs the self-test `name` (the task must exist already).
pub fn run(name: &[u8]) {
    match name {
        b"task-work" => task_work(),
        b"kernel-fault" => kernel_fault(),
        _ => crate::warn!(
            "unknown self-test {:?}",
            core::str::from_utf8(name).unwrap_or("?")
        ),
    }
}
