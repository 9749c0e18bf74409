//! What a DO can predict about its load in progress, from what it can know:
//! the architecture's phases and their distributions (the config), which
//! phases have begun and ended so far and how long the running ones have
//! run. Never the drawn durations, the phases still to come in the drawn
//! plan (a blocked load's plan lacks its compile: the DO cannot know it
//! will fail until it does), nor the lookup's outcome before it ends.
//!
//! The remaining time is a random variable ([`Rv`]) built from phases by
//! sums (phases in sequence) and maxima (phases side by side: the WASM fetch
//! and the data read; the streamed compile and the transfer). Each is held
//! as [`SCENARIOS`] equally likely values (a phase's at stratified
//! quantiles of its remaining time) and its exact mean. A sum adds the
//! means exactly; a maximum of independent variables takes the mean over
//! all pairs of values, and as values the quantiles of the product of the
//! two distribution functions: the mean of the maximum, never the maximum
//! of the means (tested against the closed form).
//!
//! Invariants: values and means are finite and non-negative; a phase that
//! has ended contributes nothing; a phase running for `e` contributes
//! exactly `E[X - e | X > e]` to the mean.

use super::hooks::Setup;
use super::Policy;
use crate::architectures::{Phase, PhaseSpan, Phases, WasmCompile};
use crate::dist::Dist;
use crate::time::Nanos;

/// Scenarios per prediction.
pub const SCENARIOS: usize = 32;
/// Quantiles kept per distribution.
const TABLE: usize = 256;

/// One value per scenario.
pub type Scenarios = [f64; SCENARIOS];

/// A distribution as `TABLE` quantiles at mid-ranks, ascending.
#[derive(Debug, Clone)]
struct QuantileTable {
    dist: Dist,
    q: Vec<f64>,
}

impl QuantileTable {
    fn new(dist: &Dist) -> Self {
        let mid = |i: usize| (i as f64 + 0.5) / TABLE as f64;
        let q = match dist {
            Dist::Empirical(samples) => {
                let mut sorted = samples.to_vec();
                sorted.sort_unstable();
                (0..TABLE)
                    .map(|i| {
                        sorted[((mid(i) * sorted.len() as f64) as usize).min(sorted.len() - 1)]
                            as f64
                    })
                    .collect()
            }
            _ => (0..TABLE).map(|i| dist.quantile(mid(i))).collect(),
        };
        Self {
            dist: dist.clone(),
            q,
        }
    }

    /// The time left of a draw that has run `spent` (in full-length units),
    /// scaled by `share`, its values in the strata of lattice row `row`.
    fn residuals(&self, spent: f64, share: f64, row: usize) -> Rv {
        let exact = if spent <= 0.0 {
            self.dist.mean()
        } else {
            self.dist.mean_residual(spent.round() as Nanos)
        };
        let from = self.q.partition_point(|&v| v <= spent);
        let left = TABLE - from;
        let mut out = [exact; SCENARIOS];
        if left > 0 {
            let (a, c) = LATTICE[row % LATTICE.len()];
            for (s, v) in out.iter_mut().enumerate() {
                let stratum = (a * s + c) % SCENARIOS;
                let u = (stratum as f64 + 0.5) / SCENARIOS as f64;
                let i = from + ((u * left as f64) as usize).min(left - 1);
                *v = self.q[i] - spent;
            }
            let mean = out.iter().sum::<f64>() / SCENARIOS as f64;
            let shift = exact - mean;
            for v in &mut out {
                *v = (*v + shift).max(0.0);
            }
        }
        for v in &mut out {
            *v *= share;
        }
        Rv {
            v: out,
            mean: exact * share,
        }
    }
}

/// A remaining time: equally likely values, and its exact mean.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rv {
    pub v: Scenarios,
    pub mean: f64,
}

impl Rv {
    /// Nothing left.
    pub const ZERO: Rv = Rv {
        v: [0.0; SCENARIOS],
        mean: 0.0,
    };

    /// `self` then `next`, in sequence.
    fn then(&self, next: &Rv) -> Rv {
        Rv {
            v: std::array::from_fn(|s| self.v[s] + next.v[s]),
            mean: self.mean + next.mean,
        }
    }

    /// `self`, then `next` with probability `p`: in the scenarios whose
    /// stratum of lattice row `row` lies below `p`.
    fn then_maybe(&self, next: &Rv, p: f64, row: usize) -> Rv {
        Rv {
            v: std::array::from_fn(|s| {
                self.v[s]
                    + if stratum_below(s, p, row) {
                        next.v[s]
                    } else {
                        0.0
                    }
            }),
            mean: self.mean + p * next.mean,
        }
    }

    /// The later of `self` and `other`, independent: the mean over every
    /// pair of values, and the quantiles of `F_self * F_other`.
    fn max(&self, other: &Rv) -> Rv {
        let (mut a, mut b) = (self.v, other.v);
        a.sort_unstable_by(f64::total_cmp);
        b.sort_unstable_by(f64::total_cmp);
        let n = SCENARIOS;
        // Walk both in ascending order: after a value, i of a and j of b are
        // at most it, and the maximum's distribution function is i j / n^2.
        let (mut i, mut j, mut k) = (0usize, 0usize, 0usize);
        let (mut sum, mut a_wins) = (0.0, 0usize);
        let mut v = [0.0; SCENARIOS];
        while i < n || j < n {
            let take_a = j >= n || (i < n && a[i] <= b[j]);
            let t = if take_a { a[i] } else { b[j] };
            let before = i * j;
            if take_a {
                i += 1;
                a_wins += j;
            } else {
                j += 1;
            }
            // Pairs whose maximum is this value.
            sum += t * (i * j - before) as f64;
            // The quantiles at mid-ranks (k + 1/2) / n reached by i j / n^2.
            while k < n && (2 * k + 1) * n <= 2 * i * j {
                v[k] = t;
                k += 1;
            }
        }
        let pairs = (n * n) as f64;
        // The values' averages may differ from the exact means (clamping,
        // a probability rounded to strata): shifting A by d moves E[max] by
        // d P(A > B).
        let average = |x: &Scenarios| x.iter().sum::<f64>() / n as f64;
        let p_a = a_wins as f64 / pairs;
        let mean = sum / pairs
            + (self.mean - average(&self.v)) * p_a
            + (other.mean - average(&other.v)) * (1.0 - p_a);
        Rv {
            v,
            mean: mean.max(0.0),
        }
    }
}

/// Lattice rows `(a, c)`, one per phase (and one for the lookup's outcome):
/// `a` odd, so each row visits every stratum once.
const LATTICE: [(usize, usize); 11] = [
    (1, 0),
    (7, 3),
    (11, 5),
    (13, 9),
    (19, 14),
    (23, 1),
    (29, 20),
    (5, 11),
    (9, 27),
    (15, 6),
    (17, 30),
];
/// The lattice row of the lookup's outcome (hit or miss).
const OUTCOME_ROW: usize = 7;
/// The lattice rows of the tiered lookups.
const LOCAL_ROW: usize = 8;
const REGIONAL_ROW: usize = 9;
/// The lattice row of the regional lookup's outcome.
const REGIONAL_OUTCOME_ROW: usize = 10;

/// How the load proceeds, from the architecture and the policies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Compile {
    /// `WebAssembly.compile` after the fetch (or, blocked, where it would be).
    AfterFetch,
    /// `compileStreaming` from the end of the lookup, overlapping the transfer.
    Streaming,
    /// The Dynamic Worker Loader: a loader isolate, then the platform's compile.
    Loader,
}

/// The chance of each outcome of a WASM lookup still running.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LookupOdds {
    /// The lookup misses every cache and goes to R2 (the seed's single cache).
    pub miss: f64,
    /// Tiered caches: the local cache misses.
    pub beyond_local: f64,
    /// Tiered caches: the regional cache misses too, given the local one did.
    pub r2_beyond_regional: f64,
}

/// A load's remaining time in each scenario, from now.
#[derive(Debug, Clone, Copy)]
pub struct Remaining {
    /// Until ready, if the load succeeds.
    pub ready: Rv,
    /// Until it fails, if it fails (a blocked compile throws when the fetch
    /// ends; a bundled load would fail where its compile begins).
    pub failed: Rv,
}

/// The predictor of one run: the phase distributions as quantile tables.
#[derive(Debug, Clone)]
pub struct LoadForecast {
    /// By [`Phase`] as an index.
    phases: Vec<QuantileTable>,
    local_hit: QuantileTable,
    regional_hit: QuantileTable,
    bundled: bool,
    parallel_fetch: bool,
    tiered: bool,
    compile: Compile,
    /// Partial loading: the core module's share of compile and init.
    core: f64,
}

const PHASES: [Phase; 7] = [
    Phase::CacheCheck,
    Phase::R2Fetch,
    Phase::DataRead,
    Phase::WasmCompile,
    Phase::LoaderIsolateStart,
    Phase::LoaderCompile,
    Phase::PgliteInit,
];

fn dist_of(phases: &Phases, phase: Phase) -> &Dist {
    let p = phases;
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

impl LoadForecast {
    /// The predictor of a run.
    pub fn new(setup: &Setup) -> Self {
        let params = setup.params;
        let enabled = params.enabled;
        let compile = match setup.variant.runtime_wasm_compile {
            WasmCompile::Loader => Compile::Loader,
            _ if enabled.has(Policy::Streaming) => Compile::Streaming,
            _ => Compile::AfterFetch,
        };
        Self {
            phases: PHASES
                .iter()
                .map(|&p| QuantileTable::new(dist_of(setup.phases, p)))
                .collect(),
            local_hit: QuantileTable::new(&params.tiered_cache.local_hit),
            regional_hit: QuantileTable::new(&params.tiered_cache.regional_hit),
            bundled: setup.variant.architecture.traits().bundles_wasm,
            parallel_fetch: setup.lazy.parallel_fetch,
            tiered: enabled.has(Policy::TieredCache),
            compile,
            core: if enabled.has(Policy::PartialLoading) {
                params.partial_loading.core_fraction
            } else {
                1.0
            },
        }
    }

    fn share(&self, phase: Phase) -> f64 {
        match phase {
            Phase::WasmCompile | Phase::LoaderCompile | Phase::PgliteInit => self.core,
            _ => 1.0,
        }
    }

    /// The remaining time of a load `elapsed` into it, knowing only the
    /// phases of `spans` that have begun by then.
    pub fn remaining(&self, spans: &[PhaseSpan], elapsed: Nanos, odds: LookupOdds) -> Remaining {
        let known = |phase: Phase| {
            spans
                .iter()
                .find(|s| s.phase == phase && s.start <= elapsed)
        };
        // Each phase's end, from now: nothing if it has ended, its residual
        // if it runs, `after` and then a full draw if it has not begun.
        let end = |phase: Phase, after: &Rv| -> Rv {
            let share = self.share(phase);
            let table = &self.phases[phase as usize];
            match known(phase) {
                Some(span) if span.end <= elapsed => Rv::ZERO,
                Some(span) => {
                    let spent = (elapsed - span.start) as f64 / share.max(1e-12);
                    table.residuals(spent, share, phase as usize)
                }
                None => after.then(&table.residuals(0.0, share, phase as usize)),
            }
        };
        if self.bundled {
            let data = end(Phase::DataRead, &Rv::ZERO);
            let compiled = end(Phase::WasmCompile, &data);
            return Remaining {
                ready: end(Phase::PgliteInit, &compiled),
                failed: data,
            };
        }
        let (lookup, wasm) = self.wasm_fetch(spans, elapsed, odds);
        let data = if self.parallel_fetch {
            end(Phase::DataRead, &Rv::ZERO)
        } else {
            end(Phase::DataRead, &wasm)
        };
        let fetched = if self.parallel_fetch {
            wasm.max(&data)
        } else {
            data
        };
        let init_from = match self.compile {
            Compile::AfterFetch => end(Phase::WasmCompile, &fetched),
            Compile::Streaming => end(Phase::WasmCompile, &lookup).max(&fetched),
            Compile::Loader => {
                let isolate = end(Phase::LoaderIsolateStart, &fetched);
                end(Phase::LoaderCompile, &isolate)
            }
        };
        Remaining {
            ready: end(Phase::PgliteInit, &init_from),
            failed: fetched,
        }
    }

    /// The lazy WASM fetch: when its lookup ends and when the bytes are
    /// all in, from now.
    fn wasm_fetch(&self, spans: &[PhaseSpan], elapsed: Nanos, odds: LookupOdds) -> (Rv, Rv) {
        let known = |phase: Phase| {
            spans
                .iter()
                .find(|s| s.phase == phase && s.start <= elapsed)
        };
        let r2 = &self.phases[Phase::R2Fetch as usize];
        let spent = |span: Option<&PhaseSpan>| span.map_or(0.0, |s| (elapsed - s.start) as f64);
        match known(Phase::CacheCheck) {
            Some(span) if span.end <= elapsed => {
                // The lookup's outcome is known: R2 began, or a cache hit.
                let wasm = match known(Phase::R2Fetch) {
                    Some(r) if r.end > elapsed => {
                        r2.residuals(spent(Some(r)), 1.0, Phase::R2Fetch as usize)
                    }
                    _ => Rv::ZERO,
                };
                (Rv::ZERO, wasm)
            }
            span => {
                let r2_full = r2.residuals(0.0, 1.0, Phase::R2Fetch as usize);
                if self.tiered {
                    // The local lookup, the regional one if the local misses,
                    // then R2 if that misses too.
                    let local = self.local_hit.residuals(spent(span), 1.0, LOCAL_ROW);
                    let regional = self.regional_hit.residuals(0.0, 1.0, REGIONAL_ROW);
                    let lookup = local.then_maybe(&regional, odds.beyond_local, OUTCOME_ROW);
                    let p_r2 = odds.beyond_local * odds.r2_beyond_regional;
                    let wasm = lookup.then_maybe(&r2_full, p_r2, REGIONAL_OUTCOME_ROW);
                    (lookup, wasm)
                } else {
                    let table = &self.phases[Phase::CacheCheck as usize];
                    let lookup = table.residuals(spent(span), 1.0, Phase::CacheCheck as usize);
                    let wasm = lookup.then_maybe(&r2_full, odds.miss, OUTCOME_ROW);
                    (lookup, wasm)
                }
            }
        }
    }
}

/// Whether scenario `s`'s stratum in lattice row `row` lies below
/// probability `p` (a stratified Bernoulli draw: the share of scenarios
/// where it holds is `p` rounded to a stratum).
fn stratum_below(s: usize, p: f64, row: usize) -> bool {
    let (a, c) = LATTICE[row % LATTICE.len()];
    let stratum = (a * s + c) % SCENARIOS;
    ((stratum as f64 + 0.5) / SCENARIOS as f64) < p
}

/// The mean of `max(x, floor)`, `x` a remaining time: its mean, plus
/// what the floor adds in the scenarios below it.
pub fn mean_at_least(x: &Rv, floor: f64) -> f64 {
    let below: f64 = x.v.iter().map(|&v| (floor - v).max(0.0)).sum();
    x.mean + below / SCENARIOS as f64
}
