//! SIGINT, SIGTERM and SIGHUP sent to `lstar run`: forwarded to the guest's
//! pid 1, as a container runtime forwards them to its pid 1.
//!
//! The three are blocked in every lstar thread (the mask is set before the
//! first thread starts, and threads inherit it) and taken by one thread in
//! sigwaitinfo. It marks the signal in the host signal port's set and
//! raises the host signal interrupt; the guest kernel reads the port and
//! sends the signals to pid 1 (docs/boot-contract.md). The VM then ends as
//! the program decides: killed by SIGTERM, lstar exits 143; a program that
//! catches it and exits 0 makes lstar exit 0 (the guest's status wins, as
//! with `docker run`). A second SIGINT ends lstar at once, exit 130, for a
//! program that ignores the first.

use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::sync::OnceLock;
use std::thread;

use lstar_devices::PendingSignals;
use thiserror::Error;
use vmm_sys_util::eventfd::EventFd;

use crate::seccomp::{self, Role};

/// The signals forwarded to the guest.
pub const FORWARDED: [libc::c_int; 3] = [libc::SIGINT, libc::SIGTERM, libc::SIGHUP];

/// lstar's status when a second SIGINT ends it (128 + SIGINT, as a shell
/// reports a process killed by it).
pub const SECOND_SIGINT_EXIT: i32 = 128 + libc::SIGINT;

/// The control socket file, once created: removed before lstar exits,
/// whichever way it exits (the end of the run, an error, a second SIGINT,
/// a seccomp violation).
static SOCKET: OnceLock<CString> = OnceLock::new();

/// Remembers the socket file for [`remove_socket`].
pub fn remember_socket(path: &Path) {
    if let Ok(path) = CString::new(path.as_os_str().as_bytes()) {
        let _ = SOCKET.set(path);
    }
}

/// The address of the socket file's path: the one unlink(2) argument the
/// seccomp filters allow.
pub fn socket_path_addr() -> Option<u64> {
    SOCKET.get().map(|p| p.as_ptr() as u64)
}

/// Removes the socket file, if any. Async-signal-safe (one unlink of a
/// path built beforehand), so the SIGSYS handler may call it too.
pub fn remove_socket() {
    if let Some(path) = SOCKET.get() {
        // SAFETY: `path` is NUL-terminated and lives as long as the process.
        unsafe { libc::unlink(path.as_ptr()) };
    }
}

#[derive(Debug, Error)]
pub enum SignalsError {
    #[error("cannot block SIGINT, SIGTERM and SIGHUP: {0}")]
    Block(std::io::Error),
    #[error("cannot start the signal thread: {0}")]
    Spawn(std::io::Error),
}

fn forwarded_set() -> libc::sigset_t {
    // SAFETY: sigemptyset initialises the set; sigaddset adds valid signals.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        for sig in FORWARDED {
            libc::sigaddset(&mut set, sig);
        }
        set
    }
}

/// Blocks the forwarded signals in the calling thread and in every thread
/// it starts from now on. Call on the main thread before any other starts.
pub fn block() -> Result<(), SignalsError> {
    let set = forwarded_set();
    // SAFETY: `set` is an initialised sigset; the old mask is not wanted.
    let rc = unsafe { libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut()) };
    if rc != 0 {
        return Err(SignalsError::Block(std::io::Error::from_raw_os_error(rc)));
    }
    Ok(())
}

/// Starts the thread that forwards signals: each one is marked in
/// `pending`, then `irq` raises the host signal interrupt.
pub fn spawn_forwarder(pending: PendingSignals, irq: EventFd) -> Result<(), SignalsError> {
    thread::Builder::new()
        .name("lstar-signals".into())
        .stack_size(64 * 1024)
        .spawn(move || forward(&pending, &irq))
        .map(drop)
        .map_err(SignalsError::Spawn)
}

/// How long a raised signal may stay untaken before the interrupt is
/// raised again: one raised before the kernel routed the interrupt (early
/// in boot) would otherwise wait for ever.
static RERAISE: libc::timespec = libc::timespec {
    tv_sec: 0,
    tv_nsec: 50_000_000,
};

fn forward(pending: &PendingSignals, irq: &EventFd) {
    seccomp::install_or_exit(Role::Signals);
    let set = forwarded_set();
    let mut interrupted = false;
    loop {
        let timeout = if pending.is_empty() {
            std::ptr::null()
        } else {
            &raw const RERAISE
        };
        // SAFETY: `set` is initialised; no siginfo is asked for; `timeout`
        // is null (wait for ever) or a static timespec.
        let sig = unsafe { libc::sigtimedwait(&set, std::ptr::null_mut(), timeout) };
        if sig < 0 {
            // EAGAIN: a signal still untaken, raise again; EINTR: a
            // handler ran (the vCPU kick is not ours): wait again.
            if !pending.is_empty() {
                let _ = irq.write(1);
            }
            continue;
        }
        if sig == libc::SIGINT {
            if interrupted {
                end_now();
            }
            interrupted = true;
        }
        pending.raise(sig);
        if let Err(e) = irq.write(1) {
            eprintln!("lstar: cannot forward signal {sig} to the guest: {e}");
        }
    }
}

/// A second SIGINT: remove the socket file and exit 130 without waiting
/// for the guest.
fn end_now() -> ! {
    const MSG: &[u8] = b"lstar: second SIGINT: stopping the VM\n";
    remove_socket();
    // SAFETY: write of a static buffer; _exit ends the process without
    // running anything else.
    unsafe {
        libc::write(2, MSG.as_ptr().cast(), MSG.len());
        libc::_exit(SECOND_SIGINT_EXIT);
    }
}
