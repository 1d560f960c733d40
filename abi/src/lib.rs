//! What the lstar VMM (host) and the lstar guest kernel agree on.
//!
//! `no_std` and dependency-free so that both sides compile the very same
//! definitions: a constant changed here changes both ends of the contract.
#![no_std]

extern crate alloc;

pub mod chunked;
pub mod cmdline;
pub mod elf;
pub mod exit;
pub mod ksyms;
pub mod layout;
pub mod ports;
pub mod pvh;
pub mod stats;
pub mod syscall_arity;
pub mod syscall_nr;
