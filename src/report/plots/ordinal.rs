//! The seed's "Expected Request Latency" table as a chart: by request
//! number since the DO started (1, 2-5, 6+), each architecture's median
//! latency (`req1_p50_ms`...) and share of requests delegated
//! (`req1_delegated_fraction`...), with 95% confidence intervals and the
//! seed's expectation for the lazy design beside them. Bars stand on a
//! linear axis from zero, so that their lengths compare.

use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;

use super::data::Results;
use super::style::{self, Axis, LegendEntry, Mark, SeriesStyle, Unit};
use super::DrawError;
use crate::metrics::OrdinalBucket;

/// The seed's expectation for the lazy design: latency (ms) and whether
/// delegated, per bucket.
const SEED: [(f64, f64); 3] = [(300.0, 1.0), (30.0, 1.0), (10.0, 0.0)];

/// One architecture's bars: per bucket, `(p50 mean, ci)` and
/// `(delegated mean, ci)`.
#[derive(Debug, Clone)]
struct Bars {
    label: String,
    style: SeriesStyle,
    latency: [(f64, f64); 3],
    delegated: [(f64, f64); 3],
}

/// The request-ordinal chart of one point.
#[derive(Debug, Clone)]
pub struct OrdinalChart {
    subtitle: String,
    bars: Vec<Bars>,
}

impl OrdinalChart {
    /// The chart of `point` (None when no bucket has data).
    pub fn of(results: &Results, point: usize, subtitle: String) -> Option<OrdinalChart> {
        let table = &results.summary;
        let bars: Vec<Bars> = table
            .of_point(point)
            .map(|row| {
                let index = results
                    .variants
                    .iter()
                    .position(|v| *v == row.variant)
                    .unwrap_or(0);
                let stat = |column: String| {
                    (
                        table.get(row, &column),
                        table.get(row, &format!("{column}_ci95")),
                    )
                };
                let b = OrdinalBucket::ALL;
                Bars {
                    label: results.series_title(point, &row.variant),
                    style: style::variant_style(&row.variant, index),
                    latency: b.map(|b| stat(format!("{}_p50_ms", b.column()))),
                    delegated: b.map(|b| stat(format!("{}_delegated_fraction", b.column()))),
                }
            })
            .collect();
        let any = bars
            .iter()
            .any(|b| b.latency.iter().any(|(m, _)| m.is_finite() && *m > 0.0));
        any.then_some(OrdinalChart { subtitle, bars })
    }

    pub fn title(&self) -> String {
        "Latency by request number since the DO started".into()
    }

    pub fn size(&self) -> (u32, u32) {
        (1300, 640)
    }

    pub fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), DrawError> {
        let area = style::titled(root, &self.title(), &self.subtitle)?;
        let mut entries: Vec<LegendEntry> = self
            .bars
            .iter()
            .map(|b| LegendEntry {
                label: b.label.clone(),
                mark: Mark::Block(b.style.color),
            })
            .collect();
        entries.push(LegendEntry {
            label: "seed's expectation (lazy design)".into(),
            mark: Mark::Line(BLACK, true),
        });
        let has_ci = self.bars.iter().any(|b| {
            b.latency
                .iter()
                .chain(&b.delegated)
                .any(|(_, ci)| ci.is_finite() && *ci > 0.0)
        });
        if has_ci {
            entries.push(LegendEntry {
                label: "95% confidence interval".into(),
                mark: Mark::Line(style::GREY, false),
            });
        }
        let (w, _) = area.dim_in_pixel();
        let rows = style::legend_rows(&area, &entries, w as i32 - 20);
        let (legend, plot) = area.split_vertically(style::legend_height(rows));
        style::draw_legend(&legend, &entries)?;
        let (left, right) = plot.split_horizontally(w * 55 / 100);
        let latencies: Vec<f64> = self
            .bars
            .iter()
            .flat_map(|b| b.latency.iter().map(|s| s.0 + s.1.max(0.0)))
            .chain(self.bars.iter().flat_map(|b| b.latency.map(|s| s.0)))
            .chain(SEED.iter().map(|s| s.0))
            .filter(|v| v.is_finite() && *v > 0.0)
            .collect();
        // A bar's length is its value: a linear axis from zero (on a log
        // axis a 1.68 s bar looked 3x a 129 ms one; it is 13x).
        let top = style::extent(latencies.iter().copied()).map_or(1.0, |e| e.1);
        let y = Axis::linear(0.0, top, Unit::Ms, 6, true);
        let desc = "median latency";
        self.draw_panel(
            &left.margin(0, 0, 6, 12),
            "Median latency",
            &y,
            desc,
            |b| b.latency,
            |s| s.0,
        )?;
        let y = Axis::linear(0.0, 1.0, Unit::Percent, 5, true);
        self.draw_panel(
            &right.margin(0, 0, 12, 6),
            "Share delegated to the compute worker",
            &y,
            "requests delegated",
            |b| b.delegated,
            |s| s.1,
        )
    }

    fn draw_panel<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        caption: &str,
        y: &Axis,
        y_desc: &str,
        values: impl Fn(&Bars) -> [(f64, f64); 3],
        seed: impl Fn(&(f64, f64)) -> f64,
    ) -> Result<(), DrawError> {
        let x = Axis::categories(vec![
            "request 1 (cold)".into(),
            "requests 2-5".into(),
            "requests 6+".into(),
        ]);
        let mut chart = style::chart(
            area,
            caption,
            &x,
            y,
            "request number since the DO started",
            y_desc,
        )?;
        let n = self.bars.len().max(1) as f64;
        let width = 0.8 / n;
        for (j, b) in self.bars.iter().enumerate() {
            for (i, (mean, ci)) in values(b).iter().enumerate() {
                let top = y.pos(*mean);
                if !top.is_finite() {
                    continue;
                }
                let x0 = i as f64 - 0.4 + j as f64 * width;
                let x1 = x0 + width * 0.9;
                let top = top.clamp(y.lo, y.hi);
                chart.draw_series(std::iter::once(Rectangle::new(
                    [(x0, y.lo), (x1, top)],
                    b.style.color.filled(),
                )))?;
                chart.draw_series(std::iter::once(Rectangle::new(
                    [(x0, y.lo), (x1, top)],
                    BLACK.mix(0.6).stroke_width(1),
                )))?;
                if ci.is_finite() && *ci > 0.0 {
                    let xm = (x0 + x1) / 2.0;
                    let (lo, hi) = (y.clamped(mean - ci), y.clamped(mean + ci));
                    let cap = width * 0.2;
                    for seg in [
                        vec![(xm, lo), (xm, hi)],
                        vec![(xm - cap, lo), (xm + cap, lo)],
                        vec![(xm - cap, hi), (xm + cap, hi)],
                    ] {
                        chart.draw_series(std::iter::once(PathElement::new(
                            seg,
                            style::GREY.stroke_width(2),
                        )))?;
                    }
                }
            }
        }
        for (i, s) in SEED.iter().enumerate() {
            let py = y.pos(seed(s));
            if py.is_finite() {
                let py = py.clamp(y.lo, y.hi);
                chart.draw_series(std::iter::once(DashedPathElement::new(
                    vec![(i as f64 - 0.45, py), (i as f64 + 0.45, py)],
                    8,
                    5,
                    BLACK.stroke_width(2),
                )))?;
            }
        }
        Ok(())
    }
}
