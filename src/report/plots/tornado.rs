//! The tornado chart of a sensitivity analysis: for one metric (at one
//! sweep point), one panel per architecture; in each, one bar per
//! assumption from the metric at the base to its value at the low end
//! (one colour) and at the high end (another), widest swing on top, the
//! same order in every panel. Each panel has its own linear axis (the
//! architectures' values differ by orders of magnitude; a bar's length is
//! read against its own panel's ticks).

use plotters::coord::Shift;
use plotters::prelude::*;

use super::style::{self, okabe_ito, Axis, LegendEntry, Mark, Unit};
use super::DrawError;

/// One architecture's panel.
#[derive(Debug, Clone)]
pub struct Panel {
    pub name: String,
    pub base: f64,
    /// Per assumption (in the chart's order): the value at the low and at
    /// the high end.
    pub ends: Vec<(f64, f64)>,
}

/// A tornado chart.
#[derive(Debug, Clone)]
pub struct TornadoChart {
    pub metric: String,
    pub subtitle: String,
    /// The assumptions, widest swing first.
    pub labels: Vec<String>,
    pub unit: Unit,
    pub axis_name: String,
    pub panels: Vec<Panel>,
}

const COLUMNS: usize = 2;

impl TornadoChart {
    pub fn title(&self) -> String {
        format!("Sensitivity of {} to the assumed parameters", self.metric)
    }

    fn panel_height(&self) -> u32 {
        110 + 30 * self.labels.len().max(1) as u32
    }

    pub fn size(&self) -> (u32, u32) {
        let rows = self.panels.len().div_ceil(COLUMNS).max(1) as u32;
        (1400, 110 + rows * self.panel_height())
    }

    pub fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), DrawError> {
        let area = style::titled(root, &self.title(), &self.subtitle)?;
        let entries = vec![
            LegendEntry {
                label: "at the low end of the range".into(),
                mark: Mark::Block(okabe_ito::BLUE),
            },
            LegendEntry {
                label: "at the high end of the range".into(),
                mark: Mark::Block(okabe_ito::VERMILLION),
            },
            LegendEntry {
                label: "as in the experiment (base)".into(),
                mark: Mark::Line(style::okabe_ito::BLACK, false),
            },
        ];
        let (w, _) = area.dim_in_pixel();
        let rows = style::legend_rows(&area, &entries, w as i32 - 20);
        let (legend, plot) = area.split_vertically(style::legend_height(rows));
        style::draw_legend(&legend, &entries)?;
        let grid_rows = self.panels.len().div_ceil(COLUMNS).max(1);
        let cells = plot.split_evenly((grid_rows, COLUMNS));
        // The order is the same in every panel: only the first column
        // names the assumptions.
        for (i, (panel, cell)) in self.panels.iter().zip(cells).enumerate() {
            self.draw_panel(&cell.margin(4, 4, 8, 8), panel, i % COLUMNS == 0)?;
        }
        Ok(())
    }

    /// The panel's widest swing away from the base, in the metric's unit
    /// and as a share of the base: each panel has its own axis, so a bar
    /// filling a panel may be a 1% effect, and the caption says which.
    pub fn widest_swing(&self, panel: &Panel) -> String {
        let widest = panel
            .ends
            .iter()
            .flat_map(|(l, h)| [*l, *h])
            .filter(|v| v.is_finite())
            .map(|v| v - panel.base)
            .fold(0.0f64, |m, d| if d.abs() > m.abs() { d } else { m });
        if !panel.base.is_finite() {
            return "no base value".into();
        }
        if widest == 0.0 {
            return "no assumption moves it".into();
        }
        let sign = if widest > 0.0 { "+" } else { "-" };
        let size = match self.unit {
            Unit::Percent => format!("{:.1} points", widest.abs() * 100.0),
            unit => unit.label(widest.abs()),
        };
        if panel.base == 0.0 {
            format!("widest swing {sign}{size}")
        } else {
            format!(
                "widest swing {sign}{size} ({sign}{:.1}% of the base)",
                100.0 * widest.abs() / panel.base.abs()
            )
        }
    }

    fn draw_panel<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        panel: &Panel,
        labelled: bool,
    ) -> Result<(), DrawError> {
        let values = panel
            .ends
            .iter()
            .flat_map(|(l, h)| [*l, *h])
            .chain([panel.base]);
        let (lo, hi) = super::axis::extent(values).unwrap_or((0.0, 1.0));
        // At least 2% of the base wide: a panel where nothing moves, or
        // moves by a hair, must not zoom in until a 0.1% swing fills it.
        let pad = ((hi - lo) * 0.05)
            .max(panel.base.abs() * 0.01)
            .max(hi.abs() * 1e-3)
            .max(1e-9);
        let from_zero = lo >= 0.0 && lo - pad <= 0.0;
        // Four ticks: a panel is half the chart's width, and five nice steps
        // could give eight labels that run into each other.
        let x = Axis::linear(lo - pad, hi + pad, self.unit, 4, from_zero);
        // Widest on top: category 0 is drawn at the top.
        let n = self.labels.len();
        let y = Axis::categories(
            self.labels
                .iter()
                .rev()
                .map(|l| if labelled { l.clone() } else { String::new() })
                .collect(),
        );
        let caption = format!("{}: {}", panel.name, self.widest_swing(panel));
        let mut chart = style::chart(area, &caption, &x, &y, &self.axis_name, "")?;
        let base = x.clamped(panel.base);
        for (i, (low, high)) in panel.ends.iter().enumerate() {
            let row = (n - 1 - i) as f64;
            for (end, color, offset) in [
                (*low, okabe_ito::BLUE, 0.0),
                (*high, okabe_ito::VERMILLION, -0.32),
            ] {
                if !end.is_finite() {
                    continue;
                }
                let end = x.clamped(end);
                let (y0, y1) = (row + offset + 0.02, row + offset + 0.30);
                chart.draw_series(std::iter::once(Rectangle::new(
                    [(base.min(end), y0), (base.max(end), y1)],
                    color.filled(),
                )))?;
            }
        }
        if panel.base.is_finite() {
            chart.draw_series(std::iter::once(PathElement::new(
                vec![(base, y.lo), (base, y.hi)],
                okabe_ito::BLACK.stroke_width(2),
            )))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chart(unit: Unit) -> TornadoChart {
        TornadoChart {
            metric: "m".into(),
            subtitle: String::new(),
            labels: vec!["a".into(), "b".into()],
            unit,
            axis_name: String::new(),
            panels: Vec::new(),
        }
    }

    #[test]
    fn the_caption_names_the_widest_swing_and_its_share_of_the_base() {
        let panel = Panel {
            name: "Thin State".into(),
            base: 152.8,
            ends: vec![(152.6, 154.3), (f64::NAN, 151.0)],
        };
        assert_eq!(
            chart(Unit::Ms).widest_swing(&panel),
            "widest swing -1.8 ms (-1.2% of the base)"
        );
        let flat = Panel {
            name: "Hybrid".into(),
            base: 2263.0,
            ends: vec![(2263.0, 2263.0)],
        };
        assert_eq!(
            chart(Unit::Ms).widest_swing(&flat),
            "no assumption moves it"
        );
        let share = Panel {
            name: "Lazy".into(),
            base: 0.4,
            ends: vec![(0.5, 0.35)],
        };
        assert_eq!(
            chart(Unit::Percent).widest_swing(&share),
            "widest swing +10.0 points (+25.0% of the base)"
        );
    }
}
