//! The page cache of the block device (/dev/vda).
//!
//! read() fills missing pages from the device, with the read-ahead window
//! after them (fs/readahead.rs), as many contiguous pages per request as
//! the device takes (SEG_MAX), one notification per batch.
//! write() copies into pages and marks them dirty; it never touches the
//! device (a partly written page is read first). The data reaches the disk
//! on the last close of an open file (fput -> task work -> release ->
//! `writeback`), on fsync (plus a FLUSH) and on exit, never before.

use alloc::boxed::Box;
use alloc::collections::BTreeMap;
use alloc::vec::Vec;

use lstar_abi::stats::{
    WORD_BLK_FLUSHES, WORD_BLK_WRITE_REQUESTS, WORD_DIRTY_PAGES, WORD_PAGES_WRITTEN_BACK,
};
use spin::Mutex;

use super::readahead::ReadAhead;
use super::writeback::Reason;
use crate::drivers::copy_engine;
use crate::drivers::virtio_blk::{self, BlkError, SECTOR, Transfer};
use crate::errno::{EIO, ENOMEM, ENOSPC, EROFS, Errno};
use crate::mm::{PAGE_SIZE, frame, phys_to_virt};

/// Pages per index chunk, allocated when first used: 63 frame numbers and
/// a dirty word are 512 bytes, one heap block of that class (a one-page
/// file costs 512 bytes of index, not 4 KiB).
const CHUNK: usize = 63;
/// Chunks below this number sit in a vector (files and disks up to 16 GiB:
/// a lookup is two array indexings); above it, in a sorted map, so that a
/// write at a huge offset of a sparse file costs one chunk, not a vector
/// of billions of slots.
const NEAR_CHUNKS: u64 = 1 << 16;

/// The frames of 63 consecutive pages and which of them are dirty.
struct Chunk {
    frames: [u64; CHUNK],
    dirty: u64,
}

/// The page index: page -> frame, with dirty bits.
///
/// Every cached file uses one: the block device here, and each regular
/// file's inode (`Inode::pages`), whose file system fills and writes pages.
/// Why not a BTreeMap per page: each lookup walked nodes key by key, ~800
/// emulated instructions per page written under kvm-pvm (measured).
pub struct PageIndex {
    near: Vec<Option<Box<Chunk>>>,
    far: BTreeMap<u64, Box<Chunk>>,
    ndirty: u64,
    /// Pages present.
    count: u64,
    /// Its dirty pages count in the stats area's dirty-page gauge (a disk's
    /// cache and a disk file system's files; not memory file systems,
    /// whose pages have nowhere to go, as Linux leaves shmem out of Dirty).
    counted: bool,
}

fn split(index: u64) -> (u64, usize) {
    (index / CHUNK as u64, (index % CHUNK as u64) as usize)
}

const _: () = assert!(core::mem::size_of::<Chunk>() == 512);

impl PageIndex {
    pub const fn new() -> PageIndex {
        PageIndex {
            near: Vec::new(),
            far: BTreeMap::new(),
            ndirty: 0,
            count: 0,
            counted: false,
        }
    }

    /// An index whose dirty pages the stats area counts.
    pub const fn counted() -> PageIndex {
        let mut index = PageIndex::new();
        index.counted = true;
        index
    }

    fn account_dirty(&self, more: u64, fewer: u64) {
        if self.counted && more != fewer {
            crate::stats::add(WORD_DIRTY_PAGES, more.wrapping_sub(fewer));
        }
    }

    /// Pages present.
    pub fn len(&self) -> u64 {
        self.count
    }

    /// Dirty pages.
    pub fn dirty_count(&self) -> u64 {
        self.ndirty
    }

    /// Whether page `index` is present and dirty.
    pub fn is_dirty(&self, index: u64) -> bool {
        let (c, i) = split(index);
        self.chunk(c)
            .is_some_and(|ch| ch.frames[i] != 0 && ch.dirty & (1 << i) != 0)
    }

    fn chunk(&self, c: u64) -> Option<&Chunk> {
        if c < NEAR_CHUNKS {
            self.near.get(c as usize)?.as_deref()
        } else {
            self.far.get(&c).map(|b| &**b)
        }
    }

    fn chunk_mut(&mut self, c: u64) -> Option<&mut Chunk> {
        if c < NEAR_CHUNKS {
            self.near.get_mut(c as usize)?.as_deref_mut()
        } else {
            self.far.get_mut(&c).map(|b| &mut **b)
        }
    }

    fn chunk_or_insert(&mut self, c: u64) -> &mut Chunk {
        let fresh = || {
            Box::new(Chunk {
                frames: [0; CHUNK],
                dirty: 0,
            })
        };
        if c < NEAR_CHUNKS {
            let c = c as usize;
            if self.near.len() <= c {
                self.near.resize_with(c + 1, || None);
            }
            self.near[c].get_or_insert_with(fresh)
        } else {
            self.far.entry(c).or_insert_with(fresh)
        }
    }

    /// Every chunk in page order, with its number.
    fn chunks(&self) -> impl Iterator<Item = (u64, &Chunk)> {
        let near = self
            .near
            .iter()
            .enumerate()
            .filter_map(|(c, ch)| Some((c as u64, ch.as_deref()?)));
        near.chain(self.far.iter().map(|(&c, ch)| (c, &**ch)))
    }

    pub fn get(&self, index: u64) -> Option<u64> {
        let (c, i) = split(index);
        let frame = self.chunk(c)?.frames[i];
        (frame != 0).then_some(frame)
    }

    pub fn insert(&mut self, index: u64, frame: u64) {
        self.replace(index, frame);
    }

    /// The frame of page 0 when pages `0..count` are all present and
    /// physically contiguous in order (every file lstar placed), else
    /// None: one pass over the chunks' arrays, where a lookup per page
    /// cost exec ~16,000 emulated instructions for busybox's ~500 pages.
    pub fn contiguous_run(&self, count: u64) -> Option<u64> {
        let first = self.get(0)?;
        let (mut want, mut left, mut c) = (first, count, 0);
        while left > 0 {
            let n = left.min(CHUNK as u64);
            for &frame in &self.chunk(c)?.frames[..n as usize] {
                if frame != want {
                    return None;
                }
                want += PAGE_SIZE;
            }
            left -= n;
            c += 1;
        }
        Some(first)
    }

    /// Puts `frame` (0: none) at `index`; returns the frame that was there.
    pub fn replace(&mut self, index: u64, frame: u64) -> Option<u64> {
        let (c, i) = split(index);
        let chunk = if frame == 0 {
            self.chunk_mut(c)?
        } else {
            self.chunk_or_insert(c)
        };
        let old = core::mem::replace(&mut chunk.frames[i], frame);
        let bit = 1u64 << i;
        let was_dirty = frame == 0 && chunk.dirty & bit != 0;
        if was_dirty {
            chunk.dirty &= !bit;
        }
        self.ndirty -= u64::from(was_dirty);
        self.account_dirty(0, u64::from(was_dirty));
        self.count = self.count + u64::from(frame != 0) - u64::from(old != 0);
        (old != 0).then_some(old)
    }

    /// Puts the frames `paddr, paddr + 4096, ...` at pages `first..first +
    /// count`, where none is present: a chunk's slots at a time.
    pub fn insert_run(&mut self, first: u64, paddr: u64, count: u64) {
        let mut done = 0;
        while done < count {
            let (c, i) = split(first + done);
            let chunk = self.chunk_or_insert(c);
            let n = ((CHUNK - i) as u64).min(count - done) as usize;
            let base = paddr + done * PAGE_SIZE;
            for (k, slot) in chunk.frames[i..i + n].iter_mut().enumerate() {
                *slot = base + k as u64 * PAGE_SIZE;
            }
            done += n as u64;
        }
        self.count += count;
    }

    pub fn remove(&mut self, index: u64) -> Option<u64> {
        self.replace(index, 0)
    }

    /// Removes every page at or after `first`; returns their frames.
    pub fn remove_from(&mut self, first: u64) -> Vec<u64> {
        let present: Vec<u64> = self
            .chunks()
            .filter(|&(c, _)| (c + 1) * CHUNK as u64 > first)
            .flat_map(|(c, ch)| {
                ch.frames
                    .iter()
                    .enumerate()
                    .filter(|&(_, &f)| f != 0)
                    .map(move |(i, _)| c * CHUNK as u64 + i as u64)
            })
            .filter(|&index| index >= first)
            .collect();
        present
            .into_iter()
            .filter_map(|index| self.remove(index))
            .collect()
    }

    /// The clean pages in order, as (index, frame).
    pub fn clean_pages(&self) -> impl Iterator<Item = (u64, u64)> + '_ {
        self.chunks().flat_map(|(c, ch)| {
            ch.frames
                .iter()
                .enumerate()
                .filter(move |&(i, &f)| f != 0 && ch.dirty & (1 << i) == 0)
                .map(move |(i, &f)| (c * CHUNK as u64 + i as u64, f))
        })
    }

    /// Drops up to `want` clean pages that nothing maps, giving their
    /// frames back (memory pressure, fs/reclaim.rs). Returns how many.
    pub fn evict_clean(&mut self, want: u64) -> u64 {
        let victims: Vec<u64> = self
            .clean_pages()
            .filter(|&(_, f)| !frame::is_shared(f))
            .map(|(index, _)| index)
            .take(want as usize)
            .collect();
        let mut n = 0;
        for index in victims {
            if let Some(f) = self.remove(index) {
                frame::put(f);
                n += 1;
            }
        }
        n
    }

    /// The dirty pages as (index, frame), now marked clean.
    pub fn take_dirty(&mut self) -> Vec<(u64, u64)> {
        let dirty: Vec<(u64, u64)> = self.dirty_pages().collect();
        self.clear_dirty();
        dirty
    }

    /// Marks a present page dirty; true if it was clean.
    pub fn mark_dirty(&mut self, index: u64) -> bool {
        let (c, i) = split(index);
        let Some(chunk) = self.chunk_mut(c) else {
            return false;
        };
        let bit = 1u64 << i;
        let newly = chunk.dirty & bit == 0;
        chunk.dirty |= bit;
        if newly {
            self.ndirty += 1;
            self.account_dirty(1, 0);
        }
        newly
    }

    /// The dirty pages in order, as (index, frame).
    fn dirty_pages(&self) -> impl Iterator<Item = (u64, u64)> + '_ {
        self.chunks().flat_map(|(c, ch)| {
            let mut bits = ch.dirty;
            core::iter::from_fn(move || {
                if bits == 0 {
                    return None;
                }
                let i = bits.trailing_zeros() as usize;
                bits &= bits - 1;
                Some((c * CHUNK as u64 + i as u64, ch.frames[i]))
            })
        })
    }

    fn clear_dirty(&mut self) {
        for ch in self.near.iter_mut().flatten() {
            ch.dirty = 0;
        }
        for ch in self.far.values_mut() {
            ch.dirty = 0;
        }
        self.account_dirty(0, self.ndirty);
        self.ndirty = 0;
    }
}

struct PageCache {
    pages: PageIndex,
    readahead: ReadAhead,
}

static CACHE: Mutex<PageCache> = Mutex::new(PageCache {
    pages: PageIndex::counted(),
    readahead: ReadAhead::new(),
});

fn blk_error(e: BlkError) -> Errno {
    match e {
        BlkError::ReadOnly => EROFS,
        BlkError::Device => EIO,
    }
}

/// Bytes of page `index` that exist on a disk of `capacity` bytes.
fn page_len(index: u64, capacity: u64) -> u64 {
    capacity.saturating_sub(index * PAGE_SIZE).min(PAGE_SIZE)
}

/// Groups `(index, frame)` pairs, in index order, into runs of contiguous
/// pages of at most `seg_max` pages: one device request each.
fn runs(pages: impl Iterator<Item = (u64, u64)>, seg_max: u64) -> Vec<(u64, Vec<u64>)> {
    let mut runs: Vec<(u64, Vec<u64>)> = Vec::new();
    for (index, frame) in pages {
        match runs.last_mut() {
            Some((start, frames))
                if *start + frames.len() as u64 == index && (frames.len() as u64) < seg_max =>
            {
                frames.push(frame)
            }
            _ => runs.push((index, alloc::vec![frame])),
        }
    }
    runs
}

/// The device requests for `runs` on a disk of `capacity` bytes.
fn transfers(runs: &[(u64, Vec<u64>)], write: bool, capacity: u64) -> Vec<Transfer<'_>> {
    runs.iter()
        .map(|(start, frames)| Transfer {
            write,
            sector: start * PAGE_SIZE / SECTOR,
            pages: frames,
            last_len: page_len(start + frames.len() as u64 - 1, capacity) as u32,
        })
        .collect()
}

impl PageCache {
    /// Makes pages `first..=last` present, reading the missing ones in runs.
    fn fill(&mut self, first: u64, last: u64, capacity: u64) -> Result<(), Errno> {
        let mut missing = Vec::new();
        for index in first..=last {
            if self.pages.get(index).is_none() {
                let Some(frame) = frame::alloc_zeroed() else {
                    // Never keep a page that was not read.
                    for (index, _) in missing {
                        if let Some(f) = self.pages.remove(index) {
                            frame::put(f);
                        }
                    }
                    return Err(ENOMEM);
                };
                self.pages.insert(index, frame);
                missing.push((index, frame));
            }
        }
        if missing.is_empty() {
            return Ok(());
        }
        let runs = runs(missing.into_iter(), virtio_blk::seg_max() as u64);
        let transfers = transfers(&runs, false, capacity);
        if let Err(e) = virtio_blk::transfer(&transfers) {
            // Don't keep pages whose contents never arrived.
            for (start, frames) in &runs {
                for i in 0..frames.len() as u64 {
                    if let Some(f) = self.pages.remove(start + i) {
                        frame::put(f);
                    }
                }
            }
            return Err(blk_error(e));
        }
        Ok(())
    }

    /// Writes every dirty page back, contiguous pages in one request.
    fn writeback(&mut self, capacity: u64) -> Result<u64, BlkError> {
        let runs = runs(self.pages.dirty_pages(), virtio_blk::seg_max() as u64);
        let transfers = transfers(&runs, true, capacity);
        if transfers.is_empty() {
            return Ok(0);
        }
        virtio_blk::transfer(&transfers)?;
        let written = self.pages.ndirty;
        self.pages.clear_dirty();
        crate::stats::add(WORD_PAGES_WRITTEN_BACK, written);
        crate::stats::add(WORD_BLK_WRITE_REQUESTS, transfers.len() as u64);
        Ok(written)
    }
}

/// The disk's size in bytes and whether it is read-only, if there is one.
pub fn geometry() -> Option<(u64, bool)> {
    virtio_blk::geometry()
}

/// The (cache page, offset, length) pieces of `[pos, pos + n)`.
pub fn pieces(pos: u64, n: u64) -> impl Iterator<Item = (u64, u64, u64)> {
    let mut done = 0;
    core::iter::from_fn(move || {
        if done >= n {
            return None;
        }
        let at = pos + done;
        let (index, offset) = (at / PAGE_SIZE, at % PAGE_SIZE);
        let chunk = (PAGE_SIZE - offset).min(n - done);
        done += chunk;
        Some((index, offset, chunk))
    })
}

/// Reads at `pos` into `buf`; 0 at or past the end.
pub fn read(pos: u64, buf: &mut [u8]) -> Result<usize, Errno> {
    let (capacity, _) = geometry().ok_or(EIO)?;
    if pos >= capacity || buf.is_empty() {
        return Ok(0);
    }
    let n = (buf.len() as u64).min(capacity - pos);
    let (first, last) = (pos / PAGE_SIZE, (pos + n - 1) / PAGE_SIZE);
    let mut cache = CACHE.lock();
    // A miss reads the read-ahead window after the request too.
    let mut upto = last;
    if let Some(miss) = (first..=last).find(|&i| cache.pages.get(i).is_none()) {
        let end = cache
            .readahead
            .on_miss(miss, last, capacity.div_ceil(PAGE_SIZE));
        let end = miss + (end - miss).min(super::reclaim::spare_frames().max(1));
        upto = upto.max(end - 1);
    }
    match cache.fill(first, upto, capacity) {
        // The window did not fit: the request alone.
        Err(_) if upto > last => cache.fill(first, last, capacity)?,
        r => r?,
    }
    let base = buf.as_mut_ptr() as u64;
    let mut copies = Vec::with_capacity((last - first + 1) as usize);
    let mut done = 0;
    for (index, offset, chunk) in pieces(pos, n) {
        let frame = cache.pages.get(index).ok_or(EIO)?;
        copies.push((base + done, phys_to_virt(frame) + offset, chunk));
        done += chunk;
    }
    // SAFETY: each source lies in a cached frame of ours (offset + chunk
    // within the page); the destinations cover `buf`, which has room for n.
    unsafe { copy_engine::copy_many(&copies) };
    Ok(n as usize)
}

/// Writes `buf` at `pos` into the cache (no device I/O). Past the end of
/// the disk: ENOSPC (a short write when it starts inside).
pub fn write(pos: u64, buf: &[u8]) -> Result<usize, Errno> {
    let (capacity, read_only) = geometry().ok_or(EIO)?;
    if read_only {
        return Err(EROFS);
    }
    if buf.is_empty() {
        return Ok(0);
    }
    if pos >= capacity {
        return Err(ENOSPC);
    }
    let n = (buf.len() as u64).min(capacity - pos);
    let mut cache = CACHE.lock();
    let base = buf.as_ptr() as u64;
    let mut copies = Vec::with_capacity((n / PAGE_SIZE + 2) as usize);
    let mut done = 0;
    for (index, offset, chunk) in pieces(pos, n) {
        let frame = match cache.pages.get(index) {
            Some(frame) => frame,
            // Overwritten whole: no need to read it first.
            None if chunk == page_len(index, capacity) => {
                let frame = frame::alloc_zeroed().ok_or(ENOMEM)?;
                cache.pages.insert(index, frame);
                frame
            }
            None => {
                cache.fill(index, index, capacity)?;
                cache.pages.get(index).ok_or(EIO)?
            }
        };
        cache.pages.mark_dirty(index);
        copies.push((phys_to_virt(frame) + offset, base + done, chunk));
        done += chunk;
    }
    // SAFETY: each destination lies in a cached frame of ours; the sources
    // cover `buf`.
    unsafe { copy_engine::copy_many(&copies) };
    Ok(n as usize)
}

/// Drops up to `want` clean pages that nothing maps (memory pressure,
/// fs/reclaim.rs); skipped while the cache is in use. Returns how many.
pub fn evict_clean(want: u64) -> u64 {
    match CACHE.try_lock() {
        Some(mut cache) => cache.pages.evict_clean(want),
        None => 0,
    }
}

/// Writes every dirty page back and waits (the release of an open file).
pub fn writeback(reason: Reason) -> Result<(), Errno> {
    let Some((capacity, _)) = geometry() else {
        return Ok(());
    };
    let written = CACHE.lock().writeback(capacity).map_err(blk_error)?;
    super::writeback::count(reason, written);
    Ok(())
}

/// writeback, then a FLUSH so the data is durable on the host (fsync).
pub fn sync() -> Result<(), Errno> {
    writeback(Reason::Fsync)?;
    virtio_blk::flush().map_err(blk_error)?;
    crate::stats::add(WORD_BLK_FLUSHES, 1);
    Ok(())
}
