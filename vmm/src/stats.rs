//! The guest's stats area (layout: `lstar_abi::stats`), read through the
//! VMM's own mapping of guest memory, and `lstar run --stats`'s report: a
//! table in the format of `strace -c -U calls,errors,name` per entry kind,
//! then the scalar counters.
//!
//! The guest only ever increments aligned u64 words (single stores), so a
//! read while it runs sees each counter whole; after the program has ended
//! the area is final.
//!
//! The task table (`/vm/tasks`, the per-task section of the report) is
//! read record by record under each record's sequence word; the guest is
//! untrusted here as everywhere: every field is bounds-checked, names are
//! decoded lossily, and a record that never settles is left out.

use std::fmt::Write as _;

use lstar_abi::stats::{
    CALLS_64_OFFSET, CALLS_I386_OFFSET, ERRORS_64_OFFSET, ERRORS_I386_OFFSET, HEADER_WORD,
    HEADER_WORDS, MAGIC, NR_SLOTS_64, NR_SLOTS_I386, USED_SIZE, VERSION, WORD_BLK_FLUSHES,
    WORD_BLK_WRITE_REQUESTS, WORD_DIRTY_PAGES, WORD_FRAMES_ALLOCATED, WORD_INT80_TOTAL,
    WORD_PAGE_FAULTS, WORD_PAGES_WRITTEN_BACK, WORD_SYSCALLS_TOTAL, WORD_TASK_RECORDS_REUSED,
    WORD_TASK_WORK_RUN, WORD_TASKS_CREATED, WORD_WB_CLOSE_PAGES, WORD_WB_CLOSES,
    WORD_WB_EXIT_PAGES, WORD_WB_FSYNC_PAGES, WORD_WB_PRESSURE_PAGES,
};
use lstar_abi::stats::{
    TASK_RECORD_SIZE, TASK_SEQ, TASK_SLOTS, TASK_SYSCALLS_AT, TaskRecord, task_record_offset,
};
use lstar_abi::stats::{WORD_META_BLOCKS_WRITTEN, WORD_PAGES_EVICTED};
use lstar_abi::syscall_nr::{name_64, name_i386};
use std::sync::atomic::{Ordering, fence};
use thiserror::Error;
use vm_memory::{Bytes, GuestAddress, GuestMemoryMmap};

#[derive(Debug, Error)]
pub enum StatsError {
    #[error("cannot read the stats area at {addr:#x}: {source}")]
    Read {
        addr: u64,
        source: vm_memory::GuestMemoryError,
    },
    #[error("no syscall statistics (the guest kernel did not publish them)")]
    NotPublished,
    #[error(
        "no syscall statistics (the guest kernel publishes version {0} of the stats area, \
         lstar reads version {VERSION})"
    )]
    Version(u64),
}

/// Calls and errors per number through one entry; the last slot counts
/// the numbers beyond the table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    pub calls: Vec<u64>,
    pub errors: Vec<u64>,
}

/// The guest page cache's counters (dirty now, written back and why,
/// requests, metadata blocks, evictions).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PageCacheStats {
    pub dirty_pages: u64,
    pub pages_written_back: u64,
    pub write_requests: u64,
    pub flushes: u64,
    /// Of `pages_written_back`: at the last close (and how many closes
    /// wrote any), at fsync/sync, at exit, under memory pressure.
    pub written_at_close: u64,
    pub closes_written: u64,
    pub written_at_fsync: u64,
    pub written_at_exit: u64,
    pub written_under_pressure: u64,
    pub metadata_blocks_written: u64,
    pub pages_evicted: u64,
}

impl PageCacheStats {
    pub fn pairs(&self) -> [(&'static str, u64); 11] {
        [
            ("dirty_pages", self.dirty_pages),
            ("pages_written_back", self.pages_written_back),
            ("write_requests", self.write_requests),
            ("flushes", self.flushes),
            ("written_at_close", self.written_at_close),
            ("closes_written", self.closes_written),
            ("written_at_fsync", self.written_at_fsync),
            ("written_at_exit", self.written_at_exit),
            ("written_under_pressure", self.written_under_pressure),
            ("metadata_blocks_written", self.metadata_blocks_written),
            ("pages_evicted", self.pages_evicted),
        ]
    }

    /// Pages written per close that wrote any (0 without one).
    pub fn pages_per_close(&self) -> f64 {
        if self.closes_written == 0 {
            0.0
        } else {
            self.written_at_close as f64 / self.closes_written as f64
        }
    }
}

/// Everything the area holds, decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stats {
    pub task_work_run: u64,
    pub syscalls_total: u64,
    pub int80_total: u64,
    pub page_faults: u64,
    pub frames_allocated: u64,
    /// The guest's page cache of /dev/vda.
    pub page_cache: PageCacheStats,
    /// SYSCALL, x86-64 numbers.
    pub syscall64: Table,
    /// `int $0x80`, i386 numbers.
    pub int80: Table,
    /// Tasks that got a record, and reaped tasks whose record was reused.
    pub tasks_created: u64,
    pub task_records_reused: u64,
    /// The task table, reaped tasks included (state 'X'), by pid; empty
    /// from [`Stats::parse`], which sees only the counters.
    pub tasks: Vec<TaskInfo>,
}

/// One record of the task table, decoded: the control socket's `Task`
/// itself, so that `/vm/tasks`, `lstar inspect` and `--stats` share one
/// definition. `state` is R, S, T, Z, X (reaped) or '?'; `start_ns` the
/// guest's monotonic clock at fork.
pub use crate::api::types::Task as TaskInfo;

impl TaskInfo {
    pub fn reaped(&self) -> bool {
        self.state == 'X'
    }
}

fn words(bytes: &[u8]) -> Vec<u64> {
    bytes
        .chunks_exact(8)
        .map(|c| {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            u64::from_le_bytes(w)
        })
        .collect()
}

/// Word 0 says the area is live and in the layout this lstar reads.
fn check_header(word: u64) -> Result<(), StatsError> {
    if word == HEADER_WORD {
        Ok(())
    } else if word & 0xffff_ffff == MAGIC {
        Err(StatsError::Version(word >> 32))
    } else {
        Err(StatsError::NotPublished)
    }
}

impl Stats {
    /// Decodes the `USED_SIZE` bytes of the area.
    pub fn parse(area: &[u8]) -> Result<Stats, StatsError> {
        if area.len() < USED_SIZE {
            return Err(StatsError::NotPublished);
        }
        let header = words(&area[..HEADER_WORDS * 8]);
        check_header(header[0])?;
        let array = |offset: usize, slots: usize| words(&area[offset..offset + slots * 8]);
        Ok(Stats {
            task_work_run: header[WORD_TASK_WORK_RUN],
            syscalls_total: header[WORD_SYSCALLS_TOTAL],
            int80_total: header[WORD_INT80_TOTAL],
            page_faults: header[WORD_PAGE_FAULTS],
            frames_allocated: header[WORD_FRAMES_ALLOCATED],
            page_cache: PageCacheStats {
                dirty_pages: header[WORD_DIRTY_PAGES],
                pages_written_back: header[WORD_PAGES_WRITTEN_BACK],
                write_requests: header[WORD_BLK_WRITE_REQUESTS],
                flushes: header[WORD_BLK_FLUSHES],
                written_at_close: header[WORD_WB_CLOSE_PAGES],
                closes_written: header[WORD_WB_CLOSES],
                written_at_fsync: header[WORD_WB_FSYNC_PAGES],
                written_at_exit: header[WORD_WB_EXIT_PAGES],
                written_under_pressure: header[WORD_WB_PRESSURE_PAGES],
                metadata_blocks_written: header[WORD_META_BLOCKS_WRITTEN],
                pages_evicted: header[WORD_PAGES_EVICTED],
            },
            syscall64: Table {
                calls: array(CALLS_64_OFFSET, NR_SLOTS_64),
                errors: array(ERRORS_64_OFFSET, NR_SLOTS_64),
            },
            int80: Table {
                calls: array(CALLS_I386_OFFSET, NR_SLOTS_I386),
                errors: array(ERRORS_I386_OFFSET, NR_SLOTS_I386),
            },
            tasks_created: header[WORD_TASKS_CREATED],
            task_records_reused: header[WORD_TASK_RECORDS_REUSED],
            tasks: Vec::new(),
        })
    }

    /// Reads the area at `addr` in guest memory.
    pub fn read(memory: &GuestMemoryMmap, addr: u64) -> Result<Stats, StatsError> {
        let read_err = |source| StatsError::Read { addr, source };
        // The header word first: the kernel writes it last at boot.
        let header: u64 = memory.read_obj(GuestAddress(addr)).map_err(read_err)?;
        check_header(header)?;
        let mut area = vec![0u8; USED_SIZE];
        memory
            .read_slice(&mut area, GuestAddress(addr))
            .map_err(read_err)?;
        let mut stats = Stats::parse(&area)?;
        stats.tasks = read_tasks(memory, addr)?;
        Ok(stats)
    }
}

/// How often a record that is being written is read again before it is
/// left out (the guest writes one in well under a millisecond even
/// emulated; a VM paused mid-write would hold it odd for ever).
const SEQ_ATTEMPTS: u32 = 200;

/// The task table of the area at `addr`: every record in use, reaped ones
/// included, by pid. The header word is checked first.
pub fn read_tasks(memory: &GuestMemoryMmap, addr: u64) -> Result<Vec<TaskInfo>, StatsError> {
    let header: u64 = memory
        .read_obj(GuestAddress(addr))
        .map_err(|source| StatsError::Read { addr, source })?;
    check_header(header)?;
    let mut tasks = Vec::new();
    for slot in 0..TASK_SLOTS {
        let at = addr + task_record_offset(slot) as u64;
        if let Some(task) = read_task(memory, at)? {
            tasks.push(task);
        }
    }
    tasks.sort_by_key(|t| (t.pid, t.reaped(), t.start_ns));
    Ok(tasks)
}

/// One record under its sequence word: None when never used or when it
/// did not settle in [`SEQ_ATTEMPTS`] reads.
fn read_task(memory: &GuestMemoryMmap, at: u64) -> Result<Option<TaskInfo>, StatsError> {
    let read_err = |source| StatsError::Read { addr: at, source };
    let mut bytes = [0u8; TASK_RECORD_SIZE];
    for attempt in 0..SEQ_ATTEMPTS {
        if attempt > 0 {
            std::thread::yield_now();
        }
        let seq: u64 = memory
            .load(GuestAddress(at + TASK_SEQ as u64), Ordering::Acquire)
            .map_err(read_err)?;
        if seq == 0 {
            return Ok(None);
        }
        if seq & 1 != 0 {
            continue;
        }
        memory
            .read_slice(&mut bytes, GuestAddress(at))
            .map_err(read_err)?;
        let mut task = decode_task(&bytes);
        let live = u64_at(&bytes, TASK_SYSCALLS_AT);
        if live != 0 && !task.reaped() {
            // The guest's own counter of a live task: any guest address,
            // so a failed or misaligned load keeps the recorded count.
            if let Ok(n) = memory.load::<u64>(GuestAddress(live), Ordering::Acquire) {
                task.syscalls = n;
            }
        }
        fence(Ordering::Acquire);
        let again: u64 = memory
            .load(GuestAddress(at + TASK_SEQ as u64), Ordering::Acquire)
            .map_err(read_err)?;
        if again == seq {
            return Ok(Some(task));
        }
    }
    Ok(None)
}

fn u64_at(bytes: &[u8], offset: usize) -> u64 {
    bytes
        .get(offset..offset + 8)
        .and_then(|b| b.try_into().ok())
        .map_or(0, u64::from_le_bytes)
}

fn u32_at(bytes: &[u8], offset: usize) -> u32 {
    bytes
        .get(offset..offset + 4)
        .and_then(|b| b.try_into().ok())
        .map_or(0, u32::from_le_bytes)
}

/// The fields of a record's bytes (layout: `lstar_abi::stats::TaskRecord`).
fn decode_task(b: &[u8; TASK_RECORD_SIZE]) -> TaskInfo {
    use std::mem::offset_of;
    let state = match u8::try_from(u32_at(b, offset_of!(TaskRecord, state))) {
        Ok(c @ (b'R' | b'S' | b'T' | b'Z' | b'X')) => char::from(c),
        _ => '?',
    };
    let comm_at = offset_of!(TaskRecord, comm);
    let comm = b.get(comm_at..comm_at + 16).unwrap_or(&[]);
    let len = comm.iter().position(|&c| c == 0).unwrap_or(comm.len());
    TaskInfo {
        pid: u32_at(b, offset_of!(TaskRecord, pid)),
        ppid: u32_at(b, offset_of!(TaskRecord, ppid)),
        tgid: u32_at(b, offset_of!(TaskRecord, tgid)),
        state,
        syscalls: u64_at(b, offset_of!(TaskRecord, syscalls)),
        start_ns: u64_at(b, offset_of!(TaskRecord, start_ns)),
        name: String::from_utf8_lossy(&comm[..len]).into_owned(),
    }
}

/// strace's name for a number it has no name for.
fn unnamed(nr: usize) -> String {
    format!("syscall_{nr:#x}")
}

/// One table row: (calls, errors, name).
pub type Row = (u64, u64, String);

/// What the `--stats` report (and `lstar inspect SOCK syscalls`) prints:
/// the non-zero rows of each entry, by name, and the scalar counters.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Report {
    pub syscall: Vec<Row>,
    pub int80: Vec<Row>,
    pub page_faults: u64,
    pub frames_allocated: u64,
    pub task_work_run: u64,
    pub page_cache: PageCacheStats,
    /// System calls by task (reaped ones included), by pid.
    pub tasks: Vec<TaskInfo>,
    /// Tasks whose records were reused (missing from `tasks`).
    pub tasks_not_shown: u64,
}

impl Report {
    pub fn new(stats: &Stats) -> Report {
        Report {
            syscall: rows(&stats.syscall64, name_64),
            int80: rows(&stats.int80, name_i386),
            page_faults: stats.page_faults,
            frames_allocated: stats.frames_allocated,
            task_work_run: stats.task_work_run,
            page_cache: stats.page_cache,
            tasks: stats.tasks.clone(),
            tasks_not_shown: stats.task_records_reused,
        }
    }
}

/// Sorts rows as strace does: most calls first, then by name.
pub fn sort_rows(rows: &mut [Row]) {
    rows.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.2.cmp(&b.2)));
}

fn rows(table: &Table, name: fn(u64) -> Option<&'static str>) -> Vec<Row> {
    let last = table.calls.len().saturating_sub(1);
    let mut rows: Vec<Row> = table
        .calls
        .iter()
        .zip(&table.errors)
        .enumerate()
        .filter(|(_, (calls, _))| **calls > 0)
        .map(|(nr, (&calls, &errors))| {
            let label = if nr == last {
                // Every number at or beyond the table's end shares this slot.
                "unknown".to_string()
            } else {
                name(nr as u64).map_or_else(|| unnamed(nr), str::to_string)
            };
            (calls, errors, label)
        })
        .collect();
    sort_rows(&mut rows);
    rows
}

const SEPARATOR: &str = "--------- --------- ----------------";

/// Errors column: blank when zero, as strace prints it.
fn errors_cell(errors: u64) -> String {
    if errors == 0 {
        String::new()
    } else {
        errors.to_string()
    }
}

/// One table as `strace -c -U calls,errors,name` prints it.
fn write_table(out: &mut String, rows: &[Row]) {
    let _ = writeln!(out, "{:>9} {:>9} syscall", "calls", "errors");
    let _ = writeln!(out, "{SEPARATOR}");
    for (calls, errors, name) in rows {
        let _ = writeln!(out, "{calls:>9} {:>9} {name}", errors_cell(*errors));
    }
    let calls: u64 = rows.iter().map(|r| r.0).sum();
    let errors: u64 = rows.iter().map(|r| r.1).sum();
    let _ = writeln!(out, "{SEPARATOR}");
    let _ = writeln!(out, "{calls:>9} {:>9} total", errors_cell(errors));
}

/// The per-task section: system calls made by each task (both entries), in
/// pid order, reaped tasks included; absent when the guest kept no table.
fn write_tasks(out: &mut String, tasks: &[TaskInfo], not_shown: u64) {
    if tasks.is_empty() && not_shown == 0 {
        return;
    }
    let _ = writeln!(out, "{:>5} {:>5} {:>9} task", "pid", "ppid", "calls");
    for t in tasks {
        let name = if t.name.is_empty() { "?" } else { &t.name };
        let _ = writeln!(out, "{:>5} {:>5} {:>9} {name}", t.pid, t.ppid, t.syscalls);
    }
    if not_shown > 0 {
        let _ = writeln!(
            out,
            "({not_shown} earlier tasks not shown: their records were reused)"
        );
    }
}

/// The whole `--stats` report: the SYSCALL table (always), the
/// `int $0x80` table when that entry was used (titled as strace titles its
/// 32-bit personality), then the counters; the last line is task work.
pub fn format(stats: &Stats) -> String {
    format_report(&Report::new(stats))
}

/// [`format`] of an already decoded report.
pub fn format_report(stats: &Report) -> String {
    let mut out = String::new();
    write_table(&mut out, &stats.syscall);
    if !stats.int80.is_empty() {
        out.push_str("System call usage summary for 32 bit mode (int $0x80):\n");
        write_table(&mut out, &stats.int80);
    }
    write_tasks(&mut out, &stats.tasks, stats.tasks_not_shown);
    let _ = writeln!(out, "page faults: {}", stats.page_faults);
    if stats.frames_allocated != 0 {
        let _ = writeln!(out, "frames allocated: {}", stats.frames_allocated);
    }
    let pc = &stats.page_cache;
    if *pc != PageCacheStats::default() {
        let _ = writeln!(
            out,
            "page cache: {} dirty, {} written back in {} write requests, {} flushes",
            pc.dirty_pages, pc.pages_written_back, pc.write_requests, pc.flushes
        );
        let _ = writeln!(
            out,
            "writeback: {} pages at {} closes ({:.1} per close), {} at fsync, {} at exit, \
             {} under memory pressure; {} metadata blocks written",
            pc.written_at_close,
            pc.closes_written,
            pc.pages_per_close(),
            pc.written_at_fsync,
            pc.written_at_exit,
            pc.written_under_pressure,
            pc.metadata_blocks_written
        );
        if pc.pages_evicted != 0 {
            let _ = writeln!(
                out,
                "evicted under memory pressure: {} pages",
                pc.pages_evicted
            );
        }
    }
    let _ = writeln!(out, "task work run: {}", stats.task_work_run);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use lstar_abi::stats::{Entry, STATS_SIZE, counter_offsets};
    use lstar_abi::syscall_nr::{nr as nr_64, nr_i386};

    /// A synthetic area, as the guest would leave it.
    struct Area(Vec<u8>);

    impl Area {
        fn new() -> Area {
            let mut a = Area(vec![0; STATS_SIZE]);
            a.set(0, HEADER_WORD);
            a
        }
        fn set(&mut self, offset: usize, v: u64) {
            self.0[offset..offset + 8].copy_from_slice(&v.to_le_bytes());
        }
        fn count(&mut self, entry: Entry, nr: u64, calls: u64, errors: u64) -> &mut Area {
            let (c, e) = counter_offsets(entry, nr);
            self.set(c, calls);
            self.set(e, errors);
            self
        }
    }

    #[test]
    fn empty_area_is_not_published() {
        assert!(matches!(
            Stats::parse(&[0; STATS_SIZE]),
            Err(StatsError::NotPublished)
        ));
        let mut a = Area::new();
        a.set(0, MAGIC | (VERSION + 1) << 32);
        let e = Stats::parse(&a.0).unwrap_err();
        assert!(matches!(e, StatsError::Version(v) if v == VERSION + 1));
        assert_eq!(
            StatsError::NotPublished.to_string(),
            "no syscall statistics (the guest kernel did not publish them)"
        );
        assert!(matches!(
            Stats::parse(&[0; 8]),
            Err(StatsError::NotPublished)
        ));
    }

    #[test]
    fn format_matches_strace() {
        let mut a = Area::new();
        a.count(Entry::Syscall64, nr_64::WRITE as u64, 1, 0)
            .count(Entry::Syscall64, nr_64::BRK as u64, 5, 0)
            .count(Entry::Syscall64, nr_64::RSEQ as u64, 1, 1)
            .count(Entry::Syscall64, nr_64::ARCH_PRCTL as u64, 1, 0)
            .count(Entry::Syscall64, nr_64::READLINK as u64, 1, 1);
        a.set(WORD_TASK_WORK_RUN * 8, 3);
        a.set(WORD_PAGE_FAULTS * 8, 12);
        let stats = Stats::parse(&a.0).unwrap();
        assert_eq!(stats.task_work_run, 3);
        assert_eq!(
            format(&stats),
            "    calls    errors syscall\n\
             --------- --------- ----------------\n\
             \x20       5           brk\n\
             \x20       1           arch_prctl\n\
             \x20       1         1 readlink\n\
             \x20       1         1 rseq\n\
             \x20       1           write\n\
             --------- --------- ----------------\n\
             \x20       9         2 total\n\
             page faults: 12\n\
             task work run: 3\n"
        );
    }

    #[test]
    fn int80_table_unknown_and_unnamed_numbers() {
        let mut a = Area::new();
        a.count(Entry::Syscall64, 400, 2, 2) // in the table's gap: no name
            .count(Entry::Syscall64, 100_000, 3, 3) // beyond the table
            .count(Entry::Int80, nr_i386::WRITE as u64, 1, 0)
            .count(Entry::Int80, nr_i386::GETPID as u64, 1234567890, 0)
            .count(Entry::Int80, u64::MAX, 1, 1);
        a.set(WORD_FRAMES_ALLOCATED * 8, 7);
        let text = format(&Stats::parse(&a.0).unwrap());
        assert_eq!(
            text,
            "    calls    errors syscall\n\
             --------- --------- ----------------\n\
             \x20       3         3 unknown\n\
             \x20       2         2 syscall_0x190\n\
             --------- --------- ----------------\n\
             \x20       5         5 total\n\
             System call usage summary for 32 bit mode (int $0x80):\n\
             \x20   calls    errors syscall\n\
             --------- --------- ----------------\n\
             1234567890           getpid\n\
             \x20       1         1 unknown\n\
             \x20       1           write\n\
             --------- --------- ----------------\n\
             1234567892         1 total\n\
             page faults: 0\n\
             frames allocated: 7\n\
             task work run: 0\n"
        );
    }

    #[test]
    fn no_calls_still_prints_the_table_and_counters() {
        let text = format(&Stats::parse(&Area::new().0).unwrap());
        assert_eq!(
            text,
            "    calls    errors syscall\n\
             --------- --------- ----------------\n\
             --------- --------- ----------------\n\
             \x20       0           total\n\
             page faults: 0\n\
             task work run: 0\n"
        );
    }

    #[test]
    fn reads_through_guest_memory() {
        let mem = GuestMemoryMmap::<()>::from_ranges(&[(GuestAddress(0), 1 << 20)]).unwrap();
        let addr = lstar_abi::stats::STATS_ADDR;
        assert!(matches!(
            Stats::read(&mem, addr),
            Err(StatsError::NotPublished)
        ));
        let mut a = Area::new();
        a.count(Entry::Syscall64, nr_64::GETPID as u64, 42, 0);
        mem.write_slice(&a.0, GuestAddress(addr)).unwrap();
        let stats = Stats::read(&mem, addr).unwrap();
        assert_eq!(stats.syscall64.calls[nr_64::GETPID], 42);
        assert!(matches!(
            Stats::read(&mem, 1 << 20),
            Err(StatsError::Read { .. })
        ));
    }

    /// Writes a task record as the guest would (seq even, non-zero).
    fn put_task(mem: &GuestMemoryMmap, slot: usize, rec: TaskRecord) {
        let at = GuestAddress(lstar_abi::stats::STATS_ADDR + task_record_offset(slot) as u64);
        let mut bytes = vec![0u8; TASK_RECORD_SIZE];
        let put = |b: &mut [u8], off: usize, v: &[u8]| b[off..off + v.len()].copy_from_slice(v);
        put(&mut bytes, 0, &rec.seq.to_le_bytes());
        put(&mut bytes, 8, &rec.pid.to_le_bytes());
        put(&mut bytes, 12, &rec.ppid.to_le_bytes());
        put(&mut bytes, 16, &rec.tgid.to_le_bytes());
        put(&mut bytes, 20, &rec.state.to_le_bytes());
        put(&mut bytes, 24, &rec.syscalls.to_le_bytes());
        put(&mut bytes, 32, &rec.syscalls_at.to_le_bytes());
        put(&mut bytes, 40, &rec.start_ns.to_le_bytes());
        put(&mut bytes, 48, &rec.comm);
        mem.write_slice(&bytes, at).unwrap();
    }

    fn comm(name: &[u8]) -> [u8; 16] {
        let mut c = [0; 16];
        c[..name.len()].copy_from_slice(name);
        c
    }

    #[test]
    fn task_table_is_read_under_seq_and_untrusted() {
        use lstar_abi::stats::{TASK_REAPED, TASK_SLEEPING, TASK_ZOMBIE};
        let mem = GuestMemoryMmap::<()>::from_ranges(&[(GuestAddress(0), 1 << 20)]).unwrap();
        let addr = lstar_abi::stats::STATS_ADDR;
        assert!(matches!(
            read_tasks(&mem, addr),
            Err(StatsError::NotPublished)
        ));
        let mut a = Area::new();
        a.set(WORD_TASKS_CREATED * 8, 4);
        a.set(WORD_TASK_RECORDS_REUSED * 8, 1);
        mem.write_slice(&a.0, GuestAddress(addr)).unwrap();
        // A live task whose counter lives elsewhere in guest memory.
        let counter = 0x4_0000u64;
        mem.write_obj(77u64, GuestAddress(counter)).unwrap();
        put_task(
            &mem,
            1,
            TaskRecord {
                seq: 2,
                pid: 1,
                tgid: 1,
                state: TASK_SLEEPING,
                syscalls: 5,
                syscalls_at: counter,
                start_ns: 10,
                comm: comm(b"sh"),
                ..Default::default()
            },
        );
        // Reaped: the recorded count, whatever the pointer says.
        put_task(
            &mem,
            2,
            TaskRecord {
                seq: 6,
                pid: 2,
                ppid: 1,
                state: TASK_REAPED,
                syscalls: 9,
                syscalls_at: counter,
                comm: comm(b"true"),
                ..Default::default()
            },
        );
        // Garbage: a counter address outside guest memory, a bad state,
        // a name that is not UTF-8 and fills all 16 bytes.
        put_task(
            &mem,
            3,
            TaskRecord {
                seq: 4,
                pid: 3,
                ppid: 1,
                state: 0xffff_ffff,
                syscalls: 3,
                syscalls_at: u64::MAX - 3,
                comm: [0xff; 16],
                ..Default::default()
            },
        );
        // A misaligned counter address: the recorded count.
        put_task(
            &mem,
            5,
            TaskRecord {
                seq: 2,
                pid: 5,
                ppid: 1,
                state: TASK_SLEEPING,
                syscalls: 8,
                syscalls_at: counter + 1,
                ..Default::default()
            },
        );
        // Being written (odd seq): never settles here, so left out.
        put_task(
            &mem,
            4,
            TaskRecord {
                seq: 7,
                pid: 4,
                state: TASK_ZOMBIE,
                ..Default::default()
            },
        );
        let tasks = read_tasks(&mem, addr).unwrap();
        assert_eq!(tasks.len(), 4, "{tasks:?}");
        assert_eq!(
            (tasks[3].pid, tasks[3].syscalls, &*tasks[3].name),
            (5, 8, "")
        );
        assert_eq!(
            (
                tasks[0].pid,
                tasks[0].state,
                tasks[0].syscalls,
                &*tasks[0].name
            ),
            (1, 'S', 77, "sh")
        );
        assert_eq!((tasks[1].state, tasks[1].syscalls), ('X', 9));
        assert!(tasks[1].reaped());
        assert_eq!((tasks[2].state, tasks[2].syscalls), ('?', 3));
        assert_eq!(tasks[2].name.chars().count(), 16);

        let mut stats = Stats::read(&mem, addr).unwrap();
        assert_eq!((stats.tasks_created, stats.task_records_reused), (4, 1));
        stats.tasks.truncate(2);
        assert_eq!(
            Report::new(&stats)
                .tasks
                .iter()
                .map(|t| t.pid)
                .collect::<Vec<_>>(),
            [1, 2]
        );
        let text = format(&stats);
        assert!(
            text.contains(
                "  pid  ppid     calls task\n\
                 \x20   1     0        77 sh\n\
                 \x20   2     1         9 true\n\
                 (1 earlier tasks not shown: their records were reused)\n\
                 page faults: 0\n"
            ),
            "{text}"
        );
        assert!(text.ends_with("task work run: 0\n"), "{text}");
    }

    #[test]
    fn page_cache_counters_are_decoded_and_printed() {
        let mut a = Area::new();
        for (word, v) in [
            (WORD_PAGES_WRITTEN_BACK, 21),
            (WORD_WB_CLOSE_PAGES, 15),
            (WORD_WB_CLOSES, 3),
            (WORD_WB_FSYNC_PAGES, 2),
            (WORD_WB_EXIT_PAGES, 4),
            (WORD_META_BLOCKS_WRITTEN, 46),
            (WORD_PAGES_EVICTED, 7),
        ] {
            a.set(word * 8, v);
        }
        let stats = Stats::parse(&a.0).unwrap();
        assert_eq!(stats.page_cache.pages_per_close(), 5.0);
        assert_eq!(PageCacheStats::default().pages_per_close(), 0.0);
        let text = format(&stats);
        assert!(
            text.contains(
                "page cache: 0 dirty, 21 written back in 0 write requests, 0 flushes\n\
                 writeback: 15 pages at 3 closes (5.0 per close), 2 at fsync, 4 at exit, \
                 0 under memory pressure; 46 metadata blocks written\n\
                 evicted under memory pressure: 7 pages\n"
            ),
            "{text}"
        );
    }
}
