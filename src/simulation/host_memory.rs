//! The host model's part of the loop: making room for starts on a full host
//! (memory-pressure eviction), and the rule when no idle DO is left there.
//!
//! Under `when_full = "wait"`, a host's waiting requests are admitted in
//! arrival order (a new request queues behind them rather than overtaking),
//! whenever room may have appeared: a DO there was evicted by its timeout,
//! a load failed and gave its runtime back, or a DO went quiet (a
//! `HostRetry` event at the earliest known quiet time; `arm_idle` moves it
//! earlier when a DO's work changes). A request waiting when the run ends
//! gets no latency and is counted in `RunOutcome::unadmitted`.

use super::{Eviction, Observer, Simulation};
use crate::fleet::WhenFull;
use crate::fleet::{PendingRequest, Status, Victim};
use crate::simulation::Event;
use crate::time::Nanos;

/// Whether a start fits on its host after evicting idle DOs.
enum Room {
    Made,
    /// Not enough idle DOs; one may go quiet at this time.
    Short(Option<Nanos>),
}

impl<O: Observer> Simulation<'_, O> {
    /// A request that arrived at `arrival` finds its DO not resident at
    /// `now`, with hosts on.
    pub(super) fn cold_request_on_host(&mut self, k: u32, arrival: Nanos, now: Nanos) {
        let Some(hosts) = &self.hosts else {
            return;
        };
        let h = hosts.host_of(k);
        let rule = self.config.hosts.when_full;
        // Behind requests already waiting there (or for this very DO).
        let queued = rule == WhenFull::Wait
            && (hosts.has_pending(h) || self.dos[k as usize].status == Status::Pending);
        let room = if queued {
            Room::Short(None)
        } else {
            self.free_room(h, now)
        };
        match (room, rule) {
            (Room::Made, _) => self.cold_start(k, arrival, now),
            (Room::Short(_), WhenFull::Overcommit) => {
                if self.in_window(arrival) {
                    self.metrics.host_overcommits += 1;
                }
                self.cold_start(k, arrival, now);
            }
            (Room::Short(_), WhenFull::Fail) => {
                self.failed += 1;
                if self.in_window(arrival) {
                    self.metrics.requests_failed += 1;
                }
            }
            (Room::Short(next), WhenFull::Wait) => {
                if self.in_window(arrival) {
                    self.metrics.host_waits += 1;
                }
                self.dos[k as usize].status = Status::Pending;
                if let Some(hosts) = &mut self.hosts {
                    hosts.wait(h, PendingRequest { tenant: k, arrival });
                }
                if let Some(at) = next {
                    self.schedule_retry(h, at);
                }
            }
        }
    }

    /// Evicts host `h`'s least recently used idle DOs until a start fits.
    fn free_room(&mut self, h: usize, now: Nanos) -> Room {
        let need = self.memory.reserve_kib;
        loop {
            let Some(hosts) = &mut self.hosts else {
                return Room::Made;
            };
            if hosts.fits(h, need) {
                return Room::Made;
            }
            match hosts.victim(h, &self.dos, now) {
                Victim::Idle(v) => self.evict(v, now, Eviction::Pressure),
                Victim::NoneUntil(at) => return Room::Short(Some(at)),
                Victim::None => return Room::Short(None),
            }
        }
    }

    /// Whether a prewarm of `k` may start at `now`: only into room that
    /// idle DOs can make, never past requests waiting for it.
    pub(super) fn room_for_prewarm(&mut self, k: u32, now: Nanos) -> bool {
        let Some(hosts) = &self.hosts else {
            return true;
        };
        let h = hosts.host_of(k);
        !hosts.has_pending(h) && matches!(self.free_room(h, now), Room::Made)
    }

    /// Room may have appeared on `k`'s host at `now`: admit what waits.
    pub(super) fn admit_waiting(&mut self, k: u32, now: Nanos) {
        if let Some(hosts) = &self.hosts {
            let h = hosts.host_of(k);
            if hosts.has_pending(h) {
                self.admit(h, now);
            }
        }
    }

    /// Room appeared on `k`'s host at `now`: admit what waits there after
    /// the events already due at `now`.
    pub(super) fn retry_host_of(&mut self, k: u32, now: Nanos) {
        if let Some(hosts) = &self.hosts {
            let h = hosts.host_of(k);
            if hosts.has_pending(h) {
                self.queue.push(now, Event::HostRetry { host: h as u32 });
            }
        }
    }

    /// A `HostRetry` event.
    pub(super) fn on_host_retry(&mut self, h: usize, now: Nanos) {
        if let Some(hosts) = &mut self.hosts {
            hosts.retry_fired(h, now);
            if hosts.has_pending(h) {
                self.admit(h, now);
            }
        }
    }

    /// DO `k`'s work now ends at `quiet`: if requests wait on its host, it
    /// may make room then.
    pub(super) fn note_quiet(&mut self, k: u32, quiet: Nanos) {
        if let Some(hosts) = &self.hosts {
            let h = hosts.host_of(k);
            if hosts.has_pending(h) {
                self.schedule_retry(h, quiet);
            }
        }
    }

    /// Admits host `h`'s waiting requests in order while room can be made.
    fn admit(&mut self, h: usize, now: Nanos) {
        loop {
            let Some(p) = self.hosts.as_ref().and_then(|hosts| hosts.first_pending(h)) else {
                return;
            };
            if self.dos[p.tenant as usize].is_resident() {
                // An earlier waiting request started this DO: join it.
                self.pop_pending(h);
                self.join(p.tenant, p.arrival, now);
                continue;
            }
            match self.free_room(h, now) {
                Room::Made => {
                    self.pop_pending(h);
                    self.dos[p.tenant as usize].status = Status::Evicted;
                    self.cold_start(p.tenant, p.arrival, now);
                }
                Room::Short(next) => {
                    if let Some(at) = next {
                        self.schedule_retry(h, at);
                    }
                    return;
                }
            }
        }
    }

    fn pop_pending(&mut self, h: usize) {
        if let Some(hosts) = &mut self.hosts {
            hosts.pop_pending(h);
        }
    }

    /// Makes sure host `h` is retried by `at` (one event per earlier time).
    fn schedule_retry(&mut self, h: usize, at: Nanos) {
        let at = at.max(self.clock);
        if let Some(hosts) = &mut self.hosts {
            if hosts.schedule_retry(h, at) {
                self.queue.push(at, Event::HostRetry { host: h as u32 });
            }
        }
    }
}
