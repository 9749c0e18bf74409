//! The `dofleet` command: a thin shell over the library.

mod cli;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let code: ExitCode = match run() {
        Ok(exit) => exit.into(),
        Err(err) => {
            eprintln!("error: {err:#}");
            cli::Exit::of_error(&err).into()
        }
    };
    match cli::stdout_failure() {
        Some(why) => {
            eprintln!("error: cannot write to standard output: {why}");
            cli::Exit::Failure.into()
        }
        None => code,
    }
}

fn run() -> anyhow::Result<cli::Exit> {
    let args = cli::Cli::parse();
    let command = cli::Command::from_args(args)?;
    command.execute()
}
