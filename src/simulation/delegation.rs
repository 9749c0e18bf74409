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
                self.pool_queue.push_back(Waiting {
                    tenant,
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
        let Dispatched::Running {
            instance,
            finish,
            cold,
            cpu,
        } = sent
        else {
            return;
        };
        if self.in_window(arrival) {
            self.metrics.compute_cold_starts += u64::from(cold);
            self.metrics.compute_cpu_ns += u128::from(cpu);
        }
        self.policies.on_delegated(cold);
        if self.pool.may_saturate() {
            self.queue.push(finish, Event::Release { instance });
        } else {
            // Nothing waits for the slot: the pool applies the release
            // itself, in order, with the sequence number of its event.
            let seq = self.queue.reserve_seq();
            self.pool.release_later(finish, seq, instance);
        }
        self.dos[tenant as usize].busy_elsewhere_until(finish);
        self.complete(tenant, arrival, finish, ServedBy::Delegated, ordinal);
        self.arm_idle(tenant);
    }

    /// A `Release` event: an instance of a pool with a maximum size
    /// finished a request; the request that waited longest takes its slot.
    pub(super) fn on_release(&mut self, instance: u32, now: Nanos) {
        let waits = !self.pool_queue.is_empty();
        if let Some(id) = self.pool.release(instance, now, waits) {
            if let Some(w) = self.pool_queue.pop_front() {
                let d = &mut self.dos[w.tenant as usize];
                d.waiting = d.waiting.saturating_sub(1);
                let sent = self.pool.run_on(id, now, false, &mut self.rng);
                self.run_delegated(w.tenant, w.ordinal, w.arrival, sent);
            }
        }
    }
}
