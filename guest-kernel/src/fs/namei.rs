//! Path-taking calls. No file system is mounted yet, so every path except
//! the root directory names nothing (ENOENT), after the path itself has been
//! validated (EFAULT, ENAMETOOLONG) as Linux does.

use alloc::vec::Vec;

use crate::errno::{EFAULT, ENAMETOOLONG, ENOENT, ERANGE, Errno, SysResult};
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

fn is_root(path: &[u8]) -> bool {
    !path.is_empty() && path.iter().all(|&b| b == b'/')
}

fn lookup(user: u64) -> SysResult {
    let path = getname(user)?;
    if is_root(&path) { Ok(0) } else { Err(ENOENT) }
}

pub fn sys_open(a: &Args) -> SysResult {
    lookup(a[0]).and(Err(ENOENT))
}

pub fn sys_openat(a: &Args) -> SysResult {
    lookup(a[1]).and(Err(ENOENT))
}

pub fn sys_access(a: &Args) -> SysResult {
    lookup(a[0])
}

pub fn sys_faccessat(a: &Args) -> SysResult {
    lookup(a[1])
}

pub fn sys_readlink(a: &Args) -> SysResult {
    // The root is not a link; nothing else exists (/proc/self/exe included).
    lookup(a[0]).and(Err(crate::errno::EINVAL))
}

pub fn sys_readlinkat(a: &Args) -> SysResult {
    lookup(a[1]).and(Err(crate::errno::EINVAL))
}

pub fn sys_chdir(a: &Args) -> SysResult {
    lookup(a[0])
}

pub fn sys_getcwd(a: &Args) -> SysResult {
    let (buf, size) = (a[0], a[1]);
    if size < 2 {
        return Err(ERANGE);
    }
    copy_to_user(buf, b"/\0")?;
    Ok(2)
}
