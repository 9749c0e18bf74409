//! Headline metrics against one swept key, one series per architecture,
//! with the 95% confidence interval of each mean (the `_ci95` columns).
//! Each combination of the other swept keys' values gets its own row of
//! panels (small multiples), so the legend lists only architectures.
//!
//! The swept values become the x axis: numbers on a linear axis, or a log
//! one when they span two decades or more (tenants from 10^3 to 10^7),
//! joined by lines with shaded bands; anything else (policies, durations,
//! distributions) as categories, each architecture's marker and interval
//! side by side and never joined by a line (there is nothing between two
//! categories). Categories whose names do not fit are numbered, and the
//! numbers are listed under the legend.

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

/// The series of one combination of the other swept keys' values.
#[derive(Debug, Clone)]
struct Facet {
    /// `workload.tenants = 10k` (empty when no other key is swept).
    caption: String,
    series: Vec<Series>,
}

/// Metrics against one swept key.
#[derive(Debug, Clone)]
pub struct SweepChart {
    key: String,
    subtitle: String,
    x: Axis,
    /// Values are categories: markers side by side, no lines.
    categorical: bool,
    /// The numbered categories' names, when they are numbered.
    note: Option<String>,
    facets: Vec<Facet>,
}

/// Category names longer than this, together, are numbered instead.
const CATEGORY_CHARS: usize = 56;

/// The x axis for a key's values, each value's position on it, whether
/// they are categories, and the list of numbered categories if numbered.
fn x_axis(key: &str, values: &[String]) -> (Axis, Vec<f64>, bool, Option<String>) {
    let numbers: Option<Vec<f64>> = values
        .iter()
        .map(|v| v.trim().parse::<f64>().ok().filter(|x| x.is_finite()))
        .collect();
    let labels: Vec<String> = values.iter().map(|v| compact_value(v)).collect();
    let Some(numbers) = numbers else {
        let positions = (0..values.len()).map(|i| i as f64).collect();
        let chars: usize = labels.iter().map(|l| l.chars().count() + 2).sum();
        if chars <= CATEGORY_CHARS {
            return (Axis::categories(labels), positions, true, None);
        }
        let names: Vec<String> = values
            .iter()
            .enumerate()
            .map(|(i, v)| format!("{} = {}", i + 1, full_value(v)))
            .collect();
        let numbered = (1..=values.len()).map(|i| i.to_string()).collect();
        let note = format!("{key}: {}", names.join("; "));
        return (Axis::categories(numbered), positions, true, Some(note));
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
        return (axis, positions, false, None);
    }
    let axis = Axis::custom(plo - pad, phi + pad, positions.clone(), labels, false);
    (axis, positions, false, None)
}

/// A value in full for the list of numbered categories (lists as
/// `a+b`, `none` for an empty one; anything else as written).
fn full_value(v: &str) -> String {
    if v.trim().starts_with('[') {
        compact_value(v)
    } else {
        v.trim().to_string()
    }
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
        let (x, positions, categorical, note) = x_axis(&key, &values);
        // One facet per combination of the other keys' values, one series
        // per variant in it.
        let mut facets: Vec<(Vec<String>, Facet)> = Vec::new();
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
            let facet = match facets.iter().position(|(o, _)| *o == others) {
                Some(i) => &mut facets[i].1,
                None => {
                    let caption: Vec<String> = results
                        .swept_keys
                        .iter()
                        .enumerate()
                        .filter(|(i, _)| *i != key_index)
                        .zip(&others)
                        .map(|((_, k), v)| format!("{k} = {}", compact_value(v)))
                        .collect();
                    facets.push((
                        others.clone(),
                        Facet {
                            caption: caption.join(", "),
                            series: Vec::new(),
                        },
                    ));
                    &mut facets.last_mut()?.1
                }
            };
            // Sweeping the policies, a series is an architecture whatever
            // its policies: they are the x axis or the facet's caption, and
            // naming them again in every legend entry multiplied the legend
            // by the number of policy sets.
            let variant = if results.swept_keys.iter().any(|k| k == "policies") {
                Variant {
                    policy: "none".into(),
                    ..row.variant.clone()
                }
            } else {
                row.variant.clone()
            };
            let label = variant.title();
            match facet.series.iter_mut().find(|s| s.label == label) {
                Some(s) => s.points.push((positions[at], metrics)),
                None => {
                    let index = results
                        .variants
                        .iter()
                        .position(|v| *v == row.variant)
                        .unwrap_or(0);
                    facet.series.push(Series {
                        label,
                        style: style::variant_style(&variant, index),
                        points: vec![(positions[at], metrics)],
                    });
                }
            }
        }
        let mut facets: Vec<Facet> = facets.into_iter().map(|(_, f)| f).collect();
        for f in &mut facets {
            for s in &mut f.series {
                s.points.sort_by(|a, b| a.0.total_cmp(&b.0));
            }
        }
        let has_ci = results
            .summary
            .columns
            .names()
            .iter()
            .any(|c| c.ends_with("_ci95"));
        let subtitle = if has_ci && categorical {
            "means over replications; vertical bars: 95% confidence interval of the mean"
        } else if has_ci {
            "means over replications; shaded: 95% confidence interval of the mean"
        } else {
            "one replication per point: no confidence intervals (set replications > 1)"
        }
        .to_string();
        (!facets.is_empty()).then_some(SweepChart {
            key,
            subtitle,
            x,
            categorical,
            note,
            facets,
        })
    }

    pub fn title(&self) -> String {
        format!("Headline metrics against {}", self.key)
    }

    /// Whether series `later` has exactly the points of series `label` in
    /// every facet (Traditional and Hybrid when their requests take the
    /// same paths), so that drawn after it, it hides it everywhere.
    fn covers(&self, later: &str, label: &str) -> bool {
        self.facets.iter().all(|f| {
            let find = |l: &str| f.series.iter().find(|s| s.label == l).map(|s| &s.points);
            find(label).is_none() || find(label) == find(later)
        })
    }

    pub fn size(&self) -> (u32, u32) {
        (1500, 160 + 820 * self.facets.len().max(1) as u32)
    }

    pub fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), DrawError> {
        let area = style::titled(root, &self.title(), &self.subtitle)?;
        let mut labels: Vec<(&str, SeriesStyle)> = Vec::new();
        for s in self.facets.iter().flat_map(|f| &f.series) {
            if !labels.iter().any(|(l, _)| *l == s.label) {
                labels.push((&s.label, s.style));
            }
        }
        let entries: Vec<LegendEntry> = labels
            .iter()
            .enumerate()
            .map(|(i, &(label, style))| {
                let hidden = labels[i + 1..]
                    .iter()
                    .rev()
                    .find(|(later, _)| self.covers(later, label));
                LegendEntry {
                    label: match hidden {
                        Some((later, _)) => {
                            format!("{label} (same values as {later}, drawn under it)")
                        }
                        None => label.to_string(),
                    },
                    mark: Mark::Series(style),
                }
            })
            .collect();
        let (w, _) = area.dim_in_pixel();
        let rows = style::legend_rows(&area, &entries, w as i32 - 20);
        let (legend, mut grid) = area.split_vertically(style::legend_height(rows));
        style::draw_legend(&legend, &entries)?;
        if let Some(note) = &self.note {
            let lines = wrap(note, 170);
            let (strip, rest) = grid.split_vertically(lines.len() as i32 * 18 + 8);
            for (i, line) in lines.iter().enumerate() {
                strip.draw_text(line, &style::text(style::TICK), (16, 4 + i as i32 * 18))?;
            }
            grid = rest;
        }
        let facet_areas = grid.split_evenly((self.facets.len().max(1), 1));
        for (facet, area) in self.facets.iter().zip(facet_areas) {
            let area = if facet.caption.is_empty() {
                area
            } else {
                let (w, _) = area.dim_in_pixel();
                area.draw_text(
                    &facet.caption,
                    &style::bold(style::SUBTITLE).pos(plotters::style::text_anchor::Pos::new(
                        plotters::style::text_anchor::HPos::Center,
                        plotters::style::text_anchor::VPos::Top,
                    )),
                    (w as i32 / 2, 6),
                )?;
                area.split_vertically(style::SUBTITLE as i32 + 14).1
            };
            let panels = area.split_evenly((2, 3));
            for (i, (panel, (_, title, unit, _, ratio))) in panels.iter().zip(PANELS).enumerate() {
                self.draw_panel(&panel.margin(6, 6, 6, 6), facet, i, title, unit, ratio)?;
            }
        }
        Ok(())
    }

    fn draw_panel<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        facet: &Facet,
        metric: usize,
        title: &str,
        unit: Unit,
        ratio: f64,
    ) -> Result<(), DrawError> {
        let values: Vec<f64> = facet
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
            (Unit::Ms, true) => "latency, log scale",
            (Unit::Ms, false) => "latency",
            (Unit::Percent, _) => "% of requests",
            (Unit::Gb, true) => "GB, log scale",
            (Unit::Gb, false) => "GB",
            (Unit::Plain, _) => "instances",
            (Unit::Usd, _) => "USD a month",
        };
        let mut chart = style::chart(area, title, &self.x, &y, &self.key, y_desc)?;
        if self.categorical {
            // Side by side, each with its interval; nothing joins them.
            let n = facet.series.len().max(1) as f64;
            for (j, s) in facet.series.iter().enumerate() {
                let dx = (j as f64 - (n - 1.0) / 2.0) * 0.7 / n;
                for (x, m) in &s.points {
                    let (mean, ci) = m[metric];
                    let py = y.pos(mean);
                    if !py.is_finite() {
                        continue;
                    }
                    if ci.is_finite() && ci > 0.0 {
                        chart.draw_series(std::iter::once(PathElement::new(
                            vec![
                                (x + dx, y.clamped(mean - ci)),
                                (x + dx, y.clamped(mean + ci)),
                            ],
                            s.style.color.mix(0.8).stroke_width(2),
                        )))?;
                    }
                    style::draw_marker(&mut chart, (x + dx, py), s.style.shape, 5, s.style.color)?;
                }
            }
            return Ok(());
        }
        for s in &facet.series {
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
        for s in &facet.series {
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

/// `text` in lines of at most about `width` characters, broken at `; `.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines: Vec<String> = vec![String::new()];
    for part in text.split("; ") {
        let line = lines.last_mut().map_or(0, |l| l.chars().count());
        if line > 0 && line + part.chars().count() + 2 > width {
            lines.push(String::new());
        }
        if let Some(l) = lines.last_mut() {
            if !l.is_empty() {
                l.push_str("; ");
            }
            l.push_str(part);
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn x_axis_is_numeric_log_or_categorical() {
        let (a, p, categorical, _) = x_axis("k", &["0.6".into(), "0.8".into(), "1.0".into()]);
        assert!(!categorical);
        assert!(!a.log);
        assert_eq!(p, vec![0.6, 0.8, 1.0]);
        assert_eq!(a.label_at(0.8), "0.8");
        let (a, p, _, _) = x_axis("k", &["1000".into(), "100000".into(), "10000000".into()]);
        assert_eq!(p, vec![3.0, 5.0, 7.0]);
        assert_eq!(a.label_at(7.0), "10M");
        let (a, p, categorical, note) = x_axis(
            "k",
            &[
                "10s".into(),
                "{ dist = \"uniform\", min = \"70s\", max = \"140s\" }".into(),
            ],
        );
        assert_eq!(p, vec![0.0, 1.0]);
        assert!(categorical && note.is_none());
        assert_eq!(a.label_at(1.0), "uniform 70s-140s");
        // Long category names are numbered and listed.
        let policies: Vec<String> = [
            "[]",
            "[\"prewarm\"]",
            "[\"streaming\"]",
            "[\"tiered_cache\"]",
            "[\"prewarm\", \"streaming\", \"tiered_cache\", \"smart_delegation\"]",
        ]
        .map(String::from)
        .to_vec();
        let (a, _, _, note) = x_axis("policies", &policies);
        assert_eq!(a.label_at(1.0), "2");
        assert_eq!(
            note.as_deref(),
            Some(
                "policies: 1 = none; 2 = prewarm; 3 = streaming; 4 = tiered_cache; \
                 5 = prewarm+streaming+tiered_cache+smart_delegation"
            )
        );
    }
}
