//! Readers for single TOML values: integers, numbers, booleans, durations,
//! names from a fixed list, and the key check of small inline tables.
//!
//! Invariants: each reader either returns a value inside its documented
//! range or a [`ConfigError`] located at the value (or, for an unknown key,
//! at the key) with the full dotted key; none panics on any input (integers
//! are parsed as `i128` and range-checked, never cast unchecked).

use std::ops::Range;

use toml::de::{DeString, DeTable, DeValue};
use toml::Spanned;

use super::error::{describe, list, nearest, quote_short, quoted_list, ConfigError, ErrorKind};
use super::schema::NumberRange;
use super::Source;
use crate::time::{parse_duration, Nanos};

/// A TOML value with its byte span.
pub(crate) type Value<'i> = Spanned<DeValue<'i>>;

/// The units a duration string may carry, for messages.
pub(crate) const UNIT_LIST: &str = "ns, us, ms, s, min, h, d";

/// The entries of `table` in the order they appear in the text (the parser
/// sorts them by name), so the first error reported is the first in the file.
pub(crate) fn entries_in_order<'t, 'i>(
    table: &'t DeTable<'i>,
) -> Vec<(&'t Spanned<DeString<'i>>, &'t Value<'i>)> {
    let mut entries: Vec<_> = table.iter().collect();
    entries.sort_by_key(|(key, _)| key.span().start);
    entries
}

/// `table.key` (or `key` at the top level).
pub(crate) fn join(table: &str, key: &str) -> String {
    if table.is_empty() {
        key.to_string()
    } else {
        format!("{table}.{key}")
    }
}

/// "expected X, found Y", with a hint when a string holds what the key
/// wants unquoted.
pub(crate) fn wrong_type(
    source: &Source,
    key: &str,
    value: &Value<'_>,
    expected: &str,
) -> ConfigError {
    let mut detail = format!("expected {expected}, found {}", describe(value.get_ref()));
    if let DeValue::String(s) = value.get_ref() {
        let t = s.trim();
        if t.parse::<f64>().is_ok() || t == "true" || t == "false" {
            detail.push_str(" (write it without quotes)");
        }
    }
    ConfigError::value(source, &value.span(), ErrorKind::WrongType, key, detail)
}

/// An invalid value of the right type.
pub(crate) fn invalid(
    source: &Source,
    key: &str,
    span: &Range<usize>,
    detail: impl std::fmt::Display,
) -> ConfigError {
    ConfigError::value(source, span, ErrorKind::InvalidValue, key, detail)
}

/// The value of a TOML integer, if it is one (any size TOML allows).
pub(crate) fn integer_of(value: &DeValue<'_>) -> Option<i128> {
    let DeValue::Integer(i) = value else {
        return None;
    };
    let radix = i.radix();
    // `from_str_radix` panics outside 2..=36; the parser only produces
    // 2, 8, 10 and 16, but a panic must not depend on that.
    if !(2..=36).contains(&radix) {
        return None;
    }
    i128::from_str_radix(i.as_str(), radix).ok()
}

/// The value of a TOML integer or float, if it is a number.
pub(crate) fn number_of(value: &DeValue<'_>) -> Option<f64> {
    match value {
        DeValue::Integer(_) => integer_of(value).map(|n| n as f64),
        DeValue::Float(x) => x.as_str().parse().ok(),
        _ => None,
    }
}

/// An integer in `min..=max`.
pub(crate) fn integer(
    source: &Source,
    key: &str,
    value: &Value<'_>,
    min: u64,
    max: u64,
) -> Result<u64, ConfigError> {
    let expected = if min == 0 && max == u64::MAX {
        "an integer >= 0".to_string()
    } else {
        format!("an integer from {min} to {max}")
    };
    let Some(n) = integer_of(value.get_ref()) else {
        return Err(wrong_type(source, key, value, &expected));
    };
    match u64::try_from(n) {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        _ => Err(invalid(
            source,
            key,
            &value.span(),
            format!("expected {expected}, found {n}"),
        )),
    }
}

/// A finite number (an integer is accepted) in `range`.
pub(crate) fn number(
    source: &Source,
    key: &str,
    value: &Value<'_>,
    range: NumberRange,
) -> Result<f64, ConfigError> {
    let Some(x) = number_of(value.get_ref()) else {
        return Err(wrong_type(source, key, value, range.describe()));
    };
    if range.contains(x) {
        Ok(x)
    } else {
        let found = describe(value.get_ref());
        Err(invalid(
            source,
            key,
            &value.span(),
            format!("expected {}, found {found}", range.describe()),
        ))
    }
}

/// `true` or `false`.
pub(crate) fn boolean(source: &Source, key: &str, value: &Value<'_>) -> Result<bool, ConfigError> {
    match value.get_ref() {
        DeValue::Boolean(b) => Ok(*b),
        _ => Err(wrong_type(source, key, value, "true or false")),
    }
}

/// A duration string with a unit (`"10ms"`). A bare number is refused with
/// a message saying a unit is needed; `not_a_table` completes the message
/// when a table (a distribution) is given.
pub(crate) fn duration(
    source: &Source,
    key: &str,
    value: &Value<'_>,
    not_a_table: &str,
) -> Result<Nanos, ConfigError> {
    match value.get_ref() {
        DeValue::String(s) => parse_duration(s).map_err(|m| invalid(source, key, &value.span(), m)),
        DeValue::Integer(_) | DeValue::Float(_) => Err(bare_number(source, key, value)),
        DeValue::Table(_) => Err(ConfigError::value(
            source,
            &value.span(),
            ErrorKind::WrongType,
            key,
            format!("expected a single duration such as \"60s\", found a table: {not_a_table}"),
        )),
        _ => Err(wrong_type(
            source,
            key,
            value,
            "a duration string with a unit, such as \"10ms\"",
        )),
    }
}

/// The error for a number given where a duration (which needs a unit) is.
pub(crate) fn bare_number(source: &Source, key: &str, value: &Value<'_>) -> ConfigError {
    let number = match value.get_ref() {
        DeValue::Integer(i) => i.as_str().to_string(),
        DeValue::Float(x) => x.as_str().to_string(),
        other => describe(other),
    };
    ConfigError::value(
        source,
        &value.span(),
        ErrorKind::WrongType,
        key,
        format!(
            "a duration needs a unit, found the bare number {number}: write it as a string \
             with its unit, such as \"{number}ms\" or \"{number}s\" (units: {UNIT_LIST})"
        ),
    )
}

/// One of `names`, with a suggestion for a near miss.
pub(crate) fn choice(
    source: &Source,
    key: &str,
    value: &Value<'_>,
    names: &'static [&'static str],
) -> Result<&'static str, ConfigError> {
    let expected = format!("one of {}", quoted_list(names));
    let DeValue::String(s) = value.get_ref() else {
        return Err(wrong_type(source, key, value, &expected));
    };
    if let Some(name) = names.iter().find(|n| **n == s.as_ref()) {
        return Ok(name);
    }
    let mut detail = format!("expected {expected}, found {}", quote_short(s));
    if let Some(near) = nearest(s, names.iter().copied()) {
        detail.push_str(&format!("; did you mean \"{near}\"?"));
    }
    Err(invalid(source, key, &value.span(), detail))
}

/// Refuses any key of `table` (the value at dotted key `key`) not in
/// `allowed`; `what` names the table for the message ("a uniform
/// distribution").
pub(crate) fn check_keys(
    source: &Source,
    key: &str,
    table: &DeTable<'_>,
    allowed: &[&str],
    what: &str,
) -> Result<(), ConfigError> {
    for (name, _) in entries_in_order(table) {
        if allowed.contains(&name.get_ref().as_ref()) {
            continue;
        }
        let full = format!("{key}.{}", name.get_ref());
        let mut message = format!("unknown key `{full}`");
        if let Some(near) = nearest(name.get_ref(), allowed.iter().copied()) {
            message.push_str(&format!("; did you mean `{key}.{near}`?"));
        }
        message.push_str(&format!(" (valid keys for {what}: {})", list(allowed)));
        return Err(ConfigError::at(
            source,
            &name.span(),
            ErrorKind::UnknownKey,
            Some(full),
            message,
        ));
    }
    Ok(())
}

/// The entry `name` of `table`, if present.
pub(crate) fn get<'t, 'i>(table: &'t DeTable<'i>, name: &str) -> Option<&'t Value<'i>> {
    table
        .iter()
        .find(|(key, _)| key.get_ref().as_ref() == name)
        .map(|(_, value)| value)
}
