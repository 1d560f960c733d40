//! x86-64 specifics: boot, descriptor tables, traps, interrupts, MSRs.

pub mod apic;
pub mod boot;
pub mod gdt;
pub mod idt;
pub mod msr;
pub mod pit;
pub mod port;
pub mod prctl;
pub mod pt_regs;
pub mod signal_frame;
pub mod string;
pub mod switch_to;
pub mod traps;
pub mod xstate;

/// Operand of LGDT/LIDT.
#[repr(C, packed)]
struct DescriptorPointer {
    limit: u16,
    base: u64,
}

/// Sleeps until an interrupt arrives. `sti; hlt` is atomic with respect to
/// interrupts (STI's shadow), so one that is already pending wakes the HLT.
pub fn wait_for_interrupt() {
    // SAFETY: the kernel runs with interrupts off; they are enabled only
    // across this HLT, and every vector that can arrive has a gate.
    unsafe { core::arch::asm!("sti", "hlt", "cli", options(nomem, nostack)) }
}

/// Enters user mode for the first time with `regs`: the frame is placed at
/// the top of the kernel stack and popped like any return from a trap,
/// except that there is no SWAPGS: GS_BASE is still the user's 0 and
/// KERNEL_GS_BASE the per-CPU area, exactly the user-mode state.
pub fn enter_user_mode(regs: &pt_regs::PtRegs, kernel_stack_top: u64) -> ! {
    let frame =
        (kernel_stack_top - core::mem::size_of::<pt_regs::PtRegs>() as u64) as *mut pt_regs::PtRegs;
    // SAFETY: the frame fits at the top of the kernel stack, which nothing
    // else uses now (this function never returns); the asm pops it exactly
    // as ret_from_trap would.
    unsafe {
        frame.write(*regs);
        core::arch::asm!(
            "mov rsp, {frame}",
            "pop r15", "pop r14", "pop r13", "pop r12", "pop rbp", "pop rbx",
            "pop r11", "pop r10", "pop r9", "pop r8", "pop rax", "pop rcx",
            "pop rdx", "pop rsi", "pop rdi",
            "add rsp, 16",
            "iretq",
            frame = in(reg) frame,
            options(noreturn)
        )
    }
}
