//! The compute pool as plain delegation would have it: a shadow of the
//! real pool that smart delegation feeds with every delegation plain
//! delegation would make, at the time it would make it, so that its
//! cold-worker estimate is the one of the alternative it is weighed
//! against.
//!
//! Why a shadow: each request that waits for its load instead of being
//! delegated takes one request out of the real pool's stream, so the real
//! pool stays colder, and the delegations that remain meet more cold
//! starts. Estimated from the real pool, the cold-start probability rises
//! with every wait and makes the next wait look better still (a feedback
//! that ends with waiting for loads that take far longer than a warm
//! delegation). The shadow sees the stream plain delegation sends, so
//! delegating is priced as it would be without the policy.
//!
//! The shadow is a [`ComputePool`] with the run's compute parameters and no
//! instance limit (a delegation past a limit would wait, not cold-start),
//! drawing its times from a random stream of its own: the run's own stream
//! is never touched, so turning the policy on changes no draw but its own.

use crate::engine::{stream, SimRng};
use crate::fleet::{ComputePool, Dispatched};
use crate::simulation::RunIdentity;
use crate::time::Nanos;

use super::hooks::Setup;

/// The identity of the shadow pool's random stream (apart from the run's
/// `[family, replication, purpose]` streams by its length).
const SHADOW_STREAM: u64 = 0x504c_4149_4e50_4f4f;

/// Plain delegation's compute pool, and how often it met a cold worker.
#[derive(Debug)]
pub struct PlainPool {
    pool: ComputePool,
    rng: SimRng,
    /// Sequence numbers of the shadow's own releases, in dispatch order.
    seq: u64,
    dispatches: u64,
    cold: u64,
}

impl PlainPool {
    pub fn new(setup: &Setup) -> Self {
        let mut compute = setup.compute.clone();
        compute.max_instances = 0;
        let RunIdentity { seed, replication } = setup.identity;
        Self {
            // Its CPU times (unused: only its cold starts are read) from a
            // stream of their own too.
            pool: ComputePool::new(
                compute,
                stream(seed, &[SHADOW_STREAM, replication, 0, 1]),
                0,
                setup.duration,
            ),
            rng: stream(seed, &[SHADOW_STREAM, replication, 0, 0]),
            seq: 0,
            dispatches: 0,
            cold: 0,
        }
    }

    /// Plain delegation would send a request to the pool at `now`.
    pub fn dispatch(&mut self, now: Nanos) {
        // Releases at `now` or before come first: an instance released at
        // the moment of a dispatch serves it.
        self.pool.settle(now, u64::MAX);
        if let Dispatched::Running {
            instance,
            finish,
            cold,
            ..
        } = self.pool.dispatch(now, &mut self.rng)
        {
            self.pool.release_later(finish, self.seq, instance);
            self.seq += 1;
            self.dispatches += 1;
            self.cold += u64::from(cold);
        }
    }

    /// The estimated probability that plain delegation meets a cold worker
    /// (Laplace's rule, as the fleet's other estimates).
    pub fn p_worker_cold(&self) -> f64 {
        (self.cold as f64 + 1.0) / (self.dispatches as f64 + 2.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::architectures::{Architecture, ArchitectureVariant, WasmCompile};
    use crate::experiment::config::load_default;
    use crate::simulation::setup_of;
    use crate::time::{MILLISECOND, SECOND};

    fn shadow(sets: impl FnOnce(&mut crate::simulation::Config)) -> PlainPool {
        let mut config = load_default().unwrap();
        sets(&mut config);
        let variant = ArchitectureVariant {
            architecture: Architecture::Thin,
            runtime_wasm_compile: WasmCompile::Blocked,
        };
        PlainPool::new(&setup_of(&config, variant, 1))
    }

    #[test]
    fn requests_closer_than_the_keep_alive_meet_one_warm_instance() {
        let mut p = shadow(|c| {
            c.compute.idle_timeout = 10 * SECOND;
            c.compute.concurrency = 1;
        });
        // One request a second, each done in well under a second: only the
        // first starts an instance. Laplace: (1 + 1) / (100 + 2).
        for i in 0..100 {
            p.dispatch(i * SECOND);
        }
        assert_eq!((p.dispatches, p.cold), (100, 1));
        assert!((p.p_worker_cold() - 2.0 / 102.0).abs() < 1e-12);
    }

    #[test]
    fn requests_further_apart_than_the_keep_alive_are_all_cold() {
        let mut p = shadow(|c| {
            c.compute.idle_timeout = 500 * MILLISECOND;
        });
        for i in 0..50 {
            p.dispatch(i * 10 * SECOND);
        }
        assert_eq!(p.cold, 50);
    }

    #[test]
    fn simultaneous_requests_each_need_an_instance_of_concurrency_one() {
        let mut p = shadow(|c| {
            c.compute.concurrency = 1;
            c.compute.idle_timeout = 60 * SECOND;
        });
        for _ in 0..5 {
            p.dispatch(SECOND);
        }
        // Later, all five are idle and warm.
        for _ in 0..5 {
            p.dispatch(10 * SECOND);
        }
        assert_eq!(p.cold, 5);
    }
}
