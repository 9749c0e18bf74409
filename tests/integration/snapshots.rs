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
