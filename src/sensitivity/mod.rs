//! Sensitivity of an experiment's answer to the assumed parameters: each
//! assumption ([`assumptions`]) is moved to the low end of its range, then
//! to the high end, one at a time, and the experiment is run again with the
//! same seeds (common random numbers: run `r` of every variant uses seed
//! `seed`, replication `r`, so the differences are the parameter's, not
//! the sampling's). For each chosen metric the swing of every (point,
//! architecture) row is reported, and whether the ranking of architectures,
//! or the verdict against the objectives, changes anywhere in the ranges.
//!
//! Invariants: the run at an end of a range is exactly
//! `dofleet run EXPERIMENT --set KEY=VALUE` (same configuration, same
//! seeds, same numbers); an assumption that cannot change the results (its
//! key only matters under a setting no point has, or the experiment sweeps
//! it) is listed as skipped with the reason, never run; every variant has
//! the base's rows in the base's order (checked); a tie is not a ranking.

pub mod assumptions;

use std::path::Path;
use std::sync::atomic::Ordering;

pub use assumptions::{Assumption, AssumptionsError, Side};

use crate::experiment::config::{load_experiment, unmet_need, ConfigError};
use crate::experiment::progress_bar;
use crate::experiment::{
    check_in_turn, run_runs, EstimateError, Experiment, ExperimentResults, Limits, RunError,
    RunOptions,
};
use crate::metrics::METRICS;
use crate::planner::{Decision, Slo, Verdict};

/// Why a sensitivity analysis could not be made.
#[derive(Debug, thiserror::Error)]
pub enum SensitivityError {
    #[error(transparent)]
    Config(Box<ConfigError>),
    #[error("assumption `{key}` at its {side} end ({value}): {source}")]
    Assumption {
        key: String,
        side: &'static str,
        value: String,
        source: Box<ConfigError>,
    },
    #[error(transparent)]
    Run(#[from] RunError),
    #[error("interrupted")]
    Interrupted,
    #[error("--metric {0:?}: {1}")]
    Metric(String, String),
    #[error(transparent)]
    Resources(#[from] EstimateError),
}

impl From<ConfigError> for SensitivityError {
    fn from(e: ConfigError) -> Self {
        SensitivityError::Config(Box::new(e))
    }
}

/// A metric by its `summary.csv` name or a short name (`p99`, `mean`,
/// `cost`...): its index in [`METRICS`].
pub fn metric_index(name: &str) -> Result<usize, SensitivityError> {
    let long = crate::planner::SHORT_NAMES
        .iter()
        .chain(&[("cost", "cost_usd_month"), ("memory", "memory_mean_mb")])
        .find(|(short, _)| *short == name)
        .map_or(name, |(_, long)| long);
    METRICS.iter().position(|m| m.name == long).ok_or_else(|| {
        let names = METRICS.iter().map(|m| m.name);
        let hint = crate::experiment::config::nearest_name(name, names)
            .map(|n| format!(" (did you mean `{n}`?)"))
            .unwrap_or_default();
        SensitivityError::Metric(
            name.to_string(),
            format!(
                "unknown metric{hint}: expected p50, p90, p99, p999, mean, max, cost \
                     or a summary.csv column"
            ),
        )
    })
}

/// The metrics reported when none is asked: p99 and mean latency, cost.
pub const DEFAULT_METRICS: [&str; 3] = ["latency_p99_ms", "latency_mean_ms", "cost_usd_month"];

/// What to compute.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Indices into [`METRICS`].
    pub metrics: Vec<usize>,
    /// Objectives whose verdicts are compared (none: no verdicts).
    pub slos: Vec<Slo>,
    pub confidence: f64,
    /// How to run (its `progress` is shown as one bar over every run).
    pub run: RunOptions,
    /// The check before anything runs (None: none), over the base and
    /// every variant together.
    pub limits: Option<Limits>,
}

/// What moving one assumption did.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// Not run: why it cannot change the results.
    Skipped(String),
    /// The results at the low and the high end.
    Ran {
        low: Box<ExperimentResults>,
        high: Box<ExperimentResults>,
    },
}

/// One assumption and what moving it did.
#[derive(Debug, Clone)]
pub struct Varied {
    pub assumption: Assumption,
    pub outcome: Outcome,
}

impl Varied {
    /// The results at `side`, if it ran.
    pub fn at(&self, side: Side) -> Option<&ExperimentResults> {
        match (&self.outcome, side) {
            (Outcome::Ran { low, .. }, Side::Low) => Some(low),
            (Outcome::Ran { high, .. }, Side::High) => Some(high),
            (Outcome::Skipped(_), _) => None,
        }
    }
}

/// The whole analysis.
#[derive(Debug, Clone)]
pub struct Sensitivity {
    pub experiment: Experiment,
    pub base: ExperimentResults,
    pub varied: Vec<Varied>,
    /// Indices into [`METRICS`].
    pub metrics: Vec<usize>,
    pub slos: Vec<Slo>,
    pub confidence: f64,
}

/// One (assumption, row, metric): the metric's mean over replications at
/// the base and at each end.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Swing {
    /// Index into [`Sensitivity::varied`].
    pub varied: usize,
    /// Index into the base's rows.
    pub row: usize,
    /// Index into [`METRICS`].
    pub metric: usize,
    pub base: f64,
    pub low: f64,
    pub high: f64,
}

impl Swing {
    /// `|high - low|`: how far the metric moves over the range.
    pub fn width(&self) -> f64 {
        (self.high - self.low).abs()
    }
}

/// A change of order: `a` was ahead of `b` (a lower mean) at the base and
/// is behind it at one end of an assumption's range.
#[derive(Debug, Clone, PartialEq)]
pub struct RankFlip {
    pub varied: usize,
    pub side: Side,
    pub point: usize,
    pub metric: usize,
    /// Base rows, `a` below `b` at the base and above it at `side`.
    pub a: usize,
    pub b: usize,
}

/// A verdict or an answer that differs from the base's at one end.
#[derive(Debug, Clone, PartialEq)]
pub struct VerdictFlip {
    pub varied: usize,
    pub side: Side,
    pub row: usize,
    pub base: Verdict,
    pub now: Verdict,
}

/// The mean of metric `metric` (index into [`METRICS`]) of row `row`.
pub fn mean(results: &ExperimentResults, row: usize, metric: usize) -> f64 {
    results
        .rows
        .get(row)
        .and_then(|r| r.stats.get(metric))
        .map_or(f64::NAN, |s| s.mean)
}

/// The relative difference under which two means are a tie.
pub const TIE: f64 = 0.01;

/// The order of rows `a` and `b` by `metric`, or `None` for a tie: means
/// closer than [`TIE`] of the larger, or than either row's 95% interval.
pub fn order(
    results: &ExperimentResults,
    a: usize,
    b: usize,
    metric: usize,
) -> Option<std::cmp::Ordering> {
    let stat = |r: usize| {
        results
            .rows
            .get(r)
            .and_then(|row| row.stats.get(metric).copied())
    };
    let (sa, sb) = (stat(a)?, stat(b)?);
    let ci = |c: f64| if c.is_finite() { c } else { 0.0 };
    let tolerance = (TIE * sa.mean.abs().max(sb.mean.abs()))
        .max(ci(sa.ci95))
        .max(ci(sb.ci95));
    if !(sa.mean.is_finite() && sb.mean.is_finite()) || (sa.mean - sb.mean).abs() <= tolerance {
        return None;
    }
    sa.mean.partial_cmp(&sb.mean)
}

/// Runs the experiment at `file` with `sets`, then again with each
/// assumption at each end of its range.
pub fn analyse(
    file: Option<&Path>,
    sets: &[String],
    assumptions: &[Assumption],
    options: &Options,
) -> Result<Sensitivity, SensitivityError> {
    let experiment = Experiment::from_spec(load_experiment(file, sets)?);
    let configs: Vec<&crate::simulation::Config> =
        experiment.points.iter().map(|p| &p.config).collect();
    let swept: Vec<&str> = experiment
        .points
        .first()
        .map(|p| p.swept.iter().map(|(k, _)| k.as_str()).collect())
        .unwrap_or_default();
    // Every variant is loaded (and refused) before anything runs.
    let mut plans: Vec<(Assumption, Result<[Experiment; 2], String>)> = Vec::new();
    for a in assumptions {
        let skip = if swept.contains(&a.key.as_str()) {
            Some(format!("the experiment sweeps `{}`", a.key))
        } else {
            unmet_need(&a.key, &configs).map(|needs| format!("only matters with {needs}"))
        };
        if let Some(why) = skip {
            plans.push((a.clone(), Err(why)));
            continue;
        }
        let at = |side: Side| -> Result<Experiment, SensitivityError> {
            let mut all = sets.to_vec();
            all.push(a.assignment(side));
            let spec =
                load_experiment(file, &all).map_err(|source| SensitivityError::Assumption {
                    key: a.key.clone(),
                    side: side.name(),
                    value: a.value(side).to_string(),
                    source: Box::new(source),
                })?;
            Ok(Experiment::from_spec(spec))
        };
        plans.push((a.clone(), Ok([at(Side::Low)?, at(Side::High)?])));
    }
    if let Some(limits) = options.limits {
        let mut all = vec![&experiment];
        for (_, plan) in &plans {
            if let Ok(ends) = plan {
                all.extend(ends.iter());
            }
        }
        check_in_turn(
            &all,
            options.run.threads,
            limits,
            "this sensitivity analysis",
        )?;
    }
    let runs = experiment.runs().len() as u64;
    let ran = plans.iter().filter(|(_, p)| p.is_ok()).count() as u64;
    let bar = progress_bar(runs * (1 + 2 * ran), options.run.progress, "runs");
    let quiet = RunOptions {
        progress: false,
        ..options.run.clone()
    };
    let run = |e: &Experiment| -> Result<ExperimentResults, SensitivityError> {
        let records = run_runs(e, &e.runs(), &quiet, |_| {
            bar.inc(1);
            Ok(())
        })?;
        let cancelled = options
            .run
            .cancel
            .as_ref()
            .is_some_and(|c| c.load(Ordering::SeqCst));
        if cancelled || records.len() as u64 != runs {
            return Err(SensitivityError::Interrupted);
        }
        Ok(ExperimentResults::gather(e, &records))
    };
    let base = run(&experiment)?;
    let mut varied = Vec::new();
    for (assumption, plan) in plans {
        let outcome = match plan {
            Err(why) => Outcome::Skipped(why),
            Ok([low, high]) => {
                bar.set_message(assumption.key.clone());
                Outcome::Ran {
                    low: Box::new(run(&low)?),
                    high: Box::new(run(&high)?),
                }
            }
        };
        varied.push(Varied {
            assumption,
            outcome,
        });
    }
    bar.finish_and_clear();
    for v in &varied {
        for side in Side::BOTH {
            if let Some(r) = v.at(side) {
                let same = r.rows.len() == base.rows.len()
                    && r.rows.iter().zip(&base.rows).all(|(a, b)| {
                        a.point == b.point && a.label == b.label && a.policy == b.policy
                    });
                if !same {
                    return Err(SensitivityError::Run(RunError::Save(format!(
                        "assumption `{}` at its {} end changed the experiment's rows",
                        v.assumption.key,
                        side.name()
                    ))));
                }
            }
        }
    }
    let metrics = if options.metrics.is_empty() {
        DEFAULT_METRICS
            .iter()
            .filter_map(|m| METRICS.iter().position(|x| x.name == *m))
            .collect()
    } else {
        options.metrics.clone()
    };
    Ok(Sensitivity {
        experiment,
        base,
        varied,
        metrics,
        slos: options.slos.clone(),
        confidence: options.confidence,
    })
}

impl Sensitivity {
    /// Every (assumption that ran, row, metric), in that order.
    pub fn swings(&self) -> Vec<Swing> {
        let mut out = Vec::new();
        for (i, v) in self.varied.iter().enumerate() {
            let (Some(low), Some(high)) = (v.at(Side::Low), v.at(Side::High)) else {
                continue;
            };
            for row in 0..self.base.rows.len() {
                for &metric in &self.metrics {
                    out.push(Swing {
                        varied: i,
                        row,
                        metric,
                        base: mean(&self.base, row, metric),
                        low: mean(low, row, metric),
                        high: mean(high, row, metric),
                    });
                }
            }
        }
        out
    }

    /// The points of the experiment.
    pub fn points(&self) -> usize {
        self.experiment.points.len()
    }

    /// The base rows of `point`.
    pub fn rows_of(&self, point: usize) -> Vec<usize> {
        (0..self.base.rows.len())
            .filter(|&r| self.base.rows[r].point == point)
            .collect()
    }

    /// Every pair of architectures whose order by a chosen metric is
    /// reversed between the base and an end of a range (a tie, see
    /// [`order`], is no order: it neither makes nor breaks a flip).
    pub fn rank_flips(&self) -> Vec<RankFlip> {
        let mut out = Vec::new();
        for (i, v) in self.varied.iter().enumerate() {
            for side in Side::BOTH {
                let Some(at) = v.at(side) else { continue };
                for point in 0..self.points() {
                    let rows = self.rows_of(point);
                    for &metric in &self.metrics {
                        for &a in &rows {
                            for &b in &rows {
                                let before = order(&self.base, a, b, metric);
                                let after = order(at, a, b, metric);
                                if before == Some(std::cmp::Ordering::Less)
                                    && after == Some(std::cmp::Ordering::Greater)
                                {
                                    out.push(RankFlip {
                                        varied: i,
                                        side,
                                        point,
                                        metric,
                                        a,
                                        b,
                                    });
                                }
                            }
                        }
                    }
                }
            }
        }
        out
    }

    /// The verdicts against the objectives: the base's decision, and every
    /// row whose verdict differs at an end of a range. Empty without
    /// objectives.
    pub fn verdict_flips(&self) -> (Option<Decision>, Vec<VerdictFlip>) {
        if self.slos.is_empty() {
            return (None, Vec::new());
        }
        let decide =
            |r: &ExperimentResults| Decision::of(r, self.points(), &self.slos, self.confidence);
        let base = decide(&self.base);
        let mut out = Vec::new();
        for (i, v) in self.varied.iter().enumerate() {
            for side in Side::BOTH {
                let Some(at) = v.at(side) else { continue };
                let now = decide(at);
                for (b, n) in base.rows.iter().zip(&now.rows) {
                    if b.verdict != n.verdict {
                        out.push(VerdictFlip {
                            varied: i,
                            side,
                            row: b.row,
                            base: b.verdict,
                            now: n.verdict,
                        });
                    }
                }
            }
        }
        (Some(base), out)
    }

    /// The decision at one end of one assumption's range (with objectives).
    pub fn decision_at(&self, varied: usize, side: Side) -> Option<Decision> {
        let at = self.varied.get(varied)?.at(side)?;
        (!self.slos.is_empty())
            .then(|| Decision::of(at, self.points(), &self.slos, self.confidence))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_go_by_short_or_full_name_and_a_typo_gets_the_nearest() {
        let index = |n: &str| metric_index(n).map(|i| METRICS[i].name).ok();
        assert_eq!(index("p99"), Some("latency_p99_ms"));
        assert_eq!(index("cost"), Some("cost_usd_month"));
        assert_eq!(index("cold_start_fraction"), Some("cold_start_fraction"));
        let e = metric_index("cold_start_fractoin")
            .err()
            .map(|e| e.to_string());
        assert!(
            e.as_deref()
                .is_some_and(|e| e.contains("did you mean `cold_start_fraction`")),
            "{e:?}"
        );
    }
}
