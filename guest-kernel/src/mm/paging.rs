//! Four-level page tables, reached through the direct map.

use super::{frame, phys_to_virt};

pub const PTE_PRESENT: u64 = 1 << 0;
pub const PTE_WRITABLE: u64 = 1 << 1;
pub const PTE_USER: u64 = 1 << 2;
pub const PTE_HUGE: u64 = 1 << 7;
pub const PTE_NX: u64 = 1 << 63;
pub const ADDR_MASK: u64 = 0x000f_ffff_ffff_f000;

/// Out of physical memory while building page tables.
#[derive(Debug)]
pub struct OutOfMemory;

fn table(phys: u64) -> *mut u64 {
    phys_to_virt(phys) as *mut u64
}

fn index(va: u64, level: u32) -> usize {
    ((va >> (12 + 9 * level)) & 511) as usize
}

/// Returns a pointer to the last-level entry for `va` in the tree rooted at
/// `pml4`, creating missing intermediate tables when `create` is set.
/// User space never uses large pages, so a huge entry on the way is treated
/// as "no 4 KiB entry here".
pub fn walk(pml4: u64, va: u64, create: bool) -> Result<Option<*mut u64>, OutOfMemory> {
    let mut table_phys = pml4;
    for level in (1..=3).rev() {
        // SAFETY: `table_phys` is a page-table frame (the root, or read from
        // a present non-huge entry below); the index is < 512.
        let entry = unsafe { table(table_phys).add(index(va, level)) };
        // SAFETY: as above, the entry is inside the table.
        let value = unsafe { *entry };
        if value & PTE_PRESENT == 0 {
            if !create {
                return Ok(None);
            }
            let new = frame::alloc_zeroed().ok_or(OutOfMemory)?;
            // Permissions are decided by the last level; the upper levels
            // allow everything.
            // SAFETY: as above.
            unsafe { *entry = new | PTE_PRESENT | PTE_WRITABLE | PTE_USER };
            table_phys = new;
        } else if value & PTE_HUGE != 0 {
            return Ok(None);
        } else {
            table_phys = value & ADDR_MASK;
        }
    }
    // SAFETY: `table_phys` is now a page table; the index is < 512.
    Ok(Some(unsafe { table(table_phys).add(index(va, 0)) }))
}

pub fn map(pml4: u64, va: u64, pa: u64, flags: u64) -> Result<(), OutOfMemory> {
    let pte = walk(pml4, va, true)?.ok_or(OutOfMemory)?;
    // SAFETY: `walk` returned a valid entry pointer.
    unsafe { *pte = (pa & ADDR_MASK) | flags | PTE_PRESENT };
    Ok(())
}

/// The entry for `va`, if a present 4 KiB mapping exists.
pub fn lookup(pml4: u64, va: u64) -> Option<u64> {
    let pte = walk(pml4, va, false).ok()??;
    // SAFETY: `walk` returned a valid entry pointer.
    let value = unsafe { *pte };
    (value & PTE_PRESENT != 0).then_some(value)
}

pub fn entry_frame(pte: u64) -> u64 {
    pte & ADDR_MASK
}

pub fn invlpg(va: u64) {
    // SAFETY: invalidating a TLB entry has no other effect.
    unsafe { core::arch::asm!("invlpg [{}]", in(reg) va, options(nostack, preserves_flags)) }
}

/// Flushes every non-global TLB entry (after write-protecting a range).
pub fn flush_tlb() {
    load_cr3(read_cr3());
}

pub fn read_cr3() -> u64 {
    let cr3: u64;
    // SAFETY: reading CR3 has no side effects.
    unsafe {
        core::arch::asm!("mov {}, cr3", out(reg) cr3, options(nomem, nostack, preserves_flags))
    };
    cr3 & ADDR_MASK
}

/// Frees the user half's page tables under `pml4` and the root itself.
/// The frames they map were given back already; the kernel half is shared
/// with every tree and stays.
pub fn free_user_tables(pml4: u64) {
    fn free_level(table_phys: u64, level: u32) {
        if level > 0 {
            for i in 0..512 {
                // SAFETY: `table_phys` is a page-table frame; i < 512.
                let value = unsafe { *table(table_phys).add(i) };
                if value & PTE_PRESENT != 0 && value & PTE_HUGE == 0 {
                    free_level(value & ADDR_MASK, level - 1);
                }
            }
        }
        frame::put(table_phys);
    }
    for i in 0..256 {
        // SAFETY: the root is a page-table frame; i < 256 is the user half.
        let value = unsafe { *table(pml4).add(i) };
        if value & PTE_PRESENT != 0 {
            free_level(value & ADDR_MASK, 2);
        }
    }
    frame::put(pml4);
}

pub fn load_cr3(pml4: u64) {
    // SAFETY: `pml4` maps the kernel's upper half exactly like the current
    // root (address_space.rs copies it), so execution continues unharmed.
    unsafe { core::arch::asm!("mov cr3, {}", in(reg) pml4, options(nostack, preserves_flags)) }
}

/// Calls `f(va, entry)` for every present 4 KiB entry in `[start, end)`,
/// visiting only the entries that overlap the range at each level and
/// skipping absent tables wholesale (an untouched 8 MiB area costs a few
/// steps, not 2048 walks; a one-page range costs four).
pub fn for_each_present(pml4: u64, start: u64, end: u64, f: &mut dyn FnMut(u64, *mut u64)) {
    fn visit(
        table_phys: u64,
        level: u32,
        base: u64,
        start: u64,
        end: u64,
        f: &mut dyn FnMut(u64, *mut u64),
    ) {
        let shift = 12 + 9 * level;
        let span = 1u64 << shift;
        // The entries of this table that [start, end) touches.
        let first = (start.max(base) - base) >> shift;
        let last = ((end - 1).min(base + 512 * span - 1) - base) >> shift;
        for i in first..=last {
            // SAFETY: `table_phys` is a page-table frame; i < 512.
            let entry = unsafe { table(table_phys).add(i as usize) };
            // SAFETY: as above.
            let value = unsafe { *entry };
            if value & PTE_PRESENT == 0 || (level > 0 && value & PTE_HUGE != 0) {
                continue;
            }
            let lo = base + i * span;
            if level == 0 {
                f(lo, entry);
            } else {
                visit(value & ADDR_MASK, level - 1, lo, start, end, f);
            }
        }
    }
    if start < end && end <= 1 << 47 {
        visit(pml4, 3, 0, start, end, f);
    }
}

/// Maps `count` consecutive pages `va.. -> pa..` with one walk per page
/// table, filling its entries in a tight loop (the program's text is
/// hundreds of pages; a walk per page would cost ten times more).
pub fn map_range(pml4: u64, va: u64, pa: u64, count: u64, flags: u64) -> Result<(), OutOfMemory> {
    let (mut va, mut pa, mut left) = (va, pa, count);
    while left > 0 {
        let pte = walk(pml4, va, true)?.ok_or(OutOfMemory)?;
        let n = left.min(512 - index(va, 0) as u64);
        for i in 0..n {
            // SAFETY: entries idx..idx+n stay inside this page table.
            unsafe { *pte.add(i as usize) = ((pa + i * 4096) & ADDR_MASK) | flags | PTE_PRESENT };
        }
        va += n * 4096;
        pa += n * 4096;
        left -= n;
    }
    Ok(())
}
