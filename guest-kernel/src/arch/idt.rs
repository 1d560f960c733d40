//! The IDT and the assembly that saves and restores a [`PtRegs`] frame.
//!
//! Every gate funnels into `trap_common` -> [`crate::arch::traps::do_trap`]
//! -> `ret_from_trap`, the single way back to the interrupted context.

use core::arch::{asm, global_asm};
use core::ptr::addr_of_mut;

use super::gdt::{DOUBLE_FAULT_IST, KERNEL_CS};
use super::pt_regs::OFFSET_CS;

/// Legacy system call gate.
pub const INT80_VECTOR: u8 = 0x80;
/// LAPIC spurious interrupt vector.
pub const SPURIOUS_VECTOR: u8 = 0xff;
/// LAPIC timer vector (sleeps).
pub const TIMER_VECTOR: u8 = 0xec;

// Vectors with a CPU-pushed error code: #DF, #TS, #NP, #SS, #GP, #PF, #AC,
// #CP, #VC, #SX. The others push a 0 so that every frame has the same shape.
global_asm!(
    r#"
    .macro TRAP_STUB n
    .p2align 4
trap_stub_\n:
    .if (\n == 8) | (\n == 10) | (\n == 11) | (\n == 12) | (\n == 13) | (\n == 14) | (\n == 17) | (\n == 21) | (\n == 29) | (\n == 30)
    .else
    push $0
    .endif
    push $\n
    jmp trap_common
    .endm

    .text
    /* 32 stubs of 16 bytes in one 512-byte block: stub n is at
       trap_stub_0 + 16 n, with no carry into bit 16 (idt::init uses that). */
    .p2align 9
    .irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    TRAP_STUB \n
    .endr
    /* IOAPIC GSIs 0..15 arrive at vectors 32..47 (IRQ_VECTOR_BASE + gsi). */
    .irp n, 32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47
    TRAP_STUB \n
    .endr
    TRAP_STUB 128
    TRAP_STUB 236
    TRAP_STUB 255

    .section .rodata
    .p2align 3
    .globl trap_stub_table
trap_stub_table:
    .irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    .quad trap_stub_\n
    .endr
    .globl trap_stub_irqs, trap_stub_int80, trap_stub_timer, trap_stub_spurious
trap_stub_irqs:
    .irp n, 32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47
    .quad trap_stub_\n
    .endr
trap_stub_int80: .quad trap_stub_128
trap_stub_timer: .quad trap_stub_236
trap_stub_spurious: .quad trap_stub_255

    .text
    .globl trap_common, ret_from_trap
trap_common:
    /* [rsp] vector, [rsp+8] error code, [rsp+16] rip, [rsp+24] cs */
    testb $3, 24(%rsp)
    jz 1f
    swapgs                          /* from user: GS base := per-CPU area */
1:
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
    cld
    mov %rsp, %rdi
    /* kvm-pvm delivers SYSCALL as a fault at entry_syscall_64 (see
       traps.rs): recognise it here, before the general dispatch, because
       every instruction on this path is emulated. From user mode only,
       and only #GP or #PF, so no interrupt is ever taken for a syscall. */
    testb $3, {cs_off}(%rsp)
    jz 3f
    lea entry_syscall_64(%rip), %rax
    cmp %rax, {rip_off}(%rsp)
    jne 3f
    mov {vector_off}(%rsp), %rax
    cmp $13, %rax
    je 4f
    cmp $14, %rax
    jne 3f
4:
    call do_syscall_64_from_fault
    jmp ret_from_trap
3:
    call do_trap
ret_from_trap:
    pop %r15
    pop %r14
    pop %r13
    pop %r12
    pop %rbp
    pop %rbx
    pop %r11
    pop %r10
    pop %r9
    pop %r8
    pop %rax
    pop %rcx
    pop %rdx
    pop %rsi
    pop %rdi
    testb $3, {cs_from_vector}(%rsp)
    jz 2f
    swapgs                          /* back to user: GS base := user's */
2:
    add $16, %rsp                   /* vector and error code */
    iretq
"#,
    cs_from_vector = const OFFSET_CS - super::pt_regs::OFFSET_VECTOR,
    cs_off = const OFFSET_CS,
    rip_off = const super::pt_regs::OFFSET_RIP,
    vector_off = const super::pt_regs::OFFSET_VECTOR,
    options(att_syntax)
);

unsafe extern "C" {
    static trap_stub_table: [u64; 32];
    static trap_stub_irqs: [u64; 16];
    static trap_stub_int80: u64;
    static trap_stub_timer: u64;
    static trap_stub_spurious: u64;
}

#[repr(C, align(16))]
#[derive(Clone, Copy)]
struct Gate([u64; 2]);

static mut IDT: [Gate; 256] = [Gate([0; 2]); 256];

/// Interrupt gate (type 0xE): IF is cleared on entry, so the kernel always
/// runs with interrupts off except where it waits for one.
fn gate(handler: u64, dpl: u8, ist: u8) -> Gate {
    let low = (handler & 0xffff)
        | (u64::from(KERNEL_CS) << 16)
        | (u64::from(ist) << 32)
        | ((0x8e | (u64::from(dpl) << 5)) << 40)
        | (((handler >> 16) & 0xffff) << 48);
    Gate([low, handler >> 32])
}

pub fn init() {
    // SAFETY: single CPU, once at boot: nothing else uses the IDT yet; the
    // stub addresses come from the assembly above.
    unsafe {
        let idt = &mut *addr_of_mut!(IDT);
        // The exception stubs are evenly spaced (see the assembly): one gate
        // computed, the rest are that gate plus 16 n in the offset's low
        // 16 bits. A gate() per vector cost ~500 emulated instructions.
        let evenly_spaced = trap_stub_table[31] == trap_stub_table[0] + 31 * 16
            && (trap_stub_table[0] & 0xffff) + 31 * 16 <= 0xffff;
        if evenly_spaced {
            let Gate([low, high]) = gate(trap_stub_table[0], 0, 0);
            for (v, slot) in idt.iter_mut().take(32).enumerate() {
                *slot = Gate([low + 16 * v as u64, high]);
            }
        } else {
            for (v, &stub) in trap_stub_table.iter().enumerate() {
                idt[v] = gate(stub, 0, 0);
            }
        }
        idt[8] = gate(trap_stub_table[8], 0, DOUBLE_FAULT_IST);
        let irq = usize::from(lstar_abi::ports::IRQ_VECTOR_BASE);
        for (gsi, &stub) in trap_stub_irqs.iter().enumerate() {
            idt[irq + gsi] = gate(stub, 0, 0);
        }
        // DPL 3: `int $0x80` is allowed from user mode (the i386 ABI gate).
        idt[usize::from(INT80_VECTOR)] = gate(trap_stub_int80, 3, 0);
        idt[usize::from(TIMER_VECTOR)] = gate(trap_stub_timer, 0, 0);
        idt[usize::from(SPURIOUS_VECTOR)] = gate(trap_stub_spurious, 0, 0);
        let ptr = super::DescriptorPointer {
            limit: (core::mem::size_of_val(idt) - 1) as u16,
            base: idt.as_ptr() as u64,
        };
        asm!("lidt [{}]", in(reg) &ptr, options(nostack));
    }
}
