//! System call entry: `syscall_init` and `entry_syscall_64`.
//!
//! Written by hand (no crate does this): the entry must run before any
//! Rust code can, on the user's stack, with the user's GS.
//!
//! Fast path (hardware KVM, QEMU TCG): SYSCALL jumps to `entry_syscall_64`
//! at CPL 0 with RCX = user RIP, R11 = user RFLAGS and RFLAGS masked by
//! MSR_SYSCALL_MASK. It swaps GS to find the per-CPU area, switches to the
//! task's kernel stack, builds a `PtRegs` frame, calls `do_syscall_64`, and
//! returns with SYSRETQ when that is safe, IRETQ (ret_from_trap) otherwise.
//!
//! kvm-pvm: SYSCALL arrives here without privilege, so `swapgs` raises #GP
//! and the trap path (traps.rs) serves the call instead; this code is not
//! executed there beyond its first instruction.

use core::arch::global_asm;
use core::ptr::addr_of;

use crate::arch::gdt::{KERNEL_CS, USER_CS, USER_DS, USER32_CS};
use crate::arch::msr::{self, wrmsr};
use crate::arch::pt_regs::{OFFSET_RFLAGS, OFFSET_RIP, OFFSET_RSP, OFFSET_VECTOR, VECTOR_SYSCALL};

/// The per-CPU area GS points at in the kernel (one CPU).
#[repr(C)]
pub struct PerCpu {
    /// Top of the current task's kernel stack (offset 0).
    pub kernel_rsp: u64,
    /// Scratch slot for the user RSP during the stack switch (offset 8).
    pub user_rsp: u64,
}

static mut PER_CPU: PerCpu = PerCpu {
    kernel_rsp: 0,
    user_rsp: 0,
};

global_asm!(
    r#"
    .text
    .globl entry_syscall_64
    .p2align 4
entry_syscall_64:
    swapgs                              /* GS base := per-CPU area */
    mov %rsp, %gs:8                     /* park the user stack pointer */
    mov %gs:0, %rsp                     /* the task's kernel stack */
    push ${user_ds}                     /* ss */
    push %gs:8                          /* rsp */
    push %r11                           /* rflags */
    push ${user_cs}                     /* cs */
    push %rcx                           /* rip */
    push %rax                           /* error_code slot = orig_rax */
    push ${vector_syscall}              /* vector */
    push %rdi
    push %rsi
    push %rdx
    push %rcx
    push %rax
    push %r8
    push %r9
    push %r10
    push %r11
    push %rbx
    push %rbp
    push %r12
    push %r13
    push %r14
    push %r15
    mov %rsp, %rdi
    call do_syscall_64
    test %al, %al
    jz ret_from_trap                    /* IRETQ when SYSRET is not safe */
    pop %r15
    pop %r14
    pop %r13
    pop %r12
    pop %rbp
    pop %rbx
    add $8, %rsp                        /* r11: rflags, loaded below */
    pop %r10
    pop %r9
    pop %r8
    pop %rax
    add $8, %rsp                        /* rcx: rip, loaded below */
    pop %rdx
    pop %rsi
    pop %rdi
    /* RSP now points at the vector slot. Interrupts are off (FMASK), so
       nothing can run on the user stack between the next two moves and
       SYSRETQ; there are no NMIs in this machine. */
    mov {rip_off}(%rsp), %rcx
    mov {rflags_off}(%rsp), %r11
    mov {rsp_off}(%rsp), %rsp
    swapgs                              /* GS base := user's */
    sysretq
"#,
    user_ds = const USER_DS,
    user_cs = const USER_CS,
    vector_syscall = const VECTOR_SYSCALL,
    rip_off = const OFFSET_RIP - OFFSET_VECTOR,
    rflags_off = const OFFSET_RFLAGS - OFFSET_VECTOR,
    rsp_off = const OFFSET_RSP - OFFSET_VECTOR,
    options(att_syntax)
);

unsafe extern "C" {
    fn entry_syscall_64();
}

pub fn entry_syscall_64_addr() -> u64 {
    entry_syscall_64 as *const () as u64
}

// RFLAGS bits.
const TF: u64 = 1 << 8;
const IF: u64 = 1 << 9;
const DF: u64 = 1 << 10;
const IOPL: u64 = 3 << 12;
const NT: u64 = 1 << 14;
const AC: u64 = 1 << 18;

/// RFLAGS bits SYSCALL clears on entry (MSR_SYSCALL_MASK):
/// - IF: no interrupt may arrive while RSP is still the user's stack (the
///   swapgs + stack switch above is not atomic);
/// - TF: a user single-stepping must not single-step the kernel entry;
/// - DF: the Rust and C ABIs require DF = 0 in called code;
/// - AC: alignment checking (and, with SMAP, user access) stays off;
/// - NT: a stale nested-task flag would make IRETQ fault;
/// - IOPL: the kernel never needs it, user mode must never inherit it.
pub const SYSCALL_MASK: u64 = TF | IF | DF | AC | NT | IOPL;

/// The kernel stack SYSCALL switches to: the running task's.
pub fn set_kernel_rsp(stack_top: u64) {
    // SAFETY: one CPU, interrupts off in the kernel: the per-CPU area is
    // read only by the next SYSCALL entry.
    unsafe { (*core::ptr::addr_of_mut!(PER_CPU)).kernel_rsp = stack_top };
}

/// Linux's `syscall_init()`: point SYSCALL at `entry_syscall_64`.
pub fn syscall_init(kernel_stack_top: u64) {
    // SAFETY: single CPU, at boot, before user mode: nothing else reads the
    // per-CPU area yet.
    unsafe { (*core::ptr::addr_of_mut!(PER_CPU)).kernel_rsp = kernel_stack_top };
    // STAR[47:32]: SYSCALL loads CS = KERNEL_CS and SS = KERNEL_CS + 8.
    // STAR[63:48]: SYSRETQ loads CS = base + 16 (USER_CS) and SS = base + 8
    // (USER_DS), both with RPL 3; that is why the GDT has Linux's order.
    let star = (u64::from(USER32_CS) << 48) | (u64::from(KERNEL_CS) << 32);
    // SAFETY: the values below are the documented configuration of the
    // SYSCALL instruction; the entry point and per-CPU area are static.
    unsafe {
        wrmsr(msr::STAR, star);
        wrmsr(msr::LSTAR, entry_syscall_64_addr());
        // No compat (32-bit code segment) user mode exists: the GDT has no
        // 32-bit user code descriptor, so CSTAR can never be taken.
        wrmsr(msr::CSTAR, 0);
        wrmsr(msr::SYSCALL_MASK, SYSCALL_MASK);
        // While in user mode, KERNEL_GS_BASE holds the per-CPU area and
        // GS_BASE the user's (0 at start); every entry from user mode swaps
        // them with SWAPGS and every exit swaps them back.
        wrmsr(msr::KERNEL_GS_BASE, addr_of!(PER_CPU) as u64);
    }
}
