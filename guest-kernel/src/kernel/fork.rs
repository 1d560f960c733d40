//! fork, vfork, clone and clone3 (Linux's kernel/fork.c, `copy_process`):
//! a new task with a copy-on-write copy of the address space (or the same
//! one: vfork's and threads' CLONE_VM), a copy of the descriptor table,
//! fs_struct and signal handlers (or the same ones, CLONE_FILES, CLONE_FS,
//! CLONE_SIGHAND), and its own kernel stack whose frame returns to user
//! mode with rax = 0. CLONE_THREAD puts it in the caller's thread group.

use crate::errno::{EAGAIN, EFAULT, EINVAL, ENOMEM, SysResult};
use crate::kernel::sched;
use crate::syscall::Args;
use crate::task::{self, NewTask, Pid, Shared, Task, TaskState, current};
use crate::uaccess::{copy_from_user, put_user};

const CSIGNAL: u64 = 0xff;
const CLONE_VM: u64 = 0x100;
const CLONE_FS: u64 = 0x200;
const CLONE_FILES: u64 = 0x400;
const CLONE_SIGHAND: u64 = 0x800;
const CLONE_PIDFD: u64 = 0x1000;
const CLONE_PTRACE: u64 = 0x2000;
const CLONE_VFORK: u64 = 0x4000;
const CLONE_PARENT: u64 = 0x8000;
const CLONE_THREAD: u64 = 0x1_0000;
const CLONE_SYSVSEM: u64 = 0x4_0000;
const CLONE_SETTLS: u64 = 0x8_0000;
const CLONE_PARENT_SETTID: u64 = 0x10_0000;
const CLONE_CHILD_CLEARTID: u64 = 0x20_0000;
const CLONE_DETACHED: u64 = 0x40_0000;
const CLONE_UNTRACED: u64 = 0x80_0000;
const CLONE_CHILD_SETTID: u64 = 0x100_0000;
/// Namespace and cgroup flags: a sandbox with one namespace of each.
const CLONE_NEW_ANY: u64 = 0x7e02_0000 | 0x0000_0080 | 0x2_0000_0000;

const SUPPORTED: u64 = CSIGNAL
    | CLONE_THREAD
    | CLONE_SIGHAND
    | CLONE_VM
    | CLONE_FS
    | CLONE_FILES
    | CLONE_VFORK
    | CLONE_PARENT
    | CLONE_SYSVSEM
    | CLONE_SETTLS
    | CLONE_PARENT_SETTID
    | CLONE_CHILD_CLEARTID
    | CLONE_DETACHED
    | CLONE_UNTRACED
    | CLONE_CHILD_SETTID
    | CLONE_PTRACE;

/// clone's arguments, as clone3's `struct clone_args` holds them.
#[derive(Default, Clone, Copy)]
pub struct CloneArgs {
    pub flags: u64,
    pub stack: u64,
    pub parent_tid: u64,
    pub child_tid: u64,
    pub tls: u64,
    pub exit_signal: u64,
}

/// At most this many tasks: each needs a 64 KiB kernel stack and page
/// tables, and a fork bomb must meet EAGAIN before the kernel meets an
/// allocation failure (Linux sizes max_threads from RAM the same way).
fn max_tasks() -> usize {
    let (ram_frames, _) = crate::mm::frame::usage();
    (ram_frames / 64).clamp(16, 32768) as usize
}

/// Frames kept back for the kernel itself when forking: below this, fork
/// answers ENOMEM instead of starting a task that cannot run.
const FORK_RESERVE_FRAMES: u64 = 256;

pub fn do_fork(args: CloneArgs) -> SysResult {
    let flags = args.flags;
    if flags & CLONE_NEW_ANY != 0 {
        return Err(EINVAL);
    }
    // Linux's rules: a thread shares the handlers, which needs a shared
    // address space.
    if (flags & CLONE_THREAD != 0 && flags & CLONE_SIGHAND == 0)
        || (flags & CLONE_SIGHAND != 0 && flags & CLONE_VM == 0)
    {
        return Err(EINVAL);
    }
    if flags & !SUPPORTED != 0 || flags & CLONE_PIDFD != 0 {
        return Err(EINVAL);
    }
    let is_thread = flags & CLONE_THREAD != 0;
    if task::count() >= max_tasks() {
        return Err(EAGAIN);
    }
    let (ram, used) = crate::mm::frame::usage();
    if ram.saturating_sub(used) < FORK_RESERVE_FRAMES {
        return Err(ENOMEM);
    }
    let parent = current();
    let pid = task::alloc_pid().ok_or(EAGAIN)?;
    let mm = if flags & CLONE_VM != 0 {
        parent.mm.clone()
    } else {
        Shared::new(parent.mm.dup().map_err(|_| ENOMEM)?)
    };
    let files = if flags & CLONE_FILES != 0 {
        parent.files.clone()
    } else {
        Shared::new((*parent.files).clone())
    };
    let fs = if flags & CLONE_FS != 0 {
        parent.fs.clone()
    } else {
        Shared::new((*parent.fs).clone())
    };
    let mut regs = *parent.pt_regs();
    regs.rax = 0;
    if args.stack != 0 {
        regs.rsp = args.stack;
    }
    let mut fpu = crate::arch::switch_to::FpuState::initial();
    fpu.save();
    let thread = crate::arch::switch_to::Thread::new(&regs, fpu).ok_or(ENOMEM)?;
    if flags & CLONE_PARENT_SETTID != 0 {
        put_user(args.parent_tid, &pid)?;
    }
    let mut child = Task::new(NewTask {
        pid,
        // A thread joins the caller's group; its exit is nobody's SIGCHLD.
        tgid: if is_thread { parent.tgid } else { pid },
        ppid: if flags & (CLONE_PARENT | CLONE_THREAD) != 0 {
            parent.ppid
        } else {
            parent.tgid
        },
        pgid: parent.pgid,
        sid: parent.sid,
        state: TaskState::Sleeping,
        exit_signal: if is_thread {
            0
        } else {
            args.exit_signal as u32
        },
        mm,
        files,
        fs,
        sighand: if flags & CLONE_SIGHAND != 0 {
            parent.sighand.clone()
        } else {
            Shared::new((*parent.sighand).clone())
        },
        signal: parent.signal.for_fork(),
        exe: parent.exe.clone(),
        cmdline: parent.cmdline.clone(),
        comm: parent.comm.clone(),
        fs_base: if flags & CLONE_SETTLS != 0 {
            args.tls
        } else {
            parent.fs_base
        },
        gs_base: parent.gs_base,
        thread,
    });
    if flags & CLONE_CHILD_CLEARTID != 0 {
        child.clear_child_tid = args.child_tid;
    }
    if flags & CLONE_CHILD_SETTID != 0 {
        child.set_child_tid = args.child_tid;
    }
    if flags & CLONE_VFORK != 0 {
        child.vfork_parent = Some(parent.pid);
    }
    let child = task::insert(child);
    sched::make_runnable(child);
    if flags & CLONE_VFORK != 0 {
        // The parent waits until the child has left the shared address
        // space (exec or exit).
        let me = current();
        me.wait_chld.wait_event_uninterruptible(|| {
            task::find(pid).is_none_or(|c| c.vfork_parent.is_none())
        });
    }
    Ok(u64::from(pid))
}

/// The child's first moments in the kernel, on its own stack and address
/// space (ret_from_fork): CLONE_CHILD_SETTID writes its tid there.
pub fn child_first_run() {
    let t = current();
    if t.set_child_tid != 0 {
        let tid: Pid = t.pid;
        // A bad pointer is the child's problem, silently, as on Linux.
        let _ = put_user(t.set_child_tid, &tid);
        t.set_child_tid = 0;
    }
}

pub fn sys_fork(_: &Args) -> SysResult {
    do_fork(CloneArgs {
        flags: 17, // SIGCHLD
        exit_signal: 17,
        ..CloneArgs::default()
    })
}

pub fn sys_vfork(_: &Args) -> SysResult {
    do_fork(CloneArgs {
        flags: CLONE_VM | CLONE_VFORK | 17,
        exit_signal: 17,
        ..CloneArgs::default()
    })
}

/// x86-64 order: flags, newsp, parent_tid, child_tid, tls.
pub fn sys_clone(a: &Args) -> SysResult {
    do_fork(CloneArgs {
        flags: a[0],
        stack: a[1],
        parent_tid: a[2],
        child_tid: a[3],
        tls: a[4],
        exit_signal: a[0] & CSIGNAL,
    })
}

/// i386 order: flags, newsp, parent_tid, tls, child_tid.
pub fn compat_sys_clone(a: &Args) -> SysResult {
    do_fork(CloneArgs {
        flags: a[0],
        stack: a[1],
        parent_tid: a[2],
        child_tid: a[4],
        tls: a[3],
        exit_signal: a[0] & CSIGNAL,
    })
}

/// clone3(struct clone_args *, size): the same subset; the stack is given
/// as base and size.
pub fn sys_clone3(a: &Args) -> SysResult {
    let (uargs, size) = (a[0], a[1]);
    const VER0: u64 = 64;
    if !(VER0..=4096).contains(&size) {
        return Err(EINVAL);
    }
    let mut raw = [0u8; 88];
    let n = size.min(88) as usize;
    copy_from_user(&mut raw[..n], uargs).map_err(|_| EFAULT)?;
    let word = |i: usize| {
        let mut b = [0u8; 8];
        b.copy_from_slice(&raw[i * 8..i * 8 + 8]);
        u64::from_le_bytes(b)
    };
    let (flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls) = (
        word(0),
        word(1),
        word(2),
        word(3),
        word(4),
        word(5),
        word(6),
        word(7),
    );
    if exit_signal & !CSIGNAL != 0 || flags & CSIGNAL != 0 || pidfd != 0 && flags & CLONE_PIDFD != 0
    {
        return Err(EINVAL);
    }
    if exit_signal > 64 {
        return Err(EINVAL);
    }
    if (stack == 0) != (stack_size == 0) {
        return Err(EINVAL);
    }
    do_fork(CloneArgs {
        flags: flags | exit_signal,
        stack: if stack != 0 { stack + stack_size } else { 0 },
        parent_tid,
        child_tid,
        tls,
        exit_signal,
    })
}
