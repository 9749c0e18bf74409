//! Per-tenant Durable Object state: compact, fixed size, no allocation.
//!
//! A DO is `Evicted` or resident (`Starting` while its constructor runs,
//! then `Running`). Its local execution slot is FIFO: since every local
//! request's service time is drawn when it arrives, the slot is fully
//! described by the time it next falls free (`busy_until`), and a request's
//! completion is `max(arrival, busy_until) + exec`. Everything the DO is
//! known to be doing ends by `quiet_from`; its idle period starts then and
//! ends in eviction at `idle_deadline` unless a request comes first.
//!
//! The all-zero bit pattern is the default state (evicted, never started):
//! times that default to "never" are stored bitwise negated. So a fleet's
//! states come from a zeroed allocation ([`zeroed_states`]), which the
//! system hands out as untouched pages: a tenant costs memory only once a
//! request reaches it, and 10^8 tenants cost nothing to set up.

use crate::architecture::WasmSource;
use crate::time::Nanos;

/// Whether the DO is in memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Status {
    /// Not in memory: the next request starts it (a cold start).
    Evicted,
    /// Isolate start and constructor running; requests wait.
    Starting,
    /// Constructor done.
    Running,
    /// Not in memory, and requests wait for room on its host
    /// (`hosts.when_full = "wait"`): the first admitted starts it.
    Pending,
}

/// Where the PGLite runtime is (MODEL.md section 5). Lazy's finer states
/// (`loading_from_cache` to `initializing`) are phases of `Active` whose
/// durations were drawn when the DO started; `ready` is `Active` once the
/// clock passes `ready_at`, so reaching it needs no event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum LoadState {
    /// No load begun (thin, or before the constructor finishes).
    NotStarted,
    /// Loading, or loaded once `now >= ready_at`: the runtime's memory is held.
    Active,
    /// The load failed (lazy under a blocked embedder): delegate for the
    /// rest of this DO's life.
    Failed,
}

/// One Durable Object's state: 64 bytes, aligned to a cache line, so that
/// a touch (or a prefetch) of a tenant is one line, never two (a large
/// allocation starts 16 bytes into a page).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(align(64))]
pub struct DoState {
    /// When the constructor finishes and the load begins.
    pub started_at: Nanos,
    /// When the runtime is ready (`NEVER` if this life has no successful
    /// load), bitwise negated: read with [`ready_at`](Self::ready_at).
    ready_at_not: Nanos,
    /// When the local execution slot next falls free.
    pub busy_until: Nanos,
    /// When all known work (local, delegated, and the load if it keeps the
    /// DO alive) is done.
    pub quiet_from: Nanos,
    /// When the DO is evicted if no request arrives first.
    pub idle_deadline: Nanos,
    /// The deadline of this DO's entry in the expiry queue (`NO_TIMER` if
    /// none), bitwise negated: read with [`timer_at`](Self::timer_at).
    /// Always `<= idle_deadline` while armed.
    timer_at_not: Nanos,
    /// Requests since the DO last started (1 = the cold request).
    pub ordinal: u32,
    /// Incremented at every start: events of an earlier life are stale.
    pub epoch: u32,
    pub status: Status,
    pub load: LoadState,
    /// Where this life's WASM came from (for load-time statistics).
    pub source: WasmSource,
    /// Started by prewarming and not requested yet.
    pub prewarmed: bool,
    /// Delegated requests waiting for a compute-worker slot.
    pub waiting: u16,
}

/// `timer_at` value of a DO with no expiry entry.
pub const NO_TIMER: Nanos = Nanos::MAX;

/// `ready_at` of a DO whose runtime will not be ready in this life.
pub const NEVER: Nanos = Nanos::MAX;

impl Default for DoState {
    fn default() -> Self {
        Self {
            started_at: 0,
            ready_at_not: !NEVER,
            busy_until: 0,
            quiet_from: 0,
            idle_deadline: 0,
            timer_at_not: !NO_TIMER,
            ordinal: 0,
            epoch: 0,
            status: Status::Evicted,
            load: LoadState::NotStarted,
            source: WasmSource::Bundle,
            prewarmed: false,
            waiting: 0,
        }
    }
}

/// `count` default states, from zeroed memory (see the module docs).
pub fn zeroed_states(count: usize) -> Vec<DoState> {
    use std::alloc::{alloc_zeroed, handle_alloc_error, Layout};
    if count == 0 {
        return Vec::new();
    }
    let layout = Layout::array::<DoState>(count).expect("tenant count fits in memory");
    // SAFETY: the layout has a non-zero size; every field of `DoState` is an
    // integer, a bool or a `repr(u8)` enum whose zero is a variant, so zero
    // bytes are a valid `DoState` (the default one: tested); the pointer
    // comes from the global allocator with the layout of `count` states, as
    // `Vec::from_raw_parts` requires.
    unsafe {
        let ptr = alloc_zeroed(layout).cast::<DoState>();
        if ptr.is_null() {
            handle_alloc_error(layout);
        }
        advise_huge_pages(ptr.cast(), layout.size());
        Vec::from_raw_parts(ptr, count, count)
    }
}

thread_local! {
    /// The last finished run's states on this thread, kept for the next run
    /// (fleets up to [`HUGE_PAGES_UP_TO_TENANTS`] only).
    static SPARE: std::cell::RefCell<Vec<DoState>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// `count` default states for a run: this thread's spare states from its
/// last run, reset, when they are large enough; fresh zeroed memory
/// otherwise. A sweep runs many runs per thread: reusing memory the process
/// already holds skips the kernel's zeroing of fresh pages on first touch,
/// which costs several times more than a reset (a fifth of a run of 2M
/// requests over 1M tenants, on a virtual machine). Fleets past
/// [`HUGE_PAGES_UP_TO_TENANTS`] always take fresh memory, so that tenants
/// no request reaches cost none.
pub fn fleet_states(count: usize) -> Vec<DoState> {
    if count <= HUGE_PAGES_UP_TO_TENANTS {
        let spare = SPARE.with(|s| std::mem::take(&mut *s.borrow_mut()));
        if spare.capacity() >= count && spare.capacity() <= 2 * count.max(1) {
            let mut states = spare;
            states.clear();
            // SAFETY: capacity >= count; zero bytes are a valid (the
            // default) `DoState` (see `zeroed_states`), so after writing
            // them the first `count` elements are initialised.
            unsafe {
                std::ptr::write_bytes(states.as_mut_ptr(), 0, count);
                states.set_len(count);
            }
            return states;
        }
    }
    zeroed_states(count)
}

/// Keeps a finished run's states for the next run on this thread.
pub fn recycle_states(states: Vec<DoState>) {
    if states.capacity() <= HUGE_PAGES_UP_TO_TENANTS {
        SPARE.with(|s| *s.borrow_mut() = states);
    }
}

/// Fleets up to this size (640 MB of states) ask for huge pages.
const HUGE_PAGES_UP_TO_TENANTS: usize = 10_000_000;

/// Asks Linux to back a fleet's states with 2 MB pages when the fleet is
/// small enough that committing whole huge pages costs little: requests go
/// to tenants at random, and with 4 KB pages nearly every one misses the
/// TLB. Larger fleets keep 4 KB pages, so that untouched tenants cost no
/// memory. Only a hint: no effect on results, none where unsupported.
fn advise_huge_pages(ptr: *mut u8, bytes: usize) {
    #[cfg(target_os = "linux")]
    if bytes >= 4 << 20 && bytes / std::mem::size_of::<DoState>() <= HUGE_PAGES_UP_TO_TENANTS {
        extern "C" {
            fn madvise(
                addr: *mut std::ffi::c_void,
                len: usize,
                advice: std::ffi::c_int,
            ) -> std::ffi::c_int;
        }
        const MADV_HUGEPAGE: std::ffi::c_int = 14;
        const PAGE: usize = 4096;
        // madvise wants a page-aligned start: the whole pages inside.
        let start = (ptr as usize).div_ceil(PAGE) * PAGE;
        let end = (ptr as usize + bytes) / PAGE * PAGE;
        if end > start {
            // SAFETY: the range lies inside an allocation we own; the
            // advice changes how it is backed, never its contents. A
            // failure (no THP) is harmless and ignored.
            unsafe {
                madvise(start as *mut std::ffi::c_void, end - start, MADV_HUGEPAGE);
            }
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = (ptr, bytes);
}

impl DoState {
    /// When the runtime is ready (`NEVER` if this life has no successful
    /// load).
    #[inline]
    pub fn ready_at(&self) -> Nanos {
        !self.ready_at_not
    }

    #[inline]
    pub fn set_ready_at(&mut self, t: Nanos) {
        self.ready_at_not = !t;
    }

    /// The deadline of the DO's expiry entry (`NO_TIMER` if none).
    #[inline]
    pub fn timer_at(&self) -> Nanos {
        !self.timer_at_not
    }

    #[inline]
    pub fn set_timer_at(&mut self, t: Nanos) {
        self.timer_at_not = !t;
    }

    /// Whether the DO is in memory.
    #[inline]
    pub fn is_resident(&self) -> bool {
        matches!(self.status, Status::Starting | Status::Running)
    }

    /// Whether the PGLite runtime's memory is held.
    #[inline]
    pub fn holds_runtime(&self) -> bool {
        self.load == LoadState::Active
    }

    /// Whether queries can run locally at `now`.
    #[inline]
    pub fn is_ready(&self, now: Nanos) -> bool {
        now >= self.ready_at()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_is_compact() {
        // Tens of bytes per tenant: 10^8 tenants must fit in memory.
        assert!(
            std::mem::size_of::<DoState>() <= 64,
            "{}",
            std::mem::size_of::<DoState>()
        );
        // One cache line each, wherever the allocation starts.
        assert_eq!(std::mem::align_of::<DoState>(), 64);
        let states = zeroed_states(3);
        assert_eq!(states.as_ptr() as usize % 64, 0);
    }

    #[test]
    fn recycled_states_are_default_states() {
        let mut states = fleet_states(1000);
        states[7].epoch = 9;
        states[999].waiting = 3;
        let ptr = states.as_ptr();
        recycle_states(states);
        let again = fleet_states(900);
        assert_eq!(again.as_ptr(), ptr, "reused");
        assert_eq!(again.len(), 900);
        assert!(again
            .iter()
            .all(|d| d.epoch == 0 && d.waiting == 0 && d.ready_at() == NEVER));
        recycle_states(again);
        // Too small, or more than twice too large: fresh memory.
        assert_eq!(fleet_states(5000).len(), 5000);
    }

    #[test]
    fn zeroed_states_are_default_states() {
        let states = zeroed_states(1000);
        assert_eq!(states.len(), 1000);
        assert!(states.iter().all(|d| *d == DoState::default()));
        let d = DoState::default();
        assert_eq!((d.ready_at(), d.timer_at()), (NEVER, NO_TIMER));
        assert_eq!(d.status, Status::Evicted);
        assert!(zeroed_states(0).is_empty());
    }
}
