//! A DO's life in the run: its start (planned in full, with the policies'
//! shape and WASM source), its idle periods (the platform's timeout or a
//! policy's), its eviction, and the events a run schedules. The DO's own
//! transitions are `fleet::DoState`'s; what they cost and count is here.

use super::{Event, Observer, Simulation};
use crate::architectures::{plan_start, LoadOutcome};
use crate::fleet::{LoadState, Status};
use crate::policies::{Idle, Policy, Start};
use crate::time::Nanos;

/// Memory of a DO, in KiB, by what it holds.
#[derive(Debug, Clone, Copy)]
pub(super) struct MemoryModel {
    pub(super) resident_kib: u64,
    pub(super) runtime_kib: u64,
    /// What a start reserves on its host: resident, plus the runtime if the
    /// architecture loads one.
    pub(super) reserve_kib: u64,
}

/// Why a DO was evicted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Eviction {
    /// Its idle timeout passed.
    Idle,
    /// Its host needed the memory for a start.
    Pressure,
    /// Its isolate went over its memory limit and was reset.
    Reset,
}

/// `StartDone`'s `arrival` when no request started the DO (a policy did).
pub(super) const NO_REQUEST: Nanos = Nanos::MAX;

impl<O: Observer> Simulation<'_, O> {
    /// Starts an evicted DO at `now`: draws its constructor and load. The
    /// request that started it arrived at `arrival` (`NO_REQUEST` when a
    /// policy started it).
    pub(super) fn start(&mut self, tenant: u32, now: Nanos, arrival: Nanos) {
        let policies = &mut self.policies;
        let plan = plan_start(
            self.variant,
            &self.config.phases,
            &self.config.lazy,
            &self.load_shape,
            |at, rng| policies.fetch_wasm(tenant, at, rng),
            now,
            &mut self.rng,
        );
        self.observer.start(tenant, now, &plan);
        let in_window = self.in_window(now);
        let keeps_alive = self.config.durable_object.load_keeps_alive;
        let cpu = plan.load.as_ref().and_then(|load| self.cpu_part(load));
        let d = &mut self.dos[tenant as usize];
        let epoch = d.begin_life(now + plan.isolate);
        if let Some(load) = &plan.load {
            let end = d.started_at + load.duration;
            d.source = load.source;
            // With the isolate model, when the load's CPU part is queued on
            // the thread, and the earliest the load can end.
            let (gate, earliest_end) = match cpu {
                Some(c) => (d.started_at + c.from, d.started_at + c.from + c.work),
                None => (end, end),
            };
            match (load.outcome, cpu) {
                (LoadOutcome::Ready, None) => d.set_ready_at(end),
                (LoadOutcome::Ready, Some(c)) => self.queue.push_hinted(
                    gate,
                    Event::LoadCpu {
                        tenant,
                        epoch,
                        work: c.work,
                    },
                    tenant,
                ),
                (LoadOutcome::Failed, _) => {
                    self.queue
                        .push_hinted(end, Event::LoadFailed { tenant, epoch }, tenant)
                }
            }
            let d = &mut self.dos[tenant as usize];
            if plan.blocking {
                d.busy_until = gate;
            }
            if plan.blocking || keeps_alive {
                d.quiet_from = earliest_end;
                if cpu.is_some() && load.outcome == LoadOutcome::Ready {
                    // Not idle until the load's end is known.
                    d.waiting = d.waiting.saturating_add(1);
                }
            }
            if in_window {
                self.metrics.record_fetch(load.source);
            }
            let began = d.started_at;
            self.policies.on_start(tenant, began, load);
        }
        let d = &self.dos[tenant as usize];
        let (started_at, quiet_from) = (d.started_at, d.quiet_from);
        self.queue.push_hinted(
            started_at,
            Event::StartDone {
                tenant,
                epoch,
                arrival,
            },
            tenant,
        );
        self.metrics.memory_kib.add(now, self.memory.resident_kib);
        self.metrics.resident.add(now, 1);
        if self.isolate_memory.is_some() {
            self.isolate_memory_added(tenant, self.memory.resident_kib);
        }
        if let Some(hosts) = &mut self.hosts {
            hosts.on_start(
                &self.dos,
                tenant,
                epoch,
                quiet_from,
                self.memory.reserve_kib,
            );
        }
    }

    /// Starts an evicted DO at `now` without a request (a policy asked), if
    /// its host has room; whether it did.
    fn start_unrequested(&mut self, tenant: u32, now: Nanos) -> bool {
        if self.dos[tenant as usize].status != Status::Evicted
            || !self.room_for_unrequested(tenant, now)
        {
            return false;
        }
        self.start(tenant, now, NO_REQUEST);
        let d = &mut self.dos[tenant as usize];
        d.ordinal = 0;
        d.unrequested = true;
        let started_at = d.started_at;
        if self.in_window(started_at) {
            self.metrics.prewarms_started += 1;
        }
        self.metrics
            .prewarm_memory_kib
            .add(now, self.memory.resident_kib);
        true
    }

    /// Draws the idle timeout of the DO's next idle period (which starts at
    /// `quiet_from`), or takes a policy's, and makes sure an expiry entry
    /// fires by its deadline.
    #[inline]
    pub(super) fn arm_idle(&mut self, tenant: u32) {
        let quiet = self.dos[tenant as usize].quiet_from;
        let timeout = match self.policies.on_idle(tenant, quiet) {
            None => self
                .config
                .durable_object
                .idle_timeout
                .sample(&mut self.rng),
            Some((_, Idle::Timeout(keep))) => keep,
            Some((policy, Idle::ReleaseThenWake { at })) => {
                self.schedule_wake(policy, at, tenant, quiet);
                0
            }
        };
        self.arm_at(tenant, quiet.saturating_add(timeout));
        if self.hosts.is_some() {
            self.note_quiet(tenant, quiet);
        }
    }

    /// Sets the DO's eviction deadline and makes sure an expiry entry fires
    /// by it.
    #[inline]
    pub(super) fn arm_at(&mut self, tenant: u32, deadline: Nanos) {
        let d = &mut self.dos[tenant as usize];
        d.idle_deadline = deadline.max(d.quiet_from);
        if d.idle_deadline < d.timer_at() {
            d.set_timer_at(d.idle_deadline);
            self.expiry.push(d.idle_deadline, tenant);
        }
    }

    pub(super) fn fire_expiry(&mut self) {
        let Some((deadline, tenant)) = self.expiry.pop() else {
            return;
        };
        if let Some((_, next)) = self.expiry.peek() {
            super::arrivals::prefetch(&self.dos, next);
        }
        for next in self.expiry.fresh_tenants() {
            super::arrivals::prefetch(&self.dos, next);
        }
        let d = &mut self.dos[tenant as usize];
        if d.timer_at() != deadline {
            return; // stale: superseded by an earlier deadline
        }
        d.set_timer_at(crate::fleet::NO_TIMER);
        if !d.is_resident() || d.waiting > 0 {
            // Evicted already, or waiting for the compute worker: its
            // dispatch arms it again.
            return;
        }
        if d.idle_deadline > deadline {
            // A request postponed the deadline: re-arm (lazy).
            d.set_timer_at(d.idle_deadline);
            self.expiry.push(d.idle_deadline, tenant);
            return;
        }
        self.evict(tenant, deadline, Eviction::Idle);
        if self.hosts.is_some() {
            self.admit_waiting(tenant, deadline);
        }
    }

    pub(super) fn evict(&mut self, tenant: u32, now: Nanos, cause: Eviction) {
        self.observer.evict(tenant, now);
        let in_window = self.in_window(now);
        let loads_runtime = self.traits.loads_runtime;
        let d = &mut self.dos[tenant as usize];
        // Loads are counted by when they began, so that every load counted
        // as started is counted once more by how it ended; a successful one
        // is classified here, at the end of its DO's life.
        let load_in_window = self.window.contains(d.started_at);
        let mut freed = self.memory.resident_kib;
        // What the start reserved on the host and still holds.
        let reserved = if loads_runtime && d.load != LoadState::Failed {
            self.memory.reserve_kib
        } else {
            self.memory.resident_kib
        };
        match d.load {
            LoadState::Active => {
                freed += self.memory.runtime_kib;
                if load_in_window {
                    if d.is_ready(now) {
                        self.metrics.record_load(
                            &mut self.load_times,
                            d.ready_at() - d.started_at,
                            d.source,
                        );
                    } else {
                        self.metrics.loads_aborted += 1;
                    }
                }
            }
            LoadState::NotStarted
                if d.status == Status::Starting
                    && loads_runtime
                    && load_in_window
                    && cause != Eviction::Reset =>
            {
                self.metrics.loads_aborted += 1;
            }
            LoadState::NotStarted | LoadState::Failed => {}
        }
        let wasted = d.end_life();
        if wasted {
            // Started without a request, then evicted before any came.
            if load_in_window {
                self.metrics.prewarms_wasted += 1;
            }
            self.metrics.prewarm_memory_kib.sub(now, freed);
        }
        self.policies.on_evict(tenant, now);
        if in_window {
            match cause {
                Eviction::Idle => self.metrics.evictions += 1,
                Eviction::Pressure => self.metrics.evictions_pressure += 1,
                Eviction::Reset => {}
            }
        }
        if let Some(hosts) = &mut self.hosts {
            hosts.release(tenant, reserved, true);
        }
        self.metrics.memory_kib.sub(now, freed);
        self.metrics.resident.sub(now, 1);
        if self.isolate_memory.is_some() {
            self.isolate_memory_freed(tenant, freed);
            let d = &mut self.dos[tenant as usize];
            d.reset = cause == Eviction::Reset;
            if d.reset {
                // What waited at this DO fails with it.
                d.waiting = 0;
            }
        }
    }

    /// Schedules `policy`'s wake at `at`, unless the run ends first.
    pub(super) fn schedule_wake(&mut self, policy: Policy, at: Nanos, tenant: u32, stamp: Nanos) {
        if at < self.window.to {
            self.queue.push(
                at,
                Event::Wake {
                    policy,
                    tenant,
                    stamp,
                },
            );
        }
    }

    /// A policy's wake: start what it asks, and wake it again if it asks.
    fn on_wake(&mut self, policy: Policy, tenant: u32, stamp: Nanos, now: Nanos) {
        let wake = self.policies.on_wake(policy, &self.dos, tenant, stamp, now);
        match wake.start {
            Start::Nothing => {}
            Start::Each(tenants) => {
                for t in tenants {
                    if self.start_unrequested(t, now) {
                        self.arm_idle(t);
                    }
                }
            }
            Start::Until { tenant, until } => {
                if self.start_unrequested(tenant, now) {
                    self.arm_at(tenant, until);
                }
            }
            Start::EachKept { tenants, until } => {
                for t in tenants {
                    if self.start_unrequested(t, now) {
                        self.arm_idle(t);
                    } else if self.dos[t as usize].is_resident() {
                        self.ping_before(t, until, now);
                    }
                }
            }
            Start::EachHeld(held) => {
                for (t, until) in held {
                    if self.start_unrequested(t, now) {
                        self.arm_idle(t);
                        let d = &mut self.dos[t as usize];
                        d.quiet_from = d.quiet_from.max(until);
                        if d.idle_deadline < until {
                            self.arm_at(t, until);
                        }
                    } else if self.dos[t as usize].is_resident() {
                        self.hold_until(t, until, now);
                    }
                }
            }
        }
        if let Some(at) = wake.again_at {
            self.schedule_wake(policy, at, tenant, stamp);
        }
    }

    /// Keeps a resident DO from hibernating before `until`: if it would,
    /// a request or an alarm at `now` restarts its idle period (counted, and
    /// billed as a DO request).
    fn ping_before(&mut self, tenant: u32, until: Nanos, now: Nanos) {
        let d = &mut self.dos[tenant as usize];
        if d.idle_deadline >= until {
            return;
        }
        d.quiet_from = d.quiet_from.max(now);
        self.arm_idle(tenant);
        if self.in_window(now) {
            self.metrics.prewarm_pings += 1;
        }
    }

    /// Keeps a resident DO from hibernating before `until` (alarms up to
    /// it, counted as one ping when that extends its stay): its idle period
    /// starts no earlier than `until`.
    fn hold_until(&mut self, tenant: u32, until: Nanos, now: Nanos) {
        let d = &mut self.dos[tenant as usize];
        let extends = d.idle_deadline < until;
        d.quiet_from = d.quiet_from.max(until);
        if extends {
            self.arm_at(tenant, until);
            if self.in_window(now) {
                self.metrics.prewarm_pings += 1;
            }
        }
    }

    pub(super) fn on_event(&mut self, now: Nanos, event: Event) {
        match event {
            Event::StartDone {
                tenant,
                epoch,
                arrival,
            } => {
                let d = &mut self.dos[tenant as usize];
                if d.epoch != epoch {
                    // That life ended while starting, which only a reset
                    // does. The request that started it waited for this
                    // event, unless it waits on a traditional DO's slot
                    // (where its completion fails).
                    if !self.traits.waits_for_load() && arrival != NO_REQUEST {
                        self.stale_request(tenant, arrival, now, true);
                    }
                    return;
                }
                d.status = Status::Running;
                let unrequested = d.unrequested;
                if self.traits.loads_runtime {
                    d.load = LoadState::Active;
                    if self.in_window(now) {
                        self.metrics.loads_started += 1;
                    }
                    self.metrics.memory_kib.add(now, self.memory.runtime_kib);
                    if self.isolate_memory.is_some() {
                        self.isolate_memory_added(tenant, self.memory.runtime_kib);
                    }
                    if unrequested {
                        self.metrics
                            .prewarm_memory_kib
                            .add(now, self.memory.runtime_kib);
                    }
                }
                // The request that started the DO. Where the architecture
                // waits for the load, it queued on the slot when it arrived.
                if !self.traits.waits_for_load() && arrival != NO_REQUEST {
                    self.route(tenant, 1, arrival, now);
                }
            }
            Event::LoadFailed { tenant, epoch } => {
                let d = &mut self.dos[tenant as usize];
                if d.epoch != epoch {
                    return;
                }
                d.load = LoadState::Failed;
                if self.window.contains(d.started_at) {
                    self.metrics.loads_failed += 1;
                }
                self.metrics.memory_kib.sub(now, self.memory.runtime_kib);
                let unrequested = d.unrequested;
                self.isolate_memory_freed(tenant, self.memory.runtime_kib);
                if unrequested {
                    self.metrics
                        .prewarm_memory_kib
                        .sub(now, self.memory.runtime_kib);
                }
                if let Some(hosts) = &mut self.hosts {
                    hosts.release(tenant, self.memory.runtime_kib, false);
                    // Admit what waits once the events at this instant are
                    // done: a request waiting for this load (smart
                    // delegation) is served first, so its DO is not taken
                    // for idle.
                    self.retry_host_of(tenant, now);
                }
            }
            Event::AfterStart {
                tenant,
                epoch,
                ordinal,
                arrival,
                retry,
            } => {
                if self.dos[tenant as usize].epoch == epoch {
                    self.route(tenant, ordinal, arrival, now);
                } else {
                    // A DO starting, or held by a load its requests wait
                    // for, is ended only by a reset; one whose load a
                    // request waits to see fail may have been taken for idle
                    // by a host at this very time.
                    self.stale_request(tenant, arrival, now, !retry);
                }
            }
            Event::Release { instance } => self.on_release(instance, now),
            Event::Wake {
                policy,
                tenant,
                stamp,
            } => self.on_wake(policy, tenant, stamp, now),
            Event::HostRetry { host } => self.on_host_retry(host as usize, now),
            Event::LoadCpu {
                tenant,
                epoch,
                work,
            } => self.on_load_cpu(tenant, epoch, work, now),
            Event::Handle {
                tenant,
                epoch,
                ordinal,
                arrival,
                delegate,
            } => self.on_handle(tenant, epoch, ordinal, arrival, delegate, now),
            Event::IsolateReset { isolate } => self.on_isolate_reset(isolate, now),
            Event::Complete {
                tenant,
                epoch,
                ordinal,
                arrival,
                path,
            } => self.on_complete(tenant, epoch, ordinal, arrival, path, now),
        }
    }
}
