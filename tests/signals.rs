//! Signal delivery, differentially: tests/progs/signals*.c print the same
//! lines natively and in lstar (handlers with siginfo, masks, nesting,
//! fault signals recovered from, registers and FPU state across
//! rt_sigreturn, sigaltstack, sigsuspend, sigtimedwait, queued real-time
//! signals), and the programs a signal kills die of the same signal. The
//! main program also runs under QEMU TCG, where system calls return with
//! SYSRETQ, straight into handlers and after them.

use crate::common::{Cmd, Outcome, prog};
use crate::qemu::{qemu_missing, qemu_run};
use std::os::unix::process::ExitStatusExt;
use std::path::Path;

fn native(program: &Path, args: &[&str]) -> Outcome {
    Cmd::new(program)
        .args(args)
        .env_clear()
        .env("PATH", "/bin:/usr/bin")
        .env("HOME", "/")
        .run()
}

#[test]
fn signals_behave_as_on_linux() {
    require_kvm!();
    let program = prog("signals");
    let want = native(&program, &[]);
    want.assert_status(0);
    assert!(want.stdout_str().ends_with("\nOK\n"), "{}", want.describe());
    let got = Cmd::lstar_prog(&program).run();
    assert_eq!(
        want.stdout_str(),
        got.stdout_str(),
        "stdout differs\nnative: {}\nlstar: {}",
        want.describe(),
        got.describe()
    );
    got.assert_status(0);
}

/// (argument of signals-fatal, the signal that ends it).
const FATAL: [(&str, i32, &str); 12] = [
    ("term", 15, "SIGTERM"),
    ("abort", 6, "SIGABRT"),
    ("segv-blocked", 11, "SIGSEGV"),
    ("segv-ignored", 11, "SIGSEGV"),
    ("ill-in-handler", 4, "SIGILL"),
    ("int-gate", 11, "SIGSEGV"),
    ("bad-stack", 11, "SIGSEGV"),
    ("no-restorer", 11, "SIGSEGV"),
    ("corrupt-fpstate", 11, "SIGSEGV"),
    ("corrupt-rip", 11, "SIGSEGV"),
    ("corrupt-mxcsr", 11, "SIGSEGV"),
    ("sigreturn-zero", 11, "SIGSEGV"),
];

#[test]
fn fatal_signals_kill_as_on_linux() {
    require_kvm!();
    let program = prog("signals-fatal");
    for (mode, sig, name) in FATAL {
        let want = native(&program, &[mode]);
        assert_eq!(want.status.signal(), Some(sig), "{}", want.describe());
        let got = Cmd::lstar_run(&program, [mode]).run();
        got.assert_status(128 + sig);
        assert_eq!(want.stdout_str(), got.stdout_str(), "{}", got.describe());
        // "killed by SIGSEGV (...)" from a fault, "killed by signal 15"
        // for a default action.
        let by_number = format!("killed by signal {sig}");
        assert!(
            got.stderr_line_with(&format!("killed by {name}")).is_some()
                || got.stderr_line_with(&by_number).is_some(),
            "no report naming {name}: {}",
            got.describe()
        );
        assert!(
            !got.stderr_str().contains("(vector "),
            "a kernel fault: {}",
            got.describe()
        );
    }
}

#[test]
fn signals_under_qemu_tcg() {
    if qemu_missing() {
        return;
    }
    let program = prog("signals");
    // TCG raises no SIMD floating-point exceptions (#XM).
    let want = native(&program, &["no-simd-traps"]);
    let got = qemu_run(&program, &["no-simd-traps".into()]);
    assert_eq!(
        want.stdout_str(),
        got.stdout_str(),
        "stdout differs\nnative: {}\nqemu: {}",
        want.describe(),
        got.describe()
    );
    got.assert_status(0);
}

/// Debian's static busybox (glibc) runs its trap handlers on our frames.
#[test]
fn busybox_traps_behave_as_on_linux() {
    require_kvm!();
    let busybox = Path::new("/bin/busybox");
    assert!(
        busybox.is_file(),
        "/bin/busybox missing: run scripts/setup.sh (Debian's busybox-static)"
    );
    for script in [
        "trap 'echo got USR1' USR1; kill -USR1 $$; echo after",
        "trap 'echo got TERM; exit 3' TERM; kill $$; echo not reached",
        "trap 'echo bye' EXIT; echo hi",
    ] {
        let want = native(busybox, &["sh", "-c", script]);
        let got = Cmd::lstar_run(busybox, ["sh", "-c", script]).run();
        assert_eq!(want.stdout_str(), got.stdout_str(), "{}", got.describe());
        assert_eq!(want.code(), got.code(), "{}", got.describe());
    }
}
