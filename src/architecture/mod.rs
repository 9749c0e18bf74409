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

pub use crate::config::{Architecture, ArchitectureVariant, WasmCompile};

use crate::config::Config;
use crate::engine::SimRng;
use crate::time::Nanos;
use rand::RngExt;

/// How a load ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoadOutcome {
    /// PGLite is ready: queries run locally.
    Ready,
    /// The load failed (compile blocked by the embedder).
    Failed,
}

/// Where the lazy load found the WASM.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WasmSource {
    /// Bundled with the worker (traditional, hybrid).
    Bundle,
    /// Found by the cache check.
    CacheHit,
    /// Fetched from R2 after a cache miss.
    R2,
}

/// The PGLite load of one start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoadPlan {
    /// From the load's beginning (the constructor's end) to ready or failure.
    pub duration: Nanos,
    pub outcome: LoadOutcome,
    pub source: WasmSource,
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

/// Draws the phases of one DO start.
pub fn plan_start(variant: ArchitectureVariant, config: &Config, rng: &mut SimRng) -> StartPlan {
    let p = &config.phases;
    let arch = variant.architecture;
    let isolate = if arch.bundles_wasm() {
        p.isolate_start_bundled.sample(rng)
    } else {
        p.isolate_start.sample(rng)
    };
    let load = match arch {
        Architecture::Thin => None,
        Architecture::Traditional | Architecture::Hybrid => {
            let duration =
                p.data_read.sample(rng) + p.wasm_compile.sample(rng) + p.pglite_init.sample(rng);
            Some(LoadPlan {
                duration,
                outcome: LoadOutcome::Ready,
                source: WasmSource::Bundle,
            })
        }
        Architecture::Lazy => Some(plan_lazy_load(variant.runtime_wasm_compile, config, rng)),
    };
    StartPlan {
        isolate,
        load,
        blocking: arch == Architecture::Traditional,
    }
}

fn plan_lazy_load(compile: WasmCompile, config: &Config, rng: &mut SimRng) -> LoadPlan {
    let p = &config.phases;
    let mut wasm_fetch = p.cache_check.sample(rng);
    let hit = rng.random::<f64>() < config.lazy.cache_hit_ratio;
    let source = if hit {
        WasmSource::CacheHit
    } else {
        wasm_fetch += p.r2_fetch.sample(rng);
        WasmSource::R2
    };
    let data = p.data_read.sample(rng);
    let fetched = if config.lazy.parallel_fetch {
        wasm_fetch.max(data)
    } else {
        wasm_fetch + data
    };
    let (compile_time, outcome) = match compile {
        WasmCompile::Blocked => (0, LoadOutcome::Failed),
        WasmCompile::Allowed => (p.wasm_compile.sample(rng), LoadOutcome::Ready),
        WasmCompile::Loader => (
            p.loader_isolate_start.sample(rng) + p.loader_compile.sample(rng),
            LoadOutcome::Ready,
        ),
    };
    let init = if outcome == LoadOutcome::Ready {
        p.pglite_init.sample(rng)
    } else {
        0
    };
    LoadPlan {
        duration: fetched + compile_time + init,
        outcome,
        source,
    }
}

/// Whether a request to a running DO whose runtime is not ready is delegated
/// (rather than waiting for the load).
pub fn delegates_before_ready(arch: Architecture) -> bool {
    !matches!(arch, Architecture::Traditional)
}
