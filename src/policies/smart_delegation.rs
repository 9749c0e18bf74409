//! Smart delegation: a request that arrives while its DO is loading PGLite
//! waits for the load when the predicted remaining load time plus local
//! execution beats the predicted delegated latency by the margin, and is
//! delegated otherwise.
//!
//! The predictor uses only what the DO can know: which phases have finished
//! and how long the current ones have run (the phase reached, the time
//! spent), and the phase distributions of the config. A phase in progress is
//! predicted by its mean residual life, `E[X - e | X > e]`; a phase not yet
//! begun by its mean. Whether a cache lookup will miss is not known while it
//! runs: the R2 fetch then counts with the probability of a miss. Phases
//! that run side by side (the WASM fetch and the data read) are combined by
//! the larger of their predictions; the others add up.
//!
//! The policy ([`SmartDelegationPolicy`]) keeps each load's plan from the
//! DO's start to its eviction and refines the route of a request that would
//! be delegated while its DO's load runs.

use std::collections::hash_map::DefaultHasher;
use std::collections::HashMap;
use std::hash::BuildHasherDefault;

use super::hooks::{Ctx, Hooks, Setup};
use super::Policy;
use crate::architectures::{Lazy, LoadPlan, Phase, PhaseSpan, Phases, Route};
use crate::dist::Dist;
use crate::fleet::{LoadState, NEVER};
use crate::time::Nanos;

/// `[smart_delegation]`.
#[derive(Debug, Clone, PartialEq)]
pub struct SmartDelegation {
    /// Wait only if the predicted local time beats delegating by this much.
    pub margin: Nanos,
}

/// What the predictor knows: the phase distributions, the lazy strategy,
/// how the other policies shape a load, and the delegated latency.
#[derive(Debug, Clone)]
pub struct LoadPredictor {
    phases: Phases,
    lazy: Lazy,
    /// The share of compile and init a load does (partial loading).
    core_fraction: f64,
    /// The cache tiers decide the lookup (tiered caching): no coin flip.
    tiered: bool,
    /// The compile may overlap the transfer (streaming).
    streaming: bool,
    query_exec_mean: f64,
    delegated: f64,
    margin: Nanos,
}

impl LoadPredictor {
    /// The predictor of a run.
    pub fn new(setup: &Setup) -> Self {
        let enabled = setup.params.enabled;
        Self {
            phases: setup.phases.clone(),
            lazy: setup.lazy.clone(),
            core_fraction: if enabled.has(Policy::PartialLoading) {
                setup.params.partial_loading.core_fraction
            } else {
                1.0
            },
            tiered: enabled.has(Policy::TieredCache),
            streaming: enabled.has(Policy::Streaming),
            query_exec_mean: setup.query_exec.mean(),
            delegated: setup.compute.rtt.mean() + setup.compute.exec.mean(),
            margin: setup.params.smart_delegation.margin,
        }
    }

    fn dist_of(&self, phase: Phase) -> &Dist {
        let p = &self.phases;
        match phase {
            Phase::CacheCheck => &p.cache_check,
            Phase::R2Fetch => &p.r2_fetch,
            Phase::DataRead => &p.data_read,
            Phase::WasmCompile => &p.wasm_compile,
            Phase::LoaderIsolateStart => &p.loader_isolate_start,
            Phase::LoaderCompile => &p.loader_compile,
            Phase::PgliteInit => &p.pglite_init,
        }
    }

    /// The share of a phase's drawn duration a load takes (partial loading
    /// loads only the core module's share of compile and init).
    fn share(&self, phase: Phase) -> f64 {
        match phase {
            Phase::WasmCompile | Phase::LoaderCompile | Phase::PgliteInit => self.core_fraction,
            _ => 1.0,
        }
    }

    /// The predicted time, from `elapsed` into the load, until the phase ends.
    fn remaining(&self, span: &PhaseSpan, elapsed: Nanos) -> f64 {
        let f = self.share(span.phase);
        let d = self.dist_of(span.phase);
        if span.end <= elapsed {
            0.0
        } else if span.start <= elapsed {
            // Residual life of the full-length draw, scaled to the share.
            let spent = ((elapsed - span.start) as f64 / f.max(1e-12)).round() as Nanos;
            d.mean_residual(spent) * f
        } else {
            d.mean() * f
        }
    }

    /// The predicted time until the load is ready, `elapsed` into it.
    pub fn predicted_remaining(&self, plan: &LoadPlan, elapsed: Nanos) -> f64 {
        let spans = plan.spans.as_slice();
        let find = |phase| spans.iter().find(|s| s.phase == phase);
        let rem = |phase| find(phase).map_or(0.0, |s| self.remaining(s, elapsed));
        // The WASM fetch: the lookup, then R2 on a miss.
        let mut wasm = rem(Phase::CacheCheck);
        let lookup_running = find(Phase::CacheCheck).is_some_and(|s| s.end > elapsed);
        if lookup_running && !self.tiered {
            // The outcome is not known yet: an R2 fetch with the miss probability.
            wasm += (1.0 - self.lazy.cache_hit_ratio) * self.phases.r2_fetch.mean();
        } else if !lookup_running {
            wasm += rem(Phase::R2Fetch);
        }
        let data = rem(Phase::DataRead);
        let bundled = find(Phase::CacheCheck).is_none();
        let fetch = if bundled || !self.lazy.parallel_fetch {
            wasm + data
        } else {
            wasm.max(data)
        };
        let compile =
            rem(Phase::WasmCompile) + rem(Phase::LoaderIsolateStart) + rem(Phase::LoaderCompile);
        let streaming = find(Phase::WasmCompile)
            .is_some_and(|c| c.start < find(Phase::DataRead).map_or(0, |d| d.end))
            && !bundled
            && self.streaming;
        let to_init = if streaming {
            fetch.max(compile)
        } else {
            fetch + compile
        };
        to_init + rem(Phase::PgliteInit)
    }

    /// The delegated latency a DO can expect: a warm compute worker's round
    /// trip and execution.
    pub fn predicted_delegated(&self) -> f64 {
        self.delegated
    }

    /// Whether a request arriving `elapsed` into the load should wait for it.
    pub fn should_wait(&self, plan: &LoadPlan, elapsed: Nanos) -> bool {
        let local = self.predicted_remaining(plan, elapsed) + self.query_exec_mean;
        local + (self.margin as f64) < self.predicted_delegated()
    }
}

/// The smart-delegation policy: the predictor and each DO's load in
/// progress.
#[derive(Debug)]
pub struct SmartDelegationPolicy {
    predictor: LoadPredictor,
    loading: HashMap<u32, LoadPlan, BuildHasherDefault<DefaultHasher>>,
}

impl Hooks for SmartDelegationPolicy {
    fn enable(setup: &Setup) -> Option<Self> {
        setup
            .params
            .enabled
            .has(Policy::SmartDelegation)
            .then(|| SmartDelegationPolicy {
                predictor: LoadPredictor::new(setup),
                loading: HashMap::default(),
            })
    }

    #[inline]
    fn on_start(&mut self, tenant: u32, load: &LoadPlan) {
        self.loading.insert(tenant, *load);
    }

    /// A request that would be delegated while its DO's load runs waits for
    /// the load when that is predicted to be faster.
    #[inline]
    fn refine_route(&mut self, ctx: &mut Ctx, tenant: u32, arrival: Nanos, route: Route) -> Route {
        let now = ctx.now;
        let Some(d) = ctx.dos.get_mut(tenant as usize) else {
            return route;
        };
        if route != Route::Delegate || d.load != LoadState::Active || d.is_ready(now) {
            return route;
        }
        let elapsed = now.saturating_sub(d.started_at);
        let Some(plan) = self.loading.get(&tenant) else {
            return route;
        };
        if !self.predictor.should_wait(plan, elapsed) {
            return route;
        }
        if ctx.window.contains(arrival) {
            ctx.metrics.smart_waits += 1;
        }
        if d.ready_at() != NEVER {
            Route::Queue { from: d.ready_at() }
        } else {
            // The load will fail (the DO cannot know): when it does, the
            // request is served again, and delegated.
            let failed_at = d.started_at + plan.duration;
            d.quiet_from = d.quiet_from.max(failed_at);
            Route::RetryAt { at: failed_at }
        }
    }

    #[inline]
    fn on_evict(&mut self, tenant: u32) {
        self.loading.remove(&tenant);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::architectures::tests::plan;
    use crate::architectures::{Architecture, ArchitectureVariant, WasmCompile};
    use crate::engine::stream;
    use crate::experiment::config::load_default;
    use crate::simulation::setup_of;
    use proptest::prelude::*;

    fn hybrid() -> ArchitectureVariant {
        ArchitectureVariant {
            architecture: Architecture::Hybrid,
            runtime_wasm_compile: WasmCompile::Blocked,
        }
    }

    #[test]
    fn at_the_start_of_a_load_it_delegates_and_near_its_end_it_waits() {
        let config = load_default().unwrap();
        let mut rng = stream(2, &[]);
        let plan = plan(hybrid(), &config, &mut rng).load.unwrap();
        let predictor = LoadPredictor::new(&setup_of(&config, hybrid(), 1));
        assert!(!predictor.should_wait(&plan, 0));
        // 20 ms before the end of init (uniform 500-1000 ms: the residual at
        // most (1000 - elapsed)/2), local beats ~115 ms delegated.
        assert!(predictor.should_wait(&plan, plan.duration - 1_000_000));
    }

    proptest! {
        /// Never waits when the predicted remaining load exceeds the
        /// delegated latency.
        #[test]
        fn never_waits_when_the_load_is_predicted_longer(seed in 0u64..500, at in 0.0f64..1.0, margin_ms in 0u64..50) {
            let mut config = load_default().unwrap();
            config.policies.smart_delegation.margin = margin_ms * 1_000_000;
            let mut rng = stream(seed, &[]);
            for variant in [
                hybrid(),
                ArchitectureVariant { architecture: Architecture::Lazy, runtime_wasm_compile: WasmCompile::Allowed },
            ] {
                let predictor = LoadPredictor::new(&setup_of(&config, variant, 1));
                let plan = plan(variant, &config, &mut rng).load.unwrap();
                let elapsed = (plan.duration as f64 * at) as Nanos;
                let remaining = predictor.predicted_remaining(&plan, elapsed);
                if remaining >= predictor.predicted_delegated() {
                    prop_assert!(!predictor.should_wait(&plan, elapsed));
                }
                prop_assert!(remaining >= 0.0);
            }
        }
    }
}
