//! Reading and writing regular files through their inode's page cache
//! (Linux's mm/filemap.c), for every file system: a missing page is filled
//! by the file system's `readpages`, with the read-ahead window after it
//! (fs/readahead.rs; a hole of a memory file system reads as zeros without
//! being allocated); writes dirty pages, which reach the backing store at
//! writeback (the file's last close, fsync).
//!
//! The bytes move through `copy_engine` (one VMM exit per 64 pieces under
//! lstar): a ring-0 memcpy is emulated, byte by byte, under kvm-pvm.

use alloc::sync::Arc;
use alloc::vec::Vec;

use super::file::{File, FileOps};
use super::inode::{Inode, Timespec};
use super::page_cache::pieces;
use super::reclaim;
use crate::drivers::copy_engine;
use crate::errno::{EFBIG, EINVAL, Errno, SysResult};
use crate::mm::{PAGE_SIZE, phys_to_virt};

/// Largest file size (Linux's MAX_LFS_FILESIZE on 64-bit).
pub const MAX_FILE_SIZE: u64 = i64::MAX as u64;

/// A page of zeros, the source of reads from holes.
#[repr(C, align(4096))]
struct ZeroPage([u8; PAGE_SIZE as usize]);
static ZERO_PAGE: ZeroPage = ZeroPage([0; PAGE_SIZE as usize]);

/// Reads at `pos` into `buf`; 0 at or past the end of the file.
pub fn read_at(inode: &Inode, pos: u64, buf: &mut [u8]) -> SysResult {
    let size = inode.size();
    if pos >= size || buf.is_empty() {
        return Ok(0);
    }
    let n = (buf.len() as u64).min(size - pos);
    let base = buf.as_mut_ptr() as u64;
    let mut copies = Vec::with_capacity((n / PAGE_SIZE + 2) as usize);
    let mut done = 0;
    for (index, offset, chunk) in pieces(pos, n) {
        let src = match inode.find_page(index) {
            Some(frame) => phys_to_virt(frame),
            None if inode.sb.memory_backed => core::ptr::addr_of!(ZERO_PAGE) as u64,
            None => {
                // Filling a window takes frames by the dozen, and the
                // allocator's reclaim may take the pages whose copies are
                // pending: they go first.
                // SAFETY: as for the copies below.
                unsafe { copy_engine::copy_many(&copies) };
                copies.clear();
                if reclaim::low_on_memory() {
                    reclaim::balance(inode);
                }
                let last = (pos + n - 1) / PAGE_SIZE;
                let end = inode
                    .readahead
                    .lock()
                    .on_miss(index, last, size.div_ceil(PAGE_SIZE));
                let end = index + (end - index).min(reclaim::spare_frames().max(1));
                let filled = inode.fill_pages(index, end);
                match (inode.find_page(index), filled) {
                    (Some(frame), _) => phys_to_virt(frame),
                    (None, Err(e)) if done == 0 => return Err(e),
                    (None, _) => match inode.get_page(index) {
                        Ok(frame) => phys_to_virt(frame),
                        Err(e) if done == 0 => return Err(e),
                        Err(_) => break,
                    },
                }
            }
        };
        copies.push((base + done, src + offset, chunk));
        done += chunk;
    }
    // SAFETY: each source lies in a cache frame of this inode or the zero
    // page (offset + chunk within the page); the destinations cover `buf`.
    // No page is evicted while copies are pending: every miss flushed
    // them before it allocated, and hits allocate nothing.
    unsafe { copy_engine::copy_many(&copies) };
    touch_atime(inode);
    Ok(done)
}

/// relatime: the access time moves when it is older than the last change.
fn touch_atime(inode: &Inode) {
    let mut m = inode.meta.lock();
    if m.atime <= m.mtime || m.atime <= m.ctime {
        m.atime = Timespec::now();
    }
}

impl PartialOrd for Timespec {
    fn partial_cmp(&self, other: &Self) -> Option<core::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Timespec {
    fn cmp(&self, other: &Self) -> core::cmp::Ordering {
        (self.sec, self.nsec).cmp(&(other.sec, other.nsec))
    }
}

/// Writes `buf` at `pos` into the cache, growing the file. A short count
/// when space runs out part-way (ENOSPC when nothing fit).
pub fn write_at(inode: &Inode, pos: u64, buf: &[u8]) -> SysResult {
    if buf.is_empty() {
        return Ok(0);
    }
    let end = pos.checked_add(buf.len() as u64).ok_or(EINVAL)?;
    if pos >= MAX_FILE_SIZE {
        return Err(EFBIG);
    }
    let n = end.min(MAX_FILE_SIZE) - pos;
    let base = buf.as_ptr() as u64;
    let mut copies = Vec::with_capacity((n / PAGE_SIZE + 2) as usize);
    let mut done = 0;
    let mut failed: Option<Errno> = None;
    for (index, offset, chunk) in pieces(pos, n) {
        if !inode.sb.memory_backed && reclaim::low_on_memory() && inode.find_page(index).is_none() {
            // Early writeback must see the bytes of the pages dirtied so
            // far: their copies go first, and the size with them.
            // SAFETY: as for the copies below.
            unsafe { copy_engine::copy_many(&copies) };
            copies.clear();
            grow(inode, pos + done);
            reclaim::balance(inode);
        }
        if let Err(e) = inode.ops.reserve_page(inode, index) {
            failed = Some(e);
            break;
        }
        let frame = match inode.get_page(index) {
            Ok(frame) => frame,
            Err(e) => {
                failed = Some(e);
                break;
            }
        };
        inode.pages.lock().mark_dirty(index);
        copies.push((phys_to_virt(frame) + offset, base + done, chunk));
        done += chunk;
    }
    if done == 0 {
        return Err(failed.unwrap_or(EINVAL));
    }
    // SAFETY: each destination lies in a cache frame of this inode; the
    // sources cover the first `done` bytes of `buf`.
    unsafe { copy_engine::copy_many(&copies) };
    grow(inode, pos + done);
    inode.ops.dirty_inode(inode);
    Ok(done)
}

/// A write reached `end`: the size grows to it, the times move.
fn grow(inode: &Inode, end: u64) {
    let now = Timespec::now();
    let mut m = inode.meta.lock();
    m.size = m.size.max(end);
    m.mtime = now;
    m.ctime = now;
}

/// The operations of an open regular file.
pub struct RegularFile;

impl RegularFile {
    pub fn ops() -> Arc<dyn FileOps> {
        Arc::new(RegularFile)
    }
}

impl FileOps for RegularFile {
    fn seekable(&self) -> bool {
        true
    }
    fn read_at(&self, file: &File, pos: u64, buf: &mut [u8]) -> SysResult {
        read_at(file.inode(), pos, buf)
    }
    fn write_at(&self, file: &File, pos: u64, buf: &[u8]) -> SysResult {
        write_at(file.inode(), pos, buf)
    }
    fn size(&self, file: &File) -> u64 {
        file.inode().size()
    }
    fn fsync(&self, file: &File) -> SysResult {
        let inode = file.inode();
        inode.ops.fsync(inode).map(|_| 0)
    }
    fn release(&self, file: &File) {
        let reason = super::writeback::release_reason();
        if let Err(e) = file.inode().writeback_for(reason) {
            crate::warn!("writeback of {:?} failed: {e:?}", file.dentry.name());
        }
    }
}
