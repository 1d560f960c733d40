//! The calls that change directories (the rest of Linux's fs/namei.c):
//! mkdir, mknod, rmdir, unlink, rename, link, symlink, and readlink. The
//! checks Linux makes before a file system sees the request are made here,
//! once for every file system.

use alloc::sync::Arc;

use super::dentry::Dentry;
use super::inode::{FileType, RENAME_EXCHANGE, RENAME_NOREPLACE, S_IALLUGO, S_IFMT};
use super::namei::{AT_EMPTY_PATH, AT_FDCWD, AT_REMOVEDIR, AT_SYMLINK_FOLLOW, Parent, getname};
use super::namei::{user_path_at, user_path_parent};
use crate::errno::{
    EBUSY, EEXIST, EINVAL, EISDIR, ENOENT, ENOTDIR, ENOTEMPTY, EPERM, EXDEV, Errno, SysResult,
};
use crate::syscall::Args;
use crate::task::current;
use crate::uaccess::copy_to_user;

/// The parent of a new name: the name must be a real one (not `/`, `.`
/// or `..`) and must not exist yet.
fn check_new(p: &Parent) -> Result<(), Errno> {
    if matches!(p.name.as_slice(), b"" | b"." | b"..") {
        return Err(EEXIST);
    }
    match p.dir.lookup(&p.name) {
        Ok(_) => Err(EEXIST),
        Err(ENOENT) => p.dir.inode.check_can_create(),
        Err(e) => Err(e),
    }
}

fn do_mkdirat(dirfd: u64, path: u64, mode: u64) -> SysResult {
    let p = user_path_parent(dirfd, path)?;
    check_new(&p)?;
    let mode = mode as u32 & S_IALLUGO & !current().fs.umask;
    let inode = p.dir.inode.ops.mkdir(&p.dir.inode, &p.name, mode)?;
    inode.init_owner(&p.dir.inode);
    p.dir.add_child(&p.name, inode);
    Ok(0)
}

pub fn sys_mkdir(a: &Args) -> SysResult {
    do_mkdirat(AT_FDCWD, a[0], a[1])
}

pub fn sys_mkdirat(a: &Args) -> SysResult {
    do_mkdirat(a[0], a[1], a[2])
}

fn do_mknodat(dirfd: u64, path: u64, mode: u64, dev: u64) -> SysResult {
    let mode = mode as u32;
    let kind = match mode & S_IFMT {
        0 => FileType::Regular,
        m => FileType::from_mode(m).ok_or(EINVAL)?,
    };
    if kind == FileType::Directory {
        return Err(EPERM);
    }
    if kind == FileType::Symlink {
        return Err(EINVAL);
    }
    let p = user_path_parent(dirfd, path)?;
    check_new(&p)?;
    let type_bits = if mode & S_IFMT == 0 {
        super::inode::S_IFREG
    } else {
        mode & S_IFMT
    };
    let mode = type_bits | (mode & S_IALLUGO & !current().fs.umask);
    // The user's dev_t is the old 32-bit encoding: major 12 bits, minor 20.
    let (major, minor) = ((dev >> 8) & 0xfff, (dev & 0xff) | ((dev >> 12) & 0xfff00));
    let rdev = super::inode::encode_dev(major, minor);
    let inode = p.dir.inode.ops.create(&p.dir.inode, &p.name, mode, rdev)?;
    inode.init_owner(&p.dir.inode);
    p.dir.add_child(&p.name, inode);
    Ok(0)
}

pub fn sys_mknod(a: &Args) -> SysResult {
    do_mknodat(AT_FDCWD, a[0], a[1], a[2])
}

pub fn sys_mknodat(a: &Args) -> SysResult {
    do_mknodat(a[0], a[1], a[2], a[3])
}

/// The existing entry a removal or rename names, with Linux's errors for
/// `/`, `.` and `..`.
fn existing(p: &Parent, dot_error: Errno) -> Result<Arc<Dentry>, Errno> {
    match p.name.as_slice() {
        b"" => Err(EBUSY),
        b"." => Err(dot_error),
        b".." => Err(ENOTEMPTY),
        name => p.dir.lookup(name),
    }
}

/// A dentry that is the root of a file system (or the task's root) is
/// busy: it cannot be removed or renamed.
fn is_mount_root(d: &Arc<Dentry>) -> bool {
    d.parent().is_none() || d.inode.sb.dev != d.parent().map_or(0, |p| p.inode.sb.dev)
}

fn do_rmdir(dirfd: u64, path: u64) -> SysResult {
    let p = user_path_parent(dirfd, path)?;
    let d = existing(&p, EINVAL)?;
    if !d.inode.is_dir() {
        return Err(ENOTDIR);
    }
    if is_mount_root(&d) {
        return Err(EBUSY);
    }
    p.dir.inode.check_writable()?;
    if d.inode.meta.lock().immutable() {
        return Err(EPERM);
    }
    p.dir.inode.ops.rmdir(&p.dir.inode, &p.name)?;
    p.dir.forget_child(&p.name);
    Ok(0)
}

fn do_unlinkat(dirfd: u64, path: u64) -> SysResult {
    let p = user_path_parent(dirfd, path)?;
    let d = existing(&p, EISDIR)?;
    if d.inode.is_dir() {
        return Err(EISDIR);
    }
    if p.trailing_slash {
        return Err(ENOTDIR);
    }
    p.dir.inode.check_writable()?;
    if d.inode.meta.lock().immutable() {
        return Err(EPERM);
    }
    p.dir.inode.ops.unlink(&p.dir.inode, &p.name)?;
    p.dir.forget_child(&p.name);
    Ok(0)
}

pub fn sys_rmdir(a: &Args) -> SysResult {
    do_rmdir(AT_FDCWD, a[0])
}

pub fn sys_unlink(a: &Args) -> SysResult {
    do_unlinkat(AT_FDCWD, a[0])
}

pub fn sys_unlinkat(a: &Args) -> SysResult {
    match a[2] {
        0 => do_unlinkat(a[0], a[1]),
        AT_REMOVEDIR => do_rmdir(a[0], a[1]),
        _ => Err(EINVAL),
    }
}

fn do_renameat2(olddir: u64, oldpath: u64, newdir: u64, newpath: u64, flags: u64) -> SysResult {
    const RENAME_WHITEOUT: u64 = 4;
    let flags = flags as u32;
    if u64::from(flags) & !(u64::from(RENAME_NOREPLACE | RENAME_EXCHANGE) | RENAME_WHITEOUT) != 0
        || flags & RENAME_NOREPLACE != 0 && flags & RENAME_EXCHANGE != 0
    {
        return Err(EINVAL);
    }
    if u64::from(flags) & RENAME_WHITEOUT != 0 {
        return Err(EINVAL);
    }
    let old = user_path_parent(olddir, oldpath)?;
    let new = user_path_parent(newdir, newpath)?;
    let source = existing(&old, EBUSY).map_err(|e| if e == ENOTEMPTY { EBUSY } else { e })?;
    if matches!(new.name.as_slice(), b"" | b"." | b"..") {
        return Err(if new.name.is_empty() { EBUSY } else { EEXIST });
    }
    if (old.trailing_slash || new.trailing_slash) && !source.inode.is_dir() {
        return Err(ENOTDIR);
    }
    if !Arc::ptr_eq(&old.dir.inode.sb, &new.dir.inode.sb) {
        return Err(EXDEV);
    }
    if is_mount_root(&source) {
        return Err(EBUSY);
    }
    let target = match new.dir.lookup(&new.name) {
        Ok(t) => Some(t),
        Err(ENOENT) => None,
        Err(e) => return Err(e),
    };
    if flags & RENAME_EXCHANGE != 0 && target.is_none() {
        return Err(ENOENT);
    }
    if flags & RENAME_NOREPLACE != 0 && target.is_some() {
        return Err(EEXIST);
    }
    // A directory cannot move below itself.
    if source.inode.is_dir() && new.dir.is_within(&source) {
        return Err(EINVAL);
    }
    if let Some(t) = &target {
        if Arc::ptr_eq(&t.inode, &source.inode) {
            return Ok(0);
        }
        if flags & RENAME_EXCHANGE != 0 {
            if t.inode.is_dir() && old.dir.is_within(t) {
                return Err(EINVAL);
            }
        } else {
            match (source.inode.is_dir(), t.inode.is_dir()) {
                (true, false) => return Err(ENOTDIR),
                (false, true) => return Err(EISDIR),
                (true, true) if !t.inode.ops.is_empty_dir(&t.inode) => return Err(ENOTEMPTY),
                _ => {}
            }
        }
        if is_mount_root(t) {
            return Err(EBUSY);
        }
        if t.inode.meta.lock().immutable() {
            return Err(EPERM);
        }
    }
    old.dir.inode.check_writable()?;
    new.dir.inode.check_writable()?;
    if source.inode.meta.lock().immutable() {
        return Err(EPERM);
    }
    old.dir
        .inode
        .ops
        .rename(&old.dir.inode, &old.name, &new.dir.inode, &new.name, flags)?;
    Dentry::moved(
        &old.dir,
        &old.name,
        &new.dir,
        &new.name,
        flags & RENAME_EXCHANGE != 0,
    );
    Ok(0)
}

pub fn sys_rename(a: &Args) -> SysResult {
    do_renameat2(AT_FDCWD, a[0], AT_FDCWD, a[1], 0)
}

pub fn sys_renameat(a: &Args) -> SysResult {
    do_renameat2(a[0], a[1], a[2], a[3], 0)
}

pub fn sys_renameat2(a: &Args) -> SysResult {
    do_renameat2(a[0], a[1], a[2], a[3], a[4])
}

fn do_linkat(olddir: u64, oldpath: u64, newdir: u64, newpath: u64, flags: u64) -> SysResult {
    if flags & !(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH) != 0 {
        return Err(EINVAL);
    }
    // linkat follows a final symlink only with AT_SYMLINK_FOLLOW.
    let follow = if flags & AT_SYMLINK_FOLLOW != 0 {
        0
    } else {
        super::namei::AT_SYMLINK_NOFOLLOW
    };
    let source = user_path_at(olddir, oldpath, follow | (flags & AT_EMPTY_PATH))?;
    if source.inode.is_dir() {
        return Err(EPERM);
    }
    let new = user_path_parent(newdir, newpath)?;
    check_new(&new)?;
    if new.trailing_slash {
        return Err(ENOENT);
    }
    if !Arc::ptr_eq(&source.inode.sb, &new.dir.inode.sb) {
        return Err(EXDEV);
    }
    if source.inode.meta.lock().immutable() {
        return Err(EPERM);
    }
    // An O_TMPFILE file may get a name; a file whose last name is gone by
    // unlink may not (Linux: ENOENT).
    {
        let m = source.inode.meta();
        if m.nlink == 0 && m.flags & super::inode::FLAG_LINKABLE == 0 {
            return Err(ENOENT);
        }
    }
    new.dir
        .inode
        .ops
        .link(&new.dir.inode, &new.name, &source.inode)?;
    source.inode.meta.lock().flags &= !super::inode::FLAG_LINKABLE;
    new.dir.add_child(&new.name, source.inode.clone());
    Ok(0)
}

pub fn sys_link(a: &Args) -> SysResult {
    do_linkat(AT_FDCWD, a[0], AT_FDCWD, a[1], 0)
}

pub fn sys_linkat(a: &Args) -> SysResult {
    do_linkat(a[0], a[1], a[2], a[3], a[4])
}

fn do_symlinkat(target: u64, newdir: u64, newpath: u64) -> SysResult {
    let target = getname(target)?;
    let new = user_path_parent(newdir, newpath)?;
    check_new(&new)?;
    if new.trailing_slash {
        return Err(ENOENT);
    }
    let inode = new
        .dir
        .inode
        .ops
        .symlink(&new.dir.inode, &new.name, &target)?;
    inode.init_owner(&new.dir.inode);
    new.dir.add_child(&new.name, inode);
    Ok(0)
}

pub fn sys_symlink(a: &Args) -> SysResult {
    do_symlinkat(a[0], AT_FDCWD, a[1])
}

pub fn sys_symlinkat(a: &Args) -> SysResult {
    do_symlinkat(a[0], a[1], a[2])
}

fn do_readlinkat(dirfd: u64, path: u64, buf: u64, size: u64) -> SysResult {
    if (size as i32) <= 0 {
        return Err(EINVAL);
    }
    // An empty path names dirfd itself (an O_PATH descriptor of a link),
    // never the working directory.
    if super::namei::is_fdcwd(dirfd) && super::namei::getname_empty_ok(path)?.is_empty() {
        return Err(ENOENT);
    }
    let d = user_path_at(
        dirfd,
        path,
        super::namei::AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH,
    )?;
    if d.inode.file_type() != FileType::Symlink {
        return Err(EINVAL);
    }
    let target = d.inode.ops.readlink(&d.inode)?;
    let n = target.len().min(size as u32 as usize);
    copy_to_user(buf, &target[..n])?;
    Ok(n as u64)
}

pub fn sys_readlink(a: &Args) -> SysResult {
    do_readlinkat(AT_FDCWD, a[0], a[1], a[2])
}

pub fn sys_readlinkat(a: &Args) -> SysResult {
    do_readlinkat(a[0], a[1], a[2], a[3])
}
