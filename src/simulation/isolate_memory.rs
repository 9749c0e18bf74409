//! The isolate memory limit's part of the loop (`isolate.memory_limit_mb`,
//! off unless set): the DOs of an isolate share its memory, and an isolate
//! that exceeds its limit is reset, as Cloudflare's runtime does ("Durable
//! Object's isolate exceeded its memory limit and was reset"): every DO in
//! it is evicted, and its requests in flight fail.
//!
//! With the limit on, a request's completion is an event at its response
//! time (`Complete`), so that one still in flight when its isolate is reset
//! can fail instead; so do the requests whose constructor, load, handler or
//! compute-worker slot they waited for (`StartDone`, `AfterStart`, `Handle`
//! and the pool's queue, of the life the reset ended). Such a life was held
//! (starting, or not quiet): idle and host-pressure evictions take only
//! quiet DOs, so a stale event of a held life means a reset. The one
//! exception, a request waiting to see a load fail (smart delegation), uses
//! `DoState::reset`: whether the DO's last life ended in a reset.

use super::lifecycle::Eviction;
use super::{Event, Observer, Simulation};
use crate::fleet::members;
use crate::metrics::ServedBy;
use crate::time::Nanos;

impl<O: Observer> Simulation<'_, O> {
    /// `kib` more is held by `tenant`'s isolate at `now`; over the limit, the
    /// isolate is reset once the step is done.
    pub(super) fn isolate_memory_added(&mut self, tenant: u32, kib: u64) {
        let Some(memory) = &mut self.isolate_memory else {
            return;
        };
        let isolate = memory.isolate_of(tenant);
        if memory.add(isolate, kib) {
            self.queue.push(self.clock, Event::IsolateReset { isolate });
        }
    }

    /// `kib` of `tenant`'s isolate is freed.
    pub(super) fn isolate_memory_freed(&mut self, tenant: u32, kib: u64) {
        if let Some(memory) = &mut self.isolate_memory {
            let isolate = memory.isolate_of(tenant);
            memory.sub(isolate, kib);
        }
    }

    /// The isolate is reset if it is still over its limit: its DOs are
    /// evicted, its thread's queued work is dropped.
    pub(super) fn on_isolate_reset(&mut self, isolate: u32, now: Nanos) {
        let Some(memory) = &self.isolate_memory else {
            return;
        };
        if !memory.over_limit(isolate) {
            return; // reset already, or memory freed since
        }
        let (isolates, tenants) = (memory.isolates(), self.dos.len() as u32);
        if self.in_window(now) {
            self.metrics.isolate_resets += 1;
        }
        for tenant in members(isolate, isolates, tenants) {
            if self.dos[tenant as usize].is_resident() {
                self.evict(tenant, now, Eviction::Reset);
            }
        }
        if let Some(threads) = &mut self.threads {
            threads.reset(isolate, now);
        }
    }

    /// A request of a life of its DO that has ended since (an event of it
    /// is stale): with the limit on it failed with the reset that ended
    /// that life, when `only_a_reset` (the life was held, and nothing but a
    /// reset ends a held life) or when the DO's last life ended in a reset;
    /// otherwise it goes to the DO as it is now.
    pub(super) fn stale_request(
        &mut self,
        tenant: u32,
        arrival: Nanos,
        now: Nanos,
        only_a_reset: bool,
    ) {
        if self.isolate_memory.is_some() && (only_a_reset || self.dos[tenant as usize].reset) {
            self.fail_reset(arrival);
        } else {
            self.reach(tenant, arrival, now);
        }
    }

    /// A request that arrived at `arrival` failed with its isolate.
    pub(super) fn fail_reset(&mut self, arrival: Nanos) {
        self.failed_reset += 1;
        if self.in_window(arrival) {
            self.metrics.requests_failed_reset += 1;
        }
    }

    /// A request's response leaves its DO at `now` (`Event::Complete`),
    /// unless that life of the DO was ended by a reset.
    pub(super) fn on_complete(
        &mut self,
        tenant: u32,
        epoch: u32,
        ordinal: u32,
        arrival: Nanos,
        path: ServedBy,
        now: Nanos,
    ) {
        if self.dos[tenant as usize].epoch != epoch {
            // In flight, its DO busy: only a reset ends that life.
            self.fail_reset(arrival);
        } else {
            self.record_completion(tenant, arrival, now, path, ordinal);
        }
    }
}
