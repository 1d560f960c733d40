//! User page faults (Linux's mm/memory.c): demand paging of anonymous and
//! file memory, copy-on-write, and fault-around.
//!
//! A fault is the expensive event here: on kvm-pvm its delivery, the
//! emulated handler and the IRETQ cost more than a system call. So a fault
//! maps a run of pages, not one (fault-around): the empty entries of an
//! aligned 16-page window around it, inside its area and its page table.
//! Anonymous memory gets zeroed frames there (frames never used since
//! boot are zero already and are not cleared again, see frame.rs); a file
//! read maps the cache pages that are already present, read-only, as
//! Linux's filemap_map_pages does. The extra resident memory is bounded
//! (15 pages per fault at most) and taken only while memory is plentiful.

use super::address_space::{
    AddressSpace, PF_INSTRUCTION, PF_PRESENT, PF_WRITE, PROT_EXEC, PROT_READ, PROT_WRITE,
    VM_GROWSDOWN, VM_NOHUGEPAGE, VM_SPECIAL, pte_flags,
};
use super::paging::{self, PTE_PRESENT, PTE_WRITABLE};
use super::{PAGE_SIZE, frame, page_align_down, phys_to_virt};

/// What became of a user page fault.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PageFault {
    /// The page is mapped now.
    Handled,
    /// The access is not allowed (or past the end of a file).
    Bad,
    /// Allowed, but no frame was left for the page or its page table.
    OutOfMemory,
    /// In a file mapping, past the end of the file (SIGBUS).
    BeyondFile,
}

/// Pages a fault maps at most (Linux's fault_around_bytes, 64 KiB).
const FAULT_AROUND_PAGES: u64 = 16;
/// Free frames below which a fault maps only its own page: speculative
/// pages must not take what a real fault, a fork or the kernel needs.
const FAULT_AROUND_RESERVE: u64 = 1024;

/// The pages around `page` that a fault may map too: its aligned window,
/// clipped to the area `[start, end)` and to `page`'s page table (2 MiB).
fn window(page: u64, start: u64, end: u64) -> (u64, u64) {
    let span = FAULT_AROUND_PAGES * PAGE_SIZE;
    let table = page & !((512 * PAGE_SIZE) - 1);
    let lo = (page & !(span - 1)).max(start).max(table);
    let hi = ((page & !(span - 1)) + span)
        .min(end)
        .min(table + 512 * PAGE_SIZE);
    (lo, hi)
}

/// The entry of `va` in the page table whose entry for `page` is `pte`
/// (both in one 2 MiB table, see [`window`]).
fn entry_near(pte: *mut u64, page: u64, va: u64) -> *mut u64 {
    let delta = (va as i64 - page as i64) / PAGE_SIZE as i64;
    pte.wrapping_offset(delta as isize)
}

/// Gives each empty entry of the `count` from `first` a zeroed frame, as
/// long as more than [`FAULT_AROUND_RESERVE`] frames stay free (these are
/// pages nobody touched yet); returns how many of the `count` are mapped
/// now (non-empty ones included) short of that, `count` when all. One
/// allocator lock for all, one pass.
///
/// # Safety
/// `first..first + count` must be entries of one last-level page table of
/// the current task's tree, which the caller holds.
unsafe fn fill_empty(first: *mut u64, count: usize, flags: u64) -> usize {
    let mut spare = frame::spare_frames(FAULT_AROUND_RESERVE);
    for i in 0..count {
        // SAFETY: entry i of the caller's range.
        let entry = unsafe { &mut *first.add(i) };
        if *entry == 0 {
            let Some(frame) = spare.take() else {
                return i;
            };
            *entry = frame | flags | PTE_PRESENT;
        }
    }
    count
}

impl AddressSpace {
    /// Resolves a user page fault by demand paging and copy-on-write:
    /// [`PageFault::Bad`] when the access is not allowed (the caller raises
    /// SIGSEGV or SIGBUS), [`PageFault::OutOfMemory`] when no frame was
    /// left for it.
    pub fn handle_page_fault(&mut self, addr: u64, error_code: u64) -> PageFault {
        let Some(vma) = self.vmas.find(addr) else {
            return PageFault::Bad;
        };
        let write = error_code & PF_WRITE != 0;
        if (write && vma.prot & PROT_WRITE == 0)
            || (error_code & PF_INSTRUCTION != 0 && vma.prot & PROT_EXEC == 0)
            || (vma.prot & (PROT_READ | PROT_WRITE | PROT_EXEC) == 0)
        {
            return PageFault::Bad;
        }
        let page = page_align_down(addr);
        if error_code & PF_PRESENT != 0 {
            return if write {
                self.do_wp_page(page)
            } else {
                PageFault::Bad
            };
        }
        crate::stats::count_page_fault();
        let (start, end, prot) = (vma.start, vma.end, vma.prot);
        let flags = pte_flags(prot);
        // Not the stack (it grows a page at a time), the kernel's own
        // areas, or where the program said so (MADV_NOHUGEPAGE).
        let huge_ok = vma.flags & (VM_GROWSDOWN | VM_SPECIAL | VM_NOHUGEPAGE) == 0;
        let Some((f, index)) = vma.file_page(addr) else {
            if huge_ok && self.do_huge_anonymous_page(page, start, end, flags) {
                return PageFault::Handled;
            }
            return self.do_anonymous_page(page, start, end, flags);
        };
        let Some(inode) = f.inode() else {
            return PageFault::Bad;
        };
        let shared = f.shared;
        if index * PAGE_SIZE >= inode.size() {
            // Past the end of the file (Linux: SIGBUS).
            return PageFault::BeyondFile;
        }
        let Ok(Some(pte)) = paging::walk(self.pml4, page, true) else {
            return PageFault::OutOfMemory;
        };
        if shared || !write {
            // The cache page itself, with a reference for this entry:
            // MAP_SHARED writes go back at writeback; a private area maps
            // it read-only and copies it on the first write (do_wp_page).
            let Ok(frame) = inode.get_page(index) else {
                return PageFault::Bad;
            };
            let flags = if shared && write {
                inode.pages.lock().mark_dirty(index);
                flags
            } else {
                // A read: the first write faults and marks the page dirty
                // (shared) or copies it (private).
                flags & !PTE_WRITABLE
            };
            frame::get(frame);
            // SAFETY: `walk` returned the entry of `page` in this tree.
            unsafe { *pte = frame | flags | PTE_PRESENT };
            if !write {
                self.map_cached_around(page, start, end, &inode, index, flags);
            }
            return PageFault::Handled;
        }
        // A write to a private file page: a private copy (bytes past the
        // end read as zero).
        let Some(frame) = frame::alloc_zeroed() else {
            return PageFault::OutOfMemory;
        };
        // SAFETY: a fresh frame of ours, direct-mapped.
        let bytes = unsafe {
            core::slice::from_raw_parts_mut(phys_to_virt(frame) as *mut u8, PAGE_SIZE as usize)
        };
        if crate::fs::filemap::read_at(&inode, index * PAGE_SIZE, bytes).is_err() {
            frame::put(frame);
            return PageFault::Bad;
        }
        // SAFETY: `walk` returned the entry of `page` in this tree.
        unsafe { *pte = frame | flags | PTE_PRESENT };
        PageFault::Handled
    }

    /// A first touch of anonymous memory: a zeroed frame for the page and
    /// for the empty entries of its window while memory is plentiful.
    fn do_anonymous_page(&mut self, page: u64, start: u64, end: u64, flags: u64) -> PageFault {
        let Ok(Some(pte)) = paging::walk(self.pml4, page, true) else {
            return PageFault::OutOfMemory;
        };
        let Some(frame) = frame::alloc_zeroed() else {
            return PageFault::OutOfMemory;
        };
        // SAFETY: `walk` returned the entry of `page` in this tree.
        unsafe { *pte = frame | flags | PTE_PRESENT };
        let (lo, hi) = window(page, start, end);
        // SAFETY: the window lies in `page`'s table (see `window`), whose
        // entry for `page` is `pte`.
        unsafe {
            fill_empty(
                entry_near(pte, page, lo),
                ((hi - lo) / PAGE_SIZE) as usize,
                flags,
            )
        };
        PageFault::Handled
    }

    /// Maps zeroed frames into the empty entries of `[start, end)`, an
    /// anonymous private area's range, while memory is plentiful (beyond
    /// that, pages fault in as usual): MAP_POPULATE, and the small
    /// mappings an allocator makes to use at once. A fault costs more than
    /// a system call on kvm-pvm, so malloc's one-page mappings (SQLite
    /// makes 20,000) are cheaper mapped here than on their first touch.
    pub fn populate_anonymous(&mut self, start: u64, end: u64, prot: u32) {
        let flags = pte_flags(prot);
        if end - start >= frame::HUGE_BYTES {
            return self.populate_huge(start, end, flags);
        }
        self.populate_pages(start, end, flags);
    }

    /// [`AddressSpace::populate_anonymous`] with single pages; false when
    /// memory ran short.
    #[inline(always)]
    fn populate_pages(&mut self, start: u64, end: u64, flags: u64) -> bool {
        let mut va = start;
        while va < end {
            let Ok(Some(pte)) = paging::walk(self.pml4, va, true) else {
                return false;
            };
            let in_table = 512 - (va / PAGE_SIZE) % 512;
            let count = in_table.min((end - va) / PAGE_SIZE);
            // SAFETY: `pte` is `va`'s entry and the `count` entries from
            // it stay inside its table.
            if unsafe { fill_empty(pte, count as usize, flags) } < count as usize {
                return false;
            }
            va += count * PAGE_SIZE;
        }
        true
    }

    /// [`AddressSpace::populate_anonymous`] of 2 MiB or more: a huge page
    /// for each aligned 2 MiB inside (huge_memory.rs), single pages for
    /// the rest. Out of line: malloc's small mappings never get here.
    #[inline(never)]
    fn populate_huge(&mut self, start: u64, end: u64, flags: u64) {
        let mut va = start;
        while va < end {
            let next = (va + 1).next_multiple_of(frame::HUGE_BYTES).min(end);
            let whole = va.is_multiple_of(frame::HUGE_BYTES) && next - va == frame::HUGE_BYTES;
            let done = (whole && self.map_huge(va, flags)) || self.populate_pages(va, next, flags);
            if !done {
                return;
            }
            va = next;
        }
    }

    /// A read fault of a file page: the window's other pages that the
    /// file's cache holds already (no I/O) are mapped read-only too.
    fn map_cached_around(
        &mut self,
        page: u64,
        start: u64,
        end: u64,
        inode: &crate::fs::inode::Inode,
        index: u64,
        flags: u64,
    ) {
        let Ok(Some(pte)) = paging::walk(self.pml4, page, false) else {
            return;
        };
        let (lo, hi) = window(page, start, end);
        // Pages at or past the end of the file are not mapped (a touch
        // there is SIGBUS).
        let file_pages = inode.size().div_ceil(PAGE_SIZE);
        let first = index - (page - lo) / PAGE_SIZE;
        let pages = inode.pages.lock();
        let mut va = lo;
        while va < hi {
            let i = first + (va - lo) / PAGE_SIZE;
            if i >= file_pages {
                break;
            }
            let e = entry_near(pte, page, va);
            // SAFETY: `va` is in the same page table as `page` (window).
            if va != page
                && unsafe { *e } == 0
                && let Some(frame) = pages.get(i)
            {
                frame::get(frame);
                // SAFETY: as above; the entry was empty.
                unsafe { *e = frame | flags | PTE_PRESENT };
            }
            va += PAGE_SIZE;
        }
    }

    /// A write to a present read-only page of a writable area (Linux's
    /// do_wp_page): a page only this entry owns becomes writable; one shared
    /// with a fork or a file's cache is copied first (copy-on-write).
    fn do_wp_page(&mut self, page: u64) -> PageFault {
        let Some(vma) = self.vmas.find(page) else {
            return PageFault::Bad;
        };
        let (flags, shared) = (pte_flags(vma.prot), vma.is_shared());
        let Some(pte) = paging::lookup(self.pml4, page) else {
            return PageFault::Bad;
        };
        let old = paging::entry_frame(pte);
        if shared || !frame::is_shared(old) {
            if shared
                && let Some((f, index)) = vma.file_page(page)
                && let Some(inode) = f.inode()
            {
                inode.pages.lock().mark_dirty(index);
            }
            return match paging::map(self.pml4, page, old, flags) {
                Ok(()) => {
                    paging::invlpg(page);
                    PageFault::Handled
                }
                Err(_) => PageFault::OutOfMemory,
            };
        }
        crate::stats::count_page_fault();
        let Some(new) = frame::alloc() else {
            return PageFault::OutOfMemory;
        };
        // Through the VMM when ring 0 is emulated (a 4 KiB `rep movsq`
        // there costs ~700,000 host cycles).
        // SAFETY: both frames are direct-mapped; `new` is ours alone (a
        // frame the VMM may write, see frame::alloc) and `old` stays alive
        // (this entry still holds it).
        unsafe {
            crate::drivers::copy_engine::copy_many(&[(
                phys_to_virt(new),
                phys_to_virt(old),
                PAGE_SIZE,
            )])
        };
        if paging::map(self.pml4, page, new, flags).is_err() {
            frame::put(new);
            return PageFault::OutOfMemory;
        }
        paging::invlpg(page);
        frame::put(old);
        PageFault::Handled
    }
}
