//! Shards: a deterministic split of an experiment's runs for several
//! machines. Run `i` (in canonical order) belongs to shard `i mod N + 1`,
//! which spreads points and replications evenly.

use std::fmt;
use std::str::FromStr;

use super::RunSpec;

/// Shard `index` of `count` (1-based), as in `--shard 2/4`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: usize,
    pub count: usize,
}

impl Shard {
    /// The runs of `runs` (in canonical order) that belong to this shard.
    pub fn select(&self, runs: &[RunSpec]) -> Vec<RunSpec> {
        runs.iter()
            .enumerate()
            .filter(|(i, _)| i % self.count + 1 == self.index)
            .map(|(_, r)| *r)
            .collect()
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl FromStr for Shard {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || format!("expected K/N with 1 <= K <= N (such as 2/4), found {s:?}");
        let (k, n) = s.split_once('/').ok_or_else(bad)?;
        let index: usize = k.trim().parse().map_err(|_| bad())?;
        let count: usize = n.trim().parse().map_err(|_| bad())?;
        if index == 0 || count == 0 || index > count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_partition_the_runs() {
        let runs: Vec<RunSpec> = (0..10)
            .map(|i| RunSpec {
                point: i / 3,
                variant: i % 3,
                replication: 0,
            })
            .collect();
        let mut all: Vec<RunSpec> = (1..=3)
            .flat_map(|k| Shard { index: k, count: 3 }.select(&runs))
            .collect();
        all.sort();
        let mut want = runs.clone();
        want.sort();
        assert_eq!(all, want);
        assert_eq!(Shard { index: 1, count: 3 }.select(&runs).len(), 4);
    }

    #[test]
    fn parses_and_refuses() {
        assert_eq!("2/4".parse::<Shard>(), Ok(Shard { index: 2, count: 4 }));
        for bad in ["0/4", "5/4", "2", "a/b", "1/0", ""] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
    }
}
