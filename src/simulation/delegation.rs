//! Delegation: a request sent to the compute worker runs on one of its
//! instances, or waits in the pool's FIFO queue when every instance is busy
//! and no more may start; a release hands the freed slot to the request
//! that waited longest.

use super::{Event, Observer, Simulation, Waiting};
use crate::fleet::Dispatched;
use crate::metrics::ServedBy;
use crate::time::Nanos;

impl<O: Observer> Simulation<'_, O> {
    /// Sends a request to the compute worker at `now`; it waits in the
    /// pool's queue when every instance is busy and no more may start.
    pub(super) fn delegate(&mut self, tenant: u32, ordinal: u32, arrival: Nanos, now: Nanos) {
        // The releases the events before this step would have applied.
        self.pool.settle(self.clock, self.step_seq);
        match self.pool.dispatch(now, &mut self.rng) {
            running @ Dispatched::Running { .. } => {
                self.run_delegated(tenant, ordinal, arrival, running)
            }
            Dispatched::Saturated => {
                if self.in_window(arrival) {
                    self.metrics.compute_queued += 1;
                }
                // The DO waits for the response: not idle, not evictable.
                let d = &mut self.dos[tenant as usize];
                d.waiting = d.waiting.saturating_add(1);
                let epoch = d.epoch;
                self.pool_queue.push_back(Waiting {
                    tenant,
                    epoch,
                    ordinal,
                    arrival,
                });
            }
        }
    }

    /// A delegated request runs at the compute worker (`sent` is
    /// `Running`) until its response.
    pub(super) fn run_delegated(
        &mut self,
        tenant: u32,
        ordinal: u32,
        arrival: Nanos,
        sent: Dispatched,
    ) {
        let Some(finish) = self.run_at_worker(arrival, sent) else {
            return;
        };
        self.dos[tenant as usize].busy_elsewhere_until(finish);
        self.complete(tenant, arrival, finish, ServedBy::Delegated, ordinal);
        self.arm_idle(tenant);
    }

    /// A delegated request whose caller failed with its isolate's reset
    /// runs at the compute worker (`sent` is `Running`): counted as failed.
    fn run_orphaned(&mut self, arrival: Nanos, sent: Dispatched) {
        if self.run_at_worker(arrival, sent).is_some() {
            self.fail_reset(arrival);
        }
    }

    /// The compute worker's side of a delegated request (`sent` is
    /// `Running`): counted, and its instance released when it finishes
    /// (returned).
    fn run_at_worker(&mut self, arrival: Nanos, sent: Dispatched) -> Option<Nanos> {
        let Dispatched::Running {
            instance,
            finish,
            cold,
            cpu,
        } = sent
        else {
            return None;
        };
        if self.in_window(arrival) {
            self.metrics.compute_cold_starts += u64::from(cold);
            self.metrics.compute_cpu_ns += u128::from(cpu);
        }
        if self.pool.may_saturate() {
            self.queue.push(finish, Event::Release { instance });
        } else {
            // Nothing waits for the slot: the pool applies the release
            // itself, in order, with the sequence number of its event.
            let seq = self.queue.reserve_seq();
            self.pool.release_later(finish, seq, instance);
        }
        Some(finish)
    }

    /// A `Release` event: an instance of a pool with a maximum size
    /// finished a request; the request that waited longest takes its slot.
    pub(super) fn on_release(&mut self, instance: u32, now: Nanos) {
        let waits = !self.pool_queue.is_empty();
        if let Some(id) = self.pool.release(instance, now, waits) {
            if let Some(w) = self.pool_queue.pop_front() {
                let sent = self.pool.run_on(id, now, false, &mut self.rng);
                let d = &mut self.dos[w.tenant as usize];
                if d.epoch == w.epoch {
                    d.waiting = d.waiting.saturating_sub(1);
                    self.run_delegated(w.tenant, w.ordinal, w.arrival, sent);
                } else {
                    // Its DO's isolate was reset while it waited (nothing
                    // else ends a waiting DO's life): the worker still runs
                    // it, for a caller that is gone.
                    self.run_orphaned(w.arrival, sent);
                }
            }
        }
    }
}
