//! Why dirty pages reach the disk, and the counters of each reason in the
//! stats area (`lstar run --stats` prints them): the product's policy is
//! writeback at the last close, at fsync and at exit, and early only when
//! the frame allocator runs out (then counted as pressure).

use core::sync::atomic::{AtomicBool, Ordering};

use lstar_abi::stats::{
    WORD_WB_CLOSE_PAGES, WORD_WB_CLOSES, WORD_WB_EXIT_PAGES, WORD_WB_FSYNC_PAGES,
    WORD_WB_PRESSURE_PAGES,
};

/// What asked for a writeback.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reason {
    /// The last close of an open file (its release, as task work).
    Close,
    /// fsync, fdatasync, sync, syncfs, msync.
    Fsync,
    /// A program's exit: the releases of the files it left open.
    Exit,
    /// Free frames ran low (fs/reclaim.rs): a file's dirty pages written
    /// early so that their frames can be evicted.
    Pressure,
}

/// Set while a task's files are closed by its exit (one CPU, and a
/// writeback never schedules: no other task's release runs meanwhile).
static EXITING: AtomicBool = AtomicBool::new(false);

/// Runs `f` (an exiting task's close of its files and their releases)
/// with its writebacks counted as `Reason::Exit`.
pub fn at_exit<R>(f: impl FnOnce() -> R) -> R {
    let was = EXITING.swap(true, Ordering::Relaxed);
    let r = f();
    EXITING.store(was, Ordering::Relaxed);
    r
}

/// The reason of a release's writeback: Exit inside `at_exit`, else Close.
pub fn release_reason() -> Reason {
    if EXITING.load(Ordering::Relaxed) {
        Reason::Exit
    } else {
        Reason::Close
    }
}

/// Counts `pages` written back for `reason` (none: nothing counted, so a
/// close with nothing dirty is not a close that wrote).
pub fn count(reason: Reason, pages: u64) {
    if pages == 0 {
        return;
    }
    let word = match reason {
        Reason::Close => {
            crate::stats::add(WORD_WB_CLOSES, 1);
            WORD_WB_CLOSE_PAGES
        }
        Reason::Fsync => WORD_WB_FSYNC_PAGES,
        Reason::Exit => WORD_WB_EXIT_PAGES,
        Reason::Pressure => WORD_WB_PRESSURE_PAGES,
    };
    crate::stats::add(word, pages);
}
