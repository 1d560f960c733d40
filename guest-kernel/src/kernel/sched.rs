//! The scheduler: a round-robin run queue, sleeping with wake-ups and
//! timers, preemption of user code by the LAPIC timer, and the idle halt.
//!
//! The kernel is not preemptive: a task gives up the CPU only in
//! `schedule()` (it sleeps, yields, exits, or the tick preempted its user
//! code and the exit path to user mode yields). With nothing to run, the
//! vCPU halts until an interrupt (the timer for the next deadline, console
//! input, the disk), so an idle guest costs the host no CPU.

use alloc::collections::VecDeque;
use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use spin::Mutex;

use crate::errno::SysResult;
use crate::kernel::time::monotonic_ns;
use crate::syscall::Args;
use crate::task::{self, Pid, Task, TaskState, current};

/// How long user code runs before another runnable task gets the CPU.
const TIME_SLICE_NS: u64 = 10_000_000;

static RUNQUEUE: Mutex<VecDeque<Pid>> = Mutex::new(VecDeque::new());
static NEED_RESCHED: AtomicBool = AtomicBool::new(false);
/// At most the earliest `wake_at` or `alarm_at` of any task (u64::MAX:
/// none), so that `run_timers` and `arm_timer` need not visit every task
/// on every switch: lowered whenever a deadline is set, made exact again
/// whenever `run_timers` visits them. A deadline that goes away early
/// (a sleeper woken by its event) leaves it too low, which costs one
/// visit, never a missed timer.
static NEXT_DEADLINE: AtomicU64 = AtomicU64::new(u64::MAX);
/// When the running task's time slice ends, while others wait to run.
static SLICE_END: AtomicU64 = AtomicU64::new(u64::MAX);
/// When the armed LAPIC timer fires (monotonic ns), u64::MAX when none
/// is armed: arming again for the same time, or for a slice end just
/// after it, is skipped (each LAPIC write is an exit under kvm-pvm).
static ARMED_AT: AtomicU64 = AtomicU64::new(u64::MAX);
/// A slice end this close after the armed time counts as reached when the
/// timer fires: the slice is only a little shorter, and the timer is not
/// written again for it.
const SLICE_SLACK_NS: u64 = TIME_SLICE_NS / 10;
/// A task that exited with nobody to reap it, freed by the next task to run
/// (its stack was in use until the switch).
static DEAD: Mutex<Option<Pid>> = Mutex::new(None);

/// Adds a runnable task to the queue. The first one to wait behind the
/// running task starts the time slice, so that a task spinning in user
/// mode is preempted even if nothing else arms the timer.
fn enqueue(pid: Pid) {
    let was_empty = {
        let mut q = RUNQUEUE.lock();
        q.push_back(pid);
        q.len() == 1
    };
    if was_empty {
        let now = monotonic_ns();
        SLICE_END.store(now + TIME_SLICE_NS, Ordering::Relaxed);
        arm_timer(now);
    }
}

/// Makes a sleeping task runnable.
pub fn wake_up(pid: Pid) {
    if let Some(t) = task::find(pid)
        && t.state == TaskState::Sleeping
    {
        t.state = TaskState::Running;
        t.wake_at = None;
        crate::stats::publish_task(t);
        enqueue(pid);
    }
}

/// A new task (fork) or a continued one (SIGCONT) joins the run queue.
pub fn make_runnable(t: &mut Task) {
    t.state = TaskState::Running;
    crate::stats::publish_task(t);
    enqueue(t.pid);
}

/// Puts the running task to sleep until it is woken (or `deadline` on the
/// monotonic clock passes).
pub fn sleep(deadline: Option<u64>) {
    let t = current();
    t.state = TaskState::Sleeping;
    t.wake_at = deadline;
    if let Some(at) = deadline {
        NEXT_DEADLINE.fetch_min(at, Ordering::Relaxed);
    }
    crate::stats::publish_task(t);
    schedule();
    current().wake_at = None;
}

/// Sleeps until `deadline`; Err(ERESTARTSYS) when a signal came first.
pub fn sleep_until(deadline: u64) -> Result<(), crate::errno::Errno> {
    loop {
        if monotonic_ns() >= deadline {
            return Ok(());
        }
        if signal_pending() {
            return Err(crate::errno::ERESTARTSYS);
        }
        sleep(Some(deadline));
    }
}

/// Whether the running task has a signal to act on (it ends interruptible
/// sleeps).
pub fn signal_pending() -> bool {
    crate::kernel::signal::signal_pending(current())
}

/// Gives the CPU to the next runnable task; the running one stays runnable.
pub fn yield_now() {
    let t = current();
    if t.state == TaskState::Running {
        RUNQUEUE.lock().push_back(t.pid);
    }
    schedule();
}

/// Whether the tick asked for a switch; cleared by asking.
/// Whether the tick asked for a reschedule, without taking the request.
#[inline(always)]
pub fn resched_requested() -> bool {
    NEED_RESCHED.load(Ordering::Relaxed)
}

pub fn need_resched() -> bool {
    NEED_RESCHED.swap(false, Ordering::Relaxed)
}

/// Wakes the tasks whose timers are due and sends due SIGALRMs; true if
/// any was. Visits the tasks only when the earliest deadline has come.
fn run_timers(now: u64) -> bool {
    if now < NEXT_DEADLINE.load(Ordering::Relaxed) {
        return false;
    }
    let mut alarms = alloc::vec::Vec::new();
    let mut wakes = alloc::vec::Vec::new();
    let mut next = u64::MAX;
    for t in task::all() {
        match t.wake_at {
            Some(d) if d <= now => wakes.push(t.pid),
            Some(d) => next = next.min(d),
            None => {}
        }
        if let Some(at) = t.alarm_at {
            if at <= now {
                t.alarm_at = (t.alarm_interval > 0).then(|| at.max(now) + t.alarm_interval);
                alarms.push(t.pid);
            }
            if let Some(at) = t.alarm_at {
                next = next.min(at);
            }
        }
    }
    // Due sleepers are left out: waking them clears their deadline.
    NEXT_DEADLINE.store(next, Ordering::Relaxed);
    let any = !wakes.is_empty() || !alarms.is_empty();
    for pid in wakes {
        wake_up(pid);
    }
    for pid in alarms {
        if let Some(t) = task::find(pid) {
            crate::kernel::signal::send_signal_from_kernel(t, 14);
        }
    }
    any
}

/// Arms the LAPIC timer for the next deadline: a sleeper's, an alarm, or
/// the end of the time slice when others wait to run. An armed timer that
/// fires no later than that (and not long before a slice end) stays.
fn arm_timer(now: u64) {
    let mut at = NEXT_DEADLINE.load(Ordering::Relaxed);
    if at <= now {
        // Possibly a deadline that went away: find the real one (if it is
        // due, the timer fires at once and `run_timers` sees to it).
        at = task::all()
            .flat_map(|t| [t.wake_at, t.alarm_at])
            .flatten()
            .min()
            .unwrap_or(u64::MAX);
        NEXT_DEADLINE.store(at, Ordering::Relaxed);
    }
    let mut slack = 0;
    if !RUNQUEUE.lock().is_empty() {
        let slice_end = SLICE_END.load(Ordering::Relaxed);
        if slice_end <= at {
            at = slice_end;
            slack = SLICE_SLACK_NS;
        }
    }
    if at == u64::MAX {
        return;
    }
    let armed = ARMED_AT.load(Ordering::Relaxed);
    if now < armed && armed <= at && at - armed <= slack {
        return;
    }
    let ns = at.saturating_sub(now);
    crate::arch::apic::arm_timer_ns(ns);
    let ns = ns.min(crate::arch::apic::TIMER_MAX_NS);
    ARMED_AT.store(now + ns, Ordering::Relaxed);
}

/// The running task's alarm changed (alarm, setitimer): the timer is armed for it
/// now, not at the next switch, since a task that never blocks would not
/// get one.
pub fn timers_changed() {
    if let Some(at) = current().alarm_at {
        NEXT_DEADLINE.fetch_min(at, Ordering::Relaxed);
    }
    arm_timer(monotonic_ns());
}

/// The LAPIC timer fired (from user mode or the idle halt).
pub fn timer_interrupt() {
    ARMED_AT.store(u64::MAX, Ordering::Relaxed);
    let now = monotonic_ns();
    let fired = run_timers(now);
    // Others wait to run: the running task's slice is over, or a timer
    // made a task runnable (which then runs at once, as before a slice
    // ends). An early fire (for a deadline that went away) changes nothing.
    if !RUNQUEUE.lock().is_empty()
        && (fired || now + SLICE_SLACK_NS >= SLICE_END.load(Ordering::Relaxed))
    {
        NEED_RESCHED.store(true, Ordering::Relaxed);
        crate::entry_common::exit_work_may_be_pending();
        // The next task's slice (its switch sets it again).
        SLICE_END.store(now + TIME_SLICE_NS, Ordering::Relaxed);
    }
    // The LAPIC timer is one-shot: the next deadline (an interval timer's
    // next expiry, a sleeper) needs it armed again even if nothing switches.
    arm_timer(now);
}

/// Picks the next task to run and switches to it; returns when the
/// running task is chosen again. With nothing runnable it halts the vCPU.
pub fn schedule() {
    let prev = current();
    let prev_pid = prev.pid;
    let next_pid = loop {
        let now = monotonic_ns();
        run_timers(now);
        let picked = RUNQUEUE.lock().pop_front();
        match picked {
            Some(pid) => match task::find(pid) {
                Some(t) if t.state == TaskState::Running => break pid,
                _ => continue,
            },
            None if current().state == TaskState::Running => break prev_pid,
            None => {
                arm_timer(now);
                crate::arch::wait_for_interrupt();
            }
        }
    };
    // A fresh pick answers any pending request to switch; the chosen task
    // starts a slice if others wait.
    NEED_RESCHED.store(false, Ordering::Relaxed);
    let now = monotonic_ns();
    SLICE_END.store(now + TIME_SLICE_NS, Ordering::Relaxed);
    arm_timer(now);
    if next_pid == prev_pid {
        return;
    }
    let Some(next) = task::find(next_pid) else {
        return;
    };
    prev.run_ns += now.saturating_sub(prev.switched_in);
    next.switched_in = now;
    task::set_current(next);
    if prev.mm.pml4 != next.mm.pml4 {
        crate::mm::paging::load_cr3(next.mm.pml4);
    }
    let bases = ((prev.fs_base, next.fs_base), (prev.gs_base, next.gs_base));
    crate::arch::switch_to::switch_to(&mut prev.thread, &next.thread, bases.0, bases.1);
    schedule_tail();
}

/// Work after a switch, on the new task's stack: free a task that exited
/// unreaped (its stack is no longer in use).
pub fn schedule_tail() {
    let dead = DEAD.lock().take();
    if let Some(pid) = dead
        && pid != current().pid
    {
        drop(task::remove(pid));
    }
}

/// An exited task nobody will wait for goes once the switch is done.
pub fn release_after_switch(pid: Pid) {
    *DEAD.lock() = Some(pid);
}

/// One vCPU: CPU 0 is the only one a task can run on.
pub fn sys_sched_getaffinity(a: &Args) -> SysResult {
    let (pid, len, mask) = (a[0] as i32, a[1], a[2]);
    if pid < 0 || (pid > 0 && task::find(pid as Pid).is_none()) {
        return Err(crate::errno::ESRCH);
    }
    // Linux answers in whole longs of its cpumask (8 bytes for <= 64 CPUs).
    if len < 8 || len % 8 != 0 {
        return Err(crate::errno::EINVAL);
    }
    crate::uaccess::put_user(mask, &1u64)?;
    Ok(8)
}

/// Any mask that includes CPU 0 is accepted (it is the only CPU).
pub fn sys_sched_setaffinity(a: &Args) -> SysResult {
    let (pid, len, mask) = (a[0] as i32, a[1], a[2]);
    if pid < 0 || (pid > 0 && task::find(pid as Pid).is_none()) {
        return Err(crate::errno::ESRCH);
    }
    if len == 0 {
        return Err(crate::errno::EINVAL);
    }
    let mut first = [0u8; 1];
    crate::uaccess::copy_from_user(&mut first, mask)?;
    if first[0] & 1 == 0 {
        return Err(crate::errno::EINVAL);
    }
    Ok(0)
}

pub fn sys_sched_yield(_: &Args) -> SysResult {
    yield_now();
    Ok(0)
}
