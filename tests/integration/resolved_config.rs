//! Snapshots of the resolved configuration (`Config::to_toml`, through the
//! experiment's own `to_toml`) of the embedded default, of every shipped
//! experiment and of a configuration that uses every form the writer has:
//! any change to a key, its section, its order or its formatting shows up
//! here, to be reviewed (`cargo insta review`) as deliberate or rejected.

use std::path::Path;

use dofleet::experiment::config::load_experiment;

/// The resolved experiment, the repository's path replaced by `<repo>`
/// (trace paths are stored absolute).
fn resolved(path: Option<&Path>, sets: &[&str]) -> String {
    let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
    let spec = load_experiment(path, &sets).unwrap_or_else(|e| panic!("{e}"));
    spec.to_toml().replace(env!("CARGO_MANIFEST_DIR"), "<repo>")
}

#[test]
fn the_default_resolves_to_the_same_text() {
    insta::assert_snapshot!(resolved(None, &[]));
}

#[test]
fn every_experiment_resolves_to_the_same_text() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("experiments");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{e}"))
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    assert!(!files.is_empty());
    for file in files {
        let name = file.file_stem().map(|s| s.to_string_lossy().to_string());
        let name = name.unwrap_or_default();
        insta::assert_snapshot!(format!("experiment_{name}"), resolved(Some(&file), &[]));
    }
}

#[test]
fn every_writer_form_resolves_to_the_same_text() {
    let trace = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/experiments/data/azure-functions-sample.csv"
    );
    let sets = [
        "phases.r2_fetch={ dist = \"lognormal\", p50 = \"80ms\", p99 = \"300ms\" }",
        "phases.cache_check={ dist = \"exponential\", mean = \"12.345678ms\" }",
        "compute.cpu_time={ dist = \"normal\", mean = \"300ms\", sd = \"45.5ms\" }",
        "query_exec={ dist = \"empirical\", samples = [\"500ms\", \"1s\", \"734.123456789ms\"] }",
        "compute.idle_timeout=90061001ns",
        "duration=1.23456789s",
        "warmup=1ns",
        "architectures=[\"hybrid\", { architecture = \"lazy\", runtime_wasm_compile = \"loader\" }]",
        "platform.runtime_wasm_compile=allowed",
        "policies=[\"prewarm\", \"tiered_cache\"]",
        "prewarm.predictor=histogram",
        "tiered_cache.eviction=oracle",
        "isolate.cpu_phases=[\"wasm_compile\", \"query_exec\"]",
        "isolate.slice=5ms",
        "workload.mmpp.states=[{ rate_rps = 50.5, mean_sojourn = \"5min\" }, { rate_rps = 0, mean_sojourn = \"1.5s\" }]",
        "workload.diurnal.profile=[0.5, 1, 2.25, 0]",
        "hosts.count=4",
        "hosts.memory_mb=1e6",
        "hosts.when_full=overcommit",
        "workload.rate_rps=3.3333333333333335",
        "seed=18446744073709551615",
        "compute.concurrency=1000000",
        "do.load_keeps_alive=false",
        "prewarm.keep_resident=true",
        "smart_delegation.predictor=oracle",
        "workload.trace_tenant=app",
        "workload.trace_spread=poisson",
    ];
    let mut sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
    sets.push(format!("workload.trace={trace}"));
    let sets: Vec<&str> = sets.iter().map(String::as_str).collect();
    insta::assert_snapshot!(resolved(None, &sets));
}
