//! The same guest kernel under QEMU `-M microvm` through
//! scripts/qemu-run.sh: TCG runs the real SYSCALL/SYSRET and IDT int 0x80
//! paths that kvm-pvm never takes. These need no /dev/kvm.

use crate::common::{Cmd, Outcome, guest_kernel, os, prog, repo_root};
use lstar_abi::cmdline::Encoded;
use std::ffi::OsString;
use std::path::Path;

pub fn qemu_missing() -> bool {
    let found = std::env::var_os("PATH").is_some_and(|path| {
        std::env::split_paths(&path).any(|dir| dir.join("qemu-system-x86_64").is_file())
    });
    if !found {
        crate::common::report_skip(
            "qemu-system-x86_64 not found (run scripts/setup.sh to install qemu-system-x86)",
        );
    }
    !found
}

fn script() -> Cmd {
    Cmd::new(repo_root().join("scripts/qemu-run.sh"))
}

pub fn qemu_run(program: &Path, args: &[OsString]) -> Outcome {
    script()
        .arg("--kernel")
        .arg(guest_kernel())
        .arg(program)
        .args(args)
        .run()
}

#[test]
fn qemu_hello_world() {
    if qemu_missing() {
        return;
    }
    qemu_run(&prog("hello"), &[])
        .assert_status(0)
        .assert_stdout("hello world\n");
}

#[test]
fn qemu_arguments_and_status() {
    if qemu_missing() {
        return;
    }
    let args: Vec<OsString> = ["a b", "", "%", "\u{2713}"]
        .iter()
        .map(OsString::from)
        .collect();
    let program = prog("args");
    let out = qemu_run(&program, &args);
    out.assert_status(0);
    let want = format!(
        "argc=5\n0:{}\n1:612062\n2:-\n3:25\n4:e29c93\n",
        program
            .as_os_str()
            .as_encoded_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    );
    out.assert_stdout(want);
    qemu_run(&prog("exit-code"), &[OsString::from("42")]).assert_status(42);
}

/// The kernel's own clears and copies (no copy port under QEMU): recycled
/// frames, /dev/zero, copy-on-write, as on Linux.
#[test]
fn qemu_recycled_memory_reads_zero_as_on_linux() {
    if qemu_missing() {
        return;
    }
    same_as_native(&prog("zero-recycle"), &[]);
}

/// Huge pages where the kernel clears freed ones with its own stores (no
/// copy port under QEMU), as on Linux (tests/differential.rs runs the
/// same program under lstar).
#[test]
fn qemu_huge_pages_behave_as_on_linux() {
    if qemu_missing() {
        return;
    }
    same_as_native(&prog("thp"), &[OsString::from("--expect-huge")]);
}

/// `program`, run natively with no arguments, succeeds; under QEMU, with
/// `guest_args` (checks only the guest can make), it succeeds and prints
/// the same.
fn same_as_native(program: &Path, guest_args: &[OsString]) {
    let native = Cmd::new(program).run();
    native.assert_status(0);
    qemu_run(program, guest_args)
        .assert_status(0)
        .assert_stdout(native.stdout_str());
}

/// The argv part of the `-append` line that `qemu-run.sh --print-argv`
/// would give QEMU for these arguments (no QEMU, no kernel build).
fn appended_argv(program: &Path, args: &[OsString]) -> String {
    let out = script()
        .arg("--print-argv")
        .arg("--kernel")
        .arg(program) // any existing file will do here
        .arg(program)
        .args(args)
        .run();
    out.assert_status(0);
    let argv: Vec<String> = out
        .stdout
        .split(|&b| b == 0)
        .map(|s| String::from_utf8_lossy(s).into_owned())
        .collect();
    let append = argv
        .iter()
        .position(|a| a == "-append")
        .and_then(|i| argv.get(i + 1))
        .unwrap_or_else(|| panic!("no -append in {argv:?}"));
    let (params, argv_part) = append
        .split_once(" -- ")
        .unwrap_or_else(|| panic!("no ' -- ' in {append:?}"));
    let seed = params
        .split(' ')
        .find_map(|p| p.strip_prefix("lstar.seed="))
        .unwrap_or_else(|| panic!("no lstar.seed in {append:?}"));
    assert!(
        seed.len() == 2 * lstar_abi::cmdline::SEED_LEN
            && seed.bytes().all(|b| b.is_ascii_hexdigit()),
        "bad seed {seed:?}"
    );
    assert!(
        params.split(' ').any(|p| p == "lstar.log=warn"),
        "{append:?}"
    );
    argv_part.to_string()
}

/// qemu-run.sh percent-encodes argv exactly like abi::cmdline::Encoded,
/// for every byte value.
#[test]
fn qemu_run_encodes_argv_like_the_abi() {
    let program = prog("hello");
    let all: Vec<u8> = (1..=255).collect();
    let raw: Vec<Vec<u8>> = vec![
        b"plain".to_vec(),
        b"".to_vec(),
        b"a b".to_vec(),
        b"%".to_vec(),
        b"%20".to_vec(),
        "\u{e9}\u{2713}".as_bytes().to_vec(),
        b"\t\n\x01\x7f\xff".to_vec(),
        b"-- x".to_vec(),
        all,
    ];
    let args: Vec<OsString> = raw.iter().map(|a| os(a)).collect();
    let program_bytes = program.as_os_str().as_encoded_bytes();
    let want: Vec<String> = std::iter::once(program_bytes)
        .chain(raw.iter().map(Vec::as_slice))
        .map(|a| Encoded(a).to_string())
        .collect();
    assert_eq!(appended_argv(&program, &args), want.join(" "));
}

#[test]
fn qemu_run_refuses_missing_and_odd_programs() {
    let kernel = prog("hello"); // never booted: refused before QEMU starts
    let out = script()
        .arg("--kernel")
        .arg(&kernel)
        .arg("/nonexistent/program")
        .run();
    out.assert_status(127);
    let out = script()
        .arg("--kernel")
        .arg(&kernel)
        .arg(repo_root().join("tests"))
        .run();
    out.assert_status(126);
}

/// Without `lstar.tsc_khz=` (QEMU passes none) the kernel measures the TSC
/// against the PIT: a guest `sleep 2` lasts at least 2 s of host time.
/// With the old 1 GHz guess the guest's clock ran 2.3x fast under TCG and
/// the sleep ended after ~0.9 s. (A lower bound only: load makes it longer,
/// never shorter.)
#[test]
fn qemu_clock_runs_at_the_hosts_rate() {
    if qemu_missing() {
        return;
    }
    let start = std::time::Instant::now();
    qemu_run(
        Path::new("/bin/busybox"),
        &[OsString::from("sleep"), OsString::from("2")],
    )
    .assert_status(0);
    let took = start.elapsed();
    assert!(
        took >= std::time::Duration::from_millis(1950),
        "a guest sleep of 2 s took {took:?} of host time"
    );
}
