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
//! - A request reaching its DO at `now` has its handler run at
//!   `b = max(now, free_at)`. Because pieces are served FIFO, what the DO
//!   will be at `b` is known at `now`: if its load's last piece is already
//!   queued (ahead of the handler), the DO is ready at `b` and the query
//!   runs right after the work ahead of it; otherwise the DO is not ready
//!   at `b` (the load's next piece will queue behind the handler), and the
//!   handler's decision (delegate, or a policy's) is taken at `b` by a
//!   `Handle` event, without holding the thread.
//! - A local query holds the thread when `query_exec` is listed; then the
//!   thread subsumes the DO's execution slot.
//!
//! Thread wait is the time from a request being runnable to its handler or
//! query running: behind other DOs' work, and behind its own DO's load
//! (which is what a Hybrid request arriving during PGLite's init does).

use super::{Event, Observer, Path, Simulation};
use crate::architectures::{LoadPlan, Phase, WasmSource};
use crate::fleet::{CpuWork, LoadState, NEVER};
use crate::time::Nanos;

/// The part of a load that holds the thread: it starts `from` the load's
/// beginning and takes `work`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct CpuPart {
    pub from: Nanos,
    pub work: Nanos,
}

impl<O: Observer> Simulation<'_, O> {
    /// The CPU part of a load, if the model is on and the load has CPU
    /// phases of non-zero length. CPU phases follow the I/O ones in every
    /// plan; under streaming the compile overlaps the transfer, and the CPU
    /// part is then moved late enough to end no earlier than the transfer.
    pub(super) fn cpu_part(&self, load: &LoadPlan) -> Option<CpuPart> {
        let cpu = self.config.isolate.cpu;
        self.threads.as_ref()?;
        let bundled = load.source == WasmSource::Bundle;
        let on_thread = |phase: Phase| match phase {
            Phase::DataRead => bundled && cpu.holds(CpuWork::DataRead),
            Phase::WasmCompile => cpu.holds(CpuWork::WasmCompile),
            Phase::LoaderCompile => cpu.holds(CpuWork::LoaderCompile),
            Phase::PgliteInit => cpu.holds(CpuWork::PgliteInit),
            Phase::CacheCheck | Phase::R2Fetch | Phase::LoaderIsolateStart => false,
        };
        let (mut first, mut work, mut io_end) = (Nanos::MAX, 0, 0);
        for s in load.spans.as_slice() {
            if on_thread(s.phase) {
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

    /// A request that arrived at `arrival` reaches its running DO at `now`
    /// with the thread model on: its handler runs when the thread is free.
    pub(super) fn serve_on_thread(&mut self, k: u32, ordinal: u32, arrival: Nanos, now: Nanos) {
        let Some(threads) = &self.threads else {
            return;
        };
        let b = now.max(threads.free_at(threads.isolate_of(k)));
        let d = &self.dos[k as usize];
        if b == now || self.blocking && d.ready_at() > b {
            // The thread is free now (or the DO waits for its constructor
            // anyway, which `serve_locally` handles).
            self.route(k, ordinal, arrival, now);
        } else if d.ready_at() <= b {
            // Ready when the handler runs: the query queues on the thread.
            let path = if arrival < d.started_at || d.ready_at() > arrival {
                Path::Queued
            } else {
                Path::Local
            };
            self.serve_ready_later(k, ordinal, arrival, now, b, path);
        } else {
            // Not ready when the handler runs: it decides then.
            self.note_thread_wait(arrival, b - now);
            let d = &mut self.dos[k as usize];
            d.waiting = d.waiting.saturating_add(1);
            let epoch = d.epoch;
            self.queue.push_hinted(
                b,
                Event::Handle {
                    tenant: k,
                    epoch,
                    ordinal,
                    arrival,
                },
                k,
            );
        }
    }

    /// The handler of a request to a DO that will be ready at `b` (when
    /// the thread falls free) runs then; `now` is when it was queued.
    fn serve_ready_later(
        &mut self,
        k: u32,
        ordinal: u32,
        arrival: Nanos,
        now: Nanos,
        b: Nanos,
        path: Path,
    ) {
        if self.policy.has(crate::policies::Policy::PartialLoading) {
            if let Some(ext) = self.extension_for(k, b) {
                if self.blocking {
                    self.serve_locally(k, ordinal, arrival, ext, Path::Queued);
                } else {
                    self.note_thread_wait(arrival, b - now);
                    let d = &mut self.dos[k as usize];
                    d.waiting = d.waiting.saturating_add(1);
                    let epoch = d.epoch;
                    self.queue.push_hinted(
                        b,
                        Event::Dispatch {
                            tenant: k,
                            epoch,
                            ordinal,
                            arrival,
                        },
                        k,
                    );
                }
                return;
            }
        }
        self.serve_locally(k, ordinal, arrival, now, path);
    }

    /// A handler that waited for the thread runs (`Event::Handle`).
    pub(super) fn on_handle(
        &mut self,
        k: u32,
        epoch: u32,
        ordinal: u32,
        arrival: Nanos,
        now: Nanos,
    ) {
        let d = &mut self.dos[k as usize];
        if d.epoch == epoch {
            d.waiting = d.waiting.saturating_sub(1);
            self.route(k, ordinal, arrival, now);
        } else if self.lost_to_reset(k) {
            self.fail_reset(arrival);
        } else {
            // That life ended otherwise: the request goes to the DO as it
            // is now.
            self.request(k, arrival, now);
        }
    }

    /// A request the handler delegates after waiting for the thread
    /// (`Event::Dispatch`).
    pub(super) fn on_dispatch(
        &mut self,
        k: u32,
        epoch: u32,
        ordinal: u32,
        arrival: Nanos,
        now: Nanos,
    ) {
        let d = &mut self.dos[k as usize];
        if d.epoch == epoch {
            d.waiting = d.waiting.saturating_sub(1);
        } else if self.lost_to_reset(k) {
            self.fail_reset(arrival);
            return;
        }
        self.dispatch(k, ordinal, arrival, now);
    }

    /// Runs a local query of `exec` on the thread, queued at `submit`;
    /// returns when it is done.
    pub(super) fn exec_on_thread(
        &mut self,
        k: u32,
        arrival: Nanos,
        submit: Nanos,
        exec: Nanos,
    ) -> Nanos {
        let Some(threads) = &mut self.threads else {
            return submit + exec;
        };
        let piece = threads.run(threads.isolate_of(k), submit, exec);
        self.note_thread_wait(arrival, piece.start - submit);
        piece.end
    }

    /// Whether a local query at this DO must wait for its load's CPU part
    /// to be queued (traditional, whose requests wait for the load, before
    /// the load's end is known): then it is tried again when that happens.
    pub(super) fn defer_until_load_queued(&mut self, k: u32, ordinal: u32, arrival: Nanos) -> bool {
        let d = &self.dos[k as usize];
        if self.threads.is_none()
            || !self.blocking
            || d.ready_at() != NEVER
            || d.load == LoadState::Failed
            || !self.has_load
        {
            return false;
        }
        let at = d.busy_until.max(self.clock);
        let epoch = d.epoch;
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
        true
    }

    /// The load's CPU part (what is left of it, `work`) is queued on the
    /// thread (`Event::LoadCpu`): as one piece, or one slice at a time.
    pub(super) fn on_load_cpu(&mut self, k: u32, epoch: u32, work: Nanos, now: Nanos) {
        let slice = self.config.isolate.slice;
        let Some(threads) = &mut self.threads else {
            return;
        };
        if self.dos[k as usize].epoch != epoch {
            return;
        }
        let piece = if slice > 0 { work.min(slice) } else { work };
        let ran = threads.run(threads.isolate_of(k), now, piece);
        let rest = work - piece;
        let blocking = self.blocking;
        let d = &mut self.dos[k as usize];
        if blocking {
            d.busy_until = ran.end;
        }
        if rest > 0 {
            self.queue.push_hinted(
                ran.end,
                Event::LoadCpu {
                    tenant: k,
                    epoch,
                    work: rest,
                },
                k,
            );
            return;
        }
        d.set_ready_at(ran.end);
        if blocking || self.config.durable_object.load_keeps_alive {
            // The load held its DO; from its end the DO may go idle.
            d.waiting = d.waiting.saturating_sub(1);
            d.quiet_from = d.quiet_from.max(ran.end);
            self.arm_idle(k);
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
