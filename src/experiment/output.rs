//! Output directories: running an experiment into one (fresh, forced,
//! resumed, or as a shard); [`super::merge`] merges shards into one.
//!
//! A directory holds `config.toml` (the resolved experiment), `manifest.toml`,
//! `runs/` (one record per finished run) and, once every run is there, the
//! aggregate CSVs. Aggregates are computed from the records alone, in
//! canonical order, so any way of producing the same set of records
//! (threads, interruptions, shards) writes the same aggregate bytes.
//! Existing results are never overwritten without `force`.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::time::Instant;

use super::manifest::{git_commit, unix_now, Machine, Manifest};
use super::out_dir::{self, DirLock, Staging};
use super::record::{record_name, RecordError};
use super::runner::{run_runs, RunError, RunOptions};
use super::{Experiment, ExperimentResults, RunRecord, RunSpec, Shard};
use crate::atomic_write::write_atomically;
use crate::metrics::METRICS;

/// Writes the aggregate files of complete results into a directory
/// (`report::write_results`: the CSVs and `summary.json`). The experiment
/// decides when they are written, between the manifest saying
/// `interrupted` and saying `complete`; the formats are report's, so the
/// caller names the writer and this module depends on no format.
pub type AggregateWriter =
    fn(&Path, &Experiment, &ExperimentResults) -> Result<(), (PathBuf, io::Error)>;

/// How to treat the output directory.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OutputOptions {
    /// Replace existing results.
    pub force: bool,
    /// Keep the runs already recorded and run only the missing ones.
    pub resume: bool,
    /// Run only this shard's runs.
    pub shard: Option<Shard>,
}

/// What running into a directory did.
#[derive(Debug)]
pub struct DirOutcome {
    /// The aggregated results, when every run is recorded (not for a shard).
    pub results: Option<ExperimentResults>,
    /// Runs run now, and runs found already recorded.
    pub ran: usize,
    /// Requests simulated by the runs run now.
    pub simulated_now: u64,
    pub reused: usize,
    /// Whether a cancellation stopped it before every run was done.
    pub interrupted: bool,
    /// Whether it was an interrupted forced run: the directory's earlier
    /// results are as they were, and the runs it recorded are kept aside
    /// ([`out_dir::STAGING`]) for the same forced run to continue.
    pub staged: bool,
}

/// Why an output directory could not be produced.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    #[error("{dir} already holds results ({what}); {}", if *.resumable { "use --resume to complete them or --force to replace them" } else { "use --force to replace them" })]
    Exists {
        dir: PathBuf,
        what: String,
        /// Whether the command has `--resume`.
        resumable: bool,
    },
    #[error("{path} cannot be an output directory: {why}")]
    Refused { path: PathBuf, why: String },
    #[error("{dir} is not a dofleet output directory ({what}): dofleet neither writes into it nor deletes from it, even with --force; choose another directory")]
    Foreign { dir: PathBuf, what: String },
    #[error("{dir} is being written by another dofleet (process {pid}); wait for it to finish or stop it")]
    Locked { dir: PathBuf, pid: u32 },
    #[error("--force and --resume exclude each other")]
    ForceAndResume,
    /// Displayed as the path alone: the OS error is its source, printed
    /// once by whoever prints the chain.
    #[error("{path}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Record(#[from] RecordError),
    #[error(transparent)]
    Run(#[from] RunError),
    #[error("{0}")]
    Merge(String),
}

pub(super) fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> OutputError + '_ {
    move |source| OutputError::Io {
        path: path.to_owned(),
        source,
    }
}

/// The record files in `dir/runs/` (named as records are), sorted by name.
fn record_files(dir: &Path) -> Result<Vec<PathBuf>, OutputError> {
    let runs = dir.join("runs");
    if !runs.is_dir() {
        return Ok(Vec::new());
    }
    let mut files = Vec::new();
    for entry in fs::read_dir(&runs).map_err(io_err(&runs))? {
        let entry = entry.map_err(io_err(&runs))?;
        if out_dir::is_record_name(&entry.file_name().to_string_lossy()) {
            files.push(entry.path());
        }
    }
    files.sort();
    Ok(files)
}

pub(super) const AGGREGATES: [&str; 5] = [
    "summary.csv",
    "runs.csv",
    "latency_cdf.csv",
    "manifest.toml",
    "config.toml",
];

/// Readies `dir` (resolved, locked) and returns the records to keep (when
/// resuming). `resumable`: whether the command offers `--resume`.
pub(super) fn prepare(
    dir: &Path,
    experiment: &Experiment,
    options: OutputOptions,
    resumable: bool,
) -> Result<Vec<RunRecord>, OutputError> {
    if options.force && options.resume {
        return Err(OutputError::ForceAndResume);
    }
    let Some(manifest) = out_dir::inspect(dir)? else {
        return Ok(Vec::new());
    };
    if options.force {
        // Replaced only once the new results are written (`Staging`).
        return Ok(Vec::new());
    }
    let files = record_files(dir)?;
    if files.is_empty() && manifest.runs_present == 0 && manifest.status != "complete" {
        // Stopped before its first run: nothing to keep or to lose.
        return Ok(Vec::new());
    }
    if !options.resume {
        return Err(OutputError::Exists {
            dir: dir.to_owned(),
            what: format!(
                "experiment {:?}, {} of {} runs, {}",
                manifest.experiment, manifest.runs_present, manifest.runs_total, manifest.status
            ),
            resumable,
        });
    }
    if manifest.fingerprint != format!("{:016x}", experiment.fingerprint()) {
        return Err(changed_experiment(dir, experiment));
    }
    load_records(dir, experiment)
}

/// `--resume` with another experiment than the directory's: which line of
/// the resolved experiment differs, as `merge` says it.
fn changed_experiment(dir: &Path, experiment: &Experiment) -> OutputError {
    let theirs = fs::read_to_string(dir.join("config.toml")).unwrap_or_default();
    let what = match super::merge::first_difference(&theirs, &experiment.resolved) {
        Some((line, a, b)) => format!("config.toml line {line} is `{a}` there, `{b}` now"),
        None => "the same settings, but another content of a trace it replays, or another \
                 build of dofleet (its manifest names the commit)"
            .into(),
    };
    OutputError::Merge(format!(
        "{} holds the runs of a different experiment: {what}. Resume with the same experiment \
         file and --set options, or use --force to replace them",
        dir.display()
    ))
}

pub(super) fn write_manifest(dir: &Path, manifest: &Manifest) -> Result<(), OutputError> {
    let text =
        toml::to_string(manifest).map_err(|e| OutputError::Merge(format!("manifest: {e}")))?;
    let path = dir.join("manifest.toml");
    write_atomically(&path, text.as_bytes()).map_err(io_err(&path))
}

/// The manifest of `experiment` with `present` runs done, in state
/// `status`, after `wall` seconds on `threads` threads (0: one per core).
pub fn manifest_of(
    experiment: &Experiment,
    status: &str,
    shard: Option<Shard>,
    present: usize,
    threads: usize,
    wall: f64,
) -> Manifest {
    Manifest {
        dofleet_version: env!("CARGO_PKG_VERSION").into(),
        git_commit: git_commit().into(),
        experiment: experiment.name.clone(),
        fingerprint: format!("{:016x}", experiment.fingerprint()),
        seed: experiment.points.first().map_or(0, |p| p.config.seed),
        status: status.into(),
        shard: shard.map(|s| s.to_string()).unwrap_or_default(),
        runs_total: experiment.runs().len(),
        runs_present: present,
        threads: if threads == 0 {
            rayon::current_num_threads()
        } else {
            threads
        },
        wall_time_s: wall,
        written_unix_s: unix_now(),
        machine: Machine::this(),
    }
}

/// Reads every record of `dir`, refusing one of another experiment, one
/// naming a run outside the experiment, or one whose file name is not its
/// run's (a copy).
pub(super) fn load_records(
    dir: &Path,
    experiment: &Experiment,
) -> Result<Vec<RunRecord>, OutputError> {
    let fingerprint = experiment.fingerprint();
    record_files(dir)?
        .iter()
        .map(|path| {
            let record = RunRecord::load(path, fingerprint)?;
            let spec = record.spec;
            let corrupt = |why: String| RecordError::Corrupt {
                path: path.clone(),
                why,
            };
            if !experiment.contains(spec) {
                return Err(corrupt(format!(
                    "it names point {}, architecture {}, replication {}, outside the experiment",
                    spec.point, spec.variant, spec.replication
                ))
                .into());
            }
            let values = record.summary.values.len();
            if values != METRICS.len() {
                return Err(corrupt(format!(
                    "{values} metric values, expected {}",
                    METRICS.len()
                ))
                .into());
            }
            if path.file_name() != Some(std::ffi::OsStr::new(&record_name(spec))) {
                return Err(corrupt(format!(
                    "it holds run {}, not the run its name says (a copied or renamed record)",
                    record_name(spec)
                ))
                .into());
            }
            Ok(record)
        })
        .collect()
}

/// Runs an experiment into `dir`. A forced run over earlier results runs
/// into a staging directory and replaces them only once it is complete.
pub fn run_to_dir(
    experiment: &Experiment,
    dir: &Path,
    run_options: &RunOptions,
    options: OutputOptions,
    write_results: AggregateWriter,
) -> Result<DirOutcome, OutputError> {
    let started = Instant::now();
    if options.force && options.resume {
        return Err(OutputError::ForceAndResume);
    }
    let dir = &out_dir::resolve(dir)?;
    let _lock = DirLock::take(dir)?;
    let replacing = options.force && out_dir::inspect(dir)?.is_some();
    let kept = prepare(dir, experiment, options, true)?;
    let staging = replacing.then(|| Staging::open(dir)).transpose()?;
    let kept = match &staging {
        Some(staging) => staged_records(staging, experiment)?,
        None => kept,
    };
    let target = staging.as_ref().map_or(dir.as_path(), Staging::path);
    fs::create_dir_all(target.join("runs")).map_err(io_err(target))?;
    let all = experiment.runs();
    let mine = match options.shard {
        Some(shard) => shard.select(&all),
        None => all.clone(),
    };
    let done: std::collections::BTreeSet<RunSpec> = kept.iter().map(|r| r.spec).collect();
    let todo: Vec<RunSpec> = mine.iter().copied().filter(|r| !done.contains(r)).collect();
    let reused = mine.len() - todo.len();
    let manifest = |status: &str, present: usize, wall: f64| {
        manifest_of(
            experiment,
            status,
            options.shard,
            present,
            run_options.threads,
            wall,
        )
    };
    // The manifest first: a directory holding dofleet's files always has
    // one, so an abort here never leaves a directory that needs --force.
    write_manifest(target, &manifest("running", reused, 0.0))?;
    let config_path = target.join("config.toml");
    write_atomically(&config_path, experiment.resolved.as_bytes()).map_err(io_err(&config_path))?;

    let fingerprint = experiment.fingerprint();
    let ran = run_runs(experiment, &todo, run_options, |record| {
        record.save(target, fingerprint).map_err(|e| {
            format!(
                "{}: {e}",
                target.join("runs").join(record_name(record.spec)).display()
            )
        })
    })?;
    let present = reused + ran.len();
    let simulated_now = ran.iter().map(|r| r.arrivals).sum();
    let wall = started.elapsed().as_secs_f64();
    let interrupted = present < mine.len();
    let outcome = |results| DirOutcome {
        results,
        ran: ran.len(),
        simulated_now,
        reused,
        interrupted,
        staged: interrupted && replacing,
    };
    if interrupted && replacing {
        // The earlier results stay; the new runs wait aside for the same
        // forced run to continue them.
        write_manifest(target, &manifest("interrupted", present, wall))?;
        if let Some(staging) = staging {
            staging.keep();
        }
        return Ok(outcome(None));
    }
    // An interrupted run or a shard writes no aggregates: its manifest says
    // which it is, and `--resume` or `dofleet merge` completes it.
    let partial = if interrupted {
        Some("interrupted")
    } else if options.shard.is_some_and(|s| s.count > 1) {
        Some("shard")
    } else {
        None
    };
    if let Some(status) = partial {
        write_manifest(target, &manifest(status, present, wall))?;
        if let Some(staging) = staging {
            staging.commit()?;
        }
        return Ok(outcome(None));
    }
    let records = load_records(target, experiment)?;
    let results = ExperimentResults::gather(experiment, &records);
    write_aggregates(
        target,
        experiment,
        &results,
        &manifest("complete", present, wall),
        write_results,
    )?;
    if let Some(staging) = staging {
        staging.commit()?;
    }
    Ok(outcome(Some(results)))
}

/// The records an interrupted forced run of this same experiment left in
/// the staging directory, checked as `--resume` checks them; anything else
/// there (another experiment's, a record that does not load) is cleared,
/// since a forced run replaces whatever it finds.
fn staged_records(
    staging: &Staging,
    experiment: &Experiment,
) -> Result<Vec<RunRecord>, OutputError> {
    let path = staging.path();
    let fingerprint = format!("{:016x}", experiment.fingerprint());
    let same = matches!(out_dir::inspect(path), Ok(Some(m)) if m.fingerprint == fingerprint);
    if same {
        if let Ok(records) = load_records(path, experiment) {
            return Ok(records);
        }
    }
    staging.clear()?;
    Ok(Vec::new())
}

/// Writes the aggregates, then `complete` as the manifest. Until they are
/// all written the manifest says `interrupted` (every run recorded:
/// `--resume` writes them); if one cannot be written (a full disk), those
/// already written are removed, so no partial set is ever left.
pub(super) fn write_aggregates(
    dir: &Path,
    experiment: &Experiment,
    results: &ExperimentResults,
    complete: &Manifest,
    write_results: AggregateWriter,
) -> Result<(), OutputError> {
    let pending = Manifest {
        status: "interrupted".into(),
        ..complete.clone()
    };
    write_manifest(dir, &pending)?;
    if let Err((path, source)) = write_results(dir, experiment, results) {
        for name in AGGREGATES.iter().chain(&["summary.json"]) {
            if !["manifest.toml", "config.toml"].contains(name) {
                let _ = fs::remove_file(dir.join(name));
            }
        }
        return Err(OutputError::Io { path, source });
    }
    write_manifest(dir, complete)
}
