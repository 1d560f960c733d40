//! The system call dispatcher, shared by every entry:
//! - `entry_syscall_64` (SYSCALL, fast path) and `entry_syscall_64_fault`
//!   (the same SYSCALL arriving as a #GP or #PF under kvm-pvm) ->
//!   [`do_syscall_64`];
//! - `int $0x80` (the IDT gate, `entry_int80`) and #UD on `cd 80` (kvm-pvm)
//!   -> [`do_int80_syscall_32`].
//!
//! All of them index a table by number, count the call in the stats area,
//! and leave through `entry_common`'s exit work, which they run themselves.
//!
//! The common case (a number in the table, no tracer, no debug log, the
//! call succeeds) is straight-line code and every instruction of it is
//! emulated under kvm-pvm: the arguments are read in place from the frame
//! ([`PtRegs::syscall_args`]), the result comes back in registers
//! (`SysResult` is a scalar pair, see errno.rs), tracing and the debug log
//! cost one test of one word before the call (`stats::syscall_hooks`) and
//! one after it (a tracer may attach while a call blocks), and the exit work
//! leaves out the restart test a successful call cannot need. Everything
//! else is out of line: [`finish_slow`] (failures, a tracer, the calls
//! served with the frame) and the `slow_*` dispatchers (hooks on at entry,
//! numbers outside the table).

pub mod entry;
pub mod table;

use lstar_abi::stats::Entry;

use crate::arch::pt_regs::PtRegs;
use crate::errno::{ENOSYS, SysResult, to_rax};

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

fn lookup(table: &[Option<SyscallFn>], nr: u64) -> Option<SyscallFn> {
    usize::try_from(nr)
        .ok()
        .and_then(|n| table.get(n))
        .copied()
        .flatten()
}

/// Runs one call with every hook: the no-return record, the debug log,
/// the counters, the trace record. Returns RAX.
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
    account(entry, nr, args, result)
}

/// What follows a call on the slow path: log, count, trace. Returns RAX.
fn account(entry: Entry, nr: u64, args: &Args, result: SysResult) -> u64 {
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

/// The i386 ABI's arguments: EBX ECX EDX ESI EDI EBP, 32 bits each.
fn int80_args(regs: &PtRegs) -> Args {
    let m = 0xffff_ffff;
    [
        regs.rbx & m,
        regs.rcx & m,
        regs.rdx & m,
        regs.rsi & m,
        regs.rdi & m,
        regs.rbp & m,
    ]
}

/// The arguments as the frame holds them now.
fn frame_args(entry: Entry, regs: &PtRegs) -> Args {
    match entry {
        Entry::Syscall64 => *regs.syscall_args(),
        Entry::Int80 => int80_args(regs),
    }
}

/// The entry's RAX for a value `to_rax` gave: the i386 ABI returns 32
/// bits in EAX, sign-extended as Linux does.
#[inline(always)]
fn set_rax(entry: Entry, regs: &mut PtRegs, rax: u64) {
    regs.rax = match entry {
        Entry::Syscall64 => rax,
        Entry::Int80 => rax as u32 as i32 as i64 as u64,
    };
}

/// The end of a call the fast path made: a success is stored, counted
/// (and traced, if a tracer attached while it ran) and followed by the
/// short exit-work test; a failure goes to [`finish_slow`].
#[inline(always)]
fn finish(entry: Entry, nr: u64, result: SysResult, regs: &mut PtRegs) {
    match result {
        Ok(value) => {
            set_rax(entry, regs, value);
            // `nr` indexed the table, so it is below the table's length.
            if crate::stats::count_syscall_fast(entry, nr as usize) {
                trace_late(entry, nr, regs, value);
            }
            crate::stats::count_task_syscall(crate::task::current());
            crate::entry_common::syscall_exit_to_user_mode(regs);
        }
        Err(_) => finish_slow(entry, nr, result, regs),
    }
}

/// The record of a call that succeeded on the fast path while a tracer
/// attached. The arguments are the frame's (what the call left there).
#[cold]
#[inline(never)]
fn trace_late(entry: Entry, nr: u64, regs: &PtRegs, rax: u64) {
    crate::stats::trace(entry as u32, nr, &frame_args(entry, regs), rax);
}

/// A call the fast path made failed. The x86-64 calls that need the frame
/// (rt_sigreturn, sigaltstack: `signal::syscall_with_regs`) are in the
/// table as an entry that fails with ENOSYS and does nothing else, so that
/// the fast path has no test for them: they are served here, with the
/// frame. The arguments are the frame's (what the call left there).
#[cold]
#[inline(never)]
fn finish_slow(entry: Entry, nr: u64, mut result: SysResult, regs: &mut PtRegs) {
    let args = frame_args(entry, regs);
    if entry == Entry::Syscall64
        && result == Err(ENOSYS)
        && let Some(f) = crate::kernel::signal::syscall_with_regs(nr)
    {
        result = f(regs, &args);
    }
    let rax = account(entry, nr, &args, result);
    set_rax(entry, regs, rax);
    crate::entry_common::exit_to_user_mode(regs);
}

/// The x86-64 ABI, for both ways in (the SYSCALL entry and its kvm-pvm
/// fault form): the frame is built, `error_code` is orig_rax, RIP and
/// RFLAGS are the user's. Runs the call and the exit work; the caller
/// returns to user mode with SYSRETQ when the frame allows, else IRETQ.
#[unsafe(no_mangle)]
extern "C" fn do_syscall_64(regs: &mut PtRegs) {
    let nr = regs.error_code;
    match table::SYS_CALL_TABLE.get(nr as usize) {
        Some(&Some(call)) if !crate::stats::syscall_hooks() => {
            let result = call(regs.syscall_args());
            finish(Entry::Syscall64, nr, result, regs);
        }
        _ => slow_syscall_64(regs),
    }
}

/// Hooks on at entry, or a number the table has no call for (the xstate
/// trampoline's calls, ENOSYS).
#[cold]
#[inline(never)]
fn slow_syscall_64(regs: &mut PtRegs) {
    let nr = regs.error_code;
    if !crate::arch::xstate::trampoline_syscall(regs, nr) {
        let args = *regs.syscall_args();
        // rt_sigreturn and sigaltstack read or rewrite the user's registers.
        let rax = match crate::kernel::signal::syscall_with_regs(nr) {
            Some(f) => invoke_with(Entry::Syscall64, nr, &args, |args| f(regs, args)),
            None => invoke_with(Entry::Syscall64, nr, &args, |args| {
                lookup(&table::SYS_CALL_TABLE, nr).map_or(Err(ENOSYS), |f| f(args))
            }),
        };
        regs.rax = rax;
    }
    crate::entry_common::exit_to_user_mode(regs);
}

/// The i386 ABI: number in EAX, arguments in EBX ECX EDX ESI EDI EBP,
/// 32 bits each, as Linux's `do_int80_syscall_32`. Called by the gate's
/// entry (`entry_int80`) and for #UD on `cd 80` (traps.rs, with RIP past
/// the instruction); runs the exit work.
#[unsafe(no_mangle)]
pub extern "C" fn do_int80_syscall_32(regs: &mut PtRegs) {
    let nr = regs.rax & 0xffff_ffff;
    regs.error_code = nr;
    // The gate and its #UD form alike: a system call frame, for the
    // restart logic of kernel/signal.rs.
    regs.vector = u64::from(crate::arch::idt::INT80_VECTOR);
    let args = int80_args(regs);
    match table::IA32_SYS_CALL_TABLE.get(nr as usize) {
        Some(&Some(call)) if !crate::stats::syscall_hooks() => {
            let result = call(&args);
            finish(Entry::Int80, nr, result, regs);
        }
        _ => {
            let rax = invoke_with(Entry::Int80, nr, &args, |args| {
                lookup(&table::IA32_SYS_CALL_TABLE, nr).map_or(Err(ENOSYS), |f| f(args))
            });
            set_rax(Entry::Int80, regs, rax);
            crate::entry_common::exit_to_user_mode(regs);
        }
    }
}
