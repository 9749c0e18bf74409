//! Workload: which tenant each request goes to, and when.
//!
//! Tenants are ranked 1..=N by popularity; tenant index `k - 1` has rank `k`
//! and receives `lambda_k = rate * k^-s / H(N, s)` requests per second.
//! A Poisson process of the total rate whose requests pick their tenant
//! independently from the Zipf law is exactly a set of independent Poisson
//! processes of rates `lambda_k` (Poisson splitting), so no per-tenant
//! arrival timer is needed.

mod poisson;
mod zipf;

pub use poisson::PoissonZipf;
pub use zipf::{generalized_harmonic, TenantPicker};

use crate::config::{Arrivals, Workload};
use crate::engine::SimRng;
use crate::time::Nanos;

/// One request: when it reaches its DO, and which tenant it is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Arrival {
    pub time: Nanos,
    pub tenant: u32,
}

/// A source of requests in non-decreasing time order.
pub trait ArrivalProcess {
    /// The next request after `now`, or `None` when the source is exhausted.
    fn next(&mut self, now: Nanos, rng: &mut SimRng) -> Option<Arrival>;
}

/// The arrival process a configuration asks for. An enum rather than a
/// trait object: the call in the simulator's hot loop is a direct,
/// inlinable match.
#[derive(Debug, Clone)]
pub enum ArrivalSource {
    /// Poisson arrivals over Zipf tenants.
    Poisson(PoissonZipf),
}

impl ArrivalSource {
    /// Builds the arrival process of `workload`.
    pub fn from_config(workload: &Workload) -> ArrivalSource {
        let tenants = u32::try_from(workload.tenants).unwrap_or(u32::MAX);
        match workload.arrivals {
            Arrivals::Poisson => ArrivalSource::Poisson(PoissonZipf::new(
                workload.rate_rps,
                tenants,
                workload.zipf_s,
            )),
        }
    }

    /// Why the source stopped early, if it did (a trace that could not be
    /// read to its end). `None` for generated arrivals.
    pub fn error(&self) -> Option<String> {
        match self {
            ArrivalSource::Poisson(_) => None,
        }
    }

    /// How many tenants (DOs) requests can go to: tenant ids are below it.
    pub fn tenants(&self) -> u32 {
        match self {
            ArrivalSource::Poisson(p) => p.tenants(),
        }
    }
}

impl ArrivalProcess for ArrivalSource {
    #[inline]
    fn next(&mut self, now: Nanos, rng: &mut SimRng) -> Option<Arrival> {
        match self {
            ArrivalSource::Poisson(p) => p.next(now, rng),
        }
    }
}
