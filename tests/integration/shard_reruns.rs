//! Merging shards: a failed or cancelled shard is rerun alone and the merge
//! then gives the unsharded files; a merge of an incomplete or mismatched
//! set refuses, naming the shard directory and what is missing or differs.

use std::path::{Path, PathBuf};

use predicates::prelude::*;

use super::output_dirs::{assert_same_aggregates, experiment, merge, run_into};

/// Runs shards 1..=3 of 3 into `tmp/shard-K`, with extra arguments for
/// shard `odd` (if any).
fn three_shards(exp: &Path, tmp: &Path, odd: Option<(usize, &[&str])>) -> Vec<PathBuf> {
    (1..=3)
        .map(|k| {
            let dir = tmp.join(format!("shard-{k}"));
            let mut cmd = run_into(exp, &dir);
            cmd.args(["--shard", &format!("{k}/3"), "--quiet"]);
            if let Some((_, extra)) = odd.filter(|(o, _)| *o == k) {
                cmd.args(extra);
            }
            cmd.assert().success();
            dir
        })
        .collect()
}

fn run_whole(exp: &Path, tmp: &Path) -> PathBuf {
    let whole = tmp.join("whole");
    run_into(exp, &whole).arg("--quiet").assert().success();
    whole
}

#[test]
fn a_shard_that_lost_runs_is_rerun_alone_with_resume_and_the_merge_then_matches() {
    let tmp = tempfile::tempdir().unwrap();
    let exp = experiment(tmp.path());
    let whole = run_whole(&exp, tmp.path());
    let shards = three_shards(&exp, tmp.path(), None);
    // A cancelled task: some of shard 2's records never written.
    let mut records: Vec<_> = std::fs::read_dir(shards[1].join("runs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    records.sort();
    for r in records.iter().step_by(2) {
        std::fs::remove_file(r).unwrap();
    }
    let merged = tmp.path().join("merged");
    merge(&shards, &merged).failure().stderr(
        predicate::str::contains("incomplete")
            .and(predicate::str::contains("shard 2/3 in"))
            .and(predicate::str::contains("shard-2"))
            .and(predicate::str::contains("--resume")),
    );
    assert!(
        !merged.join("summary.csv").exists(),
        "a refused merge writes nothing"
    );
    run_into(&exp, &shards[1])
        .args(["--shard", "2/3", "--resume", "--quiet"])
        .assert()
        .success()
        .stderr(predicate::str::contains("already recorded and reused"));
    merge(&shards, &merged).success();
    assert_same_aggregates(&whole, &merged);
}

#[test]
fn a_shard_rerun_with_force_merges_to_the_same_bytes() {
    let tmp = tempfile::tempdir().unwrap();
    let exp = experiment(tmp.path());
    let whole = run_whole(&exp, tmp.path());
    let shards = three_shards(&exp, tmp.path(), None);
    run_into(&exp, &shards[2])
        .args(["--shard", "3/3", "--force", "--quiet"])
        .assert()
        .success();
    let merged = tmp.path().join("merged");
    merge(&shards, &merged).success();
    assert_same_aggregates(&whole, &merged);
}

#[test]
fn merge_names_a_shard_directory_that_does_not_exist() {
    let tmp = tempfile::tempdir().unwrap();
    let exp = experiment(tmp.path());
    let shards = three_shards(&exp, tmp.path(), None);
    std::fs::remove_dir_all(&shards[2]).unwrap();
    merge(&shards, &tmp.path().join("merged"))
        .failure()
        .stderr(predicate::str::contains("shard-3 does not exist"));
}

#[test]
fn merge_names_a_shard_left_out_of_the_set() {
    let tmp = tempfile::tempdir().unwrap();
    let exp = experiment(tmp.path());
    let shards = three_shards(&exp, tmp.path(), None);
    merge(&shards[..2], &tmp.path().join("merged"))
        .failure()
        .stderr(predicate::str::contains(
            "shard 3/3 (no directory of it given)",
        ));
}

#[test]
fn merge_names_the_seed_when_a_shard_ran_with_another() {
    let tmp = tempfile::tempdir().unwrap();
    let exp = experiment(tmp.path());
    let shards = three_shards(&exp, tmp.path(), Some((2, &["--set", "seed=99"])));
    merge(&shards, &tmp.path().join("merged")).failure().stderr(
        predicate::str::contains("shard-2 holds a different experiment than")
            .and(predicate::str::contains("seed 99, not 1")),
    );
}

#[test]
fn merge_names_the_setting_that_differs() {
    let tmp = tempfile::tempdir().unwrap();
    let exp = experiment(tmp.path());
    let shards = three_shards(
        &exp,
        tmp.path(),
        Some((3, &["--set", "workload.tenants=301"])),
    );
    merge(&shards, &tmp.path().join("merged")).failure().stderr(
        predicate::str::contains("shard-3 holds a different experiment")
            .and(predicate::str::contains("tenants = 301")),
    );
}

#[test]
fn merge_names_the_experiment_when_a_shard_is_of_another() {
    let tmp = tempfile::tempdir().unwrap();
    let exp = experiment(tmp.path());
    let shards = three_shards(&exp, tmp.path(), Some((2, &["--set", "name=other"])));
    merge(&shards, &tmp.path().join("merged"))
        .failure()
        .stderr(predicate::str::contains(
            "experiment \"other\", not \"small-sweep\"",
        ));
}

#[test]
fn merge_refuses_a_shard_of_another_dofleet_version() {
    let tmp = tempfile::tempdir().unwrap();
    let exp = experiment(tmp.path());
    let shards = three_shards(&exp, tmp.path(), None);
    let manifest = shards[1].join("manifest.toml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    let old = text.replace(
        &format!("dofleet_version = \"{}\"", env!("CARGO_PKG_VERSION")),
        "dofleet_version = \"0.0.1\"",
    );
    assert_ne!(old, text);
    std::fs::write(&manifest, old).unwrap();
    merge(&shards, &tmp.path().join("merged")).failure().stderr(
        predicate::str::contains("shard-2 was written by dofleet 0.0.1").and(
            predicate::str::contains(format!("this is dofleet {}", env!("CARGO_PKG_VERSION"))),
        ),
    );
}
