//! lstar's console write port ([`lstar_abi::ports::CONSOLE_WRITE_PORT`]):
//! the guest hands over a scatter list of guest-physical ranges, the VMM
//! writes them to the host stream in one exit.
//!
//! Why: kvm-pvm turns `rep outsb` into one exit per byte (~10 µs), so a
//! megabyte of output through a 16550 takes ten seconds. The UARTs stay
//! (QEMU has no such port, and the kernel log starts on them).
//!
//! Guest memory is only read through vm-memory, which refuses any range
//! outside guest RAM; a bad request writes nothing and reports 0 bytes.

use lstar_abi::ports::{
    CONSOLE_WRITE_EIO, CONSOLE_WRITE_ENOSPC, CONSOLE_WRITE_MAX_SEGMENTS,
    CONSOLE_WRITE_SEGMENTS_OFFSET, CONSOLE_WRITE_WRITTEN_OFFSET,
};
use vm_memory::{Bytes, GuestAddress, GuestMemory};

use crate::pio_bus::{DeviceError, PioDevice, WriteOutcome, request_address};
use crate::serial::DirectWrite;

/// Ports the device decodes (one 32-bit register).
pub const CONSOLE_WRITE_LEN: u16 = 4;
/// Bad requests reported on stderr before the device falls silent.
const REPORTED_ERRORS: u64 = 3;
/// Most bytes one request may carry (the kernel sends at most 64 pages).
const MAX_REQUEST_BYTES: u64 = 16 << 20;

/// Where the bytes go: the host streams, in order with the UARTs' output.
pub trait ConsoleStreams: Send {
    /// Writes `bytes` to `stream` ([`lstar_abi::ports::STREAM_STDOUT`] or
    /// STREAM_STDERR); None if there is no such stream.
    fn write_stream(&mut self, stream: u32, bytes: &[u8]) -> Option<DirectWrite>;
}

/// Why a request was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RequestError {
    #[error("request block at {0:#x} is not in guest memory")]
    Header(u64),
    #[error("{0} segments (at most {CONSOLE_WRITE_MAX_SEGMENTS})")]
    TooManySegments(u32),
    #[error("unknown stream {0}")]
    Stream(u32),
    #[error("segment {index} ({addr:#x}+{len}) is not in guest memory")]
    Segment { index: u32, addr: u64, len: u64 },
    #[error("request of {0} bytes is too large")]
    TooLarge(u64),
}

pub struct ConsoleWrite<M, S> {
    mem: M,
    streams: S,
    /// Reused copy buffer: bytes leave guest memory once, into here.
    buf: Vec<u8>,
    errors: u64,
}

impl<M: GuestMemory + Send, S: ConsoleStreams> ConsoleWrite<M, S> {
    pub fn new(mem: M, streams: S) -> Self {
        ConsoleWrite {
            mem,
            streams,
            buf: Vec::new(),
            errors: 0,
        }
    }

    /// Requests refused so far.
    pub fn errors(&self) -> u64 {
        self.errors
    }

    /// Gathers the request's bytes into `buf`; returns its stream.
    fn gather(&mut self, gpa: u64) -> Result<u32, RequestError> {
        let header: [u32; 2] = self
            .mem
            .read_obj(GuestAddress(gpa))
            .map_err(|_| RequestError::Header(gpa))?;
        let [stream, nr] = header;
        if nr as usize > CONSOLE_WRITE_MAX_SEGMENTS {
            return Err(RequestError::TooManySegments(nr));
        }
        self.buf.clear();
        for index in 0..nr {
            let at = gpa + CONSOLE_WRITE_SEGMENTS_OFFSET + u64::from(index) * 16;
            let [addr, len]: [u64; 2] = self
                .mem
                .read_obj(GuestAddress(at))
                .map_err(|_| RequestError::Header(gpa))?;
            let total = self.buf.len() as u64 + len;
            if total > MAX_REQUEST_BYTES {
                return Err(RequestError::TooLarge(total));
            }
            let start = self.buf.len();
            self.buf.resize(start + len as usize, 0);
            self.mem
                .read_slice(&mut self.buf[start..], GuestAddress(addr))
                .map_err(|_| RequestError::Segment { index, addr, len })?;
        }
        Ok(stream)
    }

    fn handle(&mut self, gpa: u64) -> WriteOutcome {
        let (outcome, written) = match self.gather(gpa) {
            Ok(stream) => match self.streams.write_stream(stream, &self.buf) {
                Some(DirectWrite::Done(outcome)) => (outcome, self.buf.len() as u64),
                // The host stream failed: the guest's write() fails with
                // the errno a Linux program would get.
                Some(DirectWrite::NoSpace) => (WriteOutcome::Continue, CONSOLE_WRITE_ENOSPC),
                Some(DirectWrite::Failed) => (WriteOutcome::Continue, CONSOLE_WRITE_EIO),
                None => (self.refuse(RequestError::Stream(stream)), 0),
            },
            Err(e) => (self.refuse(e), 0),
        };
        // The guest learns what was written; if even the header is outside
        // guest memory there is nowhere to say it, and it sees 0.
        let _ = self
            .mem
            .write_obj(written, GuestAddress(gpa + CONSOLE_WRITE_WRITTEN_OFFSET));
        outcome
    }

    fn refuse(&mut self, e: RequestError) -> WriteOutcome {
        self.errors += 1;
        if self.errors <= REPORTED_ERRORS {
            eprintln!("lstar: console write port: bad request from the guest: {e}");
        }
        WriteOutcome::Continue
    }
}

impl<M: GuestMemory + Send, S: ConsoleStreams> PioDevice for ConsoleWrite<M, S> {
    fn read(&mut self, _offset: u16, data: &mut [u8]) -> Result<(), DeviceError> {
        data.fill(0xff);
        Ok(())
    }

    fn write(&mut self, offset: u16, data: &[u8]) -> Result<WriteOutcome, DeviceError> {
        Ok(match request_address(offset, data) {
            Some(gpa) => self.handle(gpa),
            None => WriteOutcome::Continue,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lstar_abi::ports::{STREAM_STDERR, STREAM_STDOUT};
    use vm_memory::GuestMemoryMmap;

    #[derive(Default)]
    struct Streams(Vec<(u32, Vec<u8>)>);
    impl ConsoleStreams for Streams {
        fn write_stream(&mut self, stream: u32, bytes: &[u8]) -> Option<DirectWrite> {
            if stream != STREAM_STDOUT && stream != STREAM_STDERR {
                return None;
            }
            if bytes.starts_with(b"full") {
                return Some(DirectWrite::NoSpace);
            }
            if bytes.starts_with(b"eio") {
                return Some(DirectWrite::Failed);
            }
            self.0.push((stream, bytes.to_vec()));
            Some(DirectWrite::Done(WriteOutcome::Continue))
        }
    }

    const MEM: usize = 0x10000;

    fn device() -> ConsoleWrite<GuestMemoryMmap, Streams> {
        let mem = GuestMemoryMmap::from_ranges(&[(GuestAddress(0), MEM)]).unwrap();
        ConsoleWrite::new(mem, Streams::default())
    }

    fn request(
        dev: &mut ConsoleWrite<GuestMemoryMmap, Streams>,
        at: u64,
        stream: u32,
        segs: &[(u64, u64)],
    ) {
        dev.mem
            .write_obj([stream, segs.len() as u32], GuestAddress(at))
            .unwrap();
        dev.mem.write_obj(0xdead_u64, GuestAddress(at + 8)).unwrap();
        for (i, &(a, l)) in segs.iter().enumerate() {
            dev.mem
                .write_obj([a, l], GuestAddress(at + 16 + 16 * i as u64))
                .unwrap();
        }
    }

    fn written(dev: &ConsoleWrite<GuestMemoryMmap, Streams>, at: u64) -> u64 {
        dev.mem.read_obj(GuestAddress(at + 8)).unwrap()
    }

    #[test]
    fn a_failing_host_stream_fails_the_write_with_its_errno() {
        let mut dev = device();
        dev.mem.write_slice(b"full!", GuestAddress(0x2000)).unwrap();
        dev.mem.write_slice(b"eio!!", GuestAddress(0x3000)).unwrap();
        request(&mut dev, 0x1000, STREAM_STDOUT, &[(0x2000, 5)]);
        assert_eq!(
            dev.write(0, &0x1000u32.to_le_bytes()).unwrap(),
            WriteOutcome::Continue
        );
        assert_eq!(written(&dev, 0x1000), CONSOLE_WRITE_ENOSPC);
        assert_eq!(CONSOLE_WRITE_ENOSPC as i64, -28);
        request(&mut dev, 0x1000, STREAM_STDERR, &[(0x3000, 5)]);
        dev.write(0, &0x1000u32.to_le_bytes()).unwrap();
        assert_eq!(written(&dev, 0x1000), CONSOLE_WRITE_EIO);
        assert_eq!(CONSOLE_WRITE_EIO as i64, -5);
        // Not a bad request: nothing reported as one.
        assert_eq!(dev.errors(), 0);
    }

    #[test]
    fn gathers_segments_in_order_into_one_write() {
        let mut dev = device();
        dev.mem
            .write_slice(b"hello ", GuestAddress(0x2000))
            .unwrap();
        dev.mem
            .write_slice(b"world\n", GuestAddress(0x5000))
            .unwrap();
        request(&mut dev, 0x1000, STREAM_STDOUT, &[(0x2000, 6), (0x5000, 6)]);
        let out = dev.write(0, &0x1000u32.to_le_bytes()).unwrap();
        assert_eq!(out, WriteOutcome::Continue);
        assert_eq!(
            dev.streams.0,
            vec![(STREAM_STDOUT, b"hello world\n".to_vec())]
        );
        assert_eq!(written(&dev, 0x1000), 12);
    }

    #[test]
    fn refuses_ranges_outside_guest_memory_without_writing() {
        let mut dev = device();
        // Straddles the end of RAM, then entirely outside it.
        for seg in [(MEM as u64 - 4, 8), (u64::MAX - 3, 8), (0x10_0000, 1)] {
            request(&mut dev, 0x1000, STREAM_STDERR, &[seg]);
            dev.write(0, &0x1000u32.to_le_bytes()).unwrap();
            assert_eq!(written(&dev, 0x1000), 0);
        }
        assert!(dev.streams.0.is_empty());
        // The request block itself outside RAM.
        dev.write(0, &0xffff_0000u32.to_le_bytes()).unwrap();
        assert_eq!(dev.errors(), 4);
    }

    #[test]
    fn refuses_bad_headers() {
        let mut dev = device();
        request(&mut dev, 0x1000, 7, &[(0x2000, 1)]);
        dev.write(0, &0x1000u32.to_le_bytes()).unwrap();
        assert_eq!(written(&dev, 0x1000), 0);
        dev.mem
            .write_obj([STREAM_STDOUT, 65u32], GuestAddress(0x1000))
            .unwrap();
        dev.write(0, &0x1000u32.to_le_bytes()).unwrap();
        assert_eq!(written(&dev, 0x1000), 0);
        // Narrow or offset writes do nothing.
        dev.write(0, &[0, 0x10]).unwrap();
        dev.write(2, &0x1000u32.to_le_bytes()).unwrap();
        assert!(dev.streams.0.is_empty());
        assert_eq!(dev.errors(), 2);
    }

    #[test]
    fn an_empty_request_writes_nothing_and_succeeds() {
        let mut dev = device();
        request(&mut dev, 0x1000, STREAM_STDOUT, &[]);
        dev.write(0, &0x1000u32.to_le_bytes()).unwrap();
        assert_eq!(written(&dev, 0x1000), 0);
        assert_eq!(dev.errors(), 0);
    }
}
