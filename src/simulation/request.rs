//! A request's path, from its arrival to its response: it reaches its DO
//! (starting it if evicted), the architecture's table says where it goes
//! ([`route`]), the enabled policies may refine that, and it runs on the
//! DO's execution slot or at the compute worker ([`super::delegation`]).
//! Its latency is recorded when its fate is decided.

use super::{Event, Observer, RequestRecord, Simulation};
use crate::architectures::{route, DoView, Route};
use crate::fleet::Status;
use crate::metrics::{OrdinalBucket, ServedBy};
use crate::policies::Ctx;
use crate::time::Nanos;
use crate::workload::Arrival;

impl<O: Observer> Simulation<'_, O> {
    pub(super) fn on_arrival(&mut self, a: Arrival) {
        let now = a.time;
        let tenant = a.tenant;
        self.arrivals_total += 1;
        self.policies
            .on_arrival(tenant, now, &self.dos[tenant as usize]);
        self.reach(tenant, now, now);
    }

    /// A request that arrived at `arrival` reaches its DO at `now`.
    pub(super) fn reach(&mut self, tenant: u32, arrival: Nanos, now: Nanos) {
        if self.dos[tenant as usize].is_resident() {
            self.join(tenant, arrival, now);
        } else if self.hosts.is_none() {
            self.cold_start(tenant, arrival, now);
        } else {
            self.cold_request_on_host(tenant, arrival, now);
        }
    }

    /// A request that arrived at `arrival` starts its evicted DO at `now`.
    pub(super) fn cold_start(&mut self, tenant: u32, arrival: Nanos, now: Nanos) {
        if self.in_window(arrival) {
            self.metrics.cold_starts += 1;
        }
        self.start(tenant, now, arrival);
        let starting = DoView {
            starting: true,
            ready: false,
        };
        // Where the architecture waits for the load, the request queues on
        // the slot now; otherwise the start's StartDone event routes it.
        if let Route::Queue { from } = route(self.traits, starting, now) {
            self.run_locally(tenant, 1, arrival, from, ServedBy::Queued);
        }
    }

    /// A request that arrived at `arrival` reaches its resident DO at `now`.
    pub(super) fn join(&mut self, tenant: u32, arrival: Nanos, now: Nanos) {
        let d = &mut self.dos[tenant as usize];
        let ordinal = d.next_ordinal();
        if d.unrequested {
            // The first request to a DO started without one: the start paid off.
            d.unrequested = false;
            let held = self.held_kib(tenant);
            self.metrics.prewarm_memory_kib.sub(now, held);
        }
        self.route(tenant, ordinal, arrival, now);
    }

    /// The memory a resident DO holds now, in KiB.
    pub(super) fn held_kib(&self, tenant: u32) -> u64 {
        let d = &self.dos[tenant as usize];
        self.memory.resident_kib
            + if d.holds_runtime() {
                self.memory.runtime_kib
            } else {
                0
            }
    }

    /// Routes request `ordinal` of a resident DO, which arrived at
    /// `arrival`, at `now`: once its handler can run (with the isolate
    /// model, when the isolate's thread is free: [`super::threads`]), the
    /// architecture's route, refined by the policies once the constructor
    /// is done, then followed.
    #[inline]
    pub(super) fn route(&mut self, tenant: u32, ordinal: u32, arrival: Nanos, now: Nanos) {
        if self.threads.is_some() && self.handler_waits(tenant, ordinal, arrival, now) {
            return;
        }
        self.route_at(tenant, ordinal, arrival, now);
    }

    /// Routes request `ordinal`, which arrived at `arrival`, by its DO as
    /// it is when its handler runs, at `at`; a local query runs from `at`.
    #[inline]
    pub(super) fn route_at(&mut self, tenant: u32, ordinal: u32, arrival: Nanos, at: Nanos) {
        let now = at;
        let d = &self.dos[tenant as usize];
        let starting = d.status == Status::Starting;
        // It waited for the DO: for its constructor, or (with the isolate
        // model) for its load's CPU work, which held its handler.
        let waited = arrival < d.started_at
            || (self.threads.is_some() && at > arrival && d.ready_at() > arrival);
        let view = DoView {
            starting,
            ready: d.is_ready(now),
        };
        let mut chosen = route(self.traits, view, now);
        if !starting {
            let mut ctx = Ctx {
                now,
                dos: &mut self.dos[..],
                rng: &mut self.rng,
                metrics: &mut self.metrics,
                window: self.window,
            };
            chosen = self
                .policies
                .refine_route(&mut ctx, tenant, arrival, chosen);
        }
        match chosen {
            Route::Local => {
                let path = if waited {
                    ServedBy::Queued
                } else {
                    ServedBy::Local
                };
                self.run_locally(tenant, ordinal, arrival, now, path);
            }
            Route::Queue { from } => {
                self.run_locally(tenant, ordinal, arrival, from, ServedBy::Queued)
            }
            Route::Delegate if now > self.clock => {
                self.hold_handler(tenant, ordinal, arrival, now, true)
            }
            Route::Delegate => self.delegate(tenant, ordinal, arrival, now),
            Route::AfterConstructor | Route::RetryAt { .. } => {
                // Routed again once the constructor is done, or when the
                // load it waited for has failed.
                let (at, retry) = match chosen {
                    Route::RetryAt { at } => (at, true),
                    _ => (self.dos[tenant as usize].started_at, false),
                };
                self.route_again(tenant, ordinal, arrival, at, retry);
            }
        }
    }

    /// Routes request `ordinal` again at `at` (an `AfterStart` event), for
    /// this life of its DO.
    pub(super) fn route_again(
        &mut self,
        tenant: u32,
        ordinal: u32,
        arrival: Nanos,
        at: Nanos,
        retry: bool,
    ) {
        let epoch = self.dos[tenant as usize].epoch;
        self.queue.push_hinted(
            at,
            Event::AfterStart {
                tenant,
                epoch,
                ordinal,
                arrival,
                retry,
            },
            tenant,
        );
    }

    /// Runs a request on the DO's FIFO execution slot, not before `from`.
    #[inline]
    pub(super) fn run_locally(
        &mut self,
        tenant: u32,
        ordinal: u32,
        arrival: Nanos,
        from: Nanos,
        path: ServedBy,
    ) {
        if self.threads.is_some() && self.defer_until_load_queued(tenant, ordinal, arrival) {
            return;
        }
        let exec = self.config.query_exec.sample(&mut self.rng);
        let done = if self.query_holds_thread {
            // The thread subsumes the DO's slot.
            let end = self.exec_on_thread(tenant, arrival, from.max(self.clock), exec);
            let d = &mut self.dos[tenant as usize];
            d.busy_until = end;
            d.busy_elsewhere_until(end);
            end
        } else {
            self.dos[tenant as usize].take_slot(from, exec)
        };
        self.complete(tenant, arrival, done, path, ordinal);
        self.arm_idle(tenant);
    }

    /// Records a request's latency: the client round trip plus its time at
    /// the DO.
    #[inline]
    pub(super) fn complete(
        &mut self,
        tenant: u32,
        arrival: Nanos,
        done: Nanos,
        path: ServedBy,
        ordinal: u32,
    ) {
        if self.isolate_memory.is_some() && done > self.clock {
            // In flight until `done`: its isolate may be reset before.
            let epoch = self.dos[tenant as usize].epoch;
            self.queue.push(
                done,
                Event::Complete {
                    tenant,
                    epoch,
                    ordinal,
                    arrival,
                    path,
                },
            );
            return;
        }
        self.record_completion(tenant, arrival, done, path, ordinal);
    }

    /// Records a request's latency now that its response left the DO at
    /// `done`.
    #[inline]
    pub(super) fn record_completion(
        &mut self,
        tenant: u32,
        arrival: Nanos,
        done: Nanos,
        path: ServedBy,
        ordinal: u32,
    ) {
        self.completions += 1;
        let rtt = self.config.network.client_rtt.sample(&mut self.rng);
        let latency = done - arrival + rtt;
        if self.in_window(arrival) {
            let bucket = OrdinalBucket::of(ordinal);
            self.metrics.count_request(path, bucket);
            self.latencies.record(latency, path, bucket);
        }
        self.observer.request(&RequestRecord {
            tenant,
            arrival,
            done,
            latency,
            path,
            ordinal,
        });
    }
}
