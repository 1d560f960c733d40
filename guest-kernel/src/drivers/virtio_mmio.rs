//! The virtio-mmio transport, modern layout (virtio 1.x, register version
//! 2), and one split virtqueue: what a driver needs to talk to lstar's
//! device and QEMU's (`-global virtio-mmio.force-legacy=false`).
//!
//! Devices are found the Linux way, from `virtio_mmio.device=SIZE@ADDR:IRQ`
//! on the command line (lstar and QEMU microvm both add it).

use core::ptr::{read_volatile, write_volatile};
use core::sync::atomic::{Ordering, fence};

use crate::mm::{frame, phys_to_virt};

// Register offsets (virtio 1.x, 4.2.2).
const MAGIC: u64 = 0x000;
const VERSION: u64 = 0x004;
const DEVICE_ID: u64 = 0x008;
const DEVICE_FEATURES: u64 = 0x010;
const DEVICE_FEATURES_SEL: u64 = 0x014;
const DRIVER_FEATURES: u64 = 0x020;
const DRIVER_FEATURES_SEL: u64 = 0x024;
const QUEUE_SEL: u64 = 0x030;
const QUEUE_NUM_MAX: u64 = 0x034;
const QUEUE_NUM: u64 = 0x038;
const QUEUE_READY: u64 = 0x044;
const QUEUE_NOTIFY: u64 = 0x050;
pub const INTERRUPT_STATUS: u64 = 0x060;
pub const INTERRUPT_ACK: u64 = 0x064;
const STATUS: u64 = 0x070;
const QUEUE_DESC: u64 = 0x080;
const QUEUE_DRIVER: u64 = 0x090;
const QUEUE_DEVICE: u64 = 0x0a0;
pub const CONFIG: u64 = 0x100;

const MAGIC_VALUE: u32 = 0x7472_6976; // "virt"
const STATUS_ACKNOWLEDGE: u32 = 1;
const STATUS_DRIVER: u32 = 2;
const STATUS_DRIVER_OK: u32 = 4;
const STATUS_FEATURES_OK: u32 = 8;
const STATUS_FAILED: u32 = 128;
pub const F_VERSION_1: u64 = 1 << 32;

pub const DESC_F_NEXT: u16 = 1;
pub const DESC_F_WRITE: u16 = 2;
pub const DESC_F_INDIRECT: u16 = 4;
pub const F_INDIRECT_DESC: u64 = 1 << 28;

/// Queue entries we use (at most what the device allows).
const QUEUE_SIZE: u16 = 128;

/// `virtio_mmio.device=SIZE@ADDR:IRQ` (SIZE with an optional K suffix).
pub fn parse_device_param(value: &[u8]) -> Option<(u64, u32)> {
    let at = value.iter().position(|&b| b == b'@')?;
    let colon = value.iter().rposition(|&b| b == b':')?;
    let addr = lstar_abi::cmdline::parse_u64(value.get(at + 1..colon)?)?;
    let irq = lstar_abi::cmdline::parse_u64(value.get(colon + 1..)?)?;
    u32::try_from(irq).ok().map(|irq| (addr, irq))
}

#[derive(Debug)]
pub enum ProbeError {
    NotVirtio,
    /// A legacy (version 1) device: QEMU needs force-legacy=false.
    Legacy(u32),
    WrongDevice(u32),
    FeaturesRefused,
    NoQueue,
    OutOfMemory,
}

impl core::fmt::Display for ProbeError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            ProbeError::NotVirtio => f.write_str("no virtio-mmio magic"),
            ProbeError::Legacy(v) => write!(
                f,
                "legacy virtio-mmio version {v} (QEMU: -global virtio-mmio.force-legacy=false)"
            ),
            ProbeError::WrongDevice(id) => write!(f, "device id {id}"),
            ProbeError::FeaturesRefused => f.write_str("features refused"),
            ProbeError::NoQueue => f.write_str("no queue 0"),
            ProbeError::OutOfMemory => f.write_str("out of memory"),
        }
    }
}

#[repr(C)]
#[derive(Clone, Copy, Default)]
pub struct Desc {
    pub addr: u64,
    pub len: u32,
    pub flags: u16,
    pub next: u16,
}

/// A device on the transport, with its queue 0.
pub struct VirtioMmio {
    base: u64,
    pub queue_size: u16,
    desc: *mut Desc,
    avail: *mut u16,
    used: *const u8,
    pub last_used: u16,
    pub next_avail: u16,
}

// SAFETY: the raw pointers point into frames this driver owns; the kernel
// has one CPU and the driver is used under a lock.
unsafe impl Send for VirtioMmio {}

impl VirtioMmio {
    fn read(&self, reg: u64) -> u32 {
        // SAFETY: `base` is a virtio-mmio window from the command line,
        // mapped uncached by the direct map; registers are 32-bit.
        unsafe { read_volatile(phys_to_virt(self.base + reg) as *const u32) }
    }

    fn write(&self, reg: u64, v: u32) {
        // SAFETY: as in `read`.
        unsafe { write_volatile(phys_to_virt(self.base + reg) as *mut u32, v) }
    }

    pub fn config_u32(&self, offset: u64) -> u32 {
        self.read(CONFIG + offset)
    }

    pub fn config_u64(&self, offset: u64) -> u64 {
        u64::from(self.read(CONFIG + offset)) | (u64::from(self.read(CONFIG + offset + 4)) << 32)
    }

    /// Resets the device, negotiates `wanted` features (VERSION_1 always),
    /// sets up queue 0 and sets DRIVER_OK. Returns the accepted features.
    pub fn probe(base: u64, device_id: u32, wanted: u64) -> Result<(VirtioMmio, u64), ProbeError> {
        let mut dev = VirtioMmio {
            base,
            queue_size: 0,
            desc: core::ptr::null_mut(),
            avail: core::ptr::null_mut(),
            used: core::ptr::null(),
            last_used: 0,
            next_avail: 0,
        };
        if dev.read(MAGIC) != MAGIC_VALUE {
            return Err(ProbeError::NotVirtio);
        }
        let version = dev.read(VERSION);
        if version != 2 {
            return Err(ProbeError::Legacy(version));
        }
        let id = dev.read(DEVICE_ID);
        if id != device_id {
            return Err(ProbeError::WrongDevice(id));
        }
        dev.write(STATUS, 0);
        dev.write(STATUS, STATUS_ACKNOWLEDGE);
        dev.write(STATUS, STATUS_ACKNOWLEDGE | STATUS_DRIVER);
        dev.write(DEVICE_FEATURES_SEL, 0);
        let low = u64::from(dev.read(DEVICE_FEATURES));
        dev.write(DEVICE_FEATURES_SEL, 1);
        let offered = low | (u64::from(dev.read(DEVICE_FEATURES)) << 32);
        let accepted = offered & (wanted | F_VERSION_1);
        if accepted & F_VERSION_1 == 0 {
            dev.write(STATUS, STATUS_FAILED);
            return Err(ProbeError::FeaturesRefused);
        }
        dev.write(DRIVER_FEATURES_SEL, 0);
        dev.write(DRIVER_FEATURES, accepted as u32);
        dev.write(DRIVER_FEATURES_SEL, 1);
        dev.write(DRIVER_FEATURES, (accepted >> 32) as u32);
        let status = STATUS_ACKNOWLEDGE | STATUS_DRIVER | STATUS_FEATURES_OK;
        dev.write(STATUS, status);
        if dev.read(STATUS) & STATUS_FEATURES_OK == 0 {
            dev.write(STATUS, STATUS_FAILED);
            return Err(ProbeError::FeaturesRefused);
        }
        dev.write(QUEUE_SEL, 0);
        let max = dev.read(QUEUE_NUM_MAX);
        if max == 0 {
            return Err(ProbeError::NoQueue);
        }
        let size = QUEUE_SIZE.min(u16::try_from(max).unwrap_or(QUEUE_SIZE));
        // Descriptor table (16 B each) and the driver ring share one zeroed
        // frame; the device ring gets another.
        let table = frame::alloc_zeroed().ok_or(ProbeError::OutOfMemory)?;
        let device_ring = frame::alloc_zeroed().ok_or(ProbeError::OutOfMemory)?;
        let driver_ring = table + 16 * u64::from(size);
        dev.queue_size = size;
        dev.desc = phys_to_virt(table) as *mut Desc;
        dev.avail = phys_to_virt(driver_ring) as *mut u16;
        dev.used = phys_to_virt(device_ring) as *const u8;
        dev.write(QUEUE_NUM, u32::from(size));
        for (reg, addr) in [
            (QUEUE_DESC, table),
            (QUEUE_DRIVER, driver_ring),
            (QUEUE_DEVICE, device_ring),
        ] {
            dev.write(reg, addr as u32);
            dev.write(reg + 4, (addr >> 32) as u32);
        }
        dev.write(QUEUE_READY, 1);
        dev.write(STATUS, status | STATUS_DRIVER_OK);
        Ok((dev, accepted))
    }

    pub fn set_desc(&mut self, i: u16, d: Desc) {
        // SAFETY: i < queue_size (callers allocate from 0..queue_size).
        unsafe { write_volatile(self.desc.add(usize::from(i)), d) }
    }

    /// Offers the chain starting at `head` to the device (not yet notified).
    pub fn push_avail(&mut self, head: u16) {
        let slot = usize::from(self.next_avail % self.queue_size);
        // SAFETY: the driver ring is flags, idx, ring[queue_size]: slot
        // 2 + slot is inside it.
        unsafe { write_volatile(self.avail.add(2 + slot), head) };
        self.next_avail = self.next_avail.wrapping_add(1);
    }

    /// Publishes the new avail index and kicks the device.
    pub fn notify(&mut self) {
        // The ring entries must be visible before the index, and the index
        // before the notification.
        fence(Ordering::SeqCst);
        // SAFETY: idx is the driver ring's second u16.
        unsafe { write_volatile(self.avail.add(1), self.next_avail) };
        fence(Ordering::SeqCst);
        self.write(QUEUE_NOTIFY, 0);
    }

    /// The device ring's index (how many chains it has completed).
    pub fn used_idx(&self) -> u16 {
        // SAFETY: idx is the device ring's second u16.
        unsafe { read_volatile(self.used.add(2) as *const u16) }
    }
}
