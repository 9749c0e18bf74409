//! The exit-code contract (README, "Exit codes"): 0 success, 1 an objective
//! failed, 2 bad input, 3 a runtime or I/O failure, 130 interrupted (tested
//! in `output_dirs`). And the split of the streams: stdout carries results
//! only, so `dofleet ... > file` gives a file a program can read.

use std::path::Path;

use assert_cmd::Command;
use predicates::prelude::*;

fn dofleet() -> Command {
    Command::cargo_bin("dofleet").unwrap_or_else(|e| panic!("{e}"))
}

/// A tiny experiment: 20 tenants at 5 requests/s for 5 s, one replication.
fn small(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("small.toml");
    std::fs::write(
        &path,
        "duration = \"5s\"\nreplications = 1\n[workload]\ntenants = 20\nrate_rps = 5\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    path
}

#[test]
fn a_bad_config_exits_2() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let exp = tmp.path().join("bad.toml");
    std::fs::write(&exp, "[workload]\ntenants = -3\n").unwrap_or_else(|e| panic!("{e}"));
    dofleet().arg("run").arg(&exp).assert().code(2);
    dofleet().args(["run", "--no-such-flag"]).assert().code(2);
}

#[test]
fn results_in_the_way_exit_2_and_an_unwritable_output_exits_3() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let exp = small(tmp.path());
    let out = tmp.path().join("out");
    let run = |out: &Path| {
        let mut c = dofleet();
        c.arg("run")
            .arg(&exp)
            .arg("--out")
            .arg(out)
            .args(["--quiet", "--no-plots"]);
        c
    };
    run(&out).assert().code(0);
    run(&out)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--force"));
    // A directory under a plain file cannot be created: the OS refuses.
    let file = tmp.path().join("plain-file");
    std::fs::write(&file, "x").unwrap_or_else(|e| panic!("{e}"));
    run(&file.join("out")).assert().code(3);
}

#[test]
fn stdout_holds_the_tables_and_status_goes_to_stderr() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let exp = small(tmp.path());
    let out = dofleet()
        .arg("run")
        .arg(&exp)
        .arg("--out")
        .arg(tmp.path().join("out"))
        .arg("--quiet")
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(out.status.success());
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(
        stdout.contains("Comparison with Other Architectures"),
        "{stdout}"
    );
    for status in ["Wrote ", "Drew ", "simulated requests in"] {
        assert!(!stdout.contains(status), "{status:?} on stdout:\n{stdout}");
        assert!(
            stderr.contains(status),
            "{status:?} not on stderr:\n{stderr}"
        );
    }
}

#[test]
fn fit_writes_an_experiment_file_to_stdout() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let trace = tmp.path().join("t.csv");
    let rows: String = (0..200)
        .map(|i| format!("{},t{}\n", i * 37, i % 7))
        .collect();
    std::fs::write(&trace, format!("timestamp_ms,tenant\n{rows}"))
        .unwrap_or_else(|e| panic!("{e}"));
    let out = dofleet()
        .arg("fit")
        .arg(&trace)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(out.status.success());
    let fitted = tmp.path().join("fitted.toml");
    std::fs::write(&fitted, &out.stdout).unwrap_or_else(|e| panic!("{e}"));
    dofleet()
        .arg("config")
        .arg(&fitted)
        .assert()
        .code(0)
        .stdout(predicate::str::contains("tenants = 7"));
}

#[test]
fn a_plan_that_meets_nothing_exits_1() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let exp = small(tmp.path());
    // No fleet of 1 to 2 hosts gives a p99 under a microsecond.
    dofleet()
        .args(["plan", "--slo", "p99<=0.001ms", "--max", "2", "--quiet"])
        .arg(&exp)
        .arg("--out")
        .arg(tmp.path().join("plan"))
        .args(["--set", "architectures=[\"thin\"]"])
        .assert()
        .code(1);
    dofleet()
        .args(["plan", "--slo", "p99<=1h", "--max", "2", "--quiet"])
        .arg(&exp)
        .arg("--out")
        .arg(tmp.path().join("plan2"))
        .args(["--set", "architectures=[\"thin\"]"])
        .assert()
        .code(0);
}

/// `run --slo`: every architecture meets an objective of an hour, so the
/// answer is the one with the lowest mean cost in summary.csv; an objective
/// of a microsecond is met by none, and the run exits 1.
#[test]
fn run_with_objectives_answers_with_the_cheapest_and_exits_1_when_none_meets() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let exp = tmp.path().join("two.toml");
    std::fs::write(
        &exp,
        "duration = \"20s\"\nreplications = 2\n[workload]\ntenants = 50\nrate_rps = 10\n\
         [slo]\nobjectives = [\"p99<=1h\"]\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let out = tmp.path().join("out");
    let run = dofleet()
        .arg("run")
        .arg(&exp)
        .arg("--out")
        .arg(&out)
        .args(["--quiet", "--no-plots"])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(run.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(
        stdout.contains("Objectives: p99<=1h (one-sided 95% confidence over 2 replications)"),
        "{stdout}"
    );
    assert_eq!(stdout.matches("| meets").count(), 5, "{stdout}");
    let cheapest = cheapest_row(&out, "latency_p99_ms");
    let title = &cheapest.0;
    assert!(
        stdout.contains(&format!(
            "Answer: {title} meets every objective at the lowest monthly cost"
        )),
        "{cheapest:?}\n{stdout}"
    );
    // --slo replaces the table's objectives; --force reruns into the directory.
    dofleet()
        .arg("run")
        .arg(&exp)
        .arg("--out")
        .arg(&out)
        .args(["--quiet", "--no-plots", "--force", "--slo", "p99<=0.001ms"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "no architecture meets every objective (each fails one)",
        ));
}

/// The row of `out/summary.csv` with the lowest mean monthly cost: its
/// title as the tables print it, its cost, and its value of `metric`.
fn cheapest_row(out: &Path, metric: &str) -> (String, f64, f64) {
    let csv = std::fs::read_to_string(out.join("summary.csv")).unwrap_or_else(|e| panic!("{e}"));
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap_or_default().split(',').collect();
    let col = |name: &str| {
        header
            .iter()
            .position(|c| *c == name)
            .unwrap_or_else(|| panic!("{name}"))
    };
    let (arch, compile, cost, value) = (
        col("architecture"),
        col("runtime_wasm_compile"),
        col("cost_usd_month"),
        col(metric),
    );
    lines
        .map(|l| {
            let cells: Vec<&str> = l.split(',').collect();
            let title = match (cells[arch], cells[compile]) {
                ("traditional", _) => "Traditional".to_string(),
                ("hybrid", _) => "Hybrid".to_string(),
                ("thin", _) => "Thin State".to_string(),
                (_, compile) => format!("Lazy WASM ({compile})"),
            };
            let number = |i: usize| cells[i].parse::<f64>().unwrap_or(f64::NAN);
            (title, number(cost), number(value))
        })
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .unwrap_or_else(|| panic!("no rows"))
}

/// An objective exactly at the cheapest architecture's mean latency leaves
/// it undecided (the mean lies inside its interval): the answer says so,
/// names it, and the run exits 4, not 1 ("nothing met"). One replication
/// is undecided everywhere, and says why.
#[test]
fn an_undecided_cheapest_answer_is_said_and_exits_4() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let exp = tmp.path().join("two.toml");
    std::fs::write(
        &exp,
        "duration = \"20s\"\nreplications = 3\n[workload]\ntenants = 50\nrate_rps = 10\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let out = tmp.path().join("out");
    dofleet()
        .arg("run")
        .arg(&exp)
        .arg("--out")
        .arg(&out)
        .args(["--quiet", "--no-plots"])
        .assert()
        .code(0);
    let (title, _, mean_ms) = cheapest_row(&out, "latency_mean_ms");
    let slo = format!("mean<={mean_ms}ms");
    let run = dofleet()
        .arg("run")
        .arg(&exp)
        .arg("--out")
        .arg(&out)
        .args(["--quiet", "--no-plots", "--force", "--slo", &slo])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert_eq!(run.status.code(), Some(4), "{stdout}");
    let answer = stdout
        .lines()
        .find(|l| l.starts_with("Answer"))
        .unwrap_or_else(|| panic!("{stdout}"));
    assert!(answer.starts_with("Answer: undecided: "), "{answer}");
    assert!(answer.contains(&title), "{title}: {answer}");
    assert!(answer.contains("more replications may decide"), "{answer}");
    dofleet()
        .arg("run")
        .arg(&exp)
        .arg("--out")
        .arg(&out)
        .args(["--quiet", "--no-plots", "--force", "--slo", "p99<=1h"])
        .args(["--set", "replications=1"])
        .assert()
        .code(4)
        .stdout(predicate::str::contains(
            "Answer: undecided: none is known to meet every objective",
        ))
        .stdout(predicate::str::contains(
            "one replication cannot claim confidence",
        ));
}

/// A key that only matters under another setting warns, naming both keys
/// and where it was set; the run goes on. Set where it matters, or left at
/// the default (as a resolved config.toml spells it), it says nothing.
#[test]
fn a_key_without_the_setting_it_needs_warns_naming_both() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(tmp.path().join("t.csv"), "timestamp_ms,tenant\n0,a\n5,b\n")
        .unwrap_or_else(|e| panic!("{e}"));
    let exp = tmp.path().join("inert.toml");
    std::fs::write(
        &exp,
        "[workload]\ntrace = \"t.csv\"\n[prewarm]\ntop_k = 7\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    dofleet()
        .arg("config")
        .arg(&exp)
        .assert()
        .code(0)
        .stderr(predicate::str::contains("inert.toml:2:9: `workload.trace` is set but only matters with workload.arrivals = \"trace\""))
        .stderr(predicate::str::contains("inert.toml:4:9: `prewarm.top_k` is set but only matters with \"prewarm\" in policies"));
    let used = tmp.path().join("used.toml");
    std::fs::write(
        &used,
        "policies = [\"prewarm\"]\n[workload]\narrivals = \"trace\"\ntrace = \"t.csv\"\n[prewarm]\ntop_k = 7\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let out = dofleet()
        .arg("config")
        .arg(&used)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(out.status.success());
    assert!(
        !String::from_utf8_lossy(&out.stderr).contains("warning"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The resolved configuration sets every key, at the default's values.
    let resolved = tmp.path().join("resolved.toml");
    std::fs::write(
        &resolved,
        &dofleet()
            .arg("config")
            .output()
            .unwrap_or_else(|e| panic!("{e}"))
            .stdout,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let out = dofleet()
        .arg("config")
        .arg(&resolved)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        !String::from_utf8_lossy(&out.stderr).contains("warning"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
