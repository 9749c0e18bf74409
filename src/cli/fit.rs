//! `dofleet fit TRACE`: the command-line side of
//! [`dofleet::workload::fit`], which does the work.

use std::path::PathBuf;

use anyhow::bail;
use dofleet::workload::fit::fit_trace;
use dofleet::workload::{TraceSpread, TraceTenant};

/// A checked `fit` command.
#[derive(Debug)]
pub struct FitCommand {
    trace: PathBuf,
    tenant: TraceTenant,
    spread: TraceSpread,
    seed: u64,
}

impl FitCommand {
    /// Checks the arguments (clap already limited the names).
    pub fn new(
        trace: PathBuf,
        tenant: &str,
        spread: &str,
        seed: u64,
        sets: &[String],
    ) -> anyhow::Result<FitCommand> {
        if !sets.is_empty() {
            bail!("fit takes no --set: it reads only the trace (use --tenant, --spread, --seed)");
        }
        let tenant = match tenant {
            "app" => TraceTenant::App,
            _ => TraceTenant::Function,
        };
        let spread = match spread {
            "poisson" => TraceSpread::Poisson,
            _ => TraceSpread::Uniform,
        };
        Ok(FitCommand {
            trace,
            tenant,
            spread,
            seed,
        })
    }

    /// Fits and prints the report and snippet.
    pub fn execute(self) -> anyhow::Result<super::Exit> {
        let fit = fit_trace(&self.trace, self.tenant, self.spread, self.seed, None)?;
        let shown = self.trace.display().to_string();
        let mut command = format!("dofleet fit {shown}");
        if self.tenant != TraceTenant::Function {
            command.push_str(&format!(" --tenant {}", self.tenant.name()));
        }
        if self.spread != TraceSpread::Uniform {
            command.push_str(&format!(" --spread {}", self.spread.name()));
        }
        if self.seed != 1 {
            command.push_str(&format!(" --seed {}", self.seed));
        }
        print!("{}", fit.report(&shown, &command));
        Ok(super::Exit::Success)
    }
}
