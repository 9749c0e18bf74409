//! Experiment files: sweeps (lists and ranges), grid order, `extends`
//! chains, `--set` on sweeps, and the `to_toml` round trip.

use std::path::PathBuf;

use super::model_types::*;
use crate::dist::Dist;
use crate::experiment::config::*;
use crate::time::{MILLISECOND, SECOND};

/// A temporary directory to write experiment files in.
pub(super) struct Dir(pub(super) tempfile::TempDir);

impl Dir {
    pub(super) fn new() -> Dir {
        Dir(tempfile::tempdir().unwrap_or_else(|e| panic!("{e}")))
    }

    /// Writes `text` at `name` (creating directories) and returns its path.
    pub(super) fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.0.path().join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).unwrap_or_else(|e| panic!("{e}"));
        }
        std::fs::write(&path, text).unwrap_or_else(|e| panic!("{e}"));
        path
    }
}

pub(super) fn strings(sets: &[&str]) -> Vec<String> {
    sets.iter().map(|s| s.to_string()).collect()
}

/// Loads `text` as the experiment file `e.toml` with `sets`.
pub(super) fn experiment(text: &str, sets: &[&str]) -> Result<ExperimentSpec, ConfigError> {
    let dir = Dir::new();
    let path = dir.write("e.toml", text);
    load_experiment(Some(&path), &strings(sets))
}

pub(super) fn ok(text: &str, sets: &[&str]) -> ExperimentSpec {
    experiment(text, sets).unwrap_or_else(|e| panic!("{e}\n{text}"))
}

fn cells(spec: &ExperimentSpec, key: &str) -> Vec<String> {
    let values = spec.sweep.iter().find(|(k, _)| k == key).map(|(_, v)| v);
    values
        .unwrap_or_else(|| panic!("{key} is not swept: {:?}", spec.sweep))
        .iter()
        .map(|v| v.cell.clone())
        .collect()
}

fn keys(spec: &ExperimentSpec) -> Vec<&str> {
    spec.sweep.iter().map(|(k, _)| k.as_str()).collect()
}

#[test]
fn no_sweep_is_one_point_equal_to_the_base() {
    let spec = ok("name = \"plain\"\ndescription = \"d\"\nseed = 3\n", &[]);
    assert_eq!(spec.name, "plain");
    assert_eq!(spec.description.as_deref(), Some("d"));
    assert_eq!(spec.base.seed, 3);
    assert!(spec.sweep.is_empty());
    assert_eq!(spec.points.len(), 1);
    assert_eq!(spec.points[0].config, spec.base);
    assert!(spec.points[0].swept.is_empty());
    // Without `name`: the file stem; without a file: "default".
    assert_eq!(ok("seed = 3", &[]).name, "e");
    let default = load_experiment(None, &[]).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(default.name, "default");
    assert_eq!(Some(default.base), load_default().ok());
}

#[test]
fn the_grid_is_the_product_with_the_first_key_slowest() {
    let spec = ok(
        "duration = \"10min\"\n[sweep]\n\"workload.zipf_s\" = [0.6, 0.8]\n\
         [sweep.workload]\ntenants = [10, 20, 30]\n[sweep.do]\n\
         idle_timeout = [\"10s\", { dist = \"uniform\", min = \"70s\", max = \"140s\" }]\n",
        &[],
    );
    assert_eq!(
        keys(&spec),
        ["workload.zipf_s", "workload.tenants", "do.idle_timeout"]
    );
    assert_eq!(spec.points.len(), 12);
    let swept: Vec<Vec<&str>> = spec
        .points
        .iter()
        .map(|p| p.swept.iter().map(|(_, v)| v.as_str()).collect())
        .collect();
    assert_eq!(swept[0], ["0.6", "10", "10s"]);
    assert_eq!(
        swept[1],
        [
            "0.6",
            "10",
            "{ dist = \"uniform\", min = \"70s\", max = \"140s\" }"
        ]
    );
    assert_eq!(swept[2], ["0.6", "20", "10s"]);
    assert_eq!(swept[11][..2], ["0.8", "30"]);
    for point in &spec.points {
        assert_eq!(point.swept[0].0, "workload.zipf_s");
        let zipf: f64 = point.swept[0].1.parse().unwrap_or(f64::NAN);
        assert_eq!(point.config.workload.zipf_s, zipf);
        assert_eq!(point.config.workload.tenants.to_string(), point.swept[1].1);
        assert_eq!(point.config.duration, 600 * SECOND);
    }
    assert_eq!(
        spec.points[1].config.durable_object.idle_timeout,
        Dist::Uniform {
            min: 70 * SECOND,
            max: 140 * SECOND
        }
    );
    // The base keeps the values outside the sweep.
    assert_eq!(spec.base.workload.zipf_s, 1.0);
    assert_eq!(spec.base.workload.tenants, 10_000);
}

#[test]
fn enum_bool_and_integer_keys_sweep_as_lists() {
    let spec = ok(
        "architectures = [\"lazy\"]\n[sweep]\n\
         \"platform.runtime_wasm_compile\" = [\"blocked\", \"allowed\", \"loader\"]\n\
         \"lazy.parallel_fetch\" = [true, false]\nseed = [1, 0x10]\n",
        &[],
    );
    assert_eq!(spec.points.len(), 12);
    assert_eq!(cells(&spec, "seed"), ["1", "16"]);
    assert_eq!(cells(&spec, "lazy.parallel_fetch"), ["true", "false"]);
    let last = &spec.points[11].config;
    assert_eq!(last.platform_runtime_wasm_compile, WasmCompile::Loader);
    assert_eq!(
        last.architectures[0].runtime_wasm_compile,
        WasmCompile::Loader
    );
    assert!(!last.lazy.parallel_fetch);
    assert_eq!(last.seed, 16);
}

#[test]
fn ranges_expand_linear_log_integer_and_duration() {
    let spec = ok(
        "[sweep]\n\"workload.zipf_s\" = { from = 0.6, to = 1.2, steps = 7 }\n\
         \"workload.tenants\" = { from = 10, to = 100000, steps = 5, scale = \"log\" }\n\
         \"workload.rate_rps\" = { from = 1, to = 2, steps = 3 }\n\
         \"memory.runtime_mb\" = { from = 1, to = 1, steps = 1 }\n",
        &[],
    );
    assert_eq!(
        cells(&spec, "workload.zipf_s"),
        ["0.6", "0.7", "0.8", "0.9", "1", "1.1", "1.2"]
    );
    assert_eq!(
        cells(&spec, "workload.tenants"),
        ["10", "100", "1000", "10000", "100000"]
    );
    assert_eq!(cells(&spec, "workload.rate_rps"), ["1", "1.5", "2"]);
    assert_eq!(cells(&spec, "memory.runtime_mb"), ["1"]);
    assert_eq!(spec.points.len(), 7 * 5 * 3);
    assert_eq!(spec.points[1].config.workload.rate_rps, 1.5);

    // Integer keys round to the nearest integer; descending ranges work.
    let spec = ok(
        "[sweep]\n\"workload.tenants\" = { from = 10, to = 1, steps = 4 }",
        &[],
    );
    assert_eq!(cells(&spec, "workload.tenants"), ["10", "7", "4", "1"]);

    // Durations: linear and log, in nanoseconds, for a distribution key
    // (constants) and a plain duration key.
    let spec = ok(
        "[sweep]\n\"do.idle_timeout\" = { from = \"10s\", to = \"140s\", steps = 5 }\n\
         \"warmup\" = { from = \"1ms\", to = \"1s\", steps = 4, scale = \"log\" }\n",
        &[],
    );
    assert_eq!(
        cells(&spec, "do.idle_timeout"),
        ["10s", "42.5s", "75s", "107.5s", "140s"]
    );
    assert_eq!(cells(&spec, "warmup"), ["1ms", "10ms", "100ms", "1s"]);
    let last = &spec.points[19].config;
    assert_eq!(
        last.durable_object.idle_timeout,
        Dist::Constant(140 * SECOND)
    );
    assert_eq!(last.warmup, SECOND);
    assert_eq!(spec.points[1].config.warmup, 10 * MILLISECOND);
    let swept = &spec.sweep[0].1[1];
    assert_eq!(
        (swept.toml.as_str(), swept.cell.as_str()),
        ("\"42.5s\"", "42.5s")
    );
}

#[test]
fn intermediate_values_are_rounded_for_short_cells() {
    let spec = ok(
        "[sweep]\n\"workload.zipf_s\" = { from = 0, to = 1, steps = 4 }\n\
         \"do.idle_timeout\" = { from = \"10s\", to = \"140s\", steps = 5, scale = \"log\" }\n",
        &[],
    );
    assert_eq!(
        cells(&spec, "workload.zipf_s"),
        ["0", "0.333333333333", "0.666666666667", "1"]
    );
    assert_eq!(
        cells(&spec, "do.idle_timeout"),
        ["10s", "19.3434s", "37.4166s", "72.3762s", "140s"]
    );
}

#[test]
fn extends_chains_follow_relative_paths() {
    let dir = Dir::new();
    dir.write(
        "base/root.toml",
        "name = \"root\"\nseed = 11\nreplications = 2\n[sweep]\n\"workload.zipf_s\" = [0.5, 0.9]\n",
    );
    dir.write(
        "base/common.toml",
        "extends = \"root.toml\"\nseed = 12\n[workload]\ntenants = 77\n",
    );
    let path = dir.write(
        "exp/a.toml",
        "extends = \"../base/common.toml\"\n[sweep]\n\"workload.rate_rps\" = [5, 10]\n",
    );
    let spec = load_experiment(Some(&path), &[]).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(spec.name, "a", "an extended file's name is not inherited");
    assert_eq!(
        (
            spec.base.seed,
            spec.base.replications,
            spec.base.workload.tenants
        ),
        (12, 2, 77)
    );
    assert_eq!(keys(&spec), ["workload.zipf_s", "workload.rate_rps"]);
    assert_eq!(spec.points.len(), 4);

    // A later layer setting a swept key plainly fixes it.
    let path = dir.write(
        "exp/b.toml",
        "extends = \"../base/root.toml\"\n[workload]\nzipf_s = 0.7\n",
    );
    let spec = load_experiment(Some(&path), &[]).unwrap_or_else(|e| panic!("{e}"));
    assert!(spec.sweep.is_empty());
    assert_eq!(spec.points.len(), 1);
    assert_eq!(spec.base.workload.zipf_s, 0.7);
}

#[test]
fn set_fixes_a_swept_key_and_adds_or_replaces_sweeps() {
    let text = "[sweep]\n\"workload.zipf_s\" = [0.6, 0.8]\n\"workload.tenants\" = [10, 20]\n";
    let spec = ok(text, &["workload.zipf_s=0.9", "seed=4"]);
    assert_eq!(keys(&spec), ["workload.tenants"]);
    assert_eq!(spec.points.len(), 2);
    assert!(spec
        .points
        .iter()
        .all(|p| p.config.workload.zipf_s == 0.9 && p.config.seed == 4));

    let spec = ok(
        text,
        &[
            "sweep.workload.zipf_s=[0.1,0.2,0.3]",
            "sweep.do.idle_timeout={from=\"10s\",to=\"20s\",steps=2}",
            "name=renamed",
        ],
    );
    assert_eq!(
        keys(&spec),
        ["workload.zipf_s", "workload.tenants", "do.idle_timeout"]
    );
    assert_eq!(cells(&spec, "workload.zipf_s"), ["0.1", "0.2", "0.3"]);
    assert_eq!(spec.points.len(), 12);
    assert_eq!(spec.name, "renamed");

    // No file: the default with a sweep from --set.
    let spec = load_experiment(None, &strings(&["sweep.workload.tenants=[1,2]"]))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(spec.points.len(), 2);
    assert_eq!(spec.points[1].config.workload.tenants, 2);
}

#[test]
fn to_toml_round_trips_an_experiment() {
    let dir = Dir::new();
    dir.write("samples.txt", "12ms\n15ms\n");
    let path = dir.write(
        "sub/e.toml",
        "description = \"a \\\"quoted\\\" description\\nover two lines\"\n\
         duration = \"2h\"\n\
         [sweep]\n\"workload.zipf_s\" = { from = 0.6, to = 1.2, steps = 4 }\n\
         \"workload.tenants\" = { from = 10, to = 100000, steps = 3, scale = \"log\" }\n\
         \"phases.data_read\" = [\"5ms\", { dist = \"empirical\", file = \"../samples.txt\" },\n\
           { dist = \"lognormal\", p50 = \"10ms\", p99 = \"80ms\" }]\n\
         \"do.idle_timeout\" = { from = \"10s\", to = \"140s\", steps = 3, scale = \"log\" }\n\
         \"memory.bundle_mb\" = [1e300, 0.1, 2]\n",
    );
    let spec =
        load_experiment(Some(&path), &strings(&["seed=5"])).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(spec.points.len(), 4 * 3 * 3 * 3 * 3);
    let text = spec.to_toml();
    let other = Dir::new();
    let again_path = other.write("elsewhere.toml", &text);
    let again = load_experiment(Some(&again_path), &[]).unwrap_or_else(|e| panic!("{e}\n{text}"));
    assert_eq!(again, spec, "{text}");
    assert_eq!(again.to_toml(), text);

    // The default experiment too.
    let default = load_experiment(None, &[]).unwrap_or_else(|e| panic!("{e}"));
    let again = ok(&default.to_toml(), &[]);
    assert_eq!(again, default);
}

#[test]
fn experiment_keys_are_not_config_keys() {
    for key in EXPERIMENT_KEYS {
        assert!(!known_keys().contains(key) && !is_known_key(key));
    }
    // A plain configuration layer still refuses them.
    let e = super::error_of("[sweep]\n\"workload.zipf_s\" = [1]\n");
    assert_eq!(e.kind(), ErrorKind::UnknownKey);
    assert_eq!(e.key(), Some("sweep"));
    // An experiment file still refuses unknown keys, suggesting the
    // experiment keys too.
    let e = experiment("sweeps = 1\n", &[])
        .err()
        .unwrap_or_else(|| panic!("expected an error"));
    assert_eq!(
        (e.line(), e.column(), e.key()),
        (Some(1), Some(1), Some("sweeps"))
    );
    assert!(e.to_string().contains("did you mean `sweep`?"), "{e}");
    let e = experiment("[workload]\nname = \"x\"\n", &[])
        .err()
        .unwrap_or_else(|| panic!("expected an error"));
    assert_eq!(e.key(), Some("workload.name"));
}
