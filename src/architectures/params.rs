//! What an architecture is, as configured: the four architectures, the
//! platform's runtime-compile setting they run under, the start-up phase
//! durations (`[phases]`) and the lazy loading strategy (`[lazy]`).

use crate::dist::Dist;

/// The four ways of running PGLite in a Durable Object (MODEL.md section 5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Architecture {
    /// WASM bundled, loaded in the constructor; requests queue behind it.
    Traditional,
    /// WASM bundled, loaded in the background; early requests delegated.
    Hybrid,
    /// No WASM in the DO: every query delegated.
    Thin,
    /// WASM fetched from cache/R2 at runtime, loaded in the background.
    Lazy,
}

impl Architecture {
    /// All architectures, in the seed's table order.
    pub const ALL: [Architecture; 4] = [
        Architecture::Traditional,
        Architecture::Hybrid,
        Architecture::Thin,
        Architecture::Lazy,
    ];

    /// The config and CSV name.
    pub fn name(self) -> &'static str {
        match self {
            Architecture::Traditional => "traditional",
            Architecture::Hybrid => "hybrid",
            Architecture::Thin => "thin",
            Architecture::Lazy => "lazy",
        }
    }

    /// The seed's display name.
    pub fn title(self) -> &'static str {
        match self {
            Architecture::Traditional => "Traditional",
            Architecture::Hybrid => "Hybrid",
            Architecture::Thin => "Thin State",
            Architecture::Lazy => "Lazy WASM",
        }
    }

    /// Whether the worker bundle carries the WASM (large bundle, slower
    /// isolate start, bundle memory).
    pub fn bundles_wasm(self) -> bool {
        matches!(self, Architecture::Traditional | Architecture::Hybrid)
    }

    /// Parses a config name.
    pub fn from_name(name: &str) -> Option<Architecture> {
        Architecture::ALL.into_iter().find(|a| a.name() == name)
    }
}

/// What the platform does with runtime WASM compilation (MODEL.md section 5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum WasmCompile {
    /// Cloudflare Workers today: `WebAssembly.compile()` is disallowed by the
    /// embedder; a lazy load fails at its compile phase.
    Blocked,
    /// Hypothetical: runtime compilation works.
    Allowed,
    /// The fetched bytes go to the Dynamic Worker Loader, which compiles them
    /// at load time (a loader isolate start plus the platform's compile).
    Loader,
}

impl WasmCompile {
    /// All values.
    pub const ALL: [WasmCompile; 3] = [
        WasmCompile::Blocked,
        WasmCompile::Allowed,
        WasmCompile::Loader,
    ];

    /// The config and CSV name.
    pub fn name(self) -> &'static str {
        match self {
            WasmCompile::Blocked => "blocked",
            WasmCompile::Allowed => "allowed",
            WasmCompile::Loader => "loader",
        }
    }

    /// Parses a config name.
    pub fn from_name(name: &str) -> Option<WasmCompile> {
        WasmCompile::ALL.into_iter().find(|a| a.name() == name)
    }
}

/// One entry of `architectures`: an architecture and the platform setting it
/// runs under (only `lazy` is affected by `runtime_wasm_compile`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ArchitectureVariant {
    pub architecture: Architecture,
    pub runtime_wasm_compile: WasmCompile,
}

impl ArchitectureVariant {
    /// A label unique within an experiment: `lazy` under the default platform
    /// setting, `lazy (allowed)` otherwise.
    pub fn label(&self, default_compile: WasmCompile) -> String {
        if self.architecture == Architecture::Lazy && self.runtime_wasm_compile != default_compile {
            format!(
                "{} ({})",
                self.architecture.name(),
                self.runtime_wasm_compile.name()
            )
        } else {
            self.architecture.name().to_string()
        }
    }
}

/// `[phases]`: the durations of each start-up and load phase.
#[derive(Debug, Clone, PartialEq)]
pub struct Phases {
    /// Isolate start and constructor of a small (no-WASM) bundle.
    pub isolate_start: Dist,
    /// Isolate start of a bundle that carries the WASM (traditional, hybrid).
    pub isolate_start_bundled: Dist,
    /// Lazy: checking the Cache API for the WASM.
    pub cache_check: Dist,
    /// Lazy: fetching the WASM from R2 on a cache miss.
    pub r2_fetch: Dist,
    /// Reading the PGLite data buffer.
    pub data_read: Dist,
    /// Compiling the WASM module.
    pub wasm_compile: Dist,
    /// Initialising PGLite.
    pub pglite_init: Dist,
    /// Lazy with `runtime_wasm_compile = "loader"`: starting the loader isolate.
    pub loader_isolate_start: Dist,
    /// Lazy with `runtime_wasm_compile = "loader"`: the platform's compile.
    pub loader_compile: Dist,
}

/// `[lazy]`: the lazy architecture's loading strategy (the seed's).
#[derive(Debug, Clone, PartialEq)]
pub struct Lazy {
    /// Probability that the cache check finds the WASM.
    pub cache_hit_ratio: f64,
    /// Whether the WASM and the data bundle are fetched in parallel.
    pub parallel_fetch: bool,
}
