//! The validated, typed configuration of one simulation (one sweep point):
//! the aggregate of every model folder's parameters.
//!
//! Produced only by the loader (`experiment::config::load`), which checks
//! every value, so the simulator can trust it: durations are non-negative
//! nanoseconds, distributions are well formed, counts are in range.

use crate::architectures::{ArchitectureVariant, Lazy, Memory, Phases, WasmCompile};
use crate::dist::Dist;
use crate::fleet::{Compute, DurableObject, Hosts, Network};
use crate::metrics::Pricing;
use crate::policies::Policies;
use crate::time::Nanos;
use crate::workload::Workload;

/// A complete, validated configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// The experiment seed.
    pub seed: u64,
    /// Independent runs per (point, architecture).
    pub replications: u32,
    /// Simulated horizon: requests arrive in `[0, duration)`.
    pub duration: Nanos,
    /// Requests arriving before this are excluded from statistics.
    pub warmup: Nanos,
    /// The architectures to run, in order.
    pub architectures: Vec<ArchitectureVariant>,
    pub workload: Workload,
    pub durable_object: DurableObject,
    /// Local execution of one query on a ready DO (holds the execution slot).
    pub query_exec: Dist,
    pub network: Network,
    pub phases: Phases,
    pub platform_runtime_wasm_compile: WasmCompile,
    pub lazy: Lazy,
    pub compute: Compute,
    pub memory: Memory,
    pub hosts: Hosts,
    pub pricing: Pricing,
    pub policies: Policies,
    /// Isolates: which work holds a DO's thread, and how DOs share one.
    pub isolate: crate::fleet::IsolateParams,
}
