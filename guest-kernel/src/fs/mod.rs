//! The virtual file system. Top to bottom:
//! - system calls: open.rs (open, truncate, chmod, chown, utimensat,
//!   access, chdir, getcwd), dir.rs (mkdir, unlink, rename, link,
//!   symlink, readlink), readdir.rs, stat.rs, read_write.rs, fcntl.rs,
//!   ioctl.rs, memfd.rs, select.rs, compat.rs (i386 layouts);
//! - the VFS core: namei.rs (path walk), dentry.rs, inode.rs (the generic
//!   inode and the `InodeOps` a file system implements), file.rs (open
//!   files and `FileOps`), fdtable.rs, fs_struct.rs, mount.rs (super
//!   blocks and the mount table), filemap.rs (regular-file data through
//!   the page cache), name_map.rs (directories' name maps);
//! - file systems: tmpfs.rs (the root and /dev), procfs.rs (/proc),
//!   devfs.rs (what device nodes open);
//! - page_cache.rs: the page index every cache uses, and the block
//!   device's own cache; writeback.rs: why pages are written back (the
//!   counters of each reason); reclaim.rs: early writeback and eviction
//!   of clean pages when free frames run low.

pub mod compat;
pub mod dentry;
pub mod devfs;
pub mod dir;
pub mod eventpoll;
pub mod ext2;
pub mod fcntl;
pub mod fdtable;
pub mod file;
pub mod filemap;
pub mod fs_struct;
pub mod inode;
pub mod ioctl;
pub mod memfd;
pub mod mount;
pub mod mpage;
pub mod name_map;
pub mod namei;
pub mod open;
pub mod page_cache;
pub mod pipe;
pub mod procfs;
pub mod read_write;
pub mod readahead;
pub mod readdir;
pub mod reclaim;
pub mod select;
pub mod stat;
pub mod tmpfs;
pub mod writeback;

use alloc::sync::Arc;
use alloc::vec::Vec;

use spin::Mutex;

use crate::errno::{EEXIST, ENOTDIR, Errno};
use crate::mm::PAGE_SIZE;
use dentry::Dentry;
use inode::{FLAG_IMMUTABLE, Inode, S_IFREG, Timespec};

/// A file the boot loader placed in memory (a PVH module) that becomes a
/// tmpfs file: its frames become the file's pages, nothing is copied.
pub struct BootFile {
    pub path: Vec<u8>,
    pub paddr: u64,
    pub size: u64,
    pub mode: u32,
    pub mtime: Timespec,
    pub read_only: bool,
}

/// The tree is built when it is first used (`populate_root`), so that a
/// program that never touches a file pays nothing for it at boot (each
/// kernel instruction is emulated under kvm-pvm). Until then these hold
/// what it will be built from.
static ROOT: Mutex<Option<Arc<Dentry>>> = Mutex::new(None);
static DEV: Mutex<Option<Arc<Dentry>>> = Mutex::new(None);
static PENDING: Mutex<Vec<BootFile>> = Mutex::new(Vec::new());
static EXE: Mutex<Option<Arc<Dentry>>> = Mutex::new(None);

/// Sets up the root (a tmpfs) and /dev's consoles, which fds 0-2 need at
/// once; the rest of the tree (/tmp, /dev's other nodes, /proc, the
/// program's file first among `files`) appears on the root's first use.
/// Returns the root and the consoles' dentries (/dev/ttyS0, /dev/ttyS1).
pub fn init(files: Vec<BootFile>) -> Result<(Arc<Dentry>, [Arc<Dentry>; 2]), Errno> {
    let (usable, _) = crate::mm::frame::usage();
    let module_pages: u64 = files.iter().map(|f| f.size.div_ceil(PAGE_SIZE)).sum();
    if let Some(disk_root) = ext2::mount() {
        return init_disk_root(disk_root, files, usable / 2, module_pages);
    }
    // As Linux's tmpfs: half of memory, plus what the boot files bring.
    let root = Dentry::new_root(tmpfs::new("tmpfs", usable / 2 + module_pages, 0o755));
    mount::mount(None, &root, "tmpfs");
    // The devtmpfs root, named as it will be once mounted on /dev.
    let dev = Dentry::new_child_of(tmpfs::new("devtmpfs", usable / 2, 0o755), b"dev", &root);
    let consoles = devfs::populate_consoles(&dev)?;
    tmpfs::populate_on_use(&dev.inode, devfs::populate);
    *ROOT.lock() = Some(root.clone());
    *DEV.lock() = Some(dev.clone());
    *PENDING.lock() = files;
    tmpfs::populate_on_use(&root.inode, populate_root);
    Ok((root, consoles))
}

/// The root is the disk's ext2. Nothing the kernel adds is written to the
/// disk: /dev and /proc are mounted over the image's directories of those
/// names, and the boot files (the program, each --file) come from a tmpfs
/// and are shown at their paths over whatever the image has there, as a
/// bind mount would (directories the image lacks on their way are tmpfs
/// directories too). The tree is built now: a disk was asked for.
fn init_disk_root(
    disk_root: inode::InodeRef,
    files: Vec<BootFile>,
    dev_pages: u64,
    module_pages: u64,
) -> Result<(Arc<Dentry>, [Arc<Dentry>; 2]), Errno> {
    let root = Dentry::new_root(disk_root);
    mount::mount(None, &root, "/dev/vda");
    let dev = Dentry::new_child_of(tmpfs::new("devtmpfs", dev_pages, 0o755), b"dev", &root);
    let consoles = devfs::populate_consoles(&dev)?;
    tmpfs::populate_on_use(&dev.inode, devfs::populate);
    let overlay = tmpfs::new("tmpfs", module_pages + 16, 0o755);
    let at = overlay_dir(&root, b"dev", &overlay)?;
    mount::mount(Some(&at), &dev, "devtmpfs");
    let at = overlay_dir(&root, b"proc", &overlay)?;
    mount::mount(Some(&at), &Dentry::new_root(procfs::new()), "proc");
    for (i, f) in files.iter().enumerate() {
        match install_in(&root, f, Some(&overlay)) {
            Ok(d) if i == 0 => *EXE.lock() = Some(d),
            Ok(_) => {}
            Err(e) => crate::warn!(
                "{}: cannot place the file: {e:?}",
                core::str::from_utf8(&f.path).unwrap_or("?")
            ),
        }
    }
    *ROOT.lock() = Some(root.clone());
    Ok((root, consoles))
}

/// `/name` on the disk, or where the image has no such directory, a tmpfs
/// one shown there (not written to the image), to mount over.
fn overlay_dir(
    root: &Arc<Dentry>,
    name: &[u8],
    overlay: &inode::InodeRef,
) -> Result<Arc<Dentry>, Errno> {
    match root.lookup(name) {
        Ok(d) if d.inode.is_dir() => Ok(d),
        _ => {
            crate::info!(
                "the disk has no directory /{}: mounted over a placeholder that is not on the disk",
                core::str::from_utf8(name).unwrap_or("?")
            );
            let inode = overlay_node(overlay, None)?;
            Ok(root.add_child(name, inode))
        }
    }
}

/// A fresh directory (`file` None) or boot file of the overlay tmpfs,
/// under a name of its own there (it is shown elsewhere, by the dentry
/// cache).
fn overlay_node(overlay: &inode::InodeRef, file: Option<u32>) -> Result<inode::InodeRef, Errno> {
    static N: core::sync::atomic::AtomicU64 = core::sync::atomic::AtomicU64::new(0);
    let name = alloc::format!("{}", N.fetch_add(1, core::sync::atomic::Ordering::Relaxed));
    match file {
        None => overlay.ops.mkdir(overlay, name.as_bytes(), 0o755),
        Some(mode) => overlay
            .ops
            .create(overlay, name.as_bytes(), S_IFREG | (mode & 0o7777), 0),
    }
}

/// The root's first use: /tmp (1777), /dev and /proc with their file
/// systems mounted, /etc/mtab, then the boot files at their paths.
fn populate_root(dir: &Inode) -> Result<(), Errno> {
    let (Some(root), Some(dev)) = (ROOT.lock().clone(), DEV.lock().clone()) else {
        return Ok(());
    };
    dir.ops.mkdir(dir, b"tmp", 0o1777)?;
    let at = root.add_child(b"dev", dir.ops.mkdir(dir, b"dev", 0o755)?);
    mount::mount(Some(&at), &dev, "devtmpfs");
    let at = root.add_child(b"proc", dir.ops.mkdir(dir, b"proc", 0o755)?);
    mount::mount(Some(&at), &Dentry::new_root(procfs::new()), "proc");
    // /etc/mtab, where mount tables are read from (df, mount), as on any
    // Linux root: a link to the kernel's table.
    let etc = dir.ops.mkdir(dir, b"etc", 0o755)?;
    etc.ops.symlink(&etc, b"mtab", b"../proc/self/mounts")?;
    let files = core::mem::take(&mut *PENDING.lock());
    for (i, f) in files.iter().enumerate() {
        match install(&root, f) {
            Ok(d) if i == 0 => *EXE.lock() = Some(d),
            Ok(_) => {}
            // The VMM checked the paths; what is left is a clash with the
            // kernel's own directories or no space.
            Err(e) => crate::warn!(
                "{}: cannot place the file: {e:?}",
                core::str::from_utf8(&f.path).unwrap_or("?")
            ),
        }
    }
    Ok(())
}

/// The first program's file (/proc/self/exe), building the tree if needed.
pub fn exe() -> Option<Arc<Dentry>> {
    if let Some(root) = ROOT.lock().clone()
        && let Err(e) = tmpfs::populate_now(&root.inode)
    {
        crate::warn!("cannot build the file tree: {e:?}");
    }
    exe_if_placed()
}

/// The program's file if the tree has been built (before, nothing can
/// have reached it).
pub fn exe_if_placed() -> Option<Arc<Dentry>> {
    EXE.lock().clone()
}

/// Places a boot file at its absolute path, creating parent directories.
pub fn install(root: &Arc<Dentry>, f: &BootFile) -> Result<Arc<Dentry>, Errno> {
    install_in(root, f, None)
}

/// `install`; in directories of a disk (not memory-backed), what is made
/// comes from `overlay` and only the dentry cache shows it there.
fn install_in(
    root: &Arc<Dentry>,
    f: &BootFile,
    overlay: Option<&inode::InodeRef>,
) -> Result<Arc<Dentry>, Errno> {
    let mut dir = root.clone();
    let mut parts = f
        .path
        .split(|&b| b == b'/')
        .filter(|p| !p.is_empty())
        .peekable();
    while let Some(name) = parts.next() {
        if parts.peek().is_some() {
            dir = match dir.lookup(name) {
                Ok(d) if d.inode.is_dir() => d,
                Ok(_) => return Err(ENOTDIR),
                Err(_) => {
                    let inode = match overlay {
                        Some(o) if !dir.inode.sb.memory_backed => overlay_node(o, None)?,
                        _ => dir.inode.ops.mkdir(&dir.inode, name, 0o755)?,
                    };
                    dir.add_child(name, inode)
                }
            };
            continue;
        }
        let on_disk = overlay.filter(|_| !dir.inode.sb.memory_backed);
        if on_disk.is_none() && dir.lookup(name).is_ok() {
            return Err(EEXIST);
        }
        let inode = match on_disk {
            Some(o) => overlay_node(o, Some(f.mode))?,
            None => dir
                .inode
                .ops
                .create(&dir.inode, name, S_IFREG | (f.mode & 0o7777), 0)?,
        };
        inode.adopt_pages(f.paddr, f.size.div_ceil(PAGE_SIZE))?;
        {
            let mut m = inode.meta.lock();
            m.size = f.size;
            m.blocks = f.size.div_ceil(PAGE_SIZE) * 8;
            m.mtime = f.mtime;
            m.atime = f.mtime;
            if f.read_only {
                m.flags |= FLAG_IMMUTABLE;
            }
        }
        return Ok(dir.add_child(name, inode));
    }
    Err(EEXIST)
}
