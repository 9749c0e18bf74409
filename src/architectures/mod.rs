//! The four architectures (MODEL.md section 5): what each is ([`table`]:
//! one row per architecture, and the route of a request), how a start's
//! PGLite load is planned (one file per kind of load: [`bundled`] for
//! traditional and hybrid, [`lazy`]; thin loads nothing), and where a load
//! is at any time ([`LoadStage`], the seed's seven states).
//!
//! A start is planned in full when it begins ([`plan_start`]): every phase is
//! drawn then, so the simulator needs only two events per cold start (the
//! constructor's end and the load's end). Policies shape a plan without
//! being named here: [`LoadShape`] carries what they change (the share of
//! compile and init a load does, whether the compile streams), and the
//! caller says where a lazy load finds its WASM.
//!
//! Invariant: for a given shape, a plan's random draws are the same whatever
//! the policies (a policy that is off changes no draw).

pub mod bundled;
pub mod lazy;
mod params;
mod stage;
pub mod table;

pub use params::{Architecture, ArchitectureVariant, Lazy, Memory, Phases, WasmCompile};
pub use stage::LoadStage;
pub use table::{route, BeforeReady, DoView, Footprint, Route, Traits};

use crate::engine::SimRng;
use crate::time::Nanos;

/// Where a fetch found the WASM.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum FetchSource {
    /// Bundled with the worker (traditional, hybrid).
    Bundle,
    /// The seed's cache check hit.
    CacheHit,
    /// The host's local cache (tiered caching).
    LocalCache,
    /// The region's cache (tiered caching).
    RegionalCache,
    /// R2, after every cache missed.
    R2,
}

impl FetchSource {
    /// Whether the WASM came from R2 (an R2 GET).
    pub fn is_r2(self) -> bool {
        self == FetchSource::R2
    }

    /// Whether a cache served it.
    pub fn is_cache(self) -> bool {
        matches!(
            self,
            FetchSource::CacheHit | FetchSource::LocalCache | FetchSource::RegionalCache
        )
    }
}

/// How long the WASM fetch takes: the part before the bytes start to arrive
/// (`lookup`) and the whole of it (`total`), and where it came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fetch {
    pub lookup: Nanos,
    pub total: Nanos,
    pub source: FetchSource,
}

/// How a load ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoadOutcome {
    /// PGLite is ready: queries run locally.
    Ready,
    /// The load failed (compile blocked by the embedder).
    Failed,
}

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
    pub(crate) fn new() -> Self {
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
    pub(crate) fn add(&mut self, phase: Phase, start: Nanos, duration: Nanos) -> Nanos {
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
    pub source: FetchSource,
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

/// What policies change in a load's plan (the default: a whole load,
/// compiled once the bytes are in).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LoadShape {
    /// The share of compile and init the load does (partial loading: the
    /// core module's); 1 for a whole load.
    pub core_fraction: f64,
    /// The compile overlaps the WASM transfer (`compileStreaming`).
    pub streaming_compile: bool,
}

impl Default for LoadShape {
    fn default() -> Self {
        Self {
            core_fraction: 1.0,
            streaming_compile: false,
        }
    }
}

/// Draws the phases of one DO start, beginning at `now`. A lazy load asks
/// `fetch_wasm` (called with the time the fetch begins) where its WASM is;
/// `None` is the seed's single cache check ([`lazy::seed_cache_check`]).
#[inline]
pub fn plan_start(
    variant: ArchitectureVariant,
    phases: &Phases,
    lazy_strategy: &Lazy,
    shape: &LoadShape,
    fetch_wasm: impl FnOnce(Nanos, &mut SimRng) -> Option<Fetch>,
    now: Nanos,
    rng: &mut SimRng,
) -> StartPlan {
    let arch = variant.architecture;
    let traits = arch.traits();
    let isolate = if traits.bundles_wasm {
        phases.isolate_start_bundled.sample(rng)
    } else {
        phases.isolate_start.sample(rng)
    };
    let load = match arch {
        Architecture::Thin => None,
        Architecture::Traditional | Architecture::Hybrid => {
            Some(bundled::plan_load(phases, shape, rng))
        }
        Architecture::Lazy => {
            let at = now + isolate;
            let fetch = match fetch_wasm(at, rng) {
                Some(fetch) => fetch,
                None => lazy::seed_cache_check(phases, lazy_strategy, rng),
            };
            Some(lazy::plan_load(
                variant.runtime_wasm_compile,
                phases,
                lazy_strategy,
                shape,
                fetch,
                rng,
            ))
        }
    };
    StartPlan {
        isolate,
        load,
        blocking: traits.waits_for_load(),
    }
}

/// `ns * fraction`, rounded.
pub fn scale(ns: Nanos, fraction: f64) -> Nanos {
    if fraction >= 1.0 {
        ns
    } else {
        (ns as f64 * fraction).round() as Nanos
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::engine::stream;
    use crate::experiment::config::load_default;
    use crate::simulation::Config;

    /// A start at time 0 with the seed's cache and no policy.
    pub(crate) fn plan(
        variant: ArchitectureVariant,
        config: &Config,
        rng: &mut SimRng,
    ) -> StartPlan {
        let shape = LoadShape::default();
        plan_start(
            variant,
            &config.phases,
            &config.lazy,
            &shape,
            |_, _| None,
            0,
            rng,
        )
    }

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
                let load = plan(variant, &config, &mut rng).load.unwrap();
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
            data_start(plan(lazy(WasmCompile::Allowed), &config, &mut rng)),
            0
        );
        config.lazy.parallel_fetch = false;
        assert!(data_start(plan(lazy(WasmCompile::Allowed), &config, &mut rng)) > 0);
    }

    #[test]
    fn a_blocked_compile_fails_when_the_fetch_ends() {
        let config = load_default().unwrap();
        let mut rng = stream(5, &[]);
        let load = plan(lazy(WasmCompile::Blocked), &config, &mut rng)
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
