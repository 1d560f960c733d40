//! The kernel's random generator: ChaCha20 (RFC 8439) keyed by host
//! randomness (the second half of `lstar.seed=`) mixed with the TSC. Hand-written because the
//! block function is 30 lines and a crate would pull in far more.
//! getrandom(2) and AT_RANDOM draw from it.

use spin::Mutex;

use crate::errno::{EINVAL, SysResult};
use crate::syscall::Args;
use crate::uaccess::copy_to_user;

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
    fn block(&mut self) -> [u8; 64] {
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
        let mut out = [0u8; 64];
        for i in 0..16 {
            let word = x[i].wrapping_add(self.state[i]);
            out[i * 4..i * 4 + 4].copy_from_slice(&word.to_le_bytes());
        }
        // 64-bit block counter in words 12 and 13.
        self.state[12] = self.state[12].wrapping_add(1);
        if self.state[12] == 0 {
            self.state[13] = self.state[13].wrapping_add(1);
        }
        out
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
    let mut rng = RNG.lock();
    for chunk in buf.chunks_mut(64) {
        let block = rng.block();
        chunk.copy_from_slice(&block[..chunk.len()]);
    }
}

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
    // Linux returns at most 32 MiB - 1 bytes per call.
    let len = len.min(0x01ff_ffff);
    let mut done = 0;
    let mut bytes = [0u8; 256];
    while done < len {
        let n = ((len - done) as usize).min(bytes.len());
        fill(&mut bytes[..n]);
        if let Err(e) = copy_to_user(buf + done, &bytes[..n]) {
            return if done == 0 { Err(e) } else { Ok(done) };
        }
        done += n as u64;
    }
    Ok(done)
}
