//! Faults: a user fault kills the program with a signal and a one-line
//! report; a kernel fault is a bug, reported with the nearest symbol.

use crate::arch::pt_regs::PtRegs;
use lstar_abi::exit::signal::SIGKILL;

pub fn read_cr2() -> u64 {
    let cr2: u64;
    // SAFETY: reading CR2 has no side effects.
    unsafe {
        core::arch::asm!("mov {}, cr2", out(reg) cr2, options(nomem, nostack, preserves_flags))
    };
    cr2
}

pub fn exception_name(vector: u64) -> &'static str {
    const NAMES: [&str; 22] = [
        "divide error",
        "debug",
        "NMI",
        "breakpoint",
        "overflow",
        "bound range",
        "invalid opcode",
        "device not available",
        "double fault",
        "coprocessor overrun",
        "invalid TSS",
        "segment not present",
        "stack fault",
        "general protection",
        "page fault",
        "reserved",
        "x87 floating point",
        "alignment check",
        "machine check",
        "SIMD floating point",
        "virtualization",
        "control protection",
    ];
    NAMES.get(vector as usize).copied().unwrap_or("exception")
}

/// The signal, si_code and si_addr Linux gives an exception in user mode
/// (arch/x86/kernel/traps.c).
fn signal_for(regs: &PtRegs) -> (u32, i32, u64) {
    use crate::kernel::signal::*;
    match regs.vector {
        0 => (SIGFPE, FPE_INTDIV, regs.rip),
        16 | 19 => (SIGFPE, fpu_exception_code(regs.vector), regs.rip),
        1 => (SIGTRAP, SI_KERNEL, 0),
        3 => (SIGTRAP, SI_KERNEL, 0),
        6 if is_int_imm8(regs.rip) => (SIGSEGV, SI_KERNEL, 0),
        6 => (SIGILL, ILL_ILLOPN, regs.rip),
        11 | 12 => (SIGBUS, SI_KERNEL, 0),
        17 => (SIGBUS, BUS_ADRALN, 0),
        14 => {
            let cr2 = read_cr2();
            // ACCERR: the address is mapped, the access is not allowed.
            let mapped =
                regs.error_code & 1 != 0 || crate::task::current().mm.find_vma(cr2).is_some();
            (SIGSEGV, if mapped { SEGV_ACCERR } else { SEGV_MAPERR }, cr2)
        }
        _ => (SIGSEGV, SI_KERNEL, 0),
    }
}

/// Whether the user instruction at `rip` is `int $N` (CD ib). Through a
/// gate of DPL 0 hardware raises #GP, which Linux reports as SIGSEGV
/// (SI_KERNEL); kvm-pvm delivers the same instruction as #UD (measured:
/// `int $0x30` arrived as vector 6), so #UD on one is treated as that #GP.
/// The DPL-3 gates (int $0x80; int3 is CC, not CD) never fault here.
fn is_int_imm8(rip: u64) -> bool {
    crate::uaccess::get_user::<u8>(rip) == Ok(0xcd)
}

/// si_code of an x87 (#MF, vector 16) or SSE (#XM, 19) exception: the
/// first unmasked exception flag, in Linux's order (fpu__exception_code).
/// The user's FPU state is still in the registers (the kernel is
/// soft-float).
fn fpu_exception_code(vector: u64) -> i32 {
    // Through FXSAVE: kvm-pvm's emulator of ring-0 code has no STMXCSR or
    // FNSTSW (measured: an internal error), but it has FXSAVE.
    let fx = crate::arch::signal_frame::FxState::save();
    let pending = if vector == 19 {
        // Flags in bits 0-5, their masks in bits 7-12.
        fx.mxcsr() & !(fx.mxcsr() >> 7) & 0x3f
    } else {
        u32::from(fx.fsw() & !fx.fcw() & 0x3f)
    };
    const FPE_FLTDIV: i32 = 3;
    const FPE_FLTOVF: i32 = 4;
    const FPE_FLTUND: i32 = 5;
    const FPE_FLTRES: i32 = 6;
    const FPE_FLTINV: i32 = 7;
    if pending & 0x01 != 0 {
        FPE_FLTINV
    } else if pending & 0x04 != 0 {
        FPE_FLTDIV
    } else if pending & 0x08 != 0 {
        FPE_FLTOVF
    } else if pending & 0x12 != 0 {
        FPE_FLTUND
    } else if pending & 0x20 != 0 {
        FPE_FLTRES
    } else {
        0
    }
}

pub fn signal_name(sig: u32) -> &'static str {
    crate::kernel::signal::signal_name(sig)
}

/// A user exception: to the program's handler if it has one, else the
/// program is killed (report_kill).
pub fn user_fault(regs: &mut PtRegs) {
    let (sig, code, addr) = signal_for(regs);
    crate::kernel::signal::force_sig_fault(regs, sig, code, addr);
}

/// The one-line report of a program killed by a fault's signal.
pub fn report_kill(regs: &PtRegs, sig: u32) {
    let comm = core::str::from_utf8(&crate::task::current().comm).unwrap_or("?");
    if regs.vector == 14 {
        let cr2 = read_cr2();
        let access = if regs.error_code & 2 != 0 {
            "write to"
        } else if regs.error_code & 16 != 0 {
            "execute at"
        } else {
            "read from"
        };
        let why = if regs.error_code & 1 != 0 {
            "protection"
        } else {
            "not mapped"
        };
        crate::warn!(
            "{comm}: killed by {} ({access} {cr2:#x}, {why}) at rip {:#x}",
            signal_name(sig),
            regs.rip
        );
    } else {
        crate::warn!(
            "{comm}: killed by {} ({}, error code {:#x}) at rip {:#x}",
            signal_name(sig),
            exception_name(regs.vector),
            regs.error_code,
            regs.rip
        );
    }
}

/// No memory was left for a page the program may touch: Linux's OOM
/// killer ends it with SIGKILL (the program has nothing else to kill).
pub fn oom_kill(regs: &PtRegs, addr: u64) -> ! {
    let comm = core::str::from_utf8(&crate::task::current().comm).unwrap_or("?");
    crate::warn!(
        "{comm}: killed by SIGKILL (out of memory at a page fault on {addr:#x}) at rip {:#x}",
        regs.rip
    );
    crate::exit::exit_by_signal(SIGKILL)
}

pub fn kernel_fault(regs: &PtRegs) -> ! {
    let cr2 = read_cr2();
    crate::log::print(
        lstar_abi::cmdline::LogLevel::Warn,
        format_args!(
            "kernel {} (vector {}, error code {:#x}) at rip {:#x} {}, cr2 {:#x}, rsp {:#x}",
            exception_name(regs.vector),
            regs.vector,
            regs.error_code,
            regs.rip,
            crate::ksyms::Symbol(regs.rip),
            cr2,
            regs.rsp
        ),
    );
    crate::exit::power_off(lstar_abi::exit::KERNEL_PANIC)
}
