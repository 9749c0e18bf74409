//! The command line: clap's definition ([`args`]) apart from the validated
//! commands it becomes ([`commands`]).
//!
//! Every module of `cli/` prints through [`stdout`]: `println!` and
//! `print!` below shadow std's, so a closed pipe or a full disk never
//! panics the command.

mod stdout;

macro_rules! println {
    () => {
        $crate::cli::stdout::write_out(format_args!(""), true)
    };
    ($($arg:tt)*) => {
        $crate::cli::stdout::write_out(format_args!($($arg)*), true)
    };
}

macro_rules! print {
    ($($arg:tt)*) => {
        $crate::cli::stdout::write_out(format_args!($($arg)*), false)
    };
}

mod args;
mod commands;
pub mod exit;
mod fit;
mod objectives;
mod sensitivity;
mod testbed;
mod validate;

pub use args::Cli;
pub use commands::Command;
pub use exit::Exit;
pub use stdout::failure as stdout_failure;
