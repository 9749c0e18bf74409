//! The compute worker: stateless instances that delegated requests run on.
//!
//! Instances are interchangeable, so the pool keeps only counts and the
//! release times of idle instances. A request takes the most recently
//! released idle instance (LIFO, so the others age out) or, with none idle,
//! cold-starts a new one. Idle instances expire `idle_timeout` after their
//! release. Because releases happen in time order and the timeout is a
//! constant, the idle list is sorted by expiry and expiry is handled lazily,
//! at the next pool operation, in exact time order: no timers.

use std::collections::VecDeque;

use crate::config::Compute;
use crate::engine::SimRng;
use crate::metrics::TimeWeighted;
use crate::time::Nanos;

/// A delegated request's fate at the pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dispatched {
    /// When the response is back at the DO.
    pub finish: Nanos,
    /// Whether it started a new instance.
    pub cold: bool,
}

/// The pool of compute-worker instances.
#[derive(Debug)]
pub struct ComputePool {
    config: Compute,
    /// Release times of idle instances, oldest first.
    idle: VecDeque<Nanos>,
    busy: u64,
    /// Instance count over time (busy + idle).
    pub instances: TimeWeighted,
    /// Instances started.
    pub cold_starts: u64,
}

impl ComputePool {
    /// An empty pool; `instances` is averaged over `[window_from, window_to)`.
    pub fn new(config: Compute, window_from: Nanos, window_to: Nanos) -> Self {
        Self {
            config,
            idle: VecDeque::new(),
            busy: 0,
            instances: TimeWeighted::new(window_from, window_to),
            cold_starts: 0,
        }
    }

    /// Sends a request to the pool at `now`: picks or starts an instance and
    /// draws the round trip, cold start and execution times.
    #[inline]
    pub fn dispatch(&mut self, now: Nanos, rng: &mut SimRng) -> Dispatched {
        self.expire(now);
        let cold = self.idle.pop_back().is_none();
        self.busy += 1;
        let mut finish = now + self.config.rtt.sample(rng) + self.config.exec.sample(rng);
        if cold {
            self.cold_starts += 1;
            self.instances.add(now, 1);
            finish += self.config.cold_start.sample(rng);
        }
        Dispatched { finish, cold }
    }

    /// An instance finishes its request at `now` and goes idle.
    #[inline]
    pub fn release(&mut self, now: Nanos) {
        self.expire(now);
        debug_assert!(self.busy > 0, "release without dispatch");
        self.busy = self.busy.saturating_sub(1);
        self.idle.push_back(now);
    }

    /// Retires every idle instance whose timeout ended before `now`.
    #[inline]
    pub fn expire(&mut self, now: Nanos) {
        while let Some(&released) = self.idle.front() {
            let expiry = released.saturating_add(self.config.idle_timeout);
            // At equal times requests come before expiries (the ordering
            // contract in lib.rs): an instance expiring at `now` still serves.
            if expiry >= now {
                break;
            }
            self.idle.pop_front();
            self.instances.sub(expiry, 1);
        }
    }

    /// Instances in the pool now.
    pub fn count(&self) -> u64 {
        self.busy + self.idle.len() as u64
    }

    /// Requests in service now.
    pub fn busy(&self) -> u64 {
        self.busy
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dist::Dist;
    use crate::engine::stream;

    fn pool(idle_timeout: Nanos) -> ComputePool {
        let config = Compute {
            rtt: Dist::Constant(1),
            cold_start: Dist::Constant(100),
            exec: Dist::Constant(10),
            idle_timeout,
        };
        ComputePool::new(config, 0, 10_000)
    }

    #[test]
    fn reuses_idle_instances_and_cold_starts_otherwise() {
        let mut p = pool(1_000);
        let mut rng = stream(0, &[]);
        let a = p.dispatch(0, &mut rng);
        let b = p.dispatch(5, &mut rng);
        assert_eq!(
            a,
            Dispatched {
                finish: 111,
                cold: true
            }
        );
        assert_eq!(
            b,
            Dispatched {
                finish: 116,
                cold: true
            }
        );
        p.release(111);
        let c = p.dispatch(200, &mut rng);
        assert_eq!(
            c,
            Dispatched {
                finish: 211,
                cold: false
            }
        );
        assert_eq!((p.count(), p.cold_starts), (2, 2));
    }

    #[test]
    fn idle_instances_expire_at_their_timeout() {
        let mut p = pool(1_000);
        let mut rng = stream(0, &[]);
        p.dispatch(0, &mut rng);
        p.release(111);
        p.expire(1_111);
        assert_eq!(p.count(), 1);
        p.expire(1_112);
        assert_eq!(p.count(), 0);
        // One instance alive on [0, 1111): time-average over [0, 10000).
        p.instances.finish();
        assert!((p.instances.mean() - 1_111.0 / 10_000.0).abs() < 1e-12);
        assert_eq!(p.instances.peak(), 1);
    }
}
