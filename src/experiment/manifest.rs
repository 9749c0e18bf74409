//! `manifest.toml`: what produced an output directory.

use serde::{Deserialize, Serialize};

/// The manifest of an output directory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub dofleet_version: String,
    /// The git commit dofleet was built from ("unknown" outside a checkout).
    pub git_commit: String,
    pub experiment: String,
    /// The experiment's fingerprint, hexadecimal.
    pub fingerprint: String,
    pub seed: u64,
    /// `complete`, `running`, `interrupted`, or `shard` (a complete shard).
    pub status: String,
    /// `K/N` for a shard, empty otherwise.
    pub shard: String,
    pub runs_total: usize,
    /// Run records in this directory.
    pub runs_present: usize,
    pub threads: usize,
    pub wall_time_s: f64,
    /// Seconds since the Unix epoch when the directory was last written.
    pub written_unix_s: u64,
    pub machine: Machine,
}

/// The machine that wrote a directory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Machine {
    pub os: String,
    pub arch: String,
    pub cpus: usize,
    pub hostname: String,
}

impl Machine {
    /// This machine.
    pub fn this() -> Machine {
        let hostname = std::fs::read_to_string("/etc/hostname")
            .map(|s| s.trim().to_string())
            .ok()
            .filter(|s| !s.is_empty())
            .or_else(|| std::env::var("HOSTNAME").ok())
            .unwrap_or_else(|| "unknown".into());
        Machine {
            os: std::env::consts::OS.into(),
            arch: std::env::consts::ARCH.into(),
            cpus: std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1),
            hostname,
        }
    }
}

/// The git commit recorded at build time.
pub fn git_commit() -> &'static str {
    option_env!("DOFLEET_GIT_COMMIT").unwrap_or("unknown")
}

/// Seconds since the Unix epoch.
pub fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}
