//! The x86-64 signal frame as Linux lays it out on the user stack
//! (arch/x86/include/asm/sigframe.h, uapi/asm/sigcontext.h, ucontext.h):
//!
//! ```text
//! rsp at handler entry -> pretcode          (the restorer: `ret` pops it)
//!                         ucontext          uc_flags, uc_link, uc_stack,
//!                                           sigcontext, uc_sigmask
//!                         siginfo           128 bytes
//!              ...        (padding)
//! sigcontext.fpstate ->   fxsave image      512 bytes, 64-byte aligned
//! ```
//!
//! Every field is a whole u64 here (the four 16-bit selectors share one,
//! stack_t's int flags and padding another), so the frame is plain data
//! and moves to and from user memory with one checked copy.

use super::pt_regs::PtRegs;
use crate::uaccess::Pod;

/// uc_flags: the sigcontext's ss is meaningful and is restored strictly
/// (Linux sets both on x86-64; UC_FP_XSTATE only with XSAVE, which the
/// guest does not enable).
pub const UC_SIGCONTEXT_SS: u64 = 0x2;
pub const UC_STRICT_RESTORE_SS: u64 = 0x4;

/// `struct sigcontext` (64-bit), 256 bytes.
#[repr(C)]
#[derive(Clone, Copy, Default)]
pub struct SigContext {
    pub r8: u64,
    pub r9: u64,
    pub r10: u64,
    pub r11: u64,
    pub r12: u64,
    pub r13: u64,
    pub r14: u64,
    pub r15: u64,
    pub rdi: u64,
    pub rsi: u64,
    pub rbp: u64,
    pub rbx: u64,
    pub rdx: u64,
    pub rax: u64,
    pub rcx: u64,
    pub rsp: u64,
    pub rip: u64,
    pub eflags: u64,
    /// cs, gs, fs, ss: 16 bits each, in that order.
    pub selectors: u64,
    pub err: u64,
    pub trapno: u64,
    pub oldmask: u64,
    pub cr2: u64,
    /// User address of the fxsave image, 0 for none.
    pub fpstate: u64,
    pub reserved1: [u64; 8],
}

/// `struct rt_sigframe` (64-bit): pretcode, `struct ucontext`, siginfo.
#[repr(C)]
#[derive(Clone, Copy, Default)]
pub struct RtSigframe {
    pub pretcode: u64,
    pub uc_flags: u64,
    pub uc_link: u64,
    /// uc_stack (`stack_t`): ss_sp, ss_flags (an int, then padding), ss_size.
    pub ss_sp: u64,
    pub ss_flags: u64,
    pub ss_size: u64,
    pub mcontext: SigContext,
    pub uc_sigmask: u64,
    pub info: [u64; 16],
}

/// Byte offsets user code depends on (musl's and glibc's ucontext_t).
pub const OFFSET_UC: u64 = 8;
pub const OFFSET_INFO: u64 = core::mem::offset_of!(RtSigframe, info) as u64;

const _: () = assert!(core::mem::size_of::<SigContext>() == 256);
const _: () = assert!(core::mem::offset_of!(RtSigframe, mcontext) == 8 + 40);
const _: () = assert!(core::mem::offset_of!(RtSigframe, uc_sigmask) == 8 + 296);
const _: () = assert!(OFFSET_INFO == 8 + 304);
const _: () = assert!(core::mem::size_of::<RtSigframe>() == 440);

// SAFETY: repr(C), only u64 fields and arrays of them: no padding, and
// every bit pattern is a valid value.
unsafe impl Pod for SigContext {}
// SAFETY: as above.
unsafe impl Pod for RtSigframe {}

/// The legacy FXSAVE area: x87, MXCSR and the 16 XMM registers.
#[repr(C, align(64))]
#[derive(Clone, Copy)]
pub struct FxState(pub [u64; 64]);

impl Default for FxState {
    fn default() -> FxState {
        FxState([0; 64])
    }
}

// SAFETY: 512 bytes of u64, no padding (size is a multiple of the
// alignment), every bit pattern valid.
unsafe impl Pod for FxState {}

pub const FXSTATE_SIZE: u64 = 512;
/// MXCSR is at byte 24, MXCSR_MASK at 28 of the FXSAVE image.
const MXCSR_WORD: usize = 3;
/// The MXCSR after FNINIT-like reset (all exceptions masked).
const MXCSR_DEFAULT: u64 = 0x1f80;
/// The mask the CPU assumes when FXSAVE reports 0 (Intel SDM 11.6.6).
const MXCSR_MASK_DEFAULT: u32 = 0xffbf;

impl FxState {
    /// The user's x87/SSE registers, as they are now: the kernel is
    /// soft-float and never touches them, so they are still the user's.
    pub fn save() -> FxState {
        let mut fx = FxState::default();
        // SAFETY: fxsave64 writes the 512 bytes of `fx`, which is 64-byte
        // aligned (FXSAVE needs 16); CR4.OSFXSR is set at boot.
        unsafe {
            core::arch::asm!("fxsave64 [{}]", in(reg) fx.0.as_mut_ptr(), options(nostack, preserves_flags))
        };
        fx
    }

    pub fn mxcsr(&self) -> u32 {
        self.0[MXCSR_WORD] as u32
    }

    /// The x87 control word (bytes 0-1).
    pub fn fcw(&self) -> u16 {
        self.0[0] as u16
    }

    /// The x87 status word (bytes 2-3).
    pub fn fsw(&self) -> u16 {
        (self.0[0] >> 16) as u16
    }

    fn mxcsr_mask(&self) -> u32 {
        match (self.0[MXCSR_WORD] >> 32) as u32 {
            0 => MXCSR_MASK_DEFAULT,
            m => m,
        }
    }

    /// Loads this image into the registers; false (nothing loaded) when
    /// its MXCSR sets a reserved bit, which would make FXRSTOR raise #GP
    /// in the kernel. The CPU's mask comes from a fresh FXSAVE, not from
    /// the image, which the user wrote.
    pub fn restore(&self) -> bool {
        if self.mxcsr() & !FxState::save().mxcsr_mask() != 0 {
            return false;
        }
        self.load();
        true
    }

    /// FXRSTOR of an image whose MXCSR is known valid (checked by
    /// `restore`, or `init_state`'s default).
    pub fn load(&self) {
        // SAFETY: a 512-byte, 64-byte-aligned image whose MXCSR has no
        // reserved bit set (see above); no other field of the legacy area
        // can make FXRSTOR fault.
        unsafe {
            core::arch::asm!("fxrstor64 [{}]", in(reg) self.0.as_ptr(), options(nostack, readonly, preserves_flags))
        };
    }

    /// The state a new program starts with (Linux's fpu__clear_user_states
    /// when sigreturn's frame has no FPU image): x87 reset, SSE cleared.
    pub fn init_state() -> FxState {
        let mut fx = FxState::default();
        fx.0[0] = 0x037f; // FCW: all x87 exceptions masked, 64-bit precision
        fx.0[MXCSR_WORD] = MXCSR_DEFAULT;
        fx
    }
}

/// The sigcontext of the interrupted user state `regs`.
pub fn sigcontext_from(regs: &PtRegs) -> SigContext {
    SigContext {
        r8: regs.r8,
        r9: regs.r9,
        r10: regs.r10,
        r11: regs.r11,
        r12: regs.r12,
        r13: regs.r13,
        r14: regs.r14,
        r15: regs.r15,
        rdi: regs.rdi,
        rsi: regs.rsi,
        rbp: regs.rbp,
        rbx: regs.rbx,
        rdx: regs.rdx,
        rax: regs.rax,
        rcx: regs.rcx,
        rsp: regs.rsp,
        rip: regs.rip,
        eflags: regs.rflags,
        // gs and fs read 0, as in Linux: the bases live in MSRs.
        selectors: (regs.cs & 0xffff) | ((regs.ss & 0xffff) << 48),
        ..SigContext::default()
    }
}

/// RFLAGS bits sigreturn takes from the frame (Linux's FIX_EFLAGS: AC OF
/// DF TF SF ZF AF PF CF RF); IF, IOPL, NT and the rest stay the kernel's.
const FIX_EFLAGS: u64 = 0x0005_0dd5;

/// Restores `regs` from a sigcontext: every general register, rip, rsp
/// and the user-changeable flags. The selectors are not taken from the
/// frame: one 64-bit user code and data segment exist, and anything else
/// would fault in IRETQ, in the kernel.
pub fn restore_sigcontext(regs: &mut PtRegs, sc: &SigContext) {
    regs.r8 = sc.r8;
    regs.r9 = sc.r9;
    regs.r10 = sc.r10;
    regs.r11 = sc.r11;
    regs.r12 = sc.r12;
    regs.r13 = sc.r13;
    regs.r14 = sc.r14;
    regs.r15 = sc.r15;
    regs.rdi = sc.rdi;
    regs.rsi = sc.rsi;
    regs.rbp = sc.rbp;
    regs.rbx = sc.rbx;
    regs.rdx = sc.rdx;
    regs.rax = sc.rax;
    regs.rcx = sc.rcx;
    regs.rsp = sc.rsp;
    regs.rip = sc.rip;
    regs.rflags = (regs.rflags & !FIX_EFLAGS) | (sc.eflags & FIX_EFLAGS);
    regs.cs = u64::from(super::gdt::USER_CS);
    regs.ss = u64::from(super::gdt::USER_DS);
}

/// Whether `addr` is canonical (bits 63..47 all equal): IRETQ to a
/// non-canonical RIP raises #GP in ring 0.
pub fn is_canonical(addr: u64) -> bool {
    ((addr as i64) << 16 >> 16) as u64 == addr
}
