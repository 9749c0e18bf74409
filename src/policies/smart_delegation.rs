//! Smart delegation: a request that arrives while its DO is loading PGLite
//! waits for the load when that is expected to be faster than delegating,
//! by the margin, and is delegated otherwise.
//!
//! Expected latencies, from now (the client's round trip is common to
//! both and left out):
//! - delegating: the compute worker's round trip and execution, plus its
//!   cold start times the probability of meeting a cold worker;
//! - waiting: with probability `p` the load succeeds, and the request runs
//!   on the DO's slot behind the requests already waiting:
//!   `E[max(T_ready, w q)] + q` for `w` waiting requests of mean query `q`;
//!   with `1 - p` it fails at `T_failed` and is delegated then:
//!   `E[T_failed] + delegating`.
//!
//! It waits iff waiting + margin < delegating. With `p = 0` waiting can
//! never win (it is delegating, later), so a load the fleet has seen fail
//! is never waited for: the policy is then the plain delegation exactly.
//!
//! Three predictors ([`SmartPredictor`]): `learned` (the DO knows the phase
//! distributions and what has happened to its load; `p` is a fleet-wide
//! estimate from the loads seen so far, [`super::estimates`]), `platform`
//! (`p` from the platform setting: 0 under a blocked compile, else 1), and
//! `oracle`, a bound no implementation reaches: it knows the load's exact
//! remaining time and outcome (and when the DO's slot frees).
//!
//! The cold-worker probability, for all three, is the one plain delegation
//! would meet ([`super::plain_pool`]): the real pool, which the policy's
//! waits make colder, would price delegating ever higher the more it waits.
//!
//! The policy ([`SmartDelegationPolicy`]) follows each load from the DO's
//! start to its eviction, learns from every load and delegation, and
//! refines the route of a request that would be delegated while its DO's
//! load runs.

use std::collections::hash_map::DefaultHasher;
use std::collections::HashMap;
use std::hash::BuildHasherDefault;

use super::estimates::FleetEstimates;
use super::hooks::{Ctx, Hooks, Setup};
use super::load_forecast::{mean_at_least, LoadForecast, LookupOdds};
use super::plain_pool::PlainPool;
use super::Policy;
use crate::architectures::{Architecture, LoadOutcome, LoadPlan, Phase, Route, WasmCompile};
use crate::fleet::{Compute, IsolateParams, LoadState, NEVER};
use crate::simulation::cpu_part;
use crate::time::Nanos;

/// How smart delegation predicts the load in progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmartPredictor {
    /// Phase distributions, the load's progress, fleet-wide estimates.
    Learned,
    /// As `learned`, with the load's success taken from the platform setting.
    Platform,
    /// Knows the load's exact remaining time and outcome (a bound).
    Oracle,
}

impl SmartPredictor {
    /// The config names, in order.
    pub const NAMES: [&'static str; 3] = ["learned", "platform", "oracle"];

    /// The config name.
    pub fn name(self) -> &'static str {
        match self {
            SmartPredictor::Learned => "learned",
            SmartPredictor::Platform => "platform",
            SmartPredictor::Oracle => "oracle",
        }
    }

    /// Parses a config name.
    pub fn from_name(name: &str) -> Option<Self> {
        [Self::Learned, Self::Platform, Self::Oracle]
            .into_iter()
            .find(|p| p.name() == name)
    }
}

/// `[smart_delegation]`.
#[derive(Debug, Clone, PartialEq)]
pub struct SmartDelegation {
    /// Wait only if the predicted local time beats delegating by this much.
    pub margin: Nanos,
    pub predictor: SmartPredictor,
}

/// What the DO knows about a request meeting its load in progress.
#[derive(Debug, Clone, Copy)]
pub struct Moment<'a> {
    /// The load's plan (a predictor reads only what it may know of it).
    pub plan: &'a LoadPlan,
    /// Time since the load began.
    pub elapsed: Nanos,
    /// Requests already waiting for this load on the DO's slot.
    pub waiting: u32,
    /// Oracle only: the exact time until the slot frees after the load, if
    /// it succeeds.
    pub slot_free_in: Nanos,
}

/// The expected latency of delegating now (round trip and execution, and
/// a cold worker's start times its probability).
pub fn expected_delegated(compute: &Compute, p_cold: f64) -> f64 {
    compute.rtt.mean() + compute.exec.mean() + p_cold * compute.cold_start.mean()
}

/// The smart-delegation decision of one run.
#[derive(Debug, Clone)]
pub struct SmartDecider {
    forecast: LoadForecast,
    predictor: SmartPredictor,
    /// `platform` predictor: whether loads can succeed at all.
    platform_success: f64,
    margin: f64,
    query: f64,
    miss: f64,
    compute: Compute,
}

impl SmartDecider {
    pub fn new(setup: &Setup) -> Self {
        let v = setup.variant;
        let blocked =
            v.architecture == Architecture::Lazy && v.runtime_wasm_compile == WasmCompile::Blocked;
        let params = &setup.params.smart_delegation;
        Self {
            forecast: LoadForecast::new(setup),
            predictor: params.predictor,
            platform_success: if blocked { 0.0 } else { 1.0 },
            margin: params.margin as f64,
            query: setup.query_exec.mean(),
            miss: 1.0 - setup.lazy.cache_hit_ratio,
            compute: setup.compute.clone(),
        }
    }

    /// The expected latencies (waiting, delegating) of a request meeting
    /// the load at `moment`, given what the fleet has learned.
    /// `p_cold` is the probability that delegating meets a cold worker.
    pub fn expectations(&self, moment: &Moment, fleet: &FleetEstimates, p_cold: f64) -> (f64, f64) {
        let delegated = expected_delegated(&self.compute, p_cold);
        let queue = f64::from(moment.waiting) * self.query;
        if self.predictor == SmartPredictor::Oracle {
            let left = moment.plan.duration.saturating_sub(moment.elapsed) as f64;
            let wait = match moment.plan.outcome {
                LoadOutcome::Ready => left.max(moment.slot_free_in as f64) + self.query,
                LoadOutcome::Failed => left + delegated,
            };
            return (wait, delegated);
        }
        let p = match self.predictor {
            SmartPredictor::Platform => self.platform_success,
            _ => fleet.p_load_succeeds(),
        };
        let odds = LookupOdds {
            miss: self.miss,
            beyond_local: fleet.p_beyond_local(),
            r2_beyond_regional: fleet.p_r2_beyond_regional(),
        };
        let r = self
            .forecast
            .remaining(moment.plan.spans.as_slice(), moment.elapsed, odds);
        let mut wait = (1.0 - p) * (r.failed.mean + delegated);
        if p > 0.0 {
            wait += p * (mean_at_least(&r.ready, queue) + self.query);
        }
        (wait, delegated)
    }

    /// Whether the request should wait for the load.
    pub fn should_wait(&self, moment: &Moment, fleet: &FleetEstimates, p_cold: f64) -> bool {
        let (wait, delegated) = self.expectations(moment, fleet, p_cold);
        wait + self.margin < delegated
    }
}

/// A DO's load in progress, as the policy follows it.
#[derive(Debug, Clone, Copy)]
struct Loading {
    plan: LoadPlan,
    began: Nanos,
    /// Requests that chose to wait for it.
    waiting: u32,
    /// Requests that waited for it to fail, routed again when it does.
    retrying: u32,
    /// With the isolate model, when its CPU part is queued on the thread:
    /// until then its end is not known to the loop.
    cpu_gate: Option<Nanos>,
}

/// The smart-delegation policy: the decision, what the fleet has learned,
/// and each DO's load in progress.
#[derive(Debug)]
pub struct SmartDelegationPolicy {
    decider: SmartDecider,
    fleet: FleetEstimates,
    /// Plain delegation's pool: what delegating costs without the policy.
    plain: PlainPool,
    loading: HashMap<u32, Loading, BuildHasherDefault<DefaultHasher>>,
    /// The isolate model's phases on the thread, and whether they yield.
    isolate: IsolateParams,
}

impl SmartDelegationPolicy {
    /// A request routed to the compute worker at `now`: plain delegation
    /// sends it then too, unless it is one that waited for its load to fail
    /// (plain delegation sent it when it arrived, counted then).
    fn plain_would_delegate(&mut self, tenant: u32, arrival: Nanos, now: Nanos) {
        if let Some(l) = self.loading.get_mut(&tenant) {
            if l.retrying > 0 && arrival < now && now == l.began + l.plan.duration {
                l.retrying -= 1;
                return;
            }
        }
        self.plain.dispatch(now);
    }
}

impl Hooks for SmartDelegationPolicy {
    fn enable(setup: &Setup) -> Option<Self> {
        setup
            .params
            .enabled
            .has(Policy::SmartDelegation)
            .then(|| SmartDelegationPolicy {
                decider: SmartDecider::new(setup),
                fleet: FleetEstimates::default(),
                plain: PlainPool::new(setup),
                loading: HashMap::default(),
                isolate: setup.isolate.clone(),
            })
    }

    /// Follows the load, and tells the fleet when its outcome and lookup
    /// will be known (a failure is learned when it fails: its end).
    #[inline]
    fn on_start(&mut self, tenant: u32, began: Nanos, load: &LoadPlan) {
        let end = began + load.duration;
        match load.outcome {
            LoadOutcome::Ready => self.fleet.load_ready_at(end),
            LoadOutcome::Failed => self.fleet.load_fails_at(end),
        }
        if let Some(lookup) = load
            .spans
            .as_slice()
            .iter()
            .find(|s| s.phase == Phase::CacheCheck)
        {
            self.fleet.fetched_at(began + lookup.end, load.source);
        }
        self.loading.insert(
            tenant,
            Loading {
                plan: *load,
                began,
                waiting: 0,
                retrying: 0,
                cpu_gate: cpu_part(load, &self.isolate).map(|c| began + c.from),
            },
        );
    }

    /// A request that would be delegated while its DO's load runs waits for
    /// the load when that is expected to be faster.
    #[inline]
    fn refine_route(&mut self, ctx: &mut Ctx, tenant: u32, arrival: Nanos, route: Route) -> Route {
        let now = ctx.now;
        if route == Route::Delegate {
            self.plain_would_delegate(tenant, arrival, now);
        }
        let Some(d) = ctx.dos.get_mut(tenant as usize) else {
            return route;
        };
        if route != Route::Delegate || d.load != LoadState::Active || d.is_ready(now) {
            return route;
        }
        let Some(loading) = self.loading.get_mut(&tenant) else {
            return route;
        };
        // With the isolate model, a load that will succeed has no known end
        // until its CPU part is queued on the thread (at its gate): a request
        // that waits is routed again then, and finds the load's work ahead of
        // it on the thread. Sliced CPU work lets requests through between
        // slices, so waiting for the gate would only delay them.
        let awaits_gate = d.ready_at() == NEVER && loading.plan.outcome == LoadOutcome::Ready;
        let gate = loading.cpu_gate.unwrap_or(NEVER);
        if awaits_gate && (now >= gate || self.isolate.slice > 0) {
            return route;
        }
        self.fleet.learn_until(now);
        let moment = Moment {
            plan: &loading.plan,
            elapsed: now.saturating_sub(d.started_at),
            waiting: loading.waiting,
            slot_free_in: d.busy_until.saturating_sub(now),
        };
        if !self
            .decider
            .should_wait(&moment, &self.fleet, self.plain.p_worker_cold())
        {
            return route;
        }
        loading.waiting += 1;
        if ctx.window.contains(arrival) {
            ctx.metrics.smart_waits += 1;
        }
        if awaits_gate {
            d.quiet_from = d.quiet_from.max(gate);
            Route::RetryAt { at: gate }
        } else if d.ready_at() != NEVER {
            Route::Queue { from: d.ready_at() }
        } else {
            // The load will fail: when it does, the request is served
            // again, and delegated.
            let failed_at = d.started_at + loading.plan.duration;
            d.quiet_from = d.quiet_from.max(failed_at);
            loading.retrying += 1;
            Route::RetryAt { at: failed_at }
        }
    }

    /// A load that would have succeeded, aborted by the eviction: the fleet
    /// never learns its outcome.
    #[inline]
    fn on_evict(&mut self, tenant: u32, now: Nanos) {
        if let Some(l) = self.loading.remove(&tenant) {
            let end = l.began + l.plan.duration;
            if end > now {
                match l.plan.outcome {
                    LoadOutcome::Ready => self.fleet.load_aborted(end),
                    LoadOutcome::Failed => self.fleet.failure_aborted(end),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::architectures::tests::plan as plan_of;
    use crate::architectures::ArchitectureVariant;
    use crate::engine::stream;
    use crate::experiment::config::{default_layers, load, load_default, set_layer};
    use crate::simulation::{setup_of, Config};
    use crate::time::MILLISECOND;

    fn config(sets: &[&str]) -> Config {
        let mut layers = default_layers();
        layers.extend(sets.iter().map(|s| set_layer(s).unwrap()));
        load(&layers).unwrap()
    }

    const HYBRID: ArchitectureVariant = ArchitectureVariant {
        architecture: Architecture::Hybrid,
        runtime_wasm_compile: WasmCompile::Blocked,
    };

    fn lazy(compile: WasmCompile) -> ArchitectureVariant {
        ArchitectureVariant {
            architecture: Architecture::Lazy,
            runtime_wasm_compile: compile,
        }
    }

    fn plan(config: &Config, variant: ArchitectureVariant, seed: u64) -> LoadPlan {
        let mut rng = stream(seed, &[]);
        plan_of(variant, config, &mut rng).load.unwrap()
    }

    fn decider(config: &Config, variant: ArchitectureVariant) -> SmartDecider {
        SmartDecider::new(&setup_of(config, variant, 1))
    }

    fn moment(plan: &LoadPlan, elapsed: Nanos) -> Moment<'_> {
        Moment {
            plan,
            elapsed,
            waiting: 0,
            slot_free_in: 0,
        }
    }

    /// A pool that is almost never cold.
    const WARM: f64 = 0.01;

    /// Loads that always succeed, known to the fleet.
    fn seen_succeed(n: u64) -> FleetEstimates {
        let mut f = FleetEstimates::default();
        for _ in 0..n {
            f.load_ready_at(0);
        }
        f.learn_until(0);
        f
    }

    #[test]
    fn at_the_start_of_a_load_it_delegates_and_near_its_end_it_waits() {
        let config = load_default().unwrap();
        let plan = plan(&config, HYBRID, 2);
        let d = decider(&config, HYBRID);
        let fleet = seen_succeed(100);
        assert!(!d.should_wait(&moment(&plan, 0), &fleet, WARM));
        // 1 ms before the end of init (uniform 500-1000 ms: the residual at
        // most 0.5 ms), local beats a delegation of ~115 ms or more.
        assert!(d.should_wait(&moment(&plan, plan.duration - MILLISECOND), &fleet, WARM));
    }

    #[test]
    fn a_load_the_fleet_has_seen_fail_is_never_waited_for() {
        let config = load_default().unwrap();
        let variant = lazy(WasmCompile::Blocked);
        let plan = plan(&config, variant, 3);
        let mut failing = FleetEstimates::default();
        for _ in 0..50 {
            failing.load_fails_at(0);
        }
        failing.learn_until(0);
        for predictor in [
            SmartPredictor::Learned,
            SmartPredictor::Platform,
            SmartPredictor::Oracle,
        ] {
            let mut c = config.clone();
            c.policies.smart_delegation.predictor = predictor;
            let d = decider(&c, variant);
            for step in 0..=20 {
                let elapsed = plan.duration * step / 20;
                assert!(
                    !d.should_wait(&moment(&plan, elapsed), &failing, WARM),
                    "{predictor:?} at {elapsed}"
                );
            }
        }
        // Even knowing nothing (p = 1/2), the compile and init a success
        // would still need (~1.1 s) make waiting worse than delegating.
        let d = decider(&config, variant);
        let fresh = FleetEstimates::default();
        assert!(!d.should_wait(&moment(&plan, 0), &fresh, 0.5));
    }

    #[test]
    fn side_by_side_phases_count_as_the_mean_of_their_maximum() {
        // WASM lookup U(5, 20) ms (always a hit) beside the data read
        // U(10, 30) ms: E[max] = integral of 1 - F_X F_Y = 20.556 ms, where
        // the larger mean is 20 ms.
        let c = config(&[
            "lazy.cache_hit_ratio=1",
            "phases.cache_check={ dist = \"uniform\", min = \"5ms\", max = \"20ms\" }",
            "phases.data_read={ dist = \"uniform\", min = \"10ms\", max = \"30ms\" }",
        ]);
        let variant = lazy(WasmCompile::Allowed);
        let plan = plan(&c, variant, 4);
        let f = LoadForecast::new(&setup_of(&c, variant, 1));
        let odds = LookupOdds {
            miss: 0.0,
            beyond_local: 0.0,
            r2_beyond_regional: 0.0,
        };
        let got = f.remaining(plan.spans.as_slice(), 0, odds).failed.mean / 1e6;
        let (fx, fy) = (
            |t: f64| ((t - 5.0) / 15.0).clamp(0.0, 1.0),
            |t: f64| ((t - 10.0) / 20.0).clamp(0.0, 1.0),
        );
        let steps = 300_000;
        let exact: f64 = (0..steps)
            .map(|i| {
                let t = (i as f64 + 0.5) * 30.0 / steps as f64;
                (1.0 - fx(t) * fy(t)) * 30.0 / steps as f64
            })
            .sum();
        assert!((exact - 20.5556).abs() < 1e-3, "{exact}");
        // 32 mid-rank quantiles of each, all 32 x 32 pairs: within 0.01 ms.
        assert!(
            (got - exact).abs() < 0.01,
            "forecast {got} ms, exact {exact} ms"
        );
        // The larger of the means misses by more than the tolerance.
        assert!((20.0 - exact).abs() > 0.5);
    }

    #[test]
    fn a_running_phase_counts_its_mean_residual_and_an_ended_one_nothing() {
        let config = load_default().unwrap();
        let plan = plan(&config, HYBRID, 5);
        let f = LoadForecast::new(&setup_of(&config, HYBRID, 1));
        let odds = LookupOdds {
            miss: 0.0,
            beyond_local: 0.0,
            r2_beyond_regional: 0.0,
        };
        let spans = plan.spans.as_slice();
        let init = spans.iter().find(|s| s.phase == Phase::PgliteInit).unwrap();
        // 100 ms into init: the rest is E[X - 100 | X > 100] for the init's
        // U(500, 1000): (500 + 1000) / 2 - 100 = 650 ms; nothing else left.
        let at = init.start + 100 * MILLISECOND;
        let got = f.remaining(spans, at, odds).ready.mean;
        assert!((got - 650e6).abs() < 1.0, "{got}");
        // Before anything began: the sum of the three means, 20 + 350 + 750.
        let all = f.remaining(spans, 0, odds).ready.mean;
        let data = spans.iter().find(|s| s.phase == Phase::DataRead).unwrap();
        let expect = config.phases.data_read.mean_residual(0) + 350e6 + 750e6;
        assert_eq!(data.start, 0);
        assert!((all - expect).abs() < 1.0, "{all} vs {expect}");
    }

    #[test]
    fn the_oracle_waits_exactly_when_the_true_remaining_time_beats_delegating() {
        let mut config = load_default().unwrap();
        config.policies.smart_delegation.predictor = SmartPredictor::Oracle;
        let plan = plan(&config, HYBRID, 6);
        let d = decider(&config, HYBRID);
        let fleet = seen_succeed(10);
        let delegated = expected_delegated(&config.compute, WARM);
        for step in 0..=200 {
            let elapsed = plan.duration * step / 200;
            let left = (plan.duration - elapsed) as f64 + config.query_exec.mean();
            assert_eq!(
                d.should_wait(&moment(&plan, elapsed), &fleet, WARM),
                left < delegated,
                "{elapsed}"
            );
        }
    }

    #[test]
    fn a_cold_worker_makes_delegating_dearer() {
        let config = load_default().unwrap();
        let warm = expected_delegated(&config.compute, 0.0);
        // U(300, 450) ms cold start with probability 0.99.
        let got = expected_delegated(&config.compute, 0.99);
        assert!((got - warm - 0.99 * 375e6).abs() < 1.0);
        // A cold pool makes waiting win where a warm one delegates.
        let plan = plan(&config, HYBRID, 2);
        let d = decider(&config, HYBRID);
        let fleet = seen_succeed(100);
        let at = plan.duration.saturating_sub(300 * MILLISECOND);
        assert!(!d.should_wait(&moment(&plan, at), &fleet, 0.0));
        assert!(d.should_wait(&moment(&plan, at), &fleet, 0.99));
    }
}
