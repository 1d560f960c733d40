//! A task's CPU context and the switch between two tasks (Linux's
//! `__switch_to_asm` and `__switch_to`).
//!
//! Each task has its own kernel stack. A task that gives up the CPU is
//! always inside `schedule()`, so its context is just the callee-saved
//! registers, pushed on its stack, and the stack pointer. The user state of
//! a task not running is the PtRegs frame at the top of its stack (saved
//! by its entry), its FPU/SSE registers (saved here with FXSAVE: the kernel
//! itself never touches them, being soft-float) and its FS/GS bases.
//!
//! A new task's stack is built to "return" from the switch into
//! `ret_from_fork`, which leaves through the common exit path to user mode.

use alloc::alloc::{Layout, alloc, dealloc};
use alloc::boxed::Box;
use core::arch::global_asm;

use super::pt_regs::PtRegs;

/// 64 KiB like the boot stack: path walks and the ELF loader nest deep.
pub const KERNEL_STACK_SIZE: usize = 64 * 1024;
/// Written at the lowest word of every kernel stack and checked at each
/// switch: an overflow is reported instead of silently corrupting the heap.
const STACK_CANARY: u64 = 0x57ac_c0de_dead_beef;

/// FXSAVE's 512-byte area (16-byte aligned).
#[repr(C, align(16))]
pub struct FpuState(pub [u8; 512]);

impl FpuState {
    /// The state of a fresh program: FNINIT's x87 control word 0x37f and
    /// MXCSR 0x1f80 (all exceptions masked), as Linux starts a task.
    pub fn initial() -> Box<FpuState> {
        let mut s = Box::new(FpuState([0; 512]));
        s.0[0..2].copy_from_slice(&0x37fu16.to_le_bytes());
        s.0[24..28].copy_from_slice(&0x1f80u32.to_le_bytes());
        s.0[28..32].copy_from_slice(&0xffffu32.to_le_bytes()); // MXCSR_MASK
        s
    }

    /// Saves the live FPU/SSE registers here.
    pub fn save(&mut self) {
        // SAFETY: the area is 512 bytes and 16-byte aligned, as FXSAVE needs.
        unsafe { core::arch::asm!("fxsave64 [{}]", in(reg) self.0.as_mut_ptr(), options(nostack)) }
    }

    /// Loads the FPU/SSE registers from here.
    pub fn restore(&self) {
        // SAFETY: as for save; the contents came from FXSAVE or `initial`
        // (reserved MXCSR bits clear, so FXRSTOR cannot fault).
        unsafe { core::arch::asm!("fxrstor64 [{}]", in(reg) self.0.as_ptr(), options(nostack)) }
    }
}

pub struct Thread {
    /// Base of the heap-allocated kernel stack; 0 for the boot task, which
    /// runs on the static boot stack.
    stack_base: u64,
    pub stack_top: u64,
    /// The saved kernel stack pointer while switched out.
    pub rsp: u64,
    pub fpu: Box<FpuState>,
}

impl Thread {
    /// The boot task's context: the stack it already runs on.
    pub fn boot(stack_top: u64) -> Thread {
        Thread {
            stack_base: 0,
            stack_top,
            rsp: 0,
            fpu: FpuState::initial(),
        }
    }

    /// A new task that starts in user mode with `regs`: its stack holds the
    /// frame at the top and, below it, a switch frame that returns into
    /// `ret_from_fork`. None when no memory is left for the stack.
    pub fn new(regs: &PtRegs, fpu: Box<FpuState>) -> Option<Thread> {
        let layout = Layout::from_size_align(KERNEL_STACK_SIZE, 16).ok()?;
        // SAFETY: a non-zero size; a null result is handled.
        let base = unsafe { alloc(layout) } as u64;
        if base == 0 {
            return None;
        }
        let top = base + KERNEL_STACK_SIZE as u64;
        let frame = top - core::mem::size_of::<PtRegs>() as u64;
        // Six callee-saved registers (zero) and the return address.
        let rsp = frame - 7 * 8;
        // SAFETY: all of it inside the new stack, which nobody else uses.
        unsafe {
            (base as *mut u64).write(STACK_CANARY);
            (frame as *mut PtRegs).write(*regs);
            core::ptr::write_bytes(rsp as *mut u64, 0, 6);
            ((rsp + 6 * 8) as *mut u64).write(ret_from_fork_asm as *const () as u64);
        }
        Some(Thread {
            stack_base: base,
            stack_top: top,
            rsp,
            fpu,
        })
    }

    fn stack_overflowed(&self) -> bool {
        // SAFETY: the canary word is the lowest of this thread's stack.
        self.stack_base != 0 && unsafe { (self.stack_base as *const u64).read() } != STACK_CANARY
    }
}

impl Drop for Thread {
    fn drop(&mut self) {
        if self.stack_base != 0
            && let Ok(layout) = Layout::from_size_align(KERNEL_STACK_SIZE, 16)
        {
            // SAFETY: allocated in `new` with this layout; the task is
            // reaped, so nothing runs on the stack any more.
            unsafe { dealloc(self.stack_base as *mut u8, layout) };
        }
    }
}

global_asm!(
    r#"
    .text
    .globl __switch_to_asm
    /* rdi: where to save the old stack pointer, rsi: the new one */
__switch_to_asm:
    push %rbp
    push %rbx
    push %r12
    push %r13
    push %r14
    push %r15
    mov %rsp, (%rdi)
    mov %rsi, %rsp
    pop %r15
    pop %r14
    pop %r13
    pop %r12
    pop %rbx
    pop %rbp
    ret

    .globl ret_from_fork_asm
ret_from_fork_asm:
    mov %rsp, %rdi                  /* the PtRegs frame */
    call ret_from_fork
    jmp ret_from_trap
"#,
    options(att_syntax)
);

unsafe extern "C" {
    fn __switch_to_asm(save_rsp: *mut u64, next_rsp: u64);
    fn ret_from_fork_asm();
}

/// Switches from `prev` to `next` (both tasks' contexts): the kernel stack
/// for entries from user mode, the FPU state, the TLS bases, the stack.
/// Returns when `prev` is switched back to.
pub fn switch_to(prev: &mut Thread, next: &Thread, fs_base: (u64, u64), gs_base: (u64, u64)) {
    if next.stack_overflowed() {
        crate::warn!("kernel stack overflow");
        crate::exit::power_off(lstar_abi::exit::KERNEL_PANIC);
    }
    // `next` has not looked for exit work since it last ran.
    crate::entry_common::exit_work_may_be_pending();
    prev.fpu.save();
    next.fpu.restore();
    super::gdt::set_rsp0(next.stack_top);
    crate::syscall::entry::set_kernel_rsp(next.stack_top);
    // SAFETY: FS_BASE and (inside the kernel, after SWAPGS) KERNEL_GS_BASE
    // hold the user's TLS bases; they are user addresses set through
    // arch_prctl. Writes are skipped when unchanged (WRMSR is emulated).
    unsafe {
        if fs_base.0 != fs_base.1 {
            super::msr::wrmsr(super::msr::FS_BASE, fs_base.1);
        }
        if gs_base.0 != gs_base.1 {
            super::msr::wrmsr(super::msr::KERNEL_GS_BASE, gs_base.1);
        }
    }
    // SAFETY: `next.rsp` is a stack saved by this function or built by
    // `Thread::new`; `prev.rsp` is where this task resumes.
    unsafe { __switch_to_asm(&mut prev.rsp, next.rsp) };
}

/// A new task's first code: it runs the exit path like any return to user
/// mode, then `ret_from_trap` pops `regs`.
#[unsafe(no_mangle)]
extern "C" fn ret_from_fork(regs: &mut PtRegs) {
    crate::kernel::sched::schedule_tail();
    crate::kernel::fork::child_first_run();
    crate::entry_common::exit_to_user_mode(regs);
}
