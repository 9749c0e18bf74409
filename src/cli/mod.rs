//! The command line: clap's definition ([`args`]) apart from the validated
//! commands it becomes ([`commands`]).

mod args;
mod commands;
pub mod exit;
mod fit;

pub use args::Cli;
pub use commands::Command;
pub use exit::Exit;
