//! The physical frame allocator.
//!
//! A bump pointer over the RAM ranges of the PVH memory map, skipping what
//! is in use (low memory, the kernel image, the modules), plus free lists.
//! Frames that come from the bump pointer have never been used since the VM
//! started and are zero, as fresh guest RAM is on lstar and QEMU; only
//! recycled frames need clearing. That saves clearing every frame, which
//! matters when kernel stores are emulated.
//!
//! Freed frames wait in three lists. A frame that has ever been a page
//! table is marked for good and goes back to `tables`: under kvm-pvm the
//! shadow MMU follows a (former) page table only through the guest's own
//! writes, so such a frame is only ever cleared by ring-0 stores
//! (drivers/copy_engine.rs says what broke when the VMM cleared one).
//! Other recycled frames go to `dirty`. When ring 0 is emulated the VMM
//! clears them up to 192 at a time (one exit, the copy port's list of
//! pages) into `clean`, from which zeroed frames are handed out first: a
//! 4 KiB `rep stosq` there costs ~700,000 host cycles, an exit far less;
//! with fewer than 64 waiting, never-used RAM goes first. Elsewhere a
//! recycled frame is cleared by ring 0 when taken, before never-used RAM
//! (the host's memory stays what the guest uses). A former table is
//! handed out as data only when no other frame is left, cleared by ring 0
//! first, and stays marked.
//!
//! Huge pages (huge_memory.rs) take 512 contiguous frames at a 2 MiB
//! boundary: from `huge`, the chunks that huge mappings gave back whole
//! (cleared again, through the VMM when it clears), else from never-used
//! RAM. The chunks of `huge` count as free; when nothing else is left,
//! one is broken up into `dirty`.

use core::sync::atomic::{AtomicU64, Ordering};

use spin::Mutex;

use super::{PAGE_SIZE, page_align_down, page_align_up, phys_to_virt};
use crate::drivers::copy_engine;
use lstar_abi::ports::ZeroPagesRequest;

const MAX_RANGES: usize = 16;
/// Frames in one huge page, and its size (2 MiB).
pub const HUGE_FRAMES: u64 = 512;
pub const HUGE_BYTES: u64 = HUGE_FRAMES * PAGE_SIZE;
/// Low memory, the kernel image, every PVH module, and some to spare.
const MAX_RESERVED: usize = lstar_abi::layout::MAX_MODULES + 8;

#[derive(Clone, Copy, Default)]
struct Range {
    start: u64,
    end: u64,
}

pub struct FrameAllocator {
    ram: [Range; MAX_RANGES],
    ram_count: usize,
    reserved: [Range; MAX_RESERVED],
    reserved_count: usize,
    /// Index into `ram` and next address of the bump pointer.
    cursor: usize,
    next: u64,
    /// `next` may advance up to here without looking at the ranges again
    /// (the end of the current RAM range or the next reserved range):
    /// a scan per frame showed up in boot profiles.
    clear_until: u64,
    /// Freed frames, linked through their first word (intrusive: freeing
    /// never allocates, so the kernel heap may grow from this allocator):
    /// data frames as they were left, and former page tables (see the
    /// module's comment).
    dirty: FreeList,
    tables: FreeList,
    /// Recycled data frames the VMM cleared whole: the first `clean_len`
    /// pages of the request that had them cleared (its list is the stock).
    clean: ZeroPagesRequest,
    clean_len: usize,
    /// Chunks of 512 frames that a huge mapping gave back whole, linked
    /// through their first word as they were left.
    huge: FreeList,
    /// One page-table frame per huge mapping alive, taken with it, so
    /// that splitting one (a partial munmap, mprotect, fork) never fails
    /// for want of a table: Linux's pgtable_trans_huge_deposit, in one
    /// pool.
    deposit: FreeList,
    pub allocated: u64,
    /// Direct-map address of the share counts (see [`get`]), one u32 per
    /// frame number below `ref_frames`, with [`TABLE`] as its top bit; 0
    /// until [`init_refs`].
    refs: u64,
    ref_frames: u64,
    /// Frames that can be handed out at all (RAM minus reserved ranges),
    /// known once the memory map is (see [`init_refs`]).
    usable: u64,
}

static FRAMES: Mutex<FrameAllocator> = Mutex::new(FrameAllocator {
    ram: [Range { start: 0, end: 0 }; MAX_RANGES],
    ram_count: 0,
    reserved: [Range { start: 0, end: 0 }; MAX_RESERVED],
    reserved_count: 0,
    cursor: 0,
    next: 0,
    clear_until: 0,
    dirty: FreeList::EMPTY,
    tables: FreeList::EMPTY,
    clean: ZeroPagesRequest {
        nr_pages: 0,
        op: 0,
        copied: 0,
        pages: [0; CLEAN_BATCH],
    },
    clean_len: 0,
    huge: FreeList::EMPTY,
    deposit: FreeList::EMPTY,
    allocated: 0,
    refs: 0,
    ref_frames: 0,
    usable: 0,
});

pub fn add_ram(start: u64, end: u64) {
    let mut f = FRAMES.lock();
    let (Some(start), end) = (page_align_up(start), page_align_down(end)) else {
        return;
    };
    if start < end && f.ram_count < MAX_RANGES {
        let i = f.ram_count;
        f.ram[i] = Range { start, end };
        f.ram_count += 1;
    }
}

/// Marks `[start, end)` as never to be handed out.
pub fn reserve(start: u64, end: u64) {
    let mut f = FRAMES.lock();
    let range = Range {
        start: page_align_down(start),
        end: page_align_up(end).unwrap_or(u64::MAX),
    };
    if range.start >= range.end {
        return;
    }
    f.clear_until = 0;
    // A range that touches the previous one joins it: lstar puts the
    // modules next to each other, and fewer ranges are shorter scans.
    let count = f.reserved_count;
    if let Some(last) = f.reserved[..count].last_mut()
        && range.start <= last.end
        && last.start <= range.end
    {
        last.start = last.start.min(range.start);
        last.end = last.end.max(range.end);
        return;
    }
    if count < MAX_RESERVED {
        f.reserved[count] = range;
        f.reserved_count += 1;
    } else {
        crate::warn!("too many reserved ranges; ignoring {start:#x}..{end:#x}");
    }
}

impl FrameAllocator {
    #[inline]
    fn bump(&mut self) -> Option<u64> {
        if self.next + PAGE_SIZE <= self.clear_until {
            let addr = self.next;
            self.next = addr + PAGE_SIZE;
            return Some(addr);
        }
        self.bump_slow()
    }

    /// The next RAM range or past a reserved one (out of line, as above).
    #[inline(never)]
    fn bump_slow(&mut self) -> Option<u64> {
        while self.cursor < self.ram_count {
            let range = self.ram[self.cursor];
            let addr = self.next.max(range.start);
            if addr + PAGE_SIZE > range.end {
                self.cursor += 1;
                continue;
            }
            if let Some(r) = self.reserved[..self.reserved_count]
                .iter()
                .find(|r| addr < r.end && r.start < addr + PAGE_SIZE)
            {
                self.next = r.end;
                continue;
            }
            self.next = addr + PAGE_SIZE;
            let next_reserved = self.reserved[..self.reserved_count]
                .iter()
                .filter(|r| r.start >= self.next)
                .map(|r| r.start)
                .min()
                .unwrap_or(u64::MAX);
            self.clear_until = range.end.min(next_reserved);
            return Some(addr);
        }
        None
    }
}

/// A stack of free frames linked through their first word.
#[derive(Clone, Copy)]
struct FreeList {
    head: u64,
    len: u64,
}

impl FreeList {
    const EMPTY: FreeList = FreeList { head: 0, len: 0 };

    fn push(&mut self, frame: u64) {
        // SAFETY: the frame belongs to nobody now; the direct map covers it.
        unsafe { *(phys_to_virt(frame) as *mut u64) = self.head };
        self.head = frame;
        self.len += 1;
    }

    fn pop(&mut self) -> Option<u64> {
        let frame = self.head;
        if frame == 0 {
            return None;
        }
        // SAFETY: a free frame's first word links the next free frame.
        self.head = unsafe { *(phys_to_virt(frame) as *const u64) };
        self.len -= 1;
        Some(frame)
    }
}

/// The share-count word's top bit: the frame has been a page table.
const TABLE: u32 = 1 << 31;

/// Frames the VMM clears per exit.
const CLEAN_BATCH: usize = lstar_abi::ports::COPY_MAX_PAGES;
/// Recycled frames worth an exit while never-used RAM is left: a program
/// that maps and unmaps a few pages in a loop (malloc) would otherwise pay
/// an exit per loop. Never-used RAM grows by at most this many frames.
const REFILL_MIN: u64 = 64;

/// Clears a whole frame with ring-0 stores.
fn clear_frame(frame: u64) {
    // SAFETY: the caller owns the frame (just taken off a free list); the
    // direct map covers it.
    unsafe { core::ptr::write_bytes(phys_to_virt(frame) as *mut u8, 0, PAGE_SIZE as usize) };
}

impl FrameAllocator {
    /// A zeroed data frame (never a former table), if any: from `clean`,
    /// else (out of line) as [`FrameAllocator::take_zeroed_slow`] says.
    #[inline]
    fn take_zeroed(&mut self) -> Option<u64> {
        if self.clean_len > 0 {
            self.clean_len -= 1;
            return Some(self.clean.pages[self.clean_len]);
        }
        self.take_zeroed_slow()
    }

    /// With the VMM clearing: a batch of `dirty` once there are enough for
    /// one exit to pay for many frames, else never-used RAM, else whatever
    /// `dirty` holds. Without it (hardware KVM, QEMU), where a ring-0 clear
    /// is cheap: a recycled frame first, so that the host's memory stays
    /// what the guest uses, then never-used RAM. Out of line, so that the
    /// common case above saves no registers (each push and pop is an
    /// emulated instruction on kvm-pvm).
    #[inline(never)]
    fn take_zeroed_slow(&mut self) -> Option<u64> {
        if !copy_engine::clears_through_vmm() {
            if let Some(frame) = self.dirty.pop() {
                clear_frame(frame);
                return Some(frame);
            }
            if let Some(frame) = self.bump() {
                return Some(frame);
            }
            let frame = self.break_huge().then(|| self.dirty.pop()).flatten()?;
            clear_frame(frame);
            return Some(frame);
        }
        if self.dirty.len < REFILL_MIN
            && let Some(frame) = self.bump()
        {
            return Some(frame);
        }
        if self.dirty.head == 0 && !self.break_huge() {
            return None;
        }
        self.refill_clean();
        self.clean_len -= 1;
        Some(self.clean.pages[self.clean_len])
    }

    /// Takes up to a batch of `dirty` frames into `clean`, cleared by the
    /// VMM in one exit (if it did not do them all, by ring 0).
    fn refill_clean(&mut self) {
        let mut n = 0;
        while n < CLEAN_BATCH
            && let Some(frame) = self.dirty.pop()
        {
            self.clean.pages[n] = frame;
            n += 1;
        }
        // SAFETY: the frames are off every list, so ours; they are not and
        // never were page tables (those live in `tables`), and nothing
        // relies on their contents. `FRAMES` is a static.
        if !unsafe { copy_engine::clear_pages(&mut self.clean, n) } {
            for &frame in &self.clean.pages[..n] {
                clear_frame(frame);
            }
        }
        self.clean_len = n;
    }

    /// The last resort for single frames: a chunk of `huge` becomes 512
    /// frames of `dirty` (one store each, once per 2 MiB); false if
    /// there was none.
    #[inline(never)]
    fn break_huge(&mut self) -> bool {
        let Some(chunk) = self.huge.pop() else {
            return false;
        };
        for i in 0..HUGE_FRAMES {
            self.dirty.push(chunk + i * PAGE_SIZE);
        }
        true
    }

    /// 512 never-used (zero) frames at a 2 MiB boundary; the frames the
    /// alignment skips go to `dirty`.
    fn bump_huge(&mut self) -> Option<u64> {
        loop {
            let first = self.bump()?;
            // `bump` leaves `clear_until` at the end of the run `first` is in.
            let start = first.next_multiple_of(HUGE_BYTES);
            let end = start + HUGE_BYTES;
            let (skip_to, found) = if end <= self.clear_until {
                (start, true)
            } else {
                (self.clear_until, false)
            };
            let mut frame = first;
            while frame < skip_to {
                self.dirty.push(frame);
                frame += PAGE_SIZE;
            }
            self.next = if found { end } else { skip_to };
            if found {
                return Some(start);
            }
        }
    }

    /// A frame for a page table, marked as one for good: a former table
    /// first (cleared by ring 0 when `clear`; a split's deposit needs no
    /// clearing, it writes all 512 entries), else a zeroed data frame.
    fn take_table(&mut self, clear: bool) -> Option<u64> {
        let frame = match self.tables.pop() {
            Some(frame) => {
                if clear {
                    clear_frame(frame);
                }
                frame
            }
            None => self.take_zeroed()?,
        };
        if let Some(r) = self.refs(frame) {
            *r |= TABLE;
        }
        Some(frame)
    }

    /// Back to the list its past says (see the module's comment); the
    /// caller counts it out of `allocated`.
    fn release(&mut self, frame: u64) {
        if self.refs(frame).is_some_and(|r| *r & TABLE != 0) {
            self.tables.push(frame);
        } else {
            self.dirty.push(frame);
        }
    }
}

/// A frame whose contents the caller overwrites whole (a copy-on-write
/// copy), by the VMM too: a recycled data frame is not cleared first; a
/// former table, the last resort, is cleared by ring 0 first, as for
/// [`alloc_zeroed`] (see the module's comment).
pub fn alloc() -> Option<u64> {
    take(|f| {
        f.dirty.pop().or_else(|| f.take_zeroed()).or_else(|| {
            let frame = f.tables.pop()?;
            clear_frame(frame);
            Some(frame)
        })
    })
}

/// A zeroed frame, or None when memory is exhausted.
pub fn alloc_zeroed() -> Option<u64> {
    take(|f| {
        if let Some(frame) = f.take_zeroed() {
            return Some(frame);
        }
        let frame = f.tables.pop()?;
        clear_frame(frame);
        Some(frame)
    })
}

/// Zeroed frames taken one by one under one lock, while more than a
/// reserve stays free, never reclaiming: fault-around's and mmap's
/// speculative pages ([`spare_frames`]).
pub struct SpareFrames {
    f: spin::MutexGuard<'static, FrameAllocator>,
    left: u64,
    taken: u64,
}

/// Up to the frames beyond `reserve` that are free now.
pub fn spare_frames(reserve: u64) -> SpareFrames {
    let f = FRAMES.lock();
    let left = f.usable.saturating_sub(f.allocated).saturating_sub(reserve);
    SpareFrames { f, left, taken: 0 }
}

impl SpareFrames {
    #[inline]
    pub fn take(&mut self) -> Option<u64> {
        if self.left == 0 {
            return None;
        }
        let frame = self.f.take_zeroed()?;
        self.left -= 1;
        self.taken += 1;
        Some(frame)
    }
}

impl Drop for SpareFrames {
    fn drop(&mut self) {
        self.f.allocated += self.taken;
    }
}

/// 512 zeroed frames at a 2 MiB boundary for a huge mapping, each with one
/// owner, while more than `reserve` frames stay free beyond them; never
/// reclaiming (a huge page is an optimisation: the caller falls back to
/// single pages). A page table for its split is put aside with it.
pub fn alloc_huge(reserve: u64) -> Option<u64> {
    let mut f = FRAMES.lock();
    if f.usable.saturating_sub(f.allocated) < reserve + HUGE_FRAMES + 1 {
        return None;
    }
    let chunk = match f.huge.pop() {
        Some(chunk) => {
            // SAFETY: the chunk is off the list, so ours; its frames were
            // a huge mapping's data, never page tables, and nothing relies
            // on their contents.
            unsafe {
                copy_engine::clear_phys(&[
                    (chunk, HUGE_BYTES / 2),
                    (chunk + HUGE_BYTES / 2, HUGE_BYTES / 2),
                ])
            };
            chunk
        }
        None => f.bump_huge()?,
    };
    // The deposit for its split.
    let Some(table) = f.take_table(false) else {
        f.huge.push(chunk);
        return None;
    };
    f.deposit.push(table);
    f.allocated += HUGE_FRAMES + 1;
    HUGE_MAPPED.fetch_add(1, Ordering::Relaxed);
    Some(chunk)
}

/// A huge mapping gives its chunk back whole: each of its frames had that
/// mapping as its only owner (a huge entry is split before anything else
/// may share its frames, huge_memory.rs). Its deposited table goes too.
pub fn put_huge(chunk: u64) {
    let mut f = FRAMES.lock();
    f.huge.push(chunk);
    if let Some(table) = f.deposit.pop() {
        f.tables.push(table);
    }
    f.allocated -= HUGE_FRAMES + 1;
    HUGE_MAPPED.fetch_sub(1, Ordering::Relaxed);
}

/// A huge mapping becomes 512 single-page entries (a split): its frames
/// stay allocated, one owner each, and its deposited table becomes their
/// page table (contents undefined: the caller writes every entry). None
/// only if the deposit were empty, which alloc_huge never lets happen
/// while a huge mapping lives.
pub fn split_huge() -> Option<u64> {
    let table = FRAMES.lock().deposit.pop()?;
    HUGE_MAPPED.fetch_sub(1, Ordering::Relaxed);
    Some(table)
}

/// Huge mappings alive (AnonHugePages in /proc/meminfo). Outside the
/// lock: mprotect and mremap look here first, so that with none alive
/// they walk no tables for them.
static HUGE_MAPPED: AtomicU64 = AtomicU64::new(0);

/// Huge mappings alive now.
pub fn huge_mapped() -> u64 {
    HUGE_MAPPED.load(Ordering::Relaxed)
}

/// A zeroed frame for a page table, marked as one for good (see the
/// module's comment); former tables are used first.
pub fn alloc_table() -> Option<u64> {
    take(|f| f.take_table(true))
}

fn take(pick: impl Fn(&mut FrameAllocator) -> Option<u64>) -> Option<u64> {
    for last_try in [false, true] {
        let mut f = FRAMES.lock();
        if let Some(frame) = pick(&mut f) {
            f.allocated += 1;
            return Some(frame);
        }
        drop(f);
        // None left: the page cache gives clean pages back, once.
        if last_try || !crate::fs::reclaim::reclaim() {
            return None;
        }
    }
    None
}

/// `count` physically contiguous frames that were never used (so zero),
/// for the kernel heap's large blocks; None when no run of RAM has room.
pub fn alloc_contiguous(count: u64) -> Option<u64> {
    let mut f = FRAMES.lock();
    loop {
        let first = f.bump()?;
        // `bump` leaves `clear_until` at the end of the run `first` is in.
        if first + count * PAGE_SIZE <= f.clear_until {
            f.next = first + count * PAGE_SIZE;
            f.allocated += count;
            return Some(first);
        }
        // Too short: its pages go to the free list, the search goes on.
        f.dirty.push(first);
    }
}

/// Sets up the share counts once the RAM ranges are known. A frame has one
/// owner when allocated (a page table entry, a file's cache, the heap);
/// fork shares anonymous pages copy-on-write and many address spaces may
/// map one cache page, so each more owner takes a reference with [`get`]
/// and every owner gives it back with [`put`]. The table counts owners
/// beyond the first, so it starts as all zero, which fresh RAM already is:
/// no pass over it at boot (stores are emulated on kvm-pvm).
pub fn init_refs() {
    let top = {
        let f = FRAMES.lock();
        f.ram[..f.ram_count]
            .iter()
            .map(|r| r.end)
            .max()
            .unwrap_or(0)
    };
    let frames = top / PAGE_SIZE;
    let pages = (frames * 4).div_ceil(PAGE_SIZE);
    let Some(table) = alloc_contiguous(pages) else {
        crate::warn!("no memory for page share counts");
        return;
    };
    let usable = usage().0;
    let mut f = FRAMES.lock();
    f.refs = phys_to_virt(table);
    f.ref_frames = frames;
    f.usable = usable;
}

impl FrameAllocator {
    fn refs(&mut self, frame: u64) -> Option<&mut u32> {
        let n = frame / PAGE_SIZE;
        // SAFETY: the table has `ref_frames` entries, reserved for it by
        // `init_refs`, and is only reached under the allocator's lock.
        (n < self.ref_frames).then(|| unsafe { &mut *((self.refs as *mut u32).add(n as usize)) })
    }
}

/// One more owner of `frame` (a mapping of a cache page, a fork's copy of
/// a page table entry).
pub fn get(frame: u64) {
    if let Some(r) = FRAMES.lock().refs(frame) {
        *r += 1;
    }
}

/// [`get`] for `count` consecutive frames from `frame`.
pub fn get_range(frame: u64, count: u64) {
    let mut f = FRAMES.lock();
    for i in 0..count {
        if let Some(r) = f.refs(frame + i * PAGE_SIZE) {
            *r += 1;
        }
    }
}

/// Whether `frame` has more than one owner (a copy-on-write fault must
/// copy it rather than take it).
pub fn is_shared(frame: u64) -> bool {
    FRAMES.lock().refs(frame).is_some_and(|r| *r & !TABLE > 0)
}

/// An owner gives `frame` back; the last one frees it.
pub fn put(frame: u64) {
    let mut f = FRAMES.lock();
    if f.put(frame) {
        f.allocated -= 1;
    }
}

/// [`put`] of each frame of `frames`, under one lock (munmap gives back
/// thousands).
pub fn put_many(frames: &[u64]) {
    let mut f = FRAMES.lock();
    let mut freed = 0;
    for &frame in frames {
        freed += u64::from(f.put(frame));
    }
    f.allocated -= freed;
}

impl FrameAllocator {
    /// One owner less; true if that was the last and the frame is free
    /// now (the caller counts it out of `allocated`).
    fn put(&mut self, frame: u64) -> bool {
        if let Some(r) = self.refs(frame)
            && *r & !TABLE > 0
        {
            *r -= 1;
            return false;
        }
        self.release(frame);
        true
    }
}

/// (usable RAM frames, frames in use), for /proc/meminfo and the tmpfs
/// size limit.
pub fn usage() -> (u64, u64) {
    let f = FRAMES.lock();
    let ram: u64 = f.ram[..f.ram_count]
        .iter()
        .map(|r| (r.end - r.start) / PAGE_SIZE)
        .sum();
    let reserved: u64 = f.reserved[..f.reserved_count]
        .iter()
        .map(|r| {
            f.ram[..f.ram_count]
                .iter()
                .map(|m| r.end.min(m.end).saturating_sub(r.start.max(m.start)) / PAGE_SIZE)
                .sum::<u64>()
        })
        .sum();
    (ram.saturating_sub(reserved), f.allocated)
}

/// Counts `count` frames that came from elsewhere (a boot module's pages
/// that became a file's pages) as allocated, so that freeing them balances.
pub fn adopt(count: u64) {
    FRAMES.lock().allocated += count;
}
