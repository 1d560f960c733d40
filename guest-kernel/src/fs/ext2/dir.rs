//! ext2 directories: blocks of variable-length entries (inode, record
//! length, name length, file type, name), read and changed linearly.
//!
//! A dir_index (hashed) directory reads the same way: its index blocks
//! look like one empty entry and its root hides behind `..`. This kernel
//! does not maintain the index, so the first change clears INDEX_FL (as
//! Linux's ext2 does) and e2fsck sees a valid linear directory.

use alloc::vec::Vec;

use super::Io;
use super::buffer::{Phase, le16, le32, set16, set32};
use super::inode::{self, Alloc, DiskInode, INDEX_FL};
use crate::errno::{EIO, Errno};
use crate::fs::inode::FileType;
use crate::fs::name_map::NameMap;

/// ext2's file type codes in entries (with INCOMPAT_FILETYPE).
pub fn ft_code(kind: FileType) -> u8 {
    match kind {
        FileType::Regular => 1,
        FileType::Directory => 2,
        FileType::CharDevice => 3,
        FileType::BlockDevice => 4,
        FileType::Fifo => 5,
        FileType::Socket => 6,
        FileType::Symlink => 7,
    }
}

pub fn ft_kind(code: u8) -> Option<FileType> {
    Some(match code {
        1 => FileType::Regular,
        2 => FileType::Directory,
        3 => FileType::CharDevice,
        4 => FileType::BlockDevice,
        5 => FileType::Fifo,
        6 => FileType::Socket,
        7 => FileType::Symlink,
        _ => return None,
    })
}

/// Bytes an entry with a `len`-byte name needs.
fn rec_size(len: usize) -> usize {
    (8 + len).next_multiple_of(4)
}

/// One entry as found in a block.
pub struct Entry<'a> {
    /// Byte position of the entry in the directory.
    pub pos: u64,
    pub rec_len: usize,
    pub ino: u32,
    pub ftype: u8,
    pub name: &'a [u8],
}

/// The entries of one directory block, checked (a bad record length is
/// corruption: EIO, never a read past the block).
fn entries(
    b: &[u8],
    base: u64,
    filetype: bool,
) -> impl Iterator<Item = Result<Entry<'_>, Errno>> + '_ {
    let mut off = 0usize;
    core::iter::from_fn(move || {
        if off + 8 > b.len() {
            return None;
        }
        let ino = le32(b, off);
        let rec_len = usize::from(le16(b, off + 4));
        let name_len = if filetype {
            usize::from(b[off + 6])
        } else {
            usize::from(le16(b, off + 6))
        };
        if rec_len < 8 || rec_len % 4 != 0 || off + rec_len > b.len() || 8 + name_len > rec_len {
            off = b.len();
            crate::warn!(
                "ext2: a directory block has a bad entry at {}",
                base + off as u64
            );
            return Some(Err(EIO));
        }
        let e = Entry {
            pos: base + off as u64,
            rec_len,
            ino,
            ftype: if filetype { b[off + 7] } else { 0 },
            name: &b[off + 8..off + 8 + name_len],
        };
        off += rec_len;
        Some(Ok(e))
    })
}

/// Calls `f` for each live entry at or after byte `from` until it returns
/// false; `size` is the directory's.
pub fn scan(
    io: &mut Io,
    d: &mut DiskInode,
    size: u64,
    from: u64,
    mut f: impl FnMut(&Entry) -> bool,
) -> Result<(), Errno> {
    let bs = u64::from(io.g.bs);
    let filetype = io.g.filetype;
    for lblk in from / bs..size.div_ceil(bs) {
        let pb = inode::bmap(io, d, lblk, None)?;
        if pb == 0 {
            continue;
        }
        let b = io.buf.get(pb)?;
        for e in entries(b, lblk * bs, filetype) {
            let e = e?;
            if e.ino == 0 || e.pos < from {
                continue;
            }
            if !f(&e) {
                return Ok(());
            }
        }
    }
    Ok(())
}

/// The directory's names, read once (lookups then cost a hash).
pub fn names<'a>(
    io: &mut Io,
    d: &'a mut DiskInode,
    size: u64,
) -> Result<&'a mut NameMap<(u32, u8, u32)>, Errno> {
    if d.names.is_none() {
        let mut map = NameMap::new();
        let bs = u64::from(io.g.bs);
        scan(io, d, size, 0, |e| {
            map.insert(e.name, (e.ino, e.ftype, (e.pos / bs) as u32));
            true
        })?;
        d.names = Some(map);
    }
    d.names.as_mut().ok_or(EIO)
}

fn write_entry(b: &mut [u8], off: usize, rec_len: usize, ino: u32, ftype: u8, name: &[u8]) {
    set32(b, off, ino);
    set16(b, off + 4, rec_len as u16);
    b[off + 6] = name.len() as u8;
    b[off + 7] = ftype;
    b[off + 8..off + 8 + name.len()].copy_from_slice(name);
}

/// Adds `name` -> `ino`: in the first entry with room, else in a new
/// block at the end. Returns the directory's new size.
pub fn add(
    io: &mut Io,
    d: &mut DiskInode,
    size: u64,
    name: &[u8],
    ino: u32,
    ftype: u8,
    goal: u32,
) -> Result<u64, Errno> {
    let ftype = if io.g.filetype { ftype } else { 0 };
    let bs = u64::from(io.g.bs);
    let need = rec_size(name.len());
    d.flags &= !INDEX_FL;
    let filetype = io.g.filetype;
    for lblk in d.room_from.min(size / bs)..size.div_ceil(bs) {
        let pb = inode::bmap(io, d, lblk, None)?;
        if pb == 0 {
            continue;
        }
        let b = io.buf.get(pb)?;
        // Where the entry fits: (offset of the entry to split, its used
        // size, its record length).
        let mut fit = None;
        for e in entries(b, 0, filetype) {
            let e = e?;
            let used = if e.ino == 0 {
                0
            } else {
                rec_size(e.name.len())
            };
            if e.rec_len - used >= need {
                fit = Some((e.pos as usize, used, e.rec_len));
                break;
            }
        }
        if let Some((off, used, rec_len)) = fit {
            if used > 0 {
                set16(b, off + 4, used as u16);
            }
            write_entry(b, off + used, rec_len - used, ino, ftype, name);
            io.buf.mark(pb, Phase::Dir);
            if let Some(map) = d.names.as_mut() {
                map.insert(name, (ino, ftype, lblk as u32));
            }
            d.room_from = lblk;
            return Ok(size);
        }
    }
    // A new block; written before the inode that grows to hold it.
    let lblk = size.div_ceil(bs);
    let mut goal = goal;
    let pb = inode::bmap(
        io,
        d,
        lblk,
        Some(Alloc {
            goal: &mut goal,
            buffered: true,
        }),
    )?;
    let b = io.buf.get(pb)?;
    write_entry(b, 0, bs as usize, ino, ftype, name);
    io.buf.mark(pb, Phase::Early);
    if let Some(map) = d.names.as_mut() {
        map.insert(name, (ino, ftype, lblk as u32));
    }
    d.room_from = lblk;
    Ok((lblk + 1) * bs)
}

/// Where an entry is: logical block, disk block, offset, and the offset
/// of the entry before it in the block.
type Found = (u64, u32, usize, Option<usize>);

/// Finds `name`: (its logical and disk block, offset in it, the previous
/// entry's offset in the same block).
fn find(io: &mut Io, d: &mut DiskInode, size: u64, name: &[u8]) -> Result<Option<Found>, Errno> {
    let bs = u64::from(io.g.bs);
    let filetype = io.g.filetype;
    // The block the name index says, else every block.
    let known = names(io, d, size)?
        .get(name)
        .map(|&(_, _, lblk)| u64::from(lblk));
    let blocks = match known {
        Some(lblk) => lblk..lblk + 1,
        None => 0..size.div_ceil(bs),
    };
    for lblk in blocks {
        let pb = inode::bmap(io, d, lblk, None)?;
        if pb == 0 {
            continue;
        }
        let b = io.buf.get(pb)?;
        let mut prev = None;
        for e in entries(b, 0, filetype) {
            let e = e?;
            if e.ino != 0 && e.name == name {
                return Ok(Some((lblk, pb, e.pos as usize, prev)));
            }
            prev = Some(e.pos as usize);
        }
    }
    Ok(None)
}

/// Removes `name`'s entry (merged into the one before it, or emptied when
/// first in its block). Returns its inode number.
pub fn remove(io: &mut Io, d: &mut DiskInode, size: u64, name: &[u8]) -> Result<u32, Errno> {
    let (lblk, pb, off, prev) = find(io, d, size, name)?.ok_or(crate::errno::ENOENT)?;
    d.flags &= !INDEX_FL;
    d.room_from = d.room_from.min(lblk);
    let b = io.buf.get(pb)?;
    let ino = le32(b, off);
    match prev {
        Some(p) => {
            let merged = le16(b, p + 4) + le16(b, off + 4);
            set16(b, p + 4, merged);
        }
        None => set32(b, off, 0),
    }
    io.buf.mark(pb, Phase::Dir);
    if let Some(map) = d.names.as_mut() {
        map.remove(name);
    }
    Ok(ino)
}

/// Points the existing entry `name` at `ino` (a rename over a name).
pub fn retarget(
    io: &mut Io,
    d: &mut DiskInode,
    size: u64,
    name: &[u8],
    ino: u32,
    ftype: u8,
) -> Result<(), Errno> {
    let (lblk, pb, off, _) = find(io, d, size, name)?.ok_or(crate::errno::ENOENT)?;
    d.flags &= !INDEX_FL;
    let ftype = if io.g.filetype { ftype } else { 0 };
    let filetype = io.g.filetype;
    let b = io.buf.get(pb)?;
    set32(b, off, ino);
    if filetype {
        b[off + 7] = ftype;
    }
    io.buf.mark(pb, Phase::Dir);
    if let Some(map) = d.names.as_mut() {
        map.insert(name, (ino, ftype, lblk as u32));
    }
    Ok(())
}

/// A new directory's first block: `.` and `..`.
pub fn init_block(b: &mut [u8], ino: u32, parent: u32, filetype: bool) {
    let ft = if filetype { 2 } else { 0 };
    write_entry(b, 0, 12, ino, ft, b".");
    let rest = b.len() - 12;
    write_entry(b, 12, rest, parent, ft, b"..");
}

/// Whether only `.` and `..` are left.
pub fn is_empty(io: &mut Io, d: &mut DiskInode, size: u64) -> Result<bool, Errno> {
    let mut empty = true;
    scan(io, d, size, 0, |e| {
        if e.name != b"." && e.name != b".." {
            empty = false;
        }
        empty
    })?;
    Ok(empty)
}

/// Makes a moved directory's `..` name its new parent.
pub fn set_parent(io: &mut Io, d: &mut DiskInode, parent: u32) -> Result<(), Errno> {
    let pb = inode::bmap(io, d, 0, None)?;
    if pb == 0 {
        return Err(EIO);
    }
    let filetype = io.g.filetype;
    let b = io.buf.get(pb)?;
    let mut at = None;
    for e in entries(b, 0, filetype) {
        let e = e?;
        if e.name == b".." {
            at = Some(e.pos as usize);
            break;
        }
    }
    let off = at.ok_or(EIO)?;
    set32(b, off, parent);
    io.buf.mark(pb, Phase::Dir);
    d.flags &= !INDEX_FL;
    Ok(())
}

/// A listed entry: name, inode, type code, position after it.
pub type Listed = (Vec<u8>, u32, u8, u64);

/// Entries from byte `from`, for readdir: (name, ino, type code, position
/// after it), at most `max` of them.
pub fn list(
    io: &mut Io,
    d: &mut DiskInode,
    size: u64,
    from: u64,
    max: usize,
) -> Result<Vec<Listed>, Errno> {
    let mut out = Vec::new();
    scan(io, d, size, from, |e| {
        if e.name != b"." && e.name != b".." {
            out.push((e.name.to_vec(), e.ino, e.ftype, e.pos + e.rec_len as u64));
        }
        out.len() < max
    })?;
    Ok(out)
}
