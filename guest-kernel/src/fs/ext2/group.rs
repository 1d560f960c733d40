//! Block groups: their descriptors, block and inode bitmaps, and
//! allocation near a goal (the file's previous block, the parent's
//! group), with the free counts of the descriptors and the superblock
//! kept exact (e2fsck compares them with the bitmaps).

use super::Io;
use super::buffer::{Phase, le16, le32, set16};
use super::super_block::{S_FREE_BLOCKS, S_FREE_INODES};
use crate::errno::{EIO, ENOSPC, Errno};

const DESC_SIZE: u32 = 32;

/// One group descriptor.
#[derive(Clone, Copy)]
pub struct Desc {
    pub block_bitmap: u32,
    pub inode_bitmap: u32,
    pub inode_table: u32,
    pub free_blocks: u16,
    pub free_inodes: u16,
}

fn desc_at(io: &Io, group: u32) -> (u32, usize) {
    let off = group * DESC_SIZE;
    (io.g.gdt_block() + off / io.g.bs, (off % io.g.bs) as usize)
}

pub fn desc(io: &mut Io, group: u32) -> Result<Desc, Errno> {
    if group >= io.g.groups {
        return Err(EIO);
    }
    let (blk, off) = desc_at(io, group);
    let b = io.buf.get(blk)?;
    let d = Desc {
        block_bitmap: le32(b, off),
        inode_bitmap: le32(b, off + 4),
        inode_table: le32(b, off + 8),
        free_blocks: le16(b, off + 12),
        free_inodes: le16(b, off + 14),
    };
    // A descriptor pointing outside the disk is corruption, not a place
    // to read or write.
    let g = &io.g;
    let table_blocks = (g.inodes_per_group * g.inode_size).div_ceil(g.bs);
    if !g.valid_block(d.block_bitmap)
        || !g.valid_block(d.inode_bitmap)
        || !g.valid_block(d.inode_table)
        || d.inode_table + table_blocks > g.blocks_count
    {
        crate::warn!("ext2: group {group}: descriptor points outside the disk");
        return Err(EIO);
    }
    Ok(d)
}

/// Adds the deltas to group `group`'s counts and the superblock's.
fn count(io: &mut Io, group: u32, blocks: i32, inodes: i32, dirs: i32) -> Result<(), Errno> {
    let (blk, off) = desc_at(io, group);
    let b = io.buf.get(blk)?;
    let add = |v: u16, d: i32| (i32::from(v) + d).clamp(0, 0xffff) as u16;
    set16(b, off + 12, add(le16(b, off + 12), blocks));
    set16(b, off + 14, add(le16(b, off + 14), inodes));
    set16(b, off + 16, add(le16(b, off + 16), dirs));
    io.buf.mark(blk, Phase::Early);
    let sb = io.buf.sb();
    let add32 = |v: u32, d: i32| (i64::from(v) + i64::from(d)).max(0) as u32;
    let fb = add32(le32(sb, S_FREE_BLOCKS), blocks);
    let fi = add32(le32(sb, S_FREE_INODES), inodes);
    sb[S_FREE_BLOCKS..S_FREE_BLOCKS + 4].copy_from_slice(&fb.to_le_bytes());
    sb[S_FREE_INODES..S_FREE_INODES + 4].copy_from_slice(&fi.to_le_bytes());
    io.buf.mark_sb();
    Ok(())
}

/// The first clear bit of `bm` in `[from, n)`, then in `[0, from)`.
fn find_zero(bm: &[u8], n: u32, from: u32) -> Option<u32> {
    let scan = |lo: u32, hi: u32| -> Option<u32> {
        let mut i = lo;
        while i < hi {
            let byte = bm[(i / 8) as usize];
            if byte == 0xff && i.is_multiple_of(8) {
                i += 8;
                continue;
            }
            if byte & (1 << (i % 8)) == 0 {
                return Some(i);
            }
            i += 1;
        }
        None
    };
    scan(from.min(n), n).or_else(|| scan(0, from.min(n)))
}

/// Blocks in group `group` (the last one may be short).
fn blocks_in(io: &Io, group: u32) -> u32 {
    let g = &io.g;
    (g.blocks_count - g.first_data_block - group * g.blocks_per_group).min(g.blocks_per_group)
}

/// A free block, as near `goal` as the bitmaps allow (its group first,
/// from the goal on).
pub fn alloc_block(io: &mut Io, goal: u32) -> Result<u32, Errno> {
    let g = io.g;
    let goal = if g.valid_block(goal) {
        goal
    } else {
        g.first_data_block
    };
    let first = g.group_of_block(goal);
    for k in 0..g.groups {
        let group = (first + k) % g.groups;
        let d = desc(io, group)?;
        if d.free_blocks == 0 {
            continue;
        }
        let from = if k == 0 {
            goal - g.first_data_block - group * g.blocks_per_group
        } else {
            0
        };
        let n = blocks_in(io, group);
        let bm = io.buf.get(d.block_bitmap)?;
        let Some(bit) = find_zero(bm, n, from) else {
            // The count said free but the bitmap is full: corruption.
            crate::warn!("ext2: group {group}: free block count disagrees with its bitmap");
            continue;
        };
        bm[(bit / 8) as usize] |= 1 << (bit % 8);
        io.buf.mark(d.block_bitmap, Phase::Early);
        count(io, group, -1, 0, 0)?;
        return Ok(g.first_data_block + group * g.blocks_per_group + bit);
    }
    Err(ENOSPC)
}

pub fn free_block(io: &mut Io, blk: u32) -> Result<(), Errno> {
    let g = io.g;
    if !g.valid_block(blk) {
        crate::warn!("ext2: freeing block {blk}, outside the disk");
        return Err(EIO);
    }
    io.buf.forget(blk);
    let group = g.group_of_block(blk);
    let bit = blk - g.first_data_block - group * g.blocks_per_group;
    let d = desc(io, group)?;
    let bm = io.buf.get(d.block_bitmap)?;
    let mask = 1 << (bit % 8);
    if bm[(bit / 8) as usize] & mask == 0 {
        crate::warn!("ext2: block {blk} freed twice");
        return Err(EIO);
    }
    bm[(bit / 8) as usize] &= !mask;
    io.buf.mark(d.block_bitmap, Phase::Early);
    count(io, group, 1, 0, 0)
}

/// A free inode number, in `near`'s group first.
pub fn alloc_inode(io: &mut Io, near: u32, dir: bool) -> Result<u32, Errno> {
    let g = io.g;
    for k in 0..g.groups {
        let group = (near + k) % g.groups;
        let d = desc(io, group)?;
        if d.free_inodes == 0 {
            continue;
        }
        let bm = io.buf.get(d.inode_bitmap)?;
        // The reserved inodes below first_ino are never handed out.
        let from = if group == 0 { g.first_ino - 1 } else { 0 };
        let Some(bit) = find_zero(bm, g.inodes_per_group, from).filter(|&b| b >= from) else {
            crate::warn!("ext2: group {group}: free inode count disagrees with its bitmap");
            continue;
        };
        bm[(bit / 8) as usize] |= 1 << (bit % 8);
        io.buf.mark(d.inode_bitmap, Phase::Early);
        count(io, group, 0, -1, i32::from(dir))?;
        return Ok(group * g.inodes_per_group + bit + 1);
    }
    Err(ENOSPC)
}

pub fn free_inode(io: &mut Io, ino: u32, dir: bool) -> Result<(), Errno> {
    let g = io.g;
    if ino == 0 || ino > g.inodes_count {
        return Err(EIO);
    }
    let group = g.group_of_ino(ino);
    let bit = (ino - 1) % g.inodes_per_group;
    let d = desc(io, group)?;
    let bm = io.buf.get(d.inode_bitmap)?;
    let mask = 1 << (bit % 8);
    if bm[(bit / 8) as usize] & mask == 0 {
        crate::warn!("ext2: inode {ino} freed twice");
        return Err(EIO);
    }
    bm[(bit / 8) as usize] &= !mask;
    io.buf.mark(d.inode_bitmap, Phase::Early);
    count(io, group, 0, 1, -i32::from(dir))
}

/// The sums of the group descriptors' free counts (the superblock's are
/// set from them at mount, as Linux's ext2 does).
pub fn totals(io: &mut Io) -> Result<(u32, u32), Errno> {
    let (mut blocks, mut inodes) = (0u32, 0u32);
    for group in 0..io.g.groups {
        let d = desc(io, group)?;
        blocks += u32::from(d.free_blocks);
        inodes += u32::from(d.free_inodes);
    }
    Ok((blocks, inodes))
}
