//! [`Config::to_toml`]: the resolved configuration as TOML, written from
//! the key table (`keys.rs`): the top-level keys first, then each table's
//! keys under its `[table]` header, each in declaration order, each by its
//! spec's writer (one of the `*_entry` functions here).
//!
//! Invariants: every declared key is written, with its value explicit
//! (architecture entries carry their `runtime_wasm_compile`); durations are
//! written so that they parse back to the same nanoseconds (`format_duration`
//! when it is exact, whole nanoseconds otherwise); floats use Rust's shortest
//! round-trip form; a lognormal is written as `mu`/`sigma`, the only form
//! that reproduces its parameters bit for bit. Loading the output over any
//! complete layer therefore gives back an equal [`Config`].

use std::fmt::{Display, Write as _};
use std::path::PathBuf;

use super::error::toml_quote;
use super::keys::keys;
use super::spec::{Key, Named};
use crate::architectures::ArchitectureVariant;
use crate::dist::{standard_normal_quantile, Dist};
use crate::fleet::CpuPhases;
use crate::policies::PolicySet;
use crate::simulation::Config;
use crate::time::{format_duration, parse_duration, Nanos};
use crate::workload::MmppState;

impl Config {
    /// The configuration as a complete TOML layer, every value explicit.
    pub fn to_toml(&self) -> String {
        let mut out = String::new();
        line(
            &mut out,
            "# dofleet configuration, resolved: every value explicit.",
        );
        let (top, in_tables): (Vec<&Key>, Vec<&Key>) =
            keys().iter().partition(|key| !key.name.contains('.'));
        for key in top {
            (key.write)(self, &mut out, key.name);
        }
        let mut current = "";
        for key in in_tables {
            let (table, name) = key.name.rsplit_once('.').unwrap_or(("", key.name));
            if table != current {
                section(&mut out, table);
                current = table;
            }
            (key.write)(self, &mut out, name);
        }
        out
    }
}

/// `name = value`, the value as `Display` writes it (integers, booleans).
pub(super) fn plain<T: Display>(out: &mut String, name: &str, value: &T) {
    line(out, &format!("{name} = {value}"));
}

/// `name = x`, `x` a float that parses back to the same bits.
pub(super) fn float_entry(out: &mut String, name: &str, x: &f64) {
    line(out, &format!("{name} = {}", float(*x)));
}

/// `name = "duration"`, exact.
pub(super) fn duration_entry(out: &mut String, name: &str, ns: &Nanos) {
    line(out, &format!("{name} = {}", duration(*ns)));
}

/// `name = "choice"`.
pub(super) fn choice_entry<E: Named>(out: &mut String, name: &str, value: &E) {
    line(out, &format!("{name} = \"{}\"", value.name()));
}

/// `name = "path"` (`""`: none).
#[allow(clippy::ptr_arg)] // a spec's writer takes `&T`, the field's type
pub(super) fn path_entry(out: &mut String, name: &str, path: &PathBuf) {
    let text = toml_quote(&path.display().to_string());
    line(out, &format!("{name} = {text}"));
}

/// `name = [x, ...]`.
#[allow(clippy::ptr_arg)] // a spec's writer takes `&T`, the field's type
pub(super) fn profile_entry(out: &mut String, name: &str, profile: &Vec<f64>) {
    let values: Vec<String> = profile.iter().map(|x| float(*x)).collect();
    line(out, &format!("{name} = [{}]", values.join(", ")));
}

/// `name = [` one state table a line `]`.
#[allow(clippy::ptr_arg)] // a spec's writer takes `&T`, the field's type
pub(super) fn states_entry(out: &mut String, name: &str, states: &Vec<MmppState>) {
    line(out, &format!("{name} = ["));
    for state in states {
        line(
            out,
            &format!(
                "  {{ rate_rps = {}, mean_sojourn = {} }},",
                float(state.rate_rps),
                duration(state.mean_sojourn)
            ),
        );
    }
    line(out, "]");
}

/// `name = [` one architecture table a line, its `runtime_wasm_compile`
/// explicit `]`.
#[allow(clippy::ptr_arg)] // a spec's writer takes `&T`, the field's type
pub(super) fn architectures_entry(
    out: &mut String,
    name: &str,
    variants: &Vec<ArchitectureVariant>,
) {
    line(out, &format!("{name} = ["));
    for v in variants {
        line(
            out,
            &format!(
                "  {{ architecture = \"{}\", runtime_wasm_compile = \"{}\" }},",
                v.architecture.name(),
                v.runtime_wasm_compile.name()
            ),
        );
    }
    line(out, "]");
}

/// `name = ["policy", ...]`.
pub(super) fn policies_entry(out: &mut String, name: &str, enabled: &PolicySet) {
    let names: Vec<String> = enabled
        .iter()
        .map(|p| format!("\"{}\"", p.name()))
        .collect();
    line(out, &format!("{name} = [{}]", names.join(", ")));
}

/// `name = ["work", ...]`.
pub(super) fn cpu_phases_entry(out: &mut String, name: &str, cpu: &CpuPhases) {
    let names: Vec<String> = cpu.iter().map(|c| format!("\"{}\"", c.key())).collect();
    line(out, &format!("{name} = [{}]", names.join(", ")));
}

fn line(out: &mut String, text: &str) {
    // Writing to a String cannot fail.
    let _ = writeln!(out, "{text}");
}

fn section(out: &mut String, name: &str) {
    line(out, "");
    line(out, &format!("[{name}]"));
}

/// A duration string that parses back to exactly `ns`.
pub(crate) fn exact_duration(ns: Nanos) -> String {
    let short = format_duration(ns);
    if parse_duration(&short) == Ok(ns) {
        short
    } else {
        format!("{ns}ns")
    }
}

fn duration(ns: Nanos) -> String {
    toml_quote(&exact_duration(ns))
}

/// A float as TOML, parsing back to the same bits (values are finite after
/// validation; the non-finite arms keep the output valid TOML regardless).
pub(crate) fn float(x: f64) -> String {
    if x.is_nan() {
        "nan".to_string()
    } else if x.is_infinite() {
        if x > 0.0 { "inf" } else { "-inf" }.to_string()
    } else {
        format!("{x:?}")
    }
}

/// Rounds a non-negative float parameter back to its nanoseconds.
fn float_nanos(x: f64) -> Nanos {
    // Saturating conversion; the values came from `Nanos` in the loader.
    x.round() as Nanos
}

pub(super) fn dist_entry(out: &mut String, key: &str, dist: &Dist) {
    if let Dist::LogNormal { mu, sigma } = *dist {
        let at = |p: f64| {
            exact_duration(float_nanos(
                (mu + sigma * standard_normal_quantile(p)).exp(),
            ))
        };
        line(
            out,
            &format!(
                "# {key}: lognormal with p50 ~ {}, p99 ~ {}",
                at(0.5),
                at(0.99)
            ),
        );
    }
    line(out, &format!("{key} = {}", dist_value(dist)));
}

/// A duration spec: a constant as a string, anything else as a table.
fn dist_value(dist: &Dist) -> String {
    match dist {
        Dist::Constant(v) => duration(*v),
        Dist::Uniform { min, max } => format!(
            "{{ dist = \"uniform\", min = {}, max = {} }}",
            duration(*min),
            duration(*max)
        ),
        Dist::Exponential { mean } => {
            format!("{{ dist = \"exponential\", mean = {} }}", duration(*mean))
        }
        Dist::LogNormal { mu, sigma } => format!(
            "{{ dist = \"lognormal\", mu = {}, sigma = {} }}",
            float(*mu),
            float(*sigma)
        ),
        Dist::TruncatedNormal { mean, sd } => format!(
            "{{ dist = \"normal\", mean = {}, sd = {} }}",
            duration(float_nanos(*mean)),
            duration(float_nanos(*sd))
        ),
        Dist::Empirical(samples) => {
            let samples: Vec<String> = samples.iter().map(|s| duration(*s)).collect();
            format!(
                "{{ dist = \"empirical\", samples = [{}] }}",
                samples.join(", ")
            )
        }
    }
}
