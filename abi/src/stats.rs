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
//! words 1..32       StatsHeader counters (see the WORD_* constants)
//! CALLS_64_OFFSET   calls   by x86-64 number, NR_SLOTS_64 words
//! ERRORS_64_OFFSET  errors  by x86-64 number
//! CALLS_I386_OFFSET calls   by i386 number (int 0x80), NR_SLOTS_I386 words
//! ERRORS_I386_OFFSET errors by i386 number
//! ```
//! The last slot of each array counts numbers beyond the table ("unknown").
//! The trace ring (`TRACE_RECORDS` records of [`TraceRecord`]) follows at
//! `TRACE_RING_OFFSET`, then the task table at `TASK_TABLE_OFFSET`; the
//! whole region is [`STATS_REGION_SIZE`] bytes.
//!
//! The task table (`/vm/tasks`, the per-task part of `--stats`):
//! [`TASK_SLOTS`] records of [`TaskRecord`] (64 bytes each):
//! ```text
//! +0  seq          0: never used; odd: being written; even: stable
//! +8  pid          u32      +12 ppid  u32
//! +16 tgid         u32      +20 state u32, an ASCII letter (R S T Z, X reaped)
//! +24 syscalls     u64      system calls made when the record was written
//! +32 syscalls_at  u64      guest-physical address of the live counter, 0 if none
//! +40 start_ns     u64      guest monotonic clock at fork
//! +48 comm         [u8; 16] NUL-padded name (not necessarily UTF-8)
//! ```
//! A task's home slot is `pid % TASK_SLOTS`; the guest probes forward from
//! it (linear probing), takes the first never-used slot for a new pid, or
//! the first reaped one when none is left. A lookup stops at a never-used
//! slot. A reaped task's record stays (state X, its final count) for
//! `--stats` until its slot is needed again (counted in
//! `WORD_TASK_RECORDS_REUSED`).
//!
//! Writers (the guest, one CPU) make `seq` odd, write the fields, then make
//! it even, with compiler fences between; a reader takes `seq`, the record,
//! `seq` again, and keeps the record only when both are the same even value.
//! The system call count of a live task is not copied into the record on
//! every call: the guest increments its own `Task::syscalls` (one `inc`,
//! the whole per-call cost), and `syscalls_at` is that word's guest-physical
//! address, which the reader loads (an aligned u64, so never torn) between
//! its two loads of `seq`. The guest clears `syscalls_at` (under a `seq`
//! change) before the task's memory is freed, so a reader whose two `seq`
//! loads agree read the counter of a task that still existed.

use crate::syscall_nr::{NR_SYSCALLS_64, NR_SYSCALLS_I386};

pub const MAGIC: u64 = u32::from_le_bytes(*b"LSTS") as u64;
/// 2: the task table, `pid` in trace records, the task header words.
/// 3: 32 header words, the page cache's writeback and eviction counters.
pub const VERSION: u64 = 3;
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
/// The page cache (the block device's and the disk file system's files):
/// pages dirty now, pages written back, and the write and flush requests
/// sent to the device.
pub const WORD_DIRTY_PAGES: usize = 10;
pub const WORD_PAGES_WRITTEN_BACK: usize = 11;
pub const WORD_BLK_WRITE_REQUESTS: usize = 12;
pub const WORD_BLK_FLUSHES: usize = 13;
/// Task records created (tasks that got one), and records of reaped
/// tasks reused for new ones (tasks `--stats` can no longer list).
pub const WORD_TASKS_CREATED: usize = 14;
pub const WORD_TASK_RECORDS_REUSED: usize = 15;
/// Of the pages written back (`WORD_PAGES_WRITTEN_BACK`), why: at the last
/// close of a file (and the closes that wrote any: pages per close is the
/// quotient), at fsync/fdatasync/sync/msync, at a program's exit (the
/// files it left open), and early, when the frame allocator ran out.
pub const WORD_WB_CLOSE_PAGES: usize = 16;
pub const WORD_WB_CLOSES: usize = 17;
pub const WORD_WB_FSYNC_PAGES: usize = 18;
pub const WORD_WB_EXIT_PAGES: usize = 19;
pub const WORD_WB_PRESSURE_PAGES: usize = 20;
/// File system metadata blocks written (bitmaps, inode tables, directory
/// and indirect blocks, group descriptors, the superblock).
pub const WORD_META_BLOCKS_WRITTEN: usize = 21;
/// Clean file pages dropped from the page cache to free their frames
/// (under memory pressure).
pub const WORD_PAGES_EVICTED: usize = 22;
pub const HEADER_WORDS: usize = 32;

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
    /// The calling task (0 if none).
    pub pid: u32,
    pub reserved: u32,
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
const _: () = assert!(TRACE_RECORD_SIZE == 80);
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

/// One task, as the guest publishes it in the task table (see the module
/// comment for the protocol).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TaskRecord {
    pub seq: u64,
    pub pid: u32,
    pub ppid: u32,
    pub tgid: u32,
    /// One of the `TASK_*` letters.
    pub state: u32,
    pub syscalls: u64,
    pub syscalls_at: u64,
    pub start_ns: u64,
    pub comm: [u8; 16],
}

pub const TASK_RUNNING: u32 = b'R' as u32;
pub const TASK_SLEEPING: u32 = b'S' as u32;
pub const TASK_STOPPED: u32 = b'T' as u32;
pub const TASK_ZOMBIE: u32 = b'Z' as u32;
/// Reaped: gone from the guest, its record kept for `--stats`.
pub const TASK_REAPED: u32 = b'X' as u32;

pub const TASK_RECORD_SIZE: usize = core::mem::size_of::<TaskRecord>();
const _: () = assert!(TASK_RECORD_SIZE == 64);
/// Byte offsets inside a record.
pub const TASK_SEQ: usize = 0;
pub const TASK_SYSCALLS_AT: usize = 32;
/// Records in the task table.
pub const TASK_SLOTS: usize = 256;
pub const TASK_TABLE_OFFSET: usize = TRACE_RING_OFFSET + TRACE_RING_SIZE;
pub const TASK_TABLE_SIZE: usize = TASK_SLOTS * TASK_RECORD_SIZE;
/// Bytes of guest-physical memory the whole region takes (counters, trace
/// ring, task table), page aligned; the VMM keeps it for the stats area.
pub const STATS_REGION_SIZE: usize = (TASK_TABLE_OFFSET + TASK_TABLE_SIZE).div_ceil(4096) * 4096;
const _: () = assert!(STATS_ADDR + STATS_REGION_SIZE as u64 <= crate::layout::LOW_MEMORY_END);
// Nothing else the VMM puts in low memory overlaps it.
const _: () = assert!(
    crate::layout::CMDLINE_ADDR + crate::layout::CMDLINE_MAX as u64 <= STATS_ADDR
        && crate::layout::START_INFO_ADDR < crate::layout::CMDLINE_ADDR
);

/// Byte offset of task record `slot` from the stats base.
pub fn task_record_offset(slot: usize) -> usize {
    TASK_TABLE_OFFSET + (slot % TASK_SLOTS) * TASK_RECORD_SIZE
}
