//! Giving page-cache memory back when frames run short (what Linux splits
//! into mm/vmscan.c's page reclaim and mm/page-writeback.c's
//! balance_dirty_pages), so that a file larger than guest RAM can be
//! written and read.
//!
//! Two entry points:
//! - `balance`, at a page-cache miss of a read or write (filemap.rs), where
//!   the caller holds no lock and has no copy pending: below the low
//!   watermark of free frames, the file's dirty pages are written back
//!   early (counted as pressure; ext2 allocates their blocks then, in its
//!   usual order: data and bitmaps, then the inode), then clean pages are
//!   evicted until the high watermark;
//! - `reclaim`, from the frame allocator when it has nothing left
//!   (mm/frame.rs, one call): clean pages only, and every lock taken with
//!   try_lock, since the allocation may come from anywhere (a cache that
//!   is busy is skipped).
//!
//! Clean metadata blocks of ext2 go too, when file pages did not free
//! enough (never a dirty one: it waits for its writeback).
//!
//! A clean page is evicted when nothing maps it (its frame has no owner
//! but the cache: `frame::is_shared`); a later read fills it again from
//! the disk. Pages of memory file systems (tmpfs) are never registered:
//! they have nowhere to go. The order is a clock: the scan resumes at the
//! inode after the last one it took pages from, and inside a file takes
//! the lowest pages first (for a file read or written from start to end,
//! the oldest).

use alloc::collections::BTreeMap;
use alloc::sync::{Arc, Weak};
use alloc::vec::Vec;
use core::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use lstar_abi::stats::WORD_PAGES_EVICTED;
use spin::Mutex;

use super::inode::{Inode, InodeRef};
use super::writeback::Reason;
use crate::mm::frame;

/// Inodes with a counted page cache (disk file systems), by address.
static CACHED: Mutex<BTreeMap<usize, Weak<Inode>>> = Mutex::new(BTreeMap::new());
/// The clock hand: the scan starts after this key.
static HAND: AtomicUsize = AtomicUsize::new(0);
/// Set while a reclaim runs: an allocation inside it does not recurse.
static BUSY: AtomicBool = AtomicBool::new(false);

fn key(inode: &Inode) -> usize {
    inode as *const Inode as usize
}

/// A new inode whose pages may be reclaimed.
pub fn register(inode: &InodeRef) {
    CACHED.lock().insert(key(inode), Arc::downgrade(inode));
}

/// The inode is being dropped (its pages go with it).
pub fn unregister(inode: &Inode) {
    CACHED.lock().remove(&key(inode));
}

/// (low, high) watermarks of free frames for `ram` frames: 1/16 and 1/8
/// of RAM, at least 1 and 2 MiB. The low one also keeps never-used RAM
/// for the kernel heap's contiguous blocks, which evicted frames (on the
/// free list) cannot serve.
fn watermarks(ram: u64) -> (u64, u64) {
    ((ram / 16).max(256), (ram / 8).max(512))
}

fn free_frames() -> (u64, u64) {
    let (ram, used) = frame::usage();
    (ram.saturating_sub(used), ram)
}

/// Whether free frames are below the low watermark.
pub fn low_on_memory() -> bool {
    let (free, ram) = free_frames();
    free < watermarks(ram).0
}

/// Frames free above the low watermark: what a read-ahead window may
/// take without pushing the allocator into reclaim.
pub fn spare_frames() -> u64 {
    let (free, ram) = free_frames();
    free.saturating_sub(watermarks(ram).0)
}

/// At a page-cache miss of `inode` with free frames low: its dirty pages
/// written back early, then clean pages evicted up to the high watermark.
/// The caller holds no lock and has no copy into or out of cached pages
/// pending.
pub fn balance(inode: &Inode) {
    if !low_on_memory() || BUSY.load(Ordering::Relaxed) {
        return;
    }
    if let Err(e) = inode.writeback_for(Reason::Pressure) {
        crate::warn!("early writeback of inode {}: {e:?}", inode.ino);
    }
    let (free, ram) = free_frames();
    let high = watermarks(ram).1;
    if free < high {
        evict(high - free);
    }
    // Still short: unused dentries and their inodes (a batch; no lock
    // is held here, which dropping an inode needs).
    if low_on_memory() {
        super::dentry::shrink(256);
    }
}

/// The frame allocator has nothing left: clean pages are evicted (a batch,
/// so that the next allocations find frames too). True if any was freed.
pub fn reclaim() -> bool {
    let (_, ram) = free_frames();
    evict(watermarks(ram).1) > 0
}

/// Evicts up to `want` clean, unmapped pages; returns how many.
fn evict(want: u64) -> u64 {
    if BUSY.swap(true, Ordering::Relaxed) {
        return 0;
    }
    let mut freed = super::page_cache::evict_clean(want);
    // The inodes, from the clock hand on, then from the start.
    let hand = HAND.load(Ordering::Relaxed);
    let inodes: Vec<(usize, InodeRef)> = match CACHED.try_lock() {
        Some(cached) => cached
            .range(hand + 1..)
            .chain(cached.range(..=hand))
            .filter_map(|(&k, w)| Some((k, w.upgrade()?)))
            .collect(),
        None => Vec::new(),
    };
    for (k, inode) in &inodes {
        if freed >= want {
            break;
        }
        let n = evict_inode(inode, want - freed);
        if n > 0 {
            HAND.store(*k, Ordering::Relaxed);
        }
        freed += n;
    }
    crate::stats::add(WORD_PAGES_EVICTED, freed);
    // Then ext2's clean metadata blocks (bitmaps, inode tables, directory
    // and indirect blocks), which a tree walk fills by the thousand.
    if freed < want {
        freed += super::ext2::shrink_metadata(want - freed);
    }
    // Dropped after the scan (a last reference would unregister).
    BUSY.store(false, Ordering::Relaxed);
    drop(inodes);
    freed
}

/// Evicts up to `want` clean pages of `inode` that nothing maps.
fn evict_inode(inode: &Inode, want: u64) -> u64 {
    match inode.pages.try_lock() {
        Some(mut pages) => pages.evict_clean(want),
        None => 0,
    }
}
