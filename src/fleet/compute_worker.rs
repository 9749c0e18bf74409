//! The compute worker: stateless instances that delegated requests run on.
//!
//! Each instance serves up to `concurrency` requests at once. A request takes
//! a slot on the most recently used instance with a free slot (LIFO, so the
//! others age out), else on the most recently released idle instance, else
//! cold-starts a new instance if the pool is below `max_instances` (0: no
//! limit), else waits in a FIFO queue for the next free slot (the caller
//! holds the queue: see [`ComputePool::release`]).
//!
//! An instance is idle when none of its slots is busy; it expires
//! `idle_timeout` after it went idle. Releases happen in time order and the
//! timeout is a constant, so the idle list is sorted by expiry, and expiry is
//! handled lazily at the next pool operation, in exact time order: no timers.
//! At equal times requests come before expiries (the ordering contract in
//! lib.rs): an instance expiring at `now` still serves.
//!
//! Without a limit on instances no request ever waits, so nothing but the
//! pool itself sees a release: the caller may then hand releases to the
//! pool ([`ComputePool::release_later`]) instead of scheduling an event for
//! each, and the pool applies them, in the `(time, sequence)` order the
//! events would have had, before its next dispatch ([`ComputePool::settle`]).
//! Half the events of a hybrid run were releases.
//!
//! A request's billed CPU time is `cpu_time` drawn from the pool's own
//! random stream (not the run's), clamped to the request's drawn `exec`,
//! plus its cold start: the run's stream sees exactly the draws it would
//! without it, so `cpu_time` moves the bill and never a latency.

use std::collections::VecDeque;

use super::Compute;
use crate::engine::{SimRng, Wheel};
use crate::metrics::TimeWeighted;
use crate::time::Nanos;

/// A delegated request's fate at the pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dispatched {
    /// Running on `instance`; the response is back at the DO at `finish`;
    /// `cpu` is the instance's billed CPU time (the execution's CPU time,
    /// at most its wall time, and the cold start).
    Running {
        instance: u32,
        finish: Nanos,
        cold: bool,
        cpu: Nanos,
    },
    /// Every instance is busy and the pool is at its maximum: wait.
    Saturated,
}

/// Pending releases wait in a timing wheel of 2 ms buckets over 1 s (a
/// response takes 0.1-0.6 s by default; later ones wait in its heap).
const PENDING_BUCKET_SHIFT: u32 = 21;
const PENDING_BUCKET_BITS: u32 = 9;

#[derive(Debug, Clone, Copy)]
struct Instance {
    busy: u32,
    alive: bool,
}

/// The pool of compute-worker instances.
#[derive(Debug)]
pub struct ComputePool {
    config: Compute,
    /// The stream `cpu_time` is drawn from (see the module docs).
    cpu_rng: SimRng,
    instances_by_id: Vec<Instance>,
    /// Ids of expired instances, for reuse.
    free_ids: Vec<u32>,
    /// Ids of alive instances with some but not all slots busy.
    partial: Vec<u32>,
    /// `(went idle at, id)` of idle instances, oldest first.
    idle: VecDeque<(Nanos, u32)>,
    alive: u64,
    busy_slots: u64,
    /// Instance count over time.
    pub instances: TimeWeighted,
    /// Instances started.
    pub cold_starts: u64,
    /// Releases not applied yet: `(time, sequence, instance)`, earliest
    /// first (see the module docs).
    pending: Wheel<(Nanos, u64, u32)>,
}

impl ComputePool {
    /// An empty pool; `instances` is averaged over `[window_from, window_to)`;
    /// CPU times are drawn from `cpu_rng`.
    pub fn new(config: Compute, cpu_rng: SimRng, window_from: Nanos, window_to: Nanos) -> Self {
        Self {
            config,
            cpu_rng,
            instances_by_id: Vec::new(),
            free_ids: Vec::new(),
            partial: Vec::new(),
            idle: VecDeque::new(),
            alive: 0,
            busy_slots: 0,
            instances: TimeWeighted::new(window_from, window_to),
            cold_starts: 0,
            pending: Wheel::new(PENDING_BUCKET_SHIFT, PENDING_BUCKET_BITS),
        }
    }

    /// Whether requests may have to wait for a slot (the pool has a
    /// maximum size). If not, releases may be left to the pool
    /// ([`Self::release_later`]).
    pub fn may_saturate(&self) -> bool {
        self.config.max_instances > 0
    }

    /// A request on `instance` finishes at `at`; `seq` is the sequence
    /// number its release event would have had. Applied by [`Self::settle`].
    /// Only for pools that never saturate ([`Self::may_saturate`]): a
    /// waiting request would need the slot at once.
    #[inline]
    pub fn release_later(&mut self, at: Nanos, seq: u64, instance: u32) {
        debug_assert!(!self.may_saturate());
        self.pending.push((at, seq, instance));
    }

    /// Applies, in order, the releases left to the pool that come before
    /// `(time, seq)`: the step being handled. Call it before each dispatch
    /// and, with `(Nanos::MAX, u64::MAX)`, at the end of a run.
    #[inline]
    pub fn settle(&mut self, time: Nanos, seq: u64) {
        // Often empty in small fleets: skip the wheel's search then.
        if self.pending.is_empty() {
            return;
        }
        while let Some((at, s, instance)) = self.pending.peek() {
            if (at, s) >= (time, seq) {
                break;
            }
            self.pending.pop();
            self.free_slot(instance, at, false);
        }
    }

    fn concurrency(&self) -> u32 {
        self.config.concurrency.max(1)
    }

    /// Takes a slot on `id`.
    fn occupy(&mut self, id: u32) {
        let c = self.concurrency();
        if let Some(inst) = self.instances_by_id.get_mut(id as usize) {
            inst.busy += 1;
            if inst.busy < c {
                self.partial.push(id);
            }
        }
        self.busy_slots += 1;
    }

    /// Sends a request to the pool at `now`: picks or starts an instance and
    /// draws the round trip, cold start and execution times.
    #[inline]
    pub fn dispatch(&mut self, now: Nanos, rng: &mut SimRng) -> Dispatched {
        self.expire(now);
        // A partly busy instance first (the most recent), then an idle one.
        while let Some(id) = self.partial.pop() {
            // Entries go stale when their instance filled up or went idle.
            let c = self.concurrency();
            if self
                .instances_by_id
                .get(id as usize)
                .is_some_and(|i| i.alive && i.busy > 0 && i.busy < c)
            {
                return self.run_on(id, now, false, rng);
            }
        }
        if let Some((_, id)) = self.idle.pop_back() {
            return self.run_on(id, now, false, rng);
        }
        if self.config.max_instances > 0 && self.alive >= self.config.max_instances {
            return Dispatched::Saturated;
        }
        let id = match self.free_ids.pop() {
            Some(id) => {
                self.instances_by_id[id as usize] = Instance {
                    busy: 0,
                    alive: true,
                };
                id
            }
            None => {
                self.instances_by_id.push(Instance {
                    busy: 0,
                    alive: true,
                });
                (self.instances_by_id.len() - 1) as u32
            }
        };
        self.alive += 1;
        self.cold_starts += 1;
        self.instances.add(now, 1);
        self.run_on(id, now, true, rng)
    }

    /// Runs a request on instance `id` from `now` (a waiting request when a
    /// slot frees, with `cold = false`).
    pub fn run_on(&mut self, id: u32, now: Nanos, cold: bool, rng: &mut SimRng) -> Dispatched {
        self.occupy(id);
        let rtt = self.config.rtt.sample(rng);
        let mut busy = self.config.exec.sample(rng);
        let mut cpu = self.config.cpu_time.sample(&mut self.cpu_rng).min(busy);
        if cold {
            let start = self.config.cold_start.sample(rng);
            busy += start;
            cpu += start;
        }
        Dispatched::Running {
            instance: id,
            finish: now + rtt + busy,
            cold,
            cpu,
        }
    }

    /// A request on `instance` finishes at `now`. Returns the instance if it
    /// now has a free slot that a waiting request should take at once (the
    /// caller then calls [`run_on`](Self::run_on)); otherwise the slot is
    /// returned to the pool.
    #[inline]
    pub fn release(&mut self, instance: u32, now: Nanos, someone_waits: bool) -> Option<u32> {
        self.expire(now);
        self.free_slot(instance, now, someone_waits)
    }

    /// [`Self::release`] without its expiry first. Releases left to the
    /// pool skip it: expiry retires idle instances oldest first, and only a
    /// dispatch can tell, so retiring them at the next dispatch (which
    /// expires first) instead of at each release retires the same
    /// instances, at the same times, in the same order.
    #[inline]
    fn free_slot(&mut self, instance: u32, now: Nanos, someone_waits: bool) -> Option<u32> {
        self.busy_slots = self.busy_slots.saturating_sub(1);
        let inst = self.instances_by_id.get_mut(instance as usize)?;
        inst.busy = inst.busy.saturating_sub(1);
        if someone_waits {
            // The slot goes straight to the waiting request (`run_on`).
            return Some(instance);
        }
        if inst.busy == 0 {
            self.idle.push_back((now, instance));
        } else {
            self.partial.push(instance);
        }
        None
    }

    /// Retires every idle instance whose timeout ended before `now`.
    #[inline]
    pub fn expire(&mut self, now: Nanos) {
        while let Some(&(since, id)) = self.idle.front() {
            let expiry = since.saturating_add(self.config.idle_timeout);
            if expiry >= now {
                break;
            }
            self.idle.pop_front();
            // Stale if the instance was reused since it went idle.
            let Some(inst) = self.instances_by_id.get_mut(id as usize) else {
                continue;
            };
            if !inst.alive || inst.busy > 0 {
                continue;
            }
            inst.alive = false;
            self.free_ids.push(id);
            self.alive -= 1;
            self.instances.sub(expiry, 1);
        }
    }

    /// Instances in the pool now.
    pub fn count(&self) -> u64 {
        self.alive
    }

    /// Requests in service now.
    pub fn busy(&self) -> u64 {
        self.busy_slots
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dist::Dist;
    use crate::engine::stream;

    fn pool(idle_timeout: Nanos, concurrency: u32, max_instances: u64) -> ComputePool {
        let config = Compute {
            rtt: Dist::Constant(1),
            cold_start: Dist::Constant(100),
            exec: Dist::Constant(10),
            cpu_time: Dist::Constant(4),
            idle_timeout,
            concurrency,
            max_instances,
        };
        ComputePool::new(config, stream(0, &[1]), 0, 10_000)
    }

    fn finish(d: Dispatched) -> (u32, Nanos, bool) {
        match d {
            Dispatched::Running {
                instance,
                finish,
                cold,
                ..
            } => (instance, finish, cold),
            Dispatched::Saturated => panic!("saturated"),
        }
    }

    #[test]
    fn reuses_idle_instances_and_cold_starts_otherwise() {
        let mut p = pool(1_000, 1, 0);
        let mut rng = stream(0, &[]);
        assert_eq!(finish(p.dispatch(0, &mut rng)), (0, 111, true));
        assert_eq!(finish(p.dispatch(5, &mut rng)), (1, 116, true));
        assert_eq!(p.release(0, 111, false), None);
        assert_eq!(finish(p.dispatch(200, &mut rng)), (0, 211, false));
        assert_eq!((p.count(), p.cold_starts), (2, 2));
    }

    #[test]
    fn cpu_time_is_clamped_to_the_execution_and_never_moves_the_finish() {
        let cpu = |d: Dispatched| match d {
            Dispatched::Running { finish, cpu, .. } => (finish, cpu),
            Dispatched::Saturated => (0, 0),
        };
        for (cpu_time, warm_cpu) in [(4, 4), (50, 10)] {
            let mut p = pool(1_000, 1, 0);
            p.config.cpu_time = Dist::Constant(cpu_time);
            let mut rng = stream(0, &[]);
            // Cold: the start (100) is CPU in full; warm: the execution's.
            assert_eq!(cpu(p.dispatch(0, &mut rng)), (111, 100 + warm_cpu));
            p.release(0, 111, false);
            assert_eq!(cpu(p.dispatch(200, &mut rng)), (211, warm_cpu));
        }
    }

    #[test]
    fn idle_instances_expire_at_their_timeout() {
        let mut p = pool(1_000, 1, 0);
        let mut rng = stream(0, &[]);
        p.dispatch(0, &mut rng);
        p.release(0, 111, false);
        p.expire(1_111);
        assert_eq!(p.count(), 1);
        p.expire(1_112);
        assert_eq!(p.count(), 0);
        // One instance alive on [0, 1111): time-average over [0, 10000).
        p.instances.finish();
        assert!((p.instances.mean() - 1_111.0 / 10_000.0).abs() < 1e-12);
        assert_eq!(p.instances.peak(), 1);
    }

    #[test]
    fn an_instance_serves_up_to_its_concurrency() {
        let mut p = pool(1_000, 2, 0);
        let mut rng = stream(0, &[]);
        let (a, _, _) = finish(p.dispatch(0, &mut rng));
        let (b, _, cold) = finish(p.dispatch(1, &mut rng));
        assert_eq!(
            (a, b, cold),
            (0, 0, false),
            "the second request shares the first instance"
        );
        let (c, _, cold) = finish(p.dispatch(2, &mut rng));
        assert_eq!((c, cold), (1, true), "a full instance takes no more");
        assert_eq!(p.busy(), 3);
    }

    #[test]
    fn a_full_pool_saturates_and_hands_freed_slots_to_waiting_requests() {
        let mut p = pool(1_000, 1, 1);
        let mut rng = stream(0, &[]);
        finish(p.dispatch(0, &mut rng));
        assert_eq!(p.dispatch(5, &mut rng), Dispatched::Saturated);
        // The slot freed at 111 goes to the waiting request, warm.
        assert_eq!(p.release(0, 111, true), Some(0));
        assert_eq!(finish(p.run_on(0, 111, false, &mut rng)), (0, 122, false));
        assert_eq!(p.count(), 1);
    }

    #[test]
    fn releases_left_to_the_pool_apply_in_order_before_the_step() {
        let mut p = pool(1_000, 1, 0);
        let mut rng = stream(0, &[]);
        assert_eq!(finish(p.dispatch(0, &mut rng)).0, 0);
        assert_eq!(finish(p.dispatch(0, &mut rng)).0, 1);
        // Both finish at 111; instance 1's release event came first.
        p.release_later(111, 7, 0);
        p.release_later(111, 5, 1);
        p.settle(111, 5);
        assert_eq!(p.busy(), 2, "nothing before (111, 5)");
        p.settle(111, 6);
        assert_eq!(p.busy(), 1, "instance 1 released");
        p.settle(111, 8);
        assert_eq!(p.busy(), 0);
        // The last released (instance 0) is reused first (LIFO).
        assert_eq!(finish(p.dispatch(111, &mut rng)), (0, 122, false));
        // All of them at the end of a run.
        p.release_later(122, 9, 0);
        p.settle(Nanos::MAX, u64::MAX);
        assert_eq!(p.busy(), 0);
    }
}
