//! Fitting a workload to a trace: the Zipf exponent of tenant popularity,
//! the total rate, the hourly profile and the idle times between a
//! tenant's requests, and an experiment snippet that reproduces them.
//!
//! **Zipf exponent.** Tenants are ranked by their request counts
//! `n_1 >= n_2 >= ... >= n_T` (the `T` tenants seen, `N` requests). Under
//! the model each request goes to rank `k` with probability
//! `k^-s / H(T, s)`, so the log-likelihood is
//! `L(s) = -s sum_k n_k ln k - N ln H(T, s)`, with score
//! `L'(s) = N (E_s[ln k] - m)`, `m = sum_k n_k ln k / N`, and
//! `-L''(s) = N Var_s(ln k) > 0`: `L` is strictly concave, and the maximum
//! likelihood estimate solves `E_s[ln k] = m` (Newton's method, safeguarded
//! by bisection). Its standard error is `1 / sqrt(N Var_s(ln k))` (the
//! observed Fisher information, here equal to the expected one), and the
//! 95% interval `s +- 1.96 se`. Ranking by observed counts makes the ranks
//! themselves estimates: the interval is reliable when tenants' counts
//! separate their ranks (many requests per tenant); tenants never seen are
//! not counted in `T`.
//!
//! **Idle times.** The gaps between consecutive requests of a tenant, in
//! the replayed arrival stream (Azure traces: as spread within minutes by
//! the replay with the given seed). A request is a cold start under a
//! constant idle timeout `D` with zero service times exactly when it is its
//! tenant's first or follows a gap `> D`, so the fit reports that fraction
//! for a few timeouts.
//!
//! Invariants: a fit reads the trace once (after its index), in memory
//! proportional to its tenants and hours; it never panics on a trace the
//! index accepted.

use std::fmt::Write as _;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use hdrhistogram::Histogram;
use statrs::distribution::{ContinuousCDF, Normal};

use super::trace::{trace_index, TraceError, TraceReplay};
use super::ArrivalProcess;
use crate::engine::stream;
use crate::time::{format_duration, Nanos, SECOND};
use crate::workload::{TraceSpread, TraceTenant};

const HOUR: Nanos = 3600 * SECOND;

/// The idle timeouts whose cold-start fraction a fit reports.
pub const TIMEOUTS: [Nanos; 5] = [SECOND, 10 * SECOND, 70 * SECOND, 140 * SECOND, 900 * SECOND];

/// The idle-time quantiles a fit reports.
pub const QUANTILES: [f64; 7] = [0.1, 0.25, 0.5, 0.75, 0.9, 0.99, 0.999];

/// The maximum likelihood Zipf exponent of ranked counts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ZipfFit {
    /// The estimate.
    pub s: f64,
    /// Its standard error, from the observed Fisher information.
    pub se: f64,
    /// The 95% confidence interval (`s -+ 1.96 se`, clamped at 0).
    pub ci95: (f64, f64),
    /// Tenants with at least one request (`T`).
    pub tenants: u64,
    /// Requests (`N`).
    pub requests: u64,
}

/// `E_s[ln k]` and `Var_s(ln k)` for ranks `k = 1..=T` (`ln_k[k-1] = ln k`).
fn log_rank_moments(ln_k: &[f64], s: f64) -> (f64, f64) {
    let (mut z, mut m1, mut m2) = (0.0, 0.0, 0.0);
    // Smallest terms first for accuracy.
    for &l in ln_k.iter().rev() {
        let w = (-s * l).exp();
        z += w;
        m1 += w * l;
        m2 += w * l * l;
    }
    let mean = m1 / z;
    (mean, (m2 / z - mean * mean).max(0.0))
}

/// Fits the Zipf exponent to per-tenant request counts (any order; zeros
/// are ignored). `None` with fewer than two tenants (`s` is then
/// undetermined).
pub fn fit_zipf(counts: &[u64]) -> Option<ZipfFit> {
    let mut ranked: Vec<u64> = counts.iter().copied().filter(|&c| c > 0).collect();
    if ranked.len() < 2 {
        return None;
    }
    ranked.sort_unstable_by(|a, b| b.cmp(a));
    let ln_k: Vec<f64> = (1..=ranked.len()).map(|k| (k as f64).ln()).collect();
    let n: f64 = ranked.iter().map(|&c| c as f64).sum();
    let m = ranked
        .iter()
        .zip(&ln_k)
        .map(|(&c, l)| c as f64 * l)
        .sum::<f64>()
        / n;
    // g(s) = E_s[ln k] - m is decreasing; g(0) >= 0 for counts ranked in
    // decreasing order (rearrangement inequality), g(inf) = -m < 0.
    let g = |s: f64| log_rank_moments(&ln_k, s).0 - m;
    let s = if g(0.0) <= 0.0 {
        0.0
    } else {
        let (mut lo, mut hi) = (0.0f64, 1.0f64);
        while g(hi) > 0.0 && hi < 1e4 {
            lo = hi;
            hi *= 2.0;
        }
        let mut s = 0.5 * (lo + hi);
        for _ in 0..200 {
            let (mean, var) = log_rank_moments(&ln_k, s);
            let value = mean - m;
            if value > 0.0 {
                lo = s;
            } else {
                hi = s;
            }
            // Newton step (g' = -Var), kept inside the bracket.
            let newton = s + value / var;
            let next = if var > 0.0 && newton > lo && newton < hi {
                newton
            } else {
                0.5 * (lo + hi)
            };
            if (next - s).abs() <= 1e-12 * s.max(1.0) || hi - lo <= 1e-12 {
                s = next;
                break;
            }
            s = next;
        }
        s
    };
    let (_, var) = log_rank_moments(&ln_k, s);
    let se = if var > 0.0 {
        1.0 / (n * var).sqrt()
    } else {
        f64::INFINITY
    };
    let z = Normal::standard().inverse_cdf(0.975);
    Some(ZipfFit {
        s,
        se,
        ci95: ((s - z * se).max(0.0), s + z * se),
        tenants: ranked.len() as u64,
        requests: n as u64,
    })
}

/// What a trace looks like, as a workload.
#[derive(Debug, Clone)]
pub struct TraceFit {
    /// `"requests"` or `"azure"`.
    pub layout: &'static str,
    /// Tenants in the trace.
    pub tenants: u64,
    /// Requests replayed.
    pub requests: u64,
    /// The time the trace covers.
    pub span: Nanos,
    /// Requests per second over the span.
    pub rate_rps: f64,
    /// The Zipf fit (`None` with fewer than two tenants).
    pub zipf: Option<ZipfFit>,
    /// Requests in each hour since time zero.
    pub hour_counts: Vec<u64>,
    /// The rate by hour of the cycle (24 values, mean 1), when the trace
    /// covers at least 24 hours.
    pub profile: Option<Vec<f64>>,
    /// Gaps between consecutive requests of a tenant.
    pub gaps: u64,
    /// `(q, gap)` for each of [`QUANTILES`] (3 significant digits).
    pub gap_quantiles: Vec<(f64, Nanos)>,
    /// `(timeout, fraction of requests that would be cold starts)` for each
    /// of [`TIMEOUTS`]: first requests plus gaps longer than the timeout.
    pub cold_fractions: Vec<(Nanos, f64)>,
}

/// The most invocations `fit` replays (at some ten million a second, a
/// quarter of an hour): a trace claiming more is refused rather than
/// replayed for days.
pub const MAX_FIT_REQUESTS: u64 = 10_000_000_000;

/// Requests between two reads of the cancellation flag.
const CANCEL_CHECK_EVERY: u64 = 1 << 16;

/// Reads the trace at `path` and fits a workload to it. Azure counts are
/// spread within minutes as `spread` says, with the random stream that a
/// run with this `seed` (point 0, replication 0) uses.
pub fn fit_trace(
    path: &Path,
    tenant_by: TraceTenant,
    spread: TraceSpread,
    seed: u64,
    cancel: Option<&AtomicBool>,
) -> Result<TraceFit, TraceError> {
    let index = trace_index(path, tenant_by)?;
    if index.requests() > MAX_FIT_REQUESTS {
        return Err(TraceError::at(
            path,
            None,
            format!(
                "the trace holds {} invocations; fit replays each one and accepts at most \
                 {MAX_FIT_REQUESTS:.0e} (minutes of work): is a count wrong?",
                index.requests()
            ),
        ));
    }
    let tenants = index.tenants() as usize;
    let span = index.span();
    let layout = index.layout_name();
    let mut replay = TraceReplay::new(index, spread);
    let mut rng = stream(seed, &[0, 0, 0]);
    let mut counts = vec![0u64; tenants];
    let mut last = vec![Nanos::MAX; tenants];
    let mut hours: Vec<u64> = Vec::new();
    let mut over = [0u64; TIMEOUTS.len()];
    let mut gaps = Histogram::<u64>::new_with_bounds(1, HOUR, 3)
        .map_err(|e| TraceError::at(path, None, format!("internal error: {e}")))?;
    gaps.auto(true);
    let mut now = 0;
    let mut requests = 0u64;
    let mut end = 0;
    while let Some(a) = replay.next(now, &mut rng) {
        now = a.time;
        end = a.time;
        requests += 1;
        if requests.is_multiple_of(CANCEL_CHECK_EVERY)
            && (cancel.is_some_and(|c| c.load(Ordering::Relaxed))
                || crate::simulation::stop_requested())
        {
            return Err(TraceError::at(path, None, "interrupted"));
        }
        let t = a.tenant as usize;
        if let Some(c) = counts.get_mut(t) {
            *c += 1;
        }
        let hour = (a.time / HOUR) as usize;
        if hours.len() <= hour {
            hours.resize(hour + 1, 0);
        }
        if let Some(h) = hours.get_mut(hour) {
            *h += 1;
        }
        if let Some(previous) = last.get_mut(t) {
            if *previous != Nanos::MAX {
                let gap = a.time - *previous;
                gaps.saturating_record(gap);
                for (o, timeout) in over.iter_mut().zip(TIMEOUTS) {
                    if gap > timeout {
                        *o += 1;
                    }
                }
            }
            *previous = a.time;
        }
    }
    if let Some(e) = replay.error() {
        return Err(e.clone());
    }
    let seen = counts.iter().filter(|&&c| c > 0).count() as u64;
    let span = span.max(end).max(1);
    let gap_quantiles = if gaps.is_empty() {
        Vec::new()
    } else {
        QUANTILES
            .iter()
            .map(|&q| (q, gaps.value_at_quantile(q)))
            .collect()
    };
    let cold_fractions = TIMEOUTS
        .iter()
        .zip(over)
        .map(|(&timeout, o)| (timeout, (seen + o) as f64 / requests.max(1) as f64))
        .collect();
    Ok(TraceFit {
        layout,
        tenants: seen,
        requests,
        span,
        rate_rps: requests as f64 / (span as f64 / SECOND as f64),
        zipf: fit_zipf(&counts),
        profile: hourly_profile(&hours, span),
        hour_counts: hours,
        gaps: gaps.len(),
        gap_quantiles,
        cold_fractions,
    })
}

/// The rate by hour of a 24-hour cycle, relative to its mean, from the
/// counts of each hour since time zero over a trace covering `span`
/// (each hour's exposure is the part of it the trace covers); `None` if
/// the trace covers less than 24 hours.
pub fn hourly_profile(hour_counts: &[u64], span: Nanos) -> Option<Vec<f64>> {
    if span < 24 * HOUR {
        return None;
    }
    let mut count = [0.0f64; 24];
    let mut exposure = [0.0f64; 24];
    let hours = span.div_ceil(HOUR);
    for h in 0..hours {
        let start = h * HOUR;
        let covered = (span - start).min(HOUR) as f64 / HOUR as f64;
        let slot = (h % 24) as usize;
        exposure[slot] += covered;
        count[slot] += hour_counts.get(h as usize).copied().unwrap_or(0) as f64;
    }
    let rates: Vec<f64> = count
        .iter()
        .zip(exposure)
        .map(|(c, e)| if e > 0.0 { c / e } else { 0.0 })
        .collect();
    let mean = rates.iter().sum::<f64>() / 24.0;
    (mean > 0.0).then(|| rates.iter().map(|r| r / mean).collect())
}

/// `x` with `digits` significant digits, as TOML/Rust prints it.
fn round_to(x: f64, digits: i32) -> f64 {
    if x == 0.0 || !x.is_finite() {
        return x;
    }
    let scale = 10f64.powi(digits - 1 - x.abs().log10().floor() as i32);
    (x * scale).round() / scale
}

impl TraceFit {
    /// A human summary (as TOML comments) followed by an experiment snippet
    /// that reproduces the trace's tenants, popularity, rate and daily
    /// cycle: the whole text is valid TOML, so `dofleet fit TRACE >
    /// fitted.toml` gives an experiment file. `shown` is how to name the
    /// trace (as the user typed it).
    pub fn report(&self, shown: &str, command: &str) -> String {
        let mut out = String::new();
        for line in self.summary(shown).lines() {
            out.push_str("# ");
            out.push_str(line);
            out.push('\n');
        }
        out.push('\n');
        self.snippet(&mut out, shown, command);
        out
    }

    /// The human summary of the fit, in sentences.
    fn summary(&self, shown: &str) -> String {
        let mut out = String::new();
        let w = &mut out;
        let _ = writeln!(
            w,
            "Trace {shown} ({} layout): {} requests to {} tenants over {} ({} requests/s).",
            self.layout,
            self.requests,
            self.tenants,
            format_duration(self.span),
            round_to(self.rate_rps, 4)
        );
        match &self.zipf {
            Some(z) => {
                let _ = writeln!(
                    w,
                    "Zipf exponent s = {:.4} (standard error {:.4}; 95% interval {:.4} to {:.4}), \
                     maximum likelihood over tenants ranked by requests.",
                    z.s, z.se, z.ci95.0, z.ci95.1
                );
            }
            None => {
                let _ = writeln!(w, "Zipf exponent: undetermined (one tenant).");
            }
        }
        if self.gap_quantiles.is_empty() {
            let _ = writeln!(w, "Idle times: none (no tenant has two requests).");
        } else {
            let q: Vec<String> = self
                .gap_quantiles
                .iter()
                .map(|(q, gap)| {
                    let rounded = round_to(*gap as f64, 3).round() as Nanos;
                    format!("p{} {}", q * 100.0, format_duration(rounded))
                })
                .collect();
            let _ = writeln!(
                w,
                "Idle time between a tenant's requests ({} gaps): {}.",
                self.gaps,
                q.join(", ")
            );
        }
        let cold: Vec<String> = self
            .cold_fractions
            .iter()
            .map(|(t, f)| format!("{} {:.2}%", format_duration(*t), f * 100.0))
            .collect();
        let _ = writeln!(
            w,
            "Cold-start fraction with a constant idle timeout and instant requests \
             (first requests plus longer gaps): {}.",
            cold.join(", ")
        );
        if self.profile.is_none() {
            let _ = writeln!(
                w,
                "Hourly profile: the trace covers less than 24 h, so none is fitted."
            );
        }
        out
    }

    /// The experiment snippet, appended to `w`.
    fn snippet(&self, w: &mut String, shown: &str, command: &str) {
        let command = command.replace('\n', " ");
        let shown_line = shown.replace('\n', " ");
        let _ = writeln!(
            w,
            "# Fitted by `{command}`.\n\
             # To replay the trace itself instead: arrivals = \"trace\" and\n\
             # trace = \"{shown_line}\" (relative to the experiment file)."
        );
        let _ = writeln!(w, "duration = {:?}", format_duration(self.span));
        let _ = writeln!(w, "\n[workload]");
        let _ = writeln!(w, "tenants = {}", self.tenants.max(1));
        let s = self.zipf.map_or(0.0, |z| z.s);
        let _ = writeln!(w, "zipf_s = {s:.4}");
        let _ = writeln!(w, "rate_rps = {:?}", round_to(self.rate_rps, 6));
        match &self.profile {
            Some(profile) => {
                let _ = writeln!(w, "arrivals = \"diurnal\"");
                let _ = writeln!(w, "\n[workload.diurnal]");
                let _ = writeln!(w, "period = \"24h\"");
                let values: Vec<String> = profile
                    .iter()
                    .map(|p| format!("{:?}", round_to(*p, 4)))
                    .collect();
                let _ = writeln!(
                    w,
                    "# The rate by hour since time zero, relative to its mean."
                );
                let _ = writeln!(w, "profile = [{}]", values.join(", "));
            }
            None => {
                let _ = writeln!(w, "arrivals = \"poisson\"");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_zipf_counts_give_back_their_exponent() {
        // Counts proportional to k^-s (no sampling noise) solve the score
        // equation at s exactly, up to the rounding of the counts.
        for &s in &[0.0, 0.5, 1.0, 1.7] {
            let counts: Vec<u64> = (1..=200u64)
                .map(|k| (1e9 * (k as f64).powf(-s)).round() as u64)
                .collect();
            let fit = fit_zipf(&counts).unwrap_or_else(|| panic!("no fit"));
            assert!((fit.s - s).abs() < 1e-6, "s = {s}: {fit:?}");
            assert!(fit.se > 0.0 && fit.ci95.0 <= fit.s && fit.s <= fit.ci95.1);
        }
        assert_eq!(fit_zipf(&[5]), None);
        assert_eq!(fit_zipf(&[0, 5, 0]), None);
        let flat = fit_zipf(&[3, 3, 3]).unwrap_or_else(|| panic!("no fit"));
        assert_eq!(flat.s, 0.0);
        let steep = fit_zipf(&[1_000_000_000, 1]).unwrap_or_else(|| panic!("no fit"));
        assert!(steep.s > 20.0 && steep.s.is_finite(), "{steep:?}");
    }

    #[test]
    fn standard_error_matches_the_information_formula() {
        // For T = 2 ranks, Var_s(ln k) = p (1 - p) ln(2)^2 with p = 2^-s / (1 + 2^-s).
        let fit = fit_zipf(&[800, 200]).unwrap_or_else(|| panic!("no fit"));
        // 2^-s = 1/4: s = 2.
        assert!((fit.s - 2.0).abs() < 1e-9, "{fit:?}");
        let p: f64 = 0.2;
        let se = 1.0 / (1000.0 * p * (1.0 - p) * 2f64.ln().powi(2)).sqrt();
        assert!((fit.se - se).abs() < 1e-9, "{} vs {se}", fit.se);
    }

    #[test]
    fn hourly_profile_folds_days_and_weighs_partial_hours() {
        let mut hours = vec![0u64; 49];
        for (h, c) in hours.iter_mut().enumerate() {
            *c = if h % 24 == 3 { 20 } else { 10 };
        }
        // 48.5 hours: hour 48 (slot 0) half covered with 5 requests.
        hours[48] = 5;
        let p = hourly_profile(&hours, 48 * HOUR + HOUR / 2).unwrap_or_default();
        assert_eq!(p.len(), 24);
        let mean = (23.0 * 10.0 + 20.0) / 24.0;
        assert!((p[0] - 10.0 / mean).abs() < 1e-12, "{p:?}");
        assert!((p[3] - 20.0 / mean).abs() < 1e-12);
        assert_eq!(hourly_profile(&hours, 23 * HOUR), None);
    }
}
