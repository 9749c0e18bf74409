//! The runs of an experiment.

use crate::config::{ArchitectureVariant, Config};
use crate::simulation::RunIdentity;

/// One sweep point: a complete configuration and the swept values that made
/// it (empty for an experiment without a sweep).
#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    pub config: Config,
    /// `(dotted key, value as written)` for each swept key.
    pub swept: Vec<(String, String)>,
}

/// An experiment: its name and its points.
#[derive(Debug, Clone, PartialEq)]
pub struct Experiment {
    pub name: String,
    pub points: Vec<Point>,
}

/// One run: a point, an architecture of that point, a replication.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RunSpec {
    pub point: usize,
    pub variant: usize,
    pub replication: u32,
}

impl Experiment {
    /// An experiment of one point.
    pub fn single(name: impl Into<String>, config: Config) -> Self {
        Self {
            name: name.into(),
            points: vec![Point {
                config,
                swept: Vec::new(),
            }],
        }
    }

    /// Every run, in canonical order: point, then architecture, then
    /// replication.
    pub fn runs(&self) -> Vec<RunSpec> {
        let mut runs = Vec::new();
        for (p, point) in self.points.iter().enumerate() {
            for v in 0..point.config.architectures.len() {
                for r in 0..point.config.replications {
                    runs.push(RunSpec {
                        point: p,
                        variant: v,
                        replication: r,
                    });
                }
            }
        }
        runs
    }

    /// The configuration and architecture of a run.
    pub fn resolve(&self, run: RunSpec) -> (&Config, ArchitectureVariant) {
        let config = &self.points[run.point].config;
        (config, config.architectures[run.variant])
    }

    /// The random-stream identity of a run.
    pub fn identity(&self, run: RunSpec) -> RunIdentity {
        let config = &self.points[run.point].config;
        RunIdentity {
            seed: config.seed,
            point: run.point as u64,
            replication: u64::from(run.replication),
        }
    }
}
