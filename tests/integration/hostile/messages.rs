//! Error messages that once misled (issue 21, item 11): each names the
//! file, line, key or value the user must change, and suggests only what
//! exists.

use std::fs;

use predicates::prelude::*;

use super::{dofleet, run_ok, small};

/// `run small.toml --set SET` fails with exit 2 and `needle` in stderr.
fn set_refused(set: &str, needle: &str) {
    let tmp = tempfile::tempdir().unwrap();
    let exp = small(tmp.path(), "e.toml", "");
    dofleet()
        .arg("run")
        .arg(&exp)
        .arg("--out")
        .arg(tmp.path().join("out"))
        .args(["--quiet", "--set", set])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(needle));
}

#[test]
fn near_miss_and_case_keys_get_the_right_suggestion() {
    set_refused("network.rtt=10ms", "did you mean `network.client_rtt`?");
    set_refused("lazy.hit_ratio=0.5", "did you mean `lazy.cache_hit_ratio`?");
    set_refused("WORKLOAD.TENANTS=5", "did you mean `workload`?");
}

#[test]
fn a_config_that_is_not_utf8_names_its_line() {
    let tmp = tempfile::tempdir().unwrap();
    let exp = tmp.path().join("e.toml");
    fs::write(&exp, b"duration = \"5s\"\n\n# caf\xe9\n").unwrap();
    dofleet()
        .arg("run")
        .arg(&exp)
        .arg("--quiet")
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("line 3, column 6").and(predicate::str::contains("UTF-8")),
        );
}

#[test]
fn a_trace_with_a_byte_order_mark_is_named() {
    let tmp = tempfile::tempdir().unwrap();
    fs::write(tmp.path().join("t.csv"), b"\xEF\xBB\xBF0,a\n1000,b\n").unwrap();
    let exp = tmp.path().join("e.toml");
    fs::write(
        &exp,
        "duration = \"5s\"\n[workload]\narrivals = \"trace\"\ntrace = \"t.csv\"\n",
    )
    .unwrap();
    dofleet()
        .arg("run")
        .arg(&exp)
        .arg("--quiet")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("byte-order mark").and(predicate::str::contains("t.csv")));
}

#[test]
fn a_diurnal_peak_beyond_its_period_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let exp = small(tmp.path(), "e.toml", "");
    dofleet()
        .arg("run")
        .arg(&exp)
        .args(["--quiet", "--set", "workload.arrivals=diurnal"])
        .args([
            "--set",
            "workload.diurnal.period=1h",
            "--set",
            "workload.diurnal.peak=2h",
        ])
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("`workload.diurnal.peak`")
                .and(predicate::str::contains("workload.diurnal.period` = 1h")),
        );
}

#[test]
fn contradictory_objectives_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let exp = small(tmp.path(), "e.toml", "");
    for command in ["run", "plan"] {
        dofleet()
            .arg(command)
            .arg(&exp)
            .args(["--quiet", "--slo", "p99<=100ms", "--slo", "p99>=200ms"])
            .arg("--out")
            .arg(tmp.path().join(command))
            .assert()
            .code(2)
            .stderr(predicate::str::contains("contradict"));
        assert!(!tmp.path().join(command).exists());
    }
}

#[test]
fn resume_after_a_config_change_shows_the_line_that_changed() {
    let tmp = tempfile::tempdir().unwrap();
    let exp = small(tmp.path(), "e.toml", "");
    let out = tmp.path().join("out");
    run_ok(&exp, &out);
    dofleet()
        .arg("run")
        .arg(&exp)
        .arg("--out")
        .arg(&out)
        .args(["--quiet", "--resume", "--set", "workload.tenants=21"])
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("tenants = 20` there, `tenants = 21` now")
                .and(predicate::str::contains("--force")),
        );
}

#[test]
fn merge_into_existing_results_suggests_only_force() {
    let tmp = tempfile::tempdir().unwrap();
    let exp = small(tmp.path(), "e.toml", "");
    let (a, out) = (tmp.path().join("a"), tmp.path().join("out"));
    run_ok(&exp, &a);
    run_ok(&exp, &out);
    dofleet()
        .args(["merge", "--out"])
        .arg(&out)
        .arg(&a)
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("--force").and(predicate::str::contains("--resume").not()),
        );
}

#[test]
fn an_os_error_is_printed_once_after_its_file() {
    let tmp = tempfile::tempdir().unwrap();
    let exp = small(tmp.path(), "e.toml", "");
    let done = dofleet()
        .arg("run")
        .arg(&exp)
        .args(["--quiet", "--out", "/proc/dofleet-cannot-be-here"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&done.stderr);
    assert_eq!(done.status.code(), Some(3), "{stderr}");
    assert_eq!(stderr.matches("(os error").count(), 1, "{stderr}");
    assert!(stderr.contains("/proc/dofleet-cannot-be-here"), "{stderr}");
}

#[test]
fn a_plan_names_the_side_of_each_objectives_bound() {
    let tmp = tempfile::tempdir().unwrap();
    let exp = small(tmp.path(), "e.toml", "");
    dofleet()
        .arg("plan")
        .arg(&exp)
        .args(["--slo", "p99<=10s", "--slo", "local_fraction>=0"])
        .args([
            "--set",
            "replications=2",
            "--set",
            "architectures=[\"thin\"]",
        ])
        .args(["--quiet", "--max", "2", "--out"])
        .arg(tmp.path().join("plan"))
        .timeout(std::time::Duration::from_secs(60))
        .assert()
        .success()
        .stdout(
            predicate::str::contains("latency_p99_ms (mean, 95% upper bound)").and(
                predicate::str::contains("local_fraction (mean, 95% lower bound)"),
            ),
        );
}
