//! CSV: the result tables ([`super`]) as the files of an output directory.
//!
//! - `summary.csv`: one row per (sweep point, architecture, policy set):
//!   `architecture`, `policy`, `runtime_wasm_compile`, one column per swept
//!   key (its dotted path), `replications`, then every metric of
//!   [`METRICS`] (the mean over replications), each followed by its `_ci95`
//!   half-width when the experiment has more than one replication.
//! - `runs.csv`: one row per run, the same identifying columns plus
//!   `replication`, then every metric's value.
//! - `latency_cdf.csv`: per (point, architecture), the latency at quantiles
//!   from 0 to 1 of all its replications' requests merged (exact merge).
//!
//! Numbers are written in Rust's shortest round-trip form, so equal results
//! give equal bytes on every machine; a metric without samples is an empty
//! field.

use std::io;
use std::path::{Path, PathBuf};

use super::{id_cells, id_header, summary_table, Cell};
use crate::atomic_write::write_atomically;
use crate::experiment::{Experiment, ExperimentResults};
use crate::metrics::METRICS;

/// A CSV cell: shortest round-trip form, empty when not finite.
pub(crate) fn number(x: f64) -> String {
    if x.is_finite() {
        format!("{x}")
    } else {
        String::new()
    }
}

fn finish(w: csv::Writer<Vec<u8>>) -> Result<Vec<u8>, csv::Error> {
    w.into_inner().map_err(|e| csv::Error::from(e.into_error()))
}

/// The contents of `summary.csv`.
pub fn summary_csv(
    experiment: &Experiment,
    results: &ExperimentResults,
) -> Result<Vec<u8>, csv::Error> {
    let table = summary_table(experiment, results);
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(&table.header)?;
    for row in &table.rows {
        w.write_record(row.iter().map(|cell| match cell {
            Cell::Text(t) => t.clone(),
            Cell::Number(x) => number(*x),
        }))?;
    }
    finish(w)
}

/// The contents of `runs.csv`.
pub fn runs_csv(
    experiment: &Experiment,
    results: &ExperimentResults,
) -> Result<Vec<u8>, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header = id_header(experiment);
    header.push("replication".into());
    header.extend(METRICS.iter().map(|m| m.name.to_string()));
    w.write_record(&header)?;
    for row in &results.rows {
        for (replication, run) in row.runs.iter().enumerate() {
            let mut record = id_cells(experiment, row);
            record.push(replication.to_string());
            record.extend(run.values.iter().map(|&v| number(v)));
            w.write_record(&record)?;
        }
    }
    finish(w)
}

/// The quantiles of `latency_cdf.csv`: every percent, then finer in the tail.
pub fn cdf_quantiles() -> Vec<f64> {
    let mut q: Vec<f64> = (0..=99).map(|i| f64::from(i) / 100.0).collect();
    q.extend((1..=9).map(|i| 0.99 + f64::from(i) / 1000.0));
    q.extend((1..=9).map(|i| 0.999 + f64::from(i) / 10_000.0));
    q.push(1.0);
    q
}

/// The contents of `latency_cdf.csv`.
pub fn cdf_csv(
    experiment: &Experiment,
    results: &ExperimentResults,
) -> Result<Vec<u8>, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header = id_header(experiment);
    header.extend(["quantile".to_string(), "latency_ms".to_string()]);
    w.write_record(&header)?;
    let quantiles = cdf_quantiles();
    for row in &results.rows {
        if row.latency.count() == 0 {
            continue;
        }
        for &q in &quantiles {
            let mut record = id_cells(experiment, row);
            record.push(number(q));
            record.push(number(row.latency.quantile_ms(q)));
            w.write_record(&record)?;
        }
    }
    finish(w)
}

/// A function producing one CSV file's bytes.
type CsvMaker = fn(&Experiment, &ExperimentResults) -> Result<Vec<u8>, csv::Error>;

/// Writes `summary.csv`, `runs.csv`, `latency_cdf.csv` and `summary.json`
/// into `dir`, each atomically.
pub fn write_results(
    dir: &Path,
    experiment: &Experiment,
    results: &ExperimentResults,
) -> Result<(), (PathBuf, io::Error)> {
    let files: [(&str, CsvMaker); 3] = [
        ("summary.csv", summary_csv),
        ("runs.csv", runs_csv),
        ("latency_cdf.csv", cdf_csv),
    ];
    for (name, make) in files {
        let path = dir.join(name);
        let bytes = make(experiment, results).map_err(|e| (path.clone(), io::Error::other(e)))?;
        write_atomically(&path, &bytes).map_err(|e| (path, e))?;
    }
    let json = super::json::summary_json(experiment, results);
    let path = dir.join("summary.json");
    write_atomically(&path, json.as_bytes()).map_err(|e| (path, e))
}
