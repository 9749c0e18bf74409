//! dofleet: a discrete-event simulator of latency across a fleet of
//! Cloudflare Durable Objects running a WASM database (PGLite).

pub mod config;
pub mod dist;
pub mod engine;
pub mod time;
