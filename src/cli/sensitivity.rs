//! `dofleet sensitivity EXPERIMENT`: the command-line side of
//! [`dofleet::sensitivity`], which does the work. Stdout carries the tables
//! (or the JSON); the directory gets `sensitivity.csv`, `sensitivity.json`
//! and a tornado chart per metric (PNG and SVG).
//!
//! Invariants: an output directory holding an earlier analysis is refused
//! before anything runs unless `--force`; with `--force`, the earlier
//! analysis's files are replaced only once the new one is complete (an
//! interrupted analysis leaves the old one whole).

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use anyhow::Context;
use dofleet::atomic_write::write_atomically;
use dofleet::experiment::{Limits, RunOptions};
use dofleet::report::sensitivity as text;
use dofleet::sensitivity::{self, Assumption, SensitivityError};

use super::args::SensitivityArgs;
use super::exit::Exit;

/// A checked `sensitivity` command.
#[derive(Debug)]
pub struct SensitivityCommand {
    file: Option<PathBuf>,
    sets: Vec<String>,
    assumptions: Vec<Assumption>,
    options: sensitivity::Options,
    out: PathBuf,
    json: bool,
    plots: bool,
}

/// The files an analysis writes besides its charts.
const FILES: [&str; 2] = ["sensitivity.csv", "sensitivity.json"];

fn is_chart(name: &str) -> bool {
    name.starts_with("tornado-") && (name.ends_with(".png") || name.ends_with(".svg"))
}

impl SensitivityCommand {
    /// Checks everything before anything runs: the experiment and every
    /// variant of it, the metrics, the objectives, the output directory.
    pub fn new(
        args: SensitivityArgs,
        sets: &[String],
        run: RunOptions,
        limits: Limits,
    ) -> anyhow::Result<SensitivityCommand> {
        let experiment = super::commands::load(args.file.as_deref(), sets)?;
        let (slos, confidence) =
            super::objectives::objectives(&experiment, &args.slos, args.confidence)?;
        let assumptions = sensitivity::assumptions::load(args.assumptions.as_deref())
            .and_then(|list| sensitivity::assumptions::select(list, &args.only))
            .map_err(super::exit::bad_input)?;
        let metrics = args
            .metrics
            .iter()
            .map(|m| sensitivity::metric_index(m))
            .collect::<Result<Vec<_>, _>>()
            .map_err(super::exit::bad_input)?;
        let out = args.out.unwrap_or_else(|| {
            PathBuf::from("output").join(format!("{}-sensitivity", experiment.name))
        });
        if !args.force {
            for name in FILES {
                if out.join(name).exists() {
                    return Err(super::exit::bad_input(anyhow::anyhow!(
                        "{} already holds a sensitivity analysis ({name}); use --force to replace it",
                        out.display()
                    )));
                }
            }
        }
        Ok(SensitivityCommand {
            file: args.file,
            sets: sets.to_vec(),
            assumptions,
            options: sensitivity::Options {
                metrics,
                slos,
                confidence,
                run,
                limits: Some(limits),
            },
            out,
            json: args.format == "json",
            plots: !args.no_plots,
        })
    }

    pub fn execute(mut self) -> anyhow::Result<Exit> {
        let cancel = Arc::new(AtomicBool::new(false));
        super::commands::install_ctrl_c(cancel.clone());
        self.options.run.cancel = Some(cancel);
        let analysis = match sensitivity::analyse(
            self.file.as_deref(),
            &self.sets,
            &self.assumptions,
            &self.options,
        ) {
            Ok(a) => a,
            Err(SensitivityError::Interrupted) => {
                eprintln!("Interrupted: nothing written.");
                return Ok(Exit::Interrupted);
            }
            Err(
                e @ (SensitivityError::Config(_)
                | SensitivityError::Assumption { .. }
                | SensitivityError::Resources(_)),
            ) => {
                return Err(super::exit::bad_input(e));
            }
            Err(e) => return Err(e.into()),
        };
        if self.json {
            print!("{}", text::sensitivity_json(&analysis));
        } else {
            print!("{}", text::sensitivity_text(&analysis));
        }
        self.write(&analysis)
            .with_context(|| format!("cannot write the analysis into {}", self.out.display()))?;
        eprintln!("\nWrote {}", self.out.join("sensitivity.csv").display());
        Ok(Exit::Success)
    }

    fn write(&self, analysis: &sensitivity::Sensitivity) -> anyhow::Result<()> {
        let dir: &Path = &self.out;
        std::fs::create_dir_all(dir)?;
        // The earlier analysis's charts go only now that the new one is whole.
        if dir.is_dir() {
            for entry in std::fs::read_dir(dir)? {
                let entry = entry?;
                let name = entry.file_name().to_string_lossy().into_owned();
                if is_chart(&name) && entry.path().is_file() {
                    std::fs::remove_file(entry.path())?;
                }
            }
        }
        write_atomically(&dir.join(FILES[0]), &text::sensitivity_csv(analysis)?)?;
        write_atomically(
            &dir.join(FILES[1]),
            text::sensitivity_json(analysis).as_bytes(),
        )?;
        if self.plots {
            let mut drawn = 0;
            for named in text::tornado_charts(analysis) {
                let png = named.chart.png()?;
                let svg = named.chart.svg()?;
                write_atomically(&dir.join(format!("{}.png", named.stem)), &png)?;
                write_atomically(&dir.join(format!("{}.svg", named.stem)), svg.as_bytes())?;
                drawn += 1;
            }
            eprintln!(
                "Drew {drawn} tornado charts (PNG and SVG) in {}",
                dir.display()
            );
        }
        Ok(())
    }
}
