//! Duration specs: a constant (`"10ms"`) or a distribution table
//! (`{ dist = "uniform", min = "5ms", max = "20ms" }`), read into a [`Dist`].
//!
//! Invariants: every distribution is built through [`Dist`]'s validating
//! constructors (or, for `lognormal` given as `mu`/`sigma`, checked here to
//! be finite with `sigma > 0`), so an invalid distribution never leaves this
//! module; every parameter is a duration string with a unit; a table has
//! exactly the keys its `dist` allows; every distribution's values stay
//! within `time::MAX_DURATION` ([`Dist::check_bounded`]). Errors carry the full dotted key of
//! the offending parameter (`phases.cache_check.max`).

use std::ops::Range;
use std::path::{Path, PathBuf};

use toml::de::{DeTable, DeValue};

use super::error::{list, quoted_list, ConfigError, ErrorKind};
use super::scalar::{
    bare_number, check_keys, choice, duration, get, invalid, number_of, wrong_type, Value,
};
use super::Source;
use crate::dist::Dist;
use crate::time::{parse_duration, Nanos};

/// The `dist` names.
pub(crate) const DIST_NAMES: &[&str] = &[
    "constant",
    "uniform",
    "exponential",
    "lognormal",
    "normal",
    "empirical",
];

/// The lognormal quantile keys and their probabilities, in increasing order.
pub(crate) const QUANTILES: &[(&str, f64)] = &[
    ("p1", 0.01),
    ("p5", 0.05),
    ("p10", 0.10),
    ("p25", 0.25),
    ("p50", 0.50),
    ("p75", 0.75),
    ("p90", 0.90),
    ("p95", 0.95),
    ("p99", 0.99),
    ("p999", 0.999),
];

const LOGNORMAL_KEYS: &[&str] = &[
    "dist", "p1", "p5", "p10", "p25", "p50", "p75", "p90", "p95", "p99", "p999", "mu", "sigma",
];

const EXPECTED: &str = "a duration such as \"10ms\" or a distribution table such as \
     { dist = \"uniform\", min = \"5ms\", max = \"20ms\" }";

/// Why a distribution parameter cannot itself be a table.
const PARAMETER_IS_SINGLE: &str = "a distribution parameter is one duration";

/// Reads the duration spec at dotted key `key`. Relative `file =` paths of
/// empirical distributions resolve against `source.base_dir`.
pub(crate) fn read_dist(
    source: &Source,
    key: &str,
    value: &Value<'_>,
) -> Result<Dist, ConfigError> {
    let dist = match value.get_ref() {
        DeValue::String(s) => parse_duration(s)
            .map(Dist::Constant)
            .map_err(|m| invalid(source, key, &value.span(), m)),
        DeValue::Integer(_) | DeValue::Float(_) => Err(bare_number(source, key, value)),
        DeValue::Table(table) => read_table(source, key, &value.span(), table),
        _ => Err(wrong_type(source, key, value, EXPECTED)),
    }?;
    dist.check_bounded()
        .map_err(|e| invalid(source, key, &value.span(), e))?;
    Ok(dist)
}

/// The keys allowed in a table with this `dist`.
fn allowed_keys(dist: &str) -> &'static [&'static str] {
    match dist {
        "constant" => &["dist", "value"],
        "uniform" => &["dist", "min", "max"],
        "exponential" => &["dist", "mean"],
        "normal" => &["dist", "mean", "sd"],
        "empirical" => &["dist", "file", "samples"],
        _ => LOGNORMAL_KEYS,
    }
}

fn article(name: &str) -> &'static str {
    // "an exponential", "an empirical"; but "a uniform".
    if name.starts_with(['a', 'e', 'i', 'o']) {
        "an"
    } else {
        "a"
    }
}

fn read_table(
    source: &Source,
    key: &str,
    span: &Range<usize>,
    table: &DeTable<'_>,
) -> Result<Dist, ConfigError> {
    let Some(dist) = get(table, "dist") else {
        let hint = if table.is_empty() {
            ""
        } else {
            "; a distribution is replaced whole, so give `dist` and all its parameters"
        };
        return Err(invalid(
            source,
            key,
            span,
            format!(
                "a distribution table needs `dist` = one of {}{hint}",
                quoted_list(DIST_NAMES)
            ),
        ));
    };
    let name = choice(source, &format!("{key}.dist"), dist, DIST_NAMES)?;
    let what = format!("{} {name} distribution", article(name));
    check_keys(source, key, table, allowed_keys(name), &what)?;
    let param = |parameter: &str| -> Result<Nanos, ConfigError> {
        let full = format!("{key}.{parameter}");
        match get(table, parameter) {
            Some(value) => duration(source, &full, value, PARAMETER_IS_SINGLE),
            None => Err(ConfigError::at(
                source,
                span,
                ErrorKind::Missing,
                Some(full),
                format!("`{key}`: {what} needs `{parameter}` (a duration such as \"10ms\")"),
            )),
        }
    };
    let built = match name {
        "constant" => Ok(Dist::Constant(param("value")?)),
        "uniform" => Dist::uniform(param("min")?, param("max")?),
        "exponential" => Ok(Dist::Exponential {
            mean: param("mean")?,
        }),
        "normal" => Dist::truncated_normal(param("mean")?, param("sd")?),
        "empirical" => return empirical(source, key, span, table),
        _ => return lognormal(source, key, span, table),
    };
    built.map_err(|e| invalid(source, key, span, e))
}

/// `lognormal`: exactly two quantiles, or `mu` and `sigma` (the parameters
/// of the underlying normal, in log-nanoseconds; what `to_toml` writes,
/// because it round-trips exactly).
fn lognormal(
    source: &Source,
    key: &str,
    span: &Range<usize>,
    table: &DeTable<'_>,
) -> Result<Dist, ConfigError> {
    let given: Vec<(&str, f64, &Value<'_>)> = QUANTILES
        .iter()
        .filter_map(|(name, p)| get(table, name).map(|v| (*name, *p, v)))
        .collect();
    let mu = get(table, "mu");
    let sigma = get(table, "sigma");
    if mu.is_some() || sigma.is_some() {
        return match (mu, sigma, given.is_empty()) {
            (Some(mu), Some(sigma), true) => lognormal_parameters(source, key, mu, sigma),
            _ => Err(invalid(
                source,
                key,
                span,
                "a lognormal distribution takes either two quantiles (such as p50 and p99) \
                 or both `mu` and `sigma`, not a mix",
            )),
        };
    }
    let [(name1, p1, v1), (name2, p2, v2)] = given[..] else {
        let names: Vec<&str> = QUANTILES.iter().map(|(n, _)| *n).collect();
        let found: Vec<&str> = given.iter().map(|(n, _, _)| *n).collect();
        let found = if found.is_empty() {
            "none".to_string()
        } else {
            format!("{} ({})", found.len(), list(&found))
        };
        return Err(invalid(
            source,
            key,
            span,
            format!(
                "a lognormal distribution needs exactly two quantiles among {}, \
                 such as p50 = \"10ms\" and p99 = \"80ms\"; found {found}",
                list(&names)
            ),
        ));
    };
    let x1 = duration(source, &format!("{key}.{name1}"), v1, PARAMETER_IS_SINGLE)?;
    let x2 = duration(source, &format!("{key}.{name2}"), v2, PARAMETER_IS_SINGLE)?;
    Dist::lognormal_from_quantiles(p1, x1, p2, x2).map_err(|e| invalid(source, key, span, e))
}

fn lognormal_parameters(
    source: &Source,
    key: &str,
    mu: &Value<'_>,
    sigma: &Value<'_>,
) -> Result<Dist, ConfigError> {
    let mu_key = format!("{key}.mu");
    let sigma_key = format!("{key}.sigma");
    let mu_value = number_of(mu.get_ref())
        .ok_or_else(|| wrong_type(source, &mu_key, mu, "a finite number"))?;
    if !mu_value.is_finite() {
        return Err(invalid(
            source,
            &mu_key,
            &mu.span(),
            "expected a finite number",
        ));
    }
    let sigma_value = number_of(sigma.get_ref())
        .ok_or_else(|| wrong_type(source, &sigma_key, sigma, "a finite number > 0"))?;
    if !(sigma_value.is_finite() && sigma_value > 0.0) {
        return Err(invalid(
            source,
            &sigma_key,
            &sigma.span(),
            format!("expected a finite number > 0, found {sigma_value}"),
        ));
    }
    Ok(Dist::LogNormal {
        mu: mu_value,
        sigma: sigma_value,
    })
}

/// `empirical`: `samples` (an array of durations) or `file` (one duration a
/// line; blank lines and `#` comments skipped), exactly one of them.
fn empirical(
    source: &Source,
    key: &str,
    span: &Range<usize>,
    table: &DeTable<'_>,
) -> Result<Dist, ConfigError> {
    let samples = match (get(table, "file"), get(table, "samples")) {
        (Some(file), None) => samples_from_file(source, &format!("{key}.file"), file)?,
        (None, Some(samples)) => samples_from_array(source, &format!("{key}.samples"), samples)?,
        _ => {
            return Err(invalid(
                source,
                key,
                span,
                "an empirical distribution needs exactly one of `file` (a path) or \
                 `samples` (an array of durations)",
            ))
        }
    };
    Dist::empirical(samples).map_err(|e| invalid(source, key, span, e))
}

fn samples_from_array(
    source: &Source,
    key: &str,
    value: &Value<'_>,
) -> Result<Vec<Nanos>, ConfigError> {
    let DeValue::Array(items) = value.get_ref() else {
        return Err(wrong_type(
            source,
            key,
            value,
            "an array of durations such as [\"5ms\", \"7ms\"]",
        ));
    };
    items
        .iter()
        .enumerate()
        .map(|(i, item)| duration(source, &format!("{key}[{i}]"), item, PARAMETER_IS_SINGLE))
        .collect()
}

fn samples_from_file(
    source: &Source,
    key: &str,
    value: &Value<'_>,
) -> Result<Vec<Nanos>, ConfigError> {
    let DeValue::String(name) = value.get_ref() else {
        return Err(wrong_type(source, key, value, "a file path string"));
    };
    let path = resolve_path(source.base_dir.as_deref(), Path::new(name.as_ref()));
    let text = super::read_text_file(&path).map_err(|e| {
        ConfigError::value(
            source,
            &value.span(),
            ErrorKind::Read,
            key,
            format!("cannot read samples file {}: {e}", path.display()),
        )
    })?;
    let mut samples = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let sample = parse_duration(line).map_err(|m| {
            invalid(
                source,
                key,
                &value.span(),
                format!("{}, line {}: {m}", path.display(), index.saturating_add(1)),
            )
        })?;
        samples.push(sample);
    }
    if samples.is_empty() {
        return Err(invalid(
            source,
            key,
            &value.span(),
            format!(
                "samples file {} holds no duration (expected one a line, such as \"12ms\")",
                path.display()
            ),
        ));
    }
    Ok(samples)
}

/// `path` against `base` when relative (and a base is known).
fn resolve_path(base: Option<&Path>, path: &Path) -> PathBuf {
    match base {
        Some(base) if path.is_relative() => base.join(path),
        _ => path.to_path_buf(),
    }
}
