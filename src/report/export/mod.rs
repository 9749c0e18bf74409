//! Exporting results, one file per format: [`csv`] (`summary.csv`,
//! `runs.csv`, `latency_cdf.csv`) and [`json`] (`summary.json`). The summary
//! is built once, as a [`Table`], so that its CSV and JSON carry the same
//! rows and columns in the same order.
//!
//! Invariants: a table's every row has one cell per header column; a
//! number that is not finite (a metric without samples) is an empty CSV
//! field and a JSON `null`.

pub mod csv;
pub mod json;

use crate::experiment::{Experiment, ExperimentResults, ResultRow};
use crate::metrics::METRICS;

/// One cell of an exported table.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// Names: architecture, policy, a swept value as written.
    Text(String),
    /// A count or a metric.
    Number(f64),
}

/// Columns and rows, every row as long as the header.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub header: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
}

fn swept_keys(experiment: &Experiment) -> Vec<String> {
    experiment
        .points
        .first()
        .map(|p| p.swept.iter().map(|(k, _)| k.clone()).collect())
        .unwrap_or_default()
}

/// The identifying columns: architecture, policy, runtime_wasm_compile,
/// then each swept key.
pub(crate) fn id_header(experiment: &Experiment) -> Vec<String> {
    let mut header: Vec<String> = ["architecture", "policy", "runtime_wasm_compile"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    header.extend(swept_keys(experiment));
    header
}

/// A row's identifying cells, as [`id_header`] names them.
pub(crate) fn id_cells(experiment: &Experiment, row: &ResultRow) -> Vec<String> {
    let mut cells = vec![
        row.variant.architecture.name().to_string(),
        row.policy.clone(),
        row.variant.runtime_wasm_compile.name().to_string(),
    ];
    cells.extend(
        experiment.points[row.point]
            .swept
            .iter()
            .map(|(_, v)| v.clone()),
    );
    cells
}

/// The summary: one row per (sweep point, architecture, policy set), the
/// identifying columns, `replications`, then every metric's mean, each
/// followed by its `_ci95` half-width when some point has more than one
/// replication.
pub fn summary_table(experiment: &Experiment, results: &ExperimentResults) -> Table {
    let with_ci = experiment.points.iter().any(|p| p.config.replications > 1);
    let mut header = id_header(experiment);
    header.push("replications".into());
    for m in METRICS {
        header.push(m.name.to_string());
        if with_ci {
            header.push(format!("{}_ci95", m.name));
        }
    }
    let rows = results
        .rows
        .iter()
        .map(|row| {
            let mut cells: Vec<Cell> = id_cells(experiment, row)
                .into_iter()
                .map(Cell::Text)
                .collect();
            cells.push(Cell::Number(row.runs.len() as f64));
            for s in &row.stats {
                cells.push(Cell::Number(s.mean));
                if with_ci {
                    cells.push(Cell::Number(s.ci95));
                }
            }
            cells
        })
        .collect();
    Table { header, rows }
}
