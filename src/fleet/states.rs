//! The fleet's DO states: one 64-byte, line-aligned [`DoState`] per tenant.
//!
//! Zero bytes are the default state (see [`super::durable_object`]), so a
//! fleet is memory the kernel hands out zeroed and untouched: a tenant costs
//! memory only once a request reaches it, and 10^8 tenants cost nothing to
//! set up. On Linux, fleets of at least 4 MB are mapped directly (`mmap`):
//! the global allocator cannot return zeroed memory aligned to a cache line
//! without writing every byte of it, and a mapping can start on a 2 MB
//! boundary, so that fleets up to [`HUGE_PAGES_UP_TO_TENANTS`] are asked to
//! be backed by huge pages (requests go to tenants at random: with 4 KB
//! pages nearly every one misses the TLB). Larger fleets keep 4 KB pages so
//! that untouched tenants stay free.
//!
//! A sweep runs many runs per thread: [`fleet_states`] hands a thread's
//! next run the states of its last one ([`recycle_states`]), reset with one
//! `memset`, since the kernel's zeroing of fresh pages on first touch costs
//! several times more (a fifth of a run of 2M requests over 1M tenants, on
//! a virtual machine).

use std::alloc::{alloc_zeroed, dealloc, handle_alloc_error, Layout};
use std::ops::{Deref, DerefMut};
use std::ptr::NonNull;

use super::DoState;

/// Fleets up to this size (640 MB of states) ask for huge pages, and are
/// kept for the thread's next run.
pub const HUGE_PAGES_UP_TO_TENANTS: usize = 10_000_000;

/// Fleets from this size (in bytes) are mapped rather than allocated.
const MAP_FROM_BYTES: usize = 4 << 20;

const HUGE_PAGE: usize = 2 << 20;

/// Where a fleet's memory comes from, to give it back the same way.
#[derive(Debug)]
enum Backing {
    /// No memory (an empty fleet).
    None,
    /// The global allocator, with this layout.
    Heap(Layout),
    /// An anonymous mapping of `bytes` bytes at `base`.
    #[cfg(target_os = "linux")]
    Mapped {
        base: *mut libc::c_void,
        bytes: usize,
    },
}

/// A fleet's states: a slice of `DoState` that owns its memory.
#[derive(Debug)]
pub struct States {
    ptr: NonNull<DoState>,
    len: usize,
    /// States the memory holds (`len` of them are in use).
    capacity: usize,
    backing: Backing,
}

// SAFETY: `States` owns its memory exclusively, like a `Vec<DoState>`, and
// `DoState` is plain data.
unsafe impl Send for States {}
// SAFETY: shared access only reads, as for a `Vec<DoState>`.
unsafe impl Sync for States {}

impl Default for States {
    fn default() -> Self {
        Self {
            ptr: NonNull::dangling(),
            len: 0,
            capacity: 0,
            backing: Backing::None,
        }
    }
}

impl Deref for States {
    type Target = [DoState];

    #[inline(always)]
    fn deref(&self) -> &[DoState] {
        // SAFETY: `ptr` points to `capacity >= len` initialised states (or
        // is dangling with `len == 0`), aligned, owned by `self`.
        unsafe { std::slice::from_raw_parts(self.ptr.as_ptr(), self.len) }
    }
}

impl DerefMut for States {
    #[inline(always)]
    fn deref_mut(&mut self) -> &mut [DoState] {
        // SAFETY: as in `deref`, and `&mut self` makes the access unique.
        unsafe { std::slice::from_raw_parts_mut(self.ptr.as_ptr(), self.len) }
    }
}

impl Drop for States {
    fn drop(&mut self) {
        match self.backing {
            Backing::None => {}
            // SAFETY: allocated by `alloc_zeroed` with this layout.
            Backing::Heap(layout) => unsafe { dealloc(self.ptr.as_ptr().cast(), layout) },
            #[cfg(target_os = "linux")]
            // SAFETY: the mapping made in `zeroed_states`, unmapped once.
            Backing::Mapped { base, bytes } => unsafe {
                libc::munmap(base, bytes);
            },
        }
    }
}

/// `count` default states, from zeroed memory (see the module docs).
pub fn zeroed_states(count: usize) -> States {
    if count == 0 {
        return States::default();
    }
    let layout = Layout::array::<DoState>(count).expect("tenant count fits in memory");
    #[cfg(target_os = "linux")]
    if layout.size() >= MAP_FROM_BYTES {
        if let Some(states) = mapped(count, layout.size()) {
            return states;
        }
    }
    // SAFETY: the layout has a non-zero size. Zero bytes are a valid
    // `DoState` (the default one: tested), so the memory holds `count`
    // initialised states.
    unsafe {
        let ptr = alloc_zeroed(layout).cast::<DoState>();
        let Some(ptr) = NonNull::new(ptr) else {
            handle_alloc_error(layout)
        };
        States {
            ptr,
            len: count,
            capacity: count,
            backing: Backing::Heap(layout),
        }
    }
}

/// An anonymous mapping for `count` states (`size` bytes), on a 2 MB
/// boundary with huge pages asked for if the fleet is small enough; `None`
/// if the system refuses (the caller then allocates).
#[cfg(target_os = "linux")]
fn mapped(count: usize, size: usize) -> Option<States> {
    let huge = count <= HUGE_PAGES_UP_TO_TENANTS;
    let round = |n: usize, to: usize| n.div_ceil(to) * to;
    // Room to slide the start to a 2 MB boundary.
    let bytes = if huge {
        round(size, HUGE_PAGE) + HUGE_PAGE
    } else {
        size
    };
    // SAFETY: a fresh private anonymous mapping; no existing memory is
    // affected. Its pages read as zero until written.
    let base = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            bytes,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
            -1,
            0,
        )
    };
    if base == libc::MAP_FAILED {
        return None;
    }
    let start = if huge {
        round(base as usize, HUGE_PAGE)
    } else {
        base as usize
    };
    if huge {
        // SAFETY: the range lies inside the mapping; the advice changes how
        // it is backed, never its contents. A failure (no THP) is harmless.
        unsafe {
            libc::madvise(
                start as *mut libc::c_void,
                round(size, HUGE_PAGE),
                libc::MADV_HUGEPAGE,
            );
        }
    }
    // Page-aligned (2 MB-aligned when huge), so aligned for `DoState`; zero
    // bytes are the default state.
    let ptr = NonNull::new(start as *mut DoState)?;
    Some(States {
        ptr,
        len: count,
        capacity: count,
        backing: Backing::Mapped { base, bytes },
    })
}

thread_local! {
    /// The last finished run's states on this thread, kept for the next run
    /// (fleets up to [`HUGE_PAGES_UP_TO_TENANTS`] only).
    static SPARE: std::cell::RefCell<States> = std::cell::RefCell::new(States::default());
}

/// `count` default states for a run: this thread's spare states from its
/// last run, reset, when they are large enough and at most twice too large;
/// fresh zeroed memory otherwise (always past [`HUGE_PAGES_UP_TO_TENANTS`],
/// so that tenants no request reaches cost none).
pub fn fleet_states(count: usize) -> States {
    if count <= HUGE_PAGES_UP_TO_TENANTS {
        let mut spare = SPARE.with(|s| std::mem::take(&mut *s.borrow_mut()));
        if spare.capacity >= count && spare.capacity <= 2 * count.max(1) {
            // SAFETY: capacity >= count; zero bytes are a valid (the
            // default) `DoState`, so the first `count` states are
            // initialised after the write.
            unsafe { std::ptr::write_bytes(spare.ptr.as_ptr(), 0, count) };
            spare.len = count;
            return spare;
        }
    }
    zeroed_states(count)
}

/// Keeps a finished run's states for the next run on this thread.
pub fn recycle_states(states: States) {
    if states.capacity <= HUGE_PAGES_UP_TO_TENANTS {
        SPARE.with(|s| *s.borrow_mut() = states);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fleet::{Status, NEVER, NO_TIMER};

    #[test]
    fn states_are_line_aligned_whatever_their_backing() {
        for count in [1, 1000, (MAP_FROM_BYTES / 64) + 3] {
            let states = zeroed_states(count);
            assert_eq!(states.len(), count);
            assert_eq!(states.as_ptr() as usize % 64, 0, "{count}");
        }
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
        // Allocated, and mapped (past 4 MB).
        for count in [1000, 100_000] {
            let mut states = zeroed_states(count);
            assert_eq!(states.len(), count);
            assert!(states.iter().all(|d| *d == DoState::default()));
            // Writable to the last one.
            states[count - 1].epoch = 1;
        }
        let d = DoState::default();
        assert_eq!((d.ready_at(), d.timer_at()), (NEVER, NO_TIMER));
        assert_eq!(d.status, Status::Evicted);
        assert!(zeroed_states(0).is_empty());
    }
}
