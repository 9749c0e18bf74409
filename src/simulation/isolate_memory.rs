//! The isolate memory limit's part of the loop (`isolate.memory_limit_mb`,
//! off unless set): the DOs of an isolate share its memory, and an isolate
//! that exceeds its limit is reset, as Cloudflare's runtime does ("Durable
//! Object's isolate exceeded its memory limit and was reset"): every DO in
//! it is evicted, and its requests in flight fail.
//!
//! With the limit on, a request's completion is an event at its response
//! time (`Complete`), so that one still in flight when its isolate is reset
//! can fail instead; so do the requests whose handler or constructor it was
//! waiting for (`Handle`, `Dispatch`, `AfterStart`, `StartDone` of the
//! life the reset ended). A DO remembers that its last life ended in a reset
//! (`DoState::reset`) until its next eviction of another kind.
//!
//! Not modelled: a delegated request waiting for a compute-worker slot when
//! its isolate is reset still gets its response.

use super::{Eviction, Observer, Path, Simulation};
use crate::fleet::members;
use crate::simulation::Event;
use crate::time::Nanos;

impl<O: Observer> Simulation<'_, O> {
    /// `kib` more is held by `k`'s isolate at `now`; over the limit, the
    /// isolate is reset once the step is done.
    pub(super) fn isolate_memory_added(&mut self, k: u32, kib: u64) {
        let Some(memory) = &mut self.isolate_memory else {
            return;
        };
        let isolate = memory.isolate_of(k);
        if memory.add(isolate, kib) {
            self.queue.push(self.clock, Event::IsolateReset { isolate });
        }
    }

    /// `kib` of `k`'s isolate is freed.
    pub(super) fn isolate_memory_freed(&mut self, k: u32, kib: u64) {
        if let Some(memory) = &mut self.isolate_memory {
            let isolate = memory.isolate_of(k);
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
        for k in members(isolate, isolates, tenants) {
            if self.dos[k as usize].is_resident() {
                self.evict(k, now, Eviction::Reset);
            }
        }
        if let Some(threads) = &mut self.threads {
            threads.reset(isolate, now);
        }
    }

    /// Whether `k`'s last life ended in a reset, with the limit on: its
    /// requests of that life fail.
    #[inline]
    pub(super) fn lost_to_reset(&self, k: u32) -> bool {
        self.isolate_memory.is_some() && self.dos[k as usize].reset
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
        k: u32,
        epoch: u32,
        ordinal: u32,
        arrival: Nanos,
        path: Path,
        now: Nanos,
    ) {
        if self.dos[k as usize].epoch != epoch && self.lost_to_reset(k) {
            self.fail_reset(arrival);
        } else {
            self.record_completion(k, arrival, now, path, ordinal);
        }
    }
}
