//! A sensitivity analysis as the terminal shows it (one table per metric,
//! then whether rankings and verdicts flip), as `sensitivity.csv` and as
//! JSON.
//!
//! Invariants: renders a [`Sensitivity`] and computes nothing of its own
//! beyond formatting; assumptions in a table are ordered by their largest
//! swing (widest first), the base row first; the CSV and the JSON hold the
//! same (assumption, row, metric) values, unrounded.

use super::decision::format_usd;
use super::plan_out;
use super::plots::style::Unit;
use super::plots::tornado::{Panel, TornadoChart};
use super::plots::{Chart, NamedChart};
use super::table::{markdown, title};
use crate::experiment::ResultRow;
use crate::metrics::METRICS;
use crate::planner::Answer;
use crate::sensitivity::{Outcome, Sensitivity, Side, Swing};

/// A metric's value as the tables show it: dollars for costs.
fn format_value(metric: &str, x: f64) -> String {
    if metric.contains("usd") {
        format_usd(x)
    } else {
        plan_out::format_value(metric, x)
    }
}

/// A row's name: its title, with its policies when it has some.
pub fn row_name(row: &ResultRow) -> String {
    if row.policy == "none" || row.policy.is_empty() {
        title(row)
    } else {
        format!("{} + {}", title(row), row.policy)
    }
}

/// A range's end as a reader wants it: `20ms-50ms` for a uniform
/// distribution, the value without quotes otherwise.
pub fn compact_value(value: &str) -> String {
    if let Ok(toml::Value::Table(t)) = format!("v = {value}")
        .parse::<toml::Table>()
        .map(|mut t| t.remove("v").unwrap_or(toml::Value::Boolean(false)))
    {
        let get = |k: &str| t.get(k).and_then(|v| v.as_str()).unwrap_or("?");
        if get("dist") == "uniform" {
            return format!("{}-{}", get("min"), get("max"));
        }
    }
    value.trim_matches('"').to_string()
}

/// The widest swing of `varied` over the rows of `point`, for `metric`.
fn widest(swings: &[Swing], varied: usize, metric: usize) -> f64 {
    swings
        .iter()
        .filter(|s| s.varied == varied && s.metric == metric && s.width().is_finite())
        .map(Swing::width)
        .fold(0.0, f64::max)
}

/// The assumptions that ran, widest swing of `metric` first.
pub fn by_swing(s: &Sensitivity, swings: &[Swing], metric: usize) -> Vec<usize> {
    let mut order: Vec<usize> = (0..s.varied.len())
        .filter(|&i| matches!(s.varied[i].outcome, Outcome::Ran { .. }))
        .collect();
    order.sort_by(|&a, &b| {
        widest(swings, b, metric)
            .total_cmp(&widest(swings, a, metric))
            .then(a.cmp(&b))
    });
    order
}

fn point_label(s: &Sensitivity, point: usize) -> String {
    s.experiment.points[point]
        .swept
        .iter()
        .map(|(k, v)| format!("{k} = {v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The terminal's text: per point and metric, a table of the metric at
/// each end of each range; then the assumptions not varied, the ranking
/// flips and the verdict flips.
pub fn sensitivity_text(s: &Sensitivity) -> String {
    let swings = s.swings();
    let reps = s.base.rows.iter().map(|r| r.runs.len()).min().unwrap_or(0);
    let mut out = format!(
        "Sensitivity of {} to its assumed parameters: each moved to the low, then the high end \
         of its range (models/assumptions.toml), one at a time, with the same seeds; \
         means over {reps} replication{}\n",
        s.experiment.name,
        if reps == 1 { "" } else { "s" }
    );
    for point in 0..s.points() {
        let rows = s.rows_of(point);
        let label = point_label(s, point);
        for &metric in &s.metrics {
            let name = METRICS[metric].name;
            out.push_str(&format!(
                "\n{}{name} ({}): at low / at high; widest swing first\n\n",
                if label.is_empty() {
                    String::new()
                } else {
                    format!("At {label}: ")
                },
                METRICS[metric].description
            ));
            let mut header = vec!["assumption".to_string(), "range (low / high)".into()];
            header.extend(rows.iter().map(|&r| row_name(&s.base.rows[r])));
            header.push("widest swing".into());
            let mut table = vec![{
                let mut cells = vec!["(as in the experiment)".to_string(), String::new()];
                cells
                    .extend(rows.iter().map(|&r| {
                        format_value(name, crate::sensitivity::mean(&s.base, r, metric))
                    }));
                cells.push(String::new());
                cells
            }];
            for i in by_swing(s, &swings, metric) {
                let a = &s.varied[i].assumption;
                let mut cells = vec![
                    a.key.clone(),
                    format!("{} / {}", compact_value(&a.low), compact_value(&a.high)),
                ];
                let mut widest_here = 0.0f64;
                for &r in &rows {
                    let sw = swings
                        .iter()
                        .find(|w| w.varied == i && w.row == r && w.metric == metric);
                    cells.push(sw.map_or("-".into(), |w| {
                        if w.width().is_finite() {
                            widest_here = widest_here.max(w.width());
                        }
                        format!(
                            "{} / {}",
                            format_value(name, w.low),
                            format_value(name, w.high)
                        )
                    }));
                }
                cells.push(format_value(name, widest_here));
                table.push(cells);
            }
            out.push_str(&markdown(&header, &table));
        }
    }
    let skipped: Vec<String> = s
        .varied
        .iter()
        .filter_map(|v| match &v.outcome {
            Outcome::Skipped(why) => Some(format!("{} ({why})", v.assumption.key)),
            Outcome::Ran { .. } => None,
        })
        .collect();
    if !skipped.is_empty() {
        out.push_str(&format!(
            "\nNot varied (cannot change these results): {}.\n",
            skipped.join("; ")
        ));
    }
    out.push_str(&flips_text(s));
    out
}

/// Whether the ranking of architectures, or the verdicts, flip ("comes
/// before": a lower mean).
pub fn flips_text(s: &Sensitivity) -> String {
    let mut out = String::from(
        "\nRanking of architectures (by each metric's mean; means within 1% of each other \
         or within a 95% interval are ties, not an order):\n",
    );
    let flips = s.rank_flips();
    if flips.is_empty() {
        out.push_str(
            "- no flip anywhere in the ranges: the order by every metric is the base's.\n",
        );
    }
    for f in &flips {
        let v = &s.varied[f.varied].assumption;
        let name = METRICS[f.metric].name;
        let m = |r: &crate::experiment::ExperimentResults, row: usize| {
            format_value(name, crate::sensitivity::mean(r, row, f.metric))
        };
        let at = s.varied[f.varied].at(f.side).unwrap_or(&s.base);
        let label = point_label(s, f.point);
        out.push_str(&format!(
            "- {name}{}: at {} = {} ({}), {} ({}) now comes before {} ({}); at the base {} came first ({} vs {}).\n",
            if label.is_empty() { String::new() } else { format!(" at {label}") },
            v.key,
            f.side.name(),
            compact_value(v.value(f.side)),
            row_name(&s.base.rows[f.b]),
            m(at, f.b),
            row_name(&s.base.rows[f.a]),
            m(at, f.a),
            row_name(&s.base.rows[f.a]),
            m(&s.base, f.a),
            m(&s.base, f.b),
        ));
    }
    let (base, verdict_flips) = s.verdict_flips();
    let Some(base) = base else {
        out.push_str("\nVerdicts: no objectives given (--slo or [slo]), none compared.\n");
        return out;
    };
    let slos: Vec<&str> = s.slos.iter().map(|o| o.text.as_str()).collect();
    out.push_str(&format!(
        "\nVerdicts against {} ({:.0}% one-sided confidence):\n",
        slos.join(" and "),
        s.confidence * 100.0
    ));
    if verdict_flips.is_empty() {
        out.push_str("- no verdict changes anywhere in the ranges.\n");
    }
    for f in &verdict_flips {
        let v = &s.varied[f.varied].assumption;
        out.push_str(&format!(
            "- at {} = {} ({}): {} {} (base: {}).\n",
            v.key,
            f.side.name(),
            compact_value(v.value(f.side)),
            row_name(&s.base.rows[f.row]),
            f.now.name(),
            f.base.name()
        ));
    }
    for (i, v) in s.varied.iter().enumerate() {
        for side in Side::BOTH {
            let Some(now) = s.decision_at(i, side) else {
                continue;
            };
            for (p, (b, n)) in base.answers.iter().zip(&now.answers).enumerate() {
                if b != n {
                    let label = point_label(s, p);
                    out.push_str(&format!(
                        "- the answer{} changes at {} = {} ({}): {} (base: {}).\n",
                        if label.is_empty() {
                            String::new()
                        } else {
                            format!(" at {label}")
                        },
                        v.assumption.key,
                        side.name(),
                        compact_value(v.assumption.value(side)),
                        answer_name(s, n),
                        answer_name(s, b)
                    ));
                }
            }
        }
    }
    out
}

fn answer_name(s: &Sensitivity, answer: &Answer) -> String {
    match answer {
        Answer::Decided(r) => row_name(&s.base.rows[*r]),
        Answer::Undecided { .. } => "undecided".into(),
        Answer::NoneMeets => "none meets".into(),
    }
}

/// `sensitivity.csv`: one line per (assumption, row, metric) that ran.
pub fn sensitivity_csv(s: &Sensitivity) -> std::io::Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let keys: Vec<String> = s
        .experiment
        .points
        .first()
        .map(|p| p.swept.iter().map(|(k, _)| k.clone()).collect())
        .unwrap_or_default();
    let mut header: Vec<String> = vec!["assumption".into(), "low".into(), "high".into()];
    header.extend(keys);
    header.extend(
        [
            "architecture",
            "metric",
            "base",
            "at_low",
            "at_high",
            "swing",
        ]
        .iter()
        .map(|s| s.to_string()),
    );
    w.write_record(&header)?;
    for sw in s.swings() {
        let a = &s.varied[sw.varied].assumption;
        let row = &s.base.rows[sw.row];
        let mut cells = vec![a.key.clone(), a.low.clone(), a.high.clone()];
        cells.extend(
            s.experiment.points[row.point]
                .swept
                .iter()
                .map(|(_, v)| v.clone()),
        );
        cells.push(row_name(row));
        cells.push(METRICS[sw.metric].name.to_string());
        cells.extend([sw.base, sw.low, sw.high, sw.width()].map(|x| x.to_string()));
        w.write_record(&cells)?;
    }
    w.into_inner().map_err(|e| e.into_error())
}

/// The analysis as JSON: the base, every assumption (with its outcome and
/// its swings), the ranking flips and the verdict flips.
pub fn sensitivity_json(s: &Sensitivity) -> String {
    use serde_json::{json, Value};
    let swings = s.swings();
    let num = |x: f64| if x.is_finite() { json!(x) } else { Value::Null };
    let rows: Vec<Value> = s
        .base
        .rows
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let metrics: serde_json::Map<String, Value> = s
                .metrics
                .iter()
                .map(|&m| {
                    (
                        METRICS[m].name.to_string(),
                        num(crate::sensitivity::mean(&s.base, i, m)),
                    )
                })
                .collect();
            json!({
                "row": i,
                "point": s.experiment.points[r.point].swept.iter().map(|(k, v)| (k.clone(), json!(v))).collect::<serde_json::Map<_, _>>(),
                "architecture": row_name(r),
                "base": metrics,
            })
        })
        .collect();
    let assumptions: Vec<Value> = s
        .varied
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let a = &v.assumption;
            let (skipped, items) = match &v.outcome {
                Outcome::Skipped(why) => (json!(why), Vec::new()),
                Outcome::Ran { .. } => (
                    Value::Null,
                    swings
                        .iter()
                        .filter(|w| w.varied == i)
                        .map(|w| {
                            json!({
                                "row": w.row,
                                "metric": METRICS[w.metric].name,
                                "base": num(w.base),
                                "low": num(w.low),
                                "high": num(w.high),
                                "swing": num(w.width()),
                            })
                        })
                        .collect(),
                ),
            };
            json!({
                "key": a.key, "low": a.low, "high": a.high, "reason": a.reason,
                "skipped": skipped, "swings": items,
            })
        })
        .collect();
    let rank_flips: Vec<Value> = s
        .rank_flips()
        .iter()
        .map(|f| {
            json!({
                "assumption": s.varied[f.varied].assumption.key, "side": f.side.name(),
                "metric": METRICS[f.metric].name,
                "above": f.a, "below": f.b,
            })
        })
        .collect();
    let verdict_flips: Vec<Value> = s
        .verdict_flips()
        .1
        .iter()
        .map(|f| {
            json!({
                "assumption": s.varied[f.varied].assumption.key, "side": f.side.name(),
                "row": f.row, "base": f.base.name(), "now": f.now.name(),
            })
        })
        .collect();
    let doc = json!({
        "experiment": s.experiment.name,
        "objectives": s.slos.iter().map(|o| o.text.clone()).collect::<Vec<_>>(),
        "rows": rows,
        "assumptions": assumptions,
        "rank_flips": rank_flips,
        "verdict_flips": verdict_flips,
    });
    let mut text = serde_json::to_string_pretty(&doc).unwrap_or_default();
    text.push('\n');
    text
}

/// The tornado charts: one per (point, metric), named
/// `tornado-METRIC[-pN]`.
pub fn tornado_charts(s: &Sensitivity) -> Vec<NamedChart> {
    let swings = s.swings();
    let mut out = Vec::new();
    for point in 0..s.points() {
        let label = point_label(s, point);
        for &metric in &s.metrics {
            let name = METRICS[metric].name;
            let order = by_swing(s, &swings, metric);
            if order.is_empty() {
                continue;
            }
            let (unit, axis_name) = if name.ends_with("_ms") {
                (Unit::Ms, name.to_string())
            } else if name.contains("usd") {
                (Unit::Usd, format!("{name} (USD a month)"))
            } else if name.ends_with("_fraction") || name.ends_with("_ratio") {
                (Unit::Percent, name.to_string())
            } else {
                (Unit::Plain, name.to_string())
            };
            let panels = s
                .rows_of(point)
                .into_iter()
                .map(|r| Panel {
                    name: row_name(&s.base.rows[r]),
                    base: crate::sensitivity::mean(&s.base, r, metric),
                    ends: order
                        .iter()
                        .map(|&i| {
                            swings
                                .iter()
                                .find(|w| w.varied == i && w.row == r && w.metric == metric)
                                .map_or((f64::NAN, f64::NAN), |w| (w.low, w.high))
                        })
                        .collect(),
                })
                .collect();
            let labels = order
                .iter()
                .map(|&i| {
                    let a = &s.varied[i].assumption;
                    format!(
                        "{} ({} / {})",
                        a.key,
                        compact_value(&a.low),
                        compact_value(&a.high)
                    )
                })
                .collect();
            let subtitle = format!(
                "{}{}: means over replications, same seeds; each assumption moved alone",
                s.experiment.name,
                if label.is_empty() {
                    String::new()
                } else {
                    format!(", {label}")
                }
            );
            let suffix = if s.points() > 1 {
                format!("-p{}", point + 1)
            } else {
                String::new()
            };
            out.push(NamedChart {
                stem: format!("tornado-{name}{suffix}"),
                chart: Chart::Tornado(TornadoChart {
                    metric: name.to_string(),
                    subtitle,
                    labels,
                    unit,
                    axis_name,
                    panels,
                }),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_read_compactly() {
        assert_eq!(
            compact_value("{ dist = \"uniform\", max = \"50ms\", min = \"20ms\" }"),
            "20ms-50ms"
        );
        assert_eq!(compact_value("\"10s\""), "10s");
        assert_eq!(compact_value("0.5"), "0.5");
    }
}
