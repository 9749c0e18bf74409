//! One cold start per architecture, simulated: the seed's request-flow
//! diagram as a timeline. Each panel shows a DO's start phases (isolate
//! start, then the load's phases from its `StartPlan` spans, parallel ones
//! on a second lane) and every request to that tenant while it starts, as a
//! bar from its arrival at the DO to its response, coloured by where it ran
//! (queued behind the start, delegated, local).
//!
//! It draws what the run observed ([`crate::experiment::ObservedTimeline`]):
//! every panel follows the same tenant, whose arrivals are the same in every
//! architecture (common random numbers).

use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::data::Variant;
use super::style::{self, okabe_ito, Axis, LegendEntry, Mark, Unit};
use super::DrawError;
use crate::architectures::{LoadOutcome, Phase};
use crate::experiment::{ObservedTimeline, Trace};
use crate::metrics::Path;
use crate::report::format_ms;
use crate::time::to_ms;

/// Requests shown per panel, at most; and after the DO settles (ready,
/// failed, or started for thin).
const MAX_SHOWN: usize = 12;
const AFTER_SETTLED: usize = 3;

/// A bar of a start phase, in ms since the start.
#[derive(Debug, Clone)]
struct Span {
    name: &'static str,
    color: RGBColor,
    from: f64,
    to: f64,
    lane: usize,
}

/// A request bar, in ms since the start.
#[derive(Debug, Clone)]
struct Request {
    ordinal: u32,
    arrival: f64,
    done: f64,
    path: Path,
}

/// One architecture's panel.
#[derive(Debug, Clone)]
struct Panel {
    caption: String,
    spans: Vec<Span>,
    lanes: usize,
    /// When the load ended, and whether it succeeded.
    settled: Option<(f64, bool)>,
    /// The requests recorded, by arrival.
    requests: Vec<Request>,
    /// How many of them to show: those before the DO settled and a few
    /// more.
    wanted: usize,
}

/// The cold-start timelines of one point.
#[derive(Debug, Clone)]
pub struct TimelineChart {
    subtitle: String,
    panels: Vec<Panel>,
    /// The x range, ms.
    end: f64,
}

fn phase_style(phase: Phase) -> (&'static str, RGBColor) {
    match phase {
        Phase::CacheCheck => ("cache check", okabe_ito::YELLOW),
        Phase::R2Fetch => ("R2 fetch", okabe_ito::SKY_BLUE),
        Phase::DataRead => ("data read", okabe_ito::BLUE),
        Phase::WasmCompile => ("WASM compile", okabe_ito::REDDISH_PURPLE),
        Phase::LoaderIsolateStart => ("loader isolate start", RGBColor(0xE8, 0xC6, 0xDA)),
        Phase::LoaderCompile => ("loader compile", RGBColor(0x88, 0x22, 0x55)),
        Phase::PgliteInit => ("PGLite init", RGBColor(0x55, 0x55, 0x55)),
    }
}

fn path_style(path: Path) -> (&'static str, RGBColor) {
    match path {
        Path::Local => ("request served locally", okabe_ito::BLUISH_GREEN),
        Path::Delegated => ("request delegated", okabe_ito::ORANGE),
        Path::Queued => ("request queued behind the start", okabe_ito::VERMILLION),
    }
}

const ISOLATE: &str = "isolate start";
const ISOLATE_COLOR: RGBColor = RGBColor(0xBB, 0xBB, 0xBB);

impl Panel {
    fn of(title: &str, trace: &Trace) -> Panel {
        let isolate = to_ms(trace.plan.isolate);
        let mut spans = vec![Span {
            name: ISOLATE,
            color: ISOLATE_COLOR,
            from: 0.0,
            to: isolate,
            lane: 0,
        }];
        let mut lane_ends = vec![isolate];
        if let Some(load) = &trace.plan.load {
            for s in load.spans.as_slice() {
                let (name, color) = phase_style(s.phase);
                let (from, to) = (isolate + to_ms(s.start), isolate + to_ms(s.end));
                let lane = match lane_ends.iter().position(|&e| e <= from + 1e-9) {
                    Some(l) => l,
                    None => {
                        lane_ends.push(0.0);
                        lane_ends.len() - 1
                    }
                };
                lane_ends[lane] = to;
                spans.push(Span {
                    name,
                    color,
                    from,
                    to,
                    lane,
                });
            }
        }
        let settled = trace
            .plan
            .load
            .map(|l| (isolate + to_ms(l.duration), l.outcome == LoadOutcome::Ready));
        let settle_at = settled.map_or(isolate, |s| s.0);
        let mut all: Vec<Request> = trace
            .requests
            .iter()
            .map(|r| Request {
                ordinal: r.ordinal,
                arrival: to_ms(r.arrival.saturating_sub(trace.start)),
                done: to_ms(r.done.saturating_sub(trace.start)),
                path: r.path,
            })
            .collect();
        all.sort_by(|a, b| a.arrival.total_cmp(&b.arrival));
        let before = all.iter().filter(|r| r.arrival < settle_at).count();
        let wanted = (before + AFTER_SETTLED).min(MAX_SHOWN);
        let caption = match (trace.plan.load, settled) {
            (None, _) => format!("{title}: no load, every request delegated"),
            (Some(_), Some((t, true))) if trace.plan.blocking => format!(
                "{title}: ready after {}; requests wait in the constructor",
                format_ms(t)
            ),
            (Some(_), Some((t, true))) => {
                // What the requests before the load's end did: with the
                // isolate model, its CPU work holds the thread and they wait.
                let early = all.iter().filter(|r| r.arrival < t);
                let (delegated, queued) = early.fold((0, 0), |(d, q), r| match r.path {
                    Path::Delegated => (d + 1, q),
                    Path::Queued => (d, q + 1),
                    Path::Local => (d, q),
                });
                let what = match (delegated, queued) {
                    (_, 0) => "requests delegated until then",
                    (0, _) => "requests wait for it (its CPU work holds the DO's thread)",
                    _ => "requests delegated until its CPU work holds the thread, then wait",
                };
                format!("{title}: ready after {}; {what}", format_ms(t))
            }
            (Some(_), _) => format!(
                "{title}: load failed after {} (compile blocked); delegates for the rest of its life",
                format_ms(settle_at)
            ),
        };
        Panel {
            caption,
            spans,
            lanes: lane_ends.len(),
            settled,
            requests: all,
            wanted,
        }
    }

    fn rows(&self) -> usize {
        self.lanes + self.requests.len()
    }

    fn end(&self) -> f64 {
        let last = self.requests.iter().map(|r| r.done).fold(0.0, f64::max);
        let spans = self.spans.iter().map(|s| s.to).fold(0.0, f64::max);
        last.max(spans)
    }
}

impl TimelineChart {
    /// The chart of what a point's run observed (None without a panel).
    pub fn of(observed: &ObservedTimeline, point_label: String) -> Option<Self> {
        let tenant = observed.tenant;
        let mut panels: Vec<Panel> = observed
            .lives
            .iter()
            .map(|(variant, trace)| {
                let v = Variant {
                    architecture: variant.architecture.name().into(),
                    policy: "none".into(),
                    runtime_wasm_compile: variant.runtime_wasm_compile.name().into(),
                };
                Panel::of(&v.title(), trace)
            })
            .collect();
        // The same requests in every panel, so that rows line up.
        let shown = panels.iter().map(|p| p.wanted).max().unwrap_or(0);
        for p in &mut panels {
            p.requests.truncate(shown);
        }
        let end = panels.iter().map(Panel::end).fold(0.0, f64::max).max(1.0) * 1.03;
        let rank = u64::from(tenant) + 1;
        let mut subtitle = format!(
            "the tenant of popularity rank {rank} from its first request; \
             a request's bar runs from its arrival at the DO to its response"
        );
        if !point_label.is_empty() {
            subtitle = format!("{point_label}; {subtitle}");
        }
        (!panels.is_empty()).then_some(TimelineChart {
            subtitle,
            panels,
            end,
        })
    }

    pub fn title(&self) -> String {
        "One cold start per architecture: phases and where each request ran".into()
    }

    pub fn size(&self) -> (u32, u32) {
        let rows: usize = self.panels.iter().map(Panel::rows).sum();
        let height = 150 + self.panels.len() * 78 + rows * 19;
        (1200, height.min(4000) as u32)
    }

    fn legend(&self) -> Vec<LegendEntry> {
        let mut entries: Vec<LegendEntry> = Vec::new();
        let mut seen: Vec<&str> = Vec::new();
        for s in self.panels.iter().flat_map(|p| &p.spans) {
            if !seen.contains(&s.name) {
                seen.push(s.name);
                entries.push(LegendEntry {
                    label: s.name.into(),
                    mark: Mark::Block(s.color),
                });
            }
        }
        for path in Path::ALL {
            if self
                .panels
                .iter()
                .any(|p| p.requests.iter().any(|r| r.path == path))
            {
                let (name, color) = path_style(path);
                entries.push(LegendEntry {
                    label: name.into(),
                    mark: Mark::Block(color),
                });
            }
        }
        entries.push(LegendEntry {
            label: "load done (ready or failed)".into(),
            mark: Mark::Line(BLACK, true),
        });
        entries
    }

    pub fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), DrawError> {
        let area = style::titled(root, &self.title(), &self.subtitle)?;
        let entries = self.legend();
        let (w, h) = area.dim_in_pixel();
        let rows = style::legend_rows(&area, &entries, w as i32 - 20);
        let (legend, mut rest) = area.split_vertically(style::legend_height(rows));
        style::draw_legend(&legend, &entries)?;
        let total: usize = self.panels.iter().map(|p| p.rows() + 4).sum();
        let avail = h as i32 - style::legend_height(rows);
        let x = Axis::linear(0.0, self.end, Unit::Ms, 10, true);
        for (i, panel) in self.panels.iter().enumerate() {
            let last = i + 1 == self.panels.len();
            let share = (panel.rows() + 4) as i32 * avail / total.max(1) as i32;
            let (this, below) = if last {
                let (_, hh) = rest.dim_in_pixel();
                rest.split_vertically(hh as i32)
            } else {
                rest.split_vertically(share)
            };
            self.draw_panel(&this, panel, &x, last)?;
            rest = below;
        }
        Ok(())
    }

    fn draw_panel<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        panel: &Panel,
        x: &Axis,
        last: bool,
    ) -> Result<(), DrawError> {
        let rows = panel.rows();
        // Row r (0 at the top) sits at y = rows - 1 - r.
        let row_y = |r: usize| (rows - 1 - r) as f64;
        let mut labels: Vec<String> = (0..panel.lanes)
            .map(|l| if l == 0 { "DO start" } else { "(parallel)" }.to_string())
            .collect();
        labels.extend(
            panel
                .requests
                .iter()
                .map(|r| format!("request {}", r.ordinal)),
        );
        let positions: Vec<f64> = (0..rows).map(row_y).collect();
        let y = Axis::custom(-0.6, rows as f64 - 0.4, positions, labels, false);
        let x_desc = if last {
            "time since the tenant's first request reached its DO"
        } else {
            ""
        };
        let mut chart = style::chart(area, &panel.caption, x, &y, x_desc, "")?;
        for s in &panel.spans {
            let yc = row_y(s.lane);
            let to = s.to.max(s.from + self.end * 0.004);
            chart.draw_series(std::iter::once(Rectangle::new(
                [(s.from, yc - 0.38), (to, yc + 0.38)],
                s.color.filled(),
            )))?;
        }
        for (i, r) in panel.requests.iter().enumerate() {
            let yc = row_y(panel.lanes + i);
            let (_, color) = path_style(r.path);
            // A local request takes well under a millisecond: keep it visible.
            let to = r.done.max(r.arrival + self.end * 0.006);
            chart.draw_series(std::iter::once(Rectangle::new(
                [(r.arrival, yc - 0.3), (to, yc + 0.3)],
                color.filled(),
            )))?;
        }
        if let Some((t, ok)) = panel.settled {
            chart.draw_series(std::iter::once(DashedPathElement::new(
                vec![(t, y.lo), (t, y.hi)],
                6,
                4,
                BLACK.stroke_width(2),
            )))?;
            let label = if ok { "ready" } else { "load failed" };
            let right = t > x.lo + (x.hi - x.lo) * 0.85;
            let anchor = if right { HPos::Right } else { HPos::Left };
            let dx = (x.hi - x.lo) * 0.005 * if right { -1.0 } else { 1.0 };
            chart.draw_series(std::iter::once(Text::new(
                label,
                (t + dx, y.hi),
                style::bold(style::TICK).pos(Pos::new(anchor, VPos::Top)),
            )))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::experiment::config::load_default;
    use crate::simulation::RunIdentity;

    #[test]
    fn follows_one_tenant_through_every_architecture() {
        let config = load_default().unwrap();
        let id = RunIdentity {
            seed: config.seed,
            replication: 0,
        };
        let observed = crate::experiment::observe_timeline(&config, id).unwrap();
        let chart = TimelineChart::of(&observed, String::new()).unwrap();
        assert_eq!(chart.panels.len(), config.architectures.len());
        for p in &chart.panels {
            assert!(!p.requests.is_empty(), "{}", p.caption);
            assert_eq!(p.requests[0].ordinal, 1, "{}", p.caption);
            assert_eq!(p.requests[0].arrival, 0.0);
            assert!(p.requests.len() <= MAX_SHOWN);
            assert!(p.spans.iter().all(|s| s.from <= s.to));
        }
        // Same arrivals in every panel (common random numbers).
        let arrivals = |p: &Panel| p.requests.iter().map(|r| r.arrival).collect::<Vec<_>>();
        let first = arrivals(&chart.panels[0]);
        for p in &chart.panels[1..] {
            let a = arrivals(p);
            let n = a.len().min(first.len());
            assert_eq!(a[..n], first[..n]);
        }
        // Traditional queues its early requests; thin delegates them all.
        assert!(chart.panels[0]
            .requests
            .iter()
            .any(|r| r.path == Path::Queued));
        assert!(chart.panels[2]
            .requests
            .iter()
            .all(|r| r.path == Path::Delegated));
    }
}
