//! Validated commands and what they do.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{bail, Context};
use dofleet::config::{self, Config};
use dofleet::experiment::{run_experiment, Experiment, ExperimentResults, RunOptions};
use dofleet::report;
use std::io::IsTerminal;

use super::args::{Cli, Sub};

/// A command, checked and ready to execute.
#[derive(Debug)]
pub enum Command {
    /// Run an experiment; write its CSV when `out` is given.
    Run {
        name: String,
        config: Box<Config>,
        out: Option<PathBuf>,
        options: RunOptions,
    },
    /// Print a resolved configuration.
    ShowConfig { config: Box<Config> },
}

impl Command {
    /// Turns parsed arguments into a command, loading and validating the
    /// configuration.
    pub fn from_args(cli: Cli) -> anyhow::Result<Command> {
        let threads = match cli.common.threads {
            Some(0) => bail!("--threads must be at least 1"),
            Some(n) => n,
            None => 0,
        };
        let options = RunOptions {
            threads,
            progress: !cli.common.quiet && std::io::stderr().is_terminal(),
        };
        let sets = &cli.common.sets;
        Ok(match cli.command {
            None => {
                let config = load(None, sets)?;
                Command::Run {
                    name: "default".into(),
                    config: Box::new(config),
                    out: None,
                    options,
                }
            }
            Some(Sub::Run { file, out }) => {
                let config = load(Some(&file), sets)?;
                let name = file
                    .file_stem()
                    .and_then(|s| s.to_str())
                    .context("the experiment file name is not valid UTF-8")?
                    .to_string();
                let out = out.unwrap_or_else(|| PathBuf::from("output").join(&name));
                Command::Run {
                    name,
                    config: Box::new(config),
                    out: Some(out),
                    options,
                }
            }
            Some(Sub::Config { file }) => {
                let config = load(file.as_deref(), sets)?;
                Command::ShowConfig {
                    config: Box::new(config),
                }
            }
        })
    }

    /// Does it.
    pub fn execute(self) -> anyhow::Result<()> {
        match self {
            Command::Run {
                name,
                config,
                out,
                options,
            } => {
                let experiment = Experiment::single(name, *config);
                let started = Instant::now();
                let results = run_experiment(&experiment, options)?;
                let elapsed = started.elapsed().as_secs_f64();
                print_tables(&experiment, &results);
                println!(
                    "\n{} simulated requests in {:.2} s ({:.1} M requests/s).",
                    results.simulated_requests,
                    elapsed,
                    results.simulated_requests as f64 / elapsed.max(1e-9) / 1e6
                );
                if let Some(dir) = out {
                    report::write_summary(&dir, &experiment, &results).with_context(|| {
                        format!("could not write {}", dir.join("summary.csv").display())
                    })?;
                    println!("Wrote {}", dir.join("summary.csv").display());
                }
                Ok(())
            }
            Command::ShowConfig { config } => {
                print!("{}", config.to_toml());
                Ok(())
            }
        }
    }
}

/// The embedded default, then the file if any, then the `--set` overrides.
fn load(file: Option<&std::path::Path>, sets: &[String]) -> Result<Config, config::ConfigError> {
    match file {
        Some(path) => config::load_file(path, sets),
        None => {
            let mut layers = vec![config::default_layer()];
            for s in sets {
                layers.push(config::set_layer(s)?);
            }
            config::load(&layers)
        }
    }
}

fn print_tables(experiment: &Experiment, results: &ExperimentResults) {
    for (p, point) in experiment.points.iter().enumerate() {
        println!("Workload: {}", report::workload_line(&point.config));
        println!("\nComparison with Other Architectures (simulated; medians)\n");
        print!("{}", report::comparison_table(results, p));
        println!("\nExpected Request Latency (simulated: median, share delegated, by request number since the DO started)\n");
        print!("{}", report::ordinal_table(results, p));
    }
}
