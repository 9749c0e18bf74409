//! Real traffic: trace replay (requests and Azure layouts), diurnal and
//! bursty (MMPP) arrivals by thinning, and fitting a workload to a trace.
//!
//! Replays are checked exactly (cold starts computed by hand from the
//! trace, per-minute counts reproduced); generated arrivals against the
//! integral of their rate or their stationary mean, with tolerances from
//! the Poisson (or MMPP) count's standard deviation; the Zipf fit by the
//! coverage of its interval.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use dofleet::engine::stream;
use dofleet::experiment::config;
use dofleet::simulation::Config;
use dofleet::time::{Nanos, SECOND};
use dofleet::workload::fit::{fit_trace, fit_zipf};
use dofleet::workload::{
    trace_index, ArrivalProcess, ArrivalSource, DiurnalRate, TenantPicker, TraceReplay,
};
use dofleet::workload::{TraceSpread, TraceTenant};
use proptest::prelude::*;

use crate::common::{config_with, mean_and_se, run_first, t999, INSTANT_PHASES};

const MS: Nanos = 1_000_000;
const HOUR: Nanos = 3600 * SECOND;

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap_or_else(|e| panic!("{e}"));
    path
}

fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"))
}

/// The default model with `sets` and instant phases, replaying `trace`.
fn replay_config(trace: &Path, sets: &[&str]) -> Config {
    let mut all: Vec<String> = INSTANT_PHASES.iter().map(|s| s.to_string()).collect();
    all.push("architectures=[\"traditional\"]".into());
    all.push("workload.arrivals=trace".into());
    all.push(format!("workload.trace={}", trace.display()));
    all.extend(sets.iter().map(|s| s.to_string()));
    let refs: Vec<&str> = all.iter().map(String::as_str).collect();
    config_with(&refs)
}

/// Every arrival of `config`'s workload before `until`, with seed `seed`.
fn arrivals(config: &Config, seed: u64, until: Nanos) -> Vec<(Nanos, u32)> {
    let mut source = ArrivalSource::from_config(&config.workload);
    let mut rng = stream(seed, &[0, 0, 0]);
    let mut out = Vec::new();
    let mut now = 0;
    while let Some(a) = source.next(now, &mut rng) {
        assert!(a.time >= now, "time went back: {} < {now}", a.time);
        assert!(a.tenant < source.tenants());
        if a.time >= until {
            break;
        }
        now = a.time;
        out.push((a.time, a.tenant));
    }
    assert_eq!(source.error(), None);
    out
}

#[test]
fn replaying_a_hand_made_trace_gives_exactly_the_expected_cold_starts() {
    let dir = tempdir();
    // Times in ms; time zero is the first row (1000 ms). Idle timeout 10 s:
    // a request is cold if it is its tenant's first or comes more than 10 s
    // after the tenant's previous one (exactly 10 s: still resident, since
    // an eviction due at t happens after the arrivals at t).
    let rows: &[(u64, &str)] = &[
        (1_000, "alice"),
        (1_500, "bob"),
        (2_000, "alice"),
        (11_500, "bob"),   // gap 10 s exactly: warm
        (12_001, "alice"), // gap 10.001 s: cold
        (12_001, "carol"), // same instant, another tenant: cold (first)
        (30_000, "bob"),   // gap 18.5 s: cold
        (35_000, "bob"),   // warm
        (60_999, "alice"), // cold; at 59.999 s
        (61_000, "alice"), // at exactly duration (60 s): not replayed
        (90_000, "carol"), // after duration: not replayed
    ];
    let mut text = String::from("# hand-made\ntimestamp_ms,tenant\n");
    for (t, who) in rows {
        text.push_str(&format!("{t},{who}\n"));
    }
    let trace = write(dir.path(), "t.csv", &text);
    let config = replay_config(&trace, &["do.idle_timeout=10s", "duration=60s"]);

    // By hand from the rows: (time since the first row, tenant).
    let origin = rows[0].0;
    let timeout = 10_000;
    let mut last: HashMap<&str, u64> = HashMap::new();
    let (mut requests, mut cold) = (0u64, 0u64);
    for &(t, who) in rows {
        let at = t - origin;
        if at >= 60_000 {
            continue;
        }
        requests += 1;
        if last.get(who).is_none_or(|&prev| at - prev > timeout) {
            cold += 1;
        }
        last.insert(who, at);
    }
    assert_eq!((requests, cold), (9, 6));
    let outcome = run_first(&config, 0);
    assert_eq!(outcome.error, None);
    assert_eq!(outcome.metrics.requests, requests);
    assert_eq!(outcome.metrics.cold_starts, cold);
    assert_eq!(outcome.arrivals, requests);
    // The same from the fit's count of first requests and longer gaps
    // (all rows: 11 requests, 3 tenants; gaps > 10 s: 12.001 alice,
    // 30 bob, 60.999 alice, 90 carol).
    let fit = fit_trace(&trace, TraceTenant::Function, TraceSpread::Uniform, 1, None)
        .unwrap_or_else(|e| panic!("{e}"));
    let at_10s = fit.cold_fractions.iter().find(|(t, _)| *t == 10 * SECOND);
    assert_eq!(at_10s.map(|(_, f)| *f), Some((3.0 + 4.0) / 11.0));

    // With a warm-up, cold starts before it are not counted.
    let config = replay_config(
        &trace,
        &["do.idle_timeout=10s", "duration=60s", "warmup=11s"],
    );
    let outcome = run_first(&config, 0);
    // In [11 s, 60 s): alice 11.001 (cold), carol 11.001 (cold), bob 29
    // (cold), bob 34, alice 59.999 (cold).
    assert_eq!(outcome.metrics.requests, 5);
    assert_eq!(outcome.metrics.cold_starts, 4);
}

/// A small Azure-layout trace: 3 functions of 2 apps over 3 minutes.
const AZURE: &str = "HashOwner,HashApp,HashFunction,Trigger,1,2,3\n\
                     o1,a1,f1,http,3,0,5\n\
                     o1,a1,f2,timer,1,1,1\n\
                     o2,a2,f3,queue,0,0,2\n";

#[test]
fn azure_replay_keeps_every_minute_count_with_uniform_spreading() {
    let dir = tempdir();
    let trace = write(dir.path(), "azure.csv", AZURE);
    for (by, expected) in [
        (
            "function",
            vec![
                ((0, 0), 3),
                ((0, 2), 5),
                ((1, 0), 1),
                ((1, 1), 1),
                ((1, 2), 1),
                ((2, 2), 2),
            ],
        ),
        (
            "app",
            vec![((0, 0), 4), ((0, 1), 1), ((0, 2), 6), ((1, 2), 2)],
        ),
    ] {
        let set = format!("workload.trace_tenant={by}");
        let config = replay_config(&trace, &[set.as_str()]);
        let index = config
            .workload
            .trace
            .index
            .clone()
            .unwrap_or_else(|| panic!("no index"));
        assert_eq!(index.requests(), 13);
        assert_eq!(index.span(), 3 * 60 * SECOND);
        let mut counts: HashMap<(u32, u64), u64> = HashMap::new();
        for (t, tenant) in arrivals(&config, 7, Nanos::MAX) {
            *counts.entry((tenant, t / (60 * SECOND))).or_default() += 1;
        }
        let mut counts: Vec<_> = counts.into_iter().collect();
        counts.sort();
        assert_eq!(counts, expected, "tenant = {by}");
    }
    // Same seed, same replay; another seed, other times (same counts).
    let config = replay_config(&trace, &[]);
    assert_eq!(
        arrivals(&config, 7, Nanos::MAX),
        arrivals(&config, 7, Nanos::MAX)
    );
    assert_ne!(
        arrivals(&config, 7, Nanos::MAX),
        arrivals(&config, 8, Nanos::MAX)
    );
}

#[test]
fn azure_poisson_spreading_keeps_each_minute_rate() {
    // Each minute of the shipped sample becomes a Poisson process of its
    // recorded rate: the day's total is Poisson with mean the recorded
    // total N, so it lies within 4.5 sqrt(N) of it (two-sided 7e-6).
    let sample =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("experiments/data/azure-functions-sample.csv");
    let config = replay_config(&sample, &["workload.trace_spread=poisson"]);
    let recorded = config
        .workload
        .trace
        .index
        .as_ref()
        .map_or(0, |i| i.requests()) as f64;
    let got = arrivals(&config, 3, Nanos::MAX).len() as f64;
    assert!(
        (got - recorded).abs() < 4.5 * recorded.sqrt(),
        "{got} vs {recorded}"
    );
}

#[test]
fn thinning_reproduces_the_diurnal_rate_curve() {
    // Counts in disjoint hour bins are independent Poisson with mean the
    // integral of the rate over the bin: each within 4.5 standard
    // deviations (sqrt of the mean; 48 bins, family error ~3e-4), and
    // Pearson's statistic below its chi-square 0.999 quantile.
    let checks: [&[&str]; 2] = [
        &[
            "workload.diurnal.amplitude=0.9",
            "workload.diurnal.peak=15h",
        ],
        &["workload.diurnal.profile=[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0.5, 0.5, 1, 1, 2, 2, 3, 3, 0, 0, 12, 1]"],
    ];
    for sets in checks {
        let mut all = vec!["workload.arrivals=diurnal", "workload.rate_rps=20"];
        all.extend_from_slice(sets);
        let config = config_with(&all);
        let rate = DiurnalRate::new(20.0, &config.workload.diurnal);
        let bins = 48u64;
        let mut counts = vec![0u64; bins as usize];
        for (t, _) in arrivals(&config, 11, bins * HOUR) {
            counts[(t / HOUR) as usize] += 1;
        }
        let mut chi2 = 0.0;
        let mut df = 0.0;
        for (h, &c) in counts.iter().enumerate() {
            let e = rate.integral(h as u64 * HOUR, (h as u64 + 1) * HOUR);
            if e == 0.0 {
                assert_eq!(c, 0, "hour {h} has rate 0");
                continue;
            }
            let z = (c as f64 - e) / e.sqrt();
            assert!(
                z.abs() < 4.5,
                "{sets:?} hour {h}: {c} vs {e:.0} (z = {z:.2})"
            );
            chi2 += z * z;
            df += 1.0;
        }
        use statrs::distribution::{ChiSquared, ContinuousCDF};
        let crit = ChiSquared::new(df)
            .map(|d| d.inverse_cdf(0.999))
            .unwrap_or(f64::NAN);
        assert!(
            chi2 < crit,
            "{sets:?}: chi2 {chi2:.1} >= {crit:.1} ({df} bins)"
        );
    }
}

#[test]
fn mmpp_long_run_rate_and_burstiness_match_the_two_state_formulas() {
    // Two states (rates l1, l2; switching rates q1 = 1/m1, q2 = 1/m2),
    // started stationary: pi = (m1, m2) / (m1 + m2), mean rate
    // pi1 l1 + pi2 l2, and (the rate's autocovariance is
    // pi1 pi2 (l1 - l2)^2 e^{-theta tau}, theta = q1 + q2)
    // Var N(T) = mean T + 2 pi1 pi2 (l1 - l2)^2 (T / theta - (1 - e^{-theta T}) / theta^2).
    let (l1, l2, m1, m2) = (20.0f64, 200.0f64, 60.0f64, 10.0f64);
    let config = config_with(&[
        "workload.arrivals=mmpp",
        "workload.mmpp.states=[{rate_rps=20,mean_sojourn=\"60s\"},{rate_rps=200,mean_sojourn=\"10s\"}]",
    ]);
    let (p1, p2) = (m1 / (m1 + m2), m2 / (m1 + m2));
    let mean = p1 * l1 + p2 * l2;
    let theta = 1.0 / m1 + 1.0 / m2;
    let horizon = 1800.0;
    let var = mean * horizon
        + 2.0
            * p1
            * p2
            * (l1 - l2).powi(2)
            * (horizon / theta - (1.0 - (-theta * horizon).exp()) / theta.powi(2));
    let reps = 60;
    let counts: Vec<f64> = (0..reps)
        .map(|r| arrivals(&config, 100 + r, 1800 * SECOND).len() as f64)
        .collect();
    let (m, _) = mean_and_se(&counts);
    // The mean of `reps` independent counts: standard error sqrt(var / reps).
    let se = (var / reps as f64).sqrt();
    assert!(
        (m - mean * horizon).abs() < 4.0 * se,
        "mean count {m:.0} vs {:.0} +- {se:.0}",
        mean * horizon
    );
    // The sample variance: (reps - 1) s^2 / var is near chi-square with
    // reps - 1 degrees of freedom (the count is near normal): within its
    // 0.0005 and 0.9995 quantiles.
    use statrs::distribution::{ChiSquared, ContinuousCDF};
    let s2 = counts.iter().map(|c| (c - m).powi(2)).sum::<f64>() / (reps as f64 - 1.0);
    let stat = (reps as f64 - 1.0) * s2 / var;
    let chi = ChiSquared::new(reps as f64 - 1.0).unwrap_or_else(|e| panic!("{e}"));
    let (lo, hi) = (chi.inverse_cdf(0.0005), chi.inverse_cdf(0.9995));
    assert!(
        stat > lo && stat < hi,
        "variance {s2:.0} vs {var:.0}: statistic {stat:.1} outside [{lo:.1}, {hi:.1}]"
    );
}

#[test]
fn mmpp_with_three_states_runs_at_its_stationary_mean_rate() {
    // pi_i is proportional to the mean sojourn (uniform jumps): mean rate
    // (10*30 + 100*10 + 400*5) / 45. Tolerance: a 99.9% Student-t interval
    // over independent replications.
    let config = config_with(&[
        "workload.arrivals=mmpp",
        "workload.mmpp.states=[{rate_rps=10,mean_sojourn=\"30s\"},{rate_rps=100,mean_sojourn=\"10s\"},{rate_rps=400,mean_sojourn=\"5s\"}]",
    ]);
    let expected = (10.0 * 30.0 + 100.0 * 10.0 + 400.0 * 5.0) / 45.0;
    let reps = 30;
    let rates: Vec<f64> = (0..reps)
        .map(|r| arrivals(&config, 500 + r, 1200 * SECOND).len() as f64 / 1200.0)
        .collect();
    let (m, se) = mean_and_se(&rates);
    assert!(
        (m - expected).abs() < t999(reps as usize - 1) * se,
        "{m:.2} vs {expected:.2} +- {se:.2}"
    );
}

#[test]
fn the_zipf_fit_covers_the_true_exponent() {
    // 20 samples for each of three exponents, each 20,000 requests over 30
    // tenants drawn from the Zipf law. Each estimate lies within 4.5
    // standard errors; the 95% intervals cover s in 60 x 0.95 = 57 cases on
    // average (binomial sd 1.7): at least 51 (3.5 sd below).
    let mut covered = 0;
    let mut fits = 0;
    for &s in &[0.5, 0.9, 1.3] {
        let picker = TenantPicker::new(30, s);
        for seed in 0..20u64 {
            let mut rng = stream(seed, &[(s * 10.0) as u64]);
            let mut counts = vec![0u64; 30];
            for _ in 0..20_000 {
                counts[picker.pick(&mut rng) as usize] += 1;
            }
            let fit = fit_zipf(&counts).unwrap_or_else(|| panic!("no fit"));
            assert!(
                (fit.s - s).abs() < 4.5 * fit.se,
                "s = {s}, seed {seed}: {fit:?}"
            );
            fits += 1;
            if fit.ci95.0 <= s && s <= fit.ci95.1 {
                covered += 1;
            }
        }
    }
    assert!(covered >= 51, "{covered} of {fits} intervals cover s");
}

#[test]
fn fit_recovers_a_generated_trace_and_its_snippet_loads() {
    // A Poisson-Zipf workload written as a requests trace and fitted back:
    // rate within 4.5 sqrt(N) / T, s within 4.5 standard errors.
    let dir = tempdir();
    let config = config_with(&[
        "workload.tenants=40",
        "workload.zipf_s=0.8",
        "workload.rate_rps=50",
    ]);
    let mut text = String::from("timestamp_ms,tenant\n");
    let horizon = 2 * HOUR;
    let all = arrivals(&config, 5, horizon);
    for (t, tenant) in &all {
        text.push_str(&format!("{}.{:06},t{tenant}\n", t / MS, t % MS));
    }
    let trace = write(dir.path(), "gen.csv", &text);
    let fit = fit_trace(&trace, TraceTenant::Function, TraceSpread::Uniform, 1, None)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(fit.requests, all.len() as u64);
    let n = all.len() as f64;
    let span = fit.span as f64 / SECOND as f64;
    assert!(
        (fit.rate_rps - 50.0).abs() < 4.5 * n.sqrt() / span,
        "{fit:?}"
    );
    let z = fit.zipf.unwrap_or_else(|| panic!("no Zipf fit"));
    assert!((z.s - 0.8).abs() < 4.5 * z.se, "{z:?}");
    assert!(fit.profile.is_none(), "2 h is less than a day");
    // The whole report (prose as comments, then the snippet) is a valid
    // experiment over the default model, as `dofleet fit T > f.toml` needs.
    let report = fit.report("gen.csv", "dofleet fit gen.csv");
    let snippet = report.as_str();
    assert!(
        report.lines().take(3).all(|l| l.starts_with("# ")),
        "{report}"
    );
    assert!(
        snippet.contains(&format!("zipf_s = {:.4}", z.s)),
        "{snippet}"
    );
    let mut layers = config::default_layers();
    layers.push(config::Source {
        name: "snippet".into(),
        text: snippet.to_string(),
        base_dir: None,
    });
    let loaded = config::load(&layers).unwrap_or_else(|e| panic!("{e}\n{snippet}"));
    assert_eq!(loaded.workload.tenants, 40);
}

#[test]
fn bad_traces_are_refused_with_the_file_and_line() {
    let dir = tempdir();
    let cases: &[(&str, &str, &str)] = &[
        (
            "order.csv",
            "0,a\n\n10,b\n5,a\n",
            "order.csv, line 4: out of order: timestamp 5 ms is 5ms before the previous row's 10 ms",
        ),
        (
            "fields.csv",
            "timestamp_ms,tenant\n0,a\n1,b,extra\n",
            "fields.csv, line 3: expected 2 fields, as the header, found 3",
        ),
        (
            "time.csv",
            "0,a\n1e3,b\n",
            "time.csv, line 2: expected a timestamp in milliseconds",
        ),
        (
            "tenant.csv",
            "0,a\n1,\n",
            "tenant.csv, line 2: expected a tenant id, found an empty field",
        ),
        (
            "quote.csv",
            "0,\"a\n",
            "quote.csv, line 1: a quoted field is not closed on its line",
        ),
        ("empty.csv", "# nothing\n", "empty.csv: the trace holds no request"),
        (
            "header.csv",
            "time,who\n0,a\n",
            "header.csv, line 1: expected a CSV of requests",
        ),
        (
            "azure-count.csv",
            "HashOwner,HashApp,HashFunction,Trigger,1,2\no,a,f,http,1,x\n",
            "azure-count.csv, line 2: minute 2: expected an invocation count",
        ),
        (
            "azure-header.csv",
            "HashOwner,HashApp,HashFunction,Trigger,1,3\n",
            "azure-header.csv, line 1: Azure trace header: expected minute column `2`",
        ),
        (
            "azure-row.csv",
            "HashOwner,HashApp,HashFunction,Trigger,1,2\no,a,f,http,1\n",
            "azure-row.csv, line 2: expected 6 fields",
        ),
    ];
    for (name, text, expected) in cases {
        let path = write(dir.path(), name, text);
        let e = fit_trace(&path, TraceTenant::Function, TraceSpread::Uniform, 1, None)
            .err()
            .unwrap_or_else(|| panic!("{name}: expected an error"));
        let shown = e.to_string();
        assert!(shown.contains(expected), "{name}: {shown}");
        // Through the config loader: located at the setting too.
        let toml = write(
            dir.path(),
            "x.toml",
            &format!("[workload]\narrivals = \"trace\"\ntrace = \"{name}\"\n"),
        );
        let e = config::load_file(&toml, &[])
            .err()
            .unwrap_or_else(|| panic!("{name}: the loader accepted it"));
        assert_eq!(
            (e.line(), e.column(), e.key()),
            (Some(3), Some(9), Some("workload.trace"))
        );
        assert!(e.to_string().contains(expected), "{e}");
    }
    // A missing file.
    let missing = dir.path().join("missing.csv");
    let e = trace_index(&missing, TraceTenant::Function)
        .err()
        .unwrap_or_else(|| panic!("expected an error"));
    assert!(
        e.to_string().contains("missing.csv: cannot read the trace"),
        "{e}"
    );
    let replay = TraceReplay::open(&missing, TraceTenant::Function, TraceSpread::Uniform);
    assert_eq!(replay.tenants(), 0);
    assert!(replay.error().is_some());
}

#[test]
fn a_trace_changed_after_loading_fails_the_run_with_its_line() {
    let dir = tempdir();
    let trace = write(dir.path(), "t.csv", "0,a\n1000,b\n2000,a\n");
    let config = replay_config(&trace, &[]);
    // Same length, other content: a tenant the index has not seen.
    std::fs::write(&trace, "0,a\n1000,c\n2000,a\n").unwrap_or_else(|e| panic!("{e}"));
    let outcome = run_first(&config, 0);
    let error = outcome.error.unwrap_or_default();
    assert!(
        error.contains("t.csv, line 2: tenant \"c\" was not in the trace"),
        "{error}"
    );
}

#[test]
fn a_trace_rewritten_with_the_same_tenants_fails_the_run() {
    let dir = tempdir();
    let trace = write(dir.path(), "t.csv", "0,a\n1000,b\n2000,a\n");
    let config = replay_config(&trace, &[]);
    // Same tenants, same length, other times: only its content tells.
    std::fs::write(&trace, "0,a\n1500,b\n2500,a\n").unwrap_or_else(|e| panic!("{e}"));
    let outcome = run_first(&config, 0);
    let error = outcome.error.unwrap_or_default();
    assert!(
        error.contains("t.csv: the trace changed since it was read"),
        "{error}"
    );
}

/// Lines that exercise both layouts' readers, valid and not.
const LINES: &[&str] = &[
    "timestamp_ms,tenant",
    "0,a",
    "1.5,b",
    "1,a",
    "99999999999999999999,x",
    "\"3\",\"q,r\"",
    "4,\"open",
    "# comment",
    "",
    "HashOwner,HashApp,HashFunction,Trigger,1,2",
    "o,a,f,http,1,2",
    "o,a,g,timer,0,18446744073709551615",
    "o,a,f,http,1",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_trace_text_never_panics(
        lines in proptest::collection::vec(
            prop_oneof![proptest::sample::select(LINES).prop_map(str::to_string), "\\PC{0,30}"],
            0..12,
        ),
        spread in proptest::bool::ANY,
    ) {
        let dir = tempdir();
        let path = write(dir.path(), "p.csv", &lines.join("\n"));
        let spread = if spread { TraceSpread::Poisson } else { TraceSpread::Uniform };
        // Fitting reads every request: only traces of a few (a count of
        // 2^64 - 1 in one minute is valid text, and would take forever).
        let mut small = true;
        if let Ok(index) = trace_index(&path, TraceTenant::App) {
            small = index.requests() <= 100_000;
            let mut replay = TraceReplay::new(index, spread);
            let mut rng = stream(1, &[]);
            let mut now = 0;
            let mut n = 0;
            while let Some(a) = replay.next(now, &mut rng) {
                prop_assert!(a.time >= now && a.tenant < replay.tenants());
                now = a.time;
                n += 1;
                if n > 100_000 {
                    break;
                }
            }
        }
        if small {
            let _ = fit_trace(&path, TraceTenant::Function, spread, 1, None);
        }
    }
}

#[test]
fn fit_on_the_command_line_prints_a_loadable_snippet() {
    let sample =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("experiments/data/azure-functions-sample.csv");
    let out = assert_cmd::Command::cargo_bin("dofleet")
        .unwrap_or_else(|e| panic!("{e}"))
        .args(["fit", &sample.display().to_string(), "--tenant", "app"])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("to 40 tenants over 24h"), "{text}");
    assert!(
        text.contains("zipf_s = ") && text.contains("profile = ["),
        "{text}"
    );
    let bad = assert_cmd::Command::cargo_bin("dofleet")
        .unwrap_or_else(|e| panic!("{e}"))
        .args(["fit", "no-such-trace.csv"])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("no-such-trace.csv: cannot read the trace")
    );
}
