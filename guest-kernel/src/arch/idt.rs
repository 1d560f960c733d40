//! The IDT and the assembly that saves and restores a [`PtRegs`] frame.
//!
//! Every gate funnels into `trap_common` -> [`crate::arch::traps::do_trap`]
//! -> `ret_from_trap`, the way back to the interrupted context, except the
//! system calls: the `int $0x80` gate's own entry and, under kvm-pvm, the
//! #GP/#PF of a SYSCALL, which the two stubs send to
//! `entry_syscall_64_fault` (syscall/entry.rs); those return through
//! `ret_to_user`.

use core::arch::{asm, global_asm};
use core::ptr::addr_of_mut;

use super::gdt::{DOUBLE_FAULT_IST, KERNEL_CS};
use super::pt_regs::{OFFSET_CS, pop_regs, push_regs};

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
    .p2align 5
trap_stub_\n:
    .if (\n == 8) | (\n == 10) | (\n == 11) | (\n == 12) | (\n == 13) | (\n == 14) | (\n == 17) | (\n == 21) | (\n == 29) | (\n == 30)
    .else
    push $0
    .endif
    push $\n
    .if \n == 6
    jmp invalid_op_common           /* kvm-pvm's int $0x80 (traps.rs) */
    .elseif (\n == 13) | (\n == 14)
    /* kvm-pvm delivers SYSCALL as a #GP or #PF at entry_syscall_64
       (traps.rs): recognised here, before anything else, because every
       instruction on this path is emulated. [rsp+16] is the faulting RIP;
       kernel text is in the top 2 GiB, so its address is an imm32. */
    cmpq $entry_syscall_64, 16(%rsp)
    je entry_syscall_64_fault
    jmp trap_common
    .else
    jmp trap_common
    .endif
    .endm

    .text
    /* 32 stubs of 32 bytes in one 1024-byte block: stub n is at
       trap_stub_0 + 32 n, with no carry into bit 16 (idt::init uses that). */
    .p2align 10
    .irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    TRAP_STUB \n
    .endr
    /* IOAPIC GSIs 0..15 arrive at vectors 32..47 (IRQ_VECTOR_BASE + gsi). */
    .irp n, 32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47
    TRAP_STUB \n
    .endr
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
    /* The int $0x80 gate has its own entry (syscall/entry.rs). */
trap_stub_int80: .quad entry_int80
trap_stub_timer: .quad trap_stub_236
trap_stub_spurious: .quad trap_stub_255

    .text
    .globl trap_common, ret_from_trap, ret_to_user
    /* #UD: trap_common with its own handler, which looks for int $0x80
       before anything else (kvm-pvm raises #UD for it). */
invalid_op_common:
    testb $3, 24(%rsp)
    jz 1f
    swapgs                          /* from user: GS base := per-CPU area */
1:
"#,
    push_regs!(),
    r#"
    cld
    mov %rsp, %rdi
    call do_invalid_op
    jmp ret_from_trap

trap_common:
    /* [rsp] vector, [rsp+8] error code, [rsp+16] rip, [rsp+24] cs */
    testb $3, 24(%rsp)
    jz 1f
    swapgs                          /* from user: GS base := per-CPU area */
1:
"#,
    push_regs!(),
    r#"
    cld
    mov %rsp, %rdi
    call do_trap
ret_from_trap:
"#,
    pop_regs!(),
    r#"
    testb $3, {cs_from_vector}(%rsp)
    jz 2f
    swapgs                          /* back to user: GS base := user's */
2:
    add $16, %rsp                   /* vector and error code */
    iretq

    /* ret_from_trap for a frame known to return to user mode (the system
       call entries): no test of CS. */
ret_to_user:
"#,
    pop_regs!(),
    r#"
    swapgs                          /* GS base := user's */
    add $16, %rsp                   /* vector and error code */
    iretq
"#,
    cs_from_vector = const OFFSET_CS - super::pt_regs::OFFSET_VECTOR,
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
        // computed, the rest are that gate plus 32 n in the offset's low
        // 16 bits. A gate() per vector cost ~500 emulated instructions.
        let evenly_spaced = trap_stub_table[31] == trap_stub_table[0] + 31 * 32
            && (trap_stub_table[0] & 0xffff) + 31 * 32 <= 0xffff;
        if evenly_spaced {
            let Gate([low, high]) = gate(trap_stub_table[0], 0, 0);
            for (v, slot) in idt.iter_mut().take(32).enumerate() {
                *slot = Gate([low + 32 * v as u64, high]);
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
