//! Experiments: the runs a configuration asks for, run in parallel, and
//! their results gathered per (sweep point, architecture).
//!
//! Invariant: results are identical, to the byte once written, whatever the
//! number of threads: each run is single-threaded and seeded by its identity
//! alone, and results are put back in run order before anything is
//! aggregated.

mod plan;
mod results;
mod runner;

pub use plan::{Experiment, Point, RunSpec};
pub use results::{ExperimentResults, ResultRow, Stat};
pub use runner::{run_experiment, RunOptions};
