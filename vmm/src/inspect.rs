//! `lstar inspect SOCKET WHAT [--json]`: a small client of the control
//! socket. One HTTP/1.1 request per run; the answer's head is parsed by
//! httparse and its body read into the types of `api::types`, the ones the
//! server wrote it from, then printed as a table (syscalls in the
//! `--stats` format) or as raw JSON.

use std::fmt::Write as _;
use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::time::Duration;

use serde::de::DeserializeOwned;

use crate::api::types::{self, Map};
use crate::cli::InspectOptions;
use crate::stats::{self, Report, Row};

/// Exit statuses: 0 answered, 1 the server said no or the answer was bad,
/// 125 no connection.
const FAILED: u8 = 1;
const NO_CONNECTION: u8 = 125;

pub fn request(
    socket: &std::path::Path,
    method: &str,
    path: &str,
    body: &str,
) -> Result<(u16, String), (u8, String)> {
    let mut stream = UnixStream::connect(socket)
        .map_err(|e| (NO_CONNECTION, format!("{}: {e}", socket.display())))?;
    let io_err = |e: std::io::Error| (FAILED, format!("{}: {e}", socket.display()));
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .map_err(io_err)?;
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(head.as_bytes()).map_err(io_err)?;
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).map_err(io_err)?;
    let bad = || {
        (
            FAILED,
            "malformed answer from the control socket".to_string(),
        )
    };
    let mut headers = [httparse::EMPTY_HEADER; crate::api::http::MAX_HEADERS];
    let mut response = httparse::Response::new(&mut headers);
    let head_len = match response.parse(&answer) {
        Ok(httparse::Status::Complete(n)) => n,
        _ => return Err(bad()),
    };
    let status = response.code.ok_or_else(bad)?;
    let body = String::from_utf8_lossy(&answer[head_len..]).into_owned();
    Ok((status, body))
}

/// Runs the command; returns lstar's exit status.
pub fn main(opts: &InspectOptions) -> u8 {
    let (method, path, body) = match opts.what.as_str() {
        "vm" => ("GET", "/vm", String::new()),
        "syscalls" => ("GET", "/vm/syscalls", String::new()),
        "tasks" => ("GET", "/vm/tasks", String::new()),
        "exits" => ("GET", "/vm/exits", String::new()),
        "blk" => ("GET", "/vm/blk", String::new()),
        "regs" => ("GET", "/vm/vcpus/0/regs", String::new()),
        "sregs" => ("GET", "/vm/vcpus/0/sregs", String::new()),
        "msrs" => ("GET", "/vm/vcpus/0/msrs", String::new()),
        "syscall-table" => ("GET", "/vm/syscall-table", String::new()),
        "pause" => ("PUT", "/vm/state", r#"{"state": "paused"}"#.to_string()),
        "resume" => ("PUT", "/vm/state", r#"{"state": "running"}"#.to_string()),
        _ => (
            "PUT",
            "/vm/actions",
            r#"{"action": "shutdown"}"#.to_string(),
        ),
    };
    let (status, text) = match request(&opts.socket, method, path, &body) {
        Ok(answer) => answer,
        Err((code, message)) => {
            eprintln!("lstar: inspect: {message}");
            return code;
        }
    };
    if !(200..300).contains(&status) {
        let message = serde_json::from_str::<types::ErrorBody>(&text)
            .map_or_else(|_| text.clone(), |e| e.error);
        eprintln!("lstar: inspect: {method} {path}: {status}: {message}");
        return FAILED;
    }
    if opts.json {
        println!("{}", text.trim_end());
        return 0;
    }
    match human(&opts.what, &text) {
        Ok(out) => {
            print!("{out}");
            0
        }
        Err(e) => {
            eprintln!("lstar: inspect: {path}: unexpected answer ({e}): {text}");
            FAILED
        }
    }
}

fn hex(v: u64) -> String {
    format!("{v:#018x}")
}

fn opt_hex(v: Option<u64>) -> String {
    v.map_or_else(|| "-".to_string(), hex)
}

fn rows(table: &Map<types::Count>) -> Vec<Row> {
    let mut rows: Vec<Row> = table
        .0
        .iter()
        .map(|(name, c)| (c.calls, c.errors, name.clone()))
        .collect();
    stats::sort_rows(&mut rows);
    rows
}

/// One table of `/vm/syscall-table`: `nr name address symbol+off` rows.
fn syscall_table(out: &mut String, entry: &str, abi: &str, t: &types::SyscallTable) {
    if !out.is_empty() {
        out.push('\n');
    }
    let _ = writeln!(
        out,
        "{entry} ({abi}): {} at {}, {} of {} entries implemented",
        t.symbol,
        hex(t.gva),
        t.implemented.len(),
        t.entries
    );
    let _ = writeln!(out, "{:>4}  {:<24} {:>18}  symbol", "nr", "name", "address");
    for r in &t.implemented {
        let symbol = match (&r.symbol, r.offset) {
            (Some(s), Some(0)) => s.clone(),
            (Some(s), Some(off)) => format!("{s}+{off:#x}"),
            _ => "-".to_string(),
        };
        let _ = writeln!(
            out,
            "{:>4}  {:<24} {:>18}  {symbol}",
            r.nr,
            r.name.as_deref().unwrap_or("-"),
            hex(r.address)
        );
    }
}

fn parse<T: DeserializeOwned>(text: &str) -> Result<T, serde_json::Error> {
    serde_json::from_str(text)
}

/// The table for `what`, or why the JSON is not what was expected.
fn human(what: &str, text: &str) -> Result<String, serde_json::Error> {
    let mut out = String::new();
    match what {
        "syscalls" => {
            let v: types::Syscalls = parse(text)?;
            let report = Report {
                syscall: rows(&v.syscall),
                int80: rows(&v.int80),
                page_faults: v.page_faults,
                frames_allocated: v.frames_allocated,
                task_work_run: v.task_work_run,
                // The page cache is shown by `inspect blk`.
                page_cache: Default::default(),
                tasks: v.by_pid,
                tasks_not_shown: v.tasks_not_shown,
            };
            out = stats::format_report(&report);
        }
        "tasks" => {
            let v: Vec<types::Task> = parse(text)?;
            let _ = writeln!(
                out,
                "{:>5} {:>5} {:<5} {:>9} NAME",
                "PID", "PPID", "STATE", "SYSCALLS"
            );
            for t in &v {
                let _ = writeln!(
                    out,
                    "{:>5} {:>5} {:<5} {:>9} {}",
                    t.pid, t.ppid, t.state, t.syscalls, t.name
                );
            }
        }
        "msrs" => {
            let v: types::Msrs = parse(text)?;
            let _ = writeln!(
                out,
                "{:<20} {:>10} {:>18}  {:<24} decoded",
                "name", "index", "value", "symbol"
            );
            for m in &v.msrs {
                let _ = writeln!(
                    out,
                    "{:<20} {:>10} {:>18}  {:<24} {}",
                    m.name,
                    format!("{:#x}", m.index),
                    opt_hex(m.value),
                    m.symbol.as_deref().unwrap_or("-"),
                    m.decoded
                );
            }
        }
        "syscall-table" => {
            let v: types::SyscallTables = parse(text)?;
            syscall_table(&mut out, "syscall", "x86-64", &v.syscall);
            syscall_table(&mut out, "int80", "i386", &v.int80);
        }
        "regs" => {
            let v: types::Regs = parse(text)?;
            for (i, (name, value)) in v.pairs().iter().enumerate() {
                let sep = if i % 3 == 2 { "\n" } else { "  " };
                let _ = write!(out, "{name:>6} {}{sep}", hex(*value));
            }
        }
        "sregs" => {
            let v: types::Sregs = parse(text)?;
            let _ = writeln!(
                out,
                "{:<4} {:>8} {:>18} {:>10} {:>4} {:>3} {:>2} {:>2} {:>2}",
                "seg", "selector", "base", "limit", "type", "dpl", "l", "db", "p"
            );
            for (name, seg) in v.segments() {
                let _ = writeln!(
                    out,
                    "{name:<4} {:>8} {:>18} {:>10} {:>4} {:>3} {:>2} {:>2} {:>2}",
                    format!("{:#x}", seg.selector),
                    hex(seg.base),
                    format!("{:#x}", seg.limit),
                    seg.type_,
                    seg.dpl,
                    seg.l,
                    seg.db,
                    seg.present
                );
            }
            for (t, d) in [("gdt", v.gdt), ("idt", v.idt)] {
                let _ = writeln!(out, "{t}: base {} limit {:#x}", hex(d.base), d.limit);
            }
            for (r, value) in [
                ("cr0", v.cr0),
                ("cr2", v.cr2),
                ("cr3", v.cr3),
                ("cr4", v.cr4),
                ("cr8", v.cr8),
                ("efer", v.efer),
                ("apic_base", v.apic_base),
            ] {
                let _ = writeln!(out, "{r}: {}", hex(value));
            }
        }
        "exits" => {
            let v: types::Exits = parse(text)?;
            let r = v.by_reason;
            let _ = writeln!(out, "{:>12} exit reason", "count");
            for (reason, n) in [
                ("io", r.io),
                ("mmio", r.mmio),
                ("hlt", r.hlt),
                ("interrupted", r.interrupted),
                ("other", r.other),
            ] {
                let _ = writeln!(out, "{n:>12} {reason}");
            }
            let _ = writeln!(out, "{:>12} total", v.total);
            let _ = writeln!(out, "\n{:>12} port I/O device", "count");
            for (device, n) in &v.io_by_device.0 {
                let _ = writeln!(out, "{n:>12} {device}");
            }
            match &v.kvm {
                Some(stats) => {
                    let _ = writeln!(out, "\n{:>12} KVM statistic (vCPU 0)", "value");
                    for (name, n) in &stats.0 {
                        let _ = writeln!(out, "{n:>12} {name}");
                    }
                }
                None => out.push_str("\nKVM binary statistics: not available\n"),
            }
        }
        "blk" => {
            let v: Map<u64> = parse(text)?;
            if v.is_empty() {
                out.push_str("no block device\n");
            }
            for (k, n) in &v.0 {
                let _ = writeln!(out, "{k}: {n}");
            }
        }
        "vm" => {
            let v: types::VmInfo = parse(text)?;
            let status = v
                .exit_status
                .map_or_else(|| "-".to_string(), |s| s.to_string());
            let _ = writeln!(out, "state: {}", v.state);
            let _ = writeln!(out, "exit_status: {status}");
            let _ = writeln!(out, "uptime_ms: {}", v.uptime_ms);
            let _ = writeln!(out, "platform: {}", v.platform);
            let _ = writeln!(out, "vcpus: {}", v.vcpus);
            let _ = writeln!(out, "mem_mib: {}", v.mem_mib);
            let _ = writeln!(out, "kernel: {}", v.kernel);
            let _ = writeln!(out, "cmdline: {}", v.cmdline);
        }
        "pause" => {
            parse::<types::StateBody>(text)?;
            out.push_str("paused\n");
        }
        "resume" => {
            parse::<types::StateBody>(text)?;
            out.push_str("running\n");
        }
        _ => {
            parse::<types::ActionBody>(text)?;
            out.push_str("shutting down\n");
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syscalls_table_is_the_stats_format() {
        let v = r#"{"syscall": {"write": {"calls": 1, "errors": 0}, "getpid": {"calls": 5, "errors": 0}},
                "int80": {"getpid": {"calls": 2, "errors": 0}}, "task_work_run": 3,
                "page_faults": 4, "frames_allocated": 0, "by_pid": [], "tasks_not_shown": 0}"#;
        let text = human("syscalls", v).unwrap();
        assert!(
            text.starts_with(
                "    calls    errors syscall\n--------- --------- ----------------\n\
                 \x20       5           getpid\n\x20       1           write\n"
            ),
            "{text}"
        );
        assert!(text.contains("32 bit mode"));
        assert!(
            text.ends_with("page faults: 4\ntask work run: 3\n"),
            "{text}"
        );
        assert!(human("syscalls", "{}").is_err());
        // A member given twice is refused, in a run-time map too.
        let twice = v.replace(
            r#""int80": {"#,
            r#""int80": {"getpid": {"calls": 1, "errors": 0}, "#,
        );
        assert!(human("syscalls", &twice).is_err());
    }

    #[test]
    fn syscall_table_rows() {
        let table = |sym: &str| {
            format!(
                r#"{{"symbol": "{sym}", "gva": 18446744071563264608, "entries": 463,
                   "implemented": [{{"nr": 1, "name": "write", "address": 18446744071563153104,
                   "symbol": "lstar_kernel::fs::read_write::sys_write", "offset": 0}},
                   {{"nr": 2, "name": null, "address": 16, "symbol": null, "offset": null}},
                   {{"nr": 3, "name": "x", "address": 18446744071563153105,
                   "symbol": "f", "offset": 1}}]}}"#
            )
        };
        let v = format!(
            r#"{{"syscall": {}, "int80": {}}}"#,
            table("T64"),
            table("T32")
        );
        let text = human("syscall-table", &v).unwrap();
        assert!(
            text.starts_with("syscall (x86-64): T64 at 0xffffffff80124260, 3 of 463"),
            "{text}"
        );
        assert!(text.contains("\nint80 (i386): T32 at"), "{text}");
        assert!(
            text.contains(
                "   1  write                    0xffffffff80108ed0  \
                 lstar_kernel::fs::read_write::sys_write\n"
            ),
            "{text}"
        );
        assert!(text.contains("   2  -  "), "{text}");
        assert!(text.contains("  f+0x1\n"), "{text}");
        assert!(human("syscall-table", "{}").is_err());
    }

    #[test]
    fn msrs_table() {
        let v = r#"{"msrs": [{"name": "IA32_LSTAR", "index": 3221225602, "value": 18446744071562067968,
                "decoded": "", "symbol": "entry_syscall_64"}]}"#;
        let text = human("msrs", v).unwrap();
        assert!(text.contains("IA32_LSTAR"), "{text}");
        assert!(text.contains("0xc0000082"), "{text}");
        assert!(
            text.contains("0xffffffff80000000  entry_syscall_64"),
            "{text}"
        );
    }

    #[test]
    fn tasks_table_is_ps_like() {
        let v = r#"[{"pid": 1, "ppid": 0, "tgid": 1, "state": "S", "syscalls": 13,
                 "start_ns": 5, "name": "sh"},
                {"pid": 12, "ppid": 1, "tgid": 12, "state": "R", "syscalls": 0,
                 "start_ns": 9, "name": "my prog"}]"#;
        assert_eq!(
            human("tasks", v).unwrap(),
            "  PID  PPID STATE  SYSCALLS NAME\n\
             \x20   1     0 S            13 sh\n\
             \x20  12     1 R             0 my prog\n"
        );
        assert!(human("tasks", "{}").is_err());
        assert!(human("tasks", r#"[{"pid": -1}]"#).is_err());
        // /vm/syscalls's by_pid: the --stats section.
        let v = r#"{"syscall": {"write": {"calls": 1, "errors": 0}}, "int80": {},
                "task_work_run": 0, "page_faults": 0, "frames_allocated": 0,
                "by_pid": [{"pid": 1, "ppid": 0, "tgid": 1, "state": "X", "syscalls": 1,
                "start_ns": 0, "name": "a"}], "tasks_not_shown": 0}"#;
        let text = human("syscalls", v).unwrap();
        assert!(
            text.contains("  pid  ppid     calls task\n    1     0         1 a\n"),
            "{text}"
        );
    }
}
