//! The seed's "Future Improvements" as policies (MODEL.md section 7).
//!
//! Each is a switch in `policies`, and they combine. Where each acts:
//! - streaming: the lazy load's plan (`architectures::plan_start`): compile
//!   overlaps the WASM transfer;
//! - tiered caching: where the lazy load finds its WASM (`fleet::WasmCaches`);
//! - partial loading: the plan (core module) and the simulator (extension
//!   on first need);
//! - smart delegation: [`smart_delegation`], consulted by the simulator when
//!   a request meets a load in progress;
//! - prewarming: [`prewarm`], whose predictors the simulator feeds and asks.
//!
//! Invariant: a policy that is not enabled draws no random number and changes
//! no state, so the output is exactly the baseline's (tested).

pub mod partial_loading;
pub mod prewarm;
pub mod smart_delegation;
pub mod tiered_cache;

pub use partial_loading::PartialLoading;
pub use prewarm::{Predictor, Prewarm};
pub use smart_delegation::SmartDelegation;
pub use tiered_cache::TieredCache;

/// One of the seed's "Future Improvements" (MODEL.md section 7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Policy {
    /// A periodic job starts the DOs of tenants predicted to be hit soon.
    Prewarm,
    /// WASM fetch and compile overlap (`compileStreaming`).
    Streaming,
    /// Per-host and regional caches in front of R2.
    TieredCache,
    /// Wait for a load in progress when that is predicted to be faster than
    /// delegating.
    SmartDelegation,
    /// A core module first; an extension on the first query that needs it.
    PartialLoading,
}

impl Policy {
    /// All policies, in config order.
    pub const ALL: [Policy; 5] = [
        Policy::Prewarm,
        Policy::Streaming,
        Policy::TieredCache,
        Policy::SmartDelegation,
        Policy::PartialLoading,
    ];

    /// The config name.
    pub fn name(self) -> &'static str {
        match self {
            Policy::Prewarm => "prewarm",
            Policy::Streaming => "streaming",
            Policy::TieredCache => "tiered_cache",
            Policy::SmartDelegation => "smart_delegation",
            Policy::PartialLoading => "partial_loading",
        }
    }

    /// Parses a config name.
    pub fn from_name(name: &str) -> Option<Policy> {
        Policy::ALL.into_iter().find(|p| p.name() == name)
    }
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
