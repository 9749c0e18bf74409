//! A timing wheel: a priority queue of unique keys that carry a time, for
//! keys that never go below the last one taken (a clock moves forward).
//!
//! Buckets of `2^shift` ns cover a horizon of `buckets` buckets from the
//! current one; keys past the horizon wait in a binary heap and move into
//! the wheel as it turns. The current bucket is sorted when the wheel
//! reaches it, so peeking and popping are O(1); a key pushed into the
//! current bucket is inserted in order. Every other push is an append.
//!
//! Invariants: `cur` is the bucket of the last key taken; every key in the
//! wheel has bucket `time >> shift` in `[cur, cur + buckets)` (a key earlier
//! than `cur` goes into bucket `cur`, where whole-key order still puts it
//! first); every key in `overflow` is at bucket `cur + buckets` or later;
//! `sorted`, when set, is the first occupied bucket and is in descending
//! order. The order is exact: keys are compared whole, so ties in time come
//! out in key order.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// A key the wheel can file: ordered whole, bucketed by its time.
pub trait WheelKey: Ord + Copy {
    /// The time, in nanoseconds, that picks the key's bucket.
    fn time(&self) -> u64;
    /// The key's order as one integer, to sort by (one comparison instead
    /// of a tuple's): `a.rank() < b.rank()` exactly when `a < b`, for the
    /// keys a wheel holds (unique in their ranked fields).
    fn rank(&self) -> u128;
}

/// Keys ordered by their first two fields, a time and a number unique
/// with it (a tenant, or a sequence number): the fields after them never
/// decide the order, so the rank is those two.
macro_rules! time_first_keys {
    ($($key:ty: $doc:literal),* $(,)?) => {$(
        #[doc = $doc]
        impl WheelKey for $key {
            #[inline(always)]
            fn time(&self) -> u64 {
                self.0
            }

            #[inline(always)]
            fn rank(&self) -> u128 {
                (u128::from(self.0) << 64) | u128::from(self.1)
            }
        }
    )*};
}

time_first_keys!(
    (u64, u32): "`(time, tenant)`: expiry entries.",
    (u64, u64, u32): "`(time, sequence, instance)`: pending compute releases.",
    (u64, u64, u32, u32): "`(time, sequence, slot, hint)`: events.",
);

/// A min-queue of unique keys in `Ord` order (see the module docs).
#[derive(Debug)]
pub struct Wheel<K> {
    buckets: Vec<Vec<K>>,
    occupied: Vec<u64>,
    shift: u32,
    /// The absolute bucket (time >> shift) of the last key taken.
    cur: u64,
    /// The absolute bucket that is sorted (descending) and holds the
    /// smallest keys, when one is.
    sorted: Option<u64>,
    overflow: BinaryHeap<Reverse<K>>,
    len: usize,
    /// The sorted bucket is new since [`Self::fresh`] last looked.
    fresh: bool,
}

/// Hints the CPU to load the cache line at `p` (no effect on results).
#[inline(always)]
pub fn prefetch<T>(p: *const T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: prefetching is a hint; it never faults, whatever the address.
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(p.cast());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

impl<K: WheelKey> Wheel<K> {
    /// A wheel of `2^bucket_bits` buckets of `2^shift` ns each.
    pub fn new(shift: u32, bucket_bits: u32) -> Self {
        let n = 1usize << bucket_bits.clamp(6, 24);
        Self {
            buckets: (0..n).map(|_| Vec::new()).collect(),
            occupied: vec![0; n / 64],
            shift,
            cur: 0,
            sorted: None,
            overflow: BinaryHeap::new(),
            len: 0,
            fresh: false,
        }
    }

    /// Keys held.
    #[inline]
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether no key is held.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    #[inline(always)]
    fn horizon(&self) -> u64 {
        self.buckets.len() as u64
    }

    #[inline(always)]
    fn index(&self, bucket: u64) -> usize {
        (bucket & (self.horizon() - 1)) as usize
    }

    /// Adds a key.
    #[inline]
    pub fn push(&mut self, key: K) {
        self.len += 1;
        let b = (key.time() >> self.shift).max(self.cur);
        if b - self.cur >= self.horizon() {
            self.overflow.push(Reverse(key));
            return;
        }
        let i = self.index(b);
        let bucket = &mut self.buckets[i];
        match self.sorted {
            Some(s) if s == b => {
                // Descending: the new key goes after every larger key.
                let at = bucket.partition_point(|k| *k > key);
                bucket.insert(at, key);
            }
            Some(s) if b < s => {
                // An earlier bucket now holds the smallest keys.
                self.sorted = None;
                bucket.push(key);
            }
            _ => bucket.push(key),
        }
        // The next pushes go to this bucket or the next: fetch the line
        // after this key, and the next bucket's header (memory last used
        // one turn of the wheel ago).
        prefetch(
            bucket
                .as_ptr()
                .wrapping_add(bucket.len())
                .cast::<u8>()
                .wrapping_add(64),
        );
        prefetch(self.buckets.as_ptr().wrapping_add(self.index(b + 1)));
        self.occupied[i / 64] |= 1 << (i % 64);
    }

    /// The first occupied bucket at or after `cur`, as an absolute bucket.
    #[inline]
    fn first_occupied(&self) -> Option<u64> {
        let words = self.occupied.len();
        let start = self.index(self.cur);
        let (w0, b0) = (start / 64, start % 64);
        let found = |w: usize, bits: u64| -> usize { w * 64 + bits.trailing_zeros() as usize };
        let mut at = None;
        let first = self.occupied[w0] & (!0u64 << b0);
        if first != 0 {
            at = Some(found(w0, first));
        } else {
            for k in 1..=words {
                let w = (w0 + k) & (words - 1);
                let mut bits = self.occupied[w];
                if k == words {
                    bits &= !(!0u64 << b0); // the part of the first word before start
                }
                if bits != 0 {
                    at = Some(found(w, bits));
                    break;
                }
            }
        }
        at.map(|i| {
            // The bucket count is a power of two: a mask, not a division.
            let ahead = (i + self.buckets.len() - start) & (self.buckets.len() - 1);
            self.cur + ahead as u64
        })
    }

    /// Sorts the first occupied bucket of the wheel, if any, and returns
    /// it. The buckets were written long ago (an idle timeout, a load
    /// ago), so this fetches into cache, meanwhile, the headers of the next
    /// four buckets and the keys of the one after this, if occupied: its
    /// header was fetched at an earlier turn, so reading it does not wait
    /// (where buckets are sparse, further ones are left alone).
    #[cold]
    fn sort_first(&mut self) -> Option<u64> {
        if self.len == 0 {
            // Nothing to look for (a sparse wheel is often empty).
            return None;
        }
        let b = self.first_occupied()?;
        let i = self.index(b);
        self.buckets[i].sort_unstable_by_key(|k| Reverse(k.rank()));
        self.sorted = Some(b);
        self.fresh = true;
        for ahead in 1..=4 {
            prefetch(self.buckets.as_ptr().wrapping_add(self.index(b + ahead)));
        }
        let n = self.index(b + 1);
        if self.occupied[n / 64] & (1 << (n % 64)) != 0 {
            let keys = &self.buckets[n];
            let lines = (std::mem::size_of_val(keys.as_slice()) / 64 + 1).min(8);
            let base = keys.as_ptr().cast::<u8>();
            for l in 0..lines {
                prefetch(base.wrapping_add(l * 64));
            }
        }
        Some(b)
    }

    /// The keys of the bucket of the smallest keys, once after each time a
    /// new bucket becomes it (to prefetch what they point to); empty
    /// otherwise.
    #[inline]
    pub fn fresh(&mut self) -> &[K] {
        if !self.fresh {
            return &[];
        }
        self.fresh = false;
        match self.sorted {
            Some(b) => {
                let i = self.index(b);
                &self.buckets[i]
            }
            None => &[],
        }
    }

    /// The sorted bucket of the smallest keys, if the wheel holds any.
    #[inline(always)]
    fn settled(&mut self) -> Option<u64> {
        match self.sorted {
            Some(b) => Some(b),
            None => self.sort_first(),
        }
    }

    /// The smallest key.
    #[inline]
    pub fn peek(&mut self) -> Option<K> {
        match self.settled() {
            Some(b) => {
                let i = self.index(b);
                self.buckets[i].last().copied()
            }
            None => self.overflow.peek().map(|Reverse(k)| *k),
        }
    }

    /// Removes the smallest key.
    #[inline]
    pub fn pop(&mut self) -> Option<K> {
        let key = match self.settled() {
            Some(b) => {
                let i = self.index(b);
                let key = self.buckets[i].pop()?;
                if self.buckets[i].is_empty() {
                    self.occupied[i / 64] &= !(1 << (i % 64));
                    self.sorted = None;
                }
                key
            }
            None => self.overflow.pop()?.0,
        };
        self.len -= 1;
        let b = key.time() >> self.shift;
        if b > self.cur {
            self.cur = b;
            self.advance();
        }
        Some(key)
    }

    /// The horizon moved: brings in the overflow keys it now covers (all
    /// later than the wheel's, so no sorted bucket is disturbed).
    #[inline]
    fn advance(&mut self) {
        while let Some(&Reverse(k)) = self.overflow.peek() {
            let b = k.time() >> self.shift;
            if b - self.cur >= self.horizon() {
                break;
            }
            self.overflow.pop();
            let i = self.index(b);
            self.buckets[i].push(k);
            self.occupied[i / 64] |= 1 << (i % 64);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// Any interleaving of pushes (never before the last key taken,
        /// except into its bucket; near, or far past the horizon) and pops
        /// comes out in the order of a binary heap, ties in time included.
        #[test]
        fn pops_in_the_order_of_a_binary_heap(
            ops in proptest::collection::vec((0u8..4, 0u64..4, 0u64..3_000), 1..600)
        ) {
            let mut wheel = Wheel::new(4, 6);
            let mut reference = BinaryHeap::new();
            let (mut now, mut id) = (0u64, 0u32);
            for (op, scale, offset) in ops {
                if op == 0 {
                    let got = wheel.pop();
                    let want = reference.pop().map(|Reverse(k)| k);
                    proptest::prop_assert_eq!(got, want);
                    if let Some((t, _)) = got {
                        now = t;
                    }
                } else {
                    // The same instant, the same bucket, within the
                    // horizon (64 buckets of 16 ns), or far beyond it.
                    let time = now + offset * [0, 1, 10, 100_000][scale as usize] / 300;
                    // Ids not in push order: ties in time sort by id.
                    id = id.wrapping_mul(2_654_435_761).wrapping_add(1);
                    wheel.push((time, id));
                    reference.push(Reverse((time, id)));
                }
                proptest::prop_assert_eq!(wheel.len(), reference.len());
                proptest::prop_assert_eq!(wheel.peek(), reference.peek().map(|Reverse(k)| *k));
            }
            while let Some(Reverse(k)) = reference.pop() {
                proptest::prop_assert_eq!(wheel.pop(), Some(k));
            }
            proptest::prop_assert!(wheel.pop().is_none());
            proptest::prop_assert!(wheel.is_empty());
        }
    }

    #[test]
    fn a_key_past_the_horizon_waits_and_comes_back_in_order() {
        let mut wheel = Wheel::new(0, 6); // 64 buckets of 1 ns
        wheel.push((1_000, 1));
        wheel.push((5, 2));
        wheel.push((1_000, 0));
        wheel.push((70, 3));
        let order: Vec<_> = std::iter::from_fn(|| wheel.pop()).collect();
        assert_eq!(order, vec![(5, 2), (70, 3), (1_000, 0), (1_000, 1)]);
    }
}
