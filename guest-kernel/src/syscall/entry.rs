//! System call entry: `syscall_init` and `entry_syscall_64`.
//!
//! Written by hand (no crate does this): the entry must run before any
//! Rust code can, on the user's stack, with the user's GS.
//!
//! Fast path (hardware KVM, QEMU TCG): SYSCALL jumps to `entry_syscall_64`
//! at CPL 0 with RCX = user RIP, R11 = user RFLAGS and RFLAGS masked by
//! MSR_SYSCALL_MASK. It swaps GS to find the per-CPU area, switches to the
//! task's kernel stack, builds a `PtRegs` frame, calls `do_syscall_64`, and
//! returns with SYSRETQ when that is exact, IRETQ (ret_from_trap) otherwise.
//!
//! kvm-pvm: SYSCALL arrives here without privilege and faults on the first
//! instruction; the #GP and #PF stubs (idt.rs) send that fault to
//! `entry_syscall_64_fault`, which builds the same frame and calls the same
//! `do_syscall_64`, and returns with IRETQ.
//!
//! `entry_int80` is the `int $0x80` gate's entry (hardware KVM, QEMU); on
//! kvm-pvm that instruction raises #UD instead (traps.rs).

use core::arch::global_asm;
use core::ptr::addr_of;

use crate::arch::gdt::{KERNEL_CS, USER_CS, USER_DS, USER32_CS};
use crate::arch::msr::{self, wrmsr};
use crate::arch::pt_regs::{
    OFFSET_R11, OFFSET_RCX, OFFSET_RFLAGS, OFFSET_RIP, OFFSET_RSP, OFFSET_VECTOR, VECTOR_SYSCALL,
    push_regs,
};

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
"#,
    push_regs!(),
    r#"
    mov %rsp, %rdi
    call do_syscall_64
    /* SYSRETQ loads RIP from RCX and RFLAGS from R11, so it restores the
       frame exactly only when the frame's rcx and r11 equal its rip and
       rflags (a frame that rt_sigreturn, exec or a signal delivery
       rewrote usually does not, and leaves through IRETQ). Nor can it restore TF or RF cleanly, nor return to
       a non-canonical RIP (Intel raises #GP in ring 0 on the user stack).
       CS and SS need no test: every frame from user mode holds USER_CS and
       USER_DS (the entries build them, exec and sigreturn write them). */
    mov {rip_off}(%rsp), %rcx
    cmp %rcx, {rcx_off}(%rsp)
    jne ret_from_trap
    mov {rflags_off}(%rsp), %r11
    cmp %r11, {r11_off}(%rsp)
    jne ret_from_trap
    test ${tf_rf}, %r11d
    jnz ret_from_trap
    mov %rcx, %rax
    shr $47, %rax                       /* canonical lower half */
    jnz ret_from_trap
    pop %r15
    pop %r14
    pop %r13
    pop %r12
    pop %rbp
    pop %rbx
    add $16, %rsp                       /* r11 and rcx: loaded above */
    pop %rax
    pop %rdi
    pop %rsi
    pop %rdx
    pop %r10
    pop %r8
    pop %r9
    /* RSP now points at the vector slot. Interrupts are off (FMASK), so
       nothing can run on the user stack between the next move and
       SYSRETQ; there are no NMIs in this machine. */
    mov {rsp_from_vector}(%rsp), %rsp
    swapgs                              /* GS base := user's */
    sysretq

    /* kvm-pvm: SYSCALL did not raise the privilege level and faulted at
       entry_syscall_64 (#GP on swapgs, or #PF on the fetch of supervisor
       text). The #GP and #PF stubs (idt.rs) come here when the faulting
       RIP is entry_syscall_64, with the vector pushed:
       [rsp] vector, error code, rip, cs, rflags, rsp, ss.
       From user mode that is a system call: RCX and R11 hold the user RIP
       and RFLAGS as SYSCALL left them. The frame becomes the one the fast
       path builds, and it leaves through IRETQ.
       A program can also jump to entry_syscall_64 itself, with any RCX:
       a non-canonical one would make the IRETQ fault in ring 0, so that
       is the fault it looks like (SIGSEGV), not a system call. */
    .globl entry_syscall_64_fault
entry_syscall_64_fault:
    testb $3, 24(%rsp)
    jz trap_common                      /* a kernel fault there: a bug */
    swapgs                              /* GS base := per-CPU area */
"#,
    push_regs!(),
    r#"
    cld
    mov %rcx, %rdx                      /* saved: any register is scratch now */
    shr $47, %rdx                       /* RCX in the canonical lower half? */
    jnz 9f
    mov %rax, {error_code_off}(%rsp)    /* orig_rax */
    movq ${vector_syscall}, {vector_off}(%rsp)
    mov %rcx, {rip_off}(%rsp)
    mov %r11, %rax
    and ${user_rflags}, %eax
    or ${rflags_if_and_reserved}, %eax
    mov %rax, {rflags_off}(%rsp)
    mov %rsp, %rdi
    call do_syscall_64
    jmp ret_to_user
9:
    mov %rsp, %rdi                      /* a plain trap frame still */
    call do_trap
    jmp ret_from_trap

    /* The int $0x80 gate (DPL 3). Never from kernel mode (the kernel has
       no int $0x80); if it were, it is an exception like any other. */
    .globl entry_int80
entry_int80:
    push $0                             /* error_code slot = orig_rax, set by do_int80_syscall_32 */
    push ${int80_vector}
    testb $3, 24(%rsp)
    jz trap_common
    swapgs                              /* GS base := per-CPU area */
"#,
    push_regs!(),
    r#"
    cld
    mov %rsp, %rdi
    call do_int80_syscall_32
    jmp ret_to_user
"#,
    user_ds = const USER_DS,
    user_cs = const USER_CS,
    vector_syscall = const VECTOR_SYSCALL,
    int80_vector = const crate::arch::idt::INT80_VECTOR,
    rip_off = const OFFSET_RIP,
    rcx_off = const OFFSET_RCX,
    error_code_off = const OFFSET_VECTOR + 8,
    vector_off = const OFFSET_VECTOR,
    rflags_off = const OFFSET_RFLAGS,
    r11_off = const OFFSET_R11,
    rsp_from_vector = const OFFSET_RSP - OFFSET_VECTOR,
    tf_rf = const TF | RF,
    user_rflags = const USER_RFLAGS,
    rflags_if_and_reserved = const RFLAGS_IF_AND_RESERVED,
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
const RF: u64 = 1 << 16;
const AC: u64 = 1 << 18;

/// User RFLAGS bits a system call preserves (CF PF AF ZF SF TF DF OF AC ID).
const USER_RFLAGS: u64 = 0x0025_0fd5;
/// IF and the always-one bit 1, in the RFLAGS of every frame from user mode.
const RFLAGS_IF_AND_RESERVED: u64 = 0x202;

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
