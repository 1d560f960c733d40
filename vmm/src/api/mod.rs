//! The control socket (`lstar run --socket PATH`): HTTP/1.1 + JSON on a
//! Unix socket, as Firecracker and Cloud Hypervisor do it, documented in
//! docs/api/openapi.yaml. One accept thread, one short-lived thread per
//! connection (capped); none of them ever blocks the vCPU thread: counters
//! are read from atomics and guest memory, and requests that need the vCPU
//! go through `vcpu_control` with a timeout.

pub mod http;
pub mod json;
pub mod memory;
pub mod msrs;
pub mod routes;

use std::io::{self, BufReader};
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use thiserror::Error;
use vm_memory::GuestMemoryMmap;

use crate::vcpu_control::Controller;

/// Connections served at once; more are answered 503 and closed.
const MAX_CONNECTIONS: usize = 64;
/// A client that sends nothing for this long is dropped.
const IDLE_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, Error)]
pub enum ApiError {
    #[error("{}: another process is listening on this socket (another lstar?)", .0.display())]
    InUse(PathBuf),
    #[error("{}: exists and is not a socket; refusing to replace it", .0.display())]
    NotASocket(PathBuf),
    #[error("{}: cannot create the control socket: {source}", path.display())]
    Bind { path: PathBuf, source: io::Error },
    #[error("cannot start the control socket thread: {0}")]
    Spawn(io::Error),
}

/// What the handlers read: fixed facts about the VM and live sources.
pub struct Context {
    pub control: Controller,
    pub memory: GuestMemoryMmap,
    pub stats_addr: u64,
    pub ksyms: Option<Vec<u8>>,
    /// KVM's binary stats of the vCPU, if KVM offers them.
    pub kvm_stats: Option<std::fs::File>,
    pub started: Instant,
    pub mem_mib: u64,
    /// "embedded" or the `--kernel` path.
    pub kernel: String,
    pub cmdline: String,
    pub platform: &'static str,
    /// The virtio-blk counters (`--disk`), for `/vm/blk` and `/metrics`.
    pub blk: Option<crate::disk::BlkStats>,
    /// The trace ring, once a client asked for `/vm/trace`.
    pub trace: std::sync::Mutex<Option<crate::trace::TraceRing>>,
}

/// The socket file; removed by [`SocketFile::remove`] (lstar exits with
/// `process::exit`, which runs no destructors).
pub struct SocketFile {
    path: PathBuf,
    listener: UnixListener,
}

/// A socket file nobody answers on is left over from a crashed run:
/// replace it. One somebody answers on is refused.
fn clear_stale(path: &Path) -> Result<(), ApiError> {
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        return Ok(());
    };
    if !meta.file_type().is_socket() {
        return Err(ApiError::NotASocket(path.to_path_buf()));
    }
    match UnixStream::connect(path) {
        Ok(_) => Err(ApiError::InUse(path.to_path_buf())),
        Err(_) => std::fs::remove_file(path).map_err(|source| ApiError::Bind {
            path: path.to_path_buf(),
            source,
        }),
    }
}

impl SocketFile {
    /// Creates the socket, mode 0600.
    pub fn bind(path: &Path) -> Result<SocketFile, ApiError> {
        clear_stale(path)?;
        let bind_err = |source| ApiError::Bind {
            path: path.to_path_buf(),
            source,
        };
        // The umask keeps the socket private from its creation on; the
        // chmod states the mode whatever the umask was. No other thread
        // creates files at this point of startup.
        // SAFETY: umask only swaps the process's file-creation mask.
        let old = unsafe { libc::umask(0o177) };
        let bound = UnixListener::bind(path);
        // SAFETY: as above, restoring the previous mask.
        unsafe { libc::umask(old) };
        let listener = bound.map_err(bind_err)?;
        let socket = SocketFile {
            path: path.to_path_buf(),
            listener,
        };
        if let Err(e) = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)) {
            socket.remove();
            return Err(bind_err(e));
        }
        Ok(socket)
    }

    /// Serves `ctx` on a thread of its own; returns the path to remove at exit.
    pub fn serve(self, ctx: Context) -> Result<PathBuf, ApiError> {
        let SocketFile { path, listener } = self;
        let ctx = Arc::new(ctx);
        let spawned = thread::Builder::new()
            .name("lstar-api".into())
            .spawn(move || accept_loop(&listener, &ctx));
        if let Err(e) = spawned {
            let _ = std::fs::remove_file(&path);
            return Err(ApiError::Spawn(e));
        }
        Ok(path)
    }

    pub fn remove(&self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

fn accept_loop(listener: &UnixListener, ctx: &Arc<Context>) {
    crate::seccomp::install_or_exit(crate::seccomp::Role::Api);
    let active = Arc::new(AtomicUsize::new(0));
    for stream in listener.incoming() {
        let Ok(mut stream) = stream else { continue };
        if active.fetch_add(1, Ordering::AcqRel) >= MAX_CONNECTIONS {
            active.fetch_sub(1, Ordering::AcqRel);
            let busy = http::Response::error(503, "too many connections");
            let _ = http::write_response(&mut stream, &busy, true);
            continue;
        }
        let (ctx, counter) = (ctx.clone(), active.clone());
        let spawned = thread::Builder::new()
            .name("lstar-api-conn".into())
            .spawn(move || {
                crate::seccomp::install_or_exit(crate::seccomp::Role::Api);
                serve_connection(stream, &ctx);
                counter.fetch_sub(1, Ordering::AcqRel);
            });
        if spawned.is_err() {
            active.fetch_sub(1, Ordering::AcqRel);
        }
    }
}

fn serve_connection(stream: UnixStream, ctx: &Context) {
    let _ = stream.set_read_timeout(Some(IDLE_TIMEOUT));
    let _ = stream.set_write_timeout(Some(IDLE_TIMEOUT));
    let Ok(mut writer) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(stream);
    loop {
        match http::read_request(&mut reader) {
            Ok(request) => {
                let response = routes::handle(ctx, &request);
                let written = http::write_response(&mut writer, &response, request.close);
                if routes::is_shutdown(&request) && response.status == 200 {
                    // Written or not, the client has had its chance.
                    ctx.control.shared.shutdown_answered();
                    return;
                }
                if written.is_err() || request.close {
                    return;
                }
            }
            Err(http::ReadError::Bad(status, message)) => {
                let _ = http::write_response(
                    &mut writer,
                    &http::Response::error(status, &message),
                    true,
                );
                return;
            }
            Err(http::ReadError::Eof | http::ReadError::Io) => return,
        }
    }
}

/// "kvm-pvm", "vmx", "svm" or "unknown": what runs our guest.
pub fn platform() -> &'static str {
    if Path::new("/sys/module/kvm_pvm").exists() {
        return "kvm-pvm";
    }
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let flags = cpuinfo
        .lines()
        .find(|l| l.starts_with("flags"))
        .unwrap_or_default();
    let has = |f: &str| flags.split_whitespace().any(|w| w == f);
    if has("vmx") {
        "vmx"
    } else if has("svm") {
        "svm"
    } else {
        "unknown"
    }
}
