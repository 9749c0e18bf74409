//! Configuration: TOML layers (the embedded default model, an experiment
//! file, `--set` overrides) loaded into a validated [`Config`].

mod model;

pub use model::*;

/// The default model, `models/cloudflare.toml`, compiled into the binary.
pub const DEFAULT_MODEL: &str = include_str!("../../models/cloudflare.toml");
