//! Run records: what one finished run leaves on disk, so that interrupted
//! experiments resume and shards merge.
//!
//! A record holds everything the aggregate files are computed from: the
//! run's identity, its metric values (exact `f64` bits) and its latency
//! histogram (HdrHistogram V2 serialization, lossless). Aggregates are always
//! computed from records in canonical run order, so a run resumed after an
//! interruption, or split into shards and merged, gives the same bytes as
//! one uninterrupted run.
//!
//! Layout (little-endian): the magic line, the experiment fingerprint (u64,
//! which covers the resolved experiment, the trace's content and the
//! build), point, variant, replication (u32 each), simulated requests
//! (u64), the number of metric values (u32) and the values (f64 each), the
//! histogram's length (u32) and bytes, then a checksum (u64, FNV-1a of
//! every byte before it: any change of one byte is detected).

use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use hdrhistogram::serialization::{Deserializer, Serializer, V2Serializer};

use super::plan::fnv1a;
use super::RunSpec;
use crate::atomic_write::write_atomically;
use crate::metrics::{LatencyHistogram, RunSummary};

const MAGIC: &[u8] = b"DOFLEET-RUN-2\n";

/// The magic line of records written before checksums.
const MAGIC_V1: &[u8] = b"DOFLEET-RUN-1\n";

/// One finished run.
#[derive(Debug, Clone)]
pub struct RunRecord {
    pub spec: RunSpec,
    /// Requests simulated (window or not).
    pub arrivals: u64,
    pub summary: RunSummary,
    pub latency: LatencyHistogram,
}

/// Why a record could not be read.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    #[error("{path}")]
    Io { path: PathBuf, source: io::Error },
    #[error("{path}: not a dofleet run record ({why})")]
    Corrupt { path: PathBuf, why: String },
    #[error("{path}: belongs to another experiment (fingerprint {found:016x}, expected {expected:016x})")]
    Foreign {
        path: PathBuf,
        found: u64,
        expected: u64,
    },
}

/// The file name of a run's record inside `runs/`.
pub fn record_name(spec: RunSpec) -> String {
    format!(
        "p{:05}-a{:02}-r{:05}.run",
        spec.point, spec.variant, spec.replication
    )
}

impl RunRecord {
    /// The record's bytes.
    pub fn to_bytes(&self, fingerprint: u64) -> Vec<u8> {
        let mut out = Vec::with_capacity(1024);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&fingerprint.to_le_bytes());
        for v in [
            self.spec.point as u32,
            self.spec.variant as u32,
            self.spec.replication,
        ] {
            out.extend_from_slice(&v.to_le_bytes());
        }
        out.extend_from_slice(&self.arrivals.to_le_bytes());
        out.extend_from_slice(&(self.summary.values.len() as u32).to_le_bytes());
        for v in &self.summary.values {
            out.extend_from_slice(&v.to_bits().to_le_bytes());
        }
        let mut hist = Vec::new();
        // Serializing into a Vec cannot fail on I/O; a histogram too large
        // for the format would be a bug, and it then stores an empty one.
        let _ = V2Serializer::new().serialize(self.latency.inner(), &mut hist);
        out.extend_from_slice(&(hist.len() as u32).to_le_bytes());
        out.extend_from_slice(&hist);
        let checksum = fnv1a(out.iter().copied());
        out.extend_from_slice(&checksum.to_le_bytes());
        out
    }

    /// Writes the record atomically into `dir/runs/`.
    pub fn save(&self, dir: &Path, fingerprint: u64) -> io::Result<()> {
        write_atomically(
            &dir.join("runs").join(record_name(self.spec)),
            &self.to_bytes(fingerprint),
        )
    }

    /// Reads a record, checking its fingerprint.
    pub fn load(path: &Path, fingerprint: u64) -> Result<RunRecord, RecordError> {
        let bytes = fs::read(path).map_err(|source| RecordError::Io {
            path: path.to_owned(),
            source,
        })?;
        let corrupt = |why: &str| RecordError::Corrupt {
            path: path.to_owned(),
            why: why.to_string(),
        };
        if bytes.starts_with(MAGIC_V1) {
            return Err(corrupt(
                "written by an earlier dofleet, without a checksum: run it again",
            ));
        }
        if !bytes.starts_with(MAGIC) {
            return Err(corrupt("bad magic"));
        }
        let Some(body_len) = bytes.len().checked_sub(8).filter(|&n| n >= MAGIC.len()) else {
            return Err(corrupt("too short"));
        };
        let (body, stored) = bytes.split_at(body_len);
        let stored = u64::from_le_bytes(stored.try_into().unwrap_or_default());
        if fnv1a(body.iter().copied()) != stored {
            return Err(corrupt(
                "checksum mismatch: the file was altered or damaged after it was written",
            ));
        }
        let mut r = Reader { bytes: body, at: 0 };
        r.take(MAGIC.len());
        let found = r.u64().ok_or_else(|| corrupt("truncated header"))?;
        if found != fingerprint {
            return Err(RecordError::Foreign {
                path: path.to_owned(),
                found,
                expected: fingerprint,
            });
        }
        let (point, variant, replication) = (r.u32(), r.u32(), r.u32());
        let (Some(point), Some(variant), Some(replication)) = (point, variant, replication) else {
            return Err(corrupt("truncated header"));
        };
        let arrivals = r.u64().ok_or_else(|| corrupt("truncated header"))?;
        let n = r.u32().ok_or_else(|| corrupt("truncated values"))? as usize;
        let mut values = Vec::with_capacity(n.min(4096));
        for _ in 0..n {
            values.push(f64::from_bits(
                r.u64().ok_or_else(|| corrupt("truncated values"))?,
            ));
        }
        let len = r.u32().ok_or_else(|| corrupt("truncated histogram"))? as usize;
        let mut hist_bytes = r.take(len).ok_or_else(|| corrupt("truncated histogram"))?;
        let hist: hdrhistogram::Histogram<u64> =
            Deserializer::new()
                .deserialize(&mut hist_bytes)
                .map_err(|e| corrupt(&format!("histogram: {e:?}")))?;
        if hist_bytes.read(&mut [0u8; 1]).unwrap_or(0) != 0 || r.at != body.len() {
            return Err(corrupt("trailing bytes"));
        }
        let mut latency = LatencyHistogram::new();
        latency.merge(&LatencyHistogram::from_inner(hist));
        Ok(RunRecord {
            spec: RunSpec {
                point: point as usize,
                variant: variant as usize,
                replication,
            },
            arrivals,
            summary: RunSummary { values },
            latency,
        })
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.at.checked_add(n)?;
        let s = self.bytes.get(self.at..end)?;
        self.at = end;
        Some(s)
    }
    fn u32(&mut self) -> Option<u32> {
        self.take(4)
            .and_then(|s| s.try_into().ok())
            .map(u32::from_le_bytes)
    }
    fn u64(&mut self) -> Option<u64> {
        self.take(8)
            .and_then(|s| s.try_into().ok())
            .map(u64::from_le_bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record() -> RunRecord {
        let mut latency = LatencyHistogram::new();
        for v in [1_000, 2_500_000, 900_000_000, 7] {
            latency.record(v);
        }
        RunRecord {
            spec: RunSpec {
                point: 3,
                variant: 1,
                replication: 9,
            },
            arrivals: 1234,
            summary: RunSummary {
                values: vec![1.5, f64::NAN, 0.1 + 0.2, 1e300],
            },
            latency,
        }
    }

    #[test]
    fn round_trips_exactly() {
        let dir = tempfile::tempdir().unwrap();
        let r = record();
        r.save(dir.path(), 42).unwrap();
        let back = RunRecord::load(&dir.path().join("runs").join(record_name(r.spec)), 42).unwrap();
        assert_eq!(back.spec, r.spec);
        assert_eq!(back.arrivals, 1234);
        let bits = |s: &RunSummary| s.values.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&back.summary), bits(&r.summary));
        assert_eq!(back.latency.cdf_ms(), r.latency.cdf_ms());
        assert_eq!(back.to_bytes(42), r.to_bytes(42));
    }

    #[test]
    fn refuses_foreign_truncated_and_garbage_records() {
        let dir = tempfile::tempdir().unwrap();
        let r = record();
        r.save(dir.path(), 42).unwrap();
        let path = dir.path().join("runs").join(record_name(r.spec));
        assert!(matches!(
            RunRecord::load(&path, 43),
            Err(RecordError::Foreign { .. })
        ));
        let bytes = r.to_bytes(42);
        for cut in [0, 5, 20, 40, bytes.len() - 1] {
            fs::write(&path, &bytes[..cut]).unwrap();
            assert!(
                matches!(RunRecord::load(&path, 42), Err(RecordError::Corrupt { .. })),
                "cut {cut}"
            );
        }
        let mut longer = bytes.clone();
        longer.push(0);
        fs::write(&path, &longer).unwrap();
        assert!(RunRecord::load(&path, 42).is_err());
    }

    #[test]
    fn every_single_bit_flip_is_detected() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.run");
        let bytes = record().to_bytes(42);
        for at in 0..bytes.len() {
            for bit in 0..8 {
                let mut flipped = bytes.clone();
                flipped[at] ^= 1 << bit;
                fs::write(&path, &flipped).unwrap();
                assert!(RunRecord::load(&path, 42).is_err(), "byte {at} bit {bit}");
            }
        }
    }
}
