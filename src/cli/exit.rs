//! The exit-code contract, one place for every command:
//!
//! | code | meaning |
//! |---|---|
//! | 0 | success |
//! | 1 | the run worked but an objective or verdict failed (nothing met the SLOs, `plan` found nothing, a validation verdict failed) |
//! | 2 | bad input: command-line usage, a config, a trace, a results directory |
//! | 3 | a runtime or I/O failure: disk full, output refused by the OS, a process that failed to start |
//! | 4 | the run worked but a verdict is undecided: no point has nothing meeting the objectives, but some point's cheapest answer is not known at the confidence asked (more replications may decide; one replication is always undecided) |
//! | 130 | interrupted (SIGINT or SIGTERM) |
//!
//! Invariants: a command returns [`Exit`] for its outcome and an error for a
//! failure; [`Exit::of_error`] classifies every error, first by an explicit
//! [`Coded`] wrapper anywhere in its chain ([`bad_input`], [`failure`]), then
//! by the library's error types, then by an I/O error anywhere in the chain
//! (3); what remains is a refused argument (2). clap's own usage errors exit 2
//! and `--help` exits 0, which agrees.

use std::fmt;
use std::process::ExitCode;

use dofleet::experiment::config::ConfigError;
use dofleet::experiment::{OutputError, RecordError, RunError};
use dofleet::workload::TraceError;

/// What a command's exit code says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// 0: it worked and every objective held (or none was asked).
    Success,
    /// 1: it worked, but an objective or a verdict failed.
    ObjectiveFailed,
    /// 2: the input was refused (usage, config, trace, results directory).
    BadInput,
    /// 3: running failed (I/O, the operating system, a child process).
    Failure,
    /// 4: it worked, nothing definitely failed, but some answer is
    /// undecided at the confidence asked.
    Undecided,
    /// 130: stopped by SIGINT or SIGTERM.
    Interrupted,
}

impl Exit {
    /// The number the process exits with.
    pub fn code(self) -> u8 {
        match self {
            Exit::Success => 0,
            Exit::ObjectiveFailed => 1,
            Exit::BadInput => 2,
            Exit::Failure => 3,
            Exit::Undecided => 4,
            Exit::Interrupted => 130,
        }
    }

    /// The class of a failed command's error (see the module's rules).
    pub fn of_error(err: &anyhow::Error) -> Exit {
        for cause in err.chain() {
            if let Some(coded) = cause.downcast_ref::<Coded>() {
                return coded.exit;
            }
        }
        for cause in err.chain() {
            if let Some(exit) = library_class(cause) {
                return exit;
            }
        }
        if err
            .chain()
            .any(|cause| cause.downcast_ref::<std::io::Error>().is_some())
        {
            return Exit::Failure;
        }
        Exit::BadInput
    }
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> ExitCode {
        ExitCode::from(exit.code())
    }
}

/// The library's errors, by what they mean for the user.
fn library_class(cause: &(dyn std::error::Error + 'static)) -> Option<Exit> {
    if cause.is::<ConfigError>() || cause.is::<TraceError>() {
        return Some(Exit::BadInput);
    }
    if let Some(e) = cause.downcast_ref::<OutputError>() {
        return match e {
            OutputError::Io { .. } => Some(Exit::Failure),
            OutputError::Exists { .. }
            | OutputError::Refused { .. }
            | OutputError::Foreign { .. }
            | OutputError::Locked { .. }
            | OutputError::ForceAndResume
            | OutputError::Merge(_) => Some(Exit::BadInput),
            // Transparent wrappers: the chain skips the wrapped error.
            OutputError::Record(r) => Some(record_class(r)),
            OutputError::Run(_) => Some(Exit::Failure),
        };
    }
    if let Some(e) = cause.downcast_ref::<RecordError>() {
        return Some(record_class(e));
    }
    if cause.is::<RunError>() {
        return Some(Exit::Failure);
    }
    None
}

/// A record that cannot be read is an I/O failure; one that is corrupt or
/// foreign is a bad results directory.
fn record_class(e: &RecordError) -> Exit {
    match e {
        RecordError::Io { .. } => Exit::Failure,
        _ => Exit::BadInput,
    }
}

/// An error whose exit code was decided where it happened.
#[derive(Debug)]
pub struct Coded {
    exit: Exit,
    inner: anyhow::Error,
}

impl fmt::Display for Coded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `{:#}` keeps the inner chain on one line, as main prints errors.
        write!(f, "{:#}", self.inner)
    }
}

impl std::error::Error for Coded {}

/// Marks an error as bad input (exit 2), whatever it wraps (an unreadable
/// input file is an I/O error that means bad input).
pub fn bad_input(err: impl Into<anyhow::Error>) -> anyhow::Error {
    anyhow::Error::new(Coded {
        exit: Exit::BadInput,
        inner: err.into(),
    })
}

/// Marks an error as a runtime failure (exit 3), whatever it wraps.
pub fn failure(err: impl Into<anyhow::Error>) -> anyhow::Error {
    anyhow::Error::new(Coded {
        exit: Exit::Failure,
        inner: err.into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use anyhow::Context;

    fn io(kind: std::io::ErrorKind) -> std::io::Error {
        std::io::Error::new(kind, "test")
    }

    #[test]
    fn codes_are_the_documented_numbers() {
        let codes: Vec<u8> = [
            Exit::Success,
            Exit::ObjectiveFailed,
            Exit::BadInput,
            Exit::Failure,
            Exit::Undecided,
            Exit::Interrupted,
        ]
        .iter()
        .map(|e| e.code())
        .collect();
        assert_eq!(codes, [0, 1, 2, 3, 4, 130]);
    }

    #[test]
    fn an_io_error_under_context_is_a_failure() {
        let err = Err::<(), _>(io(std::io::ErrorKind::StorageFull))
            .context("cannot write summary.csv")
            .unwrap_err();
        assert_eq!(Exit::of_error(&err), Exit::Failure);
    }

    #[test]
    fn a_plain_refusal_is_bad_input() {
        assert_eq!(
            Exit::of_error(&anyhow::anyhow!("--threads must be at least 1")),
            Exit::BadInput
        );
    }

    #[test]
    fn an_explicit_code_wins_over_the_chain() {
        let err = bad_input(io(std::io::ErrorKind::NotFound)).context("reading the trace");
        assert_eq!(Exit::of_error(&err), Exit::BadInput);
        let err = failure(anyhow::anyhow!("workerd did not start"));
        assert_eq!(Exit::of_error(&err), Exit::Failure);
        assert_eq!(format!("{err:#}"), "workerd did not start");
    }

    #[test]
    fn library_errors_are_classified_by_meaning() {
        let exists = anyhow::Error::new(OutputError::Exists {
            dir: "out".into(),
            what: "summary.csv".into(),
            resumable: true,
        });
        assert_eq!(Exit::of_error(&exists), Exit::BadInput);
        let disk = anyhow::Error::new(OutputError::Io {
            path: "out/summary.csv".into(),
            source: io(std::io::ErrorKind::StorageFull),
        });
        assert_eq!(Exit::of_error(&disk), Exit::Failure);
        let corrupt = anyhow::Error::new(OutputError::Record(RecordError::Corrupt {
            path: "r.run".into(),
            why: "short".into(),
        }));
        assert_eq!(Exit::of_error(&corrupt), Exit::BadInput);
    }
}
