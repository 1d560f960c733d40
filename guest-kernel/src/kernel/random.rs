//! The kernel's random generator: ChaCha20 (RFC 8439) keyed by host
//! randomness (the second half of `lstar.seed=`) mixed with the TSC. Hand-written because the
//! block function is 30 lines and a crate would pull in far more.
//! getrandom(2) and AT_RANDOM draw from it.

use spin::Mutex;

use crate::errno::{EINVAL, SysResult};
use crate::mm::PAGE_SIZE;
use crate::syscall::Args;
use crate::uaccess::user_slice_mut;

struct ChaCha {
    state: [u32; 16],
}

fn quarter(s: &mut [u32; 16], a: usize, b: usize, c: usize, d: usize) {
    s[a] = s[a].wrapping_add(s[b]);
    s[d] = (s[d] ^ s[a]).rotate_left(16);
    s[c] = s[c].wrapping_add(s[d]);
    s[b] = (s[b] ^ s[c]).rotate_left(12);
    s[a] = s[a].wrapping_add(s[b]);
    s[d] = (s[d] ^ s[a]).rotate_left(8);
    s[c] = s[c].wrapping_add(s[d]);
    s[b] = (s[b] ^ s[c]).rotate_left(7);
}

impl ChaCha {
    /// The next 64-byte block, written straight into `out` (no block-sized
    /// temporary and copy: every kernel instruction is emulated on kvm-pvm).
    fn block_into(&mut self, out: &mut [u8; 64]) {
        let mut x = self.state;
        for _ in 0..10 {
            quarter(&mut x, 0, 4, 8, 12);
            quarter(&mut x, 1, 5, 9, 13);
            quarter(&mut x, 2, 6, 10, 14);
            quarter(&mut x, 3, 7, 11, 15);
            quarter(&mut x, 0, 5, 10, 15);
            quarter(&mut x, 1, 6, 11, 12);
            quarter(&mut x, 2, 7, 8, 13);
            quarter(&mut x, 3, 4, 9, 14);
        }
        for (i, word) in out.chunks_exact_mut(4).enumerate() {
            word.copy_from_slice(&x[i].wrapping_add(self.state[i]).to_le_bytes());
        }
        // 64-bit block counter in words 12 and 13.
        self.state[12] = self.state[12].wrapping_add(1);
        if self.state[12] == 0 {
            self.state[13] = self.state[13].wrapping_add(1);
        }
    }

    /// Fills `buf`: whole blocks in place, the tail through one block.
    fn fill(&mut self, buf: &mut [u8]) {
        let mut blocks = buf.chunks_exact_mut(64);
        for block in &mut blocks {
            if let Ok(block) = <&mut [u8; 64]>::try_from(block) {
                self.block_into(block);
            }
        }
        let tail = blocks.into_remainder();
        if !tail.is_empty() {
            let mut last = [0u8; 64];
            self.block_into(&mut last);
            tail.copy_from_slice(&last[..tail.len()]);
        }
    }
}

static RNG: Mutex<ChaCha> = Mutex::new(ChaCha { state: [0; 16] });

/// Keys the generator: 16 bytes of host randomness and the TSC.
pub fn init(seed: &[u8; 16]) {
    let mut rng = RNG.lock();
    // "expand 32-byte k"
    rng.state[..4].copy_from_slice(&[0x6170_7865, 0x3320_646e, 0x7962_2d32, 0x6b20_6574]);
    for i in 0..4 {
        rng.state[4 + i] = u32::from_le_bytes([
            seed[i * 4],
            seed[i * 4 + 1],
            seed[i * 4 + 2],
            seed[i * 4 + 3],
        ]);
    }
    let tsc = crate::kernel::time::rdtsc();
    rng.state[8] = tsc as u32;
    rng.state[9] = (tsc >> 32) as u32;
}

pub fn fill(buf: &mut [u8]) {
    RNG.lock().fill(buf);
}

/// Most bytes one getrandom() call produces. Linux returns at most 32 MiB - 1
/// per call and may return fewer than asked beyond 256 bytes (it stops for a
/// pending signal), never fewer for 256 or less. Here every kernel
/// instruction is emulated on kvm-pvm: one ChaCha20 block is ~1,700 of them,
/// 0.75-0.85 ms measured, so 256 bytes (4 blocks) cost ~3.4 ms per call and
/// 4 KiB ~47 ms; 32 MiB in one call took five minutes. A call therefore
/// stops after 256 bytes, the most Linux guarantees.
pub const GETRANDOM_MAX: u64 = 256;
const GRND_NONBLOCK: u64 = 1;
const GRND_RANDOM: u64 = 2;
const GRND_INSECURE: u64 = 4;

pub fn sys_getrandom(a: &Args) -> SysResult {
    let (buf, len, flags) = (a[0], a[1], a[2]);
    if flags & !(GRND_NONBLOCK | GRND_RANDOM | GRND_INSECURE) != 0
        || flags & (GRND_RANDOM | GRND_INSECURE) == (GRND_RANDOM | GRND_INSECURE)
    {
        return Err(EINVAL);
    }
    let len = len.min(GETRANDOM_MAX);
    let mut rng = RNG.lock();
    let mut done = 0;
    // Page by page, straight into user memory: a fault past the first page
    // returns what was written, as Linux does.
    while done < len {
        let at = buf.wrapping_add(done);
        let n = (len - done).min(PAGE_SIZE - at % PAGE_SIZE);
        match user_slice_mut(at, n) {
            Ok(dst) => rng.fill(dst),
            Err(e) => return if done == 0 { Err(e) } else { Ok(done) },
        }
        done += n;
    }
    Ok(done)
}
