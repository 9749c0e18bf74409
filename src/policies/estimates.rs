//! Fleet-wide estimates that smart delegation learns as the run goes: the
//! share of loads that succeed and of tiered lookups that miss each cache
//! (the cold-worker estimate is plain delegation's: [`super::plain_pool`]).
//!
//! An outcome counts from the moment the fleet could know it, never
//! earlier: a load's success when it becomes ready, its failure when it
//! fails, and a lookup's result when the lookup ends. Outcomes known only
//! later wait in a min-heap keyed by that time; a load aborted before its
//! end (its DO evicted) is cancelled and never counts.
//!
//! Every estimate is the posterior mean under a uniform prior (Laplace's
//! rule, `(k + 1) / (n + 2)`): defined from the first request, and within
//! `1 / (n + 2)` of the observed share.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use crate::architectures::FetchSource;
use crate::time::Nanos;

/// An outcome the fleet learns at a later time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Later {
    LoadReady,
    LoadFailed,
    Fetched(u8),
}

/// Counts of outcomes known so far.
#[derive(Debug, Default)]
pub struct FleetEstimates {
    later: BinaryHeap<Reverse<(Nanos, Later)>>,
    /// Outcomes of loads aborted before them (their DO evicted).
    cancelled: BinaryHeap<Reverse<(Nanos, Later)>>,
    loads_ready: u64,
    loads_failed: u64,
    /// Tiered lookups known, by where they found the WASM.
    local: u64,
    regional: u64,
    r2: u64,
}

/// Laplace's rule of succession.
fn laplace(k: u64, n: u64) -> f64 {
    (k as f64 + 1.0) / (n as f64 + 2.0)
}

impl FleetEstimates {
    /// A load that will be ready at `at`.
    pub fn load_ready_at(&mut self, at: Nanos) {
        self.later.push(Reverse((at, Later::LoadReady)));
    }

    /// A load that will fail at `at`.
    pub fn load_fails_at(&mut self, at: Nanos) {
        self.later.push(Reverse((at, Later::LoadFailed)));
    }

    /// The load that would have been ready at `at` was aborted before.
    pub fn load_aborted(&mut self, ready_at: Nanos) {
        self.cancelled.push(Reverse((ready_at, Later::LoadReady)));
    }

    /// The load that would have failed at `at` was aborted before.
    pub fn failure_aborted(&mut self, failed_at: Nanos) {
        self.cancelled.push(Reverse((failed_at, Later::LoadFailed)));
    }

    /// A lazy lookup that ends at `at`, having found the WASM at `source`.
    pub fn fetched_at(&mut self, at: Nanos, source: FetchSource) {
        self.later.push(Reverse((at, Later::Fetched(source as u8))));
    }

    /// Counts everything known by `now`.
    pub fn learn_until(&mut self, now: Nanos) {
        while let Some(&Reverse((at, what))) = self.later.peek() {
            if at > now {
                break;
            }
            self.later.pop();
            // Both heaps pop in the same order: an aborted outcome meets its
            // cancellation at the top.
            if self.cancelled.peek() == Some(&Reverse((at, what))) {
                self.cancelled.pop();
                continue;
            }
            match what {
                Later::LoadReady => self.loads_ready += 1,
                Later::LoadFailed => self.loads_failed += 1,
                Later::Fetched(s) => match s {
                    s if s == FetchSource::LocalCache as u8 => self.local += 1,
                    s if s == FetchSource::RegionalCache as u8 => self.regional += 1,
                    s if s == FetchSource::R2 as u8 => self.r2 += 1,
                    _ => {}
                },
            }
        }
    }

    /// The estimated probability that a load succeeds.
    pub fn p_load_succeeds(&self) -> f64 {
        laplace(self.loads_ready, self.loads_ready + self.loads_failed)
    }

    /// Tiered caches: the estimated probability that the local cache misses.
    pub fn p_beyond_local(&self) -> f64 {
        laplace(
            self.regional + self.r2,
            self.local + self.regional + self.r2,
        )
    }

    /// Tiered caches: the estimated probability that the regional cache
    /// misses, given that the local one did.
    pub fn p_r2_beyond_regional(&self) -> f64 {
        laplace(self.r2, self.regional + self.r2)
    }

    /// Loads whose outcome is known (tests).
    pub fn loads_known(&self) -> u64 {
        self.loads_ready + self.loads_failed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcomes_count_only_once_they_could_be_known() {
        let mut e = FleetEstimates::default();
        assert_eq!(e.p_load_succeeds(), 0.5);
        e.load_ready_at(100);
        e.load_ready_at(200);
        e.load_ready_at(300);
        e.load_aborted(200);
        e.load_fails_at(50);
        e.load_fails_at(400);
        e.failure_aborted(400);
        e.learn_until(99);
        // One failure known, no success yet: (0 + 1) / (1 + 2).
        assert_eq!(e.p_load_succeeds(), 1.0 / 3.0);
        e.learn_until(1_000);
        // Two successes and one failure (the aborted ones never count).
        assert_eq!(e.loads_known(), 3);
        assert_eq!(e.p_load_succeeds(), 3.0 / 5.0);
        e.fetched_at(10, FetchSource::LocalCache);
        e.fetched_at(20, FetchSource::R2);
        e.fetched_at(5_000, FetchSource::RegionalCache);
        e.learn_until(1_000);
        assert_eq!(e.p_beyond_local(), 2.0 / 4.0);
        assert_eq!(e.p_r2_beyond_regional(), 2.0 / 3.0);
    }
}
