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

/// Every run of every architecture of `sets`, as text (all its metrics).
fn outcomes(sets: &[&str]) -> Vec<String> {
    let config = config_with(sets);
    config
        .architectures
        .iter()
        .map(|&v| format!("{:?}", crate::common::run_variant(&config, v, 0)))
        .collect()
}

#[test]
fn releases_left_to_an_unlimited_pool_match_release_events() {
    // An unlimited pool applies its releases lazily; a limit it never
    // reaches keeps one event per release. The two must agree to the bit,
    // including the order of releases at the same instant (constant times
    // make many: requests that waited for the same start are delegated
    // together), evictions between them, and hosts and policies that
    // dispatch outside arrivals.
    let constant_times = [
        "compute.rtt=\"2ms\"",
        "compute.exec=\"3ms\"",
        "compute.cold_start=\"0s\"",
        "compute.idle_timeout=\"40ms\"",
        "phases.isolate_start=\"5ms\"",
        "phases.isolate_start_bundled=\"5ms\"",
        "do.idle_timeout=\"50ms\"",
    ];
    let small = ["workload.tenants=50", "duration=\"2min\""];
    let one_full_host = [
        "hosts.count=1",
        "hosts.memory_mb=300",
        "hosts.when_full=\"wait\"",
    ];
    let cases: [Vec<&str>; 5] = [
        vec!["workload.tenants=500", "duration=\"5min\""],
        [&small[..], &constant_times].concat(),
        [&small[..], &constant_times, &one_full_host].concat(),
        vec![
            "workload.tenants=300",
            "duration=\"3min\"",
            "hosts.count=2",
            "hosts.memory_mb=400",
        ],
        vec![
            "workload.tenants=300",
            "duration=\"3min\"",
            "policies=[\"smart_delegation\", \"partial_loading\", \"prewarm\"]",
        ],
    ];
    for sets in cases {
        let limited = [&sets[..], &["compute.max_instances=4000000000"]].concat();
        let lazy = outcomes(&sets);
        let events = outcomes(&limited);
        for (a, b) in lazy.iter().zip(&events) {
            assert_eq!(a, b, "{sets:?}");
        }
    }
}
