//! The Azure Functions 2019 trace layout (Shahrad et al., "Serverless in
//! the Wild", USENIX ATC 2020): one row per function and day,
//! `HashOwner,HashApp,HashFunction,Trigger` then the invocation counts of
//! minutes `1` to `1440` (any number of consecutive minutes is accepted).
//!
//! Replay needs the counts minute by minute, but the file holds them
//! function by function. Rather than hold the whole day, the replay reads
//! the file once per block of minutes, holding `tenants x block` counts
//! with the block as long as [`BLOCK_COUNTS`] allows (the whole day for up
//! to ~5,800 tenants; ~3 passes for the ~46,000 functions of a real day):
//! memory stays proportional to the tenants, whatever the invocations.
//!
//! Within minute `m` (time `[(m-1) min, m min)`), the `N` invocations are
//! spread:
//! - `uniform`: exactly `N`, at independent uniform times: the sorted
//!   uniforms are drawn in order (the next of `k` left in `[x, end)` is at
//!   `x + (end - x)(1 - U^(1/k))`), each given a tenant drawn without
//!   replacement from the minute's counts (a Fenwick tree);
//! - `poisson`: a Poisson process of rate `N / 60 s`, each request's tenant
//!   drawn with replacement from the counts (so tenant `f` gets a Poisson
//!   process of its recorded rate).

use std::path::Path;

use rand::RngExt;

use super::fenwick::Fenwick;
use super::lines::{Lines, Record};
use super::{shown, TenantMap, TraceError};
use crate::engine::SimRng;
use crate::time::{Nanos, SECOND};
use crate::workload::thinning::exponential_ns;
use crate::workload::{Arrival, TraceSpread, TraceTenant};

const MINUTE: Nanos = 60 * SECOND;

/// The header's first four columns.
const KEY_COLUMNS: [&str; 4] = ["HashOwner", "HashApp", "HashFunction", "Trigger"];

/// The most per-minute counts a replay holds at once (64 MiB).
pub(crate) const BLOCK_COUNTS: usize = 1 << 23;

/// The most minute columns accepted (a week of minutes, generously).
const MAX_MINUTES: usize = 100_000;

/// Whether `record` is the header of this layout.
pub(crate) fn is_header(record: &Record) -> bool {
    KEY_COLUMNS
        .iter()
        .enumerate()
        .all(|(i, name)| record.get(i) == Some(name.as_bytes()))
}

/// Each row's tenant, and the number of minutes.
#[derive(Debug, Clone, Default)]
pub(crate) struct AzureIndex {
    minutes: usize,
    row_tenant: Vec<u32>,
}

impl AzureIndex {
    /// Reads the file whose header is `header`: (index, tenants,
    /// invocations, span).
    pub(crate) fn read(
        path: &Path,
        header: &Record,
        reader: &mut Lines,
        tenant_by: TraceTenant,
    ) -> Result<(AzureIndex, u32, u64, Nanos), TraceError> {
        let minutes = header.len().saturating_sub(KEY_COLUMNS.len());
        for (j, field) in header.iter().enumerate().skip(KEY_COLUMNS.len()) {
            let minute = j - KEY_COLUMNS.len() + 1;
            if field != minute.to_string().as_bytes() {
                return Err(TraceError::at(
                    path,
                    Some(header.line()),
                    format!(
                        "Azure trace header: expected minute column `{minute}` (column {}), \
                         found {}",
                        j + 1,
                        shown(field)
                    ),
                ));
            }
        }
        if minutes == 0 || minutes > MAX_MINUTES {
            return Err(TraceError::at(
                path,
                Some(header.line()),
                format!(
                    "Azure trace header: expected 1 to {MAX_MINUTES} minute columns \
                     (`1`, `2`, ... after `Trigger`), found {minutes}"
                ),
            ));
        }
        let mut tenants = TenantMap::default();
        let mut row_tenant = Vec::new();
        let mut record = Record::default();
        let mut key: Vec<u8> = Vec::new();
        let mut total: u64 = 0;
        while reader.next(&mut record, path)? {
            let line = Some(record.line());
            if record.len() != header.len() {
                return Err(TraceError::at(
                    path,
                    line,
                    format!(
                        "expected {} fields (4 names and {minutes} minute counts, as the \
                         header), found {}",
                        header.len(),
                        record.len()
                    ),
                ));
            }
            key.clear();
            let parts = match tenant_by {
                TraceTenant::Function => 3,
                TraceTenant::App => 2,
            };
            for i in 0..parts {
                key.extend_from_slice(record.get(i).unwrap_or_default());
                key.push(0x1f);
            }
            let Some(tenant) = tenants.intern(&key) else {
                return Err(TraceError::at(
                    path,
                    line,
                    format!("more than {} distinct tenants", super::MAX_TRACE_TENANTS),
                ));
            };
            row_tenant.push(tenant);
            for j in 0..minutes {
                let count = count_at(&record, j, path)?;
                total = total.saturating_add(count);
            }
        }
        if row_tenant.is_empty() || total == 0 {
            return Err(TraceError::at(
                path,
                None,
                "the trace holds no invocation (no row, or only zero counts)",
            ));
        }
        let n = tenants.len();
        let span = MINUTE.saturating_mul(minutes as u64);
        Ok((
            AzureIndex {
                minutes,
                row_tenant,
            },
            n,
            total,
            span,
        ))
    }
}

/// The count of minute `j` (0-based) of a row.
fn count_at(record: &Record, j: usize, path: &Path) -> Result<u64, TraceError> {
    let field = record.get(KEY_COLUMNS.len() + j).unwrap_or_default();
    let parsed = (!field.is_empty() && field.iter().all(u8::is_ascii_digit))
        .then(|| std::str::from_utf8(field).ok()?.parse::<u64>().ok())
        .flatten();
    parsed.ok_or_else(|| {
        TraceError::at(
            path,
            Some(record.line()),
            format!(
                "minute {}: expected an invocation count (an integer >= 0), found {}",
                j + 1,
                shown(field)
            ),
        )
    })
}

/// A replay in progress.
pub(crate) struct AzureReplay {
    tenants: usize,
    spread: TraceSpread,
    /// Minutes per block.
    block: usize,
    /// The first minute (0-based) of the block held; `usize::MAX`: none.
    block_start: usize,
    /// The block's counts, minute-major: `counts[(m - block_start) * tenants + t]`.
    counts: Vec<u64>,
    /// The minute being replayed (0-based), and whether it has begun.
    minute: usize,
    started: bool,
    /// The minute's tenants with a count, and their counts in the tree.
    tenant_of: Vec<u32>,
    tree: Fenwick,
    /// Uniform: invocations left in the minute and the position (ns into
    /// the minute) of the last; Poisson: the clock (ns into the minute).
    left: u64,
    position: f64,
    clock: Nanos,
    reader: Option<Lines>,
    record: Record,
}

impl AzureReplay {
    pub(crate) fn new(index: &AzureIndex, tenants: u32, spread: TraceSpread) -> Self {
        let tenants = tenants.max(1) as usize;
        let block = (BLOCK_COUNTS / tenants).clamp(1, index.minutes.max(1));
        AzureReplay {
            tenants,
            spread,
            block,
            block_start: usize::MAX,
            counts: Vec::new(),
            minute: 0,
            started: false,
            tenant_of: Vec::new(),
            tree: Fenwick::default(),
            left: 0,
            position: 0.0,
            clock: 0,
            reader: None,
            record: Record::default(),
        }
    }

    /// Reads the counts of minutes `start..start + block` from the file.
    fn load_block(
        &mut self,
        path: &Path,
        index: &AzureIndex,
        start: usize,
    ) -> Result<(), TraceError> {
        let width = self.block.min(index.minutes - start);
        self.counts.clear();
        self.counts.resize(width * self.tenants, 0);
        let reader = match &mut self.reader {
            Some(r) => r,
            None => self.reader.insert(Lines::open(path)?),
        };
        // Back to the start of the file, past the header.
        let mut header = Record::default();
        reader.rewind(path)?;
        reader.next(&mut header, path)?;
        let mut row = 0usize;
        while reader.next(&mut self.record, path)? {
            let Some(&tenant) = index.row_tenant.get(row) else {
                return Err(changed(path, Some(self.record.line())));
            };
            if self.record.len() != KEY_COLUMNS.len() + index.minutes {
                return Err(changed(path, Some(self.record.line())));
            }
            for j in 0..width {
                let count = count_at(&self.record, start + j, path)?;
                if let Some(c) = self.counts.get_mut(j * self.tenants + tenant as usize) {
                    *c = c.saturating_add(count);
                }
            }
            row += 1;
        }
        if row != index.row_tenant.len() {
            return Err(changed(path, None));
        }
        self.block_start = start;
        Ok(())
    }

    /// Moves to the next minute with invocations; `false` past the last.
    fn next_minute(&mut self, path: &Path, index: &AzureIndex) -> Result<bool, TraceError> {
        loop {
            if self.started {
                self.minute += 1;
            }
            self.started = true;
            if self.minute >= index.minutes {
                return Ok(false);
            }
            if self.block_start == usize::MAX || self.minute >= self.block_start + self.block {
                self.load_block(path, index, self.minute)?;
            }
            let offset = (self.minute - self.block_start) * self.tenants;
            let row = self
                .counts
                .get(offset..offset + self.tenants)
                .unwrap_or(&[]);
            self.tenant_of.clear();
            self.tenant_of.extend(
                row.iter()
                    .enumerate()
                    .filter(|(_, &c)| c > 0)
                    .map(|(t, _)| t as u32),
            );
            self.tree.rebuild(row.iter().copied().filter(|&c| c > 0));
            self.left = self.tree.total();
            self.position = 0.0;
            self.clock = 0;
            if self.left > 0 {
                return Ok(true);
            }
        }
    }

    /// The next request; `None` after the last minute.
    #[inline]
    pub(crate) fn next(
        &mut self,
        path: &Path,
        index: &AzureIndex,
        rng: &mut SimRng,
    ) -> Result<Option<Arrival>, TraceError> {
        loop {
            let start = MINUTE.saturating_mul(self.minute as u64);
            match self.spread {
                TraceSpread::Uniform if self.started && self.left > 0 => {
                    let k = self.left as f64;
                    let u: f64 = rng.random();
                    let span = (MINUTE as f64 - self.position).max(0.0);
                    self.position += span * (1.0 - u.powf(1.0 / k));
                    let at = (self.position.round() as Nanos).min(MINUTE - 1);
                    let r = rng.random_range(0..self.tree.total());
                    let i = self.tree.find(r).unwrap_or(0);
                    self.tree.take_one(i);
                    self.left -= 1;
                    let tenant = self.tenant_of.get(i).copied().unwrap_or(0);
                    return Ok(Some(Arrival {
                        time: start + at,
                        tenant,
                    }));
                }
                TraceSpread::Poisson if self.started && self.left > 0 => {
                    let mean = MINUTE as f64 / self.tree.total() as f64;
                    self.clock = self.clock.saturating_add(exponential_ns(mean, rng));
                    if self.clock < MINUTE {
                        let r = rng.random_range(0..self.tree.total());
                        let i = self.tree.find(r).unwrap_or(0);
                        let tenant = self.tenant_of.get(i).copied().unwrap_or(0);
                        return Ok(Some(Arrival {
                            time: start + self.clock,
                            tenant,
                        }));
                    }
                    // Past the minute: by memorylessness the next minute
                    // starts afresh at its own rate.
                    self.left = 0;
                }
                _ => {}
            }
            if !self.next_minute(path, index)? {
                return Ok(None);
            }
        }
    }
}

fn changed(path: &Path, line: Option<u64>) -> TraceError {
    TraceError::at(
        path,
        line,
        "the trace changed since it was read (rows or columns differ)",
    )
}
