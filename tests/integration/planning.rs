//! `dofleet plan`: the smallest fleet meeting an objective. Checked against
//! Erlang C, where the answer is known in closed form, and through the
//! command line (outputs, errors).

use assert_cmd::Command;
use predicates::prelude::*;

use crate::common::{erlang_c, mmc_config};
use dofleet::experiment::Experiment;
use dofleet::planner::{plan, Dimension, PlanOptions, Slo};

/// Thin DOs delegating every request to a pool of exponential servers: an
/// M/M/c queue whose mean latency is `C(c, a) / (c mu - lambda) + 1/mu`.
/// The objective sits between the closed-form means at the answer and one
/// below it, several standard errors from each (the one-sided 95% bound
/// adds about 2 se; a run's mean latency has se < 1 ms here), so the plan
/// must find exactly the closed-form answer.
#[test]
fn planning_compute_instances_finds_the_erlang_c_answer() {
    let (lambda, mu) = (30.0, 10.0);
    let mean_ms =
        |c: u32| 1000.0 * (erlang_c(c, lambda / mu) / (f64::from(c) * mu - lambda) + 1.0 / mu);
    // W(5) = 111.8 ms, W(6) = 103.3 ms: an objective of 107 ms needs 6.
    let objective = 107.0;
    let answer = (4..20).find(|&c| mean_ms(c) <= objective).unwrap_or(0);
    assert_eq!(answer, 6);
    assert!(mean_ms(answer - 1) > objective + 4.0 && mean_ms(answer) < objective - 3.0);

    let config = mmc_config(lambda, mu, &["duration=\"1000s\"", "replications=8"]);
    let experiment = Experiment::single("mmc", config);
    let slo: Slo = format!("mean<={objective}ms")
        .parse()
        .unwrap_or_else(|e| panic!("{e}"));
    let options = PlanOptions {
        dimension: Dimension::ComputeInstances,
        slos: vec![slo],
        confidence: 0.95,
        min: None,
        max: Some(64),
        threads: 0,
        progress: false,
        cancel: None,
    };
    // A plan cancelled before it starts evaluates nothing.
    let cancelled = PlanOptions {
        cancel: Some(std::sync::Arc::new(std::sync::atomic::AtomicBool::new(
            true,
        ))),
        ..options.clone()
    };
    assert!(matches!(
        plan(&experiment, &cancelled),
        Err(dofleet::planner::PlanError::Cancelled)
    ));
    let p = plan(&experiment, &options).unwrap_or_else(|e| panic!("{e}"));
    let row = &p.rows[0];
    let tried: Vec<(u64, bool, f64)> = row
        .evaluations
        .iter()
        .map(|e| (e.value, e.met, e.slos[0].mean))
        .collect();
    assert_eq!(row.answer, Some(u64::from(answer)), "{tried:?}");
    // Doubling (1, 2, 4, 8) then bisection (6, 5): six evaluations.
    assert_eq!(row.evaluations.len(), 6, "{tried:?}");
    // The figures at the answer are the closed form's, within 3%.
    let at = row.at_answer().map(|e| e.slos[0].mean).unwrap_or(f64::NAN);
    assert!(
        (at - mean_ms(answer)).abs() < 0.03 * mean_ms(answer),
        "{at}"
    );
    // The same plan with one thread: the same figures.
    let one = plan(
        &experiment,
        &PlanOptions {
            threads: 1,
            ..options
        },
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(one.rows[0].evaluations, row.evaluations);
}

fn dofleet() -> Command {
    Command::cargo_bin("dofleet").unwrap_or_else(|e| panic!("{e}"))
}

fn small_experiment(dir: &std::path::Path) -> std::path::PathBuf {
    let exp = dir.join("small.toml");
    std::fs::write(
        &exp,
        "name = \"small\"\nduration = \"2min\"\nreplications = 2\narchitectures = [\"thin\", \"hybrid\"]\n[workload]\ntenants = 300\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    exp
}

#[test]
fn plan_prints_the_smallest_fleet_and_writes_plan_csv() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let exp = small_experiment(dir.path());
    let out = dir.path().join("plan");
    dofleet()
        .args(["plan", "--slo", "p99<=1.5s", "--quiet", "--out"])
        .arg(&out)
        .arg(&exp)
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "Smallest hosts.count meeting p99<=1.5s",
        ))
        .stdout(predicate::str::contains("| thin"));
    let csv = std::fs::read_to_string(out.join("plan.csv")).unwrap_or_else(|e| panic!("{e}"));
    let header = csv.lines().next().unwrap_or_default();
    assert!(header.starts_with("architecture,policy,search,value,met,slo,confidence,replications,latency_p99_ms_mean,latency_p99_ms_bound,cost_usd_month"), "{header}");
    assert_eq!(csv.lines().count(), 3, "{csv}");
    let evaluations =
        std::fs::read_to_string(out.join("plan_evaluations.csv")).unwrap_or_else(|e| panic!("{e}"));
    assert!(evaluations.lines().count() > 3);
}

#[test]
fn plan_refuses_an_unknown_metric_and_suggests_one() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let exp = small_experiment(dir.path());
    dofleet()
        .args(["plan", "--slo", "latency_p99ms<=200ms"])
        .arg(&exp)
        .assert()
        .failure()
        .stderr(predicate::str::contains(
            "unknown metric `latency_p99ms` (did you mean `latency_p99_ms`?)",
        ));
}

#[test]
fn plan_needs_an_objective() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let exp = small_experiment(dir.path());
    dofleet()
        .arg("plan")
        .arg(&exp)
        .assert()
        .failure()
        .stderr(predicate::str::contains("--slo"));
}

#[test]
fn planning_memory_per_host_needs_a_host_count() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let exp = small_experiment(dir.path());
    dofleet()
        .args(["plan", "--slo", "p99<=1s", "--search", "memory"])
        .arg(&exp)
        .assert()
        .failure()
        .stderr(predicate::str::contains("--set hosts.count=100"));
}
