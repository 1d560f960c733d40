//! The control socket (`lstar run --socket PATH`): HTTP/1.1 + JSON on a
//! Unix socket, as Firecracker and Cloud Hypervisor do it, documented in
//! docs/api/openapi.yaml. One thread serves every connection from an
//! epoll loop (`server.rs`), and a worker thread takes the requests that
//! need the vCPU; neither ever blocks the vCPU thread: counters are read
//! from atomics and guest memory, and requests that need the vCPU go
//! through `vcpu_control` with a timeout.

pub mod http;
pub mod memory;
pub mod msrs;
pub mod routes;
pub mod server;
pub mod types;

use std::io;
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::thread;
use std::time::Instant;

use thiserror::Error;
use vm_memory::GuestMemoryMmap;

use crate::vcpu_control::Controller;

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
            .spawn(move || {
                crate::seccomp::install_or_exit(crate::seccomp::Role::Api);
                if let Err(e) = server::run(listener, ctx) {
                    eprintln!("lstar: control socket stopped: {e}");
                }
            });
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

/// The answer to one request given as raw bytes, without a socket: what
/// the event loop does with a complete request, for a fuzz target to drive
/// parsing and routing. Bytes that are not one whole request get the
/// error a client would get (400 for a truncated one). Requests that need
/// the vCPU ask `ctx.control` as a connection's would: give the target a
/// `Controller` whose vCPU side is dropped (`vcpu_control::new(.., true)`,
/// drop the `VcpuSide`) and they answer 409 at once.
// The fuzz target's entry (and this module's tests'); the binary itself
// serves through `server.rs`.
#[cfg_attr(not(test), allow(dead_code))]
pub fn handle_request_bytes(bytes: &[u8], ctx: &Context) -> http::Response {
    match http::parse_request(bytes) {
        Ok(http::Parsed::Complete(request, _)) => routes::handle(ctx, &request),
        Ok(http::Parsed::Partial) => http::Response::error(400, "incomplete request"),
        Err(http::Bad(status, message)) => http::Response::error(status, &message),
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

#[cfg(test)]
mod tests {
    use super::*;
    use vm_memory::GuestAddress;

    /// A context with 1 MiB of zeroed guest memory and no vCPU behind it.
    fn context() -> Context {
        let (vcpu, control) = crate::vcpu_control::new(Default::default(), true);
        drop(vcpu);
        Context {
            control: control.expect("a controller"),
            memory: GuestMemoryMmap::from_ranges(&[(GuestAddress(0), 1 << 20)]).expect("memory"),
            stats_addr: 0x1000,
            ksyms: None,
            kvm_stats: None,
            started: Instant::now(),
            mem_mib: 1,
            kernel: "embedded".into(),
            cmdline: String::new(),
            platform: "unknown",
            blk: None,
            trace: std::sync::Mutex::new(None),
        }
    }

    fn answer(ctx: &Context, bytes: &[u8]) -> (u16, String) {
        let r = handle_request_bytes(bytes, ctx);
        (r.status, r.body)
    }

    #[test]
    fn raw_requests_are_parsed_and_routed_without_a_socket() {
        let ctx = context();
        let (status, body) = answer(&ctx, b"GET /vm HTTP/1.1\r\n\r\n");
        assert_eq!(status, 200, "{body}");
        let info: types::VmInfo = serde_json::from_str(&body).unwrap();
        assert_eq!((info.vcpus, info.mem_mib), (1, 1));
        assert_eq!(answer(&ctx, b"GET /vm HTTP/1.1\r\n").0, 400);
        assert_eq!(answer(&ctx, b"GET /nope HTTP/1.1\r\n\r\n").0, 404);
        // No vCPU: the request is well-formed, the VM is gone.
        let put = |body: &str| {
            let req = format!(
                "PUT /vm/state HTTP/1.1\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            );
            answer(&ctx, req.as_bytes())
        };
        assert_eq!(put(r#"{"state": "paused"}"#).0, 409);
        let (status, body) = put(r#"{"state": "paused", "state": "running"}"#);
        assert_eq!(status, 400, "{body}");
        let e: types::ErrorBody = serde_json::from_str(&body).unwrap();
        assert!(e.error.contains("duplicate field `state`"), "{}", e.error);
    }
}
