//! virtio-blk (`lstar_devices::virtio::blk`): the device serves whatever a
//! driver puts in its queue (descriptors, chains, indirect tables, request
//! headers, ring indexes) over a fake guest memory and an in-memory disk.
//! It must never panic, never grow the disk (every sector checked), never
//! change a read-only disk. (The used ring is not checked: the driver may
//! point a read's buffers at it, and then the device rightly writes there.)

use std::sync::Arc;

use lstar_devices::virtio::{Interrupt, InterruptTrigger, VirtioDevice};
use virtio_bindings::virtio_ring::VIRTIO_RING_F_EVENT_IDX;
use virtio_queue::{Queue, QueueT};
use vm_memory::{GuestAddress, GuestMemoryMmap};

use crate::driver::{self, AVAIL_RING, DESC_TABLE, Driver, MemBlock, USED_RING};
use crate::input::Input;

/// An interrupt line nobody listens to.
pub struct NoTrigger;

impl InterruptTrigger for NoTrigger {
    fn trigger(&self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The queue as the transport hands it over at DRIVER_OK.
fn queue(size: u16, event_idx: bool) -> Queue {
    let mut q = Queue::new(lstar_devices::virtio::blk::QUEUE_SIZE).expect("a valid max size");
    q.try_set_size(size).expect("a power of two up to the max");
    q.try_set_desc_table_address(GuestAddress(DESC_TABLE))
        .expect("aligned");
    q.try_set_avail_ring_address(GuestAddress(AVAIL_RING))
        .expect("aligned");
    q.try_set_used_ring_address(GuestAddress(USED_RING))
        .expect("aligned");
    q.set_event_idx(event_idx);
    q.set_ready(true);
    q
}

fn activate(blk: &mut MemBlock, mem: &GuestMemoryMmap, size: u16, event_idx: bool) {
    let features = if event_idx {
        1 << VIRTIO_RING_F_EVENT_IDX
    } else {
        0
    };
    let interrupt = Interrupt::new(Arc::new(NoTrigger));
    blk.activate(
        features,
        vec![queue(size, event_idx)],
        mem.clone(),
        interrupt,
    )
    .expect("one queue");
}

/// The target: a device set up from the first bytes, then driver
/// operations and notifications until the input ends.
pub fn blk(data: &[u8]) {
    let mut input = Input::new(data);
    let setup = input.u8();
    let read_only = setup & 1 != 0;
    let event_idx = setup & 2 != 0;
    let size = 1u16 << (input.u8() % 9);
    let mem = driver::memory();
    let mut blk = driver::block(read_only);
    let mut drv = Driver::new(mem.clone(), size);
    let original = driver::disk_bytes();
    activate(&mut blk, &mem, size, event_idx);
    while !input.is_empty() {
        let op = input.u8();
        match op % 16 {
            0..=11 => drv.step(op, &mut input),
            12..=14 => blk.queue_notify(u16::from(op == 14)),
            _ => {
                blk.reset();
                drv = Driver::new(mem.clone(), size);
                activate(&mut blk, &mem, size, event_idx);
            }
        }
        check_disk(&blk, read_only.then_some(&original[..]));
    }
    blk.queue_notify(0);
    check_disk(&blk, read_only.then_some(&original[..]));
}

/// Every sector the device touched was on the disk, and a read-only disk
/// (`read_only`: its original bytes) was not written.
fn check_disk(blk: &MemBlock, read_only: Option<&[u8]>) {
    let disk = blk.backend().0.get_ref();
    assert_eq!(
        disk.len() as u64,
        driver::DISK_SECTORS * 512,
        "the disk changed size"
    );
    if let Some(original) = read_only {
        assert!(disk[..] == *original, "a read-only disk was written");
    }
}
