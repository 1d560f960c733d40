//! Path walk (Linux's fs/namei.c): from the root, the working directory or
//! a directory descriptor, component by component through dentries, with
//! `.` and `..` (never above the root), mounts, and symbolic links
//! followed up to 40 deep (ELOOP past that).

use alloc::sync::Arc;
use alloc::vec::Vec;

use super::dentry::Dentry;
use super::inode::FileType;
use crate::errno::{EFAULT, ELOOP, ENAMETOOLONG, ENOENT, ENOTDIR, Errno};
use crate::task::current;
use crate::uaccess::strncpy_from_user;

/// PATH_MAX, NUL included.
pub const PATH_MAX: usize = 4096;
/// Longest name of one component (NAME_MAX).
pub const NAME_MAX: usize = 255;
/// Most symbolic links one walk follows (MAXSYMLINKS).
const MAXSYMLINKS: u32 = 40;

pub const AT_FDCWD: u64 = (-100i64) as u64;
pub const AT_SYMLINK_NOFOLLOW: u64 = 0x100;
pub const AT_REMOVEDIR: u64 = 0x200;
pub const AT_SYMLINK_FOLLOW: u64 = 0x400;
pub const AT_NO_AUTOMOUNT: u64 = 0x800;
pub const AT_EMPTY_PATH: u64 = 0x1000;

/// Copies a path from user memory (Linux's `getname`): EFAULT, ENAMETOOLONG
/// past PATH_MAX, ENOENT when empty.
pub fn getname(user: u64) -> Result<Vec<u8>, Errno> {
    let path = getname_empty_ok(user)?;
    if path.is_empty() {
        return Err(ENOENT);
    }
    Ok(path)
}

/// Like [`getname`], but an empty path is returned (AT_EMPTY_PATH).
pub fn getname_empty_ok(user: u64) -> Result<Vec<u8>, Errno> {
    if user == 0 {
        return Err(EFAULT);
    }
    strncpy_from_user(user, PATH_MAX - 1)?.ok_or(ENAMETOOLONG)
}

/// `dirfd` is an int: AT_FDCWD from both ABIs (64-bit -100, or the i386
/// ABI's zero-extended 32-bit -100).
pub fn is_fdcwd(dirfd: u64) -> bool {
    dirfd as i32 == AT_FDCWD as i32
}

/// Where a relative path starts: the working directory, or the directory
/// open at `dirfd`.
pub fn start_dir(dirfd: u64) -> Result<Arc<Dentry>, Errno> {
    let task = current();
    if is_fdcwd(dirfd) {
        return Ok(task.fs.cwd.clone());
    }
    let file = task.files.get(dirfd)?;
    if !file.inode().is_dir() {
        return Err(ENOTDIR);
    }
    Ok(file.dentry.clone())
}

/// One walk's state: how many symbolic links it has followed.
#[derive(Default)]
pub struct Walk {
    links: u32,
}

/// A path split into its last component and what leads to it.
pub struct Parent {
    pub dir: Arc<Dentry>,
    /// The last component: may be empty (the path was "/"), `.` or `..`.
    pub name: Vec<u8>,
    /// The path ended in a slash.
    pub trailing_slash: bool,
}

fn components(path: &[u8]) -> impl Iterator<Item = &[u8]> {
    path.split(|&b| b == b'/').filter(|c| !c.is_empty())
}

impl Walk {
    fn root() -> Arc<Dentry> {
        current().fs.root.clone()
    }

    /// `..` of `d`: its parent, but never above the task's root.
    fn parent_of(d: &Arc<Dentry>) -> Arc<Dentry> {
        let root = Walk::root();
        if Arc::ptr_eq(d, &root) {
            return root;
        }
        d.parent().unwrap_or(root)
    }

    /// One step from directory `dir` to `name`; symbolic links other than
    /// a final one that `follow` leaves alone are followed.
    fn step(&mut self, dir: &Arc<Dentry>, name: &[u8], follow: bool) -> Result<Arc<Dentry>, Errno> {
        if !dir.inode.is_dir() {
            return Err(ENOTDIR);
        }
        match name {
            b"." => return Ok(dir.clone()),
            b".." => return Ok(Walk::parent_of(dir)),
            _ => {}
        }
        if name.len() > NAME_MAX {
            return Err(ENAMETOOLONG);
        }
        let next = dir.lookup(name)?;
        if follow && next.inode.file_type() == FileType::Symlink {
            return self.follow_link(dir, &next);
        }
        Ok(next)
    }

    /// Resolves the symbolic link `link`, found in `dir`.
    pub fn follow_link(
        &mut self,
        dir: &Arc<Dentry>,
        link: &Arc<Dentry>,
    ) -> Result<Arc<Dentry>, Errno> {
        self.links += 1;
        if self.links > MAXSYMLINKS {
            return Err(ELOOP);
        }
        let target = link.inode.ops.readlink(&link.inode)?;
        if target.is_empty() {
            return Err(ENOENT);
        }
        // procfs links name live objects, not paths to walk (their target
        // text is only for readlink).
        if let Some(d) = super::procfs::follow(&link.inode) {
            return d;
        }
        self.walk(dir.clone(), &target, true)
    }

    /// Resolves `path` from `start` (absolute paths from the root);
    /// `follow` says whether a final symbolic link is followed.
    pub fn walk(
        &mut self,
        start: Arc<Dentry>,
        path: &[u8],
        follow: bool,
    ) -> Result<Arc<Dentry>, Errno> {
        let mut cur = if path.first() == Some(&b'/') {
            Walk::root()
        } else {
            start
        };
        let trailing_slash = path.last() == Some(&b'/');
        let mut parts = components(path).peekable();
        while let Some(name) = parts.next() {
            let last = parts.peek().is_none();
            cur = self.step(&cur, name, !last || follow || trailing_slash)?;
        }
        if trailing_slash && !cur.inode.is_dir() {
            return Err(ENOTDIR);
        }
        Ok(cur)
    }

    /// Resolves all but the last component of `path`.
    pub fn walk_parent(&mut self, start: Arc<Dentry>, path: &[u8]) -> Result<Parent, Errno> {
        let trimmed_len = path.iter().rposition(|&b| b != b'/').map_or(0, |i| i + 1);
        let trimmed = &path[..trimmed_len];
        let (dir_part, name) = match trimmed.iter().rposition(|&b| b == b'/') {
            Some(i) => (&trimmed[..=i], &trimmed[i + 1..]),
            None => (&b""[..], trimmed),
        };
        let dir = if dir_part.is_empty() {
            if path.first() == Some(&b'/') {
                Walk::root()
            } else {
                start
            }
        } else {
            self.walk(start, dir_part, true)?
        };
        if !dir.inode.is_dir() {
            return Err(ENOTDIR);
        }
        if name.len() > NAME_MAX {
            return Err(ENAMETOOLONG);
        }
        Ok(Parent {
            dir,
            name: name.to_vec(),
            trailing_slash: trimmed_len < path.len(),
        })
    }
}

/// Resolves `path` relative to `dirfd` (Linux's `user_path_at`).
pub fn lookup_at(dirfd: u64, path: &[u8], follow: bool) -> Result<Arc<Dentry>, Errno> {
    let start = if path.first() == Some(&b'/') {
        Walk::root()
    } else {
        start_dir(dirfd)?
    };
    Walk::default().walk(start, path, follow)
}

/// A user path relative to `dirfd`; with `AT_EMPTY_PATH` in `flags`, an
/// empty path names `dirfd` itself.
pub fn user_path_at(dirfd: u64, user: u64, flags: u64) -> Result<Arc<Dentry>, Errno> {
    let path = if flags & AT_EMPTY_PATH != 0 {
        getname_empty_ok(user)?
    } else {
        getname(user)?
    };
    if path.is_empty() {
        if is_fdcwd(dirfd) {
            return Ok(current().fs.cwd.clone());
        }
        return Ok(current().files.get(dirfd)?.dentry.clone());
    }
    lookup_at(dirfd, &path, flags & AT_SYMLINK_NOFOLLOW == 0)
}

/// The parent directory of a user path relative to `dirfd`, and its last
/// component.
pub fn user_path_parent(dirfd: u64, user: u64) -> Result<Parent, Errno> {
    let path = getname(user)?;
    let start = if path.first() == Some(&b'/') {
        Walk::root()
    } else {
        start_dir(dirfd)?
    };
    Walk::default().walk_parent(start, &path)
}
