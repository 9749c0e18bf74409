//! Hosts: the memory DOs share, and memory-pressure eviction.
//!
//! With `H` hosts, tenant `k`'s DO lives on host `mix(k) mod H`, where `mix`
//! is the SplitMix64 finaliser: a fixed hash of the id, the same for every
//! seed, architecture and sweep point. A starting DO reserves its whole
//! footprint at once (base, bundle, and the runtime if its architecture
//! loads one), because a start must not be admitted and then find no room
//! for its runtime; a failed load gives the runtime's share back.
//!
//! Least-recently-used order among a host's DOs is the order in which they
//! went quiet (`quiet_from`, the end of their last known work). Each life of
//! a DO has exactly one entry in its host's heap, keyed by a time at or
//! before its `quiet_from`, and tagged with the life's epoch; a DO whose
//! `quiet_from` moved on is re-keyed when its entry reaches the top (lazy,
//! like the idle-expiry queue), so a request costs nothing here. Entries of
//! past lives are skipped, and purged when they outnumber the live ones.
//!
//! Invariants: `used_kib` is the sum of the reservations of the host's
//! resident DOs (it may exceed the capacity only under `overcommit`); every
//! resident DO has one live entry; a victim is resident, running, not
//! waiting for the compute worker, and quiet by `now`.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

use super::durable_object::{DoState, Status};
use crate::time::Nanos;

/// `(key time, tenant, epoch)`: a min-heap entry.
type Entry = Reverse<(Nanos, u32, u32)>;

/// A request waiting for memory on its host (`when_full = "wait"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PendingRequest {
    pub tenant: u32,
    pub arrival: Nanos,
}

/// One host.
#[derive(Debug, Default)]
struct Host {
    used_kib: u64,
    resident: u32,
    lru: BinaryHeap<Entry>,
    pending: VecDeque<PendingRequest>,
    /// The earliest admission retry scheduled (`Nanos::MAX`: none).
    retry_at: Nanos,
}

/// What the least recently used DO of a host allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Victim {
    /// This DO is idle: evicting it frees memory.
    Idle(u32),
    /// Nothing is idle now; the first DO to go quiet does so at this time.
    NoneUntil(Nanos),
    /// Nothing is idle, and no DO there has a known quiet time (all are
    /// starting or waiting for the compute worker, or none is resident).
    None,
}

/// The hosts of a fleet.
#[derive(Debug)]
pub struct HostFleet {
    hosts: Vec<Host>,
    capacity_kib: u64,
    /// The most memory any host has held at once, KiB.
    peak_kib: u64,
    /// Entries set aside during a victim search (reused: no allocation per
    /// search once it has grown).
    aside: Vec<Entry>,
}

/// SplitMix64's finaliser: a well-mixed 64-bit hash of a tenant id.
#[inline]
fn mix(tenant: u32) -> u64 {
    let mut z = u64::from(tenant).wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

impl HostFleet {
    /// `count` empty hosts of `capacity_kib` each (`count >= 1`).
    pub fn new(count: u64, capacity_kib: u64) -> Self {
        let count = usize::try_from(count.max(1)).unwrap_or(usize::MAX);
        let hosts = (0..count)
            .map(|_| Host {
                retry_at: Nanos::MAX,
                ..Host::default()
            })
            .collect();
        Self {
            hosts,
            capacity_kib,
            peak_kib: 0,
            aside: Vec::new(),
        }
    }

    /// The host tenant `k`'s DO lives on.
    #[inline]
    pub fn host_of(&self, tenant: u32) -> usize {
        (mix(tenant) % self.hosts.len() as u64) as usize
    }

    /// Whether `need_kib` more fits on host `h` now.
    #[inline]
    pub fn fits(&self, h: usize, need_kib: u64) -> bool {
        self.hosts[h].used_kib.saturating_add(need_kib) <= self.capacity_kib
    }

    /// Memory in use on host `h`, KiB.
    pub fn used_kib(&self, h: usize) -> u64 {
        self.hosts[h].used_kib
    }

    /// The most memory any host has held at once, KiB.
    pub fn peak_kib(&self) -> u64 {
        self.peak_kib
    }

    /// A DO of `tenant` started on host `h` in life `epoch`, reserving
    /// `reserve_kib`; it goes quiet at `quiet_from` at the earliest.
    pub fn on_start(
        &mut self,
        dos: &[DoState],
        tenant: u32,
        epoch: u32,
        quiet_from: Nanos,
        reserve_kib: u64,
    ) {
        let h = self.host_of(tenant);
        let host = &mut self.hosts[h];
        host.used_kib += reserve_kib;
        host.resident += 1;
        self.peak_kib = self.peak_kib.max(host.used_kib);
        host.lru.push(Reverse((quiet_from, tenant, epoch)));
        if host.lru.len() > 2 * host.resident as usize + 32 {
            // Purge the entries of past lives (amortised O(1) per start).
            host.lru.retain(|Reverse((_, k, e))| {
                dos.get(*k as usize)
                    .is_some_and(|d| d.epoch == *e && d.is_resident())
            });
        }
    }

    /// `release_kib` of a DO on `tenant`'s host is given back; `evicted`
    /// when the DO itself left.
    pub fn release(&mut self, tenant: u32, release_kib: u64, evicted: bool) {
        let h = self.host_of(tenant);
        let host = &mut self.hosts[h];
        host.used_kib = host.used_kib.saturating_sub(release_kib);
        if evicted {
            host.resident = host.resident.saturating_sub(1);
        }
    }

    /// The least recently used DO of host `h` that is idle at `now`, or
    /// when one may be.
    pub fn victim(&mut self, h: usize, dos: &[DoState], now: Nanos) -> Victim {
        let host = &mut self.hosts[h];
        let found = loop {
            let Some(&Reverse((t, k, epoch))) = host.lru.peek() else {
                break Victim::None;
            };
            let Some(d) = dos.get(k as usize) else {
                host.lru.pop();
                continue;
            };
            if d.epoch != epoch || !d.is_resident() {
                host.lru.pop(); // a past life
                continue;
            }
            if d.quiet_from > t {
                // Used since: re-key at its current quiet time.
                host.lru.pop();
                host.lru.push(Reverse((d.quiet_from, k, epoch)));
                continue;
            }
            if t > now {
                break Victim::NoneUntil(t);
            }
            let entry = host.lru.pop();
            if d.status == Status::Starting || d.waiting > 0 {
                // Not idle although quiet: look further, keep its entry.
                self.aside.extend(entry);
                continue;
            }
            break Victim::Idle(k);
        };
        host.lru.extend(self.aside.drain(..));
        found
    }

    /// Queues a request on host `h` until memory frees.
    pub fn wait(&mut self, h: usize, request: PendingRequest) {
        self.hosts[h].pending.push_back(request);
    }

    /// The oldest request waiting on host `h`.
    pub fn first_pending(&self, h: usize) -> Option<PendingRequest> {
        self.hosts[h].pending.front().copied()
    }

    /// Removes the oldest request waiting on host `h`.
    pub fn pop_pending(&mut self, h: usize) -> Option<PendingRequest> {
        self.hosts[h].pending.pop_front()
    }

    /// Whether requests wait on host `h`.
    #[inline]
    pub fn has_pending(&self, h: usize) -> bool {
        !self.hosts[h].pending.is_empty()
    }

    /// Requests waiting on any host.
    pub fn pending_total(&self) -> usize {
        self.hosts.iter().map(|h| h.pending.len()).sum()
    }

    /// Records a retry of host `h` scheduled at `at`; false if one is
    /// already due by then (no new event is needed).
    pub fn schedule_retry(&mut self, h: usize, at: Nanos) -> bool {
        let host = &mut self.hosts[h];
        if host.retry_at <= at {
            return false;
        }
        host.retry_at = at;
        true
    }

    /// A retry of host `h` fired at `now`.
    pub fn retry_fired(&mut self, h: usize, now: Nanos) {
        let host = &mut self.hosts[h];
        if host.retry_at <= now {
            host.retry_at = Nanos::MAX;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fleet::durable_object::DoState;

    fn running(quiet_from: Nanos, epoch: u32) -> DoState {
        let mut d = DoState::default();
        d.status = Status::Running;
        d.quiet_from = quiet_from;
        d.epoch = epoch;
        d
    }

    #[test]
    fn hosts_spread_tenants_evenly() {
        let fleet = HostFleet::new(8, 1);
        let mut counts = [0u32; 8];
        for k in 0..80_000 {
            counts[fleet.host_of(k)] += 1;
        }
        // 10,000 expected per host, sd ~ 94: 5 sd.
        for c in counts {
            assert!((9_530..=10_470).contains(&c), "{counts:?}");
        }
    }

    /// A host holding `dos`, each started at time 0 in life 1.
    fn host_with(dos: &[DoState]) -> HostFleet {
        let mut fleet = HostFleet::new(1, 100);
        for k in 0..dos.len() {
            fleet.on_start(dos, k as u32, 1, 0, 10);
        }
        fleet
    }

    #[test]
    fn the_least_recently_quiet_idle_do_is_the_victim() {
        let mut dos = vec![running(30, 1), running(10, 1), running(20, 1)];
        assert_eq!(host_with(&dos).used_kib(0), 30);
        assert_eq!(host_with(&dos).victim(0, &dos, 50), Victim::Idle(1));
        // Tenant 1 was used again since: it is now the most recent.
        dos[1].quiet_from = 40;
        let mut fleet = host_with(&dos);
        assert_eq!(fleet.victim(0, &dos, 50), Victim::Idle(2));
        // The victim's entry is taken: the next one follows.
        assert_eq!(fleet.victim(0, &dos, 50), Victim::Idle(0));
        assert_eq!(fleet.victim(0, &dos, 50), Victim::Idle(1));
        assert_eq!(fleet.victim(0, &dos, 50), Victim::None);
    }

    #[test]
    fn busy_starting_and_waiting_dos_are_not_victims() {
        let mut dos = vec![running(30, 1), running(60, 1), running(10, 1)];
        dos[0].waiting = 1; // waiting for the compute worker
        dos[2].status = Status::Starting;
        let mut fleet = host_with(&dos);
        // 1 is busy until 60, the others are not idle.
        assert_eq!(fleet.victim(0, &dos, 50), Victim::NoneUntil(60));
        // Skipped entries are kept.
        dos[0].waiting = 0;
        assert_eq!(fleet.victim(0, &dos, 50), Victim::Idle(0));
        dos[2].status = Status::Running;
        assert_eq!(fleet.victim(0, &dos, 50), Victim::Idle(2));
        // A past life's entry is skipped.
        dos[1].epoch = 2;
        assert_eq!(fleet.victim(0, &dos, 70), Victim::None);
    }

    #[test]
    fn capacity_and_release() {
        let mut fleet = HostFleet::new(1, 100);
        let dos = vec![running(0, 1)];
        assert!(fleet.fits(0, 100));
        fleet.on_start(&dos, 0, 1, 0, 60);
        assert!(!fleet.fits(0, 41));
        fleet.release(0, 45, false);
        assert!(fleet.fits(0, 85));
        fleet.release(0, 15, true);
        assert_eq!(fleet.used_kib(0), 0);
    }
}
