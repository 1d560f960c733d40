//! The same static binary, natively on the host and inside lstar: same
//! stdout, same exit status.

use crate::common::{Cmd, prog};
use std::path::{Path, PathBuf};

fn compare(program: &Path, args: &[&str]) {
    let native = Cmd::new(program)
        .args(args)
        // The guest's environment, so that nothing else differs.
        .env_clear()
        .env("PATH", "/bin:/usr/bin")
        .env("HOME", "/")
        .run();
    let guest = Cmd::lstar_run(program, args).run();
    assert_eq!(
        native.code(),
        guest.code(),
        "exit status differs\nnative: {}\nlstar: {}",
        native.describe(),
        guest.describe()
    );
    assert_eq!(
        native.stdout_str(),
        guest.stdout_str(),
        "stdout differs\nnative: {}\nlstar: {}",
        native.describe(),
        guest.describe()
    );
}

#[test]
fn test_programs_behave_as_on_linux() {
    require_kvm!();
    let cases: [(PathBuf, &[&str]); 5] = [
        (prog("hello"), &[]),
        (
            prog("args"),
            &["a b", "", "%", "\u{fc}n\u{ef}c\u{f6}d\u{e9}", "--"],
        ),
        (prog("exit-code"), &["0"]),
        (prog("exit-code"), &["42"]),
        (prog("exit-code"), &["255"]),
    ];
    for (program, args) in &cases {
        compare(program, args);
    }
}

#[test]
fn busybox_applets_behave_as_on_linux() {
    require_kvm!();
    let busybox = PathBuf::from("/bin/busybox");
    assert!(
        busybox.is_file(),
        "/bin/busybox missing: run scripts/setup.sh (Debian's busybox-static)"
    );
    for args in [
        &["echo", "hello", "world"][..],
        &["echo", "-n", "no newline"],
        &["true"],
        &["false"],
    ] {
        compare(&busybox, args);
    }
}
