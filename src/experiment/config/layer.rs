//! Reading one layer (a TOML text) into checked settings.
//!
//! Invariants: a layer is parsed on its own, before any merging, so every
//! syntax error, unknown key, wrong type and out-of-range value is reported
//! with the exact position in that layer's text; keys are checked against
//! the schema (the key table of `keys.rs`) at every level; within a table,
//! entries are visited in text order, so the first error reported is the
//! first in the file. The result holds only leaf settings (tables are merged key by key,
//! distribution tables and `architectures` are leaves, replaced whole).

use std::ops::Range;
use std::path::PathBuf;

use toml::de::{DeTable, DeValue};

use super::duration_spec::read_dist;
use super::error::{describe, list, nearest, quote_short, ConfigError, ErrorKind};
use super::scalar::{
    boolean, check_keys, choice, duration, entries_in_order, get, integer, join, number,
    wrong_type, Value,
};
use super::schema::{
    is_table, leaf, leaf_near, names_in, Kind, ARCHITECTURE_NAMES, WASM_COMPILE_NAMES,
};
use super::traffic_keys::{read_path, read_profile, read_states};
use super::Source;
use crate::architectures::{Architecture, WasmCompile};
use crate::dist::Dist;
use crate::time::Nanos;
use crate::workload::MmppState;

/// Where a setting was made: the layer's index and the byte span of its
/// value in that layer's text.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Origin {
    pub layer: usize,
    pub value_span: Range<usize>,
}

/// A leaf value, checked on its own (cross-key checks come after merging).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Setting {
    Integer(u64),
    Number(f64),
    Bool(bool),
    Duration(Nanos),
    Dist(Dist),
    /// A name from the kind's fixed list.
    Choice(&'static str),
    Architectures(Vec<ArchitectureEntry>),
    /// Distinct names from the kind's fixed list.
    Names(Vec<&'static str>),
    /// A file path, absolute (empty: none).
    Path(PathBuf),
    /// A rate profile (relative values).
    Profile(Vec<f64>),
    /// MMPP states.
    States(Vec<MmppState>),
}

/// One entry of `architectures`; `runtime_wasm_compile` is `None` when the
/// entry inherits `platform.runtime_wasm_compile`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ArchitectureEntry {
    pub architecture: Architecture,
    pub runtime_wasm_compile: Option<WasmCompile>,
    /// The entry's byte span in its layer.
    pub span: Range<usize>,
}

/// One leaf set by a layer.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Assignment {
    pub key: &'static str,
    pub setting: Setting,
    pub origin: Origin,
}

/// Parses and checks layer number `layer`.
pub(crate) fn read_layer(source: &Source, layer: usize) -> Result<Vec<Assignment>, ConfigError> {
    read_layer_except(source, layer, &[])
}

/// Like [`read_layer`], but the top-level keys in `skip` (the experiment
/// keys `extends`, `name`, `description`, `sweep`) are left to the caller:
/// not read, not refused, and listed among the valid top-level keys.
pub(crate) fn read_layer_except(
    source: &Source,
    layer: usize,
    skip: &[&'static str],
) -> Result<Vec<Assignment>, ConfigError> {
    let document = DeTable::parse(&source.text).map_err(|e| syntax_error(source, &e))?;
    let mut reader = Reader {
        source,
        layer,
        skip,
        assignments: Vec::new(),
    };
    reader.table("", document.get_ref())?;
    Ok(reader.assignments)
}

/// Reads one value of the leaf of kind `kind`; `key` is the dotted key
/// errors name (`sweep.workload.zipf_s[1]`).
pub(crate) fn read_leaf(
    source: &Source,
    key: &str,
    kind: Kind,
    value: &Value<'_>,
) -> Result<Setting, ConfigError> {
    let reader = Reader {
        source,
        layer: 0,
        skip: &[],
        assignments: Vec::new(),
    };
    reader.leaf(key, kind, value)
}

pub(crate) fn syntax_error(source: &Source, error: &toml::de::Error) -> ConfigError {
    let span = error.span().unwrap_or(0..0);
    let mut message = format!("invalid TOML: {}", error.message());
    if error.message().contains("string values must be quoted") {
        message.push_str(" (names and durations are strings: write \"lazy\", \"10ms\")");
    }
    ConfigError::at(source, &span, ErrorKind::Syntax, None, message)
}

struct Reader<'a> {
    source: &'a Source,
    layer: usize,
    /// Top-level keys read by the caller (experiment keys).
    skip: &'a [&'static str],
    assignments: Vec<Assignment>,
}

impl Reader<'_> {
    /// Reads the entries of the table `prefix` (`""` for the top level).
    fn table(&mut self, prefix: &str, table: &DeTable<'_>) -> Result<(), ConfigError> {
        for (name, value) in entries_in_order(table) {
            let full = join(prefix, name.get_ref());
            if prefix.is_empty() && self.skip.contains(&name.get_ref().as_ref()) {
                continue;
            }
            // A quoted key with a dot ("workload.tenants" = 1) is one key,
            // not a path: it matches no leaf.
            let is_path_segment = !name.get_ref().contains('.');
            if let Some((key, kind)) = leaf(&full).filter(|_| is_path_segment) {
                let setting = self.leaf(key, kind, value)?;
                self.assignments.push(Assignment {
                    key,
                    setting,
                    origin: Origin {
                        layer: self.layer,
                        value_span: value.span(),
                    },
                });
            } else if is_path_segment && is_table(&full) {
                match value.get_ref() {
                    DeValue::Table(inner) => self.table(&full, inner)?,
                    _ => {
                        let expected =
                            format!("a table ([{full}]) with keys {}", list(&names_in(&full)));
                        return Err(wrong_type(self.source, &full, value, &expected));
                    }
                }
            } else {
                return Err(self.unknown_key(prefix, name.get_ref(), &full, &name.span()));
            }
        }
        Ok(())
    }

    fn unknown_key(
        &self,
        prefix: &str,
        name: &str,
        full: &str,
        span: &Range<usize>,
    ) -> ConfigError {
        let mut names = names_in(prefix);
        if prefix.is_empty() {
            names.extend(self.skip.iter().copied());
        }
        let message = if name.contains('.') {
            format!(
                "unknown key `{}`: a quoted key is one key, not a dotted path; \
                 write {full} without quotes",
                join(prefix, &format!("{name:?}"))
            )
        } else {
            let suggestion = nearest(name, names.iter().copied())
                .map(|near| join(prefix, near))
                .or_else(|| leaf_near(name).map(str::to_string));
            let mut message = format!("unknown key `{full}`");
            if let Some(suggestion) = suggestion {
                message.push_str(&format!("; did you mean `{suggestion}`?"));
            }
            let level = if prefix.is_empty() {
                "valid top-level keys".to_string()
            } else {
                format!("valid keys in [{prefix}]")
            };
            message.push_str(&format!(" ({level}: {})", list(&names)));
            message
        };
        ConfigError::at(
            self.source,
            span,
            ErrorKind::UnknownKey,
            Some(full.to_string()),
            message,
        )
    }

    fn leaf(&self, key: &str, kind: Kind, value: &Value<'_>) -> Result<Setting, ConfigError> {
        let source = self.source;
        Ok(match kind {
            Kind::Integer { min, max } => Setting::Integer(integer(source, key, value, min, max)?),
            Kind::Number(range) => Setting::Number(number(source, key, value, range)?),
            Kind::Bool => Setting::Bool(boolean(source, key, value)?),
            Kind::Duration { positive, why } => {
                let nanos = duration(source, key, value, why)?;
                if positive && nanos == 0 {
                    return Err(ConfigError::value(
                        source,
                        &value.span(),
                        ErrorKind::InvalidValue,
                        key,
                        format!(
                            "expected a duration > 0, found {}",
                            describe(value.get_ref())
                        ),
                    ));
                }
                Setting::Duration(nanos)
            }
            Kind::Dist => Setting::Dist(read_dist(source, key, value)?),
            Kind::Choice(names) => Setting::Choice(choice(source, key, value, names)?),
            Kind::Architectures => Setting::Architectures(self.architectures(key, value)?),
            Kind::Names(names) => Setting::Names(self.names(key, value, names)?),
            Kind::Path => Setting::Path(read_path(source, key, value)?),
            Kind::Profile => Setting::Profile(read_profile(source, key, value)?),
            Kind::MmppStates => Setting::States(read_states(source, key, value)?),
        })
    }

    /// A list of distinct names from `names` (`[]` is allowed: none).
    fn names(
        &self,
        key: &str,
        value: &Value<'_>,
        names: &'static [&'static str],
    ) -> Result<Vec<&'static str>, ConfigError> {
        let source = self.source;
        let DeValue::Array(items) = value.get_ref() else {
            let expected = format!("an array of names from {} ([] for none)", list(names));
            return Err(wrong_type(source, key, value, &expected));
        };
        let mut chosen: Vec<&'static str> = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let item_key = format!("{key}[{i}]");
            let name = choice(source, &item_key, item, names)?;
            if chosen.contains(&name) {
                return Err(ConfigError::value(
                    source,
                    &item.span(),
                    ErrorKind::InvalidValue,
                    &item_key,
                    format!("\"{name}\" is listed twice"),
                ));
            }
            chosen.push(name);
        }
        Ok(chosen)
    }

    fn architectures(
        &self,
        key: &str,
        value: &Value<'_>,
    ) -> Result<Vec<ArchitectureEntry>, ConfigError> {
        let source = self.source;
        let DeValue::Array(items) = value.get_ref() else {
            let mut expected =
                "an array of architectures, such as [\"traditional\", \"lazy\"]".to_string();
            if let DeValue::String(s) = value.get_ref() {
                expected = format!("an array of architectures (write [{}])", quote_short(s));
            }
            return Err(wrong_type(source, key, value, &expected));
        };
        if items.is_empty() {
            return Err(ConfigError::value(
                source,
                &value.span(),
                ErrorKind::InvalidValue,
                key,
                format!(
                    "expected at least one architecture (of {})",
                    list(ARCHITECTURE_NAMES)
                ),
            ));
        }
        items
            .iter()
            .enumerate()
            .map(|(i, item)| self.architecture_entry(&format!("{key}[{i}]"), item))
            .collect()
    }

    fn architecture_entry(
        &self,
        key: &str,
        item: &Value<'_>,
    ) -> Result<ArchitectureEntry, ConfigError> {
        let source = self.source;
        let (name_value, compile) = match item.get_ref() {
            DeValue::String(_) => (item, None),
            DeValue::Table(table) => {
                check_keys(
                    source,
                    key,
                    table,
                    &["architecture", "runtime_wasm_compile"],
                    "an architecture entry",
                )?;
                let Some(name_value) = get(table, "architecture") else {
                    return Err(ConfigError::at(
                        source,
                        &item.span(),
                        ErrorKind::Missing,
                        Some(format!("{key}.architecture")),
                        format!(
                            "`{key}`: an architecture table needs `architecture` = one of {}",
                            list(ARCHITECTURE_NAMES)
                        ),
                    ));
                };
                let compile = match get(table, "runtime_wasm_compile") {
                    Some(v) => {
                        let compile_key = format!("{key}.runtime_wasm_compile");
                        let name = choice(source, &compile_key, v, WASM_COMPILE_NAMES)?;
                        WasmCompile::from_name(name)
                    }
                    None => None,
                };
                (name_value, compile)
            }
            _ => {
                let expected = format!(
                    "an architecture name ({}) or a table such as \
                     {{ architecture = \"lazy\", runtime_wasm_compile = \"allowed\" }}",
                    list(ARCHITECTURE_NAMES)
                );
                return Err(wrong_type(source, key, item, &expected));
            }
        };
        let name_key = if matches!(item.get_ref(), DeValue::Table(_)) {
            format!("{key}.architecture")
        } else {
            key.to_string()
        };
        let name = choice(source, &name_key, name_value, ARCHITECTURE_NAMES)?;
        let architecture = Architecture::from_name(name).ok_or_else(|| {
            ConfigError::value(
                source,
                &name_value.span(),
                ErrorKind::InvalidValue,
                &name_key,
                "unknown architecture",
            )
        })?;
        Ok(ArchitectureEntry {
            architecture,
            runtime_wasm_compile: compile,
            span: item.span(),
        })
    }
}
