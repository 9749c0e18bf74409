//! Warnings for keys that only matter under another setting: a key an
//! experiment sets (to a value other than the default's) that the chosen
//! setting of another key ignores, such as `workload.trace` without
//! `workload.arrivals = "trace"`, or a policy's parameters without the
//! policy in `policies`. Contradictions are errors elsewhere (the
//! resolver); these are settings that are valid but do nothing.
//!
//! Invariants: a warning names both keys, where the ignored key was set
//! (file, line, column) and what would make it count; a key is reported
//! only when it is inert at every sweep point; keys left at the default's
//! value are never reported (so a resolved `config.toml`, which spells out
//! every key, gives no warning).

use super::error::line_column;
use super::layer::{Origin, Setting};
use super::Source;
use crate::architectures::{Architecture, WasmCompile};
use crate::policies::Policy;
use crate::simulation::Config;
use crate::workload::Arrivals;

/// What makes a family of keys count, and whether a config has it.
struct Rule {
    /// Keys equal to this, or under it (`prefix.`).
    prefix: &'static str,
    /// The setting that makes them count, as the user would write it.
    needs: &'static str,
    /// Whether `config` has that setting.
    holds: fn(&Config) -> bool,
}

const RULES: &[Rule] = &[
    Rule {
        prefix: "workload.trace",
        needs: "workload.arrivals = \"trace\"",
        holds: |c| c.workload.arrivals == Arrivals::Trace,
    },
    Rule {
        prefix: "workload.trace_tenant",
        needs: "workload.arrivals = \"trace\"",
        holds: |c| c.workload.arrivals == Arrivals::Trace,
    },
    Rule {
        prefix: "workload.trace_spread",
        needs: "workload.arrivals = \"trace\"",
        holds: |c| c.workload.arrivals == Arrivals::Trace,
    },
    Rule {
        prefix: "workload.diurnal",
        needs: "workload.arrivals = \"diurnal\"",
        holds: |c| c.workload.arrivals == Arrivals::Diurnal,
    },
    Rule {
        prefix: "workload.mmpp",
        needs: "workload.arrivals = \"mmpp\"",
        holds: |c| c.workload.arrivals == Arrivals::Mmpp,
    },
    Rule {
        prefix: "prewarm",
        needs: "\"prewarm\" in policies",
        holds: |c| c.policies.enabled.has(Policy::Prewarm),
    },
    Rule {
        prefix: "tiered_cache",
        needs: "\"tiered_cache\" in policies",
        holds: |c| c.policies.enabled.has(Policy::TieredCache),
    },
    Rule {
        prefix: "smart_delegation",
        needs: "\"smart_delegation\" in policies",
        holds: |c| c.policies.enabled.has(Policy::SmartDelegation),
    },
    Rule {
        prefix: "partial_loading",
        needs: "\"partial_loading\" in policies",
        holds: |c| c.policies.enabled.has(Policy::PartialLoading),
    },
    Rule {
        prefix: "phases.loader_compile",
        needs: "a lazy architecture with runtime_wasm_compile = \"loader\"",
        holds: uses_loader,
    },
    Rule {
        prefix: "phases.loader_isolate_start",
        needs: "a lazy architecture with runtime_wasm_compile = \"loader\"",
        holds: uses_loader,
    },
    Rule {
        prefix: "lazy",
        needs: "a lazy architecture in architectures",
        holds: |c| {
            c.architectures
                .iter()
                .any(|v| v.architecture == Architecture::Lazy)
        },
    },
];

fn uses_loader(c: &Config) -> bool {
    c.architectures.iter().any(|v| {
        v.architecture == Architecture::Lazy && v.runtime_wasm_compile == WasmCompile::Loader
    })
}

fn under(key: &str, prefix: &str) -> bool {
    key == prefix
        || key
            .strip_prefix(prefix)
            .is_some_and(|rest| rest.starts_with('.'))
}

/// What `key` needs and no point has (the setting that would make it
/// count, as the user would write it), or `None` when it counts somewhere.
pub fn unmet_need(key: &str, points: &[&Config]) -> Option<&'static str> {
    let rule = RULES.iter().find(|r| under(key, r.prefix))?;
    (!points.iter().any(|c| (rule.holds)(c))).then_some(rule.needs)
}

/// The warnings for `set` (each key a user layer set, with its setting and
/// origin), given the defaults' settings and every point's configuration.
pub(crate) fn inert_keys<'a>(
    set: impl IntoIterator<Item = (&'static str, &'a Setting, &'a Origin)>,
    default_of: impl Fn(&str) -> Option<&'a Setting>,
    layers: &[Source],
    points: &[&Config],
) -> Vec<String> {
    let mut warnings = Vec::new();
    for (key, setting, origin) in set {
        if default_of(key) == Some(setting) {
            continue;
        }
        let Some(needs) = unmet_need(key, points) else {
            continue;
        };
        let place = match layers.get(origin.layer) {
            Some(source) => {
                let (line, column) = line_column(&source.text, origin.value_span.start);
                format!("{}:{line}:{column}", source.name)
            }
            None => "?".into(),
        };
        warnings.push(format!(
            "{place}: `{key}` is set but only matters with {needs}, which this experiment does not have: it changes nothing"
        ));
    }
    warnings
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_prefix_covers_its_table_but_not_a_longer_name() {
        assert!(under("workload.trace", "workload.trace"));
        assert!(under("prewarm.interval", "prewarm"));
        assert!(!under("workload.trace_tenant", "workload.trace"));
        assert!(!under("prewarmx.a", "prewarm"));
    }
}
