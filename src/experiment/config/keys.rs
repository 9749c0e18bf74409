//! Every config key, declared once.
//!
//! The tree below mirrors [`Config`]: a struct is a `Type { .. }` of its
//! fields, and each field that a key sets names the key and its spec,
//! `field: "dotted.key" (spec)`. From this one declaration follow
//!
//! - the schema (`schema.rs`: which keys and tables exist, each key's
//!   [`Kind`](super::schema::Kind), the suggestions and "valid keys"
//!   lists), through [`keys`];
//! - the resolver's [`build`] (each field read from the merged settings by
//!   its spec's reader; `resolve.rs` then runs the checks across keys);
//! - the writer (`Config::to_toml`, each key by its spec's writer).
//!
//! Adding a key is one line here (and the model's field): see "Adding a
//! config key" in docs/architecture.md.
//!
//! Invariants: the declaration order is the schema order, the order errors
//! list keys in and `to_toml` writes them in (top-level keys first, then
//! each table under its header); the keys of one table are declared
//! together (so each table is written once); a field no key sets is
//! `fixed (value)`; the compiler checks that every field of `Config` is
//! declared, and that each spec's type is its field's.

use std::sync::LazyLock;

use super::error::ConfigError;
use super::resolve::Resolver;
use super::schema::NumberRange::{Fraction, NonNegative, Positive};
use super::spec::{
    architectures, choice, config_keys, cpu_phases, dist, duration, flag, integer, integer_u32,
    mmpp_states, number, path, policy_set, positive_duration, profile, Key,
};
use crate::architectures::{Lazy, Memory, Phases, WasmCompile};
use crate::fleet::{Compute, DurableObject, Hosts, IsolateParams, Network, WhenFull};
use crate::metrics::Pricing;
use crate::policies::{
    CacheEviction, PartialLoading, Policies, Predictor, Prewarm, SmartDelegation, SmartPredictor,
    TieredCache,
};
use crate::simulation::Config;
use crate::workload::{Arrivals, Diurnal, Mmpp, Trace, TraceSpread, TraceTenant, Workload};

// Why a duration key takes one duration, not a distribution.
const RUN_LENGTH: &str = "the run has one fixed length";
const WARMUP: &str = "the warm-up is one fixed cut-off";
const PERIOD: &str = "the diurnal cycle has one fixed period";
const PEAK: &str = "the peak is one fixed time within the period";
const COMPUTE_IDLE: &str = "compute instances expire in the order they went idle (lazily, \
     oldest first), which needs one fixed idle timeout";
const CPU_SLICE: &str = "a CPU phase yields after slices of one fixed length";
const PREWARM_TICK: &str = "the prewarm job runs at a fixed period";
const HISTOGRAM: &str = "the idle-time histogram has fixed bins";
const CACHE_TTL: &str = "a cache keeps an entry for one fixed time";
const MARGIN: &str = "the margin is one fixed duration";
const ORACLE_LEAD: &str = "the oracle acts one fixed time before each arrival";

config_keys! {
    Config {
        seed: "seed" (integer(0, u64::MAX)),
        replications: "replications" (integer_u32(1, 10_000)),
        duration: "duration" (positive_duration(RUN_LENGTH)),
        warmup: "warmup" (duration(WARMUP)),
        architectures: "architectures" (architectures()),
        query_exec: "query_exec" (dist()),
        workload: Workload {
            tenants: "workload.tenants" (integer(1, 100_000_000)),
            zipf_s: "workload.zipf_s" (number(NonNegative)),
            rate_rps: "workload.rate_rps" (number(Positive)),
            arrivals: "workload.arrivals" (choice::<Arrivals>()),
            trace: Trace {
                path: "workload.trace" (path()),
                tenant: "workload.trace_tenant" (choice::<TraceTenant>()),
                spread: "workload.trace_spread" (choice::<TraceSpread>()),
                // Read after merging, when `arrivals` is "trace".
                index: fixed (None),
            },
            diurnal: Diurnal {
                amplitude: "workload.diurnal.amplitude" (number(Fraction)),
                period: "workload.diurnal.period" (positive_duration(PERIOD)),
                peak: "workload.diurnal.peak" (duration(PEAK)),
                profile: "workload.diurnal.profile" (profile()),
            },
            mmpp: Mmpp {
                states: "workload.mmpp.states" (mmpp_states()),
            },
        },
        durable_object: DurableObject {
            idle_timeout: "do.idle_timeout" (dist()),
            load_keeps_alive: "do.load_keeps_alive" (flag()),
        },
        network: Network {
            client_rtt: "network.client_rtt" (dist()),
        },
        phases: Phases {
            isolate_start: "phases.isolate_start" (dist()),
            isolate_start_bundled: "phases.isolate_start_bundled" (dist()),
            cache_check: "phases.cache_check" (dist()),
            r2_fetch: "phases.r2_fetch" (dist()),
            data_read: "phases.data_read" (dist()),
            wasm_compile: "phases.wasm_compile" (dist()),
            pglite_init: "phases.pglite_init" (dist()),
            loader_isolate_start: "phases.loader_isolate_start" (dist()),
            loader_compile: "phases.loader_compile" (dist()),
        },
        platform_runtime_wasm_compile: "platform.runtime_wasm_compile" (choice::<WasmCompile>()),
        lazy: Lazy {
            cache_hit_ratio: "lazy.cache_hit_ratio" (number(Fraction)),
            parallel_fetch: "lazy.parallel_fetch" (flag()),
        },
        compute: Compute {
            rtt: "compute.rtt" (dist()),
            cold_start: "compute.cold_start" (dist()),
            exec: "compute.exec" (dist()),
            cpu_time: "compute.cpu_time" (dist()),
            idle_timeout: "compute.idle_timeout" (duration(COMPUTE_IDLE)),
            concurrency: "compute.concurrency" (integer_u32(1, 1_000_000)),
            max_instances: "compute.max_instances" (integer(0, 4_000_000_000)),
        },
        memory: Memory {
            do_base_mb: "memory.do_base_mb" (number(NonNegative)),
            bundle_mb: "memory.bundle_mb" (number(NonNegative)),
            runtime_mb: "memory.runtime_mb" (number(NonNegative)),
        },
        hosts: Hosts {
            count: "hosts.count" (integer(0, 100_000_000)),
            memory_mb: "hosts.memory_mb" (number(Positive)),
            when_full: "hosts.when_full" (choice::<WhenFull>()),
        },
        isolate: IsolateParams {
            dos_per_isolate: "isolate.dos_per_isolate" (integer(1, 4_000_000_000)),
            memory_limit_mb: "isolate.memory_limit_mb" (number(NonNegative)),
            cpu: "isolate.cpu_phases" (cpu_phases()),
            slice: "isolate.slice" (duration(CPU_SLICE)),
        },
        pricing: Pricing {
            do_request_usd_per_m: "pricing.do_request_usd_per_m" (number(NonNegative)),
            do_requests_included_m: "pricing.do_requests_included_m" (number(NonNegative)),
            do_gb_s_usd_per_m: "pricing.do_gb_s_usd_per_m" (number(NonNegative)),
            do_gb_s_included: "pricing.do_gb_s_included" (number(NonNegative)),
            do_billed_mb: "pricing.do_billed_mb" (number(NonNegative)),
            worker_request_usd_per_m: "pricing.worker_request_usd_per_m" (number(NonNegative)),
            worker_requests_included_m: "pricing.worker_requests_included_m" (number(NonNegative)),
            worker_cpu_ms_usd_per_m: "pricing.worker_cpu_ms_usd_per_m" (number(NonNegative)),
            worker_cpu_ms_included_m: "pricing.worker_cpu_ms_included_m" (number(NonNegative)),
            r2_class_b_usd_per_m: "pricing.r2_class_b_usd_per_m" (number(NonNegative)),
            r2_class_b_included_m: "pricing.r2_class_b_included_m" (number(NonNegative)),
        },
        policies: Policies {
            enabled: "policies" (policy_set()),
            prewarm: Prewarm {
                predictor: "prewarm.predictor" (choice::<Predictor>()),
                interval: "prewarm.interval" (positive_duration(PREWARM_TICK)),
                top_k: "prewarm.top_k" (integer(1, 100_000_000)),
                window: "prewarm.window" (positive_duration(PREWARM_TICK)),
                histogram_bin: "prewarm.histogram_bin" (positive_duration(HISTOGRAM)),
                histogram_bins: "prewarm.histogram_bins" (integer(1, 100_000)),
                min_idle_samples: "prewarm.min_idle_samples" (integer(1, 1_000_000)),
                cv_threshold: "prewarm.cv_threshold" (number(NonNegative)),
                out_of_range_max: "prewarm.out_of_range_max" (number(Fraction)),
                fallback_keep_alive: "prewarm.fallback_keep_alive" (duration(HISTOGRAM)),
                keep_resident: "prewarm.keep_resident" (flag()),
                oracle_lead: "prewarm.oracle_lead" (duration(ORACLE_LEAD)),
            },
            tiered_cache: TieredCache {
                hosts: "tiered_cache.hosts" (integer(1, 100_000_000)),
                regions: "tiered_cache.regions" (integer(1, 100_000_000)),
                local_hit: "tiered_cache.local_hit" (dist()),
                regional_hit: "tiered_cache.regional_hit" (dist()),
                local_ttl: "tiered_cache.local_ttl" (duration(CACHE_TTL)),
                regional_ttl: "tiered_cache.regional_ttl" (duration(CACHE_TTL)),
                eviction: "tiered_cache.eviction" (choice::<CacheEviction>()),
            },
            smart_delegation: SmartDelegation {
                margin: "smart_delegation.margin" (duration(MARGIN)),
                predictor: "smart_delegation.predictor" (choice::<SmartPredictor>()),
            },
            partial_loading: PartialLoading {
                core_fraction: "partial_loading.core_fraction" (number(Fraction)),
                extension_fraction: "partial_loading.extension_fraction" (number(Fraction)),
            },
        },
    }
}

static KEYS: LazyLock<Vec<Key>> = LazyLock::new(|| {
    let mut keys = Vec::new();
    declare(&mut keys);
    keys
});

/// Every declared key, in declaration (schema) order.
pub(crate) fn keys() -> &'static [Key] {
    &KEYS
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The table of `key` (`""`: the top level).
    fn table(key: &str) -> &str {
        key.rsplit_once('.').map_or("", |(table, _)| table)
    }

    #[test]
    fn keys_are_distinct_and_each_table_is_declared_together() {
        let names: Vec<&str> = keys().iter().map(|k| k.name).collect();
        for (i, name) in names.iter().enumerate() {
            assert!(!names[..i].contains(name), "`{name}` declared twice");
        }
        // `to_toml` writes a table's header once: its keys are adjacent
        // (top-level keys, written before any table, may be anywhere).
        let mut seen: Vec<&str> = Vec::new();
        for name in names.iter().map(|n| table(n)).filter(|t| !t.is_empty()) {
            if seen.last() != Some(&name) {
                assert!(!seen.contains(&name), "[{name}] declared in two places");
                seen.push(name);
            }
        }
        assert_eq!(seen.first(), Some(&"workload"));
    }

    #[test]
    fn every_key_is_written_under_its_table() {
        let config = super::super::load_default().unwrap_or_else(|e| panic!("{e}"));
        let text = config.to_toml();
        for key in keys() {
            let (table, name) = key.name.rsplit_once('.').unwrap_or(("", key.name));
            let section = if table.is_empty() {
                text.split("\n[").next().unwrap_or_default().to_string()
            } else {
                let header = format!("\n[{table}]\n");
                let after = text.split_once(&header).map_or("", |(_, rest)| rest);
                after.split("\n[").next().unwrap_or_default().to_string()
            };
            let written = section
                .lines()
                .any(|line| line.starts_with(&format!("{name} = ")));
            assert!(written, "`{}` is not written under [{table}]", key.name);
        }
    }
}
