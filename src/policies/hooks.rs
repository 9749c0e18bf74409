//! The policy interface: the hooks the simulation loop calls, what they may
//! read and change, and what they may ask of the loop.
//!
//! A policy is a type implementing [`Hooks`]; every hook has a default that
//! does nothing, so a policy implements only where it acts. The loop calls
//! the holder of the enabled policies ([`super::Enabled`]), never a policy
//! by name. Where a policy needs the loop to act (start a DO without a
//! request, wake it later), the hook returns what it wants ([`Idle`],
//! [`Wake`]) and the loop does it, so a hook never re-enters the loop.
//!
//! Invariants: a hook is called at the same point of the loop whatever the
//! other policies, and draws random numbers only when its policy acts; a
//! policy that is off is `None` in the holder and costs one predictable
//! branch per hook (none where its type does not override the hook).

use crate::architectures::{ArchitectureVariant, Fetch, Lazy, LoadPlan, LoadShape, Phases, Route};
use crate::dist::Dist;
use crate::engine::SimRng;
use crate::fleet::{Compute, DoState, IsolateParams};
use crate::metrics::{RunMetrics, Window};
use crate::simulation::RunIdentity;
use crate::time::Nanos;
use crate::workload::Workload;

use super::Policies;

/// What a policy may read of the run when it is enabled.
#[derive(Debug, Clone, Copy)]
pub struct Setup<'a> {
    /// Every policy's parameters, and which are enabled.
    pub params: &'a Policies,
    pub variant: ArchitectureVariant,
    pub phases: &'a Phases,
    pub lazy: &'a Lazy,
    pub compute: &'a Compute,
    /// Local execution of one query on a ready DO.
    pub query_exec: &'a Dist,
    /// Whether a load in progress keeps the DO from being evicted.
    pub load_keeps_alive: bool,
    /// The isolate model: which phases hold the DO's thread.
    pub isolate: &'a IsolateParams,
    /// The run's end: nothing is scheduled at or after it.
    pub duration: Nanos,
    pub tenants: u32,
    /// The run's traffic and identity: an oracle may draw the run's own
    /// arrivals again, ahead of the loop (`simulation::arrival_stream`).
    pub workload: &'a Workload,
    pub identity: RunIdentity,
}

/// What a hook may change: the DOs' states, the run's random stream and
/// its measurements.
pub struct Ctx<'a> {
    /// The time of the step being handled.
    pub now: Nanos,
    pub dos: &'a mut [DoState],
    pub rng: &'a mut SimRng,
    pub metrics: &'a mut RunMetrics,
    /// The measurement window: counts cover what falls in it.
    pub window: Window,
}

/// How a DO that has gone quiet idles, when a policy decides it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Idle {
    /// Evicted after this long rather than the platform's timeout (a
    /// keep-alive, or a shorter stay).
    Timeout(Nanos),
    /// Released at once; the policy's [`Hooks::on_wake`] is called at `at`
    /// (if before the run's end) with the tenant and the time it went
    /// quiet.
    ReleaseThenWake { at: Nanos },
}

/// What a policy asks of the loop when it wakes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Wake {
    /// DOs to start without a request.
    pub start: Start,
    /// Wake the policy again then (a periodic job), if before the run's end.
    pub again_at: Option<Nanos>,
}

/// DOs a policy wants started without a request (where their host has
/// room; a DO already resident is left as it is).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Start {
    #[default]
    Nothing,
    /// Each of these; each then idles as any DO (its timeout drawn).
    Each(Vec<u32>),
    /// Each of these; those already resident whose idle deadline falls
    /// before `until` get a request (or an alarm) now that restarts their
    /// idle period: a keep-alive ping, counted and billed.
    EachKept { tenants: Vec<u32>, until: Nanos },
    /// Each DO with the time it must stay resident to: started if evicted,
    /// held (its idle period starts no earlier than that time, a ping when
    /// that extends it) if resident.
    EachHeld(Vec<(u32, Nanos)>),
    /// This DO, kept until `until`.
    Until { tenant: u32, until: Nanos },
}

/// The tenant a periodic wake carries (it is about no DO in particular).
pub const NO_TENANT: u32 = u32::MAX;

/// The hooks a policy may implement. Each is called by the loop at the
/// point its comment says; the defaults do nothing.
pub trait Hooks: Sized {
    /// The policy's state for a run, or `None` when it is not enabled.
    fn enable(setup: &Setup) -> Option<Self>;

    /// Changes the shape of every load (called once, when the run begins).
    fn shape_load(&self, _shape: &mut LoadShape) {}

    /// When the policy first wakes (called once, when the run begins).
    fn first_wake(&self) -> Option<Nanos> {
        None
    }

    /// A request for `tenant` arrives at `now`, before it reaches its DO
    /// (`d`, as the request finds it).
    #[inline]
    fn on_arrival(&mut self, _tenant: u32, _now: Nanos, _d: &DoState) {}

    /// A lazy load begins fetching its WASM at `at`: where it finds it, if
    /// the policy decides (`None`: the seed's cache check).
    #[inline]
    fn fetch_wasm(&mut self, _tenant: u32, _at: Nanos, _rng: &mut SimRng) -> Option<Fetch> {
        None
    }

    /// A DO starts with this load planned, beginning at `began`.
    #[inline]
    fn on_start(&mut self, _tenant: u32, _began: Nanos, _load: &LoadPlan) {}

    /// Refines where a request that arrived at `arrival` goes, given the
    /// architecture's route (and the refinements of the policies listed
    /// before). The DO is `ctx.dos[tenant]`, resident and not starting.
    #[inline]
    fn refine_route(
        &mut self,
        _ctx: &mut Ctx,
        _tenant: u32,
        _arrival: Nanos,
        route: Route,
    ) -> Route {
        route
    }

    /// The DO has gone quiet at `quiet`: how it idles (`None`: the
    /// platform's timeout, or what a later policy decides).
    #[inline]
    fn on_idle(&mut self, _tenant: u32, _quiet: Nanos) -> Option<Idle> {
        None
    }

    /// The policy's wake (from [`Idle::ReleaseThenWake`], [`Wake::again_at`]
    /// or [`Hooks::first_wake`]) is due at `now`; `tenant` and `stamp` are
    /// what it was scheduled with.
    fn on_wake(&mut self, _dos: &[DoState], _tenant: u32, _stamp: Nanos, _now: Nanos) -> Wake {
        Wake::default()
    }

    /// The DO is evicted at `now` (its life ends).
    #[inline]
    fn on_evict(&mut self, _tenant: u32, _now: Nanos) {}
}
