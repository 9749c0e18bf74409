//! The assumed parameters, read from `models/assumptions.toml` (embedded)
//! or a file of the same form: each a config key, a plausible `low` and
//! `high` value, and the reason for the range.
//!
//! Invariants: a value is kept as the `--set` right-hand side that sets it
//! (TOML, inline), so a sensitivity run at `low` is the run of
//! `dofleet run EXPERIMENT --set KEY=LOW`; keys are unique; unknown fields
//! are refused. Whether a key exists is checked where it is applied (the
//! configuration loader names the key and the nearest valid one).

use std::path::Path;

use serde::Deserialize;

/// The embedded list's name, as errors cite it.
pub const DEFAULT_NAME: &str = "models/assumptions.toml";

/// The embedded list.
pub const DEFAULT: &str = include_str!("../../models/assumptions.toml");

/// One end of a range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Side {
    Low,
    High,
}

impl Side {
    pub const BOTH: [Side; 2] = [Side::Low, Side::High];

    pub fn name(self) -> &'static str {
        match self {
            Side::Low => "low",
            Side::High => "high",
        }
    }
}

/// One assumed parameter and its range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assumption {
    /// The dotted config key.
    pub key: String,
    /// The values, as `--set KEY=VALUE` takes them.
    pub low: String,
    pub high: String,
    /// Why this range.
    pub reason: String,
}

impl Assumption {
    /// The value at `side`.
    pub fn value(&self, side: Side) -> &str {
        match side {
            Side::Low => &self.low,
            Side::High => &self.high,
        }
    }

    /// The `--set` assignment that moves the key to `side`.
    pub fn assignment(&self, side: Side) -> String {
        format!("{}={}", self.key, self.value(side))
    }
}

/// Why a list of assumptions was refused.
#[derive(Debug, thiserror::Error)]
#[error("{name}: {message}")]
pub struct AssumptionsError {
    pub name: String,
    pub message: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    assumption: Vec<Entry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    key: String,
    low: toml::Value,
    high: toml::Value,
    reason: String,
}

/// Reads the list in `text` (named `name` in errors).
pub fn parse(name: &str, text: &str) -> Result<Vec<Assumption>, AssumptionsError> {
    let fail = |message: String| AssumptionsError {
        name: name.to_string(),
        message,
    };
    let file: File = toml::from_str(text).map_err(|e| {
        fail(format!(
            "expected [[assumption]] tables with key, low, high and reason: {e}"
        ))
    })?;
    let mut out: Vec<Assumption> = Vec::new();
    for entry in file.assumption {
        if out.iter().any(|a| a.key == entry.key) {
            return Err(fail(format!("`{}` is listed twice", entry.key)));
        }
        out.push(Assumption {
            key: entry.key,
            low: inline(&entry.low),
            high: inline(&entry.high),
            reason: entry.reason,
        });
    }
    Ok(out)
}

/// The embedded list, or the file at `path`.
pub fn load(path: Option<&Path>) -> Result<Vec<Assumption>, AssumptionsError> {
    match path {
        None => parse(DEFAULT_NAME, DEFAULT),
        Some(path) => {
            let name = path.display().to_string();
            let text = std::fs::read_to_string(path).map_err(|e| AssumptionsError {
                name: name.clone(),
                message: format!("cannot read it: {e}"),
            })?;
            parse(&name, &text)
        }
    }
}

/// The assumptions of `list` named in `keys` (all of them when `keys` is
/// empty); a key that is not in the list is refused with the nearest one.
pub fn select(list: Vec<Assumption>, keys: &[String]) -> Result<Vec<Assumption>, AssumptionsError> {
    if keys.is_empty() {
        return Ok(list);
    }
    for key in keys {
        if !list.iter().any(|a| &a.key == key) {
            let near =
                crate::experiment::config::nearest_name(key, list.iter().map(|a| a.key.as_str()))
                    .map(|n| format!(" (did you mean `{n}`?)"))
                    .unwrap_or_default();
            return Err(AssumptionsError {
                name: format!("--only {key}"),
                message: format!("not an assumption of the list{near}"),
            });
        }
    }
    Ok(list.into_iter().filter(|a| keys.contains(&a.key)).collect())
}

/// A TOML value on one line, as a `--set` right-hand side.
fn inline(value: &toml::Value) -> String {
    match value {
        toml::Value::Table(table) => {
            let fields: Vec<String> = table
                .iter()
                .map(|(k, v)| format!("{k} = {}", inline(v)))
                .collect();
            format!("{{ {} }}", fields.join(", "))
        }
        toml::Value::Array(items) => {
            let items: Vec<String> = items.iter().map(inline).collect();
            format!("[{}]", items.join(", "))
        }
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_list_parses_with_isolate_start_bundled_among_it() {
        let list = parse(DEFAULT_NAME, DEFAULT).unwrap_or_else(|e| panic!("{e}"));
        let bundled = list
            .iter()
            .find(|a| a.key == "phases.isolate_start_bundled")
            .unwrap_or_else(|| panic!("missing"));
        let low = bundled.assignment(Side::Low);
        assert!(
            low.starts_with("phases.isolate_start_bundled={ ")
                && low.contains("dist = \"uniform\"")
                && low.contains("min = \"20ms\"")
                && low.contains("max = \"50ms\""),
            "{low}"
        );
        assert!(list.iter().all(|a| !a.reason.is_empty()));
    }

    #[test]
    fn duplicates_and_unknown_fields_are_refused_naming_the_file() {
        let twice = "[[assumption]]\nkey = \"a.b\"\nlow = 1\nhigh = 2\nreason = \"r\"\n\
                     [[assumption]]\nkey = \"a.b\"\nlow = 1\nhigh = 2\nreason = \"r\"\n";
        let e = parse("x.toml", twice).err().map(|e| e.to_string());
        assert_eq!(e.as_deref(), Some("x.toml: `a.b` is listed twice"));
        let odd = "[[assumption]]\nkey = \"a.b\"\nlow = 1\nhigh = 2\nreason = \"r\"\nmid = 3\n";
        let e = parse("x.toml", odd)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            e.starts_with("x.toml: expected [[assumption]]") && e.contains("mid"),
            "{e}"
        );
    }
}
