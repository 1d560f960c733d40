//! I/O ports and interrupt lines of the lstar machine.
//!
//! The first three are standard PC devices, so the same guest also runs on
//! QEMU `-M microvm` (`-serial` twice, `-device isa-debug-exit,iobase=0xf4`).

/// COM1, a 16550A UART: the program's stdin (fd 0) and stdout (fd 1).
pub const COM1: u16 = 0x3f8;
/// IOAPIC pin (GSI) of COM1, as on a PC.
pub const COM1_GSI: u32 = 4;
/// COM2, a 16550A UART: the program's stderr (fd 2) and the kernel log.
pub const COM2: u16 = 0x2f8;
/// IOAPIC pin (GSI) of COM2, as on a PC.
pub const COM2_GSI: u32 = 3;
/// Number of ports a 16550 decodes.
pub const UART_PORT_COUNT: u16 = 8;

/// isa-debug-exit compatible exit port: a 32-bit write of V ends the VM.
/// lstar exits with V (see [`crate::exit`]); QEMU exits with `(V << 1) | 1`.
pub const EXIT_PORT: u16 = 0xf4;

/// lstar's console status port (lstar only; QEMU leaves it unassigned and
/// reads return all ones). A 32-bit read returns [`CONSOLE_STATUS_MAGIC`] in
/// the high 16 bits and [`CONSOLE_STDIN_EOF`] etc. in the low bits.
///
/// Why it exists: a 16550 has no way to say "end of input", but a program
/// reading its stdin until EOF (`cat`) needs one.
pub const CONSOLE_STATUS_PORT: u16 = 0xf0;
/// High half of a console status read on lstar.
pub const CONSOLE_STATUS_MAGIC: u32 = 0x4c53_0000; // "LS"
/// Mask selecting the magic.
pub const CONSOLE_STATUS_MAGIC_MASK: u32 = 0xffff_0000;
/// Set when the host's stdin reached end of file and every byte of it has
/// already been read out of COM1's receive FIFO.
pub const CONSOLE_STDIN_EOF: u32 = 1 << 0;

/// Interrupt vectors the kernel programs into the IOAPIC for each GSI:
/// `IRQ_VECTOR_BASE + gsi`.
pub const IRQ_VECTOR_BASE: u8 = 0x20;

/// lstar's console write port: a 32-bit write of the guest-physical address
/// of a [`ConsoleWriteRequest`] makes the VMM write the request's bytes to
/// the host stream, one exit per request. lstar only (the kernel uses it
/// once the console status port showed the lstar magic).
///
/// Why it exists: kvm-pvm splits `rep outsb` into one exit per byte
/// (~10 µs each), so a megabyte through a UART takes ten seconds.
pub const CONSOLE_WRITE_PORT: u16 = 0xf8;
/// Segments one request may carry.
pub const CONSOLE_WRITE_MAX_SEGMENTS: usize = 64;
/// [`ConsoleWriteRequest::stream`] values.
pub const STREAM_STDOUT: u32 = 1;
pub const STREAM_STDERR: u32 = 2;

/// One contiguous guest-physical range of bytes to write.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct ConsoleSegment {
    pub addr: u64,
    pub len: u64,
}

/// A console write request in guest memory (8-byte aligned).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct ConsoleWriteRequest {
    /// [`STREAM_STDOUT`] or [`STREAM_STDERR`].
    pub stream: u32,
    /// Segments used, at most [`CONSOLE_WRITE_MAX_SEGMENTS`].
    pub nr_segments: u32,
    /// Set by the VMM: bytes written, in segment order; or, when the host
    /// stream failed, [`CONSOLE_WRITE_ENOSPC`] or [`CONSOLE_WRITE_EIO`]
    /// (minus a Linux errno, as a u64).
    pub written: u64,
    pub segments: [ConsoleSegment; CONSOLE_WRITE_MAX_SEGMENTS],
}

/// [`ConsoleWriteRequest::written`] when the host's stream is full (a full
/// disk, `> /dev/full`): the write fails with ENOSPC, as it would on Linux.
pub const CONSOLE_WRITE_ENOSPC: u64 = -28i64 as u64;
/// [`ConsoleWriteRequest::written`] when the host's stream failed otherwise.
pub const CONSOLE_WRITE_EIO: u64 = -5i64 as u64;

/// Byte offsets inside a request, for readers that go field by field.
pub const CONSOLE_WRITE_WRITTEN_OFFSET: u64 = 8;
pub const CONSOLE_WRITE_SEGMENTS_OFFSET: u64 = 16;
const _: () = assert!(core::mem::offset_of!(ConsoleWriteRequest, written) == 8);
const _: () = assert!(core::mem::offset_of!(ConsoleWriteRequest, segments) == 16);

/// lstar's copy port: a 32-bit write of the guest-physical address of a
/// [`CopyRequest`] makes the VMM copy each segment's bytes from `src` to
/// `dst` (guest-physical, each range inside guest RAM), or with
/// [`COPY_OP_ZERO`] write zeros over each segment's `dst` range, and store
/// the bytes done in `copied`. lstar only (the kernel uses it once the
/// console status port showed the lstar magic).
///
/// Why it exists: under kvm-pvm ring-0 guest code is emulated, and so is
/// each iteration of a `rep movs`/`rep stos` (measured: clearing 4 KiB with
/// `rep stosq` costs ~700,000 host cycles, ~1,400 per 8-byte store, though
/// `kvm:kvm_emulate_insn` counts it once); the page cache's copies to and
/// from user memory ran at ~4 MB/s. One exit per 64 segments (~25,000
/// cycles) is far cheaper.
pub const COPY_PORT: u16 = 0xfc;
pub const COPY_MAX_SEGMENTS: usize = 64;
/// Longest segment the VMM takes (1 MiB); a longer one fails the request
/// there.
pub const COPY_MAX_SEGMENT_LEN: u64 = 1 << 20;
/// [`CopyRequest::op`]: copy each segment from `src` to `dst`.
pub const COPY_OP_COPY: u32 = 0;
/// [`CopyRequest::op`]: write zeros over each segment's `dst` range
/// (`src` is ignored): /dev/zero reads.
pub const COPY_OP_ZERO: u32 = 1;
/// [`CopyRequest::op`] of a [`ZeroPagesRequest`]: write zeros over each
/// listed 4 KiB page (recycled frames, cleared in batches: a list of page
/// addresses is what the kernel's free frames already are, so building the
/// request costs one store per page).
pub const COPY_OP_ZERO_PAGES: u32 = 2;
/// Pages one [`ZeroPagesRequest`] may list: as many as fit where a
/// [`CopyRequest`]'s segments are, so both are one size.
pub const COPY_MAX_PAGES: usize = COPY_MAX_SEGMENTS * 3;

#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct CopySegment {
    pub dst: u64,
    pub src: u64,
    pub len: u64,
}

#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct CopyRequest {
    /// Segments used, at most [`COPY_MAX_SEGMENTS`].
    pub nr_segments: u32,
    /// [`COPY_OP_COPY`] or [`COPY_OP_ZERO`] (or, for the other shape,
    /// [`COPY_OP_ZERO_PAGES`]); the VMM refuses any other.
    pub op: u32,
    /// Set by the VMM: bytes copied (or zeroed), segments in order,
    /// stopping at the first that fails.
    pub copied: u64,
    pub segments: [CopySegment; COPY_MAX_SEGMENTS],
}

pub const COPY_OP_OFFSET: u64 = 4;
pub const COPY_COPIED_OFFSET: u64 = 8;
pub const COPY_SEGMENTS_OFFSET: u64 = 16;
const _: () = assert!(core::mem::offset_of!(CopyRequest, op) == 4);
const _: () = assert!(core::mem::offset_of!(CopyRequest, copied) == 8);
const _: () = assert!(core::mem::offset_of!(CopyRequest, segments) == 16);
const _: () = assert!(core::mem::size_of::<CopySegment>() == 24);

/// The copy port's other request shape, for [`COPY_OP_ZERO_PAGES`]: the
/// same header as a [`CopyRequest`] (`nr_pages` where `nr_segments` is),
/// then guest-physical page addresses, each 4 KiB-aligned. `copied` is the
/// bytes zeroed, pages in order, stopping at the first bad one.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct ZeroPagesRequest {
    pub nr_pages: u32,
    pub op: u32,
    pub copied: u64,
    pub pages: [u64; COPY_MAX_PAGES],
}
const _: () = assert!(core::mem::offset_of!(ZeroPagesRequest, op) == 4);
const _: () = assert!(core::mem::offset_of!(ZeroPagesRequest, copied) == 8);
const _: () = assert!(core::mem::offset_of!(ZeroPagesRequest, pages) == 16);
const _: () =
    assert!(core::mem::size_of::<ZeroPagesRequest>() == core::mem::size_of::<CopyRequest>());

/// lstar's host signal port: a 32-bit read returns the signals lstar was
/// sent and forwards to the guest's pid 1 (bit N for signal N; SIGINT,
/// SIGTERM, SIGHUP) and clears them. Bit 0 is never set, so an unclaimed
/// port (all ones, QEMU) reads as nothing to deliver. lstar raises
/// [`HOST_SIGNAL_GSI`] after setting a bit; the kernel reads the port in
/// that interrupt's handler (docs/boot-contract.md).
pub const HOST_SIGNAL_PORT: u16 = 0xe0;
/// Bytes the host signal port decodes.
pub const HOST_SIGNAL_PORT_LEN: u16 = 4;
/// IOAPIC pin (GSI) lstar raises when a host signal is waiting.
pub const HOST_SIGNAL_GSI: u32 = 6;
