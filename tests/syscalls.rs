//! System call checks (issue 3's programs, wired where already cheap):
//! unknown numbers give -ENOSYS in both tables, bad pointers -EFAULT,
//! `int $0x80` follows the i386 ABI, and getpid does not drift. Each runs
//! in lstar (kvm-pvm: the fault-assisted entries) and under QEMU TCG (the
//! SYSCALL/SYSRETQ and IDT int 0x80 fast paths).

use crate::common::{Cmd, Outcome, prog};
use crate::qemu::{qemu_missing, qemu_run};
use std::ffi::OsString;

/// The program printed an "OK" line and exited with `status`.
#[track_caller]
fn assert_ok(out: &Outcome, status: i32) {
    out.assert_status(status);
    assert!(
        out.stdout_str()
            .lines()
            .any(|l| l == "OK" || l.starts_with("OK ")),
        "no OK line: {}",
        out.describe()
    );
}

/// (program, arguments, exit status) of each check.
const CHECKS: [(&str, &[&str], i32); 3] =
    [("enosys", &[], 0), ("efault", &[], 0), ("int80", &[], 7)];

#[test]
fn syscall_checks_in_lstar() {
    require_kvm!();
    for (name, args, status) in CHECKS {
        assert_ok(&Cmd::lstar_run(prog(name), args).run(), status);
    }
}

#[test]
fn syscall_checks_under_qemu_tcg() {
    if qemu_missing() {
        return;
    }
    for (name, args, status) in CHECKS {
        let args: Vec<OsString> = args.iter().map(OsString::from).collect();
        assert_ok(&qemu_run(&prog(name), &args), status);
    }
}

// The getpid loop in lstar (fewer calls: ~100 µs each on kvm-pvm), with
// its memory and counters checked, is in stats.rs.

#[test]
fn million_getpid_under_qemu_tcg() {
    if qemu_missing() {
        return;
    }
    assert_ok(
        &qemu_run(&prog("getpid-loop"), &[OsString::from("1000000")]),
        0,
    );
}

/// getrandom() of 32 MiB in one call returns soon (a short count, as Linux
/// allows; five minutes in one call before) with the bytes it counts
/// written, and 256 bytes come back in full. The time is bounded only by
/// the run's timeout.
#[test]
fn a_32_mib_getrandom_returns_a_short_count_soon() {
    require_kvm!();
    let out = Cmd::lstar_prog(prog("getrandom-big"))
        .timeout(std::time::Duration::from_secs(30))
        .run();
    out.assert_status(0);
    let text = out.stdout_str();
    let count: i64 = text
        .lines()
        .find_map(|l| l.strip_prefix("getrandom 32 MiB: "))
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no count: {}", out.describe()));
    assert!(count > 0 && count <= 32 << 20, "{}", out.describe());
    assert!(text.contains("getrandom 256: 256 "), "{}", out.describe());
}

/// `sysfuzz N SEED`: N random system calls (random numbers, random and
/// half-valid arguments) through both entries, `syscall` and `int $0x80`;
/// the kernel answers each and the program reaches its end.
#[track_caller]
fn assert_survived(out: &Outcome, calls: u32, seed: u32) {
    out.assert_status(0);
    assert!(
        out.stdout_str()
            .contains(&format!("survived {calls} calls")),
        "seed {seed} (replay: sysfuzz {calls} {seed} 1 prints each call): {}",
        out.describe()
    );
}

/// On kvm-pvm both entries are the fault-assisted ones, ~0.5-1 ms a call
/// with the random mix: 10^4 calls per seed keeps a run near 10 s (10^5
/// took 119 s; README "Fuzzing" has the campaign).
#[test]
fn random_syscalls_through_both_entries_in_lstar() {
    require_kvm!();
    for seed in [1, 2] {
        let out = Cmd::lstar_run(prog("sysfuzz"), ["10000".to_string(), seed.to_string()])
            .timeout(std::time::Duration::from_secs(180))
            .run();
        assert_survived(&out, 10_000, seed);
    }
}

/// Under QEMU TCG the entries are the hardware fast paths (SYSCALL with
/// SYSRETQ, the IDT gate for int $0x80), and a call is cheap: 10^5 per seed.
#[test]
fn random_syscalls_through_both_entries_under_qemu_tcg() {
    if qemu_missing() {
        return;
    }
    for seed in [1, 2, 3] {
        let args = [OsString::from("100000"), OsString::from(seed.to_string())];
        assert_survived(&qemu_run(&prog("sysfuzz"), &args), 100_000, seed);
    }
}

/// `entry_syscall_64`'s address in the kernel lstar embeds (and QEMU boots).
fn syscall_entry_address() -> String {
    let nm = Cmd::new("nm").arg(crate::common::guest_kernel()).run();
    nm.assert_status(0);
    nm.stdout_str()
        .lines()
        .find_map(|line| {
            let mut fields = line.split_whitespace();
            let address = fields.next()?;
            fields.next()?;
            (fields.next()? == "entry_syscall_64").then(|| address.to_string())
        })
        .expect("entry_syscall_64 in the kernel's symbol table")
}

/// A program that jumps to the SYSCALL entry itself looks, to the kernel,
/// like a SYSCALL on kvm-pvm (a fault at the entry from user mode, the
/// return address in RCX): with a canonical RCX it is served as one, with a
/// non-canonical RCX it is the fault it is (SIGSEGV). Before the kernel
/// tested RCX it returned there with IRETQ: QEMU TCG and kvm-pvm then
/// report the #GP in user mode (also a SIGSEGV, measured), but the SDM's
/// IRETQ checks the RIP before it leaves ring 0, which on hardware would be
/// a kernel fault; this test checks that the program dies and the kernel
/// does not, on both platforms it can run on.
#[test]
fn a_jump_to_the_syscall_entry_is_a_syscall_or_sigsegv() {
    let entry = syscall_entry_address();
    if crate::common::kvm_unavailable().is_none() {
        let ok = Cmd::lstar_run(prog("jump-entry"), [entry.as_str(), "ok"]).run();
        ok.assert_status(0);
        assert!(ok.stdout_str().contains("OK"), "{}", ok.describe());
        let bad = Cmd::lstar_run(prog("jump-entry"), [entry.as_str(), "bad"]).run();
        bad.assert_status(128 + 11);
        assert!(
            bad.stderr_str().contains("killed by SIGSEGV"),
            "{}",
            bad.describe()
        );
    }
    if qemu_missing() {
        return;
    }
    let ok = qemu_run(
        &prog("jump-entry"),
        &[OsString::from(&entry), OsString::from("ok")],
    );
    ok.assert_status(0);
    assert!(ok.stdout_str().contains("OK"), "{}", ok.describe());
    // 139 arrives as 11 through isa-debug-exit (scripts/qemu-run.sh); a
    // kernel panic would be 0x100, arriving as 0.
    let bad = qemu_run(
        &prog("jump-entry"),
        &[OsString::from(&entry), OsString::from("bad")],
    );
    bad.assert_status(11);
    assert!(
        bad.stderr_str().contains("killed by SIGSEGV"),
        "{}",
        bad.describe()
    );
}
