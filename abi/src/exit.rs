//! Values the guest writes to [`crate::ports::EXIT_PORT`].

/// Values 0..=255 are the program's exit status, already in shell form
/// (`128 + signal` when the kernel killed it).
pub const MAX_PROGRAM_STATUS: u32 = 255;
/// The guest kernel panicked (the message is on COM2).
///
/// Above 255 so no program status collides, and chosen so that QEMU, which
/// can only report 7 bits of it (`(V << 1) | 1` in an 8-bit exit status),
/// reports the same 125 that lstar exits with (0x17d & 0x7f = 125).
pub const KERNEL_PANIC: u32 = 0x17d;
/// The guest kernel could not start the program (bad ELF, out of memory);
/// the reason is on COM2. Under QEMU: 126, as lstar (0x17e & 0x7f).
pub const EXEC_FAILED: u32 = 0x17e;

/// Signal numbers the kernel uses when it kills a program (Linux x86-64).
pub mod signal {
    pub const SIGILL: u32 = 4;
    pub const SIGTRAP: u32 = 5;
    pub const SIGBUS: u32 = 7;
    pub const SIGFPE: u32 = 8;
    pub const SIGKILL: u32 = 9;
    pub const SIGSEGV: u32 = 11;
}
