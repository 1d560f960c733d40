//! The bodies of lstar's fuzz targets, one function per target, each taking
//! arbitrary bytes. Two callers run the very same code:
//! - `fuzz/fuzz_targets/*.rs`, cargo-fuzz with libFuzzer (coverage-guided,
//!   nightly flags): `cargo +nightly fuzz run TARGET` in `fuzz/`;
//! - `tests/randomized.rs`, bounded seeded runs on stable inside
//!   `cargo test --workspace`.
//!
//! A target panics when the code under test panics or breaks one of the
//! invariants the target checks; anything else is a pass.
//!
//! Targets: [`blk`] (virtio-blk requests and descriptor chains), [`mmio`]
//! (virtio-mmio registers), [`elf`] (the program ELF checks), [`cmdline`]
//! (the kernel command-line encoding), [`api`] (the control socket's
//! request parsing and JSON bodies, from vmm/src/api/'s own files).

pub mod api;
pub mod blk;
pub mod cmdline;
pub mod driver;
pub mod elf;
pub mod input;
pub mod mmio;
pub mod rng;

pub use api::api;
pub use blk::blk;
pub use cmdline::cmdline;
pub use elf::elf;
pub use mmio::mmio;
