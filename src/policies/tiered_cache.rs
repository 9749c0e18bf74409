//! Tiered caching: per-host and regional caches in front of R2, where the
//! lazy load looks for its WASM (the caches themselves: `fleet::WasmCaches`).

use crate::dist::Dist;
use crate::time::Nanos;

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
}
