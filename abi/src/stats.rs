//! The stats area: counters the guest kernel keeps in guest memory and the
//! host reads through its own mapping of guest RAM, without stopping the
//! vCPU (no exits on the guest's side either: it only increments).
//!
//! The VMM chooses the guest-physical address (page aligned, [`STATS_SIZE`]
//! bytes of RAM the kernel must not use otherwise) and passes it as
//! `lstar.stats=0xADDR`. Every counter is a naturally aligned u64 the guest
//! writes with single stores, so a reader never sees a torn value.
//!
//! Layout (little-endian u64 words):
//! ```text
//! word 0            MAGIC | VERSION << 32   (written last at boot: "ready")
//! words 1..16       StatsHeader counters (see the WORD_* constants)
//! CALLS_64_OFFSET   calls   by x86-64 number, NR_SLOTS_64 words
//! ERRORS_64_OFFSET  errors  by x86-64 number
//! CALLS_I386_OFFSET calls   by i386 number (int 0x80), NR_SLOTS_I386 words
//! ERRORS_I386_OFFSET errors by i386 number
//! ```
//! The last slot of each array counts numbers beyond the table ("unknown").
//! The trace ring (`TRACE_RECORDS` records of [`TraceRecord`]) follows at
//! `TRACE_RING_OFFSET`.

use crate::syscall_nr::{NR_SYSCALLS_64, NR_SYSCALLS_I386};

pub const MAGIC: u64 = u32::from_le_bytes(*b"LSTS") as u64;
pub const VERSION: u64 = 1;
pub const HEADER_WORD: u64 = MAGIC | (VERSION << 32);

/// Word indexes of the scalar counters.
pub const WORD_TASK_WORK_RUN: usize = 1;
pub const WORD_SYSCALLS_TOTAL: usize = 2;
pub const WORD_INT80_TOTAL: usize = 3;
pub const WORD_PAGE_FAULTS: usize = 4;
pub const WORD_FRAMES_ALLOCATED: usize = 5;
/// Tracing (see [`TraceRecord`]): the host sets the flag to 1 to ask for
/// records; the guest advances the head after writing each record, the host
/// the tail after reading; records the guest could not write because the
/// ring was full are counted in `lost`, never silently dropped.
pub const WORD_TRACE_ENABLED: usize = 6;
pub const WORD_TRACE_HEAD: usize = 7;
pub const WORD_TRACE_TAIL: usize = 8;
pub const WORD_TRACE_LOST: usize = 9;
/// The block device's page cache: pages dirty now, pages written back, and
/// the write and flush requests sent to the device.
pub const WORD_DIRTY_PAGES: usize = 10;
pub const WORD_PAGES_WRITTEN_BACK: usize = 11;
pub const WORD_BLK_WRITE_REQUESTS: usize = 12;
pub const WORD_BLK_FLUSHES: usize = 13;
pub const HEADER_WORDS: usize = 16;

pub const NR_SLOTS_64: usize = NR_SYSCALLS_64 + 1;
pub const NR_SLOTS_I386: usize = NR_SYSCALLS_I386 + 1;

pub const CALLS_64_OFFSET: usize = HEADER_WORDS * 8;
pub const ERRORS_64_OFFSET: usize = CALLS_64_OFFSET + NR_SLOTS_64 * 8;
pub const CALLS_I386_OFFSET: usize = ERRORS_64_OFFSET + NR_SLOTS_64 * 8;
pub const ERRORS_I386_OFFSET: usize = CALLS_I386_OFFSET + NR_SLOTS_I386 * 8;
pub const USED_SIZE: usize = ERRORS_I386_OFFSET + NR_SLOTS_I386 * 8;
/// Bytes reserved for the stats area (whole pages).
pub const STATS_SIZE: usize = USED_SIZE.div_ceil(4096) * 4096;

/// Which entry a system call came through.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum Entry {
    /// SYSCALL (x86-64 numbers); on kvm-pvm through a fault at its entry.
    Syscall64 = 0,
    /// `int $0x80` (i386 numbers); on kvm-pvm through #UD.
    Int80 = 1,
}

/// Byte offsets of the call and error counters for `nr` through `entry`.
pub fn counter_offsets(entry: Entry, nr: u64) -> (usize, usize) {
    let (calls, errors, slots) = match entry {
        Entry::Syscall64 => (CALLS_64_OFFSET, ERRORS_64_OFFSET, NR_SLOTS_64),
        Entry::Int80 => (CALLS_I386_OFFSET, ERRORS_I386_OFFSET, NR_SLOTS_I386),
    };
    let slot = if nr < (slots - 1) as u64 {
        nr as usize
    } else {
        slots - 1
    };
    (calls + slot * 8, errors + slot * 8)
}

const _: () = assert!(STATS_SIZE <= 8 * 4096);

/// Guest-physical address the lstar VMM gives the stats area (inside the
/// first MiB, which the kernel never allocates from).
pub const STATS_ADDR: u64 = 0x8_0000;
const _: () = assert!(STATS_ADDR + STATS_SIZE as u64 <= crate::layout::LOW_MEMORY_END);

/// One traced system call, as the guest writes it into the trace ring.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TraceRecord {
    /// The number, in the table of `entry` (0: SYSCALL, 1: int 0x80).
    pub nr: u32,
    pub entry: u32,
    pub args: [u64; 6],
    /// The value returned in RAX (negative errno on failure).
    pub ret: u64,
    /// Guest TSC when the call returned.
    pub tsc: u64,
}

/// Set in [`TraceRecord::entry`] for a call that does not return (exit,
/// exit_group): recorded before it runs, its `ret` means nothing.
pub const TRACE_NO_RETURN: u32 = 1 << 31;

pub const TRACE_RECORD_SIZE: usize = core::mem::size_of::<TraceRecord>();
const _: () = assert!(TRACE_RECORD_SIZE == 72);
/// Records in the ring (a power of two: the index is `head % TRACE_RECORDS`).
pub const TRACE_RECORDS: usize = 4096;
/// The ring follows the stats area, page aligned; the VMM reserves both
/// whenever it passes `lstar.stats=`.
pub const TRACE_RING_OFFSET: usize = STATS_SIZE;
pub const TRACE_RING_SIZE: usize = TRACE_RECORDS * TRACE_RECORD_SIZE;
const _: () = assert!(
    STATS_ADDR + (TRACE_RING_OFFSET + TRACE_RING_SIZE) as u64 <= crate::layout::LOW_MEMORY_END
);

/// Byte offset of record `index` (any u64: it wraps) from the stats base.
pub fn trace_record_offset(index: u64) -> usize {
    TRACE_RING_OFFSET + (index as usize % TRACE_RECORDS) * TRACE_RECORD_SIZE
}
