//! brk, mmap, munmap, mprotect, madvise, msync (mremap: mremap.rs).

use super::address_space::{PROT_EXEC, PROT_READ, PROT_WRITE, TASK_SIZE};
use super::address_space::{VM_NOHUGEPAGE, Vma, VmaFile};
use super::{PAGE_SIZE, page_align_up};
use crate::errno::{EACCES, EBADF, EEXIST, EINVAL, ENODEV, ENOMEM, SysResult};
use crate::syscall::Args;
use crate::task::current;

const MAP_SHARED: u64 = 0x01;
const MAP_PRIVATE: u64 = 0x02;
const MAP_SHARED_VALIDATE: u64 = 0x03;
const MAP_TYPE: u64 = 0x0f;
const MAP_FIXED: u64 = 0x10;
const MAP_ANONYMOUS: u64 = 0x20;
const MAP_POPULATE: u64 = 0x8000;
const MAP_FIXED_NOREPLACE: u64 = 0x10_0000;
/// Anonymous private mappings up to this size are populated at once (see
/// `populate_anonymous`): an allocator's mapping, used as soon as made.
/// Linux's fault-around window, so no more memory than one fault maps.
const POPULATE_SMALL: u64 = 64 * 1024;

fn page_aligned(x: u64) -> bool {
    x.is_multiple_of(PAGE_SIZE)
}

/// Linux's brk: never fails loudly; it returns the break it has.
pub fn sys_brk(a: &Args) -> SysResult {
    let mm = &mut current().mm;
    let want = a[0];
    if want < mm.brk_start || want >= TASK_SIZE {
        return Ok(mm.brk);
    }
    let (Some(old_end), Some(new_end)) = (page_align_up(mm.brk), page_align_up(want)) else {
        return Ok(mm.brk);
    };
    if new_end > old_end {
        if mm.overlaps(old_end, new_end) {
            return Ok(mm.brk);
        }
        mm.add_vma(old_end, new_end, PROT_READ | PROT_WRITE);
    } else if new_end < old_end {
        mm.unmap_range(new_end, old_end);
    }
    mm.brk = want;
    Ok(want)
}

pub fn sys_mmap(a: &Args) -> SysResult {
    let (addr, len, prot, flags, fd, offset) = (a[0], a[1], a[2], a[3], a[4], a[5]);
    if len == 0 || prot & !u64::from(PROT_READ | PROT_WRITE | PROT_EXEC) != 0 {
        return Err(EINVAL);
    }
    if !matches!(
        flags & MAP_TYPE,
        MAP_SHARED | MAP_PRIVATE | MAP_SHARED_VALIDATE
    ) {
        return Err(EINVAL);
    }
    if !page_aligned(offset) {
        return Err(EINVAL);
    }
    let shared = flags & MAP_TYPE != MAP_PRIVATE;
    let file = if flags & MAP_ANONYMOUS == 0 {
        Some(mappable_file(fd, prot as u32, shared)?)
    } else {
        None
    };
    let len = page_align_up(len).ok_or(ENOMEM)?;
    if len > TASK_SIZE {
        return Err(ENOMEM);
    }
    let mm = &mut current().mm;
    let fixed = flags & (MAP_FIXED | MAP_FIXED_NOREPLACE) != 0;
    let start = if fixed {
        if !page_aligned(addr) {
            return Err(EINVAL);
        }
        let end = addr
            .checked_add(len)
            .filter(|&e| e <= TASK_SIZE)
            .ok_or(ENOMEM)?;
        if mm.overlaps(addr, end) {
            if flags & MAP_FIXED_NOREPLACE != 0 {
                return Err(EEXIST);
            }
            mm.unmap_range(addr, end);
        }
        addr
    } else {
        // A hint is taken when the range is free, as Linux does.
        let hint = super::page_align_down(addr);
        match hint.checked_add(len) {
            Some(end) if hint >= 0x1_0000 && end <= TASK_SIZE && !mm.overlaps(hint, end) => hint,
            _ => mm.find_free(len).ok_or(ENOMEM)?,
        }
    };
    let mut file = file.flatten();
    if shared && file.is_none() {
        // Shared anonymous memory is a file in memory, so that fork
        // shares its pages rather than copying them.
        file = Some(crate::fs::memfd::shmem_file(len)?);
    }
    let anonymous = file.is_none();
    mm.insert_vma(Vma {
        file: file.map(|f| VmaFile::new(f, offset / PAGE_SIZE, shared)),
        ..Vma::anon(start, start + len, prot as u32)
    });
    if anonymous
        && prot & u64::from(PROT_WRITE) != 0
        && (len <= POPULATE_SMALL || flags & MAP_POPULATE != 0)
    {
        mm.populate_anonymous(start, start + len, prot as u32);
    }
    Ok(start)
}

/// The open file behind a file mapping, with Linux's checks; None for
/// /dev/zero, which maps as anonymous memory.
fn mappable_file(
    fd: u64,
    prot: u32,
    shared: bool,
) -> Result<Option<alloc::sync::Arc<crate::fs::file::File>>, crate::errno::Errno> {
    use crate::fs::inode::FileType;
    let file = current().files.get(fd).map_err(|_| EBADF)?;
    if file.is_path() {
        return Err(EBADF);
    }
    if !file.readable() || (shared && prot & PROT_WRITE != 0 && !file.writable()) {
        return Err(EACCES);
    }
    let inode = file.inode();
    match inode.file_type() {
        FileType::Regular => {}
        FileType::CharDevice if inode.meta().rdev == crate::fs::devfs::DEV_ZERO => return Ok(None),
        _ => return Err(ENODEV),
    }
    if shared && prot & PROT_WRITE != 0 {
        inode.check_writable().map_err(|_| EACCES)?;
    }
    Ok(Some(file))
}

/// msync: the shared file pages in the range reach their file's backing
/// store (they are the cache pages, so read() already sees them).
pub fn sys_msync(a: &Args) -> SysResult {
    const MS_ASYNC: u64 = 1;
    const MS_INVALIDATE: u64 = 2;
    const MS_SYNC: u64 = 4;
    let flags = a[2];
    if flags & !(MS_ASYNC | MS_INVALIDATE | MS_SYNC) != 0
        || flags & MS_ASYNC != 0 && flags & MS_SYNC != 0
    {
        return Err(EINVAL);
    }
    let (start, end) = checked_range(a[0], a[1])?;
    let mm = &current().mm;
    if !mm.fully_mapped(start, end) {
        return Err(ENOMEM);
    }
    let files: alloc::vec::Vec<_> = mm
        .vmas
        .overlapping(start, end)
        .filter_map(|v| {
            v.file
                .as_ref()
                .filter(|f| f.shared)
                .and_then(|f| f.file().cloned())
        })
        .collect();
    for f in files {
        f.inode().writeback()?;
    }
    Ok(0)
}

fn checked_range(addr: u64, len: u64) -> Result<(u64, u64), crate::errno::Errno> {
    if !page_aligned(addr) {
        return Err(EINVAL);
    }
    let len = page_align_up(len).ok_or(EINVAL)?;
    let end = addr
        .checked_add(len)
        .filter(|&e| e <= TASK_SIZE)
        .ok_or(EINVAL)?;
    Ok((addr, end))
}

pub fn sys_munmap(a: &Args) -> SysResult {
    if a[1] == 0 {
        return Err(EINVAL);
    }
    let (start, end) = checked_range(a[0], a[1])?;
    current().mm.unmap_range(start, end);
    Ok(0)
}

pub fn sys_mprotect(a: &Args) -> SysResult {
    let prot = a[2];
    if prot & !u64::from(PROT_READ | PROT_WRITE | PROT_EXEC) != 0 {
        return Err(EINVAL);
    }
    let (start, end) = checked_range(a[0], a[1])?;
    if start == end {
        return Ok(0);
    }
    let mm = &mut current().mm;
    if !mm.fully_mapped(start, end) {
        return Err(ENOMEM);
    }
    mm.protect_range(start, end, prot as u32)
        .map_err(|_| ENOMEM)?;
    Ok(0)
}

const MADV_DONTNEED: u64 = 4;
const MADV_HUGEPAGE: u64 = 14;
const MADV_NOHUGEPAGE: u64 = 15;

/// Advice is accepted; MADV_DONTNEED drops anonymous pages so that they
/// read back as zero, which programs rely on; MADV_NOHUGEPAGE keeps huge
/// pages out of the range from now on (as Linux, the ones there stay),
/// MADV_HUGEPAGE lets them in again (they are on by default, as with
/// Linux's THP "always").
pub fn sys_madvise(a: &Args) -> SysResult {
    let (start, end) = checked_range(a[0], a[1])?;
    match a[2] {
        MADV_DONTNEED => {
            // Pages go (anonymous ones read back as zero, file ones as
            // the file); the areas stay.
            current().mm.zap_range(start, end);
        }
        MADV_HUGEPAGE | MADV_NOHUGEPAGE if start < end => {
            let mm = &mut current().mm;
            if !mm.fully_mapped(start, end) {
                return Err(ENOMEM);
            }
            for v in mm.vmas.split_range(start, end) {
                if a[2] == MADV_NOHUGEPAGE {
                    v.flags |= VM_NOHUGEPAGE;
                } else {
                    v.flags &= !VM_NOHUGEPAGE;
                }
            }
            mm.vmas.merge_range(start, end);
        }
        _ => {}
    }
    Ok(0)
}
