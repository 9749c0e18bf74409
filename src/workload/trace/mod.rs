//! Trace replay: the requests of a file, in time order, as arrivals.
//!
//! Two layouts, told apart by the first line:
//! - **requests**: one request a row, `timestamp_ms,tenant` (header
//!   optional; with a header the two columns may be anywhere among others).
//!   Timestamps are milliseconds, a decimal fraction allowed (kept to the
//!   nanosecond); time zero is the first row's timestamp; rows must be in
//!   non-decreasing time order.
//! - **azure**: the Azure Functions 2019 trace, invocations per function
//!   per minute, `HashOwner,HashApp,HashFunction,Trigger,1,2,...,1440`; a
//!   function or an app is a tenant ([`TraceTenant`]); each minute's counts
//!   are spread within the minute ([`TraceSpread`]); time zero is the start
//!   of minute 1.
//!
//! Lines starting with `#` are comments; fields may be quoted (CSV,
//! within a line).
//!
//! [`trace_index`] reads a file once, checking every row, and maps its
//! tenants to dense indices `0..tenants` in order of first appearance: the
//! only memory that grows with the file is this map (and, for the Azure
//! layout, one index per row). A [`TraceReplay`] then streams the file
//! again, allocating nothing per request; it stops with an error (rather
//! than panicking) if the file changed since it was indexed.
//!
//! Invariants: replayed times never decrease; every tenant is below
//! [`TraceIndex::tenants`]; an error names the file and, where it has one,
//! the line.

mod azure;
mod fenwick;
mod lines;
mod requests;

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use lines::{Lines, Record};

use super::{Arrival, ArrivalProcess};
use crate::engine::SimRng;
use crate::time::Nanos;
use crate::workload::{TraceSpread, TraceTenant};

/// The most tenants a trace may have (as `workload.tenants`).
pub const MAX_TRACE_TENANTS: u64 = 100_000_000;

/// A trace that cannot be read: the file, the 1-based line if the problem
/// is on one, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceError {
    pub path: PathBuf,
    pub line: Option<u64>,
    pub message: String,
}

impl TraceError {
    pub(crate) fn at(path: &Path, line: Option<u64>, message: impl Into<String>) -> Self {
        TraceError {
            path: path.to_path_buf(),
            line,
            message: message.into(),
        }
    }
}

impl fmt::Display for TraceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}, line {line}: {}", self.path.display(), self.message),
            None => write!(f, "{}: {}", self.path.display(), self.message),
        }
    }
}

impl std::error::Error for TraceError {}

/// The layout of a trace file and what replaying it needs.
#[derive(Debug, Clone)]
pub(crate) enum Layout {
    Requests(requests::RequestsIndex),
    Azure(azure::AzureIndex),
}

/// What one reading of a trace found: its layout, tenants and extent.
#[derive(Debug)]
pub struct TraceIndex {
    path: PathBuf,
    tenant_by: TraceTenant,
    layout: Layout,
    tenants: u32,
    requests: u64,
    span: Nanos,
}

impl TraceIndex {
    /// Reads and checks the whole file at `path`.
    pub fn read(path: &Path, tenant_by: TraceTenant) -> Result<TraceIndex, TraceError> {
        let mut reader = Lines::open(path)?;
        let mut record = Record::default();
        let first = reader.next(&mut record, path)?;
        if !first {
            return Err(TraceError::at(
                path,
                None,
                "the trace holds no request (the file is empty or all comments)",
            ));
        }
        if record
            .get(0)
            .is_some_and(|field| field.starts_with(b"\xEF\xBB\xBF"))
        {
            return Err(TraceError::at(
                path,
                None,
                "the file starts with a UTF-8 byte-order mark (bytes EF BB BF), which some \
                 editors add: save it without one (as plain UTF-8)",
            ));
        }
        let index = if azure::is_header(&record) {
            let (mut index, tenants, requests, span) =
                azure::AzureIndex::read(path, &record, &mut reader, tenant_by)?;
            index.content = reader.content_hash();
            TraceIndex {
                path: path.to_path_buf(),
                tenant_by,
                layout: Layout::Azure(index),
                tenants,
                requests,
                span,
            }
        } else {
            let (mut index, tenants, requests, span) =
                requests::RequestsIndex::read(path, &record, &mut reader)?;
            index.content = reader.content_hash();
            TraceIndex {
                path: path.to_path_buf(),
                tenant_by,
                layout: Layout::Requests(index),
                tenants,
                requests,
                span,
            }
        };
        Ok(index)
    }

    /// FNV-1a of the file's bytes as read: part of the experiment's
    /// identity, and checked again by every run that replays it.
    pub fn content_hash(&self) -> u64 {
        match &self.layout {
            Layout::Requests(index) => index.content,
            Layout::Azure(index) => index.content,
        }
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// `"requests"` or `"azure"`.
    pub fn layout_name(&self) -> &'static str {
        match self.layout {
            Layout::Requests(_) => "requests",
            Layout::Azure(_) => "azure",
        }
    }

    /// The distinct tenants (dense indices `0..tenants`).
    pub fn tenants(&self) -> u32 {
        self.tenants
    }

    /// The requests recorded (Azure: the sum of the per-minute counts).
    pub fn requests(&self) -> u64 {
        self.requests
    }

    /// The time the trace covers: from the first to the last request
    /// (requests layout), or its minutes (Azure).
    pub fn span(&self) -> Nanos {
        self.span
    }

    /// How a tenant was defined (Azure layout).
    pub fn tenant_by(&self) -> TraceTenant {
        self.tenant_by
    }
}

impl PartialEq for TraceIndex {
    /// Two readings are equal when they read the same file the same way
    /// and found the same tenants and requests.
    fn eq(&self, other: &Self) -> bool {
        self.path == other.path
            && self.tenant_by == other.tenant_by
            && self.layout_name() == other.layout_name()
            && self.tenants == other.tenants
            && self.requests == other.requests
            && self.span == other.span
            && self.content_hash() == other.content_hash()
    }
}

/// What identifies a reading of a file in the cache.
#[derive(Debug, Clone, PartialEq)]
struct CacheKey {
    path: PathBuf,
    tenant_by: TraceTenant,
    len: u64,
    modified: Option<SystemTime>,
}

/// Readings kept for reuse (a sweep resolves its configuration once per
/// point); the oldest are dropped beyond this many.
const CACHE_ENTRIES: usize = 4;

type Cache = Mutex<Vec<(CacheKey, Arc<TraceIndex>)>>;

static CACHE: Cache = Mutex::new(Vec::new());

/// The index of the trace at `path`, read once per process while the file
/// is unchanged (same length and modification time).
pub fn trace_index(path: &Path, tenant_by: TraceTenant) -> Result<Arc<TraceIndex>, TraceError> {
    let meta = std::fs::metadata(path)
        .map_err(|e| TraceError::at(path, None, format!("cannot read the trace: {e}")))?;
    let key = CacheKey {
        path: path.to_path_buf(),
        tenant_by,
        len: meta.len(),
        modified: meta.modified().ok(),
    };
    {
        let cache = CACHE.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((_, index)) = cache.iter().find(|(k, _)| *k == key) {
            return Ok(index.clone());
        }
    }
    let index = Arc::new(TraceIndex::read(path, tenant_by)?);
    let mut cache = CACHE.lock().unwrap_or_else(|p| p.into_inner());
    cache.retain(|(k, _)| k.path != key.path || k.tenant_by != key.tenant_by);
    if cache.len() >= CACHE_ENTRIES {
        cache.remove(0);
    }
    cache.push((key, index.clone()));
    Ok(index)
}

/// `field` for a message: quoted, at most 40 characters.
pub(crate) fn shown(field: &[u8]) -> String {
    let text = String::from_utf8_lossy(field);
    if text.chars().count() <= 40 {
        format!("{text:?}")
    } else {
        let cut: String = text.chars().take(40).collect();
        format!("{cut:?}...")
    }
}

/// Maps tenant keys to dense indices in order of first appearance.
#[derive(Debug, Default, Clone)]
pub(crate) struct TenantMap {
    map: HashMap<Box<[u8]>, u32>,
}

impl TenantMap {
    /// The index of `key`, adding it if new; `None` past [`MAX_TRACE_TENANTS`].
    pub(crate) fn intern(&mut self, key: &[u8]) -> Option<u32> {
        if let Some(&i) = self.map.get(key) {
            return Some(i);
        }
        let next = self.map.len() as u64;
        if next >= MAX_TRACE_TENANTS {
            return None;
        }
        let i = u32::try_from(next).ok()?;
        self.map.insert(key.into(), i);
        Some(i)
    }

    /// The index of `key`, if known.
    #[inline]
    pub(crate) fn get(&self, key: &[u8]) -> Option<u32> {
        self.map.get(key).copied()
    }

    /// The number of tenants.
    pub(crate) fn len(&self) -> u32 {
        u32::try_from(self.map.len()).unwrap_or(u32::MAX)
    }
}

/// Streams the requests of an indexed trace, in time order.
pub struct TraceReplay {
    index: Arc<TraceIndex>,
    state: ReplayState,
    error: Option<TraceError>,
}

enum ReplayState {
    /// Not opened yet (opened at the first request).
    Start,
    Requests(requests::RequestsReplay),
    Azure(Box<azure::AzureReplay>),
    /// Ended (the file's end, or an error).
    Done,
}

impl fmt::Debug for TraceReplay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TraceReplay")
            .field("path", &self.index.path)
            .field("error", &self.error)
            .finish_non_exhaustive()
    }
}

impl TraceReplay {
    /// A replay of `index`, Azure minutes spread by `spread`.
    pub fn new(index: Arc<TraceIndex>, spread: TraceSpread) -> Self {
        let state = match &index.layout {
            Layout::Requests(_) => ReplayState::Start,
            Layout::Azure(a) => {
                ReplayState::Azure(Box::new(azure::AzureReplay::new(a, index.tenants, spread)))
            }
        };
        TraceReplay {
            index,
            state,
            error: None,
        }
    }

    /// A replay that reads `path` (indexing it first); if it cannot, a
    /// replay that yields nothing and reports why.
    pub fn open(path: &Path, tenant_by: TraceTenant, spread: TraceSpread) -> Self {
        match trace_index(path, tenant_by) {
            Ok(index) => TraceReplay::new(index, spread),
            Err(e) => TraceReplay {
                index: Arc::new(TraceIndex {
                    path: path.to_path_buf(),
                    tenant_by,
                    layout: Layout::Requests(requests::RequestsIndex::default()),
                    tenants: 0,
                    requests: 0,
                    span: 0,
                }),
                state: ReplayState::Done,
                error: Some(e),
            },
        }
    }

    /// The index replayed.
    pub fn index(&self) -> &TraceIndex {
        &self.index
    }

    /// The tenants requests go to (0 if the trace could not be read).
    pub fn tenants(&self) -> u32 {
        self.index.tenants
    }

    /// Why the replay stopped before the end of the file, if it did.
    pub fn error(&self) -> Option<&TraceError> {
        self.error.as_ref()
    }

    fn fail(&mut self, e: TraceError) -> Option<Arrival> {
        self.error = Some(e);
        self.state = ReplayState::Done;
        None
    }
}

impl ArrivalProcess for TraceReplay {
    #[inline]
    fn next(&mut self, _now: Nanos, rng: &mut SimRng) -> Option<Arrival> {
        // The replay keeps its own position in the file: `_now` (the last
        // request's time) is not needed.
        let result = match &mut self.state {
            ReplayState::Start => {
                let Layout::Requests(r) = &self.index.layout else {
                    self.state = ReplayState::Done;
                    return None;
                };
                match requests::RequestsReplay::open(&self.index.path, r) {
                    Ok(replay) => {
                        self.state = ReplayState::Requests(replay);
                        return self.next(0, rng);
                    }
                    Err(e) => Err(e),
                }
            }
            ReplayState::Requests(replay) => {
                let Layout::Requests(r) = &self.index.layout else {
                    self.state = ReplayState::Done;
                    return None;
                };
                replay.next(&self.index.path, r)
            }
            ReplayState::Azure(replay) => {
                let Layout::Azure(a) = &self.index.layout else {
                    self.state = ReplayState::Done;
                    return None;
                };
                replay.next(&self.index.path, a, rng)
            }
            ReplayState::Done => return None,
        };
        match result {
            Ok(Some(arrival)) => Some(arrival),
            Ok(None) => {
                self.state = ReplayState::Done;
                None
            }
            Err(e) => self.fail(e),
        }
    }
}

/// Parses a timestamp in milliseconds (`1500`, `1500.25`) into
/// nanoseconds, rounding beyond the sixth decimal.
pub(crate) fn parse_ms(field: &[u8]) -> Result<Nanos, String> {
    let bad = || {
        format!(
            "expected a timestamp in milliseconds (digits, a fraction allowed, such as 1500 \
             or 1500.25), found {}",
            shown(field)
        )
    };
    let (int, frac) = match field.iter().position(|&b| b == b'.') {
        Some(dot) => (&field[..dot], &field[dot + 1..]),
        None => (field, &field[field.len()..]),
    };
    if (int.is_empty() && frac.is_empty())
        || !int.iter().all(u8::is_ascii_digit)
        || !frac.iter().all(u8::is_ascii_digit)
    {
        return Err(bad());
    }
    let too_large = || format!("timestamp {} ms is too large", shown(field));
    let mut ns: u64 = 0;
    for &d in int {
        ns = ns
            .checked_mul(10)
            .and_then(|v| v.checked_add(u64::from(d - b'0')))
            .ok_or_else(too_large)?;
    }
    ns = ns.checked_mul(1_000_000).ok_or_else(too_large)?;
    let mut scale = 100_000u64;
    for &d in frac.iter().take(6) {
        ns = ns
            .checked_add(u64::from(d - b'0') * scale)
            .ok_or_else(too_large)?;
        scale /= 10;
    }
    if frac.get(6).is_some_and(|&d| d >= b'5') {
        ns = ns.checked_add(1).ok_or_else(too_large)?;
    }
    if ns > crate::time::MAX_DURATION {
        return Err(format!(
            "timestamp {} ms is beyond {} (the longest time dofleet simulates)",
            shown(field),
            crate::time::MAX_DURATION_TEXT
        ));
    }
    Ok(ns)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn milliseconds_parse_exactly_to_nanoseconds() {
        assert_eq!(parse_ms(b"0"), Ok(0));
        assert_eq!(parse_ms(b"1500"), Ok(1_500_000_000));
        assert_eq!(parse_ms(b"1500.25"), Ok(1_500_250_000));
        assert_eq!(parse_ms(b".5"), Ok(500_000));
        assert_eq!(parse_ms(b"7."), Ok(7_000_000));
        assert_eq!(parse_ms(b"0.0000004"), Ok(0));
        assert_eq!(parse_ms(b"0.0000005"), Ok(1));
        assert_eq!(parse_ms(b"1.9999999"), Ok(2_000_000));
        for bad in [&b""[..], b".", b"-1", b"1e3", b"abc", b"1.2.3", b" 1"] {
            assert!(parse_ms(bad).is_err(), "{bad:?}");
        }
        assert!(parse_ms(b"99999999999999999999").is_err());
        assert!(parse_ms(b"18446744073709551").is_err());
        assert_eq!(parse_ms(b"86400000000"), Ok(crate::time::MAX_DURATION));
        assert!(parse_ms(b"86400000000.001")
            .unwrap_err()
            .contains("beyond 1000d"));
    }
}
