//! The 8254 PIT (ports 0x40-0x43), used once at boot to measure the TSC
//! frequency when neither the VMM (`lstar.tsc_khz=`) nor CPUID gives it:
//! QEMU TCG offers no frequency leaf, and assuming 1 GHz made the guest's
//! clock run 2.3x fast there. Its input clock is 1.193182 MHz on every PC.

use super::port::{inb, outb};

const CHANNEL0: u16 = 0x40;
const COMMAND: u16 = 0x43;
const PIT_HZ: u64 = 1_193_182;
/// Ticks to measure over: 2 ms. One tick (0.84 us) of read granularity
/// is then a 0.04% error, and the spin is short: under QEMU's `-icount`
/// every microsecond of it is a thousand instructions of boot (10 ms made
/// the calibration ~6 M of the boot's instructions).
const SPAN: u16 = 2_386;
/// Reads before we decide there is no PIT: a counter that has not moved
/// after this many (a missing port reads a constant; a real one moves
/// every 0.84 us, less than one read takes), or that never covers the
/// span (each read is three port accesses, so 2^16 of them take well over
/// 2 ms wherever a PIT exists; under lstar, which has none, a VM exit
/// each).
const STILL_READS: u32 = 1000;
const MAX_READS: u32 = 1 << 16;

/// Latches and reads channel 0's count.
fn read_count() -> u16 {
    outb(COMMAND, 0x00); // channel 0 (bits 7-6 = 0), latch (bits 5-4 = 0)
    let lo = inb(CHANNEL0);
    let hi = inb(CHANNEL0);
    u16::from_le_bytes([lo, hi])
}

/// The TSC frequency in kHz, measured over 2 ms of PIT channel 0 counting
/// down from 0xffff (mode 0, one-shot; its interrupt is never routed), or
/// `None` when there is no PIT that counts.
pub fn calibrate_tsc_khz() -> Option<u64> {
    outb(COMMAND, 0x30); // channel 0, lobyte then hibyte (3 << 4), mode 0, binary
    outb(CHANNEL0, 0xff);
    outb(CHANNEL0, 0xff);
    let start = read_count();
    let t0 = crate::kernel::time::rdtsc();
    let mut reads = 0;
    loop {
        let now = read_count();
        let elapsed = start.wrapping_sub(now);
        // More than the whole span means the count wrapped or is garbage.
        if (SPAN..0x8000).contains(&elapsed) {
            let ticks = crate::kernel::time::rdtsc() - t0;
            return Some(ticks * PIT_HZ / (u64::from(elapsed) * 1000));
        }
        reads += 1;
        if reads == MAX_READS || (reads == STILL_READS && now == start) {
            return None;
        }
    }
}
