//! WASM streaming: the lazy load compiles the bytes as they arrive
//! (`WebAssembly.compileStreaming`), overlapping the transfer, instead of
//! after it. No parameters; it changes only the shape of the load.

use super::hooks::{Hooks, Setup};
use super::Policy;
use crate::architectures::LoadShape;

/// The streaming policy.
#[derive(Debug)]
pub struct StreamingPolicy;

impl Hooks for StreamingPolicy {
    fn enable(setup: &Setup) -> Option<Self> {
        setup
            .params
            .enabled
            .has(Policy::Streaming)
            .then_some(StreamingPolicy)
    }

    fn shape_load(&self, shape: &mut LoadShape) {
        shape.streaming_compile = true;
    }
}
