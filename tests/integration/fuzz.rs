//! A fuzz target (issue 21): property tests over configurations, experiment
//! files, traces, run records, shard directories and whole command lines.
//! The property is the same everywhere: dofleet answers every input with
//! a result or an error, never a panic, a hang or a wrong number (a merge
//! of tampered shards either is refused or gives the untampered bytes).
//!
//! `cargo test` runs a few cases of each (`DOFLEET_FUZZ_CASES`, default
//! 16); `.ci/run` runs them for a bounded time (`DOFLEET_FUZZ_SECONDS`,
//! shared by the targets) and prints how many cases ran.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use dofleet::api::{self, ExperimentInput};
use dofleet::experiment::config::{default_layers, known_keys, load, set_layer};
use dofleet::experiment::{merge_dirs, run_to_dir, Experiment, OutputOptions, RunOptions};
use dofleet::workload::fit::fit_trace;
use dofleet::workload::{trace_index, TraceSpread, TraceTenant};
use proptest::prelude::*;
use proptest::test_runner::{Config as RunnerConfig, RngAlgorithm, TestRng, TestRunner};

/// Cases per target and the wall-time budget of each target.
fn budget() -> (u32, Duration) {
    let cases = std::env::var("DOFLEET_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok());
    let seconds = std::env::var("DOFLEET_FUZZ_SECONDS")
        .ok()
        .and_then(|v| v.parse::<f64>().ok());
    match (cases, seconds) {
        (_, Some(s)) => (u32::MAX, Duration::from_secs_f64(s / 5.0)),
        (Some(c), None) => (c, Duration::MAX),
        (None, None) => (16, Duration::MAX),
    }
}

/// Cases per batch: the budget is checked between batches.
const BATCH: u32 = 16;

/// Runs `test` on values of `strategy`, in batches of fresh random cases
/// (batch `i` seeded by `i`), until the cases or the time are used up;
/// prints the count.
fn fuzz<S: Strategy>(name: &str, strategy: S, test: impl Fn(S::Value) -> Result<(), TestCaseError>)
where
    S::Value: std::fmt::Debug,
{
    let (cases, time) = budget();
    let started = Instant::now();
    let mut ran: u32 = 0;
    let mut batch: u32 = 0;
    while ran < cases && started.elapsed() < time {
        let n = BATCH.min(cases - ran);
        let mut seed = [0u8; 32];
        seed[..4].copy_from_slice(&batch.to_le_bytes());
        let mut runner = TestRunner::new_with_rng(
            RunnerConfig {
                cases: n,
                failure_persistence: None,
                max_shrink_iters: 200,
                ..RunnerConfig::default()
            },
            TestRng::from_seed(RngAlgorithm::ChaCha, &seed),
        );
        if let Err(e) = runner.run(&strategy, &test) {
            panic!("fuzz {name}, batch {batch}: {e}");
        }
        ran += n;
        batch += 1;
    }
    eprintln!(
        "fuzz {name}: {ran} cases in {:.1} s",
        started.elapsed().as_secs_f64()
    );
}

/// A key: a real one, or one mangled (case, a dropped or doubled letter).
fn key() -> impl Strategy<Value = String> {
    let keys: Vec<String> = known_keys().iter().map(|k| k.to_string()).collect();
    (
        proptest::sample::select(keys),
        0u8..6,
        any::<prop::sample::Index>(),
    )
        .prop_map(|(k, how, at)| {
            let i = at.index(k.len().max(1));
            match how {
                0 => k.to_uppercase(),
                1 if !k.is_empty() => format!("{}{}", &k[..i], &k[(i + 1).min(k.len())..]),
                2 => format!("{}x{}", &k[..i], &k[i..]),
                _ => k,
            }
        })
}

/// A value as `--set` takes it: numbers of every size and sign, durations
/// in every unit, distribution tables, arrays, odd strings.
fn value() -> impl Strategy<Value = String> {
    let number = prop_oneof![
        any::<i64>().prop_map(|n| n.to_string()),
        any::<f64>().prop_map(|x| format!("{x:?}")),
        Just("1e308".to_string()),
        Just("-0.0".to_string()),
        Just("nan".to_string()),
        "[0-9]{1,30}",
    ];
    let unit = proptest::sample::select(vec!["ns", "us", "ms", "s", "min", "h", "d", "", "y"]);
    let duration = (number.clone(), unit).prop_map(|(n, u)| format!("\"{n}{u}\""));
    let dist = (
        proptest::sample::select(vec![
            "constant",
            "uniform",
            "exponential",
            "lognormal",
            "normal",
            "empirical",
            "zipf",
        ]),
        duration.clone(),
        duration.clone(),
        number.clone(),
        0u8..4,
    )
        .prop_map(|(d, a, b, n, shape)| match shape {
            0 => format!("{{ dist = \"{d}\", min = {a}, max = {b} }}"),
            1 => format!("{{ dist = \"{d}\", mean = {a}, sd = {b} }}"),
            2 => format!("{{ dist = \"{d}\", mu = {n}, sigma = {n} }}"),
            _ => format!("{{ dist = \"{d}\", p50 = {a}, p99 = {b}, samples = [{a}, {b}] }}"),
        });
    prop_oneof![
        number,
        duration,
        dist,
        Just("true".to_string()),
        Just("[]".to_string()),
        Just("[\"thin\", \"thin\"]".to_string()),
        Just("[{ rate_rps = 1.0, mean_sojourn = \"1ms\" }]".to_string()),
        "[ -~]{0,24}",
        "\\PC{0,12}",
    ]
}

/// A configuration of random `--set`s, made small enough to simulate.
#[test]
fn fuzz_configurations_load_check_and_run_without_panicking() {
    let sets = proptest::collection::vec((key(), value()), 0..6);
    fuzz("configurations", sets, |sets| {
        let mut layers = default_layers();
        for (k, v) in &sets {
            match set_layer(&format!("{k}={v}")) {
                Ok(layer) => layers.push(layer),
                Err(_) => return Ok(()),
            }
        }
        // Small enough to run in milliseconds, whatever else was set.
        for bound in [
            "duration=1s",
            "warmup=0s",
            "replications=1",
            "workload.tenants=50",
        ] {
            layers.push(set_layer(bound).map_err(|e| TestCaseError::fail(e.to_string()))?);
        }
        let Ok(config) = load(&layers) else {
            return Ok(());
        };
        let experiment = Experiment::single("fuzz", config);
        let Ok(estimate) = experiment.check_resources(1, 4e9, false) else {
            return Ok(());
        };
        if estimate.seconds < 0.5 {
            let results = dofleet::experiment::run_experiment(&experiment, &RunOptions::default())
                .map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(
                results.rows.len(),
                experiment.points[0].config.architectures.len()
            );
        }
        Ok(())
    });
}

/// Experiment files: fragments in random order and number.
#[test]
fn fuzz_experiment_files_load_without_panicking() {
    let fragment = prop_oneof![
        Just("name = \"x\"\n".to_string()),
        Just("[sweep]\n".to_string()),
        Just("[slo]\n".to_string()),
        Just("[workload]\n".to_string()),
        Just("extends = \"nowhere.toml\"\n".to_string()),
        Just("\"workload.zipf_s\" = { from = 0.0, to = 2.0, steps = 3 }\n".to_string()),
        Just("\"duration\" = [\"1s\", \"2s\"]\n".to_string()),
        Just("objectives = [\"p99<=1s\", \"p99>=2s\"]\n".to_string()),
        (key(), value()).prop_map(|(k, v)| format!("{k} = {v}\n")),
        "[ -~\n]{0,40}",
    ];
    fuzz(
        "experiment files",
        proptest::collection::vec(fragment, 0..8),
        |fragments| {
            let text = fragments.concat();
            let input = ExperimentInput::Text {
                name: "<fuzz>".into(),
                text,
            };
            if let Ok(experiment) = api::load(&input, &[], None) {
                let _ = experiment.check_resources(1, 4e9, false);
            }
            Ok(())
        },
    );
}

/// Traces: request CSVs and Azure count tables with odd fields, sizes and
/// encodings; indexed, then fitted when small.
#[test]
fn fuzz_traces_index_and_fit_without_panicking() {
    let field = prop_oneof![
        (0u64..100_000).prop_map(|n| n.to_string()),
        any::<u64>().prop_map(|n| n.to_string()),
        Just("-1".to_string()),
        Just("1.5".to_string()),
        Just("1e3".to_string()),
        Just(String::new()),
        Just("\u{feff}0".to_string()),
        "[a-z\"#,]{0,6}",
    ];
    let line = proptest::collection::vec(field, 1..7).prop_map(|f| f.join(","));
    let azure = any::<bool>();
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let counter = AtomicU64::new(0);
    fuzz(
        "traces",
        (azure, proptest::collection::vec(line, 0..12)),
        |(azure, lines)| {
            let n = counter.fetch_add(1, Ordering::Relaxed);
            let path = dir.path().join(format!("t{n}.csv"));
            let mut text = String::new();
            if azure {
                text.push_str("HashOwner,HashApp,HashFunction,Trigger,1,2,3\n");
            }
            for l in &lines {
                text.push_str(l);
                text.push('\n');
            }
            std::fs::write(&path, &text).map_err(|e| TestCaseError::fail(e.to_string()))?;
            if let Ok(index) = trace_index(&path, TraceTenant::Function) {
                if index.requests() < 1_000_000 {
                    let _ = fit_trace(&path, TraceTenant::App, TraceSpread::Poisson, 3, None);
                }
            }
            Ok(())
        },
    );
}

/// Shards of a tiny experiment, made once.
fn shards(dir: &Path) -> (Experiment, Vec<PathBuf>) {
    let mut layers = default_layers();
    for s in [
        "duration=2s",
        "replications=2",
        "workload.tenants=20",
        "workload.rate_rps=5",
    ] {
        layers.push(set_layer(s).unwrap_or_else(|e| panic!("{e}")));
    }
    let experiment = Experiment::single("fuzz", load(&layers).unwrap_or_else(|e| panic!("{e}")));
    let dirs: Vec<PathBuf> = (1..=2).map(|k| dir.join(format!("s{k}"))).collect();
    for (k, shard) in dirs.iter().enumerate() {
        let options = OutputOptions {
            shard: Some(
                format!("{}/2", k + 1)
                    .parse()
                    .unwrap_or_else(|e| panic!("{e}")),
            ),
            ..OutputOptions::default()
        };
        run_to_dir(
            &experiment,
            shard,
            &RunOptions::default(),
            options,
            dofleet::report::write_results,
        )
        .unwrap_or_else(|e| panic!("{e}"));
    }
    (experiment, dirs)
}

/// Every file under `dir`, relative, sorted.
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for sub in ["", "runs"] {
        if let Ok(entries) = std::fs::read_dir(dir.join(sub)) {
            for e in entries.flatten() {
                if e.path().is_file() {
                    out.push(Path::new(sub).join(e.file_name()));
                }
            }
        }
    }
    out.sort();
    out
}

/// Shard directories with one file tampered (bytes flipped, cut, grown,
/// copied over another): the merge refuses them, or gives the bytes of the
/// untampered merge.
#[test]
fn fuzz_tampered_shards_and_records_merge_or_are_refused() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let (experiment, dirs) = shards(tmp.path());
    let clean = tmp.path().join("clean");
    merge_dirs(
        &experiment,
        &dirs,
        &clean,
        false,
        dofleet::report::write_results,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let want = std::fs::read(clean.join("summary.csv")).unwrap_or_else(|e| panic!("{e}"));
    let counter = AtomicU64::new(0);
    let tamper = (
        0usize..2,
        any::<prop::sample::Index>(),
        any::<prop::sample::Index>(),
        any::<u8>(),
        0u8..4,
    );
    fuzz(
        "shards and records",
        tamper,
        |(shard, file, at, byte, how)| {
            let n = counter.fetch_add(1, Ordering::Relaxed);
            let copies: Vec<PathBuf> = dirs
                .iter()
                .enumerate()
                .map(|(i, d)| {
                    let to = tmp.path().join(format!("c{n}-{i}"));
                    std::fs::create_dir_all(to.join("runs")).unwrap_or_else(|e| panic!("{e}"));
                    for f in files(d) {
                        std::fs::copy(d.join(&f), to.join(&f)).unwrap_or_else(|e| panic!("{e}"));
                    }
                    to
                })
                .collect();
            let victims = files(&copies[shard]);
            let victim = copies[shard].join(&victims[file.index(victims.len())]);
            let mut bytes = std::fs::read(&victim).unwrap_or_else(|e| panic!("{e}"));
            let i = at.index(bytes.len().max(1)).min(bytes.len());
            match how {
                0 if !bytes.is_empty() => {
                    let last = bytes.len() - 1;
                    bytes[i.min(last)] ^= byte.max(1);
                }
                1 => bytes.truncate(i),
                2 => bytes.insert(i, byte),
                _ => {
                    let other = copies[1 - shard].join(&victims[file.index(victims.len())]);
                    if let Ok(b) = std::fs::read(other) {
                        bytes = b;
                    }
                }
            }
            std::fs::write(&victim, &bytes).unwrap_or_else(|e| panic!("{e}"));
            let out = tmp.path().join(format!("m{n}"));
            if merge_dirs(
                &experiment,
                &copies,
                &out,
                false,
                dofleet::report::write_results,
            )
            .is_ok()
            {
                let got = std::fs::read(out.join("summary.csv")).unwrap_or_default();
                prop_assert!(
                    got == want,
                    "a tampered {} merged into other numbers",
                    victim.display()
                );
            }
            Ok(())
        },
    );
}

/// Whole command lines through the binary: a documented exit code (0 to
/// 4), never a panic (101), within seconds.
#[test]
fn fuzz_command_lines_exit_with_a_documented_code() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let exp = tmp.path().join("e.toml");
    std::fs::write(
        &exp,
        "duration = \"2s\"\nreplications = 1\n[workload]\ntenants = 20\nrate_rps = 5\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(tmp.path().join("bad.toml"), b"duration = \"\xff\"\n")
        .unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(tmp.path().join("t.csv"), "0,a\n5,b\n").unwrap_or_else(|e| panic!("{e}"));
    let token = prop_oneof![
        proptest::sample::select(vec![
            "run",
            "plan",
            "merge",
            "fit",
            "config",
            "plot",
            "report",
            "slurm",
            "--out",
            "--force",
            "--resume",
            "--shard",
            "1/2",
            "0/0",
            "3/2",
            "--slo",
            "p99<=1s",
            "p99>=",
            "--threads",
            "0",
            "1",
            "99999",
            "--set",
            "--search",
            "memory",
            "--min",
            "--max",
            "--confidence",
            "1.5",
            "--format",
            "json",
            "--no-plots",
            "--yes",
            "--",
            "-",
        ])
        .prop_map(str::to_string),
        proptest::sample::select(vec![
            "e.toml",
            "bad.toml",
            "t.csv",
            "missing.toml",
            "out",
            "."
        ])
        .prop_map(str::to_string),
        (key(), value()).prop_map(|(k, v)| format!("{k}={v}")),
        "[ -~]{0,12}",
    ];
    let counter = AtomicU64::new(0);
    fuzz(
        "command lines",
        proptest::collection::vec(token, 0..7),
        |args| {
            let n = counter.fetch_add(1, Ordering::Relaxed);
            let work = tmp.path().join(format!("w{n}"));
            std::fs::create_dir_all(&work).map_err(|e| TestCaseError::fail(e.to_string()))?;
            for f in ["e.toml", "bad.toml", "t.csv"] {
                let _ = std::fs::copy(tmp.path().join(f), work.join(f));
            }
            let done = assert_cmd::Command::cargo_bin("dofleet")
                .map_err(|e| TestCaseError::fail(e.to_string()))?
                .current_dir(&work)
                .args(&args)
                .arg("--quiet")
                .timeout(Duration::from_secs(60))
                .output()
                .map_err(|e| TestCaseError::fail(e.to_string()))?;
            let stderr = String::from_utf8_lossy(&done.stderr);
            prop_assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
            prop_assert!(
                matches!(done.status.code(), Some(0..=4)),
                "{args:?}: exit {:?}: {stderr}",
                done.status.code()
            );
            let _ = std::fs::remove_dir_all(&work);
            Ok(())
        },
    );
}
