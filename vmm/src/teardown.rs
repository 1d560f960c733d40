//! Exiting without waiting for KVM to tear the VM down.
//!
//! Why: destroying a VM with an in-kernel irqchip waits for SRCU grace
//! periods (for each in-kernel device, and for the MMU notifier KVM hangs
//! on our address space): ~15 ms on kvm-pvm, several times the whole run.
//! That work happens in whichever process drops the last reference to the
//! VM's files and to our address space, normally us at exit, before our
//! caller sees the status.
//!
//! So just before exiting we start a helper process that shares our
//! address space (CLONE_VM) and holds a copy of our file table. We exit at
//! once; the helper waits until we are gone (EOF on a pipe whose write end
//! only we hold), then exits and pays for the teardown where nobody waits.
//! It closes its copies of stdin/stdout/stderr first, so a pipe reading
//! our output sees EOF as soon as we exit.

use std::io;

use crate::seccomp::{self, Role};

/// The helper needs a few hundred bytes of stack; it never returns into Rust.
const HELPER_STACK: usize = 16 * 1024;

/// What the helper gets: its pipe, and its seccomp filter (null when off).
struct HelperArgs {
    read_end: libc::c_int,
    write_end: libc::c_int,
    filter: *const libc::sock_fprog,
    /// The seccomp test hook names the helper: make a forbidden call.
    violate: bool,
}

/// Runs in the helper: only raw system calls, no allocation, no locks (it
/// shares memory with threads it knows nothing about).
extern "C" fn helper(arg: *mut libc::c_void) -> libc::c_int {
    // SAFETY: `arg` is the leaked HelperArgs of `hand_off`, never freed.
    let args = unsafe { &*arg.cast::<HelperArgs>() };
    let mut byte = 0u8;
    // SAFETY: raw system calls (not libc's wrappers, whose cancellation
    // bookkeeping lives in another thread's TLS) on descriptors of the
    // helper's own file table; `byte` is a one-byte buffer on its stack;
    // `filter` points at a leaked sock_fprog whose program is leaked too.
    // The process already has no_new_privs (the main thread's filter).
    unsafe {
        if !args.filter.is_null() {
            libc::syscall(
                libc::SYS_seccomp,
                libc::SECCOMP_SET_MODE_FILTER as libc::c_long,
                0 as libc::c_long,
                args.filter,
            );
            // Before stderr is closed, so that the report can be seen.
            if args.violate {
                libc::syscall(libc::SYS_getpgid, 0 as libc::c_long);
            }
        }
        for fd in [0, 1, 2, args.write_end] {
            libc::syscall(libc::SYS_close, libc::c_long::from(fd));
        }
        // Returns 0 (EOF) once the last write end, ours, is closed by exit.
        libc::syscall(
            libc::SYS_read,
            libc::c_long::from(args.read_end),
            &raw mut byte,
            1 as libc::c_long,
        );
        libc::syscall(libc::SYS_exit_group, 0 as libc::c_long);
    }
    0
}

/// The helper's filter, built (and leaked) here where allocating is fine.
fn helper_filter() -> io::Result<*const libc::sock_fprog> {
    if !seccomp::enabled() {
        return Ok(std::ptr::null());
    }
    let program = Role::Teardown.program().map_err(io::Error::other)?;
    let len = u16::try_from(program.len()).map_err(io::Error::other)?;
    let program: &'static [seccompiler::sock_filter] = Vec::leak(program);
    let fprog = Box::leak(Box::new(libc::sock_fprog {
        len,
        // seccompiler's sock_filter has the kernel's layout (repr(C)).
        filter: program.as_ptr().cast::<libc::sock_filter>().cast_mut(),
    }));
    Ok(fprog)
}

/// Starts the helper. Call it last, right before `process::exit`, while
/// the VM's file descriptors are still open. On failure nothing happened
/// and exiting is merely slower.
pub fn hand_off() -> io::Result<()> {
    let filter = helper_filter()?;
    let mut pipe = [0 as libc::c_int; 2];
    // SAFETY: pipe2 writes two descriptors into `pipe`.
    if unsafe { libc::pipe2(pipe.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(io::Error::last_os_error());
    }
    let [read_end, write_end] = pipe;
    // The stack and the arguments are leaked on purpose: the helper uses
    // them after we are gone, in the address space it keeps alive.
    let stack: &'static mut [u8] = Vec::leak(vec![0u8; HELPER_STACK]);
    let top = (stack.as_mut_ptr() as usize + stack.len()) & !0xf;
    let args: &'static mut HelperArgs = Box::leak(Box::new(HelperArgs {
        read_end,
        write_end,
        filter,
        violate: seccomp::test_violation(Role::Teardown),
    }));
    // SAFETY: `helper` runs on its own stack (`top`, 16-byte aligned, in
    // memory that is never freed) in our address space; it touches nothing
    // but its arguments and that stack and ends with _exit. Without
    // CLONE_FILES it gets a copy of our file table, so its close() calls do
    // not affect ours.
    let pid = unsafe {
        libc::clone(
            helper,
            top as *mut libc::c_void,
            libc::CLONE_VM | libc::SIGCHLD,
            (args as *mut HelperArgs).cast(),
        )
    };
    if pid < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}
