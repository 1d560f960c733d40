//! Directory entries (Linux's dcache): a name bound to an inode, with its
//! parent. They are what a path walk returns, what the working directory
//! and open files hold, and where getcwd and /proc/self/fd get names.
//!
//! A parent holds the children it has looked up and a child its parent, so
//! a walk through known directories allocates nothing (tar x of 2,000 files
//! re-made its directories' dentries on every path before). The cycle is
//! broken where names go away: unlink, rmdir and rename drop the child's
//! entry. The cache is thus as large as the names looked up, which for
//! tmpfs is bounded by its inode limit; a disk file system will need an
//! eviction of unused entries.

use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicBool, Ordering};

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

impl Dentry {
    fn new(inode: InodeRef, name: Vec<u8>, parent: Option<Arc<Dentry>>) -> Arc<Dentry> {
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
        Ok(child.follow_mount())
    }

    /// Binds `name` to `inode` under this directory (after a lookup or a
    /// create).
    pub fn add_child(self: &Arc<Dentry>, name: &[u8], inode: InodeRef) -> Arc<Dentry> {
        let child = Dentry::new(inode, name.to_vec(), Some(self.clone()));
        self.children.lock().insert(name, child.clone());
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
