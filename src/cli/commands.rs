//! Validated commands and what they do.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

use anyhow::{bail, Context};
use dofleet::cluster::SlurmJob;
use dofleet::experiment::{
    merge_dirs, run_experiment, run_to_dir, Experiment, ExperimentResults, OutputOptions,
    RunOptions, Shard,
};
use dofleet::planner::{Dimension, PlanOptions, Slo};
use dofleet::report;

use super::args::{Cli, Sub};

/// A command, checked and ready to execute.
#[derive(Debug)]
pub enum Command {
    /// Run the embedded default in memory and print its tables.
    Default {
        experiment: Box<Experiment>,
        options: RunOptions,
    },
    /// Run an experiment into a directory.
    Run {
        file: PathBuf,
        experiment: Box<Experiment>,
        out: PathBuf,
        options: RunOptions,
        output: OutputOptions,
        /// Draw the charts once the results are complete.
        plots: bool,
    },
    /// Plan capacity.
    Plan {
        experiment: Box<Experiment>,
        options: PlanOptions,
        out: PathBuf,
    },
    /// Merge shards.
    Merge {
        experiment: Box<Experiment>,
        dirs: Vec<PathBuf>,
        out: PathBuf,
        force: bool,
    },
    /// Write (and maybe submit) the Slurm scripts of a sweep.
    Slurm {
        job: Box<SlurmJob>,
        submit: bool,
        force: bool,
    },
    /// Print a resolved experiment.
    ShowConfig { experiment: Box<Experiment> },
    /// Fit a workload to a trace.
    Fit(super::fit::FitCommand),
    /// Draw an output directory's charts.
    Plot { dir: PathBuf },
    /// Write an output directory's HTML report.
    Report { dir: PathBuf, out: Option<PathBuf> },
}

impl Command {
    /// Turns parsed arguments into a command, loading and validating the
    /// experiment before anything runs.
    pub fn from_args(cli: Cli) -> anyhow::Result<Command> {
        let threads = match cli.common.threads {
            Some(0) => bail!("--threads must be at least 1"),
            Some(n) => n,
            None => 0,
        };
        let options = RunOptions {
            threads,
            progress: !cli.common.quiet && std::io::stderr().is_terminal(),
            cancel: None,
        };
        let sets = &cli.common.sets;
        Ok(match cli.command {
            None => Command::Default {
                experiment: Box::new(load(None, sets)?),
                options,
            },
            Some(Sub::Run {
                file,
                out,
                force,
                resume,
                shard,
                no_plots,
            }) => {
                let shard = shard
                    .map(|s| s.parse::<Shard>())
                    .transpose()
                    .map_err(|e| anyhow::anyhow!("--shard: {e}"))?;
                let experiment = load(Some(&file), sets)?;
                let out = out.unwrap_or_else(|| PathBuf::from("output").join(&experiment.name));
                Command::Run {
                    file,
                    experiment: Box::new(experiment),
                    out,
                    options,
                    output: OutputOptions {
                        force,
                        resume,
                        shard,
                    },
                    plots: !no_plots,
                }
            }
            Some(Sub::Plan {
                file,
                slos,
                search,
                confidence,
                min,
                max,
                out,
            }) => {
                let slos = slos
                    .iter()
                    .map(|s| s.parse::<Slo>())
                    .collect::<Result<Vec<_>, _>>()?;
                let dimension = Dimension::from_name(&search)
                    .with_context(|| format!("--search: unknown dimension {search:?}"))?;
                if !(confidence > 0.5 && confidence < 1.0) {
                    bail!("--confidence: expected a probability between 0.5 and 1 (exclusive), such as 0.95; found {confidence}");
                }
                let experiment = load(Some(&file), sets)?;
                let out = out.unwrap_or_else(|| {
                    PathBuf::from("output").join(format!("{}-plan", experiment.name))
                });
                Command::Plan {
                    experiment: Box::new(experiment),
                    options: PlanOptions {
                        dimension,
                        slos,
                        confidence,
                        min,
                        max,
                        threads,
                    },
                    out,
                }
            }
            Some(Sub::Merge { dirs, out, force }) => {
                if !sets.is_empty() {
                    bail!("merge takes no --set: the shards' config.toml defines the experiment");
                }
                let first = dirs
                    .first()
                    .context("merge needs at least one shard directory")?;
                let experiment =
                    load(Some(&first.join("config.toml")), &[]).with_context(|| {
                        format!(
                            "{} is not a dofleet output directory (or its shard never ran)",
                            first.display()
                        )
                    })?;
                Command::Merge {
                    experiment: Box::new(experiment),
                    dirs,
                    out,
                    force,
                }
            }
            Some(Sub::Slurm {
                file,
                shards,
                out,
                submit,
                force,
                sbatch,
            }) => {
                let experiment = load(Some(&file), sets)?;
                let out = out.unwrap_or_else(|| PathBuf::from("output").join(&experiment.name));
                let absolute =
                    |p: &Path| std::path::absolute(p).with_context(|| format!("{}", p.display()));
                let job = SlurmJob {
                    name: experiment.name.clone(),
                    experiment_file: absolute(&file)?,
                    sets: sets.clone(),
                    threads: cli.common.threads,
                    shards,
                    out: absolute(&out)?,
                    dofleet: std::env::current_exe()
                        .context("cannot tell where the dofleet binary is")?,
                    sbatch_options: sbatch,
                };
                job.check(experiment.runs().len())?;
                Command::Slurm {
                    job: Box::new(job),
                    submit,
                    force,
                }
            }
            Some(Sub::Config { file }) => Command::ShowConfig {
                experiment: Box::new(load(file.as_deref(), sets)?),
            },
            Some(Sub::Fit {
                trace,
                tenant,
                spread,
                seed,
            }) => Command::Fit(super::fit::FitCommand::new(
                trace, &tenant, &spread, seed, sets,
            )?),
            Some(Sub::Plot { dir }) => {
                no_sets(sets, "plot")?;
                Command::Plot { dir }
            }
            Some(Sub::Report { dir, out }) => {
                no_sets(sets, "report")?;
                Command::Report { dir, out }
            }
        })
    }

    /// Does it.
    pub fn execute(self) -> anyhow::Result<ExitCode> {
        match self {
            Command::Default {
                experiment,
                options,
            } => {
                let started = Instant::now();
                let results = run_experiment(&experiment, &options)?;
                print_tables(&experiment, &results);
                print_speed(results.simulated_requests, started);
                Ok(ExitCode::SUCCESS)
            }
            Command::Run {
                file,
                experiment,
                out,
                mut options,
                output,
                plots,
            } => {
                let cancel = Arc::new(AtomicBool::new(false));
                install_ctrl_c(cancel.clone());
                options.cancel = Some(cancel);
                let started = Instant::now();
                let done = run_to_dir(&experiment, &out, &options, output)?;
                if done.interrupted {
                    eprintln!(
                        "Interrupted: {} runs recorded in {}. To complete them:\n  dofleet run {} --out {} --resume",
                        done.ran + done.reused,
                        out.display(),
                        file.display(),
                        out.display()
                    );
                    return Ok(ExitCode::from(130));
                }
                match &done.results {
                    Some(results) => {
                        if experiment.points.len() == 1 {
                            print_tables(&experiment, results);
                        } else {
                            println!("{} (means over replications)\n", experiment.name);
                            print!("{}", report::sweep_table(&experiment, results));
                        }
                        print_speed(done.simulated_now, started);
                        println!("Wrote {}", out.join("summary.csv").display());
                        if plots {
                            // The results are written: a chart that cannot
                            // be drawn is reported, not a failed run.
                            if let Err(e) = draw_plots(&out) {
                                eprintln!("warning: charts not drawn: {e:#}");
                            }
                        }
                    }
                    None => println!(
                        "Shard done: {} runs in {}. Merge all shards with: dofleet merge DIR... --out DIR",
                        done.ran + done.reused,
                        out.display()
                    ),
                }
                if done.reused > 0 {
                    println!("({} runs were already recorded and reused.)", done.reused);
                }
                Ok(ExitCode::SUCCESS)
            }
            Command::Plan {
                experiment,
                options,
                out,
            } => {
                let plan = dofleet::planner::plan(&experiment, &options)?;
                print!("{}", report::plan_table(&plan));
                report::write_plan(&plan, &out)
                    .with_context(|| format!("cannot write the plan into {}", out.display()))?;
                println!("\nWrote {}", out.join("plan.csv").display());
                Ok(ExitCode::SUCCESS)
            }
            Command::Merge {
                experiment,
                dirs,
                out,
                force,
            } => {
                let results = merge_dirs(&experiment, &dirs, &out, force)?;
                println!(
                    "Merged {} shards ({} rows) into {}",
                    dirs.len(),
                    results.rows.len(),
                    out.join("summary.csv").display()
                );
                Ok(ExitCode::SUCCESS)
            }
            Command::Slurm { job, submit, force } => {
                let scripts = job.write(force)?;
                println!(
                    "Wrote {}, {} and {}",
                    scripts.shards.display(),
                    scripts.merge.display(),
                    scripts.submit.display()
                );
                if submit {
                    dofleet::cluster::submit(&scripts)?;
                } else {
                    println!(
                        "Submit them with: bash {}",
                        dofleet::cluster::shell_quote(&scripts.submit.to_string_lossy())
                    );
                }
                Ok(ExitCode::SUCCESS)
            }
            Command::ShowConfig { experiment } => {
                print!("{}", experiment.resolved);
                Ok(ExitCode::SUCCESS)
            }
            Command::Fit(fit) => fit.execute(),
            Command::Plot { dir } => {
                draw_plots(&dir)?;
                Ok(ExitCode::SUCCESS)
            }
            Command::Report { dir, out } => {
                let out = out.unwrap_or_else(|| dir.join("report.html"));
                report::html::write_report(&dir, &out)?;
                println!("Wrote {}", out.display());
                Ok(ExitCode::SUCCESS)
            }
        }
    }
}

/// The first Ctrl-C (or SIGTERM, as Slurm's `scancel` and Kubernetes send)
/// stops starting runs: runs in progress finish and are recorded, and the
/// manifest says the run was interrupted, so `--resume` completes it. A
/// second one exits at once.
fn install_ctrl_c(cancel: Arc<AtomicBool>) {
    let _ = ctrlc::set_handler(move || {
        if cancel.swap(true, Ordering::SeqCst) {
            std::process::exit(130);
        }
        eprintln!("\nStopping after the runs in progress (Ctrl-C again to quit now)...");
    });
}

/// The experiment: the embedded default, then the file if any, then the
/// `--set` overrides.
fn load(file: Option<&Path>, sets: &[String]) -> anyhow::Result<Experiment> {
    let spec = dofleet::experiment::config::load_experiment(file, sets)?;
    Ok(Experiment::from_spec(spec))
}

fn print_speed(requests: u64, started: Instant) {
    let elapsed = started.elapsed().as_secs_f64();
    println!(
        "\n{requests} simulated requests in {elapsed:.2} s ({:.1} M requests/s).",
        requests as f64 / elapsed.max(1e-9) / 1e6
    );
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

/// `plot` and `report` read everything from the directory.
fn no_sets(sets: &[String], command: &str) -> anyhow::Result<()> {
    if !sets.is_empty() {
        bail!("{command} takes no --set: the directory's config.toml defines the experiment");
    }
    Ok(())
}

/// Draws the charts of an output directory and says where they went.
fn draw_plots(dir: &Path) -> anyhow::Result<()> {
    let written = report::plots::write_plots(dir)?;
    println!(
        "Drew {} charts (PNG and SVG) in {}",
        written.len() / 2,
        dir.display()
    );
    Ok(())
}
