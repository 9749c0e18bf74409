//! The metric columns of `summary.csv` and `runs.csv`.
//!
//! [`METRICS`] is the one list of metrics: name (the CSV column), meaning, and
//! how to compute it from a run. Reports and statistics iterate over it, so a
//! metric added here appears everywhere. A metric without samples (the p99
//! of an empty path) is NaN, written as an empty CSV field.

use super::{OrdinalBucket, RunMetrics, ServedBy};

/// One metric column.
#[derive(Clone, Copy)]
pub struct Metric {
    /// The CSV column name.
    pub name: &'static str,
    /// What it means, with its unit.
    pub description: &'static str,
    /// Its value for one run.
    pub value: fn(&RunMetrics) -> f64,
}

impl std::fmt::Debug for Metric {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name)
    }
}

fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 {
        f64::NAN
    } else {
        a as f64 / b as f64
    }
}

const KIB_PER_MB: f64 = 1024.0;

/// Every metric, in column order.
pub const METRICS: &[Metric] = &[
    Metric {
        name: "requests",
        description: "requests arriving in the window",
        value: |m| m.requests as f64,
    },
    Metric {
        name: "cold_starts",
        description: "requests that found their DO evicted and started it",
        value: |m| m.cold_starts as f64,
    },
    Metric {
        name: "cold_start_fraction",
        description: "cold_starts / requests",
        value: |m| ratio(m.cold_starts, m.requests),
    },
    Metric {
        name: "delegated_fraction",
        description: "fraction of requests executed at the compute worker",
        value: |m| ratio(m.path_count(ServedBy::Delegated), m.requests),
    },
    Metric {
        name: "local_fraction",
        description: "fraction executed locally on a ready DO",
        value: |m| ratio(m.path_count(ServedBy::Local), m.requests),
    },
    Metric {
        name: "queued_fraction",
        description: "fraction executed locally after waiting for a start and load",
        value: |m| ratio(m.path_count(ServedBy::Queued), m.requests),
    },
    Metric {
        name: "latency_mean_ms",
        description: "mean latency, ms",
        value: |m| m.latency.mean_ms(),
    },
    Metric {
        name: "latency_p50_ms",
        description: "median latency, ms",
        value: |m| m.latency.quantile_ms(0.5),
    },
    Metric {
        name: "latency_p90_ms",
        description: "90th percentile latency, ms",
        value: |m| m.latency.quantile_ms(0.9),
    },
    Metric {
        name: "latency_p99_ms",
        description: "99th percentile latency, ms",
        value: |m| m.latency.quantile_ms(0.99),
    },
    Metric {
        name: "latency_p999_ms",
        description: "99.9th percentile latency, ms",
        value: |m| m.latency.quantile_ms(0.999),
    },
    Metric {
        name: "latency_max_ms",
        description: "largest latency, ms",
        value: |m| m.latency.max_ms(),
    },
    Metric {
        name: "local_p50_ms",
        description: "median latency of local requests, ms",
        value: |m| m.by_path[ServedBy::Local as usize].quantile_ms(0.5),
    },
    Metric {
        name: "local_p99_ms",
        description: "p99 latency of local requests, ms",
        value: |m| m.by_path[ServedBy::Local as usize].quantile_ms(0.99),
    },
    Metric {
        name: "delegated_p50_ms",
        description: "median latency of delegated requests, ms",
        value: |m| m.by_path[ServedBy::Delegated as usize].quantile_ms(0.5),
    },
    Metric {
        name: "delegated_p99_ms",
        description: "p99 latency of delegated requests, ms",
        value: |m| m.by_path[ServedBy::Delegated as usize].quantile_ms(0.99),
    },
    Metric {
        name: "queued_p50_ms",
        description: "median latency of requests queued behind a start, ms",
        value: |m| m.by_path[ServedBy::Queued as usize].quantile_ms(0.5),
    },
    Metric {
        name: "queued_p99_ms",
        description: "p99 latency of requests queued behind a start, ms",
        value: |m| m.by_path[ServedBy::Queued as usize].quantile_ms(0.99),
    },
    Metric {
        name: "req1_p50_ms",
        description: "median latency of a DO's first request (the cold one), ms",
        value: |m| m.by_ordinal[OrdinalBucket::First as usize].quantile_ms(0.5),
    },
    Metric {
        name: "req1_delegated_fraction",
        description: "fraction of first requests delegated",
        value: |m| ratio(m.delegated_by_ordinal[0], m.by_ordinal[0].count()),
    },
    Metric {
        name: "req2to5_p50_ms",
        description: "median latency of requests 2-5 since the DO started, ms",
        value: |m| m.by_ordinal[OrdinalBucket::SecondToFifth as usize].quantile_ms(0.5),
    },
    Metric {
        name: "req2to5_delegated_fraction",
        description: "fraction of requests 2-5 delegated",
        value: |m| ratio(m.delegated_by_ordinal[1], m.by_ordinal[1].count()),
    },
    Metric {
        name: "req6plus_p50_ms",
        description: "median latency of requests 6 onwards, ms",
        value: |m| m.by_ordinal[OrdinalBucket::SixthOnward as usize].quantile_ms(0.5),
    },
    Metric {
        name: "req6plus_delegated_fraction",
        description: "fraction of requests 6 onwards delegated",
        value: |m| ratio(m.delegated_by_ordinal[2], m.by_ordinal[2].count()),
    },
    Metric {
        name: "loads_started",
        description: "PGLite loads begun",
        value: |m| m.loads_started as f64,
    },
    Metric {
        name: "loads_completed",
        description: "loads that reached ready",
        value: |m| m.loads_completed as f64,
    },
    Metric {
        name: "loads_failed",
        description: "loads that failed (compile blocked)",
        value: |m| m.loads_failed as f64,
    },
    Metric {
        name: "loads_aborted",
        description: "loads cut off by eviction",
        value: |m| m.loads_aborted as f64,
    },
    Metric {
        name: "load_time_mean_ms",
        description: "mean time from load begin to ready, ms",
        value: |m| m.load_time.mean_ms(),
    },
    Metric {
        name: "evictions",
        description: "DOs evicted after their idle timeout",
        value: |m| m.evictions as f64,
    },
    Metric {
        name: "evictions_pressure",
        description: "idle DOs evicted, least recently used first, to make room on a full host",
        value: |m| m.evictions_pressure as f64,
    },
    Metric {
        name: "host_waits",
        description: "requests that waited for memory on a full host (hosts.when_full = wait)",
        value: |m| m.host_waits as f64,
    },
    Metric {
        name: "requests_failed",
        description: "requests failed because their host was full (hosts.when_full = fail); they have no latency",
        value: |m| m.requests_failed as f64,
    },
    Metric {
        name: "host_overcommits",
        description: "starts that ran their host over its memory (hosts.when_full = overcommit)",
        value: |m| m.host_overcommits as f64,
    },
    Metric {
        name: "memory_mean_mb",
        description: "time-average fleet memory, MB (MiB)",
        value: |m| m.memory_kib.mean() / KIB_PER_MB,
    },
    Metric {
        name: "memory_peak_mb",
        description: "peak fleet memory, MB (MiB)",
        value: |m| m.memory_kib.peak() as f64 / KIB_PER_MB,
    },
    Metric {
        name: "memory_gb_s",
        description: "fleet memory integrated over the window, GB-s (GiB)",
        value: |m| m.memory_kib.integral() as f64 / (KIB_PER_MB * KIB_PER_MB * 1e9),
    },
    Metric {
        name: "resident_dos_mean",
        description: "time-average resident DOs",
        value: |m| m.resident.mean(),
    },
    Metric {
        name: "resident_dos_peak",
        description: "peak resident DOs",
        value: |m| m.resident.peak() as f64,
    },
    Metric {
        name: "compute_instances_mean",
        description: "time-average compute-worker instances",
        value: |m| m.compute_instances.mean(),
    },
    Metric {
        name: "compute_instances_peak",
        description: "peak compute-worker instances",
        value: |m| m.compute_instances.peak() as f64,
    },
    Metric {
        name: "compute_cold_starts",
        description: "delegated requests that started a compute-worker instance",
        value: |m| m.compute_cold_starts as f64,
    },
    Metric {
        name: "compute_requests",
        description: "requests delegated to the compute worker",
        value: |m| m.path_count(ServedBy::Delegated) as f64,
    },
    Metric {
        name: "r2_gets",
        description: "WASM fetches from R2 (lazy cache misses)",
        value: |m| m.r2_gets as f64,
    },
    Metric {
        name: "cache_hits",
        description: "lazy loads whose cache check found the WASM",
        value: |m| m.cache_hits as f64,
    },
    Metric {
        name: "local_cache_hits",
        description: "lazy loads served by the host's local cache (tiered caching)",
        value: |m| m.local_cache_hits as f64,
    },
    Metric {
        name: "regional_cache_hits",
        description: "lazy loads served by the regional cache (tiered caching)",
        value: |m| m.regional_cache_hits as f64,
    },
    Metric {
        name: "prewarms_started",
        description: "DOs started by prewarming",
        value: |m| m.prewarms_started as f64,
    },
    Metric {
        name: "prewarms_wasted",
        description: "prewarmed DOs evicted before any request",
        value: |m| m.prewarms_wasted as f64,
    },
    Metric {
        name: "prewarm_memory_gb_s",
        description: "memory held by prewarmed DOs before their first request, GB-s (GiB)",
        value: |m| m.prewarm_memory_kib.integral() as f64 / (KIB_PER_MB * KIB_PER_MB * 1e9),
    },
    Metric {
        name: "prewarm_pings",
        description: "requests or alarms that kept a resident DO from hibernating (prewarming)",
        value: |m| m.prewarm_pings as f64,
    },
    Metric {
        name: "smart_waits",
        description: "requests that waited for a load in progress (smart delegation)",
        value: |m| m.smart_waits as f64,
    },
    Metric {
        name: "extension_loads",
        description: "extension loads started (partial loading)",
        value: |m| m.extension_loads as f64,
    },
    Metric {
        name: "compute_queued",
        description: "delegated requests that waited for a compute-worker slot (max_instances)",
        value: |m| m.compute_queued as f64,
    },
    Metric { name: "do_gb_s_month", description: "DO duration billed per 30-day month at this rate, GB-s (128 MB per resident DO)", value: |m| m.cost.do_gb_s_month },
    Metric { name: "worker_cpu_ms_month", description: "compute-worker CPU time per month, ms", value: |m| m.cost.worker_cpu_ms_month },
    Metric { name: "requests_month", description: "client requests per month (each a DO request and a Workers request)", value: |m| m.cost.do_requests_month },
    Metric { name: "r2_class_b_month", description: "R2 Class B reads per month", value: |m| m.cost.r2_class_b_month },
    Metric { name: "cost_do_requests_usd_month", description: "DO requests' part of the monthly cost, USD ($0.15/M after 1 M)", value: |m| m.cost.do_requests_usd },
    Metric { name: "cost_do_duration_usd_month", description: "DO duration's part of the monthly cost, USD ($12.50/M GB-s after 400,000)", value: |m| m.cost.do_duration_usd },
    Metric { name: "cost_worker_requests_usd_month", description: "Workers requests' part of the monthly cost, USD ($0.30/M after 10 M)", value: |m| m.cost.worker_requests_usd },
    Metric { name: "cost_cpu_usd_month", description: "compute-worker CPU time's part of the monthly cost, USD ($0.02/M CPU-ms after 30 M; `compute.cpu_time` per request plus cold starts, see docs/model.md)", value: |m| m.cost.cpu_usd },
    Metric { name: "cost_r2_usd_month", description: "R2 Class B reads' part of the monthly cost, USD ($0.36/M after 10 M)", value: |m| m.cost.r2_usd },
    Metric { name: "cost_usd_month", description: "estimated Cloudflare cost per 30-day month at this rate, USD, after included usage ([pricing])", value: |m| m.cost.usd_month },
    Metric {
        name: "thread_wait_mean_ms",
        description: "mean time a request waited for its isolate's thread (behind CPU work: other DOs' and its own DO's load), ms",
        value: |m| if m.requests == 0 { f64::NAN } else { m.thread_wait_ns as f64 / m.requests as f64 / 1e6 },
    },
    Metric {
        name: "thread_waited_fraction",
        description: "waits for the isolate's thread longer than zero, per request",
        value: |m| ratio(m.thread_waits, m.requests),
    },
    Metric {
        name: "isolate_cpu_utilisation",
        description: "share of the window an isolate's thread ran CPU work, mean over isolates",
        value: |m| m.isolate_cpu_mean,
    },
    Metric {
        name: "isolate_cpu_utilisation_max",
        description: "share of the window the busiest isolate's thread ran CPU work",
        value: |m| m.isolate_cpu_max,
    },
    Metric {
        name: "isolate_resets",
        description: "isolates reset for exceeding isolate.memory_limit_mb (their DOs evicted)",
        value: |m| m.isolate_resets as f64,
    },
    Metric {
        name: "requests_failed_reset",
        description: "requests in flight that failed when their isolate was reset",
        value: |m| m.requests_failed_reset as f64,
    },
];

/// The metric values of one run, in [`METRICS`] order.
#[derive(Debug, Clone, PartialEq)]
pub struct RunSummary {
    pub values: Vec<f64>,
}

impl RunSummary {
    /// Computes every metric of a run.
    pub fn of(m: &RunMetrics) -> Self {
        Self {
            values: METRICS.iter().map(|metric| (metric.value)(m)).collect(),
        }
    }

    /// A metric by name.
    pub fn get(&self, name: &str) -> Option<f64> {
        METRICS
            .iter()
            .position(|m| m.name == name)
            .and_then(|i| self.values.get(i).copied())
    }
}
