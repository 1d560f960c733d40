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
    let cases: [(PathBuf, &[&str]); 9] = [
        (prog("hello"), &[]),
        (
            prog("args"),
            &["a b", "", "%", "\u{fc}n\u{ef}c\u{f6}d\u{e9}", "--"],
        ),
        (prog("exit-code"), &["0"]),
        (prog("exit-code"), &["42"]),
        (prog("exit-code"), &["255"]),
        // Issue 3's checks print the same lines on Linux and in lstar.
        (prog("enosys"), &[]),
        (prog("efault"), &[]),
        (prog("int80"), &[]),
        (prog("close-dup"), &["10"]),
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
        &["echo", "-e", "tab\\there"],
        &["true"],
        &["false"],
        &["printf", "%s-%d|%5.2f|%x\n", "a", "42", "3.14159", "255"],
        &["seq", "5"],
        &["seq", "-s", ",", "3", "2", "11"],
        // `uname -a` differs by design (another kernel); these do not.
        &["uname", "-s", "-m"],
        // Shell builtins only: no fork, no files.
        &["sh", "-c", "x=3; echo $((x*2)); test -n \"$x\" && echo yes"],
        &[
            "sh",
            "-c",
            "for i in 1 2 3; do printf '%s ' $i; done; case $0 in sh) echo sh;; esac; \
             [ 1 -lt 2 ] && echo lt; exit 3",
        ],
        &["basename", "/usr/lib/libfoo.so", ".so"],
        &["basename", "/a/b/"],
        &["expr", "6", "*", "7"],
        &["expr", "abc", ":", "a\\(.*\\)"],
        // expr's status is 1 when the result is 0 or empty.
        &["expr", "1", "=", "2"],
    ] {
        compare(&busybox, args);
    }
}

/// Recycled frames read zero, /dev/zero reads are exact, copy-on-write
/// copies are exact: under lstar on kvm-pvm the VMM's copy port clears
/// /dev/zero reads (lstar.ring0=emulated); tests/qemu.rs runs the same
/// program where the kernel does it with its own stores.
#[test]
fn recycled_memory_reads_zero_as_on_linux() {
    require_kvm!();
    compare(&prog("zero-recycle"), &[]);
}

/// Huge pages of anonymous memory (mm/huge_memory.rs) behave as small
/// ones, as on Linux (the program advises MADV_HUGEPAGE, so the host maps
/// them huge too): zero on reuse (the VMM clears freed ones here), split
/// by a partial munmap, mprotect, MADV_DONTNEED, fork and mremap. In
/// lstar it also checks /proc/meminfo's AnonHugePages at each step.
#[test]
fn huge_pages_behave_as_on_linux() {
    require_kvm!();
    let program = prog("thp");
    let native = Cmd::new(&program).run();
    native.assert_status(0);
    Cmd::lstar_run(&program, ["--expect-huge"])
        .run()
        .assert_status(0)
        .assert_stdout(native.stdout_str());
}
