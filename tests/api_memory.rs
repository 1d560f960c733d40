//! Guest virtual memory over the control socket (`GET /vm/memory`,
//! `GET /vm/syscall-table`, `lstar inspect SOCK syscall-table`) against a
//! live guest blocked in `read`: the kernel's `sys_call_table` read through
//! its symbol, user text compared with the ELF file, the two kernel windows
//! agreeing, unmapped addresses and bad queries.

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use lstar_abi::syscall_nr::NR_SYSCALLS_64;

use crate::common::{Cmd, LSTAR, Outcome, error_of, get_json, http, prog, scratch_dir};

// Other test modules (tests/api.rs...) have their own private copies.

use crate::common::json::{self, Value};

/// lstar's status after `PUT /vm/actions {"action": "shutdown"}`.
const SHUT_DOWN: i32 = 124;
const SYS_CALL_TABLE: &str = "lstar_kernel::syscall::table::SYS_CALL_TABLE";
const IA32_SYS_CALL_TABLE: &str = "lstar_kernel::syscall::table::IA32_SYS_CALL_TABLE";
const SYS_WRITE: &str = "lstar_kernel::fs::read_write::sys_write";
/// The kernel image window and the direct map (guest-kernel/src/mm,
/// arch/boot.rs): the image's virtual address minus the first is its
/// physical address, which the second maps at its own base.
const KERNEL_IMAGE: u64 = 0xffff_ffff_8000_0000;
const DIRECT_MAP: u64 = 0xffff_8880_0000_0000;

fn unhex(s: &str) -> Vec<u8> {
    assert!(s.len().is_multiple_of(2), "odd hex {s:?}");
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// `GET /vm/memory?QUERY`: (gva, bytes), after checking the answer's shape.
fn memory(socket: &Path, query: &str) -> (u64, Vec<u8>) {
    let v = get_json(socket, &format!("/vm/memory?{query}"));
    let gva = v.get("gva").and_then(Value::as_u64).expect("gva");
    let len = v.get("len").and_then(Value::as_u64).expect("len");
    let bytes = unhex(v.get("hex").and_then(Value::as_str).expect("hex"));
    assert_eq!(bytes.len() as u64, len, "{query}");
    (gva, bytes)
}

fn entry(table: &[u8], nr: usize) -> u64 {
    u64::from_le_bytes(table[nr * 8..nr * 8 + 8].try_into().unwrap())
}

/// `lstar run --socket SOCK -- getpid-block 1 1`, blocked on its stdin.
struct LiveVm {
    socket: PathBuf,
    run: JoinHandle<Outcome>,
}

impl LiveVm {
    fn start(name: &str) -> LiveVm {
        let socket = scratch_dir("api-memory").join(format!("{name}.sock"));
        let _ = std::fs::remove_file(&socket);
        let program = prog("getpid-block");
        let sock = socket.clone();
        let run = thread::spawn(move || {
            Cmd::lstar()
                .arg("--socket")
                .arg(&sock)
                .arg("--")
                .arg(&program)
                .args(["1", "1"])
                .stdin_left_open()
                .run()
        });
        let vm = LiveVm { socket, run };
        // Ready once the program has written its line and blocks in read.
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if vm.socket.exists() && UnixStream::connect(&vm.socket).is_ok() {
                // 503 until the guest kernel has published its counters.
                let (status, body) = http(&vm.socket, "GET", "/vm/syscalls", "");
                let writes = json::parse(&body)
                    .filter(|_| status == 200)
                    .as_ref()
                    .and_then(|v| v.get("syscall"))
                    .and_then(|t| t.get("write"))
                    .and_then(|c| c.get("calls"))
                    .and_then(Value::as_u64);
                if writes == Some(1) {
                    break vm;
                }
            }
            assert!(
                !vm.run.is_finished(),
                "lstar ended before the program was ready"
            );
            assert!(Instant::now() < deadline, "the program never got ready");
            thread::sleep(Duration::from_millis(20));
        }
    }

    fn shutdown(self) {
        let mut s = UnixStream::connect(&self.socket).unwrap();
        let body = r#"{"action": "shutdown"}"#;
        let req = format!(
            "PUT /vm/actions HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\
             Content-Length: {}\r\n\r\n{body}",
            body.len()
        );
        s.write_all(req.as_bytes()).unwrap();
        let mut answer = String::new();
        let _ = s.read_to_string(&mut answer);
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        let out = self.run.join().expect("lstar runner thread");
        out.assert_status(SHUT_DOWN);
    }
}

/// The file bytes of an ELF64 that its program headers load at `vaddr`,
/// `len` of them (all within one PT_LOAD's file image).
fn elf_bytes_at(elf: &[u8], vaddr: u64, len: usize) -> Vec<u8> {
    let u16_at = |at: usize| u16::from_le_bytes(elf[at..at + 2].try_into().unwrap());
    let u32_at = |at: usize| u32::from_le_bytes(elf[at..at + 4].try_into().unwrap());
    let u64_at = |at: usize| u64::from_le_bytes(elf[at..at + 8].try_into().unwrap());
    assert_eq!(&elf[..5], b"\x7fELF\x02");
    let phoff = u64_at(0x20) as usize;
    let phentsize = usize::from(u16_at(0x36));
    for i in 0..usize::from(u16_at(0x38)) {
        let ph = phoff + i * phentsize;
        let (kind, offset, start, filesz) =
            (u32_at(ph), u64_at(ph + 8), u64_at(ph + 16), u64_at(ph + 32));
        if kind == 1 && start <= vaddr && vaddr + len as u64 <= start + filesz {
            let at = (offset + vaddr - start) as usize;
            return elf[at..at + len].to_vec();
        }
    }
    panic!("no PT_LOAD holds {vaddr:#x}+{len}");
}

#[test]
fn sys_call_table_through_its_symbol_and_the_syscall_table_endpoint() {
    require_kvm!();
    let vm = LiveVm::start("table");
    let s = &vm.socket;

    // The whole x86-64 table (`Option<fn>`: 8 bytes, 0 for None) by symbol.
    let size = NR_SYSCALLS_64 * 8;
    let (table_gva, table) = memory(s, &format!("symbol={SYS_CALL_TABLE}&len={size}"));
    assert!(table_gva >= KERNEL_IMAGE, "{table_gva:#x}");
    let write = entry(&table, 1);
    assert_ne!(write, 0, "sys_call_table[1] (write) is empty");
    // It is sys_write's address: the symbol's own gva, percent-encoded name.
    let (sys_write, _) = memory(
        s,
        &format!("symbol={}&len=1", SYS_WRITE.replace(':', "%3A")),
    );
    assert_eq!(write, sys_write, "{write:#x} vs sys_write {sys_write:#x}");

    // The same bytes by address (hex and decimal), and through the direct map.
    let (gva, by_addr) = memory(s, &format!("gva={table_gva:#x}&len={size}"));
    assert_eq!((gva, &by_addr), (table_gva, &table));
    let (_, decimal) = memory(s, &format!("gva={}&len=16", table_gva + 8));
    assert_eq!(decimal, table[8..24]);
    let direct = DIRECT_MAP + (table_gva - KERNEL_IMAGE);
    let (_, via_direct_map) = memory(s, &format!("gva={direct:#x}&len={size}"));
    assert_eq!(via_direct_map, table, "direct map at {direct:#x}");

    // The endpoint `lstar inspect` uses: the same table, symbolized.
    let v = get_json(s, "/vm/syscall-table");
    let t64 = v.get("syscall").expect("syscall");
    assert_eq!(
        t64.get("symbol").and_then(Value::as_str),
        Some(SYS_CALL_TABLE)
    );
    assert_eq!(t64.get("gva").and_then(Value::as_u64), Some(table_gva));
    assert_eq!(
        t64.get("entries").and_then(Value::as_u64),
        Some(NR_SYSCALLS_64 as u64)
    );
    let rows = t64.get("implemented").and_then(Value::as_array).unwrap();
    let nonzero = (0..NR_SYSCALLS_64)
        .filter(|&nr| entry(&table, nr) != 0)
        .count();
    assert_eq!(rows.len(), nonzero);
    let row = rows
        .iter()
        .find(|r| r.get("nr").and_then(Value::as_u64) == Some(1))
        .expect("write in the table");
    assert_eq!(row.get("name").and_then(Value::as_str), Some("write"));
    assert_eq!(row.get("address").and_then(Value::as_u64), Some(write));
    assert_eq!(row.get("symbol").and_then(Value::as_str), Some(SYS_WRITE));
    assert_eq!(row.get("offset").and_then(Value::as_u64), Some(0));
    let t32 = v.get("int80").expect("int80");
    assert_eq!(
        t32.get("symbol").and_then(Value::as_str),
        Some(IA32_SYS_CALL_TABLE)
    );
    let getpid = t32
        .get("implemented")
        .and_then(Value::as_array)
        .unwrap()
        .iter()
        .find(|r| r.get("nr").and_then(Value::as_u64) == Some(20))
        .expect("i386 getpid (20) in the table");
    assert_eq!(getpid.get("name").and_then(Value::as_str), Some("getpid"));
    assert!(
        getpid
            .get("symbol")
            .and_then(Value::as_str)
            .is_some_and(|s| s.contains("getpid")),
        "{getpid:?}"
    );

    // `lstar inspect`: a `1 write ADDRESS ...sys_write` row, and --json.
    let out = Cmd::new(LSTAR)
        .arg("inspect")
        .arg(s)
        .arg("syscall-table")
        .run();
    out.assert_status(0);
    let text = out.stdout_str();
    let line = text
        .lines()
        .find(|l| l.split_whitespace().take(2).eq(["1", "write"]))
        .unwrap_or_else(|| panic!("no `1 write` row:\n{text}"));
    assert!(line.contains(&format!("{write:#018x}")), "{line}");
    assert!(line.contains("sys_write"), "{line}");
    assert!(text.contains("int80 (i386)"), "{text}");
    let out = Cmd::new(LSTAR)
        .arg("inspect")
        .arg(s)
        .arg("syscall-table")
        .arg("--json")
        .run();
    out.assert_status(0);
    assert!(json::parse(&out.stdout_str()).is_some_and(|j| j.get("int80").is_some()));
    vm.shutdown();
}

#[test]
fn user_text_reads_back_as_in_the_elf_file() {
    require_kvm!();
    let vm = LiveVm::start("user");
    let elf = std::fs::read(prog("getpid-block")).unwrap();
    let s = &vm.socket;
    // The first bytes of the text, as the issue names them.
    let (at, got) = memory(s, "gva=0x401000&len=256");
    assert_eq!(at, 0x40_1000);
    assert_eq!(got, elf_bytes_at(&elf, 0x40_1000, 256), "bytes at 0x401000");
    // Across a page boundary: the end of the text page and the start of the
    // next (musl-gcc -static: text at 0x401000, read-only data at 0x402000);
    // only bytes the program headers load from the file are compared.
    let (_, got) = memory(s, "gva=0x401a00&len=0x640");
    assert_eq!(got[..0xf0], elf_bytes_at(&elf, 0x40_1a00, 0xf0), "text end");
    assert_eq!(
        got[0x600..],
        elf_bytes_at(&elf, 0x40_2000, 0x40),
        "rodata start"
    );
    vm.shutdown();
}

#[test]
fn unmapped_addresses_and_bad_queries() {
    require_kvm!();
    let vm = LiveVm::start("errors");
    let s = &vm.socket;
    let get = |path: &str| http(s, "GET", path, "");

    let (status, body) = get("/vm/memory?gva=0x1000&len=8");
    assert_eq!(status, 404, "{body}");
    assert_eq!(error_of(&body), "gva 0x1000: not mapped");
    let (status, body) = get("/vm/memory?gva=0x800000000000&len=1");
    assert_eq!(status, 404, "{body}");
    assert!(error_of(&body).contains("not canonical"), "{body}");
    let (status, body) = get("/vm/memory?symbol=no_such_symbol&len=8");
    assert_eq!(status, 404, "{body}");
    assert!(error_of(&body).contains("no_such_symbol"), "{body}");

    for query in [
        "",
        "?",
        "?gva=0x401000",
        "?len=8",
        "?gva=0x401000&len=0",
        "?gva=0x401000&len=65537",
        "?gva=0x401000&len=-1",
        "?gva=0x401000&len=ten",
        "?gva=banana&len=8",
        "?gva=0x401000&symbol=x&len=8",
        "?gva=0x401000&gva=0x402000&len=8",
        "?gva=0x401000&len=8&bogus=1",
        "?symbol=%zz&len=8",
        "?gva=0xffffffffffffffff&len=2",
    ] {
        let (status, body) = get(&format!("/vm/memory{query}"));
        assert_eq!(status, 400, "{query}: {body}");
        assert!(!error_of(&body).is_empty());
    }
    // The cap itself is allowed.
    let (gva, bytes) = memory(s, &format!("gva={:#x}&len=65536", DIRECT_MAP + 0x10_0000));
    assert_eq!((gva, bytes.len()), (DIRECT_MAP + 0x10_0000, 65536));
    // Other methods: 405.
    let (status, _) = http(s, "PUT", "/vm/memory?gva=0x401000&len=8", "");
    assert_eq!(status, 405);
    let (status, _) = http(s, "PUT", "/vm/syscall-table", "");
    assert_eq!(status, 405);
    vm.shutdown();
}
