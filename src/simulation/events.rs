//! The events of a run. Small and `Copy`: no allocation per event.

use crate::architecture::{LoadOutcome, WasmSource};
use crate::time::Nanos;

/// Something that happens at a scheduled time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// A DO's constructor finished (its background load begins). Stale if
    /// `epoch` is not the DO's current one (it was evicted meanwhile).
    StartDone { tenant: u32, epoch: u32 },
    /// A DO's load finished, ready or failed.
    LoadEnd {
        tenant: u32,
        epoch: u32,
        outcome: LoadOutcome,
        source: WasmSource,
    },
    /// A request that waited for its DO's constructor is delegated now.
    Dispatch {
        tenant: u32,
        ordinal: u32,
        arrival: Nanos,
    },
    /// A compute-worker instance finished a request.
    Release,
}
