//! Per-tenant Durable Object state: compact, fixed size, no allocation.
//!
//! A DO is `Evicted` or resident (`Starting` while its constructor runs,
//! then `Running`). Its local execution slot is FIFO: since every local
//! request's service time is drawn when it arrives, the slot is fully
//! described by the time it next falls free (`busy_until`), and a request's
//! completion is `max(arrival, busy_until) + exec`. Everything the DO is
//! known to be doing ends by `quiet_from`; its idle period starts then and
//! ends in eviction at `idle_deadline` unless a request comes first.
//!
//! The all-zero bit pattern is the default state (evicted, never started):
//! times that default to "never" are stored bitwise negated. So a fleet's
//! states come from zeroed memory ([`super::states`]), which the system
//! hands out as untouched pages: a tenant costs memory only once a request
//! reaches it, and 10^8 tenants cost nothing to set up.

use crate::architectures::FetchSource as WasmSource;
use crate::time::Nanos;

/// Whether the DO is in memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Status {
    /// Not in memory: the next request starts it (a cold start).
    Evicted,
    /// Isolate start and constructor running; requests wait.
    Starting,
    /// Constructor done.
    Running,
    /// Not in memory, and requests wait for room on its host
    /// (`hosts.when_full = "wait"`): the first admitted starts it.
    Pending,
}

/// Where the PGLite runtime is (MODEL.md section 5). Lazy's finer states
/// (`loading_from_cache` to `initializing`) are phases of `Active` whose
/// durations were drawn when the DO started; `ready` is `Active` once the
/// clock passes `ready_at`, so reaching it needs no event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum LoadState {
    /// No load begun (thin, or before the constructor finishes).
    NotStarted,
    /// Loading, or loaded once `now >= ready_at`: the runtime's memory is held.
    Active,
    /// The load failed (lazy under a blocked embedder): delegate for the
    /// rest of this DO's life.
    Failed,
}

/// One Durable Object's state: 64 bytes, aligned to a cache line, so that
/// a touch (or a prefetch) of a tenant is one line, never two (a large
/// allocation starts 16 bytes into a page).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(align(64))]
pub struct DoState {
    /// When the constructor finishes and the load begins.
    pub started_at: Nanos,
    /// When the runtime is ready (`NEVER` if this life has no successful
    /// load), bitwise negated: read with [`ready_at`](Self::ready_at).
    ready_at_not: Nanos,
    /// When the local execution slot next falls free.
    pub busy_until: Nanos,
    /// When all known work (local, delegated, and the load if it keeps the
    /// DO alive) is done.
    pub quiet_from: Nanos,
    /// When the DO is evicted if no request arrives first.
    pub idle_deadline: Nanos,
    /// The deadline of this DO's entry in the expiry queue (`NO_TIMER` if
    /// none), bitwise negated: read with [`timer_at`](Self::timer_at).
    /// Always `<= idle_deadline` while armed.
    timer_at_not: Nanos,
    /// Requests since the DO last started (1 = the cold request).
    pub ordinal: u32,
    /// Incremented at every start: events of an earlier life are stale.
    pub epoch: u32,
    pub status: Status,
    pub load: LoadState,
    /// Where this life's WASM came from (for load-time statistics).
    pub source: WasmSource,
    /// Started without a request (by a policy: prewarming) and not
    /// requested yet.
    pub unrequested: bool,
    /// Delegated requests waiting for a compute-worker slot.
    pub waiting: u16,
    /// The DO's last life ended in an isolate reset (its requests of that
    /// life fail); cleared by an eviction of another kind.
    pub reset: bool,
}

/// `timer_at` value of a DO with no expiry entry.
pub const NO_TIMER: Nanos = Nanos::MAX;

/// `ready_at` of a DO whose runtime will not be ready in this life.
pub const NEVER: Nanos = Nanos::MAX;

impl Default for DoState {
    fn default() -> Self {
        Self {
            started_at: 0,
            ready_at_not: !NEVER,
            busy_until: 0,
            quiet_from: 0,
            idle_deadline: 0,
            timer_at_not: !NO_TIMER,
            ordinal: 0,
            epoch: 0,
            status: Status::Evicted,
            load: LoadState::NotStarted,
            source: WasmSource::Bundle,
            unrequested: false,
            waiting: 0,
            reset: false,
        }
    }
}

impl DoState {
    /// When the runtime is ready (`NEVER` if this life has no successful
    /// load).
    #[inline]
    pub fn ready_at(&self) -> Nanos {
        !self.ready_at_not
    }

    #[inline]
    pub fn set_ready_at(&mut self, t: Nanos) {
        self.ready_at_not = !t;
    }

    /// The deadline of the DO's expiry entry (`NO_TIMER` if none).
    #[inline]
    pub fn timer_at(&self) -> Nanos {
        !self.timer_at_not
    }

    #[inline]
    pub fn set_timer_at(&mut self, t: Nanos) {
        self.timer_at_not = !t;
    }

    /// Whether the DO is in memory.
    #[inline]
    pub fn is_resident(&self) -> bool {
        matches!(self.status, Status::Starting | Status::Running)
    }

    /// Whether the PGLite runtime's memory is held.
    #[inline]
    pub fn holds_runtime(&self) -> bool {
        self.load == LoadState::Active
    }

    /// Whether queries can run locally at `now`.
    #[inline]
    pub fn is_ready(&self, now: Nanos) -> bool {
        now >= self.ready_at()
    }

    /// Begins a new life: the isolate starts now and the constructor ends at
    /// `started_at`; no load yet, no expiry entry of an earlier life may
    /// evict it, and the request that started it is its first. Returns the
    /// life's epoch.
    #[inline]
    pub fn begin_life(&mut self, started_at: Nanos) -> u32 {
        self.status = Status::Starting;
        self.set_timer_at(NO_TIMER);
        self.load = LoadState::NotStarted;
        self.epoch = self.epoch.wrapping_add(1);
        self.ordinal = 1;
        self.started_at = started_at;
        self.set_ready_at(NEVER);
        self.busy_until = started_at;
        self.quiet_from = started_at;
        self.epoch
    }

    /// Ends the DO's life (eviction): its events become stale and its
    /// expiry entry void. Returns whether it was started without a request
    /// and never requested (a wasted prewarm).
    #[inline]
    pub fn end_life(&mut self) -> bool {
        let unrequested = self.unrequested;
        self.unrequested = false;
        self.status = Status::Evicted;
        self.load = LoadState::NotStarted;
        self.set_ready_at(NEVER);
        self.epoch = self.epoch.wrapping_add(1);
        self.set_timer_at(NO_TIMER);
        unrequested
    }

    /// A request reaches the resident DO: its number in this life.
    #[inline]
    pub fn next_ordinal(&mut self) -> u32 {
        self.ordinal = self.ordinal.saturating_add(1);
        self.ordinal
    }

    /// Takes the FIFO execution slot for `exec`, not before `from`: returns
    /// when the work is done (the DO is busy, and not quiet, until then).
    #[inline]
    pub fn take_slot(&mut self, from: Nanos, exec: Nanos) -> Nanos {
        let done = from.max(self.busy_until) + exec;
        self.busy_until = done;
        self.quiet_from = self.quiet_from.max(done);
        done
    }

    /// Work elsewhere for the DO (a delegated request, a load that keeps it
    /// alive) ends at `until`: it is not quiet before.
    #[inline]
    pub fn busy_elsewhere_until(&mut self, until: Nanos) {
        self.quiet_from = self.quiet_from.max(until);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_is_compact() {
        // Tens of bytes per tenant: 10^8 tenants must fit in memory.
        assert!(
            std::mem::size_of::<DoState>() <= 64,
            "{}",
            std::mem::size_of::<DoState>()
        );
        // One cache line each.
        assert_eq!(std::mem::align_of::<DoState>(), 64);
    }
}
