//! Experiments: the runs a configuration asks for, run in parallel, saved
//! as records, and gathered per (sweep point, architecture).
//!
//! Invariant: results are identical, to the byte once written, whatever the
//! number of threads, interruptions or shards: each run is single-threaded
//! and seeded by its identity alone, and aggregates are computed from the
//! set of run records in canonical order.

pub mod config;
mod manifest;
mod merge;
mod output;
mod plan;
mod record;
mod results;
mod runner;
mod shard;

pub use manifest::{Machine, Manifest};
pub use merge::merge_dirs;
pub use output::{run_to_dir, DirOutcome, OutputError, OutputOptions};
pub use plan::{Experiment, Point, RunSpec};
pub use record::{record_name, RecordError, RunRecord};
pub use results::{ExperimentResults, ResultRow, Stat};
pub use runner::{run_experiment, run_runs, RunError, RunOptions};
pub use shard::Shard;
