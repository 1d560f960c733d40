//! The CPUID the guest sees: what KVM supports on this host
//! (KVM_GET_SUPPORTED_CPUID), with the few per-vCPU fields a real BIOS
//! would fill in. Nothing is hidden: the kernel checks features itself
//! (e.g. pdpe1gb, which kvm-pvm does not offer).

use kvm_bindings::{CpuId, KVM_MAX_CPUID_ENTRIES};
use kvm_ioctls::{Kvm, VcpuFd};
use thiserror::Error;

#[derive(Debug, Error)]
pub enum CpuidError {
    #[error("KVM_GET_SUPPORTED_CPUID failed: {0}")]
    Supported(kvm_ioctls::Error),
    #[error("KVM_SET_CPUID2 failed: {0}")]
    Set(kvm_ioctls::Error),
}

/// Leaf 1 ECX: "running under a hypervisor".
const LEAF1_ECX_HYPERVISOR: u32 = 1 << 31;

/// Fills the per-CPU fields for vCPU 0 of a one-vCPU machine.
pub fn patch(cpuid: &mut CpuId) {
    for entry in cpuid.as_mut_slice() {
        match entry.function {
            1 => {
                // EBX: initial APIC ID 0 in [31:24], one logical CPU in [23:16].
                entry.ebx = (entry.ebx & 0x0000_ffff) | (1 << 16);
                entry.ecx |= LEAF1_ECX_HYPERVISOR;
            }
            // Extended topology: EDX is the x2APIC ID.
            0xb | 0x1f => entry.edx = 0,
            _ => {}
        }
    }
}

pub fn setup(kvm: &Kvm, vcpu: &VcpuFd) -> Result<(), CpuidError> {
    let mut cpuid = kvm
        .get_supported_cpuid(KVM_MAX_CPUID_ENTRIES)
        .map_err(CpuidError::Supported)?;
    patch(&mut cpuid);
    vcpu.set_cpuid2(&cpuid).map_err(CpuidError::Set)
}

#[cfg(test)]
mod tests {
    use super::*;
    use kvm_bindings::kvm_cpuid_entry2;

    #[test]
    fn sets_apic_id_and_hypervisor_bit() {
        let mut cpuid = CpuId::from_entries(&[
            kvm_cpuid_entry2 {
                function: 1,
                ebx: 0xff12_3456,
                ..Default::default()
            },
            kvm_cpuid_entry2 {
                function: 0xb,
                edx: 7,
                ..Default::default()
            },
            kvm_cpuid_entry2 {
                function: 7,
                ebx: 0xffff_ffff,
                ..Default::default()
            },
        ])
        .unwrap();
        patch(&mut cpuid);
        let e = cpuid.as_slice();
        assert_eq!(e[0].ebx, 0x0001_3456);
        assert_ne!(e[0].ecx & LEAF1_ECX_HYPERVISOR, 0);
        assert_eq!(e[1].edx, 0);
        assert_eq!(e[2].ebx, 0xffff_ffff);
    }
}
