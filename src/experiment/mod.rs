//! Experiments: the runs a configuration asks for, run in parallel, saved
//! as records, and gathered per (sweep point, architecture).
//!
//! Invariant: results are identical, to the byte once written, whatever the
//! number of threads, interruptions or shards: each run is single-threaded
//! and seeded by its identity alone, and aggregates are computed from the
//! set of run records in canonical order.

pub mod config;
mod estimate;
mod manifest;
mod merge;
mod out_dir;
mod output;
mod plan;
mod record;
mod results;
mod runner;
mod shard;
mod timeline;

pub use estimate::{check_in_turn, machine_memory, Estimate, EstimateError, Limits};
pub use manifest::{Machine, Manifest};
pub use merge::merge_dirs;
pub use out_dir::{inspect as inspect_out_dir, resolve as resolve_out_dir, REPORT};
pub use output::{
    manifest_of, run_to_dir, AggregateWriter, DirOutcome, OutputError, OutputOptions,
};
pub use plan::{Experiment, Point, RunSpec};
pub use record::{record_name, RecordError, RunRecord};
pub use results::{ExperimentResults, ResultRow, Stat};
pub(crate) use runner::progress_bar;
pub use runner::{run_experiment, run_runs, RunCounts, RunError, RunOptions};
pub use shard::Shard;
pub use timeline::{observe_timeline, observe_timelines, ObservedTimeline, Trace};
