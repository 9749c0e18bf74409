//! The load of an architecture that bundles the WASM (traditional, hybrid):
//! the data buffer is read, the bundled module compiled, PGLite initialised.
//! The two differ only in their row of the table: traditional's constructor
//! waits for this load, hybrid's runs it in the background.

use super::{scale, FetchSource, LoadOutcome, LoadPlan, LoadShape, Phase, Phases, Spans};
use crate::engine::SimRng;

/// Draws a bundled load's phases.
#[inline(always)]
pub fn plan_load(phases: &Phases, shape: &LoadShape, rng: &mut SimRng) -> LoadPlan {
    let core = shape.core_fraction;
    let mut spans = Spans::new();
    let t = spans.add(Phase::DataRead, 0, phases.data_read.sample(rng));
    let t = spans.add(
        Phase::WasmCompile,
        t,
        scale(phases.wasm_compile.sample(rng), core),
    );
    let duration = spans.add(
        Phase::PgliteInit,
        t,
        scale(phases.pglite_init.sample(rng), core),
    );
    LoadPlan {
        duration,
        outcome: LoadOutcome::Ready,
        source: FetchSource::Bundle,
        spans,
    }
}
