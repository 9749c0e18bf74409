//! The simulator's side of `validate`: the testbed's schedule replayed
//! under the calibrated layer, one architecture at a time.
//!
//! The layers, in order: the embedded defaults, the calibrated layer, what
//! the testbed run fixes (the trace, its span, the architecture, the
//! eviction rule seen for that architecture, a compute worker already warm,
//! as run.sh warms it), then the user's `--set`s (for instance
//! `--set isolate.dos_per_isolate=...` once the model has it).
//!
//! Invariant: the replications pooled are the simulator's replications
//! 0..R of the experiment seed, so the result is a pure function of the
//! layers and R.

use std::path::Path;

use crate::experiment::config::{self, Source};
use crate::metrics::RunMetrics;
use crate::simulation::{simulate, RunIdentity};
use crate::workload::trace_index;

/// The simulator's metrics of `architecture` over the trace at `trace`,
/// pooled over `replications` runs (counts are sums over the runs).
pub fn simulate_trace(
    architecture: &str,
    trace: &Path,
    idle_timeout: &str,
    layer: &Path,
    sets: &[String],
    replications: u64,
) -> anyhow::Result<RunMetrics> {
    let index = trace_index(trace, crate::workload::TraceTenant::Function)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let span_ms = index.span() / 1_000_000 + 1000;
    let trace_abs = std::path::absolute(trace)?;
    let quoted = toml::Value::String(trace_abs.display().to_string()).to_string();
    let fixed = format!(
        "duration = \"{span_ms}ms\"\nwarmup = \"0s\"\nreplications = 1\narchitectures = [\"{architecture}\"]\npolicies = []\n\
         [workload]\narrivals = \"trace\"\ntrace = {quoted}\n\
         [do]\nidle_timeout = {idle_timeout}\n\
         [compute]\ncold_start = \"0ms\"\n\
         [platform]\nruntime_wasm_compile = \"blocked\"\n\
         [hosts]\ncount = 0\n"
    );
    let mut layers = config::default_layers();
    layers.push(config::file_layer(layer)?);
    layers.push(Source {
        name: format!("<validate: the testbed run of {architecture}>"),
        text: fixed,
        base_dir: None,
    });
    for s in sets {
        layers.push(config::set_layer(s)?);
    }
    let config = config::load(&layers)?;
    let variant = *config
        .architectures
        .first()
        .ok_or_else(|| anyhow::anyhow!("no architecture after the --set overrides"))?;
    let mut pooled: Option<RunMetrics> = None;
    for replication in 0..replications.max(1) {
        let outcome = simulate(
            &config,
            variant,
            RunIdentity {
                seed: config.seed,
                replication,
            },
        );
        if let Some(e) = outcome.error {
            anyhow::bail!("{e}");
        }
        match &mut pooled {
            None => pooled = Some(outcome.metrics),
            Some(p) => pool(p, &outcome.metrics),
        }
    }
    Ok(pooled.expect("at least one replication"))
}

/// Adds `other`'s requests and latencies to `into`.
fn pool(into: &mut RunMetrics, other: &RunMetrics) {
    into.requests += other.requests;
    into.cold_starts += other.cold_starts;
    into.latency.merge(&other.latency);
    for (a, b) in into.by_path.iter_mut().zip(&other.by_path) {
        a.merge(b);
    }
    for (a, b) in into.by_ordinal.iter_mut().zip(&other.by_ordinal) {
        a.merge(b);
    }
    for (a, b) in into
        .delegated_by_ordinal
        .iter_mut()
        .zip(&other.delegated_by_ordinal)
    {
        *a += b;
    }
}
