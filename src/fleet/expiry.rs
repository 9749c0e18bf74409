//! Idle-eviction deadlines, kept apart from the event queue.
//!
//! Each resident DO has at most one live entry, at `timer_at <= idle_deadline`.
//! When a request postpones a DO's deadline the entry is left in place and
//! re-armed when it fires (lazy re-arming), so a busy DO costs one heap
//! operation per idle timeout, not one per request. An entry whose time no
//! longer equals its DO's `timer_at` is stale and skipped. Only resident DOs
//! have entries: evicted tenants cost nothing here.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use crate::time::Nanos;

/// A min-heap of `(deadline, tenant)`; ties fire in tenant order.
#[derive(Debug, Default)]
pub struct ExpiryQueue {
    heap: BinaryHeap<Reverse<(Nanos, u32)>>,
}

impl ExpiryQueue {
    /// An empty queue.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds an entry.
    #[inline]
    pub fn push(&mut self, deadline: Nanos, tenant: u32) {
        self.heap.push(Reverse((deadline, tenant)));
    }

    /// The earliest deadline.
    #[inline]
    pub fn peek_time(&self) -> Option<Nanos> {
        self.heap.peek().map(|Reverse((t, _))| *t)
    }

    /// The earliest entry.
    #[inline]
    pub fn peek(&self) -> Option<(Nanos, u32)> {
        self.heap.peek().map(|Reverse(e)| *e)
    }

    /// Removes the earliest entry.
    #[inline]
    pub fn pop(&mut self) -> Option<(Nanos, u32)> {
        self.heap.pop().map(|Reverse(e)| e)
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
