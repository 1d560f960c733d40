//! The serial console: COM1 carries the program's stdin and stdout, COM2
//! its stderr and the kernel log (16550 UARTs, emulated by the VMM).
//!
//! Output skips the LSR "transmitter empty" poll a real UART needs: both
//! lstar's and QEMU's UARTs accept bytes at any time, and each poll would be
//! a VM exit. Input waits for the receive interrupt with HLT.

use core::sync::atomic::{AtomicBool, Ordering};

use crate::arch::port::{inb, inl, outb, outsb};
use lstar_abi::ports::{
    COM1, COM1_GSI, COM2, COM2_GSI, CONSOLE_STATUS_MAGIC, CONSOLE_STATUS_MAGIC_MASK,
    CONSOLE_STATUS_PORT, CONSOLE_STDIN_EOF,
};

const RBR: u16 = 0; // receive buffer
const IER: u16 = 1; // interrupt enable
const LSR: u16 = 5; // line status
const IER_RX_AVAILABLE: u8 = 1;
const LSR_DATA_READY: u8 = 1;

static RX_PENDING: AtomicBool = AtomicBool::new(false);

pub fn init() {
    outb(COM1 + IER, 0);
    outb(COM2 + IER, 0);
    crate::arch::apic::route_gsi(COM1_GSI);
    crate::arch::apic::route_gsi(COM2_GSI);
}

/// stdout: one VM exit per call, whatever the length.
pub fn write_stdout(buf: &[u8]) {
    outsb(COM1, buf);
}

/// stderr.
pub fn write_stderr(buf: &[u8]) {
    outsb(COM2, buf);
}

pub fn write_log(buf: &[u8]) {
    outsb(COM2, buf);
}

/// Called from the interrupt handler.
pub fn interrupt(gsi: u32) {
    if gsi == COM1_GSI {
        RX_PENDING.store(true, Ordering::Relaxed);
    }
}

/// lstar tells the guest when the host's stdin is exhausted; other VMMs
/// (QEMU) have no such port and their console never ends.
fn stdin_at_eof() -> bool {
    let status = inl(CONSOLE_STATUS_PORT);
    status & CONSOLE_STATUS_MAGIC_MASK == CONSOLE_STATUS_MAGIC && status & CONSOLE_STDIN_EOF != 0
}

/// Reads what is available from stdin into `buf`, waiting for at least one
/// byte or end of input. Returns 0 at end of input.
pub fn read_stdin(buf: &mut [u8]) -> usize {
    if buf.is_empty() {
        return 0;
    }
    loop {
        let mut n = 0;
        while n < buf.len() && inb(COM1 + LSR) & LSR_DATA_READY != 0 {
            buf[n] = inb(COM1 + RBR);
            n += 1;
        }
        if n > 0 {
            return n;
        }
        if stdin_at_eof() {
            return 0;
        }
        // Arm the receive interrupt, then re-check before sleeping so a byte
        // that arrived in between cannot be slept through. The VMM also
        // raises the interrupt when stdin reaches EOF.
        RX_PENDING.store(false, Ordering::Relaxed);
        outb(COM1 + IER, IER_RX_AVAILABLE);
        if inb(COM1 + LSR) & LSR_DATA_READY == 0 && !stdin_at_eof() {
            while !RX_PENDING.load(Ordering::Relaxed) {
                crate::arch::wait_for_interrupt();
            }
        }
        outb(COM1 + IER, 0);
    }
}
