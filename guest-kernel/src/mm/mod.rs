//! Memory management: physical frames, the kernel heap, page tables and the
//! user address space.
//!
//! Kernel virtual layout (upper half, shared by every address space):
//! - `PHYS_OFFSET..+4 GiB`: direct map of guest-physical memory;
//! - `KERNEL_VMA..+2 GiB`: the kernel image window (code, data, bss).

pub mod address_space;
pub mod frame;
pub mod heap;
pub mod huge_memory;
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
    Translator::new().phys(va)
}

/// [`virt_to_phys`] for many addresses: user pages are translated through
/// one [`paging::PtCursor`], a walk per 2 MiB rather than per page (a
/// copy's pages are consecutive). Valid while the current address space
/// does not change, i.e. within a copy.
pub struct Translator {
    user: Option<paging::PtCursor>,
}

impl Translator {
    pub const fn new() -> Translator {
        Translator { user: None }
    }

    #[inline]
    pub fn phys(&mut self, va: u64) -> Option<u64> {
        self.phys_run(va).map(|(pa, _)| pa)
    }

    /// The guest-physical address of `va` and how many bytes from there
    /// are contiguous in RAM as they are in virtual memory: the rest of
    /// the page for user memory; the kernel image and the direct map are
    /// linear (the image up to the top of the address space, the direct
    /// map up to the image).
    #[inline]
    pub fn phys_run(&mut self, va: u64) -> Option<(u64, u64)> {
        if va >= KERNEL_VMA {
            return Some((kernel_virt_to_phys(va), 0u64.wrapping_sub(va)));
        }
        if va >= PHYS_OFFSET {
            return Some((va - PHYS_OFFSET, KERNEL_VMA - va));
        }
        let ptes = self
            .user
            .get_or_insert_with(|| paging::PtCursor::new(crate::task::current().mm.pml4));
        let page = page_align_down(va);
        let pte = ptes.entry(page);
        (pte & paging::PTE_PRESENT != 0).then(|| {
            (
                paging::entry_frame(pte) + (va - page),
                page + PAGE_SIZE - va,
            )
        })
    }
}

impl Default for Translator {
    fn default() -> Self {
        Translator::new()
    }
}
