//! Prewarming: predictors of which tenants will be hit soon.
//!
//! - [`TopK`]: the tenants with the most requests in the last interval; the
//!   simulator starts those not resident at every tick.
//! - [`IdleHistograms`]: the hybrid histogram policy of "Serverless in the
//!   Wild" (Shahrad et al., USENIX ATC 2020): per tenant, a histogram of idle
//!   times (time from a DO going quiet to its next request) in fixed bins.
//!   When it is representative, the DO is released when it goes quiet,
//!   prewarmed at the 5th percentile x 0.9 and kept until the 99th
//!   percentile x 1.1 (keep-alive only if the 5th percentile is in the first
//!   bin); when it is not (too few samples, bin-count CV below the threshold,
//!   too many idle times beyond the last bin), a fixed keep-alive.
//!
//! Both are deterministic: counts live in maps with a fixed hasher and ties
//! are broken by tenant id.

use std::collections::hash_map::DefaultHasher;
use std::collections::HashMap;
use std::hash::BuildHasherDefault;

use crate::time::Nanos;

/// How prewarming predicts the tenants to start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Predictor {
    /// Every `interval`, the `top_k` tenants with the most requests in the
    /// last interval.
    TopK,
    /// Per tenant, a histogram of idle times (Shahrad et al., ATC 2020).
    Histogram,
}

/// `[prewarm]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Prewarm {
    pub predictor: Predictor,
    pub interval: Nanos,
    pub top_k: u64,
    /// Time constant of the exponentially decayed request counts top-K ranks.
    pub window: Nanos,
    pub histogram_bin: Nanos,
    pub histogram_bins: u64,
    pub min_idle_samples: u64,
    pub cv_threshold: f64,
    pub out_of_range_max: f64,
    pub fallback_keep_alive: Nanos,
}

type Map<V> = HashMap<u32, V, BuildHasherDefault<DefaultHasher>>;

/// Recent request counts per tenant: every tick multiplies them by
/// `e^(-interval / window)`, an exponentially decayed count whose time
/// constant is the window.
#[derive(Debug)]
pub struct TopK {
    counts: Map<f64>,
    decay: f64,
}

impl TopK {
    /// Counts decayed by `e^(-interval/window)` at every tick.
    pub fn new(interval: Nanos, window: Nanos) -> Self {
        Self {
            counts: Map::default(),
            decay: (-(interval as f64) / window.max(1) as f64).exp(),
        }
    }

    /// Counts a request.
    #[inline]
    pub fn record(&mut self, tenant: u32) {
        *self.counts.entry(tenant).or_insert(0.0) += 1.0;
    }

    /// The `k` tenants with the highest recent counts (ties to the lower
    /// id), highest first; then decays every count.
    pub fn take_top(&mut self, k: usize) -> Vec<u32> {
        let mut all: Vec<(f64, u32)> = self.counts.iter().map(|(&t, &c)| (c, t)).collect();
        let order = |a: &(f64, u32), b: &(f64, u32)| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1));
        if k < all.len() {
            all.select_nth_unstable_by(k, order);
            all.truncate(k);
        }
        all.sort_unstable_by(order);
        let decay = self.decay;
        // Counts below a hundredth of a request no longer rank: drop them.
        self.counts.retain(|_, c| {
            *c *= decay;
            *c >= 0.01
        });
        all.into_iter().map(|(_, t)| t).collect()
    }
}

/// What the histogram policy does when a tenant's DO goes quiet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Not enough history: the platform's idle timeout.
    PlatformTimeout,
    /// Keep the DO resident this long after it goes quiet.
    KeepAlive(Nanos),
    /// Release it now; start it again `prewarm` after it went quiet and keep
    /// it until `until` after it went quiet.
    Prewarm { prewarm: Nanos, until: Nanos },
}

#[derive(Debug, Clone)]
struct Histogram {
    bins: Vec<u32>,
    out_of_range: u32,
    decision: Decision,
}

/// Per-tenant idle-time histograms and the decisions they give.
#[derive(Debug)]
pub struct IdleHistograms {
    config: Prewarm,
    tenants: Map<Histogram>,
}

impl IdleHistograms {
    /// Empty histograms with the policy's parameters.
    pub fn new(config: Prewarm) -> Self {
        Self {
            config,
            tenants: Map::default(),
        }
    }

    /// Records an idle time of `tenant` and updates its decision.
    pub fn record(&mut self, tenant: u32, idle: Nanos) {
        let bins = self.config.histogram_bins as usize;
        let h = self.tenants.entry(tenant).or_insert_with(|| Histogram {
            bins: vec![0; bins],
            out_of_range: 0,
            decision: Decision::PlatformTimeout,
        });
        let bin = (idle / self.config.histogram_bin.max(1)) as usize;
        match h.bins.get_mut(bin) {
            Some(c) => *c += 1,
            None => h.out_of_range += 1,
        }
        h.decision = decide(&self.config, &h.bins, h.out_of_range);
    }

    /// What to do when `tenant`'s DO goes quiet.
    #[inline]
    pub fn decision(&self, tenant: u32) -> Decision {
        self.tenants
            .get(&tenant)
            .map_or(Decision::PlatformTimeout, |h| h.decision)
    }
}

/// The hybrid histogram rule.
fn decide(config: &Prewarm, bins: &[u32], out_of_range: u32) -> Decision {
    let in_range: u64 = bins.iter().map(|&c| u64::from(c)).sum();
    let total = in_range + u64::from(out_of_range);
    if total < config.min_idle_samples {
        return Decision::PlatformTimeout;
    }
    let n = bins.len() as f64;
    let mean = in_range as f64 / n;
    let var = bins
        .iter()
        .map(|&c| (f64::from(c) - mean).powi(2))
        .sum::<f64>()
        / n;
    let cv = if mean > 0.0 { var.sqrt() / mean } else { 0.0 };
    if cv < config.cv_threshold || out_of_range as f64 > config.out_of_range_max * total as f64 {
        return Decision::KeepAlive(config.fallback_keep_alive);
    }
    // Percentiles over the in-range idle times, as bin edges: the head at
    // the lower edge of its bin, the tail at the upper edge of its bin.
    let bin = config.histogram_bin;
    let percentile_bin = |q: f64| {
        let target = (q * in_range as f64).ceil().max(1.0) as u64;
        let mut seen = 0u64;
        bins.iter()
            .position(|&c| {
                seen += u64::from(c);
                seen >= target
            })
            .unwrap_or(bins.len() - 1) as u64
    };
    let head = percentile_bin(0.05) * bin;
    let tail = (percentile_bin(0.99) + 1) * bin;
    let until = (tail as f64 * 1.1).round() as Nanos;
    let prewarm = (head as f64 * 0.9).round() as Nanos;
    if prewarm == 0 {
        Decision::KeepAlive(until)
    } else {
        Decision::Prewarm { prewarm, until }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::experiment::config::load_default;
    use crate::time::SECOND;

    fn prewarm() -> Prewarm {
        load_default().unwrap().policies.prewarm
    }

    #[test]
    fn top_k_takes_the_most_requested_with_ties_to_the_lower_id() {
        let mut t = TopK::new(SECOND, SECOND);
        for tenant in [5, 5, 5, 2, 2, 9, 9, 1] {
            t.record(tenant);
        }
        assert_eq!(t.take_top(2), vec![5, 2]);
        // Counts decay by e^-1 per tick: 3 old requests (1.10) still
        // outweigh 1 new one.
        t.record(3);
        assert_eq!(t.take_top(2), vec![5, 3]);
        for _ in 0..10 {
            t.take_top(1);
        }
        assert!(t.take_top(10).is_empty(), "old counts fade out");
    }

    #[test]
    fn a_regular_tenant_is_prewarmed_just_before_it_is_due() {
        let mut h = IdleHistograms::new(prewarm());
        // Every idle time ~30 minutes: head and tail in the 30-minute bin.
        for i in 0..20 {
            h.record(7, 30 * 60 * SECOND + i * SECOND);
        }
        let Decision::Prewarm { prewarm, until } = h.decision(7) else {
            panic!("{:?}", h.decision(7))
        };
        assert_eq!(prewarm, (30.0 * 60.0 * 0.9) as u64 * SECOND);
        assert_eq!(until, (31.0 * 60.0 * 1.1) as u64 * SECOND);
        assert_eq!(h.decision(8), Decision::PlatformTimeout);
    }

    #[test]
    fn a_spread_out_or_out_of_range_history_falls_back_to_a_fixed_keep_alive() {
        let config = prewarm();
        let mut flat = IdleHistograms::new(config.clone());
        for bin in 0..240 {
            flat.record(1, bin * 60 * SECOND);
        }
        assert_eq!(
            flat.decision(1),
            Decision::KeepAlive(config.fallback_keep_alive)
        );
        let mut far = IdleHistograms::new(config.clone());
        for _ in 0..10 {
            far.record(1, 10 * 3600 * SECOND);
        }
        assert_eq!(
            far.decision(1),
            Decision::KeepAlive(config.fallback_keep_alive)
        );
    }

    #[test]
    fn short_idle_times_keep_the_do_alive_instead_of_prewarming() {
        let mut h = IdleHistograms::new(prewarm());
        for i in 0..20 {
            h.record(3, i * SECOND);
        }
        assert_eq!(
            h.decision(3),
            Decision::KeepAlive((60.0 * 1.1) as u64 * SECOND)
        );
    }
}
