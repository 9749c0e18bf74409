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
