//! One simulation run: a fleet of DOs under one architecture, driven by the
//! workload, measured into [`RunMetrics`].
//!
//! The loop ([`Simulation::run`]) takes, at each step, the earliest of three
//! sources: the next arrival (kept outside the heap, with a sequence number
//! from the same counter), the event queue, and the idle-eviction queue.
//! Arrivals and events are ordered by `(time, sequence)`; an eviction due at
//! time `t` happens after every arrival and event at `t`, so a request
//! arriving exactly at the end of an idle timeout still finds its DO.
//!
//! The concepts, one file each: a request's path from arrival to response
//! ([`request`]: the architecture's route, refined by the policies), the
//! compute worker ([`delegation`]), a DO's life from start to eviction and
//! the events of a run ([`lifecycle`]), the hosts' memory
//! ([`host_memory`]), and the arrivals drawn ahead ([`arrivals`]). The loop
//! calls the policies' hooks ([`crate::policies::Enabled`]) and never
//! names a policy.
//!
//! Invariants (tested): every request gets exactly one latency; the fleet's
//! memory is the sum over resident DOs of their memory and returns to zero
//! once every DO is evicted; no event fires before the time it was
//! scheduled at.

mod arrivals;
mod config;
mod delegation;
mod events;
mod host_memory;
mod isolate_memory;
mod lifecycle;
mod observer;
mod request;
mod stop;
mod threads;

use std::collections::VecDeque;

use crate::architectures::{ArchitectureVariant, LoadShape, Traits};
use crate::engine::{stream, EventQueue, SimRng};
use crate::fleet::{
    fleet_states, recycle_states, ComputePool, ExpiryQueue, HostFleet, IsolateMemory, States,
    Threads,
};
use crate::metrics::{BucketCounts, Cost, LatencyGrid, RunMetrics, Window};
use crate::policies::{Enabled, Setup, NO_TENANT};
use crate::time::Nanos;
use crate::workload::{Arrival, ArrivalSource};
use arrivals::{Lookahead, LOOKAHEAD, LOOKAHEAD_FROM_TENANTS};
pub use config::Config;
pub use events::Event;
use lifecycle::MemoryModel;
pub use observer::{NoObserver, Observer, RequestRecord};
pub use stop::{request_stop, stop_requested};
pub use threads::{cpu_part, CpuPart};

/// Which run this is, for its random streams: the experiment's seed and the
/// replication. Neither the architecture, nor the policies, nor the sweep
/// point are part of it: every run of a replication draws from the same
/// streams (common random numbers), so differences between architectures,
/// policy sets and neighbouring sweep points are not masked by different
/// traffic, and their paired differences have tight confidence intervals.
/// Replications are independent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RunIdentity {
    pub seed: u64,
    pub replication: u64,
}

/// What a run produced, with the checks its invariants need.
#[derive(Debug, Clone)]
pub struct RunOutcome {
    pub metrics: RunMetrics,
    /// Requests generated over the whole run (window or not).
    pub arrivals: u64,
    /// Requests that got a latency (window or not).
    pub completions: u64,
    /// Fleet memory after every DO was evicted (0 unless there is a bug).
    pub final_memory_kib: u64,
    /// Compute-worker instances at the end, after expiry (0 likewise).
    pub final_instances: u64,
    /// Requests failed for want of host memory (whole run).
    pub failed: u64,
    /// Requests in flight when their isolate was reset (whole run).
    pub failed_reset: u64,
    /// The most memory any host held at once, KiB (0 without hosts).
    pub host_peak_kib: u64,
    /// Requests still waiting for host memory at the end (whole run): they
    /// arrived too late to be admitted before the run ended.
    pub unadmitted: u64,
    /// Why the workload stopped early (an unreadable trace), if it did: the
    /// run's results are then incomplete and must not be reported.
    pub error: Option<String>,
    /// Whether a stop request ended the run early ([`request_stop`]): its
    /// results are incomplete and must not be reported.
    pub interrupted: bool,
}

/// What the policies of a run may read of `config` (see [`Setup`]).
pub fn setup_of(config: &Config, variant: ArchitectureVariant, tenants: u32) -> Setup<'_> {
    Setup {
        params: &config.policies,
        variant,
        phases: &config.phases,
        lazy: &config.lazy,
        compute: &config.compute,
        query_exec: &config.query_exec,
        load_keeps_alive: config.durable_object.load_keeps_alive,
        isolate: &config.isolate,
        duration: config.duration,
        tenants,
        workload: &config.workload,
        identity: RunIdentity {
            seed: config.seed,
            replication: 0,
        },
    }
}

/// The random stream run `id`'s arrivals are drawn from.
pub fn arrival_stream(id: RunIdentity) -> SimRng {
    stream(id.seed, &[STREAM_FAMILY, id.replication, 0])
}

/// Runs one simulation to completion.
pub fn simulate(config: &Config, variant: ArchitectureVariant, id: RunIdentity) -> RunOutcome {
    simulate_observed(config, variant, id, &mut NoObserver)
}

/// Runs one simulation, telling `observer` what happens (for timelines and
/// traces; [`NoObserver`] costs nothing).
pub fn simulate_observed<O: Observer>(
    config: &Config,
    variant: ArchitectureVariant,
    id: RunIdentity,
    observer: &mut O,
) -> RunOutcome {
    let mut sim = Simulation::new(config, variant, id, observer);
    let interrupted = sim.run();
    RunOutcome {
        interrupted,
        ..sim.finish()
    }
}

struct Simulation<'a, O: Observer> {
    observer: &'a mut O,
    config: &'a Config,
    variant: ArchitectureVariant,
    /// The architecture's row of the table.
    traits: &'static Traits,
    dos: States,
    queue: EventQueue<Event>,
    expiry: ExpiryQueue,
    pool: ComputePool,
    metrics: RunMetrics,
    /// The window's latencies, added to `metrics` when the run ends.
    latencies: LatencyGrid,
    /// Completed loads' durations, likewise.
    load_times: BucketCounts,
    arrivals: ArrivalSource,
    arrival_rng: SimRng,
    rng: SimRng,
    next_arrival: Option<(Arrival, u64)>,
    /// The arrivals after `next_arrival`, drawn early so that their
    /// tenants' states are in cache by the time they are handled. Their
    /// sequence numbers are taken when they become `next_arrival`, as if
    /// drawn then: the order of everything is unchanged.
    lookahead: Lookahead,
    /// When the last arrival in `lookahead` (or handled) is due.
    last_drawn: Nanos,
    /// No more arrivals: the source ended or one fell past the run's end.
    source_done: bool,
    memory: MemoryModel,
    /// The measurement window; its end is the run's.
    window: Window,
    arrivals_total: u64,
    completions: u64,
    /// The enabled policies, and the shape they give every load.
    policies: Enabled,
    load_shape: LoadShape,
    /// Delegated requests waiting for a free compute-worker slot, FIFO.
    pool_queue: VecDeque<Waiting>,
    /// The hosts, when the host model is on (`hosts.count > 0`).
    hosts: Option<HostFleet>,
    /// Requests failed for want of host memory (whole run).
    failed: u64,
    /// The isolates' threads, when some work holds them
    /// (`isolate.cpu_phases`); `None`: every DO runs as if alone.
    threads: Option<Threads>,
    /// The isolates' memory, when they have a limit.
    isolate_memory: Option<IsolateMemory>,
    /// Requests failed with their isolate's reset (whole run).
    failed_reset: u64,
    /// Whether a local query holds its isolate's thread (`query_exec` in
    /// `isolate.cpu_phases`): the thread then subsumes the DO's slot.
    query_holds_thread: bool,
    /// The time of the step being handled.
    clock: Nanos,
    /// The sequence number of the step being handled; `u64::MAX` for an
    /// eviction, which comes after every arrival and event at its time.
    step_seq: u64,
}

/// A delegated request waiting for the compute worker.
#[derive(Debug, Clone, Copy)]
struct Waiting {
    tenant: u32,
    /// The life of its DO that sent it: an isolate reset may end it first.
    epoch: u32,
    ordinal: u32,
    arrival: Nanos,
}

/// The first word of every stream identity (it once held the sweep point;
/// kept at 0 so that published single-point results stay as they were).
const STREAM_FAMILY: u64 = 0;

/// The last word of the compute worker's CPU-time stream's identity (0 is
/// the arrivals', 1 the run's): a stream of its own, so that `cpu_time`
/// changes no other draw.
const CPU_STREAM: u64 = 2;

impl<'a, O: Observer> Simulation<'a, O> {
    fn new(
        config: &'a Config,
        variant: ArchitectureVariant,
        id: RunIdentity,
        observer: &'a mut O,
    ) -> Self {
        let arrivals = ArrivalSource::from_config(&config.workload);
        let tenants = arrivals.tenants();
        let window = Window {
            from: config.warmup,
            to: config.duration,
        };
        let policies = Enabled::new(&Setup {
            identity: id,
            ..setup_of(config, variant, tenants)
        });
        let footprint = variant.architecture.footprint(&config.memory);
        let mut sim = Simulation {
            observer,
            config,
            variant,
            traits: variant.architecture.traits(),
            dos: fleet_states(tenants as usize),
            queue: EventQueue::for_tenants(tenants),
            expiry: ExpiryQueue::for_tenants(tenants),
            pool: ComputePool::new(
                config.compute.clone(),
                stream(id.seed, &[STREAM_FAMILY, id.replication, CPU_STREAM]),
                window.from,
                window.to,
            ),
            metrics: RunMetrics::new(window.from, window.to),
            latencies: LatencyGrid::new(),
            load_times: RunMetrics::load_counts(),
            arrivals,
            arrival_rng: arrival_stream(id),
            rng: stream(id.seed, &[STREAM_FAMILY, id.replication, 1]),
            next_arrival: None,
            lookahead: Lookahead::with_depth(if tenants >= LOOKAHEAD_FROM_TENANTS {
                LOOKAHEAD
            } else {
                1
            }),
            last_drawn: 0,
            source_done: false,
            memory: MemoryModel {
                resident_kib: footprint.resident_kib(),
                runtime_kib: footprint.runtime_kib(),
                reserve_kib: footprint.reserve_kib(),
            },
            window,
            arrivals_total: 0,
            completions: 0,
            load_shape: policies.load_shape(),
            policies,
            pool_queue: VecDeque::new(),
            hosts: (config.hosts.count > 0).then(|| {
                HostFleet::new(
                    config.hosts.count,
                    crate::architectures::table::mb_to_kib(config.hosts.memory_mb),
                )
            }),
            failed: 0,
            threads: config.isolate.threads_on().then(|| {
                Threads::new(
                    tenants,
                    config.isolate.dos_per_isolate,
                    window.from,
                    window.to,
                )
            }),
            isolate_memory: (config.isolate.memory_limit_mb > 0.0).then(|| {
                IsolateMemory::new(
                    tenants,
                    config.isolate.dos_per_isolate,
                    crate::architectures::table::mb_to_kib(config.isolate.memory_limit_mb),
                )
            }),
            failed_reset: 0,
            query_holds_thread: config.isolate.threads_on()
                && config.isolate.cpu.holds(crate::fleet::CpuWork::QueryExec),
            clock: 0,
            step_seq: 0,
        };
        sim.next_arrival = sim.draw_arrival();
        let wakes: Vec<_> = sim.policies.first_wakes().collect();
        for (policy, at) in wakes {
            sim.schedule_wake(policy, at, NO_TENANT, 0);
        }
        sim
    }

    /// Runs to the end; `true` when a stop request ended it first.
    fn run(&mut self) -> bool {
        let mut steps: u32 = 0;
        loop {
            steps = steps.wrapping_add(1);
            if steps.is_multiple_of(stop::CHECK_EVERY) && stop::stop_requested() {
                return true;
            }
            let event_key = self.queue.peek_key();
            let arrival_key = self.next_arrival.map(|(a, seq)| (a.time, seq));
            // The earliest of arrival and event, by (time, sequence).
            let next = match (arrival_key, event_key) {
                (Some(a), Some(e)) => Some(if a < e { (a.0, true) } else { (e.0, false) }),
                (Some(a), None) => Some((a.0, true)),
                (None, Some(e)) => Some((e.0, false)),
                (None, None) => None,
            };
            // Evictions due strictly before it go first.
            if let Some(deadline) = self.expiry.peek_time() {
                if next.is_none_or(|(t, _)| deadline < t) {
                    self.clock = deadline;
                    self.step_seq = u64::MAX;
                    self.fire_expiry();
                    continue;
                }
            }
            if let Some((t, _)) = next {
                self.clock = t;
            }
            match next {
                None => return false,
                Some((_, true)) => {
                    if let Some((a, seq)) = self.next_arrival {
                        self.step_seq = seq;
                        self.next_arrival = self.draw_arrival();
                        self.on_arrival(a);
                    }
                }
                Some((_, false)) => {
                    if let Some(s) = self.queue.pop() {
                        for next in self.queue.fresh_hints() {
                            arrivals::prefetch(&self.dos, next);
                        }
                        self.step_seq = s.seq;
                        self.on_event(s.time, s.event);
                    }
                }
            }
        }
    }

    fn finish(mut self) -> RunOutcome {
        self.finish_threads();
        self.pool.settle(Nanos::MAX, u64::MAX);
        self.pool.expire(Nanos::MAX);
        self.metrics.memory_kib.finish();
        self.metrics.resident.finish();
        self.pool.instances.finish();
        self.metrics.compute_instances = self.pool.instances.clone();
        self.metrics.prewarm_memory_kib.finish();
        self.metrics.add_latencies(&self.latencies);
        self.metrics.add_load_times(&self.load_times);
        self.metrics.cost = Cost::of(&self.metrics, &self.config.pricing);
        recycle_states(std::mem::take(&mut self.dos));
        RunOutcome {
            final_memory_kib: self.metrics.memory_kib.level(),
            final_instances: self.pool.count(),
            failed: self.failed,
            failed_reset: self.failed_reset,
            host_peak_kib: self.hosts.as_ref().map_or(0, HostFleet::peak_kib),
            unadmitted: self.hosts.as_ref().map_or(0, |h| h.pending_total() as u64),
            metrics: self.metrics,
            arrivals: self.arrivals_total,
            completions: self.completions,
            error: self.arrivals.error(),
            interrupted: false,
        }
    }

    #[inline]
    fn in_window(&self, t: Nanos) -> bool {
        self.window.contains(t)
    }
}
