//! `dofleet calibrate RESULTS`: the model layer of the local workerd
//! testbed, each phase fitted from the probe's measurements.
//!
//! What each phase is fitted from (see testbed/src/common.js for the
//! headers):
//!
//! | key | samples |
//! |---|---|
//! | `network.client_rtt` | warm local probe requests (traditional, hybrid): client latency less `x-exec-ms` |
//! | `query_exec` | `repeat`-query probes on local DOs: `x-exec-ms / repeat` |
//! | `phases.isolate_start` | first requests of thin and lazy DOs: `x-start-ms` (router to constructor) |
//! | `phases.isolate_start_bundled` | the same for traditional and hybrid DOs |
//! | `phases.pglite_init` | `x-init-ms`: PGlite.create() inside the DO, of the load's DO starts (the probe's when the load has too few) |
//! | `compute.rtt` | warm delegated probe requests: `x-delegate-ms` less `x-compute-exec-ms` |
//! | `compute.exec` | `repeat`-query probes on delegating DOs: `x-compute-exec-ms / repeat` |
//! | `compute.cold_start` | compute_cold.csv: the compute worker's PGlite.create() on its first query |
//! | `do.idle_timeout` | thin and lazy load logs: the idle gaps DOs survived and those that evicted them ([`super::eviction`]) |
//!
//! Invariant: every fitted key has at least its minimum number of samples,
//! or calibration fails naming the key, the files and the count; the layer
//! written loads as a config layer.

use std::fmt::Write as _;

use super::results::{Log, Results, Row, Served};
use super::stats::{describe, fit, sorted};

/// Fewest samples a phase is fitted from.
pub const MIN_SAMPLES: usize = 5;

/// Fewest compute-worker cold starts (each is a process start).
pub const MIN_COLD_STARTS: usize = 3;

/// Date.now() inside workerd ticks in whole milliseconds.
const HEADER_RESOLUTION_MS: f64 = 1.0;

/// One key of the layer.
#[derive(Debug, Clone)]
pub struct Line {
    pub key: &'static str,
    pub value: String,
    pub from: String,
}

/// Which of an architecture's logs.
#[derive(Clone, Copy)]
enum LogKind {
    Probe,
    Load,
}

impl LogKind {
    fn of(self, r: &super::results::ArchitectureResults) -> Option<&Log> {
        match self {
            LogKind::Probe => r.probe.as_ref(),
            LogKind::Load => r.load.as_ref(),
        }
    }

    fn name(self) -> &'static str {
        match self {
            LogKind::Probe => "probe",
            LogKind::Load => "load",
        }
    }
}

fn rows_of<'a>(
    results: &'a Results,
    archs: &'a [&str],
    kind: LogKind,
) -> impl Iterator<Item = (&'a Log, &'a Row)> {
    archs
        .iter()
        .filter_map(move |a| results.architecture(a).and_then(|r| kind.of(r)))
        .flat_map(|log| log.ok_rows().map(move |r| (log, r)))
}

fn probes<'a>(results: &'a Results, archs: &'a [&str]) -> impl Iterator<Item = (&'a Log, &'a Row)> {
    rows_of(results, archs, LogKind::Probe)
}

fn files(results: &Results, archs: &[&str]) -> String {
    files_of(results, archs, LogKind::Probe)
}

fn files_of(results: &Results, archs: &[&str], kind: LogKind) -> String {
    let which = kind.name();
    let names: Vec<String> = archs
        .iter()
        .filter(|a| results.architecture(a).and_then(|r| kind.of(r)).is_some())
        .map(|a| format!("{a}/{which}.log"))
        .collect();
    if names.is_empty() {
        format!("no {which}.log of {}", archs.join(" or "))
    } else {
        names.join(", ")
    }
}

const BUNDLED: &[&str] = &["traditional", "hybrid"];
const SMALL: &[&str] = &["thin", "lazy"];

/// Fits one key from `samples`, or says why it cannot.
fn line(
    key: &'static str,
    samples: Vec<f64>,
    what: &str,
    source: String,
    min: usize,
    resolution: f64,
) -> anyhow::Result<Line> {
    let s = sorted(&samples);
    if s.len() < min {
        let hint = if key == "compute.cold_start" {
            "one per architecture run: run more architectures (testbed/run.sh --archs)"
        } else {
            "run the probe with more tenants (testbed/run.sh --probe N), and every architecture it needs"
        };
        anyhow::bail!(
            "{key}: {} samples of {what} in {source}, at least {min} needed ({hint})",
            s.len()
        );
    }
    Ok(Line {
        key,
        value: fit(&s, resolution),
        from: format!("{what}; {source}; {}", describe(&s)),
    })
}

/// The idle timeout of the DOs of `archs` as a config value and where it
/// came from: the bracket seen in their load logs, else workerd's
/// documented behaviour (TESTBED facts: 10 s after inactive; an empty DO was
/// evicted at 9-10.5 s, a PGLite DO at 18-20 s).
pub fn idle_timeout(results: &Results, archs: &[&str]) -> (String, String) {
    let logs = archs
        .iter()
        .filter_map(|a| results.architecture(a).and_then(|r| r.load.as_ref()));
    let gaps: Vec<(f64, bool)> = logs.flat_map(super::eviction::idle_gaps).collect();
    match super::eviction::estimate(&gaps) {
        Some(e) => e.rule(&format!("{} load logs", archs.join("/"))),
        None => {
            let bundled = archs.iter().any(|a| BUNDLED.contains(a));
            let value = if bundled {
                "{ dist = \"uniform\", min = \"18s\", max = \"20s\" }"
            } else {
                "{ dist = \"uniform\", min = \"9s\", max = \"10.5s\" }"
            };
            (value.to_string(), "no eviction bracket in the load logs; workerd's measured eviction (docs/sources.md, testbed facts)".to_string())
        }
    }
}

/// Every fitted line of the layer.
pub fn fit_lines(results: &Results) -> anyhow::Result<Vec<Line>> {
    let mut lines = Vec::new();
    let warm = |r: &Row| r.req.unwrap_or(1) >= 2 && r.repeat == 1;

    let rtt: Vec<f64> = probes(results, BUNDLED)
        .filter(|(_, r)| r.path == Some(Served::Local) && warm(r))
        .filter_map(|(_, r)| Some(r.latency_ms? - r.exec_ms?))
        .collect();
    lines.push(line(
        "network.client_rtt",
        rtt,
        "warm local requests: client latency less x-exec-ms",
        files(results, BUNDLED),
        MIN_SAMPLES,
        0.001,
    )?);

    let exec: Vec<f64> = probes(results, BUNDLED)
        .filter(|(_, r)| r.repeat > 1 && matches!(r.path, Some(Served::Local | Served::Queued)))
        .filter_map(|(_, r)| Some(r.exec_ms? / r.repeat as f64))
        .collect();
    lines.push(line(
        "query_exec",
        exec,
        "repeat probes on local DOs: x-exec-ms / repeat",
        files(results, BUNDLED),
        MIN_SAMPLES,
        HEADER_RESOLUTION_MS / 100.0,
    )?);

    let start = |archs| -> Vec<f64> {
        probes(results, archs)
            .filter(|(_, r)| r.req == Some(1))
            .filter_map(|(_, r)| r.start_ms)
            .collect()
    };
    lines.push(line(
        "phases.isolate_start",
        start(SMALL),
        "first requests of thin/lazy DOs: x-start-ms (router to constructor)",
        files(results, SMALL),
        MIN_SAMPLES,
        HEADER_RESOLUTION_MS,
    )?);
    lines.push(line(
        "phases.isolate_start_bundled",
        start(BUNDLED),
        "first requests of traditional/hybrid DOs: x-start-ms (router to constructor)",
        files(results, BUNDLED),
        MIN_SAMPLES,
        HEADER_RESOLUTION_MS,
    )?);

    // PGLite's init slows with the heap the isolate's other DOs hold
    // (probe of 60 DOs: ~200 ms in an empty process, ~1 s with 20 live
    // DOs; docs/validation.md), a dependence the model does not have: the
    // init is fitted from the load's own DO starts, so the replay is judged
    // on how it composes phases, not on the heap's state. The probe's inits
    // are the fallback.
    let load_init: Vec<f64> = rows_of(results, BUNDLED, LogKind::Load)
        .filter(|(_, r)| r.req == Some(1))
        .filter_map(|(_, r)| r.init_ms)
        .collect();
    let probe_init: Vec<f64> = probes(results, BUNDLED)
        .filter_map(|(_, r)| r.init_ms)
        .collect();
    let probe_note = if probe_init.is_empty() {
        String::new()
    } else {
        format!(
            "; the probe's (a growing heap) {}",
            describe(&sorted(&probe_init))
        )
    };
    lines.push(if load_init.len() >= MIN_SAMPLES {
        let mut l = line(
            "phases.pglite_init",
            load_init,
            "x-init-ms of the load's DO starts: PGlite.create() in the DO (precompiled module, loadDataDir)",
            files_of(results, BUNDLED, LogKind::Load),
            MIN_SAMPLES,
            HEADER_RESOLUTION_MS,
        )?;
        l.from.push_str(&probe_note);
        l
    } else {
        line(
            "phases.pglite_init",
            probe_init,
            "x-init-ms of the probe: PGlite.create() in the DO (precompiled module, loadDataDir)",
            files(results, BUNDLED),
            MIN_SAMPLES,
            HEADER_RESOLUTION_MS,
        )?
    });

    let delegated_warm = || {
        probes(results, SMALL)
            .filter(|(_, r)| r.path == Some(Served::Delegated) && r.compute_init_ms.is_none())
    };
    let crtt: Vec<f64> = delegated_warm()
        .filter(|(_, r)| warm(r))
        .filter_map(|(_, r)| Some((r.delegate_ms? - r.compute_exec_ms?).max(0.0)))
        .collect();
    lines.push(line(
        "compute.rtt",
        crtt,
        "warm delegated requests: x-delegate-ms less x-compute-exec-ms",
        files(results, SMALL),
        MIN_SAMPLES,
        HEADER_RESOLUTION_MS,
    )?);

    let cexec: Vec<f64> = delegated_warm()
        .filter(|(_, r)| r.repeat > 1)
        .filter_map(|(_, r)| Some(r.compute_exec_ms? / r.repeat as f64))
        .collect();
    lines.push(line(
        "compute.exec",
        cexec,
        "repeat probes through the compute worker: x-compute-exec-ms / repeat",
        files(results, SMALL),
        MIN_SAMPLES,
        HEADER_RESOLUTION_MS / 100.0,
    )?);

    let cold: Vec<f64> = results.compute_cold.iter().map(|c| c.1).collect();
    lines.push(line(
        "compute.cold_start",
        cold,
        "the compute worker's first query after its process started: x-compute-init-ms",
        "compute_cold.csv".into(),
        MIN_COLD_STARTS,
        HEADER_RESOLUTION_MS,
    )?);

    let (value, from) = idle_timeout(results, SMALL);
    lines.push(Line {
        key: "do.idle_timeout",
        value,
        from,
    });
    Ok(lines)
}

/// The layer's text: a header saying where the figures come from, the
/// fitted lines each with its source, and the fixed facts of the testbed.
pub fn layer_text(results: &Results, lines: &[Line]) -> String {
    let run = &results.run;
    let get = |k: &str| run.get(k).map_or("unknown", String::as_str);
    let mut t = String::new();
    let _ = writeln!(
        t,
        "# The local workerd testbed as a model layer, written by `dofleet calibrate {}`.",
        results.dir.display()
    );
    let _ = writeln!(
        t,
        "# workerd {} , @electric-sql/pglite {} ; machine: {} ; date: {}",
        get("workerd"),
        get("pglite"),
        get("machine"),
        get("date")
    );
    let _ = writeln!(
        t,
        "# machine load (1/5/15 min) before: {} ; after: {}",
        get("load_before"),
        get("load_after")
    );
    t.push_str("# Measured on a shared machine while others worked: absolute times are noisy\n");
    t.push_str("# (1.5-3x high is typical there); see docs/validation.md.\n");
    t.push_str("# Use it on top of the default model: dofleet run EXP --set ... or as a layer of validate.\n");
    let mut startups: std::collections::BTreeMap<&str, Vec<f64>> = Default::default();
    for (process, arch, ms) in &results.startup {
        let kind = if process == "compute" || BUNDLED.contains(&arch.as_str()) {
            "with the PGLite bundle"
        } else {
            "without WASM"
        };
        startups.entry(kind).or_default().push(*ms);
    }
    for (kind, v) in &startups {
        let s = sorted(v);
        let _ = writeln!(t, "# workerd process start to first response, {kind}: {} (informational: the model has no process start; a DO's start inside a running isolate is phases.isolate_start*)", describe(&s));
    }
    t.push('\n');
    fn section(key: &str) -> Option<&str> {
        key.split_once('.').map(|(s, _)| s)
    }
    let mut current: Option<&str> = None;
    let mut ordered: Vec<&Line> = lines.iter().filter(|l| section(l.key).is_none()).collect();
    ordered.extend(lines.iter().filter(|l| section(l.key).is_some()));
    for l in ordered {
        if section(l.key) != current {
            current = section(l.key);
            if let Some(s) = current {
                let _ = writeln!(t, "\n[{s}]");
            }
        }
        let name = l.key.split_once('.').map_or(l.key, |(_, k)| k);
        let _ = writeln!(t, "# {}", l.from);
        let _ = writeln!(t, "{name} = {}", l.value);
        if l.key == "phases.pglite_init" {
            t.push_str("# Compiled when workerd loads the worker (Wasm module bindings), not per DO.\nwasm_compile = \"0ms\"\n");
            t.push_str("# pglite.data and the database directory are data modules, in memory: their copy is in pglite_init.\ndata_read = \"0ms\"\n");
        }
        if l.key == "compute.cold_start" {
            t.push_str("# One compute-worker process: one isolate, one thread, never evicted during a run.\n");
            t.push_str("max_instances = 1\nconcurrency = 1\nidle_timeout = \"1d\"\n");
        }
    }
    t.push_str("\n[isolate]\n# One workerd process holds every DO of the fleet: one isolate, one thread.\n");
    let _ = writeln!(t, "dos_per_isolate = {TESTBED_DOS_PER_ISOLATE}");
    t
}

/// `isolate.dos_per_isolate` of the testbed's layer: more than any fleet it
/// runs, so that every DO shares the one thread of the one process.
pub const TESTBED_DOS_PER_ISOLATE: u64 = 1_000_000;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::experiment::config::{default_layers, load, Source};

    #[test]
    fn the_layer_puts_the_whole_fleet_on_one_thread_and_loads_as_a_layer() {
        let results = Results {
            dir: "output/testbed".into(),
            run: Default::default(),
            architectures: Vec::new(),
            startup: Vec::new(),
            compute_cold: Vec::new(),
            trace: "trace.csv".into(),
        };
        let lines = [
            Line {
                key: "phases.pglite_init",
                value: "\"900ms\"".into(),
                from: "test".into(),
            },
            Line {
                key: "compute.cold_start",
                value: "\"60ms\"".into(),
                from: "test".into(),
            },
        ];
        let mut layers = default_layers();
        layers.push(Source {
            name: "workerd-local.toml".into(),
            text: layer_text(&results, &lines),
            base_dir: None,
        });
        let c = load(&layers).unwrap();
        assert_eq!(c.isolate.dos_per_isolate, TESTBED_DOS_PER_ISOLATE);
        assert!(c.isolate.threads_on());
        assert_eq!((c.compute.max_instances, c.compute.concurrency), (1, 1));
    }
}
