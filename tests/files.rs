//! Host files lstar reads into the guest: the program, `--kernel`, every
//! `--file`. Anything but a regular file is refused before boot with a
//! clear `lstar: ` message, and at once: a FIFO must never hang lstar in
//! open(2) (it used to, waiting for a writer that never came).

use std::fs;
use std::os::unix::fs::FileTypeExt;
use std::path::PathBuf;
use std::time::Duration;

use crate::common::{Cmd, Outcome, prog, scratch_dir};

/// Every run here ends before the guest does anything much; a hang is the
/// bug these tests are about, so it fails fast.
const QUICK: Duration = Duration::from_secs(15);

/// A FIFO named `name` in this file's scratch directory (each test its own).
fn fifo(name: &str) -> PathBuf {
    let path = scratch_dir("files").join(name);
    if fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_fifo()) {
        return path;
    }
    let _ = fs::remove_file(&path);
    Cmd::new("mkfifo")
        .arg(&path)
        .timeout(QUICK)
        .run()
        .assert_status(0);
    path
}

/// `lstar run ARGS...`, with the short timeout.
fn lstar(args: &[&std::ffi::OsStr]) -> Outcome {
    let mut cmd = Cmd::lstar();
    cmd.args(args).timeout(QUICK);
    cmd.run()
}

/// The run failed with `status` and said `want` on a `lstar: ` line.
#[track_caller]
fn assert_refused(out: &Outcome, status: i32, want: &str) {
    out.assert_status(status).assert_lstar_message();
    assert!(
        out.stderr_line_with(want)
            .is_some_and(|l| l.starts_with("lstar: ")),
        "no `lstar: ...{want}` line: {}",
        out.describe()
    );
    assert!(out.stdout.is_empty(), "{}", out.describe());
}

#[test]
fn program_fifo_is_refused_not_waited_for() {
    let f = fifo("program-fifo");
    let out = lstar(&["--".as_ref(), f.as_os_str()]);
    assert_refused(
        &out,
        126,
        &format!("{}: not a regular file (a FIFO)", f.display()),
    );
}

#[test]
fn kernel_fifo_is_refused_not_waited_for() {
    let f = fifo("kernel-fifo");
    let hello = prog("hello");
    let out = lstar(&[
        "--kernel".as_ref(),
        f.as_os_str(),
        "--".as_ref(),
        hello.as_os_str(),
    ]);
    assert_refused(
        &out,
        125,
        &format!(
            "{}: cannot read the kernel: not a regular file (a FIFO)",
            f.display()
        ),
    );
}

#[test]
fn kernel_directory_is_refused() {
    let dir = scratch_dir("files/kernel-dir");
    let out = lstar(&["--kernel".as_ref(), dir.as_os_str()]);
    assert_refused(&out, 125, "cannot read the kernel: is a directory");
}
