//! Four-level page tables, reached through the direct map.

use super::huge_memory;
use super::{frame, phys_to_virt};

pub const PTE_PRESENT: u64 = 1 << 0;
pub const PTE_WRITABLE: u64 = 1 << 1;
pub const PTE_USER: u64 = 1 << 2;
pub const PTE_HUGE: u64 = 1 << 7;
/// A software bit (ignored by the CPU): a page of a PROT_NONE area, not
/// present so that every access faults, but still holding its frame for
/// when the area becomes accessible again (Linux's _PAGE_PROTNONE).
pub const PTE_PROTNONE: u64 = 1 << 9;
pub const PTE_NX: u64 = 1 << 63;
pub const ADDR_MASK: u64 = 0x000f_ffff_ffff_f000;

/// Out of physical memory while building page tables.
#[derive(Debug)]
pub struct OutOfMemory;

pub(super) fn table(phys: u64) -> *mut u64 {
    phys_to_virt(phys) as *mut u64
}

pub(super) fn index(va: u64, level: u32) -> usize {
    ((va >> (12 + 9 * level)) & 511) as usize
}

/// Returns a pointer to the last-level entry for `va` in the tree rooted at
/// `pml4`, creating missing intermediate tables when `create` is set. A
/// huge page of user memory on the way is split (huge_memory.rs): the
/// caller wants its 4 KiB entry; one in the kernel's half counts as "no
/// 4 KiB entry here".
#[inline]
pub fn walk(pml4: u64, va: u64, create: bool) -> Result<Option<*mut u64>, OutOfMemory> {
    walk_to(pml4, va, create, 0)
}

/// The directory entry (level 1, 2 MiB) for user address `va`, creating
/// the tables above it; None when out of memory.
pub fn walk_pde(pml4: u64, va: u64) -> Option<*mut u64> {
    walk_to(pml4, va, true, 1).ok()?
}

/// [`walk`] down to the entry of `va` at `stop` (0: the page table).
/// Inlined so that each caller's copy knows `stop` and `create`.
#[inline(always)]
fn walk_to(pml4: u64, va: u64, create: bool, stop: u32) -> Result<Option<*mut u64>, OutOfMemory> {
    let mut table_phys = pml4;
    for level in (stop + 1..=3).rev() {
        // SAFETY: `table_phys` is a page-table frame (the root, or read from
        // a present non-huge entry below); the index is < 512.
        let entry = unsafe { table(table_phys).add(index(va, level)) };
        // SAFETY: as above, the entry is inside the table.
        let value = unsafe { *entry };
        if value & PTE_PRESENT == 0 {
            if !create {
                return Ok(None);
            }
            let new = frame::alloc_table().ok_or(OutOfMemory)?;
            // Permissions are decided by the last level; the upper levels
            // allow everything.
            // SAFETY: as above.
            unsafe { *entry = new | PTE_PRESENT | PTE_WRITABLE | PTE_USER };
            table_phys = new;
        } else if value & PTE_HUGE != 0 {
            if level != 1 || va >= 1 << 47 {
                return Ok(None);
            }
            table_phys = huge_memory::split_pde(entry, va)?;
        } else {
            table_phys = value & ADDR_MASK;
        }
    }
    // SAFETY: `table_phys` is now a table at level `stop`; the index is
    // < 512.
    Ok(Some(unsafe { table(table_phys).add(index(va, stop)) }))
}

#[inline]
pub fn map(pml4: u64, va: u64, pa: u64, flags: u64) -> Result<(), OutOfMemory> {
    let pte = walk(pml4, va, true)?.ok_or(OutOfMemory)?;
    // SAFETY: `walk` returned a valid entry pointer.
    unsafe { *pte = (pa & ADDR_MASK) | flags | PTE_PRESENT };
    Ok(())
}

/// The entry for `va`, if a present mapping exists: of its 4 KiB page, or
/// what a huge page's entry amounts to for that page (nothing is split).
pub fn lookup(pml4: u64, va: u64) -> Option<u64> {
    let mut table_phys = pml4;
    for level in (1..=3).rev() {
        // SAFETY: `table_phys` is a page-table frame (the root, or read
        // from a present non-huge entry above); the index is < 512.
        let value = unsafe { *table(table_phys).add(index(va, level)) };
        if value & PTE_PRESENT == 0 {
            return None;
        }
        if value & PTE_HUGE != 0 {
            return (level == 1).then(|| huge_memory::pte_of(value, va));
        }
        table_phys = value & ADDR_MASK;
    }
    // SAFETY: as above, for the last-level table.
    let value = unsafe { *table(table_phys).add(index(va, 0)) };
    (value & PTE_PRESENT != 0).then_some(value)
}

/// The last-level entries of a run of pages in one tree, walking down
/// once per page table (2 MiB) instead of once per page: a 4 KiB copy
/// that straddles two user pages, or a 1 MiB one, costs one walk. Each
/// walk is four dependent loads and tests, tens of emulated instructions
/// under kvm-pvm; the next page of the same table costs one load.
///
/// The cached table is only valid while the tree keeps it: a user of the
/// cursor that lets the tree change (a page fault may add a table)
/// calls [`PtCursor::forget`] first. Tables are freed only by munmap's
/// zap and a torn-down tree, never while a system call copies.
pub struct PtCursor {
    pml4: u64,
    /// `va >> 21` of the cached table's span; u64::MAX before any walk.
    key: u64,
    /// The cached last-level table, through the direct map, or null when
    /// no table maps that span.
    pt: *const u64,
    /// With no table: the huge entry that maps the span, else 0.
    huge: u64,
}

impl PtCursor {
    pub const fn new(pml4: u64) -> PtCursor {
        PtCursor {
            pml4,
            key: u64::MAX,
            pt: core::ptr::null(),
            huge: 0,
        }
    }

    /// The last-level entry of the user address `va` (below 2^47), or what
    /// a huge page's entry amounts to for it; 0 when nothing maps it.
    #[inline]
    pub fn entry(&mut self, va: u64) -> u64 {
        if va >> 21 != self.key {
            self.load(va);
        }
        if self.pt.is_null() {
            return if self.huge != 0 {
                huge_memory::pte_of(self.huge, va)
            } else {
                0
            };
        }
        // SAFETY: `pt` is the last-level table of `va`'s span in this tree
        // (see the type's comment); the index is < 512.
        unsafe { *self.pt.add(index(va, 0)) }
    }

    #[inline(never)]
    fn load(&mut self, va: u64) {
        self.key = va >> 21;
        let [_, pd, pt] = tables_of(self.pml4, va);
        (self.pt, self.huge) = match (pd, pt) {
            (_, Some(pt)) => (table(pt) as *const u64, 0),
            // SAFETY: `huge_entry` returned an entry of this tree.
            (Some(pd), None) => match huge_entry(pd, va) {
                Some(e) => (core::ptr::null(), unsafe { *e }),
                None => (core::ptr::null(), 0),
            },
            (None, None) => (core::ptr::null(), 0),
        };
    }

    /// The tree may have changed since: the next entry walks again.
    pub fn forget(&mut self) {
        self.key = u64::MAX;
    }
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

/// The entry of directory `pd` for `va` when it is a present huge page.
pub(super) fn huge_entry(pd: u64, va: u64) -> Option<*mut u64> {
    // SAFETY: `pd` is a directory frame of a tree; the index is < 512.
    let e = unsafe { table(pd).add(index(va, 1)) };
    // SAFETY: as above.
    let value = unsafe { *e };
    (value & (PTE_PRESENT | PTE_HUGE) == PTE_PRESENT | PTE_HUGE).then_some(e)
}

/// The page tables on the way to `va`: (PDPT, PD, PT) physical addresses,
/// as far as they exist (a huge page leaves the PT out).
pub(super) fn tables_of(pml4: u64, va: u64) -> [Option<u64>; 3] {
    let mut out = [None; 3];
    let mut table_phys = pml4;
    for (slot, level) in (1..=3).rev().enumerate() {
        // SAFETY: `table_phys` is a page-table frame; the index is < 512.
        let value = unsafe { *table(table_phys).add(index(va, level)) };
        if value & PTE_PRESENT == 0 || value & PTE_HUGE != 0 {
            break;
        }
        table_phys = value & ADDR_MASK;
        out[slot] = Some(table_phys);
    }
    out
}

/// Calls `f(first_va, entries)` for each last-level table overlapping
/// `[start, end)`, with the slice of its entries inside the range: one
/// walk per 2 MiB instead of one per page. A huge page's directory entry
/// goes to `huge(va, entry)` instead, which returns the table it split
/// it into (then `f` sees that table), or None when it dealt with it.
fn for_each_pt(
    pml4: u64,
    start: u64,
    end: u64,
    mut huge: impl FnMut(u64, *mut u64) -> Option<u64>,
    mut f: impl FnMut(u64, &mut [u64], u64),
) {
    let mut va = start;
    while va < end {
        let tables = tables_of(pml4, va);
        let pt = match tables {
            [_, _, Some(pt)] => Some(pt),
            [_, Some(pd), None] => huge_entry(pd, va).and_then(|e| huge(va, e)),
            _ => None,
        };
        let Some(pt) = pt else {
            va = past_absent(va, tables);
            continue;
        };
        let chunk_end = next_boundary(va, tables).min(end);
        let (first, last) = (index(va, 0), index(chunk_end - 1, 0) + 1);
        // SAFETY: `pt` is a last-level table frame; first..last <= 512 and
        // nothing else holds a reference into it meanwhile.
        let entries =
            unsafe { core::slice::from_raw_parts_mut(table(pt).add(first), last - first) };
        f(va, entries, pt);
        va = chunk_end;
    }
}

/// Where a walk that found no page table for `va` (`tables`, from
/// `tables_of`) goes on: past what the first missing level's entry spans
/// (a sparse 1 TiB reservation costs a few steps), or, in a directory,
/// past its run of empty entries (or the huge page just dealt with).
pub(super) fn past_absent(va: u64, tables: [Option<u64>; 3]) -> u64 {
    match tables {
        [_, Some(pd), None] => next_in_directory(pd, va),
        _ => next_boundary(va, tables),
    }
}

/// The start of the span of the next non-empty entry of directory `pd`
/// after `va`'s, or of the next directory (1 GiB) when there is none: one
/// `repe scasq` over the rest of the directory, so that an area with few
/// page tables in it (every process has a 128 MiB one) costs one step
/// rather than one per 2 MiB.
fn next_in_directory(pd: u64, va: u64) -> u64 {
    // SAFETY: `pd` is a directory frame of a tree: 512 entries, only read.
    let entries = unsafe { core::slice::from_raw_parts(table(pd) as *const u64, 512) };
    let base = va & !((1u64 << 30) - 1);
    match next_present(entries, index(va, 1) + 1) {
        Some(i) => base + ((i as u64) << 21),
        None => base.saturating_add(1 << 30),
    }
}

/// The start of the next region that `tables` (from `tables_of(va)`)
/// says may be mapped differently: past the first missing level's span.
fn next_boundary(va: u64, tables: [Option<u64>; 3]) -> u64 {
    let level = match tables {
        [None, _, _] => 3,
        [_, None, _] => 2,
        _ => 1,
    };
    let span = 1u64 << (12 + 9 * level);
    ((va / span) + 1).saturating_mul(span)
}

/// The index of the first non-zero entry of `entries` from `from`: one
/// `repe scasq` (emulated in bulk on kvm-pvm, where a loop over 512 mostly
/// absent entries costs thousands of emulated instructions).
fn next_present(entries: &[u64], from: usize) -> Option<usize> {
    let rest = entries.get(from..)?;
    if rest.is_empty() {
        return None;
    }
    let left: usize;
    let differs: u8;
    // SAFETY: scans `rest.len()` words of `rest` (DF is clear in the
    // kernel, per the ABI); reads only.
    unsafe {
        core::arch::asm!(
            "repe scasq",
            "setnz {d}",
            d = out(reg_byte) differs,
            inout("rdi") rest.as_ptr() => _,
            inout("rcx") rest.len() => left,
            in("rax") 0u64,
            options(nostack, readonly)
        );
    }
    (differs != 0).then(|| from + rest.len() - left - 1)
}

/// Fork's copy of `[start, end)`: every present entry goes to `dst` too,
/// with one more owner for its frame; with `cow`, writable entries lose
/// write access in both trees. The caller flushes the source's TLB.
pub fn dup_range(src: u64, dst: u64, start: u64, end: u64, cow: bool) -> Result<(), OutOfMemory> {
    let mut result = Ok(());
    // A huge page is split first: its frames are then shared one by one
    // as any others (huge_memory.rs).
    let failed = core::cell::Cell::new(false);
    let split = |va, e| {
        let pt = huge_memory::split_pde(e, va).ok();
        failed.set(failed.get() || pt.is_none());
        pt
    };
    for_each_pt(src, start, end, split, |va, entries, _| {
        let Some(mut i) = next_present(entries, 0) else {
            return;
        };
        if result.is_err() {
            return;
        }
        let dst_pte = match walk(dst, va, true) {
            Ok(Some(p)) => p,
            _ => {
                result = Err(OutOfMemory);
                return;
            }
        };
        loop {
            let e = &mut entries[i];
            // Entries are 0, present or PROT_NONE: each non-zero one
            // holds a frame, which the copy shares.
            if cow && *e & PTE_WRITABLE != 0 {
                *e &= !PTE_WRITABLE;
            }
            frame::get(*e & ADDR_MASK);
            // SAFETY: entry i of the destination's table for this chunk
            // (same index range as the source's, i < 512 - first).
            unsafe { *dst_pte.add(i) = *e };
            match next_present(entries, i + 1) {
                Some(n) => i = n,
                None => break,
            }
        }
    });
    if failed.get() {
        return Err(OutOfMemory);
    }
    result
}

/// Gives back the frames `[start, end)` maps (one put per entry) without
/// clearing the entries, and collects the tables on the way into
/// `tables` (a tree being torn down).
pub fn release_range(pml4: u64, start: u64, end: u64, tables: &mut alloc::vec::Vec<u64>) {
    let huge = |_, e: *mut u64| {
        // SAFETY: a huge entry of this tree, which is not live: cleared so
        // that a second area over the same 2 MiB finds nothing.
        unsafe {
            frame::put_huge(*e & huge_memory::HUGE_ADDR_MASK);
            *e = 0;
        }
        None
    };
    for_each_pt(pml4, start, end, huge, |_, entries, pt| {
        let mut at = next_present(entries, 0);
        while let Some(i) = at {
            frame::put(entries[i] & ADDR_MASK);
            at = next_present(entries, i + 1);
        }
        if tables.last() != Some(&pt) {
            tables.push(pt);
        }
    });
}

/// Frees a user tree: the last-level tables in `tables` (from
/// `release_range`), the upper-level tables above them, and the root.
pub fn free_tree(pml4: u64, mut tables: alloc::vec::Vec<u64>, ranges: &[(u64, u64)]) {
    // The directories above each area's tables, found by a walk per 1 GiB
    // and per 512 GiB step: a handful for any process.
    for &(start, end) in ranges {
        let mut va = start;
        while va < end {
            let found = tables_of(pml4, va);
            let [pdpt, pd, _] = found;
            tables.extend(pdpt);
            tables.extend(pd);
            // Past this directory: the next PD (1 GiB), or the next
            // missing level's span.
            va = match found {
                [Some(_), Some(_), _] => ((va >> 30) + 1).saturating_mul(1 << 30),
                _ => next_boundary(va, found),
            };
        }
    }
    tables.sort_unstable();
    tables.dedup();
    for t in tables {
        frame::put(t);
    }
    frame::put(pml4);
}

pub fn load_cr3(pml4: u64) {
    // SAFETY: `pml4` maps the kernel's upper half exactly like the current
    // root (address_space.rs copies it), so execution continues unharmed.
    unsafe { core::arch::asm!("mov cr3, {}", in(reg) pml4, options(nostack, preserves_flags)) }
}

/// Calls `f(va, entry)` for every 4 KiB entry holding a frame (present,
/// or PROT_NONE) in `[start, end)`,
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
            // A last-level entry counts when it holds a frame: present, or
            // parked by PROT_NONE.
            let holds = if level == 0 {
                value & (PTE_PRESENT | PTE_PROTNONE) != 0
            } else {
                value & PTE_PRESENT != 0 && value & PTE_HUGE == 0
            };
            if !holds {
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

/// Moves the entries of `[old, old + len)` to `[new, new + len)`, where
/// there are none (mremap): each frame keeps its owner, nothing is copied.
/// The destination's tables are made first, so that running out of
/// memory changes no entry.
pub fn move_range(pml4: u64, old: u64, new: u64, len: u64) -> Result<(), OutOfMemory> {
    // Huge pages move as their 4 KiB entries (the target need not be
    // aligned).
    huge_memory::split_range(pml4, old, old + len)?;
    let mut moves = alloc::vec::Vec::new();
    for_each_present(pml4, old, old + len, &mut |va, pte| moves.push((va, pte)));
    let mut targets = alloc::vec::Vec::with_capacity(moves.len());
    for &(va, _) in &moves {
        // Making a table only adds entries to upper levels: the source
        // pointers stay valid.
        targets.push(walk(pml4, new + (va - old), true)?.ok_or(OutOfMemory)?);
    }
    // A stale entry per moved page: invlpg for a few, else one flush.
    let per_page = moves.len() <= 33;
    for (&(va, src), dst) in moves.iter().zip(targets) {
        // SAFETY: `src` is an entry of this tree holding a frame (from
        // for_each_present), `dst` the empty entry of its new address.
        unsafe {
            *dst = *src;
            *src = 0;
        }
        if per_page {
            invlpg(va);
        }
    }
    if !per_page {
        flush_tlb();
    }
    Ok(())
}

/// Clears every entry of `[start, end)` and gives back the frames they
/// hold (munmap, MADV_DONTNEED). A page table the range covers whole is
/// detached from its directory with one store and freed, its entries read
/// but never written: on kvm-pvm each store to a live page table is an
/// emulated, shadowed write, and `repe scasq` finds the entries in bulk.
/// The TLB is flushed (per page for a few pages) before any frame is free.
pub fn zap_range(pml4: u64, start: u64, end: u64) {
    const TABLE_SPAN: u64 = 512 * 4096;
    if zap_small(pml4, start, end) {
        return;
    }
    // Uninitialised, so that it costs no stores (nor a copy into `zap`).
    let mut held = [const { core::mem::MaybeUninit::uninit() }; Zap::HELD];
    let mut zap = Zap::new(&mut held);
    let mut va = start;
    while va < end {
        let found = tables_of(pml4, va);
        let chunk_end = next_boundary(va, found).min(end);
        let whole = va.is_multiple_of(TABLE_SPAN) && chunk_end - va == TABLE_SPAN;
        let (Some(pd), Some(pt)) = (found[1], found[2]) else {
            if let Some(e) = found[1].and_then(|pd| huge_entry(pd, va)) {
                if whole {
                    // SAFETY: `e` is the huge entry of `va` in this tree.
                    zap.huge(unsafe { core::mem::replace(&mut *e, 0) });
                    va = chunk_end;
                } else if huge_memory::split_pde(e, va).is_err() {
                    // Cannot happen (a split's table is put aside with
                    // the huge page); the pages stay mapped.
                    crate::warn!("munmap of {va:#x}: no table to split a huge page");
                    va = chunk_end;
                }
                // Split: the same span again, as a table.
                continue;
            }
            va = past_absent(va, found);
            continue;
        };
        let (first, last) = (index(va, 0), index(chunk_end - 1, 0) + 1);
        // SAFETY: `pt` is a last-level table frame; first..last <= 512.
        let entries =
            unsafe { core::slice::from_raw_parts_mut(table(pt).add(first), last - first) };
        let mut at = next_present(entries, 0);
        while let Some(i) = at {
            // Entries are 0, present or PROT_NONE: each non-zero one holds
            // a frame. A run of them (pages a program touched) goes in a
            // plain loop, the scan only across gaps.
            let n = zap.take_run(&mut entries[i..], whole);
            if !whole {
                zap.cleared_run(va + i as u64 * 4096, n);
            }
            at = next_present(entries, i + n);
        }
        if whole {
            // SAFETY: `pd` is the directory above `pt`; its entry for `va`
            // points at `pt`, which nothing else references.
            unsafe { *table(pd).add(index(va, 1)) = 0 };
            zap.table(pt);
        }
        va = chunk_end;
    }
    zap.finish();
}

/// [`zap_range`] of at most [`Zap::HELD`] pages inside one page table
/// (malloc's munmap of a page or a few): one walk, invlpg per entry, the
/// frames on the stack; false, doing nothing, for any other range.
fn zap_small(pml4: u64, start: u64, end: u64) -> bool {
    let pages = (end - start) / 4096;
    if pages == 0 || pages > Zap::HELD as u64 || start >> 21 != (end - 1) >> 21 {
        return false;
    }
    let Ok(Some(first)) = walk(pml4, start, false) else {
        // No table there: nothing is mapped.
        return true;
    };
    let mut frames = [const { core::mem::MaybeUninit::<u64>::uninit() }; Zap::HELD];
    let mut n = 0;
    for i in 0..pages as usize {
        // SAFETY: the `pages` entries from `first` lie in its table (the
        // range does not cross a 2 MiB boundary).
        let e = unsafe { &mut *first.add(i) };
        // Entries are 0, present or PROT_NONE: each non-zero one holds a
        // frame.
        if *e != 0 {
            frames[n].write(*e & ADDR_MASK);
            *e = 0;
            invlpg(start + i as u64 * 4096);
            n += 1;
        }
    }
    if n > 0 {
        // SAFETY: the first `n` slots were written above.
        let frames = unsafe { core::slice::from_raw_parts(frames.as_ptr() as *const u64, n) };
        frame::put_many(frames);
    }
    true
}

/// What [`zap_range`] gives back once the TLB is clean. The first cleared
/// pages are invalidated as they go (invlpg, Linux's
/// tlb_single_page_flush_ceiling of 33); past that, or once a table is
/// detached, one CR3 reload at the end covers everything. The frames of
/// a small unmap (malloc's one-page mappings) wait in an array on the
/// stack: a heap vector grown per page cost more than the rest of munmap.
struct Zap<'a> {
    invalidated: usize,
    flush_all: bool,
    held: &'a mut [core::mem::MaybeUninit<u64>; Zap::HELD],
    count: usize,
    more: alloc::vec::Vec<u64>,
    tables: alloc::vec::Vec<u64>,
    huge: alloc::vec::Vec<u64>,
}

impl<'a> Zap<'a> {
    const CEILING: usize = 33;
    const HELD: usize = 32;

    fn new(held: &'a mut [core::mem::MaybeUninit<u64>; Zap::HELD]) -> Zap<'a> {
        Zap {
            invalidated: 0,
            flush_all: false,
            held,
            count: 0,
            more: alloc::vec::Vec::new(),
            tables: alloc::vec::Vec::new(),
            huge: alloc::vec::Vec::new(),
        }
    }

    /// The `n` entries from `va` were cleared: invlpg each while the
    /// ceiling allows, else one flush at the end.
    fn cleared_run(&mut self, va: u64, n: usize) {
        if self.flush_all {
            return;
        }
        if self.invalidated + n <= Self::CEILING {
            for k in 0..n as u64 {
                invlpg(va + k * 4096);
            }
            self.invalidated += n;
        } else {
            self.flush_all = true;
        }
    }

    /// Takes the frames of the run of non-zero entries that starts
    /// `entries`, clearing them unless `keep` (a table detached whole);
    /// returns the run's length. Its state stays in registers: each
    /// access to memory is an emulated instruction on kvm-pvm.
    fn take_run(&mut self, entries: &mut [u64], keep: bool) -> usize {
        let mut count = self.count;
        let mut n = 0;
        while let Some(e) = entries.get_mut(n)
            && *e != 0
        {
            let frame = *e & ADDR_MASK;
            if !keep {
                *e = 0;
            }
            match self.held.get_mut(count) {
                Some(slot) => {
                    slot.write(frame);
                    count += 1;
                }
                None => self.more.push(frame),
            }
            n += 1;
        }
        self.count = count;
        n
    }

    /// A detached table: its entries may still be cached.
    fn table(&mut self, pt: u64) {
        self.flush_all = true;
        self.tables.push(pt);
    }

    /// A cleared huge entry (its value): the chunk goes back whole.
    fn huge(&mut self, entry: u64) {
        self.flush_all = true;
        self.huge.push(entry & huge_memory::HUGE_ADDR_MASK);
    }

    fn finish(self) {
        if self.flush_all {
            flush_tlb();
        }
        // SAFETY: `frame` initialised the first `count` slots.
        let held =
            unsafe { core::slice::from_raw_parts(self.held.as_ptr() as *const u64, self.count) };
        // Each call takes the frame lock: only the lists that hold any.
        for frames in [held, &self.more, &self.tables] {
            if !frames.is_empty() {
                frame::put_many(frames);
            }
        }
        for &chunk in &self.huge {
            frame::put_huge(chunk);
        }
    }
}
