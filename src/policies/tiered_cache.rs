//! Tiered caching: per-host and regional caches in front of R2, where the
//! lazy load looks for its WASM (the caches themselves: `fleet::WasmCaches`).
//!
//! Its oracle ([`CacheEviction::Oracle`]) is Belady's MIN: a cache that
//! knows every future request keeps what will be read again. Each tier
//! holds one object, the WASM, which every later load reads, so MIN never
//! drops it: each tier misses once (its first fill), never again. It does
//! not prefetch (MIN is a replacement policy), so it bounds what any
//! lifetime or eviction rule could give.

use crate::dist::Dist;
use crate::time::Nanos;

/// When a cache tier drops the WASM.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheEviction {
    /// After the tier's TTL (`local_ttl`, `regional_ttl`).
    Ttl,
    /// Belady's MIN: never, since the WASM is read again (a bound).
    Oracle,
}

impl CacheEviction {
    /// The config names, in order.
    pub const NAMES: [&'static str; 2] = ["ttl", "oracle"];

    /// The config name.
    pub fn name(self) -> &'static str {
        match self {
            CacheEviction::Ttl => "ttl",
            CacheEviction::Oracle => "oracle",
        }
    }

    /// Parses a config name.
    pub fn from_name(name: &str) -> Option<Self> {
        [Self::Ttl, Self::Oracle].into_iter().find(|e| e.name() == name)
    }
}

/// `[tiered_cache]`.
#[derive(Debug, Clone, PartialEq)]
pub struct TieredCache {
    /// Per-host local caches (a DO's host is its tenant id modulo `hosts`).
    pub hosts: u64,
    /// Regional caches (a host's region is its index modulo `regions`).
    pub regions: u64,
    pub local_hit: Dist,
    pub regional_hit: Dist,
    pub local_ttl: Nanos,
    pub regional_ttl: Nanos,
    pub eviction: CacheEviction,
}

impl TieredCache {
    /// How long the local and regional tiers keep the WASM.
    pub fn lifetimes(&self) -> (Nanos, Nanos) {
        match self.eviction {
            CacheEviction::Ttl => (self.local_ttl, self.regional_ttl),
            CacheEviction::Oracle => (Nanos::MAX, Nanos::MAX),
        }
    }
}
