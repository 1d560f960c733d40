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

/// One `inc` of an aligned u64: only this CPU writes, and the host reads
/// whole aligned words, so no lock prefix is needed (one instruction where
/// a load/add/store would be three, each emulated under kvm-pvm).
fn inc(addr: u64) {
    // SAFETY: `addr` is an aligned word inside the stats area (callers add
    // offsets from lstar_abi::stats to its base).
    unsafe { core::arch::asm!("inc qword ptr [{}]", in(reg) addr, options(nostack)) }
}

fn bump(offset: usize) {
    let base = BASE.load(Ordering::Relaxed);
    if base != 0 {
        inc(base + offset as u64);
    }
}

/// Counts one system call.
pub fn count_syscall(entry: Entry, nr: u64, failed: bool) {
    let base = BASE.load(Ordering::Relaxed);
    if base == 0 {
        return;
    }
    let (calls, errors) = stats::counter_offsets(entry, nr);
    inc(base + calls as u64);
    if failed {
        inc(base + errors as u64);
    }
    let total = match entry {
        Entry::Syscall64 => stats::WORD_SYSCALLS_TOTAL,
        Entry::Int80 => stats::WORD_INT80_TOTAL,
    };
    inc(base + total as u64 * 8);
}

/// Whether a tracer asked for records (the host sets the flag): the only
/// cost tracing adds to an untraced system call.
pub fn tracing() -> bool {
    let base = BASE.load(Ordering::Relaxed);
    // SAFETY: an aligned word of the stats area (see `word`).
    base != 0
        && unsafe {
            core::ptr::read_volatile((base + stats::WORD_TRACE_ENABLED as u64 * 8) as *const u64)
        } != 0
}

/// Appends a record to the trace ring, or counts it as lost when the host
/// has not drained the ring: the guest never waits for the tracer.
/// `entry` is an [`Entry`] value, with `TRACE_NO_RETURN` for exit calls.
pub fn trace(entry: u32, nr: u64, args: &[u64; 6], ret: u64) {
    let base = BASE.load(Ordering::Relaxed);
    if base == 0 {
        return;
    }
    let word = |w: usize| (base + w as u64 * 8) as *mut u64;
    // SAFETY: aligned words of the stats area; the host writes only the
    // tail and the flag, the guest only the head, lost and the records.
    unsafe {
        let head = core::ptr::read_volatile(word(stats::WORD_TRACE_HEAD));
        let tail = core::ptr::read_volatile(word(stats::WORD_TRACE_TAIL));
        if head.wrapping_sub(tail) >= stats::TRACE_RECORDS as u64 {
            inc(word(stats::WORD_TRACE_LOST) as u64);
            return;
        }
        let record = stats::TraceRecord {
            nr: nr as u32,
            entry,
            args: *args,
            ret,
            tsc: crate::kernel::time::rdtsc(),
        };
        let slot = (base + stats::trace_record_offset(head) as u64) as *mut stats::TraceRecord;
        core::ptr::write_volatile(slot, record);
        // The record is complete before the host can see the new head
        // (x86 keeps stores in order; the fence keeps the compiler honest).
        core::sync::atomic::compiler_fence(Ordering::Release);
        core::ptr::write_volatile(word(stats::WORD_TRACE_HEAD), head.wrapping_add(1));
    }
}

pub fn count_task_work() {
    bump(stats::WORD_TASK_WORK_RUN * 8);
}

pub fn count_page_fault() {
    bump(stats::WORD_PAGE_FAULTS * 8);
}

/// Sets a header word (a gauge such as the number of dirty pages).
pub fn set(word_index: usize, value: u64) {
    word(word_index * 8, |w| w.store(value, Ordering::Relaxed));
}

/// Adds to a header word.
pub fn add(word_index: usize, n: u64) {
    word(word_index * 8, |w| {
        w.store(w.load(Ordering::Relaxed) + n, Ordering::Relaxed)
    });
}
