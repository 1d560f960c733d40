//! The guest's file system against Linux's: the VFS with its tmpfs root,
//! /dev, /proc and `lstar run --file HOST:GUEST[:ro]`.
//!
//! - tests/progs/vfs.c checks the file-system calls one by one, error cases
//!   included; natively in a fresh directory and in lstar in /tmp/w it must
//!   print the same lines and exit the same (and natively, the same on every
//!   file system the host has at hand).
//! - busybox applets on a small tree that the host builds and gives the
//!   guest with one `--file HOST:GUEST` per file at the same absolute path,
//!   so that printed paths match: the same stdout and status natively (as
//!   root, cwd /, TZ=UTC0) and in lstar.
//! - What only the guest has, against expectations written here: its root
//!   and /proc/self, tmpfs block accounting, the directories `--file`
//!   creates, `:ro` files, a full tmpfs.
//!
//! One process per VM (no fork yet): busybox sh runs builtins and
//! redirections only, and every `lstar run` starts from a fresh tmpfs.
//! The native sides run as root (ownership is compared, vfs.c chowns);
//! elsewhere these tests report themselves skipped.

use crate::common::{Cmd, Outcome, prog, report_skip, scratch_dir};
use std::collections::BTreeSet;
use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::Duration;

const BUSYBOX: &str = "/bin/busybox";

/// The guest's fixed environment (README: `PATH=/bin:/usr/bin`, `HOME=/`),
/// plus TZ so that busybox prints the same dates on both sides.
const TZ: &str = "UTC0";

/// Whether files this process creates are root's: the native sides compare
/// ownership with the guest's uid 0.
fn native_is_root() -> bool {
    let probe = scratch_dir("vfs").join(format!("uid-probe-{}", std::process::id()));
    fs::write(&probe, b"").unwrap_or_else(|e| panic!("writing {}: {e}", probe.display()));
    let uid = fs::metadata(&probe).map(|m| m.uid()).unwrap_or(u32::MAX);
    let _ = fs::remove_file(&probe);
    uid == 0
}

macro_rules! require_root {
    () => {
        if !native_is_root() {
            report_skip(
                "the native side must run as root (it compares ownership with the guest's uid 0)",
            );
            return;
        }
    };
}

/// A path under the tests' scratch directory that does not exist yet,
/// free of symlinks (the guest gets the same absolute paths).
fn fresh_path(prefix: &str) -> PathBuf {
    crate::common::fresh_path("vfs", prefix)
}

/// `program args` on the host as the guest would run it: its environment
/// only, cwd /.
fn native(program: impl AsRef<std::ffi::OsStr>, args: &[String]) -> Outcome {
    Cmd::new(program)
        .args(args)
        .env_clear()
        .env("PATH", "/bin:/usr/bin")
        .env("HOME", "/")
        .env("TZ", TZ)
        .current_dir("/")
        .run()
}

/// The program's own stderr: without lstar's `lstar: ` lines.
fn program_stderr(out: &Outcome) -> String {
    out.stderr_str()
        .lines()
        .filter(|l| !l.starts_with("lstar: "))
        .map(|l| format!("{l}\n"))
        .collect()
}

// ---------------------------------------------------------------------------
// A readable line diff

/// The lines of `native` and `guest` that differ, each with two lines of
/// context and the section (`== name` line of vfs.c) it is in: `-` native
/// only, `+` lstar only. Longest common subsequence, so that a missing or
/// extra line shows as one line, not as everything after it.
pub(crate) fn line_diff(native: &str, guest: &str) -> String {
    let a: Vec<&str> = native.lines().collect();
    let b: Vec<&str> = guest.lines().collect();
    let (n, m) = (a.len(), b.len());
    let mut lcs = vec![vec![0u32; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[i][j] = if a[i] == b[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let mut ops: Vec<(char, &str)> = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < n || j < m {
        if i < n && j < m && a[i] == b[j] {
            ops.push((' ', a[i]));
            i += 1;
            j += 1;
        } else if i < n && (j == m || lcs[i + 1][j] >= lcs[i][j + 1]) {
            ops.push(('-', a[i]));
            i += 1;
        } else {
            ops.push(('+', b[j]));
            j += 1;
        }
    }
    const CONTEXT: usize = 2;
    const MAX_LINES: usize = 200;
    let changed: Vec<usize> = (0..ops.len()).filter(|&k| ops[k].0 != ' ').collect();
    let mut out = String::new();
    let mut shown_to = 0; // ops before this index are printed already
    let mut lines = 0;
    for &k in &changed {
        let from = k.saturating_sub(CONTEXT).max(shown_to);
        let to = (k + CONTEXT + 1).min(ops.len());
        if from >= to {
            continue;
        }
        if from > shown_to || shown_to == 0 {
            let section = ops[..k]
                .iter()
                .rev()
                .find(|(op, l)| *op != '+' && l.starts_with("== "))
                .map_or("(start)", |(_, l)| l);
            out.push_str(&format!("@@ {section} @@\n"));
        }
        for (op, line) in &ops[from..to] {
            out.push_str(&format!("{op} {line}\n"));
            lines += 1;
        }
        shown_to = to;
        if lines >= MAX_LINES {
            out.push_str(&format!("... ({} differing lines in all)\n", changed.len()));
            break;
        }
    }
    out
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Compare {
    /// stdout and status, byte for byte.
    Exact,
    /// stdout as a sorted set of lines, and status: for output in directory
    /// order, which is each file system's own (tmpfs, ext4 hash order...).
    SortedLines,
    /// stdout, the program's stderr and status, byte for byte.
    WithStderr,
}

fn sorted_lines(text: &str) -> String {
    let mut lines: Vec<&str> = text.lines().collect();
    lines.sort_unstable();
    lines.iter().map(|l| format!("{l}\n")).collect()
}

/// Native and lstar agree: status, stdout (and stderr), or the diff.
#[track_caller]
fn assert_same(what: &str, native: &Outcome, guest: &Outcome, compare: Compare) {
    let (mut want, mut got) = (native.stdout_str(), guest.stdout_str());
    if compare == Compare::SortedLines {
        (want, got) = (sorted_lines(&want), sorted_lines(&got));
    }
    if want != got {
        panic!(
            "{what}: stdout differs natively and in lstar (- native, + lstar):\n{}\nnative: {}\nlstar: {}",
            line_diff(&want, &got),
            native.describe(),
            guest.describe()
        );
    }
    if compare == Compare::WithStderr {
        let (want, got) = (program_stderr(native), program_stderr(guest));
        assert!(
            want == got,
            "{what}: stderr differs (- native, + lstar):\n{}\nnative: {}\nlstar: {}",
            line_diff(&want, &got),
            native.describe(),
            guest.describe()
        );
    }
    assert_eq!(
        native.code(),
        guest.code(),
        "{what}: exit status differs\nnative: {}\nlstar: {}",
        native.describe(),
        guest.describe()
    );
}

// ---------------------------------------------------------------------------
// tests/progs/vfs.c

/// vfs.c's output, checked for what every run must have.
#[track_caller]
fn assert_complete_run(out: &Outcome) {
    out.assert_status(0);
    let text = out.stdout_str();
    assert!(
        text.starts_with("vfs checks\n") && text.ends_with("\ndone\n"),
        "vfs.c did not run to its end: {}",
        out.describe()
    );
    assert!(
        !text.lines().any(|l| l.starts_with("(setup)")),
        "a setup step of vfs.c failed: {}",
        out.describe()
    );
}

/// The precondition of the differential test: natively, vfs.c prints the
/// same on the file system of the scratch directory and on /dev/shm's
/// (a tmpfs on most machines), so that what it prints is Linux's behaviour
/// and not one file system's.
#[test]
fn vfs_checks_are_the_same_on_each_host_file_system() {
    let here = fresh_path("native");
    let first = native(prog("vfs"), &[here.display().to_string()]);
    assert_complete_run(&first);
    let _ = fs::remove_dir_all(&here);

    let shm = Path::new("/dev/shm");
    if !shm.is_dir() {
        report_skip("no /dev/shm: vfs.c ran on one file system only");
        return;
    }
    let there = shm.join(format!("lstar-vfs-{}", std::process::id()));
    let _ = fs::remove_dir_all(&there);
    let second = native(prog("vfs"), &[there.display().to_string()]);
    let _ = fs::remove_dir_all(&there);
    assert_complete_run(&second);
    assert_same(
        "vfs.c in the scratch dir and in /dev/shm",
        &first,
        &second,
        Compare::Exact,
    );
}

/// The differential test: natively in a fresh directory, and in lstar in
/// /tmp/w (vfs.c creates its directory when it does not exist).
#[test]
fn vfs_checks_match_linux_in_lstar() {
    require_kvm!();
    require_root!();
    let here = fresh_path("native");
    let want = native(prog("vfs"), &[here.display().to_string()]);
    let _ = fs::remove_dir_all(&here);
    assert_complete_run(&want);
    let got = Cmd::lstar_run(prog("vfs"), ["/tmp/w"])
        .timeout(Duration::from_secs(300))
        .run();
    assert_same("vfs.c", &want, &got, Compare::Exact);
}

// ---------------------------------------------------------------------------
// busybox on a host-built tree

/// Files of the tree: path under the base directory, mode.
const TREE_FILES: &[(&str, u32)] = &[
    ("tree/a.txt", 0o644),
    ("tree/b.txt", 0o644),
    ("tree/empty", 0o600),
    ("tree/sub/c.sh", 0o755),
    ("tree/sub/deeper/d.bin", 0o640),
];

/// The mtime of every file of the tree (`touch -d`).
const MTIME: &str = "2020-01-02 03:04:05 UTC";

fn tree_content(rel: &str) -> Vec<u8> {
    match rel {
        "tree/a.txt" => b"alpha\nbeta\ngamma\n".to_vec(),
        "tree/b.txt" => b"pear\napple\nfig\n".to_vec(),
        "tree/empty" => Vec::new(),
        "tree/sub/c.sh" => b"#!/bin/sh\necho hi\n".to_vec(),
        _ => crate::common::noise(10_000, 0x9e37_79b9),
    }
}

/// A base directory B with the tree B/tree and B/t.tar, a tarball the
/// host's tar made of B/src/xt (which the guest does not get).
struct Tree {
    base: PathBuf,
}

fn set_mode(path: &Path, mode: u32) {
    fs::set_permissions(path, fs::Permissions::from_mode(mode))
        .unwrap_or_else(|e| panic!("chmod {}: {e}", path.display()));
}

fn write(path: &Path, bytes: &[u8], mode: u32) {
    fs::write(path, bytes).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
    set_mode(path, mode);
}

impl Tree {
    fn new(prefix: &str) -> Tree {
        let base = fresh_path(prefix);
        let tree = Tree { base };
        tree.rebuild();
        tree
    }

    /// (Re)creates everything from scratch: each case starts from the
    /// same tree on both sides.
    fn rebuild(&self) {
        let b = &self.base;
        let _ = fs::remove_dir_all(b);
        for dir in [
            "",
            "tree",
            "tree/sub",
            "tree/sub/deeper",
            "src",
            "src/xt",
            "src/xt/dir",
        ] {
            let d = b.join(dir);
            fs::create_dir_all(&d).unwrap_or_else(|e| panic!("mkdir {}: {e}", d.display()));
            set_mode(&d, 0o755);
        }
        let mut touched = Vec::new();
        for (rel, mode) in TREE_FILES {
            write(&b.join(rel), &tree_content(rel), *mode);
            touched.push(b.join(rel));
        }
        write(&b.join("src/xt/one.txt"), b"one\n", 0o644);
        write(&b.join("src/xt/dir/two.txt"), b"two\ntwo\n", 0o600);
        Cmd::new("tar")
            .args([
                "--sort=name",
                "--owner=0",
                "--group=0",
                "--numeric-owner",
                &format!("--mtime={MTIME}"),
                "-cf",
            ])
            .arg(b.join("t.tar"))
            .arg("-C")
            .arg(b.join("src"))
            .arg("xt")
            .run()
            .assert_status(0);
        touched.push(b.join("t.tar"));
        for dir in ["tree", "tree/sub", "tree/sub/deeper"] {
            touched.push(b.join(dir));
        }
        Cmd::new("touch")
            .arg("-d")
            .arg(MTIME)
            .args(&touched)
            .run()
            .assert_status(0);
    }

    fn tree(&self) -> PathBuf {
        self.base.join("tree")
    }

    /// The files the guest gets: the tree's and the tarball.
    fn files(&self) -> Vec<PathBuf> {
        let mut files: Vec<PathBuf> = TREE_FILES
            .iter()
            .map(|(rel, _)| self.base.join(rel))
            .collect();
        files.push(self.base.join("t.tar"));
        files
    }

    /// `--file P:P` for each of [`Tree::files`].
    fn file_args(&self) -> Vec<String> {
        let mut args = Vec::new();
        for f in self.files() {
            let p = f.display().to_string();
            assert!(
                !p.contains(':'),
                "a ':' in {p} would split --file's argument"
            );
            args.push("--file".to_string());
            args.push(format!("{p}:{p}"));
        }
        args
    }

    /// `{B}` is the base, `{T}` the tree, `{R}` the tree relative to /.
    fn expand(&self, args: &[&str]) -> Vec<String> {
        let base = self.base.display().to_string();
        let tree = self.tree().display().to_string();
        let rel = tree.trim_start_matches('/').to_string();
        args.iter()
            .map(|a| {
                a.replace("{B}", &base)
                    .replace("{T}", &tree)
                    .replace("{R}", &rel)
            })
            .collect()
    }

    /// `lstar run` with the tree's files, `--env TZ`, then busybox ARGS.
    fn in_lstar(&self, args: &[String]) -> Outcome {
        let mut cmd = Cmd::lstar();
        cmd.args(["--env", &format!("TZ={TZ}")])
            .args(self.file_args())
            .arg("--")
            .arg(BUSYBOX)
            .args(args);
        cmd.run()
    }

    /// Each case on a fresh tree, in lstar then natively (lstar copies the
    /// files at its start and never writes them back), compared.
    fn compare_all(&self, cases: &[(Compare, &[&str])]) {
        assert!(
            Path::new(BUSYBOX).is_file(),
            "{BUSYBOX} missing: run scripts/setup.sh (Debian's busybox-static)"
        );
        for (compare, args) in cases {
            let args = self.expand(args);
            self.rebuild();
            let guest = self.in_lstar(&args);
            let host = native(BUSYBOX, &args);
            assert_same(&format!("busybox {args:?}"), &host, &guest, *compare);
        }
    }
}

/// A directory removed when the test ends, passed or failed.
struct Removed(PathBuf);

impl Drop for Removed {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

impl Drop for Tree {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.base);
    }
}

const ALL_FILES: [&str; 5] = [
    "{T}/a.txt",
    "{T}/b.txt",
    "{T}/empty",
    "{T}/sub/c.sh",
    "{T}/sub/deeper/d.bin",
];

/// Applets that read the tree: the files' metadata as `--file` gave it
/// (mode, mtime, size, uid 0) and their content.
#[test]
fn busybox_reads_the_tree_as_linux_does() {
    require_kvm!();
    require_root!();
    use Compare::*;
    let [a, b, e, c, d] = ALL_FILES;
    let tree = Tree::new("bb-read");
    tree.compare_all(&[
        // Files only: directories' sizes, link counts of . and .., and the
        // mtimes of the directories --file creates are not the host's.
        (Exact, &["ls", "-lan", a, b, e, c, d]),
        (Exact, &["ls", "-ln", "--full-time", a, d]),
        // ls sorts names; -R walks the directories.
        (Exact, &["ls", "-1R", "{T}"]),
        (Exact, &["ls", "-1F", "{T}", "{T}/sub"]),
        // find prints directory order: compared as sets of lines.
        (SortedLines, &["find", "{T}"]),
        (
            SortedLines,
            &["find", "{T}", "-type", "f", "-name", "*.txt"],
        ),
        (SortedLines, &["find", "{T}", "-type", "d"]),
        (
            Exact,
            &["stat", "-c", "%n %s %a %h %F %u %g %Y", a, b, e, c, d],
        ),
        // Directories: mode and link count only (2 + subdirectories).
        (
            Exact,
            &[
                "stat",
                "-c",
                "%n %a %h %F",
                "{T}",
                "{T}/sub",
                "{T}/sub/deeper",
            ],
        ),
        (Exact, &["sha256sum", a, b, e, c, d]),
        (Exact, &["md5sum", d]),
        (Exact, &["wc", "-l", a, b]),
        (Exact, &["wc", "-c", d, e]),
        (Exact, &["cat", a, b, e]),
        (Exact, &["sort", b]),
        (Exact, &["sed", "s/a/b/", a]),
        (Exact, &["head", "-n", "2", a]),
        (Exact, &["tail", "-c", "5", b]),
        (Exact, &["od", "-A", "d", "-t", "x1", "-N", "32", d]),
        (Exact, &["cmp", a, a]),
        (Exact, &["cmp", a, b]),
        (Exact, &["diff", "-u", a, b]),
        // Relative to the cwd, / on both sides.
        (Exact, &["readlink", "-f", "{R}/sub/../a.txt"]),
        (Exact, &["realpath", "{R}/sub/deeper/../c.sh"]),
        (Exact, &["test", "-x", c]),
        (Exact, &["test", "-x", a]),
        // tar of the tree: names in directory order.
        (SortedLines, &["tar", "cvf", "/dev/null", "{T}"]),
        // The tarball the host made: archive order.
        (Exact, &["tar", "tvf", "{B}/t.tar"]),
    ]);
}

/// Applets that change the tree (each case on a fresh one): exit status
/// and what they print; their results are seen by the next process only,
/// which a one-process VM cannot have, so the shell test below reads
/// files back with builtins.
#[test]
fn busybox_changes_the_tree_as_linux_does() {
    require_kvm!();
    require_root!();
    use Compare::*;
    let tree = Tree::new("bb-write");
    tree.compare_all(&[
        (Exact, &["sort", "-o", "{B}/sorted", "{T}/b.txt"]),
        (Exact, &["sed", "-i", "s/a/b/", "{T}/a.txt"]),
        (Exact, &["mkdir", "-p", "{B}/a/b/c"]),
        (Exact, &["mkdir", "-pv", "{B}/a/b/c"]),
        (Exact, &["mkdir", "{T}/sub"]),
        (Exact, &["cp", "-a", "{T}", "{B}/copy"]),
        (SortedLines, &["cp", "-av", "{T}", "{B}/copy"]),
        (
            Exact,
            &["cp", "{T}/sub/deeper/d.bin", "{T}/a.txt", "{T}/sub"],
        ),
        (Exact, &["mv", "-v", "{T}/a.txt", "{T}/sub/moved.txt"]),
        (Exact, &["mv", "{T}/sub", "{B}/sub2"]),
        (Exact, &["mv", "{T}/b.txt", "{T}/sub/deeper"]),
        (Exact, &["rm", "-rf", "{T}"]),
        (SortedLines, &["rm", "-rv", "{T}"]),
        (Exact, &["rm", "{T}/sub"]),
        (Exact, &["rmdir", "{T}/sub"]),
        (Exact, &["rmdir", "{T}/missing"]),
        (Exact, &["ln", "-sv", "a.txt", "{T}/link"]),
        (Exact, &["ln", "{T}/a.txt", "{T}/hard"]),
        (Exact, &["ln", "-s", "a.txt", "{T}/b.txt"]),
        (Exact, &["touch", "-d", "2021-03-04 05:06:07", "{T}/a.txt"]),
        (Exact, &["touch", "{T}/new", "{T}/a.txt"]),
        (Exact, &["truncate", "-s", "5", "{T}/a.txt"]),
        (Exact, &["chmod", "600", "{T}/a.txt", "{T}/sub"]),
        (Exact, &["chown", "1000:1000", "{T}/a.txt"]),
        (Exact, &["chown", "-R", "7:8", "{T}"]),
        (
            Exact,
            &[
                "dd",
                "if={T}/sub/deeper/d.bin",
                "of={B}/dd.out",
                "bs=1000",
                "count=5",
            ],
        ),
        (Exact, &["tar", "cf", "{B}/out.tar", "{T}"]),
        // Extraction of the host's tarball: archive order.
        (Exact, &["tar", "xvf", "{B}/t.tar", "-C", "{B}"]),
        (Exact, &["tar", "xf", "{B}/missing.tar"]),
    ]);
}

/// busybox sh with builtins and redirections only (no fork): files are
/// created, appended to, read back; globbing reads directories (sorted);
/// failed redirections print the same messages.
#[test]
fn busybox_sh_redirections_behave_as_on_linux() {
    require_kvm!();
    require_root!();
    use Compare::*;
    let tree = Tree::new("bb-sh");
    let scripts: &[&str] = &[
        "echo hi > {B}/f; read x < {B}/f; echo $x",
        "cd {T} && pwd && echo *; cd sub; echo * */*; \
         for f in ../*.txt; do read l < $f; echo \"$f: $l\"; done; \
         [ -x c.sh ] && echo exec; [ -d deeper ] && echo dir; \
         [ -s ../empty ] || echo empty; [ -e nothing ] || echo none; \
         [ -f deeper/d.bin ] && echo file; [ -L c.sh ] || echo notlink",
        "echo more >> {T}/a.txt; while read l; do echo \"[$l]\"; done < {T}/a.txt",
        "echo x > {T}/sub; echo status $?; echo x > {B}/missing/f; echo status $?; \
         read l < {T}/missing; echo status $?",
        "exec 3> {B}/fd3; echo via3 >&3; echo again >&3; exec 3>&-; \
         while read l; do echo $l; done < {B}/fd3",
        "set -C; echo a > {B}/f; echo b > {B}/f; echo status $?; read l < {B}/f; echo $l",
        "echo aaa > {B}/f; echo bbb >> {B}/f; echo c 1<> {B}/f; \
         while read l; do echo $l; done < {B}/f",
        "umask 077; umask; echo x > {B}/m; [ -r {B}/m ] && echo readable",
        "cd {T}/sub/deeper; cd ../..; pwd; cd ..; pwd; cd /; pwd; cd {T}/missing; echo status $?",
        "exec < {T}/b.txt; read a; read b; echo $b $a",
        "printf '%s\\n' {T}/*/* {T}/*.none",
    ];
    let cases: Vec<(Compare, Vec<&str>)> = scripts
        .iter()
        .map(|s| (WithStderr, vec!["sh", "-c", *s]))
        .collect();
    let cases: Vec<(Compare, &[&str])> = cases.iter().map(|(c, a)| (*c, a.as_slice())).collect();
    tree.compare_all(&cases);
}

// ---------------------------------------------------------------------------
// The guest only, against expectations written here

fn busybox_in_lstar(args: &[&str]) -> Outcome {
    Cmd::lstar_run(BUSYBOX, args).run()
}

/// The root the brief describes: /bin (the program's own directory),
/// /dev, /proc, /tmp, and /etc (only its mtab link, which df and mount
/// read), nothing else (no --file here). The host's root has more, so no
/// native run.
#[test]
fn guest_root_has_bin_dev_proc_tmp() {
    require_kvm!();
    let out = busybox_in_lstar(&["find", "/", "-maxdepth", "1"]);
    out.assert_status(0);
    let got: BTreeSet<String> = out.stdout_str().lines().map(String::from).collect();
    let want: BTreeSet<String> = ["/", "/bin", "/dev", "/etc", "/proc", "/tmp"]
        .into_iter()
        .map(String::from)
        .collect();
    assert_eq!(got, want, "{}", out.describe());

    busybox_in_lstar(&["stat", "-c", "%n %a %u %g %F", "/tmp"])
        .assert_status(0)
        .assert_stdout("/tmp 1777 0 0 directory\n");
    // The program's own file: its bytes (the size), root's.
    busybox_in_lstar(&["stat", "-c", "%n %s %u %g %F", BUSYBOX])
        .assert_status(0)
        .assert_stdout(format!(
            "{BUSYBOX} {} 0 0 regular file\n",
            fs::metadata(BUSYBOX).expect("busybox").len()
        ));
}

/// /proc/self: the program's file and its open fds (busybox ls has the
/// directory it lists open as fd 3). The host's would name the host's.
#[test]
fn proc_self_shows_the_program_and_its_fds() {
    require_kvm!();
    let out = busybox_in_lstar(&["ls", "-l", "/proc/self/exe"]);
    out.assert_status(0);
    assert!(
        out.stdout_str()
            .trim_end()
            .ends_with("/proc/self/exe -> /bin/busybox"),
        "{}",
        out.describe()
    );
    busybox_in_lstar(&["readlink", "/proc/self/exe"])
        .assert_status(0)
        .assert_stdout("/bin/busybox\n");
    busybox_in_lstar(&["ls", "/proc/self/fd"])
        .assert_status(0)
        .assert_stdout("0\n1\n2\n3\n");
}

/// The tmpfs as the brief gives it: statfs (TMPFS_MAGIC, 4 KiB blocks,
/// 255-byte names), df works, the shell writes and reads /tmp, mkdir -p.
#[test]
fn tmp_is_a_writable_tmpfs() {
    require_kvm!();
    busybox_in_lstar(&["stat", "-f", "-c", "%t %s %l", "/tmp", "/"])
        .assert_status(0)
        .assert_stdout("1021994 4096 255\n1021994 4096 255\n");
    // df's figures are the guest's own: its exit status and header only.
    let out = busybox_in_lstar(&["df", "/"]);
    out.assert_status(0);
    assert!(
        out.stdout_str().starts_with("Filesystem"),
        "{}",
        out.describe()
    );
    busybox_in_lstar(&["sh", "-c", "echo hi > /tmp/f; read x < /tmp/f; echo $x"])
        .assert_status(0)
        .assert_stdout("hi\n");
    busybox_in_lstar(&["mkdir", "-p", "/tmp/a/b/c"])
        .assert_status(0)
        .assert_stdout("");
}

/// What `--file` gives the guest beyond the file's bytes: parents created
/// 0755 root's, st_blocks in whole 4 KiB pages (8 blocks each, as Linux's
/// tmpfs; directories have none), st_blksize 4096. Host file systems count
/// blocks their own way, so these are written here, not compared.
#[test]
fn file_option_parents_and_block_accounting() {
    require_kvm!();
    let tree = Tree::new("file-meta");
    let t = tree.tree().display().to_string();
    let in_lstar = |args: &[String]| tree.in_lstar(args);
    let strings = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();

    // Every directory from / down to the tree's subdirectories that the
    // guest did not have already.
    let mut dirs: Vec<PathBuf> = tree
        .tree()
        .join("sub/deeper")
        .ancestors()
        .filter(|p| !matches!(p.to_str(), Some("/" | "/tmp")))
        .map(Path::to_path_buf)
        .collect();
    dirs.reverse();
    let mut args = strings(&["stat", "-c", "%n %a %u %g %F"]);
    args.extend(dirs.iter().map(|d| d.display().to_string()));
    let want: String = dirs
        .iter()
        .map(|d| format!("{} 755 0 0 directory\n", d.display()))
        .collect();
    in_lstar(&args).assert_status(0).assert_stdout(want);

    // 17, 10000, 0 bytes: 1, 3, 0 pages.
    let mut args = strings(&["stat", "-c", "%n %s %b %B %o"]);
    args.extend(["a.txt", "sub/deeper/d.bin", "empty"].map(|f| format!("{t}/{f}")));
    in_lstar(&args).assert_status(0).assert_stdout(format!(
        "{t}/a.txt 17 8 512 4096\n{t}/sub/deeper/d.bin 10000 24 512 4096\n{t}/empty 0 0 512 4096\n"
    ));
    // du in KiB: a.txt, b.txt, c.sh one page each, d.bin three, empty none.
    in_lstar(&strings(&["du", "-s", &t]))
        .assert_status(0)
        .assert_stdout(format!("24\t{t}\n"));
    in_lstar(&strings(&["du", "-k", &format!("{t}/sub/deeper/d.bin")]))
        .assert_status(0)
        .assert_stdout(format!("12\t{t}/sub/deeper/d.bin\n"));
}

/// `--file HOST:GUEST:ro`: readable, but every change is EPERM (the file is
/// immutable, like chattr +i: write, append, truncate, unlink, rename);
/// without `:ro` the guest's copy is writable and the host file stays as
/// it was. busybox's messages end in strerror(EPERM).
#[test]
fn read_only_file_refuses_changes() {
    require_kvm!();
    let dir = Removed(fresh_path("ro"));
    fs::create_dir_all(&dir.0).expect("mkdir");
    let host = dir.0.join("host.txt");
    write(&host, b"original\n", 0o644);
    let ro = format!("{}:/tmp/ro.txt:ro", host.display());
    let rw = format!("{}:/tmp/rw.txt", host.display());
    let run = |file: &str, args: &[&str]| {
        let mut cmd = Cmd::lstar();
        cmd.args(["--file", file, "--", BUSYBOX]).args(args);
        cmd.run()
    };

    run(&ro, &["sh", "-c", "read x < /tmp/ro.txt; echo $x"])
        .assert_status(0)
        .assert_stdout("original\n");
    for args in [
        &["sh", "-c", "echo x > /tmp/ro.txt"][..],
        &["sh", "-c", "echo x >> /tmp/ro.txt"],
        &["rm", "-f", "/tmp/ro.txt"],
        &["truncate", "-s", "0", "/tmp/ro.txt"],
        &["mv", "/tmp/ro.txt", "/tmp/moved.txt"],
    ] {
        let out = run(&ro, args);
        assert_ne!(
            out.code(),
            0,
            "{args:?} succeeded on a :ro file: {}",
            out.describe()
        );
        assert!(
            out.stderr_str().contains("Operation not permitted"),
            "{args:?}: no EPERM message: {}",
            out.describe()
        );
    }

    run(
        &rw,
        &[
            "sh",
            "-c",
            "echo new > /tmp/rw.txt; read x < /tmp/rw.txt; echo $x",
        ],
    )
    .assert_status(0)
    .assert_stdout("new\n");
    assert_eq!(fs::read(&host).expect("read host file"), b"original\n");
}

/// What tmpfs-full.c prints (and does natively on a small tmpfs): ENOSPC,
/// and after the unlink the space is back.
const TMPFS_FULL: &str = "write 1 MiB chunks until it fails: ENOSPC
wrote at least 1 MiB first: yes
write 4 KiB to another file while full: ENOSPC
close big: 0
unlink big: 0
create a small file: ok
write 12 bytes: 12
read back: 12 space again
write 1 MiB more: ok
OK
";

/// A tmpfs filled to the end of a 64 MiB guest. Filling it copies tens of
/// MiB in the kernel, seconds on kvm-pvm: a longer limit.
#[test]
fn tmpfs_full_is_enospc_and_recovers() {
    require_kvm!();
    let mut cmd = Cmd::lstar();
    cmd.args(["--mem", "64", "--"])
        .arg(prog("tmpfs-full"))
        .timeout(Duration::from_secs(300));
    cmd.run().assert_stdout(TMPFS_FULL).assert_status(0);
}

/// The diff names the section and shows only the lines around a change.
#[test]
fn line_diff_shows_the_changed_lines_in_their_section() {
    let native = "vfs checks\n== open\na: 1\nb: 2\nc: 3\nd: 4\ne: 5\nf: 6\n== stat\ng: 7\nh: 8\n";
    let guest =
        "vfs checks\n== open\na: 1\nb: 2\nc: 3\nd: 4\ne: 5\nf: 6\n== stat\ng: -1 ENOSYS\nh: 8\nx\n";
    assert_eq!(
        line_diff(native, guest),
        "@@ == stat @@\n  f: 6\n  == stat\n- g: 7\n+ g: -1 ENOSYS\n  h: 8\n+ x\n"
    );
    assert_eq!(line_diff("a\nb\n", "a\nb\n"), "");
    assert_eq!(
        line_diff("a\nb\nc\n", "a\nc\n"),
        "@@ (start) @@\n  a\n- b\n  c\n"
    );
}

/// The same calls through the i386 table (`int $0x80`): its numbers and
/// layouts (stat64, _llseek, the 32-bit lseek, getdents64), natively and
/// in lstar.
#[test]
fn i386_file_calls_match_linux_in_lstar() {
    require_kvm!();
    let here = fresh_path("int80");
    let want = native(prog("int80-files"), &[here.display().to_string()]);
    let _ = fs::remove_dir_all(&here);
    assert!(
        want.stdout_str().ends_with("OK\n"),
        "native: {}",
        want.describe()
    );
    let got = Cmd::lstar_run(prog("int80-files"), ["/tmp/w"]).run();
    assert_same("int80-files.c", &want, &got, Compare::Exact);
}

/// The same differential program under QEMU TCG (scripts/qemu-run.sh),
/// where the SYSCALL/SYSRETQ fast path serves every call.
#[test]
fn vfs_checks_match_linux_under_qemu() {
    if crate::qemu::qemu_missing() {
        return;
    }
    require_root!();
    let here = fresh_path("native-qemu");
    let want = native(prog("vfs"), &[here.display().to_string()]);
    let _ = fs::remove_dir_all(&here);
    assert_complete_run(&want);
    let got = crate::qemu::qemu_run(&prog("vfs"), &[std::ffi::OsString::from("/tmp/w")]);
    assert_same("vfs.c under QEMU", &want, &got, Compare::Exact);
}

/// Random file-system calls (tests/progs/fsfuzz.c, three seeds): the
/// kernel answers each and survives; no panic, no hang.
#[test]
fn random_file_calls_leave_the_kernel_standing() {
    require_kvm!();
    for seed in ["1", "5", "7"] {
        let out = Cmd::lstar_run(prog("fsfuzz"), ["2000", seed])
            .timeout(Duration::from_secs(120))
            .run();
        out.assert_status(0);
        assert!(
            out.stdout_str().contains("survived 2000 calls"),
            "seed {seed}: {}",
            out.describe()
        );
    }
}
