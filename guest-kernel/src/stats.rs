//! Counters in the stats area the host reads (layout: `lstar_abi::stats`).
//! Single stores of aligned u64s, no exits: the host sees them live.

use core::sync::atomic::{AtomicPtr, AtomicU64, Ordering};

use lstar_abi::stats::{self, Entry, TASK_SLOTS, TaskRecord};

use crate::task::{Pid, Task, TaskState};

/// Direct-map address of the stats area; 0 when the VMM gave none (QEMU).
static BASE: AtomicU64 = AtomicU64::new(0);

pub fn init(phys: u64) {
    let base = crate::mm::phys_to_virt(phys);
    BASE.store(base, Ordering::Relaxed);
    COUNTERS.store(base as *mut u64, Ordering::Relaxed);
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
    // SAFETY: `addr` is an aligned word inside the stats area or its
    // static stand-in (callers add offsets from lstar_abi::stats to the
    // base), or a task's own counter.
    unsafe { core::arch::asm!("inc qword ptr [{}]", in(reg) addr, options(nostack)) }
}

fn bump(offset: usize) {
    let base = BASE.load(Ordering::Relaxed);
    if base != 0 {
        inc(base + offset as u64);
    }
}

// ---------------------------------------------------------------------------
// The per-call part. Every system call pays for what is here, and on kvm-pvm
// each kernel instruction is emulated (~1,000 host cycles), so the common
// case is a fixed handful of instructions with no test of whether there is
// a stats area: without one (QEMU) the counters go to a static stand-in of
// the same layout, and the hook word is a static zero.

/// The counters' part of the stats area, for when the VMM gave none.
static mut SPARE_COUNTERS: [u64; stats::USED_SIZE / 8] = [0; stats::USED_SIZE / 8];

/// The counters' base: the stats area, else `SPARE_COUNTERS`.
static COUNTERS: AtomicPtr<u64> = AtomicPtr::new(&raw mut SPARE_COUNTERS as *mut u64);

static ZERO: u64 = 0;
static ONE: u64 = 1;

/// The word the call path tests before a call for "anything beyond
/// counting": the host's trace flag in the stats area, a static 1 when
/// debug logging prints every call (a boot-time setting, so testing it
/// before the call is enough), else a static 0.
static HOOKS: AtomicPtr<u64> = AtomicPtr::new(&raw const ZERO as *mut u64);

/// Points the hook word at what it stands for; after `init` (if the VMM
/// gave a stats area) and after the log level is set.
pub fn init_syscall_hooks() {
    let base = BASE.load(Ordering::Relaxed);
    let word: *const u64 = if crate::log::enabled(lstar_abi::cmdline::LogLevel::Debug) {
        &ONE
    } else if base != 0 {
        (base + stats::WORD_TRACE_ENABLED as u64 * 8) as *const u64
    } else {
        &ZERO
    };
    HOOKS.store(word.cast_mut(), Ordering::Relaxed);
}

/// Whether a system call must take the slow path that traces and logs it
/// (one load of a pointer, one compare). The slow path tests `tracing()`
/// and the log level itself.
#[inline(always)]
pub fn syscall_hooks() -> bool {
    // SAFETY: HOOKS points at ZERO, ONE or the trace flag word of the
    // stats area (aligned, inside the area; the host may write it at any
    // time, hence the volatile read).
    unsafe { core::ptr::read_volatile(HOOKS.load(Ordering::Relaxed)) != 0 }
}

/// Counts a call of `nr` (below the table's length, so no clamping) that
/// succeeded: its counter and the entry's total, one `inc` each. Returns
/// whether a tracer asks for records now (the flag word of the same area;
/// the stand-in's stays 0): one that attached while the call ran.
#[inline(always)]
pub fn count_syscall_fast(entry: Entry, nr: usize) -> bool {
    let base = COUNTERS.load(Ordering::Relaxed);
    // Each `inc` addresses its word itself (base + index * 8 + offset), so
    // the pair is three instructions with the load of the base.
    macro_rules! inc_pair {
        ($calls:expr, $total:expr) => {
            // SAFETY: `base` is the stats area or its stand-in, both
            // USED_SIZE bytes; nr < NR_SLOTS - 1 (the caller indexed the
            // table with it), so both words are inside, aligned.
            unsafe {
                core::arch::asm!(
                    "inc qword ptr [{base} + {nr} * 8 + {calls}]",
                    "inc qword ptr [{base} + {total}]",
                    base = in(reg) base,
                    nr = in(reg) nr,
                    calls = const $calls,
                    total = const $total * 8,
                    options(nostack),
                )
            }
        };
    }
    match entry {
        Entry::Syscall64 => inc_pair!(stats::CALLS_64_OFFSET, stats::WORD_SYSCALLS_TOTAL),
        Entry::Int80 => inc_pair!(stats::CALLS_I386_OFFSET, stats::WORD_INT80_TOTAL),
    }
    // SAFETY: an aligned word inside either area (the host writes it at
    // any time, hence volatile).
    unsafe { core::ptr::read_volatile(base.add(stats::WORD_TRACE_ENABLED)) != 0 }
}

/// Counts one system call (any number, failed or not).
pub fn count_syscall(entry: Entry, nr: u64, failed: bool) {
    let base = COUNTERS.load(Ordering::Relaxed) as u64;
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

/// Whether a tracer asked for records (the host sets the flag).
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
            pid: crate::task::try_current().map_or(0, |t| t.pid),
            reserved: 0,
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

/// Adds to a header word (wrapping: a gauge goes down by adding
/// `0u64.wrapping_sub(n)`).
pub fn add(word_index: usize, n: u64) {
    word(word_index * 8, |w| {
        w.store(w.load(Ordering::Relaxed).wrapping_add(n), Ordering::Relaxed)
    });
}

// ---------------------------------------------------------------------------
// The task table (layout and protocol: `lstar_abi::stats`'s module comment).
//
// Per-task system call counts: only totals per task. The call path pays
// one `inc` of the running task's own counter (`count_task_syscall`), and
// the host reads that word through the record's `syscalls_at`; a count per
// number and task would cost the slot lookup and an index on every call
// (about ten more emulated instructions, ~17,000 cycles under kvm-pvm, 7%
// of a null system call), for what the global per-number table and the
// trace (whose records carry the pid) already tell. Measured: a getpid
// loop went from 243 to 248 emulated instructions per call.

fn record(base: u64, slot: usize) -> *mut TaskRecord {
    (base + stats::task_record_offset(slot) as u64) as *mut TaskRecord
}

/// The slot holding `pid`'s record (not a reaped one), or with `allocate`
/// the slot it gets: the first never-used slot on its probe path, else (the
/// table has none left) the first reaped one. A pid with a record usually
/// finds it in its home slot, the first probe.
fn find_slot(base: u64, pid: Pid, allocate: bool) -> Option<usize> {
    let home = pid as usize % TASK_SLOTS;
    let mut reaped = None;
    for i in 0..TASK_SLOTS {
        let slot = (home + i) % TASK_SLOTS;
        let r = record(base, slot);
        // SAFETY: a record inside the task table (see `word`); only this
        // CPU writes it.
        let (seq, rpid, state) = unsafe {
            (
                core::ptr::read_volatile(&raw const (*r).seq),
                core::ptr::read_volatile(&raw const (*r).pid),
                core::ptr::read_volatile(&raw const (*r).state),
            )
        };
        if seq == 0 {
            return allocate.then_some(slot);
        }
        if state == stats::TASK_REAPED {
            reaped = reaped.or(Some(slot));
        } else if rpid == pid {
            return Some(slot);
        }
    }
    if allocate { reaped } else { None }
}

/// Writes record `slot` under its sequence word.
fn write_record(base: u64, slot: usize, f: impl FnOnce(&mut TaskRecord)) {
    let r = record(base, slot);
    // SAFETY: a record inside the task table, written only by this CPU; the
    // host reads it under `seq` (odd while this runs).
    unsafe {
        let seq = core::ptr::read_volatile(&raw const (*r).seq);
        core::ptr::write_volatile(&raw mut (*r).seq, seq | 1);
        core::sync::atomic::compiler_fence(Ordering::Release);
        f(&mut *r);
        core::sync::atomic::compiler_fence(Ordering::Release);
        core::ptr::write_volatile(&raw mut (*r).seq, (seq | 1) + 1);
    }
}

fn state_letter(state: TaskState) -> u32 {
    match state {
        TaskState::Running => stats::TASK_RUNNING,
        TaskState::Sleeping => stats::TASK_SLEEPING,
        TaskState::Stopped => stats::TASK_STOPPED,
        TaskState::Zombie => stats::TASK_ZOMBIE,
    }
}

/// Publishes `t` (a new task, a state change, a new name after exec).
pub fn publish_task(t: &Task) {
    let base = BASE.load(Ordering::Relaxed);
    if base == 0 {
        return;
    }
    let Some(slot) = find_slot(base, t.pid, true) else {
        // 256 live tasks: this one goes unlisted (its calls are in the totals).
        return;
    };
    let r = record(base, slot);
    // SAFETY: as in `find_slot`.
    let (seq, state) = unsafe {
        (
            core::ptr::read_volatile(&raw const (*r).seq),
            core::ptr::read_volatile(&raw const (*r).state),
        )
    };
    if seq == 0 || state == stats::TASK_REAPED {
        bump(stats::WORD_TASKS_CREATED * 8);
        if seq != 0 {
            bump(stats::WORD_TASK_RECORDS_REUSED * 8);
        }
    }
    let at = crate::mm::virt_to_phys(&raw const t.syscalls as u64).unwrap_or(0);
    write_record(base, slot, |rec| {
        rec.pid = t.pid;
        rec.ppid = t.ppid;
        rec.tgid = t.tgid;
        rec.state = state_letter(t.state);
        rec.syscalls = t.syscalls;
        rec.syscalls_at = at;
        rec.start_ns = t.start_ns;
        let mut comm = [0; 16];
        for (to, from) in comm.iter_mut().zip(&t.comm) {
            *to = *from;
        }
        rec.comm = comm;
    });
}

/// `t` became a zombie: publish it, and the children it left to pid 1
/// (their parent changed without a state change).
pub fn task_exited(t: &Task) {
    publish_task(t);
    let base = BASE.load(Ordering::Relaxed);
    if base == 0 {
        return;
    }
    for c in crate::task::all() {
        if c.ppid == 1
            && let Some(slot) = find_slot(base, c.pid, false)
            // SAFETY: as in `find_slot`.
            && unsafe { core::ptr::read_volatile(&raw const (*record(base, slot)).ppid) } != 1
        {
            publish_task(c);
        }
    }
}

/// `pid` is being reaped: its record keeps its final count, state X, and
/// no longer points at the task's memory (which is about to be freed).
pub fn task_gone(pid: Pid) {
    let base = BASE.load(Ordering::Relaxed);
    if base == 0 {
        return;
    }
    let Some(slot) = find_slot(base, pid, false) else {
        return;
    };
    let calls = crate::task::find(pid).map(|t| t.syscalls);
    write_record(base, slot, |rec| {
        rec.state = stats::TASK_REAPED;
        if let Some(calls) = calls {
            rec.syscalls = calls;
        }
        rec.syscalls_at = 0;
    });
}

/// Counts a system call of `t` (the running task) where the global tables
/// count it, when it returns (exit and exit_group are in neither), so the
/// per-task counts add up to the totals: one `inc` of the task's own
/// counter, which the host reads through the record's `syscalls_at`.
///
/// A plain increment, not `inc`'s asm: it compiles to the same single
/// `inc`, and unlike an asm block it does not make the compiler reload
/// what it holds from memory (the running task, for the exit work). The
/// host reads the word whole (an aligned u64) and only this CPU writes it.
#[inline(always)]
pub fn count_task_syscall(t: &mut Task) {
    t.syscalls = t.syscalls.wrapping_add(1);
}
