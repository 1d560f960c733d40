//! What every integration test needs: where things are, the C test programs
//! (built with `musl-gcc -static` on first use), running `lstar` or any
//! command with a timeout, and skipping the KVM tests where /dev/kvm cannot
//! be opened.

/// The control socket's answers as untyped JSON (serde_json, which the
/// server writes them with).
pub mod json {
    pub use serde_json::Value;

    /// One JSON document, or `None`.
    pub fn parse(text: &str) -> Option<Value> {
        serde_json::from_str(text).ok()
    }
}
pub mod live;

use std::collections::HashMap;
use std::ffi::{OsStr, OsString};
use std::fmt::Write as _;
use std::fs;
use std::io::{Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant, SystemTime};

/// The `lstar` binary cargo built for this test run.
pub const LSTAR: &str = env!("CARGO_BIN_EXE_lstar");

/// Default limit for one run of `lstar` or of a test program; override with
/// `LSTAR_TEST_TIMEOUT=<seconds>`.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// The repository's top directory.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("vmm/ has a parent directory")
        .to_path_buf()
}

/// A directory inside the target directory that belongs to these tests.
pub fn scratch_dir(sub: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(sub);
    fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("creating {}: {e}", dir.display()));
    dir
}

/// A path in `scratch_dir(sub)` that does not exist yet (whatever an
/// earlier run left there is removed), unique per call and free of
/// symlinks: the guest gets the same absolute paths.
pub fn fresh_path(sub: &str, prefix: &str) -> PathBuf {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let dir = fs::canonicalize(scratch_dir(sub)).expect("canonical scratch dir");
    let path = dir.join(format!(
        "{prefix}-{}-{}",
        std::process::id(),
        N.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    ));
    let _ = fs::remove_dir_all(&path);
    let _ = fs::remove_file(&path);
    path
}

fn timeout() -> Duration {
    std::env::var("LSTAR_TEST_TIMEOUT")
        .ok()
        .and_then(|s| s.parse().ok())
        .map(Duration::from_secs)
        .unwrap_or(DEFAULT_TIMEOUT)
}

// ---------------------------------------------------------------------------
// Skipping

/// Why /dev/kvm cannot be used here, or `None` when it can.
/// `LSTAR_TEST_SKIP_KVM=1` pretends it cannot (to check the skip path).
pub fn kvm_unavailable() -> Option<&'static str> {
    static STATUS: OnceLock<Option<String>> = OnceLock::new();
    STATUS
        .get_or_init(|| {
            if std::env::var_os("LSTAR_TEST_SKIP_KVM").is_some_and(|v| v != "0") {
                return Some("LSTAR_TEST_SKIP_KVM is set".to_string());
            }
            match fs::OpenOptions::new()
                .read(true)
                .write(true)
                .open("/dev/kvm")
            {
                Ok(_) => None,
                Err(e) => Some(e.to_string()),
            }
        })
        .as_deref()
}

/// Tells the person running the tests that the current test was skipped.
/// Written to the process's real stderr: the test harness captures only
/// `print!`/`eprint!`, so the line is seen even when the test passes.
pub fn report_skip(reason: &str) {
    let current = thread::current();
    let test = current.name().unwrap_or("?");
    let _ = writeln!(std::io::stderr(), "skipped: {reason} [{test}]");
}

/// Returns from the calling test, reported as skipped, when /dev/kvm cannot
/// be opened. `.ci/run` refuses to run without KVM, so CI never skips.
macro_rules! require_kvm {
    () => {
        if let Some(reason) = $crate::common::kvm_unavailable() {
            $crate::common::report_skip(&format!("/dev/kvm not available ({reason})"));
            return;
        }
    };
}

// ---------------------------------------------------------------------------
// Test programs

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
enum Link {
    /// `musl-gcc -static -O2`: what lstar runs.
    MuslStatic,
    /// The host's `gcc -O2`, dynamically linked against glibc: what lstar
    /// must refuse.
    GlibcDynamic,
}

/// The static executable built from `tests/progs/NAME.c`.
pub fn prog(name: &str) -> PathBuf {
    build_prog(name, Link::MuslStatic)
}

/// `tests/progs/NAME.c` linked dynamically with the host's gcc.
pub fn dynamic_prog(name: &str) -> PathBuf {
    build_prog(name, Link::GlibcDynamic)
}

/// Every C program in tests/progs, by name.
pub fn all_prog_names() -> Vec<String> {
    let dir = repo_root().join("tests/progs");
    let mut names: Vec<String> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .filter_map(|entry| {
            let path = entry.ok()?.path();
            (path.extension()? == "c").then(|| path.file_stem()?.to_str().map(String::from))?
        })
        .collect();
    names.sort();
    names
}

type BuildResult = Result<PathBuf, String>;

/// Builds each program at most once per test run, however many tests (on
/// however many threads) ask for it; the others wait for the first build.
fn build_prog(name: &str, link: Link) -> PathBuf {
    type Builds = HashMap<(String, Link), Arc<OnceLock<BuildResult>>>;
    static BUILDS: OnceLock<Mutex<Builds>> = OnceLock::new();
    let cell = {
        let mut builds = BUILDS
            .get_or_init(Default::default)
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        Arc::clone(builds.entry((name.to_string(), link)).or_default())
    };
    match cell.get_or_init(|| compile(name, link)) {
        Ok(path) => path.clone(),
        Err(message) => panic!("{message}"),
    }
}

fn mtime(path: &Path) -> Option<SystemTime> {
    fs::metadata(path).and_then(|m| m.modified()).ok()
}

fn compile(name: &str, link: Link) -> BuildResult {
    let src = repo_root().join("tests/progs").join(format!("{name}.c"));
    if !src.is_file() {
        return Err(format!("no test program {}", src.display()));
    }
    let (compiler, flags, suffix): (&str, &[&str], &str) = match link {
        Link::MuslStatic => ("musl-gcc", &["-static", "-O2"], ""),
        Link::GlibcDynamic => ("gcc", &["-O2"], "-dynamic"),
    };
    let out = scratch_dir("progs").join(format!("{name}{suffix}"));
    // Up to date when built after the last change of its source.
    if let (Some(built), Some(changed)) = (mtime(&out), mtime(&src))
        && built >= changed
    {
        return Ok(out);
    }
    // Build under a private name, then rename: another test process that
    // runs at the same time never sees half a file.
    let tmp = out.with_file_name(format!("{name}{suffix}.tmp{}", std::process::id()));
    let result = Command::new(compiler)
        .args(flags)
        .args(["-Wall", "-Wextra", "-o"])
        .arg(&tmp)
        .arg(&src)
        .stdin(Stdio::null())
        .output();
    let output = match result {
        Ok(output) => output,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(format!(
                "{compiler} not found: run scripts/setup.sh to install the test toolchain"
            ));
        }
        Err(e) => return Err(format!("running {compiler}: {e}")),
    };
    if !output.status.success() {
        let _ = fs::remove_file(&tmp);
        return Err(format!(
            "{compiler} failed to build {}:\n{}",
            src.display(),
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    fs::rename(&tmp, &out).map_err(|e| format!("renaming {}: {e}", tmp.display()))?;
    Ok(out)
}

/// Writes `bytes` to a file named `name` in the fixtures directory, mode
/// 0755, and returns its path. Each test uses its own names.
pub fn fixture(name: &str, bytes: &[u8]) -> PathBuf {
    let path = scratch_dir("fixtures").join(name);
    let tmp = path.with_file_name(format!("{name}.tmp{}", std::process::id()));
    fs::write(&tmp, bytes).unwrap_or_else(|e| panic!("writing {}: {e}", tmp.display()));
    fs::set_permissions(&tmp, fs::Permissions::from_mode(0o755))
        .unwrap_or_else(|e| panic!("chmod {}: {e}", tmp.display()));
    fs::rename(&tmp, &path).unwrap_or_else(|e| panic!("renaming {}: {e}", tmp.display()));
    path
}

/// Variables of an outer cargo run that must not reach a guest build (host
/// flags, a host target, another target directory, clippy's wrapper).
const LEAKY_CARGO_ENV: &[&str] = &[
    "RUSTFLAGS",
    "CARGO_ENCODED_RUSTFLAGS",
    "CARGO_BUILD_RUSTFLAGS",
    "CARGO_BUILD_TARGET",
    "CARGO_TARGET_DIR",
    "CARGO_BUILD_TARGET_DIR",
    "RUSTC_WORKSPACE_WRAPPER",
    "CARGO_PRIMARY_PACKAGE",
];

/// The guest kernel ELF for QEMU: the very file `lstar` embeds (vmm/build.rs
/// says where), else one built once per test run by the guest workspace's
/// own cargo, as scripts/qemu-run.sh would.
pub fn guest_kernel() -> PathBuf {
    if let Some(embedded) = option_env!("LSTAR_KERNEL_PATH").map(PathBuf::from)
        && embedded.is_file()
    {
        return embedded;
    }
    static KERNEL: OnceLock<BuildResult> = OnceLock::new();
    let result = KERNEL.get_or_init(|| {
        let root = repo_root();
        let target_dir = root.join("guest-kernel/target");
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let mut cmd = Cmd::new(cargo);
        cmd.args([
            "build",
            "--quiet",
            "--release",
            "-p",
            "lstar-kernel",
            "--target-dir",
        ])
        .arg(&target_dir)
        .current_dir(root.join("guest-kernel"))
        .timeout(Duration::from_secs(900));
        for var in LEAKY_CARGO_ENV {
            cmd.env_remove(var);
        }
        let out = cmd.run();
        if out.code() != 0 {
            return Err(format!(
                "building the guest kernel failed:\n{}",
                out.stderr_str()
            ));
        }
        Ok(target_dir.join("x86_64-unknown-none/release/lstar-kernel"))
    });
    match result {
        Ok(path) => path.clone(),
        Err(message) => panic!("{message}"),
    }
}

// ---------------------------------------------------------------------------
// Running commands

/// What a command gets on its stdin.
enum Input {
    /// /dev/null (the default: a test never reads the terminal).
    Null,
    /// These bytes through a pipe, then end of file.
    Bytes(Vec<u8>),
    /// A pipe that stays open, without data, until the command has exited.
    OpenPipe,
}

/// A command to run with a timeout, capturing stdout and stderr.
/// The child starts with every signal at its default action and none
/// blocked, as a program starts in lstar, whatever the test runner
/// inherited (nohup ignores SIGHUP, a background job of a shell without
/// job control SIGINT and SIGQUIT): a native reference run of a script
/// that traps or sends them must not differ for that.
pub fn default_signals(command: &mut Command) {
    use std::os::unix::process::CommandExt;
    let last = libc::SIGRTMAX();
    // SAFETY: the closure runs in the child between fork and exec and
    // calls only signal (sigaction), sigemptyset and sigprocmask, which
    // are async-signal-safe, on a set on its own stack.
    unsafe {
        command.pre_exec(move || {
            for sig in 1..=last {
                if sig != libc::SIGKILL && sig != libc::SIGSTOP {
                    libc::signal(sig, libc::SIG_DFL);
                }
            }
            let mut none: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut none);
            libc::sigprocmask(libc::SIG_SETMASK, &none, std::ptr::null_mut());
            Ok(())
        });
    }
}

/// sha256 of `data` in hex, by the host's sha256sum (a peer nobody here
/// wrote, and no hashing crate in the tree for the tests alone).
pub fn sha256(data: &[u8]) -> String {
    sha256sum(Cmd::new("sha256sum").stdin(data.to_vec()))
}

/// sha256 of the file at `path` in hex, by the host's sha256sum.
pub fn sha256_file(path: &Path) -> String {
    sha256sum(Cmd::new("sha256sum").arg(path))
}

fn sha256sum(cmd: &mut Cmd) -> String {
    let out = cmd.run();
    out.assert_status(0);
    let text = out.stdout_str();
    text.split_whitespace()
        .next()
        .unwrap_or_default()
        .to_string()
}

pub struct Cmd {
    command: Command,
    input: Input,
    timeout: Duration,
}

/// How a command ended and what it printed.
pub struct Outcome {
    pub status: ExitStatus,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    pub elapsed: Duration,
    /// The command line, for messages.
    pub what: String,
}

impl Cmd {
    pub fn new(program: impl AsRef<OsStr>) -> Cmd {
        let mut command = Command::new(program);
        default_signals(&mut command);
        Cmd {
            command,
            input: Input::Null,
            timeout: timeout(),
        }
    }

    /// `lstar run` followed by the arguments added next.
    pub fn lstar() -> Cmd {
        let mut cmd = Cmd::new(LSTAR);
        cmd.arg("run");
        cmd
    }

    /// `lstar run -- PROGRAM ARGS...`.
    pub fn lstar_run<I, S>(program: impl AsRef<OsStr>, args: I) -> Cmd
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let mut cmd = Cmd::lstar();
        cmd.arg("--").arg(program).args(args);
        cmd
    }

    /// `lstar run -- PROGRAM`.
    pub fn lstar_prog(program: impl AsRef<OsStr>) -> Cmd {
        Cmd::lstar_run(program, [""; 0])
    }

    pub fn arg(&mut self, arg: impl AsRef<OsStr>) -> &mut Cmd {
        self.command.arg(arg);
        self
    }

    pub fn args<I, S>(&mut self, args: I) -> &mut Cmd
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.command.args(args);
        self
    }

    pub fn env(&mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> &mut Cmd {
        self.command.env(key, value);
        self
    }

    pub fn env_remove(&mut self, key: impl AsRef<OsStr>) -> &mut Cmd {
        self.command.env_remove(key);
        self
    }

    pub fn env_clear(&mut self) -> &mut Cmd {
        self.command.env_clear();
        self
    }

    pub fn current_dir(&mut self, dir: impl AsRef<Path>) -> &mut Cmd {
        self.command.current_dir(dir);
        self
    }

    pub fn stdin(&mut self, bytes: impl Into<Vec<u8>>) -> &mut Cmd {
        self.input = Input::Bytes(bytes.into());
        self
    }

    /// Gives the command a stdin pipe that is never written nor closed
    /// while it runs.
    pub fn stdin_left_open(&mut self) -> &mut Cmd {
        self.input = Input::OpenPipe;
        self
    }

    pub fn timeout(&mut self, limit: Duration) -> &mut Cmd {
        self.timeout = limit;
        self
    }

    fn describe(&self) -> String {
        let mut s = self.command.get_program().to_string_lossy().into_owned();
        for arg in self.command.get_args() {
            let _ = write!(s, " {:?}", arg.to_string_lossy());
        }
        s
    }

    /// Runs the command to completion; panics (failing the test) when it
    /// cannot start or outlives its timeout, in which case it is killed.
    pub fn run(&mut self) -> Outcome {
        let what = self.describe();
        self.command
            .stdin(match self.input {
                Input::Null => Stdio::null(),
                Input::Bytes(_) | Input::OpenPipe => Stdio::piped(),
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let start = Instant::now();
        let mut child = self
            .command
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {what}: {e}"));

        let mut held_stdin: Option<ChildStdin> = None;
        let feeder = match std::mem::replace(&mut self.input, Input::Null) {
            Input::Null => None,
            Input::Bytes(bytes) => {
                let mut pipe = child.stdin.take().expect("stdin is piped");
                Some(thread::spawn(move || {
                    // The command may exit without reading everything.
                    let _ = pipe.write_all(&bytes);
                }))
            }
            Input::OpenPipe => {
                held_stdin = child.stdin.take();
                None
            }
        };
        let stdout = reader(child.stdout.take().expect("stdout is piped"));
        let stderr = reader(child.stderr.take().expect("stderr is piped"));

        let status = wait_with_deadline(&mut child, start + self.timeout);
        drop(held_stdin);
        let stdout = stdout.join().expect("stdout reader thread");
        let stderr = stderr.join().expect("stderr reader thread");
        if let Some(feeder) = feeder {
            feeder.join().expect("stdin writer thread");
        }
        let outcome = Outcome {
            status: status.unwrap_or_default(),
            stdout,
            stderr,
            elapsed: start.elapsed(),
            what,
        };
        if status.is_none() {
            panic!(
                "timed out after {:?} (killed): {}",
                self.timeout,
                outcome.describe()
            );
        }
        outcome
    }
}

fn reader(mut pipe: impl Read + Send + 'static) -> JoinHandle<Vec<u8>> {
    thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = pipe.read_to_end(&mut bytes);
        bytes
    })
}

/// Waits for the child until `deadline`; kills it and returns `None` then.
fn wait_with_deadline(child: &mut Child, deadline: Instant) -> Option<ExitStatus> {
    let mut pause = Duration::from_millis(1);
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return Some(status),
            Ok(None) => {}
            Err(e) => panic!("waiting for a child process: {e}"),
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(20));
    }
}

/// At most this many bytes of each stream go into a failure message.
const EXCERPT: usize = 3000;

fn excerpt(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    if text.len() <= EXCERPT {
        return text.into_owned();
    }
    let mut cut = EXCERPT;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}... [{} bytes in all]", &text[..cut], bytes.len())
}

impl Outcome {
    /// The exit status; a command killed by a signal fails the test.
    pub fn code(&self) -> i32 {
        use std::os::unix::process::ExitStatusExt;
        match self.status.code() {
            Some(code) => code,
            None => panic!(
                "killed by signal {:?}: {}",
                self.status.signal(),
                self.describe()
            ),
        }
    }

    pub fn stdout_str(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }

    pub fn stderr_str(&self) -> String {
        String::from_utf8_lossy(&self.stderr).into_owned()
    }

    /// The command, its status and what it printed, for failure messages.
    pub fn describe(&self) -> String {
        format!(
            "{}\n  status: {}\n  after: {:?}\n  stdout: {:?}\n  stderr: {:?}",
            self.what,
            self.status,
            self.elapsed,
            excerpt(&self.stdout),
            excerpt(&self.stderr)
        )
    }

    #[track_caller]
    pub fn assert_status(&self, want: i32) -> &Outcome {
        assert_eq!(
            self.code(),
            want,
            "unexpected exit status: {}",
            self.describe()
        );
        self
    }

    #[track_caller]
    pub fn assert_stdout(&self, want: impl AsRef<[u8]>) -> &Outcome {
        let want = want.as_ref();
        if self.stdout != want {
            let first_difference = self
                .stdout
                .iter()
                .zip(want)
                .position(|(a, b)| a != b)
                .unwrap_or(self.stdout.len().min(want.len()));
            panic!(
                "stdout differs (got {} bytes, want {}; first difference at byte {}):\n  want: {:?}\n  got:  {}",
                self.stdout.len(),
                want.len(),
                first_difference,
                excerpt(want),
                self.describe()
            );
        }
        self
    }

    /// stderr has a line that starts with `lstar: ` (lstar's own diagnostic).
    #[track_caller]
    pub fn assert_lstar_message(&self) -> &Outcome {
        assert!(
            self.stderr_str().lines().any(|l| l.starts_with("lstar: ")),
            "no `lstar: ` diagnostic on stderr: {}",
            self.describe()
        );
        self
    }

    /// The stderr line that contains `needle`, if any.
    pub fn stderr_line_with(&self, needle: &str) -> Option<String> {
        self.stderr_str()
            .lines()
            .find(|l| l.contains(needle))
            .map(String::from)
    }
}

/// An argument from arbitrary bytes.
pub fn os(bytes: &[u8]) -> OsString {
    use std::os::unix::ffi::OsStrExt;
    OsStr::from_bytes(bytes).to_os_string()
}

// ---------------------------------------------------------------------------
// `strace -c` style tables (lstar's `--stats` report and strace's own),
// shared by stats.rs and api.rs

pub const HEADER: &str = "    calls    errors syscall";
pub const SEPARATOR: &str = "--------- --------- ----------------";
pub const I386_TITLE: &str = "System call usage summary for 32 bit mode (int $0x80):";

/// One `strace -c`-style table: name -> (calls, errors), and the total row.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Table {
    pub rows: std::collections::BTreeMap<String, (u64, u64)>,
    pub total: (u64, u64),
}

/// `calls [errors] name` (strace leaves a zero errors cell blank).
pub fn parse_row(line: &str) -> Option<(u64, u64, String)> {
    let cells: Vec<&str> = line.split_whitespace().collect();
    match cells[..] {
        [calls, name] => Some((calls.parse().ok()?, 0, name.to_string())),
        [calls, errors, name] => {
            Some((calls.parse().ok()?, errors.parse().ok()?, name.to_string()))
        }
        _ => None,
    }
}

/// Parses the tables of a `strace -c -U calls,errors,name` style report:
/// the first one, and the one after [`I386_TITLE`] if any. Panics (failing
/// the test) on anything malformed.
pub fn parse_tables(text: &str) -> (Table, Option<Table>) {
    let mut tables = Vec::new();
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        if line != HEADER {
            continue;
        }
        assert_eq!(lines.next(), Some(SEPARATOR), "no separator in {text}");
        let mut table = Table::default();
        let mut rows_done = false;
        for line in lines.by_ref() {
            if line == SEPARATOR {
                assert!(!rows_done, "two separators after the rows in {text}");
                rows_done = true;
                continue;
            }
            let (calls, errors, name) =
                parse_row(line).unwrap_or_else(|| panic!("bad row {line:?} in {text}"));
            if rows_done {
                assert_eq!(name, "total", "{text}");
                table.total = (calls, errors);
                break;
            }
            assert!(table.rows.insert(name, (calls, errors)).is_none(), "{text}");
        }
        tables.push(table);
    }
    let mut tables = tables.into_iter();
    let first = tables
        .next()
        .unwrap_or_else(|| panic!("no table in {text:?}"));
    (first, tables.next())
}

/// `program` found in $PATH.
pub fn which(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|p| p.is_file())
}

/// One HTTP/1.1 request on a fresh connection to a control socket;
/// (status, head, body). Panics (failing the test) if there is no answer.
pub fn http_raw(socket: &Path, request: &[u8]) -> (u16, String, String) {
    let mut s = std::os::unix::net::UnixStream::connect(socket)
        .unwrap_or_else(|e| panic!("connecting to {}: {e}", socket.display()));
    s.set_read_timeout(Some(Duration::from_secs(20)))
        .expect("read timeout");
    // The server may answer (and close) before reading all of an
    // oversized request: a failed write is fine, the answer is what counts.
    let _ = s.write_all(request);
    let mut answer = Vec::new();
    let _ = s.read_to_end(&mut answer);
    let answer = String::from_utf8_lossy(&answer).into_owned();
    let (head, body) = answer
        .split_once("\r\n\r\n")
        .unwrap_or_else(|| panic!("no HTTP answer: {answer:?}"));
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("bad status line: {head:?}"));
    (status, head.to_string(), body.to_string())
}

/// `METHOD PATH` with `body` on a control socket; (status, body).
pub fn http(socket: &Path, method: &str, path: &str, body: &str) -> (u16, String) {
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\
         Content-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let (status, _, body) = http_raw(socket, req.as_bytes());
    (status, body)
}

/// `GET path`, which must answer 200 with JSON.
pub fn get_json(socket: &Path, path: &str) -> json::Value {
    let (status, body) = http(socket, "GET", path, "");
    assert_eq!(status, 200, "GET {path}: {body}");
    json::parse(&body).unwrap_or_else(|| panic!("GET {path}: not JSON: {body}"))
}

/// The `error` member of an error answer.
pub fn error_of(body: &str) -> String {
    json::parse(body)
        .and_then(|v| {
            v.get("error")
                .and_then(json::Value::as_str)
                .map(String::from)
        })
        .unwrap_or_else(|| panic!("not an error body: {body}"))
}

/// Deterministic bytes covering every value (xorshift32 from `seed`).
pub fn noise(len: usize, seed: u32) -> Vec<u8> {
    let mut x = seed;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect()
}
