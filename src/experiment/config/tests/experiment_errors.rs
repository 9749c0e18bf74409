//! One test per kind of experiment-file error; each checks the error's
//! source, 1-based line and column, and key.

use super::check;
use super::experiments::{experiment, strings, Dir};
use crate::experiment::config::*;

/// The error of loading `text` as `e.toml` in `dir` with `sets`, and the
/// file's name as errors show it.
fn error_in(dir: &Dir, text: &str, sets: &[&str]) -> (ConfigError, String) {
    let path = dir.write("e.toml", text);
    match load_experiment(Some(&path), &strings(sets)) {
        Ok(_) => panic!("expected an error for {text:?}"),
        Err(e) => (e, path.display().to_string()),
    }
}

/// Checks the error of `text` (as `e.toml`) is at `line`:`column`, with
/// `key` and `kind`; returns the message as printed.
fn check_error(text: &str, line: usize, column: usize, key: &str, kind: ErrorKind) -> String {
    let dir = Dir::new();
    let (e, file) = error_in(&dir, text, &[]);
    assert_eq!(e.kind(), kind, "{e}");
    check(&e, &file, line, column, Some(key))
}

#[test]
fn an_unknown_sweep_key_suggests_the_nearest() {
    let shown = check_error(
        "[sweep]\n\"workload.zipfs\" = [1]\n",
        2,
        1,
        "sweep.workload.zipfs",
        ErrorKind::UnknownKey,
    );
    assert!(
        shown.ends_with(
            "unknown sweep key `sweep.workload.zipfs`: expected a config key; \
             did you mean `sweep.workload.zipf_s`?"
        ),
        "{shown}"
    );
    let text = "[sweep.workload]\ntenants = [1]\nzipfs = [1]\n";
    let shown = check_error(text, 3, 1, "sweep.workload.zipfs", ErrorKind::UnknownKey);
    assert!(
        shown.contains("did you mean `sweep.workload.zipf_s`?"),
        "{shown}"
    );
    let text = "[sweep.workloads]\nzipf_s = [1]\n";
    let shown = check_error(text, 1, 8, "sweep.workloads", ErrorKind::UnknownKey);
    assert!(shown.contains("did you mean `sweep.workload`?"), "{shown}");
    let text = "[sweep]\n\"phases.cache_check.max\" = [\"1ms\"]\n";
    let shown = check_error(
        text,
        2,
        1,
        "sweep.phases.cache_check.max",
        ErrorKind::UnknownKey,
    );
    assert!(
        shown.contains("sweep `phases.cache_check` with a list"),
        "{shown}"
    );
    // From --set, located in the --set.
    let dir = Dir::new();
    let (e, _) = error_in(&dir, "seed = 1\n", &["sweep.workload.zipfs=[0.5]"]);
    check(
        &e,
        "--set sweep.workload.zipfs=[0.5]",
        1,
        16,
        Some("sweep.workload.zipfs"),
    );
}

#[test]
fn an_invalid_value_in_a_sweep_is_located_at_that_element() {
    let shown = check_error(
        "seed = 2\n[sweep]\n\"workload.zipf_s\" = [0.5, -1]\n",
        3,
        27,
        "sweep.workload.zipf_s[1]",
        ErrorKind::InvalidValue,
    );
    assert!(
        shown.ends_with(
            "e.toml:3:27: `sweep.workload.zipf_s[1]`: expected a finite number >= 0, \
             found the integer -1"
        ),
        "{shown}"
    );
    let text = "[sweep.do]\nidle_timeout = [\"10s\",\n  { dist = \"uniform\", min = \"3s\", max = \"2s\" }]\n";
    let shown = check_error(
        text,
        3,
        3,
        "sweep.do.idle_timeout[1]",
        ErrorKind::InvalidValue,
    );
    assert!(shown.contains("uniform needs min <= max"), "{shown}");
    let text = "[sweep]\n\"platform.runtime_wasm_compile\" = [\"blocked\", \"alowed\"]\n";
    let key = "sweep.platform.runtime_wasm_compile[1]";
    let shown = check_error(text, 2, 47, key, ErrorKind::InvalidValue);
    assert!(shown.contains("did you mean \"allowed\"?"), "{shown}");
    let text = "[sweep]\n\"workload.tenants\" = [10, \"20\"]\n";
    let shown = check_error(
        text,
        2,
        27,
        "sweep.workload.tenants[1]",
        ErrorKind::WrongType,
    );
    assert!(shown.contains("(write it without quotes)"), "{shown}");
    let text = "[sweep]\n\"workload.zipf_s\" = [0.5, 0.50]\n";
    let shown = check_error(
        text,
        2,
        27,
        "sweep.workload.zipf_s[1]",
        ErrorKind::InvalidValue,
    );
    assert!(
        shown.contains("duplicate of `sweep.workload.zipf_s[0]`"),
        "{shown}"
    );
    // From --set.
    let dir = Dir::new();
    let (e, _) = error_in(&dir, "seed = 1\n", &["sweep.workload.zipf_s=[0.5,-1]"]);
    check(
        &e,
        "--set sweep.workload.zipf_s=[0.5,-1]",
        1,
        28,
        Some("sweep.workload.zipf_s[1]"),
    );
}

#[test]
fn an_empty_list_or_a_lone_value_is_refused() {
    let text = "[sweep]\n\"workload.zipf_s\" = []\n";
    let shown = check_error(
        text,
        2,
        21,
        "sweep.workload.zipf_s",
        ErrorKind::InvalidValue,
    );
    assert!(shown.contains("expected at least one value"), "{shown}");
    let text = "[sweep]\n\"workload.zipf_s\" = 0.5\n";
    let shown = check_error(text, 2, 21, "sweep.workload.zipf_s", ErrorKind::WrongType);
    assert!(shown.contains("expected a non-empty array"), "{shown}");
    let text = "[sweep.do]\nidle_timeout = { dist = \"constant\", value = \"1s\" }\n";
    let shown = check_error(text, 2, 16, "sweep.do.idle_timeout", ErrorKind::WrongType);
    assert!(shown.contains("found one distribution table"), "{shown}");
}

#[test]
fn bad_ranges_are_refused_at_the_bad_part() {
    let zipf = "sweep.workload.zipf_s";
    for (range, column, key, kind, says) in [
        (
            "{ from = 0.6, to = 1.2, steps = 0 }",
            53,
            ".steps",
            ErrorKind::InvalidValue,
            "from 1 to 100000",
        ),
        (
            "{ from = 0.6, to = 1.2, steps = 1 }",
            53,
            ".steps",
            ErrorKind::InvalidValue,
            "steps = 1 needs from == to",
        ),
        (
            "{ from = 0.6, to = 0.6, steps = 3 }",
            53,
            ".steps",
            ErrorKind::InvalidValue,
            "has steps = 1",
        ),
        (
            "{ from = 0, to = 1, steps = 3, scale = \"log\" }",
            30,
            ".from",
            ErrorKind::InvalidValue,
            "needs from and to > 0",
        ),
        (
            "{ from = 1, to = 2, steps = 3, scale = \"lg\" }",
            60,
            ".scale",
            ErrorKind::InvalidValue,
            "did you mean \"log\"?",
        ),
        (
            "{ from = -1, to = 1, steps = 3 }",
            30,
            ".from",
            ErrorKind::InvalidValue,
            "expected a finite number >= 0",
        ),
        (
            "{ from = 0.1, to = \"1s\", steps = 3 }",
            40,
            ".to",
            ErrorKind::WrongType,
            "found the string \"1s\"",
        ),
        (
            "{ from = 0.1, too = 1, steps = 3 }",
            35,
            ".too",
            ErrorKind::UnknownKey,
            "did you mean `sweep.workload.zipf_s.to`?",
        ),
        (
            "{ from = 0.1, steps = 3 }",
            21,
            "",
            ErrorKind::Missing,
            "needs `from`, `to` and `steps`",
        ),
        (
            "{ from = 0.1, to = 1, steps = 1e3 }",
            51,
            ".steps",
            ErrorKind::WrongType,
            "expected an integer",
        ),
    ] {
        let text = format!("[sweep]\n\"workload.zipf_s\" = {range}\n");
        let shown = check_error(&text, 2, column, &format!("{zipf}{key}"), kind);
        assert!(shown.contains(says), "{shown}");
    }
    let text = "[sweep]\n\"workload.tenants\" = { from = 1, to = 3, steps = 5 }\n";
    let shown = check_error(
        text,
        2,
        22,
        "sweep.workload.tenants",
        ErrorKind::InvalidValue,
    );
    assert!(
        shown.contains("gives 2 twice after rounding to whole numbers"),
        "{shown}"
    );
    let text = "[sweep]\n\"workload.tenants\" = { from = 0, to = 3, steps = 3 }\n";
    let shown = check_error(
        text,
        2,
        31,
        "sweep.workload.tenants.from",
        ErrorKind::InvalidValue,
    );
    assert!(
        shown.contains("rounding to an integer from 1 to 100000000"),
        "{shown}"
    );
    let text = "[sweep]\n\"do.idle_timeout\" = { from = 10, to = \"20s\", steps = 3 }\n";
    let shown = check_error(
        text,
        2,
        30,
        "sweep.do.idle_timeout.from",
        ErrorKind::WrongType,
    );
    assert!(shown.contains("a duration needs a unit"), "{shown}");
    let text = "[sweep]\nduration = { from = \"0s\", to = \"1h\", steps = 3 }\n";
    check_error(text, 2, 21, "sweep.duration.from", ErrorKind::InvalidValue);
    let text = "[sweep.lazy]\nparallel_fetch = { from = 0, to = 1, steps = 2 }\n";
    let shown = check_error(
        text,
        2,
        18,
        "sweep.lazy.parallel_fetch",
        ErrorKind::InvalidValue,
    );
    assert!(
        shown.contains("list the values to sweep instead"),
        "{shown}"
    );
}

#[test]
fn architectures_cannot_be_swept() {
    let text = "seed = 1\n[sweep]\narchitectures = [[\"lazy\"], [\"thin\"]]\n";
    let shown = check_error(text, 3, 1, "sweep.architectures", ErrorKind::InvalidValue);
    assert!(shown.contains("architectures cannot be swept"), "{shown}");
}

#[test]
fn sweep_must_be_a_table_of_distinct_keys() {
    let shown = check_error("sweep = [1]\n", 1, 9, "sweep", ErrorKind::WrongType);
    assert!(shown.contains("expected a table of swept keys"), "{shown}");
    let text = "[sweep]\n\"workload.zipf_s\" = [1]\n[sweep.workload]\nzipf_s = [2]\n";
    let shown = check_error(text, 4, 1, "sweep.workload.zipf_s", ErrorKind::Conflict);
    assert!(
        shown.contains("swept twice in this layer (also at line 2, column 1)"),
        "{shown}"
    );
}

#[test]
fn a_conflict_at_a_point_names_its_swept_values() {
    let text = "duration = \"1h\"\n[sweep]\nseed = [1, 2]\nwarmup = [\"10min\", \"2h\"]\n";
    let shown = check_error(text, 4, 20, "warmup", ErrorKind::Conflict);
    assert!(
        shown.ends_with("found 2h (at sweep point 2 of 4: seed = 1, warmup = 2h)"),
        "{shown}"
    );
    let text = "[sweep]\n\"platform.runtime_wasm_compile\" = [\"blocked\", \"allowed\"]\n";
    let shown = check_error(
        text,
        2,
        47,
        "platform.runtime_wasm_compile",
        ErrorKind::Conflict,
    );
    assert!(
        shown.ends_with("(at sweep point 2 of 2: platform.runtime_wasm_compile = allowed)"),
        "{shown}"
    );
    // Valid at every point but not without the sweep.
    let text = "warmup = \"2h\"\n[sweep]\nduration = [\"3h\", \"4h\"]\n";
    let shown = check_error(text, 1, 10, "warmup", ErrorKind::Conflict);
    assert!(shown.contains("in the base configuration"), "{shown}");
}

#[test]
fn a_grid_over_the_limit_says_how_many_points() {
    let text = "[sweep]\nseed = { from = 1, to = 1000, steps = 1000 }\n\
                \"workload.tenants\" = { from = 1, to = 1000, steps = 1000 }\n";
    let shown = check_error(
        text,
        3,
        1,
        "sweep.workload.tenants",
        ErrorKind::InvalidValue,
    );
    assert!(
        shown.contains(
            "the sweep has 1000000 points (seed (1000) x workload.tenants (1000)), \
             more than the limit of 100000"
        ),
        "{shown}"
    );
    // At the limit: fine.
    let text = "[sweep]\nseed = { from = 1, to = 100, steps = 100 }\n\
                \"workload.tenants\" = { from = 1, to = 1000, steps = 1000 }\n";
    let spec = experiment(text, &[]).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(spec.points.len(), MAX_SWEEP_POINTS);
    assert_eq!(spec.points[MAX_SWEEP_POINTS - 1].swept[0].1, "100");
}

#[test]
fn extends_errors_are_at_the_extends_key() {
    let dir = Dir::new();
    let (e, file) = error_in(&dir, "seed = 1\nextends = \"nope.toml\"\n", &[]);
    let missing = dir.0.path().join("nope.toml").display().to_string();
    let shown = check(&e, &file, 2, 11, Some("extends"));
    assert_eq!(e.kind(), ErrorKind::Read);
    assert!(
        shown.contains(&format!("`extends`: cannot read {missing}: ")),
        "{shown}"
    );

    // A cycle through two files, reported where it closes.
    let b = dir.write("sub/b.toml", "extends = \"../e.toml\"\n");
    let (e, file) = error_in(&dir, "extends = \"sub/b.toml\"\n", &[]);
    let shown = check(&e, &b.display().to_string(), 1, 11, Some("extends"));
    assert_eq!(e.kind(), ErrorKind::Conflict);
    assert!(
        shown.contains(&format!("`extends`: a cycle: {file} extends ")),
        "{shown}"
    );
    assert!(shown.ends_with("e.toml"), "{shown}");

    let (e, file) = error_in(&dir, "extends = 3\n", &[]);
    check(&e, &file, 1, 11, Some("extends"));
    assert_eq!(e.kind(), ErrorKind::WrongType);
    let (e, _) = error_in(&dir, "seed = 1\n", &["extends=b.toml"]);
    check(&e, "--set extends=b.toml", 1, 1, Some("extends"));

    // Errors in an extended file are located in it.
    let base = dir.write("base.toml", "seed = 1\n[workload]\ntenats = 3\n");
    let (e, _) = error_in(&dir, "extends = \"base.toml\"\n", &[]);
    check(
        &e,
        &base.display().to_string(),
        3,
        1,
        Some("workload.tenats"),
    );
}

#[test]
fn name_and_description_must_be_strings() {
    check_error("name = \"\"\n", 1, 8, "name", ErrorKind::InvalidValue);
    check_error("name = \"a/b\"\n", 1, 8, "name", ErrorKind::InvalidValue);
    check_error(
        "seed = 1\ndescription = 5\n",
        2,
        15,
        "description",
        ErrorKind::WrongType,
    );
}

#[test]
fn a_list_outside_the_sweep_says_how_to_sweep() {
    let text = "[workload]\nzipf_s = [0.6, 0.8]\n";
    let shown = check_error(text, 2, 10, "workload.zipf_s", ErrorKind::WrongType);
    assert!(
        shown.ends_with("found an array (to sweep several values, list them under [sweep]: \"workload.zipf_s\" = [...])"),
        "{shown}"
    );
    let dir = Dir::new();
    let (e, _) = error_in(&dir, "seed = 1\n", &["workload.zipf_s=[0.6,0.8]"]);
    let shown = check(
        &e,
        "--set workload.zipf_s=[0.6,0.8]",
        1,
        17,
        Some("workload.zipf_s"),
    );
    assert!(
        shown.ends_with("--set 'sweep.workload.zipf_s=[...]')"),
        "{shown}"
    );
}
