//! A sorted sequence kept as a short list of short sorted arrays (the
//! guest kernel's memory areas, `mm/vma.rs`). Generic and host-testable
//! here; the kernel decides the order.
//!
//! Why not a `BTreeMap`: under kvm-pvm every kernel instruction is
//! emulated, and a B-tree keyed by start address must remove and reinsert
//! an element whose start changes, which is what malloc's mmap/munmap of a
//! page next to its previous one does to the area it joins and leaves.
//! Here an element changes in place (`get_mut`) as long as the order
//! holds, a search is two binary searches over flat arrays, and an
//! insertion or removal shifts at most [`CHUNK`] elements of one array
//! (plus, when a chunk splits or empties, the list of chunks: one entry
//! per `CHUNK / 2` elements or more), so thousands of elements still cost
//! a logarithm for a search and a bounded move for a change.

use alloc::vec::Vec;

/// Elements per chunk at most: a shift moves at most this many.
pub const CHUNK: usize = 32;

/// Where an element is: chunk `c`, index `i` in it. The position past
/// the last element is `(chunks, 0)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pos {
    pub c: usize,
    pub i: usize,
}

/// Non-empty chunks, each sorted, in order.
pub struct Chunked<T> {
    chunks: Vec<Vec<T>>,
}

impl<T> Default for Chunked<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> Chunked<T> {
    pub const fn new() -> Self {
        Chunked { chunks: Vec::new() }
    }

    pub fn is_empty(&self) -> bool {
        self.chunks.is_empty()
    }

    pub fn len(&self) -> usize {
        self.chunks.iter().map(Vec::len).sum()
    }

    pub fn clear(&mut self) {
        self.chunks.clear();
    }

    /// The first position whose element is not `before` (`before` holds
    /// for a prefix of the sequence, as for `slice::partition_point`).
    pub fn search(&self, before: impl Fn(&T) -> bool) -> Pos {
        let c = self
            .chunks
            .partition_point(|ch| ch.last().is_some_and(&before));
        let i = self
            .chunks
            .get(c)
            .map_or(0, |ch| ch.partition_point(&before));
        Pos { c, i }
    }

    pub fn get(&self, p: Pos) -> Option<&T> {
        self.chunks.get(p.c)?.get(p.i)
    }

    pub fn get_mut(&mut self, p: Pos) -> Option<&mut T> {
        self.chunks.get_mut(p.c)?.get_mut(p.i)
    }

    /// The position after `p` (`p` holds an element).
    pub fn next(&self, p: Pos) -> Pos {
        match self.chunks.get(p.c) {
            Some(ch) if p.i + 1 < ch.len() => Pos { c: p.c, i: p.i + 1 },
            _ => Pos { c: p.c + 1, i: 0 },
        }
    }

    /// The position before `p`, if any.
    pub fn prev(&self, p: Pos) -> Option<Pos> {
        if p.i > 0 {
            return Some(Pos { c: p.c, i: p.i - 1 });
        }
        let c = p.c.checked_sub(1)?;
        let len = self.chunks.get(c)?.len();
        Some(Pos { c, i: len - 1 })
    }

    /// Inserts `v` before the element at `p` (at the end if `p` is the
    /// end). The caller keeps the order.
    pub fn insert(&mut self, p: Pos, v: T) {
        let (c, i) = if p.c < self.chunks.len() {
            (p.c, p.i)
        } else if let Some(last) = self.chunks.last() {
            (self.chunks.len() - 1, last.len())
        } else {
            self.chunks.push(alloc::vec![v]);
            return;
        };
        let last = c + 1 == self.chunks.len();
        let ch = &mut self.chunks[c];
        if ch.len() < CHUNK {
            ch.insert(i, v);
            return;
        }
        // Full: appending past the last chunk starts a new one (fork
        // copies areas in order, and they stay packed); otherwise the
        // chunk splits in halves.
        if i == CHUNK && last {
            self.chunks.push(alloc::vec![v]);
            return;
        }
        let mut upper = ch.split_off(CHUNK / 2);
        if i <= CHUNK / 2 {
            ch.insert(i, v);
        } else {
            upper.insert(i - CHUNK / 2, v);
        }
        self.chunks.insert(c + 1, upper);
    }

    /// Removes the element at `p` (which holds one).
    pub fn remove(&mut self, p: Pos) -> T {
        let ch = &mut self.chunks[p.c];
        let v = ch.remove(p.i);
        let len = ch.len();
        if len == 0 {
            self.chunks.remove(p.c);
        } else if len < CHUNK / 4 {
            // A small chunk joins a neighbour that has room, so that the
            // list of chunks stays short after many removals.
            if p.c + 1 < self.chunks.len() && len + self.chunks[p.c + 1].len() <= CHUNK / 2 {
                let next = self.chunks.remove(p.c + 1);
                self.chunks[p.c].extend(next);
            } else if p.c > 0 && len + self.chunks[p.c - 1].len() <= CHUNK / 2 {
                let this = self.chunks.remove(p.c);
                self.chunks[p.c - 1].extend(this);
            }
        }
        v
    }

    /// Every element, in order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &T> {
        self.chunks.iter().flatten()
    }

    /// The elements from `p` on, in order.
    pub fn iter_from(&self, p: Pos) -> impl Iterator<Item = &T> {
        let first = self.chunks.get(p.c).map_or(&[][..], |ch| &ch[p.i..]);
        let rest = self.chunks.get(p.c + 1..).unwrap_or(&[]);
        first.iter().chain(rest.iter().flatten())
    }

    /// The elements from `p` on, in order, to change in place.
    pub fn iter_mut_from(&mut self, p: Pos) -> impl Iterator<Item = &mut T> {
        let tail = self.chunks.get_mut(p.c..).unwrap_or(&mut []);
        let (first, rest): (&mut [T], &mut [Vec<T>]) = match tail.split_first_mut() {
            Some((ch, rest)) => (&mut ch[p.i..], rest),
            None => (&mut [], &mut []),
        };
        first.iter_mut().chain(rest.iter_mut().flatten())
    }

    /// The elements before `p`, last first.
    pub fn iter_before_rev(&self, p: Pos) -> impl Iterator<Item = &T> {
        let (first, rest) = match self.chunks.get(p.c) {
            Some(ch) => (&ch[..p.i], &self.chunks[..p.c]),
            None => (&[][..], &self.chunks[..]),
        };
        first.iter().rev().chain(rest.iter().flatten().rev())
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::vec::Vec;

    /// A small deterministic generator (xorshift), so that failures repeat.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
    }

    fn check(c: &Chunked<u64>, model: &[u64]) {
        let all: Vec<u64> = c.iter().copied().collect();
        assert_eq!(all, model);
        assert_eq!(c.len(), model.len());
        for ch in &c.chunks {
            assert!(!ch.is_empty() && ch.len() <= CHUNK);
        }
        // Every position of every key, from the front and backwards.
        for (k, &x) in model.iter().enumerate() {
            let p = c.search(|&v| v < x);
            assert_eq!(c.get(p), Some(&x));
            let from: Vec<u64> = c.iter_from(p).copied().collect();
            assert_eq!(from, model[k..]);
            let before: Vec<u64> = c.iter_before_rev(p).copied().collect();
            let want: Vec<u64> = model[..k].iter().rev().copied().collect();
            assert_eq!(before, want);
            match c.prev(p) {
                Some(q) => assert_eq!(c.get(q), Some(&model[k - 1])),
                None => assert_eq!(k, 0),
            }
            assert_eq!(c.get(c.next(p)), model.get(k + 1));
        }
        let end = c.search(|_| true);
        assert_eq!(c.get(end), None);
        assert_eq!(c.iter_from(end).count(), 0);
        assert_eq!(c.iter_before_rev(end).count(), model.len());
        assert_eq!(
            c.prev(end).and_then(|q| c.get(q)).copied(),
            model.last().copied()
        );
    }

    #[test]
    fn random_inserts_and_removals_match_a_sorted_vec() {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let mut c = Chunked::new();
        let mut model: Vec<u64> = Vec::new();
        for round in 0..4000u32 {
            // Grow to a few hundred elements, then shrink to none.
            let grow = (round / 1000) % 2 == 0;
            if grow || model.is_empty() || rng.next().is_multiple_of(4) {
                let x = rng.next() % 100_000;
                if model.binary_search(&x).is_err() {
                    let at = model.partition_point(|&v| v < x);
                    model.insert(at, x);
                    c.insert(c.search(|&v| v < x), x);
                }
            } else {
                let k = (rng.next() as usize) % model.len();
                let x = model.remove(k);
                let p = c.search(|&v| v < x);
                assert_eq!(c.remove(p), x);
            }
            if round.is_multiple_of(97) {
                check(&c, &model);
            }
        }
        check(&c, &model);
    }

    #[test]
    fn ascending_appends_fill_chunks() {
        let mut c = Chunked::new();
        let model: Vec<u64> = (0..1000).collect();
        for &x in &model {
            c.insert(c.search(|_| true), x);
        }
        check(&c, &model);
        assert_eq!(c.chunks.len(), 1000usize.div_ceil(CHUNK));
    }

    #[test]
    fn change_in_place_through_iter_mut_from() {
        let mut c = Chunked::new();
        for x in 0..100u64 {
            c.insert(c.search(|&v| v < x * 10), x * 10);
        }
        let p = c.search(|&v| v < 500);
        for v in c.iter_mut_from(p).take_while(|v| **v < 700) {
            *v += 1;
        }
        let want: Vec<u64> = (0..100u64)
            .map(|x| x * 10 + u64::from((50..70).contains(&x)))
            .collect();
        check(&c, &want);
        c.clear();
        assert!(c.is_empty());
        check(&c, &[]);
    }
}
