//! A radix heap: a priority queue for keys that never go below the last
//! key taken out (a simulation's clock only moves forward).
//!
//! Keys are 128-bit, compared as unsigned integers; an entry's bucket is
//! the bit length of `key ^ last`, where `last` is the key most recently
//! taken out. Every key in bucket `b > 0` agrees with `last` above bit
//! `b - 1` and has a 1 where `last` has a 0 at bit `b - 1`, so every key of
//! a lower bucket is smaller than every key of a higher one, and bucket 0
//! holds only keys equal to `last`. Taking the minimum empties the lowest
//! non-empty bucket and spreads its entries over lower buckets, relative to
//! its minimum; an entry only ever moves down, so each costs at most 128
//! moves over its life, and in practice (keys close in time) a few.
//!
//! Each bucket keeps its minimum, so the smallest key is known without
//! moving anything (`peek` takes `&self`). Entries with equal keys come
//! out in no particular order: give them unique keys (a sequence number)
//! where that matters. A key below `last` is still accepted (the heap
//! rewinds `last`, merging its lowest buckets), so a mistaken caller gets a
//! slower heap, never a wrong order.

/// The queue's keys: `(high, low)` compares as a 128-bit integer.
pub type RadixKey = (u64, u64);

const BUCKETS: usize = 129;

/// A min-queue of `(key, value)` entries whose keys do not go below the
/// last key popped.
#[derive(Debug, Clone)]
pub struct RadixHeap<T> {
    buckets: Vec<Vec<(RadixKey, T)>>,
    /// The minimum key of each non-empty bucket.
    mins: [RadixKey; BUCKETS],
    /// Bit `b - 1` of the pair (as one 128-bit word, low word first) is
    /// set when bucket `b` (1..=128) is not empty. Two words: 128-bit
    /// shifts cost several instructions and a branch.
    occupied: [u64; 2],
    last: RadixKey,
    len: usize,
}

impl<T> Default for RadixHeap<T> {
    fn default() -> Self {
        Self {
            buckets: (0..BUCKETS).map(|_| Vec::new()).collect(),
            mins: [(u64::MAX, u64::MAX); BUCKETS],
            occupied: [0; 2],
            last: (0, 0),
            len: 0,
        }
    }
}

/// The bucket of `key` relative to `last`: the bit length of their XOR.
#[inline(always)]
fn bucket_of(key: RadixKey, last: RadixKey) -> usize {
    let high = key.0 ^ last.0;
    if high != 0 {
        128 - high.leading_zeros() as usize
    } else {
        64 - (key.1 ^ last.1).leading_zeros() as usize
    }
}

impl<T> RadixHeap<T> {
    /// An empty heap.
    pub fn new() -> Self {
        Self::default()
    }

    /// Entries held.
    #[inline]
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether no entry is held.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    #[inline(always)]
    fn place(&mut self, key: RadixKey, value: T) {
        let b = bucket_of(key, self.last);
        self.buckets[b].push((key, value));
        if key < self.mins[b] {
            self.mins[b] = key;
        }
        if b > 0 {
            self.occupied[(b - 1) >> 6] |= 1 << ((b - 1) & 63);
        }
    }

    /// Adds an entry.
    #[inline]
    pub fn push(&mut self, key: RadixKey, value: T) {
        if key < self.last {
            self.rewind(key);
        }
        self.place(key, value);
        self.len += 1;
    }

    /// Moves `last` down to `key` (below every key held): the buckets below
    /// the highest bit where `key` and `last` differ merge into the bucket
    /// of that bit; higher buckets keep their entries.
    #[cold]
    fn rewind(&mut self, key: RadixKey) {
        let h = bucket_of(key, self.last);
        let mut merged = std::mem::take(&mut self.buckets[h]);
        let mut min = self.mins[h];
        for b in 0..h {
            merged.append(&mut self.buckets[b]);
            min = min.min(self.mins[b]);
            self.mins[b] = (u64::MAX, u64::MAX);
        }
        self.buckets[h] = merged;
        self.mins[h] = min;
        // Buckets 1..h are now empty; h holds the merged entries, if any.
        for b in 1..h {
            self.clear(b);
        }
        if !self.buckets[h].is_empty() {
            self.occupied[(h - 1) >> 6] |= 1 << ((h - 1) & 63);
        }
        self.last = key;
    }

    /// The smallest key.
    #[inline]
    pub fn peek_key(&self) -> Option<RadixKey> {
        if !self.buckets[0].is_empty() {
            Some(self.last)
        } else {
            self.lowest_occupied().map(|b| self.mins[b])
        }
    }

    /// The lowest non-empty bucket above 0.
    #[inline(always)]
    fn lowest_occupied(&self) -> Option<usize> {
        if self.occupied[0] != 0 {
            Some(self.occupied[0].trailing_zeros() as usize + 1)
        } else if self.occupied[1] != 0 {
            Some(self.occupied[1].trailing_zeros() as usize + 65)
        } else {
            None
        }
    }

    /// Marks bucket `b` (1..=128) empty.
    #[inline(always)]
    fn clear(&mut self, b: usize) {
        self.occupied[(b - 1) >> 6] &= !(1 << ((b - 1) & 63));
    }

    /// Removes an entry with the smallest key.
    #[inline]
    pub fn pop(&mut self) -> Option<(RadixKey, T)> {
        if self.buckets[0].is_empty() {
            self.spread(self.lowest_occupied()?);
        }
        let entry = self.buckets[0].pop();
        if self.buckets[0].is_empty() {
            self.mins[0] = (u64::MAX, u64::MAX);
        }
        self.len -= 1;
        entry
    }

    /// Empties bucket `b` into lower buckets, relative to its minimum.
    fn spread(&mut self, b: usize) {
        let mut entries = std::mem::take(&mut self.buckets[b]);
        self.last = self.mins[b];
        self.mins[b] = (u64::MAX, u64::MAX);
        self.clear(b);
        for (key, value) in entries.drain(..) {
            self.place(key, value);
        }
        // Keep the allocation for the bucket's next entries.
        self.buckets[b] = entries;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::cmp::Reverse;
    use std::collections::BinaryHeap;

    proptest! {
        /// Against a binary heap: pushes at or after the last pop (and a
        /// few before it), interleaved with pops, come out in the same order.
        #[test]
        fn pops_in_key_order(ops in proptest::collection::vec((0u8..4, 0u64..1_000, 0u64..3), 1..400)) {
            let mut radix = RadixHeap::new();
            let mut binary = BinaryHeap::new();
            let mut now = 0u64;
            let mut seq = 0u64;
            for (op, ahead, high) in ops {
                if op == 0 {
                    let got = radix.pop().map(|(k, v): (RadixKey, u64)| (k, v));
                    let want = binary.pop().map(|Reverse((k, v))| (k, v));
                    prop_assert_eq!(got, want);
                    if let Some(((_, low), _)) = got {
                        now = low / 1024;
                    }
                } else {
                    // Mostly ahead of the clock; op 3 sometimes behind it.
                    let low = if op == 3 { now.saturating_sub(ahead) } else { now + ahead };
                    // Unique keys: the low word ends in the push's number.
                    let key = (high, low * 1024 + seq);
                    seq += 1;
                    radix.push(key, seq);
                    binary.push(Reverse((key, seq)));
                }
                prop_assert_eq!(radix.peek_key(), binary.peek().map(|Reverse((k, _))| *k));
                prop_assert_eq!(radix.len(), binary.len());
            }
            while let Some(Reverse((k, v))) = binary.pop() {
                prop_assert_eq!(radix.pop(), Some((k, v)));
            }
            prop_assert!(radix.is_empty());
        }
    }

    #[test]
    fn extreme_keys() {
        let mut h = RadixHeap::new();
        h.push((u64::MAX, u64::MAX), 'c');
        h.push((0, 1), 'a');
        h.push((1, 0), 'b');
        assert_eq!(h.peek_key(), Some((0, 1)));
        let order: String = std::iter::from_fn(|| h.pop().map(|(_, v)| v)).collect();
        assert_eq!(order, "abc");
    }
}
