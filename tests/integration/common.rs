//! Helpers shared by the integration tests.

use dofleet::architectures::ArchitectureVariant;
use dofleet::experiment::config;
use dofleet::simulation::Config;
use dofleet::simulation::{simulate, RunIdentity, RunOutcome};

/// The embedded default with `--set`-style overrides applied.
pub fn config_with(sets: &[&str]) -> Config {
    let mut layers = config::default_layers();
    for s in sets {
        layers.push(config::set_layer(s).unwrap_or_else(|e| panic!("bad test override {s}: {e}")));
    }
    config::load(&layers).unwrap_or_else(|e| panic!("test config refused: {e}"))
}

/// Runs the first architecture of `config`.
pub fn run_first(config: &Config, replication: u64) -> RunOutcome {
    run_variant(config, config.architectures[0], replication)
}

/// Runs one architecture of `config`.
pub fn run_variant(config: &Config, variant: ArchitectureVariant, replication: u64) -> RunOutcome {
    simulate(
        config,
        variant,
        RunIdentity {
            seed: config.seed,
            replication,
        },
    )
}

/// Overrides that make every start-up phase and the query take no time.
pub const INSTANT_PHASES: &[&str] = &[
    "phases.isolate_start=0s",
    "phases.isolate_start_bundled=0s",
    "phases.cache_check=0s",
    "phases.r2_fetch=0s",
    "phases.data_read=0s",
    "phases.wasm_compile=0s",
    "phases.pglite_init=0s",
    "phases.loader_isolate_start=0s",
    "phases.loader_compile=0s",
    "query_exec=0s",
    "network.client_rtt=0s",
];

/// The two-sided Student-t critical value for a 99.9% interval with `df`
/// degrees of freedom: a test using it fails by chance once in 1000 runs of
/// a new seed, and never for a pinned seed unless the model changes.
pub fn t999(df: usize) -> f64 {
    use statrs::distribution::{ContinuousCDF, StudentsT};
    StudentsT::new(0.0, 1.0, df as f64)
        .unwrap()
        .inverse_cdf(0.9995)
}

/// Sample mean and standard error of the mean.
pub fn mean_and_se(xs: &[f64]) -> (f64, f64) {
    let n = xs.len() as f64;
    let m = xs.iter().sum::<f64>() / n;
    let var = xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0);
    (m, (var / n).sqrt())
}

/// The Erlang C probability that an arrival waits in an M/M/c queue with
/// offered load `a = lambda / mu` (< c).
pub fn erlang_c(c: u32, a: f64) -> f64 {
    // sum_{k<c} a^k/k!, and a^c/c!, computed by recurrence.
    let (mut term, mut sum) = (1.0f64, 0.0f64);
    for k in 0..c {
        sum += term;
        term *= a / f64::from(k + 1);
    }
    let top = term * f64::from(c) / (f64::from(c) - a);
    top / (sum + top)
}

/// Thin DOs (every request delegated, no start-up time) fed `lambda`
/// requests/s of Poisson traffic, at a compute pool of exponential servers
/// of rate `mu` that never expire: an M/M/c queue once
/// `compute.max_instances` is set. `extra` overrides are applied last.
pub fn mmc_config(lambda: f64, mu: f64, extra: &[&str]) -> Config {
    let mut sets: Vec<String> = INSTANT_PHASES.iter().map(|s| s.to_string()).collect();
    sets.extend([
        "architectures=[\"thin\"]".to_string(),
        "workload.tenants=50".to_string(),
        format!("workload.rate_rps={lambda}"),
        format!(
            "compute.exec={{dist=\"exponential\",mean=\"{}ms\"}}",
            1000.0 / mu
        ),
        "compute.rtt=\"0s\"".to_string(),
        "compute.cold_start=\"0s\"".to_string(),
        "compute.idle_timeout=\"1000d\"".to_string(),
        "do.idle_timeout=\"1000d\"".to_string(),
        "warmup=\"20s\"".to_string(),
    ]);
    sets.extend(extra.iter().map(|s| s.to_string()));
    let refs: Vec<&str> = sets.iter().map(String::as_str).collect();
    config_with(&refs)
}
