//! Output directories: the files a run writes, never overwriting without
//! --force, resuming after an interruption, and shards that merge into
//! exactly the files of one unsharded run.

use std::path::Path;

use assert_cmd::Command;
use predicates::prelude::*;

const AGGREGATES: [&str; 4] = ["summary.csv", "runs.csv", "latency_cdf.csv", "config.toml"];

pub fn dofleet() -> Command {
    Command::cargo_bin("dofleet").unwrap()
}

/// A small sweep: 2 points x 5 architectures x 2 replications = 20 runs.
pub fn experiment(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("small-sweep.toml");
    std::fs::write(
        &path,
        r#"
# Question: none, a test.
duration = "1min"
replications = 2
[workload]
tenants = 300
[sweep]
"workload.zipf_s" = [0.8, 1.1]
"#,
    )
    .unwrap();
    path
}

/// `dofleet merge SHARD... --out OUT`, run.
pub fn merge(shards: &[std::path::PathBuf], out: &Path) -> assert_cmd::assert::Assert {
    dofleet()
        .arg("merge")
        .args(shards)
        .arg("--out")
        .arg(out)
        .assert()
}

/// `dofleet run EXPERIMENT --out DIR`, ready for more arguments.
pub fn run_into(experiment: &Path, out: &Path) -> Command {
    let mut cmd = dofleet();
    cmd.arg("run").arg(experiment).arg("--out").arg(out);
    cmd
}

fn read(dir: &Path, name: &str) -> Vec<u8> {
    std::fs::read(dir.join(name)).unwrap_or_else(|e| panic!("{}: {e}", dir.join(name).display()))
}

pub fn assert_same_aggregates(a: &Path, b: &Path) {
    for f in AGGREGATES {
        assert!(
            read(a, f) == read(b, f),
            "{f} differs between {} and {}",
            a.display(),
            b.display()
        );
    }
}

#[test]
fn a_run_writes_summary_runs_cdf_config_manifest_and_records() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    dofleet()
        .arg("run")
        .arg(experiment(tmp.path()))
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    for f in AGGREGATES.iter().chain(&["manifest.toml"]) {
        assert!(out.join(f).is_file(), "{f} missing");
    }
    assert_eq!(std::fs::read_dir(out.join("runs")).unwrap().count(), 20);
    let summary = String::from_utf8(read(&out, "summary.csv")).unwrap();
    assert_eq!(summary.lines().count(), 1 + 10);
    let header = summary.lines().next().unwrap();
    assert!(
        header.contains(",workload.zipf_s,") && header.contains("latency_p99_ms_ci95"),
        "{header}"
    );
    assert_eq!(
        String::from_utf8(read(&out, "runs.csv"))
            .unwrap()
            .lines()
            .count(),
        1 + 20
    );
    let manifest = String::from_utf8(read(&out, "manifest.toml")).unwrap();
    assert!(
        manifest.contains("status = \"complete\"") && manifest.contains("runs_present = 20"),
        "{manifest}"
    );
}

#[test]
fn existing_results_are_not_overwritten_without_force() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let exp = experiment(tmp.path());
    run_into(&exp, &out).assert().success();
    run_into(&exp, &out)
        .assert()
        .failure()
        .stderr(predicate::str::contains("--force"));
    run_into(&exp, &out).arg("--force").assert().success();
}

#[test]
fn the_thread_count_does_not_change_any_output_file() {
    let tmp = tempfile::tempdir().unwrap();
    let exp = experiment(tmp.path());
    let (one, four) = (tmp.path().join("one"), tmp.path().join("four"));
    run_into(&exp, &one)
        .args(["--threads", "1"])
        .assert()
        .success();
    run_into(&exp, &four)
        .args(["--threads", "4"])
        .assert()
        .success();
    assert_same_aggregates(&one, &four);
}

#[test]
fn resume_after_losing_runs_completes_to_the_same_bytes() {
    let tmp = tempfile::tempdir().unwrap();
    let exp = experiment(tmp.path());
    let (whole, resumed) = (tmp.path().join("whole"), tmp.path().join("resumed"));
    run_into(&exp, &whole).assert().success();
    run_into(&exp, &resumed).assert().success();
    // Simulate an interruption: drop the aggregates and half the records.
    for f in ["summary.csv", "runs.csv", "latency_cdf.csv"] {
        std::fs::remove_file(resumed.join(f)).unwrap();
    }
    let mut records: Vec<_> = std::fs::read_dir(resumed.join("runs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    records.sort();
    for r in records.iter().step_by(2) {
        std::fs::remove_file(r).unwrap();
    }
    run_into(&exp, &resumed)
        .arg("--resume")
        .assert()
        .success()
        .stderr(predicate::str::contains("10 runs were already recorded"));
    assert_same_aggregates(&whole, &resumed);
}

#[test]
fn shards_merge_into_exactly_the_unsharded_files() {
    let tmp = tempfile::tempdir().unwrap();
    let exp = experiment(tmp.path());
    let whole = tmp.path().join("whole");
    run_into(&exp, &whole).assert().success();
    let mut shards = Vec::new();
    for k in 1..=3 {
        let dir = tmp.path().join(format!("shard{k}"));
        run_into(&exp, &dir)
            .args(["--shard", &format!("{k}/3")])
            .assert()
            .success();
        assert!(
            !dir.join("summary.csv").exists(),
            "a shard writes no aggregates"
        );
        shards.push(dir);
    }
    let merged = tmp.path().join("merged");
    merge(&shards, &merged).success();
    assert_same_aggregates(&whole, &merged);
}

#[test]
fn merge_refuses_an_incomplete_set_of_shards() {
    let tmp = tempfile::tempdir().unwrap();
    let exp = experiment(tmp.path());
    let dir = tmp.path().join("shard1");
    run_into(&exp, &dir)
        .args(["--shard", "1/3"])
        .assert()
        .success();
    merge(&[dir], &tmp.path().join("merged"))
        .failure()
        .stderr(predicate::str::contains("incomplete"));
}

#[test]
fn merge_refuses_shards_of_different_experiments() {
    let tmp = tempfile::tempdir().unwrap();
    let exp = experiment(tmp.path());
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    run_into(&exp, &a)
        .args(["--shard", "1/2"])
        .assert()
        .success();
    run_into(&exp, &b)
        .args(["--shard", "2/2", "--set", "seed=99"])
        .assert()
        .success();
    merge(&[a, b], &tmp.path().join("merged"))
        .failure()
        .stderr(predicate::str::contains("different experiment"));
}

#[test]
fn ctrl_c_keeps_finished_runs_and_resume_completes_them_to_the_same_bytes() {
    interrupt_then_resume("-INT");
}

/// `scancel` and Kubernetes stop a task with SIGTERM: the same as Ctrl-C.
#[test]
fn sigterm_keeps_finished_runs_and_resume_completes_them_to_the_same_bytes() {
    interrupt_then_resume("-TERM");
}

/// Runs a slow experiment, sends `signal` once a run is recorded, then
/// resumes: the result is the uninterrupted run's, byte for byte.
fn interrupt_then_resume(signal: &str) {
    let tmp = tempfile::tempdir().unwrap();
    let exp = tmp.path().join("slow.toml");
    // 12 runs of a few hundred milliseconds each, on one thread.
    std::fs::write(&exp, "duration = \"20min\"\nreplications = 3\narchitectures = [\"hybrid\", \"thin\", \"lazy\", \"traditional\"]\n[workload]\ntenants = 20000\nrate_rps = 500.0\n").unwrap();
    let (whole, cut) = (tmp.path().join("whole"), tmp.path().join("cut"));
    run_into(&exp, &whole).assert().success();

    let bin = assert_cmd::cargo::cargo_bin("dofleet");
    let child = std::process::Command::new(bin)
        .arg("run")
        .arg(&exp)
        .arg("--out")
        .arg(&cut)
        .args(["--threads", "1"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Interrupt once the first run is recorded.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while std::fs::read_dir(cut.join("runs"))
        .map(|d| d.count())
        .unwrap_or(0)
        == 0
    {
        assert!(
            std::time::Instant::now() < deadline,
            "no run finished in 60 s"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let status = std::process::Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let recorded = std::fs::read_dir(cut.join("runs")).unwrap().count();
    if out.status.code() == Some(130) {
        assert!(stderr.contains("--resume"), "{stderr}");
        assert!(recorded < 12, "{recorded} runs recorded");
        assert!(
            !cut.join("summary.csv").exists(),
            "no aggregates from an interrupted run"
        );
        let manifest = std::fs::read_to_string(cut.join("manifest.toml")).unwrap();
        assert!(manifest.contains("status = \"interrupted\""), "{manifest}");
        run_into(&exp, &cut).arg("--resume").assert().success();
    } else {
        // The machine finished every run before the signal arrived.
        assert!(out.status.success(), "{stderr}");
    }
    assert_same_aggregates(&whole, &cut);
}
