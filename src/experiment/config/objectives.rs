//! The `[slo]` table of an experiment file: the objectives a run is judged
//! against (the grammar of `--slo`, such as `"p99<=200ms"`) and the
//! one-sided confidence of the verdicts.
//!
//! ```toml
//! [slo]
//! objectives = ["p99<=200ms", "cold_start_fraction<=0.05"]
//! confidence = 0.95
//! ```
//!
//! Invariants: the loader checks the table's shape (keys, types, the
//! confidence's range) and keeps each objective's text with its position, so
//! that whoever parses the objective can report a bad one at its file, line
//! and column ([`ObjectiveText::error`]); a later layer's `objectives` or
//! `confidence` replaces an earlier one's. An experiment without `[slo]`
//! writes no `[slo]` table, so its resolved text is unchanged.

use toml::de::DeValue;

use super::error::{toml_quote, ConfigError, ErrorKind};
use super::scalar::{check_keys, entries_in_order, invalid, number_of, wrong_type, Value};
use super::Source;

/// One objective as written, with where it was written (two are equal when
/// their texts are: the position is not part of the experiment).
#[derive(Debug, Clone)]
pub struct ObjectiveText {
    pub text: String,
    /// An error located at the objective, to which the parser's complaint
    /// is appended.
    at: ConfigError,
}

impl PartialEq for ObjectiveText {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

impl ObjectiveText {
    /// The objective refused for `why`, at its file, line and column.
    pub fn error(&self, why: impl std::fmt::Display) -> ConfigError {
        self.at.clone().with_note(&format!(": {why}"))
    }
}

/// The `[slo]` table, merged over the layers.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SloSpec {
    pub objectives: Vec<ObjectiveText>,
    /// `None`: the default (0.95, as `--confidence`).
    pub confidence: Option<f64>,
}

impl SloSpec {
    /// Whether nothing was set.
    pub fn is_empty(&self) -> bool {
        self.objectives.is_empty() && self.confidence.is_none()
    }

    /// Applies a later layer's `[slo]` over this one.
    pub(crate) fn apply(&mut self, later: SloSpec) {
        if !later.objectives.is_empty() {
            self.objectives = later.objectives;
        }
        if later.confidence.is_some() {
            self.confidence = later.confidence;
        }
    }

    /// The table as TOML (empty when nothing was set).
    pub(crate) fn to_toml(&self) -> String {
        if self.is_empty() {
            return String::new();
        }
        let mut out = String::from("\n[slo]\n");
        if !self.objectives.is_empty() {
            let texts: Vec<String> = self
                .objectives
                .iter()
                .map(|o| toml_quote(&o.text))
                .collect();
            out.push_str(&format!("objectives = [{}]\n", texts.join(", ")));
        }
        if let Some(c) = self.confidence {
            out.push_str(&format!("confidence = {c:?}\n"));
        }
        out
    }
}

/// Reads one layer's `[slo]` table.
pub(crate) fn read_slo(source: &Source, value: &Value<'_>) -> Result<SloSpec, ConfigError> {
    let DeValue::Table(table) = value.get_ref() else {
        return Err(wrong_type(
            source,
            "slo",
            value,
            "a table such as [slo] objectives = [\"p99<=200ms\"]",
        ));
    };
    check_keys(
        source,
        "slo",
        table,
        &["objectives", "confidence"],
        "the objectives table",
    )?;
    let mut spec = SloSpec::default();
    for (key, value) in entries_in_order(table) {
        match key.get_ref().as_ref() {
            "objectives" => {
                let DeValue::Array(items) = value.get_ref() else {
                    return Err(wrong_type(
                        source,
                        "slo.objectives",
                        value,
                        "a list of objectives such as [\"p99<=200ms\"]",
                    ));
                };
                for (i, item) in items.iter().enumerate() {
                    let key = format!("slo.objectives[{i}]");
                    let DeValue::String(text) = item.get_ref() else {
                        return Err(wrong_type(
                            source,
                            &key,
                            item,
                            "an objective such as \"p99<=200ms\"",
                        ));
                    };
                    spec.objectives.push(ObjectiveText {
                        text: text.to_string(),
                        at: ConfigError::value(
                            source,
                            &item.span(),
                            ErrorKind::InvalidValue,
                            &key,
                            format!("{:?}", text.as_ref()),
                        ),
                    });
                }
            }
            _ => {
                let Some(c) = number_of(value.get_ref()) else {
                    return Err(wrong_type(
                        source,
                        "slo.confidence",
                        value,
                        "a probability such as 0.95",
                    ));
                };
                if !(c > 0.5 && c < 1.0) {
                    return Err(invalid(
                        source,
                        "slo.confidence",
                        &value.span(),
                        format!("expected a probability between 0.5 and 1 (exclusive), such as 0.95; found {c}"),
                    ));
                }
                spec.confidence = Some(c);
            }
        }
    }
    Ok(spec)
}
