//! The runs of an experiment.

use crate::architectures::ArchitectureVariant;
use crate::experiment::config::ExperimentSpec;
use crate::simulation::Config;
use crate::simulation::RunIdentity;

/// One sweep point: a complete configuration and the swept values that made
/// it (empty for an experiment without a sweep).
#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    pub config: Config,
    /// `(dotted key, value as a CSV cell)` for each swept key.
    pub swept: Vec<(String, String)>,
}

/// An experiment: its name, its points, and its resolved text (every default
/// explicit), which identifies it.
#[derive(Debug, Clone, PartialEq)]
pub struct Experiment {
    pub name: String,
    pub points: Vec<Point>,
    /// The resolved experiment as TOML; written to `config.toml`.
    pub resolved: String,
}

/// One run: a point, an architecture of that point, a replication.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RunSpec {
    pub point: usize,
    pub variant: usize,
    pub replication: u32,
}

impl Experiment {
    /// An experiment of one point.
    pub fn single(name: impl Into<String>, config: Config) -> Self {
        let resolved = config.to_toml();
        Self {
            name: name.into(),
            points: vec![Point {
                config,
                swept: Vec::new(),
            }],
            resolved,
        }
    }

    /// The experiment an experiment file describes.
    pub fn from_spec(spec: ExperimentSpec) -> Self {
        let resolved = spec.to_toml();
        let points = spec
            .points
            .into_iter()
            .map(|p| Point {
                config: p.config,
                swept: p.swept,
            })
            .collect();
        Self {
            name: spec.name,
            points,
            resolved,
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

    /// Whether `run` names a run of this experiment.
    pub fn contains(&self, run: RunSpec) -> bool {
        self.points.get(run.point).is_some_and(|p| {
            run.variant < p.config.architectures.len() && run.replication < p.config.replications
        })
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
            replication: u64::from(run.replication),
        }
    }

    /// A stable 64-bit fingerprint of the experiment and the dofleet
    /// version: records and shards of different experiments never mix.
    pub fn fingerprint(&self) -> u64 {
        // FNV-1a: stable across machines and Rust versions, unlike
        // `std::hash`.
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in env!("CARGO_PKG_VERSION")
            .bytes()
            .chain([0])
            .chain(self.resolved.bytes())
        {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        h
    }
}
