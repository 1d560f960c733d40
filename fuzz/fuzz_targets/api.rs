//! libFuzzer entry for lstar_fuzz_targets::api (the body is shared with the
//! seeded test in fuzz/targets/tests/randomized.rs).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| lstar_fuzz_targets::api(data));
