//! ext2, the disk file system (`/` when /dev/vda holds one).
//!
//! Written by hand (the design brief's choice: no no_std crate writes
//! ext2 with this kernel's write policy), one concept per file:
//! super_block.rs (geometry and features), group.rs (descriptors,
//! bitmaps, allocation), inode.rs (on-disk inodes, the block map),
//! dir.rs (entries), buffer.rs (metadata blocks and their write order);
//! here the mount and the VFS's `InodeOps` and `SuperOps`.
//!
//! The write policy is the product's: write() only dirties the file's
//! pages and reserves room for them (ENOSPC then, not at close); the
//! blocks are allocated when the pages are written back (delayed
//! allocation), at the last close, fsync or exit, which write the data,
//! then the inode, and wait. Namespace changes (create, unlink, rename,
//! mkdir, rmdir, link, symlink, truncate, chmod, chown, utimes) are on
//! disk when their system call returns, written in an order that leaves
//! at most leaks after a crash (buffer.rs).

pub mod buffer;
pub mod dir;
pub mod group;
pub mod inode;
pub mod super_block;

use alloc::boxed::Box;
use alloc::collections::BTreeMap;
use alloc::sync::{Arc, Weak};
use alloc::vec::Vec;
use core::any::Any;
use core::sync::atomic::{AtomicBool, Ordering};

use spin::Mutex;

use self::buffer::{Buffers, CREATE, REMOVE, le32};
use self::inode::{Alloc, DiskInode};
use self::super_block::{Geo, S_FREE_BLOCKS, S_FREE_INODES, Verdict};
use super::file::FileOps;
use super::inode::{
    DirEntry, FileType, Filldir, Inode, InodeOps, InodeRef, Meta, RENAME_EXCHANGE, S_IFDIR,
    S_IFLNK, S_IFMT, S_IFREG, S_ISGID, Timespec, decode_dev,
};
use super::mount::{StatFs, SuperBlock, SuperOps};
use super::mpage::ReadRuns;
use crate::drivers::virtio_blk::{self, SECTOR, Transfer};
use crate::errno::{EEXIST, EIO, ENAMETOOLONG, ENOENT, ENOSPC, ENOTEMPTY, EXDEV, Errno};
use crate::mm::{PAGE_SIZE, frame};

pub const EXT2_MAGIC: u64 = 0xEF53;

/// Whether an ext2 is mounted from /dev/vda (then the raw disk may not
/// be opened for writing: EBUSY).
static MOUNTED: AtomicBool = AtomicBool::new(false);

pub fn mounted() -> bool {
    MOUNTED.load(Ordering::Relaxed)
}

/// The mounted file system, for the shrinker.
static MOUNTED_FS: Mutex<Option<Weak<Fs>>> = Mutex::new(None);

/// Drops up to `want` clean metadata blocks (memory pressure, Linux's
/// buffer-head shrinking; fs/reclaim.rs). Skipped while the file system
/// is in use: the allocation that ran short may come from inside it,
/// holding slices of those blocks. Returns how many frames went back.
pub fn shrink_metadata(want: u64) -> u64 {
    let Some(fs) = MOUNTED_FS.try_lock().and_then(|m| m.as_ref()?.upgrade()) else {
        return 0;
    };
    fs.st.try_lock().map_or(0, |mut st| st.io.buf.shrink(want))
}

/// Frames the metadata cache holds (/proc/meminfo's Buffers).
pub fn metadata_frames() -> u64 {
    buffer::frames()
}

/// What every part works on: the geometry, the metadata blocks, and the
/// blocks promised to pages not yet written back.
pub struct Io {
    pub g: Geo,
    pub buf: Buffers,
    pub reserved: u64,
}

impl Io {
    fn free_blocks(&mut self) -> u64 {
        u64::from(le32(self.buf.sb(), S_FREE_BLOCKS))
    }
    fn free_inodes(&mut self) -> u64 {
        u64::from(le32(self.buf.sb(), S_FREE_INODES))
    }
    /// Blocks that a change may still take.
    fn available(&mut self) -> u64 {
        self.free_blocks().saturating_sub(self.reserved)
    }
}

struct State {
    io: Io,
    /// The on-disk part of every live inode (their `Inode` holds the rest).
    nodes: BTreeMap<u32, DiskInode>,
}

pub struct Fs {
    g: Geo,
    read_only: bool,
    st: Mutex<State>,
    /// Live inodes by number, so that two names of a file are one inode.
    icache: Mutex<BTreeMap<u32, Weak<Inode>>>,
}

fn node(nodes: &mut BTreeMap<u32, DiskInode>, ino: u32) -> Result<&mut DiskInode, Errno> {
    nodes.get_mut(&ino).ok_or(EIO)
}

/// Reads the superblock of /dev/vda and mounts the ext2 there, if any.
/// Returns the root directory's inode; None leaves the tmpfs root (no
/// disk, no ext2, or an ext2 this kernel must not touch, which it says).
pub fn mount() -> Option<InodeRef> {
    let (capacity, dev_ro) = virtio_blk::geometry()?;
    let sb_frame = frame::alloc_zeroed()?;
    let t = Transfer {
        write: false,
        sector: 1024 / SECTOR,
        pages: &[sb_frame],
        last_len: 1024,
    };
    if capacity < 2048 || virtio_blk::transfer(&[t]).is_err() {
        frame::put(sb_frame);
        return None;
    }
    let mut buf = Buffers::new(1024, sb_frame);
    let verdict = super_block::check(buf.sb(), capacity);
    let (g, read_only) = match verdict {
        None => {
            crate::info!("/dev/vda holds no ext2 (no magic): the root is a tmpfs");
            frame::put(sb_frame);
            return None;
        }
        Some(Verdict::Refused(why)) => {
            crate::warn!("ext2 on /dev/vda not mounted: it has {why}; the root is a tmpfs");
            frame::put(sb_frame);
            return None;
        }
        Some(Verdict::ReadOnly(g, why)) => {
            crate::warn!("ext2 on /dev/vda mounted read-only: it has {why}");
            (g, true)
        }
        Some(Verdict::ReadWrite(g)) => (g, dev_ro),
    };
    let mut io = Io {
        g,
        buf: Buffers::new(g.bs, sb_frame),
        reserved: 0,
    };
    drop(buf);
    // The superblock's free counts as the groups' sums (Linux's ext2
    // recounts them too); written at the first change.
    match group::totals(&mut io) {
        Ok((blocks, inodes)) => {
            let sb = io.buf.sb();
            if le32(sb, S_FREE_BLOCKS) != blocks || le32(sb, S_FREE_INODES) != inodes {
                buffer::set32(sb, S_FREE_BLOCKS, blocks);
                buffer::set32(sb, S_FREE_INODES, inodes);
                if !read_only {
                    io.buf.mark_sb();
                }
            }
        }
        Err(_) => {
            crate::warn!(
                "ext2 on /dev/vda not mounted: bad group descriptors; the root is a tmpfs"
            );
            return None;
        }
    }
    let fs = Arc::new(Fs {
        g,
        read_only,
        st: Mutex::new(State {
            io,
            nodes: BTreeMap::new(),
        }),
        icache: Mutex::new(BTreeMap::new()),
    });
    let sb = SuperBlock::new(
        "ext2",
        read_only,
        false,
        Box::new(Ext2Super { fs: fs.clone() }),
    );
    let root = match fs.iget(&sb, 2) {
        Ok(root) if root.is_dir() => root,
        _ => {
            crate::warn!("ext2 on /dev/vda not mounted: its root inode is not a directory");
            return None;
        }
    };
    MOUNTED.store(true, Ordering::Relaxed);
    *MOUNTED_FS.lock() = Some(Arc::downgrade(&fs));
    crate::info!(
        "root: ext2 on /dev/vda, {} blocks of {} bytes, {} inodes{}",
        g.blocks_count,
        g.bs,
        g.inodes_count,
        if read_only { ", read-only" } else { "" }
    );
    Some(root)
}

impl Fs {
    /// The live inode `ino`, read from its table when not in memory.
    fn iget(self: &Arc<Fs>, sb: &Arc<SuperBlock>, ino: u32) -> Result<InodeRef, Errno> {
        if let Some(inode) = self.icache.lock().get(&ino).and_then(Weak::upgrade) {
            return Ok(inode);
        }
        let meta = {
            let mut st = self.st.lock();
            let (d, meta) = inode::read(&mut st.io, ino)?;
            if meta.nlink == 0 || meta.file_type().is_none() {
                crate::warn!("ext2: a directory names inode {ino}, which is free or of no type");
                return Err(EIO);
            }
            st.nodes.insert(ino, d);
            meta
        };
        Ok(self.install(sb, ino, meta))
    }

    fn install(self: &Arc<Fs>, sb: &Arc<SuperBlock>, ino: u32, meta: Meta) -> InodeRef {
        let inode = Inode::new(
            sb,
            u64::from(ino),
            meta,
            Box::new(Ext2Node {
                fs: self.clone(),
                ino,
            }),
        );
        self.icache.lock().insert(ino, Arc::downgrade(&inode));
        inode
    }
}

/// Changes an inode's metadata (ctime and mtime now, as a directory
/// change does, plus `f`) and returns the result.
fn touch(inode: &Inode, f: impl FnOnce(&mut Meta)) -> Meta {
    let now = Timespec::now();
    let mut m = inode.meta.lock();
    m.mtime = now;
    m.ctime = now;
    f(&mut m);
    *m
}

/// Entries readdir takes from the directory per lock.
const READDIR_BATCH: usize = 32;

/// One inode of an ext2 (any type).
struct Ext2Node {
    fs: Arc<Fs>,
    ino: u32,
}

impl Ext2Node {
    fn of(inode: &Inode) -> Result<&Ext2Node, Errno> {
        inode.ops.as_any().downcast_ref::<Ext2Node>().ok_or(EXDEV)
    }

    /// Makes a new inode named `name` in this directory: the inode and
    /// whatever `init` gives it (a directory's first block, a symlink's
    /// target), then the entry; on disk when it returns.
    fn make(
        &self,
        dir: &Inode,
        name: &[u8],
        mode: u32,
        nlink: u32,
        init: impl FnOnce(&mut Io, &mut DiskInode, &mut Meta, u32) -> Result<(), Errno>,
    ) -> Result<InodeRef, Errno> {
        let is_dir = mode & S_IFMT == S_IFDIR;
        let mut meta = Meta::new(mode, nlink);
        let dmeta = dir.meta();
        if dmeta.mode & S_ISGID != 0 {
            meta.gid = dmeta.gid;
            if is_dir {
                meta.mode |= S_ISGID;
            }
        }
        let mut st = self.fs.st.lock();
        let State { io, nodes } = &mut *st;
        let g = io.g;
        if dir::names(io, node(nodes, self.ino)?, dmeta.size)?.contains(name) {
            return Err(EEXIST);
        }
        // Room checked first, so that nothing is half made: a directory
        // block for the entry, one for a new directory or slow symlink.
        if io.available() < 2 + 3 || io.free_inodes() == 0 {
            return Err(ENOSPC);
        }
        let ino = group::alloc_inode(io, g.group_of_ino(self.ino), is_dir)?;
        let mut d = inode::new_disk(io, meta.mode);
        init(io, &mut d, &mut meta, ino)?;
        meta.blocks = u64::from(d.sectors);
        inode::store(io, ino, &mut d, &meta)?;
        let dd = node(nodes, self.ino)?;
        let goal = dd.block[0];
        let ft = dir::ft_code(meta.file_type().unwrap_or(FileType::Regular));
        let size = dir::add(io, dd, dmeta.size, name, ino, ft, goal)?;
        let sectors = dd.sectors;
        let dm = touch(dir, |m| {
            m.size = size;
            m.blocks = u64::from(sectors);
            if is_dir {
                m.nlink += 1;
            }
        });
        inode::store(io, self.ino, dd, &dm)?;
        nodes.insert(ino, d);
        io.buf.sync(&CREATE)?;
        drop(st);
        Ok(self.fs.install(&dir.sb, ino, meta))
    }

    /// Writes pages `(index, frame)` of the file (of `size` bytes) to
    /// their blocks, allocating the missing ones, then its inode.
    fn write_pages(
        &self,
        io: &mut Io,
        d: &mut DiskInode,
        meta: &mut Meta,
        pages: &[(u64, u64)],
    ) -> Result<(), Errno> {
        let bs = u64::from(io.g.bs);
        let bpp = PAGE_SIZE / bs;
        let nblocks = meta.size.div_ceil(bs);
        let mut goal = d
            .block
            .iter()
            .copied()
            .filter(|&b| b != 0)
            .max()
            .map_or_else(
                || {
                    let group = io.g.group_of_ino(self.ino);
                    io.g.first_data_block + group * io.g.blocks_per_group
                },
                |b| b + 1,
            );
        // (disk block, physical address, bytes): blocks next to each other
        // on disk and in memory merged.
        let mut segs: Vec<(u32, u64, u32)> = Vec::new();
        for &(index, frame) in pages {
            for k in 0..bpp {
                let lblk = index * bpp + k;
                if lblk >= nblocks {
                    break;
                }
                let pb = inode::bmap(
                    io,
                    d,
                    lblk,
                    Some(Alloc {
                        goal: &mut goal,
                        buffered: false,
                    }),
                )?;
                let addr = frame + k * bs;
                match segs.last_mut() {
                    Some(s)
                        if u64::from(s.0) + u64::from(s.2) / bs == u64::from(pb)
                            && s.1 + u64::from(s.2) == addr
                            && u64::from(s.2) < PAGE_SIZE =>
                    {
                        s.2 += bs as u32
                    }
                    _ => segs.push((pb, addr, bs as u32)),
                }
            }
        }
        // Requests: whole pages in a row on disk go in one request.
        let seg_max = virtio_blk::seg_max();
        let spb = bs / SECTOR;
        let mut reqs: Vec<(u64, Vec<u64>, u32)> = Vec::new();
        for (pb, addr, len) in segs {
            let sector = u64::from(pb) * spb;
            match reqs.last_mut() {
                Some((s, p, last))
                    if *last == PAGE_SIZE as u32
                        && addr % PAGE_SIZE == 0
                        && *s + p.len() as u64 * (PAGE_SIZE / SECTOR) == sector
                        && p.len() < seg_max =>
                {
                    p.push(addr);
                    *last = len;
                }
                _ => reqs.push((sector, alloc::vec![addr], len)),
            }
        }
        let transfers: Vec<Transfer> = reqs
            .iter()
            .map(|(sector, p, last)| Transfer {
                write: true,
                sector: *sector,
                pages: p,
                last_len: *last,
            })
            .collect();
        crate::stats::add(
            lstar_abi::stats::WORD_PAGES_WRITTEN_BACK,
            pages.len() as u64,
        );
        crate::stats::add(
            lstar_abi::stats::WORD_BLK_WRITE_REQUESTS,
            transfers.len() as u64,
        );
        meta.blocks = u64::from(d.sectors) + self.reserved_sectors(io, d);
        inode::store(io, self.ino, d, meta)?;
        // The data, the new indirect blocks and the bitmaps in one batch,
        // then the inode that points at them.
        io.buf.sync_with(&CREATE, &transfers)
    }

    /// Sectors promised to pages not yet written (st_blocks counts them,
    /// as Linux does for delayed allocation).
    fn reserved_sectors(&self, io: &Io, d: &DiskInode) -> u64 {
        d.reserved_data * u64::from(io.g.spb())
    }

    fn release_reservations(io: &mut Io, d: &mut DiskInode) {
        io.reserved = io.reserved.saturating_sub(d.reserved_total);
        d.reserved.clear();
        d.regions.clear();
        d.reserved_total = 0;
        d.reserved_data = 0;
    }

    fn lookup_ino(&self, dir: &Inode, name: &[u8]) -> Result<(u32, u8), Errno> {
        let size = dir.size();
        let mut st = self.fs.st.lock();
        let State { io, nodes } = &mut *st;
        let d = node(nodes, self.ino)?;
        dir::names(io, d, size)?
            .get(name)
            .map(|&(ino, ft, _)| (ino, ft))
            .ok_or(ENOENT)
    }
}

impl Drop for Ext2Node {
    fn drop(&mut self) {
        // The inode's last reference: an inode without names goes now.
        let mut st = self.fs.st.lock();
        let State { io, nodes } = &mut *st;
        if let Some(mut d) = nodes.remove(&self.ino) {
            Ext2Node::release_reservations(io, &mut d);
            if d.unlinked && !self.fs.read_only {
                let done = inode::free_all(io, self.ino, &mut d).and_then(|_| io.buf.sync(&REMOVE));
                if let Err(e) = done {
                    crate::warn!("ext2: freeing inode {}: {e:?}", self.ino);
                }
            }
        }
        drop(st);
        let mut icache = self.fs.icache.lock();
        if icache.get(&self.ino).is_some_and(|w| w.strong_count() == 0) {
            icache.remove(&self.ino);
        }
    }
}

impl InodeOps for Ext2Node {
    fn as_any(&self) -> &dyn Any {
        self
    }

    fn lookup(&self, dir: &Inode, name: &[u8]) -> Result<InodeRef, Errno> {
        let (ino, _) = self.lookup_ino(dir, name)?;
        self.fs.iget(&dir.sb, ino)
    }

    fn create(&self, dir: &Inode, name: &[u8], mode: u32, rdev: u64) -> Result<InodeRef, Errno> {
        let mode = match FileType::from_mode(mode) {
            None => S_IFREG | (mode & !S_IFMT),
            Some(_) => mode,
        };
        self.make(dir, name, mode, 1, |_, d, m, _| {
            if matches!(
                m.file_type(),
                Some(FileType::CharDevice | FileType::BlockDevice)
            ) {
                m.rdev = rdev;
                let (major, minor) = decode_dev(rdev);
                // The old 16-bit encoding when it fits, as Linux writes.
                if major < 256 && minor < 256 {
                    d.block[0] = ((major << 8) | minor) as u32;
                } else {
                    d.block[1] = rdev as u32;
                }
            }
            Ok(())
        })
    }

    fn mkdir(&self, dir: &Inode, name: &[u8], mode: u32) -> Result<InodeRef, Errno> {
        let parent = self.ino;
        self.make(dir, name, S_IFDIR | (mode & 0o7777), 2, |io, d, m, ino| {
            let group = io.g.group_of_ino(ino);
            let mut goal = io.g.first_data_block + group * io.g.blocks_per_group;
            let pb = inode::bmap(
                io,
                d,
                0,
                Some(Alloc {
                    goal: &mut goal,
                    buffered: true,
                }),
            )?;
            let filetype = io.g.filetype;
            dir::init_block(io.buf.get(pb)?, ino, parent, filetype);
            m.size = u64::from(io.g.bs);
            Ok(())
        })
    }

    fn symlink(&self, dir: &Inode, name: &[u8], target: &[u8]) -> Result<InodeRef, Errno> {
        if target.len() >= self.fs.g.bs as usize {
            return Err(ENAMETOOLONG);
        }
        self.make(dir, name, S_IFLNK | 0o777, 1, |io, d, m, ino| {
            m.size = target.len() as u64;
            if target.len() < 60 {
                // A fast symlink: the target in the block pointers.
                let mut bytes = [0u8; 60];
                bytes[..target.len()].copy_from_slice(target);
                for (i, b) in d.block.iter_mut().enumerate() {
                    *b = le32(&bytes, i * 4);
                }
                return Ok(());
            }
            let group = io.g.group_of_ino(ino);
            let mut goal = io.g.first_data_block + group * io.g.blocks_per_group;
            let pb = inode::bmap(
                io,
                d,
                0,
                Some(Alloc {
                    goal: &mut goal,
                    buffered: true,
                }),
            )?;
            io.buf.get(pb)?[..target.len()].copy_from_slice(target);
            Ok(())
        })
    }

    fn link(&self, dir: &Inode, name: &[u8], target: &InodeRef) -> Result<(), Errno> {
        let t = Ext2Node::of(target)?;
        let dmeta = dir.meta();
        let mut st = self.fs.st.lock();
        let State { io, nodes } = &mut *st;
        if dir::names(io, node(nodes, self.ino)?, dmeta.size)?.contains(name) {
            return Err(EEXIST);
        }
        if io.available() < 1 {
            return Err(ENOSPC);
        }
        let tm = {
            let mut m = target.meta.lock();
            m.nlink += 1;
            m.ctime = Timespec::now();
            *m
        };
        let td = node(nodes, t.ino)?;
        // An O_TMPFILE inode given a name: no longer freed at its last
        // reference.
        td.unlinked = false;
        inode::store(io, t.ino, td, &tm)?;
        let dd = node(nodes, self.ino)?;
        let goal = dd.block[0];
        let ft = dir::ft_code(tm.file_type().unwrap_or(FileType::Regular));
        let size = dir::add(io, dd, dmeta.size, name, t.ino, ft, goal)?;
        let sectors = dd.sectors;
        let dm = touch(dir, |m| {
            m.size = size;
            m.blocks = u64::from(sectors);
        });
        inode::store(io, self.ino, dd, &dm)?;
        io.buf.sync(&CREATE)
    }

    fn unlink(&self, dir: &Inode, name: &[u8]) -> Result<(), Errno> {
        let victim = self.lookup(dir, name)?;
        let v = Ext2Node::of(&victim)?;
        let dsize = dir.size();
        let mut st = self.fs.st.lock();
        let State { io, nodes } = &mut *st;
        let dd = node(nodes, self.ino)?;
        dir::remove(io, dd, dsize, name)?;
        let dm = touch(dir, |_| {});
        inode::store(io, self.ino, dd, &dm)?;
        let vm = {
            let mut m = victim.meta.lock();
            m.nlink = m.nlink.saturating_sub(1);
            m.ctime = Timespec::now();
            *m
        };
        let vd = node(nodes, v.ino)?;
        vd.unlinked = vm.nlink == 0;
        inode::store(io, v.ino, vd, &vm)?;
        io.buf.sync(&REMOVE)?;
        drop(st);
        drop(victim);
        Ok(())
    }

    fn rmdir(&self, dir: &Inode, name: &[u8]) -> Result<(), Errno> {
        let victim = self.lookup(dir, name)?;
        let v = Ext2Node::of(&victim)?;
        let (dsize, vsize) = (dir.size(), victim.size());
        let mut st = self.fs.st.lock();
        let State { io, nodes } = &mut *st;
        if !dir::is_empty(io, node(nodes, v.ino)?, vsize)? {
            return Err(ENOTEMPTY);
        }
        let dd = node(nodes, self.ino)?;
        dir::remove(io, dd, dsize, name)?;
        let dm = touch(dir, |m| m.nlink = m.nlink.saturating_sub(1));
        inode::store(io, self.ino, dd, &dm)?;
        let vm = {
            let mut m = victim.meta.lock();
            m.nlink = 0;
            m.ctime = Timespec::now();
            *m
        };
        let vd = node(nodes, v.ino)?;
        vd.unlinked = true;
        inode::store(io, v.ino, vd, &vm)?;
        io.buf.sync(&REMOVE)?;
        drop(st);
        drop(victim);
        Ok(())
    }

    fn rename(
        &self,
        old_dir: &Inode,
        old_name: &[u8],
        new_dir: &Inode,
        new_name: &[u8],
        flags: u32,
    ) -> Result<(), Errno> {
        let target = Ext2Node::of(new_dir)?;
        let moving = self.lookup(old_dir, old_name)?;
        let existing = target.lookup(new_dir, new_name).ok();
        let exchange = flags & RENAME_EXCHANGE != 0;
        if exchange && existing.is_none() {
            return Err(ENOENT);
        }
        if let Some(e) = &existing
            && Arc::ptr_eq(e, &moving)
        {
            return Ok(());
        }
        let same = old_dir.ino == new_dir.ino;
        let (mino, mft, mdir) = (
            moving.ino as u32,
            dir::ft_code(moving.file_type()),
            moving.is_dir(),
        );
        let mut st = self.fs.st.lock();
        let State { io, nodes } = &mut *st;
        if io.available() < 1 {
            return Err(ENOSPC);
        }
        let old_size = old_dir.size();
        let mut new_size = new_dir.size();
        // (nlink change of the old directory, of the new one)
        let (mut old_links, mut new_links) = (0i64, 0i64);
        if let Some(other) = &existing {
            let (oino, oft, odir) = (
                other.ino as u32,
                dir::ft_code(other.file_type()),
                other.is_dir(),
            );
            dir::retarget(io, node(nodes, target.ino)?, new_size, new_name, mino, mft)?;
            if exchange {
                dir::retarget(io, node(nodes, self.ino)?, old_size, old_name, oino, oft)?;
                if !same {
                    if odir {
                        dir::set_parent(io, node(nodes, oino)?, self.ino)?;
                        old_links += 1;
                        new_links -= 1;
                    }
                    if mdir {
                        dir::set_parent(io, node(nodes, mino)?, target.ino)?;
                        old_links -= 1;
                        new_links += 1;
                    }
                }
                let om = {
                    let mut m = other.meta.lock();
                    m.ctime = Timespec::now();
                    *m
                };
                inode::store(io, oino, node(nodes, oino)?, &om)?;
            } else {
                let om = {
                    let mut m = other.meta.lock();
                    m.nlink = if odir { 0 } else { m.nlink.saturating_sub(1) };
                    m.ctime = Timespec::now();
                    *m
                };
                if odir {
                    new_links -= 1;
                }
                let od = node(nodes, oino)?;
                od.unlinked = om.nlink == 0;
                inode::store(io, oino, od, &om)?;
            }
        } else {
            let nd = node(nodes, target.ino)?;
            let goal = nd.block[0];
            new_size = dir::add(io, nd, new_size, new_name, mino, mft, goal)?;
        }
        if !exchange {
            // The old name goes after the new one is written (both in the
            // directory phase): a crash between leaves two names, which
            // e2fsck counts, never none.
            let od = node(nodes, self.ino)?;
            let size = if same { new_size } else { old_size };
            dir::remove(io, od, size, old_name)?;
            if mdir && !same {
                dir::set_parent(io, node(nodes, mino)?, target.ino)?;
                old_links -= 1;
                new_links += 1;
            }
        }
        let mm = {
            let mut m = moving.meta.lock();
            m.ctime = Timespec::now();
            *m
        };
        inode::store(io, mino, node(nodes, mino)?, &mm)?;
        let adjust = |n: u32, by: i64| (i64::from(n) + by).max(0) as u32;
        let nd = node(nodes, target.ino)?;
        let nsectors = nd.sectors;
        let nm = touch(new_dir, |m| {
            m.size = new_size;
            m.blocks = u64::from(nsectors);
            // A directory replaced in its own parent still takes a link.
            let by = if same {
                new_links + old_links
            } else {
                new_links
            };
            m.nlink = adjust(m.nlink, by);
        });
        inode::store(io, target.ino, nd, &nm)?;
        if !same {
            let om = touch(old_dir, |m| m.nlink = adjust(m.nlink, old_links));
            inode::store(io, self.ino, node(nodes, self.ino)?, &om)?;
        }
        io.buf.sync(&CREATE)?;
        drop(st);
        drop(existing);
        Ok(())
    }

    fn readdir(&self, dir: &Inode, pos: u64, emit: &mut Filldir) -> Result<(), Errno> {
        let size = dir.size();
        let mut pos = pos;
        loop {
            // Copied out a few at a time: emit writes to user memory,
            // which may fault a file page in through this same file
            // system; and a small buffer takes only a few entries, so
            // listing far ahead would be parsing for nothing.
            let list = {
                let mut st = self.fs.st.lock();
                let State { io, nodes } = &mut *st;
                dir::list(io, node(nodes, self.ino)?, size, pos, READDIR_BATCH)?
            };
            let more = list.len() == READDIR_BATCH;
            for (name, ino, ft, next) in list {
                let kind = match dir::ft_kind(ft) {
                    Some(k) => k,
                    None => self.fs.iget(&dir.sb, ino)?.file_type(),
                };
                let e = DirEntry {
                    name: &name,
                    ino: u64::from(ino),
                    kind,
                };
                if !emit(&e, next) {
                    return Ok(());
                }
                pos = next;
            }
            if !more {
                return Ok(());
            }
        }
    }

    fn is_empty_dir(&self, dir: &Inode) -> bool {
        let size = dir.size();
        let mut st = self.fs.st.lock();
        let State { io, nodes } = &mut *st;
        node(nodes, self.ino).is_ok_and(|d| dir::is_empty(io, d, size).unwrap_or(false))
    }

    fn readlink(&self, inode: &Inode) -> Result<Vec<u8>, Errno> {
        let size = inode.size() as usize;
        let mut st = self.fs.st.lock();
        let State { io, nodes } = &mut *st;
        let d = node(nodes, self.ino)?;
        if size >= io.g.bs as usize {
            return Err(EIO);
        }
        if inode::is_fast_symlink(io, d) {
            if size > 60 {
                return Err(EIO);
            }
            return Ok(d.raw[40..40 + size].to_vec());
        }
        let pb = inode::bmap(io, d, 0, None)?;
        if pb == 0 {
            return Err(EIO);
        }
        Ok(io.buf.get(pb)?[..size].to_vec())
    }

    fn readpage(&self, inode: &Inode, index: u64, frame: u64) -> Result<(), Errno> {
        self.readpages(inode, index, &[frame])
    }

    fn readpages(&self, inode: &Inode, first: u64, frames: &[u64]) -> Result<(), Errno> {
        let size = inode.size();
        let mut st = self.fs.st.lock();
        let State { io, nodes } = &mut *st;
        let d = node(nodes, self.ino)?;
        let bs = u64::from(io.g.bs);
        let bpp = PAGE_SIZE / bs;
        // Blocks at or past the size on disk are holes (a page a write
        // is about to fill, past the end: nothing to read).
        let nblocks = size.min(inode::disk_size(d)).div_ceil(bs);
        let mut reads = ReadRuns::new(virtio_blk::seg_max() as u64);
        'pages: for (p, &frame) in frames.iter().enumerate() {
            for k in 0..bpp {
                let lblk = (first + p as u64) * bpp + k;
                if lblk >= nblocks {
                    break 'pages;
                }
                let pb = inode::bmap(io, d, lblk, None)?;
                if pb != 0 {
                    reads.add(u64::from(pb) * (bs / SECTOR), frame, k * bs, bs as u32);
                }
            }
        }
        drop(st);
        reads.submit()
    }

    fn reserve_page(&self, inode: &Inode, index: u64) -> Result<(), Errno> {
        let mut st = self.fs.st.lock();
        let State { io, nodes } = &mut *st;
        let d = node(nodes, self.ino)?;
        if d.reserved.contains_key(&index) {
            return Ok(());
        }
        let bs = u64::from(io.g.bs);
        let bpp = PAGE_SIZE / bs;
        let per = u64::from(io.g.per);
        let mut data = 0u32;
        let mut regions = Vec::new();
        // Past the size on disk nothing is mapped: no walk (appends).
        let mapped_below = inode::disk_size(d).div_ceil(bs);
        for k in 0..bpp {
            let lblk = index * bpp + k;
            let (depth, idx) = inode::path(per, lblk).ok_or(crate::errno::EFBIG)?;
            if lblk < mapped_below && inode::bmap(io, d, lblk, None)? != 0 {
                continue;
            }
            data += 1;
            // The indirect blocks on its way, once per file and writeback
            // (some may exist already: a few blocks too many promised).
            for level in 0..depth {
                let key = (idx[0] as u8, level as u8, prefix(&idx, level, per));
                if !d.regions.contains(&key) && !regions.contains(&key) {
                    regions.push(key);
                }
            }
        }
        if data == 0 {
            return Ok(());
        }
        let need = u64::from(data) + regions.len() as u64;
        if io.available() < need {
            return Err(ENOSPC);
        }
        d.regions.extend(regions);
        io.reserved += need;
        d.reserved_total += need;
        d.reserved.insert(index, data);
        d.reserved_data += u64::from(data);
        let blocks = u64::from(d.sectors) + self.reserved_sectors(io, d);
        inode.meta.lock().blocks = blocks;
        Ok(())
    }

    fn dirty_inode(&self, _inode: &Inode) {
        // Size and times are in the generic inode; they reach the disk
        // with the pages, at writeback.
    }

    fn writepages(&self, inode: &Inode, pages: Vec<(u64, u64)>) -> Result<(), Errno> {
        if pages.is_empty() || self.fs.read_only {
            return Ok(());
        }
        let mut meta = inode.meta();
        let mut st = self.fs.st.lock();
        let State { io, nodes } = &mut *st;
        let d = node(nodes, self.ino)?;
        let done = self.write_pages(io, d, &mut meta, &pages);
        Ext2Node::release_reservations(io, d);
        let blocks = u64::from(d.sectors);
        drop(st);
        inode.meta.lock().blocks = blocks;
        done
    }

    fn fsync(&self, inode: &Inode) -> Result<(), Errno> {
        inode.writeback()?;
        virtio_blk::flush().map_err(|_| EIO)?;
        crate::stats::add(lstar_abi::stats::WORD_BLK_FLUSHES, 1);
        Ok(())
    }

    fn truncate(&self, inode: &Inode, size: u64) -> Result<(), Errno> {
        let old = inode.size();
        if size >= old || inode.file_type() != FileType::Regular {
            return Ok(());
        }
        // The block that keeps the new end: its bytes past it must read
        // as zeros if the file grows again, on disk too.
        let tail = if !size.is_multiple_of(PAGE_SIZE) {
            let index = size / PAGE_SIZE;
            let frame = inode.get_page(index)?;
            let off = size % PAGE_SIZE;
            // SAFETY: a cache frame of this inode, direct-mapped; the
            // range stays inside it.
            unsafe {
                core::ptr::write_bytes(
                    (crate::mm::phys_to_virt(frame) + off) as *mut u8,
                    0,
                    (PAGE_SIZE - off) as usize,
                )
            };
            Some((index, frame))
        } else {
            None
        };
        let mut meta = inode.meta();
        meta.size = size;
        let mut st = self.fs.st.lock();
        let State { io, nodes } = &mut *st;
        let d = node(nodes, self.ino)?;
        let first_gone = size.div_ceil(PAGE_SIZE);
        let gone: Vec<u64> = d.reserved.range(first_gone..).map(|(&k, _)| k).collect();
        for k in gone {
            if let Some(n) = d.reserved.remove(&k) {
                d.reserved_total = d.reserved_total.saturating_sub(u64::from(n));
                d.reserved_data = d.reserved_data.saturating_sub(u64::from(n));
                io.reserved = io.reserved.saturating_sub(u64::from(n));
            }
        }
        inode::truncate_blocks(io, d, size.div_ceil(u64::from(io.g.bs)))?;
        if let Some(page) = tail {
            // Only mapped blocks are written: a hole there stays one.
            let bs = u64::from(io.g.bs);
            let lblk = size / bs;
            if inode::bmap(io, d, lblk, None)? != 0 {
                let mut m = meta;
                m.size = size;
                self.write_pages(io, d, &mut m, &[page])?;
            }
        }
        meta.blocks = u64::from(d.sectors) + self.reserved_sectors(io, d);
        inode::store(io, self.ino, d, &meta)?;
        io.buf.sync(&REMOVE)?;
        drop(st);
        inode.meta.lock().blocks = meta.blocks;
        Ok(())
    }

    fn punch_hole(&self, inode: &Inode, start: u64, end: u64) -> Result<(), Errno> {
        if inode.file_type() != FileType::Regular || start >= end {
            return Ok(());
        }
        let bs = u64::from(self.fs.g.bs);
        // The pages at the edges, in the cache: the VFS zeroes their part
        // of the range there, which later reads and writeback see.
        for p in [start / PAGE_SIZE, (end - 1) / PAGE_SIZE] {
            let whole = start <= p * PAGE_SIZE && (p + 1) * PAGE_SIZE <= end;
            if !whole {
                inode.get_page(p)?;
            }
        }
        inode.punch_hole(start, end);
        let meta = touch(inode, |_| {});
        let (first_full, last_full) = (start.div_ceil(PAGE_SIZE), end / PAGE_SIZE);
        // Blocks partly in the range (at most two) keep their other bytes.
        let partial: Vec<u64> = {
            let (a, b) = (start / bs, (end - 1) / bs);
            let mut v = Vec::new();
            if !start.is_multiple_of(bs) || end < (a + 1) * bs {
                v.push(a);
            }
            if b != a && !end.is_multiple_of(bs) {
                v.push(b);
            }
            v
        };
        let mut st = self.fs.st.lock();
        let State { io, nodes } = &mut *st;
        let d = node(nodes, self.ino)?;
        // The pages dropped promised blocks that will never be written.
        let gone: Vec<u64> = d
            .reserved
            .range(first_full..last_full.max(first_full))
            .map(|(&k, _)| k)
            .collect();
        for k in gone {
            if let Some(n) = d.reserved.remove(&k) {
                d.reserved_total = d.reserved_total.saturating_sub(u64::from(n));
                d.reserved_data = d.reserved_data.saturating_sub(u64::from(n));
                io.reserved = io.reserved.saturating_sub(u64::from(n));
            }
        }
        // A partial block on disk gets its zeros now when its page is
        // clean (a dirty page goes out whole at writeback).
        let mut addrs: Vec<(u64, [u64; 1])> = Vec::new();
        for lblk in partial {
            let index = lblk * bs / PAGE_SIZE;
            if lblk * bs >= inode::disk_size(d) || inode.pages.lock().is_dirty(index) {
                continue;
            }
            let pb = inode::bmap(io, d, lblk, None)?;
            if let (true, Some(frame)) = (pb != 0, inode.find_page(index)) {
                let sector = u64::from(pb) * (bs / SECTOR);
                addrs.push((sector, [frame + lblk * bs % PAGE_SIZE]));
            }
        }
        let data: Vec<Transfer> = addrs
            .iter()
            .map(|(sector, pages)| Transfer {
                write: true,
                sector: *sector,
                pages,
                last_len: bs as u32,
            })
            .collect();
        let (from, to) = (start.div_ceil(bs), end / bs);
        if from < to {
            inode::free_range(io, d, from, to)?;
        }
        let mut meta = meta;
        meta.blocks = u64::from(d.sectors) + self.reserved_sectors(io, d);
        inode::store(io, self.ino, d, &meta)?;
        io.buf.sync_with(&REMOVE, &data)?;
        drop(st);
        inode.meta.lock().blocks = meta.blocks;
        Ok(())
    }

    fn write_inode(&self, inode: &Inode) -> Result<(), Errno> {
        if self.fs.read_only {
            return Ok(());
        }
        let meta = inode.meta();
        let mut st = self.fs.st.lock();
        let State { io, nodes } = &mut *st;
        let d = node(nodes, self.ino)?;
        inode::store(io, self.ino, d, &meta)?;
        io.buf.sync(&CREATE)
    }

    fn open(&self, inode: &InodeRef, flags: u32) -> Option<Result<Arc<dyn FileOps>, Errno>> {
        match inode.file_type() {
            FileType::Regular | FileType::Directory | FileType::Symlink => None,
            _ => Some(super::devfs::open_node(inode, flags)),
        }
    }
}

/// The index path of `idx` down to `level`, as one number (a key for the
/// indirect block at that level).
fn prefix(idx: &[u64; 4], level: usize, per: u64) -> u64 {
    idx[1..=level].iter().fold(0, |acc, &i| acc * per + i)
}

struct Ext2Super {
    fs: Arc<Fs>,
}

impl SuperOps for Ext2Super {
    fn statfs(&self, _sb: &SuperBlock) -> StatFs {
        let mut st = self.fs.st.lock();
        let io = &mut st.io;
        let g = io.g;
        let free = io.available();
        StatFs {
            magic: EXT2_MAGIC,
            bsize: u64::from(g.bs),
            blocks: u64::from(g.blocks_count),
            bfree: free,
            bavail: free.saturating_sub(u64::from(g.r_blocks)),
            files: u64::from(g.inodes_count),
            ffree: io.free_inodes(),
            namelen: 255,
            flags: 0,
        }
    }

    fn sync(&self, _sb: &SuperBlock) -> Result<(), Errno> {
        let live: Vec<InodeRef> = self
            .fs
            .icache
            .lock()
            .values()
            .filter_map(Weak::upgrade)
            .collect();
        for inode in &live {
            inode.writeback()?;
        }
        drop(live);
        if self.fs.read_only {
            return Ok(());
        }
        self.fs.st.lock().io.buf.sync(&CREATE)?;
        virtio_blk::flush().map_err(|_| EIO)
    }
}
