//! The vCPU: its setup (CPUID, MSRs, registers) and the thread that runs
//! it, dispatching every exit to the port bus until the guest ends.

use std::thread::{self, JoinHandle};

use kvm_bindings::kvm_run;
use kvm_ioctls::{Kvm, VcpuExit, VcpuFd, VmFd};
use lstar_devices::{DeviceError, PioBus, WriteOutcome};
use thiserror::Error;
use vm_memory::GuestMemoryMmap;

use crate::cpuid::{self, CpuidError};
use crate::msr::{self, MsrError};
use crate::regs::{self, RegsError};

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
}

impl Vcpu {
    /// Creates vCPU 0 at the kernel's PVH entry.
    pub fn new(
        kvm: &Kvm,
        vm: &VmFd,
        memory: &GuestMemoryMmap,
        entry: u64,
        bus: PioBus,
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
        Ok(Vcpu { fd, bus, clock })
    }

    pub fn clock(&self) -> GuestClock {
        self.clock
    }

    /// Runs the vCPU on its own thread.
    pub fn spawn(self) -> Result<JoinHandle<Result<VcpuReport, VcpuError>>, VcpuError> {
        thread::Builder::new()
            .name("lstar-vcpu0".into())
            .spawn(move || self.run())
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
        let mut exits = ExitCounts::default();
        let end = loop {
            // Taken before each KVM_RUN: the kvm_run page stays mapped as
            // long as the vCPU fd, which outlives this loop iteration.
            let run: *const kvm_run = self.fd.get_kvm_run();
            let exit = match self.fd.run() {
                Ok(exit) => exit,
                Err(e) if e.errno() == libc::EINTR || e.errno() == libc::EAGAIN => {
                    exits.interrupted += 1;
                    continue;
                }
                Err(e) => return Err(VcpuError::Run(e)),
            };
            match exit {
                VcpuExit::IoOut(port, data) => {
                    exits.io += 1;
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
                    exits.io += 1;
                    // SAFETY: as for IoOut above.
                    let size = unsafe { (*run).__bindgen_anon_1.io.size };
                    self.bus.read(port, usize::from(size), data)?;
                }
                VcpuExit::MmioRead(_, data) => {
                    // No MMIO devices yet: reads see zeros.
                    exits.mmio += 1;
                    data.fill(0);
                }
                VcpuExit::MmioWrite(..) => exits.mmio += 1,
                // With the in-kernel irqchip KVM handles HLT itself; if one
                // reaches us anyway, resuming is what the guest wants.
                VcpuExit::Hlt => exits.hlt += 1,
                VcpuExit::Intr => exits.interrupted += 1,
                VcpuExit::Shutdown => {
                    exits.other += 1;
                    break self.failed("triple fault (KVM_EXIT_SHUTDOWN)");
                }
                VcpuExit::FailEntry(reason, _) => {
                    exits.other += 1;
                    let what =
                        format!("entry failed (KVM_EXIT_FAIL_ENTRY, hardware reason {reason:#x})");
                    break self.failed(what);
                }
                VcpuExit::InternalError => {
                    exits.other += 1;
                    // SAFETY: the exit is KVM_EXIT_INTERNAL_ERROR, so
                    // `internal` is the active union field.
                    let sub = unsafe { (*run).__bindgen_anon_1.internal.suberror };
                    break self.failed(format!(
                        "KVM internal error (KVM_EXIT_INTERNAL_ERROR, suberror {sub})"
                    ));
                }
                other => {
                    exits.other += 1;
                    let what = format!("unexpected exit {other:?}");
                    break self.failed(what);
                }
            }
        };
        Ok(VcpuReport {
            end,
            exits,
            unclaimed: self.bus.unclaimed(),
            by_device: self.bus.exits_by_device(),
        })
    }
}
