//! Integration tests of the `lstar` binary: each test runs the real VMM on
//! /dev/kvm with the real guest kernel and a small static program from
//! tests/progs (built with `musl-gcc -static` on first use), or boots the
//! same kernel under QEMU through scripts/qemu-run.sh.
//!
//! Declared as the `integration` test of the `lstar` package (vmm/Cargo.toml),
//! so that cargo builds the binary first and tells us where it is.
//!
//! Without /dev/kvm the KVM tests print `skipped: ...` and pass; `.ci/run`
//! refuses to run without KVM, so CI runs them all.

#[macro_use]
mod common;

mod abi;
mod api;
mod api_memory;
mod blk;
mod boot;
mod cli;
mod differential;
mod disk;
mod exec_errors;
mod ext2;
mod ext2_peer;
mod files;
mod io;
mod kernel;
mod mm;
mod process;
mod progs;
mod qemu;
mod run_signals;
mod seccomp;
mod signals;
mod stats;
mod syscalls;
mod threads;
mod toolchain;
mod trace;
mod vfs;
