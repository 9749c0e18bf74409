//! Invariants over random small configurations (proptest): every request
//! completes exactly once, latencies are never negative (nor below the
//! fastest possible path), memory never goes negative and returns to zero
//! once every DO is evicted, and every load ends exactly one way.

use proptest::prelude::*;

use crate::common::{config_with, run_first};

fn duration_spec() -> impl Strategy<Value = String> {
    prop_oneof![
        (0u32..300).prop_map(|ms| format!("\"{ms}ms\"")),
        (0u32..100, 0u32..300)
            .prop_map(|(a, b)| format!("{{dist=\"uniform\",min=\"{a}ms\",max=\"{}ms\"}}", a + b)),
        (1u32..300).prop_map(|ms| format!("{{dist=\"exponential\",mean=\"{ms}ms\"}}")),
    ]
}

fn small_config() -> impl Strategy<Value = Vec<String>> {
    (
        (1u32..40, 0.0f64..1.5, 1u32..200, 1u32..40),
        (0usize..4, 0usize..3, any::<bool>()),
        (duration_spec(), duration_spec(), duration_spec(), duration_spec()),
        (prop_oneof![Just("\"50ms\"".to_string()), Just("\"2s\"".to_string()), duration_spec()], 1u32..5000),
        (proptest::collection::vec(any::<bool>(), 5), any::<bool>(), 1u32..20),
        (0u32..4, 60u32..200, 0usize..3),
        (1u32..50, proptest::collection::vec(any::<bool>(), 5), prop_oneof![Just(0u32), 1u32..200], prop_oneof![Just(0u32), 50u32..400]),
    )
        .prop_map(|((tenants, s, rate, secs), (arch, compile, keeps), (exec, compile_t, init, cold), (idle, worker_idle), (on, histogram, top_k), (hosts, host_mb, rule), (per_isolate, cpu_on, slice, limit_mb))| {
            let cpu_names = ["data_read", "wasm_compile", "loader_compile", "pglite_init", "query_exec"];
            let cpu: Vec<String> = cpu_names.iter().zip(&cpu_on).filter(|(_, on)| **on).map(|(n, _)| format!("\"{n}\"")).collect();
            let names = ["prewarm", "streaming", "tiered_cache", "smart_delegation", "partial_loading"];
            let policies: Vec<String> = names.iter().zip(&on).filter(|(_, on)| **on).map(|(n, _)| format!("\"{n}\"")).collect();
            let arch = ["traditional", "hybrid", "thin", "lazy"][arch];
            let compile = ["blocked", "allowed", "loader"][compile];
            vec![
                format!("workload.tenants={tenants}"),
                format!("workload.zipf_s={s}"),
                format!("workload.rate_rps={rate}"),
                format!("duration=\"{secs}s\""),
                format!("architectures=[{{architecture=\"{arch}\",runtime_wasm_compile=\"{compile}\"}}]"),
                format!("do.load_keeps_alive={keeps}"),
                format!("query_exec={exec}"),
                format!("phases.wasm_compile={compile_t}"),
                format!("phases.pglite_init={init}"),
                format!("compute.cold_start={cold}"),
                format!("do.idle_timeout={idle}"),
                format!("compute.idle_timeout=\"{worker_idle}ms\""),
                format!("policies=[{}]", policies.join(",")),
                format!("prewarm.predictor=\"{}\"", if histogram { "histogram" } else { "top_k" }),
                format!("prewarm.top_k={top_k}"),
                "prewarm.interval=\"2s\"".to_string(),
                "prewarm.histogram_bin=\"100ms\"".to_string(),
                "prewarm.min_idle_samples=2".to_string(),
                "tiered_cache.hosts=3".to_string(),
                format!("hosts.count={hosts}"),
                format!("hosts.memory_mb={host_mb}"),
                format!("hosts.when_full=\"{}\"", ["wait", "fail", "overcommit"][rule]),
                format!("isolate.dos_per_isolate={per_isolate}"),
                format!("isolate.cpu_phases=[{}]", cpu.join(",")),
                format!("isolate.slice=\"{slice}ms\""),
                format!("isolate.memory_limit_mb={limit_mb}"),
            ]
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn every_run_keeps_its_books(sets in small_config(), seed in 0u64..1000) {
        let mut all: Vec<String> = sets.clone();
        all.push(format!("seed={seed}"));
        let refs: Vec<&str> = all.iter().map(String::as_str).collect();
        let config = config_with(&refs);
        let out = run_first(&config, 0);
        let m = &out.metrics;
        prop_assert_eq!(
            out.arrivals,
            out.completions + out.failed + out.unadmitted + out.failed_reset,
            "every request completes exactly once, or fails (host memory, isolate reset), or still waits for its host"
        );
        prop_assert_eq!(m.requests_failed_reset, out.failed_reset, "warmup 0: every reset failure is counted");
        if config.isolate.memory_limit_mb == 0.0 {
            prop_assert_eq!(m.isolate_resets, 0);
        }
        prop_assert_eq!(m.requests_failed, out.failed, "warmup 0: every failure is counted");
        if config.hosts.when_full != dofleet::fleet::WhenFull::Overcommit {
            prop_assert!(
                out.host_peak_kib as f64 <= config.hosts.memory_mb * 1024.0,
                "a host never holds more than its memory: {} KiB", out.host_peak_kib
            );
        }
        prop_assert_eq!(m.requests, out.completions, "warmup 0: every request is measured");
        prop_assert_eq!(m.latency.count(), m.requests);
        prop_assert_eq!(out.final_memory_kib, 0, "memory returns to zero");
        prop_assert_eq!(m.memory_kib.underflows(), 0, "memory never negative");
        prop_assert_eq!(m.resident.level(), 0);
        prop_assert_eq!(m.resident.underflows(), 0);
        prop_assert_eq!(out.final_instances, 0);
        prop_assert_eq!(m.compute_instances.underflows(), 0);
        prop_assert_eq!(m.loads_started, m.loads_completed + m.loads_failed + m.loads_aborted);
        if m.requests > 0 {
            prop_assert!(m.latency.min_ms() >= 0.0);
            // The fastest possible request: the client round trip (8 ms at least).
            prop_assert!(m.latency.min_ms() >= 8.0 * 0.999, "{}", m.latency.min_ms());
        }
        // Every cold start is a request's: one that got a latency, or one
        // that failed with its isolate's reset.
        prop_assert!(m.cold_starts <= m.requests + m.requests_failed_reset);
        prop_assert!(m.memory_kib.peak() as f64 >= m.memory_kib.mean());
        prop_assert_eq!(m.prewarm_memory_kib.level(), 0, "prewarm memory returns to zero");
        prop_assert_eq!(m.prewarm_memory_kib.underflows(), 0);
        prop_assert!(m.prewarms_wasted <= m.prewarms_started);
        prop_assert!(m.prewarm_memory_kib.integral() <= m.memory_kib.integral());
        // A thread never runs two pieces at once: no isolate is busy for
        // longer than the window.
        prop_assert!(m.isolate_cpu_max <= 1.0 + 1e-9, "utilisation {}", m.isolate_cpu_max);
        prop_assert!(m.isolate_cpu_mean <= m.isolate_cpu_max + 1e-12);
    }
}

/// An observer sees every request once, every start and every eviction.
#[test]
fn an_observer_sees_every_request_start_and_eviction() {
    use dofleet::architectures::StartPlan;
    use dofleet::simulation::{simulate_observed, Observer, RequestRecord, RunIdentity};

    #[derive(Default)]
    struct Count {
        requests: u64,
        firsts: u64,
        starts: u64,
        evictions: u64,
        latency_sum: u128,
    }
    impl Observer for Count {
        fn request(&mut self, r: &RequestRecord) {
            self.requests += 1;
            self.firsts += u64::from(r.ordinal == 1);
            self.latency_sum += u128::from(r.latency);
        }
        fn start(&mut self, _: u32, _: u64, _: &StartPlan) {
            self.starts += 1;
        }
        fn evict(&mut self, _: u32, _: u64) {
            self.evictions += 1;
        }
    }
    let config = config_with(&["workload.tenants=200", "duration=\"5min\""]);
    for &variant in &config.architectures {
        let mut count = Count::default();
        let out = simulate_observed(
            &config,
            variant,
            RunIdentity {
                seed: 1,
                replication: 0,
            },
            &mut count,
        );
        assert_eq!(count.requests, out.metrics.requests);
        assert_eq!(count.starts, out.metrics.cold_starts);
        assert_eq!(count.firsts, out.metrics.cold_starts);
        assert_eq!(
            count.evictions, count.starts,
            "every DO is evicted by the end"
        );
        let mean_ms = count.latency_sum as f64 / count.requests as f64 / 1e6;
        assert!((mean_ms - out.metrics.latency.mean_ms()).abs() < 1e-3 * mean_ms);
    }
}
