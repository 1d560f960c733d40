//! The console: stdin into the program, its stdout and stderr out to the
//! right host streams, byte-exact and in order, however much of it.

use crate::common::{Cmd, prog};
use std::time::Duration;

/// The 1 MiB tests take seconds (each console byte is costly under
/// kvm-pvm, tens of seconds through stdio's 1 KiB writes): a longer limit
/// than the default, so two of them sharing a CPU do not time out.
const BIG_OUTPUT_TIMEOUT: Duration = Duration::from_secs(240);

/// Deterministic bytes covering every value.
fn noise(len: usize) -> Vec<u8> {
    crate::common::noise(len, 0x2545_f491)
}

#[test]
fn stdin_line_reaches_the_program() {
    require_kvm!();
    Cmd::lstar_prog(prog("cat-stdin"))
        .stdin("hi\n")
        .run()
        .assert_status(0)
        .assert_stdout("hi\n");
}

#[test]
fn stdin_64k_is_byte_exact() {
    require_kvm!();
    let data = noise(64 * 1024);
    Cmd::lstar_prog(prog("cat-stdin"))
        .stdin(data.clone())
        .run()
        .assert_status(0)
        .assert_stdout(&data);
}

/// An empty pipe and /dev/null both give end of file at once.
#[test]
fn empty_stdin_is_end_of_file() {
    require_kvm!();
    let cat = prog("cat-stdin");
    Cmd::lstar_prog(&cat)
        .stdin("")
        .run()
        .assert_status(0)
        .assert_stdout("");
    // Cmd's default stdin is /dev/null.
    Cmd::lstar_prog(&cat)
        .run()
        .assert_status(0)
        .assert_stdout("");
}

/// A program that never reads stdin ends lstar even though the host's
/// stdin stays open (lstar must not wait for it).
#[test]
fn open_stdin_does_not_keep_lstar_alive() {
    require_kvm!();
    Cmd::lstar_prog(prog("hello"))
        .stdin_left_open()
        .run()
        .assert_status(0)
        .assert_stdout("hello world\n");
}

#[test]
fn stdout_and_stderr_go_to_their_own_streams() {
    require_kvm!();
    let out = Cmd::lstar_prog(prog("out-err")).run();
    out.assert_status(0).assert_stdout("out 1\nout 2\n");
    assert!(
        out.stderr_str().contains("err 1\nerr 2\n"),
        "program stderr missing from lstar's stderr: {}",
        out.describe()
    );
}

/// What big-write.c writes: byte i is (i * 2654435761) >> 13 as u32.
fn big_write_pattern() -> Vec<u8> {
    (0u32..1 << 20)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect()
}

#[test]
fn one_mebibyte_from_one_write() {
    require_kvm!();
    Cmd::lstar_prog(prog("big-write"))
        .timeout(BIG_OUTPUT_TIMEOUT)
        .run()
        .assert_status(0)
        .assert_stdout(big_write_pattern());
}

#[test]
fn one_mebibyte_from_many_printfs() {
    require_kvm!();
    let want: String = (0..32768)
        .map(|i| format!("{i:07} abcdefghijklmnopqrstuvw\n"))
        .collect();
    assert_eq!(want.len(), 1 << 20);
    Cmd::lstar_prog(prog("many-printf"))
        .timeout(BIG_OUTPUT_TIMEOUT)
        .run()
        .assert_status(0)
        .assert_stdout(want);
}

/// `lstar run -- write-errno` with stdout redirected by `sh` as `redirect`.
fn write_errno_with_stdout(redirect: &str) -> crate::common::Outcome {
    Cmd::new("sh")
        .arg("-c")
        .arg(format!("exec \"$0\" run -- \"$1\" {redirect}"))
        .arg(crate::common::LSTAR)
        .arg(prog("write-errno"))
        .run()
}

/// Output the host refuses is the program's write error, as on Linux
/// (`> /dev/full`: ENOSPC; another error on the host, EINVAL here:
/// EIO), counted in one `lstar:` line, and lstar does not exit 0.
#[test]
fn output_the_host_refuses_fails_the_write_and_the_run() {
    require_kvm!();
    // /proc/self/clear_refs (lstar's own, after `exec`) refuses the bytes
    // with EINVAL: any error but ENOSPC is EIO to the guest.
    for (redirect, errno) in [("> /dev/full", 28), ("> /proc/self/clear_refs", 5)] {
        let out = write_errno_with_stdout(redirect);
        let what = out.describe();
        for i in 1..=2 {
            let want = format!("write {i}: -1 errno {errno}");
            assert!(
                out.stderr_str().contains(&want),
                "{redirect}: no `{want}`: {what}"
            );
        }
        let lost: Vec<String> = out
            .stderr_str()
            .lines()
            .filter(|l| l.starts_with("lstar: ") && l.contains("lost"))
            .map(String::from)
            .collect();
        assert_eq!(lost.len(), 1, "{redirect}: {what}");
        assert!(
            lost[0].contains("12 bytes") && lost[0].contains("stdout"),
            "{what}"
        );
        assert_ne!(out.code(), 0, "{redirect}: {what}");
    }
}

/// The same program with a working stdout: both writes succeed, status 0.
#[test]
fn write_errno_with_a_working_stdout_writes() {
    require_kvm!();
    let out = write_errno_with_stdout("");
    out.assert_status(0).assert_stdout("hello\nhello\n");
    assert!(
        out.stderr_str().contains("write 2: 6 errno 0"),
        "{}",
        out.describe()
    );
}
