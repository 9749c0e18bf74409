//! Tests of the config loader: the default model, layering, `--set`,
//! `to_toml` round trips ([`errors`]: one test per error kind, each checking
//! source, line, column and key; [`props`]: no input makes loading panic).

mod errors;
mod experiment_errors;
mod experiment_props;
mod experiments;
mod props;
mod traffic;

/// The model's parameter types the tests build and inspect.
mod model_types {
    pub use crate::architectures::{Architecture, ArchitectureVariant, WasmCompile};
    pub use crate::simulation::Config;
    pub use crate::workload::{Arrivals, MmppState, TraceSpread, TraceTenant};
}

use std::path::Path;

use super::*;
use crate::dist::Dist;
use crate::time::{MILLISECOND, SECOND};
use model_types::*;

/// The embedded default model, the first layer of every load.
pub(super) fn model() -> Source {
    model_layer()
}

/// The embedded default prices, the second layer.
pub(super) fn pricing() -> Source {
    pricing_layer()
}

pub(super) fn layer(name: &str, text: &str) -> Source {
    Source {
        name: name.to_string(),
        text: text.to_string(),
        base_dir: None,
    }
}

/// Loads `text` as `x.toml` over the default model.
pub(super) fn over_default(text: &str) -> Result<Config, ConfigError> {
    load(&[model(), pricing(), layer("x.toml", text)])
}

/// The error of loading `text` over the default model.
pub(super) fn error_of(text: &str) -> ConfigError {
    match over_default(text) {
        Ok(_) => panic!("expected an error for {text:?}"),
        Err(e) => e,
    }
}

/// Checks an error's source, line, column and key; returns its message.
pub(super) fn check(
    e: &ConfigError,
    source: &str,
    line: usize,
    column: usize,
    key: Option<&str>,
) -> String {
    let shown = e.to_string();
    assert_eq!(e.source(), source, "{shown}");
    assert_eq!(
        (e.line(), e.column()),
        (Some(line), Some(column)),
        "{shown}"
    );
    assert_eq!(e.key(), key, "{shown}");
    shown
}

fn uniform(min_ms: u64, max_ms: u64) -> Dist {
    Dist::Uniform {
        min: min_ms * MILLISECOND,
        max: max_ms * MILLISECOND,
    }
}
#[test]
fn embedded_default_loads_with_the_documented_values() {
    let c = load_default().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(c.seed, 1);
    assert_eq!(c.replications, 1);
    assert_eq!(c.duration, 3600 * SECOND);
    assert_eq!(c.warmup, 0);
    assert_eq!(c.architectures.len(), 5);
    assert_eq!(c.architectures[0].architecture, Architecture::Traditional);
    assert_eq!(
        c.architectures[4],
        ArchitectureVariant {
            architecture: Architecture::Lazy,
            runtime_wasm_compile: WasmCompile::Allowed,
        }
    );
    assert_eq!(
        c.architectures[3].runtime_wasm_compile,
        WasmCompile::Blocked
    );
    assert_eq!(c.workload.tenants, 10_000);
    assert_eq!(c.workload.zipf_s, 1.0);
    assert_eq!(c.workload.rate_rps, 100.0);
    assert_eq!(c.workload.arrivals, Arrivals::Poisson);
    assert_eq!(c.durable_object.idle_timeout, Dist::Constant(10 * SECOND));
    assert!(c.durable_object.load_keeps_alive);
    assert_eq!(
        c.query_exec,
        Dist::Uniform {
            min: 60_000,
            max: 150_000
        }
    );
    assert_eq!(c.network.client_rtt, uniform(8, 12));
    assert_eq!(c.phases.cache_check, uniform(5, 20));
    assert_eq!(c.phases.pglite_init, uniform(500, 1000));
    assert_eq!(c.platform_runtime_wasm_compile, WasmCompile::Blocked);
    assert_eq!(c.lazy.cache_hit_ratio, 0.9);
    assert!(c.lazy.parallel_fetch);
    assert_eq!(c.compute.idle_timeout, 60 * SECOND);
    assert_eq!(c.memory.bundle_mb, 13.0);
}

#[test]
fn a_layer_overrides_key_by_key_and_replaces_distributions_whole() {
    let c = over_default(
        "seed = 7\n[workload]\ntenants = 5\n[phases]\ncache_check = \"3ms\"\n\
         [do]\nidle_timeout = { dist = \"uniform\", min = \"70s\", max = \"140s\" }\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((c.seed, c.workload.tenants), (7, 5));
    assert_eq!(c.workload.rate_rps, 100.0, "the rest of [workload] is kept");
    assert_eq!(c.phases.cache_check, Dist::Constant(3 * MILLISECOND));
    assert_eq!(c.phases.r2_fetch, uniform(50, 200));
    assert_eq!(c.durable_object.idle_timeout, uniform(70_000, 140_000));
}

#[test]
fn files_and_relative_sample_files_load() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let samples = "# observed\n12ms\n\n 15ms \n";
    std::fs::write(dir.path().join("s.txt"), samples).unwrap_or_else(|e| panic!("{e}"));
    let path = dir.path().join("x.toml");
    let text = "[phases]\ndata_read = { dist = \"empirical\", file = \"s.txt\" }\n";
    std::fs::write(&path, text).unwrap_or_else(|e| panic!("{e}"));
    let c = load_file(&path, &["seed=9".to_string()]).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        c.phases.data_read,
        Dist::Empirical(vec![12 * MILLISECOND, 15 * MILLISECOND].into())
    );
    assert_eq!(c.seed, 9);
    std::fs::write(dir.path().join("s.txt"), "12ms\n7\n").unwrap_or_else(|e| panic!("{e}"));
    let e = load_file(&path, &[])
        .err()
        .unwrap_or_else(|| panic!("expected an error"));
    let shown = check(
        &e,
        &path.display().to_string(),
        2,
        42,
        Some("phases.data_read.file"),
    );
    assert!(
        shown.contains("s.txt, line 2: \"7\" has no unit"),
        "{shown}"
    );
}
#[test]
fn set_layers_override_and_are_validated_like_files() {
    let sets = [
        "do.idle_timeout=70s",
        "workload.tenants=1000",
        "query_exec={dist=\"exponential\",mean=\"5ms\"}",
        "platform.runtime_wasm_compile=loader",
        "architectures=[\"thin\",\"lazy\"]",
        "lazy.parallel_fetch=false",
    ];
    let mut layers = vec![model(), pricing(), pricing()];
    for s in sets {
        layers.push(set_layer(s).unwrap_or_else(|e| panic!("{e}")));
    }
    let c = load(&layers).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(c.durable_object.idle_timeout, Dist::Constant(70 * SECOND));
    assert_eq!(c.workload.tenants, 1000);
    assert_eq!(
        c.query_exec,
        Dist::Exponential {
            mean: 5 * MILLISECOND
        }
    );
    assert_eq!(c.platform_runtime_wasm_compile, WasmCompile::Loader);
    assert_eq!(c.architectures.len(), 2);
    assert_eq!(c.architectures[1].runtime_wasm_compile, WasmCompile::Loader);
    assert!(!c.lazy.parallel_fetch);

    let e = load(&[
        model(),
        set_layer("workload.tenants=abc").unwrap_or_else(|e| panic!("{e}")),
    ])
    .err();
    let e = e.unwrap_or_else(|| panic!("expected an error"));
    let shown = check(
        &e,
        "--set workload.tenants=abc",
        1,
        18,
        Some("workload.tenants"),
    );
    assert!(shown.starts_with(
        "--set workload.tenants=abc (column 18): `workload.tenants`: expected an integer"
    ));
    let e = load(&[
        model(),
        set_layer("workload.tenats=5").unwrap_or_else(|e| panic!("{e}")),
    ])
    .err();
    let e = e.unwrap_or_else(|| panic!("expected an error"));
    check(
        &e,
        "--set workload.tenats=5",
        1,
        10,
        Some("workload.tenats"),
    );
    // A broken inline table is reported as TOML, not taken as a string.
    let e = load(&[
        model(),
        set_layer("query_exec={dist=\"exponential\",mean=5ms}").unwrap_or_else(|e| panic!("{e}")),
    ]);
    assert_eq!(e.err().map(|e| e.kind()), Some(ErrorKind::Syntax));
}

#[test]
fn a_layer_set_missing_keys_is_reported_without_the_default() {
    let e = load(&[layer("x.toml", "seed = 1")])
        .err()
        .unwrap_or_else(|| panic!("expected an error"));
    assert_eq!(e.kind(), ErrorKind::Missing);
    assert_eq!(e.source(), "x.toml");
    assert!(e.key().is_some());
    assert_eq!(load(&[]).err().map(|e| e.kind()), Some(ErrorKind::Missing));
}

#[test]
fn known_keys_cover_the_schema() {
    let keys = known_keys();
    assert!(
        keys.contains(&"seed")
            && keys.contains(&"workload.tenants")
            && keys.contains(&"phases.cache_check")
    );
    assert!(keys.iter().all(|k| is_known_key(k)));
    assert!(!is_known_key("workload") && !is_known_key("workload.tenats"));
    assert_eq!(
        nearest_known_key("workload.tenats"),
        Some("workload.tenants")
    );
    // Every known key can be set on the command line from the default's value.
    let default = load_default().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(keys.len(), 85);
    assert_eq!(
        load(&[model(), pricing(), layer("r.toml", &default.to_toml())]).ok(),
        Some(default)
    );
}

#[test]
fn to_toml_round_trips_the_default() {
    let default = load_default().unwrap_or_else(|e| panic!("{e}"));
    let text = default.to_toml();
    let again = load(&[model(), pricing(), layer("resolved.toml", &text)])
        .unwrap_or_else(|e| panic!("{e}\n{text}"));
    assert_eq!(again, default);
    // The output is complete: it loads alone too.
    let alone = load(&[layer("resolved.toml", &text)]).unwrap_or_else(|e| panic!("{e}\n{text}"));
    assert_eq!(alone, default);
}

#[test]
fn to_toml_round_trips_every_distribution_kind() {
    let text = "duration = \"1.23456789s\"\nwarmup = \"1ns\"\nseed = 9223372036854775807\n\
        architectures = [\"hybrid\", { architecture = \"lazy\", runtime_wasm_compile = \"loader\" }]\n\
        query_exec = { dist = \"constant\", value = \"7ms\" }\n\
        [workload]\nzipf_s = 0.1\nrate_rps = 3.3333333333333335\n\
        [phases]\n\
        isolate_start = { dist = \"uniform\", min = \"1.5ms\", max = \"1.7ms\" }\n\
        cache_check = { dist = \"exponential\", mean = \"12.345678ms\" }\n\
        r2_fetch = { dist = \"lognormal\", p50 = \"80ms\", p99 = \"300ms\" }\n\
        data_read = { dist = \"lognormal\", mu = 16.1, sigma = 0.7 }\n\
        wasm_compile = { dist = \"normal\", mean = \"300ms\", sd = \"45.5ms\" }\n\
        pglite_init = { dist = \"empirical\", samples = [\"500ms\", \"1s\", \"734.123456789ms\"] }\n\
        [compute]\nidle_timeout = \"90061001ns\"\n";
    let c = over_default(text).unwrap_or_else(|e| panic!("{e}"));
    assert!(matches!(c.phases.r2_fetch, Dist::LogNormal { .. }));
    assert!(matches!(
        c.phases.wasm_compile,
        Dist::TruncatedNormal { .. }
    ));
    let resolved = c.to_toml();
    let again = over_default(&resolved).unwrap_or_else(|e| panic!("{e}\n{resolved}"));
    assert_eq!(again, c, "{resolved}");
}
#[test]
fn file_layer_reads_and_names_the_path() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let path = dir.path().join("e.toml");
    std::fs::write(&path, "seed = 4\n").unwrap_or_else(|e| panic!("{e}"));
    let source = file_layer(&path).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(source.name, path.display().to_string());
    assert_eq!(source.base_dir.as_deref(), Some(dir.path()));
    assert_eq!(
        file_layer(Path::new("")).err().map(|e| e.kind()),
        Some(ErrorKind::Read)
    );
}

#[test]
fn the_prices_are_their_own_layer_and_the_model_sets_everything_else() {
    // The model alone misses only prices.
    let e = load(&[model()]).err().map(|e| e.key().map(str::to_string));
    let missing = e.flatten().unwrap_or_default();
    assert!(missing.starts_with("pricing."), "{missing}");
    // The prices set only `pricing.*`, and with the model every key.
    assert_eq!(DEFAULT_PRICING.matches("\n[").count(), 1, "one table");
    assert!(DEFAULT_PRICING.contains("[pricing]"));
    assert!(!DEFAULT_MODEL.contains("[pricing]"));
    assert!(load(&[model(), pricing()]).is_ok());
}
