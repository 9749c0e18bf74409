//! The `dofleet` command: a thin shell over the library.

mod cli;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let code = match run() {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::from(2)
        }
    };
    match cli::stdout_failure() {
        Some(why) => {
            eprintln!("error: cannot write to standard output: {why}");
            ExitCode::from(3)
        }
        None => code,
    }
}

fn run() -> anyhow::Result<ExitCode> {
    let args = cli::Cli::parse();
    let command = cli::Command::from_args(args)?;
    command.execute()
}
