//! The serial console: COM1 carries the program's stdin and stdout, COM2
//! its stderr and the kernel log (16550 UARTs, emulated by the VMM).
//!
//! Output skips the LSR "transmitter empty" poll a real UART needs: both
//! lstar's and QEMU's UARTs accept bytes at any time, and each poll would be
//! a VM exit. Input waits for the receive interrupt with HLT.
//!
//! Under lstar (the console status port answers with its magic), output
//! goes through the console write port instead: one exit per write() for
//! up to 64 pages, where kvm-pvm makes `rep outsb` one exit per byte.

use core::ptr::addr_of_mut;
use core::sync::atomic::{AtomicBool, AtomicU32, Ordering};

use crate::arch::port::{inb, inl, outb, outl, outsb};
use crate::errno::{EIO, ENOSPC, Errno};
use crate::mm::{PAGE_SIZE, kernel_virt_to_phys};
use lstar_abi::ports::{
    COM1, COM1_GSI, COM2, COM2_GSI, CONSOLE_STATUS_MAGIC, CONSOLE_STATUS_MAGIC_MASK,
    CONSOLE_STATUS_PORT, CONSOLE_STDIN_EOF, CONSOLE_WRITE_EIO, CONSOLE_WRITE_ENOSPC,
    CONSOLE_WRITE_MAX_SEGMENTS, CONSOLE_WRITE_PORT, ConsoleSegment, ConsoleWriteRequest,
    STREAM_STDERR, STREAM_STDOUT,
};

const RBR: u16 = 0; // receive buffer
const IER: u16 = 1; // interrupt enable
const LSR: u16 = 5; // line status
const IER_RX_AVAILABLE: u8 = 1;
const LSR_DATA_READY: u8 = 1;

static RX_PENDING: AtomicBool = AtomicBool::new(false);
/// Whether the console write port exists (lstar).
static WRITE_PORT: AtomicBool = AtomicBool::new(false);
/// Rows and columns TIOCGWINSZ reports (`lstar.winsize=`, else 24x80).
static WINSIZE: AtomicU32 = AtomicU32::new((24 << 16) | 80);

pub fn set_winsize(size: Option<(u16, u16)>) {
    if let Some((rows, cols)) = size {
        WINSIZE.store((u32::from(rows) << 16) | u32::from(cols), Ordering::Relaxed);
    }
}

/// (rows, columns) of the terminal.
pub fn winsize() -> (u16, u16) {
    let w = WINSIZE.load(Ordering::Relaxed);
    ((w >> 16) as u16, w as u16)
}

pub fn init() {
    outb(COM1 + IER, 0);
    outb(COM2 + IER, 0);
    crate::arch::apic::route_gsi(COM1_GSI);
    crate::arch::apic::route_gsi(COM2_GSI);
    let lstar = inl(CONSOLE_STATUS_PORT) & CONSOLE_STATUS_MAGIC_MASK == CONSOLE_STATUS_MAGIC;
    WRITE_PORT.store(lstar, Ordering::Relaxed);
}

/// Whether this runs under lstar (its console status port answered), so
/// that lstar's paravirtual ports exist.
pub fn under_lstar() -> bool {
    WRITE_PORT.load(Ordering::Relaxed)
}

/// stdout; returns the bytes written, or the host's error (ENOSPC, EIO)
/// when none were.
pub fn write_stdout(buf: &[u8]) -> Result<usize, Errno> {
    write(STREAM_STDOUT, COM1, buf)
}

/// stderr; as [`write_stdout`].
pub fn write_stderr(buf: &[u8]) -> Result<usize, Errno> {
    write(STREAM_STDERR, COM2, buf)
}

pub fn write_log(buf: &[u8]) {
    let _ = write(STREAM_STDERR, COM2, buf);
}

fn write(stream: u32, uart: u16, buf: &[u8]) -> Result<usize, Errno> {
    if WRITE_PORT.load(Ordering::Relaxed) {
        write_through_port(stream, buf)
    } else {
        // One `rep outsb`: one exit on hardware KVM, one per byte on kvm-pvm.
        outsb(uart, buf);
        Ok(buf.len())
    }
}

/// The request block the VMM reads (in the kernel image, below 4 GiB).
static mut REQUEST: ConsoleWriteRequest = ConsoleWriteRequest {
    stream: 0,
    nr_segments: 0,
    written: 0,
    segments: [ConsoleSegment { addr: 0, len: 0 }; CONSOLE_WRITE_MAX_SEGMENTS],
};

fn write_through_port(stream: u32, buf: &[u8]) -> Result<usize, Errno> {
    // SAFETY: one CPU, and the kernel is not reentrant (interrupt handlers
    // never print): nothing else uses the request block during this call.
    let req = unsafe { &mut *addr_of_mut!(REQUEST) };
    let req_phys = kernel_virt_to_phys(req as *mut ConsoleWriteRequest as u64);
    let (mut va, end) = (buf.as_ptr() as u64, buf.as_ptr() as u64 + buf.len() as u64);
    let mut done = 0;
    let mut pages = crate::mm::Translator::new();
    while va < end {
        // Gather up to 64 physically contiguous runs, page by page.
        let mut n = 0;
        let mut asked = 0;
        while va < end && n < CONSOLE_WRITE_MAX_SEGMENTS {
            let Some(pa) = pages.phys(va) else {
                break;
            };
            let chunk = (end - va).min(PAGE_SIZE - va % PAGE_SIZE);
            if n > 0 && req.segments[n - 1].addr + req.segments[n - 1].len == pa {
                req.segments[n - 1].len += chunk;
            } else {
                req.segments[n] = ConsoleSegment {
                    addr: pa,
                    len: chunk,
                };
                n += 1;
            }
            va += chunk;
            asked += chunk;
        }
        if n == 0 {
            break;
        }
        req.stream = stream;
        req.nr_segments = n as u32;
        req.written = 0;
        outl(CONSOLE_WRITE_PORT, req_phys as u32);
        // SAFETY: the VMM wrote the field during the exit; read it afresh.
        let written = unsafe { core::ptr::read_volatile(&raw const req.written) };
        let error = match written {
            CONSOLE_WRITE_ENOSPC => Some(ENOSPC),
            CONSOLE_WRITE_EIO => Some(EIO),
            _ => None,
        };
        if let Some(error) = error {
            // What went out before counts, as a short write; else the error.
            return if done > 0 { Ok(done) } else { Err(error) };
        }
        done += written as usize;
        if written < asked {
            break;
        }
    }
    Ok(done)
}

/// Tasks waiting for console input (read, and poll through select.rs).
static INPUT_WAIT: crate::kernel::wait::WaitQueue = crate::kernel::wait::WaitQueue::new();

/// Called from the interrupt handler.
pub fn interrupt(gsi: u32) {
    if gsi == COM1_GSI {
        RX_PENDING.store(true, Ordering::Relaxed);
        INPUT_WAIT.wake_up();
        crate::fs::select::poll_wake();
    }
}

/// Whether a read of stdin would not block (data, or end of input). When
/// not, the receive interrupt is armed so that pollers are woken.
pub fn input_ready() -> bool {
    if inb(COM1 + LSR) & LSR_DATA_READY != 0 || stdin_at_eof() {
        return true;
    }
    outb(COM1 + IER, IER_RX_AVAILABLE);
    inb(COM1 + LSR) & LSR_DATA_READY != 0
}

/// lstar tells the guest when the host's stdin is exhausted; other VMMs
/// (QEMU) have no such port and their console never ends.
fn stdin_at_eof() -> bool {
    let status = inl(CONSOLE_STATUS_PORT);
    status & CONSOLE_STATUS_MAGIC_MASK == CONSOLE_STATUS_MAGIC && status & CONSOLE_STDIN_EOF != 0
}

/// Reads what is available from stdin into `buf`, waiting (other tasks
/// run) for at least one byte or end of input. Returns 0 at end of input;
/// a signal ends the wait with ERESTARTSYS.
pub fn read_stdin(buf: &mut [u8]) -> Result<usize, Errno> {
    if buf.is_empty() {
        return Ok(0);
    }
    loop {
        let mut n = 0;
        while n < buf.len() && inb(COM1 + LSR) & LSR_DATA_READY != 0 {
            buf[n] = inb(COM1 + RBR);
            n += 1;
        }
        if n > 0 {
            return Ok(n);
        }
        if stdin_at_eof() {
            return Ok(0);
        }
        // Arm the receive interrupt, then re-check before sleeping so a byte
        // that arrived in between cannot be slept through. The VMM also
        // raises the interrupt when stdin reaches EOF.
        RX_PENDING.store(false, Ordering::Relaxed);
        outb(COM1 + IER, IER_RX_AVAILABLE);
        if inb(COM1 + LSR) & LSR_DATA_READY == 0 && !stdin_at_eof() {
            let waited = INPUT_WAIT.wait_event(|| RX_PENDING.load(Ordering::Relaxed));
            if let Err(e) = waited {
                outb(COM1 + IER, 0);
                return Err(e);
            }
        }
        outb(COM1 + IER, 0);
    }
}
