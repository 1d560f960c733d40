//! GDT and TSS. The descriptor layout is Linux's, so that SYSCALL/SYSRET
//! (MSR_STAR) and kvm-pvm (which reports user CS 0x33 / SS 0x2b) agree.

use core::arch::asm;
use core::ptr::addr_of_mut;

pub const KERNEL_CS: u16 = 0x10;
pub const KERNEL_DS: u16 = 0x18;
/// Base of the SYSRET selectors: SYSRET loads CS = base + 16, SS = base + 8.
pub const USER32_CS: u16 = 0x20 | 3;
pub const USER_DS: u16 = 0x28 | 3;
pub const USER_CS: u16 = 0x30 | 3;
const TSS_SELECTOR: u16 = 0x38;
const GDT_ENTRIES: usize = 9;

#[repr(C, packed)]
pub struct Tss {
    reserved0: u32,
    /// Stack the CPU switches to on an interrupt or exception from ring 3.
    pub rsp0: u64,
    rsp1: u64,
    rsp2: u64,
    reserved1: u64,
    /// IST1: a known-good stack for double faults.
    pub ist: [u64; 7],
    reserved2: u64,
    reserved3: u16,
    iomap_base: u16,
}

static mut TSS: Tss = Tss {
    reserved0: 0,
    rsp0: 0,
    rsp1: 0,
    rsp2: 0,
    reserved1: 0,
    ist: [0; 7],
    reserved2: 0,
    reserved3: 0,
    // No I/O bitmap: user mode gets no ports.
    iomap_base: core::mem::size_of::<Tss>() as u16,
};

pub const DOUBLE_FAULT_IST: u8 = 1;

#[repr(C, align(16))]
struct Stack([u8; 16384]);
static mut DOUBLE_FAULT_STACK: Stack = Stack([0; 16384]);

unsafe extern "C" {
    /// The GDT in `.boot.data` (see boot.rs), reached here through the
    /// kernel image window.
    static mut boot_gdt: [u64; GDT_ENTRIES];
}

/// The stack the CPU switches to on entries from user mode: the running
/// task's (the scheduler calls this at every switch).
pub fn set_rsp0(stack_top: u64) {
    // SAFETY: one CPU, interrupts off in the kernel: nothing reads the TSS
    // until the next entry from user mode, which wants the new value.
    unsafe { (*addr_of_mut!(TSS)).rsp0 = stack_top };
}

/// Installs the TSS, reloads the GDT at its high-half address (the identity
/// mapping goes away with the first user address space) and loads TR.
pub fn init(kernel_stack_top: u64) {
    // SAFETY: single CPU, called once at boot before interrupts or user mode:
    // nothing else touches the TSS or GDT concurrently.
    unsafe {
        let tss = addr_of_mut!(TSS);
        (*tss).rsp0 = kernel_stack_top;
        (*tss).ist[usize::from(DOUBLE_FAULT_IST) - 1] =
            addr_of_mut!(DOUBLE_FAULT_STACK) as u64 + core::mem::size_of::<Stack>() as u64;
        let base = tss as u64;
        let limit = core::mem::size_of::<Tss>() as u64 - 1;
        // The symbol is at its physical (identity) address; use the direct
        // map, which stays when the identity mapping goes.
        let gdt = crate::mm::phys_to_virt(addr_of_mut!(boot_gdt) as u64) as *mut [u64; GDT_ENTRIES];
        // 64-bit available TSS descriptor (type 9, present).
        (*gdt)[7] = (limit & 0xffff)
            | ((base & 0xff_ffff) << 16)
            | (0x89 << 40)
            | (((limit >> 16) & 0xf) << 48)
            | (((base >> 24) & 0xff) << 56);
        (*gdt)[8] = base >> 32;
        let ptr = super::DescriptorPointer {
            limit: (GDT_ENTRIES * 8 - 1) as u16,
            base: gdt as u64,
        };
        asm!("lgdt [{}]", "ltr {:x}", in(reg) &ptr, in(reg) TSS_SELECTOR, options(nostack));
    }
}
