//! The library's facade for embedders (the Python package in `python/`):
//! load an experiment, run it, plan capacity, fit a trace, and get back in
//! memory what the CLI writes to files.
//!
//! Embedders call only this module, so the rest of the crate can move
//! freely behind it. Everything here returns errors as [`ApiError`] values
//! whose `Display` is the message the CLI prints after `error: `.
//!
//! Invariants:
//! - [`run`] gives the same numbers as `dofleet run` for the same
//!   experiment and seed, bit for bit: its tables are made by the same
//!   writers as `summary.csv`, `runs.csv` and `latency_cdf.csv` and typed
//!   cell by cell ([`Table::from_csv`]: a CSV number is Rust's shortest
//!   round-trip form, so parsing it gives back the same `f64`);
//! - nothing here writes a file or prints;
//! - a `seed` is applied as the CLI's `--set seed=N`, after every other set.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Instant;

use crate::experiment::config::{file_layer, load_experiment_source, ConfigError, Source};
use crate::experiment::{manifest_of, run_experiment, Experiment, RunCounts, RunOptions};
use crate::planner::{Dimension, PlanOptions, Slo};
use crate::report::{cdf_csv, evaluations_csv, plan_csv, plan_table, runs_csv, summary_csv};
use crate::workload::fit::{fit_trace, TraceFit};
use crate::workload::{TraceSpread, TraceTenant};

/// Where an experiment comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExperimentInput {
    /// The embedded default experiment (what `dofleet` alone runs).
    Default,
    /// An experiment file; relative `extends` and sample files resolve
    /// against its directory.
    File(PathBuf),
    /// An experiment file's text. `name` is what errors call it (such as
    /// `<toml string>`); relative paths in it resolve against the current
    /// directory.
    Text { name: String, text: String },
}

/// Why a call failed. `Display` is the CLI's message.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// A configuration error: file, line, column, key, nearest valid key.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// A bad argument that is not in a configuration (an objective, a
    /// search dimension, a thread count).
    #[error("{0}")]
    Input(String),
    /// A trace that cannot be read or fitted.
    #[error("{0}")]
    Trace(String),
    /// Runs could not be run (threads, a workload failing mid-run).
    #[error("{0}")]
    Run(String),
    /// Stopped by its cancellation flag.
    #[error("interrupted")]
    Interrupted,
}

/// Loads an experiment: the embedded default, then `input`, then each
/// `sets` assignment (`KEY=VALUE`, as `--set`), then `seed` if given.
pub fn load(
    input: &ExperimentInput,
    sets: &[String],
    seed: Option<u64>,
) -> Result<Experiment, ApiError> {
    let (source, name) = match input {
        ExperimentInput::Default => (None, None),
        ExperimentInput::File(path) => (
            Some(file_layer(path)?),
            path.file_stem().map(|s| s.to_string_lossy().into_owned()),
        ),
        ExperimentInput::Text { name, text } => (
            Some(Source {
                name: name.clone(),
                text: text.clone(),
                base_dir: None,
            }),
            None,
        ),
    };
    let mut sets = sets.to_vec();
    if let Some(seed) = seed {
        sets.push(format!("seed={seed}"));
    }
    let spec = load_experiment_source(source, name, &sets)?;
    Ok(Experiment::from_spec(spec))
}

/// Controls a run from another thread: cancellation and progress.
#[derive(Debug, Clone, Default)]
pub struct RunControl {
    /// Set to stop starting runs; the run then returns what finished, with
    /// [`Outcome::interrupted`] set.
    pub cancel: Arc<AtomicBool>,
    /// Runs finished and requests simulated so far.
    pub counts: Arc<RunCounts>,
}

/// What a run gives: the CLI's output files, in memory.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// `summary.csv`'s table.
    pub summary: Table,
    /// `runs.csv`'s table.
    pub runs: Table,
    /// `latency_cdf.csv`'s table.
    pub latency_cdf: Table,
    /// `config.toml`: the resolved experiment, every default explicit.
    pub config_toml: String,
    /// `manifest.toml` (status `complete` or `interrupted`).
    pub manifest_toml: String,
    /// Whether a cancellation stopped it before every run was done (the
    /// tables then cover the runs that finished).
    pub interrupted: bool,
    /// Runs done, of the experiment's total.
    pub runs_done: usize,
    pub runs_total: usize,
    /// Requests simulated, over all runs.
    pub simulated_requests: u64,
}

/// Runs every run of `experiment` in memory on `threads` threads (0: one
/// per core).
pub fn run(
    experiment: &Experiment,
    threads: usize,
    control: &RunControl,
) -> Result<Outcome, ApiError> {
    check_resources(experiment, threads)?;
    let started = Instant::now();
    let options = RunOptions {
        threads,
        progress: false,
        cancel: Some(control.cancel.clone()),
        counts: Some(control.counts.clone()),
    };
    let results = run_experiment(experiment, &options).map_err(|e| ApiError::Run(e.to_string()))?;
    let runs_total = experiment.runs().len();
    let runs_done = results.rows.iter().map(|r| r.runs.len()).sum();
    let interrupted = runs_done < runs_total;
    let status = if interrupted {
        "interrupted"
    } else {
        "complete"
    };
    let wall = started.elapsed().as_secs_f64();
    let manifest = manifest_of(experiment, status, None, runs_done, threads, wall);
    // The identifiers (architecture, policy, runtime_wasm_compile), then
    // the swept keys.
    let labels = 3 + swept_count(experiment);
    let csv = |bytes: Result<Vec<u8>, csv::Error>| {
        bytes
            .map_err(|e| ApiError::Run(format!("cannot tabulate the results: {e}")))
            .and_then(|b| Table::from_csv(&b, labels))
    };
    Ok(Outcome {
        summary: csv(summary_csv(experiment, &results))?,
        runs: csv(runs_csv(experiment, &results))?,
        latency_cdf: csv(cdf_csv(experiment, &results))?,
        config_toml: experiment.resolved.clone(),
        manifest_toml: toml::to_string(&manifest)
            .map_err(|e| ApiError::Run(format!("manifest: {e}")))?,
        interrupted,
        runs_done,
        runs_total,
        simulated_requests: results.simulated_requests,
    })
}

/// What cannot run on this machine, or could make time wrap, is refused
/// (the CLI's check; a notebook is not asked to confirm long work).
fn check_resources(experiment: &Experiment, threads: usize) -> Result<(), ApiError> {
    experiment
        .check_resources(threads, crate::experiment::machine_memory(), true)
        .map(|_| ())
        .map_err(|e| ApiError::Input(e.to_string()))
}

/// The number of swept keys (every point has the same).
fn swept_count(experiment: &Experiment) -> usize {
    experiment.points.first().map_or(0, |p| p.swept.len())
}

/// What `dofleet plan` is asked.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanRequest {
    /// Objectives, as `--slo` takes them (`p99<=200ms`).
    pub slos: Vec<String>,
    /// `hosts`, `memory` or `compute`.
    pub search: String,
    /// One-sided confidence, between 0.5 and 1 exclusive.
    pub confidence: f64,
    pub min: Option<u64>,
    pub max: Option<u64>,
    /// Worker threads (0: one per core).
    pub threads: usize,
}

/// What a plan gives: `plan.csv`, `plan_evaluations.csv` and the table the
/// CLI prints.
#[derive(Debug, Clone)]
pub struct PlanOutcome {
    pub plan: Table,
    pub evaluations: Table,
    pub text: String,
}

/// Plans capacity for every (point, architecture) of `experiment`.
/// Setting `cancel` stops the search (no candidate starts after it): the
/// call then returns [`ApiError::Interrupted`].
pub fn plan(
    experiment: &Experiment,
    request: &PlanRequest,
    cancel: &Arc<AtomicBool>,
) -> Result<PlanOutcome, ApiError> {
    check_resources(experiment, request.threads)?;
    let slos = request
        .slos
        .iter()
        .map(|s| s.parse::<Slo>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| ApiError::Input(e.to_string()))?;
    let dimension = Dimension::from_name(&request.search).ok_or_else(|| {
        ApiError::Input(format!(
            "search: unknown dimension {:?}; expected one of {}",
            request.search,
            Dimension::NAMES.join(", ")
        ))
    })?;
    let options = PlanOptions {
        dimension,
        slos,
        confidence: request.confidence,
        min: request.min,
        max: request.max,
        threads: request.threads,
        progress: false,
        cancel: Some(cancel.clone()),
    };
    let plan = crate::planner::plan(experiment, &options).map_err(|e| match e {
        crate::planner::PlanError::Invalid(m) => ApiError::Input(m),
        crate::planner::PlanError::Cancelled => ApiError::Interrupted,
        other => ApiError::Run(other.to_string()),
    })?;
    // The identifiers (architecture, policy), then the swept keys.
    let labels = 2 + swept_count(experiment);
    let csv = |bytes: std::io::Result<Vec<u8>>| {
        bytes
            .map_err(|e| ApiError::Run(format!("cannot tabulate the plan: {e}")))
            .and_then(|b| Table::from_csv(&b, labels))
    };
    Ok(PlanOutcome {
        plan: csv(plan_csv(&plan))?,
        evaluations: csv(evaluations_csv(&plan))?,
        text: plan_table(&plan),
    })
}

/// How `dofleet fit` reads a trace: `tenant` is `function` or `app`,
/// `spread` `uniform` or `poisson` (as `--tenant` and `--spread`).
/// Setting `cancel` stops the replay: the call then returns
/// [`ApiError::Interrupted`].
pub fn fit(
    trace: &Path,
    tenant: &str,
    spread: &str,
    seed: u64,
    cancel: &AtomicBool,
) -> Result<(TraceFit, String), ApiError> {
    let tenant_by = named(
        "tenant",
        tenant,
        &[
            ("function", TraceTenant::Function),
            ("app", TraceTenant::App),
        ],
    )?;
    let spread_by = named(
        "spread",
        spread,
        &[
            ("uniform", TraceSpread::Uniform),
            ("poisson", TraceSpread::Poisson),
        ],
    )?;
    let fitted = fit_trace(trace, tenant_by, spread_by, seed, Some(cancel)).map_err(|e| {
        if cancel.load(std::sync::atomic::Ordering::SeqCst) {
            ApiError::Interrupted
        } else {
            ApiError::Trace(e.to_string())
        }
    })?;
    let shown = trace.display().to_string();
    let report = fitted.report(&shown, &format!("dofleet fit {shown}"));
    Ok((fitted, report))
}

/// The value named `found` among `choices`, for the argument `key`.
fn named<T: Copy>(key: &str, found: &str, choices: &[(&str, T)]) -> Result<T, ApiError> {
    choices
        .iter()
        .find(|(name, _)| *name == found)
        .map(|&(_, value)| value)
        .ok_or_else(|| {
            let names: Vec<String> = choices.iter().map(|(n, _)| format!("{n:?}")).collect();
            ApiError::Input(format!(
                "{key}: expected one of {}; found {found:?}",
                names.join(", ")
            ))
        })
}

/// A column's cells, typed.
#[derive(Debug, Clone, PartialEq)]
pub enum Cells {
    Text(Vec<String>),
    Int(Vec<i64>),
    Bool(Vec<bool>),
    /// An empty CSV cell (a metric without samples) is NaN.
    Float(Vec<f64>),
}

/// A named column.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    pub name: String,
    pub cells: Cells,
}

/// A table as the CLI writes it to CSV, typed by column.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub columns: Vec<Column>,
    pub rows: usize,
}

/// Columns of counts: integers.
const INTEGER_COLUMNS: [&str; 2] = ["replications", "replication"];

impl Table {
    /// Types a CSV of the CLI's whose first `labels` columns are labels
    /// (the identifiers and the swept keys, kept as written: `10s`, `0.8`,
    /// a table): those are text; [`INTEGER_COLUMNS`] are integers; a column
    /// of `true`/`false` is boolean; every other column is a float if each
    /// cell is a number or empty (NaN), else text.
    pub fn from_csv(bytes: &[u8], labels: usize) -> Result<Table, ApiError> {
        let bad = |e: csv::Error| ApiError::Run(format!("cannot read back a table: {e}"));
        let mut reader = csv::Reader::from_reader(bytes);
        let header: Vec<String> = reader
            .headers()
            .map_err(bad)?
            .iter()
            .map(str::to_string)
            .collect();
        let mut raw: Vec<Vec<String>> = vec![Vec::new(); header.len()];
        let mut rows = 0;
        for record in reader.records() {
            let record = record.map_err(bad)?;
            for (column, cell) in raw.iter_mut().zip(record.iter()) {
                column.push(cell.to_string());
            }
            rows += 1;
        }
        let columns = header
            .into_iter()
            .zip(raw)
            .enumerate()
            .map(|(i, (name, cells))| {
                let cells = if i < labels {
                    Cells::Text(cells)
                } else {
                    typed(cells, INTEGER_COLUMNS.contains(&name.as_str()))
                };
                Column { name, cells }
            })
            .collect();
        Ok(Table { columns, rows })
    }

    /// A column by name.
    pub fn column(&self, name: &str) -> Option<&Cells> {
        self.columns
            .iter()
            .find(|c| c.name == name)
            .map(|c| &c.cells)
    }
}

/// Integers if asked and every cell is one; booleans if every cell is
/// `true` or `false`; floats if every cell is a number or empty; else text.
fn typed(cells: Vec<String>, integer: bool) -> Cells {
    if integer {
        if let Ok(ints) = cells.iter().map(|c| c.parse::<i64>()).collect() {
            return Cells::Int(ints);
        }
    }
    if !cells.is_empty() {
        if let Ok(bools) = cells.iter().map(|c| c.parse::<bool>()).collect() {
            return Cells::Bool(bools);
        }
    }
    let floats: Result<Vec<f64>, _> = cells
        .iter()
        .map(|c| {
            if c.is_empty() {
                Ok(f64::NAN)
            } else {
                c.parse::<f64>()
            }
        })
        .collect();
    match floats {
        Ok(floats) => Cells::Float(floats),
        Err(_) => Cells::Text(cells),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A CSV cell as the CLI writes a number.
    fn number(x: f64) -> String {
        if x.is_finite() {
            format!("{x}")
        } else {
            String::new()
        }
    }

    fn text(toml: &str) -> ExperimentInput {
        ExperimentInput::Text {
            name: "<toml string>".into(),
            text: toml.into(),
        }
    }

    const SMALL: &str = "duration = \"2min\"\nreplications = 2\n[workload]\ntenants = 200\n";

    #[test]
    fn tables_are_the_cli_csvs_cell_for_cell() {
        let experiment = load(&text(SMALL), &[], Some(7)).unwrap();
        let outcome = run(&experiment, 2, &RunControl::default()).unwrap();
        let results = run_experiment(&experiment, &RunOptions::default()).unwrap();
        let csv = summary_csv(&experiment, &results).unwrap();
        let mut reader = csv::Reader::from_reader(csv.as_slice());
        let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
        let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
        assert_eq!(outcome.summary.rows, records.len());
        assert!(outcome.summary.rows > 1);
        for (c, name) in header.iter().enumerate() {
            let column = &outcome.summary.columns[c];
            assert_eq!(&column.name, name);
            for (r, record) in records.iter().enumerate() {
                let cell = &record[c];
                match &column.cells {
                    Cells::Text(v) => assert_eq!(&v[r], cell),
                    Cells::Int(v) => assert_eq!(v[r].to_string(), cell),
                    Cells::Bool(v) => assert_eq!(v[r].to_string(), cell),
                    // Written back as the CSV writes it: the same bytes.
                    Cells::Float(v) => assert_eq!(number(v[r]), cell, "{name}"),
                }
            }
        }
        assert!(matches!(
            outcome.summary.column("latency_p99_ms"),
            Some(Cells::Float(_))
        ));
        assert!(matches!(
            outcome.summary.column("replications"),
            Some(Cells::Int(v)) if v.iter().all(|&n| n == 2)
        ));
        assert_eq!(outcome.runs.rows, outcome.runs_total);
        assert!(!outcome.interrupted);
        assert!(outcome.manifest_toml.contains("status = \"complete\""));
        assert!(outcome.config_toml.contains("seed = 7"));
    }

    #[test]
    fn a_file_and_its_text_give_the_same_experiment_but_for_the_name() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("small.toml");
        std::fs::write(&path, SMALL).unwrap();
        let from_file = load(&ExperimentInput::File(path), &[], None).unwrap();
        let from_text = load(&text(&format!("name = \"small\"\n{SMALL}")), &[], None).unwrap();
        assert_eq!(from_file.name, "small");
        assert_eq!(from_file.points, from_text.points);
    }

    #[test]
    fn errors_carry_the_cli_message() {
        let e = load(&text("[workload]\ntenant = 5\n"), &[], None).unwrap_err();
        let message = e.to_string();
        assert!(matches!(e, ApiError::Config(_)));
        assert!(message.contains("<toml string>:2:1"), "{message}");
        assert!(message.contains("workload.tenants"), "{message}");
        let e = load(
            &ExperimentInput::Default,
            &["workload.tenants=x".into()],
            None,
        )
        .unwrap_err();
        assert!(e.to_string().starts_with("--set workload.tenants=x"), "{e}");
    }

    #[test]
    fn a_cancelled_run_says_so_and_keeps_what_finished() {
        let experiment = load(&text(SMALL), &[], None).unwrap();
        let control = RunControl::default();
        control
            .cancel
            .store(true, std::sync::atomic::Ordering::SeqCst);
        let outcome = run(&experiment, 1, &control).unwrap();
        assert!(outcome.interrupted);
        assert_eq!(outcome.runs_done, 0);
        assert!(outcome.manifest_toml.contains("status = \"interrupted\""));
    }

    #[test]
    fn plan_and_fit_reject_unknown_names() {
        let experiment = load(&text(SMALL), &[], None).unwrap();
        let request = PlanRequest {
            slos: vec!["p99<=2s".into()],
            search: "disks".into(),
            confidence: 0.95,
            min: None,
            max: None,
            threads: 1,
        };
        let e = plan(&experiment, &request, &Arc::default()).unwrap_err();
        assert!(e.to_string().contains("hosts, memory, compute"), "{e}");
        let e = fit(
            Path::new("trace.csv"),
            "owner",
            "uniform",
            1,
            &AtomicBool::new(false),
        )
        .unwrap_err();
        assert!(matches!(e, ApiError::Input(_)), "{e}");
    }
}
