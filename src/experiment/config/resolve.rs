//! Merging the layers' settings and building the validated [`Config`].
//!
//! Invariants: a later layer's setting of a leaf replaces an earlier one
//! whole (tables merge key by key because only leaves are stored); each
//! setting remembers the layer and span that set it last, so the checks
//! that need several keys (`warmup < duration`, no duplicate architectures)
//! point at the key set last among those that decide; every schema leaf
//! must be set by some layer (the embedded default sets them all).

use std::collections::BTreeMap;

use super::error::{line_column, ConfigError, ErrorKind};
use super::layer::{ArchitectureEntry, Assignment, Origin, Setting};
use super::Source;
use crate::architectures::{Architecture, ArchitectureVariant, Lazy, Memory, Phases, WasmCompile};
use crate::dist::Dist;
use crate::fleet::{Compute, DurableObject, Hosts, Network, WhenFull};
use crate::metrics::Pricing;
use crate::policies::{
    CacheEviction, PartialLoading, Policies, Policy, PolicySet, Predictor, Prewarm,
    SmartDelegation, SmartPredictor, TieredCache,
};
use crate::simulation::Config;
use crate::time::{format_duration, Nanos, MILLISECOND};

/// The shortest `prewarm.interval`: each tick ranks the tenants, so a
/// nanosecond tick would loop for ever (issue 21).
pub(crate) const MIN_PREWARM_INTERVAL: Nanos = MILLISECOND;

/// The shortest MMPP `mean_sojourn`: each state change is an event, and a
/// chain switching faster than requests arrive describes no traffic.
pub(crate) const MIN_MMPP_SOJOURN: Nanos = MILLISECOND;
use crate::workload::{
    Arrivals, Diurnal, Mmpp, MmppState, Trace, TraceSpread, TraceTenant, Workload,
};

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

/// Builds the configuration from the merged settings of `layers`.
pub(crate) fn resolve(merged: &Merged, layers: &[Source]) -> Result<Config, ConfigError> {
    let r = Resolver { merged, layers };
    let dist = |key| r.dist(key);
    let config = Config {
        seed: r.integer("seed")?,
        replications: u32::try_from(r.integer("replications")?)
            .map_err(|_| r.internal("replications"))?,
        duration: r.nanos("duration")?,
        warmup: r.nanos("warmup")?,
        architectures: r.architectures()?,
        workload: Workload {
            tenants: r.integer("workload.tenants")?,
            zipf_s: r.number("workload.zipf_s")?,
            rate_rps: r.number("workload.rate_rps")?,
            arrivals: Arrivals::from_name(r.choice("workload.arrivals")?)
                .ok_or_else(|| r.internal("workload.arrivals"))?,
            trace: Trace {
                path: r.path("workload.trace")?,
                tenant: match r.choice("workload.trace_tenant")? {
                    "function" => TraceTenant::Function,
                    "app" => TraceTenant::App,
                    _ => return Err(r.internal("workload.trace_tenant")),
                },
                spread: match r.choice("workload.trace_spread")? {
                    "uniform" => TraceSpread::Uniform,
                    "poisson" => TraceSpread::Poisson,
                    _ => return Err(r.internal("workload.trace_spread")),
                },
                index: None,
            },
            diurnal: Diurnal {
                amplitude: r.number("workload.diurnal.amplitude")?,
                period: r.nanos("workload.diurnal.period")?,
                peak: r.nanos("workload.diurnal.peak")?,
                profile: r.profile("workload.diurnal.profile")?,
            },
            mmpp: Mmpp {
                states: r.states("workload.mmpp.states")?,
            },
        },
        durable_object: DurableObject {
            idle_timeout: dist("do.idle_timeout")?,
            load_keeps_alive: r.boolean("do.load_keeps_alive")?,
        },
        query_exec: dist("query_exec")?,
        network: Network {
            client_rtt: dist("network.client_rtt")?,
        },
        phases: Phases {
            isolate_start: dist("phases.isolate_start")?,
            isolate_start_bundled: dist("phases.isolate_start_bundled")?,
            cache_check: dist("phases.cache_check")?,
            r2_fetch: dist("phases.r2_fetch")?,
            data_read: dist("phases.data_read")?,
            wasm_compile: dist("phases.wasm_compile")?,
            pglite_init: dist("phases.pglite_init")?,
            loader_isolate_start: dist("phases.loader_isolate_start")?,
            loader_compile: dist("phases.loader_compile")?,
        },
        platform_runtime_wasm_compile: r.platform_compile()?,
        lazy: Lazy {
            cache_hit_ratio: r.number("lazy.cache_hit_ratio")?,
            parallel_fetch: r.boolean("lazy.parallel_fetch")?,
        },
        compute: Compute {
            rtt: dist("compute.rtt")?,
            cold_start: dist("compute.cold_start")?,
            exec: dist("compute.exec")?,
            cpu_time: dist("compute.cpu_time")?,
            idle_timeout: r.nanos("compute.idle_timeout")?,
            concurrency: u32::try_from(r.integer("compute.concurrency")?)
                .map_err(|_| r.internal("compute.concurrency"))?,
            max_instances: r.integer("compute.max_instances")?,
        },
        memory: Memory {
            do_base_mb: r.number("memory.do_base_mb")?,
            bundle_mb: r.number("memory.bundle_mb")?,
            runtime_mb: r.number("memory.runtime_mb")?,
        },
        hosts: Hosts {
            count: r.integer("hosts.count")?,
            memory_mb: r.number("hosts.memory_mb")?,
            when_full: match r.choice("hosts.when_full")? {
                "wait" => WhenFull::Wait,
                "fail" => WhenFull::Fail,
                "overcommit" => WhenFull::Overcommit,
                _ => return Err(r.internal("hosts.when_full")),
            },
        },
        pricing: Pricing {
            do_request_usd_per_m: r.number("pricing.do_request_usd_per_m")?,
            do_requests_included_m: r.number("pricing.do_requests_included_m")?,
            do_gb_s_usd_per_m: r.number("pricing.do_gb_s_usd_per_m")?,
            do_gb_s_included: r.number("pricing.do_gb_s_included")?,
            do_billed_mb: r.number("pricing.do_billed_mb")?,
            worker_request_usd_per_m: r.number("pricing.worker_request_usd_per_m")?,
            worker_requests_included_m: r.number("pricing.worker_requests_included_m")?,
            worker_cpu_ms_usd_per_m: r.number("pricing.worker_cpu_ms_usd_per_m")?,
            worker_cpu_ms_included_m: r.number("pricing.worker_cpu_ms_included_m")?,
            r2_class_b_usd_per_m: r.number("pricing.r2_class_b_usd_per_m")?,
            r2_class_b_included_m: r.number("pricing.r2_class_b_included_m")?,
        },
        policies: r.policies()?,
        isolate: r.isolate()?,
    };
    r.check_warmup(&config)?;
    r.check_hosts(&config)?;
    r.check_bounded_work(&config)?;
    let mut config = config;
    r.index_trace(&mut config)?;
    Ok(config)
}

struct Resolver<'a> {
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

    fn integer(&self, key: &str) -> Result<u64, ConfigError> {
        match self.get(key)? {
            (Setting::Integer(n), _) => Ok(*n),
            _ => Err(self.internal(key)),
        }
    }

    fn number(&self, key: &str) -> Result<f64, ConfigError> {
        match self.get(key)? {
            (Setting::Number(x), _) => Ok(*x),
            _ => Err(self.internal(key)),
        }
    }

    fn boolean(&self, key: &str) -> Result<bool, ConfigError> {
        match self.get(key)? {
            (Setting::Bool(b), _) => Ok(*b),
            _ => Err(self.internal(key)),
        }
    }

    fn nanos(&self, key: &str) -> Result<Nanos, ConfigError> {
        match self.get(key)? {
            (Setting::Duration(n), _) => Ok(*n),
            _ => Err(self.internal(key)),
        }
    }

    fn dist(&self, key: &str) -> Result<Dist, ConfigError> {
        match self.get(key)? {
            (Setting::Dist(d), _) => Ok(d.clone()),
            _ => Err(self.internal(key)),
        }
    }

    fn path(&self, key: &str) -> Result<std::path::PathBuf, ConfigError> {
        match self.get(key)? {
            (Setting::Path(p), _) => Ok(p.clone()),
            _ => Err(self.internal(key)),
        }
    }

    fn profile(&self, key: &str) -> Result<Vec<f64>, ConfigError> {
        match self.get(key)? {
            (Setting::Profile(p), _) => Ok(p.clone()),
            _ => Err(self.internal(key)),
        }
    }

    fn states(&self, key: &str) -> Result<Vec<MmppState>, ConfigError> {
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

    fn choice(&self, key: &str) -> Result<&'static str, ConfigError> {
        match self.get(key)? {
            (Setting::Choice(name), _) => Ok(name),
            _ => Err(self.internal(key)),
        }
    }

    fn isolate(&self) -> Result<crate::fleet::IsolateParams, ConfigError> {
        use crate::fleet::{CpuPhases, CpuWork};
        let mut cpu = CpuPhases::NONE;
        match self.get("isolate.cpu_phases")? {
            (Setting::Names(names), _) => {
                for name in names {
                    cpu = cpu.with(
                        CpuWork::from_key(name)
                            .ok_or_else(|| self.internal("isolate.cpu_phases"))?,
                    );
                }
            }
            _ => return Err(self.internal("isolate.cpu_phases")),
        }
        Ok(crate::fleet::IsolateParams {
            dos_per_isolate: self.integer("isolate.dos_per_isolate")?,
            memory_limit_mb: self.number("isolate.memory_limit_mb")?,
            cpu,
            slice: self.nanos("isolate.slice")?,
        })
    }

    fn policies(&self) -> Result<Policies, ConfigError> {
        let dist = |key| self.dist(key);
        let mut enabled = PolicySet::NONE;
        match self.get("policies")? {
            (Setting::Names(names), _) => {
                for name in names {
                    enabled = enabled
                        .with(Policy::from_name(name).ok_or_else(|| self.internal("policies"))?);
                }
            }
            _ => return Err(self.internal("policies")),
        }
        Ok(Policies {
            enabled,
            prewarm: Prewarm {
                predictor: Predictor::from_name(self.choice("prewarm.predictor")?)
                    .ok_or_else(|| self.internal("prewarm.predictor"))?,
                interval: self.nanos("prewarm.interval")?,
                top_k: self.integer("prewarm.top_k")?,
                window: self.nanos("prewarm.window")?,
                histogram_bin: self.nanos("prewarm.histogram_bin")?,
                histogram_bins: self.integer("prewarm.histogram_bins")?,
                min_idle_samples: self.integer("prewarm.min_idle_samples")?,
                cv_threshold: self.number("prewarm.cv_threshold")?,
                out_of_range_max: self.number("prewarm.out_of_range_max")?,
                fallback_keep_alive: self.nanos("prewarm.fallback_keep_alive")?,
                keep_resident: self.boolean("prewarm.keep_resident")?,
                oracle_lead: self.nanos("prewarm.oracle_lead")?,
            },
            tiered_cache: TieredCache {
                hosts: self.integer("tiered_cache.hosts")?,
                regions: self.integer("tiered_cache.regions")?,
                local_hit: dist("tiered_cache.local_hit")?,
                regional_hit: dist("tiered_cache.regional_hit")?,
                local_ttl: self.nanos("tiered_cache.local_ttl")?,
                regional_ttl: self.nanos("tiered_cache.regional_ttl")?,
                eviction: CacheEviction::from_name(self.choice("tiered_cache.eviction")?)
                    .ok_or_else(|| self.internal("tiered_cache.eviction"))?,
            },
            smart_delegation: SmartDelegation {
                margin: self.nanos("smart_delegation.margin")?,
                predictor: SmartPredictor::from_name(self.choice("smart_delegation.predictor")?)
                    .ok_or_else(|| self.internal("smart_delegation.predictor"))?,
            },
            partial_loading: PartialLoading {
                core_fraction: self.number("partial_loading.core_fraction")?,
                extension_fraction: self.number("partial_loading.extension_fraction")?,
            },
        })
    }

    fn platform_compile(&self) -> Result<WasmCompile, ConfigError> {
        let key = "platform.runtime_wasm_compile";
        WasmCompile::from_name(self.choice(key)?).ok_or_else(|| self.internal(key))
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
    fn architectures(&self) -> Result<Vec<ArchitectureVariant>, ConfigError> {
        let key = "architectures";
        let (Setting::Architectures(entries), list_at) = self.get(key)? else {
            return Err(self.internal(key));
        };
        let platform_key = "platform.runtime_wasm_compile";
        let platform = self.platform_compile()?;
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
