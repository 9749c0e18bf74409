//! The event queue, ordered by `(time, sequence)`.
//!
//! The sequence number is assigned at scheduling time and increases by one per
//! event, so events at the same instant are handled first-in, first-out. The
//! payload takes no part in the ordering. Pushing and popping allocate nothing
//! once the queue has grown to its working size.
//!
//! Events are those in flight (starts; compute responses when the pool has
//! a limit, see `ComputePool::release_later`): thousands, all
//! within seconds. A timing wheel of 4 ms buckets (1 ms for small fleets,
//! [`EventQueue::for_tenants`]) holds them ([`Wheel`]): events are
//! scheduled a short, bounded time ahead, so a bucket index replaces a
//! heap's comparisons (measurements: docs/performance.md).

use super::wheel::Wheel;
use crate::time::Nanos;

/// An event with its firing time and sequence number.
#[derive(Debug, Clone, Copy)]
pub struct Scheduled<E> {
    pub time: Nanos,
    pub seq: u64,
    pub event: E,
}

/// `(time, sequence, slot, hint)`: the order of events (time and sequence
/// are unique together, so slot and hint never decide it), where each
/// waits, and a number the caller gave with it (a tenant, to prefetch).
type Key = (Nanos, u64, u32, u32);

/// Width of a wheel bucket: 2^22 ns, about 4 ms (fewer, fuller buckets
/// than 1 ms are cheaper to visit; docs/performance.md).
const BUCKET_SHIFT: u32 = 22;
/// Buckets in the wheel: 1024 buckets of 4 ms, a 4.3 s horizon.
const BUCKET_BITS: u32 = 10;

/// Fleets from this size get the 4 ms buckets.
const WIDE_FROM_TENANTS: u32 = 100_000;

/// The hint of an event pushed without one.
const NO_HINT: u32 = u32::MAX;

/// A priority queue of events in `(time, sequence)` order.
///
/// A timing wheel ([`Wheel`]) of 4 ms buckets over the next 4.3 s, with a
/// binary heap for events beyond it. Keys are 24 bytes; the events wait in
/// a slab. The bucket the clock is in is sorted once, so peeking and
/// popping cost O(1) instead of sifting through a heap of thousands of
/// entries. The order is exact: keys are compared whole.
#[derive(Debug)]
pub struct EventQueue<E> {
    wheel: Wheel<Key>,
    slab: Vec<Option<E>>,
    free: Vec<u32>,
    next_seq: u64,
    /// The next event's `(time, sequence)`, kept at hand: the simulator
    /// looks at it before every step, and it changes only on a push before
    /// it or a pop.
    head: Option<(Nanos, u64)>,
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        Self {
            wheel: Wheel::new(BUCKET_SHIFT, BUCKET_BITS),
            slab: Vec::new(),
            free: Vec::new(),
            next_seq: 0,
            head: None,
        }
    }
}

impl<E> EventQueue<E> {
    /// An empty queue.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty queue for a run of `tenants` tenants: 1 ms buckets below
    /// `WIDE_FROM_TENANTS` (few events, most buckets empty: a narrow
    /// bucket is found and sorted as cheaply), 4 ms from there.
    pub fn for_tenants(tenants: u32) -> Self {
        if tenants >= WIDE_FROM_TENANTS {
            Self::default()
        } else {
            Self {
                wheel: Wheel::new(BUCKET_SHIFT - 2, BUCKET_BITS + 2),
                ..Self::default()
            }
        }
    }

    /// Schedules `event` at `time`, after every event already scheduled at
    /// that time.
    #[inline]
    pub fn push(&mut self, time: Nanos, event: E) {
        self.push_hinted(time, event, NO_HINT);
    }

    /// [`Self::push`], with a number [`Self::fresh_hints`] gives back
    /// while the event is among the next few.
    #[inline]
    pub fn push_hinted(&mut self, time: Nanos, event: E, hint: u32) {
        let seq = self.next_seq;
        self.next_seq += 1;
        let slot = match self.free.pop() {
            Some(slot) => {
                self.slab[slot as usize] = Some(event);
                slot
            }
            None => {
                self.slab.push(Some(event));
                (self.slab.len() - 1) as u32
            }
        };
        self.wheel.push((time, seq, slot, hint));
        if self.head.is_none_or(|h| (time, seq) < h) {
            self.head = Some((time, seq));
        }
    }

    /// The firing time of the next event.
    #[inline]
    pub fn peek_time(&self) -> Option<Nanos> {
        self.peek_key().map(|(t, _)| t)
    }

    /// The `(time, sequence)` key of the next event.
    #[inline]
    pub fn peek_key(&self) -> Option<(Nanos, u64)> {
        self.head
    }

    /// Once each time the next events come from a new bucket (about 4 ms
    /// of them): their hints, with their slab entries fetched into cache.
    #[inline]
    pub fn fresh_hints(&mut self) -> impl Iterator<Item = u32> + '_ {
        let slab = self.slab.as_ptr();
        self.wheel.fresh().iter().map(move |k| {
            super::wheel::prefetch(slab.wrapping_add(k.2 as usize));
            k.3
        })
    }

    /// Takes a sequence number for an event kept outside the heap (the next
    /// arrival), so that it orders against queued events by the same rule.
    #[inline]
    pub fn reserve_seq(&mut self) -> u64 {
        let seq = self.next_seq;
        self.next_seq += 1;
        seq
    }

    /// Removes and returns the next event.
    #[inline]
    pub fn pop(&mut self) -> Option<Scheduled<E>> {
        let (time, seq, slot, _) = self.wheel.pop()?;
        self.head = self.wheel.peek().map(|(t, s, _, _)| (t, s));
        let event = self.slab.get_mut(slot as usize).and_then(Option::take)?;
        self.free.push(slot);
        Some(Scheduled { time, seq, event })
    }

    /// How many events are pending.
    pub fn len(&self) -> usize {
        self.wheel.len()
    }

    /// Whether no event is pending.
    pub fn is_empty(&self) -> bool {
        self.wheel.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pops_in_time_order_with_fifo_ties() {
        let mut q = EventQueue::new();
        q.push(5, 'a');
        q.push(3, 'b');
        q.push(5, 'c');
        q.push(3, 'd');
        q.push(0, 'e');
        let order: String = std::iter::from_fn(|| q.pop().map(|s| s.event)).collect();
        assert_eq!(order, "ebdac");
    }

    proptest::proptest! {
        /// Any interleaving of pushes (never before the last event taken,
        /// near or far past the wheel's horizon) and pops comes out in the
        /// order of a binary heap of `(time, sequence)`.
        #[test]
        fn pops_in_the_order_of_a_binary_heap(
            ops in proptest::collection::vec((0u8..4, 0u64..3, 0u64..2_000_000), 1..600)
        ) {
            use std::collections::BinaryHeap;
            let mut q = EventQueue::new();
            let mut reference = BinaryHeap::new();
            let (mut now, mut seq) = (0u64, 0u64);
            for (op, scale, offset) in ops {
                if op == 0 {
                    let got = q.pop().map(|s| (s.time, s.seq, s.event));
                    let want = reference.pop().map(|std::cmp::Reverse((t, s))| (t, s, s));
                    proptest::prop_assert_eq!(got, want);
                    if let Some((t, _, _)) = got {
                        now = t;
                    }
                } else {
                    // Same instant, within the wheel, or far beyond it.
                    let time = now + offset * [0, 1_000, 10_000_000][scale as usize];
                    q.push(time, seq);
                    reference.push(std::cmp::Reverse((time, seq)));
                    seq += 1;
                }
                proptest::prop_assert_eq!(q.len(), reference.len());
                proptest::prop_assert_eq!(q.peek_key(), reference.peek().map(|std::cmp::Reverse(k)| *k));
            }
            while let Some(std::cmp::Reverse((t, s))) = reference.pop() {
                let got = q.pop().map(|e| (e.time, e.seq, e.event));
                proptest::prop_assert_eq!(got, Some((t, s, s)));
            }
            proptest::prop_assert!(q.pop().is_none());
        }
    }
}
