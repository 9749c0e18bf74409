//! Idle-eviction deadlines, kept apart from the event queue.
//!
//! Each resident DO has at most one live entry, at `timer_at <= idle_deadline`.
//! When a request postpones a DO's deadline the entry is left in place and
//! re-armed when it fires (lazy re-arming), so a busy DO costs one heap
//! operation per idle timeout, not one per request. An entry whose time no
//! longer equals its DO's `timer_at` is stale and skipped. Only resident DOs
//! have entries: evicted tenants cost nothing here.
//!
//! Entries are kept in a radix heap keyed by `(deadline, tenant)`:
//! deadlines are set at or after the clock, and the clock never goes back.

use crate::engine::RadixHeap;
use crate::time::Nanos;

/// A min-queue of `(deadline, tenant)`; ties fire in tenant order.
#[derive(Debug, Default)]
pub struct ExpiryQueue {
    heap: RadixHeap<()>,
}

impl ExpiryQueue {
    /// An empty queue.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds an entry.
    #[inline]
    pub fn push(&mut self, deadline: Nanos, tenant: u32) {
        self.heap.push((deadline, u64::from(tenant)), ());
    }

    /// The earliest deadline.
    #[inline]
    pub fn peek_time(&self) -> Option<Nanos> {
        self.heap.peek_key().map(|(t, _)| t)
    }

    /// The earliest entry.
    #[inline]
    pub fn peek(&self) -> Option<(Nanos, u32)> {
        self.heap.peek_key().map(|(t, k)| (t, k as u32))
    }

    /// Removes the earliest entry.
    #[inline]
    pub fn pop(&mut self) -> Option<(Nanos, u32)> {
        self.heap.pop().map(|((t, k), ())| (t, k as u32))
    }

    /// Entries, stale ones included.
    pub fn len(&self) -> usize {
        self.heap.len()
    }

    /// Whether there are no entries.
    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }
}
