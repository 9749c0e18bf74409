//! The decision as the terminal shows it: each architecture's verdict
//! against the objectives with its monthly cost, and a one-line answer per
//! sweep point (the cheapest architecture that meets every objective).
//!
//! Invariants: the table renders a [`Decision`] and never judges itself;
//! with one replication it says that no confidence can be claimed.

use super::plan_out::format_value;
use super::table::{markdown, title};
use crate::experiment::{Experiment, ExperimentResults, Stat};
use crate::planner::{Answer, Bound, Decision, Verdict};

/// Dollars with thousands separators: `$2,796`, `$0.42` below $10.
pub fn format_usd(usd: f64) -> String {
    if !usd.is_finite() {
        return "-".into();
    }
    if usd.abs() < 10.0 {
        return format!("${usd:.2}");
    }
    let grouped = super::plots::grouped(&format!("{:.0}", usd.abs()));
    format!("{}${grouped}", if usd < 0.0 { "-" } else { "" })
}

/// A monthly cost with its 95% interval: `$2,796 ± $12`; the mean alone
/// with one replication.
pub fn format_cost(stat: Option<Stat>) -> String {
    match stat {
        Some(s) if s.ci95.is_finite() => {
            format!("{} ± {}", format_usd(s.mean), format_usd(s.ci95))
        }
        Some(s) => format_usd(s.mean),
        None => "-".into(),
    }
}

fn replications(results: &ExperimentResults) -> usize {
    results.rows.iter().map(|r| r.runs.len()).min().unwrap_or(0)
}

/// The objectives' table: per (point, architecture) each objective's mean
/// and deciding bound, the monthly cost, and the verdict.
pub fn decision_table(
    experiment: &Experiment,
    results: &ExperimentResults,
    decision: &Decision,
) -> String {
    let n = replications(results);
    let confidence = format!("{:.0}%", decision.confidence * 100.0);
    let slos: Vec<&str> = decision.slos.iter().map(|s| s.text.as_str()).collect();
    let mut out = if n < 2 {
        format!(
            "Objectives: {} (one replication: values shown, no confidence can be claimed; \
             set replications >= 2 for a verdict)\n\n",
            slos.join(" and ")
        )
    } else {
        format!(
            "Objectives: {} (one-sided {confidence} confidence over {n} replications)\n\n",
            slos.join(" and ")
        )
    };
    let keys: Vec<String> = experiment
        .points
        .first()
        .map(|p| p.swept.iter().map(|(k, _)| k.clone()).collect())
        .unwrap_or_default();
    let mut header = keys;
    header.push("Architecture".into());
    for slo in &decision.slos {
        header.push(if n < 2 {
            slo.metric.to_string()
        } else {
            let side = match slo.bound {
                Bound::AtMost => "upper",
                Bound::AtLeast => "lower",
            };
            format!("{} (mean, {confidence} {side} bound)", slo.metric)
        });
    }
    header.extend(["Cost/month (95% CI)".into(), "Verdict".into()]);
    let rows: Vec<Vec<String>> = decision
        .rows
        .iter()
        .map(|v| {
            let r = &results.rows[v.row];
            let mut cells: Vec<String> = experiment.points[r.point]
                .swept
                .iter()
                .map(|(_, value)| value.clone())
                .collect();
            cells.push(title(r));
            for (slo, c) in decision.slos.iter().zip(&v.checks) {
                cells.push(if n < 2 {
                    format_value(slo.metric, c.mean)
                } else {
                    format!(
                        "{}, {}",
                        format_value(slo.metric, c.mean),
                        format_value(slo.metric, c.deciding_bound(slo.bound))
                    )
                });
            }
            cells.push(format_cost(r.stat("cost_usd_month")));
            cells.push(verdict_cell(v.verdict, &v.checks));
            cells
        })
        .collect();
    out.push_str(&markdown(&header, &rows));
    out
}

fn verdict_cell(verdict: Verdict, checks: &[crate::planner::Check]) -> String {
    match verdict {
        Verdict::Undecided if checks.iter().all(|c| c.n < 2) => {
            let meets = checks.iter().all(|c| c.value_meets);
            format!(
                "undecided (1 run {})",
                if meets { "meets" } else { "fails" }
            )
        }
        v => v.name().to_string(),
    }
}

/// The answer per sweep point, one line each: the cheapest architecture
/// that meets every objective, or why there is none.
pub fn answer_lines(
    experiment: &Experiment,
    results: &ExperimentResults,
    decision: &Decision,
) -> String {
    let mut out = String::new();
    for (p, answer) in decision.answers.iter().enumerate() {
        let at = if experiment.points.len() > 1 {
            let swept: Vec<String> = experiment.points[p]
                .swept
                .iter()
                .map(|(k, v)| format!("{k} = {v}"))
                .collect();
            format!(" at {}", swept.join(", "))
        } else {
            String::new()
        };
        let name = |i: usize| title(&results.rows[i]);
        let line = match answer {
            Answer::Decided(i) => format!(
                "Answer{at}: {} meets every objective at the lowest monthly cost, {}.",
                name(*i),
                format_cost(results.rows[*i].stat("cost_usd_month"))
            ),
            Answer::Undecided { meets, cheaper } => {
                let cheaper: Vec<String> = cheaper.iter().map(|&i| name(i)).collect();
                let why = if replications(results) < 2 {
                    "one replication cannot claim confidence: set replications >= 2".to_string()
                } else {
                    "more replications may decide".to_string()
                };
                match meets {
                    Some(i) => format!(
                        "Answer{at}: undecided: {} meets every objective at {}, but the cheaper {} \
                         {} undecided ({why}).",
                        name(*i),
                        format_cost(results.rows[*i].stat("cost_usd_month")),
                        cheaper.join(", "),
                        if cheaper.len() == 1 { "is" } else { "are" }
                    ),
                    None => format!(
                        "Answer{at}: undecided: none is known to meet every objective, and {} \
                         {} undecided ({why}).",
                        cheaper.join(", "),
                        if cheaper.len() == 1 { "is" } else { "are" }
                    ),
                }
            }
            Answer::NoneMeets => {
                format!("Answer{at}: no architecture meets every objective (each fails one).")
            }
        };
        out.push_str(&line);
        out.push('\n');
    }
    out
}

/// The monthly bill of each architecture at `point`, item by item (means
/// over replications), and the total with its 95% interval.
pub fn cost_table(results: &ExperimentResults, point: usize) -> String {
    let items = [
        ("DO requests", "cost_do_requests_usd_month"),
        ("DO duration", "cost_do_duration_usd_month"),
        ("Workers requests", "cost_worker_requests_usd_month"),
        ("CPU", "cost_cpu_usd_month"),
        ("R2 reads", "cost_r2_usd_month"),
    ];
    let mut header = vec!["Architecture".to_string()];
    header.extend(items.iter().map(|(title, _)| title.to_string()));
    header.push("Total (95% CI)".into());
    let rows: Vec<Vec<String>> = results
        .rows
        .iter()
        .filter(|r| r.point == point)
        .map(|r| {
            let mut cells = vec![title(r)];
            cells.extend(
                items
                    .iter()
                    .map(|(_, metric)| format_usd(r.stat(metric).map_or(f64::NAN, |s| s.mean))),
            );
            cells.push(format_cost(r.stat("cost_usd_month")));
            cells
        })
        .collect();
    markdown(&header, &rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dollars_are_grouped_by_thousands() {
        assert_eq!(format_usd(2796.4), "$2,796");
        assert_eq!(format_usd(34_579.0), "$34,579");
        assert_eq!(format_usd(1_234_567.0), "$1,234,567");
        assert_eq!(format_usd(965.0), "$965");
        assert_eq!(format_usd(0.4213), "$0.42");
        assert_eq!(format_usd(f64::NAN), "-");
        let s = Stat {
            mean: 2796.0,
            ci95: 12.3,
            n: 5,
        };
        assert_eq!(format_cost(Some(s)), "$2,796 ± $12");
    }
}
