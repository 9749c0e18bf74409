//! The latency distribution of each architecture at one sweep point, from
//! `latency_cdf.csv`: the share of requests at or below each latency, on a
//! log latency axis, with every curve's p50 and p99 marked on it and given
//! in the legend.

use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::data::Results;
use super::style::{self, Axis, LegendEntry, Mark, SeriesStyle, Unit};
use super::DrawError;
use crate::report::format_ms;

/// One curve.
#[derive(Debug, Clone)]
struct Curve {
    label: String,
    style: SeriesStyle,
    /// `(latency_ms, quantile)`.
    points: Vec<(f64, f64)>,
    p50: f64,
    p99: f64,
}

/// The latency CDF chart of one point.
#[derive(Debug, Clone)]
pub struct CdfChart {
    pub subtitle: String,
    curves: Vec<Curve>,
}

impl CdfChart {
    /// The chart of `point` (None if it has no latency data).
    pub fn of(results: &Results, point: usize, subtitle: String) -> Option<CdfChart> {
        let curves: Vec<Curve> = results
            .cdfs
            .iter()
            .filter(|c| c.point == point)
            .map(|c| {
                let index = results
                    .variants
                    .iter()
                    .position(|v| *v == c.variant)
                    .unwrap_or(0);
                Curve {
                    label: results.series_title(point, &c.variant),
                    style: style::variant_style(&c.variant, index),
                    points: c
                        .points
                        .iter()
                        .filter(|(q, ms)| q.is_finite() && *ms > 0.0 && ms.is_finite())
                        .map(|&(q, ms)| (ms, q))
                        .collect(),
                    p50: c.at(0.5),
                    p99: c.at(0.99),
                }
            })
            .filter(|c| !c.points.is_empty())
            .collect();
        (!curves.is_empty()).then_some(CdfChart { subtitle, curves })
    }

    pub fn title(&self) -> String {
        "Latency distribution by architecture".into()
    }

    /// The curve drawn after curve `i` that covers it exactly (two
    /// architectures whose requests take the same paths, such as
    /// Traditional and Hybrid when the load holds the DO's thread): the
    /// legend says so, or the reader looks for a curve that is not there.
    fn hidden_under(&self, i: usize) -> Option<usize> {
        let c = &self.curves[i];
        (i + 1..self.curves.len())
            .rev()
            .find(|&j| self.curves[j].points == c.points)
    }

    pub fn size(&self) -> (u32, u32) {
        (1000, 640)
    }

    pub fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), DrawError> {
        let area = style::titled(root, &self.title(), &self.subtitle)?;
        let entries: Vec<LegendEntry> = self
            .curves
            .iter()
            .enumerate()
            .map(|(i, c)| LegendEntry {
                label: format!(
                    "{}: p50 {}, p99 {}{}",
                    c.label,
                    format_ms(c.p50),
                    format_ms(c.p99),
                    self.hidden_under(i)
                        .map(|j| format!(
                            " (same curve as {}, drawn under it)",
                            self.curves[j].label
                        ))
                        .unwrap_or_default()
                ),
                mark: Mark::Series(c.style),
            })
            .collect();
        let (w, _) = area.dim_in_pixel();
        let rows = style::legend_rows(&area, &entries, w as i32 - 20);
        let (legend, plot) = area.split_vertically(style::legend_height(rows));
        style::draw_legend(&legend, &entries)?;

        let x = Axis::auto(
            &self
                .curves
                .iter()
                .flat_map(|c| c.points.iter().map(|p| p.0))
                .collect::<Vec<_>>(),
            Unit::Ms,
            1.0,
            false,
        );
        let y = Axis::linear(0.0, 1.0, Unit::Percent, 10, true);
        let mut chart = style::chart(
            &plot,
            "",
            &x,
            &y,
            "latency seen by the client (log scale)",
            "requests at or below the latency",
        )?;
        // Guides at the two marked quantiles.
        for (q, name) in [(0.5, "p50"), (0.99, "p99")] {
            chart.draw_series(std::iter::once(DashedPathElement::new(
                vec![(x.lo, q), (x.hi, q)],
                6,
                4,
                style::GREY.stroke_width(1),
            )))?;
            chart.draw_series(std::iter::once(Text::new(
                name,
                (x.lo + (x.hi - x.lo) * 0.005, q + 0.012),
                style::text(style::TICK)
                    .color(&style::GREY)
                    .pos(Pos::new(HPos::Left, VPos::Bottom)),
            )))?;
        }
        for c in &self.curves {
            let pts: Vec<(f64, f64)> = c.points.iter().map(|&(ms, q)| (x.pos(ms), q)).collect();
            style::draw_line(&mut chart, pts, c.style, 2)?;
        }
        for c in &self.curves {
            for (v, q) in [(c.p50, 0.5), (c.p99, 0.99)] {
                let px = x.pos(v);
                if px.is_finite() {
                    style::draw_marker(&mut chart, (px, q), c.style.shape, 6, c.style.color)?;
                }
            }
        }
        Ok(())
    }
}
