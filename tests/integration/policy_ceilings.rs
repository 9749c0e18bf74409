//! The policies beside their ceilings: smart delegation never worse than
//! plain delegation, prewarming with both mechanisms against the closed
//! form of keeping the top K resident, and the oracle prewarmer against the
//! count of first arrivals.

use std::collections::HashSet;

use dofleet::architectures::{Architecture, ArchitectureVariant, WasmCompile};
use dofleet::engine::stream;
use dofleet::metrics::ServedBy;
use dofleet::simulation::Config;
use dofleet::workload::{generalized_harmonic, ArrivalProcess, ArrivalSource};
use proptest::prelude::*;

use crate::common::{config_with, mean_and_se, run_variant, INSTANT_PHASES};

const HYBRID: ArchitectureVariant = ArchitectureVariant {
    architecture: Architecture::Hybrid,
    runtime_wasm_compile: WasmCompile::Blocked,
};
const LAZY_BLOCKED: ArchitectureVariant = ArchitectureVariant {
    architecture: Architecture::Lazy,
    runtime_wasm_compile: WasmCompile::Blocked,
};

/// Tenants whose first arrival of the run falls in `[warmup, duration)`,
/// counted from the arrival process itself (as the simulation draws it).
fn first_arrivals_in_window(c: &Config, replication: u64) -> u64 {
    let mut source = ArrivalSource::from_config(&c.workload);
    let mut rng = stream(c.seed, &[0, replication, 0]);
    let (mut seen, mut count, mut last) = (HashSet::new(), 0, 0);
    while let Some(a) = source.next(last, &mut rng) {
        if a.time >= c.duration {
            break;
        }
        last = a.time;
        if seen.insert(a.tenant) && a.time >= c.warmup {
            count += 1;
        }
    }
    count
}

#[test]
fn the_oracle_prewarmer_cold_starts_exactly_the_first_arrivals() {
    let (tenants, rate, warmup, duration) = (5_000u64, 20.0, 300.0, 1_200.0);
    let base = [
        "workload.tenants=5000",
        "workload.rate_rps=20",
        "duration=\"20min\"",
        "warmup=\"5min\"",
    ];
    let mut sets = base.to_vec();
    sets.extend(["policies=[\"prewarm\"]", "prewarm.predictor=\"oracle\""]);
    let (plain, oracle) = (config_with(&base), config_with(&sets));
    // Closed form: tenant i (Zipf 1.0) first arrives in the window with
    // probability q_i = e^{-l_i W} - e^{-l_i T}; the count's variance is
    // the sum of q_i (1 - q_i).
    let h = generalized_harmonic(tenants, 1.0);
    let q: Vec<f64> = (1..=tenants)
        .map(|i| {
            let l = rate / (i as f64 * h);
            (-l * warmup).exp() - (-l * duration).exp()
        })
        .collect();
    let expect: f64 = q.iter().sum();
    let sd = q.iter().map(|q| q * (1.0 - q)).sum::<f64>().sqrt();
    for variant in [HYBRID, LAZY_BLOCKED] {
        let reps = 6;
        let mut counts = Vec::new();
        for r in 0..reps {
            let m = run_variant(&oracle, variant, r).metrics;
            let first = first_arrivals_in_window(&oracle, r);
            assert_eq!(m.cold_starts, first, "{variant:?} replication {r}");
            assert!(m.prewarms_started > 0);
            // Without the oracle, far more cold starts: the test can fail.
            let p = run_variant(&plain, variant, r).metrics;
            assert!(p.cold_starts > 2 * first, "{} vs {first}", p.cold_starts);
            counts.push(m.cold_starts as f64);
        }
        let mean = counts.iter().sum::<f64>() / reps as f64;
        // 4 standard errors of the mean of `reps` counts.
        let tolerance = 4.0 * sd / (reps as f64).sqrt();
        assert!(
            (mean - expect).abs() < tolerance,
            "{variant:?}: {mean} cold starts, closed form {expect} +- {tolerance}"
        );
    }
}

/// Thin DOs whose requests take no time (every phase, the query and the
/// delegation instant), so that a request is cold exactly when no request
/// of its tenant came in the idle timeout before it.
fn instant_thin(extra: &[&str]) -> Config {
    let mut sets = INSTANT_PHASES.to_vec();
    sets.extend([
        "compute.rtt=0s",
        "compute.exec=0s",
        "compute.cold_start=0s",
        "do.idle_timeout=\"10s\"",
        "workload.tenants=1000",
        "workload.rate_rps=100",
        "duration=\"1h\"",
        "warmup=\"10min\"",
    ]);
    sets.extend(extra);
    config_with(&sets)
}

#[test]
fn keep_alive_of_the_top_k_reaches_keeping_them_always_resident() {
    let thin = ArchitectureVariant {
        architecture: Architecture::Thin,
        runtime_wasm_compile: WasmCompile::Blocked,
    };
    let k = 50u64;
    let prewarm = [
        "policies=[\"prewarm\"]",
        "prewarm.top_k=50",
        "prewarm.interval=\"10s\"",
        "prewarm.window=\"1h\"",
    ];
    let kept = instant_thin(&prewarm);
    let mut restart_only = prewarm.to_vec();
    restart_only.push("prewarm.keep_resident=false");
    let restarted = instant_thin(&restart_only);
    // Closed form: with ranks 1..K always resident, a request of tenant
    // i > K (rate l_i) is cold iff the last 10 s saw none of its requests:
    // the cold fraction is sum_{i>K} p_i e^{-l_i 10 s}.
    let (n, rate, tau) = (1_000u64, 100.0, 10.0);
    let h = generalized_harmonic(n, 1.0);
    let closed: f64 = (k + 1..=n)
        .map(|i| {
            let p = 1.0 / (i as f64 * h);
            p * (-rate * p * tau).exp()
        })
        .sum();
    let reps = 5;
    let (mut with, mut without) = (Vec::new(), Vec::new());
    for r in 0..reps {
        let m = run_variant(&kept, thin, r).metrics;
        assert!(m.prewarm_pings > 0);
        with.push(m.cold_start_fraction());
        without.push(
            run_variant(&restarted, thin, r)
                .metrics
                .cold_start_fraction(),
        );
    }
    let (m, se) = mean_and_se(&with);
    let (restart, restart_se) = mean_and_se(&without);
    // 4 standard errors over the replications.
    assert!(
        (m - closed).abs() < 4.0 * se,
        "keep-alive cold fraction {m} +- {se}, closed form {closed}"
    );
    // Restarting evicted DOs alone falls short of the ceiling.
    assert!(
        restart - closed > 4.0 * restart_se,
        "restart-only {restart} +- {restart_se}, closed form {closed}"
    );
}

#[test]
fn under_a_blocked_compile_smart_delegation_is_plain_delegation() {
    let base = [
        "workload.tenants=2000",
        "workload.rate_rps=100",
        "duration=\"20min\"",
    ];
    let mut sets = base.to_vec();
    sets.push("policies=[\"smart_delegation\"]");
    let (plain, smart) = (config_with(&base), config_with(&sets));
    let mut diffs = Vec::new();
    for r in 0..4 {
        let p = run_variant(&plain, LAZY_BLOCKED, r).metrics;
        let s = run_variant(&smart, LAZY_BLOCKED, r).metrics;
        // At most a handful of waits while the failure estimate forms.
        assert!(s.smart_waits <= 5, "{} waits", s.smart_waits);
        diffs.push(s.latency.mean_ms() - p.latency.mean_ms());
    }
    let (d, se) = mean_and_se(&diffs);
    assert!(d.abs() <= se + 1e-9, "mean latency {d:+} ms +- {se}");
}

#[test]
fn with_the_isolate_model_a_request_meeting_a_fetch_waits_for_the_load_when_delegating_is_dearer() {
    // Every delegation meets a cold worker (it expires at once) that takes
    // 3 s to start; the load is a fetch then ~0.3-0.7 s on the thread. A
    // request meeting the fetch waits for the load's CPU part to be queued,
    // then runs right after it: far sooner than a delegation.
    let base = [
        "architectures=[{ architecture = \"lazy\", runtime_wasm_compile = \"allowed\" }]",
        "compute.cold_start=\"3s\"",
        "compute.idle_timeout=\"0s\"",
        "workload.tenants=300",
        "workload.rate_rps=30",
        "duration=\"10min\"",
        "do.idle_timeout=\"3s\"",
    ];
    let mut with = base.to_vec();
    with.push("policies=[\"smart_delegation\"]");
    let (plain, smart) = (config_with(&base), config_with(&with));
    assert!(plain.isolate.threads_on());
    let variant = plain.architectures[0];
    let mut diffs = Vec::new();
    for r in 0..4 {
        let s = run_variant(&smart, variant, r).metrics;
        let p = run_variant(&plain, variant, r).metrics;
        assert!(s.smart_waits > 100, "{} waits", s.smart_waits);
        assert!(s.path_count(ServedBy::Delegated) < p.path_count(ServedBy::Delegated));
        diffs.push(s.latency.mean_ms() - p.latency.mean_ms());
    }
    let (d, se) = mean_and_se(&diffs);
    assert!(d + 4.0 * se < 0.0, "mean latency {d:+} ms +- {se}");
}

/// One-sided 95% bound for all the comparisons of one run of the property
/// below (8 cases, isolate model on and off: 16), Bonferroni: the 0.3125%
/// quantile of Student's t with 7 degrees of freedom (8 paired
/// replications), computed by integrating its density.
const T_BONFERRONI_16_DF7: f64 = 3.855;

/// Paired mean-latency difference (smart minus plain delegation) over 8
/// replications, with its standard error.
fn smart_minus_plain(base: &[&str]) -> (f64, f64) {
    let mut with = base.to_vec();
    with.push("policies=[\"smart_delegation\"]");
    let (plain, smart) = (config_with(base), config_with(&with));
    let variant = plain.architectures[0];
    let diffs: Vec<f64> = (0..8)
        .map(|r| {
            run_variant(&smart, variant, r).metrics.latency.mean_ms()
                - run_variant(&plain, variant, r).metrics.latency.mean_ms()
        })
        .collect();
    mean_and_se(&diffs)
}

proptest! {
    // A fixed seed: the cases, and so the verdict, are the same on every
    // machine and every run.
    #![proptest_config(ProptestConfig {
        cases: 8,
        rng_seed: proptest::test_runner::RngSeed::Fixed(18),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    /// Smart delegation is never worse than plain delegation in mean
    /// latency, for every architecture, runtime compile and random phases,
    /// with the isolate model on and off: the paired difference is at most
    /// its Bonferroni bound (a policy that never acts gives exactly 0).
    #[test]
    fn smart_delegation_is_never_worse_than_delegating(
        architecture in 0usize..4,
        compile in 0usize..3,
        init_ms in 50u64..1500,
        compile_ms in 10u64..600,
        exec_ms in 20u64..200,
        cold_ms in 0u64..500,
        hit in 0.0f64..1.0,
        timeout_s in 1u64..30,
    ) {
        let arch = ["traditional", "hybrid", "thin", "lazy"][architecture];
        let wasm = ["blocked", "allowed", "loader"][compile];
        let sets: Vec<String> = vec![
            "workload.tenants=300".into(),
            "workload.rate_rps=30".into(),
            "duration=\"10min\"".into(),
            format!("architectures=[{{ architecture = \"{arch}\", runtime_wasm_compile = \"{wasm}\" }}]"),
            format!("phases.pglite_init={{ dist = \"uniform\", min = \"{}ms\", max = \"{init_ms}ms\" }}", init_ms / 2),
            format!("phases.wasm_compile={{ dist = \"uniform\", min = \"{}ms\", max = \"{compile_ms}ms\" }}", compile_ms / 2),
            format!("compute.exec={{ dist = \"uniform\", min = \"{}ms\", max = \"{exec_ms}ms\" }}", exec_ms / 2),
            format!("compute.cold_start=\"{cold_ms}ms\""),
            format!("lazy.cache_hit_ratio={hit}"),
            format!("do.idle_timeout=\"{timeout_s}s\""),
        ];
        let base: Vec<&str> = sets.iter().map(String::as_str).collect();
        let mut without_isolates = base.clone();
        without_isolates.push("isolate.cpu_phases=[]");
        for (model, sets) in [("isolates", &base), ("no isolates", &without_isolates)] {
            let (d, se) = smart_minus_plain(sets);
            prop_assert!(
                d <= T_BONFERRONI_16_DF7 * se + 1e-9,
                "{arch}/{wasm}, {model}: mean latency {d:+} ms +- {se}"
            );
        }
    }
}
