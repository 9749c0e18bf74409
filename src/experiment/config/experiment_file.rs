//! Experiment files: a configuration plus `name`, `description`, `extends`,
//! a `[sweep]` grid and `[slo]` objectives ([`super::objectives`]), loaded by [`load_experiment`] into an
//! [`ExperimentSpec`] whose points are all validated before any run.
//!
//! Layers, in order: the embedded default model; the chain of files named
//! by `extends` (a path relative to the file that names it), deepest first;
//! the experiment file; each `--set`. Every layer after the default may hold
//! the experiment keys (`--set` all but `extends`); everywhere else the
//! config schema is as strict as for a plain configuration.
//!
//! Invariants:
//! - the sweep is built layer by layer: a layer that sets a swept key as a
//!   plain value fixes it (removes that dimension); a layer's `[sweep]` then
//!   adds dimensions, or replaces an earlier layer's dimension of the same
//!   key in place. So `--set KEY=VALUE` fixes a swept key and
//!   `--set 'sweep.KEY=[...]'` adds or replaces one;
//! - `name` and `description` come from the experiment file itself and
//!   `--set` (an extended file's are checked but not inherited); `name`
//!   defaults to the file stem, or `default` without a file;
//! - `base` is the configuration with no sweep applied; `points` is the
//!   cartesian product of the dimensions, the first varying slowest, each
//!   point's config a full validation of the layers plus its swept values
//!   (an error at a point names its swept values); at most
//!   [`MAX_SWEEP_POINTS`] points;
//! - `extends` chains end: a file met twice is reported as a cycle;
//! - [`ExperimentSpec::to_toml`] loaded as an experiment file gives back an
//!   equal spec.

use std::ops::Range;
use std::path::{Path, PathBuf};

use toml::de::{DeTable, DeValue};

use super::error::{quote_short, toml_quote, ConfigError, ErrorKind};
use super::layer::{read_layer, read_layer_except, syntax_error, Assignment, Origin};
use super::objectives::{read_slo, SloSpec};
use super::resolve::{resolve, Merged};
use super::scalar::{entries_in_order, get, wrong_type, Value};
use super::sweep::{read_sweep, Dimension, SweptValue};
use super::{default_layers, file_layer, set_layer, Source};
use crate::simulation::Config;

/// The most points a sweep may have.
pub const MAX_SWEEP_POINTS: usize = 100_000;

/// The top-level keys of an experiment file that are not config keys.
pub const EXPERIMENT_KEYS: &[&str] = &["extends", "name", "description", "sweep", "slo"];

/// A loaded experiment: its configuration and its validated sweep points.
#[derive(Debug, Clone, PartialEq)]
pub struct ExperimentSpec {
    /// The `name` key if given, else the file stem, else `default`.
    pub name: String,
    /// The `description` key, if given.
    pub description: Option<String>,
    /// The configuration with no sweep applied (swept keys at their values
    /// outside the sweep).
    pub base: Config,
    /// Each swept dotted key and its values, in file order.
    pub sweep: Vec<(String, Vec<SweptValue>)>,
    /// The cartesian product of the sweep, the first key varying slowest;
    /// one point (the base) without a sweep.
    pub points: Vec<SweepPoint>,
    /// The `[slo]` table: objectives to judge the results against.
    pub slo: SloSpec,
    /// Keys set that change nothing here (they only matter under another
    /// setting), one sentence each naming both keys.
    pub warnings: Vec<String>,
}

/// One point of the grid.
#[derive(Debug, Clone, PartialEq)]
pub struct SweepPoint {
    /// The validated configuration of this point.
    pub config: Config,
    /// (dotted key, value as a CSV cell) of each swept key, in sweep order.
    pub swept: Vec<(String, String)>,
}

/// Loads the experiment file at `path` (`None`: the embedded default alone)
/// with the `--set` assignments `sets` applied, and validates every point.
pub fn load_experiment(
    path: Option<&Path>,
    sets: &[String],
) -> Result<ExperimentSpec, ConfigError> {
    let source = path.map(file_layer).transpose()?;
    let stem = path
        .and_then(Path::file_stem)
        .map(|s| s.to_string_lossy().into_owned());
    load_experiment_source(source, stem, sets)
}

/// Loads an experiment whose file is given as a layer (a file read already,
/// or a TOML text: its `extends` resolve against the layer's `base_dir`),
/// named `default_name` unless it sets `name` (`None`: `default`).
pub fn load_experiment_source(
    source: Option<Source>,
    default_name: Option<String>,
    sets: &[String],
) -> Result<ExperimentSpec, ConfigError> {
    let mut layers = default_layers();
    let default_count = layers.len();
    let has_file = source.is_some();
    if let Some(source) = source {
        layers.extend(extends_chain(source)?);
    }
    let experiment_layer = has_file.then(|| layers.len().saturating_sub(1));
    let first_set = layers.len();
    for assignment in sets {
        layers.push(set_layer(assignment)?);
    }

    let mut merged = Merged::default();
    let mut defaults = Merged::default();
    let mut dimensions: Vec<Dimension> = Vec::new();
    let mut name = None;
    let mut description = None;
    let mut slo = SloSpec::default();
    for (index, source) in layers.iter().enumerate() {
        if index == 0 {
            merged.apply(read_layer(source, index)?);
            continue;
        }
        let assignments = read_layer_except(source, index, EXPERIMENT_KEYS)
            .map_err(|e| sweep_hint(e, index >= first_set))?;
        dimensions.retain(|d| !assignments.iter().any(|a| a.key == d.key));
        merged.apply(assignments);
        if index + 1 == default_count {
            defaults = merged.clone();
        }
        let meta = read_meta(source, index, index >= first_set)?;
        if index >= first_set || Some(index) == experiment_layer {
            name = meta.name.or(name);
            description = meta.description.or(description);
        }
        if let Some(layer_slo) = meta.slo {
            slo.apply(layer_slo);
        }
        for dimension in meta.sweep {
            match dimensions.iter_mut().find(|d| d.key == dimension.key) {
                Some(slot) => *slot = dimension,
                None => dimensions.push(dimension),
            }
        }
    }

    check_size(&dimensions, &layers)?;
    let points = expand(&merged, &dimensions, &layers)?;
    let base = match (dimensions.is_empty(), points.first()) {
        (true, Some(point)) => point.config.clone(),
        _ => resolve(&merged, &layers).map_err(|e| {
            e.with_note(
                " (in the base configuration, which has the swept keys at their values \
                 outside [sweep]: set those to values valid with the rest)",
            )
        })?,
    };
    let configs: Vec<&Config> = points.iter().map(|p| &p.config).collect();
    let warnings = super::warnings::inert_keys(
        merged.set_from(default_count),
        |key| defaults.setting(key),
        &layers,
        &configs,
    );
    let name = name
        .or(default_name)
        .unwrap_or_else(|| "default".to_string());
    Ok(ExperimentSpec {
        name,
        description,
        base,
        sweep: dimensions
            .into_iter()
            .map(|d| (d.key.to_string(), d.values))
            .collect(),
        points,
        slo,
        warnings,
    })
}

impl ExperimentSpec {
    /// The experiment as a complete experiment file: `name`, `description`,
    /// the base configuration with every value explicit, and the sweep with
    /// every range expanded to its list of values.
    pub fn to_toml(&self) -> String {
        let mut out = String::from(
            "# dofleet experiment, resolved: every default explicit, every range expanded.\n",
        );
        out.push_str(&format!("name = {}\n", toml_quote(&self.name)));
        if let Some(description) = &self.description {
            out.push_str(&format!("description = {}\n", toml_quote(description)));
        }
        out.push_str(&self.base.to_toml());
        out.push_str("\n[sweep]\n");
        if self.sweep.is_empty() {
            out.push_str("# No sweep: one point.\n");
        }
        for (key, values) in &self.sweep {
            let values: Vec<&str> = values.iter().map(|v| v.toml.as_str()).collect();
            out.push_str(&format!("{} = [{}]\n", toml_quote(key), values.join(", ")));
        }
        out.push_str(&self.slo.to_toml());
        out
    }
}

/// Adds to "expected a number, found an array" how to sweep the key.
fn sweep_hint(error: ConfigError, is_set: bool) -> ConfigError {
    let key = match error.key() {
        Some(key) if super::is_known_key(key) && key != "architectures" => key.to_string(),
        _ => return error,
    };
    if error.kind() != ErrorKind::WrongType || !error.message().ends_with("found an array") {
        return error;
    }
    let how = if is_set {
        format!("--set 'sweep.{key}=[...]'")
    } else {
        format!("list them under [sweep]: \"{key}\" = [...]")
    };
    error.with_note(&format!(" (to sweep several values, {how})"))
}

/// The experiment keys of one layer.
#[derive(Default)]
struct Meta {
    name: Option<String>,
    description: Option<String>,
    sweep: Vec<Dimension>,
    slo: Option<SloSpec>,
}

fn read_meta(source: &Source, layer: usize, is_set: bool) -> Result<Meta, ConfigError> {
    let document = DeTable::parse(&source.text).map_err(|e| syntax_error(source, &e))?;
    let mut meta = Meta::default();
    for (key, value) in entries_in_order(document.get_ref()) {
        match key.get_ref().as_ref() {
            "name" => {
                let name = string(source, "name", value)?;
                if name.trim().is_empty()
                    || name.contains(['/', '\\'])
                    || name.contains(char::is_control)
                {
                    return Err(ConfigError::value(
                        source,
                        &value.span(),
                        ErrorKind::InvalidValue,
                        "name",
                        format!(
                            "expected a non-empty name without `/`, `\\` or control characters \
                             (it may name the output directory), found {}",
                            quote_short(&name)
                        ),
                    ));
                }
                meta.name = Some(name);
            }
            "description" => meta.description = Some(string(source, "description", value)?),
            "extends" if is_set => {
                return Err(ConfigError::at(
                    source,
                    &key.span(),
                    ErrorKind::InvalidValue,
                    Some("extends".to_string()),
                    "`extends` can only be set in an experiment file, not with --set".to_string(),
                ))
            }
            "extends" => {
                string(source, "extends", value)?;
            }
            "sweep" => meta.sweep = read_sweep(source, layer, value)?,
            "slo" => meta.slo = Some(read_slo(source, value)?),
            _ => {}
        }
    }
    Ok(meta)
}

fn string(source: &Source, key: &str, value: &Value<'_>) -> Result<String, ConfigError> {
    match value.get_ref() {
        DeValue::String(s) => Ok(s.to_string()),
        _ => Err(wrong_type(source, key, value, "a string")),
    }
}

/// The experiment layer `first` and the files it extends, deepest first.
fn extends_chain(first: Source) -> Result<Vec<Source>, ConfigError> {
    let mut seen = vec![canonical(Path::new(&first.name))];
    let mut chain = vec![first];
    while let Some(current) = chain.last() {
        let Some((target, span)) = extends_of(current)? else {
            break;
        };
        let base = current.base_dir.clone().unwrap_or_default();
        let resolved = base.join(&target);
        let at = |kind, message: String| {
            ConfigError::at(current, &span, kind, Some("extends".to_string()), message)
        };
        let text = super::read_text_file(&resolved).map_err(|e| {
            at(
                ErrorKind::Read,
                format!("`extends`: cannot read {}: {e}", resolved.display()),
            )
        })?;
        let id = canonical(&resolved);
        if let Some(start) = seen.iter().position(|s| *s == id) {
            let mut names: Vec<&str> = chain
                .get(start..)
                .unwrap_or_default()
                .iter()
                .map(|s| s.name.as_str())
                .collect();
            let closing = resolved.display().to_string();
            names.push(&closing);
            return Err(at(
                ErrorKind::Conflict,
                format!("`extends`: a cycle: {}", names.join(" extends ")),
            ));
        }
        seen.push(id);
        let source = Source {
            name: resolved.display().to_string(),
            text,
            base_dir: Some(resolved.parent().unwrap_or(Path::new("")).to_path_buf()),
        };
        chain.push(source);
    }
    chain.reverse();
    Ok(chain)
}

/// The path as an identity for cycle detection.
fn canonical(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

/// The `extends` value of a layer (a checked string) and its span.
fn extends_of(source: &Source) -> Result<Option<(String, Range<usize>)>, ConfigError> {
    let document = DeTable::parse(&source.text).map_err(|e| syntax_error(source, &e))?;
    match get(document.get_ref(), "extends") {
        Some(value) => Ok(Some((string(source, "extends", value)?, value.span()))),
        None => Ok(None),
    }
}

/// Refuses a grid of more than [`MAX_SWEEP_POINTS`] points, at the key of
/// the dimension that takes it over.
fn check_size(dimensions: &[Dimension], layers: &[Source]) -> Result<(), ConfigError> {
    let mut total: u128 = 1;
    for dimension in dimensions {
        total = total.saturating_mul(dimension.values.len() as u128);
        if total <= MAX_SWEEP_POINTS as u128 {
            continue;
        }
        let all: u128 = dimensions
            .iter()
            .fold(1u128, |t, d| t.saturating_mul(d.values.len() as u128));
        let sizes: Vec<String> = dimensions
            .iter()
            .map(|d| format!("{} ({})", d.key, d.values.len()))
            .collect();
        let key = format!("sweep.{}", dimension.key);
        let message = format!(
            "`{key}`: the sweep has {all} points ({}), more than the limit of \
             {MAX_SWEEP_POINTS}; sweep fewer values",
            sizes.join(" x ")
        );
        return Err(match layers.get(dimension.layer) {
            Some(source) => ConfigError::at(
                source,
                &dimension.key_span,
                ErrorKind::InvalidValue,
                Some(key),
                message,
            ),
            None => ConfigError::unplaced("<sweep>", ErrorKind::InvalidValue, Some(key), message),
        });
    }
    Ok(())
}

/// Every point of the grid, validated.
fn expand(
    merged: &Merged,
    dimensions: &[Dimension],
    layers: &[Source],
) -> Result<Vec<SweepPoint>, ConfigError> {
    let total: usize = dimensions.iter().map(|d| d.values.len()).product();
    let mut points = Vec::with_capacity(total);
    let mut picks = vec![0usize; dimensions.len()];
    for index in 0..total {
        // Mixed-radix digits of `index`, the last dimension varying fastest.
        let mut rest = index;
        for (pick, dimension) in picks.iter_mut().zip(dimensions).rev() {
            let n = dimension.values.len().max(1);
            *pick = rest % n;
            rest /= n;
        }
        let mut point = merged.clone();
        let mut assignments = Vec::with_capacity(dimensions.len());
        let mut swept = Vec::with_capacity(dimensions.len());
        for (dimension, &pick) in dimensions.iter().zip(&picks) {
            let (Some(setting), Some(span), Some(value)) = (
                dimension.settings.get(pick),
                dimension.spans.get(pick),
                dimension.values.get(pick),
            ) else {
                continue;
            };
            assignments.push(Assignment {
                key: dimension.key,
                setting: setting.clone(),
                origin: Origin {
                    layer: dimension.layer,
                    value_span: span.clone(),
                },
            });
            swept.push((dimension.key.to_string(), value.cell.clone()));
        }
        point.apply(assignments);
        let config = resolve(&point, layers).map_err(|e| {
            if swept.is_empty() {
                return e;
            }
            let values: Vec<String> = swept.iter().map(|(k, v)| format!("{k} = {v}")).collect();
            e.with_note(&format!(
                " (at sweep point {} of {total}: {})",
                index.saturating_add(1),
                values.join(", ")
            ))
        })?;
        points.push(SweepPoint { config, swept });
    }
    Ok(points)
}
