//! `dofleet sensitivity`: each end of a range is exactly the run with the
//! key set by `--set` (same seeds: common random numbers), a ranking flip
//! and a verdict flip are found where they were built in, an assumption
//! that cannot matter is skipped with its reason, and an earlier analysis
//! is not replaced without `--force`.

use std::path::Path;

use assert_cmd::Command;
use serde_json::Value;

fn dofleet() -> Command {
    Command::cargo_bin("dofleet").unwrap_or_else(|e| panic!("{e}"))
}

fn json_of(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(bytes)))
}

/// Hybrid and thin on a small workload, two replications.
fn small(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("small.toml");
    std::fs::write(
        &path,
        "duration = \"20s\"\nreplications = 2\narchitectures = [\"traditional\", \"hybrid\", \"thin\"]\n\
         [workload]\ntenants = 50\nrate_rps = 10\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    path
}

/// `summary.json` of `dofleet run EXP --set SET` (no set: the base).
fn run_summary(exp: &Path, out: &Path, set: Option<&str>) -> Vec<Value> {
    let mut cmd = dofleet();
    cmd.arg("run").arg(exp).arg("--out").arg(out).args([
        "--quiet",
        "--no-plots",
        "--format",
        "json",
    ]);
    if let Some(set) = set {
        cmd.args(["--set", set]);
    }
    let output = cmd.output().unwrap_or_else(|e| panic!("{e}"));
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    match json_of(&output.stdout) {
        Value::Array(rows) => rows,
        other => panic!("{other}"),
    }
}

/// The swing at each end equals an independent `dofleet run --set` with
/// the same seed, value for value and bit for bit; the base equals the
/// plain run; and the range moves Hybrid's p99 (so this can fail).
#[test]
fn each_end_of_a_range_is_the_run_with_that_value_set() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let exp = small(tmp.path());
    let output = dofleet()
        .arg("sensitivity")
        .arg(&exp)
        .args(["--only", "phases.isolate_start_bundled", "--format", "json"])
        .args(["--no-plots", "--quiet", "--out"])
        .arg(tmp.path().join("sens"))
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let doc = json_of(&output.stdout);
    let assumption = &doc["assumptions"][0];
    assert_eq!(assumption["key"], "phases.isolate_start_bundled");
    let swings = assumption["swings"].as_array().cloned().unwrap_or_default();
    assert_eq!(swings.len(), 3 * 3, "three rows, three metrics");
    let base = run_summary(&exp, &tmp.path().join("base"), None);
    for (side, field) in [("low", "low"), ("high", "high")] {
        let value = assumption[side]
            .as_str()
            .unwrap_or_else(|| panic!("{assumption}"));
        let set = format!("phases.isolate_start_bundled={value}");
        let runs = run_summary(&exp, &tmp.path().join(side), Some(&set));
        for swing in &swings {
            let row = swing["row"].as_u64().unwrap_or_else(|| panic!("{swing}")) as usize;
            let metric = swing["metric"].as_str().unwrap_or_default();
            assert_eq!(swing[field], runs[row][metric], "{side} {metric} row {row}");
            assert_eq!(swing["base"], base[row][metric], "base {metric} row {row}");
        }
    }
    let hybrid_p99 = swings
        .iter()
        .find(|s| s["row"] == 1 && s["metric"] == "latency_p99_ms")
        .unwrap_or_else(|| panic!("{swings:?}"));
    assert_eq!(doc["rows"][1]["architecture"], "Hybrid");
    let (low, high) = (
        hybrid_p99["low"].as_f64().unwrap_or(f64::NAN),
        hybrid_p99["high"].as_f64().unwrap_or(f64::NAN),
    );
    assert!(high > low + 100.0, "Hybrid's p99 {low} .. {high}");
}

/// A built-in flip: the compute worker's execution moved to 5 s puts Thin
/// (which delegates every request) above Traditional by p99, and fails it
/// against p99 <= 3 s, which it meets at the base; at 1 ms nothing flips.
/// A policy's parameter without the policy is skipped, naming it.
#[test]
fn a_ranking_and_a_verdict_flip_are_found_where_built_in() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let exp = small(tmp.path());
    let list = tmp.path().join("assumed.toml");
    std::fs::write(
        &list,
        "[[assumption]]\nkey = \"compute.exec\"\nlow = \"1ms\"\nhigh = \"5s\"\nreason = \"built\"\n\
         [[assumption]]\nkey = \"prewarm.top_k\"\nlow = 1\nhigh = 5\nreason = \"inert\"\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let out = tmp.path().join("sens");
    let args = |cmd: &mut Command| {
        cmd.arg("sensitivity")
            .arg(&exp)
            .arg("--assumptions")
            .arg(&list)
            .args(["--slo", "p99<=3s", "--quiet", "--out"])
            .arg(&out);
    };
    let mut cmd = dofleet();
    args(&mut cmd);
    let output = cmd.output().unwrap_or_else(|e| panic!("{e}"));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.lines().any(|l| l
            .starts_with("- latency_p99_ms: at compute.exec = high (5s), Traditional (")
            && l.contains(") now comes before Thin State (")),
        "{stdout}"
    );
    assert!(
        stdout.contains("- at compute.exec = high (5s): Thin State fails (base: meets)."),
        "{stdout}"
    );
    assert!(
        !stdout.contains("- latency_p99_ms: at compute.exec = low"),
        "{stdout}"
    );
    assert!(
        stdout.contains("prewarm.top_k (only matters with \"prewarm\" in policies)"),
        "{stdout}"
    );
    let doc = json_of(&std::fs::read(out.join("sensitivity.json")).unwrap_or_default());
    let flips = doc["rank_flips"].as_array().cloned().unwrap_or_default();
    let p99_flips: Vec<&Value> = flips
        .iter()
        .filter(|f| f["metric"] == "latency_p99_ms")
        .collect();
    assert!(
        !p99_flips.is_empty()
            && p99_flips
                .iter()
                .all(|f| f["side"] == "high" && f["assumption"] == "compute.exec"),
        "{flips:?}"
    );
    assert_eq!(doc["assumptions"][1]["swings"], Value::Array(Vec::new()));
    let png = std::fs::read(out.join("tornado-latency_p99_ms.png")).unwrap_or_default();
    assert!(png.starts_with(b"\x89PNG"), "no tornado chart");
    // An earlier analysis is refused, then replaced with --force.
    let mut cmd = dofleet();
    args(&mut cmd);
    cmd.assert().code(2);
    let mut cmd = dofleet();
    args(&mut cmd);
    cmd.arg("--force").assert().code(0);
}

/// A misspelt assumption or metric is bad input naming the nearest one.
#[test]
fn unknown_assumptions_and_metrics_are_refused_with_the_nearest() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let exp = small(tmp.path());
    dofleet()
        .arg("sensitivity")
        .arg(&exp)
        .args(["--only", "phases.isolate_start_bundle"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "did you mean `phases.isolate_start_bundled`?",
        ));
    dofleet()
        .arg("sensitivity")
        .arg(&exp)
        .args(["--metric", "cold_start_fractoin"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "did you mean `cold_start_fraction`?",
        ));
}
