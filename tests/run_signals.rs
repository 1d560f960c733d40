//! SIGINT, SIGTERM and SIGHUP sent to `lstar run` on the host reach the
//! guest's pid 1 (vmm/src/signals.rs, docs/boot-contract.md): the default
//! action ends the program and lstar exits 128+N, a program that catches
//! the signal decides the status itself, a second SIGINT ends lstar at
//! once with 130, and the socket file is gone on every one of these exits.

use std::fs;
use std::path::PathBuf;

use crate::common::live::Live;
use crate::common::{Cmd, prog, report_skip, which};

const BUSYBOX: &str = "/bin/busybox";

fn fresh(name: &str) -> PathBuf {
    crate::common::fresh_path("run_signals", name)
}

/// `busybox sleep 30` under `--socket`; `sig` once the socket is there.
fn sleep_then(sig: i32) -> (crate::common::live::Ended, PathBuf) {
    let socket = fresh("sleep.sock");
    let mut vm = Live::start(
        [
            "--socket".as_ref(),
            socket.as_os_str(),
            "--".as_ref(),
            BUSYBOX.as_ref(),
            "sleep".as_ref(),
            "30".as_ref(),
        ],
        &[],
    );
    vm.wait_for_file(&socket);
    vm.signal(sig);
    (vm.end(), socket)
}

#[test]
fn sigterm_kills_a_sleeping_guest_and_lstar_exits_143() {
    require_kvm!();
    let (end, socket) = sleep_then(libc::SIGTERM);
    assert_eq!(end.status.code(), Some(143), "stderr: {}", end.stderr);
    assert!(!socket.exists(), "{} left behind", socket.display());
}

#[test]
fn sighup_is_forwarded_too() {
    require_kvm!();
    let (end, socket) = sleep_then(libc::SIGHUP);
    assert_eq!(end.status.code(), Some(129), "stderr: {}", end.stderr);
    assert!(!socket.exists(), "{} left behind", socket.display());
}

/// The guest's status wins: a program that catches SIGINT and exits 0
/// makes lstar exit 0. The signal comes from outside the guest: pid 0.
#[test]
fn a_program_that_catches_sigint_decides_the_status() {
    require_kvm!();
    let mut vm = Live::start(
        [
            "--".as_ref(),
            prog("host-signal").as_os_str(),
            "catch".as_ref(),
        ],
        &[],
    );
    vm.wait_for_line("ready");
    vm.signal(libc::SIGINT);
    let end = vm.end();
    assert_eq!(end.status.code(), Some(0), "stderr: {}", end.stderr);
    assert_eq!(end.stdout, "caught SIGINT from pid 0\n");
}

/// A program that ignores SIGINT keeps running after the first; the
/// second ends lstar itself, 130, and takes the socket file with it.
#[test]
fn a_second_sigint_ends_lstar_at_once() {
    require_kvm!();
    let socket = fresh("ignore.sock");
    let mut vm = Live::start(
        [
            "--socket".as_ref(),
            socket.as_os_str(),
            "--".as_ref(),
            prog("host-signal").as_os_str(),
            "ignore".as_ref(),
        ],
        &[],
    );
    vm.wait_for_line("ready");
    vm.signal(libc::SIGINT);
    // Two SIGINTs pending at once are one: send the second once lstar
    // has taken the first.
    let pid = vm.pid();
    vm.wait_until(|| !sigint_pending(pid), "lstar takes the first SIGINT");
    vm.signal(libc::SIGINT);
    let end = vm.end();
    assert_eq!(end.status.code(), Some(130), "stderr: {}", end.stderr);
    assert!(
        end.stderr.contains("lstar: second SIGINT"),
        "stderr: {}",
        end.stderr
    );
    assert!(!socket.exists(), "{} left behind", socket.display());
}

/// Whether a SIGINT is pending for process `pid` (ShdPnd, bit 1 << 1).
fn sigint_pending(pid: i32) -> bool {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("ShdPnd:"))
        .and_then(|v| u64::from_str_radix(v.trim(), 16).ok())
        .is_some_and(|mask| mask & (1 << (libc::SIGINT - 1)) != 0)
}

/// A file still open (dirty in the guest's page cache) when SIGTERM kills
/// pid 1 is in the image afterwards: the exit path writes it back.
#[test]
fn dirty_files_are_written_back_when_a_signal_ends_the_guest() {
    require_kvm!();
    if ["mkfs.ext2", "debugfs"].iter().any(|t| which(t).is_none()) {
        report_skip("e2fsprogs (mkfs.ext2, debugfs) not installed");
        return;
    }
    let img = crate::ext2::mkfs(1024, None, "4M", &[]);
    let mut vm = Live::start(
        [
            "--disk".as_ref(),
            img.as_os_str(),
            "--".as_ref(),
            BUSYBOX.as_ref(),
            "sh".as_ref(),
            "-c".as_ref(),
            "exec 3>/out; echo unsaved >&3; echo ready; exec sleep 30".as_ref(),
        ],
        &[],
    );
    vm.wait_for_line("ready");
    vm.signal(libc::SIGTERM);
    let end = vm.end();
    assert_eq!(end.status.code(), Some(143), "stderr: {}", end.stderr);
    let out = Cmd::new("debugfs")
        .arg("-R")
        .arg("cat /out")
        .arg(&img)
        .run();
    out.assert_status(0);
    assert_eq!(out.stdout_str(), "unsaved\n");
}
