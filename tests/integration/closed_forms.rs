//! The simulator against closed forms: finite-horizon idle eviction under
//! Zipf traffic, and the M/M/1 queue.

use dofleet::workload::generalized_harmonic;
use rand::{RngExt, SeedableRng};

use crate::common::{
    config_with, erlang_c, mean_and_se, mmc_config, run_first, t999, INSTANT_PHASES,
};

/// Expected cold starts of one tenant with Poisson rate `l` over a horizon
/// `d` with a constant idle timeout `t` (d >= t): the first request in
/// `[0, t)` (no earlier one) plus every request after `t` preceded by a gap
/// longer than `t`.
fn expected_cold(l: f64, t: f64, d: f64) -> f64 {
    (1.0 - (-l * t).exp()) + l * (d - t) * (-l * t).exp()
}

/// Variance of the same count. With C = sum of indicators over the
/// requests, E[C(C-1)] = 2 l^2 e^{-l t} int_0^{d-t} e^{-l min(s,t)} (d - t - s) ds:
/// two cold requests at s < u need u - s > t (else s lies in u's window)
/// and then their windows are disjoint (Palm calculus for Poisson processes).
fn variance_cold(l: f64, t: f64, d: f64) -> f64 {
    let big_l = d - t;
    let lin = |a: f64| {
        // int_0^a e^{-l s} (L - s) ds
        big_l * (1.0 - (-l * a).exp()) / l - (1.0 - (-l * a).exp() * (1.0 + l * a)) / (l * l)
    };
    let integral = if big_l <= t {
        lin(big_l)
    } else {
        lin(t) + (-l * t).exp() * (big_l - t).powi(2) / 2.0
    };
    let m = expected_cold(l, t, d);
    m + 2.0 * l * l * (-l * t).exp() * integral - m * m
}

#[test]
fn cold_start_variance_formula_matches_a_direct_poisson_simulation() {
    // Independent check of `variance_cold`: simulate one Poisson process
    // directly and count requests preceded by a gap longer than t.
    let (l, t, d) = (0.3, 2.0, 20.0);
    let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(5);
    let reps = 40_000;
    let counts: Vec<f64> = (0..reps)
        .map(|_| {
            let (mut now, mut last, mut c) = (0.0f64, f64::NEG_INFINITY, 0.0);
            loop {
                let u: f64 = rng.random();
                now += -(1.0 - u).ln() / l;
                if now >= d {
                    break c;
                }
                if now - last > t {
                    c += 1.0;
                }
                last = now;
            }
        })
        .collect();
    let (m, se) = mean_and_se(&counts);
    let var = counts.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (reps as f64 - 1.0);
    assert!(
        (m - expected_cold(l, t, d)).abs() < 4.0 * se,
        "mean {m} vs {}",
        expected_cold(l, t, d)
    );
    // The sample variance's standard error is about var * sqrt(2 / (n - 1))
    // for a near-normal count; 5 of them is a generous bound for its tails.
    let var_se = var * (2.0 / (reps as f64 - 1.0)).sqrt();
    assert!(
        (var - variance_cold(l, t, d)).abs() < 5.0 * var_se,
        "variance {var} vs {}",
        variance_cold(l, t, d)
    );
}

/// Cold starts over a finite horizon for Zipf tenants with a constant idle
/// timeout and no service time: the sum of `expected_cold` over tenants,
/// within 4 standard deviations of the exact count's distribution
/// (tenants are independent by Poisson splitting, so variances add).
fn check_cold_starts(tenants: u64, s: f64, rate: f64, timeout_s: f64, horizon_s: f64) {
    let mut sets: Vec<String> = INSTANT_PHASES.iter().map(|s| s.to_string()).collect();
    sets.extend([
        "architectures=[\"traditional\"]".to_string(),
        format!("workload.tenants={tenants}"),
        format!("workload.zipf_s={s}"),
        format!("workload.rate_rps={rate}"),
        format!("do.idle_timeout=\"{timeout_s}s\""),
        format!("duration=\"{horizon_s}s\""),
    ]);
    let refs: Vec<&str> = sets.iter().map(String::as_str).collect();
    let config = config_with(&refs);
    let outcome = run_first(&config, 0);
    let h = generalized_harmonic(tenants, s);
    let (mut mean, mut var) = (0.0, 0.0);
    for k in 1..=tenants {
        let l = rate * (k as f64).powf(-s) / h;
        mean += expected_cold(l, timeout_s, horizon_s);
        var += variance_cold(l, timeout_s, horizon_s);
    }
    let got = outcome.metrics.cold_starts as f64;
    let sd = var.sqrt();
    assert!(
        (got - mean).abs() < 4.0 * sd,
        "tenants {tenants}, s {s}: {got} cold starts, expected {mean:.1} +- {sd:.1}"
    );
}

#[test]
fn cold_starts_match_the_finite_horizon_formula_under_zipf_1() {
    check_cold_starts(2_000, 1.0, 50.0, 10.0, 3_600.0);
}

#[test]
fn cold_starts_match_the_finite_horizon_formula_under_skewed_and_flat_traffic() {
    check_cold_starts(500, 1.2, 20.0, 30.0, 1_800.0);
    check_cold_starts(300, 0.0, 5.0, 60.0, 600.0);
}

/// One tenant, exponential local execution, no eviction: an M/M/1 queue.
/// Its sojourn time is exponential with rate mu - lambda, so the mean is
/// 1/(mu - lambda) and the p99 is ln(100)/(mu - lambda). The tolerance is
/// a 99.9% Student-t interval over independent replications (the batch
/// means of a correlated queue would understate the error).
#[test]
fn one_tenant_with_exponential_service_is_an_mm1_queue() {
    let (lambda, mu) = (50.0, 100.0);
    let mut sets: Vec<String> = INSTANT_PHASES.iter().map(|s| s.to_string()).collect();
    sets.extend([
        "architectures=[\"traditional\"]".to_string(),
        "workload.tenants=1".to_string(),
        format!("workload.rate_rps={lambda}"),
        format!(
            "query_exec={{dist=\"exponential\",mean=\"{}ms\"}}",
            1000.0 / mu
        ),
        "do.idle_timeout=\"1000d\"".to_string(),
        "duration=\"1000s\"".to_string(),
        "warmup=\"10s\"".to_string(),
    ]);
    let refs: Vec<&str> = sets.iter().map(String::as_str).collect();
    let config = config_with(&refs);
    let reps = 10;
    let (mut means, mut p99s) = (Vec::new(), Vec::new());
    for r in 0..reps {
        let m = run_first(&config, r).metrics;
        means.push(m.latency.mean_ms());
        p99s.push(m.latency.quantile_ms(0.99));
    }
    let want_mean = 1000.0 / (mu - lambda);
    let want_p99 = 1000.0 * 100f64.ln() / (mu - lambda);
    let (m, se) = mean_and_se(&means);
    // HdrHistogram keeps 3 significant digits: up to 0.1% per value.
    assert!(
        (m - want_mean).abs() < t999(reps as usize - 1) * se + 1e-3 * want_mean,
        "mean {m} vs {want_mean} (se {se})"
    );
    let (p, se) = mean_and_se(&p99s);
    assert!(
        (p - want_p99).abs() < t999(reps as usize - 1) * se + 1e-3 * want_p99,
        "p99 {p} vs {want_p99} (se {se})"
    );
}

/// A fixed pool of `c` compute-worker instances with exponential service,
/// fed by Poisson traffic (thin: every request delegated, no start-up time),
/// is an M/M/c queue: mean latency `C(c, a) / (c mu - lambda) + 1/mu`
/// (Erlang C). Tolerance: a 99.9% Student-t interval over independent
/// replications, plus HdrHistogram's 0.1% resolution.
#[test]
fn a_saturated_compute_pool_is_an_mmc_queue() {
    let (lambda, mu, c) = (30.0, 10.0, 4u32);
    let max = format!("compute.max_instances={c}");
    let config = mmc_config(lambda, mu, &[&max, "duration=\"2000s\""]);
    let reps = 8;
    let (mut means, mut waited) = (Vec::new(), Vec::new());
    for r in 0..reps {
        let m = run_first(&config, r).metrics;
        means.push(m.latency.mean_ms());
        waited.push(m.compute_queued as f64 / m.requests as f64);
    }
    let a = lambda / mu;
    let pw = erlang_c(c, a);
    let want = 1000.0 * (pw / (f64::from(c) * mu - lambda) + 1.0 / mu);
    let (m, se) = mean_and_se(&means);
    assert!(
        (m - want).abs() < t999(reps as usize - 1) * se + 1e-3 * want,
        "mean {m} ms vs Erlang C {want} ms (se {se})"
    );
    // The share of requests that queued is Erlang C's waiting probability.
    let (w, se) = mean_and_se(&waited);
    assert!(
        (w - pw).abs() < t999(reps as usize - 1) * se,
        "waited {w} vs {pw} (se {se})"
    );
}
