//! What an experiment will cost before it runs: requests, events in
//! flight, runs, memory and time, and the checks that refuse what cannot
//! fit or could make time wrap (issue 21, item 2).
//!
//! Invariants: the estimate reads only the configurations (it never builds
//! the list of runs, which for a huge sweep is itself too large); every
//! refusal names the key that drives it; a figure is an upper estimate
//! where the model is uncertain (the mean time of a request is the sum of
//! the means of every phase, whether a request passes through it or not).
//! The constants are measured (docs/reliability.md gives the commands).

use crate::dist::Dist;
use crate::fleet::WhenFull;
use crate::policies::{Policy, Predictor};
use crate::simulation::Config;
use crate::time::{to_secs, Nanos, SECOND};
use crate::workload::Arrivals;

use super::Experiment;

/// Simulated requests per second on one thread, measured on the default
/// experiment (`dofleet --threads 1`, busy machine: 2.3 M/s) and rounded
/// down.
pub const REQUESTS_PER_SECOND: f64 = 2.0e6;
/// Fixed cost of one run (set-up, its record written), seconds: 2000
/// one-second runs of 5 requests took 17.5 s on 2 threads.
pub const RUN_SECONDS: f64 = 0.017;
/// Memory of one run's record kept until the aggregates are written
/// (2000 such runs: 1.07 GB peak).
pub const RECORD_BYTES: f64 = 530e3;
/// Memory of a run beside its fleet (histograms, queues, code).
pub const RUN_BASE_BYTES: f64 = 16e6;
/// Memory per tenant a run touches (2M tenants, all touched: +73 MB per
/// million), rounded up.
pub const TENANT_BYTES: f64 = 128.0;
/// Memory per host, allocated at the start of every run (10^6 hosts:
/// +79 MB), rounded up.
pub const HOST_BYTES: f64 = 96.0;
/// Memory per request in flight (an event, its request state).
pub const IN_FLIGHT_BYTES: f64 = 512.0;
/// Work beyond this many seconds is refused unless the user goes on
/// (`--yes`).
pub const WARN_SECONDS: f64 = 3600.0;
/// The most total expected time a run may sum: half of u64 nanoseconds.
const MAX_TOTAL_WORK: f64 = (u64::MAX / 2) as f64;

/// The estimate of an experiment.
#[derive(Debug, Clone, PartialEq)]
pub struct Estimate {
    /// Runs in all.
    pub runs: f64,
    /// Requests over all runs.
    pub requests: f64,
    /// The most requests in flight in one run (Little's law).
    pub peak_in_flight: f64,
    /// Peak memory, bytes: the runs in progress at once plus the records.
    pub memory_bytes: f64,
    /// The key that contributes most to the memory.
    pub memory_key: &'static str,
    /// Wall time, seconds, on the threads given.
    pub seconds: f64,
    /// The key that contributes most to the time.
    pub time_key: &'static str,
}

/// Why an experiment is refused before it runs.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{0}")]
pub struct EstimateError(pub String);

/// The distributions a request's time is made of, with their keys.
fn timed(config: &Config) -> [(&'static str, &Dist); 16] {
    let p = &config.phases;
    let c = &config.compute;
    let t = &config.policies.tiered_cache;
    [
        ("query_exec", &config.query_exec),
        ("network.client_rtt", &config.network.client_rtt),
        ("phases.isolate_start", &p.isolate_start),
        ("phases.isolate_start_bundled", &p.isolate_start_bundled),
        ("phases.cache_check", &p.cache_check),
        ("phases.r2_fetch", &p.r2_fetch),
        ("phases.data_read", &p.data_read),
        ("phases.wasm_compile", &p.wasm_compile),
        ("phases.pglite_init", &p.pglite_init),
        ("phases.loader_isolate_start", &p.loader_isolate_start),
        ("phases.loader_compile", &p.loader_compile),
        ("compute.rtt", &c.rtt),
        ("compute.cold_start", &c.cold_start),
        ("compute.exec", &c.exec),
        ("tiered_cache.local_hit", &t.local_hit),
        ("tiered_cache.regional_hit", &t.regional_hit),
    ]
}

/// One run of a configuration.
struct RunCost {
    requests: f64,
    /// Work units beside requests (MMPP changes of state, prewarm ticks).
    extra_work: f64,
    extra_key: &'static str,
    memory: f64,
    memory_key: &'static str,
    in_flight: f64,
}

fn run_cost(config: &Config) -> RunCost {
    let w = &config.workload;
    let secs = to_secs(config.duration);
    let mut extra_work = 0.0;
    let mut extra_key = "workload.rate_rps";
    let requests = match w.arrivals {
        Arrivals::Poisson | Arrivals::Diurnal => w.rate_rps * secs,
        Arrivals::Mmpp => {
            let states = &w.mmpp.states;
            let total: f64 = states.iter().map(|s| s.mean_sojourn as f64).sum();
            let weighted: f64 = states
                .iter()
                .map(|s| s.rate_rps * s.mean_sojourn as f64)
                .sum();
            // One change of state per mean sojourn, on average.
            extra_work += states.len() as f64 * config.duration as f64 / total.max(1.0);
            extra_key = "workload.mmpp.states";
            weighted / total.max(1.0) * secs
        }
        Arrivals::Trace => w.trace.index.as_ref().map_or(0.0, |i| i.requests() as f64),
    };
    let prewarm = &config.policies.prewarm;
    if config.policies.enabled.has(Policy::Prewarm) && prewarm.predictor == Predictor::TopK {
        let ticks = config.duration as f64 / prewarm.interval.max(1) as f64;
        let work = ticks * (1.0 + prewarm.top_k as f64);
        if work > extra_work {
            extra_key = "prewarm.interval";
        }
        extra_work += work;
    }
    let request_time: f64 = timed(config).iter().map(|(_, d)| d.mean()).sum();
    let rate = requests / secs.max(1e-9);
    let in_flight = (rate * request_time / SECOND as f64).min(requests);
    let tenants = (w.tenants as f64).min(requests.max(1.0));
    let parts = [
        (RUN_BASE_BYTES, "duration"),
        (tenants * TENANT_BYTES, "workload.tenants"),
        (config.hosts.count as f64 * HOST_BYTES, "hosts.count"),
        (in_flight * IN_FLIGHT_BYTES, "workload.rate_rps"),
    ];
    let (_, memory_key) = parts
        .iter()
        .copied()
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .unwrap_or((0.0, "duration"));
    RunCost {
        requests,
        extra_work,
        extra_key,
        memory: parts.iter().map(|p| p.0).sum(),
        memory_key,
        in_flight,
    }
}

/// Refuses a configuration whose simulated time could wrap. Every
/// instant is the run's length plus the backlog of the busiest queue plus
/// one chain of phases; a queue's backlog grows by at most `rho - 1`
/// seconds a second, where `rho` is its offered load: the busiest DO's
/// (its share of the peak rate times the mean `query_exec`, which holds
/// the DO's execution slot) or the compute pool's (the rate times the
/// mean `compute.exec`, over `compute.max_instances`) or, with hosts that
/// make starts wait for memory, the busiest host's: waiting starts are
/// admitted as the DOs there go quiet, so its backlog is the DOs' busy
/// time, at most every request's `query_exec` and whole chain of phases,
/// and, since tenants are hashed to hosts, all of them may land on one host
/// holding as few DOs as the largest architecture allows. The bound,
/// `duration x (1 + rho) + the sum of every phase's mean`, must stay below
/// half of u64 nanoseconds.
pub fn check_time_range(config: &Config) -> Result<(), EstimateError> {
    let w = &config.workload;
    let peak_rate = match w.arrivals {
        Arrivals::Poisson => w.rate_rps,
        Arrivals::Diurnal => w.rate_rps * (1.0 + w.diurnal.amplitude),
        Arrivals::Mmpp => w.mmpp.states.iter().map(|s| s.rate_rps).fold(0.0, f64::max),
        // A trace's rate over its span, all to one tenant (unknown: the worst).
        Arrivals::Trace => run_cost(config).requests / to_secs(config.duration).max(1e-9),
    };
    let share = match w.arrivals {
        Arrivals::Trace => 1.0,
        _ => busiest_share(w.tenants, w.zipf_s),
    };
    let do_load = peak_rate * share * config.query_exec.mean() / SECOND as f64;
    let compute_load = if config.compute.max_instances == 0 {
        0.0
    } else {
        peak_rate * config.compute.exec.mean() / SECOND as f64 / config.compute.max_instances as f64
    };
    let chain: f64 = timed(config).iter().map(|(_, d)| d.mean()).sum();
    let host_load = host_wait_load(config, peak_rate, chain);
    let (rho, key) = [
        (do_load, "query_exec"),
        (compute_load, "compute.exec"),
        (host_load, "hosts.memory_mb"),
    ]
    .into_iter()
    .fold((0.0, "query_exec"), |best, load| {
        if load.0 > best.0 {
            load
        } else {
            best
        }
    });
    let bound = config.duration as f64 * (1.0 + rho) + chain;
    if bound <= MAX_TOTAL_WORK {
        return Ok(());
    }
    let (queue, remedy) = if key == "hosts.memory_mb" {
        (
            "one host's DO slots, starts waiting for memory (`hosts.when_full = \"wait\"`), are",
            "raise `hosts.memory_mb`, choose another `hosts.when_full`, or lower the rate or the run"
                .to_string(),
        )
    } else {
        (
            "the busiest queue is",
            format!("shorten `{key}`, the rate or the run"),
        )
    };
    Err(EstimateError(format!(
        "`{key}`: {queue} offered {rho:.3e} seconds of work a second \
         (workload.rate_rps x its mean), so over `duration` its backlog reaches {bound:.3e} ns, \
         more than half of u64 nanoseconds ({MAX_TOTAL_WORK:.3e} ns, about 292 years): \
         simulated time could wrap; {remedy}"
    )))
}

/// The work offered per second to one host's DO slots when starts wait for
/// host memory (0 otherwise): every request's `query_exec` and chain of
/// phases (`chain`, ns) over the DOs the host holds of the largest
/// architecture.
fn host_wait_load(config: &Config, peak_rate: f64, chain: f64) -> f64 {
    let hosts = &config.hosts;
    if hosts.count == 0 || hosts.when_full != WhenFull::Wait {
        return 0.0;
    }
    let largest = config
        .architectures
        .iter()
        .map(|v| v.architecture.footprint(&config.memory).max_mb())
        .fold(0.0, f64::max);
    let slots = if largest > 0.0 {
        (hosts.memory_mb / largest).floor().max(1.0)
    } else {
        1.0
    };
    peak_rate * (config.query_exec.mean() + chain) / SECOND as f64 / slots
}

/// An upper bound on the busiest tenant's share of the requests under
/// Zipf(`s`) over `tenants`: `1 / H(n, s)`, with `H` bounded below by its
/// first 10^4 terms and the integral of the rest.
fn busiest_share(tenants: u64, s: f64) -> f64 {
    const EXACT: u64 = 10_000;
    let n = tenants.max(1);
    let m = n.min(EXACT);
    let mut h: f64 = (1..=m).rev().map(|k| (k as f64).powf(-s)).sum();
    if n > m {
        let (a, b) = ((m + 1) as f64, (n + 1) as f64);
        h += if (s - 1.0).abs() < 1e-12 {
            (b / a).ln()
        } else {
            (b.powf(1.0 - s) - a.powf(1.0 - s)) / (1.0 - s)
        };
    }
    1.0 / h
}

impl Experiment {
    /// Estimates the experiment on `threads` threads (0: one per core).
    pub fn estimate(&self, threads: usize) -> Estimate {
        let threads = if threads == 0 {
            std::thread::available_parallelism().map_or(1, |n| n.get())
        } else {
            threads
        } as f64;
        let mut e = Estimate {
            runs: 0.0,
            requests: 0.0,
            peak_in_flight: 0.0,
            memory_bytes: 0.0,
            memory_key: "duration",
            seconds: 0.0,
            time_key: "duration",
        };
        let mut peak_run = 0.0f64;
        let (mut request_work, mut extra_work, mut extra_key) = (0.0, 0.0, "duration");
        for point in &self.points {
            let config = &point.config;
            let runs = config.architectures.len() as f64 * f64::from(config.replications);
            let cost = run_cost(config);
            e.runs += runs;
            e.requests += runs * cost.requests;
            request_work += runs * cost.requests;
            if runs * cost.extra_work > extra_work {
                extra_key = cost.extra_key;
            }
            extra_work += runs * cost.extra_work;
            e.peak_in_flight = e.peak_in_flight.max(cost.in_flight);
            if cost.memory > peak_run {
                peak_run = cost.memory;
                e.memory_key = cost.memory_key;
            }
        }
        let at_once = threads.min(e.runs).max(1.0);
        let records = e.runs * (RECORD_BYTES + 32.0);
        e.memory_bytes = at_once * peak_run + records;
        if records > at_once * peak_run {
            e.memory_key = "replications";
        }
        let run_overhead = e.runs * RUN_SECONDS;
        e.seconds =
            (request_work / REQUESTS_PER_SECOND + extra_work / REQUESTS_PER_SECOND + run_overhead)
                / at_once;
        e.time_key = if run_overhead >= request_work.max(extra_work) / REQUESTS_PER_SECOND {
            "replications"
        } else if extra_work > request_work {
            extra_key
        } else {
            "workload.rate_rps"
        };
        e
    }

    /// Checks the experiment before it runs on `threads` threads: refuses
    /// what could make time wrap, or what needs more memory than
    /// `memory_bytes` (the machine's), and, unless `go_on`, what is
    /// expected to take more than [`WARN_SECONDS`].
    pub fn check_resources(
        &self,
        threads: usize,
        memory_bytes: f64,
        go_on: bool,
    ) -> Result<Estimate, EstimateError> {
        for point in &self.points {
            check_time_range(&point.config)?;
        }
        let e = self.estimate(threads);
        if e.memory_bytes > memory_bytes {
            return Err(EstimateError(format!(
                "this experiment needs about {} of memory ({}), more than this machine's {}; \
                 `{}` drives it: reduce it (or split the runs with --shard)",
                bytes(e.memory_bytes),
                e.describe(),
                bytes(memory_bytes),
                e.memory_key
            )));
        }
        if e.seconds > WARN_SECONDS && !go_on {
            return Err(EstimateError(format!(
                "this experiment is expected to take about {} ({}, at {:.0e} simulated requests \
                 per second per thread); `{}` drives it. Pass --yes to run it anyway",
                duration_text(e.seconds),
                e.describe(),
                REQUESTS_PER_SECOND,
                e.time_key
            )));
        }
        Ok(e)
    }

    /// The runs a check can afford to list: [`Experiment::runs`] after
    /// [`Experiment::check_resources`].
    pub fn run_count(&self) -> u64 {
        self.points
            .iter()
            .map(|p| p.config.architectures.len() as u64 * u64::from(p.config.replications))
            .sum()
    }
}

/// What a check before running may use: the machine's memory, and whether
/// work expected to take more than [`WARN_SECONDS`] goes on (`--yes`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limits {
    pub memory_bytes: f64,
    pub go_on: bool,
}

/// Checks experiments that run one after another (the base and every
/// variant of a sensitivity analysis): each one as
/// [`Experiment::check_resources`] checks it (time ranges, memory: one of
/// them runs at a time), and their expected times added up against
/// [`WARN_SECONDS`]. `what` names the whole in the message.
pub fn check_in_turn(
    experiments: &[&Experiment],
    threads: usize,
    limits: Limits,
    what: &str,
) -> Result<(), EstimateError> {
    let mut seconds = 0.0;
    let mut runs = 0.0;
    let mut slowest: Option<Estimate> = None;
    for e in experiments {
        let estimate = e.check_resources(threads, limits.memory_bytes, true)?;
        seconds += estimate.seconds;
        runs += estimate.runs;
        if slowest
            .as_ref()
            .is_none_or(|s| estimate.seconds > s.seconds)
        {
            slowest = Some(estimate);
        }
    }
    match slowest {
        Some(slowest) if seconds > WARN_SECONDS && !limits.go_on => Err(EstimateError(format!(
            "{what} runs the experiment {} times ({runs:.0} runs) and is expected to take about {} \
             (the longest: {}); `{}` drives it. Pass --yes to run it anyway",
            experiments.len(),
            duration_text(seconds),
            slowest.describe(),
            slowest.time_key
        ))),
        _ => Ok(()),
    }
}

impl Estimate {
    /// `1.2e9 requests in 500 runs, up to 3.4e4 requests in flight`.
    pub fn describe(&self) -> String {
        format!(
            "{:.2e} requests in {:.0} runs, up to {:.2e} requests in flight in a run",
            self.requests, self.runs, self.peak_in_flight
        )
    }
}

/// The memory of this machine (`MemTotal`), bytes; 8 GiB when unknown.
pub fn machine_memory() -> f64 {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|text| {
            let line = text.lines().find(|l| l.starts_with("MemTotal:"))?;
            let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
            Some(kib * 1024.0)
        })
        .unwrap_or(8.0 * 1024.0 * 1024.0 * 1024.0)
}

fn bytes(b: f64) -> String {
    if b >= 1e12 {
        format!("{:.1} TB", b / 1e12)
    } else if b >= 1e9 {
        format!("{:.1} GB", b / 1e9)
    } else {
        format!("{:.0} MB", b / 1e6)
    }
}

fn duration_text(secs: f64) -> String {
    let nanos = (secs * SECOND as f64).min(u64::MAX as f64) as Nanos;
    if secs >= 86_400.0 * 365.0 {
        format!("{:.1} years", secs / (86_400.0 * 365.0))
    } else if secs >= 86_400.0 {
        format!("{:.1} days", secs / 86_400.0)
    } else if secs >= 3600.0 {
        format!("{:.1} hours", secs / 3600.0)
    } else {
        crate::time::format_duration(nanos)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::experiment::config::{load, set_layer, Source};

    fn config(sets: &[&str]) -> Config {
        let mut layers: Vec<Source> = crate::experiment::config::default_layers();
        for s in sets {
            layers.push(set_layer(s).unwrap());
        }
        load(&layers).unwrap()
    }

    #[test]
    fn requests_are_rate_times_duration_and_mmpp_its_mean_rate() {
        let c = config(&["duration=1h", "workload.rate_rps=100"]);
        assert!((run_cost(&c).requests - 360_000.0).abs() < 1e-6);
        // The default MMPP: 9 min at 50/s, 1 min at 550/s: a mean of 100/s.
        let m = config(&["duration=1h", "workload.arrivals=mmpp"]);
        let cost = run_cost(&m);
        assert!(
            (cost.requests - 360_000.0).abs() < 1e-6,
            "{}",
            cost.requests
        );
        // Two changes of state per 10 minutes.
        assert!((cost.extra_work - 12.0).abs() < 1e-9, "{}", cost.extra_work);
    }

    #[test]
    fn memory_counts_hosts_tenants_and_records() {
        let base = Experiment::single("t", config(&["duration=5s"]));
        let hosts = Experiment::single(
            "t",
            config(&[
                "duration=5s",
                "hosts.count=100000000",
                "hosts.memory_mb=100000",
            ]),
        );
        let (a, b) = (base.estimate(2), hosts.estimate(2));
        let runs = base.run_count() as f64;
        // Two runs at once, each with 10^8 hosts.
        let want = 2.0 * 1e8 * HOST_BYTES;
        assert!((b.memory_bytes - a.memory_bytes - want).abs() < 0.01 * want);
        assert_eq!(b.memory_key, "hosts.count");
        assert!(a.memory_bytes >= runs * RECORD_BYTES);
        let err = hosts.check_resources(2, 16e9, true).unwrap_err().0;
        assert!(err.contains("`hosts.count`"), "{err}");
    }

    #[test]
    fn time_is_requests_over_the_measured_rate() {
        let e = Experiment::single("t", config(&["duration=1000d", "workload.rate_rps=1000"]));
        let est = e.estimate(1);
        let requests = 1000.0 * 1000.0 * 86_400.0 * e.run_count() as f64;
        assert!((est.requests - requests).abs() < 1e-6 * requests);
        let want = requests / REQUESTS_PER_SECOND + e.run_count() as f64 * RUN_SECONDS;
        assert!((est.seconds - want).abs() < 1e-9 * want);
        let err = e.check_resources(1, 1e15, false).unwrap_err().0;
        assert!(
            err.contains("--yes") && err.contains("workload.rate_rps"),
            "{err}"
        );
        assert!(e.check_resources(1, 1e15, true).is_ok());
    }

    #[test]
    fn the_busiest_share_bounds_the_exact_zipf_probability() {
        for (n, s) in [
            (1u64, 1.0),
            (20, 1.0),
            (20_000, 1.0),
            (50_000, 0.5),
            (30_000, 0.0),
        ] {
            let exact = 1.0 / crate::workload::generalized_harmonic(n, s);
            let bound = busiest_share(n, s);
            assert!(
                bound >= exact && bound < exact * 1.001,
                "{n} {s}: {bound} vs {exact}"
            );
        }
    }

    #[test]
    fn a_long_query_over_many_requests_could_wrap_and_is_refused() {
        let c = config(&["duration=1h", "query_exec=1000d"]);
        let err = check_time_range(&c).unwrap_err().0;
        assert!(err.starts_with("`query_exec`"), "{err}");
        assert!(check_time_range(&config(&[
            "duration=5s",
            "workload.rate_rps=5",
            "query_exec=1000d"
        ]))
        .is_ok());
        assert!(check_time_range(&config(&[])).is_ok());
    }

    #[test]
    fn a_host_memory_wait_backlog_that_could_wrap_is_refused() {
        // 1000 days at 100 requests/s, starts waiting for 128 MB hosts that
        // hold one DO each: ~2 s of busy time per request on one slot is a
        // backlog of about 200 seconds a second, 1.7e19 ns over the run.
        let waiting = [
            "duration=1000d",
            "workload.rate_rps=100",
            "hosts.count=1000",
            "hosts.memory_mb=128",
            "hosts.when_full=\"wait\"",
        ];
        let err = check_time_range(&config(&waiting)).unwrap_err().0;
        assert!(err.starts_with("`hosts.memory_mb`"), "{err}");
        // Failing or overcommitting instead, nothing waits.
        for rule in ["fail", "overcommit"] {
            let mut other = waiting.to_vec();
            let set = format!("hosts.when_full=\"{rule}\"");
            other[4] = &set;
            assert!(check_time_range(&config(&other)).is_ok(), "{rule}");
        }
        // A day of it is far from wrapping.
        let mut day = waiting.to_vec();
        day[0] = "duration=1d";
        assert!(check_time_range(&config(&day)).is_ok());
    }
}
