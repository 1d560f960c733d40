//! Wait queues: the one way a task blocks (pipe data, a child's exit,
//! console input, a vfork child's exec). A task puts itself on the queue
//! and sleeps; whoever changes the condition wakes the queue; the woken
//! task re-checks its condition, so spurious wake-ups are harmless.

use alloc::vec::Vec;
use core::sync::atomic::{AtomicBool, Ordering};

use spin::Mutex;

use super::sched;
use crate::errno::{ERESTARTSYS, Errno};
use crate::task::{Pid, current};

pub struct WaitQueue {
    waiters: Mutex<Vec<Pid>>,
    /// Whether `waiters` may be non-empty, readable without the lock:
    /// most wake-ups find nobody waiting (a pipe wakes its queue and the
    /// poll queue on every read and write). Set under the lock before a
    /// waiter sleeps, cleared under the lock when the list is taken.
    busy: AtomicBool,
}

impl Default for WaitQueue {
    fn default() -> Self {
        WaitQueue::new()
    }
}

impl WaitQueue {
    pub const fn new() -> WaitQueue {
        WaitQueue {
            waiters: Mutex::new(Vec::new()),
            busy: AtomicBool::new(false),
        }
    }

    /// Wakes every task sleeping here.
    #[inline]
    pub fn wake_up(&self) {
        if self.busy.load(Ordering::Acquire) {
            self.wake_all();
        }
    }

    #[inline(never)]
    fn wake_all(&self) {
        // Taken out of the lock (a woken task may sleep here again before
        // this returns, in principle), then given back with its capacity
        // so that the next sleeper does not allocate.
        let mut waiters = {
            let mut w = self.waiters.lock();
            self.busy.store(false, Ordering::Release);
            core::mem::take(&mut *w)
        };
        for &pid in &waiters {
            sched::wake_up(pid);
        }
        waiters.clear();
        let mut w = self.waiters.lock();
        if w.is_empty() && w.capacity() == 0 {
            *w = waiters;
        }
    }

    fn enqueue(&self) {
        let pid = current().pid;
        let mut w = self.waiters.lock();
        if !w.contains(&pid) {
            w.push(pid);
        }
        self.busy.store(true, Ordering::Release);
    }

    /// Sleeps until `cond()` holds. A signal to be handled ends the wait
    /// first with ERESTARTSYS (the signal code turns it into EINTR or a
    /// restart).
    pub fn wait_event(&self, mut cond: impl FnMut() -> bool) -> Result<(), Errno> {
        match self.wait_event_until(&mut cond, None) {
            Ok(true) => Ok(()),
            Ok(false) => Err(ERESTARTSYS),
            Err(e) => Err(e),
        }
    }

    /// Like [`Self::wait_event`] with a deadline on the monotonic clock:
    /// Ok(false) when it passed first.
    pub fn wait_event_until(
        &self,
        cond: &mut dyn FnMut() -> bool,
        deadline: Option<u64>,
    ) -> Result<bool, Errno> {
        loop {
            if cond() {
                return Ok(true);
            }
            if sched::signal_pending() {
                return Err(ERESTARTSYS);
            }
            if deadline.is_some_and(|d| crate::kernel::time::monotonic_ns() >= d) {
                return Ok(false);
            }
            self.enqueue();
            sched::sleep(deadline);
        }
    }

    /// Sleeps until `cond()` holds, whatever signals arrive (vfork's
    /// parent; Linux's TASK_KILLABLE is close enough with no SIGKILL
    /// from inside).
    pub fn wait_event_uninterruptible(&self, mut cond: impl FnMut() -> bool) {
        while !cond() {
            self.enqueue();
            sched::sleep(None);
        }
    }
}
