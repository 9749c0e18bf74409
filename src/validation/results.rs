//! A testbed results directory, read and checked: what `testbed/run.sh`
//! writes and `calibrate` and `validate` read.
//!
//! ```text
//! RESULTS/run.toml              what ran: versions, machine, date, load, architectures
//! RESULTS/trace.csv             the schedule sent (an experiment's arrivals)
//! RESULTS/startup.csv           process,architecture,ready_ms (workerd start to first response)
//! RESULTS/compute_cold.csv      attempt,latency_ms,init_ms (the compute worker's first query)
//! RESULTS/<architecture>/probe.log   the calibration probe (loadgen --probe)
//! RESULTS/<architecture>/load.log    the trace (loadgen --trace)
//! ```
//!
//! Invariant: a [`Results`] holds only complete logs (magic first line,
//! the known columns, the end mark) whose workerd and PGLite versions are
//! the ones `testbed/package.json` pins; every error names the file (and
//! the line when there is one) and what is wrong.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use crate::testbed::log::{COLUMNS, END_MARK, MAGIC};

/// The testbed's package.json, compiled in: its pins are the versions a
/// results directory must come from.
const PACKAGE_JSON: &str = include_str!("../../testbed/package.json");

/// The exact version `testbed/package.json` pins for `package`.
pub fn pinned_version(package: &str) -> Option<&'static str> {
    let key = format!("\"{package}\":");
    let rest = &PACKAGE_JSON[PACKAGE_JSON.find(&key)? + key.len()..];
    let start = rest.find('"')? + 1;
    let len = rest[start..].find('"')?;
    Some(&rest[start..start + len])
}

/// The architectures the testbed runs, in the order of MODEL.md.
pub const ARCHITECTURES: [&str; 4] = ["traditional", "hybrid", "thin", "lazy"];

/// A bad results directory: the file, the line if any, what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResultsError {
    pub path: PathBuf,
    pub line: Option<usize>,
    pub message: String,
}

impl fmt::Display for ResultsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{line}: {}", self.path.display(), self.message),
            None => write!(f, "{}: {}", self.path.display(), self.message),
        }
    }
}

impl std::error::Error for ResultsError {}

fn err(path: &Path, line: Option<usize>, message: impl Into<String>) -> ResultsError {
    ResultsError {
        path: path.to_path_buf(),
        line,
        message: message.into(),
    }
}

/// How the testbed served a request (`x-path`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Served {
    /// On a DO whose PGLite was ready when the request reached it.
    Local,
    /// At the compute worker.
    Delegated,
    /// Locally, after waiting for the DO's PGLite init.
    Queued,
}

impl Served {
    pub fn name(self) -> &'static str {
        match self {
            Served::Local => "local",
            Served::Delegated => "delegated",
            Served::Queued => "queued",
        }
    }
}

/// One logged request.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub sched_ms: f64,
    pub send_ms: Option<f64>,
    pub tenant: String,
    pub repeat: u32,
    pub latency_ms: Option<f64>,
    pub status: u16,
    pub error: String,
    pub path: Option<Served>,
    pub req: Option<u32>,
    pub life: Option<u32>,
    pub start_ms: Option<f64>,
    pub init_ms: Option<f64>,
    pub exec_ms: Option<f64>,
    pub delegate_ms: Option<f64>,
    pub compute_exec_ms: Option<f64>,
    pub compute_init_ms: Option<f64>,
}

impl Row {
    /// Answered with 200 and a served path, request and life number.
    pub fn ok(&self) -> bool {
        self.status == 200
            && self.latency_ms.is_some()
            && self.path.is_some()
            && self.req.is_some()
            && self.life.is_some()
    }
}

/// One load generator log.
#[derive(Debug, Clone)]
pub struct Log {
    pub path: PathBuf,
    pub meta: BTreeMap<String, String>,
    pub rows: Vec<Row>,
}

impl Log {
    /// Reads and checks the log at `path`.
    pub fn read(path: &Path) -> Result<Log, ResultsError> {
        let text = crate::experiment::config::read_text_file(path)
            .map_err(|e| err(path, None, format!("cannot read the log: {e}")))?;
        Log::parse(path, &text)
    }

    /// Parses `text` (the contents of `path`).
    pub fn parse(path: &Path, text: &str) -> Result<Log, ResultsError> {
        let mut lines = text.lines().enumerate().map(|(i, l)| (i + 1, l));
        match lines.next() {
            Some((_, first)) if first == MAGIC => {}
            _ => {
                return Err(err(
                    path,
                    Some(1),
                    format!("not a testbed log: expected the first line {MAGIC:?}"),
                ))
            }
        }
        let mut meta = BTreeMap::new();
        let mut rows = Vec::new();
        let mut header_seen = false;
        let mut ended = false;
        for (n, line) in lines {
            if ended {
                return Err(err(path, Some(n), "text after the end mark"));
            }
            if line == END_MARK {
                ended = true;
                continue;
            }
            if let Some(comment) = line.strip_prefix("# ") {
                if let Some((k, v)) = comment.split_once(" = ") {
                    meta.insert(k.to_string(), v.to_string());
                }
                continue;
            }
            if !header_seen {
                if line != COLUMNS.join(",") {
                    return Err(err(
                        path,
                        Some(n),
                        format!("expected the column header {:?}", COLUMNS.join(",")),
                    ));
                }
                header_seen = true;
                continue;
            }
            rows.push(parse_row(path, n, line)?);
        }
        if !header_seen {
            return Err(err(path, None, "truncated: no column header"));
        }
        if !ended {
            return Err(err(
                path,
                None,
                format!("truncated: the last line is not {END_MARK:?} (was the run interrupted?)"),
            ));
        }
        Ok(Log {
            path: path.to_path_buf(),
            meta,
            rows,
        })
    }

    /// The rows answered correctly.
    pub fn ok_rows(&self) -> impl Iterator<Item = &Row> {
        self.rows.iter().filter(|r| r.ok())
    }
}

fn parse_row(path: &Path, n: usize, line: &str) -> Result<Row, ResultsError> {
    let cells: Vec<&str> = line.split(',').collect();
    if cells.len() != COLUMNS.len() {
        return Err(err(
            path,
            Some(n),
            format!("expected {} fields, found {}", COLUMNS.len(), cells.len()),
        ));
    }
    let num = |i: usize| -> Result<Option<f64>, ResultsError> {
        let c = cells[i];
        if c.is_empty() {
            return Ok(None);
        }
        c.parse::<f64>()
            .ok()
            .filter(|v| v.is_finite() && *v >= 0.0)
            .map(Some)
            .ok_or_else(|| {
                err(
                    path,
                    Some(n),
                    format!(
                        "column {}: expected a non-negative number, found {c:?}",
                        COLUMNS[i]
                    ),
                )
            })
    };
    let int = |i: usize| -> Result<Option<u32>, ResultsError> {
        let c = cells[i];
        if c.is_empty() {
            return Ok(None);
        }
        c.parse::<u32>().map(Some).map_err(|_| {
            err(
                path,
                Some(n),
                format!(
                    "column {}: expected a whole number, found {c:?}",
                    COLUMNS[i]
                ),
            )
        })
    };
    let path_cell = match cells[7] {
        "" => None,
        "local" => Some(Served::Local),
        "delegated" => Some(Served::Delegated),
        "queued" => Some(Served::Queued),
        other => {
            return Err(err(
                path,
                Some(n),
                format!("column path: expected local, delegated or queued, found {other:?}"),
            ))
        }
    };
    Ok(Row {
        sched_ms: num(0)?.ok_or_else(|| err(path, Some(n), "column sched_ms is empty"))?,
        send_ms: num(1)?,
        tenant: cells[2].to_string(),
        repeat: int(3)?.unwrap_or(1).max(1),
        latency_ms: num(4)?,
        status: int(5)?.unwrap_or(0).min(999) as u16,
        error: cells[6].to_string(),
        path: path_cell,
        req: int(8)?,
        life: int(9)?,
        start_ms: num(10)?,
        init_ms: num(11)?,
        exec_ms: num(12)?,
        delegate_ms: num(13)?,
        compute_exec_ms: num(14)?,
        compute_init_ms: num(15)?,
    })
}

/// One architecture's logs.
#[derive(Debug, Clone)]
pub struct ArchitectureResults {
    pub name: &'static str,
    pub probe: Option<Log>,
    pub load: Option<Log>,
}

/// A whole results directory.
#[derive(Debug, Clone)]
pub struct Results {
    pub dir: PathBuf,
    /// run.toml's keys (workerd, pglite, machine, date, load_before, ...).
    pub run: BTreeMap<String, String>,
    pub architectures: Vec<ArchitectureResults>,
    /// (process, architecture, ready ms) of each workerd start.
    pub startup: Vec<(String, String, f64)>,
    /// (latency ms, init ms) of each compute-worker first query.
    pub compute_cold: Vec<(f64, f64)>,
    pub trace: PathBuf,
}

/// Keys run.toml must have.
const RUN_KEYS: &[&str] = &["workerd", "pglite", "machine", "date", "architectures"];

impl Results {
    /// Reads the results directory `dir`, checking every file it needs.
    pub fn open(dir: &Path) -> Result<Results, ResultsError> {
        if !dir.is_dir() {
            return Err(err(
                dir,
                None,
                "not a directory (testbed/run.sh writes a results directory)",
            ));
        }
        let run_path = dir.join("run.toml");
        let run = read_run_toml(&run_path)?;
        for package in ["workerd", "pglite"] {
            let pinned = pinned_version(if package == "pglite" {
                "@electric-sql/pglite"
            } else {
                package
            })
            .unwrap_or("?");
            if run[package] != pinned {
                return Err(err(
                    &run_path,
                    None,
                    format!("{package} {} is not the version testbed/package.json pins ({pinned}): results from another testbed cannot calibrate this one", run[package]),
                ));
            }
        }
        let mut architectures = Vec::new();
        for name in run["architectures"].split_whitespace() {
            let Some(&known) = ARCHITECTURES.iter().find(|a| **a == name) else {
                return Err(err(
                    &run_path,
                    None,
                    format!(
                        "architectures: unknown architecture {name:?} (expected {})",
                        ARCHITECTURES.join(", ")
                    ),
                ));
            };
            let read = |file: &str| -> Result<Option<Log>, ResultsError> {
                let p = dir.join(known).join(file);
                if !p.exists() {
                    return Ok(None);
                }
                let log = Log::read(&p)?;
                for (key, value) in [
                    ("workerd", &run["workerd"]),
                    ("pglite", &run["pglite"]),
                    ("architecture", &known.to_string()),
                ] {
                    match log.meta.get(key) {
                        Some(v) if v == value => {}
                        Some(v) => return Err(err(&p, None, format!("{key} = {v} but run.toml says {value}: logs of different runs mixed"))),
                        None => return Err(err(&p, None, format!("the header has no `# {key} = ...` line"))),
                    }
                }
                Ok(Some(log))
            };
            let probe = read("probe.log")?;
            let load = read("load.log")?;
            if probe.is_none() && load.is_none() {
                return Err(err(&dir.join(known), None, "missing: neither probe.log nor load.log (the run did not finish this architecture)"));
            }
            architectures.push(ArchitectureResults {
                name: known,
                probe,
                load,
            });
        }
        let startup = read_csv(
            &dir.join("startup.csv"),
            &["process", "architecture", "ready_ms"],
        )?
        .into_iter()
        .map(|(line, c)| {
            Ok((
                c[0].clone(),
                c[1].clone(),
                number(&dir.join("startup.csv"), line, &c[2])?,
            ))
        })
        .collect::<Result<Vec<_>, ResultsError>>()?;
        let cold_path = dir.join("compute_cold.csv");
        let compute_cold = read_csv(&cold_path, &["attempt", "latency_ms", "init_ms"])?
            .into_iter()
            .map(|(line, c)| {
                Ok((
                    number(&cold_path, line, &c[1])?,
                    number(&cold_path, line, &c[2])?,
                ))
            })
            .collect::<Result<Vec<_>, ResultsError>>()?;
        let trace = dir.join("trace.csv");
        Ok(Results {
            dir: dir.to_path_buf(),
            run,
            architectures,
            startup,
            compute_cold,
            trace,
        })
    }

    /// The logs of architecture `name`, if it ran.
    pub fn architecture(&self, name: &str) -> Option<&ArchitectureResults> {
        self.architectures.iter().find(|a| a.name == name)
    }
}

fn number(path: &Path, line: usize, cell: &str) -> Result<f64, ResultsError> {
    cell.trim()
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite() && *v >= 0.0)
        .ok_or_else(|| {
            err(
                path,
                Some(line),
                format!("expected a non-negative number, found {cell:?}"),
            )
        })
}

fn read_run_toml(path: &Path) -> Result<BTreeMap<String, String>, ResultsError> {
    let text = crate::experiment::config::read_text_file(path).map_err(|e| {
        err(
            path,
            None,
            format!("missing or unreadable ({e}); testbed/run.sh writes it first"),
        )
    })?;
    let table: toml::Table = text.parse().map_err(|e: toml::de::Error| {
        err(path, None, format!("not valid TOML: {}", e.message()))
    })?;
    let mut out = BTreeMap::new();
    for (k, v) in &table {
        let value = match v {
            toml::Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        out.insert(k.clone(), value);
    }
    for key in RUN_KEYS {
        if !out.contains_key(*key) {
            return Err(err(
                path,
                None,
                format!("missing key `{key}` (expected {})", RUN_KEYS.join(", ")),
            ));
        }
    }
    Ok(out)
}

/// The data rows of a small CSV with exactly `columns`, with their line numbers.
fn read_csv(path: &Path, columns: &[&str]) -> Result<Vec<(usize, Vec<String>)>, ResultsError> {
    let text = crate::experiment::config::read_text_file(path)
        .map_err(|e| err(path, None, format!("missing or unreadable: {e}")))?;
    let mut lines = text.lines().enumerate().map(|(i, l)| (i + 1, l));
    match lines.next() {
        Some((_, header)) if header.trim() == columns.join(",") => {}
        _ => {
            return Err(err(
                path,
                Some(1),
                format!("expected the header {:?}", columns.join(",")),
            ))
        }
    }
    let mut rows = Vec::new();
    for (n, line) in lines {
        if line.trim().is_empty() {
            continue;
        }
        let cells: Vec<String> = line.split(',').map(|c| c.trim().to_string()).collect();
        if cells.len() != columns.len() {
            return Err(err(
                path,
                Some(n),
                format!("expected {} fields, found {}", columns.len(), cells.len()),
            ));
        }
        rows.push((n, cells));
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pins_are_read_from_package_json() {
        assert_eq!(pinned_version("workerd"), Some("1.20261117.1"));
        assert_eq!(pinned_version("@electric-sql/pglite"), Some("0.5.17"));
        assert_eq!(pinned_version("left-pad"), None);
    }

    fn log_text(rows: &[&str], end: bool) -> String {
        let mut t = format!("{MAGIC}\n# workerd = 1\n{}\n", COLUMNS.join(","));
        for r in rows {
            t.push_str(r);
            t.push('\n');
        }
        if end {
            t.push_str(END_MARK);
            t.push('\n');
        }
        t
    }

    #[test]
    fn a_log_round_trips_and_bad_logs_name_file_and_line() {
        let p = Path::new("x/load.log");
        let good = log_text(&["0.000,0.100,t1,1,3.500,200,,local,2,1,,,1,,,,"], true);
        let log = Log::parse(p, &good).unwrap();
        assert_eq!(log.meta["workerd"], "1");
        assert_eq!(log.rows[0].path, Some(Served::Local));
        assert_eq!(log.rows[0].req, Some(2));
        assert!(log.rows[0].ok());

        let truncated = log_text(&["0.000,0.100,t1,1,3.500,200,,local,2,1,,,1,,,,"], false);
        let e = Log::parse(p, &truncated).unwrap_err();
        assert!(e.to_string().starts_with("x/load.log: truncated"), "{e}");

        let short = log_text(&["0.000,0.100,t1"], true);
        assert_eq!(Log::parse(p, &short).unwrap_err().line, Some(4));

        let bad_path = log_text(&["0.000,0.100,t1,1,3.5,200,,sideways,2,1,,,,,,,"], true);
        let e = Log::parse(p, &bad_path).unwrap_err();
        assert!(e.to_string().contains("x/load.log:4: column path"), "{e}");

        assert!(Log::parse(p, "hello\n")
            .unwrap_err()
            .to_string()
            .contains("not a testbed log"));
    }

    #[test]
    fn a_directory_from_another_workerd_is_refused_by_name() {
        let dir = tempfile::tempdir().unwrap();
        let e = Results::open(&dir.path().join("nope")).unwrap_err();
        assert!(e.message.contains("not a directory"));
        let e = Results::open(dir.path()).unwrap_err();
        assert!(
            e.path.ends_with("run.toml") && e.message.contains("missing"),
            "{e}"
        );
        std::fs::write(
            dir.path().join("run.toml"),
            "workerd = \"1.20250101.0\"\npglite = \"0.5.17\"\nmachine = \"m\"\ndate = \"d\"\narchitectures = \"thin\"\n",
        )
        .unwrap();
        let e = Results::open(dir.path()).unwrap_err();
        assert!(e.message.contains("1.20250101.0 is not the version"), "{e}");
    }
}
