//! `lstar run --trace`: every system call of the program, as strace prints
//! it (`write(1, 0x4020a8, 14) = 14`), read from the guest's trace ring
//! (`lstar_abi::stats`) while the program runs.
//!
//! The guest writes records only while the flag in the stats area is set,
//! never waits for us, and counts the records it had to drop; we drain the
//! ring from a thread of our own, so the vCPU never stops for tracing.
//!
//! Each record carries the calling task's pid. `lstar run --trace` prints
//! lines bare while only the first task has made calls, then, from the
//! first call of a second task on, every line (the first task's too) with
//! strace -f's `[pid N] ` prefix: strace prefixes every line while more
//! than one process is traced; we keep the prefix once a second task has
//! appeared, so a log is unambiguous from there on. `lstar trace SOCKET`
//! attaches to a running VM and prefixes every line.

use std::io::{self, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::Duration;

use lstar_abi::stats::{
    self, Entry, TRACE_NO_RETURN, TraceRecord, WORD_TRACE_ENABLED, WORD_TRACE_HEAD,
    WORD_TRACE_LOST, WORD_TRACE_TAIL,
};
use lstar_abi::syscall_arity::arity;
use lstar_abi::syscall_nr::{name_64, name_i386};
use vm_memory::{Bytes, GuestAddress, GuestMemoryMmap};

/// How often the drainer looks at the ring: at most 4096 records wait, and
/// a system call costs ~100 µs under kvm-pvm, so 1 ms keeps up.
const POLL: Duration = Duration::from_millis(1);

/// The trace ring of one VM.
pub struct TraceRing {
    mem: GuestMemoryMmap,
    base: u64,
    lost_reported: u64,
    /// The pid of the first record drained, and whether another has
    /// been seen since (then lines carry `[pid N]`).
    first_pid: Option<u32>,
    several_tasks: bool,
}

fn word_addr(base: u64, word: usize) -> GuestAddress {
    GuestAddress(base + word as u64 * 8)
}

impl TraceRing {
    /// Asks the guest for records (before it boots, or while it runs).
    pub fn enable(mem: GuestMemoryMmap, base: u64) -> Option<TraceRing> {
        mem.write_obj(1u64, word_addr(base, WORD_TRACE_ENABLED))
            .ok()?;
        Some(TraceRing {
            mem,
            base,
            lost_reported: 0,
            first_pid: None,
            several_tasks: false,
        })
    }

    fn word(&self, word: usize) -> u64 {
        self.mem.read_obj(word_addr(self.base, word)).unwrap_or(0)
    }

    /// The records written since the last call, and how many the guest
    /// has dropped since then.
    pub fn take(&mut self) -> (Vec<TraceRecord>, u64) {
        let head = self.word(WORD_TRACE_HEAD);
        let mut tail = self.word(WORD_TRACE_TAIL);
        // A head that ran away from the tail by more than the ring is a
        // guest bug or garbage: skip to what can still be read.
        if head.wrapping_sub(tail) > stats::TRACE_RECORDS as u64 {
            tail = head.wrapping_sub(stats::TRACE_RECORDS as u64);
        }
        let mut records = Vec::with_capacity(head.wrapping_sub(tail) as usize);
        while tail != head {
            let at = GuestAddress(self.base + stats::trace_record_offset(tail) as u64);
            if let Ok(record) = self.mem.read_obj::<RawRecord>(at) {
                records.push(record.0);
            }
            tail = tail.wrapping_add(1);
        }
        // Publish the tail only after reading: the guest reuses the slots.
        let _ = self
            .mem
            .write_obj(tail, word_addr(self.base, WORD_TRACE_TAIL));
        let lost = self.word(WORD_TRACE_LOST);
        let new_lost = lost.saturating_sub(self.lost_reported);
        self.lost_reported = lost;
        (records, new_lost)
    }

    /// `r` as `--trace` prints it: bare until a second task has made a
    /// call, then behind `[pid N] `.
    fn line(&mut self, r: &TraceRecord) -> String {
        let first = *self.first_pid.get_or_insert(r.pid);
        self.several_tasks |= r.pid != first;
        if self.several_tasks {
            with_pid(r.pid, &format_record(r))
        } else {
            format_record(r)
        }
    }

    /// Prints the records written since the last call; returns how many.
    pub fn drain(&mut self, out: &mut impl Write) -> io::Result<u64> {
        let (records, lost) = self.take();
        for r in &records {
            writeln!(out, "{}", self.line(r))?;
        }
        if lost > 0 {
            writeln!(out, "{}", lost_line(lost))?;
        }
        Ok(records.len() as u64)
    }
}

/// `TraceRecord` as plain bytes for vm-memory.
#[derive(Clone, Copy, Default)]
#[repr(transparent)]
struct RawRecord(TraceRecord);
// SAFETY: TraceRecord is repr(C), made of integers only, with no padding
// (80 bytes: 4 u32 then 8 u64), so every bit pattern is a valid value.
unsafe impl vm_memory::ByteValued for RawRecord {}

/// What a tracer prints when the guest had to drop records.
pub fn lost_line(lost: u64) -> String {
    format!("lstar: trace: {lost} system calls not recorded (the ring was full)")
}

/// strace -f's prefix: `[pid 3] read(0, ...) = 1`.
pub fn with_pid(pid: u32, line: &str) -> String {
    format!("[pid {pid}] {line}")
}

/// A record as the control socket sends it: the raw fields and the line
/// (without the pid prefix: `pid` is a member of its own).
pub fn record_body(r: &TraceRecord) -> crate::api::types::TraceRecord {
    use crate::api::types::{Entry as Gate, TraceRecord as Body};
    Body {
        pid: r.pid,
        entry: if r.entry & 0xff == Entry::Int80 as u32 {
            Gate::Int80
        } else {
            Gate::Syscall
        },
        nr: r.nr,
        args: r.args,
        ret: r.ret as i64,
        returned: r.entry & TRACE_NO_RETURN == 0,
        tsc: r.tsc,
        text: format_record(r),
    }
}

/// Common errno names, for `= -1 ENOENT`.
fn errno_name(e: u64) -> Option<&'static str> {
    const NAMES: [&str; 41] = [
        "",
        "EPERM",
        "ENOENT",
        "ESRCH",
        "EINTR",
        "EIO",
        "ENXIO",
        "E2BIG",
        "ENOEXEC",
        "EBADF",
        "ECHILD",
        "EAGAIN",
        "ENOMEM",
        "EACCES",
        "EFAULT",
        "ENOTBLK",
        "EBUSY",
        "EEXIST",
        "EXDEV",
        "ENODEV",
        "ENOTDIR",
        "EISDIR",
        "EINVAL",
        "ENFILE",
        "EMFILE",
        "ENOTTY",
        "ETXTBSY",
        "EFBIG",
        "ENOSPC",
        "ESPIPE",
        "EROFS",
        "EMLINK",
        "EPIPE",
        "EDOM",
        "ERANGE",
        "EDEADLK",
        "ENAMETOOLONG",
        "ENOLCK",
        "ENOSYS",
        "ENOTEMPTY",
        "ELOOP",
    ];
    NAMES.get(e as usize).copied().filter(|n| !n.is_empty())
}

/// A value as strace would roughly show it: small ones in decimal (fds,
/// counts, flags), the rest (pointers) in hex.
fn arg(v: u64) -> String {
    if v < 0x10000 {
        v.to_string()
    } else {
        format!("{v:#x}")
    }
}

/// One line: `[int 0x80] name(args) = ret`.
pub fn format_record(r: &TraceRecord) -> String {
    let no_return = r.entry & TRACE_NO_RETURN != 0;
    let (entry, name) = if r.entry & 0xff == Entry::Int80 as u32 {
        (Entry::Int80, name_i386(u64::from(r.nr)))
    } else {
        (Entry::Syscall64, name_64(u64::from(r.nr)))
    };
    let name = name.map_or_else(|| format!("syscall_{:#x}", r.nr), str::to_string);
    let n = usize::from(arity(entry, &name).unwrap_or(6));
    let args: Vec<String> = r.args[..n.min(6)].iter().map(|&a| arg(a)).collect();
    let prefix = if entry == Entry::Int80 {
        "[int 0x80] "
    } else {
        ""
    };
    let ret = if no_return {
        "?".to_string()
    } else {
        let v = r.ret as i64;
        if (-4095..0).contains(&v) {
            match errno_name(v.unsigned_abs()) {
                Some(e) => format!("-1 {e}"),
                None => format!("-1 (errno {})", -v),
            }
        } else if (0..0x10000).contains(&v) {
            v.to_string()
        } else {
            format!("{:#x}", r.ret)
        }
    };
    format!("{prefix}{name}({}) = {ret}", args.join(", "))
}

/// `lstar trace SOCKET`: follows a running VM's system calls through the
/// control socket (`GET /vm/trace`, which starts tracing on first use) until
/// the VM is gone. Returns lstar's exit status.
pub fn follow(socket: &std::path::Path) -> u8 {
    let mut out = io::stdout().lock();
    let mut connected = false;
    loop {
        let (status, body) = match crate::inspect::request(socket, "GET", "/vm/trace", "") {
            Ok(answer) => answer,
            // No VM there at all (no such file, not a socket, nobody
            // listening): an error, as `lstar inspect` says.
            Err((code, message)) if !connected => {
                eprintln!("lstar: trace: {message}");
                return code;
            }
            // The VM exited and took its socket with it: the trace is over.
            Err(_) => return 0,
        };
        connected = true;
        if status == 409 {
            return 0;
        }
        let trace: crate::api::types::Trace = match serde_json::from_str(&body) {
            Ok(t) if status == 200 => t,
            _ => {
                eprintln!("lstar: trace: {status} {body}");
                return 1;
            }
        };
        for r in &trace.records {
            if writeln!(out, "{}", with_pid(r.pid, &r.text)).is_err() {
                return 0;
            }
        }
        if trace.lost > 0 {
            eprintln!("{}", lost_line(trace.lost));
        }
        let _ = out.flush();
        thread::sleep(Duration::from_millis(10));
    }
}

/// Waits (at most `limit`) until a tracer has read every record the guest
/// wrote; returns at once when nobody is tracing.
pub fn wait_for_drain(mem: &GuestMemoryMmap, base: u64, limit: Duration) {
    let word = |w: usize| mem.read_obj::<u64>(word_addr(base, w)).unwrap_or(0);
    let start = std::time::Instant::now();
    while word(WORD_TRACE_ENABLED) != 0
        && word(WORD_TRACE_HEAD) != word(WORD_TRACE_TAIL)
        && start.elapsed() < limit
    {
        thread::sleep(Duration::from_millis(2));
    }
}

/// Drains the ring to stderr every millisecond until `done` is set, then
/// once more.
pub fn spawn_drainer(
    mut ring: TraceRing,
    done: Arc<AtomicBool>,
) -> io::Result<thread::JoinHandle<()>> {
    thread::Builder::new()
        .name("lstar-trace".into())
        .spawn(move || {
            crate::seccomp::install_or_exit(crate::seccomp::Role::Trace);
            let mut err = io::stderr();
            loop {
                let finished = done.load(Ordering::Acquire);
                if ring.drain(&mut err).is_err() || finished {
                    return;
                }
                thread::sleep(POLL);
            }
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(nr: u32, entry: u32, args: [u64; 6], ret: i64) -> TraceRecord {
        TraceRecord {
            nr,
            entry,
            pid: 1,
            reserved: 0,
            args,
            ret: ret as u64,
            tsc: 0,
        }
    }

    #[test]
    fn formats_like_strace() {
        let w = record(1, 0, [1, 0x4020a8, 14, 9, 9, 9], 14);
        assert_eq!(format_record(&w), "write(1, 0x4020a8, 14) = 14");
        let e = record(89, 0, [0x7ffff000, 0x7ffff100, 4096, 0, 0, 0], -2);
        assert_eq!(
            format_record(&e),
            "readlink(0x7ffff000, 0x7ffff100, 4096) = -1 ENOENT"
        );
        let x = record(231, TRACE_NO_RETURN, [3, 0, 0, 0, 0, 0], 0);
        assert_eq!(format_record(&x), "exit_group(3) = ?");
        let i = record(4, Entry::Int80 as u32, [1, 0x402000, 9, 0, 0, 0], 9);
        assert_eq!(format_record(&i), "[int 0x80] write(1, 0x402000, 9) = 9");
        let u = record(999, 0, [1, 2, 3, 4, 5, 6], -38);
        assert_eq!(
            format_record(&u),
            "syscall_0x3e7(1, 2, 3, 4, 5, 6) = -1 ENOSYS"
        );
    }

    #[test]
    fn drains_in_order_wraps_and_reports_losses() {
        let base = 0x8_0000u64;
        let mem = GuestMemoryMmap::from_ranges(&[(GuestAddress(0), 1 << 20)]).unwrap();
        let mut ring = TraceRing::enable(mem.clone(), base).unwrap();
        assert_eq!(
            mem.read_obj::<u64>(word_addr(base, WORD_TRACE_ENABLED))
                .unwrap(),
            1
        );
        // The guest side: records at head, then the head; start near the
        // wrap so indexes cross the end of the ring.
        let start = stats::TRACE_RECORDS as u64 - 2;
        mem.write_obj(start, word_addr(base, WORD_TRACE_HEAD))
            .unwrap();
        mem.write_obj(start, word_addr(base, WORD_TRACE_TAIL))
            .unwrap();
        for i in 0..4u64 {
            let r = RawRecord(record(39, 0, [0; 6], 100 + i as i64));
            let at = GuestAddress(base + stats::trace_record_offset(start + i) as u64);
            mem.write_obj(r, at).unwrap();
        }
        mem.write_obj(start + 4, word_addr(base, WORD_TRACE_HEAD))
            .unwrap();
        mem.write_obj(7u64, word_addr(base, WORD_TRACE_LOST))
            .unwrap();
        let mut out = Vec::new();
        assert_eq!(ring.drain(&mut out).unwrap(), 4);
        let text = String::from_utf8(out).unwrap();
        assert_eq!(
            text,
            "getpid() = 100\ngetpid() = 101\ngetpid() = 102\ngetpid() = 103\n\
             lstar: trace: 7 system calls not recorded (the ring was full)\n"
        );
        assert_eq!(
            mem.read_obj::<u64>(word_addr(base, WORD_TRACE_TAIL))
                .unwrap(),
            start + 4
        );
        let mut out = Vec::new();
        assert_eq!(ring.drain(&mut out).unwrap(), 0);
        assert!(out.is_empty());
    }

    #[test]
    fn pids_appear_once_a_second_task_has_called() {
        let base = 0x8_0000u64;
        let mem = GuestMemoryMmap::from_ranges(&[(GuestAddress(0), 1 << 20)]).unwrap();
        let mut ring = TraceRing::enable(mem.clone(), base).unwrap();
        for (i, pid) in [1u32, 1, 2, 1].into_iter().enumerate() {
            let mut r = record(39, 0, [0; 6], i64::from(pid));
            r.pid = pid;
            let at = GuestAddress(base + stats::trace_record_offset(i as u64) as u64);
            mem.write_obj(RawRecord(r), at).unwrap();
        }
        mem.write_obj(4u64, word_addr(base, WORD_TRACE_HEAD))
            .unwrap();
        let mut out = Vec::new();
        ring.drain(&mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "getpid() = 1\ngetpid() = 1\n[pid 2] getpid() = 2\n[pid 1] getpid() = 1\n"
        );
        let body = record_body(&TraceRecord {
            pid: 3,
            ..record(39, 0, [0; 6], 3)
        });
        let json = serde_json::to_string(&body).unwrap();
        assert!(json.starts_with("{\"pid\":3,"), "{json}");
        assert!(json.contains("\"text\":\"getpid() = 3\""), "{json}");
    }
}
