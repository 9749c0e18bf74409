//! Validated commands and what they do.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

use anyhow::{bail, Context};
use dofleet::cluster::SlurmJob;
use dofleet::experiment::{
    inspect_out_dir, machine_memory, merge_dirs, resolve_out_dir, run_experiment, run_to_dir,
    Experiment, ExperimentResults, Limits, OutputOptions, RunOptions, Shard,
};
use dofleet::planner::{Decision, Dimension, PlanOptions, Slo};
use dofleet::report;

use super::args::{Cli, Sub};
use super::exit::Exit;
use super::objectives::{check_confidence, objectives, parse_slos, plan_exit};

/// The most worker threads `--threads` accepts: beyond, creating them
/// alone takes the machine (100,000 made no progress).
const MAX_THREADS: usize = 1024;

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
        /// Objectives to judge the results against.
        slos: Vec<Slo>,
        confidence: f64,
        /// Print the summary as JSON instead of the tables.
        json: bool,
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
    /// Vary the assumptions over their ranges.
    Sensitivity(Box<super::sensitivity::SensitivityCommand>),
    /// Draw an output directory's charts.
    Plot { dir: PathBuf },
    /// Write an output directory's HTML report.
    Report {
        dir: PathBuf,
        out: Option<PathBuf>,
        force: bool,
    },
    /// The testbed's commands (trace, loadgen, calibrate, validate).
    Testbed {
        sub: super::testbed::TestbedSub,
        sets: Vec<String>,
        quiet: bool,
    },
}

impl Command {
    /// Turns parsed arguments into a command, loading and validating the
    /// experiment before anything runs.
    pub fn from_args(cli: Cli) -> anyhow::Result<Command> {
        let threads = match cli.common.threads {
            Some(0) => bail!("--threads must be at least 1"),
            Some(n) if n > MAX_THREADS => bail!(
                "--threads {n}: at most {MAX_THREADS} (each run is single-threaded; this machine has {} cores)",
                std::thread::available_parallelism().map_or(1, |c| c.get())
            ),
            Some(n) => n,
            None => 0,
        };
        let options = RunOptions {
            threads,
            progress: !cli.common.quiet && std::io::stderr().is_terminal(),
            cancel: None,
            counts: None,
        };
        let sets = &cli.common.sets;
        let yes = cli.common.yes;
        let checked = |experiment: Experiment| -> anyhow::Result<Experiment> {
            experiment
                .check_resources(threads, machine_memory(), yes)
                .map_err(|e| super::exit::bad_input(anyhow::anyhow!(e)))?;
            Ok(experiment)
        };
        Ok(match cli.command {
            None => Command::Default {
                experiment: Box::new(checked(load(None, sets)?)?),
                options,
            },
            Some(Sub::Run {
                file,
                out,
                force,
                resume,
                shard,
                no_plots,
                slos,
                confidence,
                format,
            }) => {
                let experiment_file = checked(load(Some(&file), sets)?)?;
                let (slos, confidence) = objectives(&experiment_file, &slos, confidence)?;
                let shard = shard
                    .map(|s| s.parse::<Shard>())
                    .transpose()
                    .map_err(|e| anyhow::anyhow!("--shard: {e}"))?;
                let experiment = experiment_file;
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
                    slos,
                    confidence,
                    json: format == "json",
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
                force,
            }) => {
                let slos = parse_slos(&slos)?;
                let dimension = Dimension::from_name(&search)
                    .with_context(|| format!("--search: unknown dimension {search:?}"))?;
                check_confidence(confidence)?;
                let experiment = checked(load(Some(&file), sets)?)?;
                let out = out.unwrap_or_else(|| {
                    PathBuf::from("output").join(format!("{}-plan", experiment.name))
                });
                // Refused before the search, which can take minutes.
                if !force {
                    for name in ["plan.csv", "plan_evaluations.csv"] {
                        if out.join(name).exists() {
                            return Err(super::exit::bad_input(anyhow::anyhow!(
                                "{} already holds a plan ({name}); use --force to replace it",
                                out.display()
                            )));
                        }
                    }
                }
                Command::Plan {
                    experiment: Box::new(experiment),
                    options: PlanOptions {
                        dimension,
                        slos,
                        confidence,
                        min,
                        max,
                        threads,
                        progress: options.progress,
                        cancel: None,
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
                // Each shard runs on its own node: only what no node can run is refused here.
                experiment
                    .check_resources(1, f64::INFINITY, true)
                    .map_err(|e| super::exit::bad_input(anyhow::anyhow!(e)))?;
                let out = out.unwrap_or_else(|| PathBuf::from("output").join(&experiment.name));
                let absolute =
                    |p: &Path| std::path::absolute(p).with_context(|| format!("{}", p.display()));
                let job = SlurmJob {
                    name: experiment.name.clone(),
                    experiment_file: absolute(&file)?,
                    sets: sets.clone(),
                    threads: cli.common.threads,
                    shards,
                    out: slurm_out_dir(&out)?,
                    dofleet: std::env::current_exe()
                        .context("cannot tell where the dofleet binary is")?,
                    sbatch_options: sbatch,
                };
                job.check(usize::try_from(experiment.run_count()).unwrap_or(usize::MAX))?;
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
            Some(Sub::Sensitivity(args)) => {
                Command::Sensitivity(Box::new(super::sensitivity::SensitivityCommand::new(
                    args,
                    sets,
                    options,
                    Limits {
                        memory_bytes: machine_memory(),
                        go_on: yes,
                    },
                )?))
            }
            Some(Sub::Plot { dir }) => {
                no_sets(sets, "plot")?;
                Command::Plot { dir }
            }
            Some(Sub::Report { dir, out, force }) => {
                no_sets(sets, "report")?;
                Command::Report { dir, out, force }
            }
            Some(Sub::Testbed(sub)) => Command::Testbed {
                sub,
                sets: sets.clone(),
                quiet: cli.common.quiet,
            },
        })
    }

    /// Does it.
    pub fn execute(self) -> anyhow::Result<Exit> {
        match self {
            Command::Default {
                experiment,
                options,
            } => {
                let started = Instant::now();
                let results = run_experiment(&experiment, &options)?;
                print_tables(&experiment, &results);
                print_speed(results.simulated_requests, started);
                Ok(Exit::Success)
            }
            Command::Run {
                file,
                experiment,
                out,
                mut options,
                output,
                plots,
                slos,
                confidence,
                json,
            } => {
                let cancel = Arc::new(AtomicBool::new(false));
                install_ctrl_c(cancel.clone());
                options.cancel = Some(cancel);
                let started = Instant::now();
                let mut exit = Exit::Success;
                let done = run_to_dir(&experiment, &out, &options, output, report::write_results)?;
                if done.staged {
                    eprintln!(
                        "Interrupted: the earlier results in {} are kept as they were; the forced \
                         run's {} runs recorded so far are kept aside. To continue it:\n  dofleet run {} --out {} --force",
                        out.display(),
                        done.ran + done.reused,
                        file.display(),
                        out.display()
                    );
                    return Ok(Exit::Interrupted);
                }
                if done.interrupted {
                    eprintln!(
                        "Interrupted: {} runs recorded in {}. To complete them:\n  dofleet run {} --out {} --resume",
                        done.ran + done.reused,
                        out.display(),
                        file.display(),
                        out.display()
                    );
                    return Ok(Exit::Interrupted);
                }
                match &done.results {
                    Some(results) => {
                        if json {
                            print!("{}", report::summary_json(&experiment, results));
                        } else if experiment.points.len() == 1 {
                            print_tables(&experiment, results);
                        } else {
                            println!("{} (means over replications)\n", experiment.name);
                            print!("{}", report::sweep_table(&experiment, results));
                        }
                        if !slos.is_empty() {
                            let decision = Decision::of(
                                results,
                                experiment.points.len(),
                                &slos,
                                confidence,
                            );
                            // In JSON mode stdout is the summary alone; the
                            // verdict goes to stderr and the exit code.
                            let text = format!(
                                "\n{}\n{}",
                                report::decision_table(&experiment, results, &decision),
                                report::answer_lines(&experiment, results, &decision)
                            );
                            if json {
                                eprint!("{text}");
                            } else {
                                print!("{text}");
                            }
                            if decision.any_point_unmet() {
                                exit = Exit::ObjectiveFailed;
                            } else if decision.any_point_undecided() {
                                exit = Exit::Undecided;
                            }
                        }
                        print_speed(done.simulated_now, started);
                        eprintln!("Wrote {}", out.join("summary.csv").display());
                        if plots {
                            // The results are written and stay; charts that
                            // cannot be drawn (a full disk) fail the command.
                            if let Err(e) = draw_plots(&out) {
                                return Err(super::exit::failure(e.context(format!(
                                    "the results are written, but not every chart: draw them \
                                     again with dofleet plot {}",
                                    out.display()
                                ))));
                            }
                        }
                    }
                    None => eprintln!(
                        "Shard done: {} runs in {}. Merge all shards with: dofleet merge DIR... --out DIR",
                        done.ran + done.reused,
                        out.display()
                    ),
                }
                if done.reused > 0 {
                    eprintln!("({} runs were already recorded and reused.)", done.reused);
                }
                Ok(exit)
            }
            Command::Plan {
                experiment,
                mut options,
                out,
            } => {
                let cancel = Arc::new(AtomicBool::new(false));
                install_ctrl_c(cancel.clone());
                options.cancel = Some(cancel);
                let plan = match dofleet::planner::plan(&experiment, &options) {
                    Err(dofleet::planner::PlanError::Cancelled) => {
                        eprintln!("Interrupted: no plan written.");
                        return Ok(Exit::Interrupted);
                    }
                    other => other?,
                };
                print!("{}", report::plan_table(&plan));
                report::write_plan(&plan, &out)
                    .with_context(|| format!("cannot write the plan into {}", out.display()))?;
                eprintln!("\nWrote {}", out.join("plan.csv").display());
                Ok(plan_exit(&plan))
            }
            Command::Merge {
                experiment,
                dirs,
                out,
                force,
            } => {
                let results = merge_dirs(&experiment, &dirs, &out, force, report::write_results)?;
                eprintln!(
                    "Merged {} shards ({} rows) into {}",
                    dirs.len(),
                    results.rows.len(),
                    out.join("summary.csv").display()
                );
                Ok(Exit::Success)
            }
            Command::Slurm { job, submit, force } => {
                let scripts = job.write(force)?;
                eprintln!(
                    "Wrote {}, {} and {}",
                    scripts.shards.display(),
                    scripts.merge.display(),
                    scripts.submit.display()
                );
                if submit {
                    // sbatch missing or refusing is the machine's failure, not the input's.
                    dofleet::cluster::submit(&scripts).map_err(super::exit::failure)?;
                } else {
                    eprintln!(
                        "Submit them with: bash {}",
                        dofleet::cluster::shell_quote(&scripts.submit.to_string_lossy())
                    );
                }
                Ok(Exit::Success)
            }
            Command::ShowConfig { experiment } => {
                print!("{}", experiment.resolved);
                Ok(Exit::Success)
            }
            Command::Fit(fit) => fit.execute(),
            Command::Sensitivity(analysis) => analysis.execute(),
            Command::Plot { dir } => {
                draw_plots(&dir)?;
                Ok(Exit::Success)
            }
            Command::Report { dir, out, force } => {
                let given = out.is_some();
                let out = out.unwrap_or_else(|| dir.join(dofleet::experiment::REPORT));
                refuse_foreign_file(&out)?;
                if given && out.is_file() && !force {
                    return Err(super::exit::bad_input(anyhow::anyhow!(
                        "{} exists: use --force to replace it",
                        out.display()
                    )));
                }
                report::html::write_report(&dir, &chart_data(&dir)?, &out)?;
                eprintln!("Wrote {}", out.display());
                Ok(Exit::Success)
            }
            Command::Testbed { sub, sets, quiet } => super::testbed::execute(sub, &sets, quiet),
        }
    }
}

/// The first Ctrl-C (or SIGTERM, as Slurm's `scancel` and Kubernetes send)
/// stops: runs in progress stop within milliseconds and are dropped (they
/// run again from scratch on `--resume`), the finished ones stay recorded,
/// and the manifest says the run was interrupted. A second one exits at
/// once.
pub(super) fn install_ctrl_c(cancel: Arc<AtomicBool>) {
    let _ = ctrlc::set_handler(move || {
        if cancel.swap(true, Ordering::SeqCst) {
            std::process::exit(130);
        }
        dofleet::simulation::request_stop();
        eprintln!("\nStopping: finished runs are kept, runs in progress will run again on --resume (Ctrl-C again to quit now)...");
    });
}

/// Refuses to replace a file that is not a report dofleet wrote.
fn refuse_foreign_file(out: &Path) -> anyhow::Result<()> {
    if out.is_dir() {
        bail!(
            "{}: is a directory; --out names the report's file, such as report.html",
            out.display()
        );
    }
    if !out.exists() {
        return Ok(());
    }
    let mut head = Vec::new();
    let read = std::fs::File::open(out)
        .and_then(|f| std::io::Read::read_to_end(&mut std::io::Read::take(f, 4096), &mut head));
    let ours = read.is_ok() && String::from_utf8_lossy(&head).contains("<title>dofleet: ");
    if !ours {
        bail!(
            "{} exists and is not a dofleet report: it is kept; choose another --out or remove it",
            out.display()
        );
    }
    Ok(())
}

/// A Slurm job's output directory, resolved and refused when it is not
/// one dofleet may write into (the shards' and the merge's own checks run
/// later, on the cluster).
fn slurm_out_dir(out: &Path) -> anyhow::Result<PathBuf> {
    let resolved = resolve_out_dir(out)?;
    inspect_out_dir(&resolved)?;
    Ok(resolved)
}

/// The experiment: the embedded default, then the file if any, then the
/// `--set` overrides.
pub(super) fn load(file: Option<&Path>, sets: &[String]) -> anyhow::Result<Experiment> {
    let spec = dofleet::experiment::config::load_experiment(file, sets)?;
    for warning in &spec.warnings {
        eprintln!("warning: {warning}");
    }
    let experiment = Experiment::from_spec(spec);
    // A bad objective is refused by every command, as any bad key is.
    objectives(&experiment, &[], None)?;
    Ok(experiment)
}

fn print_speed(requests: u64, started: Instant) {
    let elapsed = started.elapsed().as_secs_f64();
    eprintln!(
        "\n{requests} simulated requests in {elapsed:.2} s ({:.1} M requests/s).",
        requests as f64 / elapsed.max(1e-9) / 1e6
    );
}

fn print_tables(experiment: &Experiment, results: &ExperimentResults) {
    for (p, point) in experiment.points.iter().enumerate() {
        println!("Workload: {}", report::workload_line(&point.config));
        println!("\nComparison with Other Architectures (simulated; medians)\n");
        print!("{}", report::comparison_table(results, p));
        println!("\nMonthly cost, estimated (USD, 30 days at this traffic; what it counts: docs/model.md#cost)\n");
        print!("{}", report::cost_table(results, p));
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

/// What the charts of an output directory are drawn from, with the
/// cold-start timelines of its points observed again.
fn chart_data(dir: &Path) -> anyhow::Result<report::plots::ChartData> {
    Ok(report::plots::ChartData::of_dir(
        dir,
        dofleet::experiment::observe_timelines,
    )?)
}

/// Draws the charts of an output directory and says where they went.
fn draw_plots(dir: &Path) -> anyhow::Result<()> {
    let written = report::plots::write_plots(dir, &chart_data(dir)?)?;
    eprintln!(
        "Drew {} charts (PNG and SVG) in {}",
        written.len() / 2,
        dir.display()
    );
    Ok(())
}
