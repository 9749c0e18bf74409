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
//! exactly once, in time order, flagging each tenant's first.

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
    /// Tenants whose first arrival has been read, one bit each.
    seen: Vec<u64>,
}

impl Foresight {
    /// The arrivals of `workload` before `until` drawn with `rng` (a copy
    /// of the simulation's arrival stream), read `lead` ahead.
    pub fn new(workload: &Workload, rng: SimRng, until: Nanos, lead: Nanos) -> Self {
        let source = ArrivalSource::from_config(workload);
        let words = (source.tenants() as usize).div_ceil(64);
        let mut f = Self {
            source,
            rng,
            next: None,
            until,
            lead,
            seen: vec![0; words],
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
    /// before the run's start).
    pub fn next_due(&self) -> Option<Nanos> {
        self.next.map(|a| a.time.saturating_sub(self.lead))
    }

    /// The next arrival, if it is due by `now`.
    pub fn pop(&mut self, now: Nanos) -> Option<Foreseen> {
        let a = self
            .next
            .filter(|a| a.time.saturating_sub(self.lead) <= now)?;
        self.next = self.draw(a.time);
        let (word, bit) = (a.tenant as usize / 64, 1u64 << (a.tenant % 64));
        let first = self.seen.get(word).is_some_and(|w| w & bit == 0);
        if let Some(w) = self.seen.get_mut(word) {
            *w |= bit;
        }
        Some(Foreseen {
            tenant: a.tenant,
            time: a.time,
            first,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::stream;
    use crate::experiment::config::load_default;
    use crate::time::SECOND;

    #[test]
    fn it_sees_the_simulations_arrivals_in_order_and_flags_first_ones() {
        let config = load_default().unwrap();
        let until = 60 * SECOND;
        let mut own = ArrivalSource::from_config(&config.workload);
        let mut rng = stream(9, &[0, 0, 0]);
        let mut f = Foresight::new(&config.workload, stream(9, &[0, 0, 0]), until, SECOND);
        let mut seen = std::collections::HashSet::new();
        let mut last = 0;
        let mut n = 0;
        while let Some(a) = own.next(last, &mut rng).filter(|a| a.time < until) {
            last = a.time;
            assert!(a.time < SECOND + 1 || f.pop(a.time - SECOND - 1).is_none());
            let got = f.pop(a.time.saturating_sub(SECOND)).expect("due");
            assert_eq!((got.tenant, got.time), (a.tenant, a.time));
            assert_eq!(got.first, seen.insert(a.tenant));
            n += 1;
        }
        assert!(n > 5_000, "{n}");
        assert_eq!(f.next_due(), None);
    }
}
