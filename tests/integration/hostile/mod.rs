//! Hostile input and faults (issue 21): each test reproduces a way dofleet
//! once lost data, panicked, hung or printed a wrong number, and holds it
//! fixed.

mod disk;
mod faults;
mod limits;
mod messages;
mod overwrite;
mod records;

use std::path::{Path, PathBuf};

use assert_cmd::Command;

pub fn dofleet() -> Command {
    Command::cargo_bin("dofleet").unwrap()
}

/// `small.toml` in `dir`: one replication of 20 tenants for 5 s (5 runs),
/// with `extra` lines first (such as `name = ".."`).
pub fn small(dir: &Path, file: &str, extra: &str) -> PathBuf {
    let path = dir.join(file);
    std::fs::write(
        &path,
        format!(
            "{extra}\nduration = \"5s\"\nreplications = 1\n[workload]\ntenants = 20\nrate_rps = 5\n"
        ),
    )
    .unwrap();
    path
}

/// Runs `file` into `out` (no charts), which must succeed.
pub fn run_ok(file: &Path, out: &Path) {
    dofleet()
        .arg("run")
        .arg(file)
        .arg("--out")
        .arg(out)
        .args(["--quiet", "--no-plots"])
        .assert()
        .success();
}

/// Every file under `dir` with its bytes, sorted by path.
pub fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let bytes = std::fs::read(&path).unwrap();
                files.push((path, bytes));
            }
        }
    }
    files.sort();
    files
}
