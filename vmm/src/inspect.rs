//! `lstar inspect SOCKET WHAT [--json]`: a small client of the control
//! socket. One HTTP/1.1 request per run, written by hand; the answer is
//! printed as a table (syscalls in the `--stats` format) or as raw JSON.

use std::fmt::Write as _;
use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::time::Duration;

use crate::api::json::{self, Value};
use crate::cli::InspectOptions;
use crate::stats::{self, Report, Row, TaskInfo};

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
    let answer = String::from_utf8_lossy(&answer);
    let bad = || {
        (
            FAILED,
            "malformed answer from the control socket".to_string(),
        )
    };
    let (head, body) = answer.split_once("\r\n\r\n").ok_or_else(bad)?;
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(bad)?;
    Ok((status, body.to_string()))
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
    let value = json::parse(&text);
    if !(200..300).contains(&status) {
        let message = value
            .as_ref()
            .and_then(|v| v.get("error"))
            .and_then(Value::as_str)
            .map_or_else(|| text.clone(), str::to_string);
        eprintln!("lstar: inspect: {method} {path}: {status}: {message}");
        return FAILED;
    }
    if opts.json {
        println!("{}", text.trim_end());
        return 0;
    }
    let Some(value) = value else {
        eprintln!("lstar: inspect: {path}: the answer is not JSON");
        return FAILED;
    };
    match human(&opts.what, &value) {
        Some(out) => {
            print!("{out}");
            0
        }
        None => {
            eprintln!("lstar: inspect: {path}: unexpected answer: {text}");
            FAILED
        }
    }
}

fn num(v: &Value) -> String {
    match v {
        Value::Number(n) => n.clone(),
        Value::String(s) => s.clone(),
        Value::Null => "-".to_string(),
        Value::Bool(b) => b.to_string(),
        other => format!("{other:?}"),
    }
}

fn hex(v: Option<&Value>) -> String {
    v.and_then(Value::as_u64)
        .map_or_else(|| "-".to_string(), |n| format!("{n:#018x}"))
}

/// `key: value` lines of a flat object (nested objects as key.sub).
fn flat(out: &mut String, prefix: &str, v: &Value) -> Option<()> {
    for (k, v) in v.as_object()? {
        let key = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        match v {
            Value::Object(_) => flat(out, &key, v)?,
            _ => {
                let _ = writeln!(out, "{key}: {}", num(v));
            }
        }
    }
    Some(())
}

fn rows(table: &Value) -> Option<Vec<Row>> {
    let mut rows = table
        .as_object()?
        .iter()
        .map(|(name, c)| {
            Some((
                c.get("calls")?.as_u64()?,
                c.get("errors")?.as_u64()?,
                name.clone(),
            ))
        })
        .collect::<Option<Vec<Row>>>()?;
    stats::sort_rows(&mut rows);
    Some(rows)
}

/// The tasks of `/vm/tasks` (or `/vm/syscalls`'s `by_pid`).
fn tasks(v: &Value) -> Option<Vec<TaskInfo>> {
    v.as_array()?
        .iter()
        .map(|t| {
            let u32_of = |key: &str| t.get(key)?.as_u64().and_then(|n| u32::try_from(n).ok());
            Some(TaskInfo {
                pid: u32_of("pid")?,
                ppid: u32_of("ppid")?,
                tgid: u32_of("tgid").unwrap_or(0),
                state: t.get("state")?.as_str()?.chars().next().unwrap_or('?'),
                syscalls: t.get("syscalls")?.as_u64()?,
                start_ns: t.get("start_ns").and_then(Value::as_u64).unwrap_or(0),
                name: t.get("name")?.as_str()?.to_string(),
            })
        })
        .collect()
}

/// One table of `/vm/syscall-table`: `nr name address symbol+off` rows.
fn syscall_table(out: &mut String, entry: &str, abi: &str, t: &Value) -> Option<()> {
    let rows = t.get("implemented")?.as_array()?;
    if !out.is_empty() {
        out.push('\n');
    }
    let _ = writeln!(
        out,
        "{entry} ({abi}): {} at {}, {} of {} entries implemented",
        t.get("symbol")?.as_str()?,
        hex(t.get("gva")),
        rows.len(),
        num(t.get("entries")?)
    );
    let _ = writeln!(out, "{:>4}  {:<24} {:>18}  symbol", "nr", "name", "address");
    for r in rows {
        let symbol = match (r.get("symbol")?.as_str(), r.get("offset")?.as_u64()) {
            (Some(s), Some(0)) => s.to_string(),
            (Some(s), Some(off)) => format!("{s}+{off:#x}"),
            _ => "-".to_string(),
        };
        let _ = writeln!(
            out,
            "{:>4}  {:<24} {:>18}  {symbol}",
            r.get("nr")?.as_u64()?,
            r.get("name")?.as_str().unwrap_or("-"),
            hex(r.get("address"))
        );
    }
    Some(())
}

/// The table for `what`, or `None` if the JSON is not what was expected.
fn human(what: &str, v: &Value) -> Option<String> {
    let mut out = String::new();
    match what {
        "syscalls" => {
            let report = Report {
                syscall: rows(v.get("syscall")?)?,
                int80: rows(v.get("int80")?)?,
                page_faults: v.get("page_faults")?.as_u64()?,
                frames_allocated: v.get("frames_allocated")?.as_u64()?,
                task_work_run: v.get("task_work_run")?.as_u64()?,
                // The page cache is shown by `inspect blk`.
                page_cache: Default::default(),
                tasks: match v.get("by_pid") {
                    Some(t) => tasks(t)?,
                    None => Vec::new(),
                },
                tasks_not_shown: v
                    .get("tasks_not_shown")
                    .and_then(Value::as_u64)
                    .unwrap_or(0),
            };
            out = stats::format_report(&report);
        }
        "tasks" => {
            let _ = writeln!(
                out,
                "{:>5} {:>5} {:<5} {:>9} NAME",
                "PID", "PPID", "STATE", "SYSCALLS"
            );
            for t in tasks(v)? {
                let _ = writeln!(
                    out,
                    "{:>5} {:>5} {:<5} {:>9} {}",
                    t.pid, t.ppid, t.state, t.syscalls, t.name
                );
            }
        }
        "msrs" => {
            let _ = writeln!(
                out,
                "{:<20} {:>10} {:>18}  {:<24} decoded",
                "name", "index", "value", "symbol"
            );
            for m in v.get("msrs")?.as_array()? {
                let _ = writeln!(
                    out,
                    "{:<20} {:>10} {:>18}  {:<24} {}",
                    m.get("name")?.as_str()?,
                    format!("{:#x}", m.get("index")?.as_u64()?),
                    hex(m.get("value")),
                    m.get("symbol")?.as_str().unwrap_or("-"),
                    m.get("decoded")?.as_str()?
                );
            }
        }
        "syscall-table" => {
            for (entry, abi) in [("syscall", "x86-64"), ("int80", "i386")] {
                syscall_table(&mut out, entry, abi, v.get(entry)?)?;
            }
        }
        "regs" => {
            for (i, (name, value)) in v.as_object()?.iter().enumerate() {
                let sep = if i % 3 == 2 { "\n" } else { "  " };
                let _ = write!(out, "{name:>6} {}{sep}", hex(Some(value)));
            }
            if !out.ends_with('\n') {
                out.push('\n');
            }
        }
        "sregs" => {
            let _ = writeln!(
                out,
                "{:<4} {:>8} {:>18} {:>10} {:>4} {:>3} {:>2} {:>2} {:>2}",
                "seg", "selector", "base", "limit", "type", "dpl", "l", "db", "p"
            );
            for (name, seg) in v.as_object()? {
                if let Some(sel) = seg.get("selector") {
                    let _ = writeln!(
                        out,
                        "{name:<4} {:>8} {:>18} {:>10} {:>4} {:>3} {:>2} {:>2} {:>2}",
                        format!("{:#x}", sel.as_u64()?),
                        hex(seg.get("base")),
                        format!("{:#x}", seg.get("limit")?.as_u64()?),
                        num(seg.get("type")?),
                        num(seg.get("dpl")?),
                        num(seg.get("l")?),
                        num(seg.get("db")?),
                        num(seg.get("present")?)
                    );
                }
            }
            for t in ["gdt", "idt"] {
                let d = v.get(t)?;
                let _ = writeln!(
                    out,
                    "{t}: base {} limit {:#x}",
                    hex(d.get("base")),
                    d.get("limit")?.as_u64()?
                );
            }
            for r in ["cr0", "cr2", "cr3", "cr4", "cr8", "efer", "apic_base"] {
                let _ = writeln!(out, "{r}: {}", hex(v.get(r)));
            }
        }
        "exits" => {
            let _ = writeln!(out, "{:>12} exit reason", "count");
            for (reason, n) in v.get("by_reason")?.as_object()? {
                let _ = writeln!(out, "{:>12} {reason}", num(n));
            }
            let _ = writeln!(out, "{:>12} total", num(v.get("total")?));
            let _ = writeln!(out, "\n{:>12} port I/O device", "count");
            for (device, n) in v.get("io_by_device")?.as_object()? {
                let _ = writeln!(out, "{:>12} {device}", num(n));
            }
            match v.get("kvm")? {
                Value::Object(stats) => {
                    let _ = writeln!(out, "\n{:>12} KVM statistic (vCPU 0)", "value");
                    for (name, n) in stats {
                        let _ = writeln!(out, "{:>12} {name}", num(n));
                    }
                }
                _ => out.push_str("\nKVM binary statistics: not available\n"),
            }
        }
        "blk" if v.as_object()?.is_empty() => out.push_str("no block device\n"),
        "pause" => out.push_str("paused\n"),
        "resume" => out.push_str("running\n"),
        "shutdown" => out.push_str("shutting down\n"),
        _ => flat(&mut out, "", v)?,
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syscalls_table_is_the_stats_format() {
        let v = json::parse(
            r#"{"syscall": {"write": {"calls": 1, "errors": 0}, "getpid": {"calls": 5, "errors": 0}},
                "int80": {"getpid": {"calls": 2, "errors": 0}}, "task_work_run": 3,
                "page_faults": 4, "frames_allocated": 0}"#,
        )
        .unwrap();
        let text = human("syscalls", &v).unwrap();
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
        assert_eq!(human("syscalls", &json::parse("{}").unwrap()), None);
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
        let v = json::parse(&format!(
            r#"{{"syscall": {}, "int80": {}}}"#,
            table("T64"),
            table("T32")
        ))
        .unwrap();
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
        assert_eq!(human("syscall-table", &json::parse("{}").unwrap()), None);
    }

    #[test]
    fn msrs_table() {
        let v = json::parse(
            r#"{"msrs": [{"name": "IA32_LSTAR", "index": 3221225602, "value": 18446744071562067968,
                "decoded": "", "symbol": "entry_syscall_64"}]}"#,
        )
        .unwrap();
        let text = human("msrs", &v).unwrap();
        assert!(text.contains("IA32_LSTAR"), "{text}");
        assert!(text.contains("0xc0000082"), "{text}");
        assert!(
            text.contains("0xffffffff80000000  entry_syscall_64"),
            "{text}"
        );
    }

    #[test]
    fn tasks_table_is_ps_like() {
        let v = json::parse(
            r#"[{"pid": 1, "ppid": 0, "tgid": 1, "state": "S", "syscalls": 13,
                 "start_ns": 5, "name": "sh"},
                {"pid": 12, "ppid": 1, "tgid": 12, "state": "R", "syscalls": 0,
                 "start_ns": 9, "name": "my prog"}]"#,
        )
        .unwrap();
        assert_eq!(
            human("tasks", &v).unwrap(),
            "  PID  PPID STATE  SYSCALLS NAME\n\
             \x20   1     0 S            13 sh\n\
             \x20  12     1 R             0 my prog\n"
        );
        assert_eq!(human("tasks", &json::parse("{}").unwrap()), None);
        assert_eq!(
            human("tasks", &json::parse(r#"[{"pid": -1}]"#).unwrap()),
            None
        );
        // /vm/syscalls's by_pid: the --stats section.
        let v = json::parse(
            r#"{"syscall": {"write": {"calls": 1, "errors": 0}}, "int80": {},
                "task_work_run": 0, "page_faults": 0, "frames_allocated": 0,
                "by_pid": [{"pid": 1, "ppid": 0, "state": "X", "syscalls": 1, "name": "a"}],
                "tasks_not_shown": 0}"#,
        )
        .unwrap();
        let text = human("syscalls", &v).unwrap();
        assert!(
            text.contains("  pid  ppid     calls task\n    1     0         1 a\n"),
            "{text}"
        );
    }
}
