//! Workload: which tenant each request goes to, and when.
//!
//! Tenants are ranked 1..=N by popularity; tenant index `k - 1` has rank `k`
//! and receives `lambda_k = rate * k^-s / H(N, s)` requests per second.
//! A Poisson process of the total rate whose requests pick their tenant
//! independently from the Zipf law is exactly a set of independent Poisson
//! processes of rates `lambda_k` (Poisson splitting), so no per-tenant
//! arrival timer is needed. The same holds for a time-varying total rate
//! (diurnal, MMPP; [`thinning`]): tenant `k` then sees a share
//! `k^-s / H(N, s)` of it. A trace ([`trace`]) brings its own tenants.
//!
//! [`fit`] goes the other way: from a trace, the Zipf exponent, rate,
//! hourly profile and idle times that describe it.

pub mod fit;
mod params;
mod poisson;
pub mod thinning;
pub mod trace;
mod zipf;

pub use params::{Arrivals, Diurnal, Mmpp, MmppState, Trace, TraceSpread, TraceTenant, Workload};
pub use poisson::PoissonZipf;
pub use thinning::{DiurnalRate, DiurnalZipf, MmppRate, MmppZipf};
pub use trace::{trace_index, TraceError, TraceIndex, TraceReplay};
pub use zipf::{generalized_harmonic, TenantPicker};

use crate::engine::SimRng;
use crate::time::Nanos;

/// One request: when it reaches its DO, and which tenant it is for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
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
#[derive(Debug)]
pub enum ArrivalSource {
    /// Poisson arrivals over Zipf tenants.
    Poisson(PoissonZipf),
    /// Diurnal (time-varying) Poisson arrivals over Zipf tenants.
    Diurnal(DiurnalZipf),
    /// Markov-modulated Poisson arrivals over Zipf tenants.
    Mmpp(MmppZipf),
    /// A trace file, replayed.
    Trace(Box<TraceReplay>),
}

impl ArrivalSource {
    /// Builds the arrival process of `workload`.
    pub fn from_config(workload: &Workload) -> ArrivalSource {
        let tenants = u32::try_from(workload.tenants).unwrap_or(u32::MAX);
        let s = workload.zipf_s;
        match workload.arrivals {
            Arrivals::Poisson => {
                ArrivalSource::Poisson(PoissonZipf::new(workload.rate_rps, tenants, s))
            }
            Arrivals::Diurnal => ArrivalSource::Diurnal(DiurnalZipf::new(
                DiurnalRate::new(workload.rate_rps, &workload.diurnal),
                tenants,
                s,
            )),
            Arrivals::Mmpp => {
                ArrivalSource::Mmpp(MmppZipf::new(MmppRate::new(&workload.mmpp), tenants, s))
            }
            Arrivals::Trace => {
                let t = &workload.trace;
                let replay = match &t.index {
                    Some(index) => TraceReplay::new(index.clone(), t.spread),
                    None => TraceReplay::open(&t.path, t.tenant, t.spread),
                };
                ArrivalSource::Trace(Box::new(replay))
            }
        }
    }

    /// Why the source stopped early, if it did (a trace that could not be
    /// read to its end). `None` for generated arrivals.
    pub fn error(&self) -> Option<String> {
        match self {
            ArrivalSource::Trace(t) => t.error().map(ToString::to_string),
            _ => None,
        }
    }

    /// How many tenants (DOs) requests can go to: tenant ids are below it.
    pub fn tenants(&self) -> u32 {
        match self {
            ArrivalSource::Poisson(p) => p.tenants(),
            ArrivalSource::Diurnal(d) => d.tenants(),
            ArrivalSource::Mmpp(m) => m.tenants(),
            ArrivalSource::Trace(t) => t.tenants(),
        }
    }
}

impl ArrivalProcess for ArrivalSource {
    #[inline]
    fn next(&mut self, now: Nanos, rng: &mut SimRng) -> Option<Arrival> {
        match self {
            ArrivalSource::Poisson(p) => p.next(now, rng),
            ArrivalSource::Diurnal(d) => d.next(now, rng),
            ArrivalSource::Mmpp(m) => m.next(now, rng),
            ArrivalSource::Trace(t) => t.next(now, rng),
        }
    }
}

/// The workload in a few words, for report headers: tenants, popularity
/// and rate for generated arrivals; the file and its extent for a trace.
pub fn describe(workload: &Workload) -> String {
    let zipf = format!("{} tenants, Zipf s = {}", workload.tenants, workload.zipf_s);
    match workload.arrivals {
        Arrivals::Poisson => format!("{zipf}, {} requests/s", workload.rate_rps),
        Arrivals::Diurnal => {
            let d = &workload.diurnal;
            let shape = if d.profile.is_empty() {
                format!(
                    "amplitude {}, peak at {}",
                    d.amplitude,
                    crate::time::format_duration(d.peak)
                )
            } else {
                format!("a {}-step profile", d.profile.len())
            };
            format!(
                "{zipf}, {} requests/s mean, diurnal ({shape}, period {})",
                workload.rate_rps,
                crate::time::format_duration(d.period)
            )
        }
        Arrivals::Mmpp => {
            let rate = MmppRate::new(&workload.mmpp);
            format!(
                "{zipf}, MMPP of {} states ({} requests/s mean, {} at peak)",
                workload.mmpp.states.len(),
                (rate.mean_rate() * 1e4).round() / 1e4,
                thinning::Rate::peak(&rate)
            )
        }
        Arrivals::Trace => {
            let name = workload
                .trace
                .path
                .file_name()
                .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
            match &workload.trace.index {
                Some(i) => format!(
                    "trace {name} ({} layout): {} tenants, {} requests over {}",
                    i.layout_name(),
                    i.tenants(),
                    i.requests(),
                    crate::time::format_duration(i.span())
                ),
                None => format!("trace {name}"),
            }
        }
    }
}
