//! The lazy architecture's load, as the seed describes it: the WASM from
//! the cache first, R2 on a miss (the cache is then populated
//! fire-and-forget, costing the load nothing), the WASM and the data bundle
//! fetched in parallel (a switch), then compile and PGLite init. Under a
//! blocked embedder the compile throws at once: the load fails when the
//! fetch ends. Through the Dynamic Worker Loader, a loader isolate starts
//! and the platform compiles.

use rand::RngExt;

use super::{
    scale, Fetch, FetchSource, Lazy, LoadOutcome, LoadPlan, LoadShape, Phase, Phases, Spans,
    WasmCompile,
};
use crate::engine::SimRng;

/// The seed's single cache: one check that hits with `lazy.cache_hit_ratio`,
/// R2 after a miss.
pub fn seed_cache_check(phases: &Phases, lazy: &Lazy, rng: &mut SimRng) -> Fetch {
    let check = phases.cache_check.sample(rng);
    if rng.random::<f64>() < lazy.cache_hit_ratio {
        Fetch {
            lookup: check,
            total: check,
            source: FetchSource::CacheHit,
        }
    } else {
        Fetch {
            lookup: check,
            total: check + phases.r2_fetch.sample(rng),
            source: FetchSource::R2,
        }
    }
}

/// Draws a lazy load's phases, given where its WASM was found.
#[inline]
pub fn plan_load(
    compile: WasmCompile,
    phases: &Phases,
    lazy: &Lazy,
    shape: &LoadShape,
    fetch: Fetch,
    rng: &mut SimRng,
) -> LoadPlan {
    let p = phases;
    let core = shape.core_fraction;
    let mut spans = Spans::new();
    let wasm_fetched = if fetch.source.is_r2() {
        spans.add(Phase::CacheCheck, 0, fetch.lookup);
        spans.add(Phase::R2Fetch, fetch.lookup, fetch.total - fetch.lookup)
    } else {
        spans.add(Phase::CacheCheck, 0, fetch.total)
    };
    // The data bundle is read alongside the WASM fetch, or after it.
    let data_start = if lazy.parallel_fetch { 0 } else { wasm_fetched };
    let data_read = spans.add(Phase::DataRead, data_start, p.data_read.sample(rng));
    let fetched = wasm_fetched.max(data_read);
    let (compiled, outcome) = match compile {
        // The compile throws at once: the load fails when the fetch ends.
        WasmCompile::Blocked => (fetched, LoadOutcome::Failed),
        WasmCompile::Allowed if shape.streaming_compile => {
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
