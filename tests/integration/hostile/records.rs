//! Run records as `--resume` and `merge` read them: a record that is
//! corrupt, short, copied, out of the experiment or of another build is
//! refused by both, naming the file, and never panics.

use std::fs;
use std::path::{Path, PathBuf};

use dofleet::experiment::{record_name, RunRecord, RunSpec};
use predicates::prelude::*;

use super::{dofleet, run_ok, small};

/// The fingerprint an output directory's manifest states.
fn fingerprint(dir: &Path) -> u64 {
    let manifest: toml::Table = fs::read_to_string(dir.join("manifest.toml"))
        .unwrap()
        .parse()
        .unwrap();
    u64::from_str_radix(manifest["fingerprint"].as_str().unwrap(), 16).unwrap()
}

/// A finished 5-run directory and the path of its first record.
fn finished(tmp: &Path) -> (PathBuf, PathBuf, PathBuf) {
    let exp = small(tmp, "e.toml", "");
    let out = tmp.join("out");
    run_ok(&exp, &out);
    let first = out.join("runs").join(record_name(RunSpec {
        point: 0,
        variant: 0,
        replication: 0,
    }));
    (exp, out, first)
}

/// `--resume` and `merge` both refuse the directory, naming `file` and
/// saying `why`, with the exit code of bad input.
fn both_refuse(exp: &Path, out: &Path, file: &Path, why: &str) {
    let name = file.file_name().unwrap().to_string_lossy().into_owned();
    dofleet()
        .arg("run")
        .arg(exp)
        .arg("--out")
        .arg(out)
        .args(["--resume", "--quiet", "--no-plots"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(name.as_str()))
        .stderr(predicate::str::contains(why));
    let merged = out.parent().unwrap().join("merged");
    dofleet()
        .arg("merge")
        .arg(out)
        .arg("--out")
        .arg(&merged)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(name.as_str()))
        .stderr(predicate::str::contains(why));
    assert!(!merged.join("summary.csv").exists());
}

#[test]
fn a_well_formed_record_with_too_few_values_is_refused_not_a_panic() {
    let tmp = tempfile::tempdir().unwrap();
    let (exp, out, first) = finished(tmp.path());
    let fp = fingerprint(&out);
    let mut record = RunRecord::load(&first, fp).unwrap();
    record.summary.values.truncate(3);
    fs::write(&first, record.to_bytes(fp)).unwrap();
    both_refuse(&exp, &out, &first, "metric values");
}

#[test]
fn a_record_naming_a_run_outside_the_experiment_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let (exp, out, first) = finished(tmp.path());
    let fp = fingerprint(&out);
    for spec in [
        RunSpec {
            point: 7,
            variant: 0,
            replication: 0,
        },
        RunSpec {
            point: 0,
            variant: 9,
            replication: 0,
        },
        RunSpec {
            point: 0,
            variant: 0,
            replication: 3,
        },
    ] {
        let mut record = RunRecord::load(&first, fp).unwrap();
        record.spec = spec;
        let path = out.join("runs").join(record_name(spec));
        fs::write(&path, record.to_bytes(fp)).unwrap();
        both_refuse(&exp, &out, &path, "outside the experiment");
        fs::remove_file(&path).unwrap();
    }
}

#[test]
fn a_copied_record_is_refused_by_resume_and_merge_alike() {
    let tmp = tempfile::tempdir().unwrap();
    let (exp, out, first) = finished(tmp.path());
    let copy = out.join("runs").join(record_name(RunSpec {
        point: 0,
        variant: 1,
        replication: 0,
    }));
    fs::copy(&first, &copy).unwrap();
    both_refuse(&exp, &out, &copy, "not the run its name says");
}

#[test]
fn a_flipped_bit_anywhere_in_a_record_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let (exp, out, first) = finished(tmp.path());
    let bytes = fs::read(&first).unwrap();
    // Every byte past the magic line, one bit each (a byte of the magic
    // line itself is "not a dofleet run record" already).
    for at in (14..bytes.len()).step_by(7) {
        let mut flipped = bytes.clone();
        flipped[at] ^= 1 << (at % 8);
        fs::write(&first, &flipped).unwrap();
        let fp = fingerprint(&out);
        assert!(RunRecord::load(&first, fp).is_err(), "byte {at}");
    }
    let mut flipped = bytes.clone();
    let last = flipped.len() - 20;
    flipped[last] ^= 4;
    fs::write(&first, &flipped).unwrap();
    both_refuse(&exp, &out, &first, "checksum");
}
