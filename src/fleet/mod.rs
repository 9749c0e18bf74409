//! The fleet: Durable Objects, their idle-eviction timers, the hosts whose
//! memory they share, and the compute worker that delegated requests go to.

mod compute_worker;
mod durable_object;
mod expiry;
mod hosts;
mod isolate;
mod params;
mod states;

pub use compute_worker::{ComputePool, Dispatched};
pub use durable_object::{DoState, LoadState, Status, NEVER, NO_TIMER};
pub use expiry::ExpiryQueue;
pub use hosts::{HostFleet, PendingRequest, Victim};
pub use isolate::{
    isolate_of, isolates_for, members, CpuPhases, CpuWork, IsolateMemory, IsolateParams, Piece,
    Threads,
};
pub use params::{Compute, DurableObject, Hosts, Network, WhenFull};
pub use states::{fleet_states, recycle_states, zeroed_states, States, HUGE_PAGES_UP_TO_TENANTS};
