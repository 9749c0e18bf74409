//! Stopping runs in progress: the process was asked to stop (Ctrl-C,
//! SIGTERM), and every run stops within a few milliseconds, reporting
//! itself interrupted (its results are then dropped, not recorded: it is
//! run again from scratch on `--resume`).
//!
//! The request is process-wide, as signals are. The loop reads it once
//! every [`CHECK_EVERY`] steps: one increment and a predictable branch per
//! step, and at ten million steps a second a stop within a millisecond.

use std::sync::atomic::{AtomicBool, Ordering};

static STOP: AtomicBool = AtomicBool::new(false);

/// Steps of the event loop between two reads of the request (a power of
/// two).
pub(super) const CHECK_EVERY: u32 = 1 << 14;

/// Asks every run in progress, and every run started later, to stop.
pub fn request_stop() {
    STOP.store(true, Ordering::SeqCst);
}

/// Whether a stop was requested.
#[inline]
pub fn stop_requested() -> bool {
    STOP.load(Ordering::Relaxed)
}
