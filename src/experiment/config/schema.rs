//! The configuration schema: every valid dotted leaf key and its kind.
//!
//! Invariants: keys have at most three segments (`seed`, `workload.tenants`,
//! `workload.diurnal.amplitude`); a leaf is never also a table (a
//! distribution table, a profile array or the MMPP states are leaves:
//! replaced whole, never merged); the tables are exactly the proper
//! prefixes of keys (`workload`, `workload.diurnal`). [`SCHEMA`] is the single source of truth for which
//! keys exist: the layer reader, `known_keys` and the suggestions all use it.

/// How a leaf's value is read.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Kind {
    /// An integer in `min..=max`.
    Integer { min: u64, max: u64 },
    /// A finite number (integers accepted) in the range.
    Number(NumberRange),
    /// `true` or `false`.
    Bool,
    /// A single duration string (never a distribution); `why` explains why
    /// a table is refused.
    Duration { positive: bool, why: &'static str },
    /// A duration spec: a constant string or a distribution table.
    Dist,
    /// One of the names.
    Choice(&'static [&'static str]),
    /// The `architectures` list.
    Architectures,
    /// A list of distinct names from the fixed list (`policies`).
    Names(&'static [&'static str]),
    /// A file path string, relative to the layer's file (`""`: none); the
    /// file must exist when the path is not empty.
    Path,
    /// An array of finite numbers >= 0, empty or not all zero (a rate
    /// profile).
    Profile,
    /// The MMPP states: an array of `{ rate_rps, mean_sojourn }` tables.
    MmppStates,
}

/// The accepted range of a [`Kind::Number`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum NumberRange {
    /// `>= 0`.
    NonNegative,
    /// `> 0`.
    Positive,
    /// `0 ..= 1`.
    Fraction,
}

impl NumberRange {
    pub(crate) fn contains(self, x: f64) -> bool {
        x.is_finite()
            && match self {
                NumberRange::NonNegative => x >= 0.0,
                NumberRange::Positive => x > 0.0,
                NumberRange::Fraction => (0.0..=1.0).contains(&x),
            }
    }

    pub(crate) fn describe(self) -> &'static str {
        match self {
            NumberRange::NonNegative => "a finite number >= 0",
            NumberRange::Positive => "a finite number > 0",
            NumberRange::Fraction => "a number from 0 to 1",
        }
    }
}

/// The architecture names, in [`crate::architectures::Architecture::ALL`] order.
pub(crate) const ARCHITECTURE_NAMES: &[&str] = &["traditional", "hybrid", "thin", "lazy"];
/// The `runtime_wasm_compile` names, in [`crate::architectures::WasmCompile::ALL`] order.
pub(crate) const WASM_COMPILE_NAMES: &[&str] = &["blocked", "allowed", "loader"];
/// The policy names (`policies`), in [`crate::policies::Policy::ALL`] order.
pub(crate) const POLICY_NAMES: &[&str] = &crate::policies::Policy::NAMES;
/// The `prewarm.predictor` names.
pub(crate) const PREDICTOR_NAMES: &[&str] = &crate::policies::Predictor::NAMES;
/// The `smart_delegation.predictor` names.
pub(crate) const SMART_PREDICTOR_NAMES: &[&str] = &crate::policies::SmartPredictor::NAMES;
/// The `tiered_cache.eviction` names.
pub(crate) const CACHE_EVICTION_NAMES: &[&str] = &crate::policies::CacheEviction::NAMES;
/// The `hosts.when_full` names, in [`crate::fleet::WhenFull::ALL`] order.
pub(crate) const WHEN_FULL_NAMES: &[&str] = &["wait", "fail", "overcommit"];
/// The `workload.arrivals` names.
pub(crate) const ARRIVALS_NAMES: &[&str] = &["poisson", "diurnal", "mmpp", "trace"];
/// The `workload.trace_tenant` names.
pub(crate) const TRACE_TENANT_NAMES: &[&str] = &["function", "app"];
/// The `workload.trace_spread` names.
pub(crate) const TRACE_SPREAD_NAMES: &[&str] = &["uniform", "poisson"];

const RUN_LENGTH: &str = "the run has one fixed length";
const WARMUP: &str = "the warm-up is one fixed cut-off";
const PERIOD: &str = "the diurnal cycle has one fixed period";
const PEAK: &str = "the peak is one fixed time within the period";
const COMPUTE_IDLE: &str = "compute instances expire in the order they went idle (lazily, \
     oldest first), which needs one fixed idle timeout";

const CPU_SLICE: &str = "a CPU phase yields after slices of one fixed length";

/// The work that may hold an isolate's thread (`isolate.cpu_phases`), in
/// [`crate::fleet::CpuWork::ALL`] order.
pub(crate) const CPU_WORK_NAMES: &[&str] = &[
    "data_read",
    "wasm_compile",
    "loader_compile",
    "pglite_init",
    "query_exec",
];

const PREWARM_TICK: &str = "the prewarm job runs at a fixed period";
const HISTOGRAM: &str = "the idle-time histogram has fixed bins";
const CACHE_TTL: &str = "a cache keeps an entry for one fixed time";
const MARGIN: &str = "the margin is one fixed duration";
const ORACLE_LEAD: &str = "the oracle acts one fixed time before each arrival";

/// Every leaf key, in the order `to_toml` writes them.
pub(crate) const SCHEMA: &[(&str, Kind)] = &[
    (
        "seed",
        Kind::Integer {
            min: 0,
            max: u64::MAX,
        },
    ),
    (
        "replications",
        Kind::Integer {
            min: 1,
            max: 10_000,
        },
    ),
    (
        "duration",
        Kind::Duration {
            positive: true,
            why: RUN_LENGTH,
        },
    ),
    (
        "warmup",
        Kind::Duration {
            positive: false,
            why: WARMUP,
        },
    ),
    ("architectures", Kind::Architectures),
    ("query_exec", Kind::Dist),
    (
        "workload.tenants",
        Kind::Integer {
            min: 1,
            max: 100_000_000,
        },
    ),
    ("workload.zipf_s", Kind::Number(NumberRange::NonNegative)),
    ("workload.rate_rps", Kind::Number(NumberRange::Positive)),
    ("workload.arrivals", Kind::Choice(ARRIVALS_NAMES)),
    ("workload.trace", Kind::Path),
    ("workload.trace_tenant", Kind::Choice(TRACE_TENANT_NAMES)),
    ("workload.trace_spread", Kind::Choice(TRACE_SPREAD_NAMES)),
    (
        "workload.diurnal.amplitude",
        Kind::Number(NumberRange::Fraction),
    ),
    (
        "workload.diurnal.period",
        Kind::Duration {
            positive: true,
            why: PERIOD,
        },
    ),
    (
        "workload.diurnal.peak",
        Kind::Duration {
            positive: false,
            why: PEAK,
        },
    ),
    ("workload.diurnal.profile", Kind::Profile),
    ("workload.mmpp.states", Kind::MmppStates),
    ("do.idle_timeout", Kind::Dist),
    ("do.load_keeps_alive", Kind::Bool),
    ("network.client_rtt", Kind::Dist),
    ("phases.isolate_start", Kind::Dist),
    ("phases.isolate_start_bundled", Kind::Dist),
    ("phases.cache_check", Kind::Dist),
    ("phases.r2_fetch", Kind::Dist),
    ("phases.data_read", Kind::Dist),
    ("phases.wasm_compile", Kind::Dist),
    ("phases.pglite_init", Kind::Dist),
    ("phases.loader_isolate_start", Kind::Dist),
    ("phases.loader_compile", Kind::Dist),
    (
        "platform.runtime_wasm_compile",
        Kind::Choice(WASM_COMPILE_NAMES),
    ),
    ("lazy.cache_hit_ratio", Kind::Number(NumberRange::Fraction)),
    ("lazy.parallel_fetch", Kind::Bool),
    ("compute.rtt", Kind::Dist),
    ("compute.cold_start", Kind::Dist),
    ("compute.exec", Kind::Dist),
    ("compute.cpu_time", Kind::Dist),
    (
        "compute.idle_timeout",
        Kind::Duration {
            positive: false,
            why: COMPUTE_IDLE,
        },
    ),
    (
        "compute.concurrency",
        Kind::Integer {
            min: 1,
            max: 1_000_000,
        },
    ),
    (
        "compute.max_instances",
        Kind::Integer {
            min: 0,
            max: 4_000_000_000,
        },
    ),
    ("memory.do_base_mb", Kind::Number(NumberRange::NonNegative)),
    ("memory.bundle_mb", Kind::Number(NumberRange::NonNegative)),
    ("memory.runtime_mb", Kind::Number(NumberRange::NonNegative)),
    (
        "hosts.count",
        Kind::Integer {
            min: 0,
            max: 100_000_000,
        },
    ),
    ("hosts.memory_mb", Kind::Number(NumberRange::Positive)),
    ("hosts.when_full", Kind::Choice(WHEN_FULL_NAMES)),
    (
        "isolate.dos_per_isolate",
        Kind::Integer {
            min: 1,
            max: 4_000_000_000,
        },
    ),
    (
        "isolate.memory_limit_mb",
        Kind::Number(NumberRange::NonNegative),
    ),
    ("isolate.cpu_phases", Kind::Names(CPU_WORK_NAMES)),
    (
        "isolate.slice",
        Kind::Duration {
            positive: false,
            why: CPU_SLICE,
        },
    ),
    (
        "pricing.do_request_usd_per_m",
        Kind::Number(NumberRange::NonNegative),
    ),
    (
        "pricing.do_requests_included_m",
        Kind::Number(NumberRange::NonNegative),
    ),
    (
        "pricing.do_gb_s_usd_per_m",
        Kind::Number(NumberRange::NonNegative),
    ),
    (
        "pricing.do_gb_s_included",
        Kind::Number(NumberRange::NonNegative),
    ),
    (
        "pricing.do_billed_mb",
        Kind::Number(NumberRange::NonNegative),
    ),
    (
        "pricing.worker_request_usd_per_m",
        Kind::Number(NumberRange::NonNegative),
    ),
    (
        "pricing.worker_requests_included_m",
        Kind::Number(NumberRange::NonNegative),
    ),
    (
        "pricing.worker_cpu_ms_usd_per_m",
        Kind::Number(NumberRange::NonNegative),
    ),
    (
        "pricing.worker_cpu_ms_included_m",
        Kind::Number(NumberRange::NonNegative),
    ),
    (
        "pricing.r2_class_b_usd_per_m",
        Kind::Number(NumberRange::NonNegative),
    ),
    (
        "pricing.r2_class_b_included_m",
        Kind::Number(NumberRange::NonNegative),
    ),
    ("policies", Kind::Names(POLICY_NAMES)),
    ("prewarm.predictor", Kind::Choice(PREDICTOR_NAMES)),
    (
        "prewarm.interval",
        Kind::Duration {
            positive: true,
            why: PREWARM_TICK,
        },
    ),
    (
        "prewarm.top_k",
        Kind::Integer {
            min: 1,
            max: 100_000_000,
        },
    ),
    (
        "prewarm.window",
        Kind::Duration {
            positive: true,
            why: PREWARM_TICK,
        },
    ),
    (
        "prewarm.histogram_bin",
        Kind::Duration {
            positive: true,
            why: HISTOGRAM,
        },
    ),
    (
        "prewarm.histogram_bins",
        Kind::Integer {
            min: 1,
            max: 100_000,
        },
    ),
    (
        "prewarm.min_idle_samples",
        Kind::Integer {
            min: 1,
            max: 1_000_000,
        },
    ),
    (
        "prewarm.cv_threshold",
        Kind::Number(NumberRange::NonNegative),
    ),
    (
        "prewarm.out_of_range_max",
        Kind::Number(NumberRange::Fraction),
    ),
    (
        "prewarm.fallback_keep_alive",
        Kind::Duration {
            positive: false,
            why: HISTOGRAM,
        },
    ),
    ("prewarm.keep_resident", Kind::Bool),
    (
        "prewarm.oracle_lead",
        Kind::Duration {
            positive: false,
            why: ORACLE_LEAD,
        },
    ),
    (
        "tiered_cache.hosts",
        Kind::Integer {
            min: 1,
            max: 100_000_000,
        },
    ),
    (
        "tiered_cache.regions",
        Kind::Integer {
            min: 1,
            max: 100_000_000,
        },
    ),
    ("tiered_cache.local_hit", Kind::Dist),
    ("tiered_cache.regional_hit", Kind::Dist),
    (
        "tiered_cache.local_ttl",
        Kind::Duration {
            positive: false,
            why: CACHE_TTL,
        },
    ),
    (
        "tiered_cache.regional_ttl",
        Kind::Duration {
            positive: false,
            why: CACHE_TTL,
        },
    ),
    ("tiered_cache.eviction", Kind::Choice(CACHE_EVICTION_NAMES)),
    (
        "smart_delegation.margin",
        Kind::Duration {
            positive: false,
            why: MARGIN,
        },
    ),
    (
        "smart_delegation.predictor",
        Kind::Choice(SMART_PREDICTOR_NAMES),
    ),
    (
        "partial_loading.core_fraction",
        Kind::Number(NumberRange::Fraction),
    ),
    (
        "partial_loading.extension_fraction",
        Kind::Number(NumberRange::Fraction),
    ),
];

/// The leaf `dotted` (its static name and kind), if it is a leaf key.
pub(crate) fn leaf(dotted: &str) -> Option<(&'static str, Kind)> {
    SCHEMA.iter().find(|(key, _)| *key == dotted).copied()
}

/// `key` below `table` (`""`: the top level): the rest of the key after
/// `table.`, if `key` is inside it.
fn below<'k>(key: &'k str, table: &str) -> Option<&'k str> {
    if table.is_empty() {
        return Some(key);
    }
    key.strip_prefix(table)?.strip_prefix('.')
}

/// Whether `name` is a table (`workload`, `phases`, `workload.diurnal`...).
pub(crate) fn is_table(name: &str) -> bool {
    !name.is_empty()
        && SCHEMA
            .iter()
            .any(|(key, _)| below(key, name).is_some_and(|rest| !rest.is_empty()))
}

/// The names valid directly inside `table` (`""` for the top level): leaf
/// names and table names; in schema order, no repeats.
pub(crate) fn names_in(table: &str) -> Vec<&'static str> {
    let mut names: Vec<&'static str> = Vec::new();
    for (key, _) in SCHEMA {
        let Some(rest) = below(key, table) else {
            continue;
        };
        let name = rest.split('.').next().unwrap_or(rest);
        if !name.is_empty() && !names.contains(&name) {
            names.push(name);
        }
    }
    names
}

/// Every valid dotted leaf key (`seed`, `workload.tenants`,
/// `phases.cache_check`, ...), in schema order.
/// The largest value an integer key accepts (`None`: not an integer key).
pub fn integer_max(dotted: &str) -> Option<u64> {
    match leaf(dotted) {
        Some((_, Kind::Integer { max, .. })) => Some(max),
        _ => None,
    }
}

pub fn known_keys() -> Vec<&'static str> {
    SCHEMA.iter().map(|(key, _)| *key).collect()
}

/// Whether `dotted` is a valid leaf key (a value a sweep or `--set` can set).
pub fn is_known_key(dotted: &str) -> bool {
    leaf(dotted).is_some()
}

/// The valid leaf key nearest to `dotted`, if one is close enough to be the
/// intended key (for "did you mean" messages).
pub fn nearest_known_key(dotted: &str) -> Option<&'static str> {
    super::error::nearest(dotted, known_keys())
        .or_else(|| leaf_near(dotted.rsplit('.').next().unwrap_or(dotted)))
}

/// The leaf whose last segment is nearest to `name`, if that segment names
/// one leaf only (for a key put in the wrong table, such as a top-level
/// `tenants`, or misspelt there, `tenats`).
pub(crate) fn leaf_near(name: &str) -> Option<&'static str> {
    let segments = SCHEMA.iter().filter_map(|(key, _)| key.rsplit('.').next());
    super::error::nearest(name, segments).and_then(leaf_named)
}

/// The one leaf whose last segment is exactly `name`.
fn leaf_named(name: &str) -> Option<&'static str> {
    let mut matches = SCHEMA
        .iter()
        .map(|(key, _)| *key)
        .filter(|key| key.rsplit('.').next() == Some(name));
    match (matches.next(), matches.next()) {
        (Some(key), None) => Some(key),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_and_keys() {
        assert!(is_known_key("seed"));
        assert!(is_known_key("phases.cache_check"));
        assert!(!is_known_key("phases"));
        assert!(!is_known_key("phases.cache_check.min"));
        assert!(is_table("workload") && !is_table("seed"));
        assert_eq!(
            names_in("workload"),
            [
                "tenants",
                "zipf_s",
                "rate_rps",
                "arrivals",
                "trace",
                "trace_tenant",
                "trace_spread",
                "diurnal",
                "mmpp"
            ]
        );
        assert_eq!(
            names_in("workload.diurnal"),
            ["amplitude", "period", "peak", "profile"]
        );
        assert!(is_table("workload.diurnal") && !is_table("workload.trace"));
        assert!(!is_table("") && !is_table("work"));
        let top = names_in("");
        assert!(top.contains(&"seed") && top.contains(&"phases") && top.contains(&"do"));
        assert_eq!(top.iter().filter(|n| **n == "phases").count(), 1);
        assert_eq!(
            nearest_known_key("workload.tenats"),
            Some("workload.tenants")
        );
        assert_eq!(nearest_known_key("cache_check"), Some("phases.cache_check"));
        assert_eq!(leaf_named("idle_timeout"), None);
        assert_eq!(leaf_near("tenats"), Some("workload.tenants"));
    }
}
