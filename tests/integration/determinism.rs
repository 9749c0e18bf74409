//! Results are a pure function of (config, seed): the same bytes for the
//! same seed whatever the thread count, different results for another seed.

use dofleet::experiment::{run_experiment, Experiment, RunOptions};
use dofleet::report::summary_csv;

use crate::common::config_with;

fn summary(sets: &[&str], threads: usize) -> Vec<u8> {
    let mut all = vec![
        "workload.tenants=500",
        "duration=\"5min\"",
        "replications=3",
    ];
    all.extend_from_slice(sets);
    let experiment = Experiment::single("determinism", config_with(&all));
    let options = RunOptions {
        threads,
        ..RunOptions::default()
    };
    let results = run_experiment(&experiment, &options).unwrap();
    summary_csv(&experiment, &results).unwrap()
}

#[test]
fn the_same_seed_gives_identical_summary_bytes() {
    assert_eq!(summary(&[], 1), summary(&[], 1));
}

#[test]
fn the_thread_count_does_not_change_the_summary() {
    assert_eq!(summary(&[], 1), summary(&[], 4));
}

#[test]
fn a_different_seed_gives_different_results() {
    assert_ne!(summary(&["seed=1"], 2), summary(&["seed=2"], 2));
}

#[test]
fn architectures_of_a_run_see_the_same_arrivals() {
    // Common random numbers: the request count depends only on the traffic.
    let config = config_with(&["workload.tenants=100", "duration=\"2min\""]);
    let counts: Vec<u64> = config
        .architectures
        .iter()
        .map(|&v| crate::common::run_variant(&config, v, 0).metrics.requests)
        .collect();
    assert!(counts.windows(2).all(|w| w[0] == w[1]), "{counts:?}");
}
