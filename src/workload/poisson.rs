//! Poisson arrivals over Zipf tenants.

use rand::RngExt;

use super::{Arrival, ArrivalProcess, TenantPicker};
use crate::dist::round_ns;
use crate::engine::SimRng;
use crate::time::{Nanos, SECOND};

/// A Poisson process of total rate `rate_rps`, each request to a Zipf tenant.
#[derive(Debug, Clone)]
pub struct PoissonZipf {
    mean_gap_ns: f64,
    picker: TenantPicker,
}

impl PoissonZipf {
    /// `rate_rps` > 0 requests per second over `tenants` tenants, exponent `s`.
    pub fn new(rate_rps: f64, tenants: u32, s: f64) -> Self {
        Self {
            mean_gap_ns: SECOND as f64 / rate_rps,
            picker: TenantPicker::new(tenants, s),
        }
    }
}

impl PoissonZipf {
    /// The number of tenants.
    pub fn tenants(&self) -> u32 {
        self.picker.tenants()
    }
}

impl ArrivalProcess for PoissonZipf {
    #[inline]
    fn next(&mut self, now: Nanos, rng: &mut SimRng) -> Option<Arrival> {
        let u: f64 = rng.random();
        // Exponential gap by inversion; rounding to the nearest nanosecond is
        // unbiased to well under 1 ns per gap, so the rate is kept.
        let gap = round_ns(-(self.mean_gap_ns) * (1.0 - u).ln());
        let tenant = self.picker.pick(rng);
        Some(Arrival {
            time: now.saturating_add(gap),
            tenant,
        })
    }
}
