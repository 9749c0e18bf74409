//! Standard output that a closed pipe or a full disk cannot crash.
//!
//! Inside `cli/`, `println!` and `print!` are this module's macros (defined
//! in `cli/mod.rs` before the modules that print, they shadow std's, whose
//! failure is a panic). Once the reader has gone (`| head -1`), further
//! output is dropped and the command carries on (its results are files);
//! any other failure (`> /dev/full`) is kept, and `main` reports it with the
//! exit code of an I/O failure once the command is done.

use std::io::{self, Write};
use std::sync::Mutex;

/// Why standard output stopped, once it has.
static STOPPED: Mutex<Option<Stopped>> = Mutex::new(None);

#[derive(Debug, Clone)]
enum Stopped {
    /// The reader closed the pipe.
    Closed,
    /// Writing failed otherwise.
    Failed(String),
}

/// Writes `args` (and a newline) to standard output, flushed, unless it
/// already failed.
pub fn write_out(args: std::fmt::Arguments<'_>, newline: bool) {
    let mut stopped = STOPPED.lock().unwrap_or_else(|p| p.into_inner());
    if stopped.is_some() {
        return;
    }
    let mut out = io::stdout().lock();
    let written = out
        .write_fmt(args)
        .and_then(|()| {
            if newline {
                out.write_all(b"\n")
            } else {
                Ok(())
            }
        })
        .and_then(|()| out.flush());
    if let Err(e) = written {
        *stopped = Some(if e.kind() == io::ErrorKind::BrokenPipe {
            Stopped::Closed
        } else {
            Stopped::Failed(e.to_string())
        });
    }
}

/// The failure to report, if writing to standard output failed other than
/// by the reader closing it.
pub fn failure() -> Option<String> {
    match &*STOPPED.lock().unwrap_or_else(|p| p.into_inner()) {
        Some(Stopped::Failed(why)) => Some(why.clone()),
        _ => None,
    }
}
