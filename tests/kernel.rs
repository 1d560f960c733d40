//! Kernel mechanisms that no user program can observe directly, checked
//! through the kernel's own self-tests (`--cmdline lstar.selftest=NAME`).

use crate::common::{Cmd, prog};

/// Task work queued while running task work still runs before the return
/// to user mode (the exit path loops until none is left), and in order.
#[test]
fn task_work_runs_to_completion_on_the_way_out() {
    require_kvm!();
    let out = Cmd::lstar()
        .args(["--cmdline", "lstar.selftest=task-work", "--"])
        .arg(prog("hello"))
        .run();
    out.assert_status(0);
    assert!(
        out.stderr_str().contains("selftest task-work: ok"),
        "{}",
        out.describe()
    );
}

/// A fault inside the kernel is reported with vector, error code, RIP with
/// the nearest kernel symbol (from the ELF's own symbol table) and CR2, and
/// ends the run as a kernel panic (125), never as the program's status.
#[test]
fn a_kernel_fault_is_reported_with_its_symbol() {
    require_kvm!();
    let out = Cmd::lstar()
        .args(["--cmdline", "lstar.selftest=kernel-fault", "--"])
        .arg(prog("hello"))
        .run();
    out.assert_status(125);
    let err = out.stderr_str();
    for want in [
        "kernel page fault (vector 14",
        "<lstar_kernel::selftest::kernel_fault+0x",
        "cr2 0xffff9000dead0000",
        "lstar: guest kernel panic",
    ] {
        assert!(err.contains(want), "missing {want:?}: {}", out.describe());
    }
    assert!(
        out.stdout.is_empty(),
        "the program must not have run: {}",
        out.describe()
    );
}
