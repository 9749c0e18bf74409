//! Verdicts of results against objectives: meets, fails, or undecided at a
//! stated one-sided confidence over the replications.
//!
//! For `metric <= x`, with the replications' mean `m`, standard deviation
//! `s` and `n >= 2` values, the one-sided Student-t bounds are
//! `m -/+ t(confidence, n - 1) s / sqrt(n)`. The objective is met when the
//! upper bound is at most `x`, failed when the lower bound is above `x`
//! (each a one-sided test at the confidence), and undecided in between
//! (mirrored for `>=`). One replication gives no confidence: its verdict is
//! undecided whatever the value, and says which side the value fell on.
//!
//! Invariants: a verdict is a pure function of (values, objective,
//! confidence); `Meets` and `Fails` are never both reachable for one set of
//! values (the lower bound never exceeds the upper).

use statrs::distribution::{ContinuousCDF, StudentsT};

use super::{Bound, Slo};
use crate::experiment::ExperimentResults;

/// What the replications say about one objective.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Met at the confidence asked.
    Meets,
    /// Failed at the confidence asked.
    Fails,
    /// Neither can be claimed (the interval straddles the threshold, or
    /// there is a single replication, or no value).
    Undecided,
}

impl Verdict {
    /// The word shown in tables and written in CSV and JSON.
    pub fn name(self) -> &'static str {
        match self {
            Verdict::Meets => "meets",
            Verdict::Fails => "fails",
            Verdict::Undecided => "undecided",
        }
    }

    /// The verdict of several objectives together: fails if any fails,
    /// meets if all meet, undecided otherwise.
    pub fn all(verdicts: impl IntoIterator<Item = Verdict>) -> Verdict {
        let mut all = Verdict::Meets;
        for v in verdicts {
            match v {
                Verdict::Fails => return Verdict::Fails,
                Verdict::Undecided => all = Verdict::Undecided,
                Verdict::Meets => {}
            }
        }
        all
    }
}

/// An objective checked on the replications' values.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Check {
    pub mean: f64,
    /// One-sided bounds at the confidence (the mean itself when `n < 2`).
    pub lower: f64,
    pub upper: f64,
    /// Finite values used.
    pub n: usize,
    pub verdict: Verdict,
    /// With a single value: whether that value is on the meeting side.
    pub value_meets: bool,
}

impl Check {
    /// The bound that must meet the threshold: upper for `<=`, lower for `>=`.
    pub fn deciding_bound(&self, bound: Bound) -> f64 {
        match bound {
            Bound::AtMost => self.upper,
            Bound::AtLeast => self.lower,
        }
    }
}

/// The one-sided Student-t half-width `t(confidence, n - 1) s / sqrt(n)` of
/// the mean of `xs` (NaN with fewer than two values), and the mean.
pub fn one_sided_half_width(xs: &[f64], confidence: f64) -> (f64, f64) {
    let n = xs.len();
    let mean = xs.iter().sum::<f64>() / n as f64;
    if n < 2 || !mean.is_finite() {
        return (mean, f64::NAN);
    }
    let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
    let t = StudentsT::new(0.0, 1.0, (n - 1) as f64)
        .map(|d| d.inverse_cdf(confidence))
        .unwrap_or(f64::NAN);
    (mean, t * (var / n as f64).sqrt())
}

/// Checks `slo` on `values` (one per replication; non-finite values are
/// left out) at one-sided `confidence`.
pub fn check(values: &[f64], slo: &Slo, confidence: f64) -> Check {
    let xs: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    let n = xs.len();
    if n == 0 {
        return Check {
            mean: f64::NAN,
            lower: f64::NAN,
            upper: f64::NAN,
            n,
            verdict: Verdict::Undecided,
            value_meets: false,
        };
    }
    let (mean, half) = one_sided_half_width(&xs, confidence);
    let value_meets = slo.holds(mean);
    if n < 2 {
        return Check {
            mean,
            lower: mean,
            upper: mean,
            n,
            verdict: Verdict::Undecided,
            value_meets,
        };
    }
    let (lower, upper) = (mean - half, mean + half);
    let (meets, fails) = match slo.bound {
        Bound::AtMost => (slo.holds(upper), !slo.holds(lower)),
        Bound::AtLeast => (slo.holds(lower), !slo.holds(upper)),
    };
    let verdict = if meets {
        Verdict::Meets
    } else if fails {
        Verdict::Fails
    } else {
        Verdict::Undecided
    };
    Check {
        mean,
        lower,
        upper,
        n,
        verdict,
        value_meets,
    }
}

/// The verdicts of one result row (a point and architecture).
#[derive(Debug, Clone)]
pub struct RowVerdict {
    /// Index into [`ExperimentResults::rows`].
    pub row: usize,
    /// One per objective, in order.
    pub checks: Vec<Check>,
    /// All objectives together ([`Verdict::all`]).
    pub verdict: Verdict,
}

/// A sweep point's answer to "which is the cheapest architecture that
/// meets every objective?".
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// `row` meets every objective, and no architecture of lower mean cost
    /// is undecided: the answer cannot change with more replications.
    Decided(usize),
    /// The answer is not known at the confidence asked: the rows of
    /// `cheaper` (in order of mean cost) are undecided and cost less than
    /// `meets`, the cheapest that meets (if any meets). More replications
    /// may decide.
    Undecided {
        meets: Option<usize>,
        cheaper: Vec<usize>,
    },
    /// Every architecture fails some objective at the confidence asked.
    NoneMeets,
}

impl Answer {
    /// The answer of one point from its rows' `(row, mean cost, verdict)`:
    /// the cheapest that meets, unless a cheaper one is undecided. A cost
    /// that is not a number orders last.
    pub fn of(candidates: &[(usize, f64, Verdict)]) -> Answer {
        let mut sorted = candidates.to_vec();
        sorted.sort_by(|a, b| {
            let key = |c: f64| if c.is_nan() { f64::INFINITY } else { c };
            key(a.1).total_cmp(&key(b.1)).then(a.0.cmp(&b.0))
        });
        let meets = sorted.iter().find(|c| c.2 == Verdict::Meets).map(|c| c.0);
        let cheaper: Vec<usize> = sorted
            .iter()
            .take_while(|c| Some(c.0) != meets)
            .filter(|c| c.2 == Verdict::Undecided)
            .map(|c| c.0)
            .collect();
        match (meets, cheaper.is_empty()) {
            (Some(row), true) => Answer::Decided(row),
            (None, true) => Answer::NoneMeets,
            (meets, false) => Answer::Undecided { meets, cheaper },
        }
    }
}

/// Every row judged against the objectives, and each point's answer: the
/// architecture with the lowest mean monthly cost among those that meet
/// every objective, when no cheaper one is undecided.
#[derive(Debug, Clone)]
pub struct Decision {
    pub slos: Vec<Slo>,
    pub confidence: f64,
    /// In the order of the results' rows.
    pub rows: Vec<RowVerdict>,
    /// Per sweep point (in order).
    pub answers: Vec<Answer>,
}

impl Decision {
    /// Judges every row of `results` (of an experiment with `points` sweep
    /// points).
    pub fn of(
        results: &ExperimentResults,
        points: usize,
        slos: &[Slo],
        confidence: f64,
    ) -> Decision {
        let rows: Vec<RowVerdict> = results
            .rows
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let checks: Vec<Check> = slos
                    .iter()
                    .map(|slo| {
                        let values: Vec<f64> =
                            r.runs.iter().map(|run| run.values[slo.index]).collect();
                        check(&values, slo, confidence)
                    })
                    .collect();
                RowVerdict {
                    row: i,
                    verdict: Verdict::all(checks.iter().map(|c| c.verdict)),
                    checks,
                }
            })
            .collect();
        let cost = |i: usize| {
            results.rows[i]
                .stat("cost_usd_month")
                .map_or(f64::NAN, |s| s.mean)
        };
        let answers = (0..points)
            .map(|p| {
                let here: Vec<(usize, f64, Verdict)> = rows
                    .iter()
                    .filter(|v| results.rows[v.row].point == p)
                    .map(|v| (v.row, cost(v.row), v.verdict))
                    .collect();
                Answer::of(&here)
            })
            .collect();
        Decision {
            slos: slos.to_vec(),
            confidence,
            rows,
            answers,
        }
    }

    /// Whether some point has no architecture that meets every objective
    /// (each fails at the confidence asked).
    pub fn any_point_unmet(&self) -> bool {
        self.answers.contains(&Answer::NoneMeets)
    }

    /// Whether some point's answer is undecided (more replications may
    /// decide it).
    pub fn any_point_undecided(&self) -> bool {
        self.answers
            .iter()
            .any(|a| matches!(a, Answer::Undecided { .. }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slo(text: &str) -> Slo {
        text.parse().unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn bounds_match_a_hand_computation() {
        // mean 2, sd 1, n 3: t(0.95, 2) = 2.919986, half = 2.919986/sqrt(3).
        let half = 2.919_986 / 3f64.sqrt();
        let c = check(&[1.0, 2.0, 3.0], &slo("mean<=10ms"), 0.95);
        assert!((c.upper - (2.0 + half)).abs() < 1e-5);
        assert!((c.lower - (2.0 - half)).abs() < 1e-5);
        assert_eq!(c.verdict, Verdict::Meets);
    }

    #[test]
    fn the_verdict_follows_where_the_threshold_falls() {
        // Bounds 2 -/+ 1.686: the threshold above, inside, below.
        let xs = [1.0, 2.0, 3.0];
        assert_eq!(
            check(&xs, &slo("mean<=3.7ms"), 0.95).verdict,
            Verdict::Meets
        );
        assert_eq!(
            check(&xs, &slo("mean<=2.5ms"), 0.95).verdict,
            Verdict::Undecided
        );
        assert_eq!(
            check(&xs, &slo("mean<=0.3ms"), 0.95).verdict,
            Verdict::Fails
        );
        // Mirrored for >=.
        assert_eq!(
            check(&xs, &slo("mean>=0.3ms"), 0.95).verdict,
            Verdict::Meets
        );
        assert_eq!(
            check(&xs, &slo("mean>=3.7ms"), 0.95).verdict,
            Verdict::Fails
        );
    }

    #[test]
    fn one_replication_is_never_decided() {
        let c = check(&[1.0], &slo("mean<=100ms"), 0.95);
        assert_eq!(c.verdict, Verdict::Undecided);
        assert!(c.value_meets);
        let c = check(&[f64::NAN], &slo("mean<=100ms"), 0.95);
        assert_eq!((c.verdict, c.n), (Verdict::Undecided, 0));
    }

    #[test]
    fn the_answer_is_the_cheapest_that_meets_unless_a_cheaper_one_is_undecided() {
        use Verdict::*;
        // Rows 0..: (row, cost, verdict).
        assert_eq!(
            Answer::of(&[(0, 30.0, Meets), (1, 10.0, Fails), (2, 20.0, Meets)]),
            Answer::Decided(2)
        );
        // An undecided architecture dearer than the answer changes nothing.
        assert_eq!(
            Answer::of(&[(0, 30.0, Undecided), (1, 20.0, Meets)]),
            Answer::Decided(1)
        );
        // A cheaper undecided one might be the answer.
        assert_eq!(
            Answer::of(&[
                (0, 30.0, Meets),
                (1, 10.0, Undecided),
                (2, 5.0, Undecided),
                (3, 1.0, Fails)
            ]),
            Answer::Undecided {
                meets: Some(0),
                cheaper: vec![2, 1]
            }
        );
        // None meets, one undecided: not "nothing met".
        assert_eq!(
            Answer::of(&[(0, 30.0, Fails), (1, 10.0, Undecided)]),
            Answer::Undecided {
                meets: None,
                cheaper: vec![1]
            }
        );
        assert_eq!(
            Answer::of(&[(0, 30.0, Fails), (1, f64::NAN, Fails)]),
            Answer::NoneMeets
        );
        assert_eq!(Answer::of(&[]), Answer::NoneMeets);
        // A cost that is not a number orders last, even if it meets.
        assert_eq!(
            Answer::of(&[(0, f64::NAN, Meets), (1, 50.0, Meets)]),
            Answer::Decided(1)
        );
    }

    #[test]
    fn all_fails_on_any_failure_and_meets_only_when_all_meet() {
        use Verdict::*;
        assert_eq!(Verdict::all([Meets, Meets]), Meets);
        assert_eq!(Verdict::all([Meets, Undecided]), Undecided);
        assert_eq!(Verdict::all([Undecided, Fails, Meets]), Fails);
    }

    /// With values drawn where the objective holds exactly at the mean's
    /// boundary (true mean = threshold), a 95% one-sided test claims
    /// `Meets` in about 5% of samples: the confidence is what it says.
    #[test]
    fn a_true_mean_at_the_threshold_meets_at_the_stated_rate() {
        use rand::SeedableRng;
        use rand_distr::{Distribution, Normal};
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(7);
        let normal = Normal::new(100.0, 10.0).unwrap_or_else(|e| panic!("{e}"));
        let objective = slo("mean<=100ms");
        let trials = 4000;
        let meets = (0..trials)
            .filter(|_| {
                let xs: Vec<f64> = (0..5).map(|_| normal.sample(&mut rng)).collect();
                check(&xs, &objective, 0.95).verdict == Verdict::Meets
            })
            .count();
        // Binomial(4000, 0.05): sd = sqrt(4000 * 0.05 * 0.95) = 13.8; 4.5 sd.
        let expected = 0.05 * trials as f64;
        assert!(
            (meets as f64 - expected).abs() < 4.5 * 13.8,
            "{meets} of {trials} claimed to meet"
        );
    }
}
