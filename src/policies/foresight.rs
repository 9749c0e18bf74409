//! The oracle prewarmer's foresight: the run's own arrivals, seen ahead.
//!
//! A second copy of the run's arrival process, drawn from the same random
//! stream as the simulation's (same identity), yields exactly the arrivals
//! the simulation will see, in the same order; the oracle reads each one
//! `lead` before it is due. It draws from its own copy of the stream, so
//! the simulation's draws are untouched: switching the oracle on changes
//! the fleet, never the traffic.
//!
//! Invariant: [`Foresight::pop`] returns every arrival before `until`
//! exactly once, flagging each tenant's first, `lead` before it is due but
//! never before its tenant's first arrival has happened (an arrival within
//! `lead` after the first is returned just after the first).

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use crate::engine::SimRng;
use crate::time::Nanos;
use crate::workload::{Arrival, ArrivalProcess, ArrivalSource, Workload};

/// A foreseen arrival.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Foreseen {
    pub tenant: u32,
    pub time: Nanos,
    /// The tenant's first arrival of the run.
    pub first: bool,
}

/// The run's arrivals, ahead of the simulation.
#[derive(Debug)]
pub struct Foresight {
    source: ArrivalSource,
    rng: SimRng,
    next: Option<Arrival>,
    until: Nanos,
    lead: Nanos,
    /// Each tenant's first arrival (`Nanos::MAX`: not read yet).
    first_at: Vec<Nanos>,
    /// Arrivals read while their tenant's first arrival was still to come,
    /// due just after it (no platform warms a DO before it has seen it):
    /// `(due, time, tenant)`.
    deferred: BinaryHeap<Reverse<(Nanos, Nanos, u32)>>,
}

impl Foresight {
    /// The arrivals of `workload` before `until` drawn with `rng` (a copy
    /// of the simulation's arrival stream), read `lead` ahead.
    pub fn new(workload: &Workload, rng: SimRng, until: Nanos, lead: Nanos) -> Self {
        let source = ArrivalSource::from_config(workload);
        let tenants = source.tenants() as usize;
        let mut f = Self {
            source,
            rng,
            next: None,
            until,
            lead,
            first_at: vec![Nanos::MAX; tenants],
            deferred: BinaryHeap::new(),
        };
        f.next = f.draw(0);
        f
    }

    fn draw(&mut self, after: Nanos) -> Option<Arrival> {
        self.source
            .next(after, &mut self.rng)
            .filter(|a| a.time < self.until)
    }

    /// When the next arrival must be acted on: `lead` before it (never
    /// before the run's start, nor before its tenant's first arrival).
    pub fn next_due(&self) -> Option<Nanos> {
        let next = self.next.map(|a| a.time.saturating_sub(self.lead));
        let deferred = self.deferred.peek().map(|Reverse((due, _, _))| *due);
        match (next, deferred) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// The next arrival, if it is due by `now`.
    pub fn pop(&mut self, now: Nanos) -> Option<Foreseen> {
        if let Some(&Reverse((due, time, tenant))) = self.deferred.peek() {
            if due <= now {
                self.deferred.pop();
                return Some(Foreseen {
                    tenant,
                    time,
                    first: false,
                });
            }
        }
        loop {
            let a = self
                .next
                .filter(|a| a.time.saturating_sub(self.lead) <= now)?;
            self.next = self.draw(a.time);
            let Some(first_at) = self.first_at.get_mut(a.tenant as usize) else {
                continue;
            };
            if *first_at == Nanos::MAX {
                *first_at = a.time;
                return Some(Foreseen {
                    tenant: a.tenant,
                    time: a.time,
                    first: true,
                });
            }
            if *first_at >= now {
                // Just after the first arrival, which starts the DO.
                self.deferred
                    .push(Reverse((first_at.saturating_add(1), a.time, a.tenant)));
                continue;
            }
            return Some(Foreseen {
                tenant: a.tenant,
                time: a.time,
                first: false,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::stream;
    use crate::experiment::config::load_default;
    use crate::time::SECOND;

    #[test]
    fn it_sees_the_simulations_arrivals_and_never_before_a_tenants_first() {
        let config = load_default().unwrap();
        let until = 60 * SECOND;
        let mut own = ArrivalSource::from_config(&config.workload);
        let mut rng = stream(9, &[0, 0, 0]);
        let mut want = Vec::new();
        let mut last = 0;
        while let Some(a) = own.next(last, &mut rng).filter(|a| a.time < until) {
            last = a.time;
            want.push((a.time, a.tenant));
        }
        let mut f = Foresight::new(&config.workload, stream(9, &[0, 0, 0]), until, SECOND);
        let (mut got, mut first_at) = (Vec::new(), std::collections::HashMap::new());
        while let Some(now) = f.next_due() {
            while let Some(a) = f.pop(now) {
                assert!(a.time <= now + SECOND && a.time >= now, "read on time");
                if a.first {
                    assert!(first_at.insert(a.tenant, a.time).is_none());
                } else {
                    assert!(first_at[&a.tenant] < now, "after the tenant's first");
                }
                got.push((a.time, a.tenant));
            }
        }
        assert!(want.len() > 5_000, "{}", want.len());
        got.sort_unstable();
        assert_eq!(got, want);
    }
}
