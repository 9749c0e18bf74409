//! The discrete-event core: simulated time, the event queue and random
//! streams.
//!
//! Invariants:
//! - Time is integer nanoseconds ([`crate::time::Nanos`]) and never goes
//!   backwards: an event is never scheduled before the event being handled.
//! - Events are handled in `(time, sequence)` order, where the sequence number
//!   is the order in which they were scheduled: ties at equal times are FIFO.
//! - Random numbers come from streams derived from `(seed, identity)` by
//!   [`stream`], so a run's results depend only on its configuration, its seed
//!   and its identity, never on threads or on other runs.

mod queue;
mod rng;
mod wheel;

pub use queue::{EventQueue, Scheduled};
pub use rng::{derive_seed, stream, SimRng};
pub use wheel::{prefetch, Wheel, WheelKey};
