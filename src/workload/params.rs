//! The workload's parameters (`[workload]`): the arrival process, its
//! diurnal and MMPP settings, and trace replay.

use std::path::PathBuf;
use std::sync::Arc;

use super::TraceIndex;
use crate::time::Nanos;

/// How requests arrive (`workload.arrivals`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Arrivals {
    /// A Poisson process at `rate_rps`, each request to a Zipf-chosen tenant.
    Poisson,
    /// A Poisson process whose rate follows `[workload.diurnal]` (mean
    /// `rate_rps`), Zipf tenants.
    Diurnal,
    /// A Markov-modulated Poisson process (`[workload.mmpp]`), Zipf tenants.
    Mmpp,
    /// The requests of the trace file `workload.trace`, replayed.
    Trace,
}

impl Arrivals {
    /// All values, in schema order.
    pub const ALL: [Arrivals; 4] = [
        Arrivals::Poisson,
        Arrivals::Diurnal,
        Arrivals::Mmpp,
        Arrivals::Trace,
    ];

    /// The config name.
    pub fn name(self) -> &'static str {
        match self {
            Arrivals::Poisson => "poisson",
            Arrivals::Diurnal => "diurnal",
            Arrivals::Mmpp => "mmpp",
            Arrivals::Trace => "trace",
        }
    }

    /// Parses a config name.
    pub fn from_name(name: &str) -> Option<Arrivals> {
        Arrivals::ALL.into_iter().find(|a| a.name() == name)
    }
}

/// `[workload.diurnal]`: the rate over a cycle, as a multiple of `rate_rps`
/// (its mean over the cycle is 1).
#[derive(Debug, Clone, PartialEq)]
pub struct Diurnal {
    /// Sinusoid: `rate(t) = rate_rps * (1 + amplitude * cos(2 pi (t - peak) / period))`,
    /// amplitude in `0..=1`.
    pub amplitude: f64,
    /// The cycle's length (> 0).
    pub period: Nanos,
    /// When the sinusoid peaks, from time 0 (modulo `period`).
    pub peak: Nanos,
    /// When not empty, replaces the sinusoid: `profile.len()` equal steps
    /// over `period`, step `i` at `rate_rps * profile[i] / mean(profile)`
    /// (24 values with the default 24 h period: an hourly profile).
    pub profile: Vec<f64>,
}

/// One state of a Markov-modulated Poisson process.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MmppState {
    /// Requests per second while in the state (>= 0).
    pub rate_rps: f64,
    /// Mean time in the state (> 0); sojourns are exponential.
    pub mean_sojourn: Nanos,
}

/// `[workload.mmpp]`: on leaving a state the process moves to one of the
/// others, chosen uniformly, so state `i` holds a fraction
/// `mean_sojourn_i / sum_j mean_sojourn_j` of the time.
#[derive(Debug, Clone, PartialEq)]
pub struct Mmpp {
    /// At least one, one with a rate > 0.
    pub states: Vec<MmppState>,
}

/// What a tenant is in an Azure Functions trace (`workload.trace_tenant`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TraceTenant {
    /// Each function (owner, app, function) is a tenant.
    Function,
    /// Each application (owner, app) is a tenant: its functions share a DO.
    App,
}

impl TraceTenant {
    /// The config name.
    pub fn name(self) -> &'static str {
        match self {
            TraceTenant::Function => "function",
            TraceTenant::App => "app",
        }
    }
}

/// How an Azure Functions trace's per-minute counts are spread within each
/// minute (`workload.trace_spread`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TraceSpread {
    /// Exactly the recorded count, at independent uniform times in the
    /// minute (a Poisson process conditioned on its count).
    Uniform,
    /// A Poisson process at the minute's recorded rate: the count varies
    /// (Poisson) around the record.
    Poisson,
}

impl TraceSpread {
    /// The config name.
    pub fn name(self) -> &'static str {
        match self {
            TraceSpread::Uniform => "uniform",
            TraceSpread::Poisson => "poisson",
        }
    }
}

/// The trace keys of `[workload]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Trace {
    /// The trace file, absolute; empty: none.
    pub path: PathBuf,
    /// Azure layout: what a tenant is.
    pub tenant: TraceTenant,
    /// Azure layout: how counts are spread within a minute.
    pub spread: TraceSpread,
    /// The trace's tenants and extent, read (and the whole file checked)
    /// when the configuration was loaded with `arrivals = "trace"`; shared
    /// by every run. `None` otherwise.
    pub index: Option<Arc<TraceIndex>>,
}

/// `[workload]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Workload {
    /// Number of tenants, each with its own DO (1 to 10^8). A trace brings
    /// its own tenants.
    pub tenants: u64,
    /// Zipf exponent over tenant ranks (0 = uniform).
    pub zipf_s: f64,
    /// Total request rate, requests per second (> 0): the mean rate of
    /// Poisson and diurnal arrivals (MMPP states and traces set their own).
    pub rate_rps: f64,
    /// The arrival process.
    pub arrivals: Arrivals,
    /// Trace replay settings (used when `arrivals` is `Trace`).
    pub trace: Trace,
    /// Diurnal rate settings (used when `arrivals` is `Diurnal`).
    pub diurnal: Diurnal,
    /// MMPP settings (used when `arrivals` is `Mmpp`).
    pub mmpp: Mmpp,
}
