//! memfd_create: an anonymous regular file in memory (Linux's mm/memfd.c),
//! on a tmpfs instance of its own that no path reaches.

use spin::Mutex;

use super::dentry::Dentry;
use super::file::{File, O_LARGEFILE, O_RDWR};
use super::filemap::RegularFile;
use super::inode::{InodeRef, S_IFREG};
use crate::errno::{EINVAL, SysResult};
use crate::syscall::Args;
use crate::task::current;

const MFD_CLOEXEC: u64 = 1;
const MFD_ALLOW_SEALING: u64 = 2;
const MFD_HUGETLB: u64 = 4;
const MFD_NOEXEC_SEAL: u64 = 8;
const MFD_EXEC: u64 = 0x10;
/// The longest name (NAME_MAX less the "memfd:" prefix).
const MFD_NAME_MAX: usize = 249;

static MEMFD_ROOT: Mutex<Option<InodeRef>> = Mutex::new(None);

pub fn sys_memfd_create(a: &Args) -> SysResult {
    let (name, flags) = (a[0], a[1]);
    if flags & !(MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_NOEXEC_SEAL | MFD_EXEC) != 0
        || flags & MFD_HUGETLB != 0
    {
        return Err(EINVAL);
    }
    let name = crate::uaccess::strncpy_from_user(name, MFD_NAME_MAX)?.ok_or(EINVAL)?;
    let mut label = b"memfd:".to_vec();
    label.extend_from_slice(&name);
    let file = anonymous_file(&label)?;
    current().files.install(file, 0, flags & MFD_CLOEXEC != 0)
}

/// A regular file in memory that no path reaches, named `label` in
/// /proc/self/fd: memfd_create's, and the object behind a shared
/// anonymous mapping (Linux's shmem_zero_setup), which fork shares.
fn anonymous_file(label: &[u8]) -> Result<alloc::sync::Arc<File>, crate::errno::Errno> {
    let limit = || crate::mm::frame::usage().0 / 2;
    let inode = super::tmpfs::nameless_inode(&MEMFD_ROOT, "tmpfs", limit, S_IFREG | 0o777)?;
    Ok(File::new(
        Dentry::anonymous(inode, label),
        RegularFile::ops(),
        O_RDWR | O_LARGEFILE,
    ))
}

/// The file behind a MAP_SHARED|MAP_ANONYMOUS mapping of `size` bytes.
pub fn shmem_file(size: u64) -> Result<alloc::sync::Arc<File>, crate::errno::Errno> {
    let file = anonymous_file(b"/dev/zero (deleted)")?;
    file.dentry.inode.set_size(size)?;
    Ok(file)
}
