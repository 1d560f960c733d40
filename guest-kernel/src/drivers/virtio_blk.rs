//! The virtio-blk driver (virtio 1.x, 5.2): requests of up to SEG_MAX
//! page-sized segments, several per notification, completed by interrupt.
//!
//! Synchronous by design: the submitter offers a batch, kicks the device
//! once and sleeps with HLT until the device ring shows every request done.
//! One CPU and one task; concurrency inside the kernel would buy nothing.

use alloc::vec::Vec;
use core::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};

use spin::Mutex;

use super::virtio_mmio::{
    DESC_F_INDIRECT, DESC_F_NEXT, DESC_F_WRITE, Desc, F_INDIRECT_DESC, INTERRUPT_ACK,
    INTERRUPT_STATUS, VirtioMmio,
};
use crate::mm::{frame, phys_to_virt};

const DEVICE_ID_BLOCK: u32 = 2;
const F_SEG_MAX: u64 = 1 << 2;
const F_RO: u64 = 1 << 5;
const F_BLK_SIZE: u64 = 1 << 6;
const F_FLUSH: u64 = 1 << 9;

const T_IN: u32 = 0;
const T_OUT: u32 = 1;
const T_FLUSH: u32 = 4;
const S_OK: u8 = 0;

pub const SECTOR: u64 = 512;

/// Why a request failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlkError {
    /// The device answered IOERR, UNSUPP or nonsense.
    Device,
    /// The device is read-only and this was a write.
    ReadOnly,
}

pub struct Disk {
    dev: VirtioMmio,
    /// Size in bytes (whole sectors).
    pub capacity: u64,
    pub read_only: bool,
    pub can_flush: bool,
    /// Data segments per request.
    pub seg_max: usize,
    /// One frame: a 16-byte header per queue slot, then a status byte each.
    headers: u64,
    /// With INDIRECT_DESC: one frame per request of a batch, holding that
    /// request's descriptor chain, so that a request takes one ring slot
    /// and a whole writeback fits in one notification.
    indirect: Vec<u64>,
}

/// Requests per batch with indirect descriptors (a frame each).
const INDIRECT_BATCH: usize = 32;
/// Descriptors an indirect table holds (one 4 KiB frame).
const INDIRECT_TABLE: usize = 256;

static DISK: Mutex<Option<Disk>> = Mutex::new(None);
/// For the interrupt handler, which must not take the lock a sleeping
/// submitter holds.
static MMIO_BASE: AtomicU64 = AtomicU64::new(0);
static GSI: AtomicU32 = AtomicU32::new(u32::MAX);
static IRQ_SEEN: AtomicBool = AtomicBool::new(false);

/// Probes the device announced as `virtio_mmio.device=` (if any).
pub fn init(param: Option<(u64, u32)>) {
    let Some((base, gsi)) = param else { return };
    let wanted = F_SEG_MAX | F_RO | F_BLK_SIZE | F_FLUSH | F_INDIRECT_DESC;
    let (dev, features) = match VirtioMmio::probe(base, DEVICE_ID_BLOCK, wanted) {
        Ok(ok) => ok,
        Err(e) => {
            crate::warn!("virtio-blk at {base:#x}: not used ({e})");
            return;
        }
    };
    let Some(headers) = frame::alloc_zeroed() else {
        crate::warn!("virtio-blk: out of memory");
        return;
    };
    let capacity = dev.config_u64(0).saturating_mul(SECTOR);
    let mut indirect = Vec::new();
    if features & F_INDIRECT_DESC != 0 {
        for _ in 0..INDIRECT_BATCH {
            match frame::alloc_zeroed() {
                Some(f) => indirect.push(f),
                None => break,
            }
        }
    }
    // Each request takes a header and a status descriptor besides its data,
    // in the ring or in its indirect table.
    let chain_max = if indirect.is_empty() {
        usize::from(dev.queue_size)
    } else {
        INDIRECT_TABLE
    };
    let queue_max = chain_max - 2;
    let seg_max = if features & F_SEG_MAX != 0 {
        dev.config_u32(12) as usize
    } else {
        1
    };
    let disk = Disk {
        capacity,
        read_only: features & F_RO != 0,
        can_flush: features & F_FLUSH != 0,
        seg_max: seg_max.clamp(1, queue_max),
        headers,
        indirect,
        dev,
    };
    crate::info!(
        "virtio-blk at {base:#x} irq {gsi}: {} bytes{}, {} segments per request",
        disk.capacity,
        if disk.read_only { ", read-only" } else { "" },
        disk.seg_max
    );
    MMIO_BASE.store(base, Ordering::Relaxed);
    GSI.store(gsi, Ordering::Relaxed);
    crate::arch::apic::route_gsi(gsi);
    *DISK.lock() = Some(disk);
}

pub fn interrupt(gsi: u32) {
    if gsi != GSI.load(Ordering::Relaxed) {
        return;
    }
    let base = MMIO_BASE.load(Ordering::Relaxed);
    // SAFETY: the device's InterruptStatus and InterruptACK registers,
    // through the uncached direct map.
    unsafe {
        let status = core::ptr::read_volatile(phys_to_virt(base + INTERRUPT_STATUS) as *const u32);
        core::ptr::write_volatile(phys_to_virt(base + INTERRUPT_ACK) as *mut u32, status);
    }
    IRQ_SEEN.store(true, Ordering::Relaxed);
}

/// (capacity, read-only) of the disk, if there is one.
pub fn geometry() -> Option<(u64, bool)> {
    DISK.lock().as_ref().map(|d| (d.capacity, d.read_only))
}

pub fn seg_max() -> usize {
    DISK.lock().as_ref().map_or(1, |d| d.seg_max)
}

/// A transfer: `pages` physical frames (each `PAGE_SIZE` bytes except
/// possibly a shorter last one, `last_len`) at `sector`.
pub struct Transfer<'a> {
    pub write: bool,
    pub sector: u64,
    pub pages: &'a [u64],
    pub last_len: u32,
}

/// Performs `transfers` (each at most `seg_max` pages), as few
/// notifications as the queue allows, and waits for all of them.
pub fn transfer(transfers: &[Transfer]) -> Result<(), BlkError> {
    let mut guard = DISK.lock();
    let disk = guard.as_mut().ok_or(BlkError::Device)?;
    if disk.read_only && transfers.iter().any(|t| t.write) {
        return Err(BlkError::ReadOnly);
    }
    let mut rest = transfers;
    while !rest.is_empty() {
        // As many whole requests as fit: one ring slot each with indirect
        // tables, their whole chain otherwise.
        let (room, indirect) = if disk.indirect.is_empty() {
            (usize::from(disk.dev.queue_size), false)
        } else {
            (disk.indirect.len(), true)
        };
        let mut used = 0usize;
        let mut n = 0;
        while n < rest.len() {
            let need = if indirect { 1 } else { rest[n].pages.len() + 2 };
            if used + need > room {
                break;
            }
            used += need;
            n += 1;
        }
        if n == 0 {
            return Err(BlkError::Device);
        }
        let (batch, tail) = rest.split_at(n);
        run_batch(
            disk,
            batch.iter().map(|t| {
                let kind = if t.write { T_OUT } else { T_IN };
                (kind, t.sector, t.pages, t.last_len)
            }),
        )?;
        rest = tail;
    }
    Ok(())
}

/// Asks the device to make written data durable (FLUSH).
pub fn flush() -> Result<(), BlkError> {
    let mut guard = DISK.lock();
    let disk = guard.as_mut().ok_or(BlkError::Device)?;
    if !disk.can_flush {
        return Ok(());
    }
    run_batch(disk, core::iter::once((T_FLUSH, 0, &[][..], 0)))
}

fn run_batch<'a>(
    disk: &mut Disk,
    reqs: impl Iterator<Item = (u32, u64, &'a [u64], u32)>,
) -> Result<(), BlkError> {
    let mut next: u16 = 0;
    let mut count: u16 = 0;
    for (kind, sector, pages, last_len) in reqs {
        let slot = u64::from(count);
        let header = disk.headers + 16 * slot;
        let status = disk.headers + 16 * u64::from(disk.dev.queue_size) + slot;
        // SAFETY: the headers frame holds queue_size headers then statuses
        // (16 * 128 + 128 < 4096), and is ours.
        unsafe {
            let h = phys_to_virt(header) as *mut u32;
            core::ptr::write_volatile(h, kind);
            core::ptr::write_volatile(h.add(1), 0);
            core::ptr::write_volatile(phys_to_virt(header + 8) as *mut u64, sector);
            core::ptr::write_volatile(phys_to_virt(status) as *mut u8, 0xff);
        }
        // The chain: header (device-readable), the pages, the status byte.
        let data_flag = if kind == T_IN { DESC_F_WRITE } else { 0 };
        let page_len = |i: usize| {
            if i + 1 == pages.len() {
                last_len
            } else {
                crate::mm::PAGE_SIZE as u32
            }
        };
        let chain = core::iter::once(Desc {
            addr: header,
            len: 16,
            flags: DESC_F_NEXT,
            next: 0,
        })
        .chain(pages.iter().enumerate().map(|(i, &page)| Desc {
            addr: page,
            len: page_len(i),
            flags: data_flag | DESC_F_NEXT,
            next: 0,
        }))
        .chain(core::iter::once(Desc {
            addr: status,
            len: 1,
            flags: DESC_F_WRITE,
            next: 0,
        }));
        let head = next;
        if let Some(&table) = disk.indirect.get(usize::from(count)) {
            // In the request's own table; one ring slot points at it.
            let mut len = 0u32;
            for (i, mut d) in chain.enumerate() {
                d.next = i as u16 + 1;
                // SAFETY: `table` is a frame of ours holding INDIRECT_TABLE
                // descriptors; a chain is at most seg_max + 2 <= that long.
                unsafe { core::ptr::write_volatile((phys_to_virt(table) as *mut Desc).add(i), d) };
                len += 1;
            }
            let d = Desc {
                addr: table,
                len: len * 16,
                flags: DESC_F_INDIRECT,
                next: 0,
            };
            disk.dev.set_desc(next, d);
            next += 1;
        } else {
            for mut d in chain {
                d.next = next + 1;
                disk.dev.set_desc(next, d);
                next += 1;
            }
        }
        disk.dev.push_avail(head);
        count += 1;
    }
    let want = disk.dev.last_used.wrapping_add(count);
    IRQ_SEEN.store(false, Ordering::Relaxed);
    disk.dev.notify();
    // Interrupts are off in the kernel: check, then sleep with `sti; hlt`,
    // which cannot miss an interrupt that arrives in between.
    while disk.dev.used_idx() != want {
        crate::arch::wait_for_interrupt();
    }
    disk.dev.last_used = want;
    for slot in 0..u64::from(count) {
        let status = disk.headers + 16 * u64::from(disk.dev.queue_size) + slot;
        // SAFETY: as above; the device wrote the byte before the used index.
        if unsafe { core::ptr::read_volatile(phys_to_virt(status) as *const u8) } != S_OK {
            return Err(BlkError::Device);
        }
    }
    Ok(())
}
