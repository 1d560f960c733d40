//! The register frame every entry into the kernel saves: exceptions,
//! interrupts, SYSCALL and int 0x80 share one layout (Linux's `pt_regs`
//! plus the vector), so one exit path serves them all.

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
    pub r10: u64,
    pub r9: u64,
    pub r8: u64,
    pub rax: u64,
    pub rcx: u64,
    pub rdx: u64,
    pub rsi: u64,
    pub rdi: u64,
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
}

/// Offsets used by the assembly in idt.rs and syscall/entry.rs.
pub const OFFSET_VECTOR: usize = 15 * 8;
pub const OFFSET_RIP: usize = 17 * 8;
pub const OFFSET_CS: usize = 18 * 8;
pub const OFFSET_RFLAGS: usize = 19 * 8;
pub const OFFSET_RSP: usize = 20 * 8;

const _: () = assert!(core::mem::offset_of!(PtRegs, vector) == OFFSET_VECTOR);
const _: () = assert!(core::mem::offset_of!(PtRegs, rip) == OFFSET_RIP);
const _: () = assert!(core::mem::offset_of!(PtRegs, cs) == OFFSET_CS);
const _: () = assert!(core::mem::offset_of!(PtRegs, rflags) == OFFSET_RFLAGS);
const _: () = assert!(core::mem::offset_of!(PtRegs, rsp) == OFFSET_RSP);
