//! The MSRs a freshly booted x86-64 CPU would have, as Firecracker sets
//! them (arch/x86_64/msr.rs): the system-call MSRs zeroed (the kernel
//! writes MSR_LSTAR itself), TSC from 0, fast strings on, MTRRs on with
//! write-back as the default type so guest memory is cacheable.

use std::time::{SystemTime, UNIX_EPOCH};

use kvm_bindings::{Msrs, kvm_msr_entry};
use kvm_ioctls::VcpuFd;
use thiserror::Error;

pub const MSR_IA32_TSC: u32 = 0x10;
pub const MSR_IA32_SYSENTER_CS: u32 = 0x174;
pub const MSR_IA32_SYSENTER_ESP: u32 = 0x175;
pub const MSR_IA32_SYSENTER_EIP: u32 = 0x176;
pub const MSR_IA32_MISC_ENABLE: u32 = 0x1a0;
pub const MSR_MTRR_DEF_TYPE: u32 = 0x2ff;
pub const MSR_STAR: u32 = 0xc000_0081;
pub const MSR_LSTAR: u32 = 0xc000_0082;
pub const MSR_CSTAR: u32 = 0xc000_0083;
pub const MSR_SYSCALL_MASK: u32 = 0xc000_0084;
pub const MSR_KERNEL_GS_BASE: u32 = 0xc000_0102;

const MISC_ENABLE_FAST_STRING: u64 = 1;
const MTRR_ENABLE: u64 = 1 << 11;
const MTRR_TYPE_WRITE_BACK: u64 = 6;

#[derive(Debug, Error)]
pub enum MsrError {
    #[error("cannot build the MSR list: {0:?}")]
    List(vmm_sys_util::fam::Error),
    #[error("KVM_SET_MSRS failed: {0}")]
    Set(kvm_ioctls::Error),
    #[error("KVM_SET_MSRS refused MSR {index:#x}")]
    Refused { index: u32 },
}

/// The boot MSR values, in the order they are set.
pub fn boot_msrs() -> [(u32, u64); 11] {
    [
        (MSR_IA32_SYSENTER_CS, 0),
        (MSR_IA32_SYSENTER_ESP, 0),
        (MSR_IA32_SYSENTER_EIP, 0),
        (MSR_STAR, 0),
        (MSR_CSTAR, 0),
        (MSR_KERNEL_GS_BASE, 0),
        (MSR_SYSCALL_MASK, 0),
        (MSR_LSTAR, 0),
        (MSR_IA32_TSC, 0),
        (MSR_IA32_MISC_ENABLE, MISC_ENABLE_FAST_STRING),
        (MSR_MTRR_DEF_TYPE, MTRR_ENABLE | MTRR_TYPE_WRITE_BACK),
    ]
}

/// Sets [`boot_msrs`] on the vCPU in one ioctl.
pub fn setup(vcpu: &VcpuFd) -> Result<(), MsrError> {
    let wanted = boot_msrs();
    let entries: Vec<kvm_msr_entry> = wanted
        .iter()
        .map(|&(index, data)| kvm_msr_entry {
            index,
            data,
            ..Default::default()
        })
        .collect();
    let msrs = Msrs::from_entries(&entries).map_err(MsrError::List)?;
    let set = vcpu.set_msrs(&msrs).map_err(MsrError::Set)?;
    // KVM stops at the first MSR it refuses and returns how many it set.
    if let Some(&(index, _)) = wanted.get(set) {
        return Err(MsrError::Refused { index });
    }
    Ok(())
}

/// Wall-clock nanoseconds since 1970 at which the guest's TSC read 0, for
/// `lstar.epoch_ns=`. Measured, not assumed: kvm-pvm ignores the write of
/// IA32_TSC = 0 above (the guest TSC keeps the host's, which put the
/// guest's clock ahead by the host's uptime), so read the TSC back and
/// subtract the time it represents from now.
pub fn tsc_epoch_ns(vcpu: &VcpuFd, tsc_khz: u32) -> Option<u64> {
    let mut msrs = Msrs::from_entries(&[kvm_msr_entry {
        index: MSR_IA32_TSC,
        ..Default::default()
    }])
    .ok()?;
    let read = vcpu.get_msrs(&mut msrs).ok()?;
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .ok()?
        .as_nanos();
    let tsc = msrs.as_slice().first().filter(|_| read == 1)?.data;
    let since_zero = u128::from(tsc) * 1_000_000 / u128::from(tsc_khz.max(1));
    u64::try_from(now.checked_sub(since_zero)?).ok()
}

/// Reads `indices` in one KVM_GET_MSRS; an MSR KVM refuses (and every one
/// after it: KVM stops at the first) reads `None`.
pub fn read(vcpu: &VcpuFd, indices: &[u32]) -> Vec<(u32, Option<u64>)> {
    let entries: Vec<kvm_msr_entry> = indices
        .iter()
        .map(|&index| kvm_msr_entry {
            index,
            ..Default::default()
        })
        .collect();
    let read = Msrs::from_entries(&entries)
        .ok()
        .and_then(|mut msrs| vcpu.get_msrs(&mut msrs).ok().map(|n| (msrs, n)));
    match read {
        Some((msrs, n)) => indices
            .iter()
            .zip(msrs.as_slice())
            .enumerate()
            .map(|(i, (&index, e))| (index, (i < n).then_some(e.data)))
            .collect(),
        None => indices.iter().map(|&index| (index, None)).collect(),
    }
}
