//! Partial loading: a core module first (a share of compile and init), an
//! extension loaded on the first query that needs it.

/// `[partial_loading]`.
#[derive(Debug, Clone, PartialEq)]
pub struct PartialLoading {
    /// Share of compile and init that the core module takes.
    pub core_fraction: f64,
    /// Share of queries that need the extension.
    pub extension_fraction: f64,
}
