//! Tracing system calls: `lstar run --trace` prints each call of the
//! program as strace does, and `lstar trace SOCK` follows a running VM's
//! calls over the control socket (`GET /vm/trace`).

use std::os::unix::net::UnixStream;
use std::thread;
use std::time::{Duration, Instant};

use crate::common::{Cmd, LSTAR, http, prog, scratch_dir};

/// Checks that `lines` contains lines matching each of `want` (substring
/// patterns, all of which must be in one line), in this order.
#[track_caller]
fn assert_in_order(lines: &[&str], want: &[&[&str]], context: &str) {
    let mut at = 0;
    for parts in want {
        let found = lines[at..]
            .iter()
            .position(|l| parts.iter().all(|p| l.contains(p)));
        match found {
            Some(i) => at += i + 1,
            None => panic!("no line with {parts:?} after line {at}:\n{context}"),
        }
    }
}

#[test]
fn trace_prints_each_call_with_arguments_and_results_in_order() {
    require_kvm!();
    let out = Cmd::lstar()
        .arg("--trace")
        .arg("--")
        .arg(prog("trace-me"))
        .run();
    out.assert_status(7);
    out.assert_stdout("x\n");
    let err = out.stderr_str();
    let lines: Vec<&str> = err.lines().collect();
    assert_in_order(
        &lines,
        &[
            &["getpid() = 1"],
            &["write(1, ", ", 2) = 2"],
            &["[int 0x80] getpid() = 1"],
            &["syscall_0x3e7(", ") = -1 ENOSYS"],
            &["exit_group(7) = ?"],
        ],
        &out.describe(),
    );
    assert!(
        !err.contains("not recorded"),
        "records lost: {}",
        out.describe()
    );
}

#[test]
fn lstar_trace_follows_a_running_vm_over_the_socket() {
    require_kvm!();
    let socket = scratch_dir("trace").join("follow.sock");
    let _ = std::fs::remove_file(&socket);
    let sock = socket.clone();
    // getpid-block with "loop": getpid for ever (see the program).
    let vm = thread::spawn(move || {
        Cmd::lstar()
            .arg("--socket")
            .arg(&sock)
            .arg("--")
            .arg(prog("getpid-block"))
            .args(["1", "1", "loop"])
            .stdin_left_open()
            .run()
    });
    let deadline = Instant::now() + Duration::from_secs(30);
    while UnixStream::connect(&socket).is_err() {
        assert!(
            Instant::now() < deadline,
            "the control socket never appeared"
        );
        thread::sleep(Duration::from_millis(20));
    }
    let sock = socket.clone();
    let tracer = thread::spawn(move || Cmd::new(LSTAR).arg("trace").arg(&sock).run());
    thread::sleep(Duration::from_millis(700));
    let (status, body) = http(&socket, "PUT", "/vm/actions", r#"{"action": "shutdown"}"#);
    assert_eq!(status, 200, "{body}");
    let run = vm.join().expect("lstar thread");
    run.assert_status(124);
    let traced = tracer.join().expect("tracer thread");
    traced.assert_status(0);
    let calls = traced
        .stdout_str()
        .lines()
        .filter(|l| *l == "[pid 1] getpid() = 1")
        .count();
    assert!(
        calls > 10,
        "few getpid calls traced ({calls}): {}",
        traced.describe()
    );
}

/// A forked child's calls: `lstar run --trace -- fork-sleepers 1 0`
/// prints the parent's calls bare until the child makes its first call;
/// from there every line carries strace -f's `[pid N] ` (the parent's
/// too): the child's execve and nanosleep, then the parent's wait4
/// returning the child's pid.
#[test]
fn trace_lines_carry_the_pid_once_a_child_has_called() {
    require_kvm!();
    let out = Cmd::lstar()
        .arg("--trace")
        .arg("--")
        .arg(prog("fork-sleepers"))
        .args(["1", "0"])
        .run();
    out.assert_status(0).assert_stdout("ready\n");
    let err = out.stderr_str();
    let lines: Vec<&str> = err.lines().collect();
    let first_child = lines
        .iter()
        .position(|l| l.starts_with("[pid 2] "))
        .unwrap_or_else(|| panic!("no line of pid 2: {}", out.describe()));
    for l in &lines[..first_child] {
        assert!(!l.starts_with("[pid"), "prefixed before a second task: {l}");
    }
    assert!(
        lines[..first_child].contains(&"fork() = 2"),
        "{}",
        out.describe()
    );
    for l in &lines[first_child..] {
        assert!(
            l.starts_with("[pid 1] ") || l.starts_with("[pid 2] "),
            "no pid: {l}: {}",
            out.describe()
        );
    }
    assert_in_order(
        &lines[first_child..],
        &[
            &["[pid 2] execve("],
            &["[pid 2] nanosleep("],
            &["[pid 2] exit_group(0) = ?"],
        ],
        &out.describe(),
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("[pid 1] wait4(") && l.ends_with(") = 2")),
        "{}",
        out.describe()
    );
    assert!(
        lines
            .last()
            .is_some_and(|l| *l == "[pid 1] exit_group(0) = ?"),
        "{}",
        out.describe()
    );
}

/// `lstar trace` at a path with no VM behind it is an error, as `lstar
/// inspect` makes it: a missing file and a file that is not a socket.
#[test]
fn lstar_trace_without_a_socket_is_an_error() {
    let dir = scratch_dir("trace-no-socket");
    let missing = dir.join("missing.sock");
    let _ = std::fs::remove_file(&missing);
    let plain = dir.join("plain-file");
    std::fs::write(&plain, b"not a socket").expect("writing a plain file");
    for path in [&missing, &plain] {
        let out = Cmd::new(LSTAR).arg("trace").arg(path).run();
        assert_ne!(out.code(), 0, "{}", out.describe());
        out.assert_lstar_message();
        assert!(
            out.stderr_str().contains(&path.display().to_string()),
            "the path is not named: {}",
            out.describe()
        );
        assert!(out.stdout.is_empty(), "{}", out.describe());
    }
}
