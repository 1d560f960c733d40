//! Device files: what a character or block device node opens, by its
//! device number (Linux's chrdev/blkdev tables), whatever file system the
//! node lives on; and the /dev that the kernel populates at boot (a tmpfs
//! instance named devtmpfs, as Linux's).
//!
//! | node | number | what |
//! |---|---|---|
//! | null, zero, full, random, urandom | 1:3, 1:5, 1:7, 1:8, 1:9 | as on Linux |
//! | tty | 5:0 | the controlling terminal: the console |
//! | console, ttyS0 | 5:1, 4:64 | COM1: stdin and stdout |
//! | ttyS1 | 4:65 | COM2: stderr (and the kernel log) |
//! | vda | block 254:0 | the virtio-blk disk, through its page cache |

use alloc::sync::Arc;

use super::dentry::Dentry;
use super::file::{File, FileOps, O_ACCMODE, O_RDONLY};
use super::inode::{FileType, Inode, InodeRef, S_IFBLK, S_IFCHR, encode_dev};
use crate::errno::{EINVAL, EIO, ENOSPC, ENXIO, EROFS, Errno, SysResult};

pub const DEV_NULL: u64 = encode_dev(1, 3);
pub const DEV_ZERO: u64 = encode_dev(1, 5);
pub const DEV_FULL: u64 = encode_dev(1, 7);
pub const DEV_RANDOM: u64 = encode_dev(1, 8);
pub const DEV_URANDOM: u64 = encode_dev(1, 9);
pub const DEV_TTY: u64 = encode_dev(5, 0);
pub const DEV_CONSOLE: u64 = encode_dev(5, 1);
pub const DEV_TTYS0: u64 = encode_dev(4, 64);
pub const DEV_TTYS1: u64 = encode_dev(4, 65);
pub const DEV_VDA: u64 = encode_dev(254, 0);

/// The file operations of the device node `inode`.
pub fn open_node(inode: &InodeRef, flags: u32) -> Result<Arc<dyn FileOps>, Errno> {
    let meta = inode.meta();
    match meta.file_type() {
        Some(FileType::CharDevice) => open_char(meta.rdev, true),
        Some(FileType::BlockDevice) if meta.rdev == DEV_VDA => {
            let (_, read_only) = super::page_cache::geometry().ok_or(ENXIO)?;
            if read_only && flags & O_ACCMODE != O_RDONLY {
                return Err(EROFS);
            }
            // Its file system's blocks would change under it (Linux:
            // EBUSY for a mounted disk opened for writing exclusively).
            if super::ext2::mounted() && flags & O_ACCMODE != O_RDONLY {
                return Err(crate::errno::EBUSY);
            }
            Ok(Arc::new(BlockDevice))
        }
        Some(FileType::Fifo) => super::pipe::fifo_open(inode, flags),
        // Sockets have no file operations to open.
        _ => Err(ENXIO),
    }
}

/// A character device by number; `tty` for consoles that act as terminals.
pub fn open_char(rdev: u64, tty: bool) -> Result<Arc<dyn FileOps>, Errno> {
    Ok(match rdev {
        DEV_NULL => Arc::new(Mem::Null),
        DEV_ZERO => Arc::new(Mem::Zero),
        DEV_FULL => Arc::new(Mem::Full),
        DEV_RANDOM | DEV_URANDOM => Arc::new(Mem::Random),
        DEV_TTY | DEV_CONSOLE | DEV_TTYS0 => Arc::new(Console { err: false, tty }),
        DEV_TTYS1 => Arc::new(Console { err: true, tty }),
        _ => return Err(ENXIO),
    })
}

/// /dev/null, /dev/zero, /dev/full, /dev/random and /dev/urandom.
enum Mem {
    Null,
    Zero,
    Full,
    Random,
}

impl FileOps for Mem {
    // Reads and writes at any offset, and lseek always answers 0.
    fn seekable(&self) -> bool {
        true
    }
    fn llseek(&self, _file: &File, _offset: i64, _whence: u32) -> SysResult {
        Ok(0)
    }
    fn read_at(&self, _file: &File, _pos: u64, buf: &mut [u8]) -> SysResult {
        match self {
            Mem::Null => return Ok(0),
            // By the VMM when ring 0 is emulated (dd from /dev/zero).
            Mem::Zero | Mem::Full => crate::drivers::copy_engine::clear(buf),
            Mem::Random => {
                // One read makes at most what one getrandom() call does
                // (the generator's cost per byte; a short read is allowed).
                let n = buf.len().min(crate::kernel::random::GETRANDOM_MAX as usize);
                crate::kernel::random::fill(&mut buf[..n]);
                return Ok(n as u64);
            }
        }
        Ok(buf.len() as u64)
    }
    fn write_at(&self, _file: &File, _pos: u64, buf: &[u8]) -> SysResult {
        match self {
            Mem::Full => Err(ENOSPC),
            _ => Ok(buf.len() as u64),
        }
    }
    fn fsync(&self, _file: &File) -> SysResult {
        Err(EINVAL)
    }
}

/// A serial console: COM1 (stdin, stdout) or COM2 (stderr).
pub struct Console {
    pub err: bool,
    pub tty: bool,
}

impl FileOps for Console {
    fn read(&self, _file: &File, buf: &mut [u8]) -> SysResult {
        if self.err {
            return Ok(0);
        }
        Ok(crate::console::read_stdin(buf)? as u64)
    }
    fn write(&self, _file: &File, buf: &[u8]) -> SysResult {
        let written = if self.err {
            crate::console::write_stderr(buf)?
        } else {
            crate::console::write_stdout(buf)?
        };
        // The host refused the bytes (a bad request, a full disk): as a
        // device error, unless part of it went out.
        if written == 0 && !buf.is_empty() {
            return Err(EIO);
        }
        Ok(written as u64)
    }
    fn ioctl(&self, _file: &File, request: u64, arg: u64) -> SysResult {
        if !self.tty {
            return Err(crate::errno::ENOTTY);
        }
        super::ioctl::tty_ioctl(request, arg)
    }
    fn poll(&self, _file: &File) -> u16 {
        use super::file::{POLLIN, POLLOUT};
        // Output is always accepted; input is ready when a read would not
        // wait (COM2 reads nothing, at once).
        if self.err || crate::console::input_ready() {
            POLLIN | POLLOUT
        } else {
            POLLOUT
        }
    }
}

/// /dev/vda through the disk's page cache.
struct BlockDevice;

impl FileOps for BlockDevice {
    fn seekable(&self) -> bool {
        true
    }
    fn read_at(&self, _file: &File, pos: u64, buf: &mut [u8]) -> SysResult {
        Ok(super::page_cache::read(pos, buf)? as u64)
    }
    fn write_at(&self, _file: &File, pos: u64, buf: &[u8]) -> SysResult {
        Ok(super::page_cache::write(pos, buf)? as u64)
    }
    fn size(&self, _file: &File) -> u64 {
        super::page_cache::geometry().map_or(0, |(size, _)| size)
    }
    /// A disk has a fixed size: no position past its end (EINVAL), as
    /// Linux's blkdev_llseek.
    fn llseek(&self, file: &File, offset: i64, whence: u32) -> SysResult {
        let size = self.size(file) as i64;
        super::file::llseek_in(file, offset, whence, size, size)
    }
    fn ioctl(&self, _file: &File, request: u64, arg: u64) -> SysResult {
        super::ioctl::blkdev_ioctl(request, arg)
    }
    /// fsync: the disk's dirty pages, then a device flush.
    fn fsync(&self, _file: &File) -> SysResult {
        super::page_cache::sync().map(|_| 0)
    }
    /// The last close: every dirty page reaches the image before the
    /// task returns to user mode.
    fn release(&self, _file: &File) {
        if let Err(e) = super::page_cache::writeback(super::writeback::release_reason()) {
            crate::warn!("writeback of /dev/vda failed: {e:?}");
        }
    }
}

/// The consoles, made at boot: fds 0-2 are open on them.
/// Returns their dentries: ttyS0 (COM1) and ttyS1 (COM2).
pub fn populate_consoles(dev: &Arc<Dentry>) -> Result<[Arc<Dentry>; 2], Errno> {
    let dir = &dev.inode;
    let node = |name: &[u8], rdev| -> Result<Arc<Dentry>, Errno> {
        let inode = dir.ops.create(dir, name, S_IFCHR | 0o620, rdev)?;
        Ok(dev.add_child(name, inode))
    };
    Ok([node(b"ttyS0", DEV_TTYS0)?, node(b"ttyS1", DEV_TTYS1)?])
}

/// The rest of /dev, made when /dev is first used
/// (`tmpfs::populate_on_use`).
pub fn populate(dir: &Inode) -> Result<(), Errno> {
    let chr = |name: &[u8], mode: u32, rdev: u64| -> Result<(), Errno> {
        dir.ops.create(dir, name, S_IFCHR | mode, rdev).map(|_| ())
    };
    chr(b"null", 0o666, DEV_NULL)?;
    chr(b"zero", 0o666, DEV_ZERO)?;
    chr(b"full", 0o666, DEV_FULL)?;
    chr(b"random", 0o666, DEV_RANDOM)?;
    chr(b"urandom", 0o666, DEV_URANDOM)?;
    chr(b"tty", 0o666, DEV_TTY)?;
    chr(b"console", 0o600, DEV_CONSOLE)?;
    if let Some((size, _)) = super::page_cache::geometry() {
        let vda = dir.ops.create(dir, b"vda", S_IFBLK | 0o660, DEV_VDA)?;
        vda.meta.lock().size = size;
    }
    for (name, target) in [
        (&b"fd"[..], &b"/proc/self/fd"[..]),
        (b"stdin", b"/proc/self/fd/0"),
        (b"stdout", b"/proc/self/fd/1"),
        (b"stderr", b"/proc/self/fd/2"),
    ] {
        dir.ops.symlink(dir, name, target)?;
    }
    dir.ops.mkdir(dir, b"shm", 0o1777)?;
    Ok(())
}
