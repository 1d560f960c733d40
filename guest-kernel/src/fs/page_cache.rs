//! The page cache of the block device (/dev/vda).
//!
//! read() fills missing pages from the device, as many contiguous pages per
//! request as the device takes (SEG_MAX), one notification per batch.
//! write() copies into pages and marks them dirty; it never touches the
//! device (a partly written page is read first). The data reaches the disk
//! on the last close of an open file (fput -> task work -> release ->
//! `writeback`), on fsync (plus a FLUSH) and on exit, never before.

use alloc::collections::{BTreeMap, btree_map};
use alloc::vec::Vec;

use lstar_abi::stats::{
    WORD_BLK_FLUSHES, WORD_BLK_WRITE_REQUESTS, WORD_DIRTY_PAGES, WORD_PAGES_WRITTEN_BACK,
};
use spin::Mutex;

use crate::drivers::virtio_blk::{self, BlkError, SECTOR, Transfer};
use crate::errno::{EIO, ENOMEM, ENOSPC, EROFS, Errno};
use crate::mm::{PAGE_SIZE, frame, phys_to_virt};

struct Page {
    frame: u64,
}

struct PageCache {
    pages: BTreeMap<u64, Page>,
    /// The dirty pages (index -> frame), in order, so that writeback visits
    /// only them and needs no lookup per page (both cost ~15-70 µs a page
    /// under kvm-pvm, measured at 64 MiB).
    dirty: BTreeMap<u64, u64>,
}

static CACHE: Mutex<PageCache> = Mutex::new(PageCache {
    pages: BTreeMap::new(),
    dirty: BTreeMap::new(),
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

impl PageCache {
    /// Makes pages `first..=last` present, reading the missing ones in runs.
    fn fill(&mut self, first: u64, last: u64, capacity: u64) -> Result<(), Errno> {
        let seg_max = virtio_blk::seg_max() as u64;
        let mut runs: Vec<(u64, Vec<u64>)> = Vec::new();
        for index in first..=last {
            if self.pages.contains_key(&index) {
                continue;
            }
            let frame = frame::alloc_zeroed().ok_or(ENOMEM)?;
            self.pages.insert(index, Page { frame });
            match runs.last_mut() {
                Some((start, frames))
                    if *start + frames.len() as u64 == index && (frames.len() as u64) < seg_max =>
                {
                    frames.push(frame)
                }
                _ => runs.push((index, alloc::vec![frame])),
            }
        }
        if runs.is_empty() {
            return Ok(());
        }
        let transfers: Vec<Transfer> = runs
            .iter()
            .map(|(start, frames)| Transfer {
                write: false,
                sector: start * PAGE_SIZE / SECTOR,
                pages: frames,
                last_len: page_len(start + frames.len() as u64 - 1, capacity) as u32,
            })
            .collect();
        if let Err(e) = virtio_blk::transfer(&transfers) {
            // Don't keep pages whose contents never arrived.
            for (start, frames) in &runs {
                for i in 0..frames.len() as u64 {
                    if let Some(p) = self.pages.remove(&(start + i)) {
                        frame::free(p.frame);
                    }
                }
            }
            return Err(blk_error(e));
        }
        Ok(())
    }

    /// Writes every dirty page back, contiguous pages in one request.
    fn writeback(&mut self, capacity: u64) -> Result<u64, BlkError> {
        let seg_max = virtio_blk::seg_max() as u64;
        let mut runs: Vec<(u64, Vec<u64>)> = Vec::new();
        for (&index, &frame) in &self.dirty {
            match runs.last_mut() {
                Some((start, frames))
                    if *start + frames.len() as u64 == index && (frames.len() as u64) < seg_max =>
                {
                    frames.push(frame)
                }
                _ => runs.push((index, alloc::vec![frame])),
            }
        }
        let transfers: Vec<Transfer> = runs
            .iter()
            .map(|(start, frames)| Transfer {
                write: true,
                sector: start * PAGE_SIZE / SECTOR,
                pages: frames,
                last_len: page_len(start + frames.len() as u64 - 1, capacity) as u32,
            })
            .collect();
        if transfers.is_empty() {
            return Ok(0);
        }
        virtio_blk::transfer(&transfers)?;
        let written = self.dirty.len() as u64;
        self.dirty.clear();
        crate::stats::set(WORD_DIRTY_PAGES, 0);
        crate::stats::add(WORD_PAGES_WRITTEN_BACK, written);
        crate::stats::add(WORD_BLK_WRITE_REQUESTS, transfers.len() as u64);
        Ok(written)
    }
}

/// The disk's size in bytes and whether it is read-only, if there is one.
pub fn geometry() -> Option<(u64, bool)> {
    virtio_blk::geometry()
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
    cache.fill(first, last, capacity)?;
    let mut done = 0u64;
    while done < n {
        let at = pos + done;
        let (index, offset) = (at / PAGE_SIZE, at % PAGE_SIZE);
        let chunk = (PAGE_SIZE - offset).min(n - done);
        let page = cache.pages.get(&index).ok_or(EIO)?;
        // SAFETY: the page's frame is ours and direct-mapped; `offset +
        // chunk` stays within it; `buf` has room for `n` bytes.
        unsafe {
            core::ptr::copy_nonoverlapping(
                (phys_to_virt(page.frame) + offset) as *const u8,
                buf.as_mut_ptr().add(done as usize),
                chunk as usize,
            );
        }
        done += chunk;
    }
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
    let mut done = 0u64;
    while done < n {
        let at = pos + done;
        let (index, offset) = (at / PAGE_SIZE, at % PAGE_SIZE);
        let chunk = (PAGE_SIZE - offset).min(n - done);
        if chunk == page_len(index, capacity) {
            // Overwritten whole: no need to read it first.
            if let btree_map::Entry::Vacant(slot) = cache.pages.entry(index) {
                let frame = frame::alloc_zeroed().ok_or(ENOMEM)?;
                slot.insert(Page { frame });
            }
        } else if !cache.pages.contains_key(&index) {
            cache.fill(index, index, capacity)?;
        }
        let mut dirtied = None;
        if let Some(page) = cache.pages.get(&index) {
            // SAFETY: as in `read`, the other way round.
            unsafe {
                core::ptr::copy_nonoverlapping(
                    buf.as_ptr().add(done as usize),
                    (phys_to_virt(page.frame) + offset) as *mut u8,
                    chunk as usize,
                );
            }
            dirtied = Some(page.frame);
        }
        if let Some(frame) = dirtied {
            cache.dirty.insert(index, frame);
        }
        done += chunk;
    }
    crate::stats::set(WORD_DIRTY_PAGES, cache.dirty.len() as u64);
    Ok(n as usize)
}

/// Writes every dirty page back and waits (the release of an open file).
pub fn writeback() -> Result<(), Errno> {
    let Some((capacity, _)) = geometry() else {
        return Ok(());
    };
    CACHE
        .lock()
        .writeback(capacity)
        .map(|_| ())
        .map_err(blk_error)
}

/// writeback, then a FLUSH so the data is durable on the host (fsync).
pub fn sync() -> Result<(), Errno> {
    writeback()?;
    virtio_blk::flush().map_err(blk_error)?;
    crate::stats::add(WORD_BLK_FLUSHES, 1);
    Ok(())
}
