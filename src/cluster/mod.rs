//! Running an experiment on a cluster scheduler: a job array whose task `K`
//! runs shard `K/N` (`--shard`, 1-based) into its own directory, then one
//! job that merges the shards (`dofleet merge`).
//!
//! Invariants: the scripts name every path absolutely (tasks start on other
//! machines, in other directories) and quote every value that is not a
//! plain word, so a path with spaces or quotes reaches dofleet unchanged;
//! task numbers equal shard numbers (`--array=1-N`), so `sbatch --array=K`
//! reruns shard `K` alone. The merged results are byte-identical to an
//! unsharded run's (see [`crate::experiment`]).

mod shell;
mod slurm;

pub use shell::{sbatch_quote, shell_quote};
pub use slurm::{submit, SlurmError, SlurmJob, SlurmScripts};
