//! The virtual file system. Top to bottom:
//! - system calls: open.rs (open, truncate, chmod, chown, utimensat,
//!   access, chdir, getcwd), dir.rs (mkdir, unlink, rename, link,
//!   symlink, readlink), readdir.rs, stat.rs, read_write.rs, fcntl.rs,
//!   ioctl.rs, memfd.rs, select.rs;
//! - the VFS core: namei.rs (path walk), dentry.rs, inode.rs (the generic
//!   inode and the `InodeOps` a file system implements), file.rs (open
//!   files and `FileOps`), fdtable.rs, fs_struct.rs, mount.rs (super
//!   blocks and the mount table), filemap.rs (regular-file data through
//!   the page cache);
//! - file systems: tmpfs.rs (the root and /dev), procfs.rs (/proc),
//!   devfs.rs (what device nodes open);
//! - page_cache.rs: the page index every cache uses, and the block
//!   device's own cache.

pub mod dentry;
pub mod devfs;
pub mod dir;
pub mod fcntl;
pub mod fdtable;
pub mod file;
pub mod filemap;
pub mod fs_struct;
pub mod inode;
pub mod ioctl;
pub mod memfd;
pub mod mount;
pub mod namei;
pub mod open;
pub mod page_cache;
pub mod procfs;
pub mod read_write;
pub mod readdir;
pub mod select;
pub mod stat;
pub mod tmpfs;

use alloc::sync::Arc;

use crate::errno::{EEXIST, ENOTDIR, Errno};
use crate::mm::PAGE_SIZE;
use dentry::Dentry;
use inode::{FLAG_IMMUTABLE, S_IFREG, Timespec};

/// A file the boot loader placed in memory (a PVH module) that becomes a
/// tmpfs file: its frames become the file's pages, nothing is copied.
pub struct BootFile<'a> {
    pub path: &'a [u8],
    pub paddr: u64,
    pub size: u64,
    pub mode: u32,
    pub mtime: Timespec,
    pub read_only: bool,
}

/// Builds the tree: a tmpfs root with /tmp, a devtmpfs on /dev, procfs on
/// /proc. `module_pages` are the pages the boot files will bring, which
/// the root's size limit makes room for. Returns the root.
pub fn init(module_pages: u64) -> Result<Arc<Dentry>, Errno> {
    let (usable, _) = crate::mm::frame::usage();
    // As Linux's tmpfs: half of memory, plus what the boot files bring.
    let root = Dentry::new_root(tmpfs::new("tmpfs", usable / 2 + module_pages, 0o755));
    mount::mount(None, &root, "rootfs");
    let dir = &root.inode;
    dir.ops.mkdir(dir, b"tmp", 0o1777)?;
    let mkdir_mount = |name: &[u8], fs: inode::InodeRef, source| -> Result<Arc<Dentry>, Errno> {
        let at = root.add_child(name, dir.ops.mkdir(dir, name, 0o755)?);
        let fs_root = Dentry::new_root(fs);
        mount::mount(Some(&at), &fs_root, source);
        Ok(fs_root)
    };
    let dev = mkdir_mount(
        b"dev",
        tmpfs::new("devtmpfs", usable / 2, 0o755),
        "devtmpfs",
    )?;
    devfs::populate(&dev)?;
    mkdir_mount(b"proc", procfs::new(), "proc")?;
    Ok(root)
}

/// Places a boot file at its absolute path, creating parent directories.
pub fn install(root: &Arc<Dentry>, f: &BootFile) -> Result<Arc<Dentry>, Errno> {
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
                    let inode = dir.inode.ops.mkdir(&dir.inode, name, 0o755)?;
                    dir.add_child(name, inode)
                }
            };
            continue;
        }
        if dir.lookup(name).is_ok() {
            return Err(EEXIST);
        }
        let inode = dir
            .inode
            .ops
            .create(&dir.inode, name, S_IFREG | (f.mode & 0o7777), 0)?;
        for i in 0..f.size.div_ceil(PAGE_SIZE) {
            inode.adopt_page(i, f.paddr + i * PAGE_SIZE)?;
        }
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
