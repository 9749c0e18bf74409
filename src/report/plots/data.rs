//! An output directory's results, read back from its CSV files: what the
//! charts and the HTML report draw.
//!
//! `summary.csv` and `runs.csv` rows are identified by (architecture,
//! policy, runtime_wasm_compile, swept values); the sweep points are the
//! distinct swept-value tuples, in the order they first appear (the order
//! `dofleet run` writes them in). Every read error names the file, the line
//! and what was expected.

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};

use super::PlotError;
use crate::architectures::Architecture;

/// Identifying columns every results CSV starts with, before the swept keys.
const ID_COLUMNS: [&str; 3] = ["architecture", "policy", "runtime_wasm_compile"];

/// The files a finished run leaves, that the charts read.
pub const RESULT_FILES: [&str; 3] = ["summary.csv", "runs.csv", "latency_cdf.csv"];

/// One architecture as it appears in the results (a series of the charts).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Variant {
    pub architecture: String,
    pub policy: String,
    pub runtime_wasm_compile: String,
}

impl Variant {
    /// The seed's name for people: `Hybrid`, `Lazy WASM (allowed)`; a policy
    /// other than `none` is appended in brackets.
    pub fn title(&self) -> String {
        let base = self.architecture_title();
        if self.policy.is_empty() || self.policy == "none" {
            base
        } else {
            format!("{base} [{}]", self.policy)
        }
    }
}

impl Variant {
    /// The architecture's name alone, without the policies.
    pub fn architecture_title(&self) -> String {
        match Architecture::from_name(&self.architecture) {
            Some(Architecture::Lazy) => format!("Lazy WASM ({})", self.runtime_wasm_compile),
            Some(a) => a.title().to_string(),
            None => self.architecture.clone(),
        }
    }
}

/// One row of `summary.csv` or `runs.csv`.
#[derive(Debug, Clone)]
pub struct Row {
    /// Index into [`Results::points`].
    pub point: usize,
    pub variant: Variant,
    /// The replication (`runs.csv` only).
    pub replication: Option<u32>,
    /// Numeric cells by column index (NaN for an empty cell).
    values: Vec<f64>,
}

/// Numeric columns of one CSV file by name.
#[derive(Debug, Clone, Default)]
pub struct Columns {
    index: HashMap<String, usize>,
    names: Vec<String>,
}

impl Columns {
    /// Whether the file has the column.
    pub fn has(&self, name: &str) -> bool {
        self.index.contains_key(name)
    }

    /// The metric columns, in file order.
    pub fn names(&self) -> &[String] {
        &self.names
    }
}

/// A table of rows with named numeric columns.
#[derive(Debug, Clone, Default)]
pub struct Table {
    pub columns: Columns,
    pub rows: Vec<Row>,
}

impl Table {
    /// A row's value of `column` (NaN when the column or the value is missing).
    pub fn get(&self, row: &Row, column: &str) -> f64 {
        self.columns
            .index
            .get(column)
            .and_then(|&i| row.values.get(i))
            .copied()
            .unwrap_or(f64::NAN)
    }

    /// The rows of one sweep point.
    pub fn of_point(&self, point: usize) -> impl Iterator<Item = &Row> {
        self.rows.iter().filter(move |r| r.point == point)
    }
}

/// The latency distribution of one (point, architecture).
#[derive(Debug, Clone)]
pub struct Cdf {
    pub point: usize,
    pub variant: Variant,
    /// `(quantile, latency_ms)`, quantiles increasing.
    pub points: Vec<(f64, f64)>,
}

impl Cdf {
    /// The latency at quantile `q` (the first listed quantile at or above it).
    pub fn at(&self, q: f64) -> f64 {
        self.points
            .iter()
            .find(|(x, _)| *x >= q - 1e-12)
            .map_or(f64::NAN, |(_, ms)| *ms)
    }
}

/// Everything the charts draw from one output directory.
#[derive(Debug, Clone)]
pub struct Results {
    pub dir: PathBuf,
    /// The swept keys (dotted paths), in column order.
    pub swept_keys: Vec<String>,
    /// Each point's swept values, in order.
    pub points: Vec<Vec<String>>,
    /// The series, in the order they first appear.
    pub variants: Vec<Variant>,
    pub summary: Table,
    pub runs: Table,
    pub cdfs: Vec<Cdf>,
}

impl Results {
    /// A point's description for titles: `workload.zipf_s = 0.8`, or `""`
    /// for an experiment without a sweep.
    /// The policy set every row of `point` has (None when they differ).
    pub fn shared_policy(&self, point: usize) -> Option<&str> {
        let mut rows = self
            .summary
            .of_point(point)
            .map(|r| r.variant.policy.as_str());
        let first = rows.next()?;
        rows.all(|p| p == first).then_some(first)
    }

    /// A series' name in a chart of one point: without the policies when
    /// every series of the point has the same (the chart's subtitle names
    /// them then, rather than every legend entry).
    pub fn series_title(&self, point: usize, variant: &Variant) -> String {
        if self.shared_policy(point).is_some() {
            variant.architecture_title()
        } else {
            variant.title()
        }
    }

    pub fn point_label(&self, point: usize) -> String {
        let Some(values) = self.points.get(point) else {
            return String::new();
        };
        self.swept_keys
            .iter()
            .zip(values)
            .map(|(k, v)| format!("{k} = {}", compact_value(v)))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Reads `summary.csv`, `runs.csv` and `latency_cdf.csv` of `dir`.
    pub fn read(dir: &Path) -> Result<Results, PlotError> {
        for name in RESULT_FILES {
            let path = dir.join(name);
            if !path.is_file() {
                return Err(PlotError::NoResults {
                    path,
                    status: status_note(dir),
                });
            }
        }
        let mut builder = Builder::default();
        let summary_file = read_csv(&dir.join("summary.csv"))?;
        builder.swept_keys = swept_keys(&summary_file, &["replications"])?;
        let summary = builder.table(&summary_file, false)?;
        let runs = builder.table(&read_csv(&dir.join("runs.csv"))?, true)?;
        let cdfs = builder.cdfs(&read_csv(&dir.join("latency_cdf.csv"))?)?;
        if summary.rows.is_empty() {
            return Err(PlotError::Format {
                path: dir.join("summary.csv"),
                line: 2,
                message: "expected at least one row of results, found none".into(),
            });
        }
        Ok(Results {
            dir: dir.to_owned(),
            swept_keys: builder.swept_keys,
            points: builder.points,
            variants: builder.variants,
            summary,
            runs,
            cdfs,
        })
    }
}

/// What a directory's manifest says about its state, for error messages.
fn status_note(dir: &Path) -> String {
    let manifest = dir.join("manifest.toml");
    let Ok(text) = fs::read_to_string(&manifest) else {
        return format!(
            "{} has no manifest.toml either: is it a dofleet output directory?",
            dir.display()
        );
    };
    match toml::from_str::<crate::experiment::Manifest>(&text) {
        Ok(m) if m.status == "complete" => {
            "the manifest says the run is complete: was the file deleted?".into()
        }
        Ok(m) => format!(
            "its manifest.toml says status {:?} with {} of {} runs: finish it with \
             `dofleet run FILE --out {} --resume` (or merge its shards)",
            m.status,
            m.runs_present,
            m.runs_total,
            dir.display()
        ),
        Err(_) => format!("{} is not a dofleet manifest", manifest.display()),
    }
}

/// A CSV file's header and records, with line numbers.
struct CsvFile {
    path: PathBuf,
    header: Vec<String>,
    records: Vec<(usize, Vec<String>)>,
}

fn read_csv(path: &Path) -> Result<CsvFile, PlotError> {
    let bytes = fs::read(path).map_err(|source| PlotError::Io {
        path: path.to_owned(),
        source,
    })?;
    let format = |line: usize, message: String| PlotError::Format {
        path: path.to_owned(),
        line,
        message,
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .from_reader(bytes.as_slice());
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| format(1, format!("expected a CSV header line: {e}")))?
        .iter()
        .map(str::to_string)
        .collect();
    for (i, want) in ID_COLUMNS.iter().enumerate() {
        if header.get(i).map(String::as_str) != Some(want) {
            return Err(format(
                1,
                format!(
                    "expected the header to start with {}, found {:?}",
                    ID_COLUMNS.join(","),
                    header.iter().take(3).collect::<Vec<_>>()
                ),
            ));
        }
    }
    let mut records = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let line = i + 2;
        let record = record.map_err(|e| format(line, format!("unreadable CSV record: {e}")))?;
        records.push((line, record.iter().map(str::to_string).collect()));
    }
    Ok(CsvFile {
        path: path.to_owned(),
        header,
        records,
    })
}

/// The swept keys: the columns between the identifying ones and the first
/// of `after` (`replications` in summary.csv, `replication` in runs.csv,
/// `quantile` in latency_cdf.csv).
fn swept_keys(file: &CsvFile, after: &[&str]) -> Result<Vec<String>, PlotError> {
    let rest = &file.header[ID_COLUMNS.len()..];
    let end = rest
        .iter()
        .position(|c| after.contains(&c.as_str()))
        .ok_or_else(|| PlotError::Format {
            path: file.path.clone(),
            line: 1,
            message: format!("expected a column named {}", after.join(" or ")),
        })?;
    Ok(rest[..end].to_vec())
}

fn parse_number(cell: &str) -> Option<f64> {
    if cell.is_empty() {
        Some(f64::NAN)
    } else {
        cell.parse::<f64>().ok()
    }
}

/// Accumulates points and variants across the three files.
#[derive(Default)]
struct Builder {
    swept_keys: Vec<String>,
    points: Vec<Vec<String>>,
    variants: Vec<Variant>,
}

impl Builder {
    /// Checks a file's swept keys against summary.csv's.
    fn check_keys(&self, file: &CsvFile, after: &[&str]) -> Result<(), PlotError> {
        let keys = swept_keys(file, after)?;
        if keys != self.swept_keys {
            return Err(PlotError::Format {
                path: file.path.clone(),
                line: 1,
                message: format!(
                    "expected the swept keys of summary.csv ({:?}), found {keys:?}: \
                     the files come from different runs",
                    self.swept_keys
                ),
            });
        }
        Ok(())
    }

    /// The point and variant a record identifies.
    fn identify(&mut self, record: &[String]) -> (usize, Variant) {
        let cell = |i: usize| record.get(i).cloned().unwrap_or_default();
        let variant = Variant {
            architecture: cell(0),
            policy: cell(1),
            runtime_wasm_compile: cell(2),
        };
        if !self.variants.contains(&variant) {
            self.variants.push(variant.clone());
        }
        let swept: Vec<String> = (0..self.swept_keys.len())
            .map(|i| cell(ID_COLUMNS.len() + i))
            .collect();
        let point = match self.points.iter().position(|p| *p == swept) {
            Some(p) => p,
            None => {
                self.points.push(swept);
                self.points.len() - 1
            }
        };
        (point, variant)
    }

    fn table(&mut self, file: &CsvFile, runs: bool) -> Result<Table, PlotError> {
        let marker = if runs { "replication" } else { "replications" };
        self.check_keys(file, &[marker])?;
        let first_value = ID_COLUMNS.len() + self.swept_keys.len();
        let mut columns = Columns::default();
        for (i, name) in file.header.iter().enumerate().skip(first_value) {
            columns.index.insert(name.clone(), i - first_value);
            columns.names.push(name.clone());
        }
        let mut rows = Vec::with_capacity(file.records.len());
        for (line, record) in &file.records {
            let (point, variant) = self.identify(record);
            let mut values = Vec::with_capacity(columns.names.len());
            for (name, cell) in columns.names.iter().zip(&record[first_value..]) {
                let v = parse_number(cell).ok_or_else(|| PlotError::Format {
                    path: file.path.clone(),
                    line: *line,
                    message: format!("column {name}: expected a number, found {cell:?}"),
                })?;
                values.push(v);
            }
            let replication = if runs {
                let r = values.first().copied().unwrap_or(f64::NAN);
                if !(r >= 0.0 && r.fract() == 0.0 && r <= f64::from(u32::MAX)) {
                    return Err(PlotError::Format {
                        path: file.path.clone(),
                        line: *line,
                        message: format!("column replication: expected a whole number, found {r}"),
                    });
                }
                Some(r as u32)
            } else {
                None
            };
            rows.push(Row {
                point,
                variant,
                replication,
                values,
            });
        }
        Ok(Table { columns, rows })
    }

    fn cdfs(&mut self, file: &CsvFile) -> Result<Vec<Cdf>, PlotError> {
        self.check_keys(file, &["quantile"])?;
        let at = ID_COLUMNS.len() + self.swept_keys.len();
        if file.header.get(at + 1).map(String::as_str) != Some("latency_ms") {
            return Err(PlotError::Format {
                path: file.path.clone(),
                line: 1,
                message: "expected the columns quantile,latency_ms after the swept keys".into(),
            });
        }
        let mut cdfs: Vec<Cdf> = Vec::new();
        for (line, record) in &file.records {
            let (point, variant) = self.identify(record);
            let number = |i: usize, what: &str| {
                let cell = record.get(i).map_or("", String::as_str);
                cell.parse::<f64>()
                    .ok()
                    .filter(|v| v.is_finite())
                    .ok_or_else(|| PlotError::Format {
                        path: file.path.clone(),
                        line: *line,
                        message: format!("column {what}: expected a number, found {cell:?}"),
                    })
            };
            let q = number(at, "quantile")?;
            let ms = number(at + 1, "latency_ms")?;
            match cdfs.last_mut() {
                Some(c) if c.point == point && c.variant == variant => c.points.push((q, ms)),
                _ => cdfs.push(Cdf {
                    point,
                    variant,
                    points: vec![(q, ms)],
                }),
            }
        }
        for c in &mut cdfs {
            c.points.sort_by(|a, b| a.0.total_cmp(&b.0));
        }
        Ok(cdfs)
    }
}

/// A swept value as people read it: `uniform 70s-140s` for a distribution
/// table, large whole numbers with k/M suffixes, anything else as written.
pub fn compact_value(cell: &str) -> String {
    let trimmed = cell.trim();
    if trimmed.starts_with('{') {
        if let Ok(table) = toml::from_str::<toml::Table>(&format!("v = {trimmed}")) {
            if let Some(toml::Value::Table(t)) = table.get("v") {
                let s = |k: &str| match t.get(k) {
                    Some(toml::Value::String(s)) => Some(s.clone()),
                    Some(other) => Some(other.to_string()),
                    None => None,
                };
                if let (Some(min), Some(max)) = (s("min"), s("max")) {
                    let dist = s("dist").unwrap_or_default();
                    return format!("{dist} {min}-{max}").trim().to_string();
                }
                let parts: Vec<String> = t
                    .iter()
                    .map(|(k, v)| match v {
                        toml::Value::String(s) => format!("{k} {s}"),
                        other => format!("{k} {other}"),
                    })
                    .collect();
                return parts.join(", ");
            }
        }
    }
    if trimmed.starts_with('[') {
        if let Ok(table) = toml::from_str::<toml::Table>(&format!("v = {trimmed}")) {
            if let Some(toml::Value::Array(items)) = table.get("v") {
                let names: Vec<String> = items
                    .iter()
                    .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string))
                    .collect();
                return if names.is_empty() {
                    "none".into()
                } else {
                    names.join("+")
                };
            }
        }
    }
    if let Ok(n) = trimmed.parse::<u64>() {
        if n >= 10_000 {
            return si_count(n as f64);
        }
    }
    let mut s: String = trimmed.chars().take(28).collect();
    if trimmed.chars().count() > 28 {
        s.push('…');
    }
    s
}

/// `10k`, `2.5M`, `1G`: a count with an SI suffix.
pub fn si_count(n: f64) -> String {
    let (v, suffix) = if n.abs() >= 1e9 {
        (n / 1e9, "G")
    } else if n.abs() >= 1e6 {
        (n / 1e6, "M")
    } else if n.abs() >= 1e3 {
        (n / 1e3, "k")
    } else {
        (n, "")
    };
    let text = format!("{v:.1}");
    let text = text.strip_suffix(".0").unwrap_or(&text);
    format!("{text}{suffix}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compacts_swept_values() {
        assert_eq!(
            compact_value(r#"{ dist = "uniform", min = "70s", max = "140s" }"#),
            "uniform 70s-140s"
        );
        assert_eq!(compact_value("10000000"), "10M");
        assert_eq!(compact_value("1000"), "1000");
        assert_eq!(compact_value("0.8"), "0.8");
        assert_eq!(compact_value("25000"), "25k");
        assert_eq!(compact_value("[]"), "none");
        assert_eq!(
            compact_value(r#"["prewarm", "streaming"]"#),
            "prewarm+streaming"
        );
        assert_eq!(si_count(2_500_000.0), "2.5M");
    }

    #[test]
    fn names_variants_as_the_tables_do() {
        let v = |a: &str, c: &str, p: &str| Variant {
            architecture: a.into(),
            policy: p.into(),
            runtime_wasm_compile: c.into(),
        };
        assert_eq!(v("thin", "blocked", "none").title(), "Thin State");
        assert_eq!(v("lazy", "loader", "none").title(), "Lazy WASM (loader)");
        assert_eq!(v("hybrid", "blocked", "p1").title(), "Hybrid [p1]");
        assert_eq!(v("future", "blocked", "none").title(), "future");
    }
}
