//! The simulator's policy state: only what the enabled policies need, so a
//! run without policies carries nothing extra.

use std::collections::hash_map::DefaultHasher;
use std::collections::HashMap;
use std::hash::BuildHasherDefault;

use crate::architecture::LoadPlan;
use crate::config::{Config, Policy, PolicySet, Predictor};
use crate::fleet::{WasmCaches, NEVER};
use crate::policy::prewarm::{IdleHistograms, TopK};
use crate::time::Nanos;

/// Per-run state of the enabled policies.
#[derive(Debug)]
pub(super) struct PolicyState {
    pub enabled: PolicySet,
    /// Where lazy loads find their WASM (tiered caching or the coin flip).
    pub caches: WasmCaches,
    /// Smart delegation: the plan of each DO's load in progress.
    pub loading: HashMap<u32, LoadPlan, BuildHasherDefault<DefaultHasher>>,
    /// Partial loading: when each DO's extension is ready (`NEVER`: not
    /// requested in this life). Empty when the policy is off.
    pub extension_ready: Vec<Nanos>,
    /// Prewarming by top-K.
    pub top_k: Option<TopK>,
    /// Prewarming by idle-time histograms.
    pub histograms: Option<IdleHistograms>,
}

impl PolicyState {
    pub fn new(config: &Config, tenants: u32) -> Self {
        let enabled = config.policies.enabled;
        let prewarm = enabled
            .has(Policy::Prewarm)
            .then_some(config.policies.prewarm.predictor);
        Self {
            enabled,
            caches: WasmCaches::new(config),
            loading: HashMap::default(),
            extension_ready: if enabled.has(Policy::PartialLoading) {
                vec![NEVER; tenants as usize]
            } else {
                Vec::new()
            },
            top_k: (prewarm == Some(Predictor::TopK)).then(|| {
                TopK::new(
                    config.policies.prewarm.interval,
                    config.policies.prewarm.window,
                )
            }),
            histograms: (prewarm == Some(Predictor::Histogram))
                .then(|| IdleHistograms::new(config.policies.prewarm.clone())),
        }
    }

    #[inline]
    pub fn has(&self, policy: Policy) -> bool {
        self.enabled.has(policy)
    }
}
