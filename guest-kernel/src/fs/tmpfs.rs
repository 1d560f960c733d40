//! tmpfs: a file system that lives in memory. Directories are sorted maps
//! of names to inodes; a regular file's data is its inode's page cache
//! (the same pages the disk cache uses), with nothing behind it; symlinks
//! hold their target; device nodes open the device their number names.
//!
//! Its size limit is in pages, counted as pages enter and leave caches:
//! past it, writes fail with ENOSPC, long before the kernel runs out of
//! frames for itself.

use alloc::boxed::Box;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::any::Any;
use core::sync::atomic::{AtomicU64, Ordering};

use spin::Mutex;

use super::file::FileOps;
use super::inode::{
    DirEntry, FileType, Filldir, Inode, InodeOps, InodeRef, Meta, RENAME_EXCHANGE, S_IFDIR,
    S_IFLNK, S_IFMT, Timespec,
};
use super::mount::{StatFs, SuperBlock, SuperOps};
use super::name_map::NameMap;
use crate::errno::{EEXIST, EIO, ENOENT, ENOSPC, ENOTEMPTY, Errno};
use crate::mm::PAGE_SIZE;

pub const TMPFS_MAGIC: u64 = 0x0102_1994;

/// Pages held by every tmpfs (Shmem in /proc/meminfo).
static TOTAL_PAGES: AtomicU64 = AtomicU64::new(0);

pub fn total_pages() -> u64 {
    TOTAL_PAGES.load(Ordering::Relaxed)
}

/// The size limit and what is used of it, shared by the file system's
/// inodes.
struct Quota {
    limit_pages: u64,
    used_pages: AtomicU64,
    inodes: AtomicU64,
}

struct TmpfsSuper {
    quota: Arc<Quota>,
}

impl SuperOps for TmpfsSuper {
    fn statfs(&self, _sb: &SuperBlock) -> StatFs {
        let q = &self.quota;
        let used = q.used_pages.load(Ordering::Relaxed);
        let free = q.limit_pages.saturating_sub(used);
        StatFs {
            magic: TMPFS_MAGIC,
            bsize: PAGE_SIZE,
            blocks: q.limit_pages,
            bfree: free,
            bavail: free,
            files: q.limit_pages,
            ffree: q
                .limit_pages
                .saturating_sub(q.inodes.load(Ordering::Relaxed)),
            namelen: 255,
            flags: 0,
        }
    }
}

/// A new tmpfs of at most `limit_pages` pages of file data; returns its
/// root directory inode (mode 0755 unless `root_mode` says otherwise).
pub fn new(fs_type: &'static str, limit_pages: u64, root_mode: u32) -> InodeRef {
    let quota = Arc::new(Quota {
        limit_pages,
        used_pages: AtomicU64::new(0),
        inodes: AtomicU64::new(1),
    });
    let sb = SuperBlock::new(
        fs_type,
        false,
        true,
        Box::new(TmpfsSuper {
            quota: quota.clone(),
        }),
    );
    let ino = sb.alloc_ino();
    Inode::new(
        &sb,
        ino,
        Meta::new(S_IFDIR | (root_mode & 0o7777), 2),
        Box::new(TmpDir {
            quota,
            entries: Mutex::new(NameMap::new()),
            populate: Mutex::new(None),
        }),
    )
}

/// An inode no path reaches, on the hidden tmpfs in `root` (made on first
/// use with `limit_pages()` pages): the object behind a memfd, a shared
/// anonymous mapping, a pipe, an epoll set or an eventfd (Linux's shmem,
/// pipefs and anon_inodefs). It is created under a name of its own and
/// unlinked at once, keeping one link as Linux's do, and lives as long as
/// files and mappings hold it.
pub fn nameless_inode(
    root: &Mutex<Option<InodeRef>>,
    fs_type: &'static str,
    limit_pages: impl FnOnce() -> u64,
    mode: u32,
) -> Result<InodeRef, Errno> {
    let root = root
        .lock()
        .get_or_insert_with(|| new(fs_type, limit_pages(), 0o755))
        .clone();
    let name = alloc::format!("{}", root.sb.alloc_ino());
    let inode = root.ops.create(&root, name.as_bytes(), mode, 0)?;
    root.ops.unlink(&root, name.as_bytes())?;
    inode.meta.lock().nlink = 1;
    Ok(inode)
}

/// Runs `dir`'s populate hook now if it has not run (the program's file
/// is wanted before anything looked at the tree).
pub fn populate_now(dir: &Inode) -> Result<(), Errno> {
    match TmpDir::downcast(dir) {
        Some(d) => d.populated(dir).map(|_| ()),
        None => Ok(()),
    }
}

/// Gives the tmpfs directory `dir` more entries from `populate` when it
/// is first used: a lookup that misses, a listing, a change.
pub fn populate_on_use(dir: &Inode, populate: Populate) {
    if let Some(d) = TmpDir::downcast(dir) {
        *d.populate.lock() = Some(populate);
    }
}

struct TmpDir {
    quota: Arc<Quota>,
    entries: Mutex<NameMap<InodeRef>>,
    /// Makes the directory's initial entries on its first use that could
    /// tell (a lookup that misses, a listing, a change): /dev's nodes cost
    /// a boot nothing until a program looks there.
    populate: Mutex<Option<Populate>>,
}

/// Fills a directory with its initial entries.
pub type Populate = fn(&Inode) -> Result<(), Errno>;

struct TmpFile {
    quota: Arc<Quota>,
}

struct TmpSymlink {
    target: Vec<u8>,
}

/// Device nodes, fifos and sockets: no data, opened by device number.
struct TmpNode;

impl TmpDir {
    fn downcast(inode: &Inode) -> Option<&TmpDir> {
        inode.ops.as_any().downcast_ref::<TmpDir>()
    }

    /// Runs the populate hook once (taken first, so the entries it creates
    /// through this same directory do not run it again).
    fn populated(&self, dir: &Inode) -> Result<&TmpDir, Errno> {
        let hook = self.populate.lock().take();
        if let Some(populate) = hook {
            populate(dir)?;
        }
        Ok(self)
    }

    /// Adds a new inode under `name`; ENOSPC past the inode limit (as
    /// many inodes as pages, like Linux's default nr_inodes), which also
    /// bounds the kernel memory that empty files can take.
    fn add(
        &self,
        dir: &Inode,
        name: &[u8],
        meta: Meta,
        ops: Box<dyn InodeOps>,
    ) -> Result<InodeRef, Errno> {
        let q = &self.quota;
        q.inodes
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| {
                (n < q.limit_pages).then_some(n + 1)
            })
            .map_err(|_| ENOSPC)?;
        let inode = Inode::new(&dir.sb, dir.sb.alloc_ino(), meta, ops);
        self.entries.lock().insert(name, inode.clone());
        touch_dir(dir, |_| {});
        Ok(inode)
    }

    fn check_free(&self, name: &[u8]) -> Result<(), Errno> {
        if self.entries.lock().contains(name) {
            Err(EEXIST)
        } else {
            Ok(())
        }
    }
}

/// A directory changed: mtime and ctime now, plus `f` (link counts).
fn touch_dir(dir: &Inode, f: impl FnOnce(&mut Meta)) {
    let now = Timespec::now();
    let mut m = dir.meta.lock();
    f(&mut m);
    m.mtime = now;
    m.ctime = now;
}

/// One name of `inode` went away.
fn drop_link(inode: &Inode) {
    let mut m = inode.meta.lock();
    m.nlink = m.nlink.saturating_sub(1);
    m.ctime = Timespec::now();
}

impl InodeOps for TmpDir {
    fn as_any(&self) -> &dyn Any {
        self
    }

    fn lookup(&self, dir: &Inode, name: &[u8]) -> Result<InodeRef, Errno> {
        // A name present is final: the hook never replaces one.
        if let Some(inode) = self.entries.lock().get(name).cloned() {
            return Ok(inode);
        }
        self.populated(dir)?
            .entries
            .lock()
            .get(name)
            .cloned()
            .ok_or(ENOENT)
    }

    fn create(&self, dir: &Inode, name: &[u8], mode: u32, rdev: u64) -> Result<InodeRef, Errno> {
        self.populated(dir)?.check_free(name)?;
        let mut meta = Meta::new(mode, 1);
        let ops: Box<dyn InodeOps> = match FileType::from_mode(mode) {
            Some(FileType::Regular) | None => {
                meta.mode = super::inode::S_IFREG | (mode & !S_IFMT);
                Box::new(TmpFile {
                    quota: self.quota.clone(),
                })
            }
            _ => {
                meta.rdev = rdev;
                Box::new(TmpNode)
            }
        };
        self.add(dir, name, meta, ops)
    }

    fn mkdir(&self, dir: &Inode, name: &[u8], mode: u32) -> Result<InodeRef, Errno> {
        self.populated(dir)?.check_free(name)?;
        let ops = Box::new(TmpDir {
            quota: self.quota.clone(),
            entries: Mutex::new(NameMap::new()),
            populate: Mutex::new(None),
        });
        let inode = self.add(dir, name, Meta::new(S_IFDIR | (mode & 0o7777), 2), ops)?;
        touch_dir(dir, |m| m.nlink += 1);
        Ok(inode)
    }

    fn symlink(&self, dir: &Inode, name: &[u8], target: &[u8]) -> Result<InodeRef, Errno> {
        self.populated(dir)?.check_free(name)?;
        let mut meta = Meta::new(S_IFLNK | 0o777, 1);
        meta.size = target.len() as u64;
        let ops = Box::new(TmpSymlink {
            target: target.to_vec(),
        });
        self.add(dir, name, meta, ops)
    }

    fn link(&self, dir: &Inode, name: &[u8], inode: &InodeRef) -> Result<(), Errno> {
        self.populated(dir)?.check_free(name)?;
        inode.update(|m| m.nlink += 1)?;
        self.entries.lock().insert(name, inode.clone());
        touch_dir(dir, |_| {});
        Ok(())
    }

    fn unlink(&self, dir: &Inode, name: &[u8]) -> Result<(), Errno> {
        let inode = self
            .populated(dir)?
            .entries
            .lock()
            .remove(name)
            .ok_or(ENOENT)?;
        drop_link(&inode);
        if inode.meta.lock().nlink == 0 {
            self.quota.inodes.fetch_sub(1, Ordering::Relaxed);
        }
        touch_dir(dir, |_| {});
        Ok(())
    }

    fn rmdir(&self, dir: &Inode, name: &[u8]) -> Result<(), Errno> {
        let inode = self.lookup(dir, name)?;
        if !inode.ops.is_empty_dir(&inode) {
            return Err(ENOTEMPTY);
        }
        self.entries.lock().remove(name);
        inode.meta.lock().nlink = 0;
        self.quota.inodes.fetch_sub(1, Ordering::Relaxed);
        touch_dir(dir, |m| m.nlink = m.nlink.saturating_sub(1));
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
        self.populated(old_dir)?;
        let target_dir = TmpDir::downcast(new_dir).ok_or(EIO)?.populated(new_dir)?;
        let same_dir = core::ptr::eq(self, target_dir);
        let moving = self.lookup(old_dir, old_name)?;
        let existing = target_dir.entries.lock().get(new_name).cloned();
        if flags & RENAME_EXCHANGE != 0 {
            let other = existing.ok_or(ENOENT)?;
            self.entries.lock().insert(old_name, other.clone());
            target_dir.entries.lock().insert(new_name, moving.clone());
            if !same_dir && moving.is_dir() != other.is_dir() {
                // A directory changed parents each way: move one `..` link.
                let (gains, loses) = if moving.is_dir() {
                    (new_dir, old_dir)
                } else {
                    (old_dir, new_dir)
                };
                touch_dir(gains, |m| m.nlink += 1);
                touch_dir(loses, |m| m.nlink = m.nlink.saturating_sub(1));
            }
            touch_dir(old_dir, |_| {});
            touch_dir(new_dir, |_| {});
            moving.update(|_| {})?;
            return other.update(|_| {});
        }
        if let Some(old) = existing {
            if Arc::ptr_eq(&old, &moving) {
                // Two names of one inode: rename does nothing (POSIX).
                return Ok(());
            }
            if old.is_dir() {
                old.meta.lock().nlink = 0;
                touch_dir(new_dir, |m| m.nlink = m.nlink.saturating_sub(1));
            } else {
                drop_link(&old);
            }
            if old.meta.lock().nlink == 0 {
                self.quota.inodes.fetch_sub(1, Ordering::Relaxed);
            }
        }
        self.entries.lock().remove(old_name);
        target_dir.entries.lock().insert(new_name, moving.clone());
        if moving.is_dir() && !same_dir {
            touch_dir(old_dir, |m| m.nlink = m.nlink.saturating_sub(1));
            touch_dir(new_dir, |m| m.nlink += 1);
        }
        touch_dir(old_dir, |_| {});
        touch_dir(new_dir, |_| {});
        moving.update(|_| {})
    }

    fn readdir(&self, dir: &Inode, pos: u64, emit: &mut Filldir) -> Result<(), Errno> {
        // Positions count entries in name order; a directory changed
        // between calls may skip or repeat a name, as on Linux.
        let entries: Vec<(Vec<u8>, u64, FileType)> = self
            .populated(dir)?
            .entries
            .lock()
            .iter()
            .skip(pos as usize)
            .map(|(name, inode)| (name.to_vec(), inode.ino, inode.file_type()))
            .collect();
        for (i, (name, ino, kind)) in entries.iter().enumerate() {
            let entry = DirEntry {
                name,
                ino: *ino,
                kind: *kind,
            };
            if !emit(&entry, pos + i as u64 + 1) {
                break;
            }
        }
        Ok(())
    }

    fn is_empty_dir(&self, dir: &Inode) -> bool {
        self.populated(dir)
            .is_ok_and(|d| d.entries.lock().is_empty())
    }
}

impl InodeOps for TmpFile {
    fn as_any(&self) -> &dyn Any {
        self
    }

    fn charge_page(&self, inode: &Inode) -> Result<(), Errno> {
        self.charge_pages(inode, 1)
    }

    fn charge_pages(&self, _inode: &Inode, n: u64) -> Result<(), Errno> {
        let q = &self.quota;
        q.used_pages
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |used| {
                (used + n <= q.limit_pages).then_some(used + n)
            })
            .map(|_| {
                TOTAL_PAGES.fetch_add(n, Ordering::Relaxed);
            })
            .map_err(|_| ENOSPC)
    }

    fn uncharge_page(&self, _inode: &Inode) {
        self.quota.used_pages.fetch_sub(1, Ordering::Relaxed);
        TOTAL_PAGES.fetch_sub(1, Ordering::Relaxed);
    }
}

impl InodeOps for TmpSymlink {
    fn as_any(&self) -> &dyn Any {
        self
    }

    fn readlink(&self, _inode: &Inode) -> Result<Vec<u8>, Errno> {
        Ok(self.target.clone())
    }
}

impl InodeOps for TmpNode {
    fn as_any(&self) -> &dyn Any {
        self
    }

    fn open(&self, inode: &InodeRef, flags: u32) -> Option<Result<Arc<dyn FileOps>, Errno>> {
        Some(super::devfs::open_node(inode, flags))
    }
}
