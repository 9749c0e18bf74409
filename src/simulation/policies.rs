//! The simulator's policies: their state (only what the enabled policies
//! need, so a run without policies carries nothing extra) and their part of
//! the loop (partial loading, smart delegation, prewarming).

use std::collections::hash_map::DefaultHasher;
use std::collections::HashMap;
use std::hash::BuildHasherDefault;

use super::{Event, Observer, Path, Simulation, NO_REQUEST};
use crate::architectures::{plan_extension, ArchitectureVariant, LoadPlan};
use crate::engine::SimRng;
use crate::fleet::{Status, WasmCaches, NEVER};
use crate::policies::estimates::FleetEstimates;
use crate::policies::foresight::Foresight;
use crate::policies::prewarm::Decision;
use crate::policies::prewarm::{IdleHistograms, TopK};
use crate::policies::smart_delegation::{Moment, SmartDecider};
use crate::policies::{Policy, PolicySet, Predictor};
use crate::simulation::Config;
use crate::time::Nanos;
use rand::RngExt;

/// Per-run state of the enabled policies.
#[derive(Debug)]
pub(super) struct PolicyState {
    pub enabled: PolicySet,
    /// Where lazy loads find their WASM (tiered caching or the coin flip).
    pub caches: WasmCaches,
    /// Smart delegation: each DO's load in progress.
    pub loading: HashMap<u32, Loading, BuildHasherDefault<DefaultHasher>>,
    /// Smart delegation: the decision and what the fleet has learned.
    pub smart: Option<SmartDecider>,
    pub fleet: FleetEstimates,
    /// Prewarming by oracle: the run's arrivals, seen ahead.
    pub foresight: Option<Foresight>,
    /// Partial loading: when each DO's extension is ready (`NEVER`: not
    /// requested in this life). Empty when the policy is off.
    pub extension_ready: Vec<Nanos>,
    /// Prewarming by top-K.
    pub top_k: Option<TopK>,
    /// Prewarming by idle-time histograms.
    pub histograms: Option<IdleHistograms>,
}

/// A DO's load in progress, as smart delegation follows it.
#[derive(Debug, Clone, Copy)]
pub(super) struct Loading {
    pub plan: LoadPlan,
    /// Requests that chose to wait for it.
    pub waiting: u32,
}

impl PolicyState {
    /// `arrival_stream` is a copy of the run's arrival stream, for the
    /// oracle prewarmer's foresight.
    pub fn new(
        config: &Config,
        variant: ArchitectureVariant,
        tenants: u32,
        arrival_stream: impl FnOnce() -> SimRng,
    ) -> Self {
        let enabled = config.policies.enabled;
        let prewarm = enabled
            .has(Policy::Prewarm)
            .then_some(config.policies.prewarm.predictor);
        Self {
            enabled,
            caches: WasmCaches::new(config),
            loading: HashMap::default(),
            smart: enabled
                .has(Policy::SmartDelegation)
                .then(|| SmartDecider::new(config, variant)),
            fleet: FleetEstimates::default(),
            foresight: (prewarm == Some(Predictor::Oracle)).then(|| {
                Foresight::new(
                    &config.workload,
                    arrival_stream(),
                    config.duration,
                    config.policies.prewarm.oracle_lead,
                )
            }),
            extension_ready: if enabled.has(Policy::PartialLoading) {
                vec![NEVER; tenants as usize]
            } else {
                Vec::new()
            },
            top_k: (prewarm == Some(Predictor::TopK)).then(|| {
                TopK::new(
                    config.policies.prewarm.interval,
                    config.policies.prewarm.window,
                )
            }),
            histograms: (prewarm == Some(Predictor::Histogram))
                .then(|| IdleHistograms::new(config.policies.prewarm.clone())),
        }
    }

    #[inline]
    pub fn has(&self, policy: Policy) -> bool {
        self.enabled.has(policy)
    }
}

/// The policies' part of the simulation loop.
impl<O: Observer> Simulation<'_, O> {
    /// Partial loading: whether this query needs the extension and, if it
    /// is not ready, when it will be (starting its load on first need).
    pub(super) fn extension_for(&mut self, k: u32, now: Nanos) -> Option<Nanos> {
        let fraction = self.config.policies.partial_loading.extension_fraction;
        if self.rng.random::<f64>() >= fraction {
            return None;
        }
        let ready = self
            .policy
            .extension_ready
            .get(k as usize)
            .copied()
            .unwrap_or(NEVER);
        if ready <= now {
            return None;
        }
        if ready != NEVER {
            return Some(ready);
        }
        let ready = now + plan_extension(self.variant, self.config, &mut self.rng);
        if let Some(slot) = self.policy.extension_ready.get_mut(k as usize) {
            *slot = ready;
        }
        if self.in_window(now) {
            self.metrics.extension_loads += 1;
        }
        if self.config.durable_object.load_keeps_alive {
            let d = &mut self.dos[k as usize];
            d.quiet_from = d.quiet_from.max(ready);
        }
        Some(ready)
    }

    /// Smart delegation: wait for the load in progress when that is expected
    /// to be faster, delegate otherwise.
    pub(super) fn serve_smartly(&mut self, k: u32, ordinal: u32, arrival: Nanos, now: Nanos) {
        let d = &self.dos[k as usize];
        let elapsed = now.saturating_sub(d.started_at);
        let (Some(loading), Some(smart)) = (self.policy.loading.get(&k), &self.policy.smart)
        else {
            self.dispatch(k, ordinal, arrival, now);
            return;
        };
        self.policy.fleet.learn_until(now);
        let moment = Moment {
            plan: &loading.plan,
            elapsed,
            waiting: loading.waiting,
            slot_free_in: d.busy_until.saturating_sub(now),
        };
        if !smart.should_wait(self.config, &moment, &self.policy.fleet) {
            self.dispatch(k, ordinal, arrival, now);
            return;
        }
        let plan = loading.plan;
        if let Some(l) = self.policy.loading.get_mut(&k) {
            l.waiting += 1;
        }
        if self.in_window(arrival) {
            self.metrics.smart_waits += 1;
        }
        let d = &self.dos[k as usize];
        if d.ready_at() != NEVER {
            let ready = d.ready_at();
            self.serve_locally(k, ordinal, arrival, ready, Path::Queued);
        } else {
            // The load will fail: when it does, the request is served
            // again, and delegated.
            let failed_at = d.started_at + plan.duration;
            let d = &mut self.dos[k as usize];
            d.quiet_from = d.quiet_from.max(failed_at);
            let epoch = d.epoch;
            self.queue.push(
                failed_at,
                Event::AfterStart {
                    tenant: k,
                    epoch,
                    ordinal,
                    arrival,
                },
            );
        }
    }

    /// Smart delegation: what the fleet will learn from a load that begins
    /// at `began` (its success when it is ready, its lookup when it ends).
    pub(super) fn follow_load(&mut self, k: u32, began: Nanos, load: LoadPlan) {
        if load.outcome == crate::architectures::LoadOutcome::Ready {
            self.policy.fleet.load_ready_at(began + load.duration);
        }
        if let Some(lookup) = load
            .spans
            .as_slice()
            .iter()
            .find(|s| s.phase == crate::architectures::Phase::CacheCheck)
        {
            self.policy.fleet.fetched_at(began + lookup.end, load.source);
        }
        self.policy.loading.insert(
            k,
            Loading {
                plan: load,
                waiting: 0,
            },
        );
    }

    /// Starts an evicted DO at `now` without a request (prewarming), if
    /// its host has room; whether it did.
    pub(super) fn prewarm_start(&mut self, k: u32, now: Nanos) -> bool {
        if self.dos[k as usize].status != Status::Evicted || !self.room_for_prewarm(k, now) {
            return false;
        }
        self.start(k, now, NO_REQUEST);
        let d = &mut self.dos[k as usize];
        d.ordinal = 0;
        d.prewarmed = true;
        let started_at = d.started_at;
        if self.in_window(started_at) {
            self.metrics.prewarms_started += 1;
        }
        self.metrics
            .prewarm_memory_kib
            .add(now, self.memory.resident_kib);
        true
    }

    /// Prewarming by top-K: the periodic job.
    pub(super) fn on_prewarm_tick(&mut self, now: Nanos) {
        let k = usize::try_from(self.config.policies.prewarm.top_k).unwrap_or(usize::MAX);
        let top = self
            .policy
            .top_k
            .as_mut()
            .map(|t| t.take_top(k))
            .unwrap_or_default();
        let next = now.saturating_add(self.config.policies.prewarm.interval);
        let keep = self.config.policies.prewarm.keep_resident;
        for tenant in top {
            if self.prewarm_start(tenant, now) {
                self.arm_idle(tenant);
            } else if keep && self.dos[tenant as usize].is_resident() {
                // Keep it until the next tick, when the job looks again.
                self.ping_until(tenant, next, now);
            }
        }
        if next < self.duration {
            self.queue.push(next, Event::PrewarmTick);
        }
    }

    /// Prewarming by histogram: start a released DO before it is due.
    pub(super) fn on_prewarm(&mut self, tenant: u32, quiet_from: Nanos, now: Nanos) {
        let d = &self.dos[tenant as usize];
        // Stale if the DO came back, or went quiet again, since.
        if d.is_resident() || d.quiet_from != quiet_from {
            return;
        }
        let until = match self.policy.histograms.as_ref().map(|h| h.decision(tenant)) {
            Some(Decision::Prewarm { until, .. }) => quiet_from.saturating_add(until),
            _ => return,
        };
        if self.prewarm_start(tenant, now) {
            self.arm_at(tenant, until);
        }
    }
}

/// Prewarming's keep-alive and the oracle's foresight.
impl<O: Observer> Simulation<'_, O> {
    /// Top-K: keeps a resident DO from hibernating before the next tick
    /// (`next`): if it would, a request or an alarm at `now` restarts its
    /// idle period (counted, and billed as a DO request).
    pub(super) fn ping_until(&mut self, k: u32, next: Nanos, now: Nanos) {
        let d = &mut self.dos[k as usize];
        if d.idle_deadline >= next {
            return;
        }
        d.quiet_from = d.quiet_from.max(now);
        self.arm_idle(k);
        if self.in_window(now) {
            self.metrics.prewarm_pings += 1;
        }
    }

    /// Oracle: keeps a resident DO from hibernating before `until` (alarms
    /// up to it, counted as one ping when needed): its idle period starts
    /// no earlier than `until`.
    pub(super) fn hold_until(&mut self, k: u32, until: Nanos, now: Nanos) {
        let d = &mut self.dos[k as usize];
        let extends = d.idle_deadline < until;
        d.quiet_from = d.quiet_from.max(until);
        if extends {
            self.arm_at(k, until);
            if self.in_window(now) {
                self.metrics.prewarm_pings += 1;
            }
        }
    }

    /// Prewarming by oracle: every arrival due within the lead finds its
    /// DO resident, unless it is its tenant's first.
    pub(super) fn on_foresee(&mut self, now: Nanos) {
        while let Some(a) = self.policy.foresight.as_mut().and_then(|f| f.pop(now)) {
            if a.first {
                continue;
            }
            if self.prewarm_start(a.tenant, now) {
                self.arm_idle(a.tenant);
                let d = &mut self.dos[a.tenant as usize];
                d.quiet_from = d.quiet_from.max(a.time);
                if d.idle_deadline < a.time {
                    self.arm_at(a.tenant, a.time);
                }
            } else if self.dos[a.tenant as usize].is_resident() {
                self.hold_until(a.tenant, a.time, now);
            }
        }
        if let Some(next) = self.policy.foresight.as_ref().and_then(Foresight::next_due) {
            self.queue.push(next.max(now), Event::Foresee);
        }
    }
}
