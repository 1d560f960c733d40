//! The register frame every entry into the kernel saves: exceptions,
//! interrupts, SYSCALL and int 0x80 share one layout (Linux's `pt_regs`
//! plus the vector), so one exit path serves them all.
//!
//! The field order is Linux's except for the argument registers: rdi, rsi,
//! rdx, r10, r8, r9 are six consecutive words in the x86-64 argument order,
//! so a system call's arguments are a `&[u64; 6]` into the frame
//! ([`PtRegs::syscall_args`]) instead of six loads and six stores per call.

/// `vector` value of a frame built by `entry_syscall_64`.
pub const VECTOR_SYSCALL: u64 = 0x100;

#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct PtRegs {
    pub r15: u64,
    pub r14: u64,
    pub r13: u64,
    pub r12: u64,
    pub rbp: u64,
    pub rbx: u64,
    pub r11: u64,
    pub rcx: u64,
    pub rax: u64,
    pub rdi: u64,
    pub rsi: u64,
    pub rdx: u64,
    pub r10: u64,
    pub r8: u64,
    pub r9: u64,
    /// Exception/interrupt vector, or [`VECTOR_SYSCALL`]; 0x80 for every
    /// `int $0x80` (the gate and its #UD form alike). With `error_code`,
    /// this is how kernel/signal.rs knows a frame is a system call's.
    pub vector: u64,
    /// The CPU's error code for exceptions; `orig_rax` for system calls,
    /// u64::MAX once the call may no longer be restarted (Linux's -1).
    pub error_code: u64,
    // The hardware interrupt frame.
    pub rip: u64,
    pub cs: u64,
    pub rflags: u64,
    pub rsp: u64,
    pub ss: u64,
}

impl PtRegs {
    pub fn came_from_user(&self) -> bool {
        self.cs & 3 == 3
    }

    /// The x86-64 system call arguments (rdi, rsi, rdx, r10, r8, r9), in
    /// place.
    #[inline(always)]
    pub fn syscall_args(&self) -> &[u64; 6] {
        // SAFETY: `PtRegs` is repr(C) and the six registers are consecutive
        // u64 fields in this order (asserted below); the pointer is derived
        // from the whole frame, and the borrow is tied to `self`.
        unsafe {
            &*(self as *const Self)
                .cast::<u8>()
                .add(OFFSET_ARGS)
                .cast::<[u64; 6]>()
        }
    }
}

/// Offsets used by the assembly in idt.rs and syscall/entry.rs.
pub const OFFSET_R11: usize = 6 * 8;
pub const OFFSET_RCX: usize = 7 * 8;
pub const OFFSET_ARGS: usize = 9 * 8;
pub const OFFSET_VECTOR: usize = 15 * 8;
pub const OFFSET_RIP: usize = 17 * 8;
pub const OFFSET_CS: usize = 18 * 8;
pub const OFFSET_RFLAGS: usize = 19 * 8;
pub const OFFSET_RSP: usize = 20 * 8;

const _: () = assert!(core::mem::offset_of!(PtRegs, r11) == OFFSET_R11);
const _: () = assert!(core::mem::offset_of!(PtRegs, rcx) == OFFSET_RCX);
const _: () = assert!(core::mem::offset_of!(PtRegs, error_code) == OFFSET_VECTOR + 8);
const _: () = assert!(core::mem::offset_of!(PtRegs, rdi) == OFFSET_ARGS);
const _: () = assert!(core::mem::offset_of!(PtRegs, rsi) == OFFSET_ARGS + 8);
const _: () = assert!(core::mem::offset_of!(PtRegs, rdx) == OFFSET_ARGS + 16);
const _: () = assert!(core::mem::offset_of!(PtRegs, r10) == OFFSET_ARGS + 24);
const _: () = assert!(core::mem::offset_of!(PtRegs, r8) == OFFSET_ARGS + 32);
const _: () = assert!(core::mem::offset_of!(PtRegs, r9) == OFFSET_ARGS + 40);
const _: () = assert!(core::mem::offset_of!(PtRegs, vector) == OFFSET_VECTOR);
const _: () = assert!(core::mem::offset_of!(PtRegs, rip) == OFFSET_RIP);
const _: () = assert!(core::mem::offset_of!(PtRegs, cs) == OFFSET_CS);
const _: () = assert!(core::mem::offset_of!(PtRegs, rflags) == OFFSET_RFLAGS);
const _: () = assert!(core::mem::offset_of!(PtRegs, rsp) == OFFSET_RSP);

/// AT&T assembly that pushes the general registers of a frame (the part
/// below `vector`), for `concat!` into the entry code: idt.rs and
/// syscall/entry.rs. The last push is the lowest field.
macro_rules! push_regs {
    () => {
        "push %r9\n push %r8\n push %r10\n push %rdx\n push %rsi\n push %rdi\n \
         push %rax\n push %rcx\n push %r11\n push %rbx\n push %rbp\n \
         push %r12\n push %r13\n push %r14\n push %r15\n"
    };
}
pub(crate) use push_regs;

/// The inverse of [`push_regs`]: RSP ends at `vector`.
macro_rules! pop_regs {
    () => {
        "pop %r15\n pop %r14\n pop %r13\n pop %r12\n pop %rbp\n pop %rbx\n \
         pop %r11\n pop %rcx\n pop %rax\n \
         pop %rdi\n pop %rsi\n pop %rdx\n pop %r10\n pop %r8\n pop %r9\n"
    };
}
pub(crate) use pop_regs;
