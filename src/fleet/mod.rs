//! The fleet: Durable Objects, their idle-eviction timers, and the compute
//! worker that delegated requests go to.

mod compute_worker;
mod durable_object;
mod expiry;

pub use compute_worker::{ComputePool, Dispatched};
pub use durable_object::{DoState, LoadState, Status, NEVER, NO_TIMER};
pub use expiry::ExpiryQueue;
