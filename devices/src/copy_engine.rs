//! lstar's copy port ([`lstar_abi::ports::COPY_PORT`]): the guest kernel
//! hands over a list of guest-physical (dst, src, len) segments and the VMM
//! copies them, or zeroes the `dst` ranges ([`COPY_OP_ZERO`]), in one exit;
//! or a list of 4 KiB pages to zero ([`COPY_OP_ZERO_PAGES`]).
//!
//! Why: under kvm-pvm every ring-0 guest instruction is emulated, each
//! iteration of a `rep movs`/`rep stos` too (a 4 KiB clear costs ~700,000
//! host cycles, measured); the page cache's copies between user buffers
//! and cached pages ran at ~4 MB/s.
//!
//! Guest memory is only touched through vm-memory, which refuses any range
//! outside guest RAM; a bad segment stops the request there.

use lstar_abi::ports::{
    COPY_COPIED_OFFSET, COPY_MAX_PAGES, COPY_MAX_SEGMENT_LEN, COPY_MAX_SEGMENTS, COPY_OP_COPY,
    COPY_OP_ZERO, COPY_OP_ZERO_PAGES, COPY_SEGMENTS_OFFSET,
};
use vm_memory::{Bytes, GuestAddress, GuestMemory};

use crate::pio_bus::{DeviceError, PioDevice, WriteOutcome, request_address};

/// Ports the device decodes (one 32-bit register).
pub const COPY_PORT_LEN: u16 = 4;
/// Bad requests reported on stderr before the device falls silent.
const REPORTED_ERRORS: u64 = 3;

pub struct CopyEngine<M> {
    mem: M,
    buf: Vec<u8>,
    /// Zeros, as long as the longest zeroing segment seen so far.
    zeros: Vec<u8>,
    errors: u64,
}

impl<M: GuestMemory + Send> CopyEngine<M> {
    pub fn new(mem: M) -> Self {
        CopyEngine {
            mem,
            buf: Vec::new(),
            zeros: Vec::new(),
            errors: 0,
        }
    }

    /// Requests refused (fully or in part) so far.
    pub fn errors(&self) -> u64 {
        self.errors
    }

    /// Copies (or zeroes) the request's segments; returns (bytes done,
    /// error).
    fn copy(&mut self, gpa: u64) -> (u64, Option<String>) {
        let Ok([nr, op]) = self.mem.read_obj::<[u32; 2]>(GuestAddress(gpa)) else {
            return (
                0,
                Some(format!("request block at {gpa:#x} is not in guest memory")),
            );
        };
        if op == COPY_OP_ZERO_PAGES {
            return self.zero_pages(gpa, nr);
        }
        if nr as usize > COPY_MAX_SEGMENTS {
            return (
                0,
                Some(format!("{nr} segments (at most {COPY_MAX_SEGMENTS})")),
            );
        }
        if op != COPY_OP_COPY && op != COPY_OP_ZERO {
            return (0, Some(format!("unknown operation {op}")));
        }
        let mut copied = 0;
        for i in 0..u64::from(nr) {
            let at = GuestAddress(gpa + COPY_SEGMENTS_OFFSET + i * 24);
            let Ok([dst, src, len]) = self.mem.read_obj::<[u64; 3]>(at) else {
                return (copied, Some(format!("segment {i} is not in guest memory")));
            };
            if len > COPY_MAX_SEGMENT_LEN {
                return (
                    copied,
                    Some(format!("segment {i} of {len} bytes is too long")),
                );
            }
            let done = if op == COPY_OP_ZERO {
                if self.zeros.len() < len as usize {
                    self.zeros.resize(len as usize, 0);
                }
                // vm-memory writes inside guest RAM only; a range that
                // leaves it fails.
                self.mem
                    .write_slice(&self.zeros[..len as usize], GuestAddress(dst))
                    .is_ok()
            } else {
                self.buf.resize(len as usize, 0);
                self.mem
                    .read_slice(&mut self.buf, GuestAddress(src))
                    .is_ok()
                    && self.mem.write_slice(&self.buf, GuestAddress(dst)).is_ok()
            };
            if !done {
                return (
                    copied,
                    Some(format!(
                        "segment {i} ({src:#x} -> {dst:#x}, {len}) leaves guest memory"
                    )),
                );
            }
            copied += len;
        }
        (copied, None)
    }

    /// A [`lstar_abi::ports::ZeroPagesRequest`] of `nr` pages at `gpa`.
    fn zero_pages(&mut self, gpa: u64, nr: u32) -> (u64, Option<String>) {
        const PAGE: usize = 4096;
        if nr as usize > COPY_MAX_PAGES {
            return (0, Some(format!("{nr} pages (at most {COPY_MAX_PAGES})")));
        }
        if self.zeros.len() < PAGE {
            self.zeros.resize(PAGE, 0);
        }
        let mut copied = 0;
        for i in 0..u64::from(nr) {
            let Ok(page) = self
                .mem
                .read_obj::<u64>(GuestAddress(gpa + COPY_SEGMENTS_OFFSET + i * 8))
            else {
                return (copied, Some(format!("page {i} is not in guest memory")));
            };
            // vm-memory writes inside guest RAM only.
            if page % PAGE as u64 != 0
                || self
                    .mem
                    .write_slice(&self.zeros[..PAGE], GuestAddress(page))
                    .is_err()
            {
                return (
                    copied,
                    Some(format!(
                        "page {i} ({page:#x}) is not a page of guest memory"
                    )),
                );
            }
            copied += PAGE as u64;
        }
        (copied, None)
    }
}

impl<M: GuestMemory + Send> PioDevice for CopyEngine<M> {
    fn read(&mut self, _offset: u16, data: &mut [u8]) -> Result<(), DeviceError> {
        data.fill(0xff);
        Ok(())
    }

    fn write(&mut self, offset: u16, data: &[u8]) -> Result<WriteOutcome, DeviceError> {
        let Some(gpa) = request_address(offset, data) else {
            return Ok(WriteOutcome::Continue);
        };
        let (copied, error) = self.copy(gpa);
        if let Some(e) = error {
            self.errors += 1;
            if self.errors <= REPORTED_ERRORS {
                eprintln!("lstar: copy port: bad request from the guest: {e}");
            }
        }
        // Nowhere to report if even the header is outside guest memory.
        let _ = self
            .mem
            .write_obj(copied, GuestAddress(gpa + COPY_COPIED_OFFSET));
        Ok(WriteOutcome::Continue)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vm_memory::GuestMemoryMmap;

    const MEM: usize = 0x10000;

    fn engine() -> CopyEngine<GuestMemoryMmap> {
        CopyEngine::new(GuestMemoryMmap::from_ranges(&[(GuestAddress(0), MEM)]).unwrap())
    }

    fn request(e: &mut CopyEngine<GuestMemoryMmap>, segs: &[(u64, u64, u64)]) -> u64 {
        e.mem
            .write_obj([segs.len() as u32, 0], GuestAddress(0x1000))
            .unwrap();
        for (i, &(d, s, l)) in segs.iter().enumerate() {
            e.mem
                .write_obj([d, s, l], GuestAddress(0x1010 + 24 * i as u64))
                .unwrap();
        }
        e.write(0, &0x1000u32.to_le_bytes()).unwrap();
        e.mem.read_obj(GuestAddress(0x1008)).unwrap()
    }

    #[test]
    fn copies_segments_in_order() {
        let mut e = engine();
        e.mem.write_slice(b"abcdef", GuestAddress(0x3000)).unwrap();
        assert_eq!(
            request(&mut e, &[(0x4000, 0x3000, 3), (0x5000, 0x3003, 3)]),
            6
        );
        let mut got = [0u8; 3];
        e.mem.read_slice(&mut got, GuestAddress(0x5000)).unwrap();
        assert_eq!(&got, b"def");
        assert_eq!(e.errors(), 0);
    }

    #[test]
    fn stops_at_a_segment_outside_guest_memory() {
        let mut e = engine();
        let end = MEM as u64;
        assert_eq!(
            request(
                &mut e,
                &[
                    (0x4000, 0x3000, 8),
                    (end - 4, 0x3000, 8),
                    (0x5000, 0x3000, 8)
                ]
            ),
            8
        );
        assert_eq!(request(&mut e, &[(0x4000, u64::MAX - 3, 8)]), 0);
        assert_eq!(request(&mut e, &[(0x4000, 0x3000, 2 << 20)]), 0);
        e.mem.write_obj([65u32, 0], GuestAddress(0x1000)).unwrap();
        e.write(0, &0x1000u32.to_le_bytes()).unwrap();
        assert_eq!(e.mem.read_obj::<u64>(GuestAddress(0x1008)).unwrap(), 0);
        e.write(0, &0xffff_0000u32.to_le_bytes()).unwrap();
        assert_eq!(e.errors(), 5);
    }

    fn zero_request(e: &mut CopyEngine<GuestMemoryMmap>, op: u32, segs: &[(u64, u64)]) -> u64 {
        e.mem
            .write_obj([segs.len() as u32, op], GuestAddress(0x1000))
            .unwrap();
        for (i, &(d, l)) in segs.iter().enumerate() {
            e.mem
                .write_obj([d, 0, l], GuestAddress(0x1010 + 24 * i as u64))
                .unwrap();
        }
        e.write(0, &0x1000u32.to_le_bytes()).unwrap();
        e.mem.read_obj(GuestAddress(0x1008)).unwrap()
    }

    fn bytes(e: &CopyEngine<GuestMemoryMmap>, at: u64, len: usize) -> Vec<u8> {
        let mut got = vec![0u8; len];
        e.mem.read_slice(&mut got, GuestAddress(at)).unwrap();
        got
    }

    #[test]
    fn zeroes_exactly_the_segments() {
        let mut e = engine();
        e.mem
            .write_slice(&[0xaa; 0x3000], GuestAddress(0x3000))
            .unwrap();
        assert_eq!(
            zero_request(&mut e, COPY_OP_ZERO, &[(0x3001, 0x1000), (0x5000, 8)]),
            0x1008
        );
        assert_eq!(bytes(&e, 0x3000, 1), [0xaa]);
        assert!(bytes(&e, 0x3001, 0x1000).iter().all(|&b| b == 0));
        assert_eq!(bytes(&e, 0x4001, 0xfff), vec![0xaa; 0xfff]);
        assert_eq!(bytes(&e, 0x5000, 9)[..], [0, 0, 0, 0, 0, 0, 0, 0, 0xaa]);
        assert_eq!(e.errors(), 0);
    }

    #[test]
    fn zeroing_stops_at_a_segment_outside_guest_memory() {
        let mut e = engine();
        let end = MEM as u64;
        e.mem
            .write_slice(&[0xaa; 16], GuestAddress(0x3000))
            .unwrap();
        e.mem
            .write_slice(&[0xaa; 16], GuestAddress(end - 16))
            .unwrap();
        assert_eq!(
            zero_request(
                &mut e,
                COPY_OP_ZERO,
                &[(0x3000, 8), (end - 4, 8), (0x3008, 8)]
            ),
            8
        );
        // The segment after the bad one is left alone.
        assert_eq!(bytes(&e, 0x3008, 8), vec![0xaa; 8]);
        assert_eq!(zero_request(&mut e, COPY_OP_ZERO, &[(u64::MAX - 3, 8)]), 0);
        assert_eq!(zero_request(&mut e, COPY_OP_ZERO, &[(0x3000, 2 << 20)]), 0);
        assert_eq!(bytes(&e, end - 16, 12), vec![0xaa; 12]);
        // An unknown operation does nothing at all.
        assert_eq!(zero_request(&mut e, 3, &[(0x3008, 8)]), 0);
        assert_eq!(bytes(&e, 0x3008, 8), vec![0xaa; 8]);
        assert_eq!(e.errors(), 4);
    }

    fn zero_pages(e: &mut CopyEngine<GuestMemoryMmap>, pages: &[u64]) -> u64 {
        e.mem
            .write_obj(
                [pages.len() as u32, COPY_OP_ZERO_PAGES],
                GuestAddress(0x1000),
            )
            .unwrap();
        for (i, &p) in pages.iter().enumerate() {
            e.mem
                .write_obj(p, GuestAddress(0x1010 + 8 * i as u64))
                .unwrap();
        }
        e.write(0, &0x1000u32.to_le_bytes()).unwrap();
        e.mem.read_obj(GuestAddress(0x1008)).unwrap()
    }

    #[test]
    fn zeroes_exactly_the_listed_pages() {
        let mut e = engine();
        e.mem
            .write_slice(&[0xaa; 0x4000], GuestAddress(0x3000))
            .unwrap();
        assert_eq!(zero_pages(&mut e, &[0x5000, 0x3000]), 0x2000);
        assert!(bytes(&e, 0x3000, 0x1000).iter().all(|&b| b == 0));
        assert_eq!(bytes(&e, 0x4000, 0x1000), vec![0xaa; 0x1000]);
        assert!(bytes(&e, 0x5000, 0x1000).iter().all(|&b| b == 0));
        assert_eq!(bytes(&e, 0x6000, 0x1000), vec![0xaa; 0x1000]);
        assert_eq!(e.errors(), 0);
    }

    #[test]
    fn page_zeroing_stops_at_a_bad_page() {
        let mut e = engine();
        let end = MEM as u64;
        e.mem
            .write_slice(&[0xaa; 0x3000], GuestAddress(0x3000))
            .unwrap();
        // Unaligned, then outside guest memory: the pages after are left.
        assert_eq!(zero_pages(&mut e, &[0x3000, 0x4001, 0x5000]), 0x1000);
        assert_eq!(bytes(&e, 0x4000, 0x2000), vec![0xaa; 0x2000]);
        assert_eq!(zero_pages(&mut e, &[end, 0x4000]), 0);
        assert_eq!(zero_pages(&mut e, &[end - 0x1000 + 0x800]), 0);
        assert_eq!(bytes(&e, 0x4000, 0x1000), vec![0xaa; 0x1000]);
        // Too many pages: nothing at all.
        e.mem
            .write_obj(
                [COPY_MAX_PAGES as u32 + 1, COPY_OP_ZERO_PAGES],
                GuestAddress(0x1000),
            )
            .unwrap();
        e.write(0, &0x1000u32.to_le_bytes()).unwrap();
        assert_eq!(e.mem.read_obj::<u64>(GuestAddress(0x1008)).unwrap(), 0);
        assert_eq!(e.errors(), 4);
    }
}
