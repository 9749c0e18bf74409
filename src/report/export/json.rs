//! JSON: `summary.json`, the summary table ([`super::summary_table`]) as an
//! array of objects, one per `summary.csv` row, keys in the CSV's column
//! order (`pandas.read_json(path)` gives the same frame as `read_csv`).
//!
//! Invariants: numbers are written in Rust's shortest round-trip form (as
//! in the CSV, so equal results give equal bytes); a number that is not
//! finite is `null`; every string is escaped per RFC 8259.

use super::{summary_table, Cell, Table};
use crate::experiment::{Experiment, ExperimentResults};

/// A JSON string literal: a TOML basic string is one (the same escapes,
/// and every control character as `\uXXXX`, which RFC 8259 allows).
pub fn string(text: &str) -> String {
    crate::experiment::config::toml_quote(text)
}

/// A JSON number, or `null` when not finite.
pub fn number(x: f64) -> String {
    if x.is_finite() {
        format!("{x}")
    } else {
        "null".into()
    }
}

/// A table as a JSON array of objects, one line per row.
pub fn records(table: &Table) -> String {
    let keys: Vec<String> = table.header.iter().map(|h| string(h)).collect();
    let mut out = String::from("[\n");
    for (i, row) in table.rows.iter().enumerate() {
        out.push_str("  {");
        for (j, (key, cell)) in keys.iter().zip(row).enumerate() {
            if j > 0 {
                out.push_str(", ");
            }
            out.push_str(key);
            out.push_str(": ");
            match cell {
                Cell::Text(t) => out.push_str(&string(t)),
                Cell::Number(x) => out.push_str(&number(*x)),
            }
        }
        out.push('}');
        if i + 1 < table.rows.len() {
            out.push(',');
        }
        out.push('\n');
    }
    out.push_str("]\n");
    out
}

/// The contents of `summary.json`.
pub fn summary_json(experiment: &Experiment, results: &ExperimentResults) -> String {
    records(&summary_table(experiment, results))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_escaped_and_non_finite_numbers_are_null() {
        assert_eq!(string("a\"b\\c\nd\u{1}"), "\"a\\\"b\\\\c\\nd\\u0001\"");
        assert_eq!(number(f64::NAN), "null");
        assert_eq!(number(0.1), "0.1");
        assert_eq!(number(1e-7), "0.0000001");
        let t = Table {
            header: vec!["a".into(), "b".into()],
            rows: vec![
                vec![Cell::Text("x".into()), Cell::Number(2.0)],
                vec![Cell::Text("y".into()), Cell::Number(f64::INFINITY)],
            ],
        };
        assert_eq!(
            records(&t),
            "[\n  {\"a\": \"x\", \"b\": 2},\n  {\"a\": \"y\", \"b\": null}\n]\n"
        );
    }
}
