//! Order statistics of measured samples, and the distribution a config
//! line gets from them.
//!
//! Invariant: [`quantile`] is the linear interpolation between order
//! statistics (Hyndman and Fan's type 7, R's and numpy's default), so it is
//! exact at the sample points and monotone in `q`.

/// The `q`-quantile of `sorted` (ascending, non-empty), type 7.
pub fn quantile(sorted: &[f64], q: f64) -> f64 {
    debug_assert!(!sorted.is_empty());
    let h = (sorted.len() - 1) as f64 * q.clamp(0.0, 1.0);
    let lo = h.floor() as usize;
    let hi = h.ceil() as usize;
    sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
}

/// Sorted copy of the finite samples.
pub fn sorted(samples: &[f64]) -> Vec<f64> {
    let mut v: Vec<f64> = samples.iter().copied().filter(|x| x.is_finite()).collect();
    v.sort_by(f64::total_cmp);
    v
}

/// A duration in ms as a config string, to the microsecond.
pub fn ms_string(ms: f64) -> String {
    let us = (ms.max(0.0) * 1000.0).round() / 1000.0;
    format!("{us}ms")
}

/// The distribution a phase gets from its samples (ms, non-empty, sorted),
/// measured with resolution `resolution_ms`: a lognormal through the p50
/// and p90 when the median is well above the resolution and the p90 above
/// it; a uniform over p10..p90 when the samples are at the resolution's
/// scale (a lognormal cannot pass through 0); a constant when they do not
/// spread.
pub fn fit(sorted: &[f64], resolution_ms: f64) -> String {
    let (p10, p50, p90) = (
        quantile(sorted, 0.10),
        quantile(sorted, 0.50),
        quantile(sorted, 0.90),
    );
    if p50 >= 2.0 * resolution_ms && p90 > p50 * 1.001 {
        format!(
            "{{ dist = \"lognormal\", p50 = \"{}\", p90 = \"{}\" }}",
            ms_string(p50),
            ms_string(p90)
        )
    } else if p90 > p10 {
        format!(
            "{{ dist = \"uniform\", min = \"{}\", max = \"{}\" }}",
            ms_string(p10),
            ms_string(p90)
        )
    } else {
        format!("\"{}\"", ms_string(p50))
    }
}

/// "n = 20, p10 / p50 / p90 / max = 1 / 2 / 3 / 4 ms".
pub fn describe(sorted: &[f64]) -> String {
    format!(
        "n = {}, p10 / p50 / p90 / max = {:.2} / {:.2} / {:.2} / {:.2} ms",
        sorted.len(),
        quantile(sorted, 0.10),
        quantile(sorted, 0.50),
        quantile(sorted, 0.90),
        sorted[sorted.len() - 1]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_7_quantiles_match_numpy() {
        // numpy.quantile([1, 2, 3, 4, 10], [0, .1, .5, .9, 1]) = 1, 1.4, 3, 7.6, 10
        let s = sorted(&[4.0, 1.0, 10.0, 3.0, 2.0]);
        let got: Vec<f64> = [0.0, 0.1, 0.5, 0.9, 1.0]
            .iter()
            .map(|&q| quantile(&s, q))
            .collect();
        for (g, want) in got.iter().zip([1.0, 1.4, 3.0, 7.6, 10.0]) {
            assert!((g - want).abs() < 1e-12, "{got:?}");
        }
    }

    #[test]
    fn the_fit_follows_the_scale_of_the_samples() {
        let wide = sorted(&(1..=100).map(|i| 100.0 + i as f64).collect::<Vec<_>>());
        assert_eq!(
            fit(&wide, 1.0),
            "{ dist = \"lognormal\", p50 = \"150.5ms\", p90 = \"190.1ms\" }"
        );
        let coarse = sorted(&[0.0, 0.0, 1.0, 1.0, 1.0, 0.0, 2.0, 1.0, 0.0, 1.0]);
        assert_eq!(
            fit(&coarse, 1.0),
            "{ dist = \"uniform\", min = \"0ms\", max = \"1.1ms\" }"
        );
        assert_eq!(fit(&[3.0, 3.0, 3.0], 1.0), "\"3ms\"");
    }
}
