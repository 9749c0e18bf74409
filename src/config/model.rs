//! The validated, typed configuration of one simulation (one sweep point).
//!
//! Produced only by the loader ([`super::load`]), which checks every value,
//! so the simulator can trust it: durations are non-negative nanoseconds,
//! distributions are well formed, counts are in range.

use std::path::PathBuf;
use std::sync::Arc;

use crate::dist::Dist;
use crate::time::Nanos;
use crate::workload::TraceIndex;

/// The four ways of running PGLite in a Durable Object (MODEL.md section 5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Architecture {
    /// WASM bundled, loaded in the constructor; requests queue behind it.
    Traditional,
    /// WASM bundled, loaded in the background; early requests delegated.
    Hybrid,
    /// No WASM in the DO: every query delegated.
    Thin,
    /// WASM fetched from cache/R2 at runtime, loaded in the background.
    Lazy,
}

impl Architecture {
    /// All architectures, in the seed's table order.
    pub const ALL: [Architecture; 4] = [
        Architecture::Traditional,
        Architecture::Hybrid,
        Architecture::Thin,
        Architecture::Lazy,
    ];

    /// The config and CSV name.
    pub fn name(self) -> &'static str {
        match self {
            Architecture::Traditional => "traditional",
            Architecture::Hybrid => "hybrid",
            Architecture::Thin => "thin",
            Architecture::Lazy => "lazy",
        }
    }

    /// The seed's display name.
    pub fn title(self) -> &'static str {
        match self {
            Architecture::Traditional => "Traditional",
            Architecture::Hybrid => "Hybrid",
            Architecture::Thin => "Thin State",
            Architecture::Lazy => "Lazy WASM",
        }
    }

    /// Whether the worker bundle carries the WASM (large bundle, slower
    /// isolate start, bundle memory).
    pub fn bundles_wasm(self) -> bool {
        matches!(self, Architecture::Traditional | Architecture::Hybrid)
    }

    /// Parses a config name.
    pub fn from_name(name: &str) -> Option<Architecture> {
        Architecture::ALL.into_iter().find(|a| a.name() == name)
    }
}

/// What the platform does with runtime WASM compilation (MODEL.md section 5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum WasmCompile {
    /// Cloudflare Workers today: `WebAssembly.compile()` is disallowed by the
    /// embedder; a lazy load fails at its compile phase.
    Blocked,
    /// Hypothetical: runtime compilation works.
    Allowed,
    /// The fetched bytes go to the Dynamic Worker Loader, which compiles them
    /// at load time (a loader isolate start plus the platform's compile).
    Loader,
}

impl WasmCompile {
    /// All values.
    pub const ALL: [WasmCompile; 3] = [
        WasmCompile::Blocked,
        WasmCompile::Allowed,
        WasmCompile::Loader,
    ];

    /// The config and CSV name.
    pub fn name(self) -> &'static str {
        match self {
            WasmCompile::Blocked => "blocked",
            WasmCompile::Allowed => "allowed",
            WasmCompile::Loader => "loader",
        }
    }

    /// Parses a config name.
    pub fn from_name(name: &str) -> Option<WasmCompile> {
        WasmCompile::ALL.into_iter().find(|a| a.name() == name)
    }
}

/// One entry of `architectures`: an architecture and the platform setting it
/// runs under (only `lazy` is affected by `runtime_wasm_compile`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ArchitectureVariant {
    pub architecture: Architecture,
    pub runtime_wasm_compile: WasmCompile,
}

impl ArchitectureVariant {
    /// A label unique within an experiment: `lazy` under the default platform
    /// setting, `lazy (allowed)` otherwise.
    pub fn label(&self, default_compile: WasmCompile) -> String {
        if self.architecture == Architecture::Lazy && self.runtime_wasm_compile != default_compile {
            format!(
                "{} ({})",
                self.architecture.name(),
                self.runtime_wasm_compile.name()
            )
        } else {
            self.architecture.name().to_string()
        }
    }
}

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

/// `[phases]`: the durations of each start-up and load phase.
#[derive(Debug, Clone, PartialEq)]
pub struct Phases {
    /// Isolate start and constructor of a small (no-WASM) bundle.
    pub isolate_start: Dist,
    /// Isolate start of a bundle that carries the WASM (traditional, hybrid).
    pub isolate_start_bundled: Dist,
    /// Lazy: checking the Cache API for the WASM.
    pub cache_check: Dist,
    /// Lazy: fetching the WASM from R2 on a cache miss.
    pub r2_fetch: Dist,
    /// Reading the PGLite data buffer.
    pub data_read: Dist,
    /// Compiling the WASM module.
    pub wasm_compile: Dist,
    /// Initialising PGLite.
    pub pglite_init: Dist,
    /// Lazy with `runtime_wasm_compile = "loader"`: starting the loader isolate.
    pub loader_isolate_start: Dist,
    /// Lazy with `runtime_wasm_compile = "loader"`: the platform's compile.
    pub loader_compile: Dist,
}

/// `[lazy]`: the lazy architecture's loading strategy (the seed's).
#[derive(Debug, Clone, PartialEq)]
pub struct Lazy {
    /// Probability that the cache check finds the WASM.
    pub cache_hit_ratio: f64,
    /// Whether the WASM and the data bundle are fetched in parallel.
    pub parallel_fetch: bool,
}

/// `[compute]`: the compute worker that delegated requests go to.
#[derive(Debug, Clone, PartialEq)]
pub struct Compute {
    /// DO to compute worker and back (a service binding).
    pub rtt: Dist,
    /// Extra time of a request that starts a new instance.
    pub cold_start: Dist,
    /// Execution of one delegated request at a warm instance.
    pub exec: Dist,
    /// An idle instance expires after this long.
    pub idle_timeout: Nanos,
    /// Requests one instance serves at once.
    pub concurrency: u32,
    /// The most instances at once (0: no limit); past it requests queue.
    pub max_instances: u64,
}

/// `[memory]`, in megabytes.
#[derive(Debug, Clone, PartialEq)]
pub struct Memory {
    /// Every resident DO.
    pub do_base_mb: f64,
    /// A resident DO whose bundle carries the WASM (traditional, hybrid).
    pub bundle_mb: f64,
    /// The PGLite runtime, while it loads or is loaded.
    pub runtime_mb: f64,
}

impl Memory {
    /// What one resident DO of `architecture` holds at most, MB: its base
    /// and bundle, plus the runtime while it loads or is loaded.
    pub fn footprint_mb(&self, architecture: Architecture) -> f64 {
        let bundle = if architecture.bundles_wasm() {
            self.bundle_mb
        } else {
            0.0
        };
        let runtime = if architecture == Architecture::Thin {
            0.0
        } else {
            self.runtime_mb
        };
        self.do_base_mb + bundle + runtime
    }
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

/// `[pricing]`: published prices and the monthly amounts included.
#[derive(Debug, Clone, PartialEq)]
pub struct Pricing {
    /// DO requests, USD per million.
    pub do_request_usd_per_m: f64,
    /// DO requests included a month, millions.
    pub do_requests_included_m: f64,
    /// DO duration, USD per million GB-s.
    pub do_gb_s_usd_per_m: f64,
    /// DO duration included a month, GB-s.
    pub do_gb_s_included: f64,
    /// memory a resident DO is billed at, MB.
    pub do_billed_mb: f64,
    /// Workers requests, USD per million.
    pub worker_request_usd_per_m: f64,
    /// Workers requests included a month, millions.
    pub worker_requests_included_m: f64,
    /// Workers CPU time, USD per million CPU-ms.
    pub worker_cpu_ms_usd_per_m: f64,
    /// Workers CPU-ms included a month, millions.
    pub worker_cpu_ms_included_m: f64,
    /// R2 Class B (GET), USD per million.
    pub r2_class_b_usd_per_m: f64,
    /// R2 Class B included a month, millions.
    pub r2_class_b_included_m: f64,
}

/// One of the seed's "Future Improvements" (MODEL.md section 7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Policy {
    /// A periodic job starts the DOs of tenants predicted to be hit soon.
    Prewarm,
    /// WASM fetch and compile overlap (`compileStreaming`).
    Streaming,
    /// Per-host and regional caches in front of R2.
    TieredCache,
    /// Wait for a load in progress when that is predicted to be faster than
    /// delegating.
    SmartDelegation,
    /// A core module first; an extension on the first query that needs it.
    PartialLoading,
}

impl Policy {
    /// All policies, in config order.
    pub const ALL: [Policy; 5] = [
        Policy::Prewarm,
        Policy::Streaming,
        Policy::TieredCache,
        Policy::SmartDelegation,
        Policy::PartialLoading,
    ];

    /// The config name.
    pub fn name(self) -> &'static str {
        match self {
            Policy::Prewarm => "prewarm",
            Policy::Streaming => "streaming",
            Policy::TieredCache => "tiered_cache",
            Policy::SmartDelegation => "smart_delegation",
            Policy::PartialLoading => "partial_loading",
        }
    }

    /// Parses a config name.
    pub fn from_name(name: &str) -> Option<Policy> {
        Policy::ALL.into_iter().find(|p| p.name() == name)
    }
}

/// A set of enabled policies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct PolicySet(u8);

impl PolicySet {
    /// No policy: the baseline.
    pub const NONE: PolicySet = PolicySet(0);

    /// The set with `policy` added.
    pub fn with(self, policy: Policy) -> PolicySet {
        PolicySet(self.0 | 1 << policy as u8)
    }

    /// Whether `policy` is enabled.
    #[inline]
    pub fn has(self, policy: Policy) -> bool {
        self.0 & (1 << policy as u8) != 0
    }

    /// The enabled policies, in config order.
    pub fn iter(self) -> impl Iterator<Item = Policy> {
        Policy::ALL.into_iter().filter(move |p| self.has(*p))
    }

    /// The `policy` column: `none`, or the names joined by `+`.
    pub fn label(self) -> String {
        let names: Vec<&str> = self.iter().map(Policy::name).collect();
        if names.is_empty() {
            "none".to_string()
        } else {
            names.join("+")
        }
    }
}

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
}

/// `[smart_delegation]`.
#[derive(Debug, Clone, PartialEq)]
pub struct SmartDelegation {
    /// Wait only if the predicted local time beats delegating by this much.
    pub margin: Nanos,
}

/// `[partial_loading]`.
#[derive(Debug, Clone, PartialEq)]
pub struct PartialLoading {
    /// Share of compile and init that the core module takes.
    pub core_fraction: f64,
    /// Share of queries that need the extension.
    pub extension_fraction: f64,
}

/// The policies and their parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct Policies {
    pub enabled: PolicySet,
    pub prewarm: Prewarm,
    pub tiered_cache: TieredCache,
    pub smart_delegation: SmartDelegation,
    pub partial_loading: PartialLoading,
}

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
