//! The eviction rule seen in load logs: the distribution of the idle time
//! after which workerd evicts a DO, estimated from the idle gaps a DO
//! survived and those it did not.
//!
//! Each gap is a current-status observation of the DO's idle timeout `T`: a
//! gap `g` survived says `T > g`, an eviction says `T <= g`. The
//! nonparametric maximum-likelihood estimate of `P(T <= g)` from such data
//! is the isotonic (non-decreasing) regression of the eviction indicators
//! ordered by gap, computed by pooling adjacent violators. When every
//! survived gap is shorter than every evicting one (workerd's sharp 10 s
//! for an empty DO) it is a single step, and the rule is a uniform between
//! the longest survived and the shortest evicting gap. When they overlap
//! (PGLite DOs: evicted after 10.2 s once and surviving 19 s another time,
//! testbed facts "18-20 s, not explained") the estimate is a staircase, and
//! the rule is an empirical distribution over its quantiles.
//!
//! Invariant: the rule reproduces the estimate: the fraction of its
//! samples at or below each observed gap equals the estimate there to
//! within one sample in [`SAMPLES`].

use super::results::Log;
use super::stats::ms_string;

/// Samples of an empirical rule (one per 1% of probability).
pub const SAMPLES: usize = 100;

/// The idle gaps of each tenant in a log: (idle ms, evicted before the next
/// request) between consecutive answered requests; idle is from the end of
/// one request (send + client latency) to the send of the next.
pub fn idle_gaps(log: &Log) -> Vec<(f64, bool)> {
    let mut by_tenant: std::collections::BTreeMap<&str, Vec<_>> = Default::default();
    for r in log.ok_rows() {
        by_tenant.entry(r.tenant.as_str()).or_default().push(r);
    }
    let mut gaps = Vec::new();
    for rows in by_tenant.values_mut() {
        rows.sort_by(|a, b| a.sched_ms.total_cmp(&b.sched_ms));
        for w in rows.windows(2) {
            let (a, b) = (w[0], w[1]);
            let (Some(sa), Some(la), Some(sb)) = (a.send_ms, a.latency_ms, b.send_ms) else {
                continue;
            };
            let idle = sb - (sa + la);
            if idle > 0.0 {
                gaps.push((idle, b.life > a.life));
            }
        }
    }
    gaps
}

/// The estimated eviction-time distribution: the distinct gaps in
/// increasing order with `P(T <= gap)` at each.
#[derive(Debug, Clone, PartialEq)]
pub struct Estimate {
    pub steps: Vec<(f64, f64)>,
    pub survived: usize,
    pub evicted: usize,
}

/// The estimate from `gaps`, `None` unless some gaps survived and some
/// evicted.
pub fn estimate(gaps: &[(f64, bool)]) -> Option<Estimate> {
    let evicted = gaps.iter().filter(|g| g.1).count();
    let survived = gaps.len() - evicted;
    if evicted == 0 || survived == 0 {
        return None;
    }
    let mut sorted = gaps.to_vec();
    // Ties: survivals first, so a tie pools rather than steps backwards.
    sorted.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    // Pool adjacent violators: blocks of (sum of indicators, count).
    let mut blocks: Vec<(f64, f64, usize)> = Vec::new(); // (sum, count, last index)
    for (i, &(_, ev)) in sorted.iter().enumerate() {
        blocks.push((if ev { 1.0 } else { 0.0 }, 1.0, i));
        while blocks.len() >= 2 {
            let (s2, c2, l2) = blocks[blocks.len() - 1];
            let (s1, c1, _) = blocks[blocks.len() - 2];
            if s1 / c1 <= s2 / c2 {
                break;
            }
            blocks.pop();
            let last = blocks.len() - 1;
            blocks[last] = (s1 + s2, c1 + c2, l2);
        }
    }
    let mut fitted = vec![0.0; sorted.len()];
    let mut start = 0;
    for &(s, c, last) in &blocks {
        fitted[start..=last].fill(s / c);
        start = last + 1;
    }
    let mut steps: Vec<(f64, f64)> = Vec::new();
    for (&(g, _), &f) in sorted.iter().zip(&fitted) {
        match steps.last_mut() {
            Some(last) if last.0 == g => last.1 = last.1.max(f),
            _ => steps.push((g, f)),
        }
    }
    Some(Estimate {
        steps,
        survived,
        evicted,
    })
}

impl Estimate {
    /// Whether the estimate jumps from 0 to 1 at one gap (survived and
    /// evicted gaps separate).
    fn is_single_step(&self) -> bool {
        self.steps.iter().all(|s| s.1 == 0.0 || s.1 == 1.0)
    }

    /// The longest survived gap below the first eviction and the shortest
    /// evicting gap (the bracket of a single-step estimate).
    fn bracket(&self) -> (f64, f64) {
        let hi = self
            .steps
            .iter()
            .find(|s| s.1 > 0.0)
            .map_or(f64::NAN, |s| s.0);
        let lo = self
            .steps
            .iter()
            .rev()
            .find(|s| s.1 == 0.0)
            .map_or(hi / 2.0, |s| s.0);
        (lo, hi)
    }

    /// `SAMPLES` quantiles of the estimate. Probability that jumps at a gap
    /// is spread uniformly over the interval from the previous gap to it;
    /// probability left above the longest gap goes just above it (10%),
    /// the data saying only that `T` exceeds it.
    pub fn quantiles(&self) -> Vec<f64> {
        let mut intervals: Vec<(f64, f64, f64)> = Vec::new(); // (lo, hi, mass)
        let mut prev_gap = self.steps[0].0 / 2.0;
        let mut prev_f = 0.0;
        for &(g, f) in &self.steps {
            if f > prev_f {
                intervals.push((prev_gap, g, f - prev_f));
            }
            prev_gap = g;
            prev_f = f;
        }
        if prev_f < 1.0 {
            intervals.push((prev_gap, prev_gap * 1.1, 1.0 - prev_f));
        }
        (0..SAMPLES)
            .map(|j| {
                let mut q = (j as f64 + 0.5) / SAMPLES as f64;
                for &(lo, hi, m) in &intervals {
                    if q <= m {
                        return lo + (hi - lo) * q / m;
                    }
                    q -= m;
                }
                intervals.last().map_or(0.0, |i| i.1)
            })
            .collect()
    }

    /// The rule as a config value and a sentence on what it came from.
    pub fn rule(&self, what: &str) -> (String, String) {
        let counts = format!("{} survived, {} evicted", self.survived, self.evicted);
        if self.is_single_step() {
            let (lo, hi) = self.bracket();
            return (
                format!(
                    "{{ dist = \"uniform\", min = \"{}\", max = \"{}\" }}",
                    ms_string(lo),
                    ms_string(hi)
                ),
                format!(
                    "idle gaps of {what}: the longest survived {:.2} s, the shortest evicted {:.2} s ({counts})",
                    lo / 1e3,
                    hi / 1e3
                ),
            );
        }
        let samples: Vec<String> = self
            .quantiles()
            .iter()
            .map(|&q| format!("\"{}\"", ms_string(q)))
            .collect();
        let staircase: Vec<String> = self
            .steps
            .iter()
            .filter(|s| s.1 > 0.0 && s.1 < 1.0)
            .map(|s| format!("P(<= {:.2} s) = {:.2}", s.0 / 1e3, s.1))
            .collect();
        (
            format!(
                "{{ dist = \"empirical\", samples = [{}] }}",
                samples.join(", ")
            ),
            format!(
                "idle gaps of {what} overlap (survived and evicted gaps interleave; {counts}): \
                 the current-status estimate (pooled adjacent violators) {}",
                staircase.join(", ")
            ),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testbed::log::{COLUMNS, END_MARK, MAGIC};
    use std::path::Path;

    fn log(rows: &[String]) -> Log {
        let mut t = format!("{MAGIC}\n{}\n", COLUMNS.join(","));
        for r in rows {
            t.push_str(r);
            t.push('\n');
        }
        t.push_str(END_MARK);
        Log::parse(Path::new("l"), &t).unwrap()
    }

    fn row(tenant: &str, send: f64, latency: f64, req: u32, life: u32) -> String {
        format!("{send},{send},{tenant},1,{latency},200,,delegated,{req},{life},,,,,,,")
    }

    #[test]
    fn idle_gaps_run_from_the_end_of_a_request_to_the_next_send() {
        // t0: gaps 4 s (kept), 12 s (evicted); t1: gap 9 s (kept), 30 s (evicted).
        let l = log(&[
            row("t0", 0.0, 10.0, 1, 1),
            row("t0", 4010.0, 10.0, 2, 1),
            row("t1", 5000.0, 10.0, 1, 1),
            row("t1", 14010.0, 10.0, 2, 1),
            row("t0", 16020.0, 10.0, 1, 2),
            row("t1", 44020.0, 10.0, 1, 2),
        ]);
        let mut gaps = idle_gaps(&l);
        gaps.sort_by(|a, b| a.0.total_cmp(&b.0));
        assert_eq!(
            gaps,
            vec![
                (4000.0, false),
                (9000.0, false),
                (12000.0, true),
                (30000.0, true)
            ]
        );
        let never = log(&[row("t0", 0.0, 1.0, 1, 1), row("t0", 100.0, 1.0, 2, 1)]);
        assert_eq!(estimate(&idle_gaps(&never)), None);
    }

    #[test]
    fn separated_gaps_give_the_bracket() {
        let gaps = [
            (4000.0, false),
            (9000.0, false),
            (12000.0, true),
            (30000.0, true),
        ];
        let e = estimate(&gaps).unwrap();
        assert!(e.is_single_step());
        assert_eq!(e.bracket(), (9000.0, 12000.0));
        let (value, _) = e.rule("x");
        assert_eq!(
            value,
            "{ dist = \"uniform\", min = \"9000ms\", max = \"12000ms\" }"
        );
    }

    #[test]
    fn no_estimate_without_both_kinds() {
        assert_eq!(estimate(&[(1.0, false), (2.0, false)]), None);
        assert_eq!(estimate(&[(1.0, true)]), None);
    }

    #[test]
    fn overlapping_gaps_pool_adjacent_violators() {
        // Indicators by gap: 0 0 1 0 0 1 1: pooling 1 0 0 gives 1/3 each.
        let gaps = [
            (5.0, false),
            (9.0, false),
            (10.0, true),
            (11.0, false),
            (12.0, false),
            (19.0, true),
            (20.0, true),
        ];
        let e = estimate(&gaps).unwrap();
        let f: Vec<f64> = e.steps.iter().map(|s| s.1).collect();
        let third = 1.0 / 3.0;
        assert_eq!(f, vec![0.0, 0.0, third, third, third, 1.0, 1.0]);
        // The rule reproduces the estimate within one sample.
        let q = e.quantiles();
        for &(g, fg) in &e.steps {
            let below = q.iter().filter(|&&x| x <= g).count() as f64 / SAMPLES as f64;
            assert!(
                (below - fg).abs() <= 1.0 / SAMPLES as f64,
                "at {g}: {below} vs {fg}"
            );
        }
        // A third of the mass in (9, 10], the rest in (12, 19].
        assert!(q[..33].iter().all(|&x| x > 9.0 && x <= 10.0));
        assert!(q[34..].iter().all(|&x| x > 12.0 && x <= 19.0));
        assert!(e.rule("x").0.starts_with("{ dist = \"empirical\""));
    }

    #[test]
    fn the_isotonic_fit_matches_a_brute_force_likelihood_maximum() {
        // Over every non-decreasing staircase on a grid of 1/4, none has a
        // higher Bernoulli likelihood than the pooled fit.
        let gaps = [
            (1.0, true),
            (2.0, false),
            (3.0, true),
            (4.0, false),
            (5.0, true),
        ];
        let e = estimate(&gaps).unwrap();
        let loglik = |f: &[f64]| -> f64 {
            gaps.iter()
                .zip(f)
                .map(|(g, &p)| {
                    let p: f64 = if g.1 { p } else { 1.0 - p };
                    if p <= 0.0 {
                        -1e9
                    } else {
                        p.ln()
                    }
                })
                .sum()
        };
        let fitted: Vec<f64> = e.steps.iter().map(|s| s.1).collect();
        let best = loglik(&fitted);
        let grid = [0.0, 0.25, 0.5, 0.75, 1.0];
        let mut f = [0.0; 5];
        fn walk(
            i: usize,
            min: usize,
            f: &mut [f64; 5],
            grid: &[f64],
            visit: &mut dyn FnMut(&[f64]),
        ) {
            if i == f.len() {
                visit(f);
                return;
            }
            for k in min..grid.len() {
                f[i] = grid[k];
                walk(i + 1, k, f, grid, visit);
            }
        }
        walk(0, 0, &mut f, &grid, &mut |cand| {
            assert!(loglik(cand) <= best + 1e-12, "{cand:?} beats {fitted:?}");
        });
    }
}
