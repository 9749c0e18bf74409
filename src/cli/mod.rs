//! The command line: clap's definition ([`args`]) apart from the validated
//! commands it becomes ([`commands`]).

mod args;
mod commands;
mod fit;

pub use args::Cli;
pub use commands::Command;
