//! Running runs on a rayon pool, with a progress bar and cancellation.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rayon::prelude::*;

use super::{Experiment, ExperimentResults, RunRecord, RunSpec};
use crate::metrics::RunSummary;
use crate::simulation::simulate;

/// How to run.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Worker threads (0: one per core).
    pub threads: usize,
    /// Show a progress bar on stderr (the caller decides: a terminal and not
    /// `--quiet`).
    pub progress: bool,
    /// Set (by a Ctrl-C handler) to stop starting new runs; runs in progress
    /// finish and are kept.
    pub cancel: Option<Arc<AtomicBool>>,
    /// Counts finished runs and their requests as they finish, for a caller
    /// that shows progress itself (the Python package polls it).
    pub counts: Option<Arc<RunCounts>>,
}

/// Runs finished and requests simulated so far, updated as each run
/// finishes.
#[derive(Debug, Default)]
pub struct RunCounts {
    pub runs: AtomicU64,
    pub requests: AtomicU64,
}

/// Why runs could not be run.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("could not start {threads} worker threads: {source}")]
    ThreadPool {
        threads: usize,
        source: rayon::ThreadPoolBuildError,
    },
    /// A run could not be saved, or its workload failed.
    #[error("{0}")]
    Save(String),
}

/// Runs `runs` of `experiment` in parallel; `on_done` is called with each
/// finished run's record (to save it) as soon as it finishes. Returns the
/// records of the runs that ran, in the order of `runs`; runs skipped after
/// cancellation are missing.
pub fn run_runs(
    experiment: &Experiment,
    runs: &[RunSpec],
    options: &RunOptions,
    on_done: impl Fn(&RunRecord) -> Result<(), String> + Sync,
) -> Result<Vec<RunRecord>, RunError> {
    let bar = progress_bar(runs.len() as u64, options.progress);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(options.threads)
        .build()
        .map_err(|source| RunError::ThreadPool {
            threads: options.threads,
            source,
        })?;
    let started = Instant::now();
    let simulated = AtomicU64::new(0);
    let first_error: Mutex<Option<String>> = Mutex::new(None);
    let cancelled = || {
        options
            .cancel
            .as_ref()
            .is_some_and(|c| c.load(Ordering::SeqCst))
    };
    // `collect` on an indexed parallel iterator keeps the order of `runs`.
    let records: Vec<Option<RunRecord>> = pool.install(|| {
        // One run per work item: runs differ in length, and rayon's default
        // halving left one thread alone with the last long block of runs
        // (a 2-thread sweep went from 1.70x to 1.9x a single thread).
        runs.par_iter()
            .with_max_len(1)
            .map(|&run| {
                if cancelled() || first_error.lock().map(|e| e.is_some()).unwrap_or(true) {
                    return None;
                }
                let (config, variant) = experiment.resolve(run);
                let outcome = simulate(config, variant, experiment.identity(run));
                if let Some(e) = outcome.error {
                    if let Ok(mut slot) = first_error.lock() {
                        slot.get_or_insert(format!("run {run:?}: {e}"));
                    }
                    return None;
                }
                let record = RunRecord {
                    spec: run,
                    arrivals: outcome.arrivals,
                    summary: RunSummary::of(&outcome.metrics),
                    latency: outcome.metrics.latency,
                };
                if let Err(e) = on_done(&record) {
                    if let Ok(mut slot) = first_error.lock() {
                        slot.get_or_insert(e);
                    }
                    return None;
                }
                let total =
                    simulated.fetch_add(record.arrivals, Ordering::Relaxed) + record.arrivals;
                let rate = total as f64 / started.elapsed().as_secs_f64().max(1e-9);
                bar.set_message(format!("{:.1} M simulated requests/s", rate / 1e6));
                bar.inc(1);
                if let Some(counts) = &options.counts {
                    counts
                        .requests
                        .fetch_add(record.arrivals, Ordering::Relaxed);
                    counts.runs.fetch_add(1, Ordering::Release);
                }
                Some(record)
            })
            .collect()
    });
    bar.finish_and_clear();
    if let Some(e) = first_error.into_inner().ok().flatten() {
        return Err(RunError::Save(e));
    }
    Ok(records.into_iter().flatten().collect())
}

/// Runs every run of the experiment in memory and gathers the results.
pub fn run_experiment(
    experiment: &Experiment,
    options: &RunOptions,
) -> Result<ExperimentResults, RunError> {
    let records = run_runs(experiment, &experiment.runs(), options, |_| Ok(()))?;
    Ok(ExperimentResults::gather(experiment, &records))
}

fn progress_bar(len: u64, show: bool) -> ProgressBar {
    let target = if show {
        ProgressDrawTarget::stderr()
    } else {
        ProgressDrawTarget::hidden()
    };
    let bar = ProgressBar::with_draw_target(Some(len), target);
    if let Ok(style) = ProgressStyle::with_template(
        "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} runs, {msg}, ETA {eta}",
    ) {
        bar.set_style(style);
    }
    bar
}
