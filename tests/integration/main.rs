//! dofleet's integration tests: one binary, a module per behaviour.
//!
//! Statistical tests compare the simulator with a closed form or an
//! independent computation; each tolerance is derived from a standard error
//! (stated next to it), so a test can fail when the model is wrong.

mod capacity;
mod charts;
mod cli;
mod closed_forms;
mod common;
mod cpu_billing;
mod determinism;
mod exit_codes;
mod exports;
mod fuzz;
mod hostile;
mod invariants;
mod isolates;
mod output_dirs;
mod planning;
mod policies;
mod policy_ceilings;
mod resolved_config;
mod seed_tables;
mod sensitivity;
mod shard_reruns;
mod slurm;
mod snapshots;
mod traffic;
