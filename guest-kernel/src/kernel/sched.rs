//! The scheduler: a round-robin run queue, sleeping with wake-ups and
//! timers, preemption of user code by the LAPIC timer, and the idle halt.
//!
//! The kernel is not preemptive: a task gives up the CPU only in
//! `schedule()` (it sleeps, yields, exits, or the tick preempted its user
//! code and the exit path to user mode yields). With nothing to run, the
//! vCPU halts until an interrupt (the timer for the next deadline, console
//! input, the disk), so an idle guest costs the host no CPU.

use alloc::collections::VecDeque;
use core::sync::atomic::{AtomicBool, Ordering};

use spin::Mutex;

use crate::errno::SysResult;
use crate::kernel::time::monotonic_ns;
use crate::syscall::Args;
use crate::task::{self, Pid, Task, TaskState, current};

/// How long user code runs before another runnable task gets the CPU.
const TIME_SLICE_NS: u64 = 10_000_000;

static RUNQUEUE: Mutex<VecDeque<Pid>> = Mutex::new(VecDeque::new());
static NEED_RESCHED: AtomicBool = AtomicBool::new(false);
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
        arm_timer(monotonic_ns());
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

/// Wakes the tasks whose timers are due and sends due SIGALRMs.
fn run_timers(now: u64) {
    let mut alarms = alloc::vec::Vec::new();
    let mut wakes = alloc::vec::Vec::new();
    for t in task::all() {
        if t.wake_at.is_some_and(|d| d <= now) {
            wakes.push(t.pid);
        }
        if let Some(at) = t.alarm_at.filter(|&d| d <= now) {
            t.alarm_at = (t.alarm_interval > 0).then(|| at.max(now) + t.alarm_interval);
            alarms.push(t.pid);
        }
    }
    for pid in wakes {
        wake_up(pid);
    }
    for pid in alarms {
        if let Some(t) = task::find(pid) {
            crate::kernel::signal::send_signal_from_kernel(t, 14);
        }
    }
}

/// Arms the LAPIC timer for the next deadline: a sleeper's, an alarm, or
/// the end of the time slice when others wait to run.
fn arm_timer(now: u64) {
    let mut next = task::all()
        .flat_map(|t| [t.wake_at, t.alarm_at])
        .flatten()
        .min();
    if !RUNQUEUE.lock().is_empty() {
        let slice_end = now + TIME_SLICE_NS;
        next = Some(next.map_or(slice_end, |n| n.min(slice_end)));
    }
    if let Some(at) = next {
        crate::arch::apic::arm_timer_ns(at.saturating_sub(now));
    }
}

/// A task's alarm changed (alarm, setitimer): the timer is armed for it
/// now, not at the next switch, since a task that never blocks would not
/// get one.
pub fn timers_changed() {
    arm_timer(monotonic_ns());
}

/// The LAPIC timer fired (from user mode or the idle halt).
pub fn timer_interrupt() {
    let now = monotonic_ns();
    run_timers(now);
    if !RUNQUEUE.lock().is_empty() {
        NEED_RESCHED.store(true, Ordering::Relaxed);
        crate::entry_common::exit_work_may_be_pending();
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
    arm_timer(monotonic_ns());
    if next_pid == prev_pid {
        return;
    }
    let Some(next) = task::find(next_pid) else {
        return;
    };
    let now = monotonic_ns();
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
