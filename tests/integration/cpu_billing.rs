//! The compute worker's billed CPU time (`compute.cpu_time`): the bill
//! against its closed form, and latencies that do not move with it.

use dofleet::metrics::{RunMetrics, METRICS};

use crate::common::{config_with, run_variant, t999};

const MONTH_S: f64 = 30.0 * 86_400.0;

/// Thin (every request delegated) on a short, busy run, with overrides.
fn thin(sets: &[&str]) -> dofleet::simulation::Config {
    let mut all = vec![
        "architectures=[\"thin\"]",
        "workload.tenants=200",
        "workload.rate_rps=200",
        "duration=\"10min\"",
    ];
    all.extend_from_slice(sets);
    config_with(&all)
}

/// A distribution's mean and variance, ms and ms^2.
#[derive(Clone, Copy)]
struct Moments {
    mean: f64,
    var: f64,
}

fn constant(ms: f64) -> Moments {
    Moments { mean: ms, var: 0.0 }
}

fn uniform(a: f64, b: f64) -> Moments {
    Moments {
        mean: (a + b) / 2.0,
        var: (b - a).powi(2) / 12.0,
    }
}

/// Checks the billed CPU ms per month against the closed form: (delegated
/// requests x the mean of the clamped `cpu_time` + compute cold starts x the
/// mean cold start) x the month factor (30 days over the window). The
/// tolerance is the 99.9% bound on the sum's error: the per-request terms
/// are independent, so its standard error is sqrt(n var_cpu + k var_cold).
fn check_bill(sets: &[&str], cpu: Moments, cold: Moments) {
    let config = thin(sets);
    let out = run_variant(&config, config.architectures[0], 0);
    let m = &out.metrics;
    let value = |name: &str| {
        METRICS
            .iter()
            .find(|x| x.name == name)
            .map(|x| (x.value)(m))
            .unwrap_or(f64::NAN)
    };
    let n = value("compute_requests");
    let k = value("compute_cold_starts");
    assert!(n > 50_000.0 && k > 0.0, "n {n}, k {k}");
    let month = MONTH_S / (m.window as f64 / 1e9);
    let expected = (n * cpu.mean + k * cold.mean) * month;
    let se = (n * cpu.var + k * cold.var).sqrt() * month;
    let got = m.cost.worker_cpu_ms_month;
    let tol = t999(1_000_000) * se + 1e-9 * expected;
    assert!(
        (got - expected).abs() <= tol,
        "billed {got:.0} CPU-ms/month, closed form {expected:.0} +- {tol:.0} ({sets:?})"
    );
    // And it is what the CPU column prices: $0.02/M after 30 M a month.
    let usd = (got - 30e6).max(0.0) * 0.02 / 1e6;
    assert!((value("cost_cpu_usd_month") - usd).abs() < 1e-6 * usd.max(1.0));
}

#[test]
fn cpu_time_varies_and_is_clamped_to_a_constant_execution() {
    // min(U(50, 150), 100): half clamped at 100, half uniform on 50-100.
    // Mean 0.5 * 75 + 0.5 * 100 = 87.5; E[X^2] = 0.5 * (100^3 - 50^3) /
    // (3 * 50) + 0.5 * 100^2 = 7916.67.
    let mean = 87.5;
    let var = 0.5 * (1e6 - 125_000.0) / 150.0 + 0.5 * 1e4 - mean * mean;
    check_bill(
        &[
            "compute.exec=\"100ms\"",
            "compute.cpu_time={dist=\"uniform\",min=\"50ms\",max=\"150ms\"}",
            "compute.cold_start=\"300ms\"",
        ],
        Moments { mean, var },
        constant(300.0),
    );
}

#[test]
fn a_constant_cpu_time_is_clamped_to_each_drawn_execution() {
    // min(120, U(90, 140)): P(exec < 120) = 0.6 with mean 105, else 120.
    // Mean 0.6 * 105 + 0.4 * 120 = 111; E[X^2] = 0.6 * (120^3 - 90^3) /
    // (3 * 30) + 0.4 * 120^2 = 12420. Clamped to the mean exec (115) it
    // would be 115: the check tells them apart (the mean's se is ~0.03 ms).
    let mean = 111.0;
    let var = 0.6 * (1_728_000.0 - 729_000.0) / 90.0 + 0.4 * 14_400.0 - mean * mean;
    check_bill(
        &[
            "compute.exec={dist=\"uniform\",min=\"90ms\",max=\"140ms\"}",
            "compute.cpu_time=\"120ms\"",
            "compute.cold_start=\"0ms\"",
        ],
        Moments { mean, var },
        constant(0.0),
    );
}

#[test]
fn the_default_cpu_time_is_billed_in_full() {
    // Defaults: cpu_time U(1, 10) ms, never above exec (90-140 ms);
    // cold start U(300, 450) ms, billed in full.
    check_bill(&[], uniform(1.0, 10.0), uniform(300.0, 450.0));
}

/// Every metric of a run but the CPU bill's (its CPU time, its price and
/// the total), by name.
fn without_cpu_bill(m: &RunMetrics) -> Vec<(&'static str, String)> {
    const BILL: [&str; 3] = [
        "worker_cpu_ms_month",
        "cost_cpu_usd_month",
        "cost_usd_month",
    ];
    METRICS
        .iter()
        .filter(|x| !BILL.contains(&x.name))
        // Bits, so that NaN (an empty path's quantile) compares equal.
        .map(|x| (x.name, format!("{:x}", (x.value)(m).to_bits())))
        .collect()
}

#[test]
fn latencies_and_every_other_metric_do_not_move_with_cpu_time() {
    // Thin, lazy (delegated until its runtime is ready) and a saturated
    // pool (requests queue). A CPU draw from the run's own stream would
    // shift every later draw there, and so the latencies: this fails then.
    for extra in [
        vec!["architectures=[\"thin\"]"],
        vec!["architectures=[{architecture=\"lazy\",runtime_wasm_compile=\"allowed\"}]"],
        vec!["architectures=[\"thin\"]", "compute.max_instances=20"],
    ] {
        let run = |cpu: &str| {
            let mut sets = vec![
                "workload.tenants=500",
                "workload.rate_rps=150",
                "duration=\"5min\"",
            ];
            sets.extend_from_slice(&extra);
            sets.push(cpu);
            let config = config_with(&sets);
            run_variant(&config, config.architectures[0], 3).metrics
        };
        let base = run("compute.cpu_time=\"1ms\"");
        for other in [
            "compute.cpu_time={dist=\"uniform\",min=\"1ms\",max=\"10ms\"}",
            "compute.cpu_time={dist=\"exponential\",mean=\"60ms\"}",
            "compute.cpu_time=\"1s\"",
        ] {
            let m = run(other);
            assert_eq!(
                without_cpu_bill(&base),
                without_cpu_bill(&m),
                "{extra:?}: {other} moved a metric other than the CPU bill"
            );
            // The whole latency histogram, not only its quantiles.
            assert_eq!(
                format!("{:?}", base.latency),
                format!("{:?}", m.latency),
                "{extra:?}: {other}"
            );
            assert!(
                m.cost.worker_cpu_ms_month > base.cost.worker_cpu_ms_month,
                "{extra:?}: {other} should bill more CPU than 1 ms a request"
            );
        }
    }
}
