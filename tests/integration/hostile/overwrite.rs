//! The overwrite guard: an output directory is the directory its path
//! names once created, never the working directory or `output/` itself,
//! and `--force` deletes only what dofleet wrote.

use std::fs;

use predicates::prelude::*;

use super::{dofleet, run_ok, small, snapshot};

/// A user's directory: their own `config.toml` and `runs/*.run`.
fn users_directory(dir: &std::path::Path) {
    fs::write(dir.join("config.toml"), "mine\n").unwrap();
    fs::create_dir(dir.join("runs")).unwrap();
    fs::write(dir.join("runs/p00000-a00-r00000.run"), "my data\n").unwrap();
    fs::write(dir.join("runs/notes.run"), "my notes\n").unwrap();
}

#[test]
fn a_name_of_dot_dot_never_writes_into_the_working_directory() {
    for force in [false, true] {
        let tmp = tempfile::tempdir().unwrap();
        let cwd = tmp.path().join("t");
        fs::create_dir(&cwd).unwrap();
        users_directory(&cwd);
        small(&cwd, "e.toml", "name = \"..\"");
        let before = snapshot(&cwd);
        let mut cmd = dofleet();
        cmd.current_dir(&cwd)
            .args(["run", "e.toml", "--quiet", "--no-plots"]);
        if force {
            cmd.arg("--force");
        }
        cmd.assert()
            .code(2)
            .stderr(predicate::str::contains("cannot be an output directory"))
            .stderr(predicate::str::contains("the current directory"));
        assert_eq!(snapshot(&cwd), before, "force {force}");
    }
}

#[test]
fn a_file_named_dot_dot_toml_and_a_name_of_dot_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let cwd = tmp.path();
    users_directory(cwd);
    small(cwd, "...toml", "");
    small(cwd, "dot.toml", "name = \".\"");
    for file in ["...toml", "dot.toml"] {
        let before = snapshot(cwd);
        dofleet()
            .current_dir(cwd)
            .args(["run", file, "--quiet", "--no-plots", "--force"])
            .assert()
            .code(2)
            .stderr(predicate::str::contains("cannot be an output directory"));
        assert_eq!(snapshot(cwd), before, "{file}");
    }
    assert!(!cwd.join("output/config.toml").exists());
}

#[test]
fn a_missing_directory_then_dot_dot_names_the_existing_results() {
    let tmp = tempfile::tempdir().unwrap();
    let exp = small(tmp.path(), "e.toml", "");
    let old = tmp.path().join("OLD");
    run_ok(&exp, &old);
    let before = snapshot(&old);
    let other = small(tmp.path(), "other.toml", "seed = 7");
    let via = tmp.path().join("missing/../OLD");
    dofleet()
        .arg("run")
        .arg(&other)
        .arg("--out")
        .arg(&via)
        .args(["--quiet", "--no-plots"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("already holds results"));
    assert_eq!(snapshot(&old), before);
    // Merge: the same path, refused the same way (merge has no --resume).
    let shard = tmp.path().join("shard");
    run_ok(&other, &shard);
    let via = tmp.path().join("missing2/../OLD");
    dofleet()
        .arg("merge")
        .arg(&shard)
        .arg("--out")
        .arg(&via)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("already holds results"))
        .stderr(predicate::str::contains("--resume").not());
    assert_eq!(snapshot(&old), before);
}

#[test]
fn slurm_refuses_the_working_directory() {
    let tmp = tempfile::tempdir().unwrap();
    let cwd = tmp.path();
    users_directory(cwd);
    small(cwd, "e.toml", "name = \"..\"");
    let sub = cwd.join("sub");
    fs::create_dir(&sub).unwrap();
    fs::copy(cwd.join("e.toml"), sub.join("e.toml")).unwrap();
    dofleet()
        .current_dir(&sub)
        .args(["slurm", "e.toml", "--shards", "2", "--force"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("cannot be an output directory"));
    assert!(!sub.join("slurm").exists() && !sub.join("shards").exists());
}

#[test]
fn force_refuses_a_directory_dofleet_did_not_write_and_keeps_others_files() {
    let tmp = tempfile::tempdir().unwrap();
    let exp = small(tmp.path(), "e.toml", "");
    let foreign = tmp.path().join("foreign");
    fs::create_dir(&foreign).unwrap();
    users_directory(&foreign);
    let before = snapshot(&foreign);
    dofleet()
        .arg("run")
        .arg(&exp)
        .arg("--out")
        .arg(&foreign)
        .args(["--quiet", "--no-plots", "--force"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("not a dofleet output directory"));
    assert_eq!(snapshot(&foreign), before);

    // A dofleet directory with the user's own files beside the results.
    let out = tmp.path().join("out");
    run_ok(&exp, &out);
    fs::write(out.join("notes.txt"), "mine").unwrap();
    fs::write(out.join("runs/notes.run"), "mine").unwrap();
    fs::write(out.join("latency_cdf-old.png"), "stale chart").unwrap();
    dofleet()
        .arg("run")
        .arg(&exp)
        .arg("--out")
        .arg(&out)
        .args(["--quiet", "--no-plots", "--force"])
        .assert()
        .success();
    assert_eq!(fs::read_to_string(out.join("notes.txt")).unwrap(), "mine");
    assert_eq!(
        fs::read_to_string(out.join("runs/notes.run")).unwrap(),
        "mine"
    );
    assert!(
        !out.join("latency_cdf-old.png").exists(),
        "a stale chart is kept"
    );
}

#[test]
fn a_run_stopped_before_its_first_run_needs_no_force() {
    let tmp = tempfile::tempdir().unwrap();
    let exp = small(tmp.path(), "e.toml", "");
    let out = tmp.path().join("out");
    run_ok(&exp, &out);
    // What an abort before the first run leaves: config and manifest only.
    for f in ["summary.csv", "runs.csv", "latency_cdf.csv"] {
        fs::remove_file(out.join(f)).unwrap();
    }
    for e in fs::read_dir(out.join("runs")).unwrap() {
        fs::remove_file(e.unwrap().path()).unwrap();
    }
    let manifest = fs::read_to_string(out.join("manifest.toml")).unwrap();
    let manifest = manifest
        .replace("status = \"complete\"", "status = \"running\"")
        .replace("runs_present = 5", "runs_present = 0");
    fs::write(out.join("manifest.toml"), manifest).unwrap();
    run_ok(&exp, &out);
    assert!(out.join("summary.csv").is_file());
}

#[test]
fn report_out_never_replaces_a_file_that_is_not_a_report() {
    let tmp = tempfile::tempdir().unwrap();
    let exp = small(tmp.path(), "e.toml", "");
    let out = tmp.path().join("out");
    run_ok(&exp, &out);
    let csv = fs::read(out.join("summary.csv")).unwrap();
    dofleet()
        .arg("report")
        .arg(&out)
        .arg("--out")
        .arg(out.join("summary.csv"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("is not a dofleet report"));
    assert_eq!(fs::read(out.join("summary.csv")).unwrap(), csv);
    // Its own report is replaced as before.
    for _ in 0..2 {
        dofleet().arg("report").arg(&out).assert().success();
    }
}

#[test]
fn a_directory_being_written_is_locked() {
    let tmp = tempfile::tempdir().unwrap();
    let exp = small(tmp.path(), "e.toml", "");
    let out = tmp.path().join("out");
    fs::create_dir(&out).unwrap();
    // This test's own process holds the lock: it is alive.
    fs::write(out.join(".dofleet.lock"), std::process::id().to_string()).unwrap();
    dofleet()
        .arg("run")
        .arg(&exp)
        .arg("--out")
        .arg(&out)
        .args(["--quiet", "--no-plots"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("being written by another dofleet"));
    fs::remove_file(out.join(".dofleet.lock")).unwrap();
    run_ok(&exp, &out);
    assert!(!out.join(".dofleet.lock").exists());
}
