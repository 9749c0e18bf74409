//! The command line: clap's definition ([`args`]) apart from the validated
//! commands it becomes ([`commands`]).

mod args;
mod commands;
mod fit;
mod testbed;
mod validate;

pub use args::Cli;
pub use commands::Command;
