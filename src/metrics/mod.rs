//! What one run measures, and the summary rows made from it.
//!
//! Counts and latencies cover the requests that arrive in the measurement
//! window `[warmup, duration)`; time-weighted levels (memory, resident DOs,
//! compute instances) are averaged over the same window. Every latency is
//! what the client sees: the client round trip plus the time from the
//! request's arrival at its DO to its response leaving the DO.

mod cost;
mod latency;
mod latency_grid;
mod summary;
mod time_weighted;

pub use cost::{Cost, Pricing};
pub use latency::LatencyHistogram;
pub use latency_grid::{BucketCounts, LatencyGrid};
pub use summary::{Metric, RunSummary, METRICS};
pub use time_weighted::TimeWeighted;

use crate::architectures::FetchSource as WasmSource;
use crate::time::Nanos;

/// The cells of a run's load-time counts ([`RunMetrics::record_load`]), by
/// where the WASM came from.
const LOAD_CACHE_HIT: usize = 0;
const LOAD_R2: usize = 1;
const LOAD_OTHER: usize = 2;

/// The measurement window `[from, to)` (`[warmup, duration)`): counts and
/// latencies cover the requests that arrive in it, and the loads and DOs
/// that begin in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub from: Nanos,
    pub to: Nanos,
}

impl Window {
    /// Whether `t` falls in the window.
    #[inline]
    pub fn contains(&self, t: Nanos) -> bool {
        t >= self.from && t < self.to
    }
}

/// Where a request was executed (the `path` columns).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServedBy {
    /// Locally, on a DO whose runtime was ready when the request arrived.
    Local = 0,
    /// At the compute worker.
    Delegated = 1,
    /// Locally, after waiting for the DO's start and load (traditional).
    Queued = 2,
}

/// The former name of [`ServedBy`], kept while `report/` moves to the new
/// one (it shadowed `std::path::Path`).
pub type Path = ServedBy;

impl ServedBy {
    /// All paths, in column order.
    pub const ALL: [ServedBy; 3] = [ServedBy::Local, ServedBy::Delegated, ServedBy::Queued];

    /// The CSV name.
    pub fn name(self) -> &'static str {
        match self {
            ServedBy::Local => "local",
            ServedBy::Delegated => "delegated",
            ServedBy::Queued => "queued",
        }
    }
}

/// The seed's request-ordinal buckets ("Expected Request Latency"): the
/// request that started the DO, requests 2 to 5, and 6 onwards.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrdinalBucket {
    First = 0,
    SecondToFifth = 1,
    SixthOnward = 2,
}

impl OrdinalBucket {
    /// All buckets, in order.
    pub const ALL: [OrdinalBucket; 3] = [
        OrdinalBucket::First,
        OrdinalBucket::SecondToFifth,
        OrdinalBucket::SixthOnward,
    ];

    /// The bucket of a request ordinal (1-based).
    #[inline]
    pub fn of(ordinal: u32) -> OrdinalBucket {
        match ordinal {
            0 | 1 => OrdinalBucket::First,
            2..=5 => OrdinalBucket::SecondToFifth,
            _ => OrdinalBucket::SixthOnward,
        }
    }

    /// The seed's label.
    pub fn label(self) -> &'static str {
        match self {
            OrdinalBucket::First => "1",
            OrdinalBucket::SecondToFifth => "2-5",
            OrdinalBucket::SixthOnward => "6+",
        }
    }

    /// The CSV column prefix.
    pub fn column(self) -> &'static str {
        match self {
            OrdinalBucket::First => "req1",
            OrdinalBucket::SecondToFifth => "req2to5",
            OrdinalBucket::SixthOnward => "req6plus",
        }
    }
}

/// Everything one run measures.
#[derive(Debug, Clone)]
pub struct RunMetrics {
    /// Requests in the window.
    pub requests: u64,
    /// Requests that found their DO evicted and started it.
    pub cold_starts: u64,
    /// Latency of every request.
    pub latency: LatencyHistogram,
    /// Latency by [`ServedBy`].
    pub by_path: [LatencyHistogram; 3],
    /// Latency by [`OrdinalBucket`].
    pub by_ordinal: [LatencyHistogram; 3],
    /// Delegated requests by [`OrdinalBucket`].
    pub delegated_by_ordinal: [u64; 3],
    /// Loads begun, finished ready, failed, and cut off by eviction.
    pub loads_started: u64,
    pub loads_completed: u64,
    pub loads_failed: u64,
    pub loads_aborted: u64,
    /// Load durations (begin to ready) of completed loads, and of those
    /// whose WASM came from the cache or from R2 (lazy).
    pub load_time: LatencyHistogram,
    pub load_time_cache_hit: LatencyHistogram,
    pub load_time_r2: LatencyHistogram,
    /// DOs evicted for idleness.
    pub evictions: u64,
    /// Idle DOs evicted to make room for a start on a full host.
    pub evictions_pressure: u64,
    /// Requests that waited for memory on a full host (`when_full = "wait"`).
    pub host_waits: u64,
    /// Requests failed because their host was full (`when_full = "fail"`).
    pub requests_failed: u64,
    /// Starts that ran a host over its memory (`when_full = "overcommit"`).
    pub host_overcommits: u64,
    /// Lazy loads whose cache check hit, and R2 GETs after a miss.
    pub cache_hits: u64,
    pub r2_gets: u64,
    /// Fleet memory in KiB.
    pub memory_kib: TimeWeighted,
    /// Resident DOs.
    pub resident: TimeWeighted,
    /// Compute-worker instances.
    pub compute_instances: TimeWeighted,
    /// Delegated requests that started a compute-worker instance.
    pub compute_cold_starts: u64,
    /// Lazy loads served by the tiered caches' local and regional tiers.
    pub local_cache_hits: u64,
    pub regional_cache_hits: u64,
    /// Prewarming: DOs started, those evicted before any request, and the
    /// memory they held until their first request (or eviction).
    pub prewarms_started: u64,
    pub prewarms_wasted: u64,
    pub prewarm_memory_kib: TimeWeighted,
    /// Prewarming: requests or alarms that kept a resident DO from
    /// hibernating (each a billed DO request).
    pub prewarm_pings: u64,
    /// Smart delegation: requests that waited for a load in progress.
    pub smart_waits: u64,
    /// Partial loading: extension loads started.
    pub extension_loads: u64,
    /// Delegated requests that waited for a compute-worker slot.
    pub compute_queued: u64,
    /// Compute-worker CPU time (each request's `compute.cpu_time`, clamped
    /// to its execution, and cold starts), nanoseconds.
    pub compute_cpu_ns: u128,
    /// Isolate model: time requests waited for their isolate's thread
    /// (ns), and how many waits were longer than zero.
    pub thread_wait_ns: u128,
    pub thread_waits: u64,
    /// Isolate model: CPU utilisation over the window, the mean over
    /// isolates and the busiest isolate's (set when the run ends).
    pub isolate_cpu_mean: f64,
    pub isolate_cpu_max: f64,
    /// Isolate model: isolates reset for exceeding their memory limit, and
    /// the requests in flight that failed with them.
    pub isolate_resets: u64,
    pub requests_failed_reset: u64,
    /// The run's usage priced per month (set when the run ends).
    pub cost: Cost,
    /// Simulated span of the window, in nanoseconds.
    pub window: Nanos,
}

impl RunMetrics {
    /// Empty metrics for the window `[from, to)`.
    pub fn new(from: Nanos, to: Nanos) -> Self {
        Self {
            requests: 0,
            cold_starts: 0,
            latency: LatencyHistogram::new(),
            by_path: Default::default(),
            by_ordinal: Default::default(),
            delegated_by_ordinal: [0; 3],
            loads_started: 0,
            loads_completed: 0,
            loads_failed: 0,
            loads_aborted: 0,
            load_time: LatencyHistogram::new(),
            load_time_cache_hit: LatencyHistogram::new(),
            load_time_r2: LatencyHistogram::new(),
            evictions: 0,
            evictions_pressure: 0,
            host_waits: 0,
            requests_failed: 0,
            host_overcommits: 0,
            cache_hits: 0,
            r2_gets: 0,
            memory_kib: TimeWeighted::new(from, to),
            resident: TimeWeighted::new(from, to),
            compute_instances: TimeWeighted::new(from, to),
            compute_cold_starts: 0,
            local_cache_hits: 0,
            regional_cache_hits: 0,
            prewarms_started: 0,
            prewarms_wasted: 0,
            prewarm_memory_kib: TimeWeighted::new(from, to),
            prewarm_pings: 0,
            smart_waits: 0,
            extension_loads: 0,
            compute_queued: 0,
            compute_cpu_ns: 0,
            thread_wait_ns: 0,
            thread_waits: 0,
            isolate_cpu_mean: 0.0,
            isolate_cpu_max: 0.0,
            isolate_resets: 0,
            requests_failed_reset: 0,
            cost: Cost::default(),
            window: to.saturating_sub(from),
        }
    }

    /// Counts one request of the window; its latency goes to a
    /// [`LatencyGrid`], added here by [`add_latencies`](Self::add_latencies)
    /// when the run ends.
    #[inline]
    pub fn count_request(&mut self, path: ServedBy, bucket: OrdinalBucket) {
        self.requests += 1;
        if path == ServedBy::Delegated {
            self.delegated_by_ordinal[bucket as usize] += 1;
        }
    }

    /// Adds a grid's latencies to the overall, by-path and by-ordinal
    /// histograms (exactly: bucket counts add).
    pub fn add_latencies(&mut self, grid: &LatencyGrid) {
        for path in ServedBy::ALL {
            for bucket in OrdinalBucket::ALL {
                let cell = grid.cell(path, bucket);
                self.latency.merge(&cell);
                self.by_path[path as usize].merge(&cell);
                self.by_ordinal[bucket as usize].merge(&cell);
            }
        }
    }

    /// Empty load-time counts for [`Self::record_load`].
    pub fn load_counts() -> BucketCounts {
        BucketCounts::new(3)
    }

    /// Records a completed load's duration in `loads` (from
    /// [`Self::load_counts`]), added here by [`Self::add_load_times`] when
    /// the run ends (counting is cheaper than recording each: see
    /// [`BucketCounts`]).
    #[inline]
    pub fn record_load(&mut self, loads: &mut BucketCounts, duration: Nanos, source: WasmSource) {
        self.loads_completed += 1;
        let cell = if source.is_cache() {
            LOAD_CACHE_HIT
        } else if source.is_r2() {
            LOAD_R2
        } else {
            LOAD_OTHER
        };
        loads.record(cell, duration);
    }

    /// Adds the load times of [`Self::record_load`].
    pub fn add_load_times(&mut self, loads: &BucketCounts) {
        for cell in [LOAD_CACHE_HIT, LOAD_R2, LOAD_OTHER] {
            let h = loads.histogram(cell);
            self.load_time.merge(&h);
            match cell {
                LOAD_CACHE_HIT => self.load_time_cache_hit.merge(&h),
                LOAD_R2 => self.load_time_r2.merge(&h),
                _ => {}
            }
        }
    }

    /// Counts where a lazy load's WASM fetch was served from.
    pub fn record_fetch(&mut self, source: WasmSource) {
        match source {
            WasmSource::CacheHit => self.cache_hits += 1,
            WasmSource::LocalCache => {
                self.cache_hits += 1;
                self.local_cache_hits += 1;
            }
            WasmSource::RegionalCache => {
                self.cache_hits += 1;
                self.regional_cache_hits += 1;
            }
            WasmSource::R2 => self.r2_gets += 1,
            WasmSource::Bundle => {}
        }
    }

    /// Cold starts per request (NaN without requests).
    pub fn cold_start_fraction(&self) -> f64 {
        if self.requests == 0 {
            f64::NAN
        } else {
            self.cold_starts as f64 / self.requests as f64
        }
    }

    /// Requests by path.
    pub fn path_count(&self, path: ServedBy) -> u64 {
        self.by_path[path as usize].count()
    }
}
