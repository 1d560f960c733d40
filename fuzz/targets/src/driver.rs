//! The guest driver's side of a virtio device, written from fuzz input: a
//! fake guest memory with a hole in it, a split virtqueue's rings at fixed
//! places, and operations that put (mostly bad) descriptors, requests and
//! indexes there. [`blk`](crate::blk) and [`mmio`](crate::mmio) share it.

use std::io::Cursor;

use lstar_devices::virtio::blk::{Block, SECTOR_SIZE, SeekDisk};
use virtio_bindings::virtio_blk::{
    VIRTIO_BLK_T_FLUSH, VIRTIO_BLK_T_GET_ID, VIRTIO_BLK_T_IN, VIRTIO_BLK_T_OUT,
};
use vm_memory::{Bytes, GuestAddress, GuestMemoryMmap};

use crate::input::Input;

/// Guest RAM: two regions with a page-sized hole between them, so that a
/// buffer may straddle a hole or run off the end.
pub const REGIONS: [(u64, usize); 2] = [(0, 0x8000), (0x9000, 0x7000)];
/// One past the last guest byte.
pub const MEM_END: u64 = 0x10000;
/// Where the rings sit: room for the largest queue (256 entries).
pub const DESC_TABLE: u64 = 0x1000;
pub const AVAIL_RING: u64 = 0x2000;
pub const USED_RING: u64 = 0x3000;
/// Where headers, data, status bytes and indirect tables go.
pub const DATA: u64 = 0x4000;
/// Sectors of the in-memory disk.
pub const DISK_SECTORS: u64 = 16;

pub type MemBlock = Block<SeekDisk<Cursor<Vec<u8>>>>;

pub fn memory() -> GuestMemoryMmap {
    let ranges = REGIONS.map(|(base, len)| (GuestAddress(base), len));
    GuestMemoryMmap::<()>::from_ranges(&ranges).expect("fixed regions are valid")
}

/// The disk's initial bytes: a pattern, so that a read shows where it read.
pub fn disk_bytes() -> Vec<u8> {
    (0..DISK_SECTORS * SECTOR_SIZE)
        .map(|i| (i % 251) as u8)
        .collect()
}

pub fn block(read_only: bool) -> MemBlock {
    Block::new(
        SeekDisk(Cursor::new(disk_bytes())),
        read_only,
        b"lstar-fuzz",
    )
    .expect("an in-memory disk has a size")
}

/// An address a driver might use: mostly in the data area, sometimes the
/// rings, a hole, the end of memory or anything at all.
pub fn addr(input: &mut Input<'_>) -> u64 {
    match input.u8() % 8 {
        0..=3 => DATA + u64::from(input.u16()) % (MEM_END - DATA),
        4 => input.pick(&[DESC_TABLE, AVAIL_RING, USED_RING, 0x8000, 0x8ff8, 0x9000]),
        5 => MEM_END - u64::from(input.u8()),
        6 => u64::MAX - u64::from(input.u8()),
        _ => input.u64(),
    }
}

/// A length a driver might use: sector multiples, header and status sizes,
/// or anything.
pub fn len(input: &mut Input<'_>) -> u32 {
    match input.u8() % 6 {
        0 => 512 * u32::from(input.u8() % 20),
        1 => input.pick(&[0, 1, 8, 15, 16, 17, 20, 511, 513]),
        2 => u32::from(input.u16()),
        3 => u32::MAX - u32::from(input.u8()),
        _ => u32::from(input.u8()),
    }
}

/// Descriptor flags: NEXT, WRITE, INDIRECT in any mix, now and then junk.
pub fn flags(input: &mut Input<'_>) -> u16 {
    let f = input.u16();
    if f & 0x8000 != 0 { f } else { f & 7 }
}

/// Writes one split-ring descriptor (addr, len, flags, next).
pub fn write_desc(mem: &GuestMemoryMmap, table: u64, index: u16, d: (u64, u32, u16, u16)) {
    let mut raw = [0u8; 16];
    raw[..8].copy_from_slice(&d.0.to_le_bytes());
    raw[8..12].copy_from_slice(&d.1.to_le_bytes());
    raw[12..14].copy_from_slice(&d.2.to_le_bytes());
    raw[14..16].copy_from_slice(&d.3.to_le_bytes());
    // A table written near the end of memory may not fit: that is the
    // driver's business, the device must cope with what is there.
    let _ = mem.write_slice(
        &raw,
        GuestAddress(table.wrapping_add(16 * u64::from(index))),
    );
}

/// The driver's state of one queue: its size and next available index.
pub struct Driver {
    pub mem: GuestMemoryMmap,
    pub size: u16,
    pub avail_idx: u16,
}

impl Driver {
    pub fn new(mem: GuestMemoryMmap, size: u16) -> Self {
        let zeros = vec![0u8; 0x3000];
        mem.write_slice(&zeros, GuestAddress(DESC_TABLE))
            .expect("the rings are in memory");
        Self {
            mem,
            size,
            avail_idx: 0,
        }
    }

    fn index(&self, input: &mut Input<'_>) -> u16 {
        let i = input.u16();
        // Mostly inside the table; sometimes past it.
        if i & 0x8000 != 0 {
            i & 0x7fff
        } else {
            i % self.size.max(1)
        }
    }

    /// A request as a driver would make it: a header, 0-3 data buffers,
    /// a status byte, chained from one head and published. The type,
    /// sector and sizes come from the input, and now and then one
    /// descriptor's flags are flipped.
    fn request(&mut self, input: &mut Input<'_>) {
        let kind = match input.u8() % 5 {
            0 => VIRTIO_BLK_T_IN,
            1 => VIRTIO_BLK_T_OUT,
            2 => VIRTIO_BLK_T_FLUSH,
            3 => VIRTIO_BLK_T_GET_ID,
            _ => input.u32(),
        };
        let sector = u64::from(input.u8()) % (DISK_SECTORS + 2);
        let header = DATA + 16 * u64::from(input.u8() % 64);
        let mut h = [0u8; 16];
        h[..4].copy_from_slice(&kind.to_le_bytes());
        h[8..].copy_from_slice(&sector.to_le_bytes());
        let _ = self.mem.write_slice(&h, GuestAddress(header));
        let to_guest = kind == VIRTIO_BLK_T_IN || kind == VIRTIO_BLK_T_GET_ID;
        let mut descs = vec![(header, 16, 0u16)];
        for _ in 0..input.u8() % 4 {
            let at = 0xa000 + 0x800 * u64::from(input.u8() % 8);
            let len = match input.u8() % 4 {
                0 => u32::from(input.u16() % 2048),
                n => 512 * u32::from(n),
            };
            descs.push((at, len, if to_guest { 2 } else { 0 }));
        }
        descs.push((0x4800 + u64::from(input.u8()), 1, 2));
        if input.u8().is_multiple_of(8) {
            let i = usize::from(input.u8()) % descs.len();
            descs[i].2 ^= 2;
        }
        let size = self.size.max(1);
        let head = input.u16() % size;
        let n = descs.len() as u16;
        for (k, &(addr, len, write)) in (0u16..).zip(&descs) {
            let i = (head + k) % size;
            let next = if k + 1 < n { 1 } else { 0 };
            write_desc(
                &self.mem,
                DESC_TABLE,
                i,
                (addr, len, write | next, (i + 1) % size),
            );
        }
        self.publish(head);
    }

    fn publish(&mut self, head: u16) {
        let slot = 4 + 2 * u64::from(self.avail_idx % self.size.max(1));
        self.write_avail(slot, head);
        self.avail_idx = self.avail_idx.wrapping_add(1);
        self.write_avail(2, self.avail_idx);
    }

    fn write_avail(&self, offset: u64, v: u16) {
        self.mem
            .write_obj(v, GuestAddress(AVAIL_RING + offset))
            .expect("the avail ring is in memory");
    }

    /// One driver operation (`op`, any byte) with its operands from `input`.
    pub fn step(&mut self, op: u8, input: &mut Input<'_>) {
        match op % 8 {
            // A whole request, well formed but for what the input says.
            7 => self.request(input),
            // A descriptor in the table.
            0 => {
                let index = self.index(input);
                let d = (addr(input), len(input), flags(input), self.index(input));
                write_desc(&self.mem, DESC_TABLE, index, d);
            }
            // A well-formed chain of 1..=4 descriptors at an index.
            1 => {
                let head = self.index(input);
                let n = 1 + input.u8() % 4;
                for k in 0..n {
                    let i = (head + u16::from(k)) % self.size.max(1);
                    let next = (i + 1) % self.size.max(1);
                    let mut f = u16::from(input.u8() % 2) << 1; // WRITE
                    if k + 1 < n {
                        f |= 1; // NEXT
                    }
                    write_desc(&self.mem, DESC_TABLE, i, (addr(input), len(input), f, next));
                }
            }
            // An indirect table of 1..=8 descriptors behind one descriptor.
            2 => {
                let table = addr(input);
                let n = 1 + input.u8() % 8;
                for k in 0..n {
                    let f = flags(input) & !4 | u16::from(k + 1 < n);
                    let d = (addr(input), len(input), f, u16::from(k) + 1);
                    write_desc(&self.mem, table, u16::from(k), d);
                }
                let head = self.index(input);
                let f = 4 | (flags(input) & 3 & u16::from(input.bool()));
                write_desc(
                    &self.mem,
                    DESC_TABLE,
                    head,
                    (table, 16 * u32::from(n), f, 0),
                );
            }
            // A request header at an address.
            3 => {
                let at = addr(input);
                let kind = match input.u8() % 6 {
                    0 => VIRTIO_BLK_T_IN,
                    1 => VIRTIO_BLK_T_OUT,
                    2 => VIRTIO_BLK_T_FLUSH,
                    3 => VIRTIO_BLK_T_GET_ID,
                    _ => input.u32(),
                };
                let sector = match input.u8() % 4 {
                    0 => u64::MAX - u64::from(input.u8()),
                    1 => input.u64(),
                    _ => u64::from(input.u8()) % (DISK_SECTORS + 2),
                };
                let mut h = [0u8; 16];
                h[..4].copy_from_slice(&kind.to_le_bytes());
                h[8..].copy_from_slice(&sector.to_le_bytes());
                let _ = self.mem.write_slice(&h, GuestAddress(at));
            }
            // Raw bytes anywhere.
            4 => {
                let at = addr(input);
                let n = usize::from(input.u8() % 64);
                let _ = self.mem.write_slice(input.bytes(n), GuestAddress(at));
            }
            // A head in the available ring, published.
            5 => {
                let head = self.index(input);
                self.publish(head);
            }
            // The avail index, flags or used_event set to anything.
            _ => {
                let v = input.u16();
                match input.u8() % 3 {
                    0 => {
                        self.avail_idx = v;
                        self.write_avail(2, v);
                    }
                    1 => self.write_avail(0, v),
                    _ => self.write_avail(4 + 2 * u64::from(self.size), v),
                }
            }
        }
    }
}
