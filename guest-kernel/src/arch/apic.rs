//! Interrupt controllers: mask the 8259s, route GSIs through the IOAPIC to
//! the local APIC. KVM's in-kernel irqchip (and QEMU's) emulates all three.
//!
//! The 8259s must be masked: under kvm-pvm an unmasked PIC also delivers a
//! device interrupt as a PIC vector, which has no gate here (PLATFORM.md).

use super::port::outb;
use crate::mm::phys_to_virt;

const IOAPIC_BASE: u64 = 0xfec0_0000;
const LAPIC_BASE: u64 = 0xfee0_0000;
const LAPIC_SVR: u64 = 0xf0;
const LAPIC_EOI: u64 = 0xb0;
const LAPIC_ENABLE: u32 = 1 << 8;

fn mmio_write(phys: u64, v: u32) {
    // SAFETY: the direct map covers the APIC pages (uncached, see boot.rs);
    // these registers accept 32-bit writes.
    unsafe { core::ptr::write_volatile(phys_to_virt(phys) as *mut u32, v) }
}

pub fn init() {
    outb(0x21, 0xff);
    outb(0xa1, 0xff);
    mmio_write(
        LAPIC_BASE + LAPIC_SVR,
        LAPIC_ENABLE | u32::from(super::idt::SPURIOUS_VECTOR),
    );
    // The timer's mode and rate, once: arming it is then one register
    // write (each LAPIC write is an exit under kvm-pvm).
    mmio_write(LAPIC_BASE + LAPIC_TIMER_DIVIDE, TIMER_DIVIDE_BY_1);
    mmio_write(
        LAPIC_BASE + LAPIC_LVT_TIMER,
        u32::from(super::idt::TIMER_VECTOR),
    );
}

/// Routes `gsi` to vector `IRQ_VECTOR_BASE + gsi` on CPU 0, edge-triggered.
pub fn route_gsi(gsi: u32) {
    let vector = u32::from(lstar_abi::ports::IRQ_VECTOR_BASE) + gsi;
    let reg = 0x10 + 2 * gsi;
    mmio_write(IOAPIC_BASE, reg + 1);
    mmio_write(IOAPIC_BASE + 0x10, 0); // destination: APIC ID 0
    mmio_write(IOAPIC_BASE, reg);
    mmio_write(IOAPIC_BASE + 0x10, vector); // fixed, physical, edge, unmasked
}

pub fn eoi() {
    mmio_write(LAPIC_BASE + LAPIC_EOI, 0);
}

const LAPIC_LVT_TIMER: u64 = 0x320;
const LAPIC_TIMER_INITIAL: u64 = 0x380;
const LAPIC_TIMER_DIVIDE: u64 = 0x3e0;
const TIMER_DIVIDE_BY_1: u32 = 0xb;

/// The longest one-shot count, in ns at the timer's 1 GHz.
pub const TIMER_MAX_NS: u64 = u32::MAX as u64;

/// One-shot LAPIC timer interrupt after about `ns` nanoseconds (at most
/// [`TIMER_MAX_NS`]; at least 1 us), replacing any armed one. KVM's (and
/// QEMU's) APIC timer counts at 1 GHz with divide-by-1 (set in `init`,
/// with the one-shot vector); callers re-check the clock after waking, so
/// a different rate only changes how often.
pub fn arm_timer_ns(ns: u64) {
    let count = ns.clamp(1000, TIMER_MAX_NS) as u32;
    mmio_write(LAPIC_BASE + LAPIC_TIMER_INITIAL, count);
}
