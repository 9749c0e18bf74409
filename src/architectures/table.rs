//! What each architecture is, in one table (MODEL.md section 5), and where
//! a request to a resident DO goes ([`route`]).
//!
//! | | bundles WASM | loads a runtime | before ready | after ready |
//! |---|---|---|---|---|
//! | traditional | yes | in the constructor (blocking) | wait on the slot | local |
//! | hybrid | yes | in the background | delegate | local |
//! | thin | no | no | delegate | (never ready) |
//! | lazy | no | fetched, in the background | delegate | local |
//!
//! Everything else the simulator and the planner need about an
//! architecture follows from its row: the isolate start it pays (bundled or
//! not), the memory a resident DO holds ([`Footprint`]), which events a
//! start needs, and the route of each request.

use super::Architecture;
use super::Memory;
use crate::time::Nanos;

/// What requests that reach a running DO before its runtime is ready do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BeforeReady {
    /// They queue on the DO's execution slot behind the load (the
    /// constructor loads PGLite before it returns).
    Wait,
    /// They are delegated to the compute worker.
    Delegate,
}

/// One row of the architecture table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Traits {
    /// The worker bundle carries the WASM: a larger bundle, a slower
    /// isolate start, the bundle's memory.
    pub bundles_wasm: bool,
    /// The DO loads a PGLite runtime (in the constructor or after it).
    pub loads_runtime: bool,
    /// What requests do while the runtime is not ready.
    pub before_ready: BeforeReady,
}

impl Traits {
    /// Whether requests wait for the load rather than being delegated:
    /// the constructor then blocks until the load ends.
    #[inline]
    pub fn waits_for_load(&self) -> bool {
        self.before_ready == BeforeReady::Wait
    }
}

/// The table, indexed by [`Architecture`] (in [`Architecture::ALL`] order).
const TABLE: [Traits; 4] = [
    // Traditional
    Traits {
        bundles_wasm: true,
        loads_runtime: true,
        before_ready: BeforeReady::Wait,
    },
    // Hybrid
    Traits {
        bundles_wasm: true,
        loads_runtime: true,
        before_ready: BeforeReady::Delegate,
    },
    // Thin
    Traits {
        bundles_wasm: false,
        loads_runtime: false,
        before_ready: BeforeReady::Delegate,
    },
    // Lazy
    Traits {
        bundles_wasm: false,
        loads_runtime: true,
        before_ready: BeforeReady::Delegate,
    },
];

impl Architecture {
    /// This architecture's row of the table.
    #[inline]
    pub fn traits(self) -> &'static Traits {
        &TABLE[self as usize]
    }

    /// Whether the worker bundle carries the WASM (large bundle, slower
    /// isolate start, bundle memory).
    #[inline]
    pub fn bundles_wasm(self) -> bool {
        self.traits().bundles_wasm
    }

    /// What one resident DO holds, by part.
    pub fn footprint(self, memory: &Memory) -> Footprint {
        let traits = self.traits();
        let bundle = if traits.bundles_wasm {
            memory.bundle_mb
        } else {
            0.0
        };
        Footprint {
            resident_mb: memory.do_base_mb + bundle,
            runtime_mb: memory.runtime_mb,
            loads_runtime: traits.loads_runtime,
        }
    }
}

/// The memory of one resident DO of an architecture: what it holds while
/// resident, and what its runtime adds while it loads or is loaded.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Footprint {
    /// The DO's base and, if bundled, the bundle, MB.
    pub resident_mb: f64,
    /// The PGLite runtime, MB (held only by architectures that load one).
    pub runtime_mb: f64,
    /// Whether the architecture loads a runtime.
    pub loads_runtime: bool,
}

impl Footprint {
    /// The most a resident DO holds, MB: its base and bundle, plus the
    /// runtime if the architecture loads one.
    pub fn max_mb(&self) -> f64 {
        let runtime = if self.loads_runtime {
            self.runtime_mb
        } else {
            0.0
        };
        self.resident_mb + runtime
    }

    /// [`Self::resident_mb`] in KiB.
    pub fn resident_kib(&self) -> u64 {
        mb_to_kib(self.resident_mb)
    }

    /// [`Self::runtime_mb`] in KiB.
    pub fn runtime_kib(&self) -> u64 {
        mb_to_kib(self.runtime_mb)
    }

    /// What a start reserves on its host, KiB: resident, plus the runtime
    /// if the architecture loads one.
    pub fn reserve_kib(&self) -> u64 {
        self.resident_kib()
            + if self.loads_runtime {
                self.runtime_kib()
            } else {
                0
            }
    }
}

/// Megabytes to KiB, rounded.
pub fn mb_to_kib(mb: f64) -> u64 {
    (mb * 1024.0).round() as u64
}

/// What the router knows of a resident DO when a request reaches it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DoView {
    /// The isolate start and constructor are still running.
    pub starting: bool,
    /// The runtime is ready: queries can run locally now.
    pub ready: bool,
}

/// Where a request to a resident DO goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// Runs on the DO's execution slot from now: its runtime is ready.
    Local,
    /// Runs on the DO's execution slot, not before `from`, behind what the
    /// DO must do first (the constructor's load, an extension's load, a
    /// load a policy chose to wait for).
    Queue { from: Nanos },
    /// Goes to the compute worker.
    Delegate,
    /// Waits for the constructor to finish, then is routed again.
    AfterConstructor,
    /// Waits until `at` (a load that will fail ends then), then is routed
    /// again as a request to the DO as it is.
    RetryAt { at: Nanos },
}

/// Where a request reaching a resident DO of `traits` at `now` goes, before
/// policies refine it.
#[inline]
pub fn route(traits: &Traits, view: DoView, now: Nanos) -> Route {
    if view.ready && !view.starting {
        Route::Local
    } else if traits.waits_for_load() {
        Route::Queue { from: now }
    } else if view.starting {
        Route::AfterConstructor
    } else {
        Route::Delegate
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::experiment::config::load_default;

    #[test]
    fn the_table_matches_the_architectures() {
        use Architecture::*;
        for arch in Architecture::ALL {
            let t = arch.traits();
            assert_eq!(t.bundles_wasm, matches!(arch, Traditional | Hybrid));
            assert_eq!(t.loads_runtime, arch != Thin);
            assert_eq!(t.waits_for_load(), arch == Traditional);
        }
    }

    #[test]
    fn footprints_add_their_parts() {
        let memory = load_default().unwrap().memory;
        for arch in Architecture::ALL {
            let f = arch.footprint(&memory);
            let bundle = if arch.bundles_wasm() {
                memory.bundle_mb
            } else {
                0.0
            };
            let runtime = if arch == Architecture::Thin {
                0.0
            } else {
                memory.runtime_mb
            };
            assert_eq!(f.max_mb(), memory.do_base_mb + bundle + runtime, "{arch:?}");
            assert_eq!(
                f.reserve_kib(),
                mb_to_kib(memory.do_base_mb + bundle) + mb_to_kib(runtime),
                "{arch:?}"
            );
        }
    }

    #[test]
    fn routes_follow_the_table() {
        let now = 7;
        let view = |starting, ready| DoView { starting, ready };
        let t = Architecture::Traditional.traits();
        assert_eq!(route(t, view(true, false), now), Route::Queue { from: now });
        assert_eq!(
            route(t, view(false, false), now),
            Route::Queue { from: now }
        );
        assert_eq!(route(t, view(false, true), now), Route::Local);
        for arch in [Architecture::Hybrid, Architecture::Lazy, Architecture::Thin] {
            let t = arch.traits();
            assert_eq!(route(t, view(true, false), now), Route::AfterConstructor);
            assert_eq!(route(t, view(false, false), now), Route::Delegate);
        }
        assert_eq!(
            route(Architecture::Hybrid.traits(), view(false, true), now),
            Route::Local
        );
    }
}
