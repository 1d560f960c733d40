//! A user address space (Linux's `mm_struct`): its page-table root and the
//! list of mapped areas (`vm_area_struct`). Anonymous areas are filled on
//! demand, one zeroed frame per touched page.

use alloc::sync::Arc;
use alloc::vec::Vec;

use crate::fs::dentry::Dentry;
use crate::fs::file::File;
use crate::fs::inode::InodeRef;

use super::paging::{self, OutOfMemory, PTE_NX, PTE_USER, PTE_WRITABLE};
use super::{PAGE_SIZE, frame, page_align_down, phys_to_virt};

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
const PF_PRESENT: u64 = 1 << 0;
const PF_WRITE: u64 = 1 << 1;
const PF_INSTRUCTION: u64 = 1 << 4;

/// What a file mapping maps.
enum Backing {
    /// An open file, held open by the mapping (Linux's `vm_file`).
    File(Arc<File>),
    /// The first program's own file, which the file tree gets on first use
    /// (`fs::exe`): its text is mapped before any file is opened.
    Program,
}

/// The file behind a file mapping (`vm_file` and `vm_pgoff`).
pub struct VmaFile {
    backing: Backing,
    /// The file page at the area's start.
    pub pgoff: u64,
    /// MAP_SHARED: the file's cache pages are mapped themselves.
    pub shared: bool,
}

impl VmaFile {
    pub fn new(file: Arc<File>, pgoff: u64, shared: bool) -> VmaFile {
        VmaFile {
            backing: Backing::File(file),
            pgoff,
            shared,
        }
    }

    /// A private mapping of the first program's file.
    pub fn program(pgoff: u64) -> VmaFile {
        VmaFile {
            backing: Backing::Program,
            pgoff,
            shared: false,
        }
    }

    /// Where the mapped file is in the tree (/proc/self/maps).
    pub fn dentry(&self) -> Option<Arc<Dentry>> {
        match &self.backing {
            Backing::File(f) => Some(f.dentry.clone()),
            Backing::Program => crate::fs::exe(),
        }
    }

    pub fn inode(&self) -> Option<InodeRef> {
        self.dentry().map(|d| d.inode.clone())
    }

    /// The open file of a mapping made by mmap (msync writes it back).
    pub fn file(&self) -> Option<&Arc<File>> {
        match &self.backing {
            Backing::File(f) => Some(f),
            Backing::Program => None,
        }
    }

    fn at(&self, pages: u64) -> VmaFile {
        VmaFile {
            backing: match &self.backing {
                Backing::File(f) => Backing::File(f.clone()),
                Backing::Program => Backing::Program,
            },
            pgoff: self.pgoff + pages,
            shared: self.shared,
        }
    }
}

impl Drop for VmaFile {
    /// A mapping holds its file open; the last one goes as a close does.
    fn drop(&mut self) {
        if let Backing::File(f) = core::mem::replace(&mut self.backing, Backing::Program) {
            crate::fs::file::fput(f);
        }
    }
}

pub struct Vma {
    pub start: u64,
    pub end: u64,
    pub prot: u32,
    pub file: Option<VmaFile>,
}

impl Vma {
    /// The part `[start, end)` of this area (inside it).
    pub fn slice(&self, start: u64, end: u64) -> Vma {
        Vma {
            start,
            end,
            prot: self.prot,
            file: self
                .file
                .as_ref()
                .map(|f| f.at((start - self.start) / PAGE_SIZE)),
        }
    }

    /// MAP_SHARED of a file: writes go to the file's cache pages, which
    /// fork shares as they are instead of copy-on-write.
    pub fn is_shared(&self) -> bool {
        self.file.as_ref().is_some_and(|f| f.shared)
    }

    /// The file page that backs `addr`.
    fn file_page(&self, addr: u64) -> Option<(&VmaFile, u64)> {
        let f = self.file.as_ref()?;
        Some((
            f,
            f.pgoff + (page_align_down(addr) - self.start) / PAGE_SIZE,
        ))
    }
}

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

pub struct AddressSpace {
    pub pml4: u64,
    pub vmas: Vec<Vma>,
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
            vmas: Vec::new(),
            brk_start: 0,
            brk: 0,
        }
    }

    /// An empty lower half under the kernel's shared upper half.
    pub fn new() -> Result<AddressSpace, OutOfMemory> {
        let pml4 = frame::alloc_zeroed().ok_or(OutOfMemory)?;
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
            vmas: Vec::with_capacity(16),
            brk_start: 0,
            brk: 0,
        })
    }

    pub fn find_vma(&self, addr: u64) -> Option<&Vma> {
        self.vmas.iter().find(|v| v.start <= addr && addr < v.end)
    }

    /// Whether any area overlaps `[start, end)`.
    pub fn overlaps(&self, start: u64, end: u64) -> bool {
        self.vmas.iter().any(|v| v.start < end && start < v.end)
    }

    pub fn add_vma(&mut self, start: u64, end: u64, prot: u32) {
        self.insert_vma(Vma {
            start,
            end,
            prot,
            file: None,
        });
    }

    pub fn insert_vma(&mut self, vma: Vma) {
        let at = self.vmas.partition_point(|v| v.start < vma.start);
        self.vmas.insert(at, vma);
    }

    /// Removes `[start, end)` from the area list, splitting areas that
    /// straddle its edges, and returns the removed pieces.
    pub fn carve(&mut self, start: u64, end: u64) -> Vec<Vma> {
        let mut removed = Vec::new();
        let mut kept = Vec::with_capacity(self.vmas.len() + 1);
        for v in self.vmas.drain(..) {
            if v.end <= start || v.start >= end {
                kept.push(v);
                continue;
            }
            if v.start < start {
                kept.push(v.slice(v.start, start));
            }
            if v.end > end {
                kept.push(v.slice(end, v.end));
            }
            removed.push(v.slice(v.start.max(start), v.end.min(end)));
        }
        kept.sort_unstable_by_key(|v| v.start);
        self.vmas = kept;
        removed
    }

    /// Unmaps `[start, end)`: areas and page-table entries; every entry
    /// gives its frame back (each holds a reference, see frame::get).
    pub fn unmap_range(&mut self, start: u64, end: u64) {
        for piece in self.carve(start, end) {
            self.zap_range(piece.start, piece.end);
        }
    }

    /// Clears the entries of `[start, end)` and puts their frames; the
    /// areas stay (MADV_DONTNEED, truncation of a mapped file).
    pub fn zap_range(&mut self, start: u64, end: u64) {
        paging::for_each_present(self.pml4, start, end, &mut |va, pte| {
            // SAFETY: `pte` points at a present entry of this tree.
            let old = unsafe { core::ptr::replace(pte, 0) };
            paging::invlpg(va);
            frame::put(paging::entry_frame(old));
        });
    }

    /// Removes this address space's mappings of `inode`'s cache pages
    /// `[first, end)` (Linux's unmap_mapping_range): truncation and hole
    /// punching free those frames, which no page table may then reach. A
    /// later touch faults and finds the file as it is now.
    pub fn unmap_mapping_range(&mut self, inode: &crate::fs::inode::Inode, first: u64, end: u64) {
        let mut ranges = Vec::new();
        for v in &self.vmas {
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

    /// Changes the protection of the present pages in `[start, end)`, which
    /// lies in one area. In a private area a frame with other owners (a
    /// page shared with a fork, a file's cache page) stays read-only: the
    /// first write copies it.
    pub fn protect_pages(&mut self, start: u64, end: u64, prot: u32, shared: bool) {
        let flags = pte_flags(prot);
        let none = prot & (PROT_READ | PROT_WRITE | PROT_EXEC) == 0;
        paging::for_each_present(self.pml4, start, end, &mut |va, pte| {
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
            paging::invlpg(va);
        });
    }

    /// Whether `[start, end)` is entirely covered by areas.
    pub fn fully_mapped(&self, start: u64, end: u64) -> bool {
        let mut at = start;
        for v in &self.vmas {
            if v.end <= at {
                continue;
            }
            if v.start > at {
                return false;
            }
            at = v.end;
            if at >= end {
                return true;
            }
        }
        at >= end
    }

    /// The highest free gap of `len` bytes below `MMAP_BASE` (top-down, as
    /// Linux's default layout).
    pub fn find_free(&self, len: u64) -> Option<u64> {
        let mut top = MMAP_BASE;
        for v in self.vmas.iter().rev() {
            if v.start >= top {
                continue;
            }
            if v.end <= top.checked_sub(len)? {
                return Some(top - len);
            }
            top = v.start;
        }
        let start = top.checked_sub(len)?;
        (start >= self.brk.max(0x1_0000)).then_some(start)
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

    /// Resolves a user page fault by demand paging and copy-on-write:
    /// [`PageFault::Bad`] when the access is not allowed (the caller raises
    /// SIGSEGV or SIGBUS), [`PageFault::OutOfMemory`] when no frame was
    /// left for it.
    pub fn handle_page_fault(&mut self, addr: u64, error_code: u64) -> PageFault {
        let Some(vma) = self.find_vma(addr) else {
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
        let flags = pte_flags(vma.prot);
        let frame = match vma.file_page(addr) {
            Some((f, index)) => {
                let Some(inode) = f.inode() else {
                    return PageFault::Bad;
                };
                if index * PAGE_SIZE >= inode.size() {
                    // Past the end of the file (Linux: SIGBUS).
                    return PageFault::BeyondFile;
                }
                if f.shared || !write {
                    // The cache page itself, with a reference for this
                    // entry: MAP_SHARED writes go back at writeback; a
                    // private area maps it read-only and copies it on the
                    // first write (do_wp_page).
                    let Ok(frame) = inode.get_page(index) else {
                        return PageFault::Bad;
                    };
                    let flags = if f.shared {
                        if vma.prot & PROT_WRITE != 0 {
                            inode.pages.lock().mark_dirty(index);
                        }
                        flags
                    } else {
                        flags & !PTE_WRITABLE
                    };
                    frame::get(frame);
                    if paging::map(self.pml4, page, frame, flags).is_err() {
                        frame::put(frame);
                        return PageFault::OutOfMemory;
                    }
                    return PageFault::Handled;
                }
                // A private copy of the file page (bytes past the end read
                // as zero).
                let Some(frame) = frame::alloc_zeroed() else {
                    return PageFault::OutOfMemory;
                };
                // SAFETY: a fresh frame of ours, direct-mapped.
                let bytes = unsafe {
                    core::slice::from_raw_parts_mut(
                        phys_to_virt(frame) as *mut u8,
                        PAGE_SIZE as usize,
                    )
                };
                if crate::fs::filemap::read_at(&inode, index * PAGE_SIZE, bytes).is_err() {
                    frame::put(frame);
                    return PageFault::Bad;
                }
                frame
            }
            None => {
                let Some(frame) = frame::alloc_zeroed() else {
                    return PageFault::OutOfMemory;
                };
                frame
            }
        };
        if paging::map(self.pml4, page, frame, flags).is_err() {
            // No frame for a page table.
            frame::put(frame);
            return PageFault::OutOfMemory;
        }
        PageFault::Handled
    }

    /// A write to a present read-only page of a writable area (Linux's
    /// do_wp_page): a page only this entry owns becomes writable; one shared
    /// with a fork or a file's cache is copied first (copy-on-write).
    fn do_wp_page(&mut self, page: u64) -> PageFault {
        let Some(vma) = self.find_vma(page) else {
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
        // SAFETY: both frames are direct-mapped; `new` is ours alone and
        // `old` stays alive (this entry still holds it) during the copy.
        unsafe {
            core::ptr::copy_nonoverlapping(
                phys_to_virt(old) as *const u8,
                phys_to_virt(new) as *mut u8,
                PAGE_SIZE as usize,
            );
        }
        if paging::map(self.pml4, page, new, flags).is_err() {
            frame::put(new);
            return PageFault::OutOfMemory;
        }
        paging::invlpg(page);
        frame::put(old);
        PageFault::Handled
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
        for v in &self.vmas {
            child.vmas.push(v.slice(v.start, v.end));
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
        while page < end {
            match paging::lookup(self.pml4, page) {
                Some(pte) if !write || pte & PTE_WRITABLE != 0 => {}
                Some(_) => {
                    if self.handle_page_fault(page, PF_PRESENT | PF_WRITE) != PageFault::Handled {
                        return false;
                    }
                }
                None => {
                    let code = if write { PF_WRITE } else { 0 };
                    // Out of memory too is -EFAULT here: the caller holds
                    // the address space, which an OOM kill would tear down.
                    if self.handle_page_fault(page, code) != PageFault::Handled {
                        return false;
                    }
                }
            }
            page += PAGE_SIZE;
        }
        true
    }
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
