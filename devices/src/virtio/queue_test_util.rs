//! The driver's side of a split virtqueue in a fake guest memory, for tests.
//!
//! Written out rather than taken from `virtio_queue::mock`: the mock's ring
//! layout overlaps the used ring with the available ring for sizes above 8,
//! and the tests here need to place broken descriptors by hand anyway.

use virtio_bindings::virtio_ring::{VRING_DESC_F_INDIRECT, VRING_DESC_F_NEXT, VRING_DESC_F_WRITE};
use virtio_queue::desc::RawDescriptor;
use virtio_queue::desc::split::Descriptor;
use virtio_queue::{Queue, QueueT};
use vm_memory::{Address, Bytes, GuestAddress, GuestMemoryMmap};

pub const MEM_SIZE: u64 = 0x10_0000;
pub const DESC_TABLE: u64 = 0x1000;
pub const AVAIL_RING: u64 = 0x2000;
pub const USED_RING: u64 = 0x3000;
/// Where tests put request headers, data and status bytes.
pub const DATA: u64 = 0x10000;

pub fn memory() -> GuestMemoryMmap {
    GuestMemoryMmap::<()>::from_ranges(&[(GuestAddress(0), MEM_SIZE as usize)]).unwrap()
}

/// One buffer of a chain: address, length, device-writable.
#[derive(Clone, Copy, Debug)]
pub struct Buf {
    pub addr: u64,
    pub len: u32,
    pub write: bool,
}

pub const fn r(addr: u64, len: u32) -> Buf {
    Buf {
        addr,
        len,
        write: false,
    }
}

pub const fn w(addr: u64, len: u32) -> Buf {
    Buf {
        addr,
        len,
        write: true,
    }
}

pub struct DriverQueue {
    pub mem: GuestMemoryMmap,
    pub size: u16,
    next_desc: u16,
    avail_idx: u16,
}

impl DriverQueue {
    pub fn new(mem: &GuestMemoryMmap, size: u16) -> Self {
        let zeros = vec![0u8; 0x1000];
        for base in [DESC_TABLE, AVAIL_RING, USED_RING] {
            mem.write_slice(&zeros, GuestAddress(base)).unwrap();
        }
        Self {
            mem: mem.clone(),
            size,
            next_desc: 0,
            avail_idx: 0,
        }
    }

    /// The device's view, as the transport builds it at DRIVER_OK.
    pub fn device_queue(&self, event_idx: bool) -> Queue {
        let mut q = Queue::new(self.size).unwrap();
        q.try_set_desc_table_address(GuestAddress(DESC_TABLE))
            .unwrap();
        q.try_set_avail_ring_address(GuestAddress(AVAIL_RING))
            .unwrap();
        q.try_set_used_ring_address(GuestAddress(USED_RING))
            .unwrap();
        q.set_event_idx(event_idx);
        q.set_ready(true);
        q
    }

    pub fn write_desc(&self, table: u64, index: u16, addr: u64, len: u32, flags: u16, next: u16) {
        let d = RawDescriptor::from(Descriptor::new(addr, len, flags, next));
        self.mem
            .write_obj(d, GuestAddress(table + 16 * u64::from(index)))
            .unwrap();
    }

    /// Lays `bufs` out as a linked chain in the descriptor table and returns
    /// its head; does not publish it.
    pub fn build(&mut self, bufs: &[Buf]) -> u16 {
        let head = self.next_desc;
        for (i, b) in bufs.iter().enumerate() {
            let idx = (head + i as u16) % self.size;
            let mut flags = if b.write {
                VRING_DESC_F_WRITE as u16
            } else {
                0
            };
            if i + 1 < bufs.len() {
                flags |= VRING_DESC_F_NEXT as u16;
            }
            self.write_desc(DESC_TABLE, idx, b.addr, b.len, flags, (idx + 1) % self.size);
        }
        self.next_desc = (head + bufs.len() as u16) % self.size;
        head
    }

    /// Lays `bufs` out as an indirect table at `table` behind one descriptor.
    pub fn build_indirect(&mut self, table: u64, bufs: &[Buf]) -> u16 {
        for (i, b) in bufs.iter().enumerate() {
            let mut flags = if b.write {
                VRING_DESC_F_WRITE as u16
            } else {
                0
            };
            if i + 1 < bufs.len() {
                flags |= VRING_DESC_F_NEXT as u16;
            }
            self.write_desc(table, i as u16, b.addr, b.len, flags, i as u16 + 1);
        }
        let head = self.next_desc;
        let len = 16 * bufs.len() as u32;
        self.write_desc(
            DESC_TABLE,
            head,
            table,
            len,
            VRING_DESC_F_INDIRECT as u16,
            0,
        );
        self.next_desc = (head + 1) % self.size;
        head
    }

    /// Puts `head` in the available ring.
    pub fn publish(&mut self, head: u16) {
        let slot = AVAIL_RING + 4 + 2 * u64::from(self.avail_idx % self.size);
        self.mem.write_obj(head, GuestAddress(slot)).unwrap();
        self.avail_idx = self.avail_idx.wrapping_add(1);
        self.set_avail_idx(self.avail_idx);
    }

    pub fn add(&mut self, bufs: &[Buf]) -> u16 {
        let head = self.build(bufs);
        self.publish(head);
        head
    }

    pub fn set_avail_idx(&self, idx: u16) {
        self.mem
            .write_obj(idx, GuestAddress(AVAIL_RING + 2))
            .unwrap();
    }

    /// EVENT_IDX: interrupt me once the used index passes `idx`.
    pub fn set_used_event(&self, idx: u16) {
        let addr = GuestAddress(AVAIL_RING + 4 + 2 * u64::from(self.size));
        self.mem.write_obj(idx, addr).unwrap();
    }

    pub fn used_idx(&self) -> u16 {
        self.mem.read_obj(GuestAddress(USED_RING + 2)).unwrap()
    }

    /// (descriptor head, bytes written) of used ring entry `i`.
    pub fn used(&self, i: u16) -> (u32, u32) {
        let at = GuestAddress(USED_RING + 4 + 8 * u64::from(i % self.size));
        let id: u32 = self.mem.read_obj(at).unwrap();
        let len: u32 = self.mem.read_obj(at.unchecked_add(4)).unwrap();
        (id, len)
    }
}
