//! Process-level system calls: identity, limits, time, signals, randomness.

pub mod random;
pub mod signal;
pub mod sys;
pub mod time;
