//! Process-level system calls: identity, limits, time, signals, randomness.

pub mod exec;
pub mod fork;
pub mod futex;
pub mod random;
pub mod sched;
pub mod signal;
pub mod sys;
pub mod time;
pub mod wait;
