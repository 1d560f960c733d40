//! Directory entries (Linux's dcache): a name bound to an inode, with its
//! parent. They are what a path walk returns, what the working directory
//! and open files hold, and where getcwd and /proc/self/fd get names.
//!
//! A parent holds the children it has looked up and a child its parent, so
//! a walk through known directories allocates nothing (tar x of 2,000 files
//! re-made its directories' dentries on every path before). The cycle is
//! broken where names go away: unlink, rmdir and rename drop the child's
//! entry, and, for a disk file system, eviction (Linux's dcache shrinker,
//! `prune_dcache_sb`): past a limit of cached entries, or under memory
//! pressure, entries nothing uses are dropped, oldest first, and with
//! them their inodes (and the inodes' clean pages). "Unused": only its
//! parent holds it (no open file, working directory, mapping or walk in
//! progress), no child is cached, nothing is mounted on it, its inode has
//! no dirty page. A later lookup reads the name and inode again from the
//! disk. Entries of memory file systems (tmpfs, the overlay of boot files
//! and placeholders) are never evicted: the tree is all they have.

use alloc::collections::VecDeque;
use alloc::sync::{Arc, Weak};
use alloc::vec::Vec;
use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use spin::Mutex;

use super::inode::InodeRef;
use super::name_map::NameMap;
use crate::errno::Errno;

pub struct Dentry {
    pub inode: InodeRef,
    name: Mutex<Vec<u8>>,
    parent: Mutex<Option<Arc<Dentry>>>,
    children: Mutex<NameMap<Arc<Dentry>>>,
    /// The root of a file system mounted over this directory.
    pub mounted: Mutex<Option<Arc<Dentry>>>,
    /// Unlinked (or renamed over): /proc/self/fd shows " (deleted)".
    deleted: AtomicBool,
}

/// Dentries alive.
static NR_DENTRY: AtomicU64 = AtomicU64::new(0);
/// The evictable kind (a disk file system's named entries), oldest
/// first; entries that were busy when looked at go to the back.
static LRU: Mutex<VecDeque<Weak<Dentry>>> = Mutex::new(VecDeque::new());

/// Disk dentries kept at most for `ram` frames of RAM: one per 4 frames
/// (a dentry with its inode costs about 1 KiB of kernel heap), at least
/// 256.
fn limit(ram: u64) -> usize {
    (ram / 4).max(256) as usize
}

/// Dentries alive (/proc/sys/fs/dentry-state's nr_dentry).
pub fn count() -> u64 {
    NR_DENTRY.load(Ordering::Relaxed)
}

/// Disk dentries that could be evicted now (the unused ones), counted by
/// a scan of the LRU.
pub fn unused() -> u64 {
    let lru = LRU.lock();
    lru.iter()
        .filter_map(Weak::upgrade)
        .filter(|d| d.is_unused())
        .count() as u64
}

/// Evicts up to `want` unused disk dentries, oldest first; returns how
/// many went. The caller holds no file system lock: a dentry's last
/// reference may drop its inode, which its file system then releases.
pub fn shrink(want: usize) -> usize {
    let mut freed = 0;
    let mut looked = 0;
    // Each entry is looked at once per call at most, and a few times
    // `want` in all: when most entries are busy (open files by the
    // thousand) a lookup does not scan them all.
    let total = LRU
        .lock()
        .len()
        .min(want.saturating_mul(4).saturating_add(64));
    while freed < want && looked < total {
        looked += 1;
        let Some(weak) = LRU.lock().pop_front() else {
            break;
        };
        let Some(d) = weak.upgrade() else {
            continue;
        };
        if d.try_evict() {
            freed += 1;
        } else {
            LRU.lock().push_back(weak);
        }
        // The last reference (and the inode's) goes here, outside every
        // dentry lock.
        drop(d);
    }
    freed
}

/// Past the limit, evicts down to it (a batch more, so that a tree walk
/// does not shrink at every lookup).
fn shrink_to_limit() {
    let (ram, _) = crate::mm::frame::usage();
    let max = limit(ram);
    let len = LRU.lock().len();
    if len > max {
        shrink(len - max + max / 8);
    }
}

impl Drop for Dentry {
    fn drop(&mut self) {
        NR_DENTRY.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Dentry {
    /// Whether nothing but its parent's map and the caller's one
    /// reference (`self`) holds this disk dentry, and it may go: no
    /// cached child, no mount on it, no dirty page in its inode.
    fn is_unused(self: &Arc<Dentry>) -> bool {
        Arc::strong_count(self) == 2
            && !self.inode.sb.memory_backed
            && !self.is_deleted()
            && self.children.try_lock().is_some_and(|c| c.is_empty())
            && self.mounted.try_lock().is_some_and(|m| m.is_none())
            && self
                .inode
                .pages
                .try_lock()
                .is_some_and(|p| p.dirty_count() == 0)
    }

    /// Takes this dentry out of its parent's map if it is unused; true
    /// if it did. `self` is one temporary reference of the caller.
    fn try_evict(self: &Arc<Dentry>) -> bool {
        if !self.is_unused() {
            return false;
        }
        let Some(parent) = self.parent() else {
            return false;
        };
        let name = self.name();
        let Some(mut children) = parent.children.try_lock() else {
            return false;
        };
        match children.get(&name) {
            Some(c) if Arc::ptr_eq(c, self) => {}
            _ => return false,
        }
        children.remove(&name);
        true
    }

    fn new(inode: InodeRef, name: Vec<u8>, parent: Option<Arc<Dentry>>) -> Arc<Dentry> {
        NR_DENTRY.fetch_add(1, Ordering::Relaxed);
        Arc::new(Dentry {
            inode,
            name: Mutex::new(name),
            parent: Mutex::new(parent),
            children: Mutex::new(NameMap::new()),
            mounted: Mutex::new(None),
            deleted: AtomicBool::new(false),
        })
    }

    /// The root dentry of a file system.
    pub fn new_root(inode: InodeRef) -> Arc<Dentry> {
        Dentry::new(inode, Vec::new(), None)
    }

    /// A file system's root that will be mounted as `name` under
    /// `parent` (the name and parent it will have then).
    pub fn new_child_of(inode: InodeRef, name: &[u8], parent: &Arc<Dentry>) -> Arc<Dentry> {
        Dentry::new(inode, name.to_vec(), Some(parent.clone()))
    }

    /// A dentry for an inode with no name (O_TMPFILE, memfd, pipes).
    pub fn anonymous(inode: InodeRef, name: &[u8]) -> Arc<Dentry> {
        let d = Dentry::new(inode, name.to_vec(), None);
        d.deleted.store(true, Ordering::Relaxed);
        d
    }

    pub fn name(&self) -> Vec<u8> {
        self.name.lock().clone()
    }

    pub fn parent(&self) -> Option<Arc<Dentry>> {
        self.parent.lock().clone()
    }

    pub fn is_deleted(&self) -> bool {
        self.deleted.load(Ordering::Relaxed)
    }

    /// What a mount over this dentry shows instead of it.
    pub fn follow_mount(self: &Arc<Dentry>) -> Arc<Dentry> {
        let mut d = self.clone();
        loop {
            let next = d.mounted.lock().clone();
            match next {
                Some(root) => d = root,
                None => return d,
            }
        }
    }

    /// The child `name` (not `.` or `..`), from the cache or the file
    /// system, with mounts followed.
    pub fn lookup(self: &Arc<Dentry>, name: &[u8]) -> Result<Arc<Dentry>, Errno> {
        let cached = self.children.lock().get(name).cloned();
        if let Some(child) = cached {
            return Ok(child.follow_mount());
        }
        let inode = self.inode.ops.lookup(&self.inode, name)?;
        // The file system's lookup may have made the dentry itself (a
        // directory populated on first use mounts over its children).
        let made = self.children.lock().get(name).cloned();
        let child = match made {
            Some(d) if Arc::ptr_eq(&d.inode, &inode) => d,
            _ => self.add_child(name, inode),
        };
        // A walk holds `child` (and its ancestors), so eviction leaves
        // them.
        shrink_to_limit();
        Ok(child.follow_mount())
    }

    /// Binds `name` to `inode` under this directory (after a lookup or a
    /// create).
    pub fn add_child(self: &Arc<Dentry>, name: &[u8], inode: InodeRef) -> Arc<Dentry> {
        let child = Dentry::new(inode, name.to_vec(), Some(self.clone()));
        self.children.lock().insert(name, child.clone());
        if !child.inode.sb.memory_backed {
            LRU.lock().push_back(Arc::downgrade(&child));
        }
        child
    }

    /// The name was removed from the directory (unlink, rmdir, replaced
    /// by a rename).
    pub fn forget_child(&self, name: &[u8]) {
        let gone = self.children.lock().remove(name);
        if let Some(d) = gone {
            d.deleted.store(true, Ordering::Relaxed);
        }
    }

    /// A rename moved `old_name` of `old_parent` to `new_name` of
    /// `new_parent` (replacing what was there, or exchanging with it).
    pub fn moved(
        old_parent: &Arc<Dentry>,
        old_name: &[u8],
        new_parent: &Arc<Dentry>,
        new_name: &[u8],
        exchange: bool,
    ) {
        let moving = old_parent.children.lock().remove(old_name);
        let other = new_parent.children.lock().remove(new_name);
        if let Some(other) = other {
            if exchange {
                *other.name.lock() = old_name.to_vec();
                *other.parent.lock() = Some(old_parent.clone());
                old_parent.children.lock().insert(old_name, other.clone());
            } else {
                other.deleted.store(true, Ordering::Relaxed);
            }
        }
        if let Some(moving) = moving {
            *moving.name.lock() = new_name.to_vec();
            *moving.parent.lock() = Some(new_parent.clone());
            new_parent.children.lock().insert(new_name, moving.clone());
        }
    }

    /// Makes this (a file system's root) stand where `covered` is, for a
    /// mount: same name, same parent.
    pub fn take_place_of(&self, covered: &Dentry) {
        *self.name.lock() = covered.name();
        *self.parent.lock() = covered.parent();
    }

    /// Whether `self` is `other` or lies below it.
    pub fn is_within(self: &Arc<Dentry>, other: &Arc<Dentry>) -> bool {
        let mut d = Some(self.clone());
        while let Some(x) = d {
            if Arc::ptr_eq(&x, other) {
                return true;
            }
            d = x.parent();
        }
        false
    }

    /// The absolute path, as getcwd and /proc/self/fd show it.
    pub fn path(&self) -> Vec<u8> {
        let mut parts: Vec<Vec<u8>> = Vec::new();
        let mut next = self.parent();
        if next.is_some() {
            parts.push(self.name());
        }
        while let Some(d) = next {
            next = d.parent();
            if next.is_some() {
                parts.push(d.name());
            }
        }
        if parts.is_empty() {
            return b"/".to_vec();
        }
        let mut out = Vec::new();
        for p in parts.iter().rev() {
            out.push(b'/');
            out.extend_from_slice(p);
        }
        out
    }
}
