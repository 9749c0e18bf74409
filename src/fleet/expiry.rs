//! Idle-eviction deadlines, kept apart from the event queue.
//!
//! Each resident DO has at most one live entry, at `timer_at <= idle_deadline`.
//! When a request postpones a DO's deadline the entry is left in place and
//! re-armed when it fires (lazy re-arming), so a busy DO costs one queue
//! operation per idle timeout, not one per request. An entry whose time no
//! longer equals its DO's `timer_at` is stale and skipped. Only resident DOs
//! have entries: evicted tenants cost nothing here.
//!
//! Entries are ordered by `(deadline, tenant)` in a timing wheel of 1 ms
//! buckets over 17 s ([`Wheel`]; longer idle timeouts wait in its overflow
//! heap). Deadlines are set at or after the clock, which never goes back.
//! Measured against the structures used before (hot-path bench, 1M
//! tenants): 8% fewer instructions than a radix heap, which had beaten a
//! binary heap by 6%; the same time as the binary heap at 10^4 tenants.

use crate::engine::Wheel;
use crate::time::Nanos;

/// Expiry wheel buckets: 2^20 ns (1 ms) each, 2^14 of them: a 17 s horizon,
/// past the 10 s platform idle timeout.
const WHEEL_SHIFT: u32 = 20;
const WHEEL_BITS: u32 = 14;

/// A min-queue of `(deadline, tenant)`; ties fire in tenant order.
#[derive(Debug)]
pub struct ExpiryQueue {
    wheel: Wheel<(Nanos, u32)>,
}

impl Default for ExpiryQueue {
    fn default() -> Self {
        Self {
            wheel: Wheel::new(WHEEL_SHIFT, WHEEL_BITS),
        }
    }
}

impl ExpiryQueue {
    /// An empty queue.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds an entry.
    #[inline]
    pub fn push(&mut self, deadline: Nanos, tenant: u32) {
        self.wheel.push((deadline, tenant));
    }

    /// The earliest deadline.
    #[inline]
    pub fn peek_time(&mut self) -> Option<Nanos> {
        self.peek().map(|(t, _)| t)
    }

    /// The earliest entry.
    #[inline]
    pub fn peek(&mut self) -> Option<(Nanos, u32)> {
        self.wheel.peek()
    }

    /// The tenants of the next few entries, once each time they come from
    /// a new bucket of the wheel (for prefetching); nothing otherwise.
    #[inline]
    pub fn fresh_tenants(&mut self) -> impl Iterator<Item = u32> + '_ {
        self.wheel.fresh().iter().map(|&(_, k)| k)
    }

    /// Removes the earliest entry.
    #[inline]
    pub fn pop(&mut self) -> Option<(Nanos, u32)> {
        self.wheel.pop()
    }

    /// Entries, stale ones included.
    pub fn len(&self) -> usize {
        self.wheel.len()
    }

    /// Whether there are no entries.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cmp::Reverse;
    use std::collections::BinaryHeap;

    #[test]
    fn pops_in_deadline_then_tenant_order_like_a_binary_heap() {
        let mut wheel = ExpiryQueue::new();
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
        }
        assert!(wheel.is_empty());
    }
}
