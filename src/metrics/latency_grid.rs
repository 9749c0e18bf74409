//! A run's latencies by [`ServedBy`] and [`OrdinalBucket`] (and its load
//! times), counted by HdrHistogram bucket and given to HdrHistogram when
//! the run ends.
//!
//! Recording into the crate's histogram checks and updates bounds,
//! auto-resize, min, max and total count for every value (a twentieth of
//! the simulator's work per request: docs/performance.md). The grid
//! instead finds the bucket the crate would (HdrHistogram's index for 3
//! significant digits from 1 ns: 2048 sub-buckets, the top half of each
//! bucket past the first) and adds one to a count. [`LatencyGrid::cell`]
//! then records each bucket's count at the bucket's lowest value, which
//! gives the histogram that recording every value gives: the same counts,
//! total, and min and max (which the crate reports as their buckets'
//! bounds). Tested equal, histogram to histogram. Values from 2^42 ns (73
//! minutes) go to the crate directly.

use super::{LatencyHistogram, OrdinalBucket, ServedBy};
use crate::time::Nanos;

/// log2 of half the sub-buckets: 2048 sub-buckets keep 3 significant
/// digits (HdrHistogram's rule: the power of two at or above 2 * 10^3).
const HALF_MAGNITUDE: u32 = 10;
const HALF: u64 = 1 << HALF_MAGNITUDE;
/// Values below 2048 (bucket 0) are counted one per index.
const SUB_BUCKET_MASK: u64 = 2 * HALF - 1;
/// 64 minus the bits of bucket 0's values (11), minus the unit's (0).
const LEADING_ZERO_BASE: u32 = 64 - (HALF_MAGNITUDE + 1);

/// Values from here are recorded by the crate directly.
const COUNTED_BELOW: u64 = 1 << 42;
/// Counts per cell: the indices of the values below [`COUNTED_BELOW`].
const CELL_LEN: usize = index(COUNTED_BELOW - 1) + 1;
const CELLS: usize = 9;
/// The most cells a [`BucketCounts`] holds.
pub const MAX_CELLS: usize = 16;
/// Counts per block of a cell's [`BucketCounts::touched`] mask.
const BLOCK_SHIFT: u32 = 10;
const _: () = assert!(
    CELL_LEN.div_ceil(1 << BLOCK_SHIFT) <= 64,
    "a cell's blocks fit a u64 mask"
);

/// HdrHistogram's count index of `ns`.
#[inline(always)]
const fn index(ns: u64) -> usize {
    let bucket = LEADING_ZERO_BASE - (ns | SUB_BUCKET_MASK).leading_zeros();
    ((((bucket + 1) as u64) << HALF_MAGNITUDE) + (ns >> bucket) - HALF) as usize
}

/// The lowest value whose index is `i`.
fn lowest_value(i: usize) -> u64 {
    let i = i as u64;
    let sub = i & (HALF - 1);
    match (i >> HALF_MAGNITUDE).checked_sub(1) {
        // The lower half of bucket 0.
        None => sub,
        Some(bucket) => (sub + HALF) << bucket,
    }
}

/// Durations in `cells` separate histograms, counted by HdrHistogram
/// bucket (see the module docs).
#[derive(Debug, Clone)]
pub struct BucketCounts {
    /// `cells` runs of `CELL_LEN` counts.
    counts: Vec<u64>,
    /// Per cell, the blocks of 1024 counts written: the others are never
    /// read, so their pages (fresh, zeroed memory) are never faulted in.
    /// Reading all 2.4 MB of a run's latency counts took a millisecond of
    /// page faults, a few percent of a small fleet's run.
    touched: [u64; MAX_CELLS],
    /// Values past [`COUNTED_BELOW`], with their cell.
    far: Vec<(Nanos, usize)>,
}

impl BucketCounts {
    /// `cells` empty histograms (at most `MAX_CELLS`, 16).
    pub fn new(cells: usize) -> Self {
        let cells = cells.min(MAX_CELLS);
        Self {
            counts: vec![0; cells * CELL_LEN],
            touched: [0; MAX_CELLS],
            far: Vec::new(),
        }
    }

    /// Records `ns` in `cell` (ignored past the last cell).
    #[inline]
    pub fn record(&mut self, cell: usize, ns: Nanos) {
        if ns < COUNTED_BELOW {
            let i = index(ns);
            if let Some(c) = self.counts.get_mut(cell * CELL_LEN + i) {
                *c += 1;
                // In range: cell < cells <= MAX_CELLS.
                self.touched[cell % MAX_CELLS] |= 1 << (i >> BLOCK_SHIFT);
            }
        } else {
            self.far.push((ns, cell));
        }
    }

    /// The histogram of `cell`: the one recording each of its values gives.
    pub fn histogram(&self, cell: usize) -> LatencyHistogram {
        let mut hist = LatencyHistogram::new();
        let counts = self
            .counts
            .get(cell * CELL_LEN..(cell + 1) * CELL_LEN)
            .unwrap_or(&[]);
        let mut blocks = if cell < MAX_CELLS {
            self.touched[cell]
        } else {
            0
        };
        while blocks != 0 {
            let first = (blocks.trailing_zeros() as usize) << BLOCK_SHIFT;
            blocks &= blocks - 1;
            let block = counts.iter().enumerate().skip(first).take(1 << BLOCK_SHIFT);
            for (i, &n) in block {
                if n > 0 {
                    hist.record_n(lowest_value(i), n);
                }
            }
        }
        for &(ns, c) in &self.far {
            if c == cell {
                hist.record(ns);
            }
        }
        hist
    }
}

/// Latencies by path and ordinal bucket: nine [`BucketCounts`] cells.
#[derive(Debug, Clone)]
pub struct LatencyGrid {
    counts: BucketCounts,
}

impl Default for LatencyGrid {
    fn default() -> Self {
        Self::new()
    }
}

impl LatencyGrid {
    /// An empty grid.
    pub fn new() -> Self {
        Self {
            counts: BucketCounts::new(CELLS),
        }
    }

    #[inline(always)]
    fn cell_of(path: ServedBy, bucket: OrdinalBucket) -> usize {
        path as usize * 3 + bucket as usize
    }

    /// Records one latency.
    #[inline]
    pub fn record(&mut self, ns: Nanos, path: ServedBy, bucket: OrdinalBucket) {
        self.counts.record(Self::cell_of(path, bucket), ns);
    }

    /// The latencies of one path and bucket.
    pub fn cell(&self, path: ServedBy, bucket: OrdinalBucket) -> LatencyHistogram {
        self.counts.histogram(Self::cell_of(path, bucket))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::strategy::Strategy;

    #[test]
    fn lowest_values_index_back_to_their_index() {
        for i in 0..CELL_LEN {
            let v = lowest_value(i);
            assert_eq!(index(v), i, "{v}");
            if i > 0 {
                assert_eq!(index(v - 1), i - 1, "{v} starts bucket {i}");
            }
        }
    }

    /// What recording each value into the crate's histogram gives.
    fn direct(values: &[u64]) -> LatencyHistogram {
        let mut h = LatencyHistogram::new();
        for &v in values {
            h.record(v);
        }
        h
    }

    fn counted(values: &[u64], path: ServedBy, bucket: OrdinalBucket) -> LatencyHistogram {
        let mut grid = LatencyGrid::new();
        for &v in values {
            grid.record(v, path, bucket);
        }
        // Another cell stays apart.
        grid.record(12_345, ServedBy::Local, OrdinalBucket::ALL[0]);
        grid.cell(path, bucket)
    }

    proptest::proptest! {
        /// Counting by bucket gives the histogram that recording each value
        /// gives: equal counts, total, min and max, and so quantiles and
        /// mean; from nanoseconds to past the counted range.
        #[test]
        fn counting_by_bucket_equals_recording_each_value(
            values in proptest::collection::vec(
                proptest::prop_oneof![
                    0u64..5_000,
                    (0u32..64, proptest::prelude::any::<u64>()).prop_map(|(bits, r)| r >> bits),
                    (1u32..50).prop_map(|b| (1u64 << b) - 1),
                    (1u32..50).prop_map(|b| 1u64 << b),
                ],
                1..300,
            )
        ) {
            let (path, bucket) = (ServedBy::Delegated, OrdinalBucket::ALL[2]);
            let got = counted(&values, path, bucket);
            let want = direct(&values);
            proptest::prop_assert!(got.inner() == want.inner());
            for q in [0.0, 0.5, 0.99, 0.999, 1.0] {
                proptest::prop_assert_eq!(got.quantile_ms(q).to_bits(), want.quantile_ms(q).to_bits());
            }
            proptest::prop_assert_eq!(got.mean_ms().to_bits(), want.mean_ms().to_bits());
            proptest::prop_assert_eq!(got.min_ms().to_bits(), want.min_ms().to_bits());
            proptest::prop_assert_eq!(got.max_ms().to_bits(), want.max_ms().to_bits());
        }
    }

    #[test]
    fn an_empty_cell_is_an_empty_histogram() {
        let grid = LatencyGrid::new();
        assert_eq!(grid.cell(ServedBy::Local, OrdinalBucket::ALL[0]).count(), 0);
        // A cell past the last records nothing and reads as empty.
        let mut counts = BucketCounts::new(2);
        counts.record(2, 5);
        assert_eq!(counts.histogram(2).count(), 0);
        assert_eq!(counts.histogram(1).count(), 0);
    }
}
