//! Exceptions and interrupts: `do_trap` is where every IDT gate lands.
//!
//! Under kvm-pvm two of the "exceptions" are system calls in disguise
//! (PLATFORM.md): SYSCALL jumps to `entry_syscall_64` without raising the
//! privilege level, so it faults there with a user CS: with a #PF (error
//! code "user instruction fetch") because our kernel text is supervisor-only
//! (measured), or with a #GP on `swapgs` if the page were user-accessible
//! (PLATFORM.md's probe). And `int $0x80` raises #UD on the bytes `cd 80`.
//! All are routed into the same dispatcher as the real thing, then leave
//! through the same exit path. The SYSCALL fault is recognised in the #GP
//! and #PF stubs (idt.rs) and never reaches `do_trap`: it is by far the
//! most frequent trap there, and each emulated instruction costs ~1,000
//! host cycles.

use super::idt::{SPURIOUS_VECTOR, TIMER_VECTOR};
use super::pt_regs::PtRegs;
use crate::mm::address_space::{PageFault, TASK_SIZE};
use crate::{entry_common, fault, syscall};

const PF: u64 = 14;

#[unsafe(no_mangle)]
extern "C" fn do_trap(regs: &mut PtRegs) {
    let vector = regs.vector;
    let irq_base = u64::from(lstar_abi::ports::IRQ_VECTOR_BASE);
    if (irq_base..irq_base + 16).contains(&vector) {
        crate::drivers::interrupt((vector - irq_base) as u32);
        super::apic::eoi();
    } else if vector == u64::from(TIMER_VECTOR) {
        super::apic::eoi();
        crate::kernel::sched::timer_interrupt();
    } else if vector == u64::from(SPURIOUS_VECTOR) {
        // No EOI for a spurious interrupt.
    } else if !regs.came_from_user() {
        fault::kernel_fault(regs);
    } else if vector == PF {
        let cr2 = fault::read_cr2();
        match crate::task::current()
            .mm
            .handle_page_fault(cr2, regs.error_code)
        {
            PageFault::Handled => {}
            PageFault::Bad => fault::user_fault(regs),
            PageFault::OutOfMemory => fault::oom_kill(regs, cr2),
            PageFault::BeyondFile => {
                const SIGBUS: u32 = 7;
                const BUS_ADRERR: i32 = 2;
                crate::kernel::signal::force_sig_fault(regs, SIGBUS, BUS_ADRERR, cr2)
            }
        }
    } else {
        fault::user_fault(regs);
    }
    if regs.came_from_user() {
        entry_common::exit_to_user_mode(regs);
    }
}

/// #UD, from its own stub (idt.rs): kvm-pvm raises it for every
/// `int $0x80`, the most frequent trap after the SYSCALL fault (which
/// never comes here), so that is looked for first, without the tests of
/// `do_trap` or its prologue, each instruction emulated.
#[unsafe(no_mangle)]
extern "C" fn do_invalid_op(regs: &mut PtRegs) {
    if regs.came_from_user() && is_int80_instruction(regs.rip) {
        regs.rip += 2;
        syscall::do_int80_syscall_32(regs); // runs the exit work
    } else {
        do_trap(regs);
    }
}

/// Whether the user's instruction that raised #UD is `int $0x80` (bytes
/// `cd 80`). The CPU decoded it, so the page holding its first byte is
/// mapped and readable (x86 has no execute-only user pages, and the kernel
/// does not enable SMAP): when the second byte is on the same page it is
/// read directly, without the VMA walk of `get_user`.
fn is_int80_instruction(rip: u64) -> bool {
    const INT80: u16 = u16::from_le_bytes([0xcd, 0x80]);
    if rip < TASK_SIZE && rip & 0xfff != 0xfff {
        // SAFETY: see above: a user address whose page is present and
        // readable, both bytes inside it.
        unsafe { core::ptr::read_unaligned(rip as *const u16) == INT80 }
    } else {
        crate::uaccess::get_user::<u16>(rip) == Ok(INT80)
    }
}
