//! Idle-eviction deadlines, kept apart from the event queue.
//!
//! Each resident DO has at most one live entry, at `timer_at <= idle_deadline`.
//! When a request postpones a DO's deadline the entry is left in place and
//! re-armed when it fires (lazy re-arming), so a busy DO costs one queue
//! operation per idle timeout, not one per request. An entry whose time no
//! longer equals its DO's `timer_at` is stale and skipped. Only resident DOs
//! have entries: evicted tenants cost nothing here.
//!
//! Entries are ordered by `(deadline, tenant)`, in one of two structures
//! that give the same order: a binary heap for small fleets, whose few
//! resident DOs keep it in cache, and, from [`WHEEL_FROM_TENANTS`], a timing
//! wheel of 4 ms buckets over 17 s ([`Wheel`]; longer idle timeouts wait in
//! its overflow heap; deadlines are set at or after the clock, which never
//! goes back). A small fleet's sparse buckets would each cost a cache
//! miss, hence the heap below the threshold (measurements:
//! docs/performance.md).

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use crate::engine::Wheel;
use crate::time::Nanos;

/// Fleets of at least this many tenants get the wheel.
pub const WHEEL_FROM_TENANTS: u32 = 100_000;

/// Expiry wheel buckets: 2^22 ns (4 ms) each, 2^12 of them: a 17 s horizon,
/// past the 10 s platform idle timeout. Fuller buckets than 1 ms ones (each
/// a separate allocation, cold when the wheel comes back to it; see
/// docs/performance.md).
const WHEEL_SHIFT: u32 = 22;
const WHEEL_BITS: u32 = 12;

/// A min-queue of `(deadline, tenant)`; ties fire in tenant order.
#[derive(Debug)]
pub struct ExpiryQueue {
    entries: Entries,
    /// The earliest entry, kept at hand: the simulator looks at it before
    /// every step, and it changes only on a push before it or a pop.
    head: Option<(Nanos, u32)>,
}

#[derive(Debug)]
enum Entries {
    Binary(BinaryHeap<Reverse<(Nanos, u32)>>),
    Wheel(Box<Wheel<(Nanos, u32)>>),
}

impl Default for ExpiryQueue {
    fn default() -> Self {
        Self::for_tenants(0)
    }
}

impl ExpiryQueue {
    /// An empty queue, for a small fleet.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty queue suited to a fleet of `tenants`.
    pub fn for_tenants(tenants: u32) -> Self {
        let entries = if tenants >= WHEEL_FROM_TENANTS {
            Entries::Wheel(Box::new(Wheel::new(WHEEL_SHIFT, WHEEL_BITS)))
        } else {
            Entries::Binary(BinaryHeap::new())
        };
        Self {
            entries,
            head: None,
        }
    }

    /// Adds an entry.
    #[inline]
    pub fn push(&mut self, deadline: Nanos, tenant: u32) {
        let entry = (deadline, tenant);
        match &mut self.entries {
            Entries::Binary(h) => h.push(Reverse(entry)),
            Entries::Wheel(w) => w.push(entry),
        }
        if self.head.is_none_or(|h| entry < h) {
            self.head = Some(entry);
        }
    }

    /// The earliest deadline.
    #[inline]
    pub fn peek_time(&self) -> Option<Nanos> {
        self.head.map(|(t, _)| t)
    }

    /// The earliest entry.
    #[inline]
    pub fn peek(&self) -> Option<(Nanos, u32)> {
        self.head
    }

    /// The tenants of the next few entries, once each time they come from
    /// a new bucket of the wheel (for prefetching); nothing otherwise.
    #[inline]
    pub fn fresh_tenants(&mut self) -> impl Iterator<Item = u32> + '_ {
        let keys: &[(Nanos, u32)] = match &mut self.entries {
            Entries::Wheel(w) => w.fresh(),
            Entries::Binary(_) => &[],
        };
        keys.iter().map(|&(_, k)| k)
    }

    /// Removes the earliest entry.
    #[inline]
    pub fn pop(&mut self) -> Option<(Nanos, u32)> {
        let (popped, next) = match &mut self.entries {
            Entries::Binary(h) => (h.pop().map(|Reverse(e)| e), h.peek().map(|Reverse(e)| *e)),
            Entries::Wheel(w) => (w.pop(), w.peek()),
        };
        self.head = next;
        popped
    }

    /// Entries, stale ones included.
    pub fn len(&self) -> usize {
        match &self.entries {
            Entries::Binary(h) => h.len(),
            Entries::Wheel(w) => w.len(),
        }
    }

    /// Whether there are no entries.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pops_in_deadline_then_tenant_order_like_a_binary_heap() {
        for tenants in [WHEEL_FROM_TENANTS, 1000] {
            pops_like_a_binary_heap(tenants);
        }
    }

    /// The queue for `tenants` against a binary heap; its kept head against
    /// the heap's top after every push and pop.
    fn pops_like_a_binary_heap(tenants: u32) {
        let mut wheel = ExpiryQueue::for_tenants(tenants);
        assert_eq!(
            matches!(wheel.entries, Entries::Wheel(_)),
            tenants >= WHEEL_FROM_TENANTS
        );
        let mut heap = BinaryHeap::new();
        let mut clock = 0;
        for i in 0..20_000u64 {
            let tenant = (i * 7919 % 1000) as u32;
            // Ties, deadlines within the horizon, and a few past it.
            let ahead = match i % 7 {
                0 => 0,
                6 => 30_000_000_000 + i,
                _ => (i * 104_729_123) % 12_000_000_000,
            };
            wheel.push(clock + ahead, tenant);
            heap.push(Reverse((clock + ahead, tenant)));
            if i % 3 == 0 {
                let (a, b) = (wheel.pop(), heap.pop().map(|Reverse(e)| e));
                assert_eq!(a, b);
                clock = a.map_or(clock, |(t, _)| t);
            }
            assert_eq!(wheel.peek(), heap.peek().map(|Reverse(e)| *e));
        }
        while let Some(Reverse(e)) = heap.pop() {
            assert_eq!(Some(e), wheel.pop());
            assert_eq!(wheel.peek(), heap.peek().map(|Reverse(e)| *e));
        }
        assert!(wheel.is_empty());
    }
}
