//! A user address space (Linux's `mm_struct`): its page-table root and
//! its mapped areas (`vm_area_struct`s, `vma.rs`). Pages are filled on
//! demand (`page_fault.rs`).

use alloc::sync::Arc;
use alloc::vec::Vec;

use super::paging::{self, OutOfMemory, PTE_NX, PTE_USER, PTE_WRITABLE};
use super::{PAGE_SIZE, frame, page_align_down, phys_to_virt};

pub use super::page_fault::PageFault;
pub use super::vma::{VM_GROWSDOWN, VM_NOHUGEPAGE, VM_SPECIAL, Vma, VmaFile, Vmas};

/// First address above user space (Linux's TASK_SIZE_MAX on 4-level paging).
pub const TASK_SIZE: u64 = 0x0000_7fff_ffff_f000;
/// Top of the initial stack and size of its area.
pub const STACK_TOP: u64 = 0x0000_7fff_ffff_e000;
pub const STACK_SIZE: u64 = 8 << 20;
/// Top-down mmap allocations start below the stack area and a guard gap.
pub const MMAP_BASE: u64 = STACK_TOP - STACK_SIZE - (256 << 20);

pub const PROT_READ: u32 = 1;
pub const PROT_WRITE: u32 = 2;
pub const PROT_EXEC: u32 = 4;

// Page-fault error code bits.
pub const PF_PRESENT: u64 = 1 << 0;
pub const PF_WRITE: u64 = 1 << 1;
pub const PF_INSTRUCTION: u64 = 1 << 4;

pub struct AddressSpace {
    pub pml4: u64,
    pub vmas: Vmas,
    pub brk_start: u64,
    pub brk: u64,
}

unsafe extern "C" {
    static boot_pml4: [u64; 512];
}

pub fn pte_flags(prot: u32) -> u64 {
    let mut flags = PTE_USER;
    if prot & PROT_WRITE != 0 {
        flags |= PTE_WRITABLE;
    }
    if prot & PROT_EXEC == 0 {
        flags |= PTE_NX;
    }
    flags
}

impl AddressSpace {
    /// No user half at all: an exited task's, on the kernel's own tables.
    pub fn kernel_only() -> AddressSpace {
        AddressSpace {
            pml4: kernel_pml4(),
            vmas: Vmas::new(),
            brk_start: 0,
            brk: 0,
        }
    }

    /// An empty lower half under the kernel's shared upper half.
    pub fn new() -> Result<AddressSpace, OutOfMemory> {
        let pml4 = frame::alloc_table().ok_or(OutOfMemory)?;
        // SAFETY: boot_pml4 sits at its physical (identity) address in
        // .boot.data, which the direct map also covers; the new root is a
        // fresh frame. Entries 256..512 are the kernel half.
        unsafe {
            let boot = phys_to_virt(core::ptr::addr_of!(boot_pml4) as u64) as *const u64;
            let new = phys_to_virt(pml4) as *mut u64;
            core::ptr::copy_nonoverlapping(boot.add(256), new.add(256), 256);
        }
        Ok(AddressSpace {
            pml4,
            vmas: Vmas::new(),
            brk_start: 0,
            brk: 0,
        })
    }

    pub fn find_vma(&self, addr: u64) -> Option<&Vma> {
        self.vmas.find(addr)
    }

    /// Whether any area overlaps `[start, end)`.
    pub fn overlaps(&self, start: u64, end: u64) -> bool {
        self.vmas.overlaps(start, end)
    }

    /// Anonymous private memory over `[start, end)`, which no area holds.
    pub fn add_vma(&mut self, start: u64, end: u64, prot: u32) {
        self.vmas.insert(Vma::anon(start, end, prot));
    }

    /// [`AddressSpace::add_vma`] with area flags (the stack, the kernel's
    /// own areas).
    pub fn add_vma_flags(&mut self, start: u64, end: u64, prot: u32, flags: u32) {
        self.vmas.insert(Vma {
            flags,
            ..Vma::anon(start, end, prot)
        });
    }

    /// Adds an area over addresses no area holds, merged with compatible
    /// neighbours.
    pub fn insert_vma(&mut self, vma: Vma) {
        self.vmas.insert(vma);
    }

    /// Unmaps `[start, end)`: areas and page-table entries; every entry
    /// gives its frame back (each holds a reference, see frame::get).
    pub fn unmap_range(&mut self, start: u64, end: u64) {
        let pml4 = self.pml4;
        self.vmas.remove_range_with(start, end, |piece| {
            paging::zap_range(pml4, piece.start, piece.end);
        });
    }

    /// mprotect of `[start, end)`, which areas cover: the areas in it take
    /// `prot` (split at the range's edges, merged again where neighbours
    /// now match), and their present pages change with one page-table
    /// walk per area.
    pub fn protect_range(&mut self, start: u64, end: u64, prot: u32) -> Result<(), OutOfMemory> {
        let pml4 = self.pml4;
        // Huge pages change as their 4 KiB entries.
        super::huge_memory::split_range(pml4, start, end)?;
        let mut flush = Flush::new(start, end);
        for v in self.vmas.split_range(start, end) {
            v.prot = prot;
            protect_pages(pml4, v.start, v.end, prot, v.is_shared(), &mut flush);
        }
        flush.finish();
        self.vmas.merge_range(start, end);
        Ok(())
    }

    /// Clears the entries of `[start, end)` and puts their frames; the
    /// areas stay (MADV_DONTNEED, truncation of a mapped file).
    pub fn zap_range(&mut self, start: u64, end: u64) {
        paging::zap_range(self.pml4, start, end);
    }

    /// Removes this address space's mappings of `inode`'s cache pages
    /// `[first, end)` (Linux's unmap_mapping_range): truncation and hole
    /// punching free those frames, which no page table may then reach. A
    /// later touch faults and finds the file as it is now.
    pub fn unmap_mapping_range(&mut self, inode: &crate::fs::inode::Inode, first: u64, end: u64) {
        let mut ranges = Vec::new();
        for v in self.vmas.iter() {
            let Some(f) = v.file.as_ref().filter(|f| f.shared) else {
                continue;
            };
            if !f
                .inode()
                .is_some_and(|i| core::ptr::eq(Arc::as_ptr(&i), inode))
            {
                continue;
            }
            let pages = (v.end - v.start) / PAGE_SIZE;
            let (lo, hi) = (first.max(f.pgoff), end.min(f.pgoff + pages));
            if lo < hi {
                let at = |index: u64| v.start + (index - f.pgoff) * PAGE_SIZE;
                ranges.push((at(lo), at(hi)));
            }
        }
        for (start, end) in ranges {
            self.zap_range(start, end);
        }
    }

    /// Whether `[start, end)` is entirely covered by areas.
    pub fn fully_mapped(&self, start: u64, end: u64) -> bool {
        self.vmas.covers(start, end)
    }

    /// The highest free gap of `len` bytes below `MMAP_BASE` (top-down, as
    /// Linux's default layout).
    pub fn find_free(&self, len: u64) -> Option<u64> {
        self.vmas.gap_below(MMAP_BASE, len, self.brk.max(0x1_0000))
    }

    /// Maps an existing frame (e.g. a page of the program's file) at `va`.
    pub fn map_frame(&mut self, va: u64, pa: u64, prot: u32) -> Result<(), OutOfMemory> {
        paging::map(self.pml4, va, pa, pte_flags(prot))
    }

    /// Writes `data` at user address `va` of this (not yet active) address
    /// space through the direct map, allocating zeroed pages where none are
    /// mapped (Linux's exec writes the new stack the same way). Building an
    /// address space before its first CR3 load matters under kvm-pvm: page
    /// tables that are not yet in use are plain memory, while every write
    /// to a live (shadowed) one traps to the hypervisor.
    pub fn write_bytes(&mut self, va: u64, data: &[u8]) -> Result<(), OutOfMemory> {
        let mut done = 0usize;
        while done < data.len() {
            let at = va + done as u64;
            let page = page_align_down(at);
            let frame = match paging::lookup(self.pml4, page) {
                Some(pte) => paging::entry_frame(pte),
                None => {
                    let prot = self
                        .find_vma(page)
                        .map_or(PROT_READ | PROT_WRITE, |v| v.prot);
                    let frame = frame::alloc_zeroed().ok_or(OutOfMemory)?;
                    paging::map(self.pml4, page, frame, pte_flags(prot))?;
                    frame
                }
            };
            let n = ((page + PAGE_SIZE - at) as usize).min(data.len() - done);
            // SAFETY: `frame` backs `page` in this address space and the
            // copy stays inside it (n <= bytes left in the page).
            unsafe {
                core::ptr::copy_nonoverlapping(
                    data[done..].as_ptr(),
                    (phys_to_virt(frame) + (at - page)) as *mut u8,
                    n,
                );
            }
            done += n;
        }
        Ok(())
    }

    /// The machine is about to stop: only the areas' files matter (a
    /// shared mapping's pages go back through their file's release), the
    /// frames and tables need not be given back one by one.
    pub fn abandon(&mut self) {
        self.vmas.clear();
        self.pml4 = kernel_pml4();
    }

    /// A copy for fork (Linux's dup_mmap): the same areas, and every present
    /// entry shared with the child; in private areas both sides lose write
    /// access, so that the first write of either copies the page. Shared
    /// file mappings stay shared. This must be the live address space (its
    /// TLB is flushed).
    pub fn dup(&mut self) -> Result<AddressSpace, OutOfMemory> {
        let mut child = AddressSpace::new()?;
        child.brk_start = self.brk_start;
        child.brk = self.brk;
        let mut result = Ok(());
        for v in self.vmas.iter() {
            child.vmas.insert_unmerged(v.slice(v.start, v.end));
            if result.is_ok() {
                result = paging::dup_range(self.pml4, child.pml4, v.start, v.end, !v.is_shared());
            }
        }
        paging::flush_tlb();
        result?;
        Ok(child)
    }

    /// Makes sure every page of `[addr, addr + len)` is mapped and allows
    /// the access, faulting pages in as a user access would.
    pub fn ensure_user_range(&mut self, addr: u64, len: u64, write: bool) -> bool {
        if len == 0 {
            return true;
        }
        let Some(end) = addr.checked_add(len) else {
            return false;
        };
        if end > TASK_SIZE {
            return false;
        }
        let mut page = page_align_down(addr);
        if end - page <= PAGE_SIZE {
            // One page (most system calls' structs and strings): a plain
            // walk, which inlines, costs less than a cursor.
            let pte = paging::lookup(self.pml4, page).unwrap_or(0);
            return self.allows(page, pte, write);
        }
        // One walk per page table, not per page (the copy that follows
        // translates the same pages again).
        let mut ptes = paging::PtCursor::new(self.pml4);
        while page < end {
            let pte = ptes.entry(page);
            if !allowed(pte, write) {
                if !self.allows(page, pte, write) {
                    return false;
                }
                // The fault may have added a page table.
                ptes.forget();
            }
            page += PAGE_SIZE;
        }
        true
    }

    /// Whether `page`, whose last-level entry is `pte`, allows the access,
    /// after faulting it in as a user access would if it does not yet.
    #[inline]
    fn allows(&mut self, page: u64, pte: u64, write: bool) -> bool {
        if allowed(pte, write) {
            return true;
        }
        let code = match (pte & paging::PTE_PRESENT != 0, write) {
            (true, _) => PF_PRESENT | PF_WRITE,
            (false, true) => PF_WRITE,
            (false, false) => 0,
        };
        // Out of memory too is -EFAULT here: the caller holds the address
        // space, which an OOM kill would tear down.
        self.handle_page_fault(page, code) == PageFault::Handled
    }
}

/// Whether an entry already allows a user access.
#[inline(always)]
fn allowed(pte: u64, write: bool) -> bool {
    pte & paging::PTE_PRESENT != 0 && (!write || pte & PTE_WRITABLE != 0)
}

impl Drop for AddressSpace {
    /// Gives back every mapped frame and the page tables (exit, exec).
    /// The tree must not be live: the caller switched CR3 away from it.
    fn drop(&mut self) {
        if self.pml4 == kernel_pml4() {
            return;
        }
        // Only the areas can have entries: visiting them, a table at a
        // time, not the whole user half, skips every unused slot.
        let mut tables = Vec::new();
        let ranges: Vec<(u64, u64)> = self.vmas.iter().map(|v| (v.start, v.end)).collect();
        for &(start, end) in &ranges {
            paging::release_range(self.pml4, start, end, &mut tables);
        }
        paging::free_tree(self.pml4, tables, &ranges);
    }
}

/// The kernel-only page-table root: what CR3 holds while no user address
/// space is live (between exit and the next task).
pub fn kernel_pml4() -> u64 {
    // Only the symbol's address is taken: boot_pml4 lives at its physical
    // (identity) address in .boot.data.
    core::ptr::addr_of!(boot_pml4) as u64
}

/// Changes the protection of the present pages of `[start, end)`, which
/// lies in one area. In a private area a frame with other owners (a page
/// shared with a fork, a file's cache page) stays read-only: the first
/// write copies it.
fn protect_pages(pml4: u64, start: u64, end: u64, prot: u32, shared: bool, flush: &mut Flush) {
    let flags = pte_flags(prot);
    let none = prot & (PROT_READ | PROT_WRITE | PROT_EXEC) == 0;
    paging::for_each_present(pml4, start, end, &mut |va, pte| {
        // SAFETY: `pte` points at an entry of this tree holding a frame.
        let frame = paging::entry_frame(unsafe { *pte });
        let value = if none {
            // Not present, so that any access faults; the frame stays.
            frame | paging::PTE_PROTNONE
        } else {
            let mut f = flags;
            if !shared && f & PTE_WRITABLE != 0 && frame::is_shared(frame) {
                f &= !PTE_WRITABLE;
            }
            frame | f | paging::PTE_PRESENT
        };
        // SAFETY: as above.
        unsafe { *pte = value };
        flush.page(va);
    });
}

/// The TLB entries a change of `[start, end)` leaves stale: one invlpg per
/// changed page for a short range, one flush of the whole TLB for a long
/// one (Linux's tlb_single_page_flush_ceiling, 33 pages).
struct Flush {
    per_page: bool,
    any: bool,
}

impl Flush {
    const CEILING: u64 = 33 * PAGE_SIZE;

    fn new(start: u64, end: u64) -> Flush {
        Flush {
            per_page: end.saturating_sub(start) <= Self::CEILING,
            any: false,
        }
    }

    fn page(&mut self, va: u64) {
        if self.per_page {
            paging::invlpg(va);
        } else {
            self.any = true;
        }
    }

    fn finish(&mut self) {
        if self.any {
            paging::flush_tlb();
            self.any = false;
        }
    }
}
