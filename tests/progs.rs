//! The test programs themselves, checked without KVM: they all build, and
//! the ones that check Linux behaviour (for the system call work to come)
//! pass natively on the host's Linux, so a failure inside lstar is lstar's.

use crate::common::{Cmd, all_prog_names, prog};

#[test]
fn every_test_program_builds() {
    let names = all_prog_names();
    assert!(names.len() >= 10, "tests/progs looks empty: {names:?}");
    for name in &names {
        let path = prog(name);
        assert!(path.is_file(), "{} was not built", path.display());
    }
}

/// Runs a program natively; it must exit with `status` and print "OK".
fn native_ok(name: &str, args: &[&str], status: i32) {
    let out = Cmd::new(prog(name)).args(args).run();
    out.assert_status(status);
    assert!(
        out.stdout_str()
            .lines()
            .any(|l| l == "OK" || l.starts_with("OK ")),
        "{}",
        out.describe()
    );
}

#[test]
fn syscall_checks_pass_natively() {
    native_ok("enosys", &[], 0);
    native_ok("efault", &[], 0);
    native_ok("int80", &[], 7);
    native_ok("getpid-loop", &["10000"], 0);
    native_ok("auxv", &[], 0);
}

#[test]
fn getppid_bench_runs_natively() {
    let out = Cmd::new(prog("getppid-bench")).arg("1000").run();
    out.assert_status(0);
    let text = out.stdout_str();
    for gate in ["syscall: ", "int80: "] {
        assert!(
            text.lines()
                .any(|l| l.starts_with(gate) && l.ends_with(" cycles/call")),
            "no {gate:?} line: {}",
            out.describe()
        );
    }
}

/// The programs the kernel must kill really fault on Linux.
#[test]
fn faulting_programs_fault_natively() {
    use std::os::unix::process::ExitStatusExt;
    for (name, signal) in [("segv", 11), ("trap", 4)] {
        let out = Cmd::new(prog(name)).run();
        assert_eq!(out.status.signal(), Some(signal), "{}", out.describe());
    }
}

/// A program that touches more memory than the guest has is killed as
/// Linux's OOM killer kills it: SIGKILL (status 128+9), and the report
/// says out of memory, not a segmentation fault.
#[test]
fn touching_more_memory_than_there_is_is_an_oom_kill() {
    require_kvm!();
    let out = Cmd::lstar()
        .args(["--mem", "16", "--"])
        .arg(prog("oom-touch"))
        .run();
    out.assert_status(128 + 9);
    let what = out.describe();
    assert!(out.stderr_str().contains("touched 8 MiB"), "{what}");
    let report = out
        .stderr_line_with("killed by")
        .unwrap_or_else(|| panic!("no report: {what}"));
    assert!(
        report.contains("SIGKILL") && report.contains("out of memory"),
        "{report}"
    );
    assert!(!out.stderr_str().contains("SIGSEGV"), "{what}");
}
