//! What the user types, as clap parses it. Validation happens in
//! [`super::commands`].

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Simulate latency across a fleet of Cloudflare Durable Objects running
/// PGLite, for four ways of loading the WASM.
///
/// With no command, runs the embedded default experiment (models/cloudflare.toml)
/// and prints the seed's comparison tables as simulated.
#[derive(Debug, Parser)]
#[command(name = "dofleet", version, about, long_about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Sub>,

    #[command(flatten)]
    pub common: Common,
}

/// Options every command takes.
#[derive(Debug, Args, Clone)]
pub struct Common {
    /// Override a config key: --set workload.tenants=1000 (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE", global = true)]
    pub sets: Vec<String>,

    /// Worker threads (default: one per core).
    #[arg(long, value_name = "N", global = true)]
    pub threads: Option<usize>,

    /// No progress bar.
    #[arg(long, short, global = true)]
    pub quiet: bool,

    /// Go on with work expected to take more than an hour (refused
    /// otherwise, with the estimate).
    #[arg(long, global = true)]
    pub yes: bool,
}

#[derive(Debug, Subcommand)]
pub enum Sub {
    /// Run an experiment file into an output directory.
    Run {
        /// The experiment (a TOML file; keys it does not set keep the
        /// embedded default's values).
        file: PathBuf,
        /// Output directory (default: output/<file name without .toml>).
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// Replace results already in the output directory.
        #[arg(long, conflicts_with = "resume")]
        force: bool,
        /// Complete an interrupted run: keep the runs already recorded.
        #[arg(long)]
        resume: bool,
        /// Run only shard K of N (1-based); merge the shards with `dofleet merge`.
        #[arg(long, value_name = "K/N")]
        shard: Option<String>,
        /// Do not draw the charts (PNG and SVG) next to the CSV files.
        #[arg(long)]
        no_plots: bool,
        /// An objective to judge every architecture against, such as
        /// 'p99<=200ms' (repeatable: all must hold; the grammar of `plan`).
        /// Prints a verdict per architecture and the cheapest that meets
        /// them all; exits 1 when a point has none.
        #[arg(long = "slo", value_name = "METRIC<=VALUE")]
        slos: Vec<String>,
        /// One-sided confidence of the verdicts, over the replications
        /// (default: the experiment's `slo.confidence`, else 0.95).
        #[arg(long, value_name = "P")]
        confidence: Option<f64>,
        /// What stdout carries: the Markdown tables, or the summary as JSON
        /// (the rows and columns of summary.csv, as summary.json holds
        /// them; the exit code still gives the verdict).
        #[arg(long, value_name = "FORMAT", default_value = "table", value_parser = ["table", "json"])]
        format: String,
    },
    /// Find the smallest fleet (hosts, memory per host or compute-worker
    /// instances) that meets latency objectives, for each architecture.
    Plan {
        /// The experiment: workload, architectures, policies (a sweep plans
        /// each point).
        file: PathBuf,
        /// An objective every plan must meet, such as 'p99<=200ms',
        /// 'p999<=1s' or 'cold_start_fraction<=0.05' (repeatable: all must
        /// hold).
        #[arg(long = "slo", value_name = "METRIC<=VALUE", required = true)]
        slos: Vec<String>,
        /// What to size: hosts (hosts.count), memory (hosts.memory_mb per
        /// host) or compute (compute.max_instances).
        #[arg(long, value_name = "WHAT", default_value = "hosts", value_parser = ["hosts", "memory", "compute"])]
        search: String,
        /// One-sided confidence that each objective holds, over the
        /// experiment's replications.
        #[arg(long, value_name = "P", default_value_t = 0.95)]
        confidence: f64,
        /// Smallest value to try (default: 1, or one DO's memory).
        #[arg(long, value_name = "N")]
        min: Option<u64>,
        /// Largest value to try (default: one host per tenant, all tenants'
        /// memory on each host, or 1,000,000 instances).
        #[arg(long, value_name = "N")]
        max: Option<u64>,
        /// Output directory for plan.csv and plan_evaluations.csv (default:
        /// output/<name>-plan).
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// Replace a plan already in the output directory.
        #[arg(long)]
        force: bool,
    },
    /// Merge shard directories of one experiment into one output directory.
    Merge {
        /// The shard directories.
        #[arg(required = true)]
        dirs: Vec<PathBuf>,
        /// Where to write the merged results.
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// Replace results already in the output directory.
        #[arg(long)]
        force: bool,
    },
    /// Write Slurm scripts that run an experiment as a job array of shards,
    /// then merge them (in OUT/slurm/; --submit submits them).
    ///
    /// Options after `--` go to sbatch, as #SBATCH lines of both jobs:
    /// dofleet slurm FILE --shards 8 -- --partition=short --time=1:00:00
    Slurm {
        /// The experiment (read from every task: it must be on a file
        /// system the compute nodes share).
        file: PathBuf,
        /// Shards, one array task each (at most the experiment's runs).
        #[arg(long, value_name = "N")]
        shards: usize,
        /// Output directory (default: output/<file name without .toml>):
        /// the merged results, shards/shard-K and slurm/.
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// Submit with sbatch once the scripts are written.
        #[arg(long)]
        submit: bool,
        /// Write the scripts again over earlier ones (shards are kept).
        #[arg(long)]
        force: bool,
        /// Options for sbatch (after `--`).
        #[arg(last = true, value_name = "SBATCH_OPTION")]
        sbatch: Vec<String>,
    },
    /// Draw the charts of an output directory (PNG and SVG, next to its CSVs).
    Plot {
        /// The output directory of a finished run.
        dir: PathBuf,
    },
    /// Write one self-contained HTML page of an output directory's results.
    Report {
        /// The output directory of a finished run.
        dir: PathBuf,
        /// Where to write the page (default: DIR/report.html).
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// Replace the --out file when it exists (a dofleet report only).
        #[arg(long)]
        force: bool,
    },
    /// Print the resolved experiment (every default explicit).
    Config {
        /// The experiment (default: the embedded model).
        file: Option<PathBuf>,
    },
    /// Fit a workload to a trace: Zipf exponent (with its 95% interval),
    /// rate, hourly profile and idle times; print an experiment snippet.
    Fit {
        /// The trace: a CSV of requests (`timestamp_ms,tenant`) or one day
        /// of the Azure Functions 2019 trace.
        trace: PathBuf,
        /// Azure trace: what a tenant is.
        #[arg(long, value_name = "KIND", default_value = "function", value_parser = ["function", "app"])]
        tenant: String,
        /// Azure trace: how each minute's invocations are spread within it.
        #[arg(long, value_name = "HOW", default_value = "uniform", value_parser = ["uniform", "poisson"])]
        spread: String,
        /// The seed of the spreading (as a run with this seed replays it).
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// How much the answer hangs on the assumed parameters: runs the
    /// experiment again with each assumption (models/assumptions.toml) at
    /// the low, then the high end of its range, one at a time, with the
    /// same seeds; prints the swing of each metric per assumption and
    /// whether the ranking of architectures or the verdicts flip; writes
    /// sensitivity.csv, sensitivity.json and tornado charts.
    Sensitivity(SensitivityArgs),
    #[command(flatten)]
    Testbed(super::testbed::TestbedSub),
}

/// `dofleet sensitivity`'s arguments.
#[derive(Debug, Args)]
pub struct SensitivityArgs {
    /// The experiment (default: the embedded default experiment).
    pub file: Option<PathBuf>,
    /// The assumptions and their ranges (default: the embedded
    /// models/assumptions.toml).
    #[arg(long, value_name = "FILE")]
    pub assumptions: Option<PathBuf>,
    /// Vary only this assumption (repeatable; default: every one).
    #[arg(long, value_name = "KEY")]
    pub only: Vec<String>,
    /// A metric to report, by summary.csv name or p50/p90/p99/p999/
    /// mean/max/cost (repeatable; default: p99, mean, cost).
    #[arg(long = "metric", value_name = "METRIC")]
    pub metrics: Vec<String>,
    /// An objective whose verdicts are compared across the ranges
    /// (repeatable; default: the experiment's [slo]).
    #[arg(long = "slo", value_name = "METRIC<=VALUE")]
    pub slos: Vec<String>,
    /// One-sided confidence of the verdicts.
    #[arg(long, value_name = "P")]
    pub confidence: Option<f64>,
    /// Output directory (default: output/<name>-sensitivity).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Replace an analysis already in the output directory.
    #[arg(long)]
    pub force: bool,
    /// What stdout carries: the tables, or the analysis as JSON.
    #[arg(long, value_name = "FORMAT", default_value = "table", value_parser = ["table", "json"])]
    pub format: String,
    /// Do not draw the tornado charts.
    #[arg(long)]
    pub no_plots: bool,
}
