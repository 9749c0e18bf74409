//! Zipf tenant popularity.

use rand_distr::{Distribution, Zipf};

use crate::engine::SimRng;

/// Picks tenants by Zipf-distributed rank: index 0 is the most popular.
#[derive(Debug, Clone)]
pub struct TenantPicker {
    zipf: Zipf<f64>,
    tenants: u32,
}

impl TenantPicker {
    /// A picker over `tenants` (>= 1) tenants with exponent `s` (>= 0).
    pub fn new(tenants: u32, s: f64) -> Self {
        let n = f64::from(tenants.max(1));
        // The loader guarantees s >= 0 and finite; 0.0 is the safe fallback.
        let zipf =
            Zipf::new(n, s).unwrap_or_else(|_| Zipf::new(n, 0.0).expect("n >= 1, s = 0 is valid"));
        Self {
            zipf,
            tenants: tenants.max(1),
        }
    }

    /// The number of tenants.
    pub fn tenants(&self) -> u32 {
        self.tenants
    }

    /// A tenant index in `0..tenants`.
    #[inline]
    pub fn pick(&self, rng: &mut SimRng) -> u32 {
        let rank = self.zipf.sample(rng) as u32;
        rank.clamp(1, self.tenants) - 1
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
}
