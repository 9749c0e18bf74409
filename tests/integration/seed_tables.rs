//! Under the default model, the seed's tables hold: its Timing Breakdown
//! totals, and the latency shape of its Benchmark Results and Expected
//! Request Latency tables.

use dofleet::architectures::{Architecture, ArchitectureVariant, WasmCompile};

use crate::common::{config_with, run_variant};

const LAZY_ALLOWED: ArchitectureVariant = ArchitectureVariant {
    architecture: Architecture::Lazy,
    runtime_wasm_compile: WasmCompile::Allowed,
};
const LAZY_BLOCKED: ArchitectureVariant = ArchitectureVariant {
    architecture: Architecture::Lazy,
    runtime_wasm_compile: WasmCompile::Blocked,
};

fn variant(architecture: Architecture) -> ArchitectureVariant {
    ArchitectureVariant {
        architecture,
        runtime_wasm_compile: WasmCompile::Blocked,
    }
}

/// E[max(A, B)] for independent A ~ U(a0, a1), B ~ U(b0, b1), by integrating
/// the survival function (an independent computation of the parallel fetch).
fn mean_max_uniform(a: (f64, f64), b: (f64, f64)) -> f64 {
    let cdf = |x: f64, (lo, hi): (f64, f64)| ((x - lo) / (hi - lo)).clamp(0.0, 1.0);
    let top = a.1.max(b.1);
    let steps = 200_000;
    let dx = top / steps as f64;
    (0..steps)
        .map(|i| (i as f64 + 0.5) * dx)
        .map(|x| (1.0 - cdf(x, a) * cdf(x, b)) * dx)
        .sum()
}

#[test]
fn lazy_load_totals_match_the_seed_timing_breakdown() {
    // Many short-lived DOs: thousands of loads, about 10% from R2.
    let config = config_with(&[
        "workload.tenants=20000",
        "workload.rate_rps=50",
        "duration=\"30min\"",
    ]);
    let m = run_variant(&config, LAZY_ALLOWED, 0).metrics;
    let (hit, miss) = (&m.load_time_cache_hit, &m.load_time_r2);
    assert!(
        hit.count() > 5_000 && miss.count() > 500,
        "{} hits, {} misses",
        hit.count(),
        miss.count()
    );

    // Ranges: the seed's ~700-1500 ms (hit) and ~800-1700 ms (miss); "~"
    // read as within 10%.
    assert!(
        hit.min_ms() >= 0.9 * 700.0 && hit.max_ms() <= 1.1 * 1500.0,
        "hit {}..{}",
        hit.min_ms(),
        hit.max_ms()
    );
    assert!(
        miss.min_ms() >= 0.9 * 800.0 && miss.max_ms() <= 1.1 * 1700.0,
        "miss {}..{}",
        miss.min_ms(),
        miss.max_ms()
    );

    // Means against the phase table, computed independently: fetch (cache
    // check, plus R2 on a miss) in parallel with the data read, then
    // compile and init. Tolerance: 4 standard errors plus HdrHistogram's
    // 0.1% resolution.
    let compile_init = 350.0 + 750.0;
    let want_hit = mean_max_uniform((5.0, 20.0), (10.0, 30.0)) + compile_init;
    // On a miss the fetch (>= 55 ms) always outlasts the data read (<= 30 ms).
    let want_miss = 12.5 + 125.0 + compile_init;
    for (h, want) in [(hit, want_hit), (miss, want_miss)] {
        let se = h.inner().stdev() / 1e6 / (h.count() as f64).sqrt();
        let got = h.mean_ms();
        assert!(
            (got - want).abs() < 4.0 * se + 1e-3 * want,
            "mean load {got} ms vs {want} ms (se {se})"
        );
    }
}

#[test]
fn lazy_with_the_compile_blocked_always_delegates() {
    let config = config_with(&["workload.tenants=2000", "duration=\"10min\""]);
    let m = run_variant(&config, LAZY_BLOCKED, 0).metrics;
    assert_eq!(m.path_count(dofleet::metrics::Path::Delegated), m.requests);
    assert!(m.loads_started > 0);
    assert_eq!(m.loads_failed, m.loads_started);
    assert_eq!(m.loads_completed, 0);
}

#[test]
fn a_lone_request_on_a_cold_fleet_takes_the_seed_benchmark_500ms() {
    // The seed's benchmark (lazy, permanent delegation): ~500 ms on a cold
    // compute worker. Requests far apart (mean gap 200 s, instances retired
    // as soon as idle): every one finds DO and worker cold.
    let config = config_with(&[
        "workload.tenants=1",
        "workload.rate_rps=0.005",
        "duration=\"10h\"",
        "compute.idle_timeout=\"0s\"",
    ]);
    let m = run_variant(&config, LAZY_BLOCKED, 0).metrics;
    assert!(m.requests >= 50, "{} requests", m.requests);
    assert_eq!(m.compute_cold_starts, m.requests);
    let (lo, hi) = (m.latency.min_ms(), m.latency.max_ms());
    // Sum of the default phases' ranges: 1-5 + 0-1 + 300-450 + 90-140 + 8-12.
    assert!(lo >= 399.0 && hi <= 608.7, "{lo}..{hi}");
    let p50 = m.latency.quantile_ms(0.5);
    assert!((450.0..=560.0).contains(&p50), "median {p50}");
}

#[test]
fn the_request_shape_follows_the_seed() {
    // On the runtime's threads (docs/model.md, "Threads and isolates").
    let config = config_with(&[
        "workload.tenants=1000",
        "duration=\"20min\"",
        "isolate.cpu_phases=[\"data_read\",\"wasm_compile\",\"pglite_init\",\"query_exec\"]",
    ]);
    let traditional = run_variant(&config, variant(Architecture::Traditional), 0).metrics;
    let hybrid = run_variant(&config, variant(Architecture::Hybrid), 0).metrics;
    let thin = run_variant(&config, variant(Architecture::Thin), 0).metrics;
    let lazy = run_variant(&config, LAZY_ALLOWED, 0).metrics;
    use dofleet::metrics::{OrdinalBucket::*, Path};

    // Traditional: the first request waits for the whole start, ~1-3 s.
    let t1 = traditional.by_ordinal[First as usize].quantile_ms(0.5);
    assert!(
        (1_000.0..=3_000.0).contains(&t1),
        "traditional first request {t1} ms"
    );
    assert_eq!(traditional.path_count(Path::Delegated), 0);

    // Hybrid, on the runtime's threads: PGLite's init (with the bundled data
    // read and the compile) holds the DO's thread from the constructor's
    // end, so the first request can neither run nor be delegated before it
    // ends: it is served locally, like traditional's (docs/model.md,
    // "Threads and isolates"; the seed expected ~30 ms, delegated).
    assert_eq!(hybrid.delegated_by_ordinal[First as usize], 0);
    let h1 = hybrid.by_ordinal[First as usize].quantile_ms(0.5);
    assert!(
        (1_000.0..=3_000.0).contains(&h1),
        "hybrid first request {h1} ms"
    );

    // Lazy: the first request is delegated and slow; once ready, requests
    // run locally in ~10 ms (client round trip + sub-ms query).
    for (name, m) in [("hybrid", &hybrid), ("lazy", &lazy)] {
        if name == "lazy" {
            assert_eq!(
                m.delegated_by_ordinal[First as usize],
                m.by_ordinal[First as usize].count(),
                "{name}"
            );
        }
        let first = m.by_ordinal[First as usize].quantile_ms(0.5);
        assert!(first >= 100.0, "{name} first request {first} ms");
        let local = m.by_path[Path::Local as usize].quantile_ms(0.5);
        assert!(
            (8.0..=12.5).contains(&local),
            "{name} local median {local} ms"
        );
        let hot = m.by_ordinal[SixthOnward as usize].quantile_ms(0.5);
        assert!(hot <= 12.5, "{name} hot query {hot} ms");
    }

    // Thin: every request delegated, warm ones ~100-150 ms.
    assert_eq!(thin.path_count(Path::Delegated), thin.requests);
    let hot = thin.by_ordinal[SixthOnward as usize].quantile_ms(0.5);
    assert!((100.0..=150.0).contains(&hot), "thin hot query {hot} ms");

    // Memory: thin < lazy < bundled (the seed's Low / Medium / High).
    let mem = |m: &dofleet::metrics::RunMetrics| m.memory_kib.mean();
    assert!(
        mem(&thin) < mem(&lazy) && mem(&lazy) < mem(&hybrid),
        "{} {} {}",
        mem(&thin),
        mem(&lazy),
        mem(&hybrid)
    );
}
