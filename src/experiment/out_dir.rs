//! Output directory identity and ownership: which directory a path really
//! names, whether dofleet may write into it, and what `--force` may delete.
//!
//! Invariants:
//! - A path is resolved to the directory it will be once created (symbolic
//!   links of the existing part followed, `.` and `..` of the missing part
//!   applied as `create_dir_all` would), and every check and write uses
//!   that resolved path: `missing/../OLD` is `OLD`.
//! - The working directory, any directory above it, the file system root
//!   and the `output/` folder itself are never output directories.
//! - A directory is dofleet's when it holds a readable `manifest.toml`.
//!   A directory that holds a file dofleet would write, without such a
//!   manifest, is refused even with `--force`.
//! - `--force` deletes only the files dofleet writes, by name: the
//!   aggregates, record files named like records, the charts and the report,
//!   and only once the new results are written ([`Staging`]): a forced run
//!   that is interrupted or fails leaves the old results as they were. An
//!   interrupted forced run keeps its records aside (`DIR/.dofleet-forced`)
//!   for the next forced run of the same experiment to continue.
//! - One dofleet writes a directory at a time (`.dofleet.lock`, holding the
//!   writer's process id; a lock whose process is gone is taken over, and
//!   temporary files such a process left behind are removed).

use std::fs;
use std::io::Write;
use std::path::{Component, Path, PathBuf};

use super::manifest::Manifest;
use super::output::{io_err, OutputError, AGGREGATES};

/// The report `dofleet report` writes by default.
pub const REPORT: &str = "report.html";

/// File name prefixes of the charts (PNG and SVG) `dofleet plot` draws.
pub const CHART_PREFIXES: [&str; 5] = [
    "sweep-",
    "memory_vs_p99",
    "latency_cdf",
    "latency_by_ordinal",
    "cold_start_timeline",
];

const LOCK: &str = ".dofleet.lock";

/// Files dofleet writes beside the aggregates.
const EXPORTS: [&str; 1] = ["summary.json"];

/// The staging directory of a forced write: one at a time (the lock), so
/// a fixed name, which lets the next forced run find what an interrupted
/// one recorded.
pub const STAGING: &str = ".dofleet-forced";

/// A forced write in progress: everything goes to `DIR/.dofleet-forced`
/// while the old results stay in `DIR`, and [`Staging::commit`] swaps
/// them in once the new results exist. Dropped uncommitted (an error), it
/// removes itself and leaves `DIR` as it was; [`Staging::keep`] leaves it
/// for a later forced run of the same experiment to continue.
#[derive(Debug)]
pub struct Staging {
    dir: PathBuf,
    path: PathBuf,
    committed: bool,
}

impl Staging {
    /// An empty staging directory in `dir` (whose lock the caller holds).
    pub fn new(dir: &Path) -> Result<Staging, OutputError> {
        let staging = Staging::open(dir)?;
        staging.clear()?;
        Ok(staging)
    }

    /// The staging directory in `dir` as an earlier forced write left it
    /// (created when there is none).
    pub fn open(dir: &Path) -> Result<Staging, OutputError> {
        let path = dir.join(STAGING);
        fs::create_dir_all(path.join("runs")).map_err(io_err(&path))?;
        Ok(Staging {
            dir: dir.to_owned(),
            path,
            committed: false,
        })
    }

    /// Empties it.
    pub fn clear(&self) -> Result<(), OutputError> {
        fs::remove_dir_all(&self.path).map_err(io_err(&self.path))?;
        fs::create_dir_all(self.path.join("runs")).map_err(io_err(&self.path))
    }

    /// Leaves it in place, the old results untouched.
    pub fn keep(mut self) {
        self.committed = true;
    }

    /// Where the new results are written.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Replaces dofleet's files in the directory by the staged ones: the
    /// old files the new results do not replace are deleted (records,
    /// aggregates, an earlier experiment's charts, the report), the new
    /// ones renamed in, the manifest last, so that the directory always
    /// has a manifest.
    pub fn commit(mut self) -> Result<(), OutputError> {
        let new = owned_files(&self.path)?;
        for old in owned_files(&self.dir)? {
            if old != "manifest.toml" && !new.contains(&old) {
                let path = self.dir.join(&old);
                fs::remove_file(&path).map_err(io_err(&path))?;
            }
        }
        let runs = self.dir.join("runs");
        fs::create_dir_all(&runs).map_err(io_err(&runs))?;
        let manifest_last = new
            .iter()
            .filter(|n| n.as_str() != "manifest.toml")
            .chain(new.iter().filter(|n| n.as_str() == "manifest.toml"));
        for name in manifest_last {
            let to = self.dir.join(name);
            fs::rename(self.path.join(name), &to).map_err(io_err(&to))?;
        }
        self.committed = true;
        fs::remove_dir_all(&self.path).map_err(io_err(&self.path))
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_dir_all(&self.path);
        }
    }
}

/// The directory `path` names once created, as an absolute path, refused
/// when it is the working directory, above it, or `output/` itself.
pub fn resolve(path: &Path) -> Result<PathBuf, OutputError> {
    let refuse = |why: String| OutputError::Refused {
        path: path.to_owned(),
        why,
    };
    if path.as_os_str().is_empty() {
        return Err(refuse("an empty path names no directory".into()));
    }
    let cwd = std::env::current_dir().map_err(io_err(Path::new(".")))?;
    let cwd = fs::canonicalize(&cwd).unwrap_or(cwd);
    let resolved = physical(&cwd.join(path));
    if resolved.parent().is_none() {
        return Err(refuse(
            "the file system root is never an output directory".into(),
        ));
    }
    if cwd.starts_with(&resolved) {
        let which = if resolved == cwd {
            "the current directory"
        } else {
            "a directory above the current one"
        };
        return Err(refuse(format!(
            "it is {which} ({}); choose a directory of its own, such as output/NAME",
            resolved.display()
        )));
    }
    if resolved == physical(&cwd.join("output")) {
        return Err(refuse(
            "it is the output/ folder itself, which holds one directory per experiment".into(),
        ));
    }
    if resolved.exists() && !resolved.is_dir() {
        return Err(refuse("it exists and is not a directory".into()));
    }
    Ok(resolved)
}

/// `path` with the symbolic links of its existing part resolved and the
/// `.` and `..` of the rest applied lexically (as creating it would).
fn physical(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    let mut exists = true;
    for component in path.components() {
        match component {
            Component::Prefix(_) | Component::RootDir => out.push(component),
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            Component::Normal(name) => {
                out.push(name);
                if exists {
                    match fs::canonicalize(&out) {
                        Ok(real) => out = real,
                        Err(_) => exists = false,
                    }
                }
            }
        }
    }
    out
}

/// What an existing directory is: `None` when dofleet may write into it
/// as new (missing, or holding none of dofleet's files), the manifest when
/// it is a dofleet output directory, an error when it holds files dofleet
/// writes but is not one of its directories.
pub fn inspect(dir: &Path) -> Result<Option<Manifest>, OutputError> {
    if !dir.exists() {
        return Ok(None);
    }
    let manifest = dir.join("manifest.toml");
    if manifest.exists() {
        let text = fs::read_to_string(&manifest).map_err(io_err(&manifest))?;
        return match toml::from_str::<Manifest>(&text) {
            Ok(m) => Ok(Some(m)),
            Err(_) => Err(foreign(dir, "its manifest.toml is not a dofleet manifest")),
        };
    }
    if let Some(name) = owned_files(dir)?.first() {
        return Err(foreign(
            dir,
            &format!("it holds {name} but no manifest.toml"),
        ));
    }
    Ok(None)
}

fn foreign(dir: &Path, what: &str) -> OutputError {
    OutputError::Foreign {
        dir: dir.to_owned(),
        what: what.into(),
    }
}

/// The files of `dir` (relative names) that dofleet writes, sorted.
pub fn owned_files(dir: &Path) -> Result<Vec<String>, OutputError> {
    let mut names = Vec::new();
    if !dir.is_dir() {
        return Ok(names);
    }
    for entry in fs::read_dir(dir).map_err(io_err(dir))? {
        let entry = entry.map_err(io_err(dir))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if entry.path().is_file() && is_owned_top_level(&name) {
            names.push(name);
        }
    }
    let runs = dir.join("runs");
    if runs.is_dir() {
        for entry in fs::read_dir(&runs).map_err(io_err(&runs))? {
            let name = entry.map_err(io_err(&runs))?.file_name();
            let name = name.to_string_lossy();
            if is_record_name(&name) {
                names.push(format!("runs/{name}"));
            }
        }
    }
    names.sort();
    Ok(names)
}

fn is_owned_top_level(name: &str) -> bool {
    AGGREGATES.contains(&name)
        || EXPORTS.contains(&name)
        || name == REPORT
        || [".png", ".svg"].iter().any(|ext| {
            name.strip_suffix(ext)
                .is_some_and(|stem| CHART_PREFIXES.iter().any(|p| stem.starts_with(p)))
        })
}

/// Whether `name` is a record's file name (`pNNNNN-aNN-rNNNNN.run`).
pub fn is_record_name(name: &str) -> bool {
    let Some(stem) = name.strip_suffix(".run") else {
        return false;
    };
    let parts: Vec<&str> = stem.split('-').collect();
    parts.len() == 3
        && ["p", "a", "r"].iter().zip(&parts).all(|(tag, part)| {
            part.strip_prefix(tag).is_some_and(|digits| {
                digits.len() >= 2 && digits.bytes().all(|b| b.is_ascii_digit())
            })
        })
}

/// The lock of an output directory, released when dropped.
#[derive(Debug)]
pub struct DirLock {
    path: PathBuf,
}

impl DirLock {
    /// Takes the lock of `dir` (creating `dir`), taking over a lock whose
    /// process is gone and removing the temporary files it left.
    pub fn take(dir: &Path) -> Result<DirLock, OutputError> {
        fs::create_dir_all(dir).map_err(io_err(dir))?;
        let path = dir.join(LOCK);
        for _ in 0..3 {
            match fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
            {
                Ok(mut f) => {
                    f.write_all(std::process::id().to_string().as_bytes())
                        .map_err(io_err(&path))?;
                    remove_stale_temporaries(dir);
                    remove_stale_temporaries(&dir.join("runs"));
                    return Ok(DirLock { path });
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    let holder = fs::read_to_string(&path)
                        .ok()
                        .and_then(|t| t.trim().parse::<u32>().ok());
                    match holder {
                        Some(pid) if process_alive(pid) => {
                            return Err(OutputError::Locked {
                                dir: dir.to_owned(),
                                pid,
                            })
                        }
                        _ => {
                            let _ = fs::remove_file(&path);
                        }
                    }
                }
                Err(e) => return Err(io_err(&path)(e)),
            }
        }
        Err(OutputError::Locked {
            dir: dir.to_owned(),
            pid: 0,
        })
    }
}

impl Drop for DirLock {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.path);
    }
}

/// Whether process `pid` exists (always true where that cannot be told).
fn process_alive(pid: u32) -> bool {
    if pid == std::process::id() {
        return true;
    }
    if cfg!(target_os = "linux") {
        Path::new("/proc").join(pid.to_string()).exists()
    } else {
        true
    }
}

/// Removes `.NAME.tmp-PID` files (left by `write_atomically` in a process
/// killed mid-write) whose process is gone. A staging directory stays: a
/// forced run of the same experiment continues it, any other write
/// empties it first.
fn remove_stale_temporaries(dir: &Path) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let pid = name
            .strip_prefix('.')
            .and_then(|n| n.rsplit_once(".tmp-"))
            .and_then(|(_, pid)| pid.parse::<u32>().ok());
        if let Some(pid) = pid {
            if !process_alive(pid) {
                let _ = fs::remove_file(entry.path());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_names_are_recognised_exactly() {
        assert!(is_record_name("p00000-a00-r00000.run"));
        assert!(is_record_name("p00012-a03-r10000.run"));
        for name in [
            "mine.run",
            "p1-a00-r00000.run",
            "p00000-a00-r00000.run.bak",
            "x.run",
        ] {
            assert!(!is_record_name(name), "{name}");
        }
    }

    #[test]
    fn missing_components_then_dot_dot_name_the_existing_directory() {
        let tmp = tempfile::tempdir().unwrap();
        let old = tmp.path().join("OLD");
        fs::create_dir(&old).unwrap();
        let via = tmp.path().join("missing").join("..").join("OLD");
        assert_eq!(physical(&via), fs::canonicalize(&old).unwrap());
        assert_eq!(
            physical(&tmp.path().join("a/./b/../c")),
            fs::canonicalize(tmp.path()).unwrap().join("a/c")
        );
    }

    #[test]
    fn force_deletes_only_what_dofleet_writes() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        fs::create_dir(dir.join("runs")).unwrap();
        for f in [
            "summary.csv",
            "latency_cdf.png",
            "sweep-workload.zipf_s.svg",
            "runs/p00000-a00-r00000.run",
            "notes.txt",
            "photo.png",
            "runs/mine.run",
        ] {
            fs::write(dir.join(f), "x").unwrap();
        }
        fs::write(dir.join("manifest.toml"), "old").unwrap();
        // A staged run that was dropped (interrupted) changes nothing.
        let dropped = Staging::new(dir).unwrap();
        fs::write(dropped.path().join("summary.csv"), "new").unwrap();
        drop(dropped);
        assert_eq!(fs::read_to_string(dir.join("summary.csv")).unwrap(), "x");
        assert_eq!(owned_files(dir).unwrap().len(), 5);
        // A committed one replaces dofleet's files, and only those.
        let staged = Staging::new(dir).unwrap();
        for f in ["summary.csv", "manifest.toml", "runs/p00001-a00-r00000.run"] {
            fs::write(staged.path().join(f), "new").unwrap();
        }
        staged.commit().unwrap();
        let mut left: Vec<String> = ["notes.txt", "photo.png", "runs/mine.run"]
            .iter()
            .filter(|f| dir.join(f).exists())
            .map(|f| f.to_string())
            .collect();
        left.sort();
        assert_eq!(left, ["notes.txt", "photo.png", "runs/mine.run"]);
        assert_eq!(
            owned_files(dir).unwrap(),
            ["manifest.toml", "runs/p00001-a00-r00000.run", "summary.csv"]
        );
        assert_eq!(
            fs::read_to_string(dir.join("manifest.toml")).unwrap(),
            "new"
        );
        let hidden: Vec<_> = fs::read_dir(dir)
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy() == STAGING)
            .collect();
        assert!(hidden.is_empty(), "the staging directory is left");
    }

    #[test]
    fn a_lock_is_exclusive_and_a_dead_holders_lock_is_taken_over() {
        let tmp = tempfile::tempdir().unwrap();
        let lock = DirLock::take(tmp.path()).unwrap();
        assert!(matches!(
            DirLock::take(tmp.path()),
            Err(OutputError::Locked { .. })
        ));
        drop(lock);
        // A process id above the kernel's maximum (2^22) is never alive.
        fs::write(tmp.path().join(LOCK), "4999999").unwrap();
        fs::write(tmp.path().join(".summary.csv.tmp-4999999"), "half").unwrap();
        let _lock = DirLock::take(tmp.path()).unwrap();
        assert!(!tmp.path().join(".summary.csv.tmp-4999999").exists());
    }
}
