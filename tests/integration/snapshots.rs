//! Snapshots of exported CSV: any change to the numbers the default model
//! produces shows up here, to be reviewed (`cargo insta review`) as a
//! deliberate model change or rejected as a regression.

use dofleet::experiment::{run_experiment, Experiment, RunOptions};
use dofleet::report::{runs_csv, summary_csv};

use crate::common::config_with;

fn small() -> (Experiment, dofleet::experiment::ExperimentResults) {
    let config = config_with(&[
        "workload.tenants=300",
        "duration=\"3min\"",
        "replications=2",
    ]);
    let experiment = Experiment::single("snapshot", config);
    let results = run_experiment(&experiment, &RunOptions::default()).unwrap();
    (experiment, results)
}

#[test]
fn summary_csv_of_a_small_default_run() {
    let (experiment, results) = small();
    insta::assert_snapshot!(
        String::from_utf8(summary_csv(&experiment, &results).unwrap()).unwrap()
    );
}

#[test]
fn runs_csv_of_a_small_default_run() {
    let (experiment, results) = small();
    insta::assert_snapshot!(String::from_utf8(runs_csv(&experiment, &results).unwrap()).unwrap());
}

/// With the thread model off (`isolate.cpu_phases = []`, one DO per
/// isolate) the model is the one before isolates existed: every column of
/// the summary that build wrote (its snapshot, kept in
/// `fixtures/summary_before_isolates.csv`) has the same bytes now; only new
/// columns are added. That build billed the compute worker's whole
/// execution as CPU: a `compute.cpu_time` above every execution, clamped to
/// it, bills the same (and, drawn from its own stream, moves nothing else).
#[test]
fn without_threads_every_column_is_the_one_before_isolates() {
    let config = config_with(&[
        "workload.tenants=300",
        "duration=\"3min\"",
        "replications=2",
        "isolate.cpu_phases=[]",
        "compute.cpu_time=\"1h\"",
    ]);
    let experiment = Experiment::single("snapshot", config);
    let results = run_experiment(&experiment, &RunOptions::default()).unwrap();
    let now = String::from_utf8(summary_csv(&experiment, &results).unwrap()).unwrap();
    let before = include_str!("fixtures/summary_before_isolates.csv");
    let table = |csv: &str| -> Vec<Vec<String>> {
        csv.lines()
            .filter(|l| !l.is_empty())
            .map(|l| l.split(',').map(str::to_string).collect())
            .collect()
    };
    let (now, before) = (table(&now), table(before));
    assert_eq!(now.len(), before.len(), "rows");
    let columns = &before[0];
    assert!(columns.len() > 100, "the fixture has its columns");
    for (i, name) in columns.iter().enumerate() {
        let j = now[0]
            .iter()
            .position(|c| c == name)
            .unwrap_or_else(|| panic!("column {name} is gone"));
        for (row_before, row_now) in before.iter().zip(&now).skip(1) {
            assert_eq!(row_before[i], row_now[j], "column {name}");
        }
    }
}

/// The bill's items add up to its total in every replication, and each
/// item is its own price applied to its own usage (docs/model.md#cost).
#[test]
fn the_cost_items_sum_to_the_total() {
    let (_, results) = small();
    let index = |name: &str| {
        dofleet::metrics::METRICS
            .iter()
            .position(|m| m.name == name)
            .unwrap_or_else(|| panic!("{name}"))
    };
    let items = [
        "cost_do_requests_usd_month",
        "cost_do_duration_usd_month",
        "cost_worker_requests_usd_month",
        "cost_cpu_usd_month",
        "cost_r2_usd_month",
    ]
    .map(index);
    let total = index("cost_usd_month");
    let requests = index("requests_month");
    let mut some_cpu = false;
    for row in &results.rows {
        for run in &row.runs {
            let sum: f64 = items.iter().map(|&i| run.values[i]).sum();
            assert!(
                (sum - run.values[total]).abs() <= 1e-9 * run.values[total].abs().max(1.0),
                "{}: {sum} vs {}",
                row.label,
                run.values[total]
            );
            // DO requests at $0.15/M after the first million.
            let want = (run.values[requests] - 1e6).max(0.0) * 0.15 / 1e6;
            assert!((run.values[items[0]] - want).abs() < 1e-9, "{}", row.label);
            some_cpu |= run.values[items[3]] > 0.0;
        }
    }
    assert!(
        some_cpu,
        "no architecture bills CPU: the test cannot fail on it"
    );
}
