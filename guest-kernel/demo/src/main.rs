//! The program `lstar run` runs when given none: a static x86-64 Linux ELF
//! with no libc, showing both system call gates of the guest kernel.
//! It shares the guest workspace's target and flags (static relocation,
//! the kernel code model): linked at 0x400000, every address fits the
//! sign-extended 32-bit form that code model uses.
#![no_std]
#![no_main]

use core::arch::{asm, global_asm};

const SYS_WRITE: u64 = 1; // x86-64 table
const SYS_EXIT_GROUP: u64 = 231;
const I386_WRITE: u64 = 4; // i386 table, through int 0x80

fn write_syscall(fd: u64, buf: &[u8]) -> i64 {
    let ret: i64;
    // SAFETY: write(2) only reads `buf`, which is valid for its length;
    // SYSCALL clobbers RCX and R11, declared here.
    unsafe {
        asm!("syscall", inlateout("rax") SYS_WRITE as i64 => ret,
             in("rdi") fd, in("rsi") buf.as_ptr(), in("rdx") buf.len(),
             lateout("rcx") _, lateout("r11") _, options(nostack));
    }
    ret
}

fn write_int80(fd: u64, buf: &[u8]) -> i64 {
    let ret: i64;
    // SAFETY: the i386 write(2) reads `buf`; its address must fit in 32 bits,
    // which holds for this program's static data (linked at 0x400000).
    unsafe {
        // RBX belongs to LLVM: swap the argument in and out around the gate.
        asm!("xchg {fd}, rbx", "int 0x80", "xchg {fd}, rbx",
             fd = inout(reg) fd => _,
             inlateout("rax") I386_WRITE as i64 => ret,
             in("rcx") buf.as_ptr(), in("rdx") buf.len(),
             options(nostack));
    }
    ret
}

fn exit_group(code: u64) -> ! {
    // SAFETY: exit_group does not return.
    unsafe {
        asm!("syscall", in("rax") SYS_EXIT_GROUP, in("rdi") code, options(noreturn, nostack));
    }
}

static BANNER: &[u8] = b"Hello from ring 3 of the lstar guest kernel.\n";
static VIA_SYSCALL: &[u8] =
    b"  this line came through SYSCALL -> MSR_LSTAR -> sys_call_table[1] (write)\n";
static VIA_INT80: &[u8] = b"  this line came through int $0x80 -> ia32_sys_call_table[4] (write)\n";

#[unsafe(no_mangle)]
extern "C" fn demo_main(sp: *const u64) -> ! {
    write_syscall(1, BANNER);
    let ok = write_syscall(1, VIA_SYSCALL) > 0 && write_int80(1, VIA_INT80) > 0;
    // SAFETY: the kernel built the initial stack: argc, then argc pointers.
    let argc = unsafe { *sp };
    for i in 1..argc {
        // SAFETY: argv[i] for i < argc is a NUL-terminated string.
        let arg = unsafe { *sp.add(1 + i as usize) } as *const u8;
        let mut len = 0;
        // SAFETY: scanning the NUL-terminated string built by the kernel.
        while unsafe { *arg.add(len) } != 0 {
            len += 1;
        }
        write_syscall(1, b"  argument: ");
        // SAFETY: `len` bytes before the NUL are readable.
        write_syscall(1, unsafe { core::slice::from_raw_parts(arg, len) });
        write_syscall(1, b"\n");
    }
    exit_group(if ok { 0 } else { 1 })
}

// The entry point receives the initial stack pointer (argc, argv, envp, auxv).
global_asm!(
    ".globl _start",
    "_start:",
    "mov rdi, rsp",
    "and rsp, -16",
    "call demo_main",
    "ud2",
);

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    exit_group(101)
}
