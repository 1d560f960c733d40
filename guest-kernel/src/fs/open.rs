//! Opening files (Linux's fs/open.c and the open half of fs/namei.c), and
//! the calls that change an inode's attributes: truncate, fallocate, chmod,
//! chown, utimensat, access, chdir, getcwd, umask.

use alloc::sync::Arc;

use super::dentry::Dentry;
use super::file::{
    File, FileOps, O_ACCMODE, O_CLOEXEC, O_CREAT, O_DIRECTORY, O_EXCL, O_LARGEFILE, O_NOCTTY,
    O_NOFOLLOW, O_PATH, O_RDONLY, O_TMPFILE, O_TRUNC,
};
use super::filemap::{MAX_FILE_SIZE, RegularFile};
use super::inode::{FileType, InodeRef, S_IALLUGO, S_IFMT, S_IFREG, Timespec};
use super::namei::{AT_EMPTY_PATH, AT_SYMLINK_NOFOLLOW, Walk, getname, start_dir, user_path_at};
use crate::errno::{
    EBADF, EEXIST, EFBIG, EINVAL, EISDIR, ELOOP, ENOENT, ENOTDIR, EOPNOTSUPP, EPERM, ERANGE, Errno,
    SysResult,
};
use crate::mm::PAGE_SIZE;
use crate::syscall::Args;
use crate::task::current;
use crate::uaccess::{copy_to_user, get_user};

/// What an O_PATH descriptor does: nothing but name a place.
struct PathOnly;
impl FileOps for PathOnly {}

/// The file operations for opening `inode` with `flags`.
fn open_ops(inode: &InodeRef, flags: u32) -> Result<Arc<dyn FileOps>, Errno> {
    if let Some(ops) = inode.ops.open(inode, flags) {
        return ops;
    }
    Ok(match inode.file_type() {
        FileType::Directory => super::readdir::DirFile::ops(),
        FileType::Regular => RegularFile::ops(),
        FileType::CharDevice | FileType::BlockDevice => super::devfs::open_node(inode, flags)?,
        FileType::Fifo => super::pipe::fifo_open(inode, flags)?,
        _ => return Err(crate::errno::ENXIO),
    })
}

/// The checks every open makes of the inode it found, then the file.
fn open_dentry(d: Arc<Dentry>, flags: u32, created: bool) -> Result<Arc<File>, Errno> {
    let inode = d.inode.clone();
    let kind = inode.file_type();
    if flags & O_PATH != 0 {
        if flags & O_DIRECTORY != 0 && kind != FileType::Directory {
            return Err(ENOTDIR);
        }
        let keep = O_PATH | O_DIRECTORY | O_NOFOLLOW;
        return Ok(File::new(d, Arc::new(PathOnly), flags & keep));
    }
    let writing = flags & O_ACCMODE != O_RDONLY;
    match kind {
        FileType::Symlink => return Err(ELOOP),
        FileType::Directory if writing || flags & O_CREAT != 0 => return Err(EISDIR),
        FileType::Directory => {}
        _ if flags & O_DIRECTORY != 0 => return Err(ENOTDIR),
        _ => {}
    }
    if flags & O_ACCMODE == O_ACCMODE {
        return Err(EINVAL);
    }
    let data = matches!(kind, FileType::Regular | FileType::Directory);
    if data && (writing || flags & O_TRUNC != 0) {
        inode.check_writable()?;
        check_not_running(&inode)?;
    }
    let ops = open_ops(&inode, flags)?;
    if kind == FileType::Regular && flags & O_TRUNC != 0 && !created && inode.size() > 0 {
        inode.set_size(0)?;
    }
    let status = (flags & !(O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_CLOEXEC)) | O_LARGEFILE;
    Ok(File::new(d, ops, status))
}

/// Opens a program file for execve (read-only; the caller checked it is
/// a regular file with an execute bit).
pub fn open_for_exec(d: Arc<Dentry>) -> Result<Arc<File>, Errno> {
    open_dentry(d, O_RDONLY, false)
}

/// ETXTBSY: a running program's file cannot be written (its text is
/// mapped from the file's pages).
fn check_not_running(inode: &InodeRef) -> Result<(), Errno> {
    let first = super::exe_if_placed();
    let running = crate::task::all()
        .filter(|t| t.state != crate::task::TaskState::Zombie)
        .any(|t| {
            t.exe
                .as_ref()
                .or(first.as_ref())
                .is_some_and(|exe| Arc::ptr_eq(&exe.inode, inode))
        });
    if running {
        Err(crate::errno::ETXTBSY)
    } else {
        Ok(())
    }
}

/// Creates a regular file `name` in `dir` with `mode` less the umask.
fn create_file(dir: &Arc<Dentry>, name: &[u8], mode: u32) -> Result<Arc<Dentry>, Errno> {
    dir.inode.check_can_create()?;
    let mode = S_IFREG | (mode & S_IALLUGO & !current().fs.umask);
    let inode = dir.inode.ops.create(&dir.inode, name, mode, 0)?;
    inode.init_owner(&dir.inode);
    Ok(dir.add_child(name, inode))
}

/// O_TMPFILE: a regular file in directory `dir` that has no name.
fn open_tmpfile(dir: Arc<Dentry>, flags: u32, mode: u32) -> Result<Arc<File>, Errno> {
    if flags & O_ACCMODE == O_RDONLY {
        return Err(EINVAL);
    }
    if !dir.inode.is_dir() {
        return Err(ENOTDIR);
    }
    // Created under a name no path can spell, then unlinked at once.
    let name = alloc::format!("#{}", dir.inode.sb.alloc_ino());
    let d = create_file(&dir, name.as_bytes(), mode)?;
    dir.inode.ops.unlink(&dir.inode, name.as_bytes())?;
    dir.forget_child(name.as_bytes());
    // linkat(fd, "", ..., AT_EMPTY_PATH) may give it a name later, unless
    // it was opened O_EXCL.
    if flags & O_EXCL == 0 {
        d.inode.meta.lock().flags |= super::inode::FLAG_LINKABLE;
    }
    open_dentry(d, flags & !O_TMPFILE, true)
}

/// Opens `path` relative to `start` (Linux's `do_filp_open`).
fn open_path(
    walk: &mut Walk,
    start: Arc<Dentry>,
    path: &[u8],
    flags: u32,
    mode: u32,
) -> Result<Arc<File>, Errno> {
    if flags & O_TMPFILE == O_TMPFILE {
        let dir = walk.walk(start, path, true)?;
        return open_tmpfile(dir, flags, mode);
    }
    let follow = flags & O_NOFOLLOW == 0;
    if flags & O_CREAT == 0 || flags & O_PATH != 0 {
        let d = walk.walk(start, path, follow)?;
        if !follow && d.inode.file_type() == FileType::Symlink && flags & O_PATH == 0 {
            return Err(ELOOP);
        }
        return open_dentry(d, flags, false);
    }
    let parent = walk.walk_parent(start, path)?;
    if matches!(parent.name.as_slice(), b"" | b"." | b"..") || parent.trailing_slash {
        // "/", "dir/", "." with O_CREAT name a directory, never a file to
        // create: EISDIR, as Linux answers before looking further.
        return Err(EISDIR);
    }
    match parent.dir.lookup(&parent.name) {
        Ok(d) => {
            if flags & O_EXCL != 0 {
                return Err(EEXIST);
            }
            if d.inode.file_type() == FileType::Symlink {
                if !follow {
                    return Err(ELOOP);
                }
                // O_CREAT through a symbolic link creates its target.
                let target = d.inode.ops.readlink(&d.inode)?;
                return walk_link_then(walk, &parent.dir, &d, &target, flags, mode);
            }
            open_dentry(d, flags, false)
        }
        Err(ENOENT) => {
            let d = create_file(&parent.dir, &parent.name, mode)?;
            open_dentry(d, flags, true)
        }
        Err(e) => Err(e),
    }
}

/// Counts the link `link` and opens its `target` as the path.
fn walk_link_then(
    walk: &mut Walk,
    dir: &Arc<Dentry>,
    link: &Arc<Dentry>,
    target: &[u8],
    flags: u32,
    mode: u32,
) -> Result<Arc<File>, Errno> {
    // Resolve it once to count it and to catch loops; a dangling link
    // resolves to ENOENT, and then its target is created.
    match walk.follow_link(dir, link) {
        Ok(d) => open_dentry(d, flags, false),
        Err(ENOENT) => open_path(walk, dir.clone(), target, flags & !O_EXCL, mode),
        Err(e) => Err(e),
    }
}

/// open, openat and creat: a user path from `dirfd` (unknown flags are
/// ignored, as Linux's open ignores them).
fn do_open(dirfd: u64, user_path: u64, flags: u64, mode: u64) -> SysResult {
    let flags = flags as u32;
    let path = getname(user_path)?;
    let start = if path.first() == Some(&b'/') {
        current().fs.root.clone()
    } else {
        start_dir(dirfd)?
    };
    let file = open_path(
        &mut Walk::default(),
        start,
        &path,
        flags,
        mode as u32 & S_IALLUGO,
    )?;
    current().files.install(file, 0, flags & O_CLOEXEC != 0)
}

pub fn sys_open(a: &Args) -> SysResult {
    do_open(super::namei::AT_FDCWD, a[0], a[1], a[2])
}

pub fn sys_openat(a: &Args) -> SysResult {
    do_open(a[0], a[1], a[2], a[3])
}

pub fn sys_creat(a: &Args) -> SysResult {
    let flags = O_CREAT | super::file::O_WRONLY | O_TRUNC;
    do_open(super::namei::AT_FDCWD, a[0], u64::from(flags), a[1])
}

// --- size ------------------------------------------------------------

fn do_truncate(inode: &InodeRef, length: i64) -> SysResult {
    if length < 0 {
        return Err(EINVAL);
    }
    match inode.file_type() {
        FileType::Directory => return Err(EISDIR),
        FileType::Regular => {}
        _ => return Err(EINVAL),
    }
    if length as u64 > MAX_FILE_SIZE {
        return Err(EFBIG);
    }
    inode.check_writable()?;
    check_not_running(inode)?;
    inode.set_size(length as u64).map(|_| 0)
}

pub fn sys_truncate(a: &Args) -> SysResult {
    let d = user_path_at(super::namei::AT_FDCWD, a[0], 0)?;
    do_truncate(&d.inode, a[1] as i64)
}

pub fn sys_ftruncate(a: &Args) -> SysResult {
    let file = current().files.get(a[0])?;
    if !file.writable() {
        return Err(EINVAL);
    }
    do_truncate(file.inode(), a[1] as i64)
}

/// i386: the length is a signed 32-bit value.
pub fn compat_sys_truncate(a: &Args) -> SysResult {
    sys_truncate(&[a[0], a[1] as u32 as i32 as i64 as u64, 0, 0, 0, 0])
}

pub fn compat_sys_ftruncate(a: &Args) -> SysResult {
    sys_ftruncate(&[a[0], a[1] as u32 as i32 as i64 as u64, 0, 0, 0, 0])
}

/// fallocate(fd, mode, offset, len): mode 0 allocates the range and
/// extends the size; FALLOC_FL_KEEP_SIZE allocates only; with
/// FALLOC_FL_PUNCH_HOLE the range's pages go and it reads as zeros. On a
/// memory file system allocating means taking the pages now (ENOSPC when
/// they do not fit, as tmpfs); elsewhere the size is what changes.
pub fn sys_fallocate(a: &Args) -> SysResult {
    const FALLOC_FL_KEEP_SIZE: u32 = 1;
    const FALLOC_FL_PUNCH_HOLE: u32 = 2;
    let (fd, mode, offset, len) = (a[0], a[1] as u32, a[2] as i64, a[3] as i64);
    let file = current().files.get(fd)?;
    if offset < 0 || len <= 0 {
        return Err(EINVAL);
    }
    if mode & !(FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE) != 0
        || mode & FALLOC_FL_PUNCH_HOLE != 0 && mode & FALLOC_FL_KEEP_SIZE == 0
    {
        return Err(EOPNOTSUPP);
    }
    if !file.writable() {
        return Err(EBADF);
    }
    let inode = file.inode();
    match inode.file_type() {
        FileType::Directory => return Err(EISDIR),
        FileType::Regular => {}
        _ => return Err(crate::errno::ENODEV),
    }
    let end = offset.checked_add(len).ok_or(EFBIG)? as u64;
    if end > MAX_FILE_SIZE {
        return Err(EFBIG);
    }
    inode.check_writable()?;
    check_not_running(inode)?;
    let offset = offset as u64;
    if mode & FALLOC_FL_PUNCH_HOLE != 0 {
        // Past the end there is nothing to free.
        let end = end.min(inode.size());
        if offset >= end {
            return Ok(0);
        }
        if inode.sb.memory_backed {
            inode.punch_hole(offset, end);
        } else {
            inode.ops.punch_hole(inode, offset, end)?;
        }
        return Ok(0);
    }
    if inode.sb.memory_backed {
        for index in offset / PAGE_SIZE..end.div_ceil(PAGE_SIZE) {
            inode.get_page(index)?;
        }
    } else {
        // A disk's blocks come at writeback: the range's pages are
        // promised room and dirtied, so they are allocated (as zeros, or
        // what was there) when the file is written back.
        for index in offset / PAGE_SIZE..end.div_ceil(PAGE_SIZE) {
            inode.ops.reserve_page(inode, index)?;
            inode.get_page(index)?;
            inode.pages.lock().mark_dirty(index);
        }
    }
    if mode & FALLOC_FL_KEEP_SIZE == 0 && end > inode.size() {
        inode.update(|m| m.size = end)?;
    }
    Ok(0)
}

// --- attributes --------------------------------------------------------

fn chmod(inode: &InodeRef, mode: u64) -> SysResult {
    inode.check_writable()?;
    let mode = mode as u32 & S_IALLUGO;
    inode
        .update(|m| m.mode = (m.mode & S_IFMT) | mode)
        .map(|_| 0)
}

pub fn sys_chmod(a: &Args) -> SysResult {
    chmod(&user_path_at(super::namei::AT_FDCWD, a[0], 0)?.inode, a[1])
}

pub fn sys_fchmod(a: &Args) -> SysResult {
    let file = current().files.get(a[0])?;
    if file.is_path() {
        return Err(EBADF);
    }
    chmod(file.inode(), a[1])
}

pub fn sys_fchmodat(a: &Args) -> SysResult {
    chmod(&user_path_at(a[0], a[1], 0)?.inode, a[2])
}

/// fchmodat2(dirfd, path, mode, flags): AT_SYMLINK_NOFOLLOW on a link is
/// EOPNOTSUPP, as Linux (links have no mode of their own).
pub fn sys_fchmodat2(a: &Args) -> SysResult {
    if a[3] & !(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH) != 0 {
        return Err(EINVAL);
    }
    let d = user_path_at(a[0], a[1], a[3])?;
    if d.inode.file_type() == FileType::Symlink {
        return Err(EOPNOTSUPP);
    }
    chmod(&d.inode, a[2])
}

fn chown(inode: &InodeRef, uid: u64, gid: u64) -> SysResult {
    inode.check_writable()?;
    // -1 keeps the id; ids are 32-bit.
    let (uid, gid) = (uid as u32, gid as u32);
    inode
        .update(|m| {
            if uid != u32::MAX {
                m.uid = uid;
            }
            if gid != u32::MAX {
                m.gid = gid;
            }
            // Changing owners clears setuid, and setgid on group-executables.
            if m.mode & S_IFMT != super::inode::S_IFDIR {
                m.mode &= !0o4000;
                if m.mode & 0o010 != 0 {
                    m.mode &= !0o2000;
                }
            }
        })
        .map(|_| 0)
}

pub fn sys_chown(a: &Args) -> SysResult {
    chown(
        &user_path_at(super::namei::AT_FDCWD, a[0], 0)?.inode,
        a[1],
        a[2],
    )
}

pub fn sys_lchown(a: &Args) -> SysResult {
    let d = user_path_at(super::namei::AT_FDCWD, a[0], AT_SYMLINK_NOFOLLOW)?;
    chown(&d.inode, a[1], a[2])
}

pub fn sys_fchown(a: &Args) -> SysResult {
    let file = current().files.get(a[0])?;
    if file.is_path() {
        return Err(EBADF);
    }
    chown(file.inode(), a[1], a[2])
}

pub fn sys_fchownat(a: &Args) -> SysResult {
    if a[4] & !(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH) != 0 {
        return Err(EINVAL);
    }
    chown(&user_path_at(a[0], a[1], a[4])?.inode, a[2], a[3])
}

/// The i386 ABI's 16-bit chown family: -1 is 0xffff there.
fn id16(id: u64) -> u64 {
    if id as u16 == u16::MAX {
        u64::from(u32::MAX)
    } else {
        id & 0xffff
    }
}

pub fn compat_sys_chown16(a: &Args) -> SysResult {
    sys_chown(&[a[0], id16(a[1]), id16(a[2]), 0, 0, 0])
}

pub fn compat_sys_lchown16(a: &Args) -> SysResult {
    sys_lchown(&[a[0], id16(a[1]), id16(a[2]), 0, 0, 0])
}

pub fn compat_sys_fchown16(a: &Args) -> SysResult {
    sys_fchown(&[a[0], id16(a[1]), id16(a[2]), 0, 0, 0])
}

const UTIME_NOW: i64 = (1 << 30) - 1;
const UTIME_OMIT: i64 = (1 << 30) - 2;

/// Sets atime and mtime: None means now (a NULL times pointer); each
/// timespec may be UTIME_NOW or UTIME_OMIT.
fn set_times(inode: &InodeRef, times: Option<[(i64, i64); 2]>) -> SysResult {
    let now = Timespec::now();
    let pick = |(sec, nsec): (i64, i64)| -> Result<Option<Timespec>, Errno> {
        match nsec {
            UTIME_OMIT => Ok(None),
            UTIME_NOW => Ok(Some(now)),
            0..=999_999_999 => Ok(Some(Timespec {
                sec,
                nsec: nsec as u32,
            })),
            _ => Err(EINVAL),
        }
    };
    let (atime, mtime) = match times {
        None => (Some(now), Some(now)),
        Some([a, m]) => (pick(a)?, pick(m)?),
    };
    if atime.is_none() && mtime.is_none() {
        return Ok(0);
    }
    if inode.meta.lock().immutable() {
        return Err(EPERM);
    }
    inode.sb.check_writable()?;
    inode
        .update(|m| {
            if let Some(t) = atime {
                m.atime = t;
            }
            if let Some(t) = mtime {
                m.mtime = t;
            }
        })
        .map(|_| 0)
}

/// Reads two `struct timespec` (16 bytes each, 64-bit).
fn get_timespecs(user: u64) -> Result<Option<[(i64, i64); 2]>, Errno> {
    if user == 0 {
        return Ok(None);
    }
    let t: [u64; 2] = get_user(user)?;
    let u: [u64; 2] = get_user(user + 16)?;
    Ok(Some([
        (t[0] as i64, t[1] as i64),
        (u[0] as i64, u[1] as i64),
    ]))
}

/// utimensat(dirfd, path, times, flags); a NULL path sets the times of
/// dirfd itself (Linux's futimens).
pub fn sys_utimensat(a: &Args) -> SysResult {
    let (dirfd, path, times, flags) = (a[0], a[1], a[2], a[3]);
    if flags & !(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH) != 0 {
        return Err(EINVAL);
    }
    let times = get_timespecs(times)?;
    let inode = if path == 0 {
        if super::namei::is_fdcwd(dirfd) {
            return Err(crate::errno::EFAULT);
        }
        current().files.get(dirfd)?.inode().clone()
    } else {
        user_path_at(dirfd, path, flags)?.inode.clone()
    };
    set_times(&inode, times)
}

/// utimes(path, times): two `struct timeval` (microseconds).
pub fn sys_utimes(a: &Args) -> SysResult {
    let times = if a[1] == 0 {
        None
    } else {
        let t: [u64; 2] = get_user(a[1])?;
        let u: [u64; 2] = get_user(a[1] + 16)?;
        for usec in [t[1], u[1]] {
            if usec >= 1_000_000 {
                return Err(EINVAL);
            }
        }
        Some([
            (t[0] as i64, t[1] as i64 * 1000),
            (u[0] as i64, u[1] as i64 * 1000),
        ])
    };
    let d = user_path_at(super::namei::AT_FDCWD, a[0], 0)?;
    set_times(&d.inode, times)
}

/// utime(path, times): `struct utimbuf` (two time_t seconds).
pub fn sys_utime(a: &Args) -> SysResult {
    let times = if a[1] == 0 {
        None
    } else {
        let t: [u64; 2] = get_user(a[1])?;
        Some([(t[0] as i64, 0), (t[1] as i64, 0)])
    };
    let d = user_path_at(super::namei::AT_FDCWD, a[0], 0)?;
    set_times(&d.inode, times)
}

// --- access, working directory, umask ------------------------------------

const F_OK: u64 = 0;
const X_OK: u64 = 1;
const W_OK: u64 = 2;

/// access checks for root: every file can be read and written (except
/// writes to read-only or immutable ones), and executed when any x bit is
/// set, as Linux's capable(CAP_DAC_OVERRIDE) rules go.
fn do_faccessat(dirfd: u64, path: u64, mode: u64, flags: u64) -> SysResult {
    if mode & !7 != 0 {
        return Err(EINVAL);
    }
    let d = user_path_at(dirfd, path, flags)?;
    let meta = d.inode.meta();
    if mode == F_OK {
        return Ok(0);
    }
    if mode & W_OK != 0 && meta.file_type() != Some(FileType::Symlink) {
        let data = matches!(
            meta.file_type(),
            Some(FileType::Regular | FileType::Directory)
        );
        if meta.immutable() {
            return Err(crate::errno::EPERM);
        }
        if data {
            d.inode.sb.check_writable()?;
        }
    }
    if mode & X_OK != 0 && !meta.is_dir() && meta.mode & 0o111 == 0 {
        return Err(crate::errno::EACCES);
    }
    Ok(0)
}

pub fn sys_access(a: &Args) -> SysResult {
    do_faccessat(super::namei::AT_FDCWD, a[0], a[1], 0)
}

pub fn sys_faccessat(a: &Args) -> SysResult {
    do_faccessat(a[0], a[1], a[2], 0)
}

/// AT_EACCESS (0x200) changes nothing for root.
pub fn sys_faccessat2(a: &Args) -> SysResult {
    if a[3] & !(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | 0x200) != 0 {
        return Err(EINVAL);
    }
    do_faccessat(a[0], a[1], a[2], a[3] & !0x200)
}

fn set_cwd(d: Arc<Dentry>) -> SysResult {
    if !d.inode.is_dir() {
        return Err(ENOTDIR);
    }
    current().fs.cwd = d;
    Ok(0)
}

pub fn sys_chdir(a: &Args) -> SysResult {
    set_cwd(user_path_at(super::namei::AT_FDCWD, a[0], 0)?)
}

pub fn sys_fchdir(a: &Args) -> SysResult {
    let file = current().files.get(a[0])?;
    set_cwd(file.dentry.clone())
}

/// getcwd(buf, size): the path of the working directory, NUL included;
/// "(unreachable)" prefixes are not needed: the cwd cannot leave the root.
pub fn sys_getcwd(a: &Args) -> SysResult {
    let (buf, size) = (a[0], a[1]);
    let cwd = current().fs.cwd.clone();
    if cwd.is_deleted() {
        return Err(ENOENT);
    }
    let mut path = cwd.path();
    path.push(0);
    if (path.len() as u64) > size {
        return Err(ERANGE);
    }
    copy_to_user(buf, &path)?;
    Ok(path.len() as u64)
}

pub fn sys_umask(a: &Args) -> SysResult {
    let fs = &mut current().fs;
    let old = fs.umask;
    fs.umask = a[0] as u32 & 0o777;
    Ok(u64::from(old))
}
