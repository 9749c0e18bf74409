//! Running an experiment's runs on a rayon pool, with a progress bar.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rayon::prelude::*;

use super::{Experiment, ExperimentResults, RunSpec};
use crate::simulation::{simulate, RunOutcome};

/// How to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RunOptions {
    /// Worker threads (0: one per core).
    pub threads: usize,
    /// Show a progress bar on stderr (only drawn when it is a terminal).
    pub progress: bool,
}

/// Why an experiment could not run.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("could not start {threads} worker threads: {source}")]
    ThreadPool {
        threads: usize,
        source: rayon::ThreadPoolBuildError,
    },
}

/// Runs every run of the experiment and gathers the results.
pub fn run_experiment(
    experiment: &Experiment,
    options: RunOptions,
) -> Result<ExperimentResults, RunError> {
    let runs = experiment.runs();
    let bar = progress_bar(runs.len() as u64, options.progress);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(options.threads)
        .build()
        .map_err(|source| RunError::ThreadPool {
            threads: options.threads,
            source,
        })?;
    // `collect` on an indexed parallel iterator keeps run order.
    let outcomes: Vec<(RunSpec, RunOutcome)> = pool.install(|| {
        runs.par_iter()
            .map(|&run| {
                let (config, variant) = experiment.resolve(run);
                let outcome = simulate(config, variant, experiment.identity(run));
                bar.inc(1);
                (run, outcome)
            })
            .collect()
    });
    bar.finish_and_clear();
    Ok(ExperimentResults::gather(experiment, outcomes))
}

fn progress_bar(len: u64, show: bool) -> ProgressBar {
    let target = if show {
        ProgressDrawTarget::stderr()
    } else {
        ProgressDrawTarget::hidden()
    };
    let bar = ProgressBar::with_draw_target(Some(len), target);
    if let Ok(style) = ProgressStyle::with_template(
        "{spinner} [{elapsed_precise}] {bar:40} {pos}/{len} runs, ETA {eta}",
    ) {
        bar.set_style(style);
    }
    bar
}
