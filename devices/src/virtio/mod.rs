//! Virtio devices (host side): the seam between a transport and a device.
//!
//! The transport ([`mmio::MmioTransport`]) owns what the virtio spec puts in
//! the transport: feature words, status, queue registers, the interrupt
//! status register. A device ([`blk::Block`]) owns its features, its config
//! space and what it does with activated queues. The two meet through
//! [`VirtioDevice`], so a second device only has to implement that trait.
//!
//! The VMM backs [`InterruptTrigger`] with an irqfd and calls
//! [`mmio::MmioTransport::notify`] from the thread that waits on the queue's
//! ioeventfd; the tests back both with plain calls and counters.

pub mod blk;
pub mod mmio;
#[cfg(test)]
pub(crate) mod queue_test_util;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};

use virtio_bindings::virtio_mmio::{VIRTIO_MMIO_INT_CONFIG, VIRTIO_MMIO_INT_VRING};
use virtio_queue::Queue;
use vm_memory::GuestMemoryMmap;

/// Device status bits (virtio 1.x, 2.1).
pub mod status {
    pub const ACKNOWLEDGE: u32 = 1;
    pub const DRIVER: u32 = 2;
    pub const DRIVER_OK: u32 = 4;
    pub const FEATURES_OK: u32 = 8;
    pub const DEVICE_NEEDS_RESET: u32 = 0x40;
    pub const FAILED: u32 = 0x80;
}

/// Raises the device's interrupt line. The VMM writes to an irqfd.
pub trait InterruptTrigger: Send + Sync {
    fn trigger(&self) -> std::io::Result<()>;
}

impl InterruptTrigger for vmm_sys_util::eventfd::EventFd {
    fn trigger(&self) -> std::io::Result<()> {
        self.write(1)
    }
}

/// What a device uses to tell the driver something happened: the
/// InterruptStatus bits (shared with the transport, which reads and acks
/// them) and the line itself. Also carries the device's "I am broken" flag,
/// which the transport reports as DEVICE_NEEDS_RESET.
#[derive(Clone)]
pub struct Interrupt {
    status: Arc<AtomicU32>,
    needs_reset: Arc<AtomicBool>,
    trigger: Arc<dyn InterruptTrigger>,
}

impl Interrupt {
    pub fn new(trigger: Arc<dyn InterruptTrigger>) -> Self {
        Self {
            status: Arc::new(AtomicU32::new(0)),
            needs_reset: Arc::new(AtomicBool::new(false)),
            trigger,
        }
    }

    /// The used ring of some queue has new entries.
    pub fn signal_used_queue(&self) -> std::io::Result<()> {
        self.status
            .fetch_or(VIRTIO_MMIO_INT_VRING, Ordering::SeqCst);
        self.trigger.trigger()
    }

    /// The config space changed (or the device needs a reset, spec 2.1.2).
    pub fn signal_config_change(&self) -> std::io::Result<()> {
        self.status
            .fetch_or(VIRTIO_MMIO_INT_CONFIG, Ordering::SeqCst);
        self.trigger.trigger()
    }

    /// The driver broke the queue: stop trusting it until it resets us.
    pub fn set_needs_reset(&self) -> std::io::Result<()> {
        if !self.needs_reset.swap(true, Ordering::SeqCst) {
            return self.signal_config_change();
        }
        Ok(())
    }

    pub fn needs_reset(&self) -> bool {
        self.needs_reset.load(Ordering::SeqCst)
    }

    pub(crate) fn status(&self) -> u32 {
        self.status.load(Ordering::SeqCst)
    }

    pub(crate) fn ack(&self, bits: u32) {
        self.status.fetch_and(!bits, Ordering::SeqCst);
    }

    pub(crate) fn clear(&self) {
        self.status.store(0, Ordering::SeqCst);
        self.needs_reset.store(false, Ordering::SeqCst);
    }
}

/// A virtio device as seen by its transport.
pub trait VirtioDevice: Send {
    /// Virtio device ID (2 for block).
    fn device_type(&self) -> u32;
    /// Maximum size of each queue; its length is the number of queues.
    fn queue_max_sizes(&self) -> &[u16];
    /// Feature bits offered to the driver.
    fn device_features(&self) -> u64;
    /// Reads device config space at `offset`; bytes past its end read as 0.
    fn read_config(&self, offset: u64, data: &mut [u8]);
    /// Writes device config space; devices without writable fields ignore it.
    fn write_config(&mut self, offset: u64, data: &[u8]);
    /// Starts the device after DRIVER_OK with the negotiated features and
    /// the queues the driver set up (already checked against memory).
    fn activate(
        &mut self,
        features: u64,
        queues: Vec<Queue>,
        memory: GuestMemoryMmap,
        interrupt: Interrupt,
    ) -> Result<(), ActivateError>;
    /// Drops queues and any request state (the driver wrote 0 to Status).
    fn reset(&mut self);
    /// The driver made buffers available in queue `index`.
    fn queue_notify(&mut self, index: u16);
}

#[derive(Debug, thiserror::Error)]
pub enum ActivateError {
    #[error("expected {expected} queues, got {got}")]
    QueueCount { expected: usize, got: usize },
}
