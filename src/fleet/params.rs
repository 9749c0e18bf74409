//! The fleet's parameters: the DO lifecycle (`[do]`), the client network,
//! the compute worker (`[compute]`) and hosts (`[hosts]`).

use crate::dist::Dist;
use crate::time::Nanos;

/// `[do]`: Durable Object lifecycle.
#[derive(Debug, Clone, PartialEq)]
pub struct DurableObject {
    /// Idle time after which a resident DO is evicted, drawn once per idle
    /// period.
    pub idle_timeout: Dist,
    /// Whether a WASM load in progress keeps the DO from being evicted.
    pub load_keeps_alive: bool,
}

/// `[network]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Network {
    /// Client to DO and back, paid by every request; does not hold the DO's
    /// execution slot.
    pub client_rtt: Dist,
}

/// `[compute]`: the compute worker that delegated requests go to.
#[derive(Debug, Clone, PartialEq)]
pub struct Compute {
    /// DO to compute worker and back (a service binding).
    pub rtt: Dist,
    /// Extra time of a request that starts a new instance.
    pub cold_start: Dist,
    /// Execution of one delegated request at a warm instance (wall time).
    pub exec: Dist,
    /// The CPU time of that execution, billed as Workers CPU time: drawn
    /// from its own random stream and clamped to the request's drawn
    /// `exec`, so it never moves a latency.
    pub cpu_time: Dist,
    /// An idle instance expires after this long.
    pub idle_timeout: Nanos,
    /// Requests one instance serves at once.
    pub concurrency: u32,
    /// The most instances at once (0: no limit); past it requests queue.
    pub max_instances: u64,
}

/// `[hosts]`: where DOs live, for capacity planning (MODEL.md section 4).
#[derive(Debug, Clone, PartialEq)]
pub struct Hosts {
    /// Hosts (isolates) sharing the fleet; 0: no host model (memory is
    /// unlimited and only idle timeouts evict).
    pub count: u64,
    /// Memory of one host, MB, shared by the DOs placed there.
    pub memory_mb: f64,
    /// What a start does when its host is full of busy DOs.
    pub when_full: WhenFull,
}

/// The rule for a start that would exceed its host's memory when no idle DO
/// is left there to evict.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WhenFull {
    /// The request waits until memory frees (a DO there goes idle and is
    /// evicted, or is evicted by its timeout).
    Wait,
    /// The request fails at once with an error (counted, no latency).
    Fail,
    /// The DO starts anyway; the host runs over its memory (counted).
    Overcommit,
}

impl WhenFull {
    /// All rules, in config order.
    pub const ALL: [WhenFull; 3] = [WhenFull::Wait, WhenFull::Fail, WhenFull::Overcommit];

    /// The config name.
    pub fn name(self) -> &'static str {
        match self {
            WhenFull::Wait => "wait",
            WhenFull::Fail => "fail",
            WhenFull::Overcommit => "overcommit",
        }
    }
}
