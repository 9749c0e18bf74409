//! Reading a `[sweep]` table into dimensions: for each swept key, its list
//! of values (`"workload.zipf_s" = [0.6, 0.8]`) or a range expanded to one
//! (`{ from = 0.6, to = 1.2, steps = 4, scale = "log" }`).
//!
//! Invariants: a dimension's key is a known leaf key other than
//! `architectures`; it has at least one value and no two equal values;
//! every value was checked by the same reader as a plain setting of that key
//! (errors name `sweep.KEY[i]` and point at element `i`, or at the range's
//! `from`/`to`/`steps`); range values lie between `from` and `to`, the ends
//! exactly as given, intermediate numbers rounded to 12 significant digits
//! (integer keys: to the nearest integer) and intermediate durations to 6,
//! so that cells read `0.7`, not `0.7000000000000001`. Each value's TOML
//! text is canonical: reading it back gives the same text and cell.

use std::collections::HashMap;
use std::ops::Range;
use std::path::Path;

use toml::de::{DeTable, DeValue};

use super::error::{toml_quote, ConfigError, ErrorKind};
use super::layer::{read_leaf, Setting};
use super::range::read_range;
use super::scalar::{
    entries_in_order, get, integer_of, invalid, join, number_of, wrong_type, Value,
};
use super::schema::{is_table, leaf, Kind};
use super::to_toml::float;
use super::{nearest_known_key, Source};

/// One value of a swept key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SweptValue {
    /// The value as compact inline TOML, as `to_toml` writes it in `[sweep]`
    /// (`0.6`, `"10s"`, `{ dist = "uniform", min = "70s", max = "140s" }`).
    pub toml: String,
    /// The value as a CSV cell: numbers in Rust's `{}` format, strings
    /// unquoted, tables as their compact TOML.
    pub cell: String,
}

/// One swept key as read from a layer.
#[derive(Debug, Clone)]
pub(crate) struct Dimension {
    pub key: &'static str,
    pub values: Vec<SweptValue>,
    /// The checked setting of each value.
    pub settings: Vec<Setting>,
    /// The layer the dimension was written in.
    pub layer: usize,
    /// Where each value was written (a list element, or the whole range).
    pub spans: Vec<Range<usize>>,
    /// The key's span.
    pub key_span: Range<usize>,
}

const EXPECTED_DIMENSION: &str = "a non-empty array of values, such as [0.6, 0.8], or a range \
     table such as { from = 0.6, to = 1.2, steps = 4 }";

/// Reads the value of a layer's top-level `sweep` key.
pub(crate) fn read_sweep(
    source: &Source,
    layer: usize,
    value: &Value<'_>,
) -> Result<Vec<Dimension>, ConfigError> {
    let DeValue::Table(table) = value.get_ref() else {
        let expected = "a table of swept keys, such as [sweep] \"workload.zipf_s\" = [0.6, 0.8]";
        return Err(wrong_type(source, "sweep", value, expected));
    };
    let mut dimensions = Vec::new();
    walk(source, layer, "", table, &mut dimensions)?;
    Ok(dimensions)
}

/// Reads the entries of `[sweep.PREFIX]` (`prefix` empty for `[sweep]`).
fn walk(
    source: &Source,
    layer: usize,
    prefix: &str,
    table: &DeTable<'_>,
    out: &mut Vec<Dimension>,
) -> Result<(), ConfigError> {
    for (name, value) in entries_in_order(table) {
        let full = join(prefix, name.get_ref());
        let shown = format!("sweep.{full}");
        let at_key = |kind, message: String| {
            ConfigError::at(source, &name.span(), kind, Some(shown.clone()), message)
        };
        if full == "architectures" {
            return Err(at_key(
                ErrorKind::InvalidValue,
                "`sweep.architectures`: architectures cannot be swept: every sweep point \
                 already runs each entry of `architectures`; list them there instead"
                    .to_string(),
            ));
        }
        if let Some((key, kind)) = leaf(&full) {
            let dimension = read_dimension(source, layer, key, kind, &name.span(), value)?;
            if let Some(earlier) = out.iter().find(|d| d.key == key) {
                let (line, column) =
                    super::error::line_column(&source.text, earlier.key_span.start);
                return Err(at_key(
                    ErrorKind::Conflict,
                    format!("`{shown}` is swept twice in this layer (also at line {line}, column {column})"),
                ));
            }
            out.push(dimension);
        } else if matches!(value.get_ref(), DeValue::Table(_)) && is_table(&full) {
            if let DeValue::Table(inner) = value.get_ref() {
                walk(source, layer, &full, inner, out)?;
            }
        } else {
            let nesting = matches!(value.get_ref(), DeValue::Table(_)) && !full.contains('.');
            return Err(at_key(
                ErrorKind::UnknownKey,
                unknown_message(&full, nesting),
            ));
        }
    }
    Ok(())
}

/// The message for an unknown key `sweep.FULL`; `nesting`: its value is a
/// table, so a misspelt table name is likelier than a misspelt key.
fn unknown_message(full: &str, nesting: bool) -> String {
    let mut message = format!("unknown sweep key `sweep.{full}`: expected a config key");
    let tables: Vec<&str> = super::schema::names_in("")
        .into_iter()
        .filter(|name| is_table(name))
        .collect();
    let near_table = nesting
        .then(|| super::error::nearest(full, tables.iter().copied()))
        .flatten();
    let whole = super::known_keys()
        .into_iter()
        .find(|k| full.starts_with(&format!("{k}.")));
    if let Some(table) = near_table {
        message.push_str(&format!("; did you mean `sweep.{table}`?"));
    } else if let Some(whole) = whole {
        message.push_str(&format!(
            "; a distribution is swept whole: sweep `{whole}` with a list of distribution tables"
        ));
    } else if let Some(near) = nearest_known_key(full) {
        message.push_str(&format!("; did you mean `sweep.{near}`?"));
    } else if is_table(full) {
        message.push_str(&format!(
            " (`{full}` is a table: sweep one of its keys, such as `sweep.{full}.KEY`)"
        ));
    }
    message
}

fn read_dimension(
    source: &Source,
    layer: usize,
    key: &'static str,
    kind: Kind,
    key_span: &Range<usize>,
    value: &Value<'_>,
) -> Result<Dimension, ConfigError> {
    let shown = format!("sweep.{key}");
    let mut dimension = Dimension {
        key,
        values: Vec::new(),
        settings: Vec::new(),
        layer,
        spans: Vec::new(),
        key_span: key_span.clone(),
    };
    match value.get_ref() {
        DeValue::Array(items) if items.is_empty() => {
            return Err(invalid(
                source,
                &shown,
                &value.span(),
                "expected at least one value to sweep, found an empty array",
            ));
        }
        DeValue::Array(items) => {
            let mut seen: HashMap<String, usize> = HashMap::new();
            for (i, item) in items.iter().enumerate() {
                let item_key = format!("{shown}[{i}]");
                let setting = read_leaf(source, &item_key, kind, item)?;
                if let Some(j) = seen.insert(format!("{setting:?}"), i) {
                    return Err(invalid(
                        source,
                        &item_key,
                        &item.span(),
                        format!("duplicate of `{shown}[{j}]`: each value may appear once"),
                    ));
                }
                let toml = match (kind, item.get_ref()) {
                    // A path means the same file wherever the text is loaded.
                    (Kind::Path, DeValue::String(path)) if !path.is_empty() => toml_quote(
                        &absolute(source.base_dir.as_deref(), Path::new(path.as_ref())),
                    ),
                    _ => render(item.get_ref(), source.base_dir.as_deref(), true),
                };
                let cell = cell_of(item.get_ref(), &toml);
                dimension.values.push(SweptValue { toml, cell });
                dimension.settings.push(setting);
                dimension.spans.push(item.span());
            }
        }
        DeValue::Table(table) if get(table, "dist").is_some() => {
            return Err(ConfigError::value(
                source,
                &value.span(),
                ErrorKind::WrongType,
                &shown,
                format!(
                    "expected {EXPECTED_DIMENSION}, found one distribution table: \
                     put the distributions to sweep in an array, [{{ dist = ... }}, ...]"
                ),
            ));
        }
        DeValue::Table(table) => {
            for (setting, swept) in read_range(source, &shown, kind, &value.span(), table)? {
                dimension.settings.push(setting);
                dimension.values.push(swept);
                dimension.spans.push(value.span());
            }
        }
        _ => return Err(wrong_type(source, &shown, value, EXPECTED_DIMENSION)),
    }
    Ok(dimension)
}

/// `value` as compact inline TOML. Strings are re-quoted, integers written
/// in decimal, floats in Rust's round-trip form, table entries in text
/// order; `file` of a top-level (distribution) table becomes an absolute
/// path (resolved against `base_dir`), so the text means the same file
/// wherever it is loaded from.
pub(crate) fn render(value: &DeValue<'_>, base_dir: Option<&Path>, top: bool) -> String {
    match value {
        DeValue::String(s) => toml_quote(s),
        DeValue::Integer(i) => match integer_of(value) {
            Some(n) => n.to_string(),
            None => i.as_str().to_string(),
        },
        DeValue::Float(_) => number_of(value).map_or_else(|| "nan".to_string(), float),
        DeValue::Boolean(b) => b.to_string(),
        DeValue::Datetime(d) => d.to_string(),
        DeValue::Array(items) => {
            let items: Vec<String> = items
                .iter()
                .map(|item| render(item.get_ref(), base_dir, false))
                .collect();
            format!("[{}]", items.join(", "))
        }
        DeValue::Table(table) if table.is_empty() => "{}".to_string(),
        DeValue::Table(table) => {
            let entries: Vec<String> = entries_in_order(table)
                .into_iter()
                .map(|(name, item)| {
                    let text = match item.get_ref() {
                        DeValue::String(path) if top && name.get_ref() == "file" => {
                            toml_quote(&absolute(base_dir, Path::new(path.as_ref())))
                        }
                        other => render(other, base_dir, false),
                    };
                    format!("{} = {text}", bare_or_quoted(name.get_ref()))
                })
                .collect();
            format!("{{ {} }}", entries.join(", "))
        }
    }
}

/// The CSV cell of a value whose TOML text is `toml`.
fn cell_of(value: &DeValue<'_>, toml: &str) -> String {
    match value {
        DeValue::String(s) => s.to_string(),
        DeValue::Float(_) => number_of(value).map_or_else(|| toml.to_string(), |x| format!("{x}")),
        _ => toml.to_string(),
    }
}

fn bare_or_quoted(key: &str) -> String {
    let bare = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if bare {
        key.to_string()
    } else {
        toml_quote(key)
    }
}

/// `path` resolved against `base_dir` and made absolute (as written if the
/// current directory is unknown).
fn absolute(base_dir: Option<&Path>, path: &Path) -> String {
    let joined = match base_dir {
        Some(base) if path.is_relative() => base.join(path),
        _ => path.to_path_buf(),
    };
    std::path::absolute(&joined)
        .unwrap_or(joined)
        .display()
        .to_string()
}
