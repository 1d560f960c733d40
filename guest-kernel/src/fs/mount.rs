//! Super blocks (one per mounted file system) and the mount table.
//!
//! A mount covers a directory dentry with the root dentry of another file
//! system (`Dentry::mounted`); the covering root takes the covered
//! dentry's name and parent, so `..` and getcwd cross mounts with no
//! extra state. The table itself is only for /proc/mounts and statfs.

use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU64, Ordering};

use spin::Mutex;

use super::dentry::Dentry;
use crate::errno::{EROFS, Errno};

/// statfs(2) figures.
#[derive(Clone, Copy, Default)]
pub struct StatFs {
    pub magic: u64,
    pub bsize: u64,
    pub blocks: u64,
    pub bfree: u64,
    pub bavail: u64,
    pub files: u64,
    pub ffree: u64,
    pub namelen: u64,
    pub flags: u64,
}

/// What a file system reports about itself as a whole.
pub trait SuperOps: Send + Sync {
    fn statfs(&self, sb: &SuperBlock) -> StatFs;
    /// Writes everything dirty back (sync, syncfs).
    fn sync(&self, _sb: &SuperBlock) -> Result<(), Errno> {
        Ok(())
    }
}

/// `ST_RDONLY` in statfs's f_flags.
pub const ST_RDONLY: u64 = 1;

pub struct SuperBlock {
    /// st_dev of every inode of this file system.
    pub dev: u64,
    /// The name /proc/mounts shows (tmpfs, proc, devtmpfs, ext2).
    pub fs_type: &'static str,
    pub read_only: bool,
    /// Data lives only in the page cache (st_blocks counts cached pages).
    pub memory_backed: bool,
    pub ops: alloc::boxed::Box<dyn SuperOps>,
    next_ino: AtomicU64,
}

impl SuperBlock {
    /// A super block with an anonymous device number (major 0, as Linux
    /// gives tmpfs and proc).
    pub fn new(
        fs_type: &'static str,
        read_only: bool,
        memory_backed: bool,
        ops: alloc::boxed::Box<dyn SuperOps>,
    ) -> Arc<SuperBlock> {
        static NEXT_ANON_DEV: AtomicU64 = AtomicU64::new(20);
        Arc::new(SuperBlock {
            dev: super::inode::encode_dev(0, NEXT_ANON_DEV.fetch_add(1, Ordering::Relaxed)),
            fs_type,
            read_only,
            memory_backed,
            ops,
            next_ino: AtomicU64::new(2),
        })
    }

    /// A fresh inode number (file systems without on-disk numbers).
    pub fn alloc_ino(&self) -> u64 {
        self.next_ino.fetch_add(1, Ordering::Relaxed)
    }

    pub fn check_writable(&self) -> Result<(), Errno> {
        if self.read_only { Err(EROFS) } else { Ok(()) }
    }

    pub fn statfs(&self) -> StatFs {
        let mut s = self.ops.statfs(self);
        if self.read_only {
            s.flags |= ST_RDONLY;
        }
        s
    }
}

pub struct Mount {
    pub sb: Arc<SuperBlock>,
    /// The dentry it covers (kept alive for as long as it does), whose
    /// path /proc/mounts shows.
    pub mount_point: Arc<Dentry>,
    /// The file system's source as /proc/mounts shows it.
    pub source: &'static str,
}

static MOUNTS: Mutex<Vec<Mount>> = Mutex::new(Vec::new());

/// Mounts `root` (the root dentry of a file system) over `at`, or as the
/// root of everything when `at` is None.
pub fn mount(at: Option<&Arc<Dentry>>, root: &Arc<Dentry>, source: &'static str) {
    let mount_point = match at {
        Some(at) => {
            root.take_place_of(at);
            *at.mounted.lock() = Some(root.clone());
            at.clone()
        }
        None => root.clone(),
    };
    MOUNTS.lock().push(Mount {
        sb: root.inode.sb.clone(),
        mount_point,
        source,
    });
}

/// Calls `f` for every mount, in mount order.
pub fn for_each_mount(mut f: impl FnMut(&Mount)) {
    for m in MOUNTS.lock().iter() {
        f(m);
    }
}

/// Writes back every file system (sync).
pub fn sync_all() {
    let sbs: Vec<Arc<SuperBlock>> = MOUNTS.lock().iter().map(|m| m.sb.clone()).collect();
    for sb in sbs {
        if let Err(e) = sb.ops.sync(&sb) {
            crate::warn!("sync of {} failed: {e:?}", sb.fs_type);
        }
    }
}
