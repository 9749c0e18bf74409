//! Isolates: the JavaScript threads Durable Objects run on.
//!
//! A DO is single-threaded, and DOs of one class may share an isolate and
//! its memory (docs/sources.md, "Isolates"). An isolate has one thread: a
//! piece of CPU work (PGLite's init, a synchronous compile, a local query)
//! holds it, and nothing else of that isolate runs until the piece ends,
//! neither another DO's query nor a request handler that would only have
//! delegated. Pieces are served one at a time in the order they become
//! runnable (FIFO), so one tenant's cold start delays other tenants' warm
//! queries (head-of-line blocking).
//!
//! Because pieces are submitted in event order and served FIFO, the thread
//! is fully described by the time it next falls free (`free_at`), exactly
//! like a DO's execution slot: a piece of `work` submitted at `now` runs
//! from `max(now, free_at)` to that plus `work`. No event is needed per
//! piece, and an isolate whose queue is empty costs one comparison.
//!
//! Tenant `k` lives in isolate `k mod n`, with `n = ceil(tenants /
//! dos_per_isolate)`: every isolate holds at most `dos_per_isolate` DOs,
//! and popularity ranks interleave across isolates. `dos_per_isolate = 1`
//! gives every DO a thread of its own; a value covering the fleet puts every
//! DO on one thread (one local workerd process).
//!
//! Invariants (tested): a thread never runs two pieces at once (pieces are
//! disjoint and in submission order); a piece never starts before it was
//! submitted; busy time counted in the window never exceeds the window.

use crate::time::Nanos;

/// The isolate model's parameters (`[isolate]`).
#[derive(Debug, Clone, PartialEq)]
pub struct IsolateParams {
    /// DOs that share one isolate (one thread, one memory limit); >= 1.
    pub dos_per_isolate: u64,
    /// The isolate's memory limit in MB; 0: no limit.
    pub memory_limit_mb: f64,
    /// Which phases (and the local query) hold the thread.
    pub cpu: CpuPhases,
    /// A CPU phase yields the thread after each slice of this length (0:
    /// it runs as one block, as PGLite's init does).
    pub slice: Nanos,
}

impl Default for IsolateParams {
    /// One DO per isolate and nothing on the thread: the model without
    /// threads.
    fn default() -> Self {
        Self {
            dos_per_isolate: 1,
            memory_limit_mb: 0.0,
            cpu: CpuPhases::NONE,
            slice: 0,
        }
    }
}

impl IsolateParams {
    /// Whether any work holds a thread: otherwise the model is off and costs
    /// nothing.
    pub fn threads_on(&self) -> bool {
        self.cpu != CpuPhases::NONE
    }
}

/// Work that may hold the thread: the load phases that can be CPU-bound,
/// and the local query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CpuWork {
    /// Reading the data bundle where it is in the worker's bundle
    /// (traditional, hybrid): copying it into PGLite's file system. Lazy's
    /// data read is a fetch, never on the thread.
    DataRead,
    WasmCompile,
    LoaderCompile,
    PgliteInit,
    QueryExec,
}

impl CpuWork {
    pub const ALL: [CpuWork; 5] = [
        CpuWork::DataRead,
        CpuWork::WasmCompile,
        CpuWork::LoaderCompile,
        CpuWork::PgliteInit,
        CpuWork::QueryExec,
    ];

    /// The name in `isolate.cpu_phases` (the phase's key under `[phases]`,
    /// or `query_exec`).
    pub fn key(self) -> &'static str {
        match self {
            CpuWork::DataRead => "data_read",
            CpuWork::WasmCompile => "wasm_compile",
            CpuWork::LoaderCompile => "loader_compile",
            CpuWork::PgliteInit => "pglite_init",
            CpuWork::QueryExec => "query_exec",
        }
    }

    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|w| w.key() == key)
    }

    fn bit(self) -> u8 {
        1 << self as u8
    }
}

/// A set of [`CpuWork`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CpuPhases(u8);

impl CpuPhases {
    pub const NONE: CpuPhases = CpuPhases(0);

    pub fn with(self, work: CpuWork) -> Self {
        CpuPhases(self.0 | work.bit())
    }

    #[inline]
    pub fn holds(self, work: CpuWork) -> bool {
        self.0 & work.bit() != 0
    }

    /// The members, in [`CpuWork::ALL`] order.
    pub fn iter(self) -> impl Iterator<Item = CpuWork> {
        CpuWork::ALL.into_iter().filter(move |w| self.holds(*w))
    }
}

/// When a piece of CPU work ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Piece {
    pub start: Nanos,
    pub end: Nanos,
}

/// One isolate's thread: 16 bytes, the two fields a piece touches.
#[derive(Debug, Clone, Copy, Default)]
struct Thread {
    free_at: Nanos,
    /// CPU time run inside the measurement window.
    busy_ns: Nanos,
}

/// Every isolate's thread, and what they did.
#[derive(Debug)]
pub struct Threads {
    threads: Vec<Thread>,
    /// Isolates (`threads.len()`), kept apart for the tenant-to-isolate map.
    isolates: u32,
    /// The measurement window, for busy time.
    from: Nanos,
    to: Nanos,
}

impl Threads {
    /// The threads of a fleet of `tenants` DOs, `dos_per_isolate` to an
    /// isolate, measured over `[from, to)`.
    pub fn new(tenants: u32, dos_per_isolate: u64, from: Nanos, to: Nanos) -> Self {
        let isolates = isolates_for(tenants, dos_per_isolate);
        Self {
            threads: vec![Thread::default(); isolates as usize],
            isolates,
            from,
            to,
        }
    }

    /// How many isolates the fleet has.
    pub fn isolates(&self) -> u32 {
        self.isolates
    }

    /// The isolate of `tenant`.
    #[inline]
    pub fn isolate_of(&self, tenant: u32) -> u32 {
        isolate_of(tenant, self.isolates)
    }

    /// When the thread of `isolate` next falls free (in the past if idle).
    #[inline]
    pub fn free_at(&self, isolate: u32) -> Nanos {
        self.threads.get(isolate as usize).map_or(0, |t| t.free_at)
    }

    /// Runs `work` on the thread of `isolate`, submitted at `now` (which
    /// must not precede an earlier submission's `now`): it starts when the
    /// pieces ahead of it are done.
    #[inline]
    pub fn run(&mut self, isolate: u32, now: Nanos, work: Nanos) -> Piece {
        let (from, to) = (self.from, self.to);
        let Some(t) = self.threads.get_mut(isolate as usize) else {
            return Piece {
                start: now,
                end: now.saturating_add(work),
            };
        };
        let start = now.max(t.free_at);
        let end = start.saturating_add(work);
        t.free_at = end;
        // The part of [start, end) inside the window.
        let (a, b) = (start.max(from), end.min(to));
        if b > a {
            t.busy_ns += b - a;
        }
        Piece { start, end }
    }

    /// The isolate was reset at `now`: its queued work is gone with it, and
    /// so is the busy time counted for it. The work after `now` is one
    /// stretch (a gap opens only when a piece is submitted to an idle
    /// thread, which is before `now`), unless a piece was submitted for a
    /// future time; then the gap is taken as work too.
    pub fn reset(&mut self, isolate: u32, now: Nanos) {
        let (from, to) = (self.from, self.to);
        if let Some(t) = self.threads.get_mut(isolate as usize) {
            let (a, b) = (now.max(from), t.free_at.min(to));
            if b > a {
                t.busy_ns = t.busy_ns.saturating_sub(b - a);
            }
            t.free_at = t.free_at.min(now);
        }
    }

    /// CPU utilisation over the window: the mean over isolates and the
    /// busiest isolate's.
    pub fn utilisation(&self) -> (f64, f64) {
        let window = self.to.saturating_sub(self.from) as f64;
        if window <= 0.0 || self.threads.is_empty() {
            return (0.0, 0.0);
        }
        let total: u128 = self.threads.iter().map(|t| u128::from(t.busy_ns)).sum();
        let max = self.threads.iter().map(|t| t.busy_ns).max().unwrap_or(0);
        (
            total as f64 / self.threads.len() as f64 / window,
            max as f64 / window,
        )
    }
}

/// The isolate of `tenant` among `isolates`: `tenant mod isolates`.
#[inline]
pub fn isolate_of(tenant: u32, isolates: u32) -> u32 {
    if tenant < isolates {
        tenant
    } else {
        tenant % isolates.max(1)
    }
}

/// `ceil(tenants / dos_per_isolate)`, at least 1.
pub fn isolates_for(tenants: u32, dos_per_isolate: u64) -> u32 {
    let per = dos_per_isolate.max(1);
    u64::from(tenants).div_ceil(per).max(1) as u32
}

/// The DOs of one isolate: `isolate`, `isolate + n`, ... below `tenants`.
pub fn members(isolate: u32, isolates: u32, tenants: u32) -> impl Iterator<Item = u32> {
    (u64::from(isolate)..u64::from(tenants))
        .step_by(isolates.max(1) as usize)
        .map(|k| k as u32)
}

/// Memory held in each isolate, against its limit.
#[derive(Debug)]
pub struct IsolateMemory {
    used_kib: Vec<u64>,
    isolates: u32,
    limit_kib: u64,
}

impl IsolateMemory {
    /// The isolates of `tenants` DOs, `dos_per_isolate` to one, each
    /// limited to `limit_kib`.
    pub fn new(tenants: u32, dos_per_isolate: u64, limit_kib: u64) -> Self {
        let isolates = isolates_for(tenants, dos_per_isolate);
        Self {
            used_kib: vec![0; isolates as usize],
            isolates,
            limit_kib,
        }
    }

    pub fn isolates(&self) -> u32 {
        self.isolates
    }

    #[inline]
    pub fn isolate_of(&self, tenant: u32) -> u32 {
        isolate_of(tenant, self.isolates)
    }

    /// Whether `isolate` holds more than its limit.
    pub fn over_limit(&self, isolate: u32) -> bool {
        self.used_kib(isolate) > self.limit_kib
    }

    /// Adds `kib` to `isolate`; whether it is now over its limit.
    pub fn add(&mut self, isolate: u32, kib: u64) -> bool {
        match self.used_kib.get_mut(isolate as usize) {
            Some(used) => {
                *used += kib;
                *used > self.limit_kib
            }
            None => false,
        }
    }

    pub fn sub(&mut self, isolate: u32, kib: u64) {
        if let Some(used) = self.used_kib.get_mut(isolate as usize) {
            *used = used.saturating_sub(kib);
        }
    }

    pub fn used_kib(&self, isolate: u32) -> u64 {
        self.used_kib.get(isolate as usize).copied().unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn pieces_run_one_at_a_time_in_fifo_order() {
        let mut t = Threads::new(4, 4, 0, 1_000);
        assert_eq!(t.isolates(), 1);
        let a = t.run(0, 10, 100);
        let b = t.run(0, 20, 5);
        let c = t.run(0, 200, 7);
        assert_eq!(
            a,
            Piece {
                start: 10,
                end: 110
            }
        );
        assert_eq!(
            b,
            Piece {
                start: 110,
                end: 115
            }
        );
        assert_eq!(
            c,
            Piece {
                start: 200,
                end: 207
            }
        );
        assert_eq!(t.free_at(0), 207);
    }

    #[test]
    fn one_do_per_isolate_is_a_thread_each() {
        let mut t = Threads::new(3, 1, 0, 1_000);
        assert_eq!(t.isolates(), 3);
        assert_eq!(
            (0..3).map(|k| t.isolate_of(k)).collect::<Vec<_>>(),
            [0, 1, 2]
        );
        t.run(0, 0, 500);
        assert_eq!(t.run(1, 0, 10), Piece { start: 0, end: 10 });
    }

    #[test]
    fn isolates_hold_at_most_dos_per_isolate_and_every_tenant_once() {
        for (tenants, per) in [(10u32, 3u64), (7, 7), (7, 100), (1, 1), (100, 1), (9, 2)] {
            let t = Threads::new(tenants, per, 0, 1);
            let n = t.isolates();
            assert_eq!(n, isolates_for(tenants, per));
            let mut seen = vec![0u32; tenants as usize];
            for i in 0..n {
                let m: Vec<u32> = members(i, n, tenants).collect();
                assert!(m.len() as u64 <= per, "{tenants} {per}: {m:?}");
                for k in m {
                    assert_eq!(t.isolate_of(k), i);
                    seen[k as usize] += 1;
                }
            }
            assert!(seen.iter().all(|&c| c == 1), "{tenants} {per}: {seen:?}");
        }
    }

    #[test]
    fn busy_time_is_clipped_to_the_window_and_gives_utilisation() {
        let mut t = Threads::new(2, 1, 100, 1_100);
        t.run(0, 50, 100); // 50..150: 50 in the window
        t.run(0, 1_000, 200); // 1000..1200: 100 in the window
        t.run(1, 0, 50); // before the window
        let (mean, max) = t.utilisation();
        assert!((max - 0.15).abs() < 1e-12, "{max}");
        assert!((mean - 0.075).abs() < 1e-12, "{mean}");
    }

    #[test]
    fn a_reset_drops_the_queued_work() {
        let mut t = Threads::new(1, 1, 0, 1_000);
        t.run(0, 0, 500);
        t.reset(0, 100);
        // Only what ran before the reset was busy.
        assert!((t.utilisation().1 - 0.1).abs() < 1e-12);
        assert_eq!(
            t.run(0, 100, 1),
            Piece {
                start: 100,
                end: 101
            }
        );
    }

    #[test]
    fn memory_counts_against_the_limit() {
        let mut m = IsolateMemory::new(4, 2, 100);
        assert_eq!(m.isolates(), 2);
        assert_eq!(m.isolate_of(3), 1);
        assert!(!m.add(0, 60));
        assert!(m.add(0, 60));
        assert!(m.over_limit(0));
        m.sub(0, 60);
        assert_eq!(m.used_kib(0), 60);
        assert!(!m.over_limit(0));
        assert!(!m.add(1, 100));
    }

    #[test]
    fn cpu_phase_keys_round_trip() {
        for w in CpuWork::ALL {
            assert_eq!(CpuWork::from_key(w.key()), Some(w));
            assert!(CpuPhases::NONE.with(w).holds(w));
            assert_eq!(CpuPhases::NONE.with(w).iter().collect::<Vec<_>>(), [w]);
        }
        assert_eq!(CpuWork::from_key("r2_fetch"), None);
        assert!(!IsolateParams::default().threads_on());
    }

    proptest! {
        /// Any sequence of submissions in time order: pieces never overlap,
        /// never start before they were submitted, keep FIFO order, and the
        /// thread is idle only when nothing is queued.
        #[test]
        fn a_thread_never_runs_two_pieces_at_once(
            steps in proptest::collection::vec((0u64..50, 0u64..40), 1..200)
        ) {
            let mut t = Threads::new(1, 1, 0, 1_000_000);
            let (mut now, mut last_end) = (0u64, 0u64);
            let mut work_total = 0u64;
            for (gap, work) in steps {
                now += gap;
                let p = t.run(0, now, work);
                prop_assert!(p.start >= now);
                prop_assert!(p.start >= last_end, "overlap");
                // Work-conserving: it waits only behind the previous piece.
                prop_assert_eq!(p.start, now.max(last_end));
                prop_assert_eq!(p.end, p.start + work);
                last_end = p.end;
                work_total += work;
            }
            let (mean, _) = t.utilisation();
            prop_assert!((mean * 1e6 - work_total as f64).abs() < 1e-6);
        }
    }
}
