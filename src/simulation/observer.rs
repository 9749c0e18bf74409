//! Observers: what a run can report beyond its metrics (request traces,
//! start timelines), without costing anything when nobody listens.
//!
//! The simulation is generic over its observer, so [`NoObserver`]'s empty
//! methods compile away. Observers see events in the order the simulation
//! handles them; a request is reported when its fate is decided, which can
//! be before its response time (`done`).

use crate::architectures::StartPlan;
use crate::metrics::Path;
use crate::time::Nanos;

/// One request, once its fate is decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestRecord {
    pub tenant: u32,
    /// When it reached its DO.
    pub arrival: Nanos,
    /// When its response left the DO.
    pub done: Nanos,
    /// What the client saw: `done - arrival` plus the client round trip.
    pub latency: Nanos,
    pub path: Path,
    /// Its number since the DO started (1 = the cold request).
    pub ordinal: u32,
}

/// Receives what happens in a run. Every method defaults to doing nothing.
pub trait Observer {
    /// A request's fate was decided.
    fn request(&mut self, _request: &RequestRecord) {}
    /// A DO started at `at` (a cold start), with every phase drawn.
    fn start(&mut self, _tenant: u32, _at: Nanos, _plan: &StartPlan) {}
    /// A DO was evicted at `at`.
    fn evict(&mut self, _tenant: u32, _at: Nanos) {}
}

/// The observer that observes nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoObserver;

impl Observer for NoObserver {}
