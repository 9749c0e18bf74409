//! Inputs that once hung, wrapped time or exhausted the machine (issue 21,
//! items 2, 6 and 7): each is refused before anything runs, with the key
//! named, and leaves nothing behind.

use std::path::Path;

use predicates::prelude::*;

use super::{dofleet, small};

/// Runs `small.toml` with `sets`; it must be refused (exit 2) with every
/// one of `needles` in its message, and write nothing.
fn refused(dir: &Path, sets: &[&str], needles: &[&str]) {
    let exp = small(dir, "e.toml", "");
    let out = dir.join("out");
    let mut cmd = dofleet();
    cmd.arg("run")
        .arg(&exp)
        .arg("--out")
        .arg(&out)
        .arg("--quiet");
    for s in sets {
        cmd.args(["--set", s]);
    }
    let done = cmd
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&done.stderr);
    assert_eq!(done.status.code(), Some(2), "{sets:?}: {stderr}");
    for needle in needles {
        assert!(
            stderr.contains(needle),
            "{sets:?}: no {needle:?} in {stderr}"
        );
    }
    assert!(!out.exists(), "{sets:?} wrote {}", out.display());
}

#[test]
fn a_nanosecond_mmpp_sojourn_and_prewarm_tick_are_refused_not_run_for_ever() {
    let tmp = tempfile::tempdir().unwrap();
    refused(
        tmp.path(),
        &[
            "workload.arrivals=mmpp",
            "workload.mmpp.states=[{rate_rps=5.0, mean_sojourn=\"1ns\"}, {rate_rps=6.0, mean_sojourn=\"1s\"}]",
        ],
        &["workload.mmpp.states[0].mean_sojourn", "at least 1ms"],
    );
    refused(
        tmp.path(),
        &["policies=[\"prewarm\"]", "prewarm.interval=1ns"],
        &["prewarm.interval", "at least 1ms"],
    );
}

#[test]
fn durations_beyond_a_thousand_days_are_refused_with_their_key() {
    let tmp = tempfile::tempdir().unwrap();
    refused(
        tmp.path(),
        &["query_exec=150000d"],
        &["query_exec", "at most 1000d"],
    );
    refused(
        tmp.path(),
        &["network.client_rtt={dist=\"lognormal\", mu=50, sigma=1}"],
        &["network.client_rtt", "one-in-a-billion quantile"],
    );
    refused(
        tmp.path(),
        &["do.idle_timeout={dist=\"exponential\", mean=\"900d\"}"],
        &["do.idle_timeout", "one-in-a-billion"],
    );
    // Within the cap, but summed over the run's requests: could wrap.
    refused(
        tmp.path(),
        &["query_exec=1000d", "duration=1h"],
        &["`query_exec`", "wrap"],
    );
}

#[test]
fn a_huge_number_is_not_echoed_in_full() {
    let tmp = tempfile::tempdir().unwrap();
    let huge = format!("duration={}s", "9".repeat(100_000));
    let exp = small(tmp.path(), "e.toml", "");
    let done = dofleet()
        .arg("run")
        .arg(&exp)
        .args(["--quiet", "--set", &huge])
        .output()
        .unwrap();
    assert_eq!(done.status.code(), Some(2));
    assert!(done.stderr.len() < 2_000, "{} bytes", done.stderr.len());
}

#[test]
fn work_that_cannot_fit_in_memory_is_refused_with_the_key_that_drives_it() {
    let tmp = tempfile::tempdir().unwrap();
    // 10^12 requests a second: requests in flight beyond any memory.
    refused(
        tmp.path(),
        &["workload.rate_rps=1e12", "architectures=[\"thin\"]"],
        &["of memory", "`workload.rate_rps`"],
    );
    // 10^8 hosts (9.6 GB) on each of 1024 runs at once: on any machine.
    let exp = small(tmp.path(), "e.toml", "");
    dofleet()
        .arg("run")
        .arg(&exp)
        .arg("--out")
        .arg(tmp.path().join("hosts"))
        .args(["--quiet", "--threads", "1024"])
        .args([
            "--set",
            "hosts.count=100000000",
            "--set",
            "hosts.memory_mb=100000",
        ])
        .args(["--set", "replications=1000"])
        .timeout(std::time::Duration::from_secs(60))
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("of memory").and(predicate::str::contains("`hosts.count`")),
        );
}

#[test]
fn a_huge_sweep_is_refused_before_its_runs_are_listed() {
    let tmp = tempfile::tempdir().unwrap();
    let exp = tmp.path().join("sweep.toml");
    std::fs::write(
        &exp,
        "duration = \"5s\"\nreplications = 10000\n[sweep]\n\"workload.zipf_s\" = { from = 0.0, to = 2.0, steps = 10000 }\n",
    )
    .unwrap();
    let out = tmp.path().join("out");
    dofleet()
        .arg("run")
        .arg(&exp)
        .arg("--out")
        .arg(&out)
        .arg("--quiet")
        .timeout(std::time::Duration::from_secs(60))
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("of memory").and(predicate::str::contains("replications")),
        );
    assert!(!out.exists());
}

#[test]
fn more_than_an_hour_of_work_needs_yes() {
    let tmp = tempfile::tempdir().unwrap();
    let exp = small(tmp.path(), "e.toml", "");
    let out = tmp.path().join("out");
    // 5 runs of 10^4 requests/s over 1000 days: years of work.
    dofleet()
        .arg("run")
        .arg(&exp)
        .arg("--out")
        .arg(&out)
        .args([
            "--quiet",
            "--set",
            "duration=1000d",
            "--set",
            "workload.rate_rps=10000",
        ])
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("expected to take about")
                .and(predicate::str::contains("--yes"))
                .and(predicate::str::contains("workload.rate_rps")),
        );
    assert!(!out.exists());
}

#[test]
fn plan_respects_the_schema_cap_of_the_searched_key() {
    let tmp = tempfile::tempdir().unwrap();
    let exp = small(tmp.path(), "e.toml", "");
    dofleet()
        .arg("plan")
        .arg(&exp)
        .args(["--slo", "p99<=1s", "--min", "1000000000000", "--quiet"])
        .arg("--out")
        .arg(tmp.path().join("plan"))
        .timeout(std::time::Duration::from_secs(60))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("hosts.count").and(predicate::str::contains("100000000")));
}

#[test]
fn fit_refuses_a_trace_claiming_more_invocations_than_it_can_replay() {
    let tmp = tempfile::tempdir().unwrap();
    let trace = tmp.path().join("azure.csv");
    std::fs::write(
        &trace,
        "HashOwner,HashApp,HashFunction,Trigger,1,2\no,a,f,http,1000000000000000,3\n",
    )
    .unwrap();
    dofleet()
        .arg("fit")
        .arg(&trace)
        .timeout(std::time::Duration::from_secs(60))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("1000000000000003 invocations"));
}

#[test]
fn a_sensitivity_analysis_is_estimated_as_a_whole_before_it_runs() {
    let tmp = tempfile::tempdir().unwrap();
    let exp = small(tmp.path(), "e.toml", "");
    let out = tmp.path().join("out");
    // Each experiment: 5 runs of 1.7e8 requests, about 7 minutes on one
    // thread, which `run` accepts; the base and two ends of each of the
    // assumptions run in turn, more than an hour together.
    let sets = [
        "--set",
        "duration=2d",
        "--set",
        "workload.rate_rps=1000",
        "--threads",
        "1",
        "--quiet",
    ];
    dofleet()
        .arg("sensitivity")
        .arg(&exp)
        .arg("--out")
        .arg(&out)
        .args(sets)
        .timeout(std::time::Duration::from_secs(60))
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("this sensitivity analysis runs the experiment")
                .and(predicate::str::contains("--yes"))
                .and(predicate::str::contains("workload.rate_rps")),
        );
    assert!(!out.exists());
    // And memory: 10^12 requests/s would fill any machine (it once ran
    // until an allocation abort).
    dofleet()
        .arg("sensitivity")
        .arg(&exp)
        .arg("--out")
        .arg(&out)
        .args(["--set", "workload.rate_rps=1e12", "--quiet", "--yes"])
        .args(["--set", "architectures=[\"thin\"]"])
        .timeout(std::time::Duration::from_secs(60))
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("of memory")
                .and(predicate::str::contains("`workload.rate_rps`")),
        );
    assert!(!out.exists());
}
