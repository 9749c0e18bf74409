//! The command-line contract, one behaviour per test.

use assert_cmd::Command;
use predicates::prelude::*;

fn dofleet() -> Command {
    Command::cargo_bin("dofleet").unwrap()
}

#[test]
fn no_arguments_runs_the_embedded_default_and_prints_the_seed_tables() {
    dofleet()
        .args(["--set", "duration=\"5min\""])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "Comparison with Other Architectures",
        ))
        .stdout(predicate::str::contains("Expected Request Latency"))
        .stdout(predicate::str::contains("Lazy WASM (allowed)"))
        .stdout(predicate::str::contains("Thin State"));
}

#[test]
fn run_writes_summary_csv_with_the_contract_columns() {
    let dir = tempfile::tempdir().unwrap();
    let exp = dir.path().join("small.toml");
    std::fs::write(&exp, "duration = \"2min\"\n[workload]\ntenants = 200\n").unwrap();
    let out = dir.path().join("out");
    dofleet()
        .arg("run")
        .arg(&exp)
        .arg("--out")
        .arg(&out)
        .arg("--quiet")
        .assert()
        .success();
    let csv = std::fs::read_to_string(out.join("summary.csv")).unwrap();
    let header = csv.lines().next().unwrap();
    for column in [
        "architecture",
        "policy",
        "requests",
        "cold_starts",
        "cold_start_fraction",
        "delegated_fraction",
        "latency_mean_ms",
        "latency_p50_ms",
        "latency_p90_ms",
        "latency_p99_ms",
        "latency_p999_ms",
        "latency_max_ms",
        "memory_mean_mb",
        "memory_peak_mb",
    ] {
        assert!(
            header.split(',').any(|c| c == column),
            "missing column {column} in {header}"
        );
    }
    assert_eq!(
        csv.lines().count(),
        1 + 5,
        "a header and one row per architecture"
    );
}

#[test]
fn a_misspelt_key_names_the_file_line_and_nearest_key() {
    let dir = tempfile::tempdir().unwrap();
    let exp = dir.path().join("typo.toml");
    std::fs::write(&exp, "[workload]\ntenats = 10\n").unwrap();
    dofleet()
        .arg("run")
        .arg(&exp)
        .assert()
        .failure()
        .stderr(predicate::str::contains("typo.toml:2"))
        .stderr(predicate::str::contains("workload.tenats"))
        .stderr(predicate::str::contains("workload.tenants"));
}

#[test]
fn a_bad_set_value_is_refused_with_the_key() {
    dofleet()
        .args(["--set", "workload.zipf_s=-1"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("workload.zipf_s"));
}

#[test]
fn a_missing_file_is_refused_with_its_path() {
    dofleet()
        .args(["run", "no/such/experiment.toml"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("no/such/experiment.toml"));
}

#[test]
fn config_prints_a_resolved_configuration_that_loads_again() {
    let out = dofleet()
        .args(["config", "--set", "workload.tenants=77"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    assert!(text.contains("tenants = 77"), "{text}");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("resolved.toml");
    std::fs::write(&path, &text).unwrap();
    dofleet()
        .arg("config")
        .arg(&path)
        .assert()
        .success()
        .stdout(predicate::eq(text));
}

#[test]
fn every_metric_column_is_documented() {
    let doc =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/model.md")).unwrap();
    for m in dofleet::metrics::METRICS {
        assert!(
            doc.contains(&format!("| `{}` |", m.name)),
            "docs/model.md does not document {}",
            m.name
        );
    }
}
