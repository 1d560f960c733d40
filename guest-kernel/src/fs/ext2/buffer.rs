//! ext2's metadata blocks in memory (Linux's buffer heads): bitmaps, group
//! descriptors, inode tables, indirect blocks and directory blocks, one
//! frame per block, read on first use and written back in phases.
//!
//! Why a cache of its own rather than /dev/vda's page cache: with 1 KiB
//! blocks one 4 KiB page of the disk holds several blocks, some of them
//! file data that is written straight from the file's own pages; writing
//! the disk cache's whole page back would put stale copies of those over
//! them. Here each block is written alone, at its own size.
//!
//! Writes go out in phases, each waited for before the next (`sync`), so
//! that a crash between two of them leaves what e2fsck calls leaks and not
//! damage: new blocks and bitmaps before the inode that points at them,
//! the inode before the directory entry that names it (and the reverse
//! for removals).

use alloc::collections::{BTreeMap, BTreeSet};
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU64, Ordering};

use crate::drivers::virtio_blk::{self, SECTOR, Transfer};
use crate::errno::{EIO, ENOMEM, Errno};
use crate::mm::{PAGE_SIZE, frame, phys_to_virt};

/// When a dirty block goes out relative to the others.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
pub enum Phase {
    /// Blocks just allocated (a new directory block, an indirect block,
    /// a slow symlink's), bitmaps, group descriptors, the superblock.
    Early = 0,
    /// Inode table blocks.
    Inode = 1,
    /// Directory blocks that existed before (entries added or removed).
    Dir = 2,
}

/// The order of a namespace change: creation (Early, Inode, Dir) or
/// removal (Dir, Inode, Early).
pub const CREATE: [Phase; 3] = [Phase::Early, Phase::Inode, Phase::Dir];
pub const REMOVE: [Phase; 3] = [Phase::Dir, Phase::Inode, Phase::Early];

struct Buf {
    frame: u64,
    dirty: Option<Phase>,
}

/// Clean blocks kept at most (4 KiB frames each): past it, clean blocks
/// are dropped before a new one is read.
const MAX_CLEAN: usize = 4096;

/// Frames the metadata cache's blocks hold, for /proc/meminfo's Buffers.
static FRAMES: AtomicU64 = AtomicU64::new(0);

/// Frames held by the metadata cache.
pub fn frames() -> u64 {
    FRAMES.load(Ordering::Relaxed)
}

pub struct Buffers {
    bs: u32,
    map: BTreeMap<u32, Buf>,
    /// The blocks of `map` that are dirty (sync looks at these only).
    dirty: BTreeSet<u32>,
    /// The primary superblock (1024 bytes at byte 1024), its own frame.
    sb_frame: u64,
    sb_dirty: bool,
    /// Metadata blocks written since mount.
    pub written: u64,
    /// Where the last shrink stopped: the next starts after this block.
    hand: u32,
}

fn blk_err(_: virtio_blk::BlkError) -> Errno {
    EIO
}

/// The bytes of `len` at the direct-mapped physical address `addr`.
///
/// # Safety
/// `addr..addr + len` must be a frame (part) this cache owns, not aliased
/// by another live slice.
unsafe fn bytes<'a>(addr: u64, len: u32) -> &'a mut [u8] {
    // SAFETY: per the function's contract.
    unsafe { core::slice::from_raw_parts_mut(phys_to_virt(addr) as *mut u8, len as usize) }
}

impl Buffers {
    /// The cache for a file system of `bs`-byte blocks whose superblock
    /// was read into `sb_frame`.
    pub fn new(bs: u32, sb_frame: u64) -> Buffers {
        Buffers {
            bs,
            map: BTreeMap::new(),
            dirty: BTreeSet::new(),
            sb_frame,
            sb_dirty: false,
            written: 0,
            hand: 0,
        }
    }

    /// Puts a block's frame in the map (any frame it had goes back).
    fn insert(&mut self, blk: u32, buf: Buf) {
        match self.map.insert(blk, buf) {
            Some(old) => frame::put(old.frame),
            None => {
                FRAMES.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// Takes a block out of the map, giving its frame back.
    fn remove(&mut self, blk: u32) {
        if let Some(b) = self.map.remove(&blk) {
            frame::put(b.frame);
            FRAMES.fetch_sub(1, Ordering::Relaxed);
        }
    }

    /// Drops up to `want` clean blocks, giving their frames back (memory
    /// pressure, fs/reclaim.rs): a clock over the block numbers, so that
    /// successive shrinks take different blocks. Dirty blocks stay until
    /// they are written. Returns how many went.
    pub fn shrink(&mut self, want: u64) -> u64 {
        let hand = self.hand;
        let victims: Vec<u32> = self
            .map
            .range(hand.saturating_add(1)..)
            .chain(self.map.range(..=hand))
            .filter(|(_, b)| b.dirty.is_none())
            .map(|(&k, _)| k)
            .take(want as usize)
            .collect();
        if let Some(&last) = victims.last() {
            self.hand = last;
        }
        for &k in &victims {
            self.remove(k);
        }
        victims.len() as u64
    }

    pub fn sb(&mut self) -> &mut [u8] {
        // SAFETY: the superblock frame is ours; 1024 bytes of it.
        unsafe { bytes(self.sb_frame, 1024) }
    }

    pub fn mark_sb(&mut self) {
        self.sb_dirty = true;
    }

    fn make_room(&mut self) {
        if self.map.len() < MAX_CLEAN {
            return;
        }
        let clean: Vec<u32> = self
            .map
            .iter()
            .filter(|(_, b)| b.dirty.is_none())
            .map(|(&k, _)| k)
            .collect();
        for k in clean {
            self.remove(k);
        }
    }

    /// Block `blk`, read from the disk if it is not cached.
    pub fn get(&mut self, blk: u32) -> Result<&mut [u8], Errno> {
        // One tree walk when cached (the common case, per block mapped).
        if let Some(b) = self.map.get(&blk) {
            // SAFETY: the block's frame is ours; the slice borrows `self`.
            return Ok(unsafe { bytes(b.frame, self.bs) });
        }
        {
            self.make_room();
            let f = frame::alloc_zeroed().ok_or(ENOMEM)?;
            let t = Transfer {
                write: false,
                sector: u64::from(blk) * u64::from(self.bs) / SECTOR,
                pages: &[f],
                last_len: self.bs,
            };
            if let Err(e) = virtio_blk::transfer(&[t]) {
                frame::put(f);
                return Err(blk_err(e));
            }
            self.insert(
                blk,
                Buf {
                    frame: f,
                    dirty: None,
                },
            );
        }
        let b = self.map.get(&blk).ok_or(EIO)?;
        // SAFETY: the block's frame is ours; the slice borrows `self`.
        Ok(unsafe { bytes(b.frame, self.bs) })
    }

    /// Block `blk` just allocated: zeros, not read, dirty (Early).
    pub fn fresh(&mut self, blk: u32) -> Result<&mut [u8], Errno> {
        self.forget(blk);
        self.make_room();
        let f = frame::alloc_zeroed().ok_or(ENOMEM)?;
        self.insert(
            blk,
            Buf {
                frame: f,
                dirty: Some(Phase::Early),
            },
        );
        self.dirty.insert(blk);
        // SAFETY: the frame is ours; the slice borrows `self`.
        Ok(unsafe { bytes(f, self.bs) })
    }

    /// Block `blk` changed; it goes out in `phase` (or earlier if it was
    /// already due earlier: a block made in this change stays Early).
    pub fn mark(&mut self, blk: u32, phase: Phase) {
        if let Some(b) = self.map.get_mut(&blk) {
            b.dirty = Some(b.dirty.map_or(phase, |p| p.min(phase)));
            self.dirty.insert(blk);
        }
    }

    /// The block was freed (or became file data): its cached copy must
    /// never be written over what comes next.
    pub fn forget(&mut self, blk: u32) {
        self.remove(blk);
        self.dirty.remove(&blk);
    }

    /// Writes every dirty block, phase by phase in `order`, each phase
    /// one batch of requests waited for.
    pub fn sync(&mut self, order: &[Phase]) -> Result<(), Errno> {
        self.sync_with(order, &[])
    }

    /// `sync`, with `data` (file data requests) first: a small file's
    /// close is its data, its new blocks' bitmaps and its inode.
    ///
    /// On a device that serves requests in ring order, each finished
    /// before the next is taken (lstar's: `devices/src/virtio/blk.rs`),
    /// every phase goes in one batch, in phase order, behind one
    /// notification: a kill of the VMM between two requests leaves the
    /// earlier phases on disk and not the later ones, the same as waiting
    /// for each phase. Elsewhere (QEMU may run requests of a batch
    /// concurrently) each phase is its own batch, waited for. Neither is a
    /// FLUSH: the order is the one the image file sees, which is what a
    /// killed VMM leaves; durability against a host crash is fsync's.
    pub fn sync_with(&mut self, order: &[Phase], data: &[Transfer]) -> Result<(), Errno> {
        let spb = u64::from(self.bs) / SECTOR;
        let sb_sector = 1024 / SECTOR;
        // (sector, frame, bytes) of every block due, phase by phase, and
        // where each phase ends.
        let mut blocks: Vec<(u64, u64, u32)> = Vec::new();
        let mut ends: Vec<usize> = Vec::with_capacity(order.len());
        let mut due: Vec<u32> = Vec::new();
        for &phase in order {
            for &k in &self.dirty {
                if let Some(b) = self.map.get(&k)
                    && b.dirty == Some(phase)
                {
                    blocks.push((u64::from(k) * spb, b.frame, self.bs));
                    due.push(k);
                }
            }
            if phase == Phase::Early && self.sb_dirty {
                blocks.push((sb_sector, self.sb_frame, 1024));
            }
            ends.push(blocks.len());
        }
        if blocks.is_empty() && data.is_empty() {
            return Ok(());
        }
        let frames: Vec<[u64; 1]> = blocks.iter().map(|&(_, f, _)| [f]).collect();
        let metadata = blocks
            .iter()
            .zip(frames.iter())
            .map(|(&(sector, _, len), pages)| Transfer {
                write: true,
                sector,
                pages,
                last_len: len,
            });
        let transfers: Vec<Transfer> = data
            .iter()
            .map(|t| Transfer {
                write: t.write,
                sector: t.sector,
                pages: t.pages,
                last_len: t.last_len,
            })
            .chain(metadata)
            .collect();
        if device_serves_in_order() {
            virtio_blk::transfer(&transfers).map_err(blk_err)?;
        } else {
            let mut from = 0;
            for end in ends {
                let end = data.len() + end;
                if end > from {
                    virtio_blk::transfer(&transfers[from..end]).map_err(blk_err)?;
                }
                from = end;
            }
        }
        self.written += blocks.len() as u64;
        crate::stats::add(
            lstar_abi::stats::WORD_META_BLOCKS_WRITTEN,
            blocks.len() as u64,
        );
        crate::stats::add(
            lstar_abi::stats::WORD_BLK_WRITE_REQUESTS,
            transfers.len() as u64,
        );
        for k in due {
            if let Some(b) = self.map.get_mut(&k) {
                b.dirty = None;
            }
            self.dirty.remove(&k);
        }
        if order.contains(&Phase::Early) {
            self.sb_dirty = false;
        }
        Ok(())
    }
}

/// Whether the disk serves requests one at a time in ring order, each
/// complete before the next is read: lstar's device does
/// (`devices/src/virtio/blk.rs`, `process_queue`), and the kernel knows it
/// runs under lstar by its console status port.
fn device_serves_in_order() -> bool {
    crate::console::under_lstar()
}

/// Little-endian fields of on-disk structures.
#[inline]
pub fn le16(b: &[u8], off: usize) -> u16 {
    u16::from_le_bytes([b[off], b[off + 1]])
}

#[inline]
pub fn le32(b: &[u8], off: usize) -> u32 {
    u32::from_le_bytes([b[off], b[off + 1], b[off + 2], b[off + 3]])
}

#[inline]
pub fn set16(b: &mut [u8], off: usize, v: u16) {
    b[off..off + 2].copy_from_slice(&v.to_le_bytes());
}

#[inline]
pub fn set32(b: &mut [u8], off: usize, v: u32) {
    b[off..off + 4].copy_from_slice(&v.to_le_bytes());
}

const _: () = assert!(PAGE_SIZE == 4096);
