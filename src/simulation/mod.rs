//! One simulation run: a fleet of DOs under one architecture, driven by the
//! workload, measured into [`RunMetrics`].
//!
//! The loop takes, at each step, the earliest of three sources: the next
//! arrival (kept outside the heap, with a sequence number from the same
//! counter), the event queue, and the idle-eviction queue. Arrivals and
//! events are ordered by `(time, sequence)`; an eviction due at time `t`
//! happens after every arrival and event at `t`, so a request arriving
//! exactly at the end of an idle timeout still finds its DO.
//!
//! Invariants (tested): every request gets exactly one latency; the fleet's
//! memory is the sum over resident DOs of their memory and returns to zero
//! once every DO is evicted; no event fires before the time it was
//! scheduled at.

mod config;
mod events;
mod host_memory;
mod isolate_memory;
mod observer;
mod policies;
mod threads;

use crate::architectures::{
    delegates_before_ready, plan_start, Architecture, ArchitectureVariant, LoadOutcome,
};
use crate::engine::{stream, EventQueue, SimRng};
use crate::policies::Policy;
use std::collections::VecDeque;

use crate::fleet::{
    fleet_states, recycle_states, ComputePool, CpuWork, Dispatched, DoState, ExpiryQueue,
    HostFleet, IsolateMemory, LoadState, States, Status, Threads, NEVER, NO_TIMER,
};
use crate::metrics::{BucketCounts, Cost, LatencyGrid, OrdinalBucket, Path, RunMetrics};
use crate::policies::prewarm::Decision;
use crate::time::Nanos;
use crate::workload::{Arrival, ArrivalProcess, ArrivalSource};
pub use config::Config;
pub use events::Event;
pub use observer::{NoObserver, Observer, RequestRecord};
use policies::PolicyState;

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
}

/// Memory of a DO, in KiB, by what it holds.
#[derive(Debug, Clone, Copy)]
struct MemoryModel {
    resident_kib: u64,
    runtime_kib: u64,
    /// What a start reserves on its host: resident, plus the runtime if the
    /// architecture loads one.
    reserve_kib: u64,
}

fn mb_to_kib(mb: f64) -> u64 {
    (mb * 1024.0).round() as u64
}

/// Hints the CPU to load `dos[k]` into cache (no effect on results).
#[inline(always)]
fn prefetch(dos: &[DoState], k: u32) {
    if let Some(d) = dos.get(k as usize) {
        crate::engine::prefetch(d);
    }
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
    sim.run();
    sim.finish()
}

struct Simulation<'a, O: Observer> {
    observer: &'a mut O,
    config: &'a Config,
    variant: ArchitectureVariant,
    /// Requests wait for the load (traditional).
    blocking: bool,
    /// The architecture loads a runtime (all but thin).
    has_load: bool,
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
    warmup: Nanos,
    duration: Nanos,
    arrivals_total: u64,
    completions: u64,
    policy: PolicyState,
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
    /// The time of the step being handled.
    clock: Nanos,
    /// The sequence number of the step being handled; `u64::MAX` for an
    /// eviction, which comes after every arrival and event at its time.
    step_seq: u64,
}

/// Why a DO was evicted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Eviction {
    /// Its idle timeout passed.
    Idle,
    /// Its host needed the memory for a start.
    Pressure,
    /// Its isolate went over its memory limit.
    Reset,
}

/// A delegated request waiting for the compute worker.
#[derive(Debug, Clone, Copy)]
struct Waiting {
    tenant: u32,
    ordinal: u32,
    arrival: Nanos,
}

/// The first word of every stream identity (it once held the sweep point;
/// kept at 0 so that published single-point results stay as they were).
const STREAM_FAMILY: u64 = 0;

/// Arrivals drawn ahead of the one being handled (see `lookahead`).
const LOOKAHEAD: usize = 12;

/// Fleets from this size draw arrivals ahead; smaller ones' states stay in
/// cache, and drawing ahead only costs.
const LOOKAHEAD_FROM_TENANTS: u32 = 100_000;

/// A FIFO of at most `LOOKAHEAD` arrivals, in place.
#[derive(Debug, Default)]
struct Lookahead {
    ring: [Arrival; LOOKAHEAD],
    head: usize,
    len: usize,
    /// How many to keep: 1 for fleets whose states fit in cache.
    depth: usize,
}

impl Lookahead {
    #[inline(always)]
    fn is_full(&self) -> bool {
        self.len >= self.depth
    }

    /// At most half full: time to top it up (in batches, so the call and
    /// the sampler's setup are paid once for several arrivals).
    #[inline(always)]
    fn is_low(&self) -> bool {
        2 * self.len <= self.depth
    }

    #[inline(always)]
    fn push_back(&mut self, a: Arrival) {
        self.ring[(self.head + self.len) % LOOKAHEAD] = a;
        self.len += 1;
    }

    #[inline(always)]
    fn pop_front(&mut self) -> Option<Arrival> {
        if self.len == 0 {
            return None;
        }
        let a = self.ring[self.head];
        self.head = (self.head + 1) % LOOKAHEAD;
        self.len -= 1;
        Some(a)
    }

    fn clear(&mut self) {
        self.len = 0;
    }
}

/// `StartDone`'s `arrival` when no request started the DO (a prewarm).
const NO_REQUEST: Nanos = Nanos::MAX;

impl<'a, O: Observer> Simulation<'a, O> {
    fn new(
        config: &'a Config,
        variant: ArchitectureVariant,
        id: RunIdentity,
        observer: &'a mut O,
    ) -> Self {
        let arrivals = ArrivalSource::from_config(&config.workload);
        let tenants = arrivals.tenants();
        let (from, to) = (config.warmup, config.duration);
        let mem = &config.memory;
        let bundle = if variant.architecture.bundles_wasm() {
            mem.bundle_mb
        } else {
            0.0
        };
        let mut sim = Simulation {
            observer,
            config,
            variant,
            blocking: !delegates_before_ready(variant.architecture),
            has_load: variant.architecture != Architecture::Thin,
            dos: fleet_states(tenants as usize),
            queue: EventQueue::for_tenants(tenants),
            expiry: ExpiryQueue::for_tenants(tenants),
            pool: ComputePool::new(config.compute.clone(), from, to),
            metrics: RunMetrics::new(from, to),
            latencies: LatencyGrid::new(),
            load_times: RunMetrics::load_counts(),
            arrivals,
            arrival_rng: stream(id.seed, &[STREAM_FAMILY, id.replication, 0]),
            rng: stream(id.seed, &[STREAM_FAMILY, id.replication, 1]),
            next_arrival: None,
            lookahead: Lookahead {
                depth: if tenants >= LOOKAHEAD_FROM_TENANTS {
                    LOOKAHEAD
                } else {
                    1
                },
                ..Lookahead::default()
            },
            last_drawn: 0,
            source_done: false,
            memory: MemoryModel {
                resident_kib: mb_to_kib(mem.do_base_mb + bundle),
                runtime_kib: mb_to_kib(mem.runtime_mb),
                reserve_kib: mb_to_kib(mem.do_base_mb + bundle)
                    + if variant.architecture == Architecture::Thin {
                        0
                    } else {
                        mb_to_kib(mem.runtime_mb)
                    },
            },
            warmup: from,
            duration: to,
            arrivals_total: 0,
            completions: 0,
            policy: PolicyState::new(config, tenants),
            pool_queue: VecDeque::new(),
            hosts: (config.hosts.count > 0)
                .then(|| HostFleet::new(config.hosts.count, mb_to_kib(config.hosts.memory_mb))),
            failed: 0,
            threads: config
                .isolate
                .threads_on()
                .then(|| Threads::new(tenants, config.isolate.dos_per_isolate, from, to)),
            isolate_memory: (config.isolate.memory_limit_mb > 0.0).then(|| {
                IsolateMemory::new(
                    tenants,
                    config.isolate.dos_per_isolate,
                    mb_to_kib(config.isolate.memory_limit_mb),
                )
            }),
            failed_reset: 0,
            clock: 0,
            step_seq: 0,
        };
        sim.next_arrival = sim.draw_arrival();
        if sim.policy.top_k.is_some() {
            let first = config.policies.prewarm.interval;
            if first < sim.duration {
                sim.queue.push(first, Event::PrewarmTick);
            }
        }
        sim
    }

    /// The next arrival, with its sequence number, or `None` past the end
    /// of the run. Keeps `LOOKAHEAD` arrivals drawn ahead, stopping at the
    /// first one past the end (a trace is not read further than before).
    #[inline(always)]
    fn draw_arrival(&mut self) -> Option<(Arrival, u64)> {
        if self.lookahead.is_low() && !self.source_done {
            self.refill_lookahead();
        }
        let a = self.lookahead.pop_front()?;
        if a.time >= self.duration {
            self.lookahead.clear();
            return None;
        }
        Some((a, self.queue.reserve_seq()))
    }

    /// Draws arrivals until the lookahead is full or the source is done.
    /// Apart from [`Self::draw_arrival`], which is inlined: its result then
    /// stays in registers.
    #[inline(never)]
    fn refill_lookahead(&mut self) {
        while !self.lookahead.is_full() && !self.source_done {
            match self.arrivals.next(self.last_drawn, &mut self.arrival_rng) {
                Some(a) => {
                    // A million tenants' states do not fit in cache: start
                    // fetching this one now.
                    prefetch(&self.dos, a.tenant);
                    self.last_drawn = a.time;
                    self.source_done = a.time >= self.duration;
                    self.lookahead.push_back(a);
                }
                None => self.source_done = true,
            }
        }
    }

    fn run(&mut self) {
        loop {
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
                None => break,
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
                            prefetch(&self.dos, next);
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
        }
    }

    #[inline]
    fn in_window(&self, t: Nanos) -> bool {
        t >= self.warmup && t < self.duration
    }

    fn on_arrival(&mut self, a: Arrival) {
        let now = a.time;
        let k = a.tenant;
        self.arrivals_total += 1;
        if let Some(top) = &mut self.policy.top_k {
            top.record(k);
        }
        if let Some(h) = &mut self.policy.histograms {
            // The idle time since the DO last went quiet (any earlier life).
            let quiet = self.dos[k as usize].quiet_from;
            if quiet > 0 && now > quiet {
                h.record(k, now - quiet);
            }
        }
        self.request(k, now, now);
    }

    /// A request that arrived at `arrival` reaches its DO at `now`.
    fn request(&mut self, k: u32, arrival: Nanos, now: Nanos) {
        if self.dos[k as usize].is_resident() {
            self.join(k, arrival, now);
        } else if self.hosts.is_none() {
            self.cold_start(k, arrival, now);
        } else {
            self.cold_request_on_host(k, arrival, now);
        }
    }

    /// A request that arrived at `arrival` starts its evicted DO at `now`.
    fn cold_start(&mut self, k: u32, arrival: Nanos, now: Nanos) {
        if self.in_window(arrival) {
            self.metrics.cold_starts += 1;
        }
        self.start(k, now, arrival);
        if self.blocking {
            // Traditional: the request waits on the slot for the
            // constructor's load.
            self.serve_locally(k, 1, arrival, now, Path::Queued);
        }
        // Otherwise the start's StartDone event serves it.
    }

    /// A request that arrived at `arrival` reaches its resident DO at `now`.
    fn join(&mut self, k: u32, arrival: Nanos, now: Nanos) {
        let d = &mut self.dos[k as usize];
        d.ordinal = d.ordinal.saturating_add(1);
        let ordinal = d.ordinal;
        if d.prewarmed {
            // The first request to a prewarmed DO: the prewarm paid off.
            d.prewarmed = false;
            let held = self.held_kib(k);
            self.metrics.prewarm_memory_kib.sub(now, held);
        }
        let d = &self.dos[k as usize];
        if d.status == Status::Starting {
            if self.blocking {
                // Traditional: queue on the slot behind the constructor.
                self.serve_locally(k, ordinal, arrival, now, Path::Queued);
            } else {
                let (at, epoch) = (d.started_at, d.epoch);
                self.queue.push_hinted(
                    at,
                    Event::AfterStart {
                        tenant: k,
                        epoch,
                        ordinal,
                        arrival,
                    },
                    k,
                );
            }
        } else {
            self.serve(k, ordinal, arrival, now);
        }
    }

    /// The memory a resident DO holds now, in KiB.
    fn held_kib(&self, k: u32) -> u64 {
        let d = &self.dos[k as usize];
        self.memory.resident_kib
            + if d.holds_runtime() {
                self.memory.runtime_kib
            } else {
                0
            }
    }

    /// Serves a request at a running DO at `now`, when its isolate's thread
    /// lets its handler run (see `threads`).
    #[inline]
    fn serve(&mut self, k: u32, ordinal: u32, arrival: Nanos, now: Nanos) {
        if self.threads.is_some() {
            self.serve_on_thread(k, ordinal, arrival, now);
        } else {
            self.route(k, ordinal, arrival, now);
        }
    }

    /// The handler of a request at a running DO runs at `now`: it serves
    /// the request locally if the runtime is ready (or the architecture
    /// waits for it), at the compute worker otherwise; policies may change
    /// which.
    #[inline]
    fn route(&mut self, k: u32, ordinal: u32, arrival: Nanos, now: Nanos) {
        let d = &self.dos[k as usize];
        let waited = arrival < d.started_at;
        if d.is_ready(now) {
            if self.policy.has(Policy::PartialLoading) {
                if let Some(ext) = self.extension_for(k, now) {
                    // The query needs an extension that is not loaded yet.
                    if self.blocking {
                        self.serve_locally(k, ordinal, arrival, ext, Path::Queued);
                    } else {
                        self.dispatch(k, ordinal, arrival, now);
                    }
                    return;
                }
            }
            let path = if waited { Path::Queued } else { Path::Local };
            self.serve_locally(k, ordinal, arrival, now, path);
        } else if self.blocking {
            self.serve_locally(k, ordinal, arrival, now, Path::Queued);
        } else if self.policy.has(Policy::SmartDelegation) && d.load == LoadState::Active {
            self.serve_smartly(k, ordinal, arrival, now);
        } else {
            self.dispatch(k, ordinal, arrival, now);
        }
    }

    /// Runs a request on the DO's FIFO execution slot, not before `from`.
    #[inline]
    fn serve_locally(&mut self, k: u32, ordinal: u32, arrival: Nanos, from: Nanos, path: Path) {
        if self.threads.is_some() && self.defer_until_load_queued(k, ordinal, arrival) {
            return;
        }
        let exec = self.config.query_exec.sample(&mut self.rng);
        let done = if self.threads.is_some() && self.config.isolate.cpu.holds(CpuWork::QueryExec) {
            // The thread subsumes the DO's slot.
            let submit = from.max(self.clock);
            self.exec_on_thread(k, arrival, submit, exec)
        } else {
            from.max(self.dos[k as usize].busy_until) + exec
        };
        let d = &mut self.dos[k as usize];
        d.busy_until = done;
        d.quiet_from = d.quiet_from.max(done);
        self.complete(k, arrival, done, path, ordinal);
        self.arm_idle(k);
    }

    /// Starts an evicted DO at `now`: draws its constructor and load. The
    /// request that started it arrived at `arrival` (`NO_REQUEST` for a
    /// prewarm).
    fn start(&mut self, k: u32, now: Nanos, arrival: Nanos) {
        let plan = plan_start(
            self.variant,
            self.config,
            &mut self.policy.caches,
            k,
            now,
            &mut self.rng,
        );
        self.observer.start(k, now, &plan);
        let in_window = self.in_window(now);
        let keeps_alive = self.config.durable_object.load_keeps_alive;
        let cpu = plan.load.as_ref().and_then(|load| self.cpu_part(load));
        let d = &mut self.dos[k as usize];
        d.status = Status::Starting;
        // A new life: no expiry entry of an earlier one may evict it.
        d.set_timer_at(NO_TIMER);
        d.load = LoadState::NotStarted;
        d.epoch = d.epoch.wrapping_add(1);
        d.ordinal = 1;
        d.started_at = now + plan.isolate;
        d.set_ready_at(NEVER);
        d.busy_until = d.started_at;
        d.quiet_from = d.started_at;
        let epoch = d.epoch;
        if let Some(load) = plan.load {
            let end = d.started_at + load.duration;
            d.source = load.source;
            // With CPU phases, when the load's CPU part is queued, and the
            // earliest the load can end.
            let (gate, earliest_end) = match cpu {
                Some(c) => (d.started_at + c.from, d.started_at + c.from + c.work),
                None => (end, end),
            };
            match (load.outcome, cpu) {
                (LoadOutcome::Ready, None) => d.set_ready_at(end),
                (LoadOutcome::Ready, Some(c)) => self.queue.push_hinted(
                    gate,
                    Event::LoadCpu {
                        tenant: k,
                        epoch,
                        work: c.work,
                    },
                    k,
                ),
                (LoadOutcome::Failed, _) => {
                    self.queue
                        .push_hinted(end, Event::LoadFailed { tenant: k, epoch }, k)
                }
            }
            let d = &mut self.dos[k as usize];
            if plan.blocking {
                d.busy_until = gate;
            }
            if plan.blocking || keeps_alive {
                d.quiet_from = earliest_end;
                if cpu.is_some() && load.outcome == LoadOutcome::Ready {
                    // Not idle until the load's end is known.
                    d.waiting = d.waiting.saturating_add(1);
                }
            }
            if in_window {
                self.metrics.record_fetch(load.source);
            }
            if self.policy.has(Policy::SmartDelegation) {
                self.policy.loading.insert(k, load);
            }
        }
        let started_at = self.dos[k as usize].started_at;
        self.queue.push_hinted(
            started_at,
            Event::StartDone {
                tenant: k,
                epoch,
                arrival,
            },
            k,
        );
        self.metrics.memory_kib.add(now, self.memory.resident_kib);
        self.metrics.resident.add(now, 1);
        if self.isolate_memory.is_some() {
            self.isolate_memory_added(k, self.memory.resident_kib);
        }
        if let Some(hosts) = &mut self.hosts {
            let d = &self.dos[k as usize];
            hosts.on_start(&self.dos, k, epoch, d.quiet_from, self.memory.reserve_kib);
        }
    }

    /// Sends a request to the compute worker at `now`; it waits in the
    /// pool's queue when every instance is busy and no more may start.
    fn dispatch(&mut self, k: u32, ordinal: u32, arrival: Nanos, now: Nanos) {
        // The releases the events before this step would have applied.
        self.pool.settle(self.clock, self.step_seq);
        match self.pool.dispatch(now, &mut self.rng) {
            running @ Dispatched::Running { .. } => self.delegated(k, ordinal, arrival, running),
            Dispatched::Saturated => {
                if self.in_window(arrival) {
                    self.metrics.compute_queued += 1;
                }
                // The DO waits for the response: not idle, not evictable.
                let d = &mut self.dos[k as usize];
                d.waiting = d.waiting.saturating_add(1);
                self.pool_queue.push_back(Waiting {
                    tenant: k,
                    ordinal,
                    arrival,
                });
            }
        }
    }

    /// A delegated request runs at the compute worker (`sent` is
    /// `Running`) until its response.
    fn delegated(&mut self, k: u32, ordinal: u32, arrival: Nanos, sent: Dispatched) {
        let Dispatched::Running {
            instance,
            finish,
            cold,
            cpu,
        } = sent
        else {
            return;
        };
        if self.in_window(arrival) {
            self.metrics.compute_cold_starts += u64::from(cold);
            self.metrics.compute_cpu_ns += u128::from(cpu);
        }
        if self.pool.may_saturate() {
            self.queue.push(finish, Event::Release { instance });
        } else {
            // Nothing waits for the slot: the pool applies the release
            // itself, in order, with the sequence number of its event.
            let seq = self.queue.reserve_seq();
            self.pool.release_later(finish, seq, instance);
        }
        let d = &mut self.dos[k as usize];
        d.quiet_from = d.quiet_from.max(finish);
        self.complete(k, arrival, finish, Path::Delegated, ordinal);
        self.arm_idle(k);
    }

    /// Records a request's latency: the client round trip plus its time at
    /// the DO.
    #[inline]
    fn complete(&mut self, k: u32, arrival: Nanos, done: Nanos, path: Path, ordinal: u32) {
        if self.isolate_memory.is_some() && done > self.clock {
            // In flight until `done`: its isolate may be reset before.
            let epoch = self.dos[k as usize].epoch;
            self.queue.push(
                done,
                Event::Complete {
                    tenant: k,
                    epoch,
                    ordinal,
                    arrival,
                    path,
                },
            );
            return;
        }
        self.record_completion(k, arrival, done, path, ordinal);
    }

    /// Records a request's latency now that its response left the DO at
    /// `done`.
    #[inline]
    fn record_completion(&mut self, k: u32, arrival: Nanos, done: Nanos, path: Path, ordinal: u32) {
        self.completions += 1;
        let rtt = self.config.network.client_rtt.sample(&mut self.rng);
        let latency = done - arrival + rtt;
        if self.in_window(arrival) {
            let bucket = OrdinalBucket::of(ordinal);
            self.metrics.count_request(path, bucket);
            self.latencies.record(latency, path, bucket);
        }
        self.observer.request(&RequestRecord {
            tenant: k,
            arrival,
            done,
            latency,
            path,
            ordinal,
        });
    }

    /// Draws the idle timeout of the DO's next idle period (which starts at
    /// `quiet_from`) and makes sure an expiry entry fires by its deadline.
    #[inline]
    fn arm_idle(&mut self, k: u32) {
        let timeout = match self.policy.histograms.as_ref().map(|h| h.decision(k)) {
            None | Some(Decision::PlatformTimeout) => self
                .config
                .durable_object
                .idle_timeout
                .sample(&mut self.rng),
            Some(Decision::KeepAlive(keep)) => keep,
            Some(Decision::Prewarm { prewarm, .. }) => {
                // Release the DO as soon as it is quiet; start it again just
                // before its next request is due.
                let quiet = self.dos[k as usize].quiet_from;
                let at = quiet.saturating_add(prewarm);
                if at < self.duration {
                    self.queue.push(
                        at,
                        Event::Prewarm {
                            tenant: k,
                            quiet_from: quiet,
                        },
                    );
                }
                0
            }
        };
        let quiet = self.dos[k as usize].quiet_from;
        self.arm_at(k, quiet.saturating_add(timeout));
        if self.hosts.is_some() {
            self.note_quiet(k, quiet);
        }
    }

    /// Sets the DO's eviction deadline and makes sure an expiry entry fires
    /// by it.
    #[inline]
    fn arm_at(&mut self, k: u32, deadline: Nanos) {
        let d = &mut self.dos[k as usize];
        d.idle_deadline = deadline.max(d.quiet_from);
        if d.idle_deadline < d.timer_at() {
            d.set_timer_at(d.idle_deadline);
            self.expiry.push(d.idle_deadline, k);
        }
    }

    fn fire_expiry(&mut self) {
        let Some((deadline, k)) = self.expiry.pop() else {
            return;
        };
        if let Some((_, next)) = self.expiry.peek() {
            prefetch(&self.dos, next);
        }
        for next in self.expiry.fresh_tenants() {
            prefetch(&self.dos, next);
        }
        let d = &mut self.dos[k as usize];
        if d.timer_at() != deadline {
            return; // stale: superseded by an earlier deadline
        }
        d.set_timer_at(NO_TIMER);
        if !d.is_resident() || d.waiting > 0 {
            // Evicted already, or waiting for the compute worker: its
            // dispatch arms it again.
            return;
        }
        if d.idle_deadline > deadline {
            // A request postponed the deadline: re-arm (lazy).
            d.set_timer_at(d.idle_deadline);
            self.expiry.push(d.idle_deadline, k);
            return;
        }
        self.evict(k, deadline, Eviction::Idle);
        if self.hosts.is_some() {
            self.admit_waiting(k, deadline);
        }
    }

    fn evict(&mut self, k: u32, now: Nanos, cause: Eviction) {
        self.observer.evict(k, now);
        let in_window = self.in_window(now);
        let d = &mut self.dos[k as usize];
        // Loads are counted by when they began, so that every load counted
        // as started is counted once more by how it ended; a successful one
        // is classified here, at the end of its DO's life.
        let load_in_window = d.started_at >= self.warmup && d.started_at < self.duration;
        let mut freed = self.memory.resident_kib;
        // What the start reserved on the host and still holds.
        let reserved = if self.has_load && d.load != LoadState::Failed {
            self.memory.reserve_kib
        } else {
            self.memory.resident_kib
        };
        match d.load {
            LoadState::Active => {
                freed += self.memory.runtime_kib;
                if load_in_window {
                    if d.is_ready(now) {
                        self.metrics.record_load(
                            &mut self.load_times,
                            d.ready_at() - d.started_at,
                            d.source,
                        );
                    } else {
                        self.metrics.loads_aborted += 1;
                    }
                }
            }
            LoadState::NotStarted
                if d.status == Status::Starting
                    && self.has_load
                    && load_in_window
                    && cause != Eviction::Reset =>
            {
                self.metrics.loads_aborted += 1;
            }
            LoadState::NotStarted | LoadState::Failed => {}
        }
        let wasted = d.prewarmed;
        d.prewarmed = false;
        d.status = Status::Evicted;
        d.load = LoadState::NotStarted;
        d.set_ready_at(NEVER);
        if wasted {
            // Prewarmed, then evicted before any request came.
            if load_in_window {
                self.metrics.prewarms_wasted += 1;
            }
            self.metrics.prewarm_memory_kib.sub(now, freed);
        }
        if let Some(slot) = self.policy.extension_ready.get_mut(k as usize) {
            *slot = NEVER;
        }
        if self.policy.has(Policy::SmartDelegation) {
            self.policy.loading.remove(&k);
        }
        d.epoch = d.epoch.wrapping_add(1);
        d.set_timer_at(NO_TIMER);
        if in_window {
            match cause {
                Eviction::Idle => self.metrics.evictions += 1,
                Eviction::Pressure => self.metrics.evictions_pressure += 1,
                Eviction::Reset => {}
            }
        }
        if let Some(hosts) = &mut self.hosts {
            hosts.release(k, reserved, true);
        }
        self.metrics.memory_kib.sub(now, freed);
        self.metrics.resident.sub(now, 1);
        if self.isolate_memory.is_some() {
            self.isolate_memory_freed(k, freed);
            let d = &mut self.dos[k as usize];
            d.reset = cause == Eviction::Reset;
            if d.reset {
                // What waited at this DO fails with it.
                d.waiting = 0;
            }
        }
    }

    fn on_event(&mut self, now: Nanos, event: Event) {
        match event {
            Event::StartDone {
                tenant,
                epoch,
                arrival,
            } => {
                let d = &mut self.dos[tenant as usize];
                if d.epoch != epoch {
                    // A traditional DO's first request waits on its slot
                    // (it fails there); another's waits for this event.
                    if !self.blocking && arrival != NO_REQUEST && self.lost_to_reset(tenant) {
                        self.fail_reset(arrival);
                    }
                    return;
                }
                d.status = Status::Running;
                let prewarmed = d.prewarmed;
                if self.has_load {
                    d.load = LoadState::Active;
                    if self.in_window(now) {
                        self.metrics.loads_started += 1;
                    }
                    self.metrics.memory_kib.add(now, self.memory.runtime_kib);
                    if self.isolate_memory.is_some() {
                        self.isolate_memory_added(tenant, self.memory.runtime_kib);
                    }
                    if prewarmed {
                        self.metrics
                            .prewarm_memory_kib
                            .add(now, self.memory.runtime_kib);
                    }
                }
                // The request that started the DO. A traditional DO queued
                // it on its slot when it arrived.
                if !self.blocking && arrival != NO_REQUEST {
                    self.serve(tenant, 1, arrival, now);
                }
            }
            Event::LoadFailed { tenant, epoch } => {
                let d = &mut self.dos[tenant as usize];
                if d.epoch != epoch {
                    return;
                }
                d.load = LoadState::Failed;
                let began = d.started_at;
                if began >= self.warmup && began < self.duration {
                    self.metrics.loads_failed += 1;
                }
                self.metrics.memory_kib.sub(now, self.memory.runtime_kib);
                self.isolate_memory_freed(tenant, self.memory.runtime_kib);
                let d = &self.dos[tenant as usize];
                if d.prewarmed {
                    self.metrics
                        .prewarm_memory_kib
                        .sub(now, self.memory.runtime_kib);
                }
                if let Some(hosts) = &mut self.hosts {
                    hosts.release(tenant, self.memory.runtime_kib, false);
                    // Admit what waits once the events at this instant are
                    // done: a request waiting for this load (smart
                    // delegation) is served first, so its DO is not taken
                    // for idle.
                    self.retry_host_of(tenant, now);
                }
            }
            Event::AfterStart {
                tenant,
                epoch,
                ordinal,
                arrival,
            } => {
                if self.dos[tenant as usize].epoch == epoch {
                    self.serve(tenant, ordinal, arrival, now);
                } else if self.lost_to_reset(tenant) {
                    self.fail_reset(arrival);
                } else {
                    self.request(tenant, arrival, now);
                }
            }
            Event::Release { instance } => {
                let waits = !self.pool_queue.is_empty();
                if let Some(id) = self.pool.release(instance, now, waits) {
                    if let Some(w) = self.pool_queue.pop_front() {
                        let d = &mut self.dos[w.tenant as usize];
                        d.waiting = d.waiting.saturating_sub(1);
                        let sent = self.pool.run_on(id, now, false, &mut self.rng);
                        self.delegated(w.tenant, w.ordinal, w.arrival, sent);
                    }
                }
            }
            Event::PrewarmTick => self.on_prewarm_tick(now),
            Event::Prewarm { tenant, quiet_from } => self.on_prewarm(tenant, quiet_from, now),
            Event::HostRetry { host } => self.on_host_retry(host as usize, now),
            Event::LoadCpu {
                tenant,
                epoch,
                work,
            } => self.on_load_cpu(tenant, epoch, work, now),
            Event::Handle {
                tenant,
                epoch,
                ordinal,
                arrival,
            } => self.on_handle(tenant, epoch, ordinal, arrival, now),
            Event::Dispatch {
                tenant,
                epoch,
                ordinal,
                arrival,
            } => self.on_dispatch(tenant, epoch, ordinal, arrival, now),
            Event::IsolateReset { isolate } => self.on_isolate_reset(isolate, now),
            Event::Complete {
                tenant,
                epoch,
                ordinal,
                arrival,
                path,
            } => self.on_complete(tenant, epoch, ordinal, arrival, path, now),
        }
    }
}
