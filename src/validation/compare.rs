//! `dofleet validate`: the testbed's load run beside the simulator replaying
//! the same schedule under the calibrated layer, row by row, each with a
//! ratio and a verdict against a stated tolerance.
//!
//! Tolerances (the issue's: counts tight, latency quantiles within a factor
//! band wide enough for a busy 2-core machine, still able to fail):
//! - DO starts: |sim - testbed| <= max(5% of testbed, 2 starts);
//! - cold-start and delegated fractions: |sim - testbed| <= max(5% of
//!   testbed, 2 requests / n), the count's tolerance as a fraction;
//! - p50 and p90: within a factor 2 of the testbed's quantile, p99 within
//!   a factor 3, where the testbed's quantile is its distribution-free 95%
//!   confidence interval (order statistics, binomial ranks): the
//!   simulator's quantile q passes when lo / factor <= q <= hi * factor.
//!   A quantile of a few dozen samples of a bimodal latency (warm, or
//!   behind a PGLite init) can sit in either mode; the interval says how
//!   far it can move by chance, and the factor is the model's allowance on
//!   top. A quantile is judged only when the testbed has enough samples
//!   for it (p50: 10, p90: 20, p99: 100) and the simulator at least one; a
//!   path or request bucket that one side has and the other lacks fails.
//!
//! Invariant: a row's verdict depends only on the two values and the
//! tolerance; expected failures ([`super::expected`]) relabel a verdict,
//! never change the comparison.

use std::fmt::Write as _;

use super::results::{Log, Row, Served};
use super::stats::{quantile, sorted};
use crate::metrics::{OrdinalBucket, Path as SimPath, RunMetrics};

/// What a row compares.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Tolerance {
    /// |sim - tb| <= max(relative * tb, absolute).
    Count { relative: f64, absolute: f64 },
    /// sim within [lo / factor, hi * factor], [lo, hi] the testbed
    /// quantile's 95% interval, when tb has >= min_n samples.
    Factor { factor: f64, min_n: usize },
}

impl Tolerance {
    fn describe(self) -> String {
        match self {
            Tolerance::Count { relative, absolute } => {
                format!("±max({:.0}%, {absolute})", relative * 100.0)
            }
            Tolerance::Factor { factor, min_n } => format!("×{factor} of 95% CI (n≥{min_n})"),
        }
    }
}

/// A row's outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Pass,
    Fail,
    /// Failed, and listed as an expected failure.
    ExpectedFail,
    /// Passed, though listed as an expected failure: the entry is stale.
    UnexpectedPass,
    /// Passed, listed as a load-dependent expected failure (`strict = false`).
    ListedPass,
    /// Too few samples to judge.
    NotJudged,
}

impl Verdict {
    pub fn label(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Fail => "FAIL",
            Verdict::ExpectedFail => "expected fail",
            Verdict::UnexpectedPass => "UNEXPECTED PASS",
            Verdict::ListedPass => "pass (listed: load-dependent)",
            Verdict::NotJudged => "n/a",
        }
    }

    /// Whether this verdict fails the validation.
    pub fn fails(self) -> bool {
        matches!(self, Verdict::Fail | Verdict::UnexpectedPass)
    }
}

/// One compared row.
#[derive(Debug, Clone)]
pub struct Comparison {
    pub row: String,
    pub sim: f64,
    pub testbed: f64,
    /// The testbed value's 95% interval (the value itself for counts).
    pub testbed_ci: (f64, f64),
    /// Samples behind the testbed value (requests for counts).
    pub testbed_n: usize,
    pub sim_n: u64,
    pub tolerance: Tolerance,
    pub verdict: Verdict,
    /// Why a failure was expected, when it was.
    pub reason: Option<String>,
}

/// Judges `sim` against `testbed` (with its 95% interval `ci`; the value
/// itself for counts) under `tolerance`.
pub fn judge(
    sim: f64,
    testbed: f64,
    ci: (f64, f64),
    testbed_n: usize,
    sim_n: u64,
    tolerance: Tolerance,
) -> Verdict {
    match tolerance {
        Tolerance::Count { relative, absolute } => {
            if (sim - testbed).abs() <= (relative * testbed.abs()).max(absolute) {
                Verdict::Pass
            } else {
                Verdict::Fail
            }
        }
        Tolerance::Factor { factor, min_n } => {
            let tb_has = testbed_n >= min_n;
            let sim_has = sim_n > 0 && sim.is_finite();
            match (tb_has, sim_has) {
                (true, true) => {
                    let (lo, hi) = ci;
                    if testbed > 0.0 && sim >= lo / factor && sim <= hi * factor {
                        Verdict::Pass
                    } else {
                        Verdict::Fail
                    }
                }
                // The model serves a share the runtime does not (or the
                // reverse): a quantile of nothing cannot match.
                (true, false) => Verdict::Fail,
                (false, true) if testbed_n == 0 && sim_n as usize >= min_n => Verdict::Fail,
                _ => Verdict::NotJudged,
            }
        }
    }
}

const COUNT_RELATIVE: f64 = 0.05;
const COUNT_ABSOLUTE: f64 = 2.0;
const COUNT: Tolerance = Tolerance::Count {
    relative: COUNT_RELATIVE,
    absolute: COUNT_ABSOLUTE,
};
/// The count's tolerance as a fraction of `n` requests.
fn fraction(n: usize) -> Tolerance {
    Tolerance::Count {
        relative: COUNT_RELATIVE,
        absolute: COUNT_ABSOLUTE / n.max(1) as f64,
    }
}

/// The 0-based ranks of the distribution-free 95% interval of the `q`
/// quantile of `n` sorted samples: the order statistics at the
/// binomial(n, q) 2.5% and 97.5% points, clamped to the sample (with fewer
/// than about 35 samples a p90's upper end is the sample's maximum, which
/// covers it with probability 1 - q^n only).
pub fn quantile_ci_ranks(n: usize, q: f64) -> (usize, usize) {
    assert!(n > 0, "an interval of no samples");
    // P(B <= k) for B ~ binomial(n, q), the samples below the quantile,
    // accumulated in logs.
    let (ln_q, ln_p) = (q.ln(), (1.0 - q).ln());
    let mut ln_choose = 0.0;
    let mut cdf = 0.0;
    let (mut lo, mut hi) = (None, n - 1);
    for k in 0..=n {
        if k > 0 {
            ln_choose += ((n - k + 1) as f64).ln() - (k as f64).ln();
        }
        cdf += (ln_choose + k as f64 * ln_q + (n - k) as f64 * ln_p).exp();
        // [x_(lo), x_(hi)] covers the quantile when lo < B <= hi.
        if lo.is_none() && cdf > 0.025 {
            lo = Some(k.saturating_sub(1).min(n - 1));
        }
        if cdf >= 0.975 {
            hi = k.min(n - 1);
            break;
        }
    }
    (lo.unwrap_or(0), hi)
}

/// The distribution-free 95% interval of the `q` quantile of `sorted`
/// ([`quantile_ci_ranks`]).
pub fn quantile_ci(sorted: &[f64], q: f64) -> (f64, f64) {
    if sorted.is_empty() {
        return (f64::NAN, f64::NAN);
    }
    let (lo, hi) = quantile_ci_ranks(sorted.len(), q);
    (sorted[lo], sorted[hi])
}

const QUANTILES: [(&str, f64, Tolerance); 3] = [
    (
        "p50",
        0.50,
        Tolerance::Factor {
            factor: 2.0,
            min_n: 10,
        },
    ),
    (
        "p90",
        0.90,
        Tolerance::Factor {
            factor: 2.0,
            min_n: 20,
        },
    ),
    (
        "p99",
        0.99,
        Tolerance::Factor {
            factor: 3.0,
            min_n: 100,
        },
    ),
];

fn served_as_sim(s: Served) -> SimPath {
    match s {
        Served::Local => SimPath::Local,
        Served::Delegated => SimPath::Delegated,
        Served::Queued => SimPath::Queued,
    }
}

/// Every row name `validate` can print, for expected-failure files.
pub fn row_names() -> Vec<String> {
    let mut names = vec![
        "DO starts".to_string(),
        "cold-start fraction".into(),
        "delegated fraction".into(),
    ];
    for (q, _, _) in QUANTILES {
        names.push(format!("{q} all"));
        for p in SimPath::ALL {
            names.push(format!("{q} {}", p.name()));
        }
        for b in OrdinalBucket::ALL {
            names.push(format!("{q} req {}", b.label()));
        }
    }
    names
}

fn exact(v: f64) -> (f64, (f64, f64)) {
    (v, (v, v))
}

/// The comparison rows of one architecture: the testbed's load log against
/// the simulator's metrics of the same schedule pooled over `runs` runs.
pub fn compare(log: &Log, sim: &RunMetrics, runs: u64) -> Vec<Comparison> {
    let rows: Vec<&Row> = log.ok_rows().collect();
    let n = rows.len();
    let starts = rows.iter().filter(|r| r.req == Some(1)).count();
    let delegated = rows
        .iter()
        .filter(|r| r.path == Some(Served::Delegated))
        .count();
    let frac = |k: usize| {
        if n == 0 {
            f64::NAN
        } else {
            k as f64 / n as f64
        }
    };
    let sim_delegated = sim.path_count(SimPath::Delegated);
    let sim_frac = |k: u64| {
        if sim.requests == 0 {
            f64::NAN
        } else {
            k as f64 / sim.requests as f64
        }
    };
    let mut out = Vec::new();
    let mut push = |row: String,
                    sim_v: f64,
                    tb: (f64, (f64, f64)),
                    tb_n: usize,
                    sim_n: u64,
                    tol: Tolerance| {
        let (tb, ci) = tb;
        out.push(Comparison {
            verdict: judge(sim_v, tb, ci, tb_n, sim_n, tol),
            row,
            sim: sim_v,
            testbed: tb,
            testbed_ci: ci,
            testbed_n: tb_n,
            sim_n,
            tolerance: tol,
            reason: None,
        });
    };
    push(
        "DO starts".into(),
        sim.cold_starts as f64 / runs.max(1) as f64,
        exact(starts as f64),
        n,
        sim.requests,
        COUNT,
    );
    push(
        "cold-start fraction".into(),
        sim.cold_start_fraction(),
        exact(frac(starts)),
        n,
        sim.requests,
        fraction(n),
    );
    push(
        "delegated fraction".into(),
        sim_frac(sim_delegated),
        exact(frac(delegated)),
        n,
        sim.requests,
        fraction(n),
    );

    let latencies = |keep: &dyn Fn(&Row) -> bool| -> Vec<f64> {
        sorted(
            &rows
                .iter()
                .filter(|r| keep(r))
                .filter_map(|r| r.latency_ms)
                .collect::<Vec<_>>(),
        )
    };
    let tb_q = |s: &[f64], q: f64| {
        if s.is_empty() {
            (f64::NAN, (f64::NAN, f64::NAN))
        } else {
            (quantile(s, q), quantile_ci(s, q))
        }
    };
    for (name, q, tol) in QUANTILES {
        let all = latencies(&|_| true);
        push(
            format!("{name} all"),
            sim.latency.quantile_ms(q),
            tb_q(&all, q),
            all.len(),
            sim.latency.count(),
            tol,
        );
        for p in SimPath::ALL {
            let s = latencies(&|r| r.path.map(served_as_sim) == Some(p));
            let h = &sim.by_path[p as usize];
            push(
                format!("{name} {}", p.name()),
                h.quantile_ms(q),
                tb_q(&s, q),
                s.len(),
                h.count(),
                tol,
            );
        }
        for b in OrdinalBucket::ALL {
            let s = latencies(&|r| r.req.map(OrdinalBucket::of) == Some(b));
            let h = &sim.by_ordinal[b as usize];
            push(
                format!("{name} req {}", b.label()),
                h.quantile_ms(q),
                tb_q(&s, q),
                s.len(),
                h.count(),
                tol,
            );
        }
    }
    out
}

fn cell(v: f64, row: &str) -> String {
    if !v.is_finite() {
        "-".into()
    } else if row.contains("fraction") {
        format!("{v:.3}")
    } else if row == "DO starts" {
        format!("{v:.0}")
    } else if v >= 1000.0 {
        format!("{:.2} s", v / 1000.0)
    } else {
        format!("{v:.1} ms")
    }
}

fn testbed_cell(c: &Comparison) -> String {
    let v = cell(c.testbed, &c.row);
    match c.tolerance {
        Tolerance::Factor { .. } if c.testbed.is_finite() => format!(
            "{v} ({}-{})",
            cell(c.testbed_ci.0, &c.row),
            cell(c.testbed_ci.1, &c.row)
        ),
        _ => v,
    }
}

/// The rows as a Markdown table.
pub fn table(rows: &[Comparison]) -> String {
    let mut t = String::from("| row | simulated | testbed (95% CI) | n (testbed) | ratio | tolerance | verdict |\n|---|---|---|---|---|---|---|\n");
    for c in rows {
        let ratio = if c.testbed.is_finite() && c.testbed != 0.0 && c.sim.is_finite() {
            format!("{:.2}", c.sim / c.testbed)
        } else {
            "-".into()
        };
        let verdict = match &c.reason {
            Some(r) if c.verdict == Verdict::ExpectedFail => format!("expected fail: {r}"),
            _ => c.verdict.label().to_string(),
        };
        let _ = writeln!(
            t,
            "| {} | {} | {} | {} | {ratio} | {} | {verdict} |",
            c.row,
            cell(c.sim, &c.row),
            testbed_cell(c),
            c.testbed_n,
            c.tolerance.describe()
        );
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_are_tight_and_quantiles_within_a_factor() {
        let j =
            |sim: f64, tb: f64, n: usize, sim_n: u64, tol| judge(sim, tb, (tb, tb), n, sim_n, tol);
        assert_eq!(j(102.0, 100.0, 500, 500, COUNT), Verdict::Pass);
        assert_eq!(j(106.0, 100.0, 500, 500, COUNT), Verdict::Fail);
        assert_eq!(j(12.0, 10.0, 500, 500, COUNT), Verdict::Pass); // within 2 starts
        assert_eq!(j(0.42, 0.0, 500, 500, fraction(500)), Verdict::Fail);
        assert_eq!(j(1.0, 0.995, 500, 500, fraction(500)), Verdict::Pass);
        // The fraction's floor is the count's: 2 of 100 requests.
        assert_eq!(j(0.279, 0.26, 100, 500, fraction(100)), Verdict::Pass);
        assert_eq!(j(0.29, 0.26, 100, 500, fraction(100)), Verdict::Fail);
        let p50 = QUANTILES[0].2;
        assert_eq!(j(19.9, 10.0, 50, 50, p50), Verdict::Pass);
        assert_eq!(j(20.1, 10.0, 50, 50, p50), Verdict::Fail);
        assert_eq!(j(4.9, 10.0, 50, 50, p50), Verdict::Fail);
        assert_eq!(j(15.0, 10.0, 5, 50, p50), Verdict::NotJudged);
        // The factor applies to the testbed's interval.
        assert_eq!(judge(35.0, 10.0, (8.0, 18.0), 50, 50, p50), Verdict::Pass);
        assert_eq!(judge(37.0, 10.0, (8.0, 18.0), 50, 50, p50), Verdict::Fail);
        assert_eq!(judge(3.9, 10.0, (8.0, 18.0), 50, 50, p50), Verdict::Fail);
        // The testbed serves a path the model never does, and the reverse.
        assert_eq!(j(f64::NAN, 900.0, 40, 0, p50), Verdict::Fail);
        assert_eq!(j(30.0, f64::NAN, 0, 40, p50), Verdict::Fail);
        assert_eq!(j(30.0, f64::NAN, 0, 3, p50), Verdict::NotJudged);
    }

    /// The interval's coverage: by simulation (uniform samples), against
    /// the exact coverage P(lo < B <= hi) summed with integer binomial
    /// coefficients; and at least 95% wherever the interval is not clamped
    /// to the sample.
    #[test]
    fn the_quantile_interval_covers_the_quantile() {
        use rand::{RngExt, SeedableRng};
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(7);
        for &(n, q) in &[
            (10usize, 0.5),
            (26, 0.9),
            (40, 0.9),
            (100, 0.9),
            (100, 0.99),
        ] {
            let (lo, hi) = quantile_ci_ranks(n, q);
            let choose = |k: usize| -> f64 {
                let mut c: u128 = 1;
                for i in 0..k {
                    c = c * (n - i) as u128 / (i + 1) as u128;
                }
                c as f64
            };
            let exact: f64 = (lo + 1..=hi)
                .map(|b| choose(b) * q.powi(b as i32) * (1.0 - q).powi((n - b) as i32))
                .sum();
            let clamped_at_max = hi == n - 1 && 1.0 - q.powi(n as i32) < 0.975;
            if !clamped_at_max {
                assert!(exact >= 0.95, "n {n}, q {q}: exact coverage {exact}");
            }
            let trials = 4000;
            let covered = (0..trials)
                .filter(|_| {
                    let s = sorted(&(0..n).map(|_| rng.random::<f64>()).collect::<Vec<_>>());
                    let (a, b) = quantile_ci(&s, q);
                    a <= q && q <= b
                })
                .count();
            let c = covered as f64 / trials as f64;
            let se = (exact * (1.0 - exact) / trials as f64).sqrt();
            assert!(
                (c - exact).abs() <= 4.0 * se + 1e-9,
                "n {n}, q {q}: {c} vs exact {exact} ± {se}"
            );
        }
    }

    #[test]
    fn every_row_compare_prints_has_a_name_expected_files_may_use() {
        let log = Log::parse(
            std::path::Path::new("l"),
            &format!(
                "{}\n{}\n0,0,t0,1,5,200,,local,1,1,,,,,,,\n{}\n",
                crate::testbed::log::MAGIC,
                crate::testbed::log::COLUMNS.join(","),
                crate::testbed::log::END_MARK
            ),
        )
        .unwrap();
        let rows = compare(&log, &RunMetrics::new(0, 1), 1);
        let names = row_names();
        assert_eq!(rows.len(), names.len());
        assert!(rows.iter().all(|r| names.contains(&r.row)));
    }
}
