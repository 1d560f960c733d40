//! The vCPU's state at the PVH entry: 32-bit protected mode, paging off,
//! flat segments, EBX = start info (Xen's PVH boot ABI; Cloud Hypervisor's
//! `setup_sregs` for PVH does the same, GDT included).

use kvm_bindings::{kvm_regs, kvm_segment, kvm_sregs};
use kvm_ioctls::VcpuFd;
use lstar_abi::layout::START_INFO_ADDR;
use thiserror::Error;
use vm_memory::{Bytes, GuestAddress, GuestMemoryMmap};

#[derive(Debug, Error)]
pub enum RegsError {
    #[error("cannot write the boot GDT to guest memory: {0}")]
    Gdt(vm_memory::GuestMemoryError),
    #[error("KVM_GET_SREGS failed: {0}")]
    GetSregs(kvm_ioctls::Error),
    #[error("KVM_SET_SREGS failed: {0}")]
    SetSregs(kvm_ioctls::Error),
    #[error("KVM_SET_REGS failed: {0}")]
    SetRegs(kvm_ioctls::Error),
}

/// Where the boot GDT lives: low memory, which the kernel never uses. PVH
/// says the GDTR is undefined at entry, but a GDT matching the loaded
/// segments keeps a kernel that reloads a selector before its own `lgdt`
/// working, as on Cloud Hypervisor and QEMU.
pub const BOOT_GDT_ADDR: u64 = 0x500;

const CR0_PE: u64 = 1 << 0;
const CR0_ET: u64 = 1 << 4;
const RFLAGS_RESERVED: u64 = 1 << 1;

/// A GDT descriptor from access flags (`0xc09b`: G, D/B, P, S, type),
/// base and limit, in the hardware's scattered layout.
pub const fn gdt_entry(flags: u16, base: u32, limit: u32) -> u64 {
    let (flags, base, limit) = (flags as u64, base as u64, limit as u64);
    ((base & 0xff00_0000) << 32)
        | ((flags & 0xf0ff) << 40)
        | ((limit & 0x000f_0000) << 32)
        | ((base & 0x00ff_ffff) << 16)
        | (limit & 0x0000_ffff)
}

/// The boot GDT: null, flat 32-bit code (0x8), flat data (0x10), a 32-bit
/// busy TSS (0x18: KVM refuses to enter with an unusable TR).
pub const BOOT_GDT: [u64; 4] = [
    0,
    gdt_entry(0xc09b, 0, 0xfffff),
    gdt_entry(0xc093, 0, 0xfffff),
    gdt_entry(0x008b, 0, 0x67),
];

/// The segment register KVM wants for GDT entry `index`.
pub fn segment(entry: u64, index: u16) -> kvm_segment {
    let bit = |n: u32| ((entry >> n) & 1) as u8;
    let limit_raw = ((entry & 0xffff) | ((entry >> 32) & 0xf_0000)) as u32;
    let granular = bit(55) == 1;
    kvm_segment {
        base: ((entry >> 16) & 0xff_ffff) | ((entry >> 32) & 0xff00_0000),
        limit: if granular {
            (limit_raw << 12) | 0xfff
        } else {
            limit_raw
        },
        selector: index * 8,
        type_: ((entry >> 40) & 0xf) as u8,
        present: bit(47),
        dpl: ((entry >> 45) & 3) as u8,
        db: bit(54),
        s: bit(44),
        l: bit(53),
        g: bit(55),
        avl: bit(52),
        unusable: 1 - bit(47),
        padding: 0,
    }
}

/// Fills the PVH entry state into `sregs` (read from KVM first, so the
/// fields we do not own, like the APIC base, keep KVM's values).
pub fn pvh_sregs(sregs: &mut kvm_sregs) {
    let code = segment(BOOT_GDT[1], 1);
    let data = segment(BOOT_GDT[2], 2);
    sregs.cs = code;
    sregs.ds = data;
    sregs.es = data;
    sregs.fs = data;
    sregs.gs = data;
    sregs.ss = data;
    sregs.tr = segment(BOOT_GDT[3], 3);
    sregs.gdt.base = BOOT_GDT_ADDR;
    sregs.gdt.limit = (BOOT_GDT.len() * 8 - 1) as u16;
    // No IDT yet: the kernel installs its own before enabling interrupts.
    sregs.idt.base = 0;
    sregs.idt.limit = 0;
    sregs.cr0 = CR0_PE | CR0_ET;
    sregs.cr3 = 0;
    sregs.cr4 = 0;
    sregs.efer = 0;
}

pub fn pvh_regs(entry: u64) -> kvm_regs {
    kvm_regs {
        rip: entry,
        rbx: START_INFO_ADDR,
        rflags: RFLAGS_RESERVED,
        ..Default::default()
    }
}

/// Puts the vCPU at the kernel's PVH entry.
pub fn setup(vcpu: &VcpuFd, memory: &GuestMemoryMmap, entry: u64) -> Result<(), RegsError> {
    for (i, desc) in BOOT_GDT.iter().enumerate() {
        memory
            .write_obj(*desc, GuestAddress(BOOT_GDT_ADDR + 8 * i as u64))
            .map_err(RegsError::Gdt)?;
    }
    let mut sregs = vcpu.get_sregs().map_err(RegsError::GetSregs)?;
    pvh_sregs(&mut sregs);
    vcpu.set_sregs(&sregs).map_err(RegsError::SetSregs)?;
    vcpu.set_regs(&pvh_regs(entry)).map_err(RegsError::SetRegs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gdt_entries_match_the_classic_encodings() {
        assert_eq!(BOOT_GDT[1], 0x00cf_9b00_0000_ffff);
        assert_eq!(BOOT_GDT[2], 0x00cf_9300_0000_ffff);
        assert_eq!(BOOT_GDT[3], 0x0000_8b00_0000_0067);
    }

    #[test]
    fn flat_32_bit_segments_and_a_busy_tss() {
        let mut s = kvm_sregs::default();
        pvh_sregs(&mut s);
        assert_eq!(
            (s.cs.selector, s.cs.base, s.cs.limit),
            (0x8, 0, 0xffff_ffff)
        );
        assert_eq!(
            (s.cs.type_, s.cs.s, s.cs.db, s.cs.g, s.cs.l, s.cs.present),
            (0xb, 1, 1, 1, 0, 1)
        );
        assert_eq!(
            (s.ss.selector, s.ss.type_, s.ss.db, s.ss.g),
            (0x10, 0x3, 1, 1)
        );
        assert_eq!(s.ds, s.ss);
        assert_eq!(
            (s.tr.selector, s.tr.type_, s.tr.present, s.tr.limit, s.tr.s),
            (0x18, 0xb, 1, 0x67, 0)
        );
        assert_eq!(s.tr.unusable, 0);
        assert_eq!((s.cr0, s.cr4, s.efer), (CR0_PE | CR0_ET, 0, 0));
        let r = pvh_regs(0x10_0000);
        assert_eq!((r.rip, r.rbx, r.rflags), (0x10_0000, START_INFO_ADDR, 2));
    }
}
