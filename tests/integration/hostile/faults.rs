//! Faults around a run: a closed or full standard output, a stop signal
//! during a long run, and a trace that changes between shards.

use std::fs;
use std::process::{Command as Process, Stdio};
use std::time::{Duration, Instant};

use predicates::prelude::*;

use super::{dofleet, small};

fn binary() -> std::path::PathBuf {
    assert_cmd::cargo::cargo_bin("dofleet")
}

#[test]
fn a_closed_stdout_is_no_panic_and_the_charts_are_still_drawn() {
    let tmp = tempfile::tempdir().unwrap();
    let exp = small(tmp.path(), "e.toml", "");
    let out = tmp.path().join("out");
    let mut child = Process::new(binary())
        .arg("run")
        .arg(&exp)
        .arg("--out")
        .arg(&out)
        .arg("--quiet")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The reader goes away before the first line (`| head -0`).
    drop(child.stdout.take());
    let status = child.wait_with_output().unwrap();
    assert_eq!(status.status.code(), Some(0), "{status:?}");
    assert!(out.join("summary.csv").is_file());
    assert!(out.join("latency_cdf.png").is_file(), "charts not drawn");
}

#[test]
fn a_full_stdout_is_an_io_failure_after_the_results_are_written() {
    let tmp = tempfile::tempdir().unwrap();
    let exp = small(tmp.path(), "e.toml", "");
    let out = tmp.path().join("out");
    let full = fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    let done = Process::new(binary())
        .arg("run")
        .arg(&exp)
        .arg("--out")
        .arg(&out)
        .args(["--quiet", "--no-plots"])
        .stdout(full)
        .output()
        .unwrap();
    assert_eq!(done.status.code(), Some(3), "{done:?}");
    let stderr = String::from_utf8_lossy(&done.stderr);
    assert!(
        stderr.contains("cannot write to standard output"),
        "{stderr}"
    );
    assert!(out.join("summary.csv").is_file());
}

#[test]
fn sigterm_stops_a_long_run_within_seconds_and_marks_it_interrupted() {
    let tmp = tempfile::tempdir().unwrap();
    // Each of its 5 runs would take hours.
    let exp = tmp.path().join("long.toml");
    fs::write(
        &exp,
        "duration = \"1000d\"\nreplications = 1\n[workload]\ntenants = 20\nrate_rps = 5\n",
    )
    .unwrap();
    let out = tmp.path().join("out");
    let mut child = Process::new(binary())
        .arg("run")
        .arg(&exp)
        .arg("--out")
        .arg(&out)
        .args(["--quiet", "--threads", "2"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Until the runs are under way (the manifest says so).
    let started = Instant::now();
    while !out.join("manifest.toml").exists() && started.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(300));
    let pid = libc::pid_t::try_from(child.id()).unwrap();
    let asked = Instant::now();
    // SAFETY: kill(2) on our own child, which has not been waited for.
    let signalled = unsafe { libc::kill(pid, libc::SIGTERM) };
    let mut code = None;
    while asked.elapsed() < Duration::from_secs(20) {
        if let Some(status) = child.try_wait().unwrap() {
            code = status.code();
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let took = asked.elapsed();
    if code.is_none() {
        let _ = child.kill();
    }
    let _ = child.wait();
    assert_eq!(signalled, 0);
    assert_eq!(code, Some(130), "no exit 130 within {took:?}");
    assert!(took < Duration::from_secs(3), "took {took:?}");
    let manifest = fs::read_to_string(out.join("manifest.toml")).unwrap();
    assert!(manifest.contains("status = \"interrupted\""), "{manifest}");
    // Nothing of the stopped runs is recorded; the directory resumes.
    assert_eq!(fs::read_dir(out.join("runs")).unwrap().count(), 0);
    assert!(!out.join(".dofleet.lock").exists());
}

#[test]
fn shards_that_replayed_different_trace_contents_do_not_merge() {
    let tmp = tempfile::tempdir().unwrap();
    let trace = tmp.path().join("t.csv");
    fs::write(&trace, "0,a\n1000,b\n2000,a\n").unwrap();
    let exp = tmp.path().join("e.toml");
    fs::write(
        &exp,
        "duration = \"5s\"\nreplications = 2\n[workload]\narrivals = \"trace\"\ntrace = \"t.csv\"\n",
    )
    .unwrap();
    let shard = |k: usize| {
        let dir = tmp.path().join(format!("shard-{k}"));
        dofleet()
            .arg("run")
            .arg(&exp)
            .args(["--shard", &format!("{k}/2"), "--quiet", "--out"])
            .arg(&dir)
            .assert()
            .success();
        dir
    };
    let first = shard(1);
    // The same file name, same length, other requests.
    fs::write(&trace, "0,a\n1500,b\n2500,a\n").unwrap();
    let second = shard(2);
    dofleet()
        .arg("merge")
        .arg(&first)
        .arg(&second)
        .arg("--out")
        .arg(tmp.path().join("merged"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("trace"));
    assert!(!tmp.path().join("merged/summary.csv").exists());
}

#[test]
fn a_hundred_thousand_threads_are_refused_at_once() {
    let tmp = tempfile::tempdir().unwrap();
    let exp = small(tmp.path(), "e.toml", "");
    dofleet()
        .arg("run")
        .arg(&exp)
        .arg("--out")
        .arg(tmp.path().join("out"))
        .args(["--threads", "100000"])
        .timeout(Duration::from_secs(30))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--threads 100000: at most 1024"));
    assert!(!tmp.path().join("out").exists());
}
