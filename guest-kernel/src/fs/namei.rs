//! Path-taking calls over a minimal device file system: `/`, `/dev`,
//! `/dev/console`, `/dev/null`, `/dev/zero` and, with a disk, `/dev/vda`.
//! Anything else names nothing (ENOENT), after the path itself has been
//! validated (EFAULT, ENAMETOOLONG) as Linux does.

use alloc::vec::Vec;

use super::page_cache;
use crate::errno::{
    EEXIST, EFAULT, EINVAL, EISDIR, ENAMETOOLONG, ENOENT, ENOTDIR, ERANGE, EROFS, Errno, SysResult,
};
use crate::file::{File, FileKind, O_ACCMODE, O_CLOEXEC, O_RDONLY};
use crate::task::current;

/// Opening a directory read-only works on Linux; with no getdents here a
/// directory file would be useless, so it is refused honestly.
const ENOTSUP_DIR: Errno = crate::errno::EISDIR;
use crate::syscall::Args;
use crate::uaccess::{copy_to_user, strncpy_from_user};

/// PATH_MAX, NUL included.
const PATH_MAX: usize = 4096;

/// Copies a path from user memory (Linux's `getname`).
pub fn getname(user: u64) -> Result<Vec<u8>, Errno> {
    if user == 0 {
        return Err(EFAULT);
    }
    let path = strncpy_from_user(user, PATH_MAX - 1)?.ok_or(ENAMETOOLONG)?;
    if path.is_empty() {
        return Err(ENOENT);
    }
    Ok(path)
}

/// What a path names.
pub enum Node {
    /// A directory, by inode number.
    Dir(u64),
    Device(FileKind),
}

/// Resolves an absolute or cwd-relative path (the cwd is always `/`);
/// `.`, `..` and repeated slashes are handled.
pub fn lookup(path: &[u8]) -> Result<Node, Errno> {
    let mut parts: Vec<&[u8]> = Vec::new();
    for part in path.split(|&b| b == b'/') {
        match part {
            b"" | b"." => {}
            b".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    match parts.as_slice() {
        [] => Ok(Node::Dir(1)),
        [b"dev"] => Ok(Node::Dir(2)),
        [b"dev", b"console"] => Ok(Node::Device(FileKind::Console)),
        [b"dev", b"null"] => Ok(Node::Device(FileKind::Null)),
        [b"dev", b"zero"] => Ok(Node::Device(FileKind::Zero)),
        [b"dev", b"vda"] if page_cache::geometry().is_some() => Ok(Node::Device(FileKind::Disk)),
        _ => Err(ENOENT),
    }
}

fn lookup_user(user: u64) -> Result<Node, Errno> {
    lookup(&getname(user)?)
}

const O_CREAT: u32 = 0o100;
const O_EXCL: u32 = 0o200;
const O_DIRECTORY: u32 = 0o200000;

fn do_open(path: u64, flags: u64) -> SysResult {
    let flags = flags as u32;
    let node = lookup_user(path)?;
    if flags & (O_CREAT | O_EXCL) == O_CREAT | O_EXCL {
        return Err(EEXIST);
    }
    let kind = match node {
        // Directories can be opened for reading only; no readdir yet.
        Node::Dir(_) => {
            return Err(if flags & O_ACCMODE == O_RDONLY {
                ENOTSUP_DIR
            } else {
                EISDIR
            });
        }
        Node::Device(kind) => kind,
    };
    if flags & O_DIRECTORY != 0 {
        return Err(ENOTDIR);
    }
    let writing = flags & O_ACCMODE != O_RDONLY;
    if kind == FileKind::Disk && writing && page_cache::geometry().is_some_and(|(_, ro)| ro) {
        return Err(EROFS);
    }
    let file = match kind {
        FileKind::Console => File::console(kind, (flags & !O_CLOEXEC) & !(O_CREAT | O_EXCL), true),
        _ => File::device(kind, (flags & !O_CLOEXEC) & !(O_CREAT | O_EXCL)),
    };
    current().files.install(file, 0, flags & O_CLOEXEC != 0)
}

pub fn sys_open(a: &Args) -> SysResult {
    do_open(a[0], a[1])
}

/// Paths are absolute or relative to `/`, so `dirfd` only has to be valid
/// (or AT_FDCWD) for relative paths.
pub fn sys_openat(a: &Args) -> SysResult {
    do_open(a[1], a[2])
}

pub fn sys_access(a: &Args) -> SysResult {
    lookup_user(a[0]).map(|_| 0)
}

pub fn sys_faccessat(a: &Args) -> SysResult {
    lookup_user(a[1]).map(|_| 0)
}

pub fn sys_readlink(a: &Args) -> SysResult {
    // Nothing here is a link; /proc does not exist (/proc/self/exe: ENOENT).
    lookup_user(a[0]).and(Err(EINVAL))
}

pub fn sys_readlinkat(a: &Args) -> SysResult {
    lookup_user(a[1]).and(Err(EINVAL))
}

pub fn sys_chdir(a: &Args) -> SysResult {
    match lookup_user(a[0])? {
        Node::Dir(1) => Ok(0),
        // Only the root can be the working directory (getcwd says "/").
        Node::Dir(_) => Err(crate::errno::EACCES),
        Node::Device(_) => Err(ENOTDIR),
    }
}

pub fn sys_getcwd(a: &Args) -> SysResult {
    let (buf, size) = (a[0], a[1]);
    if size < 2 {
        return Err(ERANGE);
    }
    copy_to_user(buf, b"/\0")?;
    Ok(2)
}
