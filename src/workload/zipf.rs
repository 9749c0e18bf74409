//! Zipf tenant popularity.
//!
//! The sampler is rand_distr's `Zipf` (0.6), restated so that its hot path
//! can be cheaper with the same draws: for each candidate it takes two
//! uniforms, `inv_b = inv_cdf(u)`, `x = floor(inv_b + 1)`, and accepts `x`
//! when `y < x^-s * inv_b^s` (the second factor only for `x > 1`). The
//! restatement consumes the same uniforms and does the same arithmetic, so
//! it returns the same ranks; a test checks it draw for draw against
//! rand_distr.
//!
//! Three shortcuts, all exact:
//! - `x^-s` for the smallest ranks (`x <= 65536`, most draws) comes from a
//!   table filled by the same `powf` calls;
//! - for `s = 1` (the default), `inv_b^1` is `inv_b`: pow's error is below
//!   one ulp, so a result that is representable comes back exactly (checked
//!   on 10^8 values by an ignored test, 10^6 by a regular one). `x^-1` is
//!   not replaced by `1 / x`: libm's pow is not correctly rounded, and the
//!   two differ (for `x = 1923`, say);
//! - for `s = 1`, the product `pow(x, -1) * inv_b` is within 2^-51
//!   (relative) of `inv_b / x`, so a `y` farther than 2^-48 from the
//!   division is accepted or rejected on it alone; only a `y` inside that
//!   band (about one draw in 10^14) computes the product. That takes `pow`
//!   and the table's cache misses off the default path.

use rand::RngExt;

use crate::engine::SimRng;

/// Picks tenants by Zipf-distributed rank: index 0 is the most popular.
#[derive(Debug, Clone)]
pub struct TenantPicker {
    tenants: u32,
    /// The exponent.
    s: f64,
    /// `1 / (1 - s)` (unused for `s = 1`).
    q: f64,
    /// The integral of the hat function over `[0, n]`, normalised.
    t: f64,
    /// `powers[x] = x^-s` for `x` in `1..powers.len()` (entry 0 unused).
    powers: Vec<f64>,
}

/// Ranks whose power is tabulated: 512 KiB, most draws (Zipf!).
const TABULATED: u32 = 1 << 16;

/// Half-width of the band, relative, around `inv_b / x` where the `s = 1`
/// acceptance test needs the exact product: 2^-48, eight times the bound
/// 2^-51 on the distance between the two (pow's error below one ulp, 2^-52,
/// plus one rounding of the product and one of the division, 2^-53 each).
const MARGIN: f64 = 1.0 / (1u64 << 48) as f64;

impl TenantPicker {
    /// A picker over `tenants` (>= 1) tenants with exponent `s` (>= 0).
    pub fn new(tenants: u32, s: f64) -> Self {
        let n = f64::from(tenants.max(1));
        // The loader guarantees s >= 0 and finite; 0.0 is the safe fallback.
        let s = if s >= 0.0 && s.is_finite() { s } else { 0.0 };
        // As rand_distr's Zipf::new.
        let q = if s != 1.0 { 1.0 / (1.0 - s) } else { 0.0 };
        let t = if s != 1.0 {
            (n.powf(1.0 - s) - s) * q
        } else {
            1.0 + n.ln()
        };
        // x <= floor(inv_b + 1) <= n + 1.
        // For s = 1 the division decides almost every draw (see MARGIN):
        // no table to build or to miss in cache.
        let top = if s == 1.0 {
            1
        } else {
            tenants.max(1).saturating_add(1).min(TABULATED)
        };
        let powers = (0..=top).map(|x| f64::from(x).powf(-s)).collect();
        Self {
            tenants: tenants.max(1),
            s,
            q,
            t,
            powers,
        }
    }

    /// The number of tenants.
    pub fn tenants(&self) -> u32 {
        self.tenants
    }

    /// A tenant index in `0..tenants`.
    #[inline]
    pub fn pick(&self, rng: &mut SimRng) -> u32 {
        let rank = self.sample_rank(rng) as u32;
        rank.clamp(1, self.tenants) - 1
    }

    /// The inverse of the hat function's distribution.
    #[inline]
    fn inv_cdf(&self, p: f64) -> f64 {
        let pt = p * self.t;
        if pt <= 1.0 {
            pt
        } else if self.s != 1.0 {
            (pt * (1.0 - self.s) + self.s).powf(self.q)
        } else {
            (pt - 1.0).exp()
        }
    }

    /// A rank in `1..=tenants` (as a float), by rejection from the hat.
    #[inline]
    fn sample_rank(&self, rng: &mut SimRng) -> f64 {
        self.sample_rank_with(rng, MARGIN)
    }

    /// [`Self::sample_rank`] with the band's half-width as a parameter:
    /// tests widen it to send draws through the exact product.
    #[inline(always)]
    fn sample_rank_with(&self, rng: &mut SimRng, band: f64) -> f64 {
        let unit = self.s == 1.0;
        loop {
            let inv_b = self.inv_cdf(rng.random::<f64>());
            // floor(inv_b + 1) by truncation, exact for positive values
            // below 2^63 (inv_b + 1 is in [1, n + 1]); `floor` is a
            // function call on baseline x86-64, and i64's conversions are
            // single instructions where u64's are sequences.
            let x = ((inv_b + 1.0) as i64) as f64;
            let y: f64 = rng.random();
            if unit {
                // The exact test is `y < fl(pow(x, -1) * inv_b)`, within
                // 2^-51 (relative) of `inv_b / x`; a `y` outside a band of
                // 2^-48 around the division decides it without `pow` or the
                // table (a cache miss for the ranks past a thousand).
                if x <= 1.0 {
                    return x; // ratio = 1^-1 = 1 > y
                }
                let r = inv_b / x;
                let margin = r * band;
                if y < r - margin {
                    return x;
                }
                if y >= r + margin {
                    continue;
                }
            }
            // x >= 1 is a whole number: a table index when small enough.
            let mut ratio = match self.powers.get(x as usize) {
                Some(&p) => p,
                None => x.powf(-self.s),
            };
            if x > 1.0 {
                ratio *= if unit { inv_b } else { inv_b.powf(self.s) };
            }
            if y < ratio {
                return x;
            }
        }
    }
}

/// The generalized harmonic number `H(n, s) = sum_{k=1}^{n} k^-s`.
pub fn generalized_harmonic(n: u64, s: f64) -> f64 {
    // Summed from the smallest terms up for accuracy.
    (1..=n).rev().map(|k| (k as f64).powf(-s)).sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::stream;
    use rand::RngExt;
    // Keeps the compiler from folding `pow(x, -1)` into `1 / x` itself.
    use std::hint::black_box;

    /// Pearson's chi-square test of the sampler against the exact Zipf
    /// probabilities; 99.9% critical value for the degrees of freedom used.
    #[test]
    fn frequencies_match_the_zipf_law() {
        for &(n, s) in &[(10u32, 1.0), (50, 0.6), (20, 0.0), (30, 1.2)] {
            let picker = TenantPicker::new(n, s);
            let mut rng = stream(11, &[u64::from(n)]);
            let draws = 200_000;
            let mut counts = vec![0u64; n as usize];
            for _ in 0..draws {
                counts[picker.pick(&mut rng) as usize] += 1;
            }
            let h = generalized_harmonic(u64::from(n), s);
            let chi2: f64 = counts
                .iter()
                .enumerate()
                .map(|(i, &c)| {
                    let e = draws as f64 * ((i + 1) as f64).powf(-s) / h;
                    (c as f64 - e).powi(2) / e
                })
                .sum();
            // Chi-square 0.999 quantile for n - 1 degrees of freedom (Wilson-Hilferty).
            let k = f64::from(n - 1);
            let z = 3.090_232;
            let crit = k * (1.0 - 2.0 / (9.0 * k) + z * (2.0 / (9.0 * k)).sqrt()).powi(3);
            assert!(chi2 < crit, "n={n} s={s}: chi2 {chi2} >= {crit}");
        }
    }

    /// The restated sampler draws exactly what rand_distr's Zipf draws.
    #[test]
    fn same_ranks_as_rand_distr() {
        use rand_distr::{Distribution, Zipf};
        for &(n, s) in &[
            (1u32, 1.0),
            (10, 1.0),
            (1_000_000, 1.0),
            (100_000_000, 1.0),
            (1_000, 0.0),
            (1_000, 0.6),
            (1_000_000, 0.99),
            (10_000, 1.2),
            (50, 2.5),
        ] {
            let picker = TenantPicker::new(n, s);
            let zipf = Zipf::new(f64::from(n), s).expect("valid");
            let (mut a, mut b) = (stream(3, &[u64::from(n)]), stream(3, &[u64::from(n)]));
            for i in 0..200_000 {
                let want = zipf.sample(&mut b);
                assert_eq!(picker.sample_rank(&mut a), want, "n={n} s={s} draw {i}");
            }
        }
    }

    /// With the band widened, the `s = 1` draws that the division decides
    /// and those that take the exact product (about half of them here)
    /// still give rand_distr's ranks.
    #[test]
    fn same_ranks_through_the_exact_product() {
        use rand_distr::{Distribution, Zipf};
        for &n in &[10u32, 1_000_000] {
            let picker = TenantPicker::new(n, 1.0);
            let zipf = Zipf::new(f64::from(n), 1.0).expect("valid");
            for band in [1e-3, 0.05, 2.0] {
                let (mut a, mut b) = (stream(4, &[u64::from(n)]), stream(4, &[u64::from(n)]));
                for i in 0..100_000 {
                    let want = zipf.sample(&mut b);
                    assert_eq!(
                        picker.sample_rank_with(&mut a, band),
                        want,
                        "n={n} draw {i}"
                    );
                }
            }
        }
    }

    /// libm's `pow(v, 1)` is `v`: here on 10^6 values; on 10^8 in
    /// [`pow_one_is_identity_on_many`].
    #[test]
    fn pow_one_is_identity() {
        pow_one_on(1_000_000);
    }

    /// `cargo test --release -- --ignored pow_one` (a few seconds).
    #[test]
    #[ignore]
    fn pow_one_is_identity_on_many() {
        pow_one_on(100_000_000);
    }

    fn pow_one_on(values: u64) {
        let mut rng = stream(5, &[]);
        for i in 0..values {
            // inv_b's range: (0, n]; also whole numbers and wide magnitudes.
            let v: f64 = match i % 3 {
                0 => rng.random::<f64>() * 1e8,
                1 => (rng.random::<f64>() * 18.5).exp(),
                _ => f64::from(rng.random_range(1..=100_000_001u32)) * rng.random::<f64>(),
            };
            assert_eq!(v.powf(black_box(1.0)), v, "v = {v}");
        }
    }
}
