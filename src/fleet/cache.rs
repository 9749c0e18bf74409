//! Where the lazy architecture finds its WASM: the seed's single cache (a
//! hit with a fixed probability), or the tiered-caching policy's per-host
//! local caches and regional caches in front of R2, whose contents follow
//! from earlier loads.
//!
//! Tiers (policy `tiered_cache`): a DO's host is its tenant id modulo
//! `hosts`, a host's region its index modulo `regions`. A load looks in the
//! local cache, then the regional one, then R2, paying each lookup's latency;
//! what it fetched from a farther tier is put in the nearer ones when the
//! fetch ends (fire-and-forget, as the seed's cache population), where it
//! stays for that tier's TTL. An entry is an interval `[from, until)` of
//! simulated time during which the tier holds the WASM.

use rand::RngExt;

use crate::engine::SimRng;
use crate::policies::TieredCache;
use crate::simulation::Config;
use crate::time::Nanos;

/// Where a fetch found the WASM.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum FetchSource {
    /// Bundled with the worker (traditional, hybrid).
    Bundle,
    /// The seed's cache check hit.
    CacheHit,
    /// The host's local cache (tiered caching).
    LocalCache,
    /// The region's cache (tiered caching).
    RegionalCache,
    /// R2, after every cache missed.
    R2,
}

impl FetchSource {
    /// Whether the WASM came from R2 (an R2 GET).
    pub fn is_r2(self) -> bool {
        self == FetchSource::R2
    }

    /// Whether a cache served it.
    pub fn is_cache(self) -> bool {
        matches!(
            self,
            FetchSource::CacheHit | FetchSource::LocalCache | FetchSource::RegionalCache
        )
    }
}

/// How long the WASM fetch takes: the part before the bytes start to arrive
/// (`lookup`) and the whole of it (`total`), and where it came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fetch {
    pub lookup: Nanos,
    pub total: Nanos,
    pub source: FetchSource,
}

/// When a cache tier holds the WASM: `[from, until)`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Held {
    from: Nanos,
    until: Nanos,
}

impl Held {
    fn holds(&self, t: Nanos) -> bool {
        self.from <= t && t < self.until
    }

    /// The tier receives the WASM at `at` and keeps it for `ttl`.
    fn put(&mut self, at: Nanos, ttl: Nanos) {
        let until = at.saturating_add(ttl);
        if self.until <= self.from || at > self.until {
            *self = Held { from: at, until };
        } else {
            self.from = self.from.min(at);
            self.until = self.until.max(until);
        }
    }
}

/// The caches in front of R2.
#[derive(Debug, Clone)]
pub enum WasmCaches {
    /// The seed's model: one cache check that hits with `lazy.cache_hit_ratio`.
    CoinFlip,
    /// The tiered-caching policy.
    Tiered {
        local: Vec<Held>,
        regional: Vec<Held>,
        config: TieredCache,
    },
}

impl WasmCaches {
    /// The caches a configuration asks for.
    pub fn new(config: &Config) -> Self {
        if config
            .policies
            .enabled
            .has(crate::policies::Policy::TieredCache)
        {
            let tc = config.policies.tiered_cache.clone();
            WasmCaches::Tiered {
                local: vec![Held::default(); tc.hosts.min(u64::from(u32::MAX)) as usize],
                regional: vec![Held::default(); tc.regions.min(u64::from(u32::MAX)) as usize],
                config: tc,
            }
        } else {
            WasmCaches::CoinFlip
        }
    }

    /// Fetches the WASM for `tenant`'s DO, starting at `at`.
    pub fn fetch(&mut self, tenant: u32, at: Nanos, config: &Config, rng: &mut SimRng) -> Fetch {
        let p = &config.phases;
        match self {
            WasmCaches::CoinFlip => {
                let check = p.cache_check.sample(rng);
                if rng.random::<f64>() < config.lazy.cache_hit_ratio {
                    Fetch {
                        lookup: check,
                        total: check,
                        source: FetchSource::CacheHit,
                    }
                } else {
                    Fetch {
                        lookup: check,
                        total: check + p.r2_fetch.sample(rng),
                        source: FetchSource::R2,
                    }
                }
            }
            WasmCaches::Tiered {
                local,
                regional,
                config: tc,
            } => {
                let host = (u64::from(tenant) % local.len().max(1) as u64) as usize;
                let region = (host as u64 % regional.len().max(1) as u64) as usize;
                let local_time = tc.local_hit.sample(rng);
                if local.get(host).is_some_and(|h| h.holds(at)) {
                    return Fetch {
                        lookup: local_time,
                        total: local_time,
                        source: FetchSource::LocalCache,
                    };
                }
                let regional_time = local_time + tc.regional_hit.sample(rng);
                if regional.get(region).is_some_and(|h| h.holds(at)) {
                    let end = at + regional_time;
                    if let Some(h) = local.get_mut(host) {
                        h.put(end, tc.local_ttl);
                    }
                    return Fetch {
                        lookup: regional_time,
                        total: regional_time,
                        source: FetchSource::RegionalCache,
                    };
                }
                let total = regional_time + p.r2_fetch.sample(rng);
                let end = at + total;
                if let Some(h) = local.get_mut(host) {
                    h.put(end, tc.local_ttl);
                }
                if let Some(h) = regional.get_mut(region) {
                    h.put(end, tc.regional_ttl);
                }
                Fetch {
                    lookup: regional_time,
                    total,
                    source: FetchSource::R2,
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::stream;
    use crate::experiment::config::{default_layers, load, set_layer};

    fn config(sets: &[&str]) -> Config {
        let mut layers = default_layers();
        layers.extend(sets.iter().map(|s| set_layer(s).unwrap()));
        load(&layers).unwrap()
    }

    #[test]
    fn tiers_fill_from_earlier_loads_and_expire() {
        let c = config(&[
            "policies=[\"tiered_cache\"]",
            "tiered_cache.hosts=2",
            "tiered_cache.regions=1",
            "tiered_cache.local_hit=\"1ms\"",
            "tiered_cache.regional_hit=\"10ms\"",
            "tiered_cache.local_ttl=\"1s\"",
            "tiered_cache.regional_ttl=\"10s\"",
            "phases.r2_fetch=\"100ms\"",
        ]);
        let mut caches = WasmCaches::new(&c);
        let mut rng = stream(1, &[]);
        let ms = 1_000_000;
        // Tenant 0 on host 0: everything cold, R2; the tiers fill at 111 ms.
        assert_eq!(
            caches.fetch(0, 0, &c, &mut rng),
            Fetch {
                lookup: 11 * ms,
                total: 111 * ms,
                source: FetchSource::R2
            }
        );
        // Before the fill lands, still R2.
        assert_eq!(
            caches.fetch(2, 50 * ms, &c, &mut rng).source,
            FetchSource::R2
        );
        // Host 0 after the fill: local. Host 1: regional, then local.
        assert_eq!(
            caches.fetch(0, 200 * ms, &c, &mut rng).source,
            FetchSource::LocalCache
        );
        assert_eq!(
            caches.fetch(1, 200 * ms, &c, &mut rng).source,
            FetchSource::RegionalCache
        );
        assert_eq!(
            caches.fetch(1, 300 * ms, &c, &mut rng).source,
            FetchSource::LocalCache
        );
        // Local entries expire after 1 s; the regional one lasts 10 s.
        assert_eq!(
            caches.fetch(0, 1_500 * ms, &c, &mut rng).source,
            FetchSource::RegionalCache
        );
        assert_eq!(
            caches.fetch(0, 20_000 * ms, &c, &mut rng).source,
            FetchSource::R2
        );
    }
}
