//! Results per (sweep point, architecture): the mean of each metric over the
//! replications with a 95% confidence interval, and the merged latency
//! histogram.

use statrs::distribution::{ContinuousCDF, StudentsT};

use super::{Experiment, RunRecord};
use crate::architectures::ArchitectureVariant;
use crate::metrics::{LatencyHistogram, RunSummary, METRICS};

/// A metric's mean over replications and the half-width of its 95%
/// confidence interval (Student's t; NaN with one replication).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stat {
    pub mean: f64,
    pub ci95: f64,
    /// Replications with a value (a metric may be empty in some runs).
    pub n: usize,
}

impl Stat {
    /// Mean and confidence interval of the finite values in `xs`.
    pub fn of(xs: impl IntoIterator<Item = f64>) -> Stat {
        let xs: Vec<f64> = xs.into_iter().filter(|x| x.is_finite()).collect();
        let n = xs.len();
        if n == 0 {
            return Stat {
                mean: f64::NAN,
                ci95: f64::NAN,
                n,
            };
        }
        let mean = xs.iter().sum::<f64>() / n as f64;
        if n == 1 {
            return Stat {
                mean,
                ci95: f64::NAN,
                n,
            };
        }
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
        let t = StudentsT::new(0.0, 1.0, (n - 1) as f64)
            .map(|d| d.inverse_cdf(0.975))
            .unwrap_or(f64::NAN);
        Stat {
            mean,
            ci95: t * (var / n as f64).sqrt(),
            n,
        }
    }
}

/// One (point, architecture) of an experiment.
#[derive(Debug, Clone)]
pub struct ResultRow {
    pub point: usize,
    pub variant: ArchitectureVariant,
    /// Unique label of the architecture within the experiment.
    pub label: String,
    /// The policy set (`none` until policies exist).
    pub policy: String,
    /// Each replication's metric values, in replication order.
    pub runs: Vec<RunSummary>,
    /// Mean and CI of each metric, in [`METRICS`] order.
    pub stats: Vec<Stat>,
    /// Latency of every request of every replication.
    pub latency: LatencyHistogram,
}

impl ResultRow {
    /// A metric's statistics by name.
    pub fn stat(&self, name: &str) -> Option<Stat> {
        METRICS
            .iter()
            .position(|m| m.name == name)
            .map(|i| self.stats[i])
    }
}

/// All results of an experiment, rows in (point, architecture) order.
#[derive(Debug, Clone)]
pub struct ExperimentResults {
    pub rows: Vec<ResultRow>,
    /// Requests simulated, over all runs (window or not).
    pub simulated_requests: u64,
}

impl ExperimentResults {
    /// Groups run records into rows. Records may come in any order; they
    /// are put in canonical run order first, so the result depends only on
    /// the set of records.
    pub fn gather(experiment: &Experiment, records: &[RunRecord]) -> Self {
        let mut sorted: Vec<&RunRecord> = records.iter().collect();
        sorted.sort_by_key(|r| r.spec);
        let mut rows: Vec<ResultRow> = Vec::new();
        let mut simulated_requests = 0;
        for record in sorted {
            let run = record.spec;
            simulated_requests += record.arrivals;
            let (config, variant) = experiment.resolve(run);
            match rows.last_mut() {
                Some(row) if row.point == run.point && row.variant == variant => {
                    row.latency.merge(&record.latency);
                    row.runs.push(record.summary.clone());
                }
                _ => rows.push(ResultRow {
                    point: run.point,
                    variant,
                    label: variant.label(config.platform_runtime_wasm_compile),
                    policy: config.policies.enabled.label(),
                    runs: vec![record.summary.clone()],
                    stats: Vec::new(),
                    latency: record.latency.clone(),
                }),
            }
        }
        for row in &mut rows {
            row.stats = (0..METRICS.len())
                .map(|i| Stat::of(row.runs.iter().map(|r| r.values[i])))
                .collect();
        }
        Self {
            rows,
            simulated_requests,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn confidence_interval_matches_a_hand_computation() {
        // mean 2, sample sd 1, n 3: t(0.975, 2) = 4.302653 -> 4.302653/sqrt(3).
        let s = Stat::of([1.0, 2.0, 3.0]);
        assert!((s.mean - 2.0).abs() < 1e-12);
        assert!((s.ci95 - 4.302_653 / 3f64.sqrt()).abs() < 1e-5);
        assert!(Stat::of([5.0]).ci95.is_nan());
        assert_eq!(Stat::of([f64::NAN, 1.0]).n, 1);
    }
}
