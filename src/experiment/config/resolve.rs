//! Merging the layers' settings and building the validated [`Config`]:
//! the fields from the key table (`keys.rs`: each key read by its spec's
//! reader, a method here), then the checks that involve several keys.
//!
//! Invariants: a later layer's setting of a leaf replaces an earlier one
//! whole (tables merge key by key because only leaves are stored); each
//! setting remembers the layer and span that set it last, so the checks
//! that need several keys (`warmup < duration`, no duplicate architectures)
//! point at the key set last among those that decide; every schema leaf
//! must be set by some layer (the embedded default sets them all; without
//! it, the first unset key in declaration order is reported).

use std::collections::BTreeMap;

use super::error::{line_column, ConfigError, ErrorKind};
use super::keys::build;
use super::layer::{ArchitectureEntry, Assignment, Origin, Setting};
use super::spec::Named;
use super::Source;
use crate::architectures::{Architecture, ArchitectureVariant, WasmCompile};
use crate::dist::Dist;
use crate::fleet::{CpuPhases, CpuWork};
use crate::policies::{Policy, PolicySet};
use crate::simulation::Config;
use crate::time::{format_duration, Nanos, MILLISECOND};
use crate::workload::{Arrivals, MmppState};

/// The shortest `prewarm.interval`: each tick ranks the tenants, so a
/// nanosecond tick would loop for ever (issue 21).
pub(crate) const MIN_PREWARM_INTERVAL: Nanos = MILLISECOND;

/// The shortest MMPP `mean_sojourn`: each state change is an event, and a
/// chain switching faster than requests arrive describes no traffic.
pub(crate) const MIN_MMPP_SOJOURN: Nanos = MILLISECOND;

/// The leaf settings of all layers so far, the latest winning.
#[derive(Debug, Default, Clone)]
pub(crate) struct Merged {
    settings: BTreeMap<&'static str, (Setting, Origin)>,
}

impl Merged {
    /// The settings made by layers `first_layer` onwards, in key order.
    pub(crate) fn set_from(
        &self,
        first_layer: usize,
    ) -> impl Iterator<Item = (&'static str, &Setting, &Origin)> {
        self.settings
            .iter()
            .filter(move |(_, (_, origin))| origin.layer >= first_layer)
            .map(|(key, (setting, origin))| (*key, setting, origin))
    }

    /// The setting of `key`, if a layer made one.
    pub(crate) fn setting(&self, key: &str) -> Option<&Setting> {
        self.settings.get(key).map(|(setting, _)| setting)
    }

    /// Applies one layer on top of the previous ones.
    pub(crate) fn apply(&mut self, assignments: Vec<Assignment>) {
        for a in assignments {
            self.settings.insert(a.key, (a.setting, a.origin));
        }
    }
}

/// Builds the configuration from the merged settings of `layers`: every
/// key read by its spec (`keys.rs`), then the checks across keys.
pub(crate) fn resolve(merged: &Merged, layers: &[Source]) -> Result<Config, ConfigError> {
    let r = Resolver { merged, layers };
    let mut config = build(&r)?;
    r.check_warmup(&config)?;
    r.check_hosts(&config)?;
    r.check_bounded_work(&config)?;
    r.index_trace(&mut config)?;
    Ok(config)
}

/// Reads merged settings into model values: the readers of the specs
/// (`spec.rs`), each given its key, and the checks across keys.
pub(super) struct Resolver<'a> {
    merged: &'a Merged,
    layers: &'a [Source],
}

impl Resolver<'_> {
    fn get(&self, key: &str) -> Result<&(Setting, Origin), ConfigError> {
        self.merged.settings.get(key).ok_or_else(|| {
            let origin = self.layers.last().map_or("<no layers>", |s| s.name.as_str());
            ConfigError::unplaced(
                origin,
                ErrorKind::Missing,
                Some(key.to_string()),
                format!("`{key}` is not set by any layer (the first layer should be the embedded default model)"),
            )
        })
    }

    /// A setting of an unexpected kind: impossible while the layer reader
    /// follows the schema, reported rather than panicking.
    fn internal(&self, key: &str) -> ConfigError {
        ConfigError::unplaced(
            "<config loader>",
            ErrorKind::InvalidValue,
            Some(key.to_string()),
            format!("internal error: `{key}` holds a value of the wrong kind"),
        )
    }

    pub(super) fn integer(&self, key: &str) -> Result<u64, ConfigError> {
        match self.get(key)? {
            (Setting::Integer(n), _) => Ok(*n),
            _ => Err(self.internal(key)),
        }
    }

    pub(super) fn number(&self, key: &str) -> Result<f64, ConfigError> {
        match self.get(key)? {
            (Setting::Number(x), _) => Ok(*x),
            _ => Err(self.internal(key)),
        }
    }

    pub(super) fn boolean(&self, key: &str) -> Result<bool, ConfigError> {
        match self.get(key)? {
            (Setting::Bool(b), _) => Ok(*b),
            _ => Err(self.internal(key)),
        }
    }

    pub(super) fn nanos(&self, key: &str) -> Result<Nanos, ConfigError> {
        match self.get(key)? {
            (Setting::Duration(n), _) => Ok(*n),
            _ => Err(self.internal(key)),
        }
    }

    pub(super) fn dist(&self, key: &str) -> Result<Dist, ConfigError> {
        match self.get(key)? {
            (Setting::Dist(d), _) => Ok(d.clone()),
            _ => Err(self.internal(key)),
        }
    }

    pub(super) fn path(&self, key: &str) -> Result<std::path::PathBuf, ConfigError> {
        match self.get(key)? {
            (Setting::Path(p), _) => Ok(p.clone()),
            _ => Err(self.internal(key)),
        }
    }

    pub(super) fn profile(&self, key: &str) -> Result<Vec<f64>, ConfigError> {
        match self.get(key)? {
            (Setting::Profile(p), _) => Ok(p.clone()),
            _ => Err(self.internal(key)),
        }
    }

    pub(super) fn states(&self, key: &str) -> Result<Vec<MmppState>, ConfigError> {
        match self.get(key)? {
            (Setting::States(s), _) => Ok(s.clone()),
            _ => Err(self.internal(key)),
        }
    }

    /// With `arrivals = "trace"`: checks that a trace is named and reads
    /// its index (the whole file, checked), pointing any error at the
    /// setting of `workload.trace`.
    fn index_trace(&self, config: &mut Config) -> Result<(), ConfigError> {
        if config.workload.arrivals != Arrivals::Trace {
            return Ok(());
        }
        let (_, arrivals_at) = self.get("workload.arrivals")?;
        let (_, trace_at) = self.get("workload.trace")?;
        let trace = &mut config.workload.trace;
        if trace.path.as_os_str().is_empty() {
            return Err(if arrivals_at.layer >= trace_at.layer {
                let message = format!(
                    "`workload.arrivals`: \"trace\" needs `workload.trace` = a trace file \
                     (set at {} to \"\", none)",
                    self.place(trace_at)
                );
                self.conflict(
                    arrivals_at,
                    &arrivals_at.value_span,
                    "workload.arrivals".into(),
                    message,
                )
            } else {
                let message = format!(
                    "`workload.trace`: expected a trace file, since `workload.arrivals` = \
                     \"trace\" (set at {}), found \"\"",
                    self.place(arrivals_at)
                );
                self.conflict(
                    trace_at,
                    &trace_at.value_span,
                    "workload.trace".into(),
                    message,
                )
            });
        }
        match crate::workload::trace_index(&trace.path, trace.tenant) {
            Ok(index) => {
                trace.index = Some(index);
                Ok(())
            }
            Err(e) => {
                let message = format!("`workload.trace`: {e}");
                Err(match self.layers.get(trace_at.layer) {
                    Some(source) => ConfigError::at(
                        source,
                        &trace_at.value_span,
                        ErrorKind::InvalidValue,
                        Some("workload.trace".into()),
                        message,
                    ),
                    None => ConfigError::unplaced(
                        "<unknown layer>",
                        ErrorKind::InvalidValue,
                        Some("workload.trace".into()),
                        message,
                    ),
                })
            }
        }
    }

    pub(super) fn integer_u32(&self, key: &str) -> Result<u32, ConfigError> {
        u32::try_from(self.integer(key)?).map_err(|_| self.internal(key))
    }

    pub(super) fn choice_of<E: Named>(&self, key: &str) -> Result<E, ConfigError> {
        match self.get(key)? {
            (Setting::Choice(name), _) => E::from_name(name).ok_or_else(|| self.internal(key)),
            _ => Err(self.internal(key)),
        }
    }

    /// The work named in `key` (`isolate.cpu_phases`).
    pub(super) fn cpu_phases(&self, key: &str) -> Result<CpuPhases, ConfigError> {
        let (Setting::Names(names), _) = self.get(key)? else {
            return Err(self.internal(key));
        };
        let mut cpu = CpuPhases::NONE;
        for name in names {
            cpu = cpu.with(CpuWork::from_key(name).ok_or_else(|| self.internal(key))?);
        }
        Ok(cpu)
    }

    /// The policies named in `key` (`policies`).
    pub(super) fn policy_set(&self, key: &str) -> Result<PolicySet, ConfigError> {
        let (Setting::Names(names), _) = self.get(key)? else {
            return Err(self.internal(key));
        };
        let mut enabled = PolicySet::NONE;
        for name in names {
            enabled = enabled.with(Policy::from_name(name).ok_or_else(|| self.internal(key))?);
        }
        Ok(enabled)
    }

    /// Where `origin` is, for a message: `file:line:col`, or the `--set`.
    fn place(&self, origin: &Origin) -> String {
        match self.layers.get(origin.layer) {
            Some(source) if source.name.starts_with("--set ") => format!("`{}`", source.name),
            Some(source) => {
                let (line, column) = line_column(&source.text, origin.value_span.start);
                format!("{}:{line}:{column}", source.name)
            }
            None => "an unknown layer".to_string(),
        }
    }

    /// An error at the value set at `origin`.
    fn conflict(
        &self,
        origin: &Origin,
        span: &std::ops::Range<usize>,
        key: String,
        message: String,
    ) -> ConfigError {
        match self.layers.get(origin.layer) {
            Some(source) => ConfigError::at(source, span, ErrorKind::Conflict, Some(key), message),
            None => {
                ConfigError::unplaced("<unknown layer>", ErrorKind::Conflict, Some(key), message)
            }
        }
    }

    /// With hosts, every architecture's DO must fit in an empty host, or
    /// its starts could never be admitted.
    fn check_hosts(&self, config: &Config) -> Result<(), ConfigError> {
        if config.hosts.count == 0 {
            return Ok(());
        }
        let Some((architecture, needed)) = config
            .architectures
            .iter()
            .map(|v| {
                (
                    v.architecture,
                    v.architecture.footprint(&config.memory).max_mb(),
                )
            })
            .max_by(|a, b| a.1.total_cmp(&b.1))
        else {
            return Ok(());
        };
        if needed <= config.hosts.memory_mb {
            return Ok(());
        }
        let (_, at) = self.get("hosts.memory_mb")?;
        let message = format!(
            "`hosts.memory_mb`: expected at least {needed} MB, what one {} DO holds \
             (memory.do_base_mb, bundle_mb and runtime_mb), so that it fits in an empty host; \
             found {}",
            architecture.name(),
            config.hosts.memory_mb
        );
        Err(self.conflict(at, &at.value_span, "hosts.memory_mb".into(), message))
    }

    /// Refuses the settings that would make a run's work unbounded or
    /// meaningless: a prewarm tick or an MMPP sojourn below a millisecond,
    /// and (with diurnal arrivals) a peak outside the period.
    fn check_bounded_work(&self, config: &Config) -> Result<(), ConfigError> {
        let interval = config.policies.prewarm.interval;
        if interval < MIN_PREWARM_INTERVAL {
            let (_, at) = self.get("prewarm.interval")?;
            let message = format!(
                "`prewarm.interval`: expected at least {}, found {}: every tick ranks the \
                 tenants, so the run's work grows as duration / interval",
                format_duration(MIN_PREWARM_INTERVAL),
                format_duration(interval)
            );
            return Err(self.conflict(at, &at.value_span, "prewarm.interval".into(), message));
        }
        let states = &config.workload.mmpp.states;
        if let Some(i) = states
            .iter()
            .position(|s| s.mean_sojourn < MIN_MMPP_SOJOURN)
        {
            let (_, at) = self.get("workload.mmpp.states")?;
            let key = format!("workload.mmpp.states[{i}].mean_sojourn");
            let message = format!(
                "`{key}`: expected at least {}, found {}: every change of state is an event, \
                 so the run's work grows as duration / mean_sojourn",
                format_duration(MIN_MMPP_SOJOURN),
                format_duration(states[i].mean_sojourn)
            );
            return Err(self.conflict(at, &at.value_span, key, message));
        }
        let diurnal = &config.workload.diurnal;
        if config.workload.arrivals == Arrivals::Diurnal && diurnal.peak >= diurnal.period {
            let (_, peak_at) = self.get("workload.diurnal.peak")?;
            let (_, period_at) = self.get("workload.diurnal.period")?;
            let message = format!(
                "`workload.diurnal.peak`: expected a time within the period, less than \
                 `workload.diurnal.period` = {} (set at {}), found {}",
                format_duration(diurnal.period),
                self.place(period_at),
                format_duration(diurnal.peak)
            );
            return Err(self.conflict(
                peak_at,
                &peak_at.value_span,
                "workload.diurnal.peak".into(),
                message,
            ));
        }
        Ok(())
    }

    fn check_warmup(&self, config: &Config) -> Result<(), ConfigError> {
        if config.warmup < config.duration {
            return Ok(());
        }
        let (_, warmup_at) = self.get("warmup")?;
        let (_, duration_at) = self.get("duration")?;
        let (warmup, duration) = (
            format_duration(config.warmup),
            format_duration(config.duration),
        );
        Err(if warmup_at.layer >= duration_at.layer {
            let message = format!(
                "`warmup`: expected a duration less than `duration` = {duration} (set at {}), found {warmup}",
                self.place(duration_at)
            );
            self.conflict(warmup_at, &warmup_at.value_span, "warmup".into(), message)
        } else {
            let message = format!(
                "`duration`: expected a duration greater than `warmup` = {warmup} (set at {}), found {duration}",
                self.place(warmup_at)
            );
            self.conflict(
                duration_at,
                &duration_at.value_span,
                "duration".into(),
                message,
            )
        })
    }

    /// The architecture variants, refusing two entries that would run the
    /// same thing under the same label (`runtime_wasm_compile` only matters
    /// to `lazy`, so two `traditional` entries are duplicates whatever it is).
    pub(super) fn architectures(&self, key: &str) -> Result<Vec<ArchitectureVariant>, ConfigError> {
        let (Setting::Architectures(entries), list_at) = self.get(key)? else {
            return Err(self.internal(key));
        };
        let platform_key = "platform.runtime_wasm_compile";
        let platform: WasmCompile = self.choice_of(platform_key)?;
        let (_, platform_at) = self.get(platform_key)?;
        let variant = |e: &ArchitectureEntry| ArchitectureVariant {
            architecture: e.architecture,
            runtime_wasm_compile: e.runtime_wasm_compile.unwrap_or(platform),
        };
        let mut variants: Vec<ArchitectureVariant> = Vec::with_capacity(entries.len());
        for (i, entry) in entries.iter().enumerate() {
            let this = variant(entry);
            let label = this.label(platform);
            let Some(j) = variants.iter().position(|v| v.label(platform) == label) else {
                variants.push(this);
                continue;
            };
            let earlier = entries.get(j).map_or(entry, |e| e);
            let inherits =
                entry.runtime_wasm_compile.is_none() || earlier.runtime_wasm_compile.is_none();
            let platform_decides = inherits
                && this.architecture == Architecture::Lazy
                && platform_at.layer > list_at.layer;
            let what = if this.architecture == Architecture::Lazy {
                format!(
                    "lazy with runtime_wasm_compile = \"{}\"",
                    this.runtime_wasm_compile.name()
                )
            } else {
                format!(
                    "{} (runtime_wasm_compile does not affect it)",
                    this.architecture.name()
                )
            };
            return Err(if platform_decides {
                let message = format!(
                    "`{platform_key}` = \"{}\" makes `architectures[{j}]` and `architectures[{i}]` (set at {}) \
                     the same: {what}; an entry without its own runtime_wasm_compile takes this one, and each \
                     architecture may appear once: also set `architectures`",
                    platform.name(),
                    self.place(list_at)
                );
                self.conflict(
                    platform_at,
                    &platform_at.value_span,
                    platform_key.to_string(),
                    message,
                )
            } else {
                let message = format!(
                    "`architectures[{i}]`: duplicate of `architectures[{j}]`: both are {what}; \
                     each architecture may appear once"
                );
                self.conflict(list_at, &entry.span, format!("architectures[{i}]"), message)
            });
        }
        Ok(variants)
    }
}
