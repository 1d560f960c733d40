//! The only place the kernel touches user memory (Linux's uaccess).
//!
//! Every access first checks the range against the task's address space and
//! faults its pages in as a user access would; a bad pointer yields -EFAULT
//! and is never dereferenced, so the kernel itself cannot fault on it.

use alloc::vec::Vec;

use crate::errno::{EFAULT, Errno};
use crate::task;

pub fn copy_from_user(dst: &mut [u8], src: u64) -> Result<(), Errno> {
    if !task::current()
        .mm
        .ensure_user_range(src, dst.len() as u64, false)
    {
        return Err(EFAULT);
    }
    // SAFETY: every page of the source range is mapped and readable in the
    // current address space (checked above); kernel and user do not overlap.
    unsafe { core::ptr::copy_nonoverlapping(src as *const u8, dst.as_mut_ptr(), dst.len()) };
    Ok(())
}

pub fn copy_to_user(dst: u64, src: &[u8]) -> Result<(), Errno> {
    if !task::current()
        .mm
        .ensure_user_range(dst, src.len() as u64, true)
    {
        return Err(EFAULT);
    }
    // SAFETY: every page of the destination range is mapped writable in the
    // current address space (checked above).
    unsafe { core::ptr::copy_nonoverlapping(src.as_ptr(), dst as *mut u8, src.len()) };
    Ok(())
}

/// Borrows `[addr, addr + len)` of user memory for reading, after checking
/// and faulting it in. The slice is valid until the address space changes,
/// which cannot happen during the system call that asked for it.
pub fn user_slice(addr: u64, len: u64) -> Result<&'static [u8], Errno> {
    if !task::current().mm.ensure_user_range(addr, len, false) {
        return Err(EFAULT);
    }
    if len == 0 {
        return Ok(&[]);
    }
    // SAFETY: every page of the range is mapped and readable (checked
    // above) and stays so for the rest of this system call (one task).
    Ok(unsafe { core::slice::from_raw_parts(addr as *const u8, len as usize) })
}

/// Like [`user_slice`], for writing.
pub fn user_slice_mut(addr: u64, len: u64) -> Result<&'static mut [u8], Errno> {
    if !task::current().mm.ensure_user_range(addr, len, true) {
        return Err(EFAULT);
    }
    if len == 0 {
        return Ok(&mut []);
    }
    // SAFETY: every page of the range is mapped writable (checked above);
    // nothing else refers to user memory during this system call.
    Ok(unsafe { core::slice::from_raw_parts_mut(addr as *mut u8, len as usize) })
}

/// Plain-old-data types that may be copied from and to user memory.
///
/// # Safety
/// Every bit pattern must be a valid value and the type has no padding.
pub unsafe trait Pod: Copy + Default {}
// SAFETY: integers and arrays of them have no padding or invalid values.
unsafe impl Pod for u32 {}
// SAFETY: as above.
unsafe impl Pod for u8 {}
// SAFETY: as above.
unsafe impl Pod for u64 {}
// SAFETY: as above.
unsafe impl Pod for u16 {}
// SAFETY: as above.
unsafe impl Pod for [u64; 2] {}
// SAFETY: as above.
unsafe impl Pod for [u32; 2] {}

/// Reads one value: a checked load, no memcpy (small reads are the most
/// common user access, and each instruction counts under kvm-pvm).
pub fn get_user<T: Pod>(src: u64) -> Result<T, Errno> {
    if !task::current()
        .mm
        .ensure_user_range(src, core::mem::size_of::<T>() as u64, false)
    {
        return Err(EFAULT);
    }
    // SAFETY: the range is mapped and readable (checked above); T is Pod,
    // so any bytes are a valid value; the read may be unaligned.
    Ok(unsafe { core::ptr::read_unaligned(src as *const T) })
}

pub fn put_user<T: Pod>(dst: u64, value: &T) -> Result<(), Errno> {
    if !task::current()
        .mm
        .ensure_user_range(dst, core::mem::size_of::<T>() as u64, true)
    {
        return Err(EFAULT);
    }
    // SAFETY: the range is mapped writable (checked above).
    unsafe { core::ptr::write_unaligned(dst as *mut T, *value) };
    Ok(())
}

/// Copies a NUL-terminated string of at most `max` bytes (NUL excluded).
/// Linux returns -ENAMETOOLONG for paths that do not fit; callers choose.
pub fn strncpy_from_user(src: u64, max: usize) -> Result<Option<Vec<u8>>, Errno> {
    let mut out = Vec::new();
    let mut addr = src;
    loop {
        // A page at a time: checked (and faulted in) as a user read, then
        // searched in place with one `repne scasb` (a byte loop here is
        // several emulated instructions per byte under kvm-pvm).
        let chunk = crate::mm::PAGE_SIZE - addr % crate::mm::PAGE_SIZE;
        let bytes = user_slice(addr, chunk)?;
        if let Some(nul) = crate::arch::string::find_byte(bytes, 0) {
            if out.len() + nul > max {
                return Ok(None);
            }
            out.extend_from_slice(&bytes[..nul]);
            return Ok(Some(out));
        }
        out.extend_from_slice(bytes);
        if out.len() > max {
            return Ok(None);
        }
        addr += chunk;
    }
}
