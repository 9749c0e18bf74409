//! `dofleet report DIR`: one self-contained HTML page of an output
//! directory's results, readable in any browser, offline.
//!
//! The page holds the run's facts (from `manifest.toml`), the headline
//! tables (the seed's "Comparison" and "Expected Request Latency" per point,
//! a sweep table for sweeps), every chart of [`super::plots`] inline as SVG,
//! every metric with its confidence interval, and the resolved
//! `config.toml`. It loads nothing: no script, no stylesheet, font or image
//! from elsewhere, so it can be mailed or archived as one file.

use std::fmt::Write as _;
use std::path::Path;

use super::plots::{self, compact_value, data::Row, ChartData, NamedChart, PlotError, Results};
use super::{format_mb, format_ms};
use crate::atomic_write::write_atomically;
use crate::experiment::{Experiment, Manifest};
use crate::metrics::METRICS;

/// Escapes text for HTML content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "
body { font-family: system-ui, -apple-system, 'Segoe UI', 'DejaVu Sans', sans-serif;
  color: #1a1a1a; background: #fff; margin: 0; line-height: 1.45; }
main { max-width: 1180px; margin: 0 auto; padding: 1.5rem 1.25rem 4rem; }
h1 { font-size: 1.8rem; margin-bottom: .2rem; }
h2 { margin-top: 2.5rem; border-bottom: 1px solid #ddd; padding-bottom: .3rem; }
h3 { margin-top: 1.8rem; }
.lead { color: #444; margin-top: 0; }
nav ul { columns: 2; padding-left: 1.2rem; }
table { border-collapse: collapse; margin: .8rem 0 1.2rem; font-size: .9rem; }
th, td { border: 1px solid #ddd; padding: .3rem .55rem; text-align: right; vertical-align: top; }
th { background: #f4f4f4; }
th.text, td.text { text-align: left; }
.ci { color: #777; font-size: .8em; white-space: nowrap; }
.facts td, .facts th { text-align: left; }
figure { margin: 1.2rem 0 2rem; }
figure svg { width: 100%; height: auto; display: block; border: 1px solid #eee; }
figcaption { color: #555; font-size: .9rem; margin-top: .3rem; }
pre { background: #f7f7f7; border: 1px solid #e4e4e4; padding: .8rem; overflow-x: auto;
  font-size: .8rem; }
details { margin: .8rem 0; }
summary { cursor: pointer; font-weight: 600; }
.scroll { overflow-x: auto; }
footer { color: #777; font-size: .85rem; margin-top: 3rem; }
";

/// The report of `dir`, drawn from `data`, as an HTML document.
pub fn render_report(dir: &Path, data: &ChartData) -> Result<String, PlotError> {
    let (results, experiment) = (&data.results, &data.experiment);
    let charts = data.charts()?;
    let mut svgs = Vec::with_capacity(charts.len());
    for c in &charts {
        svgs.push(inline_svg(c, &c.chart.svg()?));
    }
    let manifest = std::fs::read_to_string(dir.join("manifest.toml"))
        .ok()
        .and_then(|t| toml::from_str::<Manifest>(&t).ok());
    let config = std::fs::read_to_string(dir.join("config.toml")).unwrap_or_default();
    let page = Page {
        results,
        experiment,
        charts: &charts,
        svgs: &svgs,
    };
    let mut html = String::new();
    let title = format!("dofleet: {}", experiment.name);
    let _ = write!(
        html,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<main>\n",
        escape(&title)
    );
    let _ = writeln!(html, "<h1>{}</h1>", escape(&title));
    let description = experiment_description(&config);
    if !description.is_empty() {
        let _ = writeln!(html, "<p class=\"lead\">{}</p>", escape(&description));
    }
    page.contents(&mut html);
    page.facts(&mut html, manifest.as_ref());
    page.body(&mut html);
    let _ = write!(
        html,
        "<h2 id=\"config\">Resolved configuration</h2>\n<p>The directory's <code>config.toml</code>: \
         every default explicit; <code>dofleet run config.toml</code> runs it again.</p>\n\
         <details><summary>config.toml</summary>\n<pre>{}</pre>\n</details>\n",
        escape(&config)
    );
    let _ = write!(
        html,
        "<footer>Written by dofleet {} from {}.</footer>\n</main>\n</body>\n</html>\n",
        env!("CARGO_PKG_VERSION"),
        escape(&dir.display().to_string())
    );
    Ok(html)
}

/// Writes the report of `dir`, drawn from `data`, to `out`, atomically.
pub fn write_report(dir: &Path, data: &ChartData, out: &Path) -> Result<(), PlotError> {
    let html = render_report(dir, data)?;
    write_atomically(out, html.as_bytes()).map_err(|source| PlotError::Io {
        path: out.to_owned(),
        source,
    })
}

/// The `description` of a resolved experiment file, if any.
fn experiment_description(config: &str) -> String {
    toml::from_str::<toml::Table>(config)
        .ok()
        .and_then(|t| match t.get("description") {
            Some(toml::Value::String(s)) => Some(s.clone()),
            _ => None,
        })
        .unwrap_or_default()
}

/// A chart's SVG made fit for inlining: its own opening tag replaced by one
/// that scales with the page and names the chart for screen readers.
fn inline_svg(chart: &NamedChart, svg: &str) -> String {
    let (w, h) = chart.chart.size();
    let body = match (svg.find("<svg"), svg.find('>')) {
        (Some(0), Some(end)) => &svg[end + 1..],
        _ => svg,
    };
    format!(
        "<svg viewBox=\"0 0 {w} {h}\" role=\"img\" aria-label=\"{}\">{body}",
        escape(&chart.chart.title())
    )
}

/// A calendar date and time (UTC) from seconds since the Unix epoch.
fn utc(seconds: u64) -> String {
    let days = (seconds / 86_400) as i64;
    let rem = seconds % 86_400;
    // Howard Hinnant's days-to-civil algorithm.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02} UTC",
        rem / 3600,
        rem % 3600 / 60
    )
}

/// How a metric's values read: by its column name's unit.
fn format_value(column: &str, v: f64) -> String {
    if !v.is_finite() {
        "-".into()
    } else if column.ends_with("_ms") {
        format_ms(v)
    } else if column.ends_with("_fraction") {
        format!("{:.1}%", v * 100.0)
    } else if column.ends_with("_mb") {
        format_mb(v)
    } else if column == "memory_gb_s" {
        format!("{} GB-s", plots::style::short(v))
    } else {
        plots::style::short(v)
    }
}

/// A cell: the mean, and `± ci` when there is one.
fn cell(results: &Results, row: &Row, column: &str) -> String {
    let mean = results.summary.get(row, column);
    let ci = results.summary.get(row, &format!("{column}_ci95"));
    let mut out = escape(&format_value(column, mean));
    if mean.is_finite() && ci.is_finite() {
        let resolution = histogram_resolution(column, mean);
        let text = if ci < resolution {
            // Every replication in one bucket: "± 0.00 ms" would claim a
            // precision the histogram does not have.
            format!(
                "± &lt; {} (histogram resolution)",
                escape(&format_value(column, resolution))
            )
        } else {
            format!("± {}", escape(&format_value(column, ci)))
        };
        let _ = write!(out, " <span class=\"ci\">{text}</span>");
    }
    out
}

/// The resolution of a latency read from a histogram at `value` (3
/// significant digits: 1 part in 1000), or 0 for a column that is not.
fn histogram_resolution(column: &str, value: f64) -> f64 {
    let from_histogram = column.ends_with("_ms") && column != "load_time_mean_ms";
    if from_histogram {
        value.abs() * 1e-3
    } else {
        0.0
    }
}

/// A table; its first `text` columns hold text (left-aligned), the others
/// numbers. Cells are HTML already; headers are escaped here.
fn table(head: &[String], rows: &[Vec<String>], text: usize, out: &mut String) {
    let class = |i: usize| if i < text { " class=\"text\"" } else { "" };
    out.push_str("<div class=\"scroll\"><table>\n<thead><tr>");
    for (i, h) in head.iter().enumerate() {
        let _ = write!(out, "<th{}>{}</th>", class(i), escape(h));
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for r in rows {
        out.push_str("<tr>");
        for (i, c) in r.iter().enumerate() {
            let _ = write!(out, "<td{}>{c}</td>", class(i));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody></table></div>\n");
}

struct Page<'a> {
    results: &'a Results,
    experiment: &'a Experiment,
    charts: &'a [NamedChart],
    svgs: &'a [String],
}

impl Page<'_> {
    fn several(&self) -> bool {
        self.results.points.len() > 1
    }

    fn contents(&self, out: &mut String) {
        out.push_str("<nav><ul>\n<li><a href=\"#run\">The run</a></li>\n");
        let pareto = "<li><a href=\"#pareto\">Memory against p99</a></li>\n";
        if self.several() {
            out.push_str("<li><a href=\"#sweep\">The sweep</a></li>\n");
            out.push_str(pareto);
        }
        for p in 0..self.results.points.len() {
            let label = self.point_title(p);
            let _ = writeln!(
                out,
                "<li><a href=\"#point-{}\">{}</a></li>",
                p + 1,
                escape(&label)
            );
        }
        if !self.several() {
            out.push_str(pareto);
        }
        out.push_str("<li><a href=\"#config\">Resolved configuration</a></li>\n</ul></nav>\n");
    }

    fn point_title(&self, p: usize) -> String {
        if self.several() {
            format!("Point {}: {}", p + 1, self.results.point_label(p))
        } else {
            "Results".into()
        }
    }

    fn facts(&self, out: &mut String, manifest: Option<&Manifest>) {
        out.push_str("<h2 id=\"run\">The run</h2>\n");
        let mut rows: Vec<Vec<String>> = Vec::new();
        let mut fact = |k: &str, v: String| rows.push(vec![escape(k), escape(&v)]);
        if let Some(point) = self.experiment.points.first() {
            let what = if self.several() {
                "workload (point 1)"
            } else {
                "workload"
            };
            fact(what, super::workload_line(&point.config));
        }
        if self.several() {
            fact(
                "sweep",
                format!(
                    "{} points over {}",
                    self.results.points.len(),
                    self.results.swept_keys.join(", ")
                ),
            );
        }
        if let Some(m) = manifest {
            fact(
                "runs",
                format!("{} of {} ({})", m.runs_present, m.runs_total, m.status),
            );
            fact(
                "dofleet",
                format!("{} (commit {})", m.dofleet_version, m.git_commit),
            );
            fact("seed", m.seed.to_string());
            fact(
                "wall time",
                format!("{:.1} s on {} threads", m.wall_time_s, m.threads),
            );
            fact(
                "machine",
                format!(
                    "{} ({} {}, {} CPUs)",
                    m.machine.hostname, m.machine.os, m.machine.arch, m.machine.cpus
                ),
            );
            fact("written", utc(m.written_unix_s));
        }
        out.push_str("<table class=\"facts\"><tbody>\n");
        for r in rows {
            let _ = writeln!(out, "<tr><th>{}</th><td>{}</td></tr>", r[0], r[1]);
        }
        out.push_str("</tbody></table>\n");
    }

    fn figure(&self, stem: &str, caption: &str, out: &mut String) {
        if let Some(i) = self.charts.iter().position(|c| c.stem == stem) {
            let _ = write!(
                out,
                "<figure id=\"chart-{}\">\n{}\n<figcaption>{} <code>{}.png</code>, <code>{}.svg</code></figcaption>\n</figure>\n",
                escape(stem),
                self.svgs[i],
                escape(caption),
                escape(stem),
                escape(stem)
            );
        }
    }

    fn body(&self, out: &mut String) {
        let r = self.results;
        if self.several() {
            out.push_str("<h2 id=\"sweep\">The sweep</h2>\n");
            self.sweep_table(out);
            for key in &r.swept_keys {
                let stem = format!("sweep-{}", plots::file_safe(key));
                self.figure(
                    &stem,
                    &format!("Headline metrics against {key}, with 95% confidence bands."),
                    out,
                );
            }
        }
        if self.several() {
            self.pareto(out);
        }
        // Every point gets its section; only the charts are capped.
        let charted = plots::charted_points(r.points.len());
        for p in 0..r.points.len() {
            let suffix = if self.several() {
                format!("-p{}", p + 1)
            } else {
                String::new()
            };
            let _ = writeln!(
                out,
                "<h2 id=\"point-{}\">{}</h2>",
                p + 1,
                escape(&self.point_title(p))
            );
            if !charted.contains(&p) {
                let _ = writeln!(
                    out,
                    "<p>No charts for this point: the experiment has more than {} points, and \
                     per-point charts are drawn for {} of them (first and last included); \
                     its tables follow.</p>",
                    plots::MAX_POINT_CHARTS,
                    plots::MAX_POINT_CHARTS
                );
            }
            out.push_str("<h3>Comparison with other architectures (simulated; medians)</h3>\n");
            self.comparison(p, out);
            self.figure(
                &format!("latency_cdf{suffix}"),
                "Latency distribution; markers at each architecture's p50 and p99.",
                out,
            );
            out.push_str("<h3>Expected request latency (simulated, by request number since the DO started)</h3>\n");
            self.ordinal(p, out);
            self.figure(
                &format!("latency_by_ordinal{suffix}"),
                "Median latency and share delegated by request number.",
                out,
            );
            self.figure(
                &format!("cold_start_timeline{suffix}"),
                "One simulated cold start per architecture.",
                out,
            );
            self.all_metrics(p, out);
        }
        if !self.several() {
            self.pareto(out);
        }
    }

    fn pareto(&self, out: &mut String) {
        out.push_str("<h2 id=\"pareto\">Memory against p99</h2>\n");
        self.figure(
            "memory_vs_p99",
            "Every run's fleet memory and p99 latency; the line is the Pareto frontier.",
            out,
        );
    }

    fn comparison(&self, p: usize, out: &mut String) {
        let r = self.results;
        let head: Vec<String> = [
            "Architecture",
            "Cold start (req 1 p50)",
            "Hot query (req 6+ p50)",
            "p50",
            "p99",
            "p99.9",
            "Cold starts",
            "Delegated",
            "Memory mean",
            "Memory peak",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let rows: Vec<Vec<String>> = r
            .summary
            .of_point(p)
            .map(|row| {
                let mut cells = vec![escape(&row.variant.title())];
                for column in [
                    "req1_p50_ms",
                    "req6plus_p50_ms",
                    "latency_p50_ms",
                    "latency_p99_ms",
                    "latency_p999_ms",
                    "cold_start_fraction",
                    "delegated_fraction",
                    "memory_mean_mb",
                    "memory_peak_mb",
                ] {
                    cells.push(cell(r, row, column));
                }
                cells
            })
            .collect();
        table(&head, &rows, 1, out);
    }

    fn ordinal(&self, p: usize, out: &mut String) {
        let r = self.results;
        let rows_of_point: Vec<&Row> = r.summary.of_point(p).collect();
        let mut head = vec!["Request".to_string()];
        head.extend(rows_of_point.iter().map(|row| row.variant.title()));
        head.push("Seed (lazy design)".into());
        let seed = ["~300ms, delegated", "~30ms, delegated", "~10ms, local"];
        let rows: Vec<Vec<String>> = [("1", "req1"), ("2-5", "req2to5"), ("6+", "req6plus")]
            .iter()
            .zip(seed)
            .map(|((label, column), seed)| {
                let mut cells = vec![label.to_string()];
                for row in &rows_of_point {
                    let latency = cell(r, row, &format!("{column}_p50_ms"));
                    let delegated = r.summary.get(row, &format!("{column}_delegated_fraction"));
                    cells.push(if delegated.is_finite() {
                        format!("{latency}<br>{:.0}% delegated", delegated * 100.0)
                    } else {
                        latency
                    });
                }
                cells.push(seed.to_string());
                cells
            })
            .collect();
        table(&head, &rows, 1, out);
    }

    fn sweep_table(&self, out: &mut String) {
        let r = self.results;
        let mut head = r.swept_keys.clone();
        head.extend(
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
        let rows: Vec<Vec<String>> = r
            .summary
            .rows
            .iter()
            .map(|row| {
                let mut cells: Vec<String> = r
                    .points
                    .get(row.point)
                    .map(|values| values.iter().map(|v| escape(&compact_value(v))).collect())
                    .unwrap_or_default();
                cells.push(escape(&row.variant.title()));
                for column in [
                    "cold_start_fraction",
                    "delegated_fraction",
                    "latency_p50_ms",
                    "latency_p99_ms",
                    "memory_mean_mb",
                ] {
                    cells.push(cell(r, row, column));
                }
                cells
            })
            .collect();
        table(&head, &rows, r.swept_keys.len() + 1, out);
    }

    fn all_metrics(&self, p: usize, out: &mut String) {
        let r = self.results;
        let rows_of_point: Vec<&Row> = r.summary.of_point(p).collect();
        let mut head = vec!["Metric".to_string()];
        head.extend(rows_of_point.iter().map(|row| row.variant.title()));
        let rows: Vec<Vec<String>> = r
            .summary
            .columns
            .names()
            .iter()
            .filter(|c| !c.ends_with("_ci95"))
            .map(|column| {
                let description = METRICS
                    .iter()
                    .find(|m| m.name == column.as_str())
                    .map_or("", |m| m.description);
                let mut cells = vec![format!(
                    "<code>{}</code><br><span class=\"ci\">{}</span>",
                    escape(column),
                    escape(description)
                )];
                cells.extend(rows_of_point.iter().map(|row| cell(r, row, column)));
                cells
            })
            .collect();
        out.push_str(
            "<details><summary>Every metric (mean ± 95% confidence half-width)</summary>\n",
        );
        table(&head, &rows, 1, out);
        out.push_str("</details>\n");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latencies_have_the_histograms_resolution_and_others_none() {
        assert!((histogram_resolution("latency_p99_ms", 1100.0) - 1.1).abs() < 1e-12);
        assert_eq!(histogram_resolution("load_time_mean_ms", 1100.0), 0.0);
        assert_eq!(histogram_resolution("cold_start_fraction", 0.5), 0.0);
    }

    #[test]
    fn escapes_markup() {
        assert_eq!(
            escape("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }

    #[test]
    fn dates_are_utc_calendar_dates() {
        assert_eq!(utc(0), "1970-01-01 00:00 UTC");
        assert_eq!(utc(951_782_400), "2000-02-29 00:00 UTC");
        assert_eq!(utc(1_700_000_000), "2023-11-14 22:13 UTC");
    }

    #[test]
    fn values_read_in_their_units() {
        assert_eq!(format_value("latency_p99_ms", 2260.0), "2.26 s");
        assert_eq!(format_value("delegated_fraction", 0.419), "41.9%");
        assert_eq!(format_value("memory_mean_mb", 33_041.0), "32.3 GB");
        assert_eq!(format_value("requests", 360_289.7), "360.3k");
        assert_eq!(format_value("r2_gets", f64::NAN), "-");
    }
}
