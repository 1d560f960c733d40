//! Memory management: physical frames, the kernel heap, page tables and the
//! user address space.
//!
//! Kernel virtual layout (upper half, shared by every address space):
//! - `PHYS_OFFSET..+4 GiB`: direct map of guest-physical memory;
//! - `KERNEL_VMA..+2 GiB`: the kernel image window (code, data, bss).

pub mod address_space;
pub mod frame;
pub mod heap;
pub mod mmap;
pub mod mremap;
pub mod page_fault;
pub mod paging;
pub mod vma;

pub const PAGE_SIZE: u64 = 4096;
pub const PHYS_OFFSET: u64 = 0xffff_8880_0000_0000;
pub const KERNEL_VMA: u64 = 0xffff_ffff_8000_0000;

pub fn phys_to_virt(phys: u64) -> u64 {
    phys + PHYS_OFFSET
}

/// Physical address of a kernel-image symbol (code, data, bss).
pub fn kernel_virt_to_phys(virt: u64) -> u64 {
    virt - KERNEL_VMA
}

pub fn page_align_down(x: u64) -> u64 {
    x & !(PAGE_SIZE - 1)
}

pub fn page_align_up(x: u64) -> Option<u64> {
    Some(x.checked_add(PAGE_SIZE - 1)? & !(PAGE_SIZE - 1))
}

/// Guest-physical address of `va` in the kernel image, the direct map or
/// the current task's (already faulted-in) user memory.
pub fn virt_to_phys(va: u64) -> Option<u64> {
    if va >= KERNEL_VMA {
        Some(kernel_virt_to_phys(va))
    } else if va >= PHYS_OFFSET {
        Some(va - PHYS_OFFSET)
    } else {
        let page = page_align_down(va);
        let pte = paging::lookup(crate::task::current().mm.pml4, page)?;
        Some(paging::entry_frame(pte) + (va - page))
    }
}
