//! Headline metrics against one swept key, one line per architecture (and
//! per value of the other swept keys), with the 95% confidence band of
//! each mean (the `_ci95` columns) shaded around it.
//!
//! The swept values become the x axis: numbers on a linear axis, or a log
//! one when they span two decades or more (tenants from 10^3 to 10^7);
//! anything else (durations, distributions) as evenly spaced categories.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::data::{compact_value, Results, Variant};
use super::style::{self, Axis, LegendEntry, Mark, SeriesStyle, Unit};
use super::DrawError;

/// The metrics drawn, one panel each: column, panel title, unit, the
/// factor from the column's unit to the axis's, and the smallest max/min
/// ratio that switches the y axis to log scale.
const PANELS: [(&str, &str, Unit, f64, f64); 6] = [
    ("latency_p50_ms", "Median latency", Unit::Ms, 1.0, 20.0),
    ("latency_p99_ms", "p99 latency", Unit::Ms, 1.0, 20.0),
    (
        "cold_start_fraction",
        "Requests that cold-start their DO",
        Unit::Percent,
        1.0,
        f64::INFINITY,
    ),
    (
        "delegated_fraction",
        "Requests delegated",
        Unit::Percent,
        1.0,
        f64::INFINITY,
    ),
    (
        "memory_mean_mb",
        "Fleet memory (time average)",
        Unit::Gb,
        1.0 / 1024.0,
        20.0,
    ),
    (
        "compute_instances_mean",
        "Compute-worker instances (time average)",
        Unit::Plain,
        1.0,
        20.0,
    ),
];

/// One line: its points `(x position, [(mean, ci95) per panel])`.
#[derive(Debug, Clone)]
struct Series {
    label: String,
    style: SeriesStyle,
    points: Vec<(f64, Vec<(f64, f64)>)>,
}

/// Metrics against one swept key.
#[derive(Debug, Clone)]
pub struct SweepChart {
    key: String,
    subtitle: String,
    x: Axis,
    series: Vec<Series>,
}

/// The x axis for a key's values, and each value's position on it.
fn x_axis(values: &[String]) -> (Axis, Vec<f64>) {
    let numbers: Option<Vec<f64>> = values
        .iter()
        .map(|v| v.trim().parse::<f64>().ok().filter(|x| x.is_finite()))
        .collect();
    let labels: Vec<String> = values.iter().map(|v| compact_value(v)).collect();
    let Some(numbers) = numbers else {
        let positions = (0..values.len()).map(|i| i as f64).collect();
        return (Axis::categories(labels), positions);
    };
    let (lo, hi) = style::extent(numbers.iter().copied()).unwrap_or((0.0, 1.0));
    // Values spanning more than 30x are usually a geometric sweep (64 MB
    // to 4 GB): spread them evenly.
    let log = lo > 0.0 && hi / lo >= 30.0;
    let positions: Vec<f64> = numbers
        .iter()
        .map(|&v| if log { v.log10() } else { v })
        .collect();
    let (plo, phi) = style::extent(positions.iter().copied()).unwrap_or((0.0, 1.0));
    let pad = if phi > plo { (phi - plo) * 0.05 } else { 0.5 };
    if values.len() > 12 {
        let axis = if log {
            Axis::log(lo, hi, Unit::Plain)
        } else {
            Axis::linear(lo, hi, Unit::Plain, 8, false)
        };
        return (axis, positions);
    }
    let axis = Axis::custom(plo - pad, phi + pad, positions.clone(), labels, false);
    (axis, positions)
}

impl SweepChart {
    /// The chart of swept key number `key_index` (None if there is nothing
    /// to draw).
    pub fn of(results: &Results, key_index: usize) -> Option<SweepChart> {
        let key = results.swept_keys.get(key_index)?.clone();
        let mut values: Vec<String> = Vec::new();
        for p in &results.points {
            let v = p.get(key_index)?;
            if !values.contains(v) {
                values.push(v.clone());
            }
        }
        let (x, positions) = x_axis(&values);
        // One series per (variant, values of the other keys): the variant
        // gives the colour, the other keys' values the marker.
        let mut series: Vec<(Variant, Vec<String>, Series)> = Vec::new();
        let mut other_values: Vec<Vec<String>> = Vec::new();
        for row in &results.summary.rows {
            let point = results.points.get(row.point)?;
            let others: Vec<String> = point
                .iter()
                .enumerate()
                .filter(|(i, _)| *i != key_index)
                .map(|(_, v)| v.clone())
                .collect();
            let at = values.iter().position(|v| *v == point[key_index])?;
            let metrics: Vec<(f64, f64)> = PANELS
                .iter()
                .map(|(column, _, _, factor, _)| {
                    (
                        results.summary.get(row, column) * factor,
                        results.summary.get(row, &format!("{column}_ci95")) * factor,
                    )
                })
                .collect();
            let found = series
                .iter_mut()
                .find(|(v, o, _)| *v == row.variant && *o == others);
            match found {
                Some((_, _, s)) => s.points.push((positions[at], metrics)),
                None => {
                    let index = results
                        .variants
                        .iter()
                        .position(|v| *v == row.variant)
                        .unwrap_or(0);
                    let other_keys: Vec<String> = results
                        .swept_keys
                        .iter()
                        .enumerate()
                        .filter(|(i, _)| *i != key_index)
                        .zip(&others)
                        .map(|((_, k), v)| format!("{k} = {}", compact_value(v)))
                        .collect();
                    let mut label = row.variant.title();
                    let mut style = style::variant_style(&row.variant, index);
                    if !other_keys.is_empty() {
                        label = format!("{label}, {}", other_keys.join(", "));
                        let k = match other_values.iter().position(|o| *o == others) {
                            Some(k) => k,
                            None => {
                                other_values.push(others.clone());
                                other_values.len() - 1
                            }
                        };
                        style.shape = style::Shape::ALL[k % style::Shape::ALL.len()];
                    }
                    series.push((
                        row.variant.clone(),
                        others,
                        Series {
                            label,
                            style,
                            points: vec![(positions[at], metrics)],
                        },
                    ));
                }
            }
        }
        let mut series: Vec<Series> = series.into_iter().map(|(_, _, s)| s).collect();
        for s in &mut series {
            s.points.sort_by(|a, b| a.0.total_cmp(&b.0));
        }
        let has_ci = results
            .summary
            .columns
            .names()
            .iter()
            .any(|c| c.ends_with("_ci95"));
        let subtitle = if has_ci {
            "means over replications; shaded: 95% confidence interval of the mean"
        } else {
            "one replication per point: no confidence intervals (set replications > 1)"
        }
        .to_string();
        (!series.is_empty()).then_some(SweepChart {
            key,
            subtitle,
            x,
            series,
        })
    }

    pub fn title(&self) -> String {
        format!("Headline metrics against {}", self.key)
    }

    pub fn size(&self) -> (u32, u32) {
        (1500, 980)
    }

    pub fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), DrawError> {
        let area = style::titled(root, &self.title(), &self.subtitle)?;
        let entries: Vec<LegendEntry> = self
            .series
            .iter()
            .map(|s| LegendEntry {
                label: s.label.clone(),
                mark: Mark::Series(s.style),
            })
            .collect();
        let (w, _) = area.dim_in_pixel();
        let rows = style::legend_rows(&area, &entries, w as i32 - 20);
        let (legend, grid) = area.split_vertically(style::legend_height(rows));
        style::draw_legend(&legend, &entries)?;
        let panels = grid.split_evenly((2, 3));
        for (i, (panel, (_, title, unit, _, ratio))) in panels.iter().zip(PANELS).enumerate() {
            self.draw_panel(&panel.margin(6, 6, 6, 6), i, title, unit, ratio)?;
        }
        Ok(())
    }

    fn draw_panel<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        metric: usize,
        title: &str,
        unit: Unit,
        ratio: f64,
    ) -> Result<(), DrawError> {
        let values: Vec<f64> = self
            .series
            .iter()
            .flat_map(|s| s.points.iter().map(|p| p.1[metric]))
            .flat_map(|(m, ci)| {
                let ci = if ci.is_finite() { ci } else { 0.0 };
                [m, m - ci, m + ci]
            })
            .filter(|v| v.is_finite() && (ratio.is_infinite() || *v > 0.0))
            .collect();
        let from_zero = unit == Unit::Percent || unit == Unit::Plain;
        let y = if unit == Unit::Percent {
            let hi = style::extent(values.iter().copied()).map_or(1.0, |e| e.1);
            Axis::linear(0.0, hi.clamp(0.05, 1.0), unit, 5, true)
        } else {
            Axis::auto(&values, unit, ratio, from_zero)
        };
        let y_desc = match (unit, y.log) {
            (Unit::Ms, true) => "ms, log scale",
            (Unit::Ms, false) => "ms",
            (Unit::Percent, _) => "% of requests",
            (Unit::Gb, true) => "GB, log scale",
            (Unit::Gb, false) => "GB",
            (Unit::Plain, _) => "instances",
        };
        let mut chart = style::chart(area, title, &self.x, &y, &self.key, y_desc)?;
        for s in &self.series {
            // Bands over consecutive points that have an interval; a point
            // without one breaks the band.
            let mut bands: Vec<Vec<(f64, f64, f64)>> = vec![Vec::new()];
            for (x, m) in &s.points {
                let (mean, ci) = m[metric];
                if mean.is_finite() && ci.is_finite() && ci >= 0.0 {
                    if let Some(band) = bands.last_mut() {
                        band.push((*x, y.clamped(mean - ci), y.clamped(mean + ci)));
                    }
                } else if bands.last().is_some_and(|b| !b.is_empty()) {
                    bands.push(Vec::new());
                }
            }
            for band in bands {
                if band.len() >= 2 {
                    let mut outline: Vec<(f64, f64)> = band.iter().map(|b| (b.0, b.2)).collect();
                    outline.extend(band.iter().rev().map(|b| (b.0, b.1)));
                    chart.draw_series(std::iter::once(Polygon::new(
                        outline,
                        s.style.color.mix(0.18).filled(),
                    )))?;
                } else if let Some(&(x, lo, hi)) = band.first() {
                    chart.draw_series(std::iter::once(PathElement::new(
                        vec![(x, lo), (x, hi)],
                        s.style.color.mix(0.5).stroke_width(4),
                    )))?;
                }
            }
        }
        for s in &self.series {
            // A line through consecutive drawable points; a gap breaks it.
            let mut run: Vec<(f64, f64)> = Vec::new();
            let mut runs: Vec<Vec<(f64, f64)>> = Vec::new();
            for (x, m) in &s.points {
                let py = y.pos(m[metric].0);
                if py.is_finite() {
                    run.push((*x, py));
                } else if !run.is_empty() {
                    runs.push(std::mem::take(&mut run));
                }
            }
            runs.push(run);
            for r in runs.into_iter().filter(|r| !r.is_empty()) {
                if r.len() > 1 {
                    style::draw_line(&mut chart, r.clone(), s.style, 2)?;
                }
                for &p in &r {
                    style::draw_marker(&mut chart, p, s.style.shape, 5, s.style.color)?;
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn x_axis_is_numeric_log_or_categorical() {
        let (a, p) = x_axis(&["0.6".into(), "0.8".into(), "1.0".into()]);
        assert!(!a.log);
        assert_eq!(p, vec![0.6, 0.8, 1.0]);
        assert_eq!(a.label_at(0.8), "0.8");
        let (a, p) = x_axis(&["1000".into(), "100000".into(), "10000000".into()]);
        assert_eq!(p, vec![3.0, 5.0, 7.0]);
        assert_eq!(a.label_at(7.0), "10M");
        let (a, p) = x_axis(&[
            "10s".into(),
            "{ dist = \"uniform\", min = \"70s\", max = \"140s\" }".into(),
        ]);
        assert_eq!(p, vec![0.0, 1.0]);
        assert_eq!(a.label_at(1.0), "uniform 70s-140s");
    }
}
