//! The events of a run. Small and `Copy`: no allocation per event.

use crate::metrics::ServedBy;
use crate::policies::Policy;
use crate::time::Nanos;

/// Something that happens at a scheduled time. Events about a DO carry its
/// `epoch`: an event of an earlier life (the DO was evicted since) is stale
/// and ignored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// A DO's constructor finished: its load begins, and the request that
    /// started it (which arrived at `arrival`) is served.
    StartDone {
        tenant: u32,
        epoch: u32,
        arrival: Nanos,
    },
    /// A DO's load failed (lazy with the compile blocked): its runtime
    /// memory is freed and it delegates from now on. A successful load
    /// needs no event: the DO is ready once the clock passes `ready_at`.
    LoadFailed { tenant: u32, epoch: u32 },
    /// A request that arrived while its DO was starting, other than the one
    /// that started it, is served now that the constructor is done (or,
    /// under smart delegation, now that the load it waited for failed). If
    /// that life of the DO has ended since (a host evicted it to make room),
    /// the request goes to the DO as it is now, as if it had just arrived.
    /// `retry`: it waited for a load that failed (smart delegation), not
    /// for the constructor.
    AfterStart {
        tenant: u32,
        epoch: u32,
        ordinal: u32,
        arrival: Nanos,
        retry: bool,
    },
    /// A compute-worker instance finished a request. Only for pools with a
    /// maximum size, where a request may wait for the slot: an unlimited
    /// pool applies its releases itself (`ComputePool::release_later`).
    Release { instance: u32 },
    /// A policy's wake ([`crate::policies::Hooks::on_wake`]), with what it
    /// was scheduled with: a tenant ([`crate::policies::NO_TENANT`] for a
    /// periodic job) and a time stamp (prewarming by histogram: when the
    /// DO went quiet).
    Wake {
        policy: Policy,
        tenant: u32,
        stamp: Nanos,
    },
    /// Requests wait for memory on `host`, and a DO there may have gone
    /// idle: try to admit them.
    HostRetry { host: u32 },
    /// A load's I/O phases before its CPU part are done: queue `work` (the
    /// CPU part, or what is left of it between slices) on the isolate's
    /// thread.
    LoadCpu {
        tenant: u32,
        epoch: u32,
        work: Nanos,
    },
    /// The handler of a request that waited for its isolate's thread runs:
    /// its DO not ready, it is routed then (delegated, or as a policy
    /// decides); with `delegate`, it was routed already and is delegated.
    Handle {
        tenant: u32,
        epoch: u32,
        ordinal: u32,
        arrival: Nanos,
        delegate: bool,
    },
    /// An isolate went over its memory limit: reset it (once the step that
    /// found it is done).
    IsolateReset { isolate: u32 },
    /// A request's response leaves its DO (only with an isolate memory
    /// limit, so that a reset can fail it first).
    Complete {
        tenant: u32,
        epoch: u32,
        ordinal: u32,
        arrival: Nanos,
        path: ServedBy,
    },
}
