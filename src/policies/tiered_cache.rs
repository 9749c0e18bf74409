//! Tiered caching: where the lazy load finds its WASM when the policy is
//! on, instead of the seed's single cache (`architectures::lazy`): per-host
//! local caches and regional caches in front of R2, whose contents follow
//! from earlier loads.
//!
//! Tiers: a DO's host is its tenant id modulo
//! `hosts`, a host's region its index modulo `regions`. A load looks in the
//! local cache, then the regional one, then R2, paying each lookup's latency;
//! what it fetched from a farther tier is put in the nearer ones when the
//! fetch ends (fire-and-forget, as the seed's cache population), where it
//! stays for that tier's TTL. An entry is an interval `[from, until)` of
//! simulated time during which the tier holds the WASM.
//!
//! Its oracle ([`CacheEviction::Oracle`]) is Belady's MIN: a cache that
//! knows every future request keeps what will be read again. Each tier
//! holds one object, the WASM, which later loads read again, so MIN never
//! drops it: each tier misses once (until its first fill lands), never
//! again. MIN does not prefetch, so this bounds what any lifetime or
//! eviction rule could give.

use super::hooks::{Hooks, Setup};
use super::Policy;
use crate::architectures::{Fetch, FetchSource};
use crate::dist::Dist;
use crate::engine::SimRng;
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
    pub eviction: CacheEviction,
}

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
        [Self::Ttl, Self::Oracle]
            .into_iter()
            .find(|e| e.name() == name)
    }
}

impl TieredCache {
    /// How long the local and regional tiers keep the WASM once filled.
    pub fn lifetimes(&self) -> (Nanos, Nanos) {
        match self.eviction {
            CacheEviction::Ttl => (self.local_ttl, self.regional_ttl),
            CacheEviction::Oracle => (Nanos::MAX, Nanos::MAX),
        }
    }
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

/// The tiered-caching policy: each host's local cache and each region's
/// cache, by when they hold the WASM.
#[derive(Debug, Clone)]
pub struct TieredCachePolicy {
    local: Vec<Held>,
    regional: Vec<Held>,
    config: TieredCache,
    r2_fetch: Dist,
}

impl Hooks for TieredCachePolicy {
    fn enable(setup: &Setup) -> Option<Self> {
        if !setup.params.enabled.has(Policy::TieredCache) {
            return None;
        }
        let tc = setup.params.tiered_cache.clone();
        Some(TieredCachePolicy {
            local: vec![Held::default(); tc.hosts.min(u64::from(u32::MAX)) as usize],
            regional: vec![Held::default(); tc.regions.min(u64::from(u32::MAX)) as usize],
            config: tc,
            r2_fetch: setup.phases.r2_fetch.clone(),
        })
    }

    #[inline]
    fn fetch_wasm(&mut self, tenant: u32, at: Nanos, rng: &mut SimRng) -> Option<Fetch> {
        Some(self.fetch(tenant, at, rng))
    }
}

impl TieredCachePolicy {
    /// Fetches the WASM for `tenant`'s DO, starting at `at`.
    pub fn fetch(&mut self, tenant: u32, at: Nanos, rng: &mut SimRng) -> Fetch {
        let TieredCachePolicy {
            local,
            regional,
            config: tc,
            r2_fetch,
        } = self;
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
        let (local_ttl, regional_ttl) = tc.lifetimes();
        if regional.get(region).is_some_and(|h| h.holds(at)) {
            let end = at + regional_time;
            if let Some(h) = local.get_mut(host) {
                h.put(end, local_ttl);
            }
            return Fetch {
                lookup: regional_time,
                total: regional_time,
                source: FetchSource::RegionalCache,
            };
        }
        let total = regional_time + r2_fetch.sample(rng);
        let end = at + total;
        if let Some(h) = local.get_mut(host) {
            h.put(end, local_ttl);
        }
        if let Some(h) = regional.get_mut(region) {
            h.put(end, regional_ttl);
        }
        Fetch {
            lookup: regional_time,
            total,
            source: FetchSource::R2,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::stream;
    use crate::experiment::config::{default_layers, load, set_layer};
    use crate::simulation::Config;

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
        let mut caches =
            TieredCachePolicy::enable(&crate::simulation::setup_of(&c, c.architectures[0], 1))
                .unwrap();
        let mut rng = stream(1, &[]);
        let ms = 1_000_000;
        // Tenant 0 on host 0: everything cold, R2; the tiers fill at 111 ms.
        assert_eq!(
            caches.fetch(0, 0, &mut rng),
            Fetch {
                lookup: 11 * ms,
                total: 111 * ms,
                source: FetchSource::R2
            }
        );
        // Before the fill lands, still R2.
        assert_eq!(caches.fetch(2, 50 * ms, &mut rng).source, FetchSource::R2);
        // Host 0 after the fill: local. Host 1: regional, then local.
        assert_eq!(
            caches.fetch(0, 200 * ms, &mut rng).source,
            FetchSource::LocalCache
        );
        assert_eq!(
            caches.fetch(1, 200 * ms, &mut rng).source,
            FetchSource::RegionalCache
        );
        assert_eq!(
            caches.fetch(1, 300 * ms, &mut rng).source,
            FetchSource::LocalCache
        );
        // Local entries expire after 1 s; the regional one lasts 10 s.
        assert_eq!(
            caches.fetch(0, 1_500 * ms, &mut rng).source,
            FetchSource::RegionalCache
        );
        assert_eq!(
            caches.fetch(0, 20_000 * ms, &mut rng).source,
            FetchSource::R2
        );
    }

    #[test]
    fn belady_never_drops_the_wasm_so_each_tier_misses_once() {
        let c = config(&[
            "policies=[\"tiered_cache\"]",
            "tiered_cache.eviction=\"oracle\"",
            "tiered_cache.hosts=4",
            "tiered_cache.regions=2",
            "tiered_cache.local_ttl=\"1s\"",
            "tiered_cache.regional_ttl=\"1s\"",
        ]);
        let mut caches =
            TieredCachePolicy::enable(&crate::simulation::setup_of(&c, c.architectures[0], 1))
                .unwrap();
        let mut rng = stream(2, &[]);
        let s = 1_000_000_000;
        // One load per host, far apart: R2 for the first host of each
        // region, regional for the second; then local for ever, TTLs or not.
        let first: Vec<_> = (0..4u32)
            .map(|t| caches.fetch(t, u64::from(t) * 10 * s, &mut rng).source)
            .collect();
        assert_eq!(
            first,
            [
                FetchSource::R2,
                FetchSource::R2,
                FetchSource::RegionalCache,
                FetchSource::RegionalCache
            ]
        );
        for t in 0..40u32 {
            let at = (100 + u64::from(t) * 1_000) * s;
            assert_eq!(
                caches.fetch(t % 4, at, &mut rng).source,
                FetchSource::LocalCache
            );
        }
    }
}
