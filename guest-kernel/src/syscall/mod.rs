//! The system call dispatcher, shared by every entry:
//! - `entry_syscall_64` (SYSCALL, fast path) -> [`do_syscall_64`];
//! - a fault at `entry_syscall_64` (SYSCALL under kvm-pvm) -> `do_syscall_64_from_fault`;
//! - `int $0x80` (IDT gate) and #UD on `cd 80` (kvm-pvm) -> [`do_int80_syscall_32`].
//!
//! All of them index a table by number, count the call in the stats area,
//! and leave through `entry_common::exit_to_user_mode`.

pub mod entry;
pub mod table;

use lstar_abi::stats::Entry;

use crate::arch::gdt::{USER_CS, USER_DS};
use crate::arch::pt_regs::{PtRegs, VECTOR_SYSCALL};
use crate::errno::{ENOSYS, SysResult, to_rax};
use crate::mm::address_space::TASK_SIZE;

/// Arguments in the x86-64 order: rdi, rsi, rdx, r10, r8, r9.
pub type Args = [u64; 6];
pub type SyscallFn = fn(&Args) -> SysResult;

/// exit and exit_group in the entry's table: they never come back to be
/// traced, so their record is written before they run.
fn never_returns(entry: Entry, nr: u64) -> bool {
    use lstar_abi::syscall_nr::{nr as x64, nr_i386 as i386};
    match entry {
        Entry::Syscall64 => nr == x64::EXIT as u64 || nr == x64::EXIT_GROUP as u64,
        Entry::Int80 => nr == i386::EXIT as u64 || nr == i386::EXIT_GROUP as u64,
    }
}

fn invoke(entry: Entry, table: &[Option<SyscallFn>], nr: u64, args: &Args) -> u64 {
    let call = usize::try_from(nr)
        .ok()
        .and_then(|n| table.get(n))
        .copied()
        .flatten();
    invoke_with(entry, nr, args, |args| match call {
        Some(f) => f(args),
        None => Err(ENOSYS),
    })
}

/// Runs one call, counted and traced.
fn invoke_with(entry: Entry, nr: u64, args: &Args, call: impl FnOnce(&Args) -> SysResult) -> u64 {
    // Records are written when a call returns, so a tracer that attaches
    // during a blocking call still sees it; calls that never return are
    // recorded before they run.
    if crate::stats::tracing() && never_returns(entry, nr) {
        crate::stats::trace(
            entry as u32 | lstar_abi::stats::TRACE_NO_RETURN,
            nr,
            args,
            0,
        );
    }
    let result = call(args);
    if crate::log::enabled(lstar_abi::cmdline::LogLevel::Debug) {
        log_call(entry, nr, args, &result);
    }
    crate::stats::count_syscall(entry, nr, result.is_err());
    crate::stats::count_task_syscall(crate::task::current());
    let rax = to_rax(result);
    if crate::stats::tracing() {
        crate::stats::trace(entry as u32, nr, args, rax);
    }
    rax
}

fn log_call(entry: Entry, nr: u64, args: &Args, result: &SysResult) {
    let name = match entry {
        Entry::Syscall64 => lstar_abi::syscall_nr::name_64(nr),
        Entry::Int80 => lstar_abi::syscall_nr::name_i386(nr),
    };
    crate::debug!(
        "{}{}({:#x}, {:#x}, {:#x}, ...) = {:?}",
        if entry == Entry::Int80 { "int80 " } else { "" },
        name.unwrap_or("?"),
        args[0],
        args[1],
        args[2],
        result
    );
}

fn dispatch_64(regs: &mut PtRegs) {
    if crate::arch::xstate::trampoline_syscall(regs, regs.error_code) {
        return;
    }
    let args = [regs.rdi, regs.rsi, regs.rdx, regs.r10, regs.r8, regs.r9];
    let nr = regs.error_code;
    // rt_sigreturn and sigaltstack read or rewrite the user's registers.
    regs.rax = match crate::kernel::signal::syscall_with_regs(nr) {
        Some(f) => invoke_with(Entry::Syscall64, nr, &args, |args| f(regs, args)),
        None => invoke(Entry::Syscall64, &table::SYS_CALL_TABLE, nr, &args),
    };
}

/// Called by `entry_syscall_64`. Returns whether SYSRETQ may be used.
#[unsafe(no_mangle)]
extern "C" fn do_syscall_64(regs: &mut PtRegs) -> bool {
    dispatch_64(regs);
    crate::entry_common::exit_to_user_mode(regs);
    sysret_is_safe(regs)
}

/// SYSRETQ restores RIP from RCX and RFLAGS from R11 and can neither return
/// to a non-canonical RIP (Intel raises #GP in ring 0, on the user stack) nor
/// restore TF/RF cleanly; any such frame leaves through IRETQ. Nor can it
/// restore RCX and R11 when they differ from RIP and RFLAGS (after
/// rt_sigreturn).
fn sysret_is_safe(regs: &PtRegs) -> bool {
    const TF_RF: u64 = (1 << 8) | (1 << 16);
    regs.rip < TASK_SIZE
        && regs.rcx == regs.rip
        && regs.r11 == regs.rflags
        && regs.cs == u64::from(USER_CS)
        && regs.ss == u64::from(USER_DS)
        && regs.rflags & TF_RF == 0
}

/// User RFLAGS bits a system call preserves (CF PF AF ZF SF TF DF OF AC ID).
const USER_RFLAGS: u64 = 0x0025_0fd5;
const RFLAGS_IF_AND_RESERVED: u64 = 0x202;

/// kvm-pvm: SYSCALL faulted at `entry_syscall_64` in user mode (called by
/// `trap_common`, which checked that). RCX and R11 hold the user RIP and
/// RFLAGS as SYSCALL left them; rewrite the frame into the one the fast
/// path would have built, dispatch, and run the exit work. The return is
/// `ret_from_trap`'s IRETQ.
#[unsafe(no_mangle)]
extern "C" fn do_syscall_64_from_fault(regs: &mut PtRegs) {
    regs.vector = VECTOR_SYSCALL;
    regs.error_code = regs.rax;
    regs.rip = regs.rcx;
    regs.rflags = (regs.r11 & USER_RFLAGS) | RFLAGS_IF_AND_RESERVED;
    dispatch_64(regs);
    crate::entry_common::exit_to_user_mode(regs);
}

/// The i386 ABI: number in EAX, arguments in EBX ECX EDX ESI EDI EBP,
/// 32 bits each, as Linux's `do_int80_syscall_32`.
pub fn do_int80_syscall_32(regs: &mut PtRegs) {
    let nr = regs.rax & 0xffff_ffff;
    regs.error_code = nr;
    // The gate and its #UD form alike: a system call frame, for the
    // restart logic of kernel/signal.rs.
    regs.vector = u64::from(crate::arch::idt::INT80_VECTOR);
    let m = 0xffff_ffff;
    let args = [
        regs.rbx & m,
        regs.rcx & m,
        regs.rdx & m,
        regs.rsi & m,
        regs.rdi & m,
        regs.rbp & m,
    ];
    let ret = invoke(Entry::Int80, &table::IA32_SYS_CALL_TABLE, nr, &args);
    // The i386 ABI returns a 32-bit value in EAX, sign-extended as Linux does.
    regs.rax = ret as u32 as i32 as i64 as u64;
}
