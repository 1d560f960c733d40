//! The user's extended register state (AVX, AVX-512: ymm/zmm, opmask)
//! across preemption, saved and restored by the task itself in user mode.
//!
//! Why: the scheduler switches tasks with FXSAVE, which covers x87 and
//! SSE only, and XSAVE cannot run in this kernel's ring 0 on kvm-pvm (its
//! emulator lacks XSAVE, XRSTOR and XGETBV: a KVM internal error,
//! measured). There, user mode runs on the host CPU with the host's XCR0
//! (x87|SSE|AVX|AVX-512 measured, whatever the guest sets), so programs do
//! use those registers: glibc's static busybox picks AVX-512 string
//! functions, and a preempted one resumed with another task's registers
//! and crashed.
//!
//! A task that gives up the CPU in a system call needs none of it saved:
//! the ABI makes every vector register caller-saved across the libc call
//! around it, and FXSAVE keeps MXCSR and the x87 control word. A task
//! preempted at an arbitrary point (the tick, or a fault on the way) is
//! sent through a trampoline page mapped into every address space: it
//! runs XSAVE into its own slot of an area of its address space, then a
//! private system call lets the kernel switch; when it runs again the same
//! trampoline runs XRSTOR before the task resumes where it was. Two kernel
//! round trips per preemption, none per ordinary switch.
//!
//! Where the CPU has no XSAVE (QEMU's default CPU), nothing of this is
//! set up. On hardware KVM the kernel limits XCR0 to x87|SSE, so the
//! trampoline saves only what FXSAVE does; it stays correct everywhere.

use core::arch::global_asm;
use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use super::pt_regs::{PtRegs, VECTOR_SYSCALL};
use crate::mm::address_space::{
    AddressSpace, MMAP_BASE, PROT_EXEC, PROT_READ, PROT_WRITE, STACK_SIZE, STACK_TOP, VM_SPECIAL,
};
use crate::mm::{PAGE_SIZE, frame, paging};
use crate::task::current;

/// The trampoline page: between the stack's top and the end of user space.
pub const TRAMPOLINE_VA: u64 = STACK_TOP;
/// The save slots: the lower half of the gap between the mmap area and the
/// stack, where nothing else is placed; the upper half stays a guard, so
/// that a stack overflow faults instead of running into the slots.
const SLOTS_START: u64 = MMAP_BASE;
const SLOTS_END: u64 = MMAP_BASE + (STACK_TOP - STACK_SIZE - MMAP_BASE) / 2;
/// The trampoline's private system call numbers (far above Linux's).
pub const NR_XSTATE_SAVED: u64 = 0x4c53_5801;
pub const NR_XSTATE_RESTORED: u64 = 0x4c53_5802;

static ENABLED: AtomicBool = AtomicBool::new(false);
static SLOT_SIZE: AtomicU64 = AtomicU64::new(PAGE_SIZE);

global_asm!(
    r#"
    .section .rodata.lstar_trampoline, "a"
    .p2align 12
    .globl lstar_trampoline_page
lstar_trampoline_page:
lstar_tramp_save:
    mov $-1, %eax
    mov $-1, %edx
    xsave64 (%rdi)
    mov ${saved}, %eax
    syscall
lstar_tramp_save_end:
    ud2
lstar_tramp_restore:
    mov $-1, %eax
    mov $-1, %edx
    xrstor64 (%rdi)
    mov ${restored}, %eax
    syscall
lstar_tramp_restore_end:
    ud2
    .p2align 12
    .globl lstar_trampoline_offsets
lstar_trampoline_offsets:
    .quad lstar_tramp_save - lstar_trampoline_page
    .quad lstar_tramp_save_end - lstar_trampoline_page
    .quad lstar_tramp_restore - lstar_trampoline_page
    .quad lstar_tramp_restore_end - lstar_trampoline_page
    .text
"#,
    saved = const NR_XSTATE_SAVED,
    restored = const NR_XSTATE_RESTORED,
    options(att_syntax)
);

unsafe extern "C" {
    static lstar_trampoline_page: u8;
    static lstar_trampoline_offsets: [u64; 4];
}

fn offsets() -> [u64; 4] {
    // SAFETY: a constant table in .rodata, written by the assembler.
    unsafe { lstar_trampoline_offsets }
}

fn trampoline_frame() -> u64 {
    crate::mm::kernel_virt_to_phys(core::ptr::addr_of!(lstar_trampoline_page) as u64)
}

/// At boot: with XSAVE, CR4.OSXSAVE on and XCR0 = x87 | SSE (what the
/// kernel itself switches), and the bounce enabled.
pub fn init() {
    const CPUID1_ECX_XSAVE: u32 = 1 << 26;
    const CR4_OSXSAVE: u64 = 1 << 18;
    if core::arch::x86_64::__cpuid(1).ecx & CPUID1_ECX_XSAVE == 0 {
        return;
    }
    // SAFETY: the CPU has XSAVE (checked), so CR4.OSXSAVE and XSETBV exist;
    // XCR0 = x87 | SSE is always valid; the kernel uses no extended state.
    unsafe {
        core::arch::asm!(
            "mov {t}, cr4", "or {t}, {osxsave}", "mov cr4, {t}",
            "xor ecx, ecx", "xsetbv",
            t = out(reg) _,
            osxsave = in(reg) CR4_OSXSAVE,
            in("eax") 3u32,
            in("edx") 0u32,
            out("ecx") _,
            options(nostack)
        );
    }
    // The largest area any enabled feature set needs (leaf 0xD, ECX).
    let max = u64::from(core::arch::x86_64::__cpuid_count(0xd, 0).ecx).max(576);
    SLOT_SIZE.store(max.div_ceil(PAGE_SIZE) * PAGE_SIZE, Ordering::Relaxed);
    // The page is the kernel image's: mappings take references on it,
    // and this one keeps it from ever reaching the free list.
    frame::get(trampoline_frame());
    ENABLED.store(true, Ordering::Relaxed);
}

/// Maps the trampoline and reserves the slots in a new address space.
pub fn map_into(mm: &mut AddressSpace) -> Result<(), paging::OutOfMemory> {
    if !ENABLED.load(Ordering::Relaxed) {
        return Ok(());
    }
    let frame = trampoline_frame();
    frame::get(frame);
    if let Err(e) = mm.map_frame(TRAMPOLINE_VA, frame, PROT_READ | PROT_EXEC) {
        frame::put(frame);
        return Err(e);
    }
    // Kernel areas: a program's mapping next to them stays its own.
    mm.add_vma_flags(
        TRAMPOLINE_VA,
        TRAMPOLINE_VA + PAGE_SIZE,
        PROT_READ | PROT_EXEC,
        VM_SPECIAL,
    );
    mm.add_vma_flags(SLOTS_START, SLOTS_END, PROT_READ | PROT_WRITE, VM_SPECIAL);
    Ok(())
}

/// This task's save slot (64-byte aligned, as XSAVE wants; pages come on
/// first use, like any anonymous memory).
fn slot_of(tid: u32) -> u64 {
    let size = SLOT_SIZE.load(Ordering::Relaxed);
    let slots = (SLOTS_END - SLOTS_START) / size;
    SLOTS_START + (u64::from(tid) % slots) * size
}

fn is_syscall_frame(regs: &PtRegs) -> bool {
    regs.vector == VECTOR_SYSCALL || regs.vector == 0x80
}

/// On the way back to user mode with a switch due: a task interrupted at
/// an arbitrary point goes through the save trampoline first (true: the
/// frame now returns there). The private system call then switches.
pub fn save_before_switch(regs: &mut PtRegs) -> bool {
    if !ENABLED.load(Ordering::Relaxed) || is_syscall_frame(regs) || !regs.came_from_user() {
        return false;
    }
    let t = current();
    if t.xstate_regs.is_some() {
        return false;
    }
    t.xstate_regs = Some(*regs);
    regs.rip = TRAMPOLINE_VA + offsets()[0];
    regs.rdi = slot_of(t.pid);
    true
}

/// Whether `restore_before_return` would act.
#[inline(always)]
pub fn restore_pending() -> bool {
    let t = current();
    t.xstate_saved && t.xstate_regs.is_none()
}

/// On the way back to user mode of a task whose state is in its slot:
/// through the restore trampoline first (true: the frame returns there).
pub fn restore_before_return(regs: &mut PtRegs) -> bool {
    if !restore_pending() {
        return false;
    }
    let t = current();
    t.xstate_regs = Some(*regs);
    regs.rip = TRAMPOLINE_VA + offsets()[2];
    regs.rdi = slot_of(t.pid);
    true
}

/// The trampoline's system calls (do_syscall_64 routes them here): the
/// saved frame comes back; after a save the task yields the CPU. A call
/// that does not come from the trampoline, as it left it, is ENOSYS.
/// Returns false when `nr` is not one of them.
pub fn trampoline_syscall(regs: &mut PtRegs, nr: u64) -> bool {
    let (end, saved) = match nr {
        NR_XSTATE_SAVED => (offsets()[1], true),
        NR_XSTATE_RESTORED => (offsets()[3], false),
        _ => return false,
    };
    let t = current();
    let genuine = ENABLED.load(Ordering::Relaxed)
        && regs.rip == TRAMPOLINE_VA + end
        && t.xstate_regs.is_some()
        && t.xstate_saved != saved;
    let Some(frame) = t.xstate_regs.take().filter(|_| genuine) else {
        regs.rax = crate::errno::to_rax(Err(crate::errno::ENOSYS));
        return true;
    };
    *regs = frame;
    t.xstate_saved = saved;
    crate::entry_common::exit_work_may_be_pending();
    if saved {
        crate::kernel::sched::yield_now();
    }
    true
}
