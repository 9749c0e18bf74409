//! Smart delegation: a request that arrives while its DO is loading PGLite
//! waits for the load when the predicted remaining load time plus local
//! execution beats the predicted delegated latency by the margin, and is
//! delegated otherwise.
//!
//! The predictor uses only what the DO can know: which phases have finished
//! and how long the current ones have run (the phase reached, the time
//! spent), and the phase distributions of the config. A phase in progress is
//! predicted by its mean residual life, `E[X - e | X > e]`; a phase not yet
//! begun by its mean. Whether a cache lookup will miss is not known while it
//! runs: the R2 fetch then counts with the probability of a miss. Phases
//! that run side by side (the WASM fetch and the data read) are combined by
//! the larger of their predictions; the others add up.

use crate::architectures::{LoadPlan, Phase, PhaseSpan};
use crate::dist::Dist;
use crate::policies::Policy;
use crate::simulation::Config;
use crate::time::Nanos;

/// `[smart_delegation]`.
#[derive(Debug, Clone, PartialEq)]
pub struct SmartDelegation {
    /// Wait only if the predicted local time beats delegating by this much.
    pub margin: Nanos,
}

fn dist_of(config: &Config, phase: Phase) -> &Dist {
    let p = &config.phases;
    match phase {
        Phase::CacheCheck => &p.cache_check,
        Phase::R2Fetch => &p.r2_fetch,
        Phase::DataRead => &p.data_read,
        Phase::WasmCompile => &p.wasm_compile,
        Phase::LoaderIsolateStart => &p.loader_isolate_start,
        Phase::LoaderCompile => &p.loader_compile,
        Phase::PgliteInit => &p.pglite_init,
    }
}

/// The share of a phase's drawn duration a load takes (partial loading
/// loads only the core module's share of compile and init).
fn share(config: &Config, phase: Phase) -> f64 {
    let partial = config.policies.enabled.has(Policy::PartialLoading);
    match phase {
        Phase::WasmCompile | Phase::LoaderCompile | Phase::PgliteInit if partial => {
            config.policies.partial_loading.core_fraction
        }
        _ => 1.0,
    }
}

/// The predicted time, from `elapsed` into the load, until the phase ends.
fn remaining(config: &Config, span: &PhaseSpan, elapsed: Nanos) -> f64 {
    let f = share(config, span.phase);
    let d = dist_of(config, span.phase);
    if span.end <= elapsed {
        0.0
    } else if span.start <= elapsed {
        // Residual life of the full-length draw, scaled to the share.
        let spent = ((elapsed - span.start) as f64 / f.max(1e-12)).round() as Nanos;
        d.mean_residual(spent) * f
    } else {
        d.mean() * f
    }
}

/// The predicted time until the load is ready, `elapsed` into it.
pub fn predicted_remaining(config: &Config, plan: &LoadPlan, elapsed: Nanos) -> f64 {
    let spans = plan.spans.as_slice();
    let find = |phase| spans.iter().find(|s| s.phase == phase);
    let rem = |phase| find(phase).map_or(0.0, |s| remaining(config, s, elapsed));
    // The WASM fetch: the lookup, then R2 on a miss.
    let mut wasm = rem(Phase::CacheCheck);
    let lookup_running = find(Phase::CacheCheck).is_some_and(|s| s.end > elapsed);
    if lookup_running && !config.policies.enabled.has(Policy::TieredCache) {
        // The outcome is not known yet: an R2 fetch with the miss probability.
        wasm += (1.0 - config.lazy.cache_hit_ratio) * config.phases.r2_fetch.mean();
    } else if !lookup_running {
        wasm += rem(Phase::R2Fetch);
    }
    let data = rem(Phase::DataRead);
    let bundled = find(Phase::CacheCheck).is_none();
    let fetch = if bundled || !config.lazy.parallel_fetch {
        wasm + data
    } else {
        wasm.max(data)
    };
    let compile =
        rem(Phase::WasmCompile) + rem(Phase::LoaderIsolateStart) + rem(Phase::LoaderCompile);
    let streaming = find(Phase::WasmCompile)
        .is_some_and(|c| c.start < find(Phase::DataRead).map_or(0, |d| d.end))
        && !bundled
        && config.policies.enabled.has(Policy::Streaming);
    let to_init = if streaming {
        fetch.max(compile)
    } else {
        fetch + compile
    };
    to_init + rem(Phase::PgliteInit)
}

/// The delegated latency a DO can expect: a warm compute worker's round trip
/// and execution.
pub fn predicted_delegated(config: &Config) -> f64 {
    config.compute.rtt.mean() + config.compute.exec.mean()
}

/// Whether a request arriving `elapsed` into the load should wait for it.
pub fn should_wait(config: &Config, plan: &LoadPlan, elapsed: Nanos) -> bool {
    let local = predicted_remaining(config, plan, elapsed) + config.query_exec.mean();
    local + (config.policies.smart_delegation.margin as f64) < predicted_delegated(config)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::architectures::{plan_start, Architecture, ArchitectureVariant, WasmCompile};
    use crate::engine::stream;
    use crate::experiment::config::load_default;
    use crate::fleet::WasmCaches;
    use proptest::prelude::*;

    fn hybrid() -> ArchitectureVariant {
        ArchitectureVariant {
            architecture: Architecture::Hybrid,
            runtime_wasm_compile: WasmCompile::Blocked,
        }
    }

    #[test]
    fn at_the_start_of_a_load_it_delegates_and_near_its_end_it_waits() {
        let config = load_default().unwrap();
        let mut rng = stream(2, &[]);
        let plan = plan_start(hybrid(), &config, &mut WasmCaches::CoinFlip, 0, 0, &mut rng)
            .load
            .unwrap();
        assert!(!should_wait(&config, &plan, 0));
        // 20 ms before the end of init (uniform 500-1000 ms: the residual at
        // most (1000 - elapsed)/2), local beats ~115 ms delegated.
        assert!(should_wait(&config, &plan, plan.duration - 1_000_000));
    }

    proptest! {
        /// Never waits when the predicted remaining load exceeds the
        /// delegated latency.
        #[test]
        fn never_waits_when_the_load_is_predicted_longer(seed in 0u64..500, at in 0.0f64..1.0, margin_ms in 0u64..50) {
            let mut config = load_default().unwrap();
            config.policies.smart_delegation.margin = margin_ms * 1_000_000;
            let mut rng = stream(seed, &[]);
            for variant in [
                hybrid(),
                ArchitectureVariant { architecture: Architecture::Lazy, runtime_wasm_compile: WasmCompile::Allowed },
            ] {
                let plan = plan_start(variant, &config, &mut WasmCaches::CoinFlip, 0, 0, &mut rng).load.unwrap();
                let elapsed = (plan.duration as f64 * at) as Nanos;
                let remaining = predicted_remaining(&config, &plan, elapsed);
                if remaining >= predicted_delegated(&config) {
                    prop_assert!(!should_wait(&config, &plan, elapsed));
                }
                prop_assert!(remaining >= 0.0);
            }
        }
    }
}
