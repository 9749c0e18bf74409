//! The isolate model's part of the loop: CPU-bound phases hold their
//! isolate's thread ([`crate::fleet::Threads`]), and a request's handler
//! runs only when the thread is free.
//!
//! With the model on (`isolate.cpu_phases` not empty):
//! - A load's CPU phases (PGLite's init, a synchronous compile, the read of
//!   a bundled data file) run as one piece on the thread, queued when the
//!   load's I/O phases before them end (a `LoadCpu` event), or as slices of
//!   `isolate.slice` that yield between them. The load is ready when its
//!   last piece ends; until that piece is queued its end is unknown
//!   (`ready_at = NEVER`), and a load that keeps its DO alive holds it
//!   (`waiting`) so that it is not taken for idle.
//! - A request reaching its running DO at `now` has its handler run at
//!   `b = max(now, free_at)`. Because pieces are served FIFO, what the DO
//!   will be at `b` is known at `now`: if its load's last piece is already
//!   queued (ahead of the handler), the DO is ready at `b` and the request
//!   is routed as at `b` (a local query runs right after the work ahead of
//!   it); otherwise the DO is not ready at `b` (the load's next piece will
//!   queue behind the handler), and the handler's decision (delegate, or a
//!   policy's) is taken at `b` by a `Handle` event, without holding the
//!   thread.
//! - A local query holds the thread when `query_exec` is listed; then the
//!   thread subsumes the DO's execution slot.
//!
//! Thread wait is the time from a request being runnable to its handler or
//! query running: behind other DOs' work, and behind its own DO's load
//! (which is what a Hybrid request arriving during PGLite's init does).
//!
//! Approximation: a query that waits for a future time on the DO (an
//! extension's load, a load a policy waits for) is queued on the thread at
//! that time when it is routed, so work other DOs submit before then queues
//! behind it.

use super::{Event, Observer, Simulation};
use crate::architectures::{FetchSource, LoadPlan, Phase};
use crate::fleet::{CpuWork, IsolateParams, LoadState, Status, NEVER};
use crate::time::Nanos;

/// The part of a load that holds the thread: it starts `from` the load's
/// beginning and takes `work`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CpuPart {
    pub from: Nanos,
    pub work: Nanos,
}

/// The work a load phase is, for `isolate.cpu_phases`, if it can hold the
/// thread: the data read only where the data is in the worker's bundle
/// (lazy's is a fetch); the cache check, the R2 fetch and the loader
/// isolate's start are I/O.
fn cpu_work(phase: Phase, source: FetchSource) -> Option<CpuWork> {
    match phase {
        Phase::DataRead if source == FetchSource::Bundle => Some(CpuWork::DataRead),
        Phase::WasmCompile => Some(CpuWork::WasmCompile),
        Phase::LoaderCompile => Some(CpuWork::LoaderCompile),
        Phase::PgliteInit => Some(CpuWork::PgliteInit),
        Phase::DataRead | Phase::CacheCheck | Phase::R2Fetch | Phase::LoaderIsolateStart => None,
    }
}

/// The CPU part of a load, if the isolate model is on and the load has CPU
/// phases of non-zero length. CPU phases follow the I/O ones in every plan;
/// under streaming the compile overlaps the transfer, and the CPU part is
/// then moved late enough to end no earlier than the transfer.
pub fn cpu_part(load: &LoadPlan, isolate: &IsolateParams) -> Option<CpuPart> {
    if !isolate.threads_on() {
        return None;
    }
    let (mut first, mut work, mut io_end) = (Nanos::MAX, 0, 0);
    for s in load.spans.as_slice() {
        if cpu_work(s.phase, load.source).is_some_and(|w| isolate.cpu.holds(w)) {
            first = first.min(s.start);
            work += s.end - s.start;
        } else {
            io_end = io_end.max(s.end);
        }
    }
    (work > 0).then(|| CpuPart {
        from: first.max(io_end.saturating_sub(work)),
        work,
    })
}

impl<O: Observer> Simulation<'_, O> {
    /// The CPU part of a load, if the model is on ([`cpu_part`]).
    pub(super) fn cpu_part(&self, load: &LoadPlan) -> Option<CpuPart> {
        self.threads.as_ref()?;
        cpu_part(load, &self.config.isolate)
    }

    /// Whether the handler of a request reaching its DO at `now` must wait
    /// for the isolate's thread; if so, the request is taken care of (routed
    /// as at the time the handler runs, or by a `Handle` event then).
    pub(super) fn handler_waits(
        &mut self,
        tenant: u32,
        ordinal: u32,
        arrival: Nanos,
        now: Nanos,
    ) -> bool {
        let Some(threads) = &self.threads else {
            return false;
        };
        let b = now.max(threads.free_at(threads.isolate_of(tenant)));
        let d = &self.dos[tenant as usize];
        if b == now || d.status == Status::Starting {
            // The thread is free (or the constructor still runs, and the
            // request waits for it anyway).
            return false;
        }
        if d.is_ready(b) {
            // Ready when the handler runs: routed as then.
            self.note_thread_wait(arrival, b - now);
            self.route_at(tenant, ordinal, arrival, b);
            return true;
        }
        if self.traits.waits_for_load() {
            // Waits on the slot for the load (`defer_until_load_queued`).
            return false;
        }
        // Not ready when the handler runs: it decides then.
        self.note_thread_wait(arrival, b - now);
        self.hold_handler(tenant, ordinal, arrival, b, false);
        true
    }

    /// The handler of a request runs at `at`, when the thread's work ahead
    /// of it is done (a `Handle` event), and routes it then, or delegates
    /// it (`delegate`: routed already). Its DO waits for it meanwhile.
    pub(super) fn hold_handler(
        &mut self,
        tenant: u32,
        ordinal: u32,
        arrival: Nanos,
        at: Nanos,
        delegate: bool,
    ) {
        let d = &mut self.dos[tenant as usize];
        d.waiting = d.waiting.saturating_add(1);
        let epoch = d.epoch;
        self.queue.push_hinted(
            at,
            Event::Handle {
                tenant,
                epoch,
                ordinal,
                arrival,
                delegate,
            },
            tenant,
        );
    }

    /// A handler that waited for the thread runs (`Event::Handle`).
    pub(super) fn on_handle(
        &mut self,
        tenant: u32,
        epoch: u32,
        ordinal: u32,
        arrival: Nanos,
        delegate: bool,
        now: Nanos,
    ) {
        let d = &mut self.dos[tenant as usize];
        if d.epoch != epoch {
            // The waiting handler held its DO: only a reset ends its life.
            self.stale_request(tenant, arrival, now, true);
            return;
        }
        d.waiting = d.waiting.saturating_sub(1);
        if delegate {
            self.delegate(tenant, ordinal, arrival, now);
        } else {
            self.route_at(tenant, ordinal, arrival, now);
        }
    }

    /// Runs a local query of `exec` on the thread, queued at `submit`;
    /// returns when it is done.
    pub(super) fn exec_on_thread(
        &mut self,
        tenant: u32,
        arrival: Nanos,
        submit: Nanos,
        exec: Nanos,
    ) -> Nanos {
        let Some(threads) = &mut self.threads else {
            return submit + exec;
        };
        let piece = threads.run(threads.isolate_of(tenant), submit, exec);
        self.note_thread_wait(arrival, piece.start - submit);
        piece.end
    }

    /// Whether a local query at this DO must wait for its load's CPU part
    /// to be queued (an architecture whose requests wait for the load,
    /// before the load's end is known): then it is tried again when that
    /// happens.
    pub(super) fn defer_until_load_queued(
        &mut self,
        tenant: u32,
        ordinal: u32,
        arrival: Nanos,
    ) -> bool {
        let d = &self.dos[tenant as usize];
        if !self.traits.waits_for_load()
            || !self.traits.loads_runtime
            || d.ready_at() != NEVER
            || d.load == LoadState::Failed
        {
            return false;
        }
        let at = d.busy_until.max(self.clock);
        self.route_again(tenant, ordinal, arrival, at, false);
        true
    }

    /// The load's CPU part (what is left of it, `work`) is queued on the
    /// thread (`Event::LoadCpu`): as one piece, or one slice at a time.
    pub(super) fn on_load_cpu(&mut self, tenant: u32, epoch: u32, work: Nanos, now: Nanos) {
        let slice = self.config.isolate.slice;
        let Some(threads) = &mut self.threads else {
            return;
        };
        if self.dos[tenant as usize].epoch != epoch {
            return;
        }
        let piece = if slice > 0 { work.min(slice) } else { work };
        let ran = threads.run(threads.isolate_of(tenant), now, piece);
        let rest = work - piece;
        let waits_for_load = self.traits.waits_for_load();
        let d = &mut self.dos[tenant as usize];
        if waits_for_load {
            d.busy_until = ran.end;
        }
        if rest > 0 {
            self.queue.push_hinted(
                ran.end,
                Event::LoadCpu {
                    tenant,
                    epoch,
                    work: rest,
                },
                tenant,
            );
            return;
        }
        d.set_ready_at(ran.end);
        if waits_for_load || self.config.durable_object.load_keeps_alive {
            // The load held its DO; from its end the DO may go idle.
            d.waiting = d.waiting.saturating_sub(1);
            d.busy_elsewhere_until(ran.end);
            self.arm_idle(tenant);
        }
    }

    /// Counts a request's wait for the thread.
    #[inline]
    fn note_thread_wait(&mut self, arrival: Nanos, wait: Nanos) {
        if self.in_window(arrival) {
            self.metrics.thread_wait_ns += u128::from(wait);
            self.metrics.thread_waits += u64::from(wait > 0);
        }
    }

    /// The isolates' utilisation, into the run's metrics.
    pub(super) fn finish_threads(&mut self) {
        if let Some(threads) = &self.threads {
            let (mean, max) = threads.utilisation();
            self.metrics.isolate_cpu_mean = mean;
            self.metrics.isolate_cpu_max = max;
        }
    }
}
