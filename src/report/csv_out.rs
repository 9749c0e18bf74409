//! `summary.csv`: one row per (sweep point, architecture, policy set).
//!
//! Columns: `architecture`, `policy`, `runtime_wasm_compile`, one column per
//! swept key (its dotted path), `replications`, then every metric of
//! [`METRICS`] (the mean over replications), each followed by its `_ci95`
//! half-width when the experiment has more than one replication. Numbers are
//! written in Rust's shortest round-trip form, so equal results give equal
//! bytes on every machine; a metric without samples is an empty field.

use std::io;
use std::path::Path;

use super::write_atomically;
use crate::experiment::{Experiment, ExperimentResults};
use crate::metrics::METRICS;

fn number(x: f64) -> String {
    if x.is_finite() {
        format!("{x}")
    } else {
        String::new()
    }
}

/// The contents of `summary.csv`.
pub fn summary_csv(
    experiment: &Experiment,
    results: &ExperimentResults,
) -> Result<Vec<u8>, csv::Error> {
    let swept: Vec<String> = experiment
        .points
        .first()
        .map(|p| p.swept.iter().map(|(k, _)| k.clone()).collect())
        .unwrap_or_default();
    let with_ci = experiment.points.iter().any(|p| p.config.replications > 1);
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header: Vec<String> = ["architecture", "policy", "runtime_wasm_compile"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    header.extend(swept.iter().cloned());
    header.push("replications".into());
    for m in METRICS {
        header.push(m.name.to_string());
        if with_ci {
            header.push(format!("{}_ci95", m.name));
        }
    }
    w.write_record(&header)?;
    for row in &results.rows {
        let point = &experiment.points[row.point];
        let mut record = vec![
            row.variant.architecture.name().to_string(),
            row.policy.clone(),
            row.variant.runtime_wasm_compile.name().to_string(),
        ];
        record.extend(point.swept.iter().map(|(_, v)| v.clone()));
        record.push(row.runs.len().to_string());
        for s in &row.stats {
            record.push(number(s.mean));
            if with_ci {
                record.push(number(s.ci95));
            }
        }
        w.write_record(&record)?;
    }
    w.into_inner().map_err(|e| csv::Error::from(e.into_error()))
}

/// Writes `DIR/summary.csv` atomically.
pub fn write_summary(
    dir: &Path,
    experiment: &Experiment,
    results: &ExperimentResults,
) -> io::Result<()> {
    let bytes = summary_csv(experiment, results).map_err(io::Error::other)?;
    write_atomically(&dir.join("summary.csv"), &bytes)
}
