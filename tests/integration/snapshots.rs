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
/// columns are added.
#[test]
fn without_threads_every_column_is_the_one_before_isolates() {
    let config = config_with(&[
        "workload.tenants=300",
        "duration=\"3min\"",
        "replications=2",
        "isolate.cpu_phases=[]",
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
