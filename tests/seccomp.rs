//! Seccomp filters on lstar's own threads (vmm/src/seccomp.rs): every
//! thread of a running VM with a disk, a control socket, tracing and stdin
//! is filtered (`Seccomp: 2` in /proc/PID/task/TID/status); a forbidden
//! call from any of them, made through the test hook, ends lstar with a
//! message naming the thread and the call; `--seccomp=off` leaves them all
//! unfiltered.

use std::fs;
use std::path::PathBuf;

use crate::common::live::Live;
use crate::common::{Cmd, report_skip, which};

const BUSYBOX: &str = "/bin/busybox";
const HOOK: &str = "LSTAR_TEST_SECCOMP_VIOLATION";

fn fresh(name: &str) -> PathBuf {
    crate::common::fresh_path("seccomp", name)
}

fn image() -> Option<PathBuf> {
    if which("mkfs.ext2").is_none() {
        report_skip("mkfs.ext2 not installed");
        return None;
    }
    Some(crate::ext2::mkfs(1024, None, "4M", &[]))
}

/// (name, Seccomp mode) of every thread of process `pid`.
fn thread_modes(pid: i32) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let Ok(tasks) = fs::read_dir(format!("/proc/{pid}/task")) else {
        return out;
    };
    for task in tasks.flatten() {
        let Ok(status) = fs::read_to_string(task.path().join("status")) else {
            continue;
        };
        let field = |key: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(key))
                .map(|v| v.trim().to_string())
                .unwrap_or_default()
        };
        out.push((field("Name:"), field("Seccomp:")));
    }
    out
}

/// Every lstar thread there is while a guest reads its stdin, with a disk,
/// a socket (one connection open) and --trace; their seccomp modes.
fn modes_of_a_full_vm(extra: &[&str]) -> Vec<(String, String)> {
    let img = image().expect("checked by the caller");
    let socket = fresh("vm.sock");
    let mut args: Vec<std::ffi::OsString> = extra.iter().map(Into::into).collect();
    for a in ["--trace", "--disk"] {
        args.push(a.into());
    }
    args.push(img.clone().into());
    args.push("--socket".into());
    args.push(socket.clone().into());
    for a in [
        "--",
        BUSYBOX,
        "sh",
        "-c",
        "echo ready; read line; echo $line > /done",
    ] {
        args.push(a.into());
    }
    let mut vm = Live::start(&args, &[]);
    vm.wait_for_line("ready");
    vm.wait_for_file(&socket);
    // A connection of the control socket, held open while we look (the
    // socket's loop serves it on lstar-api; lstar-api-vcpu waits for
    // requests that need the vCPU).
    let conn = std::os::unix::net::UnixStream::connect(&socket).expect("connect");
    let pid = vm.pid();
    let wanted = [
        "lstar",
        "lstar-vcpu0",
        "lstar-stdin",
        "lstar-blk",
        "lstar-api",
        "lstar-api-vcpu",
        "lstar-trace",
        "lstar-signals",
    ];
    let mut modes = Vec::new();
    vm.wait_until(
        || {
            modes = thread_modes(pid);
            wanted
                .iter()
                .all(|w| modes.iter().any(|(name, _)| name == w))
        },
        "every lstar thread running",
    );
    drop(conn);
    vm.close_stdin();
    let end = vm.end();
    assert_eq!(end.status.code(), Some(0), "stderr: {}", end.stderr);
    assert!(!socket.exists());
    modes
        .into_iter()
        .filter(|(name, _)| name.starts_with("lstar"))
        .collect()
}

#[test]
fn every_lstar_thread_runs_filtered() {
    require_kvm!();
    if which("mkfs.ext2").is_none() {
        report_skip("mkfs.ext2 not installed");
        return;
    }
    let modes = modes_of_a_full_vm(&[]);
    for (name, mode) in &modes {
        assert_eq!(mode, "2", "thread {name} is not filtered: {modes:?}");
    }
}

#[test]
fn seccomp_off_leaves_every_thread_unfiltered() {
    require_kvm!();
    if which("mkfs.ext2").is_none() {
        report_skip("mkfs.ext2 not installed");
        return;
    }
    let modes = modes_of_a_full_vm(&["--seccomp=off"]);
    for (name, mode) in &modes {
        assert_eq!(mode, "0", "thread {name} is filtered: {modes:?}");
    }
}

/// The hook makes the named thread call getpgid(2) once its filter is in:
/// lstar ends with status 125 and names the thread and the call.
#[test]
fn a_forbidden_call_from_any_thread_ends_lstar_with_its_name() {
    require_kvm!();
    let Some(img) = image() else { return };
    for thread in ["main", "vcpu", "stdin", "blk", "api", "trace", "signals"] {
        let socket = fresh("violation.sock");
        let out = Cmd::lstar()
            .arg("--trace")
            .arg("--disk")
            .arg(&img)
            .arg("--socket")
            .arg(&socket)
            .args(["--", BUSYBOX, "cat"])
            .stdin("input\n")
            .env(HOOK, thread)
            .run();
        let message =
            format!("lstar: seccomp: thread {thread} made a forbidden system call 121 (getpgid)");
        assert!(
            out.stderr_str().lines().any(|l| l == message),
            "no {message:?}: {}",
            out.describe()
        );
        out.assert_status(125);
        assert!(
            !socket.exists(),
            "{thread}: {} left behind",
            socket.display()
        );
    }
}

/// The teardown helper runs after lstar has exited with the program's
/// status: its report reaches stderr (read to its end), the status is 0.
#[test]
fn a_forbidden_call_from_the_teardown_helper_is_reported() {
    require_kvm!();
    let vm = Live::start(["--", BUSYBOX, "true"], &[(HOOK, "teardown")]);
    let end = vm.end();
    assert_eq!(end.status.code(), Some(0), "stderr: {}", end.stderr);
    let message = "lstar: seccomp: thread teardown made a forbidden system call 121 (getpgid)";
    assert!(
        end.stderr.lines().any(|l| l == message),
        "no {message:?}: {}",
        end.stderr
    );
}

/// With the filters off the hook's call is just a call.
#[test]
fn the_hook_does_nothing_with_seccomp_off() {
    require_kvm!();
    Cmd::lstar()
        .args(["--seccomp=off", "--", BUSYBOX, "true"])
        .env(HOOK, "main")
        .run()
        .assert_status(0);
}
