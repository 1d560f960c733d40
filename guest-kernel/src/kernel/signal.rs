//! Signals, as Linux delivers them (kernel/signal.c, arch/x86/kernel/signal.c):
//! dispositions (`SigHand`, shared by threads), per-task state (`SigState`:
//! blocked mask, pending set with queued siginfo, alternate stack), sending
//! (`send_signal`, kill/tkill/tgkill/rt_sigqueueinfo), and delivery on the
//! way back to user mode (`do_signal`): a default action, or an rt_sigframe
//! on the user stack (arch/signal_frame.rs) that rt_sigreturn undoes.
//!
//! Interrupted system calls return an internal ERESTART* code; `do_signal`
//! turns it into EINTR or a restart (RIP back over the 2-byte `syscall` or
//! `int $0x80`, RAX = the original number), so user mode never sees one.

use alloc::vec::Vec;

use crate::arch::idt::INT80_VECTOR;
use crate::arch::pt_regs::{PtRegs, VECTOR_SYSCALL};
use crate::arch::signal_frame::{
    self, FXSTATE_SIZE, FxState, OFFSET_INFO, OFFSET_UC, RtSigframe, UC_SIGCONTEXT_SS,
    UC_STRICT_RESTORE_SS,
};
use crate::errno::{
    EAGAIN, EFAULT, EINTR, EINVAL, ENOMEM, EPERM, ERESTART_RESTARTBLOCK, ERESTARTNOHAND,
    ERESTARTNOINTR, ERESTARTSYS, ESRCH, Errno, SysResult,
};
use crate::syscall::Args;
use crate::task::{self, Pid, Task, TaskState, current};
use crate::uaccess::{Pod, get_user, put_user};

pub const NSIG: u32 = 64;

pub const SIGILL: u32 = 4;
pub const SIGTRAP: u32 = 5;
pub const SIGBUS: u32 = 7;
pub const SIGFPE: u32 = 8;
pub const SIGKILL: u32 = 9;
pub const SIGSEGV: u32 = 11;
pub const SIGCHLD: u32 = 17;
pub const SIGCONT: u32 = 18;
pub const SIGSTOP: u32 = 19;
pub const SIGTSTP: u32 = 20;
pub const SIGTTIN: u32 = 21;
pub const SIGTTOU: u32 = 22;
pub const SIGURG: u32 = 23;
pub const SIGWINCH: u32 = 28;
pub const SIGSYS: u32 = 31;
pub const SIGRTMIN: u32 = 32;

const SIG_DFL: u64 = 0;
const SIG_IGN: u64 = 1;

pub const SA_NOCLDSTOP: u64 = 0x1;
pub const SA_NOCLDWAIT: u64 = 0x2;
pub const SA_SIGINFO: u64 = 0x4;
pub const SA_EXPOSE_TAGBITS: u64 = 0x800;
pub const SA_RESTORER: u64 = 0x0400_0000;
pub const SA_ONSTACK: u64 = 0x0800_0000;
pub const SA_RESTART: u64 = 0x1000_0000;
pub const SA_NODEFER: u64 = 0x4000_0000;
pub const SA_RESETHAND: u64 = 0x8000_0000;
/// The flags rt_sigaction keeps; others read back as 0, which is how a
/// program detects unsupported ones (Linux's UAPI_SA_FLAGS).
const SA_KNOWN: u64 = SA_NOCLDSTOP
    | SA_NOCLDWAIT
    | SA_SIGINFO
    | SA_EXPOSE_TAGBITS
    | SA_RESTORER
    | SA_ONSTACK
    | SA_RESTART
    | SA_NODEFER
    | SA_RESETHAND;

// si_code values.
pub const SI_USER: i32 = 0;
pub const SI_KERNEL: i32 = 0x80;
pub const SI_TKILL: i32 = -6;
pub const SEGV_MAPERR: i32 = 1;
pub const SEGV_ACCERR: i32 = 2;
pub const FPE_INTDIV: i32 = 1;
pub const ILL_ILLOPN: i32 = 2;
pub const BUS_ADRALN: i32 = 1;

const SIGSET_SIZE: u64 = 8;
const SIG_BLOCK: u64 = 0;
const SIG_UNBLOCK: u64 = 1;
const SIG_SETMASK: u64 = 2;

const fn bit(sig: u32) -> u64 {
    1 << (sig - 1)
}

/// SIGKILL and SIGSTOP can be neither caught nor blocked.
const UNBLOCKABLE: u64 = bit(SIGKILL) | bit(SIGSTOP);
/// Signals a fault raises: dequeued before any other (Linux's
/// SYNCHRONOUS_MASK), so the handler sees the fault it was caused by.
const SYNCHRONOUS: u64 =
    bit(SIGSEGV) | bit(SIGBUS) | bit(SIGILL) | bit(SIGTRAP) | bit(SIGFPE) | bit(SIGSYS);
/// Queued real-time signals per task (Linux's RLIMIT_SIGPENDING, smaller).
const RT_QUEUE_MAX: usize = 1024;

/// `orig_rax` of a frame that no longer is a system call in progress
/// (Linux's orig_ax = -1): no restart may be applied to it.
const NO_SYSCALL: u64 = u64::MAX;

/// Linux's `struct k_sigaction` as rt_sigaction passes it (x86-64).
#[repr(C)]
#[derive(Clone, Copy, Default, Debug)]
pub struct SigAction {
    pub handler: u64,
    pub flags: u64,
    pub restorer: u64,
    pub mask: u64,
}

// SAFETY: repr(C), four u64: no padding, any bits valid.
unsafe impl Pod for SigAction {}

/// Signal dispositions (Linux's `sighand_struct`).
#[derive(Clone, Default)]
pub struct SigHand {
    /// Set with rt_sigaction, by signal number; absent means SIG_DFL.
    /// Sparse because a full table is 2 KiB to build and move at boot,
    /// and copying costs ~300 cycles a byte in ring 0 on kvm-pvm.
    actions: Vec<(u32, SigAction)>,
}

impl SigHand {
    pub fn get(&self, sig: u32) -> SigAction {
        self.actions
            .iter()
            .find(|(s, _)| *s == sig)
            .map(|&(_, a)| a)
            .unwrap_or_default()
    }

    pub fn set(&mut self, sig: u32, action: SigAction) {
        match self.actions.iter_mut().find(|(s, _)| *s == sig) {
            Some(slot) => slot.1 = action,
            None => self.actions.push((sig, action)),
        }
    }

    /// execve: handlers go back to SIG_DFL; ignored signals stay ignored,
    /// with no flags or mask (Linux's flush_signal_handlers).
    pub fn reset_for_exec(&mut self) {
        self.actions.retain_mut(|(_, a)| {
            let keep = a.handler == SIG_IGN;
            *a = SigAction {
                handler: a.handler,
                ..SigAction::default()
            };
            keep
        });
    }
}

/// Linux's `siginfo_t` (128 bytes): signo, errno, code, then a union
/// whose layout depends on the code (kill: pid, uid; faults: addr; ...).
#[repr(C)]
#[derive(Clone, Copy, Default, Debug)]
pub struct SigInfo {
    pub signo: i32,
    pub errno: i32,
    pub code: i32,
    pad: i32,
    pub fields: [u64; 14],
}

// SAFETY: repr(C), 4 i32 then u64s (16-byte header keeps them aligned):
// no padding, any bits valid.
unsafe impl Pod for SigInfo {}

impl SigInfo {
    /// Sent by a process (kill: SI_USER, tkill/tgkill: SI_TKILL).
    pub fn from_process(sig: u32, code: i32, pid: u32, uid: u32) -> SigInfo {
        let mut info = SigInfo {
            signo: sig as i32,
            code,
            ..SigInfo::default()
        };
        info.fields[0] = u64::from(pid) | (u64::from(uid) << 32);
        info
    }

    /// Raised by a fault at `addr` (si_addr).
    pub fn fault(sig: u32, code: i32, addr: u64) -> SigInfo {
        let mut info = SigInfo {
            signo: sig as i32,
            code,
            ..SigInfo::default()
        };
        info.fields[0] = addr;
        info
    }

    /// Sent by the kernel itself (SI_KERNEL).
    /// SIGCHLD (or a clone's exit signal) for a child's exit or stop:
    /// si_pid, si_uid, si_status (the code or the signal).
    pub fn child(sig: u32, code: i32, pid: u32, status: u32) -> SigInfo {
        let mut info = SigInfo {
            signo: sig as i32,
            code,
            ..SigInfo::default()
        };
        info.fields[0] = u64::from(pid);
        info.fields[1] = u64::from(status);
        info
    }

    pub fn kernel(sig: u32) -> SigInfo {
        SigInfo {
            signo: sig as i32,
            code: SI_KERNEL,
            ..SigInfo::default()
        }
    }

    fn words(&self) -> [u64; 16] {
        let mut w = [0u64; 16];
        w[0] = u64::from(self.signo as u32) | (u64::from(self.errno as u32) << 32);
        w[1] = u64::from(self.code as u32);
        w[2..].copy_from_slice(&self.fields);
        w
    }
}

/// The alternate signal stack (sigaltstack).
#[derive(Clone, Copy, Default)]
struct AltStack {
    sp: u64,
    size: u64,
    /// The flags as set (SS_AUTODISARM is the only one that is kept).
    flags: u32,
}

const SS_ONSTACK: u32 = 1;
const SS_DISABLE: u32 = 2;
const SS_AUTODISARM: u32 = 1 << 31;
const MINSIGSTKSZ: u64 = 2048;

impl AltStack {
    /// Whether `sp` is on the alternate stack (it grows down from sp + size).
    fn contains(&self, sp: u64) -> bool {
        sp > self.sp && sp - self.sp <= self.size
    }

    /// Linux's on_sig_stack: with SS_AUTODISARM the stack is never "in use"
    /// (it is disarmed while a handler runs on it).
    fn on(&self, sp: u64) -> bool {
        self.flags & SS_AUTODISARM == 0 && self.contains(sp)
    }

    /// Linux's sas_ss_flags.
    fn ss_flags(&self, sp: u64) -> u32 {
        if self.size == 0 {
            SS_DISABLE
        } else if self.on(sp) {
            SS_ONSTACK
        } else {
            0
        }
    }
}

/// What the last fault left for the sigcontext (Linux's thread.trap_nr,
/// error_code, cr2).
#[derive(Clone, Copy, Default)]
struct FaultInfo {
    trapno: u64,
    err: u64,
    cr2: u64,
}

/// Per-task signal state.
#[derive(Default)]
pub struct SigState {
    pub blocked: u64,
    /// One bit per pending signal; `queue` holds their siginfo in arrival
    /// order: at most one per standard signal, each instance of a
    /// real-time one.
    pending: u64,
    queue: Vec<SigInfo>,
    altstack: AltStack,
    /// The mask rt_sigsuspend replaced, restored after the handler (it is
    /// what the signal frame saves) or when the call restarts.
    saved_mask: Option<u64>,
    fault: FaultInfo,
}

impl SigState {
    /// fork: the child inherits the mask and the alternate stack, and
    /// nothing pending.
    pub fn for_fork(&self) -> SigState {
        SigState {
            blocked: self.blocked,
            altstack: self.altstack,
            ..SigState::default()
        }
    }

    /// The pending set (bit n-1 for signal n), for /proc/PID/status.
    pub fn pending(&self) -> u64 {
        self.pending
    }

    /// execve: the alternate stack is gone with the old address space;
    /// mask and pending signals are kept (POSIX).
    pub fn reset_for_exec(&mut self) {
        self.altstack = AltStack::default();
        self.saved_mask = None;
    }

    /// Queues `info` for `sig`. A standard signal already pending is not
    /// queued twice; a real-time one is, up to a limit.
    fn enqueue(&mut self, sig: u32, info: SigInfo) -> Result<(), Errno> {
        let b = bit(sig);
        if sig < SIGRTMIN && self.pending & b != 0 {
            return Ok(());
        }
        if self.queue.len() >= RT_QUEUE_MAX {
            // As Linux: a queued real-time signal with data fails; anything
            // else is still marked pending, without its siginfo.
            if sig >= SIGRTMIN && info.code != SI_USER {
                return Err(EAGAIN);
            }
        } else {
            self.queue.push(info);
        }
        self.pending |= b;
        crate::entry_common::exit_work_may_be_pending();
        Ok(())
    }

    /// Takes the next pending signal among `allowed`: SIGKILL first, then
    /// fault signals, then the lowest number; for a real-time signal the
    /// oldest instance.
    fn dequeue(&mut self, allowed: u64) -> Option<SigInfo> {
        let ready = self.pending & allowed;
        if ready == 0 {
            return None;
        }
        let pick = if ready & bit(SIGKILL) != 0 {
            bit(SIGKILL)
        } else if ready & SYNCHRONOUS != 0 {
            ready & SYNCHRONOUS
        } else {
            ready
        };
        let sig = pick.trailing_zeros() + 1;
        let mut info = None;
        let mut more = false;
        if let Some(i) = self.queue.iter().position(|q| q.signo as u32 == sig) {
            info = Some(self.queue.remove(i));
            more = self.queue.iter().any(|q| q.signo as u32 == sig);
        }
        if !more {
            self.pending &= !bit(sig);
        }
        // A signal marked pending when the queue was full has no siginfo.
        Some(info.unwrap_or(SigInfo::from_process(sig, SI_USER, 0, 0)))
    }

    /// Drops every pending instance of `sig` (it became ignored).
    fn discard(&mut self, sig: u32) {
        self.pending &= !bit(sig);
        self.queue.retain(|q| q.signo as u32 != sig);
    }
}

enum DefaultAction {
    Terminate,
    Ignore,
    Stop,
}

fn default_action(sig: u32) -> DefaultAction {
    match sig {
        SIGCHLD | SIGURG | SIGWINCH => DefaultAction::Ignore,
        SIGSTOP | SIGTSTP | SIGTTIN | SIGTTOU | SIGCONT => DefaultAction::Stop,
        // Core-dumping signals end the program like the others (no core).
        _ => DefaultAction::Terminate,
    }
}

/// Whether `sig` sent now would be dropped: ignored and not blocked
/// (a blocked ignored signal stays pending, as in Linux).
fn ignored(task: &Task, sig: u32) -> bool {
    if sig == SIGKILL || sig == SIGSTOP || task.signal.blocked & bit(sig) != 0 {
        return false;
    }
    match task.sighand.get(sig).handler {
        SIG_IGN => true,
        SIG_DFL => matches!(default_action(sig), DefaultAction::Ignore),
        _ => false,
    }
}

/// Whether an unblocked signal is pending: a sleep should end for it.
pub fn signal_pending(task: &Task) -> bool {
    task.signal.pending & !task.signal.blocked != 0
}

/// Linux's prepare_signal: what sending does before queueing. SIGCONT
/// (and SIGKILL) resume a stopped task, SIGCONT drops pending stop
/// signals and a stop signal a pending SIGCONT.
fn prepare_signal(t: &mut Task, sig: u32) {
    const STOPS: u64 = bit(SIGSTOP) | bit(SIGTSTP) | bit(SIGTTIN) | bit(SIGTTOU);
    if sig == SIGCONT {
        t.signal.pending &= !STOPS;
        t.signal.queue.retain(|q| STOPS & bit(q.signo as u32) == 0);
    } else if STOPS & bit(sig) != 0 {
        t.signal.discard(SIGCONT);
    }
    if (sig == SIGCONT || sig == SIGKILL) && t.state == TaskState::Stopped {
        crate::kernel::sched::make_runnable(t);
        // wait4(WCONTINUED) reports it once; a stop not yet reported is
        // overtaken.
        t.stop_report = None;
        t.continue_report = sig == SIGCONT;
        if let Some(parent) = task::find(t.ppid) {
            parent.wait_chld.wake_up();
        }
    }
}

fn send_signal_checked(task: &mut Task, sig: u32, info: SigInfo) -> Result<bool, Errno> {
    if task.state == TaskState::Zombie {
        return Ok(false);
    }
    prepare_signal(task, sig);
    if ignored(task, sig) {
        return Ok(false);
    }
    task.signal.enqueue(sig, info)?;
    let wake = sig == SIGKILL || task.signal.blocked & bit(sig) == 0;
    if wake {
        crate::kernel::sched::wake_up(task.pid);
    }
    Ok(wake)
}

/// Queues `sig` for `task` and wakes it from an interruptible sleep when
/// the signal is not blocked (the return value says whether it did).
pub fn send_signal(task: &mut Task, sig: u32, info: SigInfo) -> bool {
    send_signal_checked(task, sig, info).unwrap_or(false)
}

/// A signal the kernel sends on its own account (SIGCHLD, SIGPIPE,
/// SIGALRM): si_code SI_KERNEL.
pub fn send_signal_from_kernel(t: &mut Task, sig: u32) {
    if (1..=NSIG).contains(&sig) {
        send_signal(t, sig, SigInfo::kernel(sig));
    }
}

/// A signal the kernel raises for what the task itself did (a fault, a bad
/// signal frame): if blocked or ignored it cannot be, so it takes its
/// default action (Linux's force_sig_info).
fn force_sig(task: &mut Task, info: SigInfo) {
    let sig = info.signo as u32;
    let mut act = task.sighand.get(sig);
    let blocked = task.signal.blocked & bit(sig) != 0;
    if blocked || act.handler == SIG_IGN {
        act.handler = SIG_DFL;
        task.sighand.set(sig, act);
        task.signal.blocked &= !bit(sig);
    }
    // A standard signal already pending keeps its first siginfo.
    let _ = task.signal.enqueue(sig, info);
}

/// Linux's force_sigsegv: the frame for `sig` could not be written. If
/// that was SIGSEGV's own handler, it must not be tried again.
fn force_sigsegv(task: &mut Task, sig: u32) {
    if sig == SIGSEGV {
        task.sighand.set(SIGSEGV, SigAction::default());
    }
    force_sig(task, SigInfo::kernel(SIGSEGV));
}

/// A user exception (fault.rs): delivered to the program's handler if it
/// has one for `sig` that is neither blocked nor ignored; otherwise the
/// program ends, with fault.rs's one-line report.
pub fn force_sig_fault(regs: &mut PtRegs, sig: u32, code: i32, addr: u64) {
    let task = current();
    let handler = task.sighand.get(sig).handler;
    if handler == SIG_DFL || handler == SIG_IGN || task.signal.blocked & bit(sig) != 0 {
        crate::fault::report_kill(regs, sig);
        crate::exit::exit_by_signal(sig)
    }
    task.signal.fault = FaultInfo {
        trapno: regs.vector,
        err: regs.error_code,
        cr2: if regs.vector == 14 { addr } else { 0 },
    };
    force_sig(task, SigInfo::fault(sig, code, addr));
}

/// The default action of a stop signal (SIGSTOP, SIGTSTP, SIGTTIN,
/// SIGTTOU): the task stops until SIGCONT. SIGCONT's own default (resume)
/// happened when it was sent (prepare_signal).
pub fn do_stop_default(sig: u32) {
    if sig != SIGCONT {
        crate::exit::do_stop(sig);
    }
}

pub fn signal_name(sig: u32) -> &'static str {
    const NAMES: [&str; 31] = [
        "SIGHUP",
        "SIGINT",
        "SIGQUIT",
        "SIGILL",
        "SIGTRAP",
        "SIGABRT",
        "SIGBUS",
        "SIGFPE",
        "SIGKILL",
        "SIGUSR1",
        "SIGSEGV",
        "SIGUSR2",
        "SIGPIPE",
        "SIGALRM",
        "SIGTERM",
        "SIGSTKFLT",
        "SIGCHLD",
        "SIGCONT",
        "SIGSTOP",
        "SIGTSTP",
        "SIGTTIN",
        "SIGTTOU",
        "SIGURG",
        "SIGXCPU",
        "SIGXFSZ",
        "SIGVTALRM",
        "SIGPROF",
        "SIGWINCH",
        "SIGIO",
        "SIGPWR",
        "SIGSYS",
    ];
    match sig {
        1..=31 => NAMES[sig as usize - 1],
        32..=64 => "real-time signal",
        _ => "signal",
    }
}

/// Whether `regs` is a system call about to return (SYSCALL, or int 0x80
/// by the gate or its #UD form: do_int80_syscall_32 marks both 0x80).
fn in_syscall(regs: &PtRegs) -> bool {
    (regs.vector == VECTOR_SYSCALL || regs.vector == u64::from(INT80_VECTOR))
        && regs.error_code != NO_SYSCALL
}

fn restart_code(regs: &PtRegs) -> Option<Errno> {
    let e = (regs.rax as i64).wrapping_neg();
    // One range check on every system call's way out.
    if !(512..=516).contains(&e) {
        return None;
    }
    [
        ERESTARTSYS,
        ERESTARTNOINTR,
        ERESTARTNOHAND,
        ERESTART_RESTARTBLOCK,
    ]
    .into_iter()
    .find(|c| c.0 == e)
}

/// Back over the `syscall` or `int $0x80` (both 2 bytes), number restored.
fn restart(regs: &mut PtRegs, nr: u64) {
    regs.rax = nr;
    regs.rip = regs.rip.wrapping_sub(2);
}

fn restart_syscall_nr(regs: &PtRegs) -> u64 {
    if regs.vector == VECTOR_SYSCALL {
        lstar_abi::syscall_nr::nr::RESTART_SYSCALL as u64
    } else {
        lstar_abi::syscall_nr::nr_i386::RESTART_SYSCALL as u64
    }
}

/// Called last on every way back to user mode: delivers the pending
/// signals that are not blocked (each handler's frame on top of the
/// previous one, as Linux's exit loop does) and finishes interrupted
/// system calls: EINTR, or a restart when no handler ran.
/// Whether `do_signal` has anything to do: a signal pending and not
/// blocked, a sigsuspend mask to restore, or a system call to restart
/// (RAX in -516..=-512). A few instructions, each emulated on kvm-pvm.
#[inline(always)]
pub fn signal_work_pending(regs: &PtRegs) -> bool {
    let st = &current().signal;
    st.pending & !st.blocked != 0
        || st.saved_mask.is_some()
        || (regs.rax as i64).wrapping_add(516) as u64 <= 4
}

/// `signal_work_pending` for a frame whose RAX is known to hold no
/// restart code (a system call that succeeded), and coarser: any signal
/// pending (blocked or not), or a sigsuspend mask to restore. A superset
/// of the exact test, two instructions shorter; `do_signal` sorts out the
/// rare blocked-but-pending case.
#[inline(always)]
pub fn signal_maybe_pending() -> bool {
    let st = &current().signal;
    st.pending != 0 || st.saved_mask.is_some()
}

pub fn do_signal(regs: &mut PtRegs) {
    if !signal_work_pending(regs) {
        return;
    }
    let mut handled = false;
    loop {
        let task = current();
        let Some(info) = task.signal.dequeue(!task.signal.blocked) else {
            break;
        };
        let sig = info.signo as u32;
        let act = task.sighand.get(sig);
        match act.handler {
            SIG_IGN => {}
            SIG_DFL => match default_action(sig) {
                DefaultAction::Ignore => {}
                DefaultAction::Stop => do_stop_default(sig),
                // exit.rs reports it (a warning for pid 1).
                DefaultAction::Terminate => crate::exit::do_exit_signal(sig),
            },
            _ => handled |= handle_signal(regs, &info, &act),
        }
    }
    if handled {
        return;
    }
    if in_syscall(regs) {
        match restart_code(regs) {
            Some(ERESTART_RESTARTBLOCK) => restart(regs, restart_syscall_nr(regs)),
            Some(_) => restart(regs, regs.error_code),
            None => {}
        }
        regs.error_code = NO_SYSCALL;
    }
    let task = current();
    if let Some(mask) = task.signal.saved_mask.take() {
        task.signal.blocked = mask;
    }
}

/// Sets up the handler's frame for `info`; false if it could not be
/// written (then SIGSEGV is forced, which the caller's loop delivers).
fn handle_signal(regs: &mut PtRegs, info: &SigInfo, act: &SigAction) -> bool {
    let sig = info.signo as u32;
    if in_syscall(regs) {
        match restart_code(regs) {
            Some(ERESTARTNOHAND | ERESTART_RESTARTBLOCK) => {
                regs.rax = EINTR.0.wrapping_neg() as u64
            }
            Some(ERESTARTSYS) if act.flags & SA_RESTART == 0 => {
                regs.rax = EINTR.0.wrapping_neg() as u64
            }
            Some(_) => restart(regs, regs.error_code),
            None => {}
        }
        regs.error_code = NO_SYSCALL;
    }
    let task = current();
    if setup_rt_frame(task, regs, info, act).is_err() {
        force_sigsegv(task, sig);
        return false;
    }
    let st = &mut task.signal;
    let mut block = act.mask;
    if act.flags & SA_NODEFER == 0 {
        block |= bit(sig);
    }
    st.blocked = (st.blocked | block) & !UNBLOCKABLE;
    if act.flags & SA_RESETHAND != 0 {
        task.sighand.set(
            sig,
            SigAction {
                handler: SIG_DFL,
                ..*act
            },
        );
    }
    true
}

const RED_ZONE: u64 = 128;
const FRAME_SIZE: u64 = core::mem::size_of::<RtSigframe>() as u64;

// RFLAGS bits a handler starts without (Linux's handle_signal).
const TF: u64 = 1 << 8;
const DF: u64 = 1 << 10;
const RF: u64 = 1 << 16;

fn setup_rt_frame(
    task: &mut Task,
    regs: &mut PtRegs,
    info: &SigInfo,
    act: &SigAction,
) -> Result<(), Errno> {
    // x86-64 has no kernel-provided return path: a handler without
    // SA_RESTORER cannot return, and Linux fails its delivery.
    if act.flags & SA_RESTORER == 0 {
        return Err(EFAULT);
    }
    let st = &mut task.signal;
    let alt = st.altstack;
    // Below the interrupted code's red zone, or at the top of the
    // alternate stack when the handler asks for it and it is not in use.
    let mut sp = regs.rsp.wrapping_sub(RED_ZONE);
    let nested = alt.on(regs.rsp);
    let mut entering = false;
    if act.flags & SA_ONSTACK != 0 && alt.ss_flags(sp) == 0 {
        sp = alt.sp.wrapping_add(alt.size);
        entering = true;
    }
    let fx_addr = sp.wrapping_sub(FXSTATE_SIZE) & !63;
    let frame_addr = (fx_addr.wrapping_sub(FRAME_SIZE) & !15).wrapping_sub(8);
    // A frame that would run off the alternate stack is an overflow.
    if (nested || entering) && !alt.contains(frame_addr) {
        return Err(EFAULT);
    }
    let mut mcontext = signal_frame::sigcontext_from(regs);
    mcontext.err = st.fault.err;
    mcontext.trapno = st.fault.trapno;
    mcontext.cr2 = st.fault.cr2;
    let mask = st.saved_mask.unwrap_or(st.blocked);
    mcontext.oldmask = mask;
    mcontext.fpstate = fx_addr;
    let frame = RtSigframe {
        pretcode: act.restorer,
        uc_flags: UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS,
        uc_link: 0,
        ss_sp: alt.sp,
        ss_flags: u64::from(alt.ss_flags(regs.rsp) | (alt.flags & SS_AUTODISARM)),
        ss_size: alt.size,
        mcontext,
        uc_sigmask: mask,
        info: info.words(),
    };
    put_user(fx_addr, &FxState::save())?;
    put_user(frame_addr, &frame)?;
    // The handler starts with a clean FPU (default MXCSR, x87 reset, XMM
    // zero), as in Linux; its caller's state is in the frame.
    FxState::init_state().load();
    st.saved_mask = None;
    if entering && alt.flags & SS_AUTODISARM != 0 {
        st.altstack = AltStack::default();
    }
    regs.rdi = u64::from(info.signo as u32);
    regs.rsi = frame_addr.wrapping_add(OFFSET_INFO);
    regs.rdx = frame_addr.wrapping_add(OFFSET_UC);
    regs.rax = 0;
    regs.rsp = frame_addr;
    regs.rip = act.handler;
    regs.rflags &= !(TF | DF | RF);
    regs.cs = u64::from(crate::arch::gdt::USER_CS);
    regs.ss = u64::from(crate::arch::gdt::USER_DS);
    // RCX and R11 are dead at a function's entry; making them what SYSRETQ
    // loads lets the fast path return with it straight into the handler.
    regs.rcx = regs.rip;
    regs.r11 = regs.rflags;
    Ok(())
}

/// The system calls that need the user's register frame, which
/// syscall/mod.rs passes them (its table entry only fails with ENOSYS).
pub type RegsSyscallFn = fn(&mut PtRegs, &Args) -> SysResult;

pub fn syscall_with_regs(nr: u64) -> Option<RegsSyscallFn> {
    use lstar_abi::syscall_nr::nr;
    if nr == nr::RT_SIGRETURN as u64 {
        Some(sys_rt_sigreturn)
    } else if nr == nr::SIGALTSTACK as u64 {
        Some(sys_sigaltstack)
    } else {
        None
    }
}

/// The table's entry for a call in [`syscall_with_regs`], so that the
/// table (which the VMM reads) lists it as implemented. The fast path of
/// syscall/mod.rs calls it like any other entry; its ENOSYS sends the call
/// to the failure path, which serves it with the frame. So it must do
/// nothing but fail with ENOSYS.
pub fn sys_served_with_regs(_: &Args) -> SysResult {
    Err(crate::errno::ENOSYS)
}

/// rt_sigreturn: the handler returned (its `ret` popped pretcode), so the
/// frame is 8 bytes below RSP. Restores every register, the FPU state and
/// the mask; a frame that cannot be read or restored is SIGSEGV.
pub fn sys_rt_sigreturn(regs: &mut PtRegs, _: &Args) -> SysResult {
    let task = current();
    // The call itself must never be restarted, whatever RAX it restores.
    regs.error_code = NO_SYSCALL;
    let Ok(frame) = get_user::<RtSigframe>(regs.rsp.wrapping_sub(8)) else {
        force_sig(task, SigInfo::kernel(SIGSEGV));
        return Ok(regs.rax);
    };
    let sc = &frame.mcontext;
    let fx = if sc.fpstate == 0 {
        Ok(FxState::init_state())
    } else {
        get_user::<FxState>(sc.fpstate)
    };
    if !fx.is_ok_and(|fx| fx.restore()) {
        force_sig(task, SigInfo::kernel(SIGSEGV));
        return Ok(regs.rax);
    }
    task.signal.blocked = frame.uc_sigmask & !UNBLOCKABLE;
    signal_frame::restore_sigcontext(regs, sc);
    // The alternate stack as it was when the signal came (unless the
    // restored code runs on it); errors other than EFAULT are ignored.
    let _ = set_altstack(
        task,
        regs.rsp,
        frame.ss_sp,
        frame.ss_flags as u32,
        frame.ss_size,
    );
    if !signal_frame::is_canonical(regs.rip) {
        // IRETQ would fault in the kernel; Linux's bad_iret gives SIGSEGV.
        force_sig(task, SigInfo::kernel(SIGSEGV));
    }
    Ok(regs.rax)
}

/// `stack_t`: ss_sp, ss_flags (int, then padding), ss_size.
#[repr(C)]
#[derive(Clone, Copy, Default)]
struct StackT {
    sp: u64,
    flags: u64,
    size: u64,
}

// SAFETY: repr(C), three u64: no padding, any bits valid.
unsafe impl Pod for StackT {}

fn set_altstack(task: &mut Task, sp: u64, ss_sp: u64, flags: u32, size: u64) -> Result<(), Errno> {
    let alt = &mut task.signal.altstack;
    if alt.on(sp) {
        return Err(EPERM);
    }
    let mode = flags & !SS_AUTODISARM;
    if mode != SS_DISABLE && mode != SS_ONSTACK && mode != 0 {
        return Err(EINVAL);
    }
    if alt.sp == ss_sp && alt.size == size && alt.flags == flags {
        return Ok(());
    }
    if mode == SS_DISABLE {
        *alt = AltStack {
            sp: 0,
            size: 0,
            flags,
        };
    } else {
        if size < MINSIGSTKSZ {
            return Err(ENOMEM);
        }
        *alt = AltStack {
            sp: ss_sp,
            size,
            flags,
        };
    }
    Ok(())
}

pub fn sys_sigaltstack(regs: &mut PtRegs, a: &Args) -> SysResult {
    let (uss, uoss) = (a[0], a[1]);
    let task = current();
    let alt = task.signal.altstack;
    let old = StackT {
        sp: alt.sp,
        flags: u64::from(alt.ss_flags(regs.rsp) | (alt.flags & SS_AUTODISARM)),
        size: alt.size,
    };
    if uss != 0 {
        let new: StackT = get_user(uss)?;
        set_altstack(task, regs.rsp, new.sp, new.flags as u32, new.size)?;
    }
    if uoss != 0 {
        put_user(uoss, &old)?;
    }
    Ok(0)
}

pub fn sys_rt_sigaction(a: &Args) -> SysResult {
    let (sig, act, oact, sigsetsize) = (a[0], a[1], a[2], a[3]);
    if sigsetsize != SIGSET_SIZE || sig == 0 || sig > u64::from(NSIG) {
        return Err(EINVAL);
    }
    let sig = sig as u32;
    if act != 0 && (sig == SIGKILL || sig == SIGSTOP) {
        return Err(EINVAL);
    }
    let new = if act != 0 {
        let mut new: SigAction = get_user(act)?;
        new.mask &= !UNBLOCKABLE;
        new.flags &= SA_KNOWN;
        Some(new)
    } else {
        None
    };
    let task = current();
    if oact != 0 {
        put_user(oact, &task.sighand.get(sig))?;
    }
    if let Some(new) = new {
        task.sighand.set(sig, new);
        // POSIX: making a pending signal ignored discards it.
        let ignored = new.handler == SIG_IGN
            || (new.handler == SIG_DFL && matches!(default_action(sig), DefaultAction::Ignore));
        if ignored {
            task.signal.discard(sig);
        }
    }
    Ok(0)
}

pub fn sys_rt_sigprocmask(a: &Args) -> SysResult {
    let (how, set, oset, sigsetsize) = (a[0], a[1], a[2], a[3]);
    if sigsetsize != SIGSET_SIZE {
        return Err(EINVAL);
    }
    let task = current();
    let old = task.signal.blocked;
    if set != 0 {
        let set: u64 = get_user(set)?;
        task.signal.blocked = match how {
            SIG_BLOCK => old | set,
            SIG_UNBLOCK => old & !set,
            SIG_SETMASK => set,
            _ => return Err(EINVAL),
        } & !UNBLOCKABLE;
    }
    if oset != 0 {
        put_user(oset, &old)?;
    }
    // Signals it unblocked are delivered on the way out (do_signal).
    Ok(0)
}

/// rt_sigpending: the signals pending while blocked.
pub fn sys_rt_sigpending(a: &Args) -> SysResult {
    let (set, sigsetsize) = (a[0], a[1]);
    if sigsetsize > SIGSET_SIZE {
        return Err(EINVAL);
    }
    let task = current();
    let pending = task.signal.pending & task.signal.blocked;
    let bytes = pending.to_le_bytes();
    crate::uaccess::copy_to_user(set, &bytes[..sigsetsize as usize])?;
    Ok(0)
}

/// Sleeps until a signal is pending that is not blocked, or `deadline`
/// (monotonic ns) passes.
fn wait_for_signal(deadline: Option<u64>) {
    while !signal_pending(current()) {
        if deadline.is_some_and(|d| crate::kernel::time::monotonic_ns() >= d) {
            return;
        }
        crate::kernel::sched::sleep(deadline);
    }
}

/// rt_sigsuspend: waits with a temporary mask; the old one comes back
/// after the handler (the frame saves it) or when the call restarts.
pub fn sys_rt_sigsuspend(a: &Args) -> SysResult {
    if a[1] != SIGSET_SIZE {
        return Err(EINVAL);
    }
    let mask: u64 = get_user(a[0])?;
    let st = &mut current().signal;
    st.saved_mask = Some(st.blocked);
    crate::entry_common::exit_work_may_be_pending();
    st.blocked = mask & !UNBLOCKABLE;
    wait_for_signal(None);
    Err(ERESTARTNOHAND)
}

/// rt_sigtimedwait: takes a pending signal of `set` without running its
/// handler, waiting for one up to the timeout (none: forever); EAGAIN when
/// it passes, EINTR when another signal comes.
pub fn sys_rt_sigtimedwait(a: &Args) -> SysResult {
    let (uset, uinfo, utimeout, sigsetsize) = (a[0], a[1], a[2], a[3]);
    if sigsetsize != SIGSET_SIZE {
        return Err(EINVAL);
    }
    let set = get_user::<u64>(uset)? & !UNBLOCKABLE;
    let deadline = if utimeout != 0 {
        let ts: [u64; 2] = get_user(utimeout)?;
        if ts[1] >= 1_000_000_000 || (ts[0] as i64) < 0 {
            return Err(EINVAL);
        }
        let ns = ts[0].saturating_mul(1_000_000_000).saturating_add(ts[1]);
        Some(crate::kernel::time::monotonic_ns().saturating_add(ns))
    } else {
        None
    };
    let task = current();
    let mut info = task.signal.dequeue(set);
    if info.is_none() {
        // The awaited signals may wake the wait while it lasts.
        let blocked = task.signal.blocked;
        task.signal.blocked &= !set;
        wait_for_signal(deadline);
        let task = current();
        task.signal.blocked = blocked;
        info = task.signal.dequeue(set);
    }
    match info {
        Some(info) => {
            if uinfo != 0 {
                put_user(uinfo, &info)?;
            }
            Ok(u64::from(info.signo as u32))
        }
        None if signal_pending(current()) => Err(EINTR),
        None => Err(EAGAIN),
    }
}

/// restart_syscall: what ERESTART_RESTARTBLOCK restarts into. No call
/// saves a restart block yet, so it is an interruption.
pub fn sys_restart_syscall(_: &Args) -> SysResult {
    Err(EINTR)
}

/// The live task with this pid.
fn find_task(pid: i32) -> Option<&'static mut Task> {
    if pid <= 0 {
        return None;
    }
    task::find(pid as Pid).filter(|t| t.state != TaskState::Zombie)
}

/// The tasks `pid` names for kill(2): one process, a process group, or
/// all but init and the caller.
fn kill_targets(pid: i32) -> Vec<Pid> {
    let me = current();
    let (me_tgid, me_pgid) = (me.tgid, me.pgid);
    // (group, chosen thread, whether it is alive)
    let mut out: Vec<(Pid, Pid, bool)> = Vec::new();
    for t in task::all() {
        let selected = match pid {
            p if p > 0 => t.tgid == p as Pid,
            0 => t.pgid == me_pgid,
            -1 => t.tgid > 1 && t.tgid != me_tgid,
            p => t.pgid == p.unsigned_abs(),
        };
        if !selected {
            continue;
        }
        // A process-directed signal goes to one thread of each group: the
        // leader while it runs, else a live thread (Linux picks one that
        // does not block it; close enough here). A group with only a
        // zombie is still a target: kill() succeeds and the signal goes
        // nowhere, as on Linux until the zombie is reaped.
        let alive = t.state != TaskState::Zombie;
        match out.iter_mut().find(|(g, _, _)| *g == t.tgid) {
            None => out.push((t.tgid, t.pid, alive)),
            Some(slot) => {
                if alive && (!slot.2 || t.is_group_leader()) {
                    *slot = (t.tgid, t.pid, true);
                }
            }
        }
    }
    out.into_iter().map(|(_, pid, _)| pid).collect()
}

fn valid_signal(sig: u64) -> Result<u32, Errno> {
    if sig > u64::from(NSIG) {
        Err(EINVAL)
    } else {
        Ok(sig as u32)
    }
}

/// Sends `info` to `task`, or only checks that it could (signal 0).
fn deliver_to(task: &mut Task, sig: u32, info: SigInfo) -> SysResult {
    if sig != 0 {
        send_signal_checked(task, sig, info)?;
    }
    Ok(0)
}

fn sender_info(sig: u32, code: i32) -> SigInfo {
    SigInfo::from_process(sig, code, current().pid, 0)
}

pub fn sys_kill(a: &Args) -> SysResult {
    let sig = valid_signal(a[1])?;
    let targets = kill_targets(a[0] as i32);
    if targets.is_empty() {
        return Err(ESRCH);
    }
    let info = sender_info(sig, SI_USER);
    for pid in targets {
        if let Some(t) = task::find(pid) {
            deliver_to(t, sig, info)?;
        }
    }
    Ok(0)
}

pub fn sys_tkill(a: &Args) -> SysResult {
    let tid = a[0] as i32;
    if tid <= 0 {
        return Err(EINVAL);
    }
    let task = find_task(tid).ok_or(ESRCH)?;
    let sig = valid_signal(a[1])?;
    deliver_to(task, sig, sender_info(sig, SI_TKILL))
}

pub fn sys_tgkill(a: &Args) -> SysResult {
    let (tgid, tid) = (a[0] as i32, a[1] as i32);
    if tgid <= 0 || tid <= 0 {
        return Err(EINVAL);
    }
    let task = find_task(tid)
        .filter(|t| t.tgid == tgid as Pid)
        .ok_or(ESRCH)?;
    let sig = valid_signal(a[2])?;
    deliver_to(task, sig, sender_info(sig, SI_TKILL))
}

/// The siginfo a program passes to rt_(tg)sigqueueinfo: it may not pose
/// as the kernel or as kill() towards another process.
fn queued_info(sig: u32, uinfo: u64, target: &Task) -> Result<SigInfo, Errno> {
    let mut info: SigInfo = get_user(uinfo)?;
    if (info.code >= 0 || info.code == SI_TKILL) && target.tgid != current().tgid {
        return Err(EPERM);
    }
    info.signo = sig as i32;
    Ok(info)
}

pub fn sys_rt_sigqueueinfo(a: &Args) -> SysResult {
    let task = find_task(a[0] as i32).ok_or(ESRCH)?;
    let sig = valid_signal(a[1])?;
    let info = queued_info(sig, a[2], task)?;
    deliver_to(task, sig, info)
}

pub fn sys_rt_tgsigqueueinfo(a: &Args) -> SysResult {
    let (tgid, tid) = (a[0] as i32, a[1] as i32);
    if tgid <= 0 || tid <= 0 {
        return Err(EINVAL);
    }
    let task = find_task(tid)
        .filter(|t| t.tgid == tgid as Pid)
        .ok_or(ESRCH)?;
    let sig = valid_signal(a[2])?;
    let info = queued_info(sig, a[3], task)?;
    deliver_to(task, sig, info)
}
