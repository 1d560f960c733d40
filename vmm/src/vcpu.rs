//! The vCPU: its setup (CPUID, MSRs, registers) and the thread that runs
//! it, dispatching every exit to the port bus until the guest ends.

use std::sync::mpsc::Receiver;
use std::thread::{self, JoinHandle};

use kvm_bindings::kvm_run;
use kvm_ioctls::{Kvm, VcpuExit, VcpuFd, VmFd};
use lstar_devices::{DeviceError, PioBus, WriteOutcome};
use thiserror::Error;
use vm_memory::GuestMemoryMmap;

use crate::cpuid::{self, CpuidError};
use crate::disk::{self, MmioWindow};
use crate::msr::{self, MsrError};
use crate::regs::{self, RegsError};
use crate::vcpu_control::{Envelope, ExitStats, Reply, Request, VcpuSide, VmState};

#[derive(Debug, Error)]
pub enum VcpuError {
    #[error("KVM_CREATE_VCPU failed: {0}")]
    Create(kvm_ioctls::Error),
    #[error(transparent)]
    Cpuid(#[from] CpuidError),
    #[error(transparent)]
    Msr(#[from] MsrError),
    #[error(transparent)]
    Regs(#[from] RegsError),
    #[error("KVM_RUN failed: {0}")]
    Run(kvm_ioctls::Error),
    #[error("device error: {0}")]
    Device(#[from] DeviceError),
    #[error("cannot start the vCPU thread: {0}")]
    Spawn(std::io::Error),
    #[error("the vCPU thread panicked")]
    Panicked,
    #[error("setup failed before the vCPU could enter the guest")]
    Abandoned,
}

/// Exits by kind, for `--verbose`.
#[derive(Debug, Default, Clone, Copy)]
pub struct ExitCounts {
    pub io: u64,
    pub mmio: u64,
    pub hlt: u64,
    pub interrupted: u64,
    pub other: u64,
}

impl ExitCounts {
    pub fn total(&self) -> u64 {
        self.io + self.mmio + self.hlt + self.interrupted + self.other
    }
}

/// How the guest stopped running.
#[derive(Debug)]
pub enum VcpuEnd {
    /// It wrote this value to the exit port.
    ExitPort(u32),
    /// It cannot continue: what happened, and RIP at that point.
    Failed { what: String, rip: Option<u64> },
    /// The control socket asked for a shutdown (`PUT /vm/actions`).
    Shutdown,
}

pub struct VcpuReport {
    pub end: VcpuEnd,
    pub exits: ExitCounts,
    /// Port accesses no device decoded: (reads, writes).
    pub unclaimed: (u64, u64),
    /// Port I/O exits by device.
    pub by_device: Vec<(&'static str, u64)>,
}

/// What the guest needs to know about its clock (`lstar.tsc_khz=`,
/// `lstar.epoch_ns=`).
#[derive(Debug, Clone, Copy)]
pub struct GuestClock {
    /// TSC frequency; `None` if KVM cannot tell (the kernel then asks CPUID).
    pub tsc_khz: Option<u32>,
    /// Wall-clock nanoseconds since 1970 when the guest TSC was 0.
    pub epoch_ns: Option<u64>,
}

pub struct Vcpu {
    fd: VcpuFd,
    bus: PioBus,
    clock: GuestClock,
    control: VcpuSide,
    /// The virtio-mmio window of `--disk`, if any.
    mmio: Option<MmioWindow>,
}

/// What the exit loop does after answering the control socket.
enum Control {
    Run,
    Shutdown,
}

impl Vcpu {
    /// Creates vCPU 0 at the kernel's PVH entry.
    pub fn new(
        kvm: &Kvm,
        vm: &VmFd,
        memory: &GuestMemoryMmap,
        entry: u64,
        bus: PioBus,
        control: VcpuSide,
        mmio: Option<MmioWindow>,
    ) -> Result<Vcpu, VcpuError> {
        let fd = vm.create_vcpu(0).map_err(VcpuError::Create)?;
        cpuid::setup(kvm, &fd)?;
        msr::setup(&fd)?;
        regs::setup(&fd, memory, entry)?;
        let tsc_khz = fd.get_tsc_khz().ok().filter(|&khz| khz != 0);
        let clock = GuestClock {
            tsc_khz,
            epoch_ns: tsc_khz.and_then(|khz| msr::tsc_epoch_ns(&fd, khz)),
        };
        Ok(Vcpu {
            fd,
            bus,
            clock,
            control,
            mmio,
        })
    }

    pub fn clock(&self) -> GuestClock {
        self.clock
    }

    /// The vCPU's binary statistics file (KVM_GET_STATS_FD), if KVM has one.
    pub fn stats_fd(&self) -> Option<std::fs::File> {
        crate::kvm_stats::open(&self.fd)
    }

    /// Answers one request from the control socket.
    fn answer(&mut self, request: &Request) -> (Reply, Option<Control>) {
        let failed = |what: &str, e: kvm_ioctls::Error| Reply::Failed(format!("{what}: {e}"));
        match request {
            Request::Regs => match self.fd.get_regs() {
                Ok(r) => (Reply::Regs(Box::new(r)), None),
                Err(e) => (failed("KVM_GET_REGS", e), None),
            },
            Request::Sregs => match self.fd.get_sregs() {
                Ok(s) => (Reply::Sregs(Box::new(s)), None),
                Err(e) => (failed("KVM_GET_SREGS", e), None),
            },
            Request::Msrs(indices) => (Reply::Msrs(msr::read(&self.fd, indices)), None),
            Request::Pause => {
                self.control.shared.set_state(VmState::Paused);
                (Reply::Done, None)
            }
            Request::Resume => {
                self.control.shared.set_state(VmState::Running);
                (Reply::Done, Some(Control::Run))
            }
            Request::Shutdown => (Reply::Done, Some(Control::Shutdown)),
        }
    }

    /// Answers every queued request; while paused, waits for more without
    /// running the guest. Returns whether to shut down.
    fn serve_control(&mut self) -> Control {
        let Some(requests) = self.control.requests.take() else {
            return Control::Run;
        };
        let mut outcome = Control::Run;
        loop {
            let next = if self.control.shared.state() == VmState::Paused {
                // A closed channel (the server is gone) cannot resume us:
                // run on rather than hang.
                requests.recv().ok()
            } else {
                requests.try_recv().ok()
            };
            let Some(Envelope { request, reply }) = next else {
                break;
            };
            let (answer, control) = self.answer(&request);
            // The client may have given up waiting; nothing to do then.
            let _ = reply.send(answer);
            if let Some(Control::Shutdown) = control {
                outcome = Control::Shutdown;
                break;
            }
        }
        if matches!(outcome, Control::Run) && self.control.shared.state() == VmState::Paused {
            self.control.shared.set_state(VmState::Running);
        }
        self.control.requests = Some(requests);
        outcome
    }

    /// Runs the vCPU on its own thread, under its seccomp filter, once
    /// `go` says the main thread has its own filter in place (a thread
    /// started after that would inherit the main thread's filter).
    pub fn spawn(
        self,
        go: Receiver<()>,
    ) -> Result<JoinHandle<Result<VcpuReport, VcpuError>>, VcpuError> {
        thread::Builder::new()
            .name("lstar-vcpu0".into())
            .spawn(move || {
                crate::seccomp::install_or_exit(crate::seccomp::Role::Vcpu);
                go.recv().map_err(|_| VcpuError::Abandoned)?;
                self.run()
            })
            .map_err(VcpuError::Spawn)
    }

    fn rip(&self) -> Option<u64> {
        self.fd.get_regs().ok().map(|r| r.rip)
    }

    fn failed(&self, what: impl Into<String>) -> VcpuEnd {
        VcpuEnd::Failed {
            what: what.into(),
            rip: self.rip(),
        }
    }

    /// The exit loop.
    pub fn run(mut self) -> Result<VcpuReport, VcpuError> {
        self.control.started();
        let controlled = self.control.requests.is_some();
        if controlled {
            // The kick handler sets immediate_exit through this; cleared
            // below before the vCPU fd (and the mapping) goes away.
            crate::vcpu_control::publish_kvm_run(self.fd.get_kvm_run());
        }
        let result = self.exit_loop(controlled);
        if controlled {
            crate::vcpu_control::publish_kvm_run(std::ptr::null_mut());
        }
        self.control.shared.set_state(VmState::Exited);
        result
    }

    fn exit_loop(&mut self, controlled: bool) -> Result<VcpuReport, VcpuError> {
        let stats = self.control.shared.clone();
        let stats: &ExitStats = &stats.exits;
        let end = loop {
            // One atomic load per entry when a control socket exists.
            if controlled && let Control::Shutdown = self.serve_control() {
                break VcpuEnd::Shutdown;
            }
            // Taken before each KVM_RUN: the kvm_run page stays mapped as
            // long as the vCPU fd, which outlives this loop iteration.
            let run: *const kvm_run = self.fd.get_kvm_run();
            let exit = match self.fd.run() {
                Ok(exit) => exit,
                Err(e) if e.errno() == libc::EINTR || e.errno() == libc::EAGAIN => {
                    ExitStats::bump(&stats.interrupted);
                    // A kick: clear it, then answer what it was for (the
                    // top of the loop).
                    self.fd.set_kvm_immediate_exit(0);
                    continue;
                }
                Err(e) => return Err(VcpuError::Run(e)),
            };
            match exit {
                VcpuExit::IoOut(port, data) => {
                    stats.port_exit(port);
                    // SAFETY: `run` points at this vCPU's kvm_run mapping; the
                    // exit is KVM_EXIT_IO, so `io` is the active union field.
                    // Only the io header is read; `data` lies elsewhere in the
                    // mapping (at io.data_offset).
                    let size = unsafe { (*run).__bindgen_anon_1.io.size };
                    if let WriteOutcome::Exit(value) =
                        self.bus.write(port, usize::from(size), data)?
                    {
                        break VcpuEnd::ExitPort(value);
                    }
                }
                VcpuExit::IoIn(port, data) => {
                    stats.port_exit(port);
                    // SAFETY: as for IoOut above.
                    let size = unsafe { (*run).__bindgen_anon_1.io.size };
                    self.bus.read(port, usize::from(size), data)?;
                }
                VcpuExit::MmioRead(addr, data) => {
                    ExitStats::bump(&stats.mmio);
                    if let Some(w) = &self.mmio
                        && let Some(offset) = w.offset(addr, data.len())
                    {
                        disk::lock_transport(&w.transport).read(offset, data);
                    } else {
                        // Nothing else is mapped: reads see zeros.
                        data.fill(0);
                    }
                }
                VcpuExit::MmioWrite(addr, data) => {
                    ExitStats::bump(&stats.mmio);
                    // Register writes only: queue 0's notification goes to
                    // the ioeventfd and the device thread, not here.
                    if let Some(w) = &self.mmio
                        && let Some(offset) = w.offset(addr, data.len())
                    {
                        disk::lock_transport(&w.transport).write(offset, data);
                    }
                }
                // With the in-kernel irqchip KVM handles HLT itself; if one
                // reaches us anyway, resuming is what the guest wants.
                VcpuExit::Hlt => ExitStats::bump(&stats.hlt),
                VcpuExit::Intr => ExitStats::bump(&stats.interrupted),
                VcpuExit::Shutdown => {
                    ExitStats::bump(&stats.other);
                    break self.failed("triple fault (KVM_EXIT_SHUTDOWN)");
                }
                VcpuExit::FailEntry(reason, _) => {
                    ExitStats::bump(&stats.other);
                    let what =
                        format!("entry failed (KVM_EXIT_FAIL_ENTRY, hardware reason {reason:#x})");
                    break self.failed(what);
                }
                VcpuExit::InternalError => {
                    ExitStats::bump(&stats.other);
                    // SAFETY: the exit is KVM_EXIT_INTERNAL_ERROR, so
                    // `internal` is the active union field.
                    let sub = unsafe { (*run).__bindgen_anon_1.internal.suberror };
                    break self.failed(format!(
                        "KVM internal error (KVM_EXIT_INTERNAL_ERROR, suberror {sub})"
                    ));
                }
                other => {
                    ExitStats::bump(&stats.other);
                    let what = format!("unexpected exit {other:?}");
                    break self.failed(what);
                }
            }
        };
        let [io, mmio, hlt, interrupted, other] = stats.by_reason().map(|(_, n)| n);
        Ok(VcpuReport {
            end,
            exits: ExitCounts {
                io,
                mmio,
                hlt,
                interrupted,
                other,
            },
            unclaimed: self.bus.unclaimed(),
            by_device: self.bus.exits_by_device(),
        })
    }
}
