//! Bulk copies through lstar's copy port (`lstar_abi::ports::COPY_PORT`):
//! the VMM copies guest-physical ranges, up to 64 per exit, when it said
//! that ring 0 is emulated (`lstar.ring0=emulated`, kvm-pvm). Elsewhere
//! (hardware KVM, QEMU), and for any batch the VMM did not fully copy, a
//! plain memcpy.
//!
//! Why: under kvm-pvm a ring-0 memcpy is emulated (~300 cycles a byte,
//! measured); the page cache's copies between user buffers and cached
//! pages ran at ~4 MB/s that way. On hardware KVM a native copy is faster
//! than any exit.

use core::ptr::addr_of_mut;
use core::sync::atomic::{AtomicBool, Ordering};

use lstar_abi::ports::{COPY_MAX_SEGMENTS, COPY_PORT, CopyRequest, CopySegment};

use crate::arch::port::outl;
use crate::mm::{PAGE_SIZE, kernel_virt_to_phys, virt_to_phys};

static mut REQUEST: CopyRequest = CopyRequest {
    nr_segments: 0,
    reserved: 0,
    copied: 0,
    segments: [CopySegment {
        dst: 0,
        src: 0,
        len: 0,
    }; COPY_MAX_SEGMENTS],
};

static USE_PORT: AtomicBool = AtomicBool::new(false);

/// Copies go through the port from now on when the VMM emulates ring 0
/// and the port exists (we run under lstar).
pub fn init(ring0_emulated: bool) {
    USE_PORT.store(
        ring0_emulated && crate::console::under_lstar(),
        Ordering::Relaxed,
    );
}

/// Performs `copies`, each `(dst, src, len)` in kernel or current-user
/// virtual addresses.
///
/// # Safety
/// Every range must be valid and mapped for its length, and no source may
/// overlap a destination (as for `copy_nonoverlapping`).
pub unsafe fn copy_many(copies: &[(u64, u64, u64)]) {
    let total: u64 = copies.iter().map(|c| c.2).sum();
    if total < 512 || !USE_PORT.load(Ordering::Relaxed) {
        // SAFETY: the caller's contract.
        return unsafe { memcpy_all(copies) };
    }
    // SAFETY: one CPU and no interrupt handler copies: nothing else uses
    // the request block during this call.
    let req = unsafe { &mut *addr_of_mut!(REQUEST) };
    // Copies [sent, i) are in the request being built (copy i may be too,
    // in part); on any failure they are redone with memcpy, which gives
    // the same bytes.
    let mut sent = 0;
    let (mut n, mut asked) = (0, 0);
    for (i, &(dst, src, len)) in copies.iter().enumerate() {
        let mut off = 0;
        while off < len {
            if n == COPY_MAX_SEGMENTS {
                if !flush(req, n, asked) {
                    // SAFETY: the caller's contract.
                    return unsafe { memcpy_all(&copies[sent..]) };
                }
                sent = i;
                (n, asked) = (0, 0);
            }
            let (d, s) = (dst + off, src + off);
            let step = (len - off)
                .min(PAGE_SIZE - d % PAGE_SIZE)
                .min(PAGE_SIZE - s % PAGE_SIZE);
            let (Some(dp), Some(sp)) = (virt_to_phys(d), virt_to_phys(s)) else {
                // SAFETY: the caller's contract.
                return unsafe { memcpy_all(&copies[sent..]) };
            };
            req.segments[n] = CopySegment {
                dst: dp,
                src: sp,
                len: step,
            };
            n += 1;
            asked += step;
            off += step;
        }
    }
    if n > 0 && !flush(req, n, asked) {
        // SAFETY: the caller's contract.
        unsafe { memcpy_all(&copies[sent..]) }
    }
}

/// Sends the first `n` segments; true if the VMM copied all `asked` bytes.
fn flush(req: &mut CopyRequest, n: usize, asked: u64) -> bool {
    req.nr_segments = n as u32;
    req.copied = 0;
    outl(
        COPY_PORT,
        kernel_virt_to_phys(req as *mut CopyRequest as u64) as u32,
    );
    // SAFETY: the VMM wrote the field during the exit; read it afresh.
    unsafe { core::ptr::read_volatile(&raw const req.copied) == asked }
}

/// # Safety
/// As for [`copy_many`].
unsafe fn memcpy_all(copies: &[(u64, u64, u64)]) {
    for &(dst, src, len) in copies {
        // SAFETY: the caller's contract.
        unsafe { core::ptr::copy_nonoverlapping(src as *const u8, dst as *mut u8, len as usize) };
    }
}
