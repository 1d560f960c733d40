//! Byte search with `repne scasb`.
//!
//! Why not `iter().position()`: under kvm-pvm every kernel instruction is
//! emulated (~0.7 µs each, measured). A REP string instruction is counted
//! once by `kvm:kvm_emulate_insn` but emulated one iteration at a time, at
//! about the cost of an instruction each (a 4 KiB `rep stosq` clear, 512
//! iterations, costs ~700,000 host cycles: drivers/copy_engine.rs); that is
//! still several times cheaper than the compare, increment and branch of
//! a Rust loop per byte. Scanning a command line byte by byte in Rust cost
//! milliseconds at boot.

/// Index of the first `needle` in `haystack`.
pub fn find_byte(haystack: &[u8], needle: u8) -> Option<usize> {
    if haystack.is_empty() {
        return None;
    }
    let left: usize;
    // SAFETY: SCASB reads at most `haystack.len()` bytes from its start;
    // DF is clear in the kernel (the ABI guarantees it).
    unsafe {
        core::arch::asm!(
            "repne scasb",
            inout("rdi") haystack.as_ptr() => _,
            inout("rcx") haystack.len() => left,
            in("al") needle,
            options(nostack, readonly),
        );
    }
    // On a match RCX holds the bytes left after it; the last byte may
    // also be the match, which the count alone cannot tell.
    let index = haystack.len() - left - 1;
    (haystack[index] == needle).then_some(index)
}
