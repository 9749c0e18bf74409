//! The isolate model against closed forms: DOs sharing one thread are an
//! M/M/1 queue of CPU work, and a Hybrid whose PGLite init holds the thread
//! serves the requests arriving during it after it, waiting its remainder.

use dofleet::metrics::Path;

use crate::common::{config_with, mean_and_se, run_first, t999, INSTANT_PHASES};

/// The overrides of `INSTANT_PHASES` plus `extra`, as owned strings.
fn sets(extra: &[String]) -> Vec<String> {
    INSTANT_PHASES
        .iter()
        .map(|s| s.to_string())
        .chain(extra.iter().cloned())
        .collect()
}

fn config_of(sets: &[String]) -> dofleet::simulation::Config {
    let refs: Vec<&str> = sets.iter().map(String::as_str).collect();
    config_with(&refs)
}

/// `tenants` DOs with equal rates, exponential local queries on the
/// thread, no eviction, `dos_per_isolate` to an isolate.
fn shared_thread(tenants: u32, dos_per_isolate: u32, lambda: f64, mu: f64) -> Vec<String> {
    sets(&[
        "architectures=[\"traditional\"]".to_string(),
        format!("workload.tenants={tenants}"),
        "workload.zipf_s=0".to_string(),
        format!("workload.rate_rps={lambda}"),
        format!(
            "query_exec={{dist=\"exponential\",mean=\"{}ms\"}}",
            1000.0 / mu
        ),
        "isolate.cpu_phases=[\"query_exec\"]".to_string(),
        format!("isolate.dos_per_isolate={dos_per_isolate}"),
        "do.idle_timeout=\"1000d\"".to_string(),
        "duration=\"1000s\"".to_string(),
        "warmup=\"10s\"".to_string(),
    ])
}

/// One isolate holding N DOs is one M/M/1 queue of CPU work, whatever N:
/// the sojourn time is exponential with rate mu - lambda (mean 1/(mu -
/// lambda), p99 ln(100)/(mu - lambda)), the wait in queue has mean
/// rho/(mu - lambda), and a request waits at all with probability rho.
/// With a thread per DO, each DO is its own M/M/1 queue at lambda/N, which
/// the same closed form gives too (and which differs: the test can fail).
/// Tolerance: a 99.9% Student-t interval over independent replications,
/// plus HdrHistogram's 0.1% resolution.
#[test]
fn dos_sharing_an_isolate_are_one_mm1_queue() {
    let (n, lambda, mu) = (20u32, 50.0, 100.0);
    for (per, rate) in [(n, lambda), (1, lambda / f64::from(n))] {
        let config = config_of(&shared_thread(n, per, lambda, mu));
        let reps = 10;
        let (mut means, mut p99s, mut waits, mut waited, mut util) =
            (vec![], vec![], vec![], vec![], vec![]);
        for r in 0..reps {
            let m = run_first(&config, r).metrics;
            means.push(m.latency.mean_ms());
            p99s.push(m.latency.quantile_ms(0.99));
            waits.push(m.thread_wait_ns as f64 / m.requests as f64 / 1e6);
            waited.push(m.thread_waits as f64 / m.requests as f64);
            util.push(m.isolate_cpu_mean);
        }
        let rho = rate / mu;
        let t = t999(reps as usize - 1);
        let check = |name: &str, xs: &[f64], want: f64, resolution: f64| {
            let (m, se) = mean_and_se(xs);
            assert!(
                (m - want).abs() < t * se + resolution * want,
                "{per} per isolate: {name} {m} vs {want} (se {se})"
            );
        };
        check("mean sojourn ms", &means, 1000.0 / (mu - rate), 1e-3);
        check(
            "p99 sojourn ms",
            &p99s,
            1000.0 * 100f64.ln() / (mu - rate),
            1e-3,
        );
        check("mean wait ms", &waits, 1000.0 * rho / (mu - rate), 0.0);
        check("waited fraction", &waited, rho, 0.0);
        check("utilisation", &util, rho, 0.0);
    }
}

/// A Hybrid DO life under Poisson arrivals at rate `lambda` per tenant:
/// isolate start 0, a data read of `io` (I/O: the thread is free), then
/// PGLite's init of constant length `init` holding the thread, sliced or
/// not; queries and the client round trip take no time; a delegated
/// request takes `exec` at the compute worker.
fn hybrid_life(tenants: u32, lambda: f64, io_ms: u32, init_ms: u32, slice_ms: u32) -> Vec<String> {
    sets(&[
        "architectures=[\"hybrid\"]".to_string(),
        format!("workload.tenants={tenants}"),
        "workload.zipf_s=0".to_string(),
        format!("workload.rate_rps={}", lambda * f64::from(tenants)),
        format!("phases.data_read=\"{io_ms}ms\""),
        format!("phases.pglite_init=\"{init_ms}ms\""),
        "isolate.cpu_phases=[\"pglite_init\", \"query_exec\"]".to_string(),
        format!("isolate.slice=\"{slice_ms}ms\""),
        "compute.rtt=\"0ms\"".to_string(),
        "compute.cold_start=\"0ms\"".to_string(),
        "compute.exec=\"50ms\"".to_string(),
        "do.idle_timeout=\"1000d\"".to_string(),
        // Every tenant's first request comes in the first minute but for
        // a chance of e^-118.
        "duration=\"60s\"".to_string(),
    ])
}

/// The request that starts the DO and those arriving during the data read
/// (before the init starts) are delegated: 1 + lambda*D per life. Those
/// arriving during the init (lambda*L per life, Poisson) wait for its
/// remainder, uniform on [0, L): mean L/2, and are then served locally
/// (path `queued`). Counts are Poisson sums over independent lives (sd the
/// square root of the mean); 4.5 standard errors bound them, and the mean
/// wait within 4.5 standard errors of L/sqrt(12)/sqrt(n) plus the
/// histogram's 0.1%.
#[test]
fn a_blocking_init_makes_hybrid_requests_wait_its_remainder() {
    let (n, lambda, io, init) = (2000u32, 2.0, 100u32, 500u32);
    let config = config_of(&hybrid_life(n, lambda, io, init, 0));
    let m = run_first(&config, 0).metrics;
    let lives = f64::from(n);
    assert_eq!(m.cold_starts, u64::from(n), "one life per tenant");
    let (d, l) = (f64::from(io) / 1000.0, f64::from(init) / 1000.0);
    let delegated = m.path_count(Path::Delegated) as f64;
    let want = lives * (1.0 + lambda * d);
    assert!(
        (delegated - want).abs() < 4.5 * (lives * lambda * d).sqrt(),
        "delegated {delegated} vs {want}"
    );
    let queued = m.path_count(Path::Queued) as f64;
    let want = lives * lambda * l;
    assert!(
        (queued - want).abs() < 4.5 * want.sqrt(),
        "queued {queued} vs {want}"
    );
    let mean = m.by_path[Path::Queued as usize].mean_ms();
    let want = f64::from(init) / 2.0;
    let se = f64::from(init) / 12f64.sqrt() / queued.sqrt();
    assert!(
        (mean - want).abs() < 4.5 * se + 1e-3 * want,
        "queued mean {mean} ms vs {want} (se {se})"
    );
    // Every request after the init is local and instant.
    assert_eq!(m.by_path[Path::Local as usize].quantile_ms(1.0), 0.0);
}

/// The same life with the init yielding every `s`: a request arriving
/// during a slice other than the last is handled when that slice ends and
/// delegated (it waits the slice's remainder, mean s/2, then the compute
/// worker's 50 ms); one arriving during the last slice finds the DO ready
/// (queued, mean s/2). Without slicing, no request arriving during the init
/// is delegated.
#[test]
fn a_sliced_init_delegates_what_arrives_during_it() {
    let (n, lambda, io, init, slice) = (2000u32, 2.0, 100u32, 500u32, 50u32);
    let config = config_of(&hybrid_life(n, lambda, io, init, slice));
    let m = run_first(&config, 0).metrics;
    let lives = f64::from(n);
    let (d, l, s) = (
        f64::from(io) / 1000.0,
        f64::from(init) / 1000.0,
        f64::from(slice) / 1000.0,
    );
    let delegated = m.path_count(Path::Delegated) as f64;
    let during = lives * lambda * (l - s);
    let want = lives * (1.0 + lambda * d) + during;
    assert!(
        (delegated - want).abs() < 4.5 * (lives * lambda * (d + l - s)).sqrt(),
        "delegated {delegated} vs {want}"
    );
    // A delegated request waited at most one slice for the thread.
    let max = m.by_path[Path::Delegated as usize].quantile_ms(1.0);
    let bound = 50.0 + f64::from(slice);
    assert!(
        max <= bound * (1.0 + 1e-3),
        "delegated max {max} ms > {bound}"
    );
    let queued = m.path_count(Path::Queued) as f64;
    let want = lives * lambda * s;
    assert!(
        (queued - want).abs() < 4.5 * want.sqrt(),
        "queued {queued} vs {want}"
    );
    let mean = m.by_path[Path::Queued as usize].mean_ms();
    let want = f64::from(slice) / 2.0;
    assert!(
        (mean - want).abs() < 4.5 * (f64::from(slice) / 12f64.sqrt()) / queued.sqrt() + 1e-3 * want,
        "queued mean {mean} ms vs {want}"
    );
}

/// With the thread model off (`cpu_phases = []`), Hybrid delegates every
/// request arriving during its whole load, as before the model existed.
#[test]
fn without_cpu_phases_hybrid_delegates_during_the_whole_load() {
    let mut s = hybrid_life(500, 2.0, 100, 500, 0);
    s.push("isolate.cpu_phases=[]".to_string());
    let m = run_first(&config_of(&s), 0).metrics;
    assert_eq!(m.path_count(Path::Queued), 0);
    assert_eq!(m.thread_waits, 0);
    assert!(m.isolate_cpu_mean == 0.0);
}

/// Two PGLite DOs share an isolate. Each holds 60 MB once loaded (2 base,
/// 13 bundle, 45 runtime): under a 128 MB limit both fit and nothing is
/// reset; under 100 MB the second load to begin resets the isolate, both
/// DOs are evicted and the requests in flight fail, counted, and every
/// request is accounted for.
#[test]
fn an_isolate_over_its_memory_limit_is_reset() {
    let base = [
        "architectures=[\"hybrid\"]",
        "workload.tenants=2",
        "workload.zipf_s=0",
        "workload.rate_rps=20",
        "isolate.dos_per_isolate=2",
        "do.idle_timeout=\"1000d\"",
        "duration=\"60s\"",
    ];
    let run = |limit: &str| {
        let mut sets: Vec<&str> = base.to_vec();
        sets.push(limit);
        let config = config_with(&sets);
        run_first(&config, 0)
    };
    let fits = run("isolate.memory_limit_mb=128");
    assert_eq!(fits.metrics.isolate_resets, 0);
    assert_eq!(fits.failed_reset, 0);
    assert_eq!(fits.metrics.cold_starts, 2, "one life each");
    let over = run("isolate.memory_limit_mb=100");
    let m = &over.metrics;
    assert!(m.isolate_resets > 0, "no reset");
    assert!(m.requests_failed_reset > 0, "nothing failed");
    assert!(m.cold_starts > 2, "the DOs start again after each reset");
    assert_eq!(
        over.arrivals,
        over.completions + over.failed + over.unadmitted + over.failed_reset
    );
    assert_eq!(over.final_memory_kib, 0);
}
