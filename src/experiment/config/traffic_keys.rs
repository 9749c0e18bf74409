//! Readers for the traffic keys that are not plain scalars: the trace path
//! (`workload.trace`), a rate profile (`workload.diurnal.profile`) and the
//! MMPP states (`workload.mmpp.states`); and the checks, after merging,
//! that the chosen arrival process has what it needs (a trace file that
//! reads to its end, in time order).
//!
//! Invariants: a path is stored absolute (resolved against the directory of
//! the file that sets it, so a resolved configuration written anywhere
//! means the same file) and, when not empty, names an existing file; a
//! profile holds at most [`MAX_PROFILE`] finite values >= 0 and, when not
//! empty, not all zero; MMPP states are 1 to [`MAX_STATES`] tables with a
//! finite `rate_rps` >= 0 (one of them > 0) and a `mean_sojourn` > 0.
//! Errors name the element (`workload.mmpp.states[1].rate_rps`) and point
//! at it.

use std::path::{Path, PathBuf};

use toml::de::DeValue;

use super::error::{ConfigError, ErrorKind};
use super::scalar::{check_keys, duration, get, invalid, number, wrong_type, Value};
use super::schema::NumberRange;
use super::Source;
use crate::workload::MmppState;

/// The most values a profile may have (a minute-by-minute week is 10,080).
pub const MAX_PROFILE: usize = 100_000;

/// The most MMPP states.
pub const MAX_STATES: usize = 1_000;

const STATE_KEYS: &[&str] = &["rate_rps", "mean_sojourn"];

const STATES_EXPECTED: &str = "an array of states such as \
     [{ rate_rps = 50.0, mean_sojourn = \"5min\" }, { rate_rps = 500.0, mean_sojourn = \"30s\" }]";

/// `path` against `base` when relative (and a base is known), absolute.
pub(crate) fn absolute_path(base: Option<&Path>, path: &Path) -> PathBuf {
    let joined = match base {
        Some(base) if path.is_relative() => base.join(path),
        _ => path.to_path_buf(),
    };
    std::path::absolute(&joined).unwrap_or(joined)
}

/// A file path string: `""` (none) or an existing file, made absolute.
pub(crate) fn read_path(
    source: &Source,
    key: &str,
    value: &Value<'_>,
) -> Result<PathBuf, ConfigError> {
    let DeValue::String(name) = value.get_ref() else {
        return Err(wrong_type(
            source,
            key,
            value,
            "a file path string (relative to this file), or \"\" for none",
        ));
    };
    if name.is_empty() {
        return Ok(PathBuf::new());
    }
    let path = absolute_path(source.base_dir.as_deref(), Path::new(name.as_ref()));
    let problem = match std::fs::metadata(&path) {
        Ok(meta) if meta.is_dir() => Some("it is a directory".to_string()),
        Ok(_) => None,
        Err(e) => Some(e.to_string()),
    };
    match problem {
        None => Ok(path),
        Some(problem) => Err(ConfigError::value(
            source,
            &value.span(),
            ErrorKind::Read,
            key,
            format!(
                "cannot read the file {}: {problem} (a relative path is relative to the \
                 file that sets it)",
                path.display()
            ),
        )),
    }
}

/// A rate profile: an array of numbers >= 0, empty or not all zero.
pub(crate) fn read_profile(
    source: &Source,
    key: &str,
    value: &Value<'_>,
) -> Result<Vec<f64>, ConfigError> {
    let DeValue::Array(items) = value.get_ref() else {
        return Err(wrong_type(
            source,
            key,
            value,
            "an array of relative rates >= 0, such as 24 hourly values [0.5, 0.4, ...], \
             or [] for the sinusoid",
        ));
    };
    if items.len() > MAX_PROFILE {
        return Err(invalid(
            source,
            key,
            &value.span(),
            format!(
                "expected at most {MAX_PROFILE} values, found {}",
                items.len()
            ),
        ));
    }
    let values = items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            number(
                source,
                &format!("{key}[{i}]"),
                item,
                NumberRange::NonNegative,
            )
        })
        .collect::<Result<Vec<f64>, ConfigError>>()?;
    if !values.is_empty() && values.iter().all(|x| *x == 0.0) {
        return Err(invalid(
            source,
            key,
            &value.span(),
            "expected at least one value > 0 (the profile is scaled so that its mean is \
             `workload.rate_rps`), found only zeros",
        ));
    }
    Ok(values)
}

/// The MMPP states.
pub(crate) fn read_states(
    source: &Source,
    key: &str,
    value: &Value<'_>,
) -> Result<Vec<MmppState>, ConfigError> {
    let DeValue::Array(items) = value.get_ref() else {
        return Err(wrong_type(source, key, value, STATES_EXPECTED));
    };
    if items.is_empty() || items.len() > MAX_STATES {
        return Err(invalid(
            source,
            key,
            &value.span(),
            format!("expected 1 to {MAX_STATES} states, found {}", items.len()),
        ));
    }
    let mut states = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let item_key = format!("{key}[{i}]");
        let DeValue::Table(table) = item.get_ref() else {
            return Err(wrong_type(
                source,
                &item_key,
                item,
                "a state table such as { rate_rps = 50.0, mean_sojourn = \"5min\" }",
            ));
        };
        check_keys(source, &item_key, table, STATE_KEYS, "an MMPP state")?;
        let field = |name: &str| {
            get(table, name).ok_or_else(|| {
                ConfigError::at(
                    source,
                    &item.span(),
                    ErrorKind::Missing,
                    Some(format!("{item_key}.{name}")),
                    format!(
                        "`{item_key}`: a state needs `rate_rps` (requests per second in \
                         the state) and `mean_sojourn` (its mean duration, such as \"5min\"); \
                         `{name}` is missing"
                    ),
                )
            })
        };
        let rate_rps = number(
            source,
            &format!("{item_key}.rate_rps"),
            field("rate_rps")?,
            NumberRange::NonNegative,
        )?;
        let sojourn_key = format!("{item_key}.mean_sojourn");
        let sojourn_value = field("mean_sojourn")?;
        let mean_sojourn = duration(
            source,
            &sojourn_key,
            sojourn_value,
            "a state's mean sojourn is one duration (sojourns are exponential)",
        )?;
        if mean_sojourn == 0 {
            return Err(invalid(
                source,
                &sojourn_key,
                &sojourn_value.span(),
                "expected a duration > 0, found 0",
            ));
        }
        states.push(MmppState {
            rate_rps,
            mean_sojourn,
        });
    }
    if states.iter().all(|s| s.rate_rps == 0.0) {
        return Err(invalid(
            source,
            key,
            &value.span(),
            "expected at least one state with rate_rps > 0, found only zero rates",
        ));
    }
    Ok(states)
}
