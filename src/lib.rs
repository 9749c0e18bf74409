//! dofleet: a discrete-event simulator of latency across a fleet of
//! Cloudflare Durable Objects running a WASM database (PGLite).
//!
//! # Ordering contract
//!
//! - Time is integer nanoseconds ([`time::Nanos`]).
//! - Arrivals and scheduled events are handled in `(time, sequence)` order;
//!   the sequence number is taken when the event is scheduled (for the next
//!   arrival: when it is drawn), so simultaneous events are FIFO.
//! - Idle evictions due at time `t` are handled after every arrival and event
//!   at `t`: a DO idle for exactly its timeout still serves a request that
//!   arrives at that instant. Compute-worker instances follow the same rule.
//! - A run's results are a pure function of its configuration, the seed and
//!   its identity (sweep point, replication): random streams are derived
//!   from those ([`engine::stream`]), never from threads, time or addresses.

pub mod api;
pub mod architectures;
pub mod atomic_write;
pub mod cluster;
pub mod dist;
pub mod engine;
pub mod experiment;
pub mod fleet;
pub mod metrics;
pub mod planner;
pub mod policies;
pub mod report;
pub mod sensitivity;
pub mod simulation;
pub mod testbed;
pub mod time;
pub mod validation;
pub mod workload;
