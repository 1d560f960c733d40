//! The virtio-mmio transport (`lstar_devices::virtio::mmio`) in front of
//! the real virtio-blk device: register reads and writes at any offset,
//! of any width, with any value, in any order, mixed with queue
//! notifications and with driver writes to the rings (so that activated
//! queues see traffic). Besides not panicking, the transport must keep the
//! identification registers constant, zero-fill every refused read, and
//! never show DRIVER_OK without FEATURES_OK.

use std::sync::Arc;

use lstar_devices::virtio::mmio::{MAGIC_VALUE, MMIO_SIZE, MMIO_VERSION, MmioTransport};
use lstar_devices::virtio::{VirtioDevice, status};
use virtio_bindings::virtio_config::VIRTIO_F_VERSION_1;
use virtio_bindings::virtio_mmio as reg;

use crate::blk::NoTrigger;
use crate::driver::{self, AVAIL_RING, DESC_TABLE, Driver, MemBlock, USED_RING};
use crate::input::Input;

type Transport = MmioTransport<MemBlock>;

/// The registers a driver writes, with values worth trying.
const REGISTERS: [u32; 22] = [
    reg::VIRTIO_MMIO_MAGIC_VALUE,
    reg::VIRTIO_MMIO_VERSION,
    reg::VIRTIO_MMIO_DEVICE_ID,
    reg::VIRTIO_MMIO_VENDOR_ID,
    reg::VIRTIO_MMIO_DEVICE_FEATURES,
    reg::VIRTIO_MMIO_DEVICE_FEATURES_SEL,
    reg::VIRTIO_MMIO_DRIVER_FEATURES,
    reg::VIRTIO_MMIO_DRIVER_FEATURES_SEL,
    reg::VIRTIO_MMIO_QUEUE_SEL,
    reg::VIRTIO_MMIO_QUEUE_NUM_MAX,
    reg::VIRTIO_MMIO_QUEUE_NUM,
    reg::VIRTIO_MMIO_QUEUE_READY,
    reg::VIRTIO_MMIO_QUEUE_NOTIFY,
    reg::VIRTIO_MMIO_INTERRUPT_STATUS,
    reg::VIRTIO_MMIO_INTERRUPT_ACK,
    reg::VIRTIO_MMIO_STATUS,
    reg::VIRTIO_MMIO_QUEUE_DESC_LOW,
    reg::VIRTIO_MMIO_QUEUE_DESC_HIGH,
    reg::VIRTIO_MMIO_QUEUE_AVAIL_LOW,
    reg::VIRTIO_MMIO_QUEUE_USED_LOW,
    reg::VIRTIO_MMIO_CONFIG_GENERATION,
    reg::VIRTIO_MMIO_CONFIG,
];

fn offset(input: &mut Input<'_>) -> u64 {
    match input.u8() % 8 {
        0..=3 => u64::from(input.pick(&REGISTERS)),
        4 => u64::from(reg::VIRTIO_MMIO_CONFIG) + u64::from(input.u8() % 40),
        5 => u64::from(input.u16()) % (MMIO_SIZE + 16),
        6 => MMIO_SIZE - 1 - u64::from(input.u8() % 16),
        _ => input.u64(),
    }
}

fn width(input: &mut Input<'_>) -> usize {
    match input.u8() % 4 {
        0 | 1 => 4,
        2 => input.pick(&[1, 2, 8]),
        _ => usize::from(input.u8() % 17),
    }
}

fn value(input: &mut Input<'_>) -> u32 {
    match input.u8() % 6 {
        0 => input.pick(&[0, 1, 2, 3, 7, 0xb, 0xf, 0x80, 0xff]),
        1 => input.pick(&[DESC_TABLE, AVAIL_RING, USED_RING, 0x8000, 0xfff0]) as u32,
        2 => 1 << (input.u8() % 32),
        3 => u32::from(input.u16() % 512),
        _ => input.u32(),
    }
}

fn write32(t: &mut Transport, offset: u32, v: u32) {
    t.write(u64::from(offset), &v.to_le_bytes());
}

/// Linux's init sequence with features and the queue size from the input,
/// so that random inputs reach an activated device too.
fn init(t: &mut Transport, input: &mut Input<'_>) -> u16 {
    let s = status::ACKNOWLEDGE | status::DRIVER;
    write32(t, reg::VIRTIO_MMIO_STATUS, 0);
    write32(t, reg::VIRTIO_MMIO_STATUS, status::ACKNOWLEDGE);
    write32(t, reg::VIRTIO_MMIO_STATUS, s);
    let offered = t.device().device_features();
    let features = (offered & input.u64()) | (1 << VIRTIO_F_VERSION_1);
    for sel in 0..2u32 {
        write32(t, reg::VIRTIO_MMIO_DRIVER_FEATURES_SEL, sel);
        write32(
            t,
            reg::VIRTIO_MMIO_DRIVER_FEATURES,
            (features >> (32 * sel)) as u32,
        );
    }
    write32(t, reg::VIRTIO_MMIO_STATUS, s | status::FEATURES_OK);
    let size = 1u16 << (input.u8() % 9);
    write32(t, reg::VIRTIO_MMIO_QUEUE_SEL, 0);
    write32(t, reg::VIRTIO_MMIO_QUEUE_NUM, u32::from(size));
    write32(t, reg::VIRTIO_MMIO_QUEUE_DESC_LOW, DESC_TABLE as u32);
    write32(t, reg::VIRTIO_MMIO_QUEUE_AVAIL_LOW, AVAIL_RING as u32);
    write32(t, reg::VIRTIO_MMIO_QUEUE_USED_LOW, USED_RING as u32);
    write32(t, reg::VIRTIO_MMIO_QUEUE_READY, 1);
    write32(
        t,
        reg::VIRTIO_MMIO_STATUS,
        s | status::FEATURES_OK | status::DRIVER_OK,
    );
    size
}

pub fn mmio(data: &[u8]) {
    let mut input = Input::new(data);
    let mem = driver::memory();
    let mut t = MmioTransport::new(
        driver::block(input.bool()),
        mem.clone(),
        Arc::new(NoTrigger),
    );
    let mut drv = Driver::new(mem, 256);
    while !input.is_empty() {
        let op = input.u8();
        match op % 16 {
            0..=4 => {
                let (at, n) = (offset(&mut input), width(&mut input));
                let mut buf = vec![0xa5u8; n];
                t.read(at, &mut buf);
                check_read(at, &buf);
            }
            5..=9 => {
                let (at, n) = (offset(&mut input), width(&mut input));
                let mut buf = value(&mut input).to_le_bytes().to_vec();
                buf.resize(n, input.u8());
                t.write(at, &buf);
            }
            10 => t.notify(input.u16() % 3),
            11 => drv.size = init(&mut t, &mut input),
            _ => drv.step(input.u8(), &mut input),
        }
        let s = t.status();
        assert!(
            s & status::DRIVER_OK == 0 || s & status::FEATURES_OK != 0,
            "status {s:#x}: DRIVER_OK without FEATURES_OK"
        );
    }
}

/// What a read must have returned.
fn check_read(at: u64, buf: &[u8]) {
    let config = at >= u64::from(reg::VIRTIO_MMIO_CONFIG);
    let valid = if config {
        matches!(buf.len(), 1 | 2 | 4 | 8)
            && at.is_multiple_of(buf.len() as u64)
            && at
                .checked_add(buf.len() as u64)
                .is_some_and(|end| end <= MMIO_SIZE)
    } else {
        buf.len() == 4 && at.is_multiple_of(4)
    };
    if !valid {
        assert!(
            buf.iter().all(|&b| b == 0),
            "refused read at {at:#x} not zeroed"
        );
        return;
    }
    let word = || u32::from_le_bytes([buf[0], buf[1], buf[2], buf[3]]);
    match at {
        0 => assert_eq!(word(), MAGIC_VALUE),
        4 => assert_eq!(word(), MMIO_VERSION),
        8 => assert_eq!(word(), virtio_bindings::virtio_ids::VIRTIO_ID_BLOCK),
        _ => {}
    }
}
