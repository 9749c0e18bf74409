//! Capacity planning: the smallest fleet that meets a set of objectives.
//!
//! For each sweep point and architecture of an experiment, the planner
//! searches one integer dimension (hosts, memory per host, or compute-worker
//! instances) for the smallest value at which every objective holds with the
//! stated one-sided confidence over the experiment's replications. A
//! candidate meets an objective `metric <= x` when the upper bound
//! `mean + t(confidence, n - 1) * s / sqrt(n)` is at most `x` (the lower
//! bound for `>=`); with one replication the single value is used, and the
//! plan says it has no confidence.
//!
//! The search assumes more capacity never hurts: it doubles from the lower
//! bound until the objectives hold, then bisects between the last failure
//! and the first success, so it costs about `2 log2(answer)` evaluations.
//! The assumption is checked on what was evaluated, and the plan reports
//! where it fails: a value that met the objectives below one that did not,
//! or a metric significantly worse (beyond both bounds) at a larger value.
//! Every candidate reuses the same random streams (common random numbers),
//! so neighbouring candidates differ by the capacity, not by the traffic.
//!
//! Invariants: a plan's figures are a pure function of (experiment, search
//! options), whatever the thread count; the answer, when there is one, was
//! itself evaluated and met every objective.

mod slo;
pub mod verdict;

pub(crate) use slo::SHORT_NAMES;
pub use slo::{contradiction, Bound, Slo, SloError};
pub use verdict::{check, Answer, Check, Decision, RowVerdict, Verdict};

use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use rayon::prelude::*;

use crate::architectures::ArchitectureVariant;
use crate::experiment::Experiment;
use crate::metrics::{RunSummary, METRICS};
use crate::simulation::Config;
use crate::simulation::{simulate, RunIdentity};
use crate::workload::ArrivalSource;

/// What the planner sizes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dimension {
    /// `hosts.count`, at the configured memory per host.
    Hosts,
    /// `hosts.memory_mb` (whole MB), at the configured host count.
    HostMemory,
    /// `compute.max_instances`.
    ComputeInstances,
}

impl Dimension {
    /// The names `--search` takes.
    pub const NAMES: [&'static str; 3] = ["hosts", "memory", "compute"];

    /// Parses a `--search` name.
    pub fn from_name(name: &str) -> Option<Dimension> {
        match name {
            "hosts" => Some(Dimension::Hosts),
            "memory" => Some(Dimension::HostMemory),
            "compute" => Some(Dimension::ComputeInstances),
            _ => None,
        }
    }

    /// The config key searched.
    pub fn key(self) -> &'static str {
        match self {
            Dimension::Hosts => "hosts.count",
            Dimension::HostMemory => "hosts.memory_mb",
            Dimension::ComputeInstances => "compute.max_instances",
        }
    }

    /// The largest value the searched key takes (the schema's cap).
    pub fn max_value(self) -> u64 {
        match self {
            Dimension::HostMemory => MAX_HOST_MEMORY_MB,
            other => crate::experiment::config::integer_max(other.key()).unwrap_or(u64::MAX),
        }
    }

    fn apply(self, config: &mut Config, value: u64) {
        match self {
            Dimension::Hosts => config.hosts.count = value,
            Dimension::HostMemory => config.hosts.memory_mb = value as f64,
            Dimension::ComputeInstances => config.compute.max_instances = value,
        }
    }

    /// The default range searched for `config` and `variant`.
    fn range(self, config: &Config, variant: ArchitectureVariant) -> Result<(u64, u64), PlanError> {
        let tenants = ArrivalSource::from_config(&config.workload)
            .tenants()
            .max(1);
        Ok(match self {
            Dimension::Hosts => (1, u64::from(tenants)),
            Dimension::HostMemory => {
                if config.hosts.count == 0 {
                    return Err(PlanError::Invalid(
                        "--search memory sizes the memory of each host: set the host count too, \
                         such as --set hosts.count=100"
                            .into(),
                    ));
                }
                let one = variant
                    .architecture
                    .footprint(&config.memory)
                    .max_mb()
                    .ceil()
                    .max(1.0) as u64;
                (one, one.saturating_mul(u64::from(tenants)))
            }
            Dimension::ComputeInstances => (1, 1_000_000),
        })
    }
}

/// How to plan.
#[derive(Debug, Clone)]
pub struct PlanOptions {
    pub dimension: Dimension,
    /// Every objective must hold.
    pub slos: Vec<Slo>,
    /// One-sided confidence that each objective holds (0.5 to 1).
    pub confidence: f64,
    /// Search range; `None`: the dimension's default.
    pub min: Option<u64>,
    pub max: Option<u64>,
    /// Worker threads (0: one per core).
    pub threads: usize,
    /// A progress bar on stderr (one step per architecture and point).
    pub progress: bool,
    /// Set (by a Ctrl-C handler, or the Python package on
    /// KeyboardInterrupt) to stop: no candidate starts after it, and the
    /// plan returns [`PlanError::Cancelled`].
    pub cancel: Option<Arc<AtomicBool>>,
}

/// The largest `hosts.memory_mb` the memory search tries (10^9 MB, a
/// petabyte a host).
pub const MAX_HOST_MEMORY_MB: u64 = 1_000_000_000;

/// Why a plan could not be made.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error("{0}")]
    Invalid(String),
    #[error("could not start worker threads: {0}")]
    Threads(#[from] rayon::ThreadPoolBuildError),
    /// A run's workload failed (an unreadable trace).
    #[error("{0}")]
    Run(String),
    /// Stopped by [`PlanOptions::cancel`] or a stop request.
    #[error("the plan was interrupted")]
    Cancelled,
}

/// An objective's figures at one candidate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SloStat {
    pub mean: f64,
    /// The one-sided confidence bound on the mean (upper for `<=`, lower
    /// for `>=`); the mean itself with one replication.
    pub bound: f64,
}

/// One candidate value, evaluated.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    pub value: u64,
    /// Whether every objective holds at its bound.
    pub met: bool,
    /// One per objective, in order.
    pub slos: Vec<SloStat>,
    /// Mean estimated monthly cost, USD.
    pub cost_usd_month: f64,
}

/// The plan of one (sweep point, architecture).
#[derive(Debug, Clone)]
pub struct PlanRow {
    pub point: usize,
    pub swept: Vec<(String, String)>,
    pub architecture: String,
    pub policy: String,
    /// The smallest value found that meets every objective.
    pub answer: Option<u64>,
    /// Every candidate evaluated, in increasing value.
    pub evaluations: Vec<Evaluation>,
    /// Where the search's assumptions failed, and other caveats.
    pub notes: Vec<String>,
}

impl PlanRow {
    /// The evaluation at the answer.
    pub fn at_answer(&self) -> Option<&Evaluation> {
        let answer = self.answer?;
        self.evaluations.iter().find(|e| e.value == answer)
    }
}

/// A whole plan.
#[derive(Debug, Clone)]
pub struct Plan {
    pub dimension: Dimension,
    pub slos: Vec<Slo>,
    pub confidence: f64,
    pub replications: u32,
    pub rows: Vec<PlanRow>,
}

/// Plans every (point, architecture) of `experiment`.
pub fn plan(experiment: &Experiment, options: &PlanOptions) -> Result<Plan, PlanError> {
    if options.slos.is_empty() {
        return Err(PlanError::Invalid(
            "give at least one objective, such as --slo 'p99<=200ms'".into(),
        ));
    }
    if !(options.confidence > 0.5 && options.confidence < 1.0) {
        return Err(PlanError::Invalid(format!(
            "--confidence: expected a probability between 0.5 and 1 (exclusive), such as 0.95; found {}",
            options.confidence
        )));
    }
    let mut jobs = Vec::new();
    for (p, point) in experiment.points.iter().enumerate() {
        for &variant in &point.config.architectures {
            let (lo, hi) = options.dimension.range(&point.config, variant)?;
            let lo = options.min.unwrap_or(lo);
            let hi = options.max.unwrap_or(hi);
            let cap = options.dimension.max_value();
            if let Some(beyond) = [lo, hi].into_iter().find(|&v| v > cap) {
                return Err(PlanError::Invalid(format!(
                    "the search range of {} goes to {beyond}, beyond the largest value it \
                     takes ({cap}): lower --min/--max",
                    options.dimension.key()
                )));
            }
            if lo > hi || lo == 0 && options.dimension != Dimension::ComputeInstances {
                return Err(PlanError::Invalid(format!(
                    "the search range of {} is empty or starts at 0: {lo} to {hi}",
                    options.dimension.key()
                )));
            }
            let one = variant
                .architecture
                .footprint(&point.config.memory)
                .max_mb();
            let host_mb = match options.dimension {
                Dimension::Hosts => point.config.hosts.memory_mb,
                Dimension::HostMemory => lo as f64,
                Dimension::ComputeInstances => f64::INFINITY,
            };
            let hosts_on =
                point.config.hosts.count > 0 || options.dimension != Dimension::ComputeInstances;
            if hosts_on && one > host_mb {
                return Err(PlanError::Invalid(format!(
                    "one {} DO holds {one} MB, more than a host's {host_mb} MB: \
                     raise hosts.memory_mb (or --min)",
                    variant.architecture.name()
                )));
            }
            jobs.push((p, variant, lo, hi));
        }
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(options.threads)
        .build()?;
    let bar = crate::experiment::progress_bar(jobs.len() as u64, options.progress, "plans");
    let evaluated = std::sync::atomic::AtomicUsize::new(0);
    let rows: Result<Vec<PlanRow>, PlanError> = pool.install(|| {
        jobs.par_iter()
            .map(|&(p, variant, lo, hi)| {
                let point = &experiment.points[p];
                let found = plan_one(&point.config, variant, lo, hi, options);
                if let Ok((_, evaluations, _)) = &found {
                    let total = evaluated
                        .fetch_add(evaluations.len(), std::sync::atomic::Ordering::Relaxed)
                        + evaluations.len();
                    bar.set_message(format!("{total} candidates evaluated"));
                    bar.inc(1);
                }
                found.map(|(answer, evaluations, notes)| PlanRow {
                    point: p,
                    swept: point.swept.clone(),
                    architecture: variant.label(point.config.platform_runtime_wasm_compile),
                    policy: point.config.policies.label(),
                    answer,
                    evaluations,
                    notes,
                })
            })
            .collect()
    });
    bar.finish_and_clear();
    let replications = experiment
        .points
        .first()
        .map_or(1, |p| p.config.replications);
    Ok(Plan {
        dimension: options.dimension,
        slos: options.slos.clone(),
        confidence: options.confidence,
        replications,
        rows: rows?,
    })
}

type Found = (Option<u64>, Vec<Evaluation>, Vec<String>);

/// Doubling, then bisection, over `lo..=hi`.
fn plan_one(
    config: &Config,
    variant: ArchitectureVariant,
    lo: u64,
    hi: u64,
    options: &PlanOptions,
) -> Result<Found, PlanError> {
    let mut evaluations: Vec<Evaluation> = Vec::new();
    let mut meets = |value: u64| -> Result<bool, PlanError> {
        if cancelled(options) {
            return Err(PlanError::Cancelled);
        }
        let e = evaluate(config, variant, value, options)?;
        let met = e.met;
        evaluations.push(e);
        Ok(met)
    };
    let mut failed: Option<u64> = None;
    let mut x = lo;
    let first_met = loop {
        if meets(x)? {
            break Some(x);
        }
        failed = Some(x);
        if x >= hi {
            break None;
        }
        x = x.saturating_mul(2).max(x + 1).min(hi);
    };
    let answer = match (first_met, failed) {
        (Some(mut met), Some(mut fail)) => {
            while met - fail > 1 {
                let mid = fail + (met - fail) / 2;
                if meets(mid)? {
                    met = mid;
                } else {
                    fail = mid;
                }
            }
            Some(met)
        }
        (met, _) => met,
    };
    evaluations.sort_by_key(|e| e.value);
    let mut notes = monotonicity_notes(&evaluations, &options.slos, options.dimension);
    if answer.is_none() {
        notes.insert(
            0,
            format!("not met even at {} = {hi}", options.dimension.key()),
        );
    } else if answer == Some(lo) {
        notes.insert(
            0,
            format!(
                "met at the lower bound of the search ({} = {lo})",
                options.dimension.key()
            ),
        );
    }
    if config.replications < 2 {
        notes.push(
            "one replication: the objectives are checked on single values, with no confidence"
                .into(),
        );
    }
    Ok((answer, evaluations, notes))
}

/// Runs every replication of `config` with the dimension at `value`.
fn evaluate(
    config: &Config,
    variant: ArchitectureVariant,
    value: u64,
    options: &PlanOptions,
) -> Result<Evaluation, PlanError> {
    let mut config = config.clone();
    options.dimension.apply(&mut config, value);
    let runs: Result<Vec<RunSummary>, PlanError> = (0..u64::from(config.replications))
        .into_par_iter()
        .map(|replication| {
            if cancelled(options) {
                return Err(PlanError::Cancelled);
            }
            let id = RunIdentity {
                seed: config.seed,
                replication,
            };
            let out = simulate(&config, variant, id);
            if out.interrupted {
                return Err(PlanError::Cancelled);
            }
            match out.error {
                Some(e) => Err(PlanError::Run(e)),
                None => Ok(RunSummary::of(&out.metrics)),
            }
        })
        .collect();
    let runs = runs?;
    let column = |i: usize| -> Vec<f64> { runs.iter().map(|r| r.values[i]).collect() };
    let slos: Vec<SloStat> = options
        .slos
        .iter()
        .map(|slo| one_sided(&column(slo.index), slo.bound, options.confidence))
        .collect();
    let met = options
        .slos
        .iter()
        .zip(&slos)
        .all(|(slo, s)| s.bound.is_finite() && slo.holds(s.bound));
    let cost_index = METRICS.iter().position(|m| m.name == "cost_usd_month");
    let cost = cost_index.map_or(f64::NAN, |i| mean(&column(i)));
    Ok(Evaluation {
        value,
        met,
        slos,
        cost_usd_month: cost,
    })
}

fn cancelled(options: &PlanOptions) -> bool {
    options
        .cancel
        .as_ref()
        .is_some_and(|c| c.load(std::sync::atomic::Ordering::SeqCst))
}

fn mean(xs: &[f64]) -> f64 {
    xs.iter().sum::<f64>() / xs.len() as f64
}

/// The mean of `xs` and its one-sided Student-t bound at `confidence`.
fn one_sided(xs: &[f64], bound: Bound, confidence: f64) -> SloStat {
    let (m, half) = verdict::one_sided_half_width(xs, confidence);
    if !half.is_finite() {
        return SloStat { mean: m, bound: m };
    }
    SloStat {
        mean: m,
        bound: match bound {
            Bound::AtMost => m + half,
            Bound::AtLeast => m - half,
        },
    }
}

/// Where the evaluated candidates (sorted by value) contradict "more
/// capacity never hurts": a value that met the objectives below one that
/// did not, and, among candidates within a factor 2 of an objective, a
/// metric worse at the larger value beyond both confidence bounds.
fn monotonicity_notes(
    evaluations: &[Evaluation],
    slos: &[Slo],
    dimension: Dimension,
) -> Vec<String> {
    let key = dimension.key();
    let mut notes = Vec::new();
    for (i, a) in evaluations.iter().enumerate() {
        if let Some(b) = evaluations[i + 1..].iter().find(|b| a.met && !b.met) {
            notes.push(format!(
                "not monotone: met at {key} = {} but not at {}; a smaller value than the answer may also meet the objectives",
                a.value, b.value
            ));
            break;
        }
    }
    for pair in evaluations.windows(2) {
        let (a, b) = (&pair[0], &pair[1]);
        for (j, slo) in slos.iter().enumerate() {
            let (sa, sb) = (a.slos[j], b.slos[j]);
            let (half_a, half_b) = ((sa.bound - sa.mean).abs(), (sb.bound - sb.mean).abs());
            // Far from the objective (a saturated fleet) the metric says
            // nothing about where the answer is: compare near it only.
            let near = |m: f64| match slo.bound {
                Bound::AtMost => m <= 2.0 * slo.threshold,
                Bound::AtLeast => m >= 0.5 * slo.threshold,
            };
            if !(near(sa.mean) && near(sb.mean)) {
                continue;
            }
            let worse = match slo.bound {
                Bound::AtMost => sb.mean - sa.mean,
                Bound::AtLeast => sa.mean - sb.mean,
            };
            if worse > half_a + half_b && worse > 0.0 {
                notes.push(format!(
                    "not monotone: {} is worse at {key} = {} ({:.4}) than at {} ({:.4}), beyond both confidence bounds",
                    slo.metric, b.value, sb.mean, a.value, sa.mean
                ));
            }
        }
    }
    notes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_note_on_an_at_least_objective_calls_the_lower_value_worse() {
        let slo: Slo = "local_fraction>=0.5".parse().unwrap();
        let at = |value: u64, mean: f64| Evaluation {
            value,
            met: mean - 0.002 >= 0.5,
            slos: vec![SloStat {
                mean,
                bound: mean - 0.002,
            }],
            cost_usd_month: 1.0,
        };
        // More hosts, a lower share served locally: worse for `>=`.
        let notes = monotonicity_notes(
            &[at(384, 0.4928), at(388, 0.4805)],
            std::slice::from_ref(&slo),
            Dimension::Hosts,
        );
        assert_eq!(
            notes,
            vec![
                "not monotone: local_fraction is worse at hosts.count = 388 (0.4805) than at \
                 384 (0.4928), beyond both confidence bounds"
                    .to_string()
            ]
        );
        // A higher share at more hosts is better: no note.
        let notes = monotonicity_notes(
            &[at(384, 0.4805), at(388, 0.4928)],
            std::slice::from_ref(&slo),
            Dimension::Hosts,
        );
        assert!(notes.is_empty(), "{notes:?}");
        // And the bound of a `>=` objective is the lower one.
        let s = one_sided(&[0.4, 0.5, 0.6], Bound::AtLeast, 0.95);
        assert!(s.bound < s.mean);
    }

    #[test]
    fn the_one_sided_bound_matches_a_hand_computation() {
        // mean 2, sd 1, n 3: t(0.95, 2) = 2.919986.
        let s = one_sided(&[1.0, 2.0, 3.0], Bound::AtMost, 0.95);
        assert!((s.bound - (2.0 + 2.919_986 / 3f64.sqrt())).abs() < 1e-5);
        let s = one_sided(&[1.0, 2.0, 3.0], Bound::AtLeast, 0.95);
        assert!((s.bound - (2.0 - 2.919_986 / 3f64.sqrt())).abs() < 1e-5);
        assert_eq!(one_sided(&[4.0], Bound::AtMost, 0.95).bound, 4.0);
    }

    #[test]
    fn notes_flag_a_met_value_below_a_failing_one() {
        let e = |value, met, mean| Evaluation {
            value,
            met,
            slos: vec![SloStat { mean, bound: mean }],
            cost_usd_month: 0.0,
        };
        let slo: Slo = "p99<=100ms".parse().unwrap_or_else(|e| panic!("{e}"));
        let notes = monotonicity_notes(
            &[e(1, false, 150.0), e(2, true, 90.0), e(3, false, 120.0)],
            &[slo],
            Dimension::Hosts,
        );
        assert!(
            notes[0].contains("met at hosts.count = 2 but not at 3"),
            "{notes:?}"
        );
        assert!(notes[1].contains("worse at hosts.count = 3"), "{notes:?}");
    }
}
