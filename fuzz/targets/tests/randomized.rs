//! The fuzz targets as bounded, seeded, randomized tests on stable: each
//! target gets inputs from a xorshift generator (random bytes, and random
//! byte flips of earlier inputs, a poor man's mutation), a fixed number of
//! them per seed, so that `cargo test --workspace` runs the very code
//! `cargo fuzz run` does. A panic in the code under test fails the test and
//! names the target, seed and input to replay it.

use std::panic::{self, AssertUnwindSafe};

use lstar_fuzz_targets::rng::XorShift;
use lstar_fuzz_targets::{api, blk, cmdline, elf, mmio};

/// Seeds per target; `LSTAR_FUZZ_SEEDS=N` runs more.
const SEEDS: u64 = 4;

fn seeds() -> u64 {
    std::env::var("LSTAR_FUZZ_SEEDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(SEEDS)
}

/// Runs `target` on `runs` inputs of up to `max_len` bytes from each seed.
fn run(name: &str, target: fn(&[u8]), runs: usize, max_len: usize) {
    for seed in 0..seeds() {
        let mut rng = XorShift::new(seed);
        let mut last = Vec::new();
        for i in 0..runs {
            let input = if !last.is_empty() && rng.below(2) == 0 {
                // Flip a few bytes of the previous input: random bytes
                // rarely get past a target's first checks, its mutants do.
                let mut m: Vec<u8> = last.clone();
                for _ in 0..1 + rng.below(4) {
                    let at = rng.below(m.len() as u64) as usize;
                    m[at] ^= 1 << rng.below(8);
                }
                m
            } else {
                let len = rng.below(max_len as u64 + 1) as usize;
                rng.bytes(len)
            };
            if let Err(e) = panic::catch_unwind(AssertUnwindSafe(|| target(&input))) {
                let hex: String = input.iter().map(|b| format!("{b:02x}")).collect();
                eprintln!("{name}: seed {seed}, input {i} panicked; input (hex): {hex}");
                panic::resume_unwind(e);
            }
            last = input;
        }
    }
}

#[test]
fn blk_random_requests() {
    run("blk", blk, 3000, 512);
}

#[test]
fn mmio_random_register_accesses() {
    run("mmio", mmio, 4000, 512);
}

#[test]
fn elf_random_programs() {
    run("elf", elf, 40_000, 256);
}

#[test]
fn cmdline_random_lines() {
    run("cmdline", cmdline, 20_000, 256);
}

#[test]
fn api_random_requests() {
    run("api", api, 20_000, 256);
}
