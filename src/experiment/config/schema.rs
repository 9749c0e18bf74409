//! The configuration schema: every valid dotted leaf key and its kind.
//!
//! Invariants: keys have at most three segments (`seed`, `workload.tenants`,
//! `workload.diurnal.amplitude`); a leaf is never also a table (a
//! distribution table, a profile array or the MMPP states are leaves:
//! replaced whole, never merged); the tables are exactly the proper
//! prefixes of keys (`workload`, `workload.diurnal`). The key table
//! (`keys.rs`, where each key is declared once) is the single source of
//! truth for which keys exist: the layer reader, `known_keys` and the
//! suggestions all read it through this module, in its order.

use super::keys::keys;

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

/// The work that may hold an isolate's thread (`isolate.cpu_phases`), in
/// [`crate::fleet::CpuWork::ALL`] order.
pub(crate) const CPU_WORK_NAMES: &[&str] = &[
    "data_read",
    "wasm_compile",
    "loader_compile",
    "pglite_init",
    "query_exec",
];

/// Every leaf key and its kind, in declaration (schema) order.
fn entries() -> impl Iterator<Item = (&'static str, Kind)> {
    keys().iter().map(|key| (key.name, key.kind))
}

/// The leaf `dotted` (its static name and kind), if it is a leaf key.
pub(crate) fn leaf(dotted: &str) -> Option<(&'static str, Kind)> {
    entries().find(|(key, _)| *key == dotted)
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
        && entries().any(|(key, _)| below(key, name).is_some_and(|rest| !rest.is_empty()))
}

/// The names valid directly inside `table` (`""` for the top level): leaf
/// names and table names; in schema order, no repeats.
pub(crate) fn names_in(table: &str) -> Vec<&'static str> {
    let mut names: Vec<&'static str> = Vec::new();
    for (key, _) in entries() {
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

/// The largest value an integer key accepts (`None`: not an integer key).
pub fn integer_max(dotted: &str) -> Option<u64> {
    match leaf(dotted) {
        Some((_, Kind::Integer { max, .. })) => Some(max),
        _ => None,
    }
}

/// Every valid dotted leaf key (`seed`, `workload.tenants`,
/// `phases.cache_check`, ...), in schema order.
pub fn known_keys() -> Vec<&'static str> {
    entries().map(|(key, _)| key).collect()
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
    let segments = entries().filter_map(|(key, _)| key.rsplit('.').next());
    super::error::nearest(name, segments).and_then(leaf_named)
}

/// The one leaf whose last segment is exactly `name`.
fn leaf_named(name: &str) -> Option<&'static str> {
    let mut matches = entries()
        .map(|(key, _)| key)
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
