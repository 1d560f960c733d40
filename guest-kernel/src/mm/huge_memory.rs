//! Transparent huge pages for anonymous memory (Linux's mm/huge_memory.c).
//!
//! A first touch of anonymous private memory maps one 2 MiB page from one
//! directory entry when the aligned 2 MiB around it lies inside its area,
//! nothing is mapped there yet (no page table), and memory is plentiful.
//! MAP_POPULATE does the same for each such 2 MiB. Why: on kvm-pvm a fault
//! costs more than a system call and every store to a live page table is
//! emulated and shadowed; 8 MiB touched took 128 faults (fault-around maps
//! 16 pages) and 2,048 entries; now 4 faults and 4 entries, and its
//! munmap clears 4.
//!
//! What keeps this small: a huge entry is only ever made, read (lookup,
//! translation for copies), or removed whole (munmap or MADV_DONTNEED of
//! the whole 2 MiB, teardown). Anything else (part of it unmapped,
//! mprotect, mremap, fork, any walk that wants a 4 KiB entry) first
//! splits it into a page table of 512 entries for the same frames with
//! the same permissions, and goes on as with small pages. So the 512
//! frames of a huge entry have that entry as their only owner, and a
//! split never fails: the table for it was put aside when the huge page
//! was made (frame.rs's deposit, Linux's pgtable_trans_huge_deposit).

use super::address_space::AddressSpace;
use super::frame::{self, HUGE_BYTES};
use super::paging::{self, ADDR_MASK, OutOfMemory, PTE_HUGE, PTE_PRESENT, PTE_USER, PTE_WRITABLE};
use super::{PAGE_SIZE, phys_to_virt};

/// The frame bits of a huge (2 MiB) directory entry.
pub const HUGE_ADDR_MASK: u64 = 0x000f_ffff_ffe0_0000;
/// Frames that must stay free beyond a huge page for one to be made: it
/// is an optimisation, and must not take what single pages, a fork or the
/// kernel need (16 MiB).
const HUGE_RESERVE: u64 = 4096;

/// The permission and status bits of the huge entry `pde` as a 4 KiB
/// entry's (bit 7 is the page size there, PAT in a 4 KiB entry).
#[inline]
fn small_flags(pde: u64) -> u64 {
    pde & !ADDR_MASK & !PTE_HUGE
}

/// The 4 KiB entry that the huge entry `pde` amounts to for `va`.
#[inline]
pub fn pte_of(pde: u64, va: u64) -> u64 {
    ((pde & HUGE_ADDR_MASK) + (va & (HUGE_BYTES - 1) & !(PAGE_SIZE - 1))) | small_flags(pde)
}

/// Splits the huge entry `*pde` of user address `va` into a page table
/// of 512 entries for the same frames, with the same permissions, and
/// returns that table. The mapping does not change, so a stale 2 MiB TLB
/// entry is harmless; it is dropped anyway.
#[cold]
pub fn split_pde(pde: *mut u64, va: u64) -> Result<u64, OutOfMemory> {
    // SAFETY: the caller's entry of a tree it holds.
    let value = unsafe { *pde };
    let pt = frame::split_huge().ok_or(OutOfMemory)?;
    let base = value & HUGE_ADDR_MASK;
    let flags = small_flags(value);
    let entries = phys_to_virt(pt) as *mut u64;
    for i in 0..512u64 {
        // SAFETY: `pt` is a page-table frame of ours, not yet reachable
        // from any tree; i < 512.
        unsafe { *entries.add(i as usize) = (base + i * PAGE_SIZE) | flags };
    }
    // SAFETY: as above; the new table is complete before it goes live.
    // The upper levels allow everything, as in paging::walk.
    unsafe { *pde = pt | PTE_PRESENT | PTE_WRITABLE | PTE_USER };
    paging::invlpg(va & !(HUGE_BYTES - 1));
    Ok(pt)
}

/// Splits every huge page that overlaps `[start, end)` (mprotect and
/// mremap change or move 4 KiB entries).
pub fn split_range(pml4: u64, start: u64, end: u64) -> Result<(), OutOfMemory> {
    if frame::huge_mapped() == 0 {
        return Ok(());
    }
    let mut va = start;
    while va < end {
        let found = paging::tables_of(pml4, va);
        if let [_, Some(pd), None] = found
            && let Some(e) = paging::huge_entry(pd, va)
        {
            split_pde(e, va)?;
        }
        va = paging::past_absent(va, found);
    }
    Ok(())
}

impl AddressSpace {
    /// Maps a zeroed huge page at `base` (2 MiB-aligned, inside an
    /// anonymous private area) if nothing is mapped in its 2 MiB yet and
    /// memory is plentiful; false, changing nothing, otherwise.
    pub(super) fn map_huge(&mut self, base: u64, flags: u64) -> bool {
        let Some(pde) = paging::walk_pde(self.pml4, base) else {
            return false;
        };
        // SAFETY: `walk_pde` returned the directory entry of `base`.
        if unsafe { *pde } != 0 {
            return false;
        }
        let Some(chunk) = frame::alloc_huge(HUGE_RESERVE) else {
            return false;
        };
        // SAFETY: as above; the entry was empty.
        unsafe { *pde = chunk | flags | PTE_PRESENT | PTE_HUGE };
        true
    }

    /// A first touch at `page` of the anonymous private area `[start,
    /// end)`: a huge page when its aligned 2 MiB fits in the area (see
    /// [`AddressSpace::map_huge`]).
    pub(super) fn do_huge_anonymous_page(
        &mut self,
        page: u64,
        start: u64,
        end: u64,
        flags: u64,
    ) -> bool {
        let base = page & !(HUGE_BYTES - 1);
        base >= start && end - base >= HUGE_BYTES && self.map_huge(base, flags)
    }
}
