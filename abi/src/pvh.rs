//! The PVH boot ABI (Xen's `arch-x86/hvm/start_info.h`), as the kernel reads it.
//!
//! The kernel's 32-bit entry receives the physical address of
//! [`HvmStartInfo`] in EBX. Facts only: field order and sizes from the spec.

/// `XEN_HVM_START_MAGIC_VALUE`.
pub const START_MAGIC: u32 = 0x336e_c578;
/// ELF note type `XEN_ELFNOTE_PHYS32_ENTRY`.
pub const ELFNOTE_PHYS32_ENTRY: u32 = 18;
/// Memory map entry type for usable RAM (E820 numbering).
pub const MEMMAP_TYPE_RAM: u32 = 1;

#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct HvmStartInfo {
    pub magic: u32,
    pub version: u32,
    pub flags: u32,
    pub nr_modules: u32,
    pub modlist_paddr: u64,
    pub cmdline_paddr: u64,
    pub rsdp_paddr: u64,
    // Version 1 and later.
    pub memmap_paddr: u64,
    pub memmap_entries: u32,
    pub reserved: u32,
}

#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct HvmModlistEntry {
    pub paddr: u64,
    pub size: u64,
    pub cmdline_paddr: u64,
    pub reserved: u64,
}

#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct HvmMemmapTableEntry {
    pub addr: u64,
    pub size: u64,
    pub kind: u32,
    pub reserved: u32,
}

const _: () = assert!(core::mem::size_of::<HvmStartInfo>() == 56);
const _: () = assert!(core::mem::size_of::<HvmModlistEntry>() == 32);
const _: () = assert!(core::mem::size_of::<HvmMemmapTableEntry>() == 24);
