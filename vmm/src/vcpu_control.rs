//! What the vCPU thread shares with the control socket: its state and exit
//! counters (atomics, read without stopping it), and a channel for the
//! requests that need the vCPU out of KVM_RUN (registers, MSRs, pause,
//! resume, shutdown).
//!
//! The kick, as Firecracker and Cloud Hypervisor do it: the server queues
//! a request, then sends [`kick_signal`] to the vCPU thread. Its handler
//! sets `kvm_run.immediate_exit`, so KVM_RUN returns EINTR whether the
//! signal arrived inside it or just before it; the vCPU thread clears the
//! flag, answers every queued request, and runs the guest again (or, when
//! paused, waits on the channel and answers there without re-entering the
//! guest, so a paused VM needs no kick).

use std::cell::Cell;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU8, AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender, SyncSender};
use std::time::Duration;

use kvm_bindings::{kvm_regs, kvm_run, kvm_sregs};
use thiserror::Error;

/// The real-time signal that kicks the vCPU out of KVM_RUN (SIGRTMIN+0,
/// as Firecracker's VCPU_RTSIG_OFFSET).
pub fn kick_signal() -> libc::c_int {
    vmm_sys_util::signal::SIGRTMIN()
}

thread_local! {
    /// This thread's kvm_run mapping, set by the vCPU thread when a control
    /// socket may kick it. Const-initialised: reading it from a signal
    /// handler allocates nothing.
    static KVM_RUN: Cell<*mut kvm_run> = const { Cell::new(std::ptr::null_mut()) };
}

extern "C" fn kick_handler(_: libc::c_int, _: *mut libc::siginfo_t, _: *mut libc::c_void) {
    let run = KVM_RUN.with(Cell::get);
    if !run.is_null() {
        // SAFETY: `run` is the kvm_run mapping of the vCPU owned by this
        // thread, published by `publish_kvm_run` and valid until the vCPU
        // is dropped, which clears it first. A one-byte volatile store is
        // async-signal-safe.
        unsafe { std::ptr::write_volatile(&raw mut (*run).immediate_exit, 1) };
    }
}

/// Installs the kick handler (process-wide; once is enough).
pub fn register_kick_handler() -> Result<(), ControlError> {
    vmm_sys_util::signal::register_signal_handler(kick_signal(), kick_handler)
        .map_err(|e| ControlError::Signal(std::io::Error::from_raw_os_error(e.errno())))
}

/// Lets the kick handler on this thread reach `run` (null to stop).
pub fn publish_kvm_run(run: *mut kvm_run) {
    KVM_RUN.with(|p| p.set(run));
}

#[derive(Debug, Error)]
pub enum ControlError {
    #[error("cannot install the vCPU kick signal handler: {0}")]
    Signal(std::io::Error),
    #[error("the VM has exited")]
    Exited,
    #[error("the vCPU did not answer within {0:?}")]
    Timeout(Duration),
}

/// The VM's state as the socket reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum VmState {
    /// Created, the vCPU thread not yet started.
    Starting = 0,
    Running = 1,
    Paused = 2,
    Exited = 3,
}

impl VmState {
    pub fn name(self) -> &'static str {
        match self {
            VmState::Starting | VmState::Running => "running",
            VmState::Paused => "paused",
            VmState::Exited => "exited",
        }
    }
    fn from_u8(v: u8) -> VmState {
        match v {
            0 => VmState::Starting,
            1 => VmState::Running,
            2 => VmState::Paused,
            _ => VmState::Exited,
        }
    }
}

/// Port I/O exits of one device on the bus.
#[derive(Debug)]
pub struct DeviceExits {
    pub base: u16,
    pub len: u16,
    pub name: &'static str,
    pub count: AtomicU64,
}

/// VM exits by reason (and port I/O by device), counted by the vCPU
/// thread with relaxed atomic increments: a few nanoseconds against an
/// exit's microseconds, and readable from any thread at any time.
#[derive(Debug, Default)]
pub struct ExitStats {
    pub io: AtomicU64,
    pub mmio: AtomicU64,
    pub hlt: AtomicU64,
    pub interrupted: AtomicU64,
    pub other: AtomicU64,
    pub unclaimed_io: AtomicU64,
    pub devices: Vec<DeviceExits>,
}

impl ExitStats {
    /// Counts port I/O exits of `name` on `base..base + len` too.
    pub fn add_device(&mut self, base: u16, len: u16, name: &'static str) {
        self.devices.push(DeviceExits {
            base,
            len,
            name,
            count: AtomicU64::new(0),
        });
    }

    pub fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// One port I/O exit on `port`.
    pub fn port_exit(&self, port: u16) {
        Self::bump(&self.io);
        match self
            .devices
            .iter()
            .find(|d| port >= d.base && port - d.base < d.len)
        {
            Some(d) => Self::bump(&d.count),
            None => Self::bump(&self.unclaimed_io),
        }
    }

    /// (reason, count) for every reason, in a fixed order.
    pub fn by_reason(&self) -> [(&'static str, u64); 5] {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        [
            ("io", get(&self.io)),
            ("mmio", get(&self.mmio)),
            ("hlt", get(&self.hlt)),
            ("interrupted", get(&self.interrupted)),
            ("other", get(&self.other)),
        ]
    }

    /// (device, count), unclaimed ports last as "unclaimed".
    pub fn by_device(&self) -> Vec<(&'static str, u64)> {
        let mut v: Vec<_> = self
            .devices
            .iter()
            .map(|d| (d.name, d.count.load(Ordering::Relaxed)))
            .collect();
        v.push(("unclaimed", self.unclaimed_io.load(Ordering::Relaxed)));
        v
    }
}

/// What the server may ask of the vCPU thread.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    Regs,
    Sregs,
    /// Read these MSRs.
    Msrs(Vec<u32>),
    Pause,
    Resume,
    Shutdown,
}

/// The vCPU thread's answer.
#[derive(Debug)]
pub enum Reply {
    Regs(Box<kvm_regs>),
    Sregs(Box<kvm_sregs>),
    /// (index, value) in the order asked; `None` where KVM refused.
    Msrs(Vec<(u32, Option<u64>)>),
    Done,
    Failed(String),
}

pub struct Envelope {
    pub request: Request,
    pub reply: SyncSender<Reply>,
}

/// State both sides see.
#[derive(Debug)]
pub struct Shared {
    state: AtomicU8,
    /// The vCPU thread's kernel thread id (for tgkill); 0 before it runs.
    tid: AtomicI32,
    /// lstar's exit status once known; -1 before.
    exit_status: AtomicI32,
    /// The answer to a shutdown request has been sent.
    shutdown_answered: AtomicBool,
    pub exits: ExitStats,
}

impl Shared {
    pub fn state(&self) -> VmState {
        VmState::from_u8(self.state.load(Ordering::SeqCst))
    }
    pub fn set_state(&self, s: VmState) {
        self.state.store(s as u8, Ordering::SeqCst);
    }
    pub fn exit_status(&self) -> Option<i32> {
        let s = self.exit_status.load(Ordering::Acquire);
        (s >= 0).then_some(s)
    }
    pub fn shutdown_answered(&self) {
        self.shutdown_answered.store(true, Ordering::Release);
    }
    /// Waits up to `limit` for the shutdown answer to go out.
    pub fn wait_shutdown_answered(&self, limit: Duration) {
        let deadline = std::time::Instant::now() + limit;
        while !self.shutdown_answered.load(Ordering::Acquire)
            && std::time::Instant::now() < deadline
        {
            std::thread::sleep(Duration::from_millis(1));
        }
    }
    pub fn set_exit_status(&self, status: u8) {
        self.exit_status.store(i32::from(status), Ordering::Release);
    }
}

/// The vCPU thread's end of the channel.
pub struct VcpuSide {
    pub shared: Arc<Shared>,
    /// `None` without a control socket: nothing can ask anything.
    pub requests: Option<Receiver<Envelope>>,
}

impl VcpuSide {
    /// Called on the vCPU thread when it starts.
    pub fn started(&self) {
        // SAFETY: gettid has no preconditions.
        let tid = unsafe { libc::gettid() };
        self.shared.tid.store(tid, Ordering::Release);
        self.shared.set_state(VmState::Running);
    }
}

/// The server's end: asks the vCPU thread and waits for the answer.
#[derive(Clone)]
pub struct Controller {
    pub shared: Arc<Shared>,
    requests: Sender<Envelope>,
}

/// How long a request may wait for the vCPU thread.
pub const ANSWER_TIMEOUT: Duration = Duration::from_secs(5);

impl Controller {
    pub fn ask(&self, request: Request) -> Result<Reply, ControlError> {
        if self.shared.state() == VmState::Exited {
            return Err(ControlError::Exited);
        }
        let (tx, rx) = mpsc::sync_channel(1);
        self.requests
            .send(Envelope { request, reply: tx })
            .map_err(|_| ControlError::Exited)?;
        if self.shared.state() != VmState::Paused {
            self.kick();
        }
        match rx.recv_timeout(ANSWER_TIMEOUT) {
            Ok(reply) => Ok(reply),
            Err(RecvTimeoutError::Disconnected) => Err(ControlError::Exited),
            Err(RecvTimeoutError::Timeout) => Err(ControlError::Timeout(ANSWER_TIMEOUT)),
        }
    }

    /// Interrupts KVM_RUN on the vCPU thread (no-op before it started).
    fn kick(&self) {
        let tid = self.shared.tid.load(Ordering::Acquire);
        if tid <= 0 || self.shared.state() == VmState::Exited {
            return;
        }
        // SAFETY: tgkill with our own pid and a thread id of ours; if the
        // vCPU thread has just ended, the call fails with ESRCH and the
        // request is answered `Exited` when the channel drops.
        unsafe {
            libc::syscall(
                libc::SYS_tgkill,
                libc::c_long::from(libc::getpid()),
                libc::c_long::from(tid),
                libc::c_long::from(kick_signal()),
            );
        }
    }
}

/// The shared state and, with `control`, both ends of the channel.
pub fn new(exits: ExitStats, control: bool) -> (VcpuSide, Option<Controller>) {
    let shared = Arc::new(Shared {
        state: AtomicU8::new(VmState::Starting as u8),
        tid: AtomicI32::new(0),
        exit_status: AtomicI32::new(-1),
        shutdown_answered: AtomicBool::new(false),
        exits,
    });
    if !control {
        return (
            VcpuSide {
                shared,
                requests: None,
            },
            None,
        );
    }
    let (tx, rx) = mpsc::channel();
    (
        VcpuSide {
            shared: shared.clone(),
            requests: Some(rx),
        },
        Some(Controller {
            shared,
            requests: tx,
        }),
    )
}
