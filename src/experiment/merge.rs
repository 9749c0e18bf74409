//! Merging shard directories of one experiment into one output directory.
//!
//! Invariants: a merge writes nothing unless every shard directory holds
//! the same experiment (name, seed, every setting) written by this dofleet
//! version, and together they hold every run; records of one run found in
//! two shards must be identical. Each refusal names the shard directory and
//! what differs or is missing, and says which shards to rerun: a task that
//! failed or was cancelled is rerun alone (`--shard K/N --resume`), then
//! the merge runs again.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::Instant;

use super::manifest::Manifest;
use super::out_dir::{self, DirLock, Staging};
use super::output::{
    io_err, load_records, manifest_of, prepare, write_aggregates, AggregateWriter, OutputError,
};
use super::record::record_name;
use super::{Experiment, ExperimentResults, OutputOptions, RunRecord, RunSpec, Shard};
use crate::atomic_write::write_atomically;

/// Merges shard directories of one experiment into `out`. `experiment` is
/// the experiment re-read from the first shard's `config.toml`; every shard
/// must carry its fingerprint, and together they must hold every run.
pub fn merge_dirs(
    experiment: &Experiment,
    shards: &[PathBuf],
    out: &Path,
    force: bool,
    write_results: AggregateWriter,
) -> Result<ExperimentResults, OutputError> {
    let started = Instant::now();
    let first = shards
        .first()
        .ok_or_else(|| OutputError::Merge("no shard directories to merge".into()))?;
    let fingerprint = experiment.fingerprint();
    let mut manifests = Vec::new();
    let mut found: BTreeMap<RunSpec, (RunRecord, PathBuf)> = BTreeMap::new();
    for dir in shards {
        let manifest = read_manifest(dir)?;
        check_same_experiment(experiment, first, dir, &manifest)?;
        let records = load_records(dir, experiment)?;
        let recorded = records.len();
        for record in records {
            let spec = record.spec;
            if let Some((other, other_dir)) = found.get(&spec) {
                if other.to_bytes(fingerprint) != record.to_bytes(fingerprint) {
                    return Err(OutputError::Merge(format!(
                        "run {} differs between {} and {}",
                        record_name(spec),
                        other_dir.display(),
                        dir.display()
                    )));
                }
                continue;
            }
            found.insert(spec, (record, dir.clone()));
        }
        manifests.push((dir.clone(), manifest, recorded));
    }
    let missing: Vec<usize> = experiment
        .runs()
        .iter()
        .enumerate()
        .filter(|(_, r)| !found.contains_key(r))
        .map(|(i, _)| i)
        .collect();
    if !missing.is_empty() {
        return Err(incomplete(experiment, &missing, &manifests));
    }
    let records: Vec<RunRecord> = found.into_values().map(|(r, _)| r).collect();
    let out = &out_dir::resolve(out)?;
    if shards
        .iter()
        .any(|s| out_dir::resolve(s).ok().as_deref() == Some(out.as_path()))
    {
        return Err(OutputError::Refused {
            path: out.clone(),
            why: "it is one of the shard directories being merged".into(),
        });
    }
    let _lock = DirLock::take(out)?;
    prepare(
        out,
        experiment,
        OutputOptions {
            force,
            ..OutputOptions::default()
        },
        false,
    )?;
    // Everything is written aside, then swapped in: a merge that fails
    // (a full disk) leaves the directory as it was.
    let staging = Staging::new(out)?;
    let target = staging.path();
    for record in &records {
        record.save(target, fingerprint).map_err(io_err(target))?;
    }
    let config_path = target.join("config.toml");
    write_atomically(&config_path, experiment.resolved.as_bytes()).map_err(io_err(&config_path))?;
    let results = ExperimentResults::gather(experiment, &records);
    let complete = manifest_of(
        experiment,
        "complete",
        None,
        records.len(),
        0,
        started.elapsed().as_secs_f64(),
    );
    write_aggregates(target, experiment, &results, &complete, write_results)?;
    staging.commit()?;
    Ok(results)
}

/// The manifest of a shard directory, or why there is none.
fn read_manifest(dir: &Path) -> Result<Manifest, OutputError> {
    if !dir.is_dir() {
        return Err(OutputError::Merge(format!(
            "shard directory {} does not exist: its shard never ran (run it, then merge again)",
            dir.display()
        )));
    }
    let path = dir.join("manifest.toml");
    if !path.is_file() {
        return Err(OutputError::Merge(format!(
            "{} has no manifest.toml: not a dofleet output directory, or its shard never started (run it, then merge again)",
            dir.display()
        )));
    }
    let text = fs::read_to_string(&path).map_err(io_err(&path))?;
    toml::from_str(&text)
        .map_err(|e| OutputError::Merge(format!("{}: not a dofleet manifest: {e}", path.display())))
}

/// Refuses a shard of another dofleet version or another experiment,
/// saying what differs from the first shard.
fn check_same_experiment(
    experiment: &Experiment,
    first: &Path,
    dir: &Path,
    manifest: &Manifest,
) -> Result<(), OutputError> {
    let this = env!("CARGO_PKG_VERSION");
    if manifest.dofleet_version != this {
        return Err(OutputError::Merge(format!(
            "{} was written by dofleet {}, this is dofleet {this}: rerun that shard with this dofleet",
            dir.display(),
            manifest.dofleet_version,
        )));
    }
    if manifest.fingerprint == format!("{:016x}", experiment.fingerprint()) {
        return Ok(());
    }
    let seed = experiment.points.first().map_or(0, |p| p.config.seed);
    let what = if manifest.experiment != experiment.name {
        format!(
            "experiment {:?}, not {:?}",
            manifest.experiment, experiment.name
        )
    } else if manifest.seed != seed {
        format!("seed {}, not {seed}", manifest.seed)
    } else {
        let config = dir.join("config.toml");
        let theirs = fs::read_to_string(&config).unwrap_or_default();
        match first_difference(&theirs, &experiment.resolved) {
            Some((line, a, b)) => format!(
                "other settings: config.toml line {line} is `{a}` there, `{b}` in {}",
                first.display()
            ),
            None => "the same settings, but another content of a trace it replays, or another build of dofleet (its manifest names the commit)".into(),
        }
    };
    Err(OutputError::Merge(format!(
        "{} holds a different experiment than {}: {what}. The shards of one merge come from one experiment file with the same --set options",
        dir.display(),
        first.display()
    )))
}

/// The first line (1-based) where `a` and `b` differ, and the two lines.
pub(super) fn first_difference<'t>(a: &'t str, b: &'t str) -> Option<(usize, &'t str, &'t str)> {
    let (mut la, mut lb) = (a.lines(), b.lines());
    for line in 1.. {
        match (la.next(), lb.next()) {
            (None, None) => return None,
            (x, y) if x == y => continue,
            (x, y) => return Some((line, x.unwrap_or("(end)"), y.unwrap_or("(end)"))),
        }
    }
    None
}

/// Which runs are missing, from which shards, and what to rerun.
fn incomplete(
    experiment: &Experiment,
    missing: &[usize],
    manifests: &[(PathBuf, Manifest, usize)],
) -> OutputError {
    let runs = experiment.runs();
    let names: Vec<String> = missing
        .iter()
        .take(5)
        .map(|&i| record_name(runs[i]))
        .collect();
    let mut message = format!(
        "the shards are incomplete: {} of {} runs missing (first: {})",
        missing.len(),
        runs.len(),
        names.join(", ")
    );
    let shard_of = |m: &Manifest| m.shard.parse::<Shard>().ok();
    let Some(count) = manifests
        .iter()
        .find_map(|(_, m, _)| shard_of(m))
        .map(|s| s.count)
    else {
        message += "; rerun the directories that hold them (see each one's manifest.toml)";
        return OutputError::Merge(message);
    };
    let mut lacking: Vec<usize> = missing.iter().map(|i| i % count + 1).collect();
    lacking.sort_unstable();
    lacking.dedup();
    let described: Vec<String> = lacking
        .iter()
        .map(|&index| {
            let shard = Shard { index, count };
            let given = manifests
                .iter()
                .find(|(_, m, _)| shard_of(m) == Some(shard));
            match given {
                Some((dir, m, recorded)) => format!(
                    "shard {shard} in {} ({}: {recorded} of {} runs recorded)",
                    dir.display(),
                    describe_status(&m.status),
                    shard.select(&runs).len()
                ),
                None => format!("shard {shard} (no directory of it given)"),
            }
        })
        .collect();
    message += &format!(
        ". Missing: {}. Rerun each (dofleet run FILE --shard K/N --out DIR --resume, or sbatch --array=K shards.sbatch), then merge again",
        described.join("; ")
    );
    OutputError::Merge(message)
}

fn describe_status(status: &str) -> &str {
    match status {
        "running" => "still running, or killed",
        "interrupted" => "interrupted",
        "shard" => "finished, yet lacking runs",
        other => other,
    }
}
