//! Threads, differentially: tests/progs/threads.c (musl pthreads: mutexes,
//! condition variables, TLS, join, every futex operation, robust mutexes,
//! exit_group and execve from a thread, a signal to a threaded process)
//! a Rust std::thread program and a Go program (goroutines on threads,
//! channels, timers, the netpoller over epoll, the GC, asynchronous
//! preemption by SIGURG) print the same natively and in lstar.
//! And preemption keeps a program's vector registers: busybox pipelines
//! whose stages preempt each other (glibc's string functions use AVX-512
//! where the CPU has it) give the host's output every time.

use crate::common::{Cmd, Outcome, prog, scratch_dir};
use std::path::{Path, PathBuf};
use std::process::Command;

fn native(program: &Path, args: &[&str]) -> Outcome {
    Cmd::new(program).args(args).env_clear().run()
}

fn assert_same(want: &Outcome, got: &Outcome) {
    assert_eq!(
        want.stdout_str(),
        got.stdout_str(),
        "stdout differs\nnative: {}\nlstar: {}",
        want.describe(),
        got.describe()
    );
    assert_eq!(want.status.code(), got.status.code(), "{}", got.describe());
}

#[test]
fn pthreads_and_futexes_behave_as_on_linux() {
    require_kvm!();
    let program = prog("threads");
    let want = native(&program, &[]);
    want.assert_status(0);
    let got = Cmd::lstar_prog(&program).run();
    assert_same(&want, &got);
}

/// The same programs under QEMU TCG, where system calls return with
/// SYSRETQ after thread switches and futex sleeps (the Go program needs
/// /bin/busybox, which qemu-run.sh cannot place, so it stays on KVM).
#[test]
fn threads_under_qemu_tcg() {
    if crate::qemu::qemu_missing() {
        return;
    }
    for program in [prog("threads"), prog("epoll"), rust_threads()] {
        let args: &[&str] = if program.ends_with("rust-threads") {
            &["8"]
        } else {
            &[]
        };
        let want = native(&program, args);
        want.assert_status(0);
        let os_args: Vec<std::ffi::OsString> = args.iter().map(Into::into).collect();
        let got = crate::qemu::qemu_run(&program, &os_args);
        assert_same(&want, &got);
    }
}

#[test]
fn epoll_and_eventfd_behave_as_on_linux() {
    require_kvm!();
    let program = prog("epoll");
    let want = native(&program, &[]);
    want.assert_status(0);
    let got = Cmd::lstar_prog(&program).run();
    assert_same(&want, &got);
}

/// tests/progs/rust-threads.rs built by the toolchain that builds lstar,
/// statically linked (glibc static-pie).
fn rust_threads() -> PathBuf {
    let out = scratch_dir("threads").join("rust-threads");
    let src = crate::common::repo_root().join("tests/progs/rust-threads.rs");
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let status = Command::new(rustc)
        .args([
            "-O",
            "-C",
            "target-feature=+crt-static",
            "--edition",
            "2021",
            "-o",
        ])
        .arg(&out)
        .arg(&src)
        .status()
        .expect("running rustc");
    assert!(status.success(), "rustc failed on {}", src.display());
    out
}

#[test]
fn rust_std_threads_behave_as_on_linux() {
    require_kvm!();
    let program = rust_threads();
    let want = native(&program, &["8"]);
    want.assert_status(0);
    let got = Cmd::lstar_run(&program, ["8"]).run();
    assert_same(&want, &got);
}

/// tests/progs/go-runtime built with Debian's Go (scripts/setup.sh), as a
/// static binary (CGO_ENABLED=0).
fn go_runtime() -> PathBuf {
    let out = scratch_dir("threads").join("go-runtime");
    let src = crate::common::repo_root().join("tests/progs/go-runtime");
    let cache = scratch_dir("threads").join("go-cache");
    let status = Command::new("go")
        .args(["build", "-o"])
        .arg(&out)
        .arg(".")
        .current_dir(&src)
        .env("CGO_ENABLED", "0")
        .env("GOCACHE", &cache)
        .env("GOFLAGS", "-mod=mod")
        .status()
        .expect("running go (scripts/setup.sh installs golang-go)");
    assert!(status.success(), "go build failed in {}", src.display());
    out
}

#[test]
fn the_go_runtime_behaves_as_on_linux() {
    require_kvm!();
    let program = go_runtime();
    let want = native(&program, &[]);
    want.assert_status(0);
    // os/exec runs /bin/busybox, natively and in the guest.
    let got = Cmd::lstar()
        .args(["--file", "/bin/busybox:/bin/busybox", "--"])
        .arg(&program)
        .run();
    assert_same(&want, &got);
}

#[test]
fn preempted_pipelines_keep_their_registers() {
    require_kvm!();
    let script = "seq 1 10000 | awk '{print $1 % 7}' | sort | uniq -c | sort -n";
    let want = native(Path::new("/bin/busybox"), &["sh", "-c", script]);
    want.assert_status(0);
    // Without the user-mode XSAVE trampoline (arch/xstate.rs) 8 of 12 runs
    // crashed on kvm-pvm; three in a row catch a regression almost surely.
    for _ in 0..3 {
        let got = Cmd::lstar_run("/bin/busybox", ["sh", "-c", script]).run();
        assert_same(&want, &got);
    }
}
