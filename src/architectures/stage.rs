//! The seed's seven load states ("Request Flow States"), as a type: where a
//! DO's PGLite load is at a given time.
//!
//! A load is planned in full when its DO starts ([`super::LoadPlan`]), so its
//! stage at any time follows from the plan and the time the load began:
//! [`LoadPlan::stage_at`]. The simulator needs no event per stage; an
//! observer (timelines) and a predictor (smart delegation, a prewarming
//! policy) ask.
//!
//! A load's stage is the furthest stage among the phases begun, so stages
//! only move forward even where phases overlap (the data read alongside the
//! WASM fetch; a streaming compile alongside the transfer). A bundled load
//! has no fetch: its data read counts as [`LoadStage::LoadingFromCache`],
//! the seed's stage before compiling.

use super::{LoadOutcome, LoadPlan, Phase};
use crate::time::Nanos;

/// Where a load is (the seed's `not_started` ... `failed`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LoadStage {
    /// The load has not begun (the constructor is running).
    NotStarted,
    /// Checking the Cache API for the WASM (or, bundled, reading the data).
    LoadingFromCache,
    /// Fetching the WASM from R2 after a cache miss.
    LoadingFromR2,
    /// Compiling the WASM module (or the loader isolate compiling it).
    Compiling,
    /// Initialising PGLite.
    Initializing,
    /// PGLite is ready: queries run locally.
    Ready,
    /// The load failed: the DO delegates for the rest of its life.
    Failed,
}

impl LoadStage {
    /// All stages, in the seed's order.
    pub const ALL: [LoadStage; 7] = [
        LoadStage::NotStarted,
        LoadStage::LoadingFromCache,
        LoadStage::LoadingFromR2,
        LoadStage::Compiling,
        LoadStage::Initializing,
        LoadStage::Ready,
        LoadStage::Failed,
    ];

    /// The seed's name.
    pub fn name(self) -> &'static str {
        match self {
            LoadStage::NotStarted => "not_started",
            LoadStage::LoadingFromCache => "loading_from_cache",
            LoadStage::LoadingFromR2 => "loading_from_r2",
            LoadStage::Compiling => "compiling",
            LoadStage::Initializing => "initializing",
            LoadStage::Ready => "ready",
            LoadStage::Failed => "failed",
        }
    }

    /// The stage a phase in progress stands for.
    pub fn of_phase(phase: Phase) -> LoadStage {
        match phase {
            Phase::CacheCheck | Phase::DataRead => LoadStage::LoadingFromCache,
            Phase::R2Fetch => LoadStage::LoadingFromR2,
            Phase::WasmCompile | Phase::LoaderIsolateStart | Phase::LoaderCompile => {
                LoadStage::Compiling
            }
            Phase::PgliteInit => LoadStage::Initializing,
        }
    }
}

impl LoadPlan {
    /// The load's stage at `time`, for a load that began at `began` (the
    /// constructor's end).
    pub fn stage_at(&self, began: Nanos, time: Nanos) -> LoadStage {
        if time < began {
            return LoadStage::NotStarted;
        }
        let elapsed = time - began;
        if elapsed >= self.duration {
            return match self.outcome {
                LoadOutcome::Ready => LoadStage::Ready,
                LoadOutcome::Failed => LoadStage::Failed,
            };
        }
        // The furthest stage among the phases begun.
        self.spans
            .as_slice()
            .iter()
            .filter(|s| s.start <= elapsed)
            .map(|s| LoadStage::of_phase(s.phase))
            .max()
            .unwrap_or(LoadStage::LoadingFromCache)
    }

    /// The phases not finished at `elapsed` since the load began, in the
    /// order they begin (for predictors: what is left).
    pub fn remaining_at(&self, elapsed: Nanos) -> impl Iterator<Item = &super::PhaseSpan> {
        self.spans
            .as_slice()
            .iter()
            .filter(move |s| s.end > elapsed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::architectures::tests::plan;
    use crate::architectures::{Architecture, ArchitectureVariant, WasmCompile};
    use crate::engine::stream;
    use crate::experiment::config::load_default;

    #[test]
    fn a_load_walks_the_stages_in_order() {
        let config = load_default().unwrap();
        let mut rng = stream(9, &[]);
        for (architecture, compile) in [
            (Architecture::Hybrid, WasmCompile::Blocked),
            (Architecture::Lazy, WasmCompile::Allowed),
            (Architecture::Lazy, WasmCompile::Loader),
            (Architecture::Lazy, WasmCompile::Blocked),
        ] {
            let variant = ArchitectureVariant {
                architecture,
                runtime_wasm_compile: compile,
            };
            for _ in 0..50 {
                let start = plan(variant, &config, &mut rng);
                let load = start.load.unwrap();
                let began = 1_000;
                assert_eq!(load.stage_at(began, began - 1), LoadStage::NotStarted);
                let mut last = LoadStage::NotStarted;
                for t in (began..=began + load.duration).step_by(1 + load.duration as usize / 997) {
                    let stage = load.stage_at(began, t);
                    assert!(stage >= last, "{variant:?}: {last:?} then {stage:?}");
                    last = stage;
                }
                let end = load.stage_at(began, began + load.duration);
                let expected = match load.outcome {
                    LoadOutcome::Ready => LoadStage::Ready,
                    LoadOutcome::Failed => LoadStage::Failed,
                };
                assert_eq!(end, expected);
                // Each phase's stage is seen while that phase runs alone or last.
                for span in load.spans.as_slice().iter().filter(|s| s.end > s.start) {
                    let stage = load.stage_at(began, began + span.end - 1);
                    assert!(
                        stage >= LoadStage::of_phase(span.phase),
                        "{variant:?} {span:?}"
                    );
                }
            }
        }
    }
}
