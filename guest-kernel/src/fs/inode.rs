//! Inodes: the generic part every file system shares (Linux's `struct
//! inode`: number, type and mode, owners, link count, size, times, device
//! number, the page cache of its data) and the part each file system
//! implements (`InodeOps`, Linux's `inode_operations` plus the
//! `address_space_operations` that fill and write pages).
//!
//! The generic fields live here so that stat, chmod, chown, utimensat and
//! the page-cache read/write path work the same for tmpfs, procfs and the
//! disk file system to come; a file system that stores inodes on disk is
//! told through `InodeOps::write_inode` when they change.

use alloc::sync::Arc;
use alloc::vec::Vec;
use core::any::Any;

use spin::Mutex;

use super::file::FileOps;
use super::mount::SuperBlock;
use super::page_cache::PageIndex;
use super::writeback::Reason;
use crate::errno::{EINVAL, EIO, ENOTDIR, EPERM, Errno};

pub type InodeRef = Arc<Inode>;

pub const S_IFMT: u32 = 0o170000;
pub const S_IFSOCK: u32 = 0o140000;
pub const S_IFLNK: u32 = 0o120000;
pub const S_IFREG: u32 = 0o100000;
pub const S_IFBLK: u32 = 0o060000;
pub const S_IFDIR: u32 = 0o040000;
pub const S_IFCHR: u32 = 0o020000;
pub const S_IFIFO: u32 = 0o010000;
/// The permission bits chmod may set (with setuid, setgid, sticky).
pub const S_IALLUGO: u32 = 0o7777;

/// `FS_IMMUTABLE_FL`: no writes, truncation, links or removal, even for
/// root (what `--file HOST:GUEST:ro` gives).
pub const FLAG_IMMUTABLE: u32 = 0x10;
/// Kernel-internal: an O_TMPFILE inode, which linkat may name (I_LINKABLE).
pub const FLAG_LINKABLE: u32 = 1 << 31;
/// S_ISGID: on a directory, new entries take its group (and new
/// directories the bit).
pub const S_ISGID: u32 = 0o2000;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Timespec {
    pub sec: i64,
    pub nsec: u32,
}

impl Timespec {
    pub fn now() -> Timespec {
        let ns = crate::kernel::time::realtime_ns();
        Timespec {
            sec: (ns / 1_000_000_000) as i64,
            nsec: (ns % 1_000_000_000) as u32,
        }
    }
}

/// The kind of an inode, from the S_IFMT bits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileType {
    Regular,
    Directory,
    Symlink,
    CharDevice,
    BlockDevice,
    Fifo,
    Socket,
}

impl FileType {
    pub fn from_mode(mode: u32) -> Option<FileType> {
        Some(match mode & S_IFMT {
            S_IFREG => FileType::Regular,
            S_IFDIR => FileType::Directory,
            S_IFLNK => FileType::Symlink,
            S_IFCHR => FileType::CharDevice,
            S_IFBLK => FileType::BlockDevice,
            S_IFIFO => FileType::Fifo,
            S_IFSOCK => FileType::Socket,
            _ => return None,
        })
    }

    /// The `d_type` of a directory entry (DT_*).
    pub fn dirent_type(self) -> u8 {
        match self {
            FileType::Fifo => 1,
            FileType::CharDevice => 2,
            FileType::Directory => 4,
            FileType::BlockDevice => 6,
            FileType::Regular => 8,
            FileType::Symlink => 10,
            FileType::Socket => 12,
        }
    }
}

/// What stat reports, kept in memory for every live inode.
#[derive(Clone, Copy, Debug, Default)]
pub struct Meta {
    /// Type and permission bits.
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    pub nlink: u32,
    pub size: u64,
    /// 512-byte units allocated (st_blocks).
    pub blocks: u64,
    pub atime: Timespec,
    pub mtime: Timespec,
    pub ctime: Timespec,
    pub btime: Timespec,
    /// The device number of a device node, encoded as `new_encode_dev`.
    pub rdev: u64,
    pub flags: u32,
}

impl Meta {
    /// A fresh inode's metadata: owned by root (the only user), all times now.
    pub fn new(mode: u32, nlink: u32) -> Meta {
        let now = Timespec::now();
        Meta {
            mode,
            nlink,
            atime: now,
            mtime: now,
            ctime: now,
            btime: now,
            ..Meta::default()
        }
    }

    pub fn file_type(&self) -> Option<FileType> {
        FileType::from_mode(self.mode)
    }

    pub fn is_dir(&self) -> bool {
        self.mode & S_IFMT == S_IFDIR
    }

    pub fn immutable(&self) -> bool {
        self.flags & FLAG_IMMUTABLE != 0
    }
}

/// `new_encode_dev(MKDEV(major, minor))`, as stat reports device numbers.
pub const fn encode_dev(major: u64, minor: u64) -> u64 {
    (minor & 0xff) | (major << 8) | ((minor & !0xff) << 12)
}

/// The (major, minor) of an encoded device number.
pub const fn decode_dev(dev: u64) -> (u64, u64) {
    ((dev >> 8) & 0xfff, (dev & 0xff) | ((dev >> 12) & !0xff))
}

/// One entry produced by `InodeOps::readdir`.
pub struct DirEntry<'a> {
    pub name: &'a [u8],
    pub ino: u64,
    pub kind: FileType,
}

/// Called for each entry with the position after it; returns false when
/// the caller's buffer is full (the entry is then not consumed).
pub type Filldir<'a> = dyn FnMut(&DirEntry, u64) -> bool + 'a;

/// How rename treats an existing target (renameat2 flags).
pub const RENAME_NOREPLACE: u32 = 1;
pub const RENAME_EXCHANGE: u32 = 2;

/// A file system's operations on one of its inodes. Defaults answer as
/// Linux does for an inode that lacks the operation. The VFS has already
/// checked names (length, `.` and `..`), types (ENOTDIR, EISDIR, ...),
/// existence and the immutable flag before it calls these.
pub trait InodeOps: Send + Sync {
    /// For downcasts between inodes of one file system (rename, link).
    fn as_any(&self) -> &dyn Any;

    // --- directories -------------------------------------------------
    fn lookup(&self, _dir: &Inode, _name: &[u8]) -> Result<InodeRef, Errno> {
        Err(ENOTDIR)
    }
    /// Creates a regular file, device node, fifo or socket (mknod).
    fn create(
        &self,
        _dir: &Inode,
        _name: &[u8],
        _mode: u32,
        _rdev: u64,
    ) -> Result<InodeRef, Errno> {
        Err(EPERM)
    }
    fn mkdir(&self, _dir: &Inode, _name: &[u8], _mode: u32) -> Result<InodeRef, Errno> {
        Err(EPERM)
    }
    fn symlink(&self, _dir: &Inode, _name: &[u8], _target: &[u8]) -> Result<InodeRef, Errno> {
        Err(EPERM)
    }
    /// Adds a name for `inode` in this directory.
    fn link(&self, _dir: &Inode, _name: &[u8], _inode: &InodeRef) -> Result<(), Errno> {
        Err(EPERM)
    }
    /// Removes the name of a non-directory.
    fn unlink(&self, _dir: &Inode, _name: &[u8]) -> Result<(), Errno> {
        Err(EPERM)
    }
    /// Removes the name of an empty directory.
    fn rmdir(&self, _dir: &Inode, _name: &[u8]) -> Result<(), Errno> {
        Err(EPERM)
    }
    /// Moves `old_name` of this directory to `new_name` of `new_dir` (same
    /// file system), replacing or exchanging as `flags` say.
    fn rename(
        &self,
        _old_dir: &Inode,
        _old_name: &[u8],
        _new_dir: &Inode,
        _new_name: &[u8],
        _flags: u32,
    ) -> Result<(), Errno> {
        Err(EPERM)
    }
    /// Lists entries from position `pos` (0 is the first entry after `.`
    /// and `..`, which the VFS emits itself).
    fn readdir(&self, _dir: &Inode, _pos: u64, _emit: &mut Filldir) -> Result<(), Errno> {
        Err(ENOTDIR)
    }
    /// Whether the directory has entries besides `.` and `..`.
    fn is_empty_dir(&self, _dir: &Inode) -> bool {
        true
    }

    // --- symlinks ----------------------------------------------------
    fn readlink(&self, _inode: &Inode) -> Result<Vec<u8>, Errno> {
        Err(EINVAL)
    }

    // --- data (regular files, through the page cache) -----------------
    /// Fills the cache page `index` (a zeroed frame) from the backing store.
    /// A file system without one leaves the zeros (holes, tmpfs).
    fn readpage(&self, _inode: &Inode, _index: u64, _frame: u64) -> Result<(), Errno> {
        Ok(())
    }
    /// Fills pages `first, first + 1, ...` into `frames` (zeroed), in as
    /// few device requests as the blocks allow (read-ahead). The default
    /// reads them one by one.
    fn readpages(&self, inode: &Inode, first: u64, frames: &[u64]) -> Result<(), Errno> {
        for (i, &frame) in frames.iter().enumerate() {
            self.readpage(inode, first + i as u64, frame)?;
        }
        Ok(())
    }
    /// Writes a dirty page back; memory-only file systems keep it.
    fn writepage(&self, _inode: &Inode, _index: u64, _frame: u64) -> Result<(), Errno> {
        Ok(())
    }
    /// FALLOC_FL_PUNCH_HOLE of `[start, end)` (within the size) on a file
    /// system with a backing store: its storage freed, the range reading
    /// as zeros. Memory file systems use `Inode::punch_hole` alone.
    fn punch_hole(&self, _inode: &Inode, _start: u64, _end: u64) -> Result<(), Errno> {
        Err(crate::errno::EOPNOTSUPP)
    }
    /// The size changed to `size` (truncate, extend): release storage
    /// past it. The VFS has already dropped cached pages past the end.
    fn truncate(&self, _inode: &Inode, _size: u64) -> Result<(), Errno> {
        Ok(())
    }
    /// Whether a new page may be added to the cache (tmpfs: within its
    /// size limit; ENOSPC otherwise).
    fn charge_page(&self, _inode: &Inode) -> Result<(), Errno> {
        Ok(())
    }
    /// `n` pages at once (a boot file's).
    fn charge_pages(&self, inode: &Inode, n: u64) -> Result<(), Errno> {
        for _ in 0..n {
            self.charge_page(inode)?;
        }
        Ok(())
    }
    /// A page left the cache (tmpfs gives its share back).
    fn uncharge_page(&self, _inode: &Inode) {}
    /// Metadata changed; file systems with on-disk inodes write it.
    fn write_inode(&self, _inode: &Inode) -> Result<(), Errno> {
        Ok(())
    }
    /// A write() changed the size or times: no I/O now (Linux's
    /// mark_inode_dirty), the inode goes out with the pages at writeback.
    fn dirty_inode(&self, _inode: &Inode) {}
    /// Page `index` is about to be written: a disk file system promises
    /// it room now (delayed allocation: ENOSPC at write, not at close).
    fn reserve_page(&self, _inode: &Inode, _index: u64) -> Result<(), Errno> {
        Ok(())
    }
    /// Writes back the dirty pages `(index, frame)` (already marked
    /// clean), then what changed of the inode.
    fn writepages(&self, inode: &Inode, pages: Vec<(u64, u64)>) -> Result<(), Errno> {
        for (index, frame) in pages {
            self.writepage(inode, index, frame)?;
        }
        Ok(())
    }
    /// fsync: writeback, and for a disk a device flush.
    fn fsync(&self, inode: &Inode) -> Result<(), Errno> {
        inode.writeback()
    }

    // --- opening -----------------------------------------------------
    /// File operations for an open of this inode, when it is not a plain
    /// regular file or directory (devices, procfs files, fifos).
    fn open(&self, _inode: &InodeRef, _flags: u32) -> Option<Result<Arc<dyn FileOps>, Errno>> {
        None
    }
}

/// A live inode.
pub struct Inode {
    pub ino: u64,
    pub sb: Arc<SuperBlock>,
    pub meta: Mutex<Meta>,
    /// The cached pages of a regular file's data (Linux's `i_mapping`).
    pub pages: Mutex<PageIndex>,
    /// A FIFO's pipe while it is open (Linux's `i_pipe`).
    pub fifo: Mutex<Option<Arc<super::pipe::Pipe>>>,
    /// Where the last read-ahead window ended and its size.
    pub readahead: Mutex<super::readahead::ReadAhead>,
    pub ops: alloc::boxed::Box<dyn InodeOps>,
}

/// Inodes alive (/proc/sys/fs/inode-nr).
static NR_INODES: core::sync::atomic::AtomicU64 = core::sync::atomic::AtomicU64::new(0);

/// Inodes alive.
pub fn count() -> u64 {
    NR_INODES.load(core::sync::atomic::Ordering::Relaxed)
}

impl Inode {
    pub fn new(
        sb: &Arc<SuperBlock>,
        ino: u64,
        meta: Meta,
        ops: alloc::boxed::Box<dyn InodeOps>,
    ) -> InodeRef {
        NR_INODES.fetch_add(1, core::sync::atomic::Ordering::Relaxed);
        let inode = Arc::new(Inode {
            ino,
            sb: sb.clone(),
            meta: Mutex::new(meta),
            pages: Mutex::new(if sb.memory_backed {
                PageIndex::new()
            } else {
                PageIndex::counted()
            }),
            fifo: Mutex::new(None),
            readahead: Mutex::new(super::readahead::ReadAhead::new()),
            ops,
        });
        if !sb.memory_backed {
            super::reclaim::register(&inode);
        }
        inode
    }

    pub fn meta(&self) -> Meta {
        *self.meta.lock()
    }

    pub fn file_type(&self) -> FileType {
        self.meta.lock().file_type().unwrap_or(FileType::Regular)
    }

    pub fn is_dir(&self) -> bool {
        self.meta.lock().is_dir()
    }

    pub fn size(&self) -> u64 {
        self.meta.lock().size
    }

    /// Changes metadata with `f`, sets ctime, and tells the file system.
    pub fn update(&self, f: impl FnOnce(&mut Meta)) -> Result<(), Errno> {
        {
            let mut m = self.meta.lock();
            f(&mut m);
            m.ctime = Timespec::now();
        }
        self.ops.write_inode(self)
    }

    /// The owner of an inode just created in `dir` (Linux's
    /// inode_init_owner): root's, with the group of a setgid directory.
    pub fn init_owner(&self, dir: &Inode) {
        let d = dir.meta();
        if d.mode & S_ISGID != 0 {
            let mut m = self.meta.lock();
            m.gid = d.gid;
            if m.is_dir() {
                m.mode |= S_ISGID;
            }
        }
    }

    /// Whether a name may be added to this directory: not once it is
    /// removed (ENOENT, as Linux's IS_DEADDIR), nor when immutable or on
    /// a read-only file system.
    pub fn check_can_create(&self) -> Result<(), Errno> {
        if self.meta.lock().nlink == 0 {
            return Err(crate::errno::ENOENT);
        }
        self.check_writable()
    }

    /// Drops the pages wholly inside `[start, end)` and zeroes the parts
    /// of the pages at its edges (FALLOC_FL_PUNCH_HOLE).
    pub fn punch_hole(&self, start: u64, end: u64) {
        use crate::mm::PAGE_SIZE;
        if start >= end {
            return;
        }
        let first_full = start.div_ceil(PAGE_SIZE);
        let last_full = end / PAGE_SIZE;
        self.unmap_mappings(first_full, last_full);
        for index in first_full..last_full {
            if let Some(frame) = self.pages.lock().remove(index) {
                crate::mm::frame::put(frame);
                self.ops.uncharge_page(self);
            }
        }
        // The head, up to the first whole page (or the end), and the
        // tail, from the last page boundary (or the start) to the end.
        let tail = (last_full * PAGE_SIZE).max(start);
        for (at, len) in [
            (start, (first_full * PAGE_SIZE).min(end) - start),
            (tail, end - tail),
        ] {
            if len == 0 {
                continue;
            }
            if let Some(frame) = self.find_page(at / PAGE_SIZE) {
                // SAFETY: a cache frame of this inode, direct-mapped; the
                // range stays inside its page.
                unsafe {
                    core::ptr::write_bytes(
                        (crate::mm::phys_to_virt(frame) + at % PAGE_SIZE) as *mut u8,
                        0,
                        len as usize,
                    )
                };
            }
        }
        self.update_blocks();
    }

    /// EPERM when the inode may not change (immutable), EROFS when its
    /// file system is read-only.
    pub fn check_writable(&self) -> Result<(), Errno> {
        if self.meta.lock().immutable() {
            return Err(EPERM);
        }
        self.sb.check_writable()
    }

    /// The frame caching page `index`, read in when missing (`readpage`).
    /// `for_write` pages are charged to the file system first.
    pub fn get_page(&self, index: u64) -> Result<u64, Errno> {
        if let Some(frame) = self.pages.lock().get(index) {
            return Ok(frame);
        }
        self.ops.charge_page(self)?;
        let Some(frame) = crate::mm::frame::alloc_zeroed() else {
            self.ops.uncharge_page(self);
            return Err(crate::errno::ENOMEM);
        };
        if let Err(e) = self.ops.readpage(self, index, frame) {
            crate::mm::frame::put(frame);
            self.ops.uncharge_page(self);
            return Err(e);
        }
        self.pages.lock().insert(index, frame);
        self.update_blocks();
        Ok(frame)
    }

    /// Makes pages `first..end` present, reading the missing ones with
    /// one `readpages` call per run of missing pages (read-ahead). Stops
    /// early, keeping what it read, when frames or the file system's
    /// charge run out; an I/O error drops the run that failed.
    pub fn fill_pages(&self, first: u64, end: u64) -> Result<(), Errno> {
        let missing: Vec<u64> = {
            let pages = self.pages.lock();
            (first..end).filter(|&i| pages.get(i).is_none()).collect()
        };
        let mut frames: Vec<u64> = Vec::with_capacity(missing.len());
        for _ in &missing {
            if self.ops.charge_page(self).is_err() {
                break;
            }
            let Some(frame) = crate::mm::frame::alloc_zeroed() else {
                self.ops.uncharge_page(self);
                break;
            };
            frames.push(frame);
        }
        let mut result = Ok(());
        let mut at = 0;
        while at < frames.len() {
            // A run of consecutive page numbers.
            let mut to = at + 1;
            while to < frames.len() && missing[to] == missing[to - 1] + 1 {
                to += 1;
            }
            if let Err(e) = self.ops.readpages(self, missing[at], &frames[at..to]) {
                for &frame in &frames[at..] {
                    crate::mm::frame::put(frame);
                    self.ops.uncharge_page(self);
                }
                result = Err(e);
                frames.truncate(at);
                break;
            }
            at = to;
        }
        {
            let mut pages = self.pages.lock();
            for (&index, &frame) in missing.iter().zip(frames.iter()) {
                if pages.get(index).is_some() {
                    // Filled meanwhile by another reader: theirs stays.
                    crate::mm::frame::put(frame);
                    self.ops.uncharge_page(self);
                } else {
                    pages.insert(index, frame);
                }
            }
        }
        self.update_blocks();
        result
    }

    /// The cached frame of page `index`, if present (no I/O).
    pub fn find_page(&self, index: u64) -> Option<u64> {
        self.pages.lock().get(index)
    }

    /// Puts `count` physically contiguous frames from `paddr` into the
    /// cache from page 0 (a boot module becoming a file: mapped, not
    /// copied). For a new, empty inode.
    pub fn adopt_pages(&self, paddr: u64, count: u64) -> Result<(), Errno> {
        self.ops.charge_pages(self, count)?;
        crate::mm::frame::adopt(count);
        self.pages.lock().insert_run(0, paddr, count);
        Ok(())
    }

    /// st_blocks follows the pages a memory file system holds.
    fn update_blocks(&self) {
        if self.sb.memory_backed {
            let n = self.pages.lock().len();
            self.meta.lock().blocks = n * 8;
        }
    }

    /// Drops cached pages at and after `first` (truncate, unlink's last
    /// reference).
    pub fn drop_pages_from(&self, first: u64) {
        self.unmap_mappings(first, u64::MAX);
        let frames = self.pages.lock().remove_from(first);
        for frame in frames {
            crate::mm::frame::put(frame);
            self.ops.uncharge_page(self);
        }
        self.update_blocks();
    }

    /// Before cache pages `[first, end)` are freed: no shared mapping may
    /// still reach them. One task today; with more, every address space
    /// that maps the inode (Linux keeps them in i_mmap).
    fn unmap_mappings(&self, first: u64, end: u64) {
        if let Some(task) = crate::task::try_current() {
            task.mm.unmap_mapping_range(self, first, end);
        }
    }

    /// Zeroes bytes `[from, end of page)` of the cached page holding
    /// `from`, if any (the tail a truncate leaves must read as zero when
    /// the file grows again).
    pub fn zero_page_tail(&self, from: u64) {
        let off = from % crate::mm::PAGE_SIZE;
        if off == 0 {
            return;
        }
        if let Some(frame) = self.find_page(from / crate::mm::PAGE_SIZE) {
            // SAFETY: the frame is a cache page of this inode, direct-mapped;
            // the range stays inside it.
            unsafe {
                core::ptr::write_bytes(
                    (crate::mm::phys_to_virt(frame) + off) as *mut u8,
                    0,
                    (crate::mm::PAGE_SIZE - off) as usize,
                )
            };
        }
    }

    /// Sets the size (truncate/ftruncate/O_TRUNC), dropping pages past it.
    pub fn set_size(&self, size: u64) -> Result<(), Errno> {
        let old = self.size();
        if size < old {
            self.zero_page_tail(size);
            self.drop_pages_from(size.div_ceil(crate::mm::PAGE_SIZE));
        }
        self.ops.truncate(self, size)?;
        let now = Timespec::now();
        self.update(|m| {
            m.size = size;
            m.mtime = now;
        })
    }

    /// Writes every dirty cached page back (fsync, msync, sync).
    pub fn writeback(&self) -> Result<(), Errno> {
        self.writeback_for(Reason::Fsync)
    }

    /// Writes every dirty cached page back, counted under `reason`.
    pub fn writeback_for(&self, reason: Reason) -> Result<(), Errno> {
        let dirty: Vec<(u64, u64)> = self.pages.lock().take_dirty();
        if dirty.is_empty() {
            return Ok(());
        }
        let n = dirty.len() as u64;
        self.ops.writepages(self, dirty).map_err(|_| EIO)?;
        super::writeback::count(reason, n);
        Ok(())
    }
}

impl Drop for Inode {
    fn drop(&mut self) {
        // The last reference: no name, no open file, no mapping. Its pages
        // go back to the frame allocator (and to the file system's quota).
        NR_INODES.fetch_sub(1, core::sync::atomic::Ordering::Relaxed);
        if !self.sb.memory_backed {
            super::reclaim::unregister(self);
        }
        let frames = self.pages.get_mut().remove_from(0);
        for frame in frames {
            crate::mm::frame::put(frame);
            self.ops.uncharge_page(self);
        }
    }
}
