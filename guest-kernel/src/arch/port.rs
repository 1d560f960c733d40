//! Port I/O.

use core::arch::asm;

pub fn outb(port: u16, v: u8) {
    // SAFETY: port writes have no memory effects; the ports used are ours.
    unsafe {
        asm!("out dx, al", in("dx") port, in("al") v, options(nomem, nostack, preserves_flags))
    }
}

pub fn inb(port: u16) -> u8 {
    let v: u8;
    // SAFETY: as above.
    unsafe {
        asm!("in al, dx", in("dx") port, out("al") v, options(nomem, nostack, preserves_flags))
    }
    v
}

pub fn outl(port: u16, v: u32) {
    // SAFETY: as above.
    unsafe {
        asm!("out dx, eax", in("dx") port, in("eax") v, options(nomem, nostack, preserves_flags))
    }
}

pub fn inl(port: u16) -> u32 {
    let v: u32;
    // SAFETY: as above.
    unsafe {
        asm!("in eax, dx", in("dx") port, out("eax") v, options(nomem, nostack, preserves_flags))
    }
    v
}

/// Writes a whole buffer to one port with `rep outsb`: a single VM exit
/// (KVM_EXIT_IO with count = len) instead of one per byte.
pub fn outsb(port: u16, buf: &[u8]) {
    // SAFETY: reads `buf.len()` bytes from `buf`, which is valid for that.
    unsafe {
        asm!("rep outsb", in("dx") port, inout("rsi") buf.as_ptr() => _,
             inout("rcx") buf.len() => _, options(nostack, preserves_flags, readonly))
    }
}
