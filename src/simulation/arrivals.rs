//! Arrivals drawn ahead of the one being handled, so that the tenants'
//! states are in cache by the time their requests are handled (a million
//! tenants' states do not fit in cache). Drawing ahead changes nothing
//! else: an arrival's sequence number is taken when it becomes the next
//! one, as if drawn then.

use super::{Observer, Simulation};
use crate::fleet::DoState;
use crate::workload::{Arrival, ArrivalProcess};

/// Arrivals drawn ahead of the one being handled.
pub(super) const LOOKAHEAD: usize = 12;

/// Fleets from this size draw arrivals ahead; smaller ones' states stay in
/// cache, and drawing ahead only costs.
pub(super) const LOOKAHEAD_FROM_TENANTS: u32 = 100_000;

/// Hints the CPU to load `dos[tenant]` into cache (no effect on results).
#[inline(always)]
pub(super) fn prefetch(dos: &[DoState], tenant: u32) {
    if let Some(d) = dos.get(tenant as usize) {
        crate::engine::prefetch(d);
    }
}

/// A FIFO of at most `LOOKAHEAD` arrivals, in place.
#[derive(Debug, Default)]
pub(super) struct Lookahead {
    ring: [Arrival; LOOKAHEAD],
    head: usize,
    len: usize,
    /// How many to keep: 1 for fleets whose states fit in cache.
    depth: usize,
}

impl Lookahead {
    pub(super) fn with_depth(depth: usize) -> Self {
        Self {
            depth,
            ..Self::default()
        }
    }

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

impl<O: Observer> Simulation<'_, O> {
    /// The next arrival, with its sequence number, or `None` past the end
    /// of the run. Keeps `LOOKAHEAD` arrivals drawn ahead, stopping at the
    /// first one past the end (a trace is not read further than before).
    #[inline(always)]
    pub(super) fn draw_arrival(&mut self) -> Option<(Arrival, u64)> {
        if self.lookahead.is_low() && !self.source_done {
            self.refill_lookahead();
        }
        let a = self.lookahead.pop_front()?;
        if a.time >= self.window.to {
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
                    // Start fetching this tenant's state now.
                    prefetch(&self.dos, a.tenant);
                    self.last_drawn = a.time;
                    self.source_done = a.time >= self.window.to;
                    self.lookahead.push_back(a);
                }
                None => self.source_done = true,
            }
        }
    }
}
