//! Reading a trace line by line into fields, with exact line numbers.
//!
//! (The `csv` crate is not used here: its reported line numbers are wrong
//! after blank or comment lines, rust-csv issue #208, and trace errors
//! must name the exact line.)
//!
//! A line is split on commas; a field may be double-quoted (a comma inside
//! it is kept, `""` is a quote), within one line; unquoted fields are
//! trimmed of ASCII whitespace; blank lines and lines starting with `#` are
//! skipped; `\r\n` endings are accepted. Invariants: line numbers are
//! 1-based and count every line of the file; buffers are reused, so
//! reading allocates nothing once they have grown to the longest line.

use std::fs::File;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::Path;

use super::TraceError;

/// The longest line accepted (an Azure row is ~10 KB).
const MAX_LINE: u64 = 16 * 1024 * 1024;

/// The fields of one line.
#[derive(Debug, Clone, Default)]
pub(crate) struct Record {
    data: Vec<u8>,
    ends: Vec<usize>,
    line: u64,
}

impl Record {
    /// The number of fields.
    pub(crate) fn len(&self) -> usize {
        self.ends.len()
    }

    /// Field `i`.
    pub(crate) fn get(&self, i: usize) -> Option<&[u8]> {
        let end = *self.ends.get(i)?;
        let start = if i == 0 { 0 } else { *self.ends.get(i - 1)? };
        self.data.get(start..end)
    }

    /// The fields in order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &[u8]> {
        (0..self.len()).map(|i| self.get(i).unwrap_or_default())
    }

    /// The 1-based line the record was read from.
    pub(crate) fn line(&self) -> u64 {
        self.line
    }

    /// The fields joined by commas, for messages.
    pub(crate) fn joined(&self) -> Vec<u8> {
        self.iter().collect::<Vec<_>>().join(&b","[..])
    }

    /// Splits `raw` (one line, no line ending) into the fields.
    fn split(&mut self, raw: &[u8]) -> Result<(), String> {
        self.data.clear();
        self.ends.clear();
        let mut i = 0;
        loop {
            // Skip leading blanks.
            while raw.get(i).is_some_and(|b| *b == b' ' || *b == b'\t') {
                i += 1;
            }
            if raw.get(i) == Some(&b'"') {
                i += 1;
                loop {
                    match raw.get(i) {
                        None => return Err("a quoted field is not closed on its line".into()),
                        Some(b'"') if raw.get(i + 1) == Some(&b'"') => {
                            self.data.push(b'"');
                            i += 2;
                        }
                        Some(b'"') => {
                            i += 1;
                            break;
                        }
                        Some(&b) => {
                            self.data.push(b);
                            i += 1;
                        }
                    }
                }
                while raw.get(i).is_some_and(|b| *b == b' ' || *b == b'\t') {
                    i += 1;
                }
                match raw.get(i) {
                    None | Some(b',') => {}
                    Some(_) => {
                        return Err("unexpected text after a quoted field's closing quote".into())
                    }
                }
            } else {
                let start = i;
                while raw.get(i).is_some_and(|b| *b != b',') {
                    i += 1;
                }
                let field = raw.get(start..i).unwrap_or_default().trim_ascii();
                self.data.extend_from_slice(field);
            }
            self.ends.push(self.data.len());
            if raw.get(i) == Some(&b',') {
                i += 1;
            } else {
                return Ok(());
            }
        }
    }
}

/// A trace file read a line at a time.
pub(crate) struct Lines {
    inner: BufReader<File>,
    raw: Vec<u8>,
    line: u64,
    /// FNV-1a of every byte read since the start of the file.
    content: u64,
}

/// FNV-1a's offset basis: the hash of nothing.
const FNV_BASIS: u64 = 0xcbf2_9ce4_8422_2325;

impl Lines {
    /// Opens `path`.
    pub(crate) fn open(path: &Path) -> Result<Lines, TraceError> {
        let file = File::open(path)
            .map_err(|e| TraceError::at(path, None, format!("cannot read the trace: {e}")))?;
        Ok(Lines {
            inner: BufReader::with_capacity(1 << 16, file),
            raw: Vec::new(),
            line: 0,
            content: FNV_BASIS,
        })
    }

    /// FNV-1a of the bytes read so far: the whole file's once `next` has
    /// returned `false` (the content a reading of the file saw).
    pub(crate) fn content_hash(&self) -> u64 {
        self.content
    }

    /// Back to the first line.
    pub(crate) fn rewind(&mut self, path: &Path) -> Result<(), TraceError> {
        self.inner
            .seek(SeekFrom::Start(0))
            .map_err(|e| TraceError::at(path, None, format!("cannot read the trace: {e}")))?;
        self.line = 0;
        self.content = FNV_BASIS;
        Ok(())
    }

    /// Reads the next record that is not blank or a comment; `false` at the
    /// end of the file.
    pub(crate) fn next(&mut self, record: &mut Record, path: &Path) -> Result<bool, TraceError> {
        loop {
            self.raw.clear();
            let read = (&mut self.inner)
                .take(MAX_LINE + 1)
                .read_until(b'\n', &mut self.raw)
                .map_err(|e| {
                    TraceError::at(
                        path,
                        Some(self.line + 1),
                        format!("cannot read the trace: {e}"),
                    )
                })?;
            if read == 0 {
                return Ok(false);
            }
            for &b in &self.raw {
                self.content = (self.content ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
            }
            self.line += 1;
            if self.raw.len() as u64 > MAX_LINE {
                return Err(TraceError::at(
                    path,
                    Some(self.line),
                    format!("line longer than {} MiB", MAX_LINE / (1024 * 1024)),
                ));
            }
            let mut text = self.raw.as_slice();
            if let Some(rest) = text.strip_suffix(b"\n") {
                text = rest;
            }
            if let Some(rest) = text.strip_suffix(b"\r") {
                text = rest;
            }
            let trimmed = text.trim_ascii();
            if trimmed.is_empty() || trimmed.starts_with(b"#") {
                continue;
            }
            record.line = self.line;
            record
                .split(text)
                .map_err(|m| TraceError::at(path, Some(self.line), m))?;
            return Ok(true);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(line: &str) -> Result<Vec<String>, String> {
        let mut r = Record::default();
        r.split(line.as_bytes())?;
        Ok(r.iter()
            .map(|f| String::from_utf8_lossy(f).into_owned())
            .collect())
    }

    #[test]
    fn splits_trims_and_unquotes() {
        assert_eq!(
            fields("1, a ,b"),
            Ok(vec!["1".into(), "a".into(), "b".into()])
        );
        assert_eq!(fields(""), Ok(vec!["".into()]));
        assert_eq!(fields("a,"), Ok(vec!["a".into(), "".into()]));
        assert_eq!(
            fields("5,\"x, \"\"y\"\"\" ,z"),
            Ok(vec!["5".into(), "x, \"y\"".into(), "z".into()])
        );
        assert!(fields("5,\"open").is_err());
        assert!(fields("5,\"a\"b").is_err());
    }

    #[test]
    fn counts_every_line_and_skips_blanks_and_comments() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("t.csv");
        std::fs::write(&path, "# c\n\n1,a\r\n  \n# \"unclosed\n2,b")
            .unwrap_or_else(|e| panic!("{e}"));
        let mut lines = Lines::open(&path).unwrap_or_else(|e| panic!("{e}"));
        let mut r = Record::default();
        let mut seen = Vec::new();
        while lines.next(&mut r, &path).unwrap_or_else(|e| panic!("{e}")) {
            seen.push((r.line(), String::from_utf8_lossy(&r.joined()).into_owned()));
        }
        assert_eq!(seen, vec![(3, "1,a".to_string()), (6, "2,b".to_string())]);
        lines.rewind(&path).unwrap_or_else(|e| panic!("{e}"));
        assert!(lines.next(&mut r, &path).unwrap_or(false));
        assert_eq!(r.line(), 3);
    }
}
