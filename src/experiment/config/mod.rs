//! Configuration: TOML layers (the embedded default model, an experiment
//! file, `--set` overrides) loaded into a validated [`Config`].
//!
//! [`load`] applies layers in order: each is parsed and checked on its own
//! (so errors point at the exact key or value in that layer), then later
//! layers override earlier ones key by key; a distribution value and the
//! `architectures` list are replaced whole, tables are merged field by field.
//! Checks involving several keys run after merging and point at the key set
//! last. Every error is a [`ConfigError`] naming the layer, the 1-based line
//! and column, the full dotted key, what was expected and what was found.
//!
//! Experiment files add `name`, `description`, `extends` and a `[sweep]`
//! grid on top: [`load_experiment`] (see `experiment_file.rs`).
//!
//! Invariants: the first layers in practice are the embedded defaults
//! ([`default_layers`]: the model, then the prices), which together set
//! every key; loading never panics, whatever the input text.

mod duration_spec;
mod error;
mod experiment_file;
mod keys;
mod layer;
mod objectives;
mod range;
mod resolve;
mod scalar;
mod schema;
mod spec;
mod sweep;
mod to_toml;
mod traffic_keys;
mod warnings;

#[cfg(test)]
mod tests;

use std::io::Read;
use std::path::{Path, PathBuf};

use crate::simulation::Config;

/// The candidate nearest to a misspelt name, if it is close enough.
pub(crate) use error::nearest as nearest_name;
pub(crate) use error::toml_quote;
pub use error::{ConfigError, ErrorKind};
pub use experiment_file::{
    load_experiment, load_experiment_source, ExperimentSpec, SweepPoint, EXPERIMENT_KEYS,
    MAX_SWEEP_POINTS,
};
pub use objectives::{ObjectiveText, SloSpec};
pub use schema::{integer_max, is_known_key, known_keys, nearest_known_key};
pub use sweep::SweptValue;
pub use warnings::unmet_need;

/// The default model, `models/cloudflare.toml`, compiled into the binary.
pub const DEFAULT_MODEL: &str = include_str!("../../../models/cloudflare.toml");

/// The name errors give the embedded default model.
pub const DEFAULT_MODEL_NAME: &str = "<embedded models/cloudflare.toml>";

/// The default prices, `models/pricing.toml`, compiled into the binary.
pub const DEFAULT_PRICING: &str = include_str!("../../../models/pricing.toml");

/// The name errors give the embedded default prices.
pub const DEFAULT_PRICING_NAME: &str = "<embedded models/pricing.toml>";

/// Files larger than this are refused rather than read (a config or samples
/// file is kilobytes; this guards against pointing at a device or a dump).
const MAX_FILE_BYTES: u64 = 256 * 1024 * 1024;

/// One configuration layer: a TOML text and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    /// What errors print: a file path, [`DEFAULT_MODEL_NAME`], or
    /// `--set KEY=VALUE`.
    pub name: String,
    /// The TOML text.
    pub text: String,
    /// The directory relative `file =` paths (empirical distributions)
    /// resolve against; `None`: the current directory.
    pub base_dir: Option<PathBuf>,
}

/// Loads `layers`, in order, into a validated configuration.
pub fn load(layers: &[Source]) -> Result<Config, ConfigError> {
    let mut merged = resolve::Merged::default();
    for (index, source) in layers.iter().enumerate() {
        merged.apply(layer::read_layer(source, index)?);
    }
    resolve::resolve(&merged, layers)
}

/// The embedded defaults as layers: the platform and architecture model,
/// then the prices. Together they set every key.
pub fn default_layers() -> Vec<Source> {
    vec![model_layer(), pricing_layer()]
}

/// The embedded default model (every key but `pricing.*`) as a layer.
pub fn model_layer() -> Source {
    Source {
        name: DEFAULT_MODEL_NAME.to_string(),
        text: DEFAULT_MODEL.to_string(),
        base_dir: None,
    }
}

/// The embedded default prices (`pricing.*`) as a layer.
pub fn pricing_layer() -> Source {
    Source {
        name: DEFAULT_PRICING_NAME.to_string(),
        text: DEFAULT_PRICING.to_string(),
        base_dir: None,
    }
}

/// The file at `path` as a layer; relative sample files resolve against its
/// directory.
pub fn file_layer(path: &Path) -> Result<Source, ConfigError> {
    let name = path.display().to_string();
    let text = read_text_file(path).map_err(|e| {
        ConfigError::unplaced(
            &name,
            ErrorKind::Read,
            None,
            format!("cannot read the file: {e}"),
        )
    })?;
    Ok(Source {
        name,
        text,
        base_dir: Some(path.parent().unwrap_or(Path::new("")).to_path_buf()),
    })
}

/// A `--set KEY=VALUE` override as a layer. KEY is a dotted path
/// (`workload.tenants`); VALUE is a TOML value (`1000`, `"10ms"`,
/// `{ dist = "exponential", mean = "5ms" }`, `["thin", "lazy"]`) or, when
/// it is not one, a string (`70s`, `allowed`).
///
/// The layer's text is the assignment itself (or, for a string, the key and
/// the quoted value), so error columns match what the user typed.
pub fn set_layer(assignment: &str) -> Result<Source, ConfigError> {
    let name = format!("--set {}", shortened(assignment));
    let form_error = |found: &str| {
        ConfigError::unplaced(
            &name,
            ErrorKind::SetForm,
            None,
            format!(
                "expected --set KEY=VALUE with KEY a dotted config key, such as \
                 --set workload.tenants=1000 or --set do.idle_timeout=70s; found {found}"
            ),
        )
    };
    let Some((key, value)) = assignment.split_once('=') else {
        return Err(form_error("no `=`"));
    };
    if key.trim().is_empty() {
        return Err(form_error("an empty KEY"));
    }
    let trimmed = value.trim();
    let is_toml_value = toml::de::DeValue::parse(trimmed).is_ok();
    // An attempt at a table, array or quoted string that does not parse is
    // kept as written, so the TOML syntax error is reported, not a string.
    let meant_as_toml =
        trimmed.starts_with(['{', '[', '"', '\'']) && !trimmed.contains(['\n', '\r']);
    let text = if is_toml_value || meant_as_toml {
        assignment.to_string()
    } else {
        format!("{key}={}", error::toml_quote(value.trim()))
    };
    Ok(Source {
        name,
        text,
        base_dir: None,
    })
}

/// `text` cut to its first 80 characters (a value of 100,000 digits is
/// not echoed in full).
fn shortened(text: &str) -> String {
    match crate::time::shortened(text, 80) {
        (whole, None) => whole.to_string(),
        (kept, Some(length)) => format!("{kept}... ({length} characters)"),
    }
}

/// The embedded defaults, loaded.
pub fn load_default() -> Result<Config, ConfigError> {
    load(&default_layers())
}

/// The defaults, then the file at `path`, then each `--set` in order.
pub fn load_file(path: &Path, sets: &[String]) -> Result<Config, ConfigError> {
    let mut layers = default_layers();
    layers.push(file_layer(path)?);
    for assignment in sets {
        layers.push(set_layer(assignment)?);
    }
    load(&layers)
}

/// Reads a UTF-8 text file of at most [`MAX_FILE_BYTES`].
pub(crate) fn read_text_file(path: &Path) -> std::io::Result<String> {
    let file = std::fs::File::open(path)?;
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES.saturating_add(1))
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(std::io::Error::other(format!(
            "larger than {} MiB",
            MAX_FILE_BYTES / (1024 * 1024)
        )));
    }
    String::from_utf8(bytes).map_err(|e| {
        let valid = e.utf8_error().valid_up_to();
        let before = &e.as_bytes()[..valid];
        let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
        let column = valid
            - before
                .iter()
                .rposition(|&b| b == b'\n')
                .map_or(0, |i| i + 1)
            + 1;
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!(
                "line {line}, column {column}: not UTF-8 text (a byte sequence that is not UTF-8)"
            ),
        )
    })
}
