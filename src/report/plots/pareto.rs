//! Fleet memory against p99 latency for every run of the experiment (every
//! replication of every point and architecture, from `runs.csv`), with the
//! Pareto frontier of each workload: the runs that no other run of the
//! same workload beats on both. A workload is a combination of the swept
//! `workload.*` values; runs of different workloads answer different
//! questions and are never on one frontier.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::data::{Results, Variant};
use super::style::{self, Axis, LegendEntry, Mark, SeriesStyle, Unit};
use super::DrawError;

/// One architecture's runs, `(memory_mean_mb in GB, latency_p99_ms,
/// workload)` (the workload an index into [`ParetoChart::frontiers`]).
#[derive(Debug, Clone)]
struct Group {
    label: String,
    style: SeriesStyle,
    runs: Vec<(f64, f64, usize)>,
}

/// Panels per row when there are several workloads.
const COLUMNS: usize = 3;

/// The memory-latency scatter.
#[derive(Debug, Clone)]
pub struct ParetoChart {
    groups: Vec<Group>,
    /// Per workload: its label (empty when there is one) and its frontier.
    frontiers: Vec<(String, Vec<(f64, f64)>)>,
}

/// The Pareto frontier of `points` (both coordinates to minimise), sorted
/// by the first: each point has a strictly lower second coordinate than
/// every point before it.
pub fn frontier(points: &[(f64, f64)]) -> Vec<(f64, f64)> {
    let mut sorted: Vec<(f64, f64)> = points
        .iter()
        .copied()
        .filter(|(a, b)| a.is_finite() && b.is_finite())
        .collect();
    sorted.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
    let mut out: Vec<(f64, f64)> = Vec::new();
    for p in sorted {
        if out.last().is_none_or(|last| p.1 < last.1) {
            out.push(p);
        }
    }
    out
}

impl ParetoChart {
    /// The chart (None when no run has both values).
    pub fn of(results: &Results) -> Option<ParetoChart> {
        // One group per architecture whatever its policies: the marker
        // says the architecture, and a legend entry per policy set (35 in
        // future-improvements) would repeat each marker seven times.
        let mut architectures: Vec<Variant> = Vec::new();
        for v in &results.variants {
            let a = Variant {
                policy: "none".into(),
                ..v.clone()
            };
            if !architectures.contains(&a) {
                architectures.push(a);
            }
        }
        let mut groups: Vec<Group> = architectures
            .iter()
            .enumerate()
            .map(|(i, v)| Group {
                label: v.title(),
                style: style::variant_style(v, i),
                runs: Vec::new(),
            })
            .collect();
        let workload_keys: Vec<usize> = (0..results.swept_keys.len())
            .filter(|&i| results.swept_keys[i].starts_with("workload."))
            .collect();
        let mut workloads: Vec<(String, Vec<(f64, f64)>)> = Vec::new();
        for row in &results.runs.rows {
            let m = results.runs.get(row, "memory_mean_mb") / 1024.0;
            let p = results.runs.get(row, "latency_p99_ms");
            if !(m.is_finite() && p.is_finite() && m > 0.0 && p > 0.0) {
                continue;
            }
            let label: Vec<String> = workload_keys
                .iter()
                .filter_map(|&k| {
                    let v = results.points.get(row.point)?.get(k)?;
                    let key = results.swept_keys[k].trim_start_matches("workload.");
                    Some(format!("{key} = {}", super::data::compact_value(v)))
                })
                .collect();
            let label = label.join(", ");
            let w = match workloads.iter().position(|(l, _)| *l == label) {
                Some(w) => w,
                None => {
                    workloads.push((label, Vec::new()));
                    workloads.len() - 1
                }
            };
            workloads[w].1.push((m, p));
            let architecture = |v: &Variant| {
                v.architecture == row.variant.architecture
                    && v.runtime_wasm_compile == row.variant.runtime_wasm_compile
            };
            if let Some(i) = architectures.iter().position(architecture) {
                groups[i].runs.push((m, p, w));
            }
        }
        groups.retain(|g| !g.runs.is_empty());
        let frontiers = workloads
            .into_iter()
            .map(|(label, runs)| (label, frontier(&runs)))
            .collect();
        (!groups.is_empty()).then_some(ParetoChart { groups, frontiers })
    }

    pub fn title(&self) -> String {
        "Memory against p99 latency, every run".into()
    }

    pub fn size(&self) -> (u32, u32) {
        match self.frontiers.len() {
            0 | 1 => (1000, 680),
            n => (1400, 190 + n.div_ceil(COLUMNS) as u32 * 380),
        }
    }

    pub fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), DrawError> {
        let area = style::titled(
            root,
            &self.title(),
            "one marker per run (replication and sweep point); lower left is better",
        )?;
        let mut entries: Vec<LegendEntry> = self
            .groups
            .iter()
            .enumerate()
            .map(|(i, g)| LegendEntry {
                label: match self.hidden_under(i) {
                    Some(j) => format!(
                        "{} (same runs as {}, drawn under them)",
                        g.label, self.groups[j].label
                    ),
                    None => g.label.clone(),
                },
                mark: Mark::Point(g.style.shape, g.style.color),
            })
            .collect();
        entries.push(LegendEntry {
            label: if self.frontiers.len() > 1 {
                "Pareto frontier of the workload, ringed (no run of it has both less memory and a lower p99)"
                    .into()
            } else {
                "Pareto frontier, ringed (no run has both less memory and a lower p99)".into()
            },
            mark: Mark::Ring(BLACK),
        });
        let (w, _) = area.dim_in_pixel();
        let rows = style::legend_rows(&area, &entries, w as i32 - 20);
        let (legend, plot) = area.split_vertically(style::legend_height(rows));
        style::draw_legend(&legend, &entries)?;
        // One axis pair for all panels, so that workloads compare.
        let all: Vec<(f64, f64)> = self
            .groups
            .iter()
            .flat_map(|g| g.runs.iter().map(|r| (r.0, r.1)))
            .collect();
        let x = Axis::auto(
            &all.iter().map(|p| p.0).collect::<Vec<_>>(),
            Unit::Gb,
            20.0,
            false,
        );
        let y = Axis::auto(
            &all.iter().map(|p| p.1).collect::<Vec<_>>(),
            Unit::Ms,
            10.0,
            false,
        );
        if self.frontiers.len() <= 1 {
            return self.draw_panel(&plot, "", 0, &x, &y);
        }
        let cells = plot.split_evenly((self.frontiers.len().div_ceil(COLUMNS), COLUMNS));
        for (i, cell) in cells.iter().enumerate().take(self.frontiers.len()) {
            let caption = &self.frontiers[i].0;
            self.draw_panel(&cell.margin(4, 4, 6, 6), caption, i, &x, &y)?;
        }
        Ok(())
    }

    /// The runs of workload `workload` and its frontier.
    fn draw_panel<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        caption: &str,
        workload: usize,
        x: &Axis,
        y: &Axis,
    ) -> Result<(), DrawError> {
        let x_desc = if x.log {
            "fleet memory, time average (GB, log scale)"
        } else {
            "fleet memory, time average (GB)"
        };
        let y_desc = if y.log {
            "p99 latency (log scale)"
        } else {
            "p99 latency"
        };
        let mut chart = style::chart(area, caption, x, y, x_desc, y_desc)?;
        if let Some((_, frontier)) = self.frontiers.get(workload) {
            let mut steps: Vec<(f64, f64)> = Vec::new();
            for (i, &(m, p)) in frontier.iter().enumerate() {
                if i > 0 {
                    steps.push((x.pos(m), steps.last().map_or(y.pos(p), |s| s.1)));
                }
                steps.push((x.pos(m), y.pos(p)));
            }
            if steps.len() > 1 {
                chart.draw_series(std::iter::once(PathElement::new(
                    steps,
                    BLACK.stroke_width(2),
                )))?;
            }
        }
        for g in &self.groups {
            for &(m, p, w) in &g.runs {
                if w == workload {
                    let at = (x.pos(m), y.pos(p));
                    style::draw_marker(&mut chart, at, g.style.shape, 6, g.style.color)?;
                }
            }
        }
        // Rings, because a frontier whose runs sit close together (five
        // replications of one architecture) draws a line too short to see.
        if let Some((_, frontier)) = self.frontiers.get(workload) {
            chart.draw_series(frontier.iter().map(|&(m, p)| {
                Circle::new(
                    (x.pos(m), y.pos(p)),
                    style::RING_RADIUS,
                    BLACK.stroke_width(2),
                )
            }))?;
        }
        Ok(())
    }

    /// The group drawn after group `i` whose runs cover all of `i`'s
    /// exactly (Traditional and Hybrid when their requests take the same
    /// paths): the legend says so, or the reader looks for missing markers.
    fn hidden_under(&self, i: usize) -> Option<usize> {
        let covered = |j: usize| {
            self.groups[i]
                .runs
                .iter()
                .all(|r| self.groups[j].runs.contains(r))
        };
        (i + 1..self.groups.len()).rev().find(|&j| covered(j))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_frontier_keeps_only_undominated_points() {
        let pts = [
            (1.0, 150.0),
            (30.0, 1100.0),
            (25.0, 150.0),
            (0.5, 160.0),
            (32.0, 2200.0),
            (f64::NAN, 1.0),
            (26.0, 140.0),
        ];
        assert_eq!(
            frontier(&pts),
            vec![(0.5, 160.0), (1.0, 150.0), (26.0, 140.0)]
        );
        assert!(frontier(&[]).is_empty());
    }
}
