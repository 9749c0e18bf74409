//! `dofleet validate`: the testbed's load run beside the simulator replaying
//! the same schedule under the calibrated layer, row by row, each with a
//! ratio and a verdict against a stated tolerance.
//!
//! Tolerances (the issue's: counts tight, latency quantiles within a factor
//! band wide enough for a busy 2-core machine, still able to fail):
//! - DO starts: |sim - testbed| <= max(5% of testbed, 2 starts);
//! - cold-start and delegated fractions: |sim - testbed| <= max(5% of
//!   testbed, 0.01);
//! - p50 and p90: sim / testbed within [1/2, 2]; p99 within [1/3, 3].
//!   A quantile is judged only when the testbed has enough samples for it
//!   (p50: 10, p90: 20, p99: 100) and the simulator at least one; a path
//!   or request bucket that one side has and the other lacks fails.
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
    /// sim / tb within [1 / factor, factor], when tb has >= min_n samples.
    Factor { factor: f64, min_n: usize },
}

impl Tolerance {
    fn describe(self) -> String {
        match self {
            Tolerance::Count { relative, absolute } => {
                format!("±max({:.0}%, {absolute})", relative * 100.0)
            }
            Tolerance::Factor { factor, min_n } => format!("×{factor} (n≥{min_n})"),
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
    /// Samples behind the testbed value (requests for counts).
    pub testbed_n: usize,
    pub sim_n: u64,
    pub tolerance: Tolerance,
    pub verdict: Verdict,
    /// Why a failure was expected, when it was.
    pub reason: Option<String>,
}

/// Judges `sim` against `testbed` under `tolerance`.
pub fn judge(
    sim: f64,
    testbed: f64,
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
                    let r = sim / testbed;
                    if testbed > 0.0 && r >= 1.0 / factor && r <= factor {
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

const COUNT: Tolerance = Tolerance::Count {
    relative: 0.05,
    absolute: 2.0,
};
const FRACTION: Tolerance = Tolerance::Count {
    relative: 0.05,
    absolute: 0.01,
};
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
    let mut push = |row: String, sim_v: f64, tb: f64, tb_n: usize, sim_n: u64, tol: Tolerance| {
        out.push(Comparison {
            verdict: judge(sim_v, tb, tb_n, sim_n, tol),
            row,
            sim: sim_v,
            testbed: tb,
            testbed_n: tb_n,
            sim_n,
            tolerance: tol,
            reason: None,
        });
    };
    push(
        "DO starts".into(),
        sim.cold_starts as f64 / runs.max(1) as f64,
        starts as f64,
        n,
        sim.requests,
        COUNT,
    );
    push(
        "cold-start fraction".into(),
        sim.cold_start_fraction(),
        frac(starts),
        n,
        sim.requests,
        FRACTION,
    );
    push(
        "delegated fraction".into(),
        sim_frac(sim_delegated),
        frac(delegated),
        n,
        sim.requests,
        FRACTION,
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
            f64::NAN
        } else {
            quantile(s, q)
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

/// The rows as a Markdown table.
pub fn table(rows: &[Comparison]) -> String {
    let mut t = String::from("| row | simulated | testbed | n (testbed) | ratio | tolerance | verdict |\n|---|---|---|---|---|---|---|\n");
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
            cell(c.testbed, &c.row),
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
        assert_eq!(judge(102.0, 100.0, 500, 500, COUNT), Verdict::Pass);
        assert_eq!(judge(106.0, 100.0, 500, 500, COUNT), Verdict::Fail);
        assert_eq!(judge(12.0, 10.0, 500, 500, COUNT), Verdict::Pass); // within 2 starts
        assert_eq!(judge(0.42, 0.0, 500, 500, FRACTION), Verdict::Fail);
        assert_eq!(judge(1.0, 0.995, 500, 500, FRACTION), Verdict::Pass);
        let p50 = QUANTILES[0].2;
        assert_eq!(judge(19.9, 10.0, 50, 50, p50), Verdict::Pass);
        assert_eq!(judge(20.1, 10.0, 50, 50, p50), Verdict::Fail);
        assert_eq!(judge(4.9, 10.0, 50, 50, p50), Verdict::Fail);
        assert_eq!(judge(15.0, 10.0, 5, 50, p50), Verdict::NotJudged);
        // The testbed serves a path the model never does, and the reverse.
        assert_eq!(judge(f64::NAN, 900.0, 40, 0, p50), Verdict::Fail);
        assert_eq!(judge(30.0, f64::NAN, 0, 40, p50), Verdict::Fail);
        assert_eq!(judge(30.0, f64::NAN, 0, 3, p50), Verdict::NotJudged);
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
