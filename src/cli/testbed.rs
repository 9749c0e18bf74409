//! The testbed commands: `trace` (an experiment's arrivals as a trace CSV),
//! `loadgen` (send a trace or the calibration probe to the testbed),
//! `calibrate` (a model layer from the testbed's measurements) and
//! `validate` (the simulator beside the testbed). The work is in
//! [`dofleet::testbed`] and [`dofleet::validation`].

use super::Exit;
use std::io::IsTerminal;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Context};
use clap::{Args, Subcommand};
use dofleet::testbed::{export, loadgen, log};

/// The testbed's subcommands, flattened into dofleet's.
#[derive(Debug, Subcommand)]
pub enum TestbedSub {
    /// Write an experiment's arrivals as the trace CSV (`timestamp_ms,tenant`)
    /// that `workload.arrivals = "trace"` replays and `loadgen` sends.
    Trace(TraceArgs),
    /// Send a trace (or the calibration probe) to the testbed, open-loop,
    /// and log one line per request.
    Loadgen(LoadgenArgs),
    /// Fit a model layer (e.g. models/workerd-local.toml) from a testbed
    /// results directory (testbed/run.sh writes one).
    Calibrate(super::validate::CalibrateArgs),
    /// Replay a testbed run's schedule in the simulator under the calibrated
    /// layer and compare, per architecture, with tolerances and verdicts.
    Validate(super::validate::ValidateArgs),
}

#[derive(Debug, Args)]
pub struct TraceArgs {
    /// The experiment whose arrivals to write.
    pub file: PathBuf,
    /// The CSV to write.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// Refuse experiments of more requests than this.
    #[arg(long, value_name = "N", default_value_t = 1_000_000)]
    pub max_requests: usize,
    /// Replace the file if it exists.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct LoadgenArgs {
    /// The testbed's address (a fleet workerd socket on loopback).
    #[arg(long, value_name = "HOST:PORT")]
    pub target: SocketAddr,
    /// The trace to send (`dofleet trace` writes one).
    #[arg(long, value_name = "FILE", conflicts_with = "probe")]
    pub trace: Option<PathBuf>,
    /// Send the calibration probe instead: N fresh tenants, one after
    /// another, closed-loop.
    #[arg(long, value_name = "N")]
    pub probe: Option<usize>,
    /// The probe's queries per execution-time probe.
    #[arg(long, value_name = "N", default_value_t = 100)]
    pub repeat: u32,
    /// The log to write.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// At most this many requests outstanding; one due beyond it is skipped.
    #[arg(long, value_name = "N", default_value_t = 256)]
    pub max_in_flight: usize,
    /// Per-request timeout.
    #[arg(long, value_name = "SECONDS", default_value_t = 60.0)]
    pub timeout: f64,
    /// Send nothing later than this after the start.
    #[arg(long, value_name = "SECONDS", default_value_t = 600.0)]
    pub max_duration: f64,
    /// Send at most this many requests of the trace.
    #[arg(long, value_name = "N", default_value_t = 100_000)]
    pub max_requests: usize,
    /// A header line for the log (repeatable): workerd=..., pglite=...,
    /// machine=..., architecture=...
    #[arg(long = "meta", value_name = "KEY=VALUE")]
    pub meta: Vec<String>,
    /// Replace the log if it exists.
    #[arg(long)]
    pub force: bool,
}

fn seconds(name: &str, value: f64) -> anyhow::Result<Duration> {
    if !(value.is_finite() && value > 0.0 && value <= 86_400.0) {
        bail!("--{name}: expected seconds between 0 and 86400 (exclusive of 0), such as 30; found {value}");
    }
    Ok(Duration::from_secs_f64(value))
}

/// Refuses to overwrite `path` without `--force`.
pub(super) fn check_overwrite(path: &std::path::Path, force: bool) -> anyhow::Result<()> {
    if path.exists() && !force {
        bail!("{} exists: pass --force to replace it", path.display());
    }
    Ok(())
}

pub fn execute(sub: TestbedSub, sets: &[String], quiet: bool) -> anyhow::Result<Exit> {
    match sub {
        TestbedSub::Trace(a) => {
            check_overwrite(&a.out, a.force)?;
            let config = dofleet::experiment::config::load_file(&a.file, sets)?;
            let (text, n, cut) = export::arrivals_csv(&config, a.max_requests)?;
            if cut {
                bail!(
                    "{}: more than --max-requests {} requests; shorten `duration` or lower `workload.rate_rps`",
                    a.file.display(),
                    a.max_requests
                );
            }
            dofleet::atomic_write::write_atomically(&a.out, text.as_bytes())
                .with_context(|| format!("cannot write {}", a.out.display()))?;
            eprintln!("Wrote {} ({n} requests)", a.out.display());
            Ok(Exit::Success)
        }
        TestbedSub::Loadgen(a) => {
            if !sets.is_empty() {
                bail!("loadgen takes no --set");
            }
            check_overwrite(&a.out, a.force)?;
            let bounds = loadgen::Bounds {
                max_in_flight: a.max_in_flight.max(1),
                timeout: seconds("timeout", a.timeout)?,
                max_duration: seconds("max-duration", a.max_duration)?,
            };
            let (plan, mode) = match (&a.trace, a.probe) {
                (Some(trace), None) => (loadgen::plan_from_trace(trace, a.max_requests)?, "load"),
                (None, Some(n)) if (1..=10_000).contains(&n) => (Vec::new(), "probe"),
                (None, Some(n)) => bail!("--probe: expected 1 to 10000 tenants; found {n}"),
                _ => bail!("loadgen needs --trace FILE or --probe N"),
            };
            let mut meta: Vec<(String, String)> = vec![("mode".into(), mode.into())];
            for m in &a.meta {
                let (k, v) = m
                    .split_once('=')
                    .with_context(|| format!("--meta: expected KEY=VALUE; found {m:?}"))?;
                meta.push((k.trim().to_string(), v.trim().to_string()));
            }
            meta.push(("target".into(), a.target.to_string()));
            meta.push(("max_in_flight".into(), bounds.max_in_flight.to_string()));
            meta.push(("load_before".into(), load_average()));
            let records = match a.probe {
                Some(n) => {
                    let bar = progress_bar(4 * n as u64, quiet);
                    let records = loadgen::probe(
                        a.target,
                        n,
                        a.repeat.clamp(1, 10_000),
                        bounds.timeout,
                        &|k| bar.set_position(k),
                    );
                    bar.finish_and_clear();
                    records
                }
                None => {
                    let bar = progress_bar(plan.len() as u64, quiet);
                    let records = loadgen::run(a.target, &plan, bounds, &|k| bar.set_position(k));
                    bar.finish_and_clear();
                    records
                }
            };
            meta.push(("planned".into(), records.len().to_string()));
            meta.push(("load_after".into(), load_average()));
            let text = log::render(&meta, &records);
            dofleet::atomic_write::write_atomically(&a.out, text.as_bytes())
                .with_context(|| format!("cannot write {}", a.out.display()))?;
            let ok = records.iter().filter(|r| r.status == 200).count();
            eprintln!(
                "Wrote {} ({} requests, {ok} answered 200)",
                a.out.display(),
                records.len()
            );
            Ok(Exit::Success)
        }
        TestbedSub::Calibrate(a) => super::validate::calibrate(a, sets),
        TestbedSub::Validate(a) => super::validate::validate(a, sets),
    }
}

/// The machine's 1/5/15-minute load averages (Linux), or "unknown".
pub(super) fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}

fn progress_bar(len: u64, quiet: bool) -> indicatif::ProgressBar {
    if quiet || !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(len);
    if let Ok(style) =
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} requests sent {elapsed}")
    {
        bar.set_style(style);
    }
    bar
}
