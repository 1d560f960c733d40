//! Counters in the stats area the host reads (layout: `lstar_abi::stats`).
//! Single stores of aligned u64s, no exits: the host sees them live.

use core::sync::atomic::{AtomicU64, Ordering};

use lstar_abi::stats::{self, Entry};

/// Direct-map address of the stats area; 0 when the VMM gave none (QEMU).
static BASE: AtomicU64 = AtomicU64::new(0);

pub fn init(phys: u64) {
    let base = crate::mm::phys_to_virt(phys);
    BASE.store(base, Ordering::Relaxed);
    // The VMM zeroed the area; the header word says it is live.
    word(0, |w| w.store(stats::HEADER_WORD, Ordering::Release));
}

fn word(offset: usize, f: impl FnOnce(&AtomicU64)) {
    let base = BASE.load(Ordering::Relaxed);
    if base != 0 {
        // SAFETY: offsets come from lstar_abi::stats and stay inside the
        // STATS_SIZE bytes the VMM reserved; the area is 8-byte aligned.
        f(unsafe { &*((base + offset as u64) as *const AtomicU64) });
    }
}

fn bump(offset: usize) {
    // A plain load/add/store: only this CPU writes, and an aligned 8-byte
    // store is atomic for the reader. (A locked add would cost more.)
    word(offset, |w| {
        w.store(w.load(Ordering::Relaxed) + 1, Ordering::Relaxed)
    });
}

pub fn count_syscall(entry: Entry, nr: u64, failed: bool) {
    let (calls, errors) = stats::counter_offsets(entry, nr);
    bump(calls);
    if failed {
        bump(errors);
    }
    bump(match entry {
        Entry::Syscall64 => stats::WORD_SYSCALLS_TOTAL * 8,
        Entry::Int80 => stats::WORD_INT80_TOTAL * 8,
    });
}

pub fn count_task_work() {
    bump(stats::WORD_TASK_WORK_RUN * 8);
}

pub fn count_page_fault() {
    bump(stats::WORD_PAGE_FAULTS * 8);
}
