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
    )
        .prop_map(|((tenants, s, rate, secs), (arch, compile, keeps), (exec, compile_t, init, cold), (idle, worker_idle))| {
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
        prop_assert_eq!(out.arrivals, out.completions, "every request completes exactly once");
        prop_assert_eq!(m.requests, out.arrivals, "warmup 0: every request is measured");
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
        prop_assert!(m.cold_starts <= m.requests);
        prop_assert!(m.memory_kib.peak() as f64 >= m.memory_kib.mean());
    }
}
