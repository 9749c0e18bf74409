//! The requests layout: one request a row, `timestamp_ms,tenant`.
//!
//! Without a header a row is exactly two fields; with one (a first row
//! whose first field is not a number), the columns named `timestamp_ms`
//! and `tenant` are used and every row has the header's length. Rows are
//! in non-decreasing time order; time zero is the first row's timestamp.

use std::path::Path;

use super::lines::{Lines, Record};
use super::{parse_ms, shown, TenantMap, TraceError};
use crate::time::{format_duration, Nanos};
use crate::workload::Arrival;

/// Where the fields are, and the tenants.
#[derive(Debug, Clone, Default)]
pub(crate) struct RequestsIndex {
    header: bool,
    fields: usize,
    time_col: usize,
    tenant_col: usize,
    /// The first timestamp, ns: time zero.
    origin: Nanos,
    tenants: TenantMap,
    /// The content hash of the file as read (see [`Lines::content_hash`]).
    pub(super) content: u64,
}

/// The message for a trace whose first row is neither a header nor a
/// request.
const LAYOUTS: &str = "expected a CSV of requests (`timestamp_ms,tenant` rows, header \
     optional) or an Azure Functions 2019 trace (header `HashOwner,HashApp,HashFunction,\
     Trigger,1,2,...`)";

impl RequestsIndex {
    /// Reads the file whose first record is `first`: (index, tenants,
    /// requests, span).
    pub(crate) fn read(
        path: &Path,
        first: &Record,
        reader: &mut Lines,
    ) -> Result<(RequestsIndex, u32, u64, Nanos), TraceError> {
        let mut index = RequestsIndex::default();
        let mut record = Record::default();
        let header = first.get(0).is_some_and(|f| parse_ms(f).is_err());
        if header {
            let column = |name: &str| {
                first
                    .iter()
                    .position(|f| f.eq_ignore_ascii_case(name.as_bytes()))
            };
            let (Some(time_col), Some(tenant_col)) = (column("timestamp_ms"), column("tenant"))
            else {
                return Err(TraceError::at(
                    path,
                    Some(first.line()),
                    format!("{LAYOUTS}; found the first row {}", shown(&first.joined())),
                ));
            };
            index.header = true;
            index.fields = first.len();
            index.time_col = time_col;
            index.tenant_col = tenant_col;
        } else {
            index.fields = 2;
            index.time_col = 0;
            index.tenant_col = 1;
            record.clone_from(first);
        }
        let mut have = !header;
        let mut rows: u64 = 0;
        let mut previous: Option<Nanos> = None;
        loop {
            if !have && !reader.next(&mut record, path)? {
                break;
            }
            have = false;
            let (time, key) = index.row(&record, path)?;
            if let Some(p) = previous {
                if time < p {
                    return Err(out_of_order(path, &record, time, p));
                }
            }
            if previous.is_none() {
                index.origin = time;
            }
            previous = Some(time);
            if index.tenants.intern(key).is_none() {
                return Err(TraceError::at(
                    path,
                    Some(record.line()),
                    format!("more than {} distinct tenants", super::MAX_TRACE_TENANTS),
                ));
            }
            rows += 1;
        }
        let Some(last) = previous else {
            return Err(TraceError::at(path, None, "the trace holds no request"));
        };
        let tenants = index.tenants.len();
        let span = last - index.origin;
        Ok((index, tenants, rows, span))
    }

    /// The timestamp (ns, absolute) and tenant key of a row.
    fn row<'r>(&self, record: &'r Record, path: &Path) -> Result<(Nanos, &'r [u8]), TraceError> {
        let line = Some(record.line());
        if record.len() != self.fields {
            let expected = if self.header {
                format!("{} fields, as the header", self.fields)
            } else {
                "2 fields, `timestamp_ms,tenant`".to_string()
            };
            return Err(TraceError::at(
                path,
                line,
                format!(
                    "expected {expected}, found {} ({})",
                    record.len(),
                    shown(&record.joined())
                ),
            ));
        }
        let (Some(time), Some(tenant)) = (record.get(self.time_col), record.get(self.tenant_col))
        else {
            return Err(TraceError::at(path, line, "missing fields"));
        };
        let time = parse_ms(time).map_err(|m| TraceError::at(path, line, m))?;
        if tenant.is_empty() {
            return Err(TraceError::at(
                path,
                line,
                "expected a tenant id, found an empty field",
            ));
        }
        Ok((time, tenant))
    }
}

fn out_of_order(path: &Path, record: &Record, time: Nanos, previous: Nanos) -> TraceError {
    TraceError::at(
        path,
        Some(record.line()),
        format!(
            "out of order: timestamp {} is {} before the previous row's {}; a trace must be \
             sorted by time (for example `sort -t, -k1,1n`)",
            ms(time),
            format_duration(previous - time),
            ms(previous)
        ),
    )
}

/// `ns` as milliseconds, exactly.
fn ms(ns: Nanos) -> String {
    let whole = ns / 1_000_000;
    let frac = ns % 1_000_000;
    if frac == 0 {
        format!("{whole} ms")
    } else {
        let digits = format!("{frac:06}");
        format!("{whole}.{} ms", digits.trim_end_matches('0'))
    }
}

/// A replay in progress: the open file and the last time.
pub(crate) struct RequestsReplay {
    reader: Lines,
    record: Record,
    previous: Nanos,
}

impl RequestsReplay {
    /// Opens the file, past its header.
    pub(crate) fn open(path: &Path, index: &RequestsIndex) -> Result<Self, TraceError> {
        let mut reader = Lines::open(path)?;
        let mut record = Record::default();
        if index.header {
            reader.next(&mut record, path)?;
        }
        Ok(RequestsReplay {
            reader,
            record,
            previous: index.origin,
        })
    }

    /// The next request; `None` at the end of the file.
    #[inline]
    pub(crate) fn next(
        &mut self,
        path: &Path,
        index: &RequestsIndex,
    ) -> Result<Option<Arrival>, TraceError> {
        if !self.reader.next(&mut self.record, path)? {
            if self.reader.content_hash() != index.content {
                return Err(TraceError::at(
                    path,
                    None,
                    "the trace changed since it was read (its content differs): \
                     a run replays exactly the file the experiment was loaded with",
                ));
            }
            return Ok(None);
        }
        let (time, key) = index.row(&self.record, path)?;
        if time < self.previous {
            return Err(out_of_order(path, &self.record, time, self.previous));
        }
        self.previous = time;
        let Some(tenant) = index.tenants.get(key) else {
            return Err(TraceError::at(
                path,
                Some(self.record.line()),
                format!(
                    "tenant {} was not in the trace when it was read: the file changed",
                    shown(key)
                ),
            ));
        };
        Ok(Some(Arrival {
            time: time - index.origin,
            tenant,
        }))
    }
}
