//! Replacing results and a full disk (issue 21, items 9 and 10): `--force`
//! replaces the old results only once the new ones exist; a full disk while
//! aggregating or drawing charts exits 3 and leaves no partial set of
//! aggregates and no manifest saying `running`. A full disk is simulated by
//! the `DOFLEET_TEST_DISK_FULL` seam of `report/atomic.rs`.

use std::fs;
use std::path::Path;
use std::process::{Command as Process, Stdio};
use std::time::{Duration, Instant};

use predicates::prelude::*;

use super::{dofleet, run_ok, small, snapshot};

fn status(out: &Path) -> String {
    let manifest = fs::read_to_string(out.join("manifest.toml")).unwrap();
    let line = manifest
        .lines()
        .find(|l| l.starts_with("status = "))
        .unwrap_or_default();
    line.trim_start_matches("status = ")
        .trim_matches('"')
        .to_string()
}

/// The records an interrupted forced run keeps aside.
fn staged_records(out: &Path) -> usize {
    match fs::read_dir(out.join(".dofleet-forced").join("runs")) {
        Ok(entries) => entries.filter_map(Result::ok).count(),
        Err(_) => 0,
    }
}

/// Every file under `out` but the staging directory.
fn results_of(out: &Path) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    let staging = out.join(".dofleet-forced");
    snapshot(out)
        .into_iter()
        .filter(|(path, _)| !path.starts_with(&staging))
        .collect()
}

#[test]
fn an_interrupted_forced_run_keeps_the_old_results_and_the_next_forced_run_continues_it() {
    let tmp = tempfile::tempdir().unwrap();
    let exp = small(tmp.path(), "e.toml", "");
    let out = tmp.path().join("out");
    run_ok(&exp, &out);
    let before = snapshot(&out);
    // Six runs of 1.8 M requests: about a second each on one thread.
    let long = tmp.path().join("long.toml");
    fs::write(
        &long,
        "duration = \"1h\"\nreplications = 6\narchitectures = [\"thin\"]\n\
         [workload]\ntenants = 20\nrate_rps = 500\n",
    )
    .unwrap();
    let forced = |args: &[&str]| {
        let mut cmd = Process::new(assert_cmd::cargo::cargo_bin("dofleet"));
        cmd.arg("run")
            .arg(&long)
            .arg("--out")
            .arg(&out)
            .args(["--quiet", "--force", "--no-plots", "--threads", "1"])
            .args(args);
        cmd
    };
    let child = forced(&[])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while staged_records(&out) == 0 && started.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(20));
    }
    let pid = libc::pid_t::try_from(child.id()).unwrap();
    // SAFETY: kill(2) on our own child, which has not been waited for.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGINT) }, 0);
    let done = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&done.stderr);
    assert_eq!(done.status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("earlier results"), "{stderr}");
    assert!(stderr.contains("--force"), "{stderr}");
    // The old results are byte for byte as they were; the new runs wait
    // aside.
    assert_eq!(results_of(&out), before, "the old results changed");
    let kept = staged_records(&out);
    assert!((1..6).contains(&kept), "{kept} records kept aside");

    // The same forced command continues it, and ends where an
    // uninterrupted run ends.
    let again = forced(&[]).output().unwrap();
    let stderr = String::from_utf8_lossy(&again.stderr);
    assert!(again.status.success(), "{stderr}");
    assert!(
        stderr.contains(&format!("({kept} runs were already recorded and reused.)")),
        "{stderr}"
    );
    assert!(!out.join(".dofleet-forced").exists());
    let fresh = tmp.path().join("fresh");
    run_ok(&long, &fresh);
    for name in ["summary.csv", "runs.csv", "latency_cdf.csv", "config.toml"] {
        assert_eq!(
            fs::read(out.join(name)).unwrap(),
            fs::read(fresh.join(name)).unwrap(),
            "{name}"
        );
    }
}

#[test]
fn a_forced_run_of_another_experiment_clears_what_an_interrupted_one_kept() {
    let tmp = tempfile::tempdir().unwrap();
    let exp = small(tmp.path(), "e.toml", "");
    let out = tmp.path().join("out");
    run_ok(&exp, &out);
    // What an interrupted forced run of another experiment left aside.
    let aside = out.join(".dofleet-forced");
    fs::create_dir_all(aside.join("runs")).unwrap();
    fs::copy(out.join("manifest.toml"), aside.join("manifest.toml")).unwrap();
    fs::write(aside.join("runs").join("p00000-a00-r00000.run"), "other").unwrap();
    let other = small(tmp.path(), "other.toml", "seed = 7");
    dofleet()
        .arg("run")
        .arg(&other)
        .arg("--out")
        .arg(&out)
        .args(["--quiet", "--force", "--no-plots"])
        .assert()
        .success()
        .stderr(predicate::str::contains("reused").not());
    assert!(!aside.exists());
    let fresh = tmp.path().join("fresh");
    run_ok(&other, &fresh);
    assert_eq!(
        fs::read(out.join("summary.csv")).unwrap(),
        fs::read(fresh.join("summary.csv")).unwrap()
    );
}

#[test]
fn a_forced_run_replaces_the_old_results_and_an_earlier_experiments_charts() {
    let tmp = tempfile::tempdir().unwrap();
    let sweep = tmp.path().join("sweep.toml");
    fs::write(
        &sweep,
        "duration = \"5s\"\nreplications = 1\n[workload]\ntenants = 20\nrate_rps = 5\n\
         [sweep]\n\"workload.zipf_s\" = [0.5, 1.0]\n",
    )
    .unwrap();
    let out = tmp.path().join("out");
    dofleet()
        .arg("run")
        .arg(&sweep)
        .arg("--out")
        .arg(&out)
        .arg("--quiet")
        .assert()
        .success();
    let charts = |prefix: &str| {
        fs::read_dir(&out)
            .unwrap()
            .filter_map(Result::ok)
            .filter(|e| e.file_name().to_string_lossy().starts_with(prefix))
            .count()
    };
    assert!(charts("sweep-") > 0, "the sweep drew no sweep chart");
    let single = small(tmp.path(), "e.toml", "");
    dofleet()
        .arg("run")
        .arg(&single)
        .arg("--out")
        .arg(&out)
        .args(["--quiet", "--force"])
        .assert()
        .success();
    assert_eq!(
        charts("sweep-"),
        0,
        "the earlier experiment's charts stayed"
    );
    assert_eq!(status(&out), "complete");
    // Only the new experiment's 5 records.
    assert_eq!(fs::read_dir(out.join("runs")).unwrap().count(), 5);
    assert!(!out.join(".dofleet-forced").exists());
}

#[test]
fn a_full_disk_while_aggregating_exits_3_and_resume_completes() {
    let tmp = tempfile::tempdir().unwrap();
    let exp = small(tmp.path(), "e.toml", "");
    let out = tmp.path().join("out");
    dofleet()
        .arg("run")
        .arg(&exp)
        .arg("--out")
        .arg(&out)
        .args(["--quiet", "--no-plots"])
        .env("DOFLEET_TEST_DISK_FULL", "latency_cdf.csv")
        .assert()
        .code(3)
        .stderr(
            predicate::str::contains("latency_cdf.csv")
                .and(predicate::str::contains("No space left")),
        );
    assert_eq!(status(&out), "interrupted");
    for name in ["summary.csv", "runs.csv", "latency_cdf.csv", "summary.json"] {
        assert!(!out.join(name).exists(), "{name} left behind");
    }
    dofleet()
        .arg("run")
        .arg(&exp)
        .arg("--out")
        .arg(&out)
        .args(["--quiet", "--no-plots", "--resume"])
        .assert()
        .success()
        .stderr(predicate::str::contains("5 runs were already recorded"));
    assert_eq!(status(&out), "complete");
    assert!(out.join("latency_cdf.csv").is_file());
}

#[test]
fn a_full_disk_while_drawing_charts_exits_3_and_keeps_the_results() {
    let tmp = tempfile::tempdir().unwrap();
    let exp = small(tmp.path(), "e.toml", "");
    let out = tmp.path().join("out");
    dofleet()
        .arg("run")
        .arg(&exp)
        .arg("--out")
        .arg(&out)
        .arg("--quiet")
        .env("DOFLEET_TEST_DISK_FULL", "latency_cdf.png")
        .assert()
        .code(3)
        .stderr(
            predicate::str::contains("latency_cdf.png")
                .and(predicate::str::contains("dofleet plot")),
        );
    assert_eq!(status(&out), "complete");
    assert!(out.join("summary.csv").is_file());
}

#[test]
fn a_full_disk_on_a_forced_merge_leaves_the_old_directory() {
    let tmp = tempfile::tempdir().unwrap();
    let exp = small(tmp.path(), "e.toml", "");
    let (a, b, out) = (
        tmp.path().join("a"),
        tmp.path().join("b"),
        tmp.path().join("out"),
    );
    for (shard, dir) in [("1/2", &a), ("2/2", &b)] {
        dofleet()
            .arg("run")
            .arg(&exp)
            .arg("--out")
            .arg(dir)
            .args(["--quiet", "--shard", shard])
            .assert()
            .success();
    }
    dofleet()
        .args(["merge", "--quiet", "--out"])
        .arg(&out)
        .arg(&a)
        .arg(&b)
        .assert()
        .success();
    let before = snapshot(&out);
    dofleet()
        .args(["merge", "--quiet", "--force", "--out"])
        .arg(&out)
        .arg(&a)
        .arg(&b)
        .env("DOFLEET_TEST_DISK_FULL", "runs.csv")
        .assert()
        .code(3);
    assert_eq!(snapshot(&out), before);
    assert!(!out.join(".dofleet-forced").exists());
}

#[test]
fn a_failure_before_the_first_run_needs_no_force_to_rerun() {
    let tmp = tempfile::tempdir().unwrap();
    let exp = small(tmp.path(), "e.toml", "");
    let out = tmp.path().join("out");
    dofleet()
        .arg("run")
        .arg(&exp)
        .arg("--out")
        .arg(&out)
        .args(["--quiet", "--no-plots"])
        .env("DOFLEET_TEST_DISK_FULL", "config.toml")
        .assert()
        .code(3);
    run_ok(&exp, &out);
}

#[test]
fn report_out_needs_force_to_replace_a_report() {
    let tmp = tempfile::tempdir().unwrap();
    let exp = small(tmp.path(), "e.toml", "");
    let out = tmp.path().join("out");
    run_ok(&exp, &out);
    let page = tmp.path().join("page.html");
    let report = |force: bool| {
        let mut cmd = dofleet();
        cmd.arg("report").arg(&out).arg("--out").arg(&page);
        if force {
            cmd.arg("--force");
        }
        cmd.assert()
    };
    report(false).success();
    report(false)
        .code(2)
        .stderr(predicate::str::contains("--force"));
    report(true).success();
}
