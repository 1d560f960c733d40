//! Device drivers, and the interrupt dispatch by GSI.

pub mod copy_engine;
pub mod host_signal;
pub mod virtio_blk;
pub mod virtio_mmio;

/// Called by the trap handler for IOAPIC interrupts (vector = base + gsi).
pub fn interrupt(gsi: u32) {
    crate::console::interrupt(gsi);
    virtio_blk::interrupt(gsi);
    host_signal::interrupt(gsi);
}
