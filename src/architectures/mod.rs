//! The four architectures (MODEL.md section 5): what a DO's constructor does
//! and how its PGLite runtime gets loaded.
//!
//! | | constructor | before ready | after ready |
//! |---|---|---|---|
//! | traditional | isolate start (large bundle) + load, blocking | queue at the DO | local |
//! | hybrid | isolate start (large bundle); load in background | delegated | local |
//! | thin | isolate start (small bundle); no WASM | delegated | delegated |
//! | lazy | isolate start (small bundle); fetch + load in background | delegated | local |
//!
//! A start is planned in full when it begins ([`plan_start`]): every phase is
//! drawn then, so the simulator needs only two events per cold start (the
//! constructor's end and the load's end). The lazy load follows the seed:
//! cache first, R2 on a miss (the cache is then populated fire-and-forget,
//! costing the load nothing), the WASM and the data bundle fetched in
//! parallel (a switch), then compile and PGLite init. Under a blocked
//! embedder the compile throws at once: the load fails when the fetch ends.

mod params;

use crate::engine::SimRng;
use crate::fleet::{Fetch, WasmCaches};
use crate::policies::Policy;
use crate::simulation::Config;
use crate::time::Nanos;
pub use params::{Architecture, ArchitectureVariant, Lazy, Phases, WasmCompile};

/// How a load ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoadOutcome {
    /// PGLite is ready: queries run locally.
    Ready,
    /// The load failed (compile blocked by the embedder).
    Failed,
}

pub use crate::fleet::FetchSource as WasmSource;

/// A phase of a DO's start, as named in the config's `[phases]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    CacheCheck,
    R2Fetch,
    DataRead,
    WasmCompile,
    LoaderIsolateStart,
    LoaderCompile,
    PgliteInit,
}

impl Phase {
    /// The config key under `[phases]`.
    pub fn key(self) -> &'static str {
        match self {
            Phase::CacheCheck => "cache_check",
            Phase::R2Fetch => "r2_fetch",
            Phase::DataRead => "data_read",
            Phase::WasmCompile => "wasm_compile",
            Phase::LoaderIsolateStart => "loader_isolate_start",
            Phase::LoaderCompile => "loader_compile",
            Phase::PgliteInit => "pglite_init",
        }
    }
}

/// One phase of a load, relative to the load's beginning.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PhaseSpan {
    pub phase: Phase,
    pub start: Nanos,
    pub end: Nanos,
}

/// At most this many phases in one load.
pub const MAX_SPANS: usize = 6;

/// The phases of a load, in the order they begin (phases may overlap:
/// the parallel fetch).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Spans {
    spans: [PhaseSpan; MAX_SPANS],
    len: u8,
}

impl Spans {
    fn new() -> Self {
        let empty = PhaseSpan {
            phase: Phase::DataRead,
            start: 0,
            end: 0,
        };
        Self {
            spans: [empty; MAX_SPANS],
            len: 0,
        }
    }

    /// Appends a phase of `duration` starting at `start`; returns its end.
    fn add(&mut self, phase: Phase, start: Nanos, duration: Nanos) -> Nanos {
        let end = start + duration;
        if let Some(slot) = self.spans.get_mut(self.len as usize) {
            *slot = PhaseSpan { phase, start, end };
            self.len += 1;
        }
        end
    }

    /// The phases.
    pub fn as_slice(&self) -> &[PhaseSpan] {
        &self.spans[..self.len as usize]
    }
}

/// The PGLite load of one start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoadPlan {
    /// From the load's beginning (the constructor's end) to ready or failure.
    pub duration: Nanos,
    pub outcome: LoadOutcome,
    pub source: WasmSource,
    /// Each phase's span, for timelines.
    pub spans: Spans,
}

/// Everything one start of a DO will take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StartPlan {
    /// Isolate start and the non-blocking part of the constructor.
    pub isolate: Nanos,
    /// The runtime load, if the architecture has one.
    pub load: Option<LoadPlan>,
    /// Whether requests wait for the load (traditional's constructor).
    pub blocking: bool,
}

/// Draws the phases of one DO start, beginning at `now`, for `tenant`.
/// `caches` says where a lazy load finds its WASM (and learns from it).
pub fn plan_start(
    variant: ArchitectureVariant,
    config: &Config,
    caches: &mut WasmCaches,
    tenant: u32,
    now: Nanos,
    rng: &mut SimRng,
) -> StartPlan {
    let p = &config.phases;
    let arch = variant.architecture;
    let isolate = if arch.bundles_wasm() {
        p.isolate_start_bundled.sample(rng)
    } else {
        p.isolate_start.sample(rng)
    };
    // Partial loading: the core module's share of compile and init.
    let core = if config.policies.enabled.has(Policy::PartialLoading) {
        config.policies.partial_loading.core_fraction
    } else {
        1.0
    };
    let load = match arch {
        Architecture::Thin => None,
        Architecture::Traditional | Architecture::Hybrid => {
            let mut spans = Spans::new();
            let t = spans.add(Phase::DataRead, 0, p.data_read.sample(rng));
            let t = spans.add(
                Phase::WasmCompile,
                t,
                scale(p.wasm_compile.sample(rng), core),
            );
            let duration = spans.add(Phase::PgliteInit, t, scale(p.pglite_init.sample(rng), core));
            Some(LoadPlan {
                duration,
                outcome: LoadOutcome::Ready,
                source: WasmSource::Bundle,
                spans,
            })
        }
        Architecture::Lazy => {
            let fetch = caches.fetch(tenant, now + isolate, config, rng);
            Some(plan_lazy_load(
                variant.runtime_wasm_compile,
                config,
                fetch,
                core,
                rng,
            ))
        }
    };
    StartPlan {
        isolate,
        load,
        blocking: arch == Architecture::Traditional,
    }
}

/// `ns * fraction`, rounded.
fn scale(ns: Nanos, fraction: f64) -> Nanos {
    if fraction >= 1.0 {
        ns
    } else {
        (ns as f64 * fraction).round() as Nanos
    }
}

fn plan_lazy_load(
    compile: WasmCompile,
    config: &Config,
    fetch: Fetch,
    core: f64,
    rng: &mut SimRng,
) -> LoadPlan {
    let p = &config.phases;
    let mut spans = Spans::new();
    let wasm_fetched = if fetch.source.is_r2() {
        spans.add(Phase::CacheCheck, 0, fetch.lookup);
        spans.add(Phase::R2Fetch, fetch.lookup, fetch.total - fetch.lookup)
    } else {
        spans.add(Phase::CacheCheck, 0, fetch.total)
    };
    // The data bundle is read alongside the WASM fetch, or after it.
    let data_start = if config.lazy.parallel_fetch {
        0
    } else {
        wasm_fetched
    };
    let data_read = spans.add(Phase::DataRead, data_start, p.data_read.sample(rng));
    let fetched = wasm_fetched.max(data_read);
    let streaming = config.policies.enabled.has(Policy::Streaming);
    let (compiled, outcome) = match compile {
        // The compile throws at once: the load fails when the fetch ends.
        WasmCompile::Blocked => (fetched, LoadOutcome::Failed),
        WasmCompile::Allowed if streaming => {
            // compileStreaming compiles the bytes as they arrive: from the
            // end of the lookup, overlapping the transfer; it ends when both
            // the compile and the transfer are done.
            let t = spans.add(
                Phase::WasmCompile,
                fetch.lookup,
                scale(p.wasm_compile.sample(rng), core),
            );
            (t.max(fetched), LoadOutcome::Ready)
        }
        WasmCompile::Allowed => (
            spans.add(
                Phase::WasmCompile,
                fetched,
                scale(p.wasm_compile.sample(rng), core),
            ),
            LoadOutcome::Ready,
        ),
        WasmCompile::Loader => {
            let t = spans.add(
                Phase::LoaderIsolateStart,
                fetched,
                p.loader_isolate_start.sample(rng),
            );
            (
                spans.add(
                    Phase::LoaderCompile,
                    t,
                    scale(p.loader_compile.sample(rng), core),
                ),
                LoadOutcome::Ready,
            )
        }
    };
    let duration = match outcome {
        LoadOutcome::Ready => spans.add(
            Phase::PgliteInit,
            compiled,
            scale(p.pglite_init.sample(rng), core),
        ),
        LoadOutcome::Failed => compiled,
    };
    LoadPlan {
        duration,
        outcome,
        source: fetch.source,
        spans,
    }
}

/// The extension module's load under partial loading: the rest of compile
/// and init, drawn when the first query that needs it arrives.
pub fn plan_extension(variant: ArchitectureVariant, config: &Config, rng: &mut SimRng) -> Nanos {
    let p = &config.phases;
    let rest = 1.0 - config.policies.partial_loading.core_fraction;
    let compile = match (variant.architecture, variant.runtime_wasm_compile) {
        (Architecture::Lazy, WasmCompile::Loader) => p.loader_compile.sample(rng),
        _ => p.wasm_compile.sample(rng),
    };
    scale(compile, rest) + scale(p.pglite_init.sample(rng), rest)
}

/// Whether a request to a running DO whose runtime is not ready is delegated
/// (rather than waiting for the load).
pub fn delegates_before_ready(arch: Architecture) -> bool {
    !matches!(arch, Architecture::Traditional)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::stream;
    use crate::experiment::config::load_default;

    fn lazy(compile: WasmCompile) -> ArchitectureVariant {
        ArchitectureVariant {
            architecture: Architecture::Lazy,
            runtime_wasm_compile: compile,
        }
    }

    #[test]
    fn spans_add_up_to_the_load() {
        let config = load_default().unwrap();
        let mut rng = stream(3, &[]);
        for variant in [
            ArchitectureVariant {
                architecture: Architecture::Hybrid,
                runtime_wasm_compile: WasmCompile::Blocked,
            },
            lazy(WasmCompile::Allowed),
            lazy(WasmCompile::Loader),
            lazy(WasmCompile::Blocked),
        ] {
            for _ in 0..100 {
                let load = plan_start(variant, &config, &mut WasmCaches::CoinFlip, 0, 0, &mut rng)
                    .load
                    .unwrap();
                let spans = load.spans.as_slice();
                let end = spans.iter().map(|s| s.end).max().unwrap();
                assert_eq!(end, load.duration, "{variant:?}");
                assert!(spans.iter().all(|s| s.start <= s.end));
            }
        }
    }

    #[test]
    fn parallel_fetch_overlaps_the_data_read_and_sequential_does_not() {
        let mut config = load_default().unwrap();
        let mut rng = stream(4, &[]);
        let data_start = |plan: StartPlan| {
            plan.load
                .unwrap()
                .spans
                .as_slice()
                .iter()
                .find(|s| s.phase == Phase::DataRead)
                .unwrap()
                .start
        };
        assert_eq!(
            data_start(plan_start(
                lazy(WasmCompile::Allowed),
                &config,
                &mut WasmCaches::CoinFlip,
                0,
                0,
                &mut rng
            )),
            0
        );
        config.lazy.parallel_fetch = false;
        assert!(
            data_start(plan_start(
                lazy(WasmCompile::Allowed),
                &config,
                &mut WasmCaches::CoinFlip,
                0,
                0,
                &mut rng
            )) > 0
        );
    }

    #[test]
    fn a_blocked_compile_fails_when_the_fetch_ends() {
        let config = load_default().unwrap();
        let mut rng = stream(5, &[]);
        let load = plan_start(
            lazy(WasmCompile::Blocked),
            &config,
            &mut WasmCaches::CoinFlip,
            0,
            0,
            &mut rng,
        )
        .load
        .unwrap();
        assert_eq!(load.outcome, LoadOutcome::Failed);
        assert!(load
            .spans
            .as_slice()
            .iter()
            .all(|s| s.phase != Phase::WasmCompile && s.phase != Phase::PgliteInit));
    }
}
