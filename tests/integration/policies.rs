//! The five policies: each one's mechanism, and that a policy switched off
//! changes nothing.

use dofleet::architectures::{Architecture, ArchitectureVariant, WasmCompile};
use dofleet::experiment::{run_experiment, Experiment, RunOptions};
use dofleet::metrics::RunMetrics;
use dofleet::report::summary_csv;
use proptest::prelude::*;

use crate::common::{config_with, mean_and_se, run_variant};

const HYBRID: ArchitectureVariant = ArchitectureVariant {
    architecture: Architecture::Hybrid,
    runtime_wasm_compile: WasmCompile::Blocked,
};
const LAZY: ArchitectureVariant = ArchitectureVariant {
    architecture: Architecture::Lazy,
    runtime_wasm_compile: WasmCompile::Allowed,
};

fn run(sets: &[&str], variant: ArchitectureVariant) -> RunMetrics {
    run_variant(&config_with(sets), variant, 0).metrics
}

fn summary(sets: &[String]) -> Vec<u8> {
    let mut all: Vec<&str> = vec!["workload.tenants=300", "duration=\"2min\""];
    all.extend(sets.iter().map(String::as_str));
    let experiment = Experiment::single("off", config_with(&all));
    let results = run_experiment(&experiment, &RunOptions::default()).unwrap();
    summary_csv(&experiment, &results).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    /// Parameters of policies that are not enabled change no byte of the
    /// output.
    #[test]
    fn a_policy_switched_off_gives_exactly_the_baseline(
        top_k in 1u32..500,
        histogram in any::<bool>(),
        hosts in 1u32..50,
        margin in 0u32..200,
        core in 0.0f64..1.0,
        ext in 0.0f64..1.0,
        keep in any::<bool>(),
        lead_s in 0u32..30,
        predictor in 0usize..3,
        smart in 0usize..3,
        oracle_cache in any::<bool>(),
    ) {
        let params = vec![
            format!("prewarm.top_k={top_k}"),
            format!("prewarm.predictor=\"{}\"", if histogram { "histogram" } else { ["top_k", "histogram", "oracle"][predictor] }),
            format!("prewarm.keep_resident={keep}"),
            format!("prewarm.oracle_lead=\"{lead_s}s\""),
            format!("smart_delegation.predictor=\"{}\"", ["learned", "platform", "oracle"][smart]),
            format!("tiered_cache.eviction=\"{}\"", if oracle_cache { "oracle" } else { "ttl" }),
            format!("tiered_cache.hosts={hosts}"),
            format!("smart_delegation.margin=\"{margin}ms\""),
            format!("partial_loading.core_fraction={core}"),
            format!("partial_loading.extension_fraction={ext}"),
        ];
        prop_assert_eq!(summary(&[]), summary(&params));
    }
}

#[test]
fn streaming_makes_the_load_the_overlap_not_the_sum() {
    let phases = [
        "lazy.cache_hit_ratio=0",
        "phases.cache_check=\"10ms\"",
        "phases.r2_fetch=\"100ms\"",
        "phases.data_read=\"5ms\"",
        "phases.wasm_compile=\"300ms\"",
        "phases.pglite_init=\"200ms\"",
        "workload.tenants=200",
        "duration=\"10min\"",
    ];
    let plain = run(&phases, LAZY);
    let mut with = phases.to_vec();
    with.push("policies=[\"streaming\"]");
    let streamed = run(&with, LAZY);
    // In sequence: 10 + 100 + 300 + 200 ms. Streaming compiles from the end of
    // the lookup (10 ms), overlapping the 100 ms transfer: max(110, 310) + 200.
    // HdrHistogram resolves 0.1%.
    assert!(
        (plain.load_time.mean_ms() - 610.0).abs() < 0.61,
        "{}",
        plain.load_time.mean_ms()
    );
    assert!(
        (streamed.load_time.mean_ms() - 510.0).abs() < 0.51,
        "{}",
        streamed.load_time.mean_ms()
    );
}

#[test]
fn tiered_caches_fill_from_loads_and_spare_r2() {
    let sets = [
        "policies=[\"tiered_cache\"]",
        "workload.tenants=2000",
        "duration=\"30min\"",
    ];
    let m = run(&sets, LAZY);
    let loads = m.cache_hits + m.r2_gets;
    assert!(loads > 1_000, "{loads} loads");
    assert_eq!(m.cache_hits, m.local_cache_hits + m.regional_cache_hits);
    // Each region fetches from R2 until its first fill lands (a few hundred
    // ms), then holds the WASM for a day: a handful of R2 GETs per region.
    assert!(m.r2_gets >= 10 && m.r2_gets <= 50, "{} R2 GETs", m.r2_gets);
    // 100 hosts: most loads after the first on each host hit locally.
    assert!(
        m.local_cache_hits > m.regional_cache_hits,
        "{} local, {} regional",
        m.local_cache_hits,
        m.regional_cache_hits
    );
}

#[test]
fn smart_delegation_waits_for_nearly_finished_loads_only() {
    // Without the thread model: a Hybrid whose init holds its thread has
    // nothing to decide during it (docs/model.md, "Threads and isolates").
    let sets = [
        "workload.tenants=500",
        "workload.rate_rps=200",
        "duration=\"20min\"",
        "isolate.cpu_phases=[]",
    ];
    let plain = run(&sets, HYBRID);
    let mut with = sets.to_vec();
    with.push("policies=[\"smart_delegation\"]");
    let smart = run(&with, HYBRID);
    assert_eq!(plain.smart_waits, 0);
    assert!(smart.smart_waits > 0, "no request waited");
    let delegated = |m: &RunMetrics| m.path_count(dofleet::metrics::Path::Delegated);
    assert!(delegated(&smart) < delegated(&plain));
    // A request waits only when the remaining load is predicted shorter than
    // a delegation (~115 ms): waited requests (the queued path) are never
    // slower than a slow delegated one.
    let queued_p99 = smart.by_path[dofleet::metrics::Path::Queued as usize].quantile_ms(0.99);
    let delegated_p99 = plain.by_path[dofleet::metrics::Path::Delegated as usize].quantile_ms(0.99);
    assert!(
        queued_p99 <= delegated_p99,
        "waited p99 {queued_p99} ms vs delegated p99 {delegated_p99} ms"
    );
}

#[test]
fn partial_loading_readies_the_core_sooner_and_loads_extensions_on_demand() {
    let sets = ["workload.tenants=2000", "duration=\"30min\""];
    let mut with = sets.to_vec();
    with.push("policies=[\"partial_loading\"]");
    let m = run(&with, HYBRID);
    // Core load: data read + half of compile and init: 20 + 0.5 (350 + 750)
    // ms on average; tolerance 4 standard errors plus 0.1% resolution.
    let h = &m.load_time;
    let se = h.inner().stdev() / 1e6 / (h.count() as f64).sqrt();
    assert!(
        (h.mean_ms() - 570.0).abs() < 4.0 * se + 0.57,
        "{} +- {se}",
        h.mean_ms()
    );
    assert!(m.extension_loads > 0 && m.extension_loads <= m.loads_started);
}

#[test]
fn top_k_prewarming_spares_cold_starts_at_a_memory_cost() {
    let sets = ["workload.tenants=2000", "duration=\"30min\""];
    let plain = run(&sets, HYBRID);
    let mut with = sets.to_vec();
    // Restarts only: keeping resident ones is tested in policy_ceilings.
    with.extend([
        "policies=[\"prewarm\"]",
        "prewarm.top_k=200",
        "prewarm.keep_resident=false",
    ]);
    let warm = run(&with, HYBRID);
    assert!(warm.prewarms_started > 0);
    assert!(warm.prewarms_wasted <= warm.prewarms_started);
    assert!(
        warm.cold_starts < plain.cold_starts,
        "{} vs {}",
        warm.cold_starts,
        plain.cold_starts
    );
    assert!(warm.prewarm_memory_kib.integral() > 0);
    assert!(warm.memory_kib.integral() > plain.memory_kib.integral());
}

#[test]
fn histogram_keep_alive_keeps_a_once_a_minute_tenant_warm() {
    // One tenant, a request a minute on average: idle times fall in the
    // first few 1-minute bins, so the policy keeps the DO alive past the
    // 10 s hibernation, to the 99th percentile x 1.1.
    let sets = [
        "workload.tenants=1",
        "workload.rate_rps=0.0166667",
        "duration=\"12h\"",
    ];
    let reps = 5;
    let (mut plain, mut kept) = (Vec::new(), Vec::new());
    for r in 0..reps {
        let c = config_with(&sets);
        plain.push(run_variant(&c, HYBRID, r).metrics.cold_start_fraction());
        let mut with = sets.to_vec();
        with.extend(["policies=[\"prewarm\"]", "prewarm.predictor=\"histogram\""]);
        kept.push(
            run_variant(&config_with(&with), HYBRID, r)
                .metrics
                .cold_start_fraction(),
        );
    }
    let (p, _) = mean_and_se(&plain);
    let (k, _) = mean_and_se(&kept);
    // Baseline: nearly every request is cold (P(gap < 10 s) = 1 - e^{-1/6} = 15%).
    assert!(p > 0.8, "baseline cold fraction {p}");
    assert!(k < 0.1, "histogram keep-alive cold fraction {k}");
}
