//! Bulk copies and clears through lstar's copy port
//! (`lstar_abi::ports::COPY_PORT`): the VMM copies guest-physical ranges,
//! or writes zeros over them, up to 64 per exit, when it said that ring 0
//! is emulated (`lstar.ring0=emulated`, kvm-pvm). Elsewhere (hardware KVM,
//! QEMU), and for any batch the VMM did not fully do, a plain memcpy or
//! memset.
//!
//! Why: under kvm-pvm a ring-0 `rep movs`/`rep stos` is emulated one
//! iteration at a time, each about as dear as an emulated instruction,
//! though `kvm:kvm_emulate_insn` counts the whole instruction once.
//! Measured with a program that maps, touches and unmaps 256 pages in a
//! loop (rdtsc per page): a first touch that gets a recycled frame, which
//! `write_bytes` (`rep stosq`, 512 stores) cleared, cost ~900,000 host
//! cycles against ~250,000 for a never-used one: ~700,000 cycles per 4 KiB,
//! ~170 a byte. One exit to the VMM costs ~25,000 cycles (~10 us,
//! ../shared/PLATFORM.md; 180,000-360,000 measured by rdtsc around exits
//! that each cleared 256 KiB, on a loaded machine). The page
//! cache's copies between user buffers and cached pages ran at ~4 MB/s
//! before this. On hardware KVM a native copy is faster than any exit.
//!
//! The VMM never writes a freed page table before ring 0 has cleared it.
//! Under kvm-pvm the shadow MMU keeps a (former) page table's shadow in
//! step only through the guest's own writes, which the VMM's bypass: when
//! every recycled frame was cleared here, and copy-on-write copies made
//! here, programs broke (heap corruption in busybox sh, a KVM internal
//! error on XSAVE; tests/process.rs). The frame allocator (mm/frame.rs)
//! marks page-table frames for good and keeps them apart, so the frames it
//! has the VMM clear were never tables, and a former table it must hand
//! out as data is cleared by ring-0 stores first (as every recycled frame
//! was before; user buffers and cache pages on such frames have been
//! copied into through the VMM since the port exists).

use core::ptr::addr_of_mut;
use core::sync::atomic::{AtomicBool, Ordering};

use lstar_abi::ports::{
    COPY_MAX_SEGMENT_LEN, COPY_MAX_SEGMENTS, COPY_OP_COPY, COPY_OP_ZERO, COPY_OP_ZERO_PAGES,
    COPY_PORT, CopyRequest, CopySegment, ZeroPagesRequest,
};

use crate::arch::port::outl;
use crate::mm::{PAGE_SIZE, Translator, kernel_virt_to_phys, phys_to_virt};

const EMPTY: CopyRequest = CopyRequest {
    nr_segments: 0,
    op: COPY_OP_COPY,
    copied: 0,
    segments: [CopySegment {
        dst: 0,
        src: 0,
        len: 0,
    }; COPY_MAX_SEGMENTS],
};
static mut REQUEST: CopyRequest = EMPTY;
/// Clears have their own block, so that a clear can never land in a
/// copy's half-built request.
static mut ZERO_REQUEST: CopyRequest = EMPTY;

/// Below this many bytes an exit costs more than emulated stores.
const PORT_MIN: u64 = 512;

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
    if total < PORT_MIN || !USE_PORT.load(Ordering::Relaxed) {
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
    // A cursor per side: each side's pages are consecutive, one walk per
    // page table translates them.
    let (mut dsts, mut srcs) = (Translator::new(), Translator::new());
    for (i, &(dst, src, len)) in copies.iter().enumerate() {
        let mut off = 0;
        while off < len {
            let (d, s) = (dst + off, src + off);
            let (Some((dp, d_run)), Some((sp, s_run))) = (dsts.phys_run(d), srcs.phys_run(s))
            else {
                // SAFETY: the caller's contract.
                return unsafe { memcpy_all(&copies[sent..]) };
            };
            // Kernel memory is contiguous: a step ends at a user page's end
            // (a pipe ring's page boundaries split no segment).
            let step = (len - off).min(d_run).min(s_run).min(COPY_MAX_SEGMENT_LEN);
            off += step;
            if n == COPY_MAX_SEGMENTS {
                if !flush(req, COPY_OP_COPY, n, asked) {
                    // SAFETY: the caller's contract.
                    return unsafe { memcpy_all(&copies[sent..]) };
                }
                sent = i;
                (n, asked) = (0, 0);
            }
            req.segments[n] = CopySegment {
                dst: dp,
                src: sp,
                len: step,
            };
            n += 1;
            asked += step;
        }
    }
    if n > 0 && !flush(req, COPY_OP_COPY, n, asked) {
        // SAFETY: the caller's contract.
        unsafe { memcpy_all(&copies[sent..]) }
    }
}

/// Whether clears and copies go through the VMM (ring 0 is emulated):
/// the frame allocator clears recycled frames in batches then.
pub fn clears_through_vmm() -> bool {
    USE_PORT.load(Ordering::Relaxed)
}

/// Writes zeros over each `(phys, len)` guest-physical range, all through
/// the port when it is in use (up to 64 ranges per exit), else (and for
/// what the VMM did not do) with memset through the direct map.
///
/// # Safety
/// Every range must be RAM the caller owns (the direct map covers it),
/// never a page table now or before (see the module's comment), and
/// nothing may rely on its contents.
pub unsafe fn clear_phys(ranges: &[(u64, u64)]) {
    let mut clears = Clears::new();
    for &(phys, len) in ranges {
        // SAFETY: the caller's contract.
        unsafe { clears.add(phys, len) };
    }
    clears.finish();
}

/// Clears collected straight into the request block and sent 64 ranges
/// per exit; without the port each range is cleared as it is added.
struct Clears {
    n: usize,
    asked: u64,
}

impl Clears {
    fn new() -> Clears {
        Clears { n: 0, asked: 0 }
    }

    /// Clears `[phys, phys + len)` now or at the next flush (at the latest
    /// in [`Clears::finish`]).
    ///
    /// # Safety
    /// As for [`clear_phys`], until the range is cleared.
    unsafe fn add(&mut self, phys: u64, len: u64) {
        if !USE_PORT.load(Ordering::Relaxed) {
            // SAFETY: the caller's contract.
            return unsafe { memset_phys(&[(phys, len)]) };
        }
        // SAFETY: one CPU, and no interrupt handler clears: nothing else
        // uses the block while a `Clears` is alive.
        let req = unsafe { &mut *addr_of_mut!(ZERO_REQUEST) };
        req.segments[self.n] = CopySegment {
            dst: phys,
            src: 0,
            len,
        };
        self.n += 1;
        self.asked += len;
        if self.n == COPY_MAX_SEGMENTS {
            self.flush(req);
        }
    }

    /// Sends what is left.
    fn finish(mut self) {
        if self.n > 0 {
            // SAFETY: as in `add`.
            let req = unsafe { &mut *addr_of_mut!(ZERO_REQUEST) };
            self.flush(req);
        }
    }

    fn flush(&mut self, req: &mut CopyRequest) {
        if !flush(req, COPY_OP_ZERO, self.n, self.asked) {
            for seg in &req.segments[..self.n] {
                // SAFETY: the ranges added, under `add`'s contract.
                unsafe { memset_phys(&[(seg.dst, seg.len)]) };
            }
        }
        (self.n, self.asked) = (0, 0);
    }
}

/// Has the VMM write zeros over the first `n` pages `req` lists (one exit);
/// true if it did them all. `req` must be in the kernel image (a static):
/// its physical address is found without a page walk.
///
/// # Safety
/// As for [`clear_phys`], for every listed page.
pub unsafe fn clear_pages(req: &mut ZeroPagesRequest, n: usize) -> bool {
    req.nr_pages = n as u32;
    req.op = COPY_OP_ZERO_PAGES;
    req.copied = 0;
    // SAFETY: `copied` is the request's own field.
    unsafe {
        submit(req as *mut ZeroPagesRequest as u64, &raw const req.copied) == n as u64 * PAGE_SIZE
    }
}

/// Hands the request block at `block` (a static of the kernel image, either
/// shape) to the VMM; returns what it stored in `copied`.
///
/// # Safety
/// `copied` must point at the block's `copied` field (a raw pointer: the
/// VMM writes it behind the compiler's back).
unsafe fn submit(block: u64, copied: *const u64) -> u64 {
    outl(COPY_PORT, kernel_virt_to_phys(block) as u32);
    // SAFETY: the caller's contract; the VMM wrote the field during the
    // exit, so it is read afresh.
    unsafe { core::ptr::read_volatile(copied) }
}

/// Writes zeros over `buf` (kernel memory, or current-user memory already
/// checked and faulted in writable: a /dev/zero read), through the port
/// when it is in use and `buf` is large enough to pay for the exit.
pub fn clear(buf: &mut [u8]) {
    let (start, len) = (buf.as_mut_ptr() as u64, buf.len() as u64);
    if len < PORT_MIN || !USE_PORT.load(Ordering::Relaxed) {
        buf.fill(0);
        return;
    }
    let mut ranges = [(0u64, 0u64); COPY_MAX_SEGMENTS];
    let mut pages = Translator::new();
    let mut off = 0;
    while off < len {
        let mut n = 0;
        while n < COPY_MAX_SEGMENTS && off < len {
            let va = start + off;
            let step = (len - off).min(PAGE_SIZE - va % PAGE_SIZE);
            let Some(pa) = pages.phys(va) else {
                buf[off as usize..].fill(0);
                return;
            };
            // Neighbouring pages that are neighbours in RAM too (the
            // kernel heap, a run the bump allocator gave) share a segment.
            match n.checked_sub(1).map(|i| &mut ranges[i]) {
                Some(last) if last.0 + last.1 == pa && last.1 + step <= COPY_MAX_SEGMENT_LEN => {
                    last.1 += step
                }
                _ => {
                    ranges[n] = (pa, step);
                    n += 1;
                }
            }
            off += step;
        }
        // SAFETY: each range is a page (or part) of `buf`, which we hold
        // mutably, translated through the current page tables.
        unsafe { clear_phys(&ranges[..n]) };
    }
}

/// # Safety
/// As for [`clear_phys`].
unsafe fn memset_phys(ranges: &[(u64, u64)]) {
    for &(phys, len) in ranges {
        // SAFETY: the caller's contract.
        unsafe { core::ptr::write_bytes(phys_to_virt(phys) as *mut u8, 0, len as usize) };
    }
}

/// Sends the first `n` segments for `op`; true if the VMM did all `asked`
/// bytes.
fn flush(req: &mut CopyRequest, op: u32, n: usize, asked: u64) -> bool {
    req.nr_segments = n as u32;
    req.op = op;
    req.copied = 0;
    // SAFETY: `copied` is the request's own field.
    unsafe { submit(req as *mut CopyRequest as u64, &raw const req.copied) == asked }
}

/// # Safety
/// As for [`copy_many`].
unsafe fn memcpy_all(copies: &[(u64, u64, u64)]) {
    for &(dst, src, len) in copies {
        // SAFETY: the caller's contract.
        unsafe { core::ptr::copy_nonoverlapping(src as *const u8, dst as *mut u8, len as usize) };
    }
}
