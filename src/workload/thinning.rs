//! Time-varying Poisson arrivals over Zipf tenants, generated exactly by
//! thinning (Lewis and Shedler 1979): candidates arrive as a Poisson
//! process at the peak rate `peak`, and a candidate at time `t` is kept with
//! probability `rate(t) / peak`. The kept candidates are a Poisson process
//! of intensity `rate(t)`, with no discretisation beyond rounding each
//! candidate time to the nanosecond.
//!
//! Two rates are provided: [`DiurnalRate`] (a sinusoid or a step profile
//! over a period) and [`MmppRate`] (a Markov-modulated rate). Invariants:
//! `0 <= rate(t) <= peak` for every `t`, `peak > 0`; the candidate clock
//! never decreases; no allocation after construction.

use rand::RngExt;

use super::{Arrival, ArrivalProcess, TenantPicker};
use crate::engine::SimRng;
use crate::time::{Nanos, SECOND};
use crate::workload::{Diurnal, Mmpp};

/// A rate function thinning can draw from.
pub trait Rate {
    /// The bound `rate(t) <= peak()`, requests per second (> 0).
    fn peak(&self) -> f64;
    /// The rate at `t`, requests per second; `t` never decreases between
    /// calls (a modulated rate may advance its state with `rng`).
    fn rate_at(&mut self, t: Nanos, rng: &mut SimRng) -> f64;
}

/// An exponential duration of mean `mean_ns`, by inversion, rounded to the
/// nanosecond (unbiased to well under 1 ns).
#[inline]
pub(crate) fn exponential_ns(mean_ns: f64, rng: &mut SimRng) -> Nanos {
    let u: f64 = rng.random();
    (-mean_ns * (1.0 - u).ln()).round() as Nanos
}

/// Arrivals at intensity `rate(t)`, each to a Zipf tenant.
#[derive(Debug, Clone)]
pub struct Thinned<R> {
    rate: R,
    peak: f64,
    mean_gap_ns: f64,
    clock: Nanos,
    picker: TenantPicker,
}

impl<R: Rate> Thinned<R> {
    /// Thinning of `rate` over `tenants` tenants with Zipf exponent `s`.
    pub fn new(rate: R, tenants: u32, s: f64) -> Self {
        let peak = rate.peak();
        Self {
            rate,
            peak,
            mean_gap_ns: SECOND as f64 / peak,
            clock: 0,
            picker: TenantPicker::new(tenants, s),
        }
    }

    /// The number of tenants.
    pub fn tenants(&self) -> u32 {
        self.picker.tenants()
    }
}

impl<R: Rate> ArrivalProcess for Thinned<R> {
    #[inline]
    fn next(&mut self, _now: Nanos, rng: &mut SimRng) -> Option<Arrival> {
        // The candidate clock is the process's own: the last candidate,
        // kept or not (the last kept one is the caller's `now`).
        loop {
            self.clock = self
                .clock
                .saturating_add(exponential_ns(self.mean_gap_ns, rng));
            if self.clock == Nanos::MAX {
                return None;
            }
            let rate = self.rate.rate_at(self.clock, rng);
            let u: f64 = rng.random();
            if u * self.peak < rate {
                return Some(Arrival {
                    time: self.clock,
                    tenant: self.picker.pick(rng),
                });
            }
        }
    }
}

/// `[workload.diurnal]` as a rate: `rate_rps` times a shape of mean 1 over
/// the period.
#[derive(Debug, Clone)]
pub struct DiurnalRate {
    rate_rps: f64,
    amplitude: f64,
    period: Nanos,
    peak_at: Nanos,
    /// The profile divided by its mean (empty: the sinusoid).
    steps: Vec<f64>,
}

impl DiurnalRate {
    /// The rate of `diurnal` around the mean `rate_rps` (> 0).
    pub fn new(rate_rps: f64, diurnal: &Diurnal) -> Self {
        let n = diurnal.profile.len().max(1) as f64;
        let mean = diurnal.profile.iter().sum::<f64>() / n;
        let steps = if mean > 0.0 {
            diurnal.profile.iter().map(|p| p / mean).collect()
        } else {
            Vec::new()
        };
        Self {
            rate_rps,
            amplitude: diurnal.amplitude.clamp(0.0, 1.0),
            period: diurnal.period.max(1),
            peak_at: diurnal.peak,
            steps,
        }
    }

    /// The rate at `t`, requests per second.
    pub fn at(&self, t: Nanos) -> f64 {
        let into = t % self.period;
        if self.steps.is_empty() {
            let shifted = (i128::from(into) - i128::from(self.peak_at % self.period))
                .rem_euclid(i128::from(self.period));
            let phase = shifted as f64 / self.period as f64;
            self.rate_rps * (1.0 + self.amplitude * (std::f64::consts::TAU * phase).cos())
        } else {
            let n = self.steps.len() as u128;
            let i = (u128::from(into) * n / u128::from(self.period)) as usize;
            self.rate_rps * self.steps.get(i).copied().unwrap_or(0.0)
        }
    }

    /// The integral of the rate over `[from, to)`, requests (closed form).
    pub fn integral(&self, from: Nanos, to: Nanos) -> f64 {
        if to <= from {
            return 0.0;
        }
        let secs = |ns: Nanos| ns as f64 / SECOND as f64;
        if self.steps.is_empty() {
            // rate * [(t) + A P / (2 pi) sin(2 pi (t - peak) / P)] from..to
            let p = secs(self.period);
            let w = std::f64::consts::TAU / p;
            let peak = secs(self.peak_at);
            let f = |t: f64| t + self.amplitude / w * (w * (t - peak)).sin();
            self.rate_rps * (f(secs(to)) - f(secs(from)))
        } else {
            // Sum over the steps the interval crosses.
            let n = self.steps.len() as u128;
            let period = u128::from(self.period);
            let mut total = 0.0;
            let mut t = u128::from(from);
            let end = u128::from(to);
            while t < end {
                let cycle = t / period;
                let i = (t % period) * n / period;
                // The step ends at the first instant of step i + 1.
                let step_end = cycle * period + ((i + 1) * period).div_ceil(n);
                let until = step_end.min(end);
                let rate = self.steps.get(i as usize).copied().unwrap_or(0.0);
                total += self.rate_rps * rate * (until - t) as f64 / SECOND as f64;
                t = until;
            }
            total
        }
    }
}

impl Rate for DiurnalRate {
    fn peak(&self) -> f64 {
        if self.steps.is_empty() {
            self.rate_rps * (1.0 + self.amplitude)
        } else {
            self.rate_rps * self.steps.iter().copied().fold(0.0, f64::max)
        }
    }

    #[inline]
    fn rate_at(&mut self, t: Nanos, _rng: &mut SimRng) -> f64 {
        self.at(t)
    }
}

/// `[workload.mmpp]` as a rate: a continuous-time Markov chain over the
/// states, started in its stationary distribution; on leaving a state it
/// moves to one of the others uniformly.
#[derive(Debug, Clone)]
pub struct MmppRate {
    rates: Vec<f64>,
    mean_sojourn_ns: Vec<f64>,
    /// The current state (`None` before the first call: drawn then).
    state: Option<usize>,
    /// When the current state ends.
    state_end: Nanos,
}

impl MmppRate {
    /// The chain of `mmpp` (at least one state, one with a rate > 0).
    pub fn new(mmpp: &Mmpp) -> Self {
        Self {
            rates: mmpp.states.iter().map(|s| s.rate_rps.max(0.0)).collect(),
            mean_sojourn_ns: mmpp
                .states
                .iter()
                .map(|s| s.mean_sojourn.max(1) as f64)
                .collect(),
            state: None,
            state_end: 0,
        }
    }

    /// The long-run fraction of time in each state: proportional to its
    /// mean sojourn (the jump chain is uniform over the other states, so
    /// it visits every state equally often).
    pub fn stationary(&self) -> Vec<f64> {
        let total: f64 = self.mean_sojourn_ns.iter().sum();
        self.mean_sojourn_ns.iter().map(|m| m / total).collect()
    }

    /// The long-run mean rate, requests per second.
    pub fn mean_rate(&self) -> f64 {
        self.stationary()
            .iter()
            .zip(&self.rates)
            .map(|(p, r)| p * r)
            .sum()
    }

    fn enter(&mut self, state: usize, at: Nanos, rng: &mut SimRng) {
        let mean = self.mean_sojourn_ns.get(state).copied().unwrap_or(1.0);
        self.state = Some(state);
        // At least 1 ns, so the clock always moves.
        self.state_end = at.saturating_add(exponential_ns(mean, rng).max(1));
    }
}

impl Rate for MmppRate {
    fn peak(&self) -> f64 {
        self.rates.iter().copied().fold(0.0, f64::max)
    }

    #[inline]
    fn rate_at(&mut self, t: Nanos, rng: &mut SimRng) -> f64 {
        let n = self.rates.len();
        let mut state = match self.state {
            Some(s) => s,
            None => {
                // Stationary start: state i with probability pi_i; its
                // residual sojourn is exponential (memoryless).
                let u: f64 = rng.random();
                let mut acc = 0.0;
                let pi = self.stationary();
                let s = pi
                    .iter()
                    .position(|p| {
                        acc += p;
                        u < acc
                    })
                    .unwrap_or(n.saturating_sub(1));
                self.enter(s, 0, rng);
                s
            }
        };
        while t >= self.state_end && self.state_end < Nanos::MAX {
            if n > 1 {
                // One of the n - 1 other states, uniformly.
                let k = rng.random_range(0..n - 1);
                state = if k >= state { k + 1 } else { k };
            }
            let at = self.state_end;
            self.enter(state, at, rng);
        }
        self.rates.get(state).copied().unwrap_or(0.0)
    }
}

/// Diurnal arrivals over Zipf tenants.
pub type DiurnalZipf = Thinned<DiurnalRate>;
/// Markov-modulated (bursty) arrivals over Zipf tenants.
pub type MmppZipf = Thinned<MmppRate>;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workload::MmppState;

    fn diurnal(amplitude: f64, profile: Vec<f64>) -> Diurnal {
        Diurnal {
            amplitude,
            period: 24 * 3600 * SECOND,
            peak: 14 * 3600 * SECOND,
            profile,
        }
    }

    #[test]
    fn the_sinusoid_peaks_where_asked_and_integrates_to_its_mean() {
        let r = DiurnalRate::new(10.0, &diurnal(0.5, vec![]));
        let hour = 3600 * SECOND;
        assert!((r.at(14 * hour) - 15.0).abs() < 1e-9);
        assert!((r.at(2 * hour) - 5.0).abs() < 1e-9);
        assert!((r.peak() - 15.0).abs() < 1e-12);
        let day = r.integral(0, 24 * hour);
        assert!((day - 10.0 * 86_400.0).abs() < 1e-6, "{day}");
        // The integral against a midpoint sum over 1 s steps.
        let (a, b) = (3 * hour + 17, 5 * hour + 999);
        let mut sum = 0.0;
        let mut t = a;
        while t < b {
            let step = (b - t).min(SECOND);
            sum += r.at(t + step / 2) * step as f64 / SECOND as f64;
            t += step;
        }
        assert!((sum - r.integral(a, b)).abs() < 1e-3, "{sum}");
    }

    #[test]
    fn a_profile_is_scaled_to_mean_one_and_integrates_step_by_step() {
        let profile: Vec<f64> = (0..24).map(|h| f64::from(h % 6 + 1)).collect();
        let r = DiurnalRate::new(7.0, &diurnal(0.0, profile));
        let hour = 3600 * SECOND;
        // Mean of 1..6 is 3.5: hour 5 has value 6, so 7 * 6 / 3.5 = 12.
        assert!((r.at(5 * hour + 1) - 12.0).abs() < 1e-9);
        assert!((r.peak() - 12.0).abs() < 1e-9);
        assert!((r.integral(0, 24 * hour) - 7.0 * 86_400.0).abs() < 1e-6);
        let half = r.integral(hour / 2, 3 * hour / 2);
        assert!(
            (half - 7.0 * 1800.0 * (1.0 + 2.0) / 3.5).abs() < 1e-6,
            "{half}"
        );
        // Across a period boundary.
        let wrap = r.integral(23 * hour, 25 * hour);
        assert!((wrap - 7.0 * 3600.0 * (6.0 + 1.0) / 3.5).abs() < 1e-6);
    }

    #[test]
    fn mmpp_stationary_distribution_follows_the_sojourns() {
        let m = MmppRate::new(&Mmpp {
            states: vec![
                MmppState {
                    rate_rps: 50.0,
                    mean_sojourn: 540 * SECOND,
                },
                MmppState {
                    rate_rps: 550.0,
                    mean_sojourn: 60 * SECOND,
                },
            ],
        });
        let pi = m.stationary();
        assert!((pi[0] - 0.9).abs() < 1e-12 && (pi[1] - 0.1).abs() < 1e-12);
        assert!((m.mean_rate() - 100.0).abs() < 1e-9);
        assert_eq!(m.peak(), 550.0);
    }
}
