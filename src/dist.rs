//! Timing distributions.
//!
//! Every duration in the model is a [`Dist`]: constant, uniform, exponential,
//! lognormal (given by two quantiles, as latency is usually quoted), normal
//! truncated at zero, or empirical (resampled from observed values). Samples
//! are whole nanoseconds, never negative.
//!
//! Invariants, checked by [`Dist`]'s constructors (the config loader uses
//! them, so an invalid distribution never reaches a simulation):
//! parameters are finite, `min <= max`, spreads are positive where they must
//! be, and an empirical sample set is not empty. [`Dist::check_bounded`]
//! (also run by the loader) keeps the one-in-a-billion quantile within
//! [`MAX_DURATION`], and every sample is clamped at it, so no draw can make
//! time arithmetic wrap (a valid distribution is clamped with probability
//! below 1e-9 per draw; `crate::time` says why the bound suffices).

use std::sync::Arc;

use rand::RngExt;
use rand_distr::{Distribution, StandardNormal};
use statrs::distribution::{ContinuousCDF, Normal};

use crate::engine::SimRng;
use crate::time::{format_duration, Nanos, MAX_DURATION, MAX_DURATION_TEXT};

/// A distribution of durations, sampled in nanoseconds.
#[derive(Debug, Clone, PartialEq)]
pub enum Dist {
    /// Always the same value.
    Constant(Nanos),
    /// Uniform on `[min, max]`.
    Uniform { min: Nanos, max: Nanos },
    /// Exponential with the given mean.
    Exponential { mean: Nanos },
    /// `exp(N(mu, sigma^2))` nanoseconds.
    LogNormal { mu: f64, sigma: f64 },
    /// Normal with the given mean and standard deviation, truncated at zero
    /// (negative draws are redrawn).
    TruncatedNormal { mean: f64, sd: f64 },
    /// Uniformly resampled from the given observations.
    Empirical(Arc<[Nanos]>),
}

/// Why a distribution's parameters were refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{0}")]
pub struct DistError(pub String);

/// `rng.random_range(min..=max)`, inlined into the simulator's loop (rand's
/// is a call): rand 0.10's method for one sample of a `u64` range, a
/// widening multiply with a second draw when the first lands in the biased
/// zone, so that draws are the same, draw for draw (tested). `min <= max`
/// (a `Dist::Uniform` is built so); were it not, the result would be some
/// number, not a panic.
#[inline(always)]
fn uniform_inclusive(rng: &mut SimRng, min: u64, max: u64) -> u64 {
    let range = max.wrapping_sub(min).wrapping_add(1);
    if range == 0 {
        // The whole of u64.
        return rng.random::<u64>();
    }
    let wide = u128::from(rng.random::<u64>()) * u128::from(range);
    let (mut result, lo) = ((wide >> 64) as u64, wide as u64);
    if lo > range.wrapping_neg() {
        let hi = ((u128::from(rng.random::<u64>()) * u128::from(range)) >> 64) as u64;
        result += u64::from(lo.checked_add(hi).is_none());
    }
    min.wrapping_add(result)
}

impl Dist {
    /// A uniform distribution; `min` must not exceed `max`.
    pub fn uniform(min: Nanos, max: Nanos) -> Result<Dist, DistError> {
        if min > max {
            return Err(DistError(format!(
                "uniform needs min <= max, found min = {} and max = {}",
                format_duration(min),
                format_duration(max)
            )));
        }
        Ok(if min == max {
            Dist::Constant(min)
        } else {
            Dist::Uniform { min, max }
        })
    }

    /// A lognormal distribution through two quantiles: `(p1, x1)` and
    /// `(p2, x2)` with `0 < p1 < p2 < 1` and `0 < x1 < x2`.
    pub fn lognormal_from_quantiles(
        p1: f64,
        x1: Nanos,
        p2: f64,
        x2: Nanos,
    ) -> Result<Dist, DistError> {
        if !(0.0 < p1 && p1 < p2 && p2 < 1.0) {
            return Err(DistError(format!(
                "lognormal quantiles need 0 < p1 < p2 < 1, found {p1} and {p2}"
            )));
        }
        if !(0 < x1 && x1 < x2) {
            return Err(DistError(format!(
                "lognormal quantile values must be positive and increase with the quantile, found {} and {}",
                format_duration(x1),
                format_duration(x2)
            )));
        }
        let z1 = standard_normal_quantile(p1);
        let z2 = standard_normal_quantile(p2);
        let (l1, l2) = ((x1 as f64).ln(), (x2 as f64).ln());
        let sigma = (l2 - l1) / (z2 - z1);
        let mu = l1 - sigma * z1;
        Ok(Dist::LogNormal { mu, sigma })
    }

    /// A normal distribution truncated at zero. Refused when less than 1% of
    /// its mass is positive (it would then be a different distribution).
    pub fn truncated_normal(mean: Nanos, sd: Nanos) -> Result<Dist, DistError> {
        if sd == 0 {
            return Ok(Dist::Constant(mean));
        }
        Ok(Dist::TruncatedNormal {
            mean: mean as f64,
            sd: sd as f64,
        })
    }

    /// An empirical distribution over the given observations.
    pub fn empirical(samples: Vec<Nanos>) -> Result<Dist, DistError> {
        if samples.is_empty() {
            return Err(DistError(
                "an empirical distribution needs at least one sample".into(),
            ));
        }
        Ok(Dist::Empirical(samples.into()))
    }

    /// Draws one duration. The kinds of the default model (constant,
    /// uniform) are inlined into the simulator's loop; the others are a
    /// call.
    #[inline(always)]
    pub fn sample(&self, rng: &mut SimRng) -> Nanos {
        match *self {
            Dist::Constant(v) => v,
            Dist::Uniform { min, max } => uniform_inclusive(rng, min, max),
            _ => self.sample_other(rng),
        }
    }

    /// [`Self::sample`] for the kinds other than constant and uniform.
    #[inline(never)]
    fn sample_other(&self, rng: &mut SimRng) -> Nanos {
        match *self {
            Dist::Constant(v) => v,
            Dist::Uniform { min, max } => uniform_inclusive(rng, min, max),
            Dist::Exponential { mean } => {
                // 1 - u lies in (0, 1], so the logarithm is finite.
                let u: f64 = rng.random();
                round_ns(-(mean as f64) * (1.0 - u).ln()).min(MAX_DURATION)
            }
            Dist::LogNormal { mu, sigma } => {
                let z: f64 = StandardNormal.sample(rng);
                round_ns((mu + sigma * z).exp()).min(MAX_DURATION)
            }
            Dist::TruncatedNormal { mean, sd } => loop {
                let z: f64 = StandardNormal.sample(rng);
                let x = mean + sd * z;
                if x >= 0.0 {
                    break round_ns(x).min(MAX_DURATION);
                }
            },
            Dist::Empirical(ref samples) => samples[rng.random_range(0..samples.len())],
        }
    }

    /// The probability above which a distribution's values must stay within
    /// [`MAX_DURATION`]: its quantile at `1 - TAIL` is checked.
    pub const TAIL: f64 = 1e-9;

    /// Refuses a distribution whose `1 - TAIL` quantile exceeds
    /// [`MAX_DURATION`] (a lognormal with `mu = 50`, an exponential with a
    /// mean of 100 days): its draws would be clamped often, or, unclamped,
    /// make time wrap.
    pub fn check_bounded(&self) -> Result<(), DistError> {
        let high = self.quantile(1.0 - Self::TAIL);
        if high <= MAX_DURATION as f64 {
            return Ok(());
        }
        let shown = if high < 1e6 * MAX_DURATION as f64 {
            format!("{:.0} days", high / 86_400e9)
        } else {
            format!("{high:.3e} ns")
        };
        Err(DistError(format!(
            "its one-in-a-billion quantile is {shown}, beyond the {MAX_DURATION_TEXT} a duration \
             may take (time is u64 nanoseconds, about 584 years, and a run sums durations): \
             choose parameters whose values stay below {MAX_DURATION_TEXT}"
        )))
    }

    /// The distribution's mean, in nanoseconds.
    pub fn mean(&self) -> f64 {
        match self {
            Dist::Constant(v) => *v as f64,
            Dist::Uniform { min, max } => (*min as f64 + *max as f64) / 2.0,
            Dist::Exponential { mean } => *mean as f64,
            Dist::LogNormal { mu, sigma } => (mu + sigma * sigma / 2.0).exp(),
            Dist::TruncatedNormal { mean, sd } => {
                // Mean of a normal truncated below at zero.
                let a = -mean / sd;
                let n = Normal::standard();
                let pdf = (-a * a / 2.0).exp() / (2.0 * std::f64::consts::PI).sqrt();
                mean + sd * pdf / (1.0 - n.cdf(a))
            }
            Dist::Empirical(s) => s.iter().map(|&v| v as f64).sum::<f64>() / s.len() as f64,
        }
    }

    /// The mean remaining time of a duration drawn from this distribution
    /// that has already lasted `elapsed`: `E[X - e | X > e]` (0 when no
    /// value exceeds `e`). What a component can predict from the time spent
    /// and the distribution alone.
    pub fn mean_residual(&self, elapsed: Nanos) -> f64 {
        let e = elapsed as f64;
        let n = Normal::standard();
        match self {
            Dist::Constant(v) => (*v as f64 - e).max(0.0),
            Dist::Uniform { min, max } => {
                let (lo, hi) = (*min as f64, *max as f64);
                if e < lo {
                    (lo + hi) / 2.0 - e
                } else if e < hi {
                    (hi - e) / 2.0
                } else {
                    0.0
                }
            }
            // Memoryless.
            Dist::Exponential { mean } => *mean as f64,
            Dist::LogNormal { mu, sigma } => {
                if e <= 0.0 {
                    return self.mean();
                }
                // E[X | X > e] = e^{mu + s^2/2} Phi((mu + s^2 - ln e)/s) / (1 - Phi((ln e - mu)/s)).
                let tail = 1.0 - n.cdf((e.ln() - mu) / sigma);
                if tail <= 0.0 {
                    return 0.0;
                }
                let partial =
                    (mu + sigma * sigma / 2.0).exp() * n.cdf((mu + sigma * sigma - e.ln()) / sigma);
                (partial / tail - e).max(0.0)
            }
            Dist::TruncatedNormal { mean, sd } => {
                // Truncated at max(0, e): E[X | X > a] = mean + sd * phi(z) / (1 - Phi(z)).
                let z = (e.max(0.0) - mean) / sd;
                let tail = 1.0 - n.cdf(z);
                if tail <= 0.0 {
                    return 0.0;
                }
                let pdf = (-z * z / 2.0).exp() / (2.0 * std::f64::consts::PI).sqrt();
                (mean + sd * pdf / tail - e).max(0.0)
            }
            Dist::Empirical(samples) => {
                let (sum, count) = samples
                    .iter()
                    .filter(|&&v| v as f64 > e)
                    .fold((0.0, 0usize), |(s, c), &v| (s + v as f64 - e, c + 1));
                if count == 0 {
                    0.0
                } else {
                    sum / count as f64
                }
            }
        }
    }

    /// The `p`-quantile, `F^-1(p)` for `0 <= p <= 1`, in nanoseconds (an
    /// empirical distribution's order statistic, no interpolation).
    pub fn quantile(&self, p: f64) -> f64 {
        let p = p.clamp(0.0, 1.0);
        let n = Normal::standard();
        match self {
            Dist::Constant(v) => *v as f64,
            Dist::Uniform { min, max } => *min as f64 + p * (*max as f64 - *min as f64),
            Dist::Exponential { mean } => -(*mean as f64) * (1.0 - p).max(f64::MIN_POSITIVE).ln(),
            Dist::LogNormal { mu, sigma } => {
                (mu + sigma * n.inverse_cdf(p.clamp(1e-12, 1.0 - 1e-12))).exp()
            }
            Dist::TruncatedNormal { mean, sd } => {
                // Conditional on X >= 0: F^-1 of Phi(-mean/sd) + p (1 - Phi(-mean/sd)).
                let below = n.cdf(-mean / sd);
                let q = (below + p * (1.0 - below)).clamp(1e-12, 1.0 - 1e-12);
                (mean + sd * n.inverse_cdf(q)).max(0.0)
            }
            Dist::Empirical(samples) => {
                let mut sorted = samples.to_vec();
                sorted.sort_unstable();
                let i = ((p * sorted.len() as f64) as usize).min(sorted.len() - 1);
                sorted[i] as f64
            }
        }
    }

    /// The smallest and largest values the distribution can produce
    /// (`None` for an unbounded upper end).
    pub fn support(&self) -> (Nanos, Option<Nanos>) {
        match self {
            Dist::Constant(v) => (*v, Some(*v)),
            Dist::Uniform { min, max } => (*min, Some(*max)),
            Dist::Exponential { .. } | Dist::LogNormal { .. } | Dist::TruncatedNormal { .. } => {
                (0, None)
            }
            Dist::Empirical(s) => (
                s.iter().copied().min().unwrap_or(0),
                s.iter().copied().max(),
            ),
        }
    }

    /// Whether every sample is zero (a phase switched off).
    pub fn is_zero(&self) -> bool {
        matches!(self, Dist::Constant(0))
    }
}

/// The standard normal quantile function.
pub fn standard_normal_quantile(p: f64) -> f64 {
    Normal::standard().inverse_cdf(p)
}

/// `x` rounded to the nearest nanosecond, half away from zero.
#[inline]
pub(crate) fn round_ns(x: f64) -> Nanos {
    // `round` (half away from zero) is a function call on baseline x86-64;
    // for 0 <= x < 2^63 truncate and compare the fraction, which is exact
    // (x - trunc(x) is representable). Elsewhere: saturating conversion of
    // `round` (NaN -> 0, huge -> u64::MAX, negative -> 0).
    // Through i64, whose conversions are single instructions on x86-64
    // (u64's are sequences); the same values on this range.
    const TWO_POW_63: f64 = (1u64 << 63) as f64;
    if (0.0..TWO_POW_63).contains(&x) {
        let whole = x as i64;
        (whole + i64::from(x - whole as f64 >= 0.5)) as Nanos
    } else {
        x.round() as Nanos
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::stream;

    proptest::proptest! {
        /// The inlined uniform draws what rand's `random_range` draws, and
        /// leaves the stream where rand leaves it, for any range: narrow,
        /// wide (where the second draw is frequent) and the whole of u64.
        #[test]
        fn inlined_uniform_draws_what_rand_draws(
            seed in 0u64..1_000_000,
            min in proptest::prelude::any::<u64>(),
            width in proptest::prop_oneof![0u64..1_000, 0u64..u64::MAX, (u64::MAX - 1_000)..=u64::MAX],
        ) {
            let max = min.saturating_add(width);
            let (mut ours, mut theirs) = (stream(seed, &[]), stream(seed, &[]));
            for _ in 0..64 {
                proptest::prop_assert_eq!(
                    uniform_inclusive(&mut ours, min, max),
                    theirs.random_range(min..=max)
                );
            }
            proptest::prop_assert_eq!(ours.random::<u64>(), theirs.random::<u64>());
        }
    }

    #[test]
    fn inlined_uniform_covers_the_whole_of_u64() {
        let (mut ours, mut theirs) = (stream(3, &[]), stream(3, &[]));
        for _ in 0..100 {
            assert_eq!(
                uniform_inclusive(&mut ours, 0, u64::MAX),
                theirs.random_range(0..=u64::MAX)
            );
        }
    }

    #[test]
    fn round_ns_is_round() {
        let mut rng = stream(9, &[]);
        let special = [
            0.0,
            0.5,
            1.5,
            2.5,
            0.499_999_999_999_999_94,
            4_503_599_627_370_495.5,
            4_503_599_627_370_497.0,
            (1u64 << 63) as f64,
            ((1u64 << 63) - 1024) as f64,
            9.3e18,
            -0.4,
            -3.0,
            f64::NAN,
            f64::INFINITY,
        ];
        for x in special {
            assert_eq!(round_ns(x), x.round() as Nanos, "x = {x}");
        }
        for _ in 0..1_000_000 {
            let x = (rng.random::<f64>() * 50.0).exp();
            assert_eq!(round_ns(x), x.round() as Nanos, "x = {x}");
            let y = f64::from(rng.random_range(0..1_000_000u32)) + 0.5;
            assert_eq!(round_ns(y), y.round() as Nanos, "y = {y}");
        }
    }
    use crate::time::MILLISECOND;

    fn sample_mean(d: &Dist, n: usize) -> (f64, f64) {
        let mut rng = stream(7, &[1, 2, 3]);
        let xs: Vec<f64> = (0..n).map(|_| d.sample(&mut rng) as f64).collect();
        let m = xs.iter().sum::<f64>() / n as f64;
        let v = xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n as f64 - 1.0);
        (m, (v / n as f64).sqrt())
    }

    /// One distribution of every kind.
    fn one_of_each() -> Vec<Dist> {
        vec![
            Dist::uniform(5 * MILLISECOND, 20 * MILLISECOND).unwrap(),
            Dist::Exponential {
                mean: 10 * MILLISECOND,
            },
            Dist::lognormal_from_quantiles(0.5, 10 * MILLISECOND, 0.99, 80 * MILLISECOND).unwrap(),
            Dist::truncated_normal(5 * MILLISECOND, 10 * MILLISECOND).unwrap(),
            Dist::empirical(vec![MILLISECOND, 2 * MILLISECOND, 9 * MILLISECOND]).unwrap(),
            Dist::Constant(7 * MILLISECOND),
        ]
    }

    #[test]
    fn sample_means_match_closed_forms() {
        for d in &one_of_each() {
            let (m, se) = sample_mean(d, 200_000);
            assert!(
                (m - d.mean()).abs() <= 4.0 * se,
                "{d:?}: sample mean {m}, closed form {}, se {se}",
                d.mean()
            );
        }
    }

    /// Mean residual life against a direct estimate: the mean of `X - e`
    /// over samples with `X > e`, within 4 standard errors.
    #[test]
    fn mean_residual_matches_sampling() {
        let mut rng = stream(9, &[]);
        for d in &one_of_each() {
            for e in [0, 3 * MILLISECOND, 12 * MILLISECOND] {
                let rest: Vec<f64> = (0..200_000)
                    .map(|_| d.sample(&mut rng))
                    .filter(|&x| x > e)
                    .map(|x| (x - e) as f64)
                    .collect();
                let want = d.mean_residual(e);
                if rest.len() < 100 {
                    assert!(want < 2.0 * MILLISECOND as f64, "{d:?} at {e}: {want}");
                    continue;
                }
                let n = rest.len() as f64;
                let m = rest.iter().sum::<f64>() / n;
                let sd = (rest.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
                // Rounding samples to whole nanoseconds adds at most 0.5 ns.
                assert!(
                    (m - want).abs() < 4.0 * sd / n.sqrt() + 1.0,
                    "{d:?} at {e}: sampled {m}, formula {want}"
                );
            }
        }
    }

    #[test]
    fn lognormal_hits_its_quantiles() {
        let d =
            Dist::lognormal_from_quantiles(0.5, 10 * MILLISECOND, 0.99, 80 * MILLISECOND).unwrap();
        let mut rng = stream(1, &[]);
        let n = 100_000;
        let below_median = (0..n)
            .filter(|_| d.sample(&mut rng) <= 10 * MILLISECOND)
            .count() as f64
            / n as f64;
        let below_p99 = (0..n)
            .filter(|_| d.sample(&mut rng) <= 80 * MILLISECOND)
            .count() as f64
            / n as f64;
        // Binomial standard errors: sqrt(p(1-p)/n).
        assert!((below_median - 0.5).abs() < 4.0 * (0.25 / n as f64).sqrt());
        assert!((below_p99 - 0.99).abs() < 4.0 * (0.0099 / n as f64).sqrt());
    }

    #[test]
    fn samples_stay_in_support() {
        let d = Dist::uniform(3, 9).unwrap();
        let mut rng = stream(3, &[]);
        assert!((0..10_000)
            .map(|_| d.sample(&mut rng))
            .all(|x| (3..=9).contains(&x)));
        let t = Dist::truncated_normal(0, 10).unwrap();
        assert!((0..10_000).all(|_| t.sample(&mut rng) < 200));
    }

    #[test]
    fn samples_never_exceed_the_longest_duration() {
        let mut rng = stream(5, &[]);
        let huge = [
            Dist::LogNormal {
                mu: 50.0,
                sigma: 1.0,
            },
            Dist::Exponential { mean: u64::MAX },
            Dist::truncated_normal(u64::MAX / 2, u64::MAX / 4).unwrap(),
        ];
        for d in &huge {
            assert!(d.check_bounded().is_err(), "{d:?}");
            for _ in 0..1_000 {
                assert!(d.sample(&mut rng) <= MAX_DURATION, "{d:?}");
            }
        }
        for d in &one_of_each() {
            assert!(d.check_bounded().is_ok(), "{d:?}");
        }
        // At the edge: an exponential's 1 - 1e-9 quantile is 20.72 means.
        let day = 86_400 * crate::time::SECOND;
        assert!(Dist::Exponential { mean: 48 * day }.check_bounded().is_ok());
        assert!(Dist::Exponential { mean: 49 * day }
            .check_bounded()
            .is_err());
    }

    #[test]
    fn refuses_invalid_parameters() {
        assert!(Dist::uniform(2, 1).is_err());
        assert!(Dist::lognormal_from_quantiles(0.99, 1, 0.5, 2).is_err());
        assert!(Dist::lognormal_from_quantiles(0.5, 5, 0.99, 5).is_err());
        assert!(Dist::empirical(vec![]).is_err());
    }
}
