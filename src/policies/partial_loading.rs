//! Partial loading: a load compiles and initialises only a core module (a
//! share of compile and init); a query that needs the extension (a share of
//! queries) loads the rest on first need, and waits for it (traditional) or
//! is delegated meanwhile.

use rand::RngExt;

use super::hooks::{Ctx, Hooks, Setup};
use super::Policy;
use crate::architectures::{scale, Architecture, ArchitectureVariant, LoadShape, Phases, Route};
use crate::engine::SimRng;
use crate::fleet::NEVER;
use crate::time::Nanos;

/// `[partial_loading]`.
#[derive(Debug, Clone, PartialEq)]
pub struct PartialLoading {
    /// Share of compile and init that the core module takes.
    pub core_fraction: f64,
    /// Share of queries that need the extension.
    pub extension_fraction: f64,
}

/// The partial-loading policy: when each DO's extension is ready.
#[derive(Debug)]
pub struct PartialLoadingPolicy {
    params: PartialLoading,
    variant: ArchitectureVariant,
    phases: Phases,
    load_keeps_alive: bool,
    /// Requests wait for the extension rather than being delegated.
    waits: bool,
    /// When each DO's extension is ready (`NEVER`: not requested in this
    /// life).
    extension_ready: Vec<Nanos>,
}

impl Hooks for PartialLoadingPolicy {
    fn enable(setup: &Setup) -> Option<Self> {
        setup
            .params
            .enabled
            .has(Policy::PartialLoading)
            .then(|| PartialLoadingPolicy {
                params: setup.params.partial_loading.clone(),
                variant: setup.variant,
                phases: setup.phases.clone(),
                load_keeps_alive: setup.load_keeps_alive,
                waits: setup.variant.architecture.traits().waits_for_load(),
                extension_ready: vec![NEVER; setup.tenants as usize],
            })
    }

    fn shape_load(&self, shape: &mut LoadShape) {
        shape.core_fraction = self.params.core_fraction;
    }

    /// A query to a ready DO that needs the extension waits for it, or is
    /// delegated, until it is loaded.
    #[inline]
    fn refine_route(&mut self, ctx: &mut Ctx, tenant: u32, _arrival: Nanos, route: Route) -> Route {
        if route != Route::Local {
            return route;
        }
        match self.extension_for(ctx, tenant) {
            Some(ready) if self.waits => Route::Queue { from: ready },
            Some(_) => Route::Delegate,
            None => route,
        }
    }

    #[inline]
    fn on_evict(&mut self, tenant: u32, _now: Nanos) {
        if let Some(slot) = self.extension_ready.get_mut(tenant as usize) {
            *slot = NEVER;
        }
    }
}

impl PartialLoadingPolicy {
    /// Whether this query needs the extension and, if it is not ready, when
    /// it will be (starting its load on first need).
    fn extension_for(&mut self, ctx: &mut Ctx, tenant: u32) -> Option<Nanos> {
        let now = ctx.now;
        if ctx.rng.random::<f64>() >= self.params.extension_fraction {
            return None;
        }
        let ready = self
            .extension_ready
            .get(tenant as usize)
            .copied()
            .unwrap_or(NEVER);
        if ready <= now {
            return None;
        }
        if ready != NEVER {
            return Some(ready);
        }
        let ready = now + self.plan_extension(ctx.rng);
        if let Some(slot) = self.extension_ready.get_mut(tenant as usize) {
            *slot = ready;
        }
        if ctx.window.contains(now) {
            ctx.metrics.extension_loads += 1;
        }
        if self.load_keeps_alive {
            if let Some(d) = ctx.dos.get_mut(tenant as usize) {
                d.quiet_from = d.quiet_from.max(ready);
            }
        }
        Some(ready)
    }

    /// The extension module's load: the rest of compile and init, drawn
    /// when the first query that needs it arrives.
    fn plan_extension(&self, rng: &mut SimRng) -> Nanos {
        let p = &self.phases;
        let rest = 1.0 - self.params.core_fraction;
        let compile = match (self.variant.architecture, self.variant.runtime_wasm_compile) {
            (Architecture::Lazy, crate::architectures::WasmCompile::Loader) => {
                p.loader_compile.sample(rng)
            }
            _ => p.wasm_compile.sample(rng),
        };
        scale(compile, rest) + scale(p.pglite_init.sample(rng), rest)
    }
}
