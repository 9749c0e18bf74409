//! The tables `dofleet` prints: the seed's "Comparison with Other
//! Architectures" and "Expected Request Latency", as simulated, in Markdown
//! so that they paste into documents as they are.

use crate::architectures::Architecture;
use crate::experiment::{ExperimentResults, ResultRow};
use crate::metrics::{OrdinalBucket, Path};
use crate::simulation::Config;
use crate::time::format_duration;

/// Formats milliseconds for people: `12.3 ms`, `1.71 s`; `-` for no value.
pub fn format_ms(ms: f64) -> String {
    if !ms.is_finite() {
        "-".to_string()
    } else if ms >= 1000.0 {
        format!("{:.2} s", ms / 1000.0)
    } else if ms >= 100.0 {
        format!("{ms:.0} ms")
    } else if ms >= 10.0 {
        format!("{ms:.1} ms")
    } else {
        format!("{ms:.2} ms")
    }
}

/// Formats megabytes (MiB) for people: `512 MB`, `32.3 GB`, `4.10 TB`.
pub fn format_mb(mb: f64) -> String {
    if !mb.is_finite() {
        "-".to_string()
    } else if mb >= 1024.0 * 1024.0 {
        format!("{:.2} TB", mb / (1024.0 * 1024.0))
    } else if mb >= 1024.0 {
        format!("{:.1} GB", mb / 1024.0)
    } else {
        format!("{mb:.0} MB")
    }
}

/// A Markdown table, columns padded to their widest cell.
pub(crate) fn markdown(header: &[String], rows: &[Vec<String>]) -> String {
    let cols = header.len();
    let width = |c: usize| {
        rows.iter()
            .map(|r| r.get(c).map_or(0, |s| s.chars().count()))
            .chain(std::iter::once(header[c].chars().count()))
            .max()
            .unwrap_or(0)
    };
    let widths: Vec<usize> = (0..cols).map(width).collect();
    let line = |cells: &[String]| {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        format!("| {} |\n", padded.join(" | "))
    };
    let mut out = line(header);
    let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
    out.push_str(&line(&rule));
    for r in rows {
        out.push_str(&line(r));
    }
    out
}

/// The seed's name; lazy also names its embedder setting, which decides
/// everything about it.
fn title(row: &ResultRow) -> String {
    let a = row.variant.architecture;
    if a == Architecture::Lazy {
        format!(
            "{} ({})",
            a.title(),
            row.variant.runtime_wasm_compile.name()
        )
    } else {
        a.title().to_string()
    }
}

/// The seed's figures for an architecture: (cold start, hot query, bundle, memory).
fn seed_row(a: Architecture) -> (&'static str, &'static str, &'static str, &'static str) {
    match a {
        Architecture::Traditional => ("~1-3s", "~10ms", "Large (WASM bundled)", "High"),
        Architecture::Hybrid => ("~30ms", "~10ms", "Large (WASM bundled)", "High"),
        Architecture::Thin => ("~30ms", "~30ms", "Small (no WASM)", "Low"),
        Architecture::Lazy => ("~300ms", "~10ms", "Small (no WASM)", "Medium"),
    }
}

fn mean(row: &ResultRow, metric: &str) -> f64 {
    row.stat(metric).map_or(f64::NAN, |s| s.mean)
}

/// A one-line description of the workload the results come from.
pub fn workload_line(config: &Config) -> String {
    format!(
        "{}, {} simulated, idle timeout {}, {} replication(s), seed {}",
        crate::workload::describe(&config.workload),
        format_duration(config.duration),
        describe_idle(config),
        config.replications,
        config.seed
    )
}

fn describe_idle(config: &Config) -> String {
    match &config.durable_object.idle_timeout {
        crate::dist::Dist::Constant(v) => format_duration(*v),
        crate::dist::Dist::Uniform { min, max } => {
            format!("{}-{}", format_duration(*min), format_duration(*max))
        }
        other => format!("mean {}", format_duration(other.mean().round() as u64)),
    }
}

/// The seed's "Comparison with Other Architectures", simulated: the cold
/// start (median latency of a DO's first request), hot query (median of
/// requests 6 onwards), overall p50/p99, and memory, with the seed's own
/// figures alongside.
pub fn comparison_table(results: &ExperimentResults, point: usize) -> String {
    let header: Vec<String> = [
        "Architecture",
        "Cold Start",
        "Hot Query",
        "p50",
        "p99",
        "Delegated",
        "Memory mean / peak",
        "Bundle Size",
        "Seed: cold / hot / memory",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let rows: Vec<Vec<String>> = results
        .rows
        .iter()
        .filter(|r| r.point == point)
        .map(|r| {
            let (cold, hot, bundle, memory) = seed_row(r.variant.architecture);
            vec![
                title(r),
                format_ms(mean(r, "req1_p50_ms")),
                format_ms(mean(r, "req6plus_p50_ms")),
                format_ms(mean(r, "latency_p50_ms")),
                format_ms(mean(r, "latency_p99_ms")),
                format!("{:.1}%", 100.0 * mean(r, "delegated_fraction")),
                format!(
                    "{} / {}",
                    format_mb(mean(r, "memory_mean_mb")),
                    format_mb(mean(r, "memory_peak_mb"))
                ),
                bundle.to_string(),
                format!("{cold} / {hot} / {memory}"),
            ]
        })
        .collect();
    markdown(&header, &rows)
}

/// The seed's "Expected Request Latency" table, simulated for every
/// architecture: the median latency of a DO's request 1, 2-5 and 6+ since it
/// started, and the share of them delegated.
pub fn ordinal_table(results: &ExperimentResults, point: usize) -> String {
    let rows_of_point: Vec<&ResultRow> = results.rows.iter().filter(|r| r.point == point).collect();
    let mut header = vec!["Request".to_string()];
    header.extend(rows_of_point.iter().map(|r| title(r)));
    header.push("Seed (lazy design)".to_string());
    let seed = ["~300ms, delegated", "~30ms, delegated", "~10ms, local"];
    let rows: Vec<Vec<String>> = OrdinalBucket::ALL
        .iter()
        .zip(seed)
        .map(|(b, s)| {
            let mut cells = vec![b.label().to_string()];
            for r in &rows_of_point {
                let p50 = mean(r, &format!("{}_p50_ms", b.column()));
                let delegated = mean(r, &format!("{}_delegated_fraction", b.column()));
                cells.push(if p50.is_finite() {
                    format!(
                        "{} ({:.0}% {})",
                        format_ms(p50),
                        100.0 * delegated,
                        Path::Delegated.name()
                    )
                } else {
                    "-".to_string()
                });
            }
            cells.push(s.to_string());
            cells
        })
        .collect();
    markdown(&header, &rows)
}

/// One line per (sweep point, architecture): the swept values and the
/// headline metrics, for experiments with more than one point.
pub fn sweep_table(
    experiment: &crate::experiment::Experiment,
    results: &ExperimentResults,
) -> String {
    let keys: Vec<String> = experiment
        .points
        .first()
        .map(|p| p.swept.iter().map(|(k, _)| k.clone()).collect())
        .unwrap_or_default();
    let mut header = keys.clone();
    header.extend(
        [
            "Architecture",
            "Cold starts",
            "Delegated",
            "p50",
            "p99",
            "Memory mean",
        ]
        .iter()
        .map(|s| s.to_string()),
    );
    let rows: Vec<Vec<String>> = results
        .rows
        .iter()
        .map(|r| {
            let mut cells: Vec<String> = experiment.points[r.point]
                .swept
                .iter()
                .map(|(_, v)| v.clone())
                .collect();
            cells.push(title(r));
            cells.push(format!("{:.1}%", 100.0 * mean(r, "cold_start_fraction")));
            cells.push(format!("{:.1}%", 100.0 * mean(r, "delegated_fraction")));
            cells.push(format_ms(mean(r, "latency_p50_ms")));
            cells.push(format_ms(mean(r, "latency_p99_ms")));
            cells.push(format_mb(mean(r, "memory_mean_mb")));
            cells
        })
        .collect();
    markdown(&header, &rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_milliseconds_for_people() {
        assert_eq!(format_ms(0.123), "0.12 ms");
        assert_eq!(format_ms(12.34), "12.3 ms");
        assert_eq!(format_ms(512.0), "512 ms");
        assert_eq!(format_ms(1712.0), "1.71 s");
        assert_eq!(format_ms(f64::NAN), "-");
        assert_eq!(format_mb(512.4), "512 MB");
        assert_eq!(format_mb(33_041.0), "32.3 GB");
    }

    #[test]
    fn markdown_columns_line_up() {
        let t = markdown(
            &["a".into(), "bbb".into()],
            &[vec!["xx".into(), "y".into()]],
        );
        assert_eq!(t, "| a  | bbb |\n| -- | --- |\n| xx | y   |\n");
    }
}
