//! Wait queues: the one way a task blocks (pipe data, a child's exit,
//! console input, a vfork child's exec). A task puts itself on the queue
//! and sleeps; whoever changes the condition wakes the queue; the woken
//! task re-checks its condition, so spurious wake-ups are harmless.

use alloc::vec::Vec;

use spin::Mutex;

use super::sched;
use crate::errno::{ERESTARTSYS, Errno};
use crate::task::{Pid, current};

pub struct WaitQueue(Mutex<Vec<Pid>>);

impl Default for WaitQueue {
    fn default() -> Self {
        WaitQueue::new()
    }
}

impl WaitQueue {
    pub const fn new() -> WaitQueue {
        WaitQueue(Mutex::new(Vec::new()))
    }

    /// Wakes every task sleeping here.
    pub fn wake_up(&self) {
        let waiters = core::mem::take(&mut *self.0.lock());
        for pid in waiters {
            sched::wake_up(pid);
        }
    }

    fn enqueue(&self) {
        let pid = current().pid;
        let mut w = self.0.lock();
        if !w.contains(&pid) {
            w.push(pid);
        }
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
