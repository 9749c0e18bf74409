//! Service-level objectives: `p99<=200ms`, `cold_start_fraction<=0.05`.
//!
//! An objective names a metric of `summary.csv` (or a short name: `p50`,
//! `p90`, `p99`, `p999`, `mean`, `max` for the latency columns), a bound
//! (`<=` or `>=`; `<` and `>` mean the same for continuous metrics), and a
//! value, with a time unit for the `_ms` metrics (`200ms`, `1.5s`; a bare
//! number is milliseconds).

use std::fmt;

use crate::experiment::config::nearest_name;
use crate::metrics::METRICS;
use crate::time::{parse_duration, to_ms};

/// Which side of the threshold meets the objective.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bound {
    /// The metric must be at most the threshold (latency, failures, cost).
    AtMost,
    /// The metric must be at least the threshold (a hit ratio).
    AtLeast,
}

/// One objective.
#[derive(Debug, Clone, PartialEq)]
pub struct Slo {
    /// The `summary.csv` column.
    pub metric: &'static str,
    /// Its index in [`METRICS`].
    pub index: usize,
    pub bound: Bound,
    /// In the metric's unit (ms for `_ms` metrics).
    pub threshold: f64,
    /// As the user wrote it.
    pub text: String,
}

/// Why an objective was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("--slo {text:?}: {message}")]
pub struct SloError {
    pub text: String,
    pub message: String,
}

pub(crate) const SHORT_NAMES: &[(&str, &str)] = &[
    ("p50", "latency_p50_ms"),
    ("p90", "latency_p90_ms"),
    ("p99", "latency_p99_ms"),
    ("p999", "latency_p999_ms"),
    ("p99.9", "latency_p999_ms"),
    ("mean", "latency_mean_ms"),
    ("max", "latency_max_ms"),
];

impl std::str::FromStr for Slo {
    type Err = SloError;

    fn from_str(text: &str) -> Result<Slo, SloError> {
        let fail = |message: String| SloError {
            text: text.to_string(),
            message,
        };
        let (at, op_len, bound) = ["<=", ">=", "<", ">"]
            .iter()
            .find_map(|op| {
                text.find(op).map(|at| {
                    let bound = if op.starts_with('<') {
                        Bound::AtMost
                    } else {
                        Bound::AtLeast
                    };
                    (at, op.len(), bound)
                })
            })
            .ok_or_else(|| {
                fail("expected METRIC<=VALUE or METRIC>=VALUE, such as p99<=200ms".into())
            })?;
        let name = text[..at].trim();
        let value = text[at + op_len..].trim();
        let metric = SHORT_NAMES
            .iter()
            .find(|(short, _)| *short == name)
            .map(|(_, long)| *long)
            .unwrap_or(name);
        let Some(index) = METRICS.iter().position(|m| m.name == metric) else {
            let names = SHORT_NAMES
                .iter()
                .map(|(s, _)| *s)
                .chain(METRICS.iter().map(|m| m.name));
            let hint = match nearest_name(name, names) {
                Some(near) => format!(" (did you mean `{near}`?)"),
                None => String::new(),
            };
            return Err(fail(format!(
                "unknown metric `{name}`{hint}: expected p50, p90, p99, p999, mean, max \
                 or a summary.csv column such as cold_start_fraction"
            )));
        };
        let metric = METRICS[index].name;
        let threshold = if metric.ends_with("_ms") {
            let parsed: Result<f64, String> = match value.parse::<f64>() {
                Ok(ms) => Ok(ms),
                Err(_) => parse_duration(value).map(to_ms),
            };
            parsed.map_err(|e| {
                fail(format!(
                    "expected a duration such as 200ms or 1.5s for `{metric}`, found {value:?} ({e})"
                ))
            })?
        } else {
            value
                .parse::<f64>()
                .map_err(|_| fail(format!("expected a number for `{metric}`, found {value:?}")))?
        };
        if !threshold.is_finite() || threshold < 0.0 {
            return Err(fail(format!(
                "expected a finite value >= 0, found {value:?}"
            )));
        }
        Ok(Slo {
            metric,
            index,
            bound,
            threshold,
            text: text.to_string(),
        })
    }
}

impl Slo {
    /// Whether `value` meets the objective.
    pub fn holds(&self, value: f64) -> bool {
        match self.bound {
            Bound::AtMost => value <= self.threshold,
            Bound::AtLeast => value >= self.threshold,
        }
    }
}

impl fmt::Display for Slo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let op = match self.bound {
            Bound::AtMost => "<=",
            Bound::AtLeast => ">=",
        };
        write!(f, "{}{op}{}", self.metric, self.threshold)
    }
}

/// Two objectives no value can meet together (`p99<=100ms` and
/// `p99>=200ms`), as a message naming both; `None` when they agree.
pub fn contradiction(slos: &[Slo]) -> Option<String> {
    slos.iter().enumerate().find_map(|(i, a)| {
        slos[i + 1..].iter().find_map(|b| {
            let (most, least) = match (a.bound, b.bound) {
                (Bound::AtMost, Bound::AtLeast) => (a, b),
                (Bound::AtLeast, Bound::AtMost) => (b, a),
                _ => return None,
            };
            (a.index == b.index && least.threshold > most.threshold).then(|| {
                format!(
                    "--slo {:?} and --slo {:?} contradict each other: no value of {} meets both",
                    a.text, b.text, a.metric
                )
            })
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_names_units_and_bounds() {
        let s: Slo = "p99<=200ms".parse().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            (s.metric, s.bound, s.threshold),
            ("latency_p99_ms", Bound::AtMost, 200.0)
        );
        let s: Slo = "p999 <= 1.5s".parse().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((s.metric, s.threshold), ("latency_p999_ms", 1500.0));
        let s: Slo = "mean<250".parse().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((s.metric, s.threshold), ("latency_mean_ms", 250.0));
        let s: Slo = "cold_start_fraction<=0.05"
            .parse()
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(s.holds(0.05) && !s.holds(0.051));
        let s: Slo = "local_fraction>=0.9"
            .parse()
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(s.holds(0.95) && !s.holds(0.85));
    }

    #[test]
    fn bad_objectives_say_what_was_expected() {
        let e = "p99=200ms".parse::<Slo>().err().map(|e| e.to_string());
        assert!(e.unwrap_or_default().contains("expected METRIC<=VALUE"));
        let e = "cold_start_fractoin<=0.1"
            .parse::<Slo>()
            .err()
            .map(|e| e.to_string());
        assert!(e
            .unwrap_or_default()
            .contains("did you mean `cold_start_fraction`?"));
        let e = "latency_p99_ms<=fast"
            .parse::<Slo>()
            .err()
            .map(|e| e.to_string());
        assert!(e.unwrap_or_default().contains("expected a duration"));
        let e = "cold_start_fraction<=-1"
            .parse::<Slo>()
            .err()
            .map(|e| e.to_string());
        assert!(e.unwrap_or_default().contains(">= 0"));
    }
}
