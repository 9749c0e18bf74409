//! Axes: linear, log or categorical, each with its own ticks and tick
//! labels (with units), mapped onto one plotters coordinate type
//! ([`Ticked`]) so that every chart has the same type whatever its axes.
//! On a log axis the plot coordinate is log10 of the value; on a
//! categorical one it is the category's index.

use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, Ranged};
use plotters::prelude::*;

/// The unit an axis's tick labels carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// Milliseconds: `10 ms`, `1.5 s`.
    Ms,
    /// A fraction shown as a percentage: `40%`.
    Percent,
    /// Gigabytes (GiB): `32 GB`, `0.5 GB`.
    Gb,
    /// A plain number: `0.8`, `10k`.
    Plain,
    /// US dollars: `$69.2`, `$2,350`.
    Usd,
}

/// Formats a number briefly: at most three significant digits, no
/// trailing zeros.
pub fn short(v: f64) -> String {
    if !v.is_finite() {
        return "-".into();
    }
    if v.abs() >= 10_000.0 {
        return super::data::si_count(v);
    }
    let digits = if v == 0.0 {
        0
    } else {
        (2 - v.abs().log10().floor() as i32).clamp(0, 6) as usize
    };
    let s = format!("{v:.digits$}");
    let s = if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    };
    if s == "-0" {
        "0".into()
    } else {
        s
    }
}

/// A number before a unit: [`short`], except that from 10,000 on it is
/// written out with thousands separators (a "10k s" tick reads as a unit
/// of its own).
fn with_unit(v: f64) -> String {
    if !(v.is_finite() && v.abs() >= 10_000.0) {
        return short(v);
    }
    let out = grouped(&format!("{:.0}", v.abs()));
    if v < 0.0 {
        format!("-{out}")
    } else {
        out
    }
}

/// Digits with a comma every three from the right: `1234567` is
/// `1,234,567`.
pub(crate) fn grouped(digits: &str) -> String {
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

impl Unit {
    /// A tick label for the value `v` (in the data's unit).
    pub fn label(self, v: f64) -> String {
        match self {
            Unit::Ms if v.abs() >= 1000.0 => format!("{} s", with_unit(v / 1000.0)),
            Unit::Ms => format!("{} ms", with_unit(v)),
            Unit::Percent => format!("{}%", with_unit(v * 100.0)),
            Unit::Gb => format!("{} GB", with_unit(v)),
            Unit::Plain => short(v),
            Unit::Usd => {
                let sign = if v < 0.0 { "-" } else { "" };
                let amount = if v.abs() >= 1000.0 {
                    grouped(&format!("{:.0}", v.abs()))
                } else {
                    short(v.abs())
                };
                format!("{sign}${amount}")
            }
        }
    }
}

impl Unit {
    /// The labels of evenly spaced ticks `step` apart: one unit for the
    /// whole axis (seconds for every tick once one reaches 1 s) and enough
    /// decimals that no two ticks read the same.
    pub fn linear_labels(self, ticks: &[f64], step: f64) -> Vec<String> {
        let largest = ticks.iter().fold(0.0f64, |m, t| m.max(t.abs()));
        let (scale, suffix) = match self {
            Unit::Ms if largest >= 1000.0 => (1000.0, " s"),
            Unit::Ms => (1.0, " ms"),
            Unit::Percent => (0.01, "%"),
            Unit::Gb => (1.0, " GB"),
            Unit::Plain if largest >= 10_000.0 => return ticks.iter().map(|&t| short(t)).collect(),
            Unit::Plain => (1.0, ""),
            Unit::Usd => return ticks.iter().map(|&t| self.label(t)).collect(),
        };
        let scaled = step / scale;
        let decimals = if scaled.is_finite() && scaled > 0.0 {
            (-scaled.log10() - 1e-9).ceil().clamp(0.0, 6.0) as usize
        } else {
            0
        };
        ticks
            .iter()
            .map(|&t| {
                let mut text = format!("{:.decimals$}", t / scale);
                if text.starts_with("-0") && text.trim_start_matches(['-', '0', '.']).is_empty() {
                    text = text[1..].to_string();
                }
                format!("{text}{suffix}")
            })
            .collect()
    }
}

/// An axis: its range, ticks and labels, in plot coordinates (log10 of the
/// value on a log axis, the index on a categorical one).
#[derive(Debug, Clone)]
pub struct Axis {
    pub lo: f64,
    pub hi: f64,
    pub log: bool,
    ticks: Vec<f64>,
    light: Vec<f64>,
    labels: Vec<String>,
}

/// A "nice" step (1, 2 or 5 times a power of ten) near `raw`.
fn nice_step(raw: f64) -> f64 {
    if !(raw.is_finite() && raw > 0.0) {
        return 1.0;
    }
    let p = 10f64.powf(raw.log10().floor());
    let m = raw / p;
    let n = if m < 1.5 {
        1.0
    } else if m < 3.5 {
        2.0
    } else if m < 7.5 {
        5.0
    } else {
        10.0
    };
    n * p
}

/// `(min, max)` of the finite values, or `None`.
pub fn extent(values: impl IntoIterator<Item = f64>) -> Option<(f64, f64)> {
    values
        .into_iter()
        .filter(|v| v.is_finite())
        .fold(None, |acc, v| match acc {
            None => Some((v, v)),
            Some((lo, hi)) => Some((lo.min(v), hi.max(v))),
        })
}

impl Axis {
    /// A linear axis covering `[min, max]` with about `target` ticks.
    /// `from_zero` extends it to zero (bars, fractions).
    pub fn linear(min: f64, max: f64, unit: Unit, target: usize, from_zero: bool) -> Axis {
        let (mut lo, mut hi) = if min.is_finite() && max.is_finite() && min <= max {
            (min, max)
        } else {
            (0.0, 1.0)
        };
        if from_zero {
            lo = lo.min(0.0);
            hi = hi.max(0.0);
        }
        if hi - lo < 1e-12 * hi.abs().max(1.0) {
            let pad = if hi == 0.0 { 1.0 } else { hi.abs() * 0.1 };
            lo -= pad;
            hi += pad;
            if from_zero && min >= 0.0 {
                lo = 0.0;
            }
        }
        let step = nice_step((hi - lo) / target.max(1) as f64);
        let first = (lo / step).floor() * step;
        let last = (hi / step).ceil() * step;
        let (lo, hi) = if from_zero {
            (first.max(lo.min(0.0)), last)
        } else {
            (lo - (hi - lo) * 0.04, hi + (hi - lo) * 0.04)
        };
        let mut ticks = Vec::new();
        let mut t = first;
        while t <= hi + step * 1e-9 && ticks.len() < 50 {
            if t >= lo - step * 1e-9 {
                ticks.push(if t.abs() < step * 1e-9 { 0.0 } else { t });
            }
            t += step;
        }
        let labels = unit.linear_labels(&ticks, step);
        Axis {
            lo,
            hi,
            log: false,
            ticks,
            light: Vec::new(),
            labels,
        }
    }

    /// A log axis covering `[min, max]` (both positive), ticks at 1, 2 and 5
    /// times powers of ten when it spans few decades, at powers of ten
    /// otherwise.
    pub fn log(min: f64, max: f64, unit: Unit) -> Axis {
        let (min, max) = if min > 0.0 && max >= min && max.is_finite() {
            (min, max)
        } else {
            (1.0, 10.0)
        };
        let mut lo = min.log10() - 0.05;
        let mut hi = (max.log10() + 0.05).max(lo + 0.3);
        let decades = hi - lo;
        let mults: &[f64] = if decades <= 1.5 {
            &[1.0, 2.0, 3.0, 5.0]
        } else if decades <= 3.5 {
            &[1.0, 2.0, 5.0]
        } else {
            // Ticks at decades only: an end of the data up to a factor
            // 2.2 past the last decade would sit beyond every label (the
            // 11 ms medians under a lowest tick of 100 ms), so the axis
            // reaches that decade.
            let near = 0.35;
            if min.log10() - min.log10().floor() < near {
                lo = lo.min(min.log10().floor() - 0.02);
            }
            if max.log10().ceil() - max.log10() < near {
                hi = hi.max(max.log10().ceil() + 0.02);
            }
            &[1.0]
        };
        let mut ticks = Vec::new();
        let mut light = Vec::new();
        let first = lo.floor() as i32;
        let last = hi.ceil() as i32;
        for e in first..=last.min(first + 40) {
            for m in 1..10 {
                let v = f64::from(m) * 10f64.powi(e);
                let x = v.log10();
                if x < lo || x > hi {
                    continue;
                }
                if mults.contains(&f64::from(m)) {
                    ticks.push(x);
                } else {
                    light.push(x);
                }
            }
        }
        let labels = ticks.iter().map(|&x| unit.label(10f64.powf(x))).collect();
        Axis {
            lo,
            hi,
            log: true,
            ticks,
            light,
            labels,
        }
    }

    /// A log axis if the finite positive values span at least `ratio`,
    /// a linear one otherwise.
    pub fn auto(values: &[f64], unit: Unit, ratio: f64, from_zero: bool) -> Axis {
        match extent(values.iter().copied()) {
            Some((lo, hi)) if lo > 0.0 && hi / lo >= ratio => Axis::log(lo, hi, unit),
            Some((lo, hi)) => Axis::linear(lo, hi, unit, 6, from_zero),
            None => Axis::linear(0.0, 1.0, unit, 5, from_zero),
        }
    }

    /// A categorical axis: one tick per label, at 0, 1, 2...
    pub fn categories(labels: Vec<String>) -> Axis {
        let n = labels.len().max(1) as f64;
        Axis {
            lo: -0.5,
            hi: n - 0.5,
            log: false,
            ticks: (0..labels.len()).map(|i| i as f64).collect(),
            light: Vec::new(),
            labels,
        }
    }

    /// An axis whose ticks sit at `positions` (plot coordinates) with
    /// `labels`, over `[lo, hi]`.
    pub fn custom(lo: f64, hi: f64, positions: Vec<f64>, labels: Vec<String>, log: bool) -> Axis {
        Axis {
            lo,
            hi,
            log,
            ticks: positions,
            light: Vec::new(),
            labels,
        }
    }

    /// The plot coordinate of value `v` (NaN if it cannot be drawn).
    pub fn pos(&self, v: f64) -> f64 {
        if self.log {
            if v > 0.0 {
                v.log10()
            } else {
                f64::NAN
            }
        } else {
            v
        }
    }

    /// `pos(v)`, clamped into the axis (for bands and bars).
    pub fn clamped(&self, v: f64) -> f64 {
        let p = self.pos(v);
        if p.is_nan() {
            self.lo
        } else {
            p.clamp(self.lo, self.hi)
        }
    }

    /// The tick labels.
    pub fn labels(&self) -> &[String] {
        &self.labels
    }

    /// The label of the tick at plot coordinate `x`.
    pub fn label_at(&self, x: f64) -> String {
        self.ticks
            .iter()
            .zip(&self.labels)
            .find(|(t, _)| (*t - x).abs() < 1e-9 * (1.0 + x.abs()))
            .map(|(_, l)| l.clone())
            .unwrap_or_default()
    }

    /// The plotters coordinate, with these ticks.
    pub fn coord(&self) -> Ticked {
        Ticked {
            lo: self.lo,
            hi: self.hi,
            bold: self.ticks.clone(),
            light: self.light.clone(),
        }
    }
}

/// A linear plotters coordinate whose tick marks and grid lines are given
/// (the axes' labels come from [`Axis::label_at`]).
#[derive(Debug, Clone)]
pub struct Ticked {
    lo: f64,
    hi: f64,
    bold: Vec<f64>,
    light: Vec<f64>,
}

impl Ranged for Ticked {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, v: &f64, limit: (i32, i32)) -> i32 {
        let span = self.hi - self.lo;
        if span.is_nan() || span <= 0.0 || !v.is_finite() {
            return limit.0;
        }
        let fraction = ((v - self.lo) / span).clamp(-4.0, 5.0);
        limit.0 + (f64::from(limit.1 - limit.0) * fraction + 1e-3).floor() as i32
    }

    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            self.light.clone()
        } else {
            self.bold.clone()
        }
    }

    fn range(&self) -> std::ops::Range<f64> {
        self.lo..self.hi
    }
}

/// The chart type of every plot: both axes linear in plot coordinates.
pub type Coord2 = Cartesian2d<Ticked, Ticked>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linear_ticks_never_read_the_same_and_share_one_unit() {
        let a = Axis::linear(152.1, 154.3, Unit::Ms, 5, false);
        let labels = a.labels().to_vec();
        let mut unique = labels.clone();
        unique.dedup();
        assert_eq!(labels, unique);
        assert!(labels.iter().any(|l| l == "152.5 ms"), "{labels:?}");
        let a = Axis::linear(0.0, 2400.0, Unit::Ms, 5, true);
        assert!(
            a.labels().iter().all(|l| l.ends_with(" s")),
            "{:?}",
            a.labels()
        );
        assert_eq!(a.label_at(500.0), "0.5 s");
    }

    #[test]
    fn labels_carry_units_and_few_digits() {
        assert_eq!(Unit::Ms.label(10.0), "10 ms");
        assert_eq!(Unit::Ms.label(2000.0), "2 s");
        assert_eq!(Unit::Ms.label(1500.0), "1.5 s");
        assert_eq!(Unit::Ms.label(0.5), "0.5 ms");
        assert_eq!(Unit::Percent.label(0.4), "40%");
        assert_eq!(Unit::Gb.label(32.25), "32.2 GB");
        assert_eq!(Unit::Plain.label(0.6000000001), "0.6");
        assert_eq!(Unit::Ms.label(1.0e7), "10,000 s");
        assert_eq!(Unit::Ms.label(-1.234e9), "-1,234,000 s");
        assert_eq!(Unit::Gb.label(123_456.0), "123,456 GB");
        assert_eq!(Unit::Usd.label(2350.0), "$2,350");
        assert_eq!(Unit::Usd.label(-69.24), "-$69.2");
        assert_eq!(short(-0.0), "0");
    }

    #[test]
    fn linear_ticks_are_nice_and_inside() {
        let a = Axis::linear(0.0, 0.93, Unit::Percent, 5, true);
        assert_eq!(a.lo, 0.0);
        assert!(a.hi >= 0.93);
        assert!(a.ticks.iter().all(|t| *t >= a.lo && *t <= a.hi + 1e-9));
        assert_eq!(a.label_at(0.2), "20%");
        let flat = Axis::linear(5.0, 5.0, Unit::Plain, 5, false);
        assert!(flat.lo < 5.0 && flat.hi > 5.0);
        let bad = Axis::linear(f64::NAN, 3.0, Unit::Plain, 5, false);
        assert!(bad.lo < bad.hi);
    }

    #[test]
    fn log_ticks_cover_the_decades() {
        let a = Axis::log(8.0, 2300.0, Unit::Ms);
        let labels: Vec<String> = a.ticks.iter().map(|&t| a.label_at(t)).collect();
        assert!(labels.contains(&"10 ms".to_string()), "{labels:?}");
        assert!(labels.contains(&"1 s".to_string()), "{labels:?}");
        assert!(a.pos(-1.0).is_nan());
        assert_eq!(a.clamped(-1.0), a.lo);
        let degenerate = Axis::log(0.0, -3.0, Unit::Ms);
        assert!(degenerate.lo < degenerate.hi);
    }

    #[test]
    fn a_decade_axis_labels_a_tick_beyond_each_end_of_the_data_when_one_is_near() {
        let labels = |a: &Axis| a.ticks.iter().map(|&t| a.label_at(t)).collect::<Vec<_>>();
        // 11 ms to 1000 s: five decades, ticks at decades only.
        let a = Axis::log(11.0, 1.0e6, Unit::Ms);
        assert_eq!(labels(&a).first().map(String::as_str), Some("10 ms"));
        assert!(a.lo < 1.0 && a.pos(11.0) > a.lo);
        // 40 ms is a factor 4 above 10 ms: the axis does not stretch to it.
        let b = Axis::log(40.0, 1.0e6, Unit::Ms);
        assert_eq!(labels(&b).first().map(String::as_str), Some("100 ms"));
        // 700 s is within a factor 2.2 of 1000 s at the top.
        let c = Axis::log(1.0, 7.0e5, Unit::Ms);
        assert_eq!(labels(&c).last().map(String::as_str), Some("1000 s"));
    }
}
