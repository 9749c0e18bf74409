//! The seed's "Future Improvements" as policies (MODEL.md section 7), one
//! file each, behind one interface ([`hooks`]).
//!
//! Each is a switch in `policies`, and they combine. Where each acts (the
//! hook it implements):
//! - prewarming ([`prewarm`]): feeds its predictor on arrival, decides how a
//!   quiet DO idles, and wakes to start DOs without a request;
//! - streaming ([`streaming`]): shapes the load (the compile overlaps the
//!   WASM transfer);
//! - tiered caching ([`tiered_cache`]): where a lazy load finds its WASM;
//! - smart delegation ([`smart_delegation`]): refines the route of a request
//!   that meets a load in progress;
//! - partial loading ([`partial_loading`]): shapes the load (core module)
//!   and refines the route of a query that needs the extension.
//!
//! The list below ([`policies!`]) is the only place that names them all: it
//! declares each policy's config name and the type implementing its hooks,
//! and from it come [`Policy`] (the names, in config order) and [`Enabled`]
//! (the holder the simulation loop calls: one `Option` per policy,
//! statically dispatched, so a policy that is off costs a branch and no
//! call). Adding a policy is one file and one line here (docs/architecture.md).
//!
//! Invariant: a policy that is not enabled draws no random number and changes
//! no state, so the output is exactly the baseline's (tested). Hooks are
//! called in the list's order.

pub mod estimates;
pub mod foresight;
pub mod hooks;
pub mod load_forecast;
pub mod partial_loading;
pub mod plain_pool;
pub mod prewarm;
pub mod smart_delegation;
pub mod streaming;
pub mod tiered_cache;

pub use hooks::{Ctx, Hooks, Idle, Setup, Start, Wake, NO_TENANT};
pub use partial_loading::PartialLoading;
pub use prewarm::{Predictor, Prewarm};
pub use smart_delegation::{SmartDelegation, SmartPredictor};
pub use tiered_cache::{CacheEviction, TieredCache};

use crate::architectures::{Fetch, LoadPlan, LoadShape, Route};
use crate::engine::SimRng;
use crate::fleet::DoState;
use crate::time::Nanos;

/// Declares the policies: for each, its [`Policy`] variant, config name and
/// hooks type. Generates [`Policy`] and [`Enabled`].
macro_rules! policies {
    ($($(#[$doc:meta])* $variant:ident = $name:literal => $field:ident: $ty:ty,)*) => {
        /// One of the seed's "Future Improvements" (MODEL.md section 7).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Policy {
            $($(#[$doc])* $variant,)*
        }

        impl Policy {
            /// All policies, in config order.
            pub const ALL: [Policy; [$(Policy::$variant),*].len()] = [$(Policy::$variant),*];

            /// The config names, in config order.
            pub const NAMES: [&'static str; Policy::ALL.len()] = [$($name),*];

            /// The config name.
            pub fn name(self) -> &'static str {
                Policy::NAMES[self as usize]
            }

            /// Parses a config name.
            pub fn from_name(name: &str) -> Option<Policy> {
                Policy::ALL.into_iter().find(|p| p.name() == name)
            }
        }

        /// The enabled policies of a run, each `None` when off. The loop
        /// calls these fan-outs; each calls the enabled policies' hook in
        /// list order.
        #[derive(Debug)]
        pub struct Enabled {
            $($field: Option<$ty>,)*
        }

        impl Enabled {
            /// The policies `setup` enables.
            pub fn new(setup: &Setup) -> Self {
                Self {
                    $($field: <$ty as Hooks>::enable(setup),)*
                }
            }

            /// The shape of every load.
            pub fn load_shape(&self) -> LoadShape {
                let mut shape = LoadShape::default();
                $(if let Some(p) = &self.$field {
                    p.shape_load(&mut shape);
                })*
                shape
            }

            /// Each policy's first wake, with the policy it is for.
            pub fn first_wakes(&self) -> impl Iterator<Item = (Policy, Nanos)> {
                [$(self.$field.as_ref().and_then(|p| p.first_wake()).map(|t| (Policy::$variant, t))),*]
                    .into_iter()
                    .flatten()
            }

            #[inline(always)]
            pub fn on_arrival(&mut self, tenant: u32, now: Nanos, d: &DoState) {
                $(if let Some(p) = &mut self.$field {
                    p.on_arrival(tenant, now, d);
                })*
            }

            #[inline(always)]
            pub fn fetch_wasm(&mut self, tenant: u32, at: Nanos, rng: &mut SimRng) -> Option<Fetch> {
                $(if let Some(p) = &mut self.$field {
                    if let Some(fetch) = p.fetch_wasm(tenant, at, rng) {
                        return Some(fetch);
                    }
                })*
                None
            }

            #[inline(always)]
            pub fn on_start(&mut self, tenant: u32, began: Nanos, load: &LoadPlan) {
                $(if let Some(p) = &mut self.$field {
                    p.on_start(tenant, began, load);
                })*
            }

            #[inline(always)]
            pub fn refine_route(&mut self, ctx: &mut Ctx, tenant: u32, arrival: Nanos, route: Route) -> Route {
                let mut route = route;
                $(if let Some(p) = &mut self.$field {
                    route = p.refine_route(ctx, tenant, arrival, route);
                })*
                route
            }

            /// How the DO idles: the first policy's decision, with the policy.
            #[inline(always)]
            pub fn on_idle(&mut self, tenant: u32, quiet: Nanos) -> Option<(Policy, Idle)> {
                $(if let Some(p) = &mut self.$field {
                    if let Some(idle) = p.on_idle(tenant, quiet) {
                        return Some((Policy::$variant, idle));
                    }
                })*
                None
            }

            /// `policy`'s wake is due.
            pub fn on_wake(&mut self, policy: Policy, dos: &[DoState], tenant: u32, stamp: Nanos, now: Nanos) -> Wake {
                match policy {
                    $(Policy::$variant => self
                        .$field
                        .as_mut()
                        .map_or_else(Wake::default, |p| p.on_wake(dos, tenant, stamp, now)),)*
                }
            }

            #[inline(always)]
            pub fn on_evict(&mut self, tenant: u32, now: Nanos) {
                $(if let Some(p) = &mut self.$field {
                    p.on_evict(tenant, now);
                })*
            }
        }
    };
}

policies! {
    /// A periodic job starts the DOs of tenants predicted to be hit soon.
    Prewarm = "prewarm" => prewarm: prewarm::PrewarmPolicy,
    /// WASM fetch and compile overlap (`compileStreaming`).
    Streaming = "streaming" => streaming: streaming::StreamingPolicy,
    /// Per-host and regional caches in front of R2.
    TieredCache = "tiered_cache" => tiered_cache: tiered_cache::TieredCachePolicy,
    /// Wait for a load in progress when that is predicted to be faster than
    /// delegating.
    SmartDelegation = "smart_delegation" => smart_delegation: smart_delegation::SmartDelegationPolicy,
    /// A core module first; an extension on the first query that needs it.
    PartialLoading = "partial_loading" => partial_loading: partial_loading::PartialLoadingPolicy,
}

/// A set of enabled policies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct PolicySet(u8);

impl PolicySet {
    /// No policy: the baseline.
    pub const NONE: PolicySet = PolicySet(0);

    /// The set with `policy` added.
    pub fn with(self, policy: Policy) -> PolicySet {
        PolicySet(self.0 | 1 << policy as u8)
    }

    /// Whether `policy` is enabled.
    #[inline]
    pub fn has(self, policy: Policy) -> bool {
        self.0 & (1 << policy as u8) != 0
    }

    /// The enabled policies, in config order.
    pub fn iter(self) -> impl Iterator<Item = Policy> {
        Policy::ALL.into_iter().filter(move |p| self.has(*p))
    }

    /// The `policy` column: `none`, or the names joined by `+`.
    pub fn label(self) -> String {
        let names: Vec<&str> = self.iter().map(Policy::name).collect();
        if names.is_empty() {
            "none".to_string()
        } else {
            names.join("+")
        }
    }
}

/// The policies and their parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct Policies {
    pub enabled: PolicySet,
    pub prewarm: Prewarm,
    pub tiered_cache: TieredCache,
    pub smart_delegation: SmartDelegation,
    pub partial_loading: PartialLoading,
}

impl Policies {
    /// Whether `policy` is enabled with its oracle, a bound no
    /// implementation reaches (the prewarmer knows the next arrivals, smart
    /// delegation the load's remaining time and outcome, the cache the
    /// future: Belady).
    pub fn is_oracle(&self, policy: Policy) -> bool {
        self.enabled.has(policy)
            && match policy {
                Policy::Prewarm => self.prewarm.predictor == Predictor::Oracle,
                Policy::SmartDelegation => {
                    self.smart_delegation.predictor == SmartPredictor::Oracle
                }
                Policy::TieredCache => self.tiered_cache.eviction == CacheEviction::Oracle,
                Policy::Streaming | Policy::PartialLoading => false,
            }
    }

    /// The `policy` column: [`PolicySet::label`], with `_oracle` after each
    /// policy run by its oracle, so that a bound is never read as a policy.
    pub fn label(&self) -> String {
        let names: Vec<String> = self
            .enabled
            .iter()
            .map(|p| {
                if self.is_oracle(p) {
                    format!("{}_oracle", p.name())
                } else {
                    p.name().to_string()
                }
            })
            .collect();
        if names.is_empty() {
            "none".to_string()
        } else {
            names.join("+")
        }
    }
}
