//! A tiny seeded generator (xorshift64*) for the bounded randomized tests:
//! the same seed gives the same inputs, so a failure names its seed and
//! can be replayed.

pub struct XorShift(u64);

impl XorShift {
    /// Any seed; 0 is moved off the one state xorshift cannot leave.
    pub fn new(seed: u64) -> Self {
        Self(seed ^ 0x9e37_79b9_7f4a_7c15)
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Uniform enough below `n` (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    pub fn fill(&mut self, buf: &mut [u8]) {
        for chunk in buf.chunks_mut(8) {
            let r = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(&r[..chunk.len()]);
        }
    }

    /// `len` random bytes.
    pub fn bytes(&mut self, len: usize) -> Vec<u8> {
        let mut v = vec![0u8; len];
        self.fill(&mut v);
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_stream_and_zero_is_a_seed() {
        let (mut a, mut b) = (XorShift::new(0), XorShift::new(0));
        let first = a.next_u64();
        assert_ne!(first, 0);
        assert_eq!(first, b.next_u64());
        assert_ne!(XorShift::new(1).next_u64(), first);
        assert_eq!(a.bytes(5).len(), 5);
    }
}
