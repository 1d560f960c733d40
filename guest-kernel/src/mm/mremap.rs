//! mremap: shrink an area in place, grow it in place when the addresses
//! after it are free, or move it (MREMAP_MAYMOVE, MREMAP_FIXED) by moving
//! its page-table entries, never its bytes (Linux's mm/mremap.c).

use super::address_space::{AddressSpace, TASK_SIZE};
use super::{PAGE_SIZE, page_align_up, paging};
use crate::errno::{EFAULT, EINVAL, ENOMEM, Errno, SysResult};
use crate::syscall::Args;
use crate::task::current;

const MREMAP_MAYMOVE: u64 = 1;
const MREMAP_FIXED: u64 = 2;

pub fn sys_mremap(a: &Args) -> SysResult {
    let (old, old_len, new_len, flags, new_addr) = (a[0], a[1], a[2], a[3], a[4]);
    // MREMAP_DONTUNMAP (4, a userfaultfd helper) is not supported.
    if flags & !(MREMAP_MAYMOVE | MREMAP_FIXED) != 0
        || (flags & MREMAP_FIXED != 0 && flags & MREMAP_MAYMOVE == 0)
        || !old.is_multiple_of(PAGE_SIZE)
    {
        return Err(EINVAL);
    }
    let old_len = page_align_up(old_len).ok_or(EINVAL)?;
    let new_len = page_align_up(new_len).ok_or(EINVAL)?;
    // old_len 0 duplicates a shared mapping in Linux; not supported.
    if new_len == 0 || old_len == 0 {
        return Err(EINVAL);
    }
    let old_end = old.checked_add(old_len).filter(|&e| e <= TASK_SIZE);
    let old_end = old_end.ok_or(EINVAL)?;
    let mm = &mut current().mm;
    // The old range lies in one area (Linux: EFAULT otherwise).
    let vma = mm.vmas.find(old).ok_or(EFAULT)?;
    if old_end > vma.end {
        return Err(EFAULT);
    }
    if flags & MREMAP_FIXED != 0 {
        let new_end = checked_end(new_addr, new_len)?;
        if new_addr < old_end && old < new_end {
            return Err(EINVAL);
        }
        mm.unmap_range(new_addr, new_end);
        return move_area(mm, old, old_len, new_addr, new_len);
    }
    if new_len <= old_len {
        mm.unmap_range(old + new_len, old_end);
        return Ok(old);
    }
    // Growing: in place when the area ends here and what follows is free.
    let grow_end = old.checked_add(new_len).filter(|&e| e <= TASK_SIZE);
    if old_end == vma.end
        && let Some(grow_end) = grow_end
        && !mm.overlaps(old_end, grow_end)
    {
        let more = vma.slice(old_end, grow_end);
        mm.insert_vma(more);
        return Ok(old);
    }
    if flags & MREMAP_MAYMOVE == 0 {
        return Err(ENOMEM);
    }
    let to = mm.find_free(new_len).ok_or(ENOMEM)?;
    move_area(mm, old, old_len, to, new_len)
}

fn checked_end(addr: u64, len: u64) -> Result<u64, Errno> {
    if !addr.is_multiple_of(PAGE_SIZE) {
        return Err(EINVAL);
    }
    addr.checked_add(len)
        .filter(|&e| e <= TASK_SIZE)
        .ok_or(EINVAL)
}

/// Moves `[old, old + old_len)` (inside one area) to the free range at
/// `to`, `new_len` long: the pages that fit move, a longer area grows on
/// with what the old area would have mapped next, a shorter one drops its
/// tail.
fn move_area(mm: &mut AddressSpace, old: u64, old_len: u64, to: u64, new_len: u64) -> SysResult {
    let keep = old_len.min(new_len);
    // The tail that does not move goes first (a shrinking move).
    mm.unmap_range(old + keep, old + old_len);
    paging::move_range(mm.pml4, old, to, keep).map_err(|_| ENOMEM)?;
    let mut moved = mm.vmas.remove_range(old, old + keep);
    let Some(mut piece) = moved.pop() else {
        return Err(EFAULT);
    };
    let more = (new_len > keep).then(|| piece.slice(piece.end, piece.end + (new_len - keep)));
    piece.end = to + (piece.end - piece.start);
    piece.start = to;
    mm.insert_vma(piece);
    if let Some(mut more) = more {
        more.start = to + keep;
        more.end = to + new_len;
        mm.insert_vma(more);
    }
    Ok(to)
}
