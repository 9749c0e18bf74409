//! The seed's "Future Improvements" as policies (MODEL.md section 7).
//!
//! Each is a switch in `policies`, and they combine. Where each acts:
//! - streaming: the lazy load's plan (`architecture::plan_start`): compile
//!   overlaps the WASM transfer;
//! - tiered caching: where the lazy load finds its WASM (`fleet::WasmCaches`);
//! - partial loading: the plan (core module) and the simulator (extension
//!   on first need);
//! - smart delegation: [`smart_delegation`], consulted by the simulator when
//!   a request meets a load in progress;
//! - prewarming: [`prewarm`], whose predictors the simulator feeds and asks.
//!
//! Invariant: a policy that is not enabled draws no random number and changes
//! no state, so the output is exactly the baseline's (tested).

pub mod prewarm;
pub mod smart_delegation;
