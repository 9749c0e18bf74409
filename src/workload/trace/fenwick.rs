//! A Fenwick (binary indexed) tree of counts: picks an item with
//! probability proportional to its count, in `O(log n)`, with or without
//! replacement.
//!
//! Invariants: `tree[i]` holds the sum of counts over `(i & (i + 1)) ..= i`;
//! `total` is the sum of all counts; the buffer is reused across rebuilds,
//! so picking allocates nothing.

#[derive(Debug, Clone, Default)]
pub(crate) struct Fenwick {
    tree: Vec<u64>,
    total: u64,
}

impl Fenwick {
    /// Rebuilds the tree over `counts` in `O(n)`.
    pub(crate) fn rebuild(&mut self, counts: impl Iterator<Item = u64>) {
        self.tree.clear();
        self.tree.extend(counts);
        let n = self.tree.len();
        self.total = 0;
        for i in 0..n {
            let own = self.tree.get(i).copied().unwrap_or(0);
            let j = i | (i + 1);
            if j < n {
                if let Some(parent) = self.tree.get_mut(j) {
                    *parent = parent.saturating_add(own);
                }
            }
        }
        // The total is the sum of the roots of the prefix covering all.
        let mut i = n;
        while i > 0 {
            self.total = self
                .total
                .saturating_add(self.tree.get(i - 1).copied().unwrap_or(0));
            i &= i - 1;
        }
    }

    /// The sum of all counts.
    pub(crate) fn total(&self) -> u64 {
        self.total
    }

    /// The item `i` whose cumulative range `[sum(..i), sum(..=i))` holds
    /// `r` (`r < total`); `None` if `r >= total`.
    pub(crate) fn find(&self, mut r: u64) -> Option<usize> {
        if r >= self.total {
            return None;
        }
        let n = self.tree.len();
        let mut pos = 0usize; // items before `pos` have cumulative sum <= r
        let mut step = n.checked_next_power_of_two().unwrap_or(0);
        while step > 0 {
            let next = pos + step;
            if next <= n {
                let sum = self.tree.get(next - 1).copied().unwrap_or(0);
                if sum <= r {
                    pos = next;
                    r -= sum;
                }
            }
            step >>= 1;
        }
        (pos < n).then_some(pos)
    }

    /// Removes one from item `i`'s count (which must be > 0).
    pub(crate) fn take_one(&mut self, i: usize) {
        let mut j = i;
        while let Some(node) = self.tree.get_mut(j) {
            *node = node.saturating_sub(1);
            j |= j + 1;
        }
        self.total = self.total.saturating_sub(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_every_unit_of_every_count_and_takes_them() {
        let counts = [3u64, 0, 1, 5, 0, 0, 2, 7, 1];
        let mut f = Fenwick::default();
        f.rebuild(counts.iter().copied());
        assert_eq!(f.total(), 19);
        let mut expected = Vec::new();
        for (i, &c) in counts.iter().enumerate() {
            expected.extend(std::iter::repeat_n(i, c as usize));
        }
        for (r, &i) in expected.iter().enumerate() {
            assert_eq!(f.find(r as u64), Some(i));
        }
        assert_eq!(f.find(19), None);
        // Taking every unit empties it, whatever the order.
        let mut left = counts;
        while f.total() > 0 {
            let i = f.find(f.total() / 2).unwrap_or(usize::MAX);
            assert!(left[i] > 0);
            left[i] -= 1;
            f.take_one(i);
            let mut start = 0;
            for (k, &c) in left.iter().enumerate() {
                if c > 0 {
                    assert_eq!(f.find(start), Some(k));
                }
                start += c;
            }
        }
        assert!(left.iter().all(|&c| c == 0));
        f.rebuild(std::iter::empty());
        assert_eq!((f.total(), f.find(0)), (0, None));
    }
}
