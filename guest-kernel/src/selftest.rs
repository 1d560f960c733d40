//! Kernel self-tests, run at boot when `lstar.selftest=NAME` asks, for
//! mechanisms no user program can observe directly.

use alloc::boxed::Box;
use core::sync::atomic::{AtomicU32, Ordering};

use crate::boot_params::BootFile;
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

/// FNV-1a, 64 bits.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// What the kernel got of each host file (`lstar.file=`, `lstar.exe=`):
/// path, size, metadata and a checksum of the module's bytes, one line
/// each, for the test suite to compare with the host's. Each module must
/// start on a page boundary and the rest of its last page must be zero.
/// Run from `kernel_main`, before the task exists.
pub fn boot_files(files: &[BootFile], exe: Option<&BootFile>) {
    const PAGE: u64 = crate::mm::PAGE_SIZE;
    for (what, f) in exe
        .map(|e| ("exe", e))
        .into_iter()
        .chain(files.iter().map(|f| ("file", f)))
    {
        let padded = f.size.div_ceil(PAGE) * PAGE;
        // SAFETY: a module's frames are reserved for it and direct-mapped;
        // its pages end at `padded`, inside guest RAM.
        let pages = unsafe {
            core::slice::from_raw_parts(
                crate::mm::phys_to_virt(f.paddr) as *const u8,
                padded as usize,
            )
        };
        let (bytes, tail) = pages.split_at(f.size as usize);
        if f.paddr % PAGE != 0 || tail.iter().any(|&b| b != 0) {
            crate::warn!(
                "selftest boot-files: FAILED ({what} at {:#x}, size {}: not page-aligned or its last page is not zero-padded)",
                f.paddr,
                f.size
            );
            crate::exit::power_off(lstar_abi::exit::KERNEL_PANIC);
        }
        crate::warn!(
            "selftest boot-files: {what} {} size {} mode {:o} mtime {}.{:09} {} fnv {:016x}",
            core::str::from_utf8(&f.path).unwrap_or("?"),
            f.size,
            f.mode,
            f.mtime.0,
            f.mtime.1,
            if f.read_only { "ro" } else { "rw" },
            fnv1a(bytes)
        );
    }
    crate::warn!("selftest boot-files: ok ({} files)", files.len());
}

/// Runs the self-test `name` (the task must exist already).
pub fn run(name: &[u8]) {
    match name {
        b"task-work" => task_work(),
        b"kernel-fault" => kernel_fault(),
        // Ran at boot (`boot_files`).
        b"boot-files" => {}
        _ => crate::warn!(
            "unknown self-test {:?}",
            core::str::from_utf8(name).unwrap_or("?")
        ),
    }
}
