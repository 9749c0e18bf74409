//! A capacity plan's outputs: the table `dofleet plan` prints, `plan.csv`
//! (one row per sweep point and architecture: the answer and its figures)
//! and `plan_evaluations.csv` (every candidate the search evaluated).
//!
//! Numbers are written in Rust's shortest round-trip form, as in
//! `summary.csv`; a missing answer is an empty field.

use std::io;
use std::path::Path;

use super::export::csv::number;
use super::table::{format_ms, markdown};
use crate::atomic_write::write_atomically;
use crate::planner::{Bound, Evaluation, Plan, PlanRow};

fn swept_keys(plan: &Plan) -> Vec<String> {
    plan.rows
        .first()
        .map(|r| r.swept.iter().map(|(k, _)| k.clone()).collect())
        .unwrap_or_default()
}

fn id_cells(row: &PlanRow) -> Vec<String> {
    let mut cells = vec![row.architecture.clone(), row.policy.clone()];
    cells.extend(row.swept.iter().map(|(_, v)| v.clone()));
    cells
}

fn slo_header(plan: &Plan) -> Vec<String> {
    plan.slos
        .iter()
        .flat_map(|s| [format!("{}_mean", s.metric), format!("{}_bound", s.metric)])
        .collect()
}

fn slo_cells(e: Option<&Evaluation>, n: usize) -> Vec<String> {
    match e {
        Some(e) => e
            .slos
            .iter()
            .flat_map(|s| [number(s.mean), number(s.bound)])
            .collect(),
        None => vec![String::new(); 2 * n],
    }
}

fn to_bytes(header: Vec<String>, rows: Vec<Vec<String>>) -> io::Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(&header)?;
    for r in rows {
        w.write_record(&r)?;
    }
    w.into_inner().map_err(|e| e.into_error())
}

/// The contents of `plan.csv`.
pub fn plan_csv(plan: &Plan) -> io::Result<Vec<u8>> {
    let mut header: Vec<String> = vec!["architecture".into(), "policy".into()];
    header.extend(swept_keys(plan));
    header.extend(
        [
            "search",
            "value",
            "met",
            "slo",
            "confidence",
            "replications",
        ]
        .map(String::from),
    );
    header.extend(slo_header(plan));
    header.extend(["cost_usd_month", "evaluations", "notes"].map(String::from));
    let slo_text: Vec<String> = plan.slos.iter().map(|s| s.text.clone()).collect();
    let rows = plan
        .rows
        .iter()
        .map(|row| {
            let at = row.at_answer();
            let mut cells = id_cells(row);
            cells.push(plan.dimension.key().into());
            cells.push(row.answer.map(|v| v.to_string()).unwrap_or_default());
            cells.push(row.answer.is_some().to_string());
            cells.push(slo_text.join(" and "));
            // One replication gives no confidence: none is written.
            cells.push(if plan.replications < 2 {
                String::new()
            } else {
                number(plan.confidence)
            });
            cells.push(plan.replications.to_string());
            cells.extend(slo_cells(at, plan.slos.len()));
            cells.push(at.map_or(String::new(), |e| number(e.cost_usd_month)));
            cells.push(row.evaluations.len().to_string());
            cells.push(row.notes.join("; "));
            cells
        })
        .collect();
    to_bytes(header, rows)
}

/// The contents of `plan_evaluations.csv`.
pub fn evaluations_csv(plan: &Plan) -> io::Result<Vec<u8>> {
    let mut header: Vec<String> = vec!["architecture".into(), "policy".into()];
    header.extend(swept_keys(plan));
    header.push(plan.dimension.key().into());
    header.push("met".into());
    header.extend(slo_header(plan));
    header.push("cost_usd_month".into());
    let mut rows = Vec::new();
    for row in &plan.rows {
        for e in &row.evaluations {
            let mut cells = id_cells(row);
            cells.push(e.value.to_string());
            cells.push(e.met.to_string());
            cells.extend(slo_cells(Some(e), plan.slos.len()));
            cells.push(number(e.cost_usd_month));
            rows.push(cells);
        }
    }
    to_bytes(header, rows)
}

/// Writes `plan.csv` and `plan_evaluations.csv` into `dir` (each atomically).
pub fn write_plan(plan: &Plan, dir: &Path) -> io::Result<()> {
    std::fs::create_dir_all(dir)?;
    write_atomically(&dir.join("plan.csv"), &plan_csv(plan)?)?;
    write_atomically(&dir.join("plan_evaluations.csv"), &evaluations_csv(plan)?)
}

/// An objective's value: a duration for `_ms` metrics, else 4 decimals.
pub(super) fn format_value(metric: &str, x: f64) -> String {
    if metric.ends_with("_ms") {
        format_ms(x)
    } else if x.is_finite() {
        format!("{x:.4}")
    } else {
        "-".into()
    }
}

/// The plan as the terminal shows it: a Markdown table, then the notes.
pub fn plan_table(plan: &Plan) -> String {
    let key = plan.dimension.key();
    let single = plan.replications < 2;
    let bound = format!("{:.0}%", plan.confidence * 100.0);
    let mut header: Vec<String> = vec!["architecture".into(), "policy".into()];
    header.extend(swept_keys(plan));
    header.push(format!("smallest {key}"));
    header.extend(plan.slos.iter().map(|s| {
        if single {
            format!("{} (one run)", s.metric)
        } else {
            let side = match s.bound {
                Bound::AtMost => "upper",
                Bound::AtLeast => "lower",
            };
            format!("{} (mean, {bound} {side} bound)", s.metric)
        }
    }));
    header.extend(["cost/month".into(), "evaluations".into()]);
    let rows: Vec<Vec<String>> = plan
        .rows
        .iter()
        .map(|row| {
            let at = row.at_answer();
            let mut cells = id_cells(row);
            cells.push(row.answer.map_or("not met".into(), |v| v.to_string()));
            for (j, slo) in plan.slos.iter().enumerate() {
                cells.push(at.map_or("-".into(), |e| {
                    if single {
                        format_value(slo.metric, e.slos[j].mean)
                    } else {
                        format!(
                            "{}, {}",
                            format_value(slo.metric, e.slos[j].mean),
                            format_value(slo.metric, e.slos[j].bound)
                        )
                    }
                }));
            }
            // A cost only for a fleet that meets the objectives.
            cells.push(at.map_or("-".into(), |e| super::format_usd(e.cost_usd_month)));
            cells.push(row.evaluations.len().to_string());
            cells
        })
        .collect();
    let slos: Vec<&str> = plan.slos.iter().map(|s| s.text.as_str()).collect();
    let mut out = if single {
        format!(
            "Smallest {key} meeting {} on single values (one replication: no confidence \
             can be claimed; set replications >= 2 for one)\n\n",
            slos.join(" and ")
        )
    } else {
        format!(
            "Smallest {key} meeting {} (one-sided {bound} confidence over {} replications)\n\n",
            slos.join(" and "),
            plan.replications
        )
    };
    out.push_str(&markdown(&header, &rows));
    let notes: Vec<String> = plan
        .rows
        .iter()
        .flat_map(|row| {
            let who = id_cells(row).join(" ");
            row.notes.iter().map(move |n| format!("- {who}: {n}"))
        })
        .collect();
    if !notes.is_empty() {
        out.push_str("\nNotes:\n");
        for n in notes {
            out.push_str(&n);
            out.push('\n');
        }
    }
    out
}
