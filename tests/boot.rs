//! Booting the guest and running a program to its end: output, the initial
//! process state (auxv), exit statuses, and the kills of a faulting program.

use crate::common::{Cmd, prog};
use std::path::Path;

#[test]
fn hello_world() {
    require_kvm!();
    Cmd::lstar_prog(prog("hello"))
        .run()
        .assert_status(0)
        .assert_stdout("hello world\n");
}

/// At the default log level a clean run prints nothing but the program's
/// own output.
#[test]
fn a_clean_run_is_silent_on_stderr() {
    require_kvm!();
    let out = Cmd::lstar_prog(prog("hello")).run();
    out.assert_status(0);
    assert!(
        out.stderr.is_empty(),
        "unexpected stderr: {}",
        out.describe()
    );
}

#[test]
fn demo_runs_without_a_program() {
    require_kvm!();
    let out = Cmd::lstar().run();
    out.assert_status(0);
    assert!(
        out.stdout_str().contains("Hello from ring 3"),
        "no banner: {}",
        out.describe()
    );
}

#[test]
fn busybox_echo() {
    require_kvm!();
    let busybox = Path::new("/bin/busybox");
    assert!(
        busybox.is_file(),
        "/bin/busybox missing: run scripts/setup.sh (Debian's busybox-static)"
    );
    Cmd::lstar_run(busybox, ["echo", "hello", "world"])
        .run()
        .assert_status(0)
        .assert_stdout("hello world\n");
}

/// auxv.c checks AT_PHDR, AT_PHNUM, AT_PAGESZ, AT_ENTRY and AT_RANDOM
/// against its own ELF headers; AT_RANDOM must differ between two runs
/// (lstar seeds it from host randomness).
#[test]
fn auxv_matches_the_elf_headers() {
    require_kvm!();
    let auxv = prog("auxv");
    let run = || {
        let out = Cmd::lstar_prog(&auxv).run();
        out.assert_status(0);
        let text = out.stdout_str();
        let mut lines = text.lines();
        assert_eq!(lines.next(), Some("OK"), "{}", out.describe());
        let random = lines
            .next()
            .and_then(|l| l.strip_prefix("AT_RANDOM="))
            .unwrap_or_else(|| panic!("no AT_RANDOM line: {}", out.describe()))
            .to_string();
        assert_eq!(random.len(), 32, "{}", out.describe());
        random
    };
    let (first, second) = (run(), run());
    assert_ne!(first, second, "AT_RANDOM is the same in two runs");
}

#[test]
fn exit_statuses_come_through() {
    require_kvm!();
    let exit_code = prog("exit-code");
    for status in [0, 1, 42, 255] {
        let out = Cmd::lstar_run(&exit_code, [status.to_string()]).run();
        out.assert_status(status);
        assert!(out.stdout.is_empty(), "{}", out.describe());
    }
}

/// A killed program: status 128 + signal and one line on stderr that names
/// the signal and the faulting RIP.
fn assert_killed(program: &str, status: i32, signal: &str) {
    let out = Cmd::lstar_prog(prog(program)).run();
    out.assert_status(status);
    let line = out
        .stderr_line_with(signal)
        .unwrap_or_else(|| panic!("no line naming {signal} on stderr: {}", out.describe()));
    assert!(
        line.to_ascii_lowercase().contains("rip"),
        "the {signal} line does not name the RIP: {line:?}"
    );
    assert!(out.stdout.is_empty(), "{}", out.describe());
}

#[test]
fn null_write_is_sigsegv() {
    require_kvm!();
    assert_killed("segv", 128 + 11, "SIGSEGV");
}

#[test]
fn ud2_is_sigill() {
    require_kvm!();
    assert_killed("trap", 128 + 4, "SIGILL");
}

/// `--verbose` ends with the memory line scripts/bench.sh reads.
#[test]
fn verbose_reports_memory_use() {
    require_kvm!();
    let out = Cmd::lstar()
        .args(["--verbose", "--"])
        .arg(prog("hello"))
        .run();
    out.assert_status(0).assert_stdout("hello world\n");
    let line = out
        .stderr_line_with("lstar: guest memory touched: ")
        .unwrap_or_else(|| panic!("no memory line: {}", out.describe()));
    // lstar: guest memory touched: N KiB, peak RSS: M KiB
    let numbers: Vec<u64> = line
        .split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty())
        .map(|s| s.parse().expect("digits"))
        .collect();
    assert!(
        numbers.len() == 2 && numbers[0] > 0 && numbers[1] > 0,
        "bad memory line {line:?}"
    );
    assert!(
        line.contains(" KiB, peak RSS: ") && line.ends_with(" KiB"),
        "bad memory line {line:?}"
    );
}

/// The ends of the `--mem` range work (16 and 3072 MiB; the top must not
/// cost the boot anything noticeable, since nothing touches it).
#[test]
fn mem_range_ends_boot() {
    require_kvm!();
    for mem in ["16", "3072"] {
        Cmd::lstar()
            .args(["--mem", mem, "--"])
            .arg(prog("hello"))
            .run()
            .assert_status(0)
            .assert_stdout("hello world\n");
    }
}
