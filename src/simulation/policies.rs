//! The simulator's policies: their state (only what the enabled policies
//! need, so a run without policies carries nothing extra) and their part of
//! the loop (partial loading, smart delegation, prewarming).

use std::collections::hash_map::DefaultHasher;
use std::collections::HashMap;
use std::hash::BuildHasherDefault;

use super::{Event, Observer, Path, Simulation, NO_REQUEST};
use crate::architectures::{plan_extension, LoadPlan};
use crate::fleet::{Status, WasmCaches, NEVER};
use crate::policies::prewarm::Decision;
use crate::policies::prewarm::{IdleHistograms, TopK};
use crate::policies::smart_delegation::should_wait;
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
    /// Smart delegation: the plan of each DO's load in progress.
    pub loading: HashMap<u32, LoadPlan, BuildHasherDefault<DefaultHasher>>,
    /// Partial loading: when each DO's extension is ready (`NEVER`: not
    /// requested in this life). Empty when the policy is off.
    pub extension_ready: Vec<Nanos>,
    /// Prewarming by top-K.
    pub top_k: Option<TopK>,
    /// Prewarming by idle-time histograms.
    pub histograms: Option<IdleHistograms>,
}

impl PolicyState {
    pub fn new(config: &Config, tenants: u32) -> Self {
        let enabled = config.policies.enabled;
        let prewarm = enabled
            .has(Policy::Prewarm)
            .then_some(config.policies.prewarm.predictor);
        Self {
            enabled,
            caches: WasmCaches::new(config),
            loading: HashMap::default(),
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

    /// Smart delegation: wait for the load in progress when that is predicted
    /// to be faster, delegate otherwise.
    pub(super) fn serve_smartly(&mut self, k: u32, ordinal: u32, arrival: Nanos, now: Nanos) {
        let d = &self.dos[k as usize];
        let elapsed = now.saturating_sub(d.started_at);
        let Some(plan) = self.policy.loading.get(&k) else {
            self.dispatch(k, ordinal, arrival, now);
            return;
        };
        if !should_wait(self.config, plan, elapsed) {
            self.dispatch(k, ordinal, arrival, now);
            return;
        }
        if d.ready_at() == NEVER && plan.outcome == crate::architectures::LoadOutcome::Ready {
            // The load's CPU part is not on its thread yet (the isolate
            // model): its end is unknown, so the request is delegated.
            self.dispatch(k, ordinal, arrival, now);
            return;
        }
        if self.in_window(arrival) {
            self.metrics.smart_waits += 1;
        }
        if d.ready_at() != NEVER {
            let ready = d.ready_at();
            self.serve_locally(k, ordinal, arrival, ready, Path::Queued);
        } else {
            // The load will fail (the DO cannot know): when it does, the
            // request is served again, and delegated.
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
        for tenant in top {
            if self.prewarm_start(tenant, now) {
                self.arm_idle(tenant);
            }
        }
        let next = now.saturating_add(self.config.policies.prewarm.interval);
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
