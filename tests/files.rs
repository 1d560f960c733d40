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

/// `lstar run --file SPEC -- hello`.
fn run_with_file(spec: impl AsRef<std::ffi::OsStr>) -> Outcome {
    let hello = prog("hello");
    lstar(&[
        "--file".as_ref(),
        spec.as_ref(),
        "--".as_ref(),
        hello.as_os_str(),
    ])
}

fn spec(host: &std::path::Path, guest: &str) -> std::ffi::OsString {
    let mut s = host.as_os_str().to_os_string();
    s.push(":");
    s.push(guest);
    s
}

#[test]
fn file_fifo_is_refused_not_waited_for() {
    let f = fifo("file-fifo");
    let arg = spec(&f, "/data");
    let out = run_with_file(&arg);
    assert_refused(
        &out,
        125,
        &format!(
            "--file {arg:?}: {}: not a regular file (a FIFO)",
            f.display()
        ),
    );
}

#[test]
fn file_directory_is_refused() {
    let dir = scratch_dir("files/a-directory");
    let out = run_with_file(spec(&dir, "/data:ro"));
    assert_refused(&out, 125, &format!("{}: is a directory", dir.display()));
}

#[test]
fn file_character_device_is_refused() {
    let out = run_with_file("/dev/null:/null");
    assert_refused(
        &out,
        125,
        "--file \"/dev/null:/null\": /dev/null: not a regular file (a character device)",
    );
}

#[test]
fn missing_file_is_refused() {
    let out = run_with_file("/nonexistent/data.txt:/data");
    assert_refused(
        &out,
        125,
        "--file \"/nonexistent/data.txt:/data\": /nonexistent/data.txt: no such file",
    );
}

#[test]
fn unreadable_file_is_refused() {
    // SAFETY: geteuid has no preconditions and cannot fail.
    if unsafe { libc::geteuid() } == 0 {
        crate::common::report_skip("root reads files whatever their mode");
        return;
    }
    let f = crate::common::fixture("unreadable", b"secret");
    fs::set_permissions(&f, std::os::unix::fs::PermissionsExt::from_mode(0o000))
        .expect("chmod 000");
    let out = run_with_file(spec(&f, "/secret"));
    assert_refused(&out, 125, "cannot open: Permission denied");
}

#[test]
fn bad_guest_paths_are_refused() {
    let host = crate::common::fixture("guest-paths", b"data");
    for (guest, why) in [
        ("relative/path", "expected HOST:GUEST or HOST:GUEST:ro"),
        ("", "expected HOST:GUEST or HOST:GUEST:ro"),
        ("/", "GUEST must name a file, not `/`"),
        ("//.//", "GUEST must name a file, not `/`"),
        ("/a/../b", "GUEST must not contain `..`"),
        (
            "/dev/data",
            "GUEST is in /dev, which belongs to the guest kernel",
        ),
        (
            "/proc",
            "GUEST is in /proc, which belongs to the guest kernel",
        ),
        (
            "/./dev//x:ro",
            "GUEST is in /dev, which belongs to the guest kernel",
        ),
    ] {
        let arg = spec(&host, guest);
        let out = run_with_file(&arg);
        assert_refused(&out, 125, &format!("--file {arg:?}: {why}"));
    }
    let long_name = format!("/{}", "n".repeat(256));
    let out = run_with_file(spec(&host, &long_name));
    assert_refused(&out, 125, "GUEST has a component longer than 255 bytes");
    let long_path = "/abcdefg".repeat(512);
    let out = run_with_file(spec(&host, &long_path));
    assert_refused(
        &out,
        125,
        "GUEST is 4096 bytes long; the guest takes at most 4095",
    );
}

#[test]
fn clashing_guest_paths_are_refused() {
    let host = crate::common::fixture("clash", b"data");
    let hello = prog("hello");
    let (a, b) = (spec(&host, "/etc/a"), spec(&host, "/etc/a/b"));
    let out = lstar(&[
        "--file".as_ref(),
        a.as_os_str(),
        "--file".as_ref(),
        b.as_os_str(),
        "--".as_ref(),
        hello.as_os_str(),
    ]);
    assert_refused(
        &out,
        125,
        &format!("--file {b:?}: clashes with --file {a:?}"),
    );
    let same = spec(&host, "//etc/./a/");
    let out = lstar(&[
        "--file".as_ref(),
        a.as_os_str(),
        "--file".as_ref(),
        same.as_os_str(),
        "--".as_ref(),
        hello.as_os_str(),
    ]);
    assert_refused(&out, 125, "clashes with --file");
    // The program is in the guest too, at its own path.
    let guest = hello.to_str().expect("a UTF-8 test directory");
    let on_program = spec(&host, guest);
    let out = run_with_file(&on_program);
    assert_refused(
        &out,
        125,
        &format!("--file {on_program:?}: clashes with the program's guest path {guest}"),
    );
    let above_program = spec(
        &host,
        hello.parent().and_then(|p| p.to_str()).unwrap_or("/"),
    );
    let out = run_with_file(&above_program);
    assert_refused(&out, 125, "clashes with the program's guest path");
}

#[test]
fn more_than_62_files_are_refused() {
    let host = crate::common::fixture("many", b"x");
    let specs: Vec<std::ffi::OsString> = (0..63).map(|i| spec(&host, &format!("/f{i}"))).collect();
    let mut cmd = Cmd::lstar();
    for s in &specs {
        cmd.arg("--file").arg(s);
    }
    let out = cmd.arg("--").arg(prog("hello")).timeout(QUICK).run();
    assert_refused(&out, 125, "more than 62 --file options");
}

#[test]
fn files_that_do_not_fit_in_memory_are_refused() {
    require_kvm!();
    let big = scratch_dir("files").join("twelve-mib");
    let file = fs::File::create(&big).expect("creating the big file");
    file.set_len(12 << 20).expect("sizing the big file");
    let hello = prog("hello");
    let arg = spec(&big, "/big");
    let out = lstar(&[
        "--mem".as_ref(),
        "16".as_ref(),
        "--file".as_ref(),
        arg.as_os_str(),
        "--".as_ref(),
        hello.as_os_str(),
    ]);
    assert_refused(&out, 125, "--file: the files need 12 MiB of guest memory");
    assert!(
        out.stderr_str().contains("try a larger --mem"),
        "{}",
        out.describe()
    );
}

/// FNV-1a, 64 bits: what the kernel's `boot-files` self-test prints.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// The self-test's line for a host file at `guest`.
fn boot_file_line(what: &str, host: &std::path::Path, guest: &str, read_only: bool) -> String {
    use std::os::unix::fs::MetadataExt;
    let meta = fs::metadata(host).unwrap_or_else(|e| panic!("{}: {e}", host.display()));
    let bytes = fs::read(host).unwrap_or_else(|e| panic!("{}: {e}", host.display()));
    format!(
        "lstar-kernel: selftest boot-files: {what} {guest} size {} mode {:o} mtime {}.{:09} {} fnv {:016x}",
        bytes.len(),
        meta.mode() & 0o7777,
        meta.mtime(),
        meta.mtime_nsec(),
        if read_only { "ro" } else { "rw" },
        fnv1a(&bytes)
    )
}

/// A fixture with this mode and mtime.
fn file_with(name: &str, bytes: &[u8], mode: u32, mtime: std::time::SystemTime) -> PathBuf {
    let path = crate::common::fixture(name, bytes);
    fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(mode))
        .unwrap_or_else(|e| panic!("chmod {}: {e}", path.display()));
    fs::File::options()
        .write(true)
        .open(&path)
        .and_then(|f| f.set_modified(mtime))
        .unwrap_or_else(|e| panic!("setting the mtime of {}: {e}", path.display()));
    path
}

/// Every --file reaches the guest kernel as its own page-aligned,
/// zero-padded module, in order, with its guest path, flags, mode, mtime
/// and exact bytes (the kernel's `boot-files` self-test prints what it
/// got); the program is there too, at its path resolved against `/`.
#[test]
fn files_reach_the_guest_with_their_metadata() {
    require_kvm!();
    use std::time::{Duration, UNIX_EPOCH};
    let content: Vec<u8> = (0..5000u32).map(|i| (i * 7 + i / 251) as u8).collect();
    let colon = file_with(
        "with:colon",
        b"abc",
        0o640,
        UNIX_EPOCH + Duration::new(1_700_000_000, 123_456_789),
    );
    let empty = file_with("empty-file", b"", 0o600, UNIX_EPOCH + Duration::new(5, 0));
    let pages = file_with(
        "two-pages",
        &content,
        0o4755,
        UNIX_EPOCH - Duration::new(100, 250),
    );
    let hello = prog("hello");
    let progs = hello.parent().expect("the programs' directory");
    let out = Cmd::lstar()
        .current_dir(progs)
        .args(["--cmdline", "lstar.selftest=boot-files"])
        .arg("--file")
        .arg(spec(&colon, "/etc/with colon:ro"))
        .arg("--file")
        .arg(spec(&empty, "//var/./empty/"))
        .arg("--file")
        .arg(spec(&pages, "/data/%pages,2"))
        .args(["--", "./hello"])
        .timeout(QUICK)
        .run();
    out.assert_status(0).assert_stdout("hello world\n");
    let got: Vec<String> = out
        .stderr_str()
        .lines()
        .filter(|l| l.contains("selftest boot-files"))
        .map(String::from)
        .collect();
    let want = [
        boot_file_line("exe", &hello, "/hello", false),
        boot_file_line("file", &colon, "/etc/with colon", true),
        boot_file_line("file", &empty, "/var/empty", false),
        boot_file_line("file", &pages, "/data/%pages,2", false),
        "lstar-kernel: selftest boot-files: ok (3 files)".to_string(),
    ];
    assert_eq!(got, want, "{}", out.describe());
}

/// The program's guest path is the path as given, resolved lexically
/// against `/`; the demo's is /demo. argv[0] stays as typed.
#[test]
fn the_program_is_known_by_its_resolved_path() {
    require_kvm!();
    let hello = prog("hello");
    let progs = hello.parent().expect("the programs' directory");
    let dir_name = progs
        .file_name()
        .and_then(|n| n.to_str())
        .expect("a UTF-8 directory name");
    let relative = format!("../{dir_name}/./hello");
    let out = Cmd::lstar()
        .current_dir(progs)
        .args(["--cmdline", "lstar.selftest=boot-files", "--", &relative])
        .timeout(QUICK)
        .run();
    out.assert_status(0);
    let want = boot_file_line("exe", &hello, &format!("/{dir_name}/hello"), false);
    assert!(
        out.stderr_str().lines().any(|l| l == want),
        "no {want:?}: {}",
        out.describe()
    );
    let out = Cmd::lstar()
        .args(["--cmdline", "lstar.selftest=boot-files"])
        .timeout(QUICK)
        .run();
    out.assert_status(0);
    assert!(
        out.stderr_str()
            .contains("selftest boot-files: exe /demo size ")
            && out
                .stderr_str()
                .contains(" mode 755 mtime 0.000000000 rw fnv "),
        "{}",
        out.describe()
    );
}

/// 62 files, the most there can be: all of them arrive.
#[test]
fn sixty_two_files_all_arrive() {
    require_kvm!();
    let host = crate::common::fixture("sixty-two", b"62");
    let mut cmd = Cmd::lstar();
    cmd.args(["--cmdline", "lstar.selftest=boot-files"]);
    for i in 0..62 {
        cmd.arg("--file").arg(spec(&host, &format!("/many/{i}:ro")));
    }
    let out = cmd.arg("--").arg(prog("hello")).timeout(QUICK).run();
    out.assert_status(0);
    let err = out.stderr_str();
    assert!(
        err.contains("selftest boot-files: ok (62 files)"),
        "{}",
        out.describe()
    );
    assert!(
        err.contains(&boot_file_line("file", &host, "/many/61", true)),
        "{}",
        out.describe()
    );
}
