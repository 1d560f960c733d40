//! An `lstar run` in the background, for tests that act on it while it
//! runs (signals, /proc/PID/task): its pid, its stdout line by line, and
//! its end, with a limit that only guards against a hang.

use std::ffi::OsStr;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Child, ChildStdin, ChildStdout, Command, ExitStatus, Stdio};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use super::LSTAR;

/// Longest any background run may take before the test fails as hung.
const HANG_LIMIT: Duration = Duration::from_secs(30);

pub struct Live {
    child: Child,
    stdout: BufReader<ChildStdout>,
    /// Left open (and so the guest's stdin) until [`Live::close_stdin`].
    stdin: Option<ChildStdin>,
    stderr: Option<JoinHandle<Vec<u8>>>,
    what: String,
}

/// How it ended.
pub struct Ended {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

impl Drop for Live {
    /// A test that panics mid-run leaves no lstar behind.
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

impl Live {
    /// `lstar run ARGS...` with `env` added, stdin a pipe left open.
    pub fn start<I, S>(args: I, env: &[(&str, &str)]) -> Live
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let mut command = Command::new(LSTAR);
        super::default_signals(&mut command);
        command.arg("run").args(args);
        for (k, v) in env {
            command.env(k, v);
        }
        let what = format!("{command:?}");
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {what}: {e}"));
        let stdout = BufReader::new(child.stdout.take().expect("piped"));
        let mut err = child.stderr.take().expect("piped");
        let stderr = thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = err.read_to_end(&mut bytes);
            bytes
        });
        Live {
            stdin: child.stdin.take(),
            child,
            stdout,
            stderr: Some(stderr),
            what,
        }
    }

    pub fn pid(&self) -> i32 {
        self.child.id() as i32
    }

    /// Reads stdout up to a line equal to `want`; panics at end of output.
    pub fn wait_for_line(&mut self, want: &str) {
        let mut line = String::new();
        loop {
            line.clear();
            let n = self.stdout.read_line(&mut line).unwrap_or(0);
            assert!(n > 0, "{}: output ended before {want:?}", self.what);
            if line.trim_end() == want {
                return;
            }
        }
    }

    /// Waits until `path` exists (lstar made its socket: its signal mask
    /// and handlers are in place by then).
    pub fn wait_for_file(&mut self, path: &Path) {
        let what = self.what.clone();
        self.wait_until(|| path.exists(), &format!("{what}: no {}", path.display()));
    }

    /// Polls `ready` every few milliseconds; panics after the hang limit
    /// or if lstar exits first.
    pub fn wait_until(&mut self, mut ready: impl FnMut() -> bool, why: &str) {
        let start = Instant::now();
        while !ready() {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("{}: exited ({status}) while waiting: {why}", self.what);
            }
            assert!(start.elapsed() < HANG_LIMIT, "{why}");
            thread::sleep(Duration::from_millis(5));
        }
    }

    pub fn signal(&self, sig: i32) {
        // SAFETY: kill with our own child's pid; no memory is involved.
        let rc = unsafe { libc::kill(self.pid(), sig) };
        assert_eq!(rc, 0, "kill({}, {sig})", self.pid());
    }

    /// Writes `bytes` to the guest's stdin.
    pub fn send(&mut self, bytes: &[u8]) {
        use std::io::Write;
        let stdin = self.stdin.as_mut().expect("stdin already closed");
        stdin
            .write_all(bytes)
            .unwrap_or_else(|e| panic!("{}: writing its stdin: {e}", self.what));
    }

    /// The next line of stdout, without its newline; panics at the end of
    /// output.
    pub fn next_line(&mut self) -> String {
        let mut line = String::new();
        let n = self.stdout.read_line(&mut line).unwrap_or(0);
        assert!(n > 0, "{}: output ended", self.what);
        line.truncate(line.trim_end_matches('\n').len());
        line
    }

    pub fn close_stdin(&mut self) {
        self.stdin = None;
    }

    /// Waits for lstar to exit (killing it and failing after the hang
    /// limit) and collects the rest of its output.
    pub fn end(mut self) -> Ended {
        let start = Instant::now();
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                break status;
            }
            if start.elapsed() > HANG_LIMIT {
                let _ = self.child.kill();
                panic!("{} did not exit within {HANG_LIMIT:?}", self.what);
            }
            thread::sleep(Duration::from_millis(5));
        };
        let mut stdout = String::new();
        let _ = self.stdout.read_to_string(&mut stdout);
        let stderr = self
            .stderr
            .take()
            .and_then(|t| t.join().ok())
            .unwrap_or_default();
        Ended {
            status,
            stdout,
            stderr: String::from_utf8_lossy(&stderr).into_owned(),
        }
    }
}
