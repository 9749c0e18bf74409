//! Latency histograms (HdrHistogram: 3 significant digits, exact merges).
//!
//! A run records each latency once, in a [`super::LatencyGrid`] cell by
//! path and ordinal bucket, and adds the cells to the overall, by-path and
//! by-ordinal histograms when it ends: merging adds bucket counts, so the
//! result is the histogram that recording each latency three times gives,
//! for a third of the recording work.

use hdrhistogram::Histogram;

use crate::time::{to_ms, Nanos, SECOND};

/// A latency histogram in nanoseconds, resolution 0.1% of the value.
#[derive(Debug, Clone)]
pub struct LatencyHistogram {
    hist: Histogram<u64>,
}

impl Default for LatencyHistogram {
    fn default() -> Self {
        Self::new()
    }
}

impl LatencyHistogram {
    /// An empty histogram covering 1 ns to one hour; it grows past that.
    pub fn new() -> Self {
        let mut hist = Histogram::new_with_bounds(1, 3_600 * SECOND, 3)
            .expect("static histogram bounds are valid");
        hist.auto(true);
        Self { hist }
    }

    /// Records one latency.
    #[inline]
    pub fn record(&mut self, ns: Nanos) {
        // `record` grows the histogram past its bounds (auto-resize is on);
        // `saturating_record` would record a latency past one hour as one
        // hour. Growing fails only where usize cannot index the counts.
        if self.hist.record(ns).is_err() {
            self.hist.saturating_record(ns);
        }
    }

    /// Records `count` samples of `ns`.
    pub fn record_n(&mut self, ns: Nanos, count: u64) {
        if self.hist.record_n(ns, count).is_err() {
            self.hist.saturating_record_n(ns, count);
        }
    }

    /// Adds every sample of `other` (exact).
    pub fn merge(&mut self, other: &LatencyHistogram) {
        // Both histograms auto-resize, so adding cannot fail on range.
        let _ = self.hist.add(&other.hist);
    }

    /// Samples recorded.
    pub fn count(&self) -> u64 {
        self.hist.len()
    }

    /// The `q` quantile in milliseconds (NaN when empty).
    pub fn quantile_ms(&self, q: f64) -> f64 {
        if self.hist.is_empty() {
            f64::NAN
        } else {
            to_ms(self.hist.value_at_quantile(q))
        }
    }

    /// The mean in milliseconds (NaN when empty).
    pub fn mean_ms(&self) -> f64 {
        if self.hist.is_empty() {
            f64::NAN
        } else {
            self.hist.mean() / 1e6
        }
    }

    /// The largest sample in milliseconds (NaN when empty).
    pub fn max_ms(&self) -> f64 {
        if self.hist.is_empty() {
            f64::NAN
        } else {
            to_ms(self.hist.max())
        }
    }

    /// The smallest sample in milliseconds (NaN when empty).
    pub fn min_ms(&self) -> f64 {
        if self.hist.is_empty() {
            f64::NAN
        } else {
            to_ms(self.hist.min())
        }
    }

    /// `(value_ms, cumulative fraction)` points of the distribution, one per
    /// distinct recorded bucket.
    pub fn cdf_ms(&self) -> Vec<(f64, f64)> {
        let total = self.hist.len() as f64;
        let mut seen = 0u64;
        self.hist
            .iter_recorded()
            .map(|v| {
                seen += v.count_at_value();
                (to_ms(v.value_iterated_to()), seen as f64 / total)
            })
            .collect()
    }

    /// Wraps a histogram (one read back from a record).
    pub fn from_inner(mut hist: Histogram<u64>) -> Self {
        hist.auto(true);
        Self { hist }
    }

    /// The underlying histogram.
    pub fn inner(&self) -> &Histogram<u64> {
        &self.hist
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latencies_past_one_hour_are_kept_not_clamped() {
        let mut h = LatencyHistogram::new();
        h.record(SECOND / 1000);
        h.record(2 * 3_600 * SECOND);
        // Within the histogram's resolution (3 significant digits).
        let two_hours_ms = 7_200_000.0;
        assert!(
            (h.max_ms() - two_hours_ms).abs() <= two_hours_ms * 1e-3,
            "{}",
            h.max_ms()
        );
        assert!((h.quantile_ms(1.0) - two_hours_ms).abs() <= two_hours_ms * 1e-3);
        assert!((h.min_ms() - 1.0).abs() <= 1e-3);
        assert_eq!(h.count(), 2);
    }
}
