//! ext2 inodes on disk: the 128- or 256-byte record in its group's inode
//! table (fields this kernel does not interpret, such as the extended
//! attribute block or the fields past 128 bytes, are kept as read), and
//! the map of a file's logical blocks: 12 direct, then single, double and
//! triple indirect blocks.

use alloc::collections::{BTreeMap, BTreeSet};
use alloc::vec::Vec;

use super::Io;
use super::buffer::{Phase, le16, le32, set16, set32};
use super::group;
use super::super_block::{RO_COMPAT_LARGE_FILE, S_RO_COMPAT};
use crate::errno::{EFBIG, EIO, Errno};
use crate::fs::inode::{FLAG_IMMUTABLE, Meta, S_IFBLK, S_IFCHR, S_IFMT, Timespec, encode_dev};
use crate::fs::name_map::NameMap;

/// i_flags bits.
pub const IMMUTABLE_FL: u32 = 0x10;
/// A hashed directory index (dir_index); cleared when this kernel changes
/// the directory, which it keeps as a linear one.
pub const INDEX_FL: u32 = 0x1000;

/// Direct blocks; then the indirect, double and triple pointers.
pub const NDIR: usize = 12;

/// An inode's on-disk state beside the generic `Meta`.
pub struct DiskInode {
    /// The record as read (inode_size bytes), rewritten field by field.
    pub raw: Vec<u8>,
    pub block: [u32; 15],
    pub flags: u32,
    /// 512-byte sectors held, indirect and attribute blocks included.
    pub sectors: u32,
    pub mode: u32,
    /// No name left: blocks and inode are freed with the last reference.
    pub unlinked: bool,
    /// Pages reserved at write for delayed allocation, and blocks each.
    pub reserved: BTreeMap<u64, u32>,
    /// Indirect blocks reserved for (by path key).
    pub regions: BTreeSet<(u8, u8, u64)>,
    /// Blocks this inode holds in `Io::reserved`.
    pub reserved_total: u64,
    /// The data blocks among them (the sum of `reserved`'s values).
    pub reserved_data: u64,
    /// A directory's names (built on first lookup): ino, file type and
    /// the logical block holding the entry.
    pub names: Option<NameMap<(u32, u8, u32)>>,
    /// A directory's first block that may have room for an entry (those
    /// before it were found full).
    pub room_from: u64,
}

/// Where inode `ino` lies: (block, offset in it).
fn location(io: &mut Io, ino: u32) -> Result<(u32, usize), Errno> {
    let g = io.g;
    if ino == 0 || ino > g.inodes_count {
        return Err(EIO);
    }
    let d = group::desc(io, g.group_of_ino(ino))?;
    let byte = ((ino - 1) % g.inodes_per_group) * g.inode_size;
    Ok((d.inode_table + byte / g.bs, (byte % g.bs) as usize))
}

fn ts(sec: u32, extra: Option<u32>) -> Timespec {
    // Seconds are signed 32-bit; the extra word adds two epoch bits
    // (years past 2038) and the nanoseconds.
    let base = i64::from(sec as i32);
    match extra {
        Some(x) => Timespec {
            sec: base + (i64::from(x & 3) << 32),
            nsec: (x >> 2).min(999_999_999),
        },
        None => Timespec { sec: base, nsec: 0 },
    }
}

fn ts_extra(t: Timespec) -> u32 {
    let epoch = ((t.sec - i64::from(t.sec as i32)) >> 32) as u32 & 3;
    epoch | (t.nsec << 2)
}

/// Bytes of the large-inode area in use (i_extra_isize), when present.
fn extra_isize(raw: &[u8]) -> usize {
    if raw.len() > 128 {
        usize::from(le16(raw, 128)).min(raw.len() - 128)
    } else {
        0
    }
}

/// Reads inode `ino`'s record.
pub fn read(io: &mut Io, ino: u32) -> Result<(DiskInode, Meta), Errno> {
    let (blk, off) = location(io, ino)?;
    let size = io.g.inode_size as usize;
    let raw = io.buf.get(blk)?[off..off + size].to_vec();
    Ok(parse(raw))
}

pub fn parse(raw: Vec<u8>) -> (DiskInode, Meta) {
    let mut block = [0u32; 15];
    for (i, b) in block.iter_mut().enumerate() {
        *b = le32(&raw, 40 + 4 * i);
    }
    let mode = u32::from(le16(&raw, 0));
    let large = extra_isize(&raw);
    let extra = |off: usize| (large >= off - 128 + 4).then(|| le32(&raw, off));
    let flags = le32(&raw, 32);
    let mut size = u64::from(le32(&raw, 4));
    if mode & S_IFMT == crate::fs::inode::S_IFREG {
        size |= u64::from(le32(&raw, 108)) << 32;
    }
    let ctime = ts(le32(&raw, 12), extra(132));
    let rdev = match mode & S_IFMT {
        S_IFCHR | S_IFBLK if block[0] != 0 => encode_dev(
            u64::from((block[0] >> 8) & 0xff),
            u64::from(block[0] & 0xff),
        ),
        S_IFCHR | S_IFBLK => u64::from(block[1]),
        _ => 0,
    };
    let meta = Meta {
        mode,
        uid: u32::from(le16(&raw, 2)) | u32::from(le16(&raw, 120)) << 16,
        gid: u32::from(le16(&raw, 24)) | u32::from(le16(&raw, 122)) << 16,
        nlink: u32::from(le16(&raw, 26)),
        size,
        blocks: u64::from(le32(&raw, 28)),
        atime: ts(le32(&raw, 8), extra(140)),
        mtime: ts(le32(&raw, 16), extra(136)),
        ctime,
        btime: extra(148).map_or(ctime, |x| ts(le32(&raw, 144), Some(x))),
        rdev,
        flags: if flags & IMMUTABLE_FL != 0 {
            FLAG_IMMUTABLE
        } else {
            0
        },
    };
    let d = DiskInode {
        block,
        flags,
        sectors: le32(&raw, 28),
        mode,
        raw,
        unlinked: false,
        reserved: BTreeMap::new(),
        regions: BTreeSet::new(),
        reserved_total: 0,
        reserved_data: 0,
        names: None,
        room_from: 0,
    };
    (d, meta)
}

/// A fresh record for a new inode (inode_size bytes of zeros, with the
/// large-inode area declared in use as e2fsprogs makes them).
pub fn new_disk(io: &Io, mode: u32) -> DiskInode {
    let mut raw = alloc::vec![0u8; io.g.inode_size as usize];
    if raw.len() >= 160 {
        set16(&mut raw, 128, 32);
    }
    let (mut d, _) = parse(raw);
    d.mode = mode;
    d
}

/// Writes the record of `ino` from `d` and `m` into its inode table block
/// (written in the Inode phase).
pub fn store(io: &mut Io, ino: u32, d: &mut DiskInode, m: &Meta) -> Result<(), Errno> {
    d.mode = m.mode;
    if m.flags & FLAG_IMMUTABLE != 0 {
        d.flags |= IMMUTABLE_FL;
    } else {
        d.flags &= !IMMUTABLE_FL;
    }
    let r = &mut d.raw;
    set16(r, 0, m.mode as u16);
    set16(r, 2, m.uid as u16);
    set16(r, 120, (m.uid >> 16) as u16);
    set16(r, 24, m.gid as u16);
    set16(r, 122, (m.gid >> 16) as u16);
    set32(r, 4, m.size as u32);
    if m.mode & S_IFMT == crate::fs::inode::S_IFREG {
        set32(r, 108, (m.size >> 32) as u32);
    }
    if m.size > i32::MAX as u64 {
        // Sizes past 2 GiB need large_file (mkfs sets it; an old image
        // gets it now, as Linux does).
        let sb = io.buf.sb();
        let ro = le32(sb, S_RO_COMPAT);
        if ro & RO_COMPAT_LARGE_FILE == 0 {
            set32(sb, S_RO_COMPAT, ro | RO_COMPAT_LARGE_FILE);
            io.buf.mark_sb();
        }
    }
    let r = &mut d.raw;
    set32(r, 8, m.atime.sec as u32);
    set32(r, 12, m.ctime.sec as u32);
    set32(r, 16, m.mtime.sec as u32);
    set16(r, 26, m.nlink.min(0xffff) as u16);
    set32(r, 28, d.sectors);
    set32(r, 32, d.flags);
    for (i, b) in d.block.iter().enumerate() {
        set32(r, 40 + 4 * i, *b);
    }
    let large = extra_isize(r);
    for (off, t) in [(132, m.ctime), (136, m.mtime), (140, m.atime)] {
        if large >= off - 128 + 4 {
            set32(r, off, ts_extra(t));
        }
    }
    if large >= 148 - 128 + 4 {
        set32(r, 144, m.btime.sec as u32);
        set32(r, 148, ts_extra(m.btime));
    }
    let (blk, off) = location(io, ino)?;
    let b = io.buf.get(blk)?;
    b[off..off + r.len()].copy_from_slice(r);
    io.buf.mark(blk, Phase::Inode);
    Ok(())
}

/// The slots leading to logical block `lblk`: one in the inode, then one
/// per indirect level; None past the triple indirect range.
pub fn path(per: u64, lblk: u64) -> Option<(usize, [u64; 4])> {
    let n = NDIR as u64;
    if lblk < n {
        return Some((0, [lblk, 0, 0, 0]));
    }
    let l = lblk - n;
    if l < per {
        return Some((1, [12, l, 0, 0]));
    }
    let l = l - per;
    if l < per * per {
        return Some((2, [13, l / per, l % per, 0]));
    }
    let l = l - per * per;
    if l < per * per * per {
        return Some((3, [14, l / (per * per), (l / per) % per, l % per]));
    }
    None
}

/// How a missing block is made in `bmap`.
pub struct Alloc<'a> {
    /// Where to look first; advanced past each block taken, so a file's
    /// blocks come out contiguous.
    pub goal: &'a mut u32,
    /// The data block is metadata too (a directory's): a zeroed buffer.
    pub buffered: bool,
}

/// The disk block of logical block `lblk` (0: a hole), made when `alloc`
/// says so, with the indirect blocks on the way.
pub fn bmap(
    io: &mut Io,
    d: &mut DiskInode,
    lblk: u64,
    mut alloc: Option<Alloc>,
) -> Result<u32, Errno> {
    let (depth, idx) = path(u64::from(io.g.per), lblk).ok_or(EFBIG)?;
    let mut parent: Option<u32> = None;
    let mut slot = idx[0] as usize;
    for level in 0..=depth {
        let cur = match parent {
            None => d.block[slot],
            Some(p) => le32(io.buf.get(p)?, slot * 4),
        };
        let cur = if cur != 0 {
            if !io.g.valid_block(cur) {
                crate::warn!("ext2: block pointer {cur} outside the disk");
                return Err(EIO);
            }
            cur
        } else {
            let Some(a) = alloc.as_mut() else {
                return Ok(0);
            };
            let b = group::alloc_block(io, *a.goal)?;
            *a.goal = b + 1;
            d.sectors += io.g.spb();
            if level < depth || a.buffered {
                io.buf.fresh(b)?;
            } else {
                io.buf.forget(b);
            }
            match parent {
                None => d.block[slot] = b,
                Some(p) => {
                    set32(io.buf.get(p)?, slot * 4, b);
                    io.buf.mark(p, Phase::Early);
                }
            }
            b
        };
        if level == depth {
            return Ok(cur);
        }
        parent = Some(cur);
        slot = idx[level + 1] as usize;
    }
    Ok(0)
}

/// Logical blocks that `count` slots at `level` below cover (per^level).
fn span(per: u64, level: u32) -> u64 {
    per.pow(level)
}

/// Frees the part of the tree under indirect block `blk` (at `level`: 1
/// holds data block numbers) that lies in logical blocks `[from, to)`;
/// `base` is the first logical block it covers. True when `blk` itself
/// was freed: it pointed at nothing any more.
fn free_tree(
    io: &mut Io,
    d: &mut DiskInode,
    blk: u32,
    level: u32,
    base: u64,
    (from, to): (u64, u64),
) -> Result<bool, Errno> {
    let per = u64::from(io.g.per);
    let child = span(per, level - 1);
    let entries: Vec<u32> = {
        let b = io.buf.get(blk)?;
        (0..per as usize).map(|j| le32(b, j * 4)).collect()
    };
    let mut changed = Vec::new();
    for (j, &e) in entries.iter().enumerate() {
        let cb = base + j as u64 * child;
        if e == 0 || cb + child <= from || cb >= to {
            continue;
        }
        if !io.g.valid_block(e) {
            return Err(EIO);
        }
        let freed = if level == 1 {
            group::free_block(io, e)?;
            d.sectors = d.sectors.saturating_sub(io.g.spb());
            true
        } else {
            free_tree(io, d, e, level - 1, cb, (from, to))?
        };
        if freed {
            changed.push(j);
        }
    }
    let left = entries.iter().filter(|&&e| e != 0).count();
    if left == changed.len() {
        group::free_block(io, blk)?;
        d.sectors = d.sectors.saturating_sub(io.g.spb());
        return Ok(true);
    }
    if !changed.is_empty() {
        let b = io.buf.get(blk)?;
        for j in changed {
            set32(b, j * 4, 0);
        }
        io.buf.mark(blk, Phase::Early);
    }
    Ok(false)
}

/// Frees every block of the file at or past logical block `keep`.
pub fn truncate_blocks(io: &mut Io, d: &mut DiskInode, keep: u64) -> Result<(), Errno> {
    free_range(io, d, keep, u64::MAX)
}

/// Frees the data blocks of logical blocks `[from, to)`, and the indirect
/// blocks left pointing at nothing (a hole punched, a truncation).
pub fn free_range(io: &mut Io, d: &mut DiskInode, from: u64, to: u64) -> Result<(), Errno> {
    let per = u64::from(io.g.per);
    for i in 0..NDIR {
        if (from..to).contains(&(i as u64)) && d.block[i] != 0 {
            let b = d.block[i];
            d.block[i] = 0;
            group::free_block(io, b)?;
            d.sectors = d.sectors.saturating_sub(io.g.spb());
        }
    }
    let mut base = NDIR as u64;
    for (slot, level) in [(12usize, 1u32), (13, 2), (14, 3)] {
        let b = d.block[slot];
        let end = base.saturating_add(span(per, level));
        if b != 0 && end > from && base < to {
            if !io.g.valid_block(b) {
                return Err(EIO);
            }
            if free_tree(io, d, b, level, base, (from, to))? {
                d.block[slot] = 0;
            }
        }
        base = end;
    }
    Ok(())
}

/// The whole inode goes (its last reference after its last name): every
/// block, the extended attribute block's reference, then the inode.
pub fn free_all(io: &mut Io, ino: u32, d: &mut DiskInode) -> Result<(), Errno> {
    let (_, m) = parse(d.raw.clone());
    let m = &m;
    let fast_symlink = m.mode & S_IFMT == crate::fs::inode::S_IFLNK && is_fast_symlink(io, d);
    let devnode = matches!(m.mode & S_IFMT, S_IFCHR | S_IFBLK)
        || m.mode & S_IFMT == crate::fs::inode::S_IFIFO
        || m.mode & S_IFMT == crate::fs::inode::S_IFSOCK;
    if !fast_symlink && !devnode {
        truncate_blocks(io, d, 0)?;
    }
    let acl = le32(&d.raw, 104);
    if acl != 0 && io.g.valid_block(acl) {
        // Shared attribute blocks count their users (h_refcount).
        let b = io.buf.get(acl)?;
        let refs = le32(b, 4);
        if refs > 1 {
            set32(b, 4, refs - 1);
            io.buf.mark(acl, Phase::Early);
        } else {
            group::free_block(io, acl)?;
        }
        d.sectors = d.sectors.saturating_sub(io.g.spb());
        set32(&mut d.raw, 104, 0);
    }
    let mut gone = *m;
    gone.nlink = 0;
    gone.size = 0;
    d.block = [0; 15];
    d.sectors = 0;
    let now = Timespec::now();
    set32(&mut d.raw, 20, now.sec as u32);
    store(io, ino, d, &gone)?;
    group::free_inode(io, ino, m.mode & S_IFMT == crate::fs::inode::S_IFDIR)
}

/// The size the record on disk says: no block at or past it is mapped
/// (e2fsck's rule), so pages there need no walk of the block map.
pub fn disk_size(d: &DiskInode) -> u64 {
    let mut size = u64::from(le32(&d.raw, 4));
    if d.mode & S_IFMT == crate::fs::inode::S_IFREG {
        size |= u64::from(le32(&d.raw, 108)) << 32;
    }
    size
}

/// A symlink whose target sits in i_block (no data block).
pub fn is_fast_symlink(io: &Io, d: &DiskInode) -> bool {
    let acl = if le32(&d.raw, 104) != 0 {
        io.g.spb()
    } else {
        0
    };
    d.sectors == acl
}
