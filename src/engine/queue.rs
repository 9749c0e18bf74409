//! The event queue, ordered by `(time, sequence)`: a radix heap
//! ([`RadixHeap`]) keyed by both, since no event is scheduled before the
//! event being handled.
//!
//! The sequence number is assigned at scheduling time and increases by one per
//! event, so events at the same instant are handled first-in, first-out, and
//! keys are unique: the order is total and the same as a binary heap's on
//! `(time, sequence)`. The payload takes no part in the ordering. Pushing and
//! popping allocate nothing once the buckets have grown to their working size.

use super::radix::RadixHeap;
use crate::time::Nanos;

/// An event with its firing time and sequence number.
#[derive(Debug, Clone, Copy)]
pub struct Scheduled<E> {
    pub time: Nanos,
    pub seq: u64,
    pub event: E,
}

/// A priority queue of events in `(time, sequence)` order.
#[derive(Debug)]
pub struct EventQueue<E> {
    heap: RadixHeap<E>,
    next_seq: u64,
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        Self {
            heap: RadixHeap::new(),
            next_seq: 0,
        }
    }
}

impl<E> EventQueue<E> {
    /// An empty queue.
    pub fn new() -> Self {
        Self::default()
    }

    /// Schedules `event` at `time`, after every event already scheduled at
    /// that time.
    #[inline]
    pub fn push(&mut self, time: Nanos, event: E) {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.heap.push((time, seq), event);
    }

    /// The firing time of the next event.
    #[inline]
    pub fn peek_time(&self) -> Option<Nanos> {
        self.heap.peek_key().map(|(time, _)| time)
    }

    /// The `(time, sequence)` key of the next event.
    #[inline]
    pub fn peek_key(&self) -> Option<(Nanos, u64)> {
        self.heap.peek_key()
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
        self.heap
            .pop()
            .map(|((time, seq), event)| Scheduled { time, seq, event })
    }

    /// How many events are pending.
    pub fn len(&self) -> usize {
        self.heap.len()
    }

    /// Whether no event is pending.
    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
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
}
