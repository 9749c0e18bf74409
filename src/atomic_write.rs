//! Writing files so that no reader ever sees a partial one: write a
//! temporary file in the same directory, flush it to disk, then rename it
//! over the target (atomic on POSIX file systems).
//!
//! A test seam: when the environment variable `DOFLEET_TEST_DISK_FULL`
//! names a file (a comma-separated list of file names, such as
//! `latency_cdf.csv,latency_cdf.png`), writing a file of that name fails as
//! a full disk would (`StorageFull`), so the tests of what a full disk does
//! need no small file system (docs/reliability.md). Nothing sets it outside
//! tests.

use std::fs;
use std::io::{self, Write};
use std::path::Path;

/// Writes `bytes` to `path` atomically, creating the parent directory.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    fs::create_dir_all(dir)?;
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("output");
    if simulated_full_disk(name) {
        return Err(io::Error::new(
            io::ErrorKind::StorageFull,
            "No space left on device (simulated: DOFLEET_TEST_DISK_FULL)",
        ));
    }
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let result = (|| {
        let mut f = fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// Whether the test seam says writing `name` finds the disk full.
fn simulated_full_disk(name: &str) -> bool {
    std::env::var_os("DOFLEET_TEST_DISK_FULL")
        .is_some_and(|names| names.to_string_lossy().split(',').any(|n| n == name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_and_replaces_leaving_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/out.csv");
        write_atomically(&path, b"one").unwrap();
        write_atomically(&path, b"two").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"two");
        let names: Vec<_> = fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("out.csv")]);
    }
}
