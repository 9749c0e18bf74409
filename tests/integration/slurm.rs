//! `dofleet slurm`: the scripts it writes (snapshots), their quoting, and
//! what they do when bash runs them as Slurm would (task K, then the
//! merge), with no Slurm installed. scripts/slurm-e2e.sh runs them on a
//! real cluster.

use std::path::{Path, PathBuf};

use assert_cmd::Command;

use super::output_dirs::dofleet;
use predicates::prelude::*;

/// A small sweep: 2 points x 5 architectures x 1 replication = 10 runs.
fn experiment(dir: &Path) -> PathBuf {
    let path = dir.join("small-sweep.toml");
    std::fs::write(
        &path,
        "# Question: none, a test.\nduration = \"1min\"\nreplications = 1\n[workload]\ntenants = 200\n[sweep]\n\"workload.zipf_s\" = [0.8, 1.1]\n",
    )
    .unwrap();
    path
}

/// `dofleet slurm EXPERIMENT --shards N --out OUT`, ready for more arguments.
fn slurm(experiment: &Path, shards: usize, out: &Path) -> Command {
    let mut cmd = dofleet();
    cmd.arg("slurm")
        .arg(experiment)
        .args(["--shards", &shards.to_string()])
        .arg("--out")
        .arg(out);
    cmd
}

fn script(out: &Path, name: &str) -> String {
    let path = out.join("slurm").join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The scripts with this machine's paths replaced by placeholders.
fn redacted(text: &str, tmp: &Path) -> String {
    let bin = assert_cmd::cargo::cargo_bin("dofleet");
    let bin = bin.canonicalize().unwrap_or(bin);
    text.replace(&*bin.to_string_lossy(), "[DOFLEET]")
        .replace(&*tmp.to_string_lossy(), "[TMP]")
        .replace(
            &format!("dofleet {}", env!("CARGO_PKG_VERSION")),
            "dofleet [VERSION]",
        )
}

/// `dofleet run EXPERIMENT --out OUT`, all shards at once, without charts.
fn run_unsharded(experiment: &Path, out: &Path) {
    dofleet()
        .arg("run")
        .arg(experiment)
        .arg("--out")
        .arg(out)
        .args(["--quiet", "--no-plots"])
        .assert()
        .success();
}

/// Runs a generated script with bash, as a Slurm node would.
fn bash(script: &Path) -> Command {
    let mut cmd = Command::new("bash");
    cmd.arg(script);
    cmd
}

#[test]
fn the_scripts_are_readable_and_match_their_snapshots() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("sweep out");
    slurm(&experiment(tmp.path()), 3, &out)
        .args(["--set", "duration=2min", "--set", "workload.tenants=300"])
        .args([
            "--",
            "--partition=short",
            "--time=1:00:00",
            "--comment=a sweep",
        ])
        .assert()
        .success()
        .stderr(predicate::str::contains("bash '"));
    for name in ["shards.sbatch", "merge.sbatch", "submit.sh"] {
        insta::assert_snapshot!(
            format!("slurm_{}", name.replace('.', "_")),
            redacted(&script(&out, name), tmp.path())
        );
    }
}

#[test]
fn task_k_of_the_array_runs_shard_k_of_n() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    slurm(&experiment(tmp.path()), 4, &out).assert().success();
    let shards = script(&out, "shards.sbatch");
    for line in [
        "#SBATCH --array=1-4\n",
        "SHARDS=4\n",
        "K=${SLURM_ARRAY_TASK_ID:?",
        "--shard \"$K/$SHARDS\"",
        "--out \"$OUT/shards/shard-$K\"",
    ] {
        assert!(shards.contains(line), "{line:?} missing in:\n{shards}");
    }
    assert!(script(&out, "submit.sh").contains("TASKS=${1:-1-4}"));
}

#[test]
fn sbatch_options_after_the_double_dash_go_to_both_jobs() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    slurm(&experiment(tmp.path()), 2, &out)
        .args(["--", "--partition=short", "--mem=2G"])
        .assert()
        .success();
    for name in ["shards.sbatch", "merge.sbatch"] {
        let text = script(&out, name);
        assert!(
            text.contains("#SBATCH --partition=short\n#SBATCH --mem=2G\n"),
            "{name}:\n{text}"
        );
    }
}

#[test]
fn set_and_threads_reach_every_task() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    slurm(&experiment(tmp.path()), 2, &out)
        .args([
            "--set",
            "sweep.workload.zipf_s=[0.7, 0.9]",
            "--threads",
            "3",
        ])
        .assert()
        .success();
    let shards = script(&out, "shards.sbatch");
    assert!(
        shards.contains("--set 'sweep.workload.zipf_s=[0.7, 0.9]'"),
        "{shards}"
    );
    assert!(shards.contains("--threads 3\n"), "{shards}");
}

#[test]
fn without_threads_a_task_uses_the_cpus_slurm_gives_it() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    slurm(&experiment(tmp.path()), 2, &out).assert().success();
    assert!(script(&out, "shards.sbatch").contains("--threads \"${SLURM_CPUS_PER_TASK:-1}\""));
}

#[test]
fn zero_shards_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    slurm(&experiment(tmp.path()), 0, &tmp.path().join("out"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--shards must be at least 1"));
    assert!(!tmp.path().join("out").exists());
}

#[test]
fn more_shards_than_runs_is_refused_naming_the_run_count() {
    let tmp = tempfile::tempdir().unwrap();
    slurm(&experiment(tmp.path()), 11, &tmp.path().join("out"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "--shards 11 is more than the experiment's 10 runs",
        ));
}

#[test]
fn a_missing_shards_option_is_a_usage_error() {
    dofleet()
        .args(["slurm", "experiments/zipf-skew.toml"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("--shards"));
}

#[test]
fn an_array_option_is_refused_since_shards_sets_it() {
    let tmp = tempfile::tempdir().unwrap();
    slurm(&experiment(tmp.path()), 2, &tmp.path().join("out"))
        .args(["--", "--array=1-5"])
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("\"--array=1-5\"").and(predicate::str::contains("--shards")),
        );
}

#[test]
fn an_sbatch_argument_that_is_not_an_option_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    slurm(&experiment(tmp.path()), 2, &tmp.path().join("out"))
        .args(["--", "-p", "short"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("\"short\": expected an option"));
}

#[test]
fn existing_scripts_are_not_overwritten_without_force() {
    let tmp = tempfile::tempdir().unwrap();
    let (exp, out) = (experiment(tmp.path()), tmp.path().join("out"));
    slurm(&exp, 2, &out).assert().success();
    slurm(&exp, 3, &out).assert().code(2).stderr(
        predicate::str::contains("already holds Slurm scripts")
            .and(predicate::str::contains("--force")),
    );
    assert!(script(&out, "shards.sbatch").contains("--array=1-2\n"));
    slurm(&exp, 3, &out).arg("--force").assert().success();
    assert!(script(&out, "shards.sbatch").contains("--array=1-3\n"));
}

#[test]
fn an_output_directory_holding_results_is_not_taken_over() {
    let tmp = tempfile::tempdir().unwrap();
    let (exp, out) = (experiment(tmp.path()), tmp.path().join("out"));
    run_unsharded(&exp, &out);
    slurm(&exp, 2, &out)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("already holds results"));
}

#[test]
fn submit_without_sbatch_on_path_fails_clearly_and_keeps_the_scripts() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    slurm(&experiment(tmp.path()), 2, &out)
        .arg("--submit")
        .env("PATH", tmp.path().join("empty"))
        .assert()
        .code(3)
        .stderr(
            predicate::str::contains("sbatch is not on PATH")
                .and(predicate::str::contains("submit.sh"))
                .and(predicate::str::contains("panicked").not()),
        );
    assert!(out.join("slurm/submit.sh").is_file());
}

#[test]
fn submit_submits_the_array_then_the_merge_depending_on_it() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    // A stand-in sbatch: records its arguments, answers job ids 41 then 42.
    let bin = tmp.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    let log = tmp.path().join("sbatch.log");
    let fake = format!(
        "#!/bin/sh\necho \"$@\" >> '{}'\nn=$(wc -l < '{}')\necho \"$((40 + n));cluster\"\n",
        log.display(),
        log.display()
    );
    std::fs::write(bin.join("sbatch"), fake).unwrap();
    std::process::Command::new("chmod")
        .arg("+x")
        .arg(bin.join("sbatch"))
        .status()
        .unwrap();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
    slurm(&experiment(tmp.path()), 3, &out)
        .arg("--submit")
        .env("PATH", path)
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "Submitted job array 41 (shards 1-3 of 3) and merge job 42.",
        ));
    let calls = std::fs::read_to_string(&log).unwrap();
    let calls: Vec<&str> = calls.lines().collect();
    assert_eq!(calls.len(), 2, "{calls:?}");
    assert!(
        calls[0].starts_with("--parsable --array=1-3 ") && calls[0].ends_with("shards.sbatch"),
        "{calls:?}"
    );
    assert!(
        calls[1].starts_with("--parsable --dependency=afterany:41 ")
            && calls[1].ends_with("merge.sbatch"),
        "{calls:?}"
    );
}

#[test]
fn a_task_run_outside_a_job_array_says_to_use_sbatch() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    slurm(&experiment(tmp.path()), 2, &out).assert().success();
    bash(&out.join("slurm/shards.sbatch"))
        .env_remove("SLURM_ARRAY_TASK_ID")
        .assert()
        .failure()
        .stderr(predicate::str::contains("submit this script with sbatch"));
}

#[test]
fn tasks_then_merge_run_by_bash_give_the_unsharded_summary_even_in_a_quoted_path() {
    let tmp = tempfile::tempdir().unwrap();
    let exp = experiment(tmp.path());
    let whole = tmp.path().join("whole");
    run_unsharded(&exp, &whole);
    let out = tmp.path().join("it's a \"sweep\" $HOME");
    slurm(&exp, 3, &out).assert().success();
    for k in 1..=3 {
        bash(&out.join("slurm/shards.sbatch"))
            .env("SLURM_ARRAY_TASK_ID", k.to_string())
            .assert()
            .success();
        assert!(out
            .join(format!("shards/shard-{k}/manifest.toml"))
            .is_file());
    }
    bash(&out.join("slurm/merge.sbatch"))
        .assert()
        .success()
        .stderr(predicate::str::contains("Merged 3 shards"));
    assert_eq!(
        std::fs::read(whole.join("summary.csv")).unwrap(),
        std::fs::read(out.join("summary.csv")).unwrap()
    );
    assert!(out.join("report.html").is_file());
}
