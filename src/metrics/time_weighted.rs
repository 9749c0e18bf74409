//! Time-weighted levels (fleet memory, resident DOs, compute instances).
//!
//! The level is an integer changed at event times, which never go backwards.
//! The integral over the measurement window `[from, to)` is exact (`u128`),
//! and the peak is the largest level held at any instant of the window.

use crate::time::Nanos;

/// An integer level over time, with its integral and peak over a window.
#[derive(Debug, Clone)]
pub struct TimeWeighted {
    from: Nanos,
    to: Nanos,
    level: u64,
    last: Nanos,
    integral: u128,
    peak: u64,
    underflows: u64,
}

impl TimeWeighted {
    /// A zero level measured over `[from, to)`.
    pub fn new(from: Nanos, to: Nanos) -> Self {
        Self {
            from,
            to,
            level: 0,
            last: 0,
            integral: 0,
            peak: 0,
            underflows: 0,
        }
    }

    #[inline]
    fn advance(&mut self, now: Nanos) {
        debug_assert!(
            now >= self.last,
            "time went backwards: {now} < {}",
            self.last
        );
        let now = now.max(self.last);
        let start = self.last.max(self.from);
        let end = now.min(self.to);
        if end > start {
            self.integral += u128::from(self.level) * u128::from(end - start);
        }
        // The level held over [last, now] counts for the peak if that span
        // meets the window.
        if self.last < self.to && now >= self.from {
            self.peak = self.peak.max(self.level);
        }
        self.last = now;
    }

    /// Raises the level by `amount` at `now`.
    #[inline]
    pub fn add(&mut self, now: Nanos, amount: u64) {
        self.advance(now);
        self.level += amount;
        if now >= self.from && now < self.to {
            self.peak = self.peak.max(self.level);
        }
    }

    /// Lowers the level by `amount` at `now`.
    #[inline]
    pub fn sub(&mut self, now: Nanos, amount: u64) {
        self.advance(now);
        if amount > self.level {
            // A bookkeeping bug; counted so that release-mode tests see it.
            self.underflows += 1;
        }
        self.level = self.level.saturating_sub(amount);
    }

    /// Closes the window: accounts the current level up to its end.
    pub fn finish(&mut self) {
        let end = self.to.max(self.last);
        self.advance(end);
    }

    /// How many times a decrease exceeded the level (0 unless there is a
    /// bug: the level is never negative).
    pub fn underflows(&self) -> u64 {
        self.underflows
    }

    /// The current level.
    pub fn level(&self) -> u64 {
        self.level
    }

    /// The largest level held during the window.
    pub fn peak(&self) -> u64 {
        self.peak
    }

    /// The integral over the window (level x nanoseconds).
    pub fn integral(&self) -> u128 {
        self.integral
    }

    /// The time-average over the window (call [`finish`](Self::finish) first).
    pub fn mean(&self) -> f64 {
        let span = self.to.saturating_sub(self.from);
        if span == 0 {
            0.0
        } else {
            self.integral as f64 / span as f64
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integral_and_peak_over_the_window_only() {
        let mut m = TimeWeighted::new(10, 20);
        m.add(0, 5); // 5 on [0, 12)
        m.add(12, 3); // 8 on [12, 15)
        m.sub(15, 8); // 0 on [15, 25)
        m.add(25, 100); // outside the window
        m.finish();
        assert_eq!(m.integral(), 5 * 2 + 8 * 3);
        assert_eq!(m.peak(), 8);
        assert!((m.mean() - 34.0 / 10.0).abs() < 1e-12);
    }

    #[test]
    fn a_level_held_into_the_window_counts_for_the_peak() {
        let mut m = TimeWeighted::new(10, 20);
        m.add(0, 7);
        m.sub(30, 7);
        m.finish();
        assert_eq!(m.peak(), 7);
        assert_eq!(m.integral(), 70);
    }
}
