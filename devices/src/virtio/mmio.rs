//! The virtio-mmio transport, virtio 1.x "modern" layout (Version 2).
//!
//! The VMM maps [`MMIO_SIZE`] bytes at some base, announces it to the guest
//! as `virtio_mmio.device=4K@BASE:IRQ`, and forwards MMIO exits in that
//! window to [`MmioTransport::read`] / [`MmioTransport::write`] with the
//! offset from the base. Queue notifications should bypass the vCPU loop
//! (an ioeventfd on `base + NOTIFY_OFFSET`) and arrive as
//! [`MmioTransport::notify`]; a plain write to QueueNotify does the same.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use virtio_bindings::virtio_config::VIRTIO_F_VERSION_1;
use virtio_bindings::virtio_mmio as reg;
use virtio_queue::{Queue, QueueT};
use vm_memory::{GuestAddress, GuestMemoryMmap};

use super::{Interrupt, InterruptTrigger, VirtioDevice, status};

/// Size of the register window (what `4K@` on the command line says).
pub const MMIO_SIZE: u64 = 0x1000;
/// Offset of QueueNotify, where the VMM registers the ioeventfd.
pub const NOTIFY_OFFSET: u64 = reg::VIRTIO_MMIO_QUEUE_NOTIFY as u64;
/// "virt" in little endian.
pub const MAGIC_VALUE: u32 = 0x7472_6976;
/// Version 2 is the modern (virtio 1.x) register layout.
pub const MMIO_VERSION: u32 = 2;
/// Vendor ID reported to the driver ("LSTR"); drivers do not look at it.
pub const VENDOR_ID: u32 = 0x5254_534c;

const CONFIG_START: u64 = reg::VIRTIO_MMIO_CONFIG as u64;

/// The driver's view of one queue before activation: plain register values,
/// turned into a [`Queue`] (and validated) at DRIVER_OK.
#[derive(Clone, Copy, Debug, Default)]
struct QueueRegs {
    size: u16,
    ready: bool,
    desc: u64,
    avail: u64,
    used: u64,
}

/// Counters of the transport itself.
#[derive(Debug, Default)]
pub struct MmioCounters {
    /// Accesses with a bad offset or width, or writes the state forbids.
    pub invalid_accesses: AtomicU64,
    /// FEATURES_OK refused (unknown features or no VERSION_1).
    pub features_refused: AtomicU64,
    /// DRIVER_OK with queues that could not be used: device needs reset.
    pub activation_failures: AtomicU64,
}

pub struct MmioTransport<D: VirtioDevice> {
    device: D,
    memory: GuestMemoryMmap,
    interrupt: Interrupt,
    status: u32,
    device_features_sel: u32,
    driver_features_sel: u32,
    driver_features: u64,
    queue_sel: u32,
    queues: Vec<QueueRegs>,
    activated: bool,
    config_generation: u32,
    counters: Arc<MmioCounters>,
}

impl<D: VirtioDevice> MmioTransport<D> {
    pub fn new(device: D, memory: GuestMemoryMmap, trigger: Arc<dyn InterruptTrigger>) -> Self {
        let queues = vec![QueueRegs::default(); device.queue_max_sizes().len()];
        Self {
            device,
            memory,
            interrupt: Interrupt::new(trigger),
            status: 0,
            device_features_sel: 0,
            driver_features_sel: 0,
            driver_features: 0,
            queue_sel: 0,
            queues,
            activated: false,
            config_generation: 0,
            counters: Arc::default(),
        }
    }

    pub fn device(&self) -> &D {
        &self.device
    }

    pub fn device_mut(&mut self) -> &mut D {
        &mut self.device
    }

    pub fn counters(&self) -> Arc<MmioCounters> {
        self.counters.clone()
    }

    /// Device status as the driver reads it.
    pub fn status(&self) -> u32 {
        if self.interrupt.needs_reset() {
            self.status | status::DEVICE_NEEDS_RESET
        } else {
            self.status
        }
    }

    /// A queue notification (ioeventfd or a QueueNotify write). Ignored
    /// until the device runs: a driver must not notify before DRIVER_OK.
    pub fn notify(&mut self, queue: u16) {
        if self.activated && usize::from(queue) < self.queues.len() {
            self.device.queue_notify(queue);
        } else {
            self.invalid();
        }
    }

    /// An MMIO read of `data.len()` bytes at `offset` in the window.
    pub fn read(&mut self, offset: u64, data: &mut [u8]) {
        data.fill(0);
        if offset >= CONFIG_START {
            if Self::config_access_ok(offset, data.len()) {
                self.device.read_config(offset - CONFIG_START, data);
            } else {
                self.invalid();
            }
            return;
        }
        let Some(offset) = Self::register(offset, data.len()) else {
            self.invalid();
            return;
        };
        let value = match offset {
            reg::VIRTIO_MMIO_MAGIC_VALUE => MAGIC_VALUE,
            reg::VIRTIO_MMIO_VERSION => MMIO_VERSION,
            reg::VIRTIO_MMIO_DEVICE_ID => self.device.device_type(),
            reg::VIRTIO_MMIO_VENDOR_ID => VENDOR_ID,
            reg::VIRTIO_MMIO_DEVICE_FEATURES => match self.device_features_sel {
                0 => self.device.device_features() as u32,
                1 => (self.device.device_features() >> 32) as u32,
                _ => 0,
            },
            reg::VIRTIO_MMIO_QUEUE_NUM_MAX => self
                .device
                .queue_max_sizes()
                .get(self.queue_sel as usize)
                .map_or(0, |&m| u32::from(m)),
            reg::VIRTIO_MMIO_QUEUE_READY => self.selected().map_or(0, |q| u32::from(q.ready)),
            reg::VIRTIO_MMIO_INTERRUPT_STATUS => self.interrupt.status(),
            reg::VIRTIO_MMIO_STATUS => self.status(),
            reg::VIRTIO_MMIO_CONFIG_GENERATION => self.config_generation,
            _ => {
                // Write-only or unknown register.
                self.invalid();
                return;
            }
        };
        data.copy_from_slice(&value.to_le_bytes());
    }

    /// An MMIO write of `data.len()` bytes at `offset` in the window.
    pub fn write(&mut self, offset: u64, data: &[u8]) {
        if offset >= CONFIG_START {
            if Self::config_access_ok(offset, data.len()) {
                self.device.write_config(offset - CONFIG_START, data);
            } else {
                self.invalid();
            }
            return;
        }
        let Some(offset) = Self::register(offset, data.len()) else {
            self.invalid();
            return;
        };
        let mut le = [0u8; 4];
        le.copy_from_slice(data);
        let v = u32::from_le_bytes(le);
        match offset {
            reg::VIRTIO_MMIO_DEVICE_FEATURES_SEL => self.device_features_sel = v,
            reg::VIRTIO_MMIO_DRIVER_FEATURES_SEL => self.driver_features_sel = v,
            reg::VIRTIO_MMIO_DRIVER_FEATURES => self.write_driver_features(v),
            reg::VIRTIO_MMIO_QUEUE_SEL => self.queue_sel = v,
            reg::VIRTIO_MMIO_QUEUE_NUM => self.update_queue(|q| q.size = v as u16),
            reg::VIRTIO_MMIO_QUEUE_READY => self.update_queue(|q| q.ready = v == 1),
            reg::VIRTIO_MMIO_QUEUE_DESC_LOW => self.update_queue(|q| set_low(&mut q.desc, v)),
            reg::VIRTIO_MMIO_QUEUE_DESC_HIGH => self.update_queue(|q| set_high(&mut q.desc, v)),
            reg::VIRTIO_MMIO_QUEUE_AVAIL_LOW => self.update_queue(|q| set_low(&mut q.avail, v)),
            reg::VIRTIO_MMIO_QUEUE_AVAIL_HIGH => self.update_queue(|q| set_high(&mut q.avail, v)),
            reg::VIRTIO_MMIO_QUEUE_USED_LOW => self.update_queue(|q| set_low(&mut q.used, v)),
            reg::VIRTIO_MMIO_QUEUE_USED_HIGH => self.update_queue(|q| set_high(&mut q.used, v)),
            reg::VIRTIO_MMIO_QUEUE_NOTIFY => match u16::try_from(v) {
                Ok(q) => self.notify(q),
                Err(_) => self.invalid(),
            },
            reg::VIRTIO_MMIO_INTERRUPT_ACK => self.interrupt.ack(v),
            reg::VIRTIO_MMIO_STATUS => self.write_status(v),
            _ => self.invalid(),
        }
    }

    fn invalid(&self) {
        self.counters
            .invalid_accesses
            .fetch_add(1, Ordering::Relaxed);
    }

    /// Registers are 32 bits wide and aligned (spec 4.2.2.2).
    fn register(offset: u64, len: usize) -> Option<u32> {
        if len != 4 || !offset.is_multiple_of(4) {
            return None;
        }
        u32::try_from(offset).ok()
    }

    /// Config space takes 1/2/4/8-byte naturally aligned accesses inside the
    /// window.
    fn config_access_ok(offset: u64, len: usize) -> bool {
        matches!(len, 1 | 2 | 4 | 8)
            && offset.is_multiple_of(len as u64)
            && offset
                .checked_add(len as u64)
                .is_some_and(|end| end <= MMIO_SIZE)
    }

    fn selected(&self) -> Option<&QueueRegs> {
        self.queues.get(self.queue_sel as usize)
    }

    /// Queue registers may change only while the driver is setting up
    /// (before DRIVER_OK) and the selected queue exists.
    fn update_queue(&mut self, f: impl FnOnce(&mut QueueRegs)) {
        let settable = !self.activated && self.status & status::FEATURES_OK != 0;
        match self.queues.get_mut(self.queue_sel as usize) {
            Some(q) if settable => f(q),
            _ => self.invalid(),
        }
    }

    fn write_driver_features(&mut self, v: u32) {
        // Features are fixed once FEATURES_OK is set (spec 3.1.1).
        if self.status & status::DRIVER == 0 || self.status & status::FEATURES_OK != 0 {
            self.invalid();
            return;
        }
        match self.driver_features_sel {
            0 => self.driver_features = (self.driver_features & !0xffff_ffff) | u64::from(v),
            1 => self.driver_features = (self.driver_features & 0xffff_ffff) | (u64::from(v) << 32),
            // Words past 64 bits name features nobody offered: remember
            // that by setting a bit the device never offers, so
            // FEATURES_OK is refused.
            _ if v != 0 => self.driver_features |= 1 << 63,
            _ => {}
        }
    }

    fn write_status(&mut self, v: u32) {
        if v == 0 {
            self.reset();
            return;
        }
        // The driver only ever adds bits (spec 3.1.1); anything else but a
        // reset is a driver bug we refuse.
        if v & self.status != self.status || v & status::DEVICE_NEEDS_RESET != 0 {
            self.invalid();
            return;
        }
        let added = v & !self.status;
        let mut new = v;
        if added & status::FEATURES_OK != 0 && !self.features_acceptable() {
            self.counters
                .features_refused
                .fetch_add(1, Ordering::Relaxed);
            new &= !status::FEATURES_OK;
        }
        if added & status::DRIVER_OK != 0 {
            if new & status::FEATURES_OK == 0 {
                self.invalid();
                return;
            }
            self.status = new;
            self.activate();
            return;
        }
        self.status = new;
    }

    fn features_acceptable(&self) -> bool {
        let offered = self.device.device_features();
        self.driver_features & !offered == 0
            && self.driver_features & (1 << VIRTIO_F_VERSION_1) != 0
    }

    fn activate(&mut self) {
        let mut queues = Vec::with_capacity(self.queues.len());
        for (regs, &max) in self.queues.iter().zip(self.device.queue_max_sizes()) {
            match build_queue(regs, max, self.driver_features, &self.memory) {
                Some(q) => queues.push(q),
                None => return self.activation_failed(),
            }
        }
        match self.device.activate(
            self.driver_features,
            queues,
            self.memory.clone(),
            self.interrupt.clone(),
        ) {
            Ok(()) => self.activated = true,
            Err(_) => self.activation_failed(),
        }
    }

    fn activation_failed(&mut self) {
        self.counters
            .activation_failures
            .fetch_add(1, Ordering::Relaxed);
        // Best effort: if the line cannot be raised, the driver still sees
        // the bit when it next reads Status.
        let _ = self.interrupt.set_needs_reset();
    }

    fn reset(&mut self) {
        if self.activated {
            self.device.reset();
        }
        self.activated = false;
        self.status = 0;
        self.device_features_sel = 0;
        self.driver_features_sel = 0;
        self.driver_features = 0;
        self.queue_sel = 0;
        self.queues.fill(QueueRegs::default());
        self.interrupt.clear();
    }
}

fn set_low(addr: &mut u64, v: u32) {
    *addr = (*addr & !0xffff_ffff) | u64::from(v);
}

fn set_high(addr: &mut u64, v: u32) {
    *addr = (*addr & 0xffff_ffff) | (u64::from(v) << 32);
}

/// A ready queue whose size and rings fit the spec and guest memory, or
/// None. Every queue the device has must be set up: ours have one each.
fn build_queue(regs: &QueueRegs, max: u16, features: u64, mem: &GuestMemoryMmap) -> Option<Queue> {
    use virtio_bindings::virtio_ring::VIRTIO_RING_F_EVENT_IDX;
    if !regs.ready {
        return None;
    }
    let mut q = Queue::new(max).ok()?;
    q.try_set_size(regs.size).ok()?;
    q.try_set_desc_table_address(GuestAddress(regs.desc)).ok()?;
    q.try_set_avail_ring_address(GuestAddress(regs.avail))
        .ok()?;
    q.try_set_used_ring_address(GuestAddress(regs.used)).ok()?;
    q.set_event_idx(features & (1 << VIRTIO_RING_F_EVENT_IDX) != 0);
    q.set_ready(true);
    q.is_valid(mem).then_some(q)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::virtio::ActivateError;
    use std::sync::Mutex;
    use std::sync::atomic::AtomicU32;

    #[derive(Default)]
    pub(crate) struct CountingTrigger(pub AtomicU32);

    impl InterruptTrigger for CountingTrigger {
        fn trigger(&self) -> std::io::Result<()> {
            self.0.fetch_add(1, Ordering::SeqCst);
            Ok(())
        }
    }

    /// A device that records what the transport does to it.
    #[derive(Default)]
    struct FakeDevice {
        log: Arc<Mutex<Vec<String>>>,
        config: [u8; 8],
    }

    impl VirtioDevice for FakeDevice {
        fn device_type(&self) -> u32 {
            2
        }
        fn queue_max_sizes(&self) -> &[u16] {
            &[16]
        }
        fn device_features(&self) -> u64 {
            (1 << VIRTIO_F_VERSION_1) | (1 << 9) | (1 << 29)
        }
        fn read_config(&self, offset: u64, data: &mut [u8]) {
            let start = offset as usize;
            for (i, b) in data.iter_mut().enumerate() {
                *b = self.config.get(start + i).copied().unwrap_or(0);
            }
        }
        fn write_config(&mut self, offset: u64, _data: &[u8]) {
            self.log.lock().unwrap().push(format!("config {offset}"));
        }
        fn activate(
            &mut self,
            features: u64,
            queues: Vec<Queue>,
            _memory: GuestMemoryMmap,
            _interrupt: Interrupt,
        ) -> Result<(), ActivateError> {
            self.log.lock().unwrap().push(format!(
                "activate {features:#x} size {} event_idx {}",
                queues[0].size(),
                queues[0].event_idx_enabled()
            ));
            Ok(())
        }
        fn reset(&mut self) {
            self.log.lock().unwrap().push("reset".into());
        }
        fn queue_notify(&mut self, index: u16) {
            self.log.lock().unwrap().push(format!("notify {index}"));
        }
    }

    fn transport() -> (MmioTransport<FakeDevice>, Arc<Mutex<Vec<String>>>) {
        let mem = GuestMemoryMmap::<()>::from_ranges(&[(GuestAddress(0), 0x10000)]).unwrap();
        let dev = FakeDevice {
            config: [1, 2, 3, 4, 5, 6, 7, 8],
            ..Default::default()
        };
        let log = dev.log.clone();
        (
            MmioTransport::new(dev, mem, Arc::new(CountingTrigger::default())),
            log,
        )
    }

    fn r32(t: &mut MmioTransport<FakeDevice>, off: u32) -> u32 {
        let mut d = [0u8; 4];
        t.read(u64::from(off), &mut d);
        u32::from_le_bytes(d)
    }

    fn w32(t: &mut MmioTransport<FakeDevice>, off: u32, v: u32) {
        t.write(u64::from(off), &v.to_le_bytes());
    }

    /// Driver init up to FEATURES_OK, as Linux does it.
    fn negotiate(t: &mut MmioTransport<FakeDevice>, features: u64) -> bool {
        w32(t, reg::VIRTIO_MMIO_STATUS, 0);
        w32(t, reg::VIRTIO_MMIO_STATUS, status::ACKNOWLEDGE);
        w32(
            t,
            reg::VIRTIO_MMIO_STATUS,
            status::ACKNOWLEDGE | status::DRIVER,
        );
        w32(t, reg::VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
        w32(t, reg::VIRTIO_MMIO_DRIVER_FEATURES, features as u32);
        w32(t, reg::VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
        w32(t, reg::VIRTIO_MMIO_DRIVER_FEATURES, (features >> 32) as u32);
        let s = status::ACKNOWLEDGE | status::DRIVER | status::FEATURES_OK;
        w32(t, reg::VIRTIO_MMIO_STATUS, s);
        r32(t, reg::VIRTIO_MMIO_STATUS) & status::FEATURES_OK != 0
    }

    fn setup_queue(t: &mut MmioTransport<FakeDevice>, size: u32) {
        w32(t, reg::VIRTIO_MMIO_QUEUE_SEL, 0);
        w32(t, reg::VIRTIO_MMIO_QUEUE_NUM, size);
        w32(t, reg::VIRTIO_MMIO_QUEUE_DESC_LOW, 0x1000);
        w32(t, reg::VIRTIO_MMIO_QUEUE_DESC_HIGH, 0);
        w32(t, reg::VIRTIO_MMIO_QUEUE_AVAIL_LOW, 0x2000);
        w32(t, reg::VIRTIO_MMIO_QUEUE_AVAIL_HIGH, 0);
        w32(t, reg::VIRTIO_MMIO_QUEUE_USED_LOW, 0x3000);
        w32(t, reg::VIRTIO_MMIO_QUEUE_USED_HIGH, 0);
        w32(t, reg::VIRTIO_MMIO_QUEUE_READY, 1);
    }

    const ALL_BUT_OK: u32 = status::ACKNOWLEDGE | status::DRIVER | status::FEATURES_OK;

    #[test]
    fn identification_registers() {
        let (mut t, _) = transport();
        assert_eq!(r32(&mut t, reg::VIRTIO_MMIO_MAGIC_VALUE), 0x7472_6976);
        assert_eq!(r32(&mut t, reg::VIRTIO_MMIO_VERSION), 2);
        assert_eq!(r32(&mut t, reg::VIRTIO_MMIO_DEVICE_ID), 2);
        assert_eq!(r32(&mut t, reg::VIRTIO_MMIO_VENDOR_ID), VENDOR_ID);
        assert_eq!(r32(&mut t, reg::VIRTIO_MMIO_QUEUE_NUM_MAX), 16);
        w32(&mut t, reg::VIRTIO_MMIO_QUEUE_SEL, 1);
        assert_eq!(r32(&mut t, reg::VIRTIO_MMIO_QUEUE_NUM_MAX), 0);
        assert_eq!(r32(&mut t, reg::VIRTIO_MMIO_CONFIG_GENERATION), 0);
    }

    #[test]
    fn device_features_are_read_a_word_at_a_time() {
        let (mut t, _) = transport();
        w32(&mut t, reg::VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
        assert_eq!(
            r32(&mut t, reg::VIRTIO_MMIO_DEVICE_FEATURES),
            (1 << 9) | (1 << 29)
        );
        w32(&mut t, reg::VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
        assert_eq!(r32(&mut t, reg::VIRTIO_MMIO_DEVICE_FEATURES), 1);
        w32(&mut t, reg::VIRTIO_MMIO_DEVICE_FEATURES_SEL, 2);
        assert_eq!(r32(&mut t, reg::VIRTIO_MMIO_DEVICE_FEATURES), 0);
    }

    #[test]
    fn features_ok_needs_known_features_and_version_1() {
        let (mut t, _) = transport();
        let v1 = 1u64 << VIRTIO_F_VERSION_1;
        assert!(negotiate(&mut t, v1 | (1 << 9)));
        // An unknown feature (bit 0 is never offered here).
        assert!(!negotiate(&mut t, v1 | 1));
        // Legacy drivers are not served by a Version 2 transport.
        assert!(!negotiate(&mut t, 1 << 9));
        assert_eq!(t.counters().features_refused.load(Ordering::Relaxed), 2);
        // A feature word past 64 bits.
        w32(&mut t, reg::VIRTIO_MMIO_STATUS, 0);
        w32(
            &mut t,
            reg::VIRTIO_MMIO_STATUS,
            status::ACKNOWLEDGE | status::DRIVER,
        );
        w32(&mut t, reg::VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
        w32(&mut t, reg::VIRTIO_MMIO_DRIVER_FEATURES, 1);
        w32(&mut t, reg::VIRTIO_MMIO_DRIVER_FEATURES_SEL, 2);
        w32(&mut t, reg::VIRTIO_MMIO_DRIVER_FEATURES, 1);
        w32(&mut t, reg::VIRTIO_MMIO_STATUS, ALL_BUT_OK);
        assert_eq!(
            r32(&mut t, reg::VIRTIO_MMIO_STATUS) & status::FEATURES_OK,
            0
        );
    }

    #[test]
    fn features_are_frozen_after_features_ok() {
        let (mut t, log) = transport();
        assert!(negotiate(&mut t, (1 << VIRTIO_F_VERSION_1) | (1 << 29)));
        w32(&mut t, reg::VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
        w32(&mut t, reg::VIRTIO_MMIO_DRIVER_FEATURES, 1 << 9);
        setup_queue(&mut t, 8);
        w32(
            &mut t,
            reg::VIRTIO_MMIO_STATUS,
            ALL_BUT_OK | status::DRIVER_OK,
        );
        assert_eq!(
            log.lock().unwrap().as_slice(),
            ["activate 0x120000000 size 8 event_idx true"]
        );
    }

    #[test]
    fn queue_setup_and_activation() {
        let (mut t, log) = transport();
        // Queue registers are refused before FEATURES_OK.
        w32(&mut t, reg::VIRTIO_MMIO_QUEUE_READY, 1);
        assert_eq!(r32(&mut t, reg::VIRTIO_MMIO_QUEUE_READY), 0);
        assert!(negotiate(&mut t, 1 << VIRTIO_F_VERSION_1));
        setup_queue(&mut t, 16);
        assert_eq!(r32(&mut t, reg::VIRTIO_MMIO_QUEUE_READY), 1);
        // No notifications before DRIVER_OK.
        t.notify(0);
        w32(
            &mut t,
            reg::VIRTIO_MMIO_STATUS,
            ALL_BUT_OK | status::DRIVER_OK,
        );
        assert_eq!(
            r32(&mut t, reg::VIRTIO_MMIO_STATUS),
            ALL_BUT_OK | status::DRIVER_OK
        );
        w32(&mut t, reg::VIRTIO_MMIO_QUEUE_NOTIFY, 0);
        t.notify(0);
        t.notify(1);
        // Queue registers are frozen once running.
        w32(&mut t, reg::VIRTIO_MMIO_QUEUE_NUM, 4);
        assert_eq!(
            log.lock().unwrap().as_slice(),
            [
                "activate 0x100000000 size 16 event_idx false",
                "notify 0",
                "notify 0"
            ]
        );
        assert_eq!(t.counters().invalid_accesses.load(Ordering::Relaxed), 4);
    }

    #[test]
    fn bad_queue_setup_sets_needs_reset() {
        for (size, desc) in [(3, 0x1000), (32, 0x1000), (16, 0x1008), (16, 0xfff0)] {
            let (mut t, log) = transport();
            assert!(negotiate(&mut t, 1 << VIRTIO_F_VERSION_1));
            setup_queue(&mut t, size);
            w32(&mut t, reg::VIRTIO_MMIO_QUEUE_DESC_LOW, desc);
            w32(
                &mut t,
                reg::VIRTIO_MMIO_STATUS,
                ALL_BUT_OK | status::DRIVER_OK,
            );
            let s = r32(&mut t, reg::VIRTIO_MMIO_STATUS);
            assert_ne!(
                s & status::DEVICE_NEEDS_RESET,
                0,
                "size {size} desc {desc:#x}"
            );
            assert!(log.lock().unwrap().is_empty());
            // The config-change interrupt tells the driver.
            assert_eq!(r32(&mut t, reg::VIRTIO_MMIO_INTERRUPT_STATUS), 2);
            // Reset clears it all.
            w32(&mut t, reg::VIRTIO_MMIO_STATUS, 0);
            assert_eq!(r32(&mut t, reg::VIRTIO_MMIO_STATUS), 0);
            assert_eq!(r32(&mut t, reg::VIRTIO_MMIO_INTERRUPT_STATUS), 0);
        }
    }

    #[test]
    fn reset_returns_to_initial_state() {
        let (mut t, log) = transport();
        assert!(negotiate(&mut t, 1 << VIRTIO_F_VERSION_1));
        setup_queue(&mut t, 16);
        w32(
            &mut t,
            reg::VIRTIO_MMIO_STATUS,
            ALL_BUT_OK | status::DRIVER_OK,
        );
        t.interrupt.signal_used_queue().unwrap();
        assert_eq!(r32(&mut t, reg::VIRTIO_MMIO_INTERRUPT_STATUS), 1);
        w32(&mut t, reg::VIRTIO_MMIO_INTERRUPT_ACK, 1);
        assert_eq!(r32(&mut t, reg::VIRTIO_MMIO_INTERRUPT_STATUS), 0);
        w32(&mut t, reg::VIRTIO_MMIO_STATUS, 0);
        assert_eq!(r32(&mut t, reg::VIRTIO_MMIO_STATUS), 0);
        assert_eq!(r32(&mut t, reg::VIRTIO_MMIO_QUEUE_READY), 0);
        t.notify(0);
        assert_eq!(log.lock().unwrap().last().unwrap(), "reset");
    }

    #[test]
    fn status_bits_cannot_be_cleared_or_skipped() {
        let (mut t, _) = transport();
        w32(
            &mut t,
            reg::VIRTIO_MMIO_STATUS,
            status::ACKNOWLEDGE | status::DRIVER,
        );
        w32(&mut t, reg::VIRTIO_MMIO_STATUS, status::ACKNOWLEDGE);
        assert_eq!(
            r32(&mut t, reg::VIRTIO_MMIO_STATUS),
            status::ACKNOWLEDGE | status::DRIVER
        );
        // DRIVER_OK without FEATURES_OK.
        w32(
            &mut t,
            reg::VIRTIO_MMIO_STATUS,
            status::ACKNOWLEDGE | status::DRIVER | status::DRIVER_OK,
        );
        assert_eq!(r32(&mut t, reg::VIRTIO_MMIO_STATUS) & status::DRIVER_OK, 0);
        // FAILED is kept as written.
        w32(
            &mut t,
            reg::VIRTIO_MMIO_STATUS,
            status::ACKNOWLEDGE | status::DRIVER | status::FAILED,
        );
        assert_ne!(r32(&mut t, reg::VIRTIO_MMIO_STATUS) & status::FAILED, 0);
    }

    #[test]
    fn bad_widths_and_offsets_are_ignored_and_counted() {
        let (mut t, _) = transport();
        let mut two = [0xffu8; 2];
        t.read(0, &mut two);
        assert_eq!(two, [0, 0]);
        let mut four = [0xffu8; 4];
        t.read(2, &mut four);
        assert_eq!(four, [0; 4]);
        t.read(0x0c4, &mut four); // unknown register
        t.read(reg::VIRTIO_MMIO_QUEUE_NOTIFY.into(), &mut four); // write-only
        t.write(u64::from(reg::VIRTIO_MMIO_STATUS), &[1]);
        t.write(0x0c4, &[0; 4]);
        let mut eight = [0u8; 8];
        t.read(0xffc, &mut eight);
        assert_eq!(t.counters().invalid_accesses.load(Ordering::Relaxed), 7);
        assert_eq!(r32(&mut t, reg::VIRTIO_MMIO_STATUS), 0);
    }

    #[test]
    fn config_space_reads_of_any_width() {
        let (mut t, log) = transport();
        let mut one = [0u8; 1];
        t.read(0x101, &mut one);
        assert_eq!(one, [2]);
        let mut eight = [0u8; 8];
        t.read(0x100, &mut eight);
        assert_eq!(eight, [1, 2, 3, 4, 5, 6, 7, 8]);
        let mut four = [0u8; 4];
        t.read(0x104, &mut four);
        assert_eq!(four, [5, 6, 7, 8]);
        t.read(0x108, &mut four);
        assert_eq!(four, [0; 4]);
        t.write(0x104, &[0; 4]);
        assert_eq!(log.lock().unwrap().as_slice(), ["config 4"]);
    }
}
