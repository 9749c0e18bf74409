//! Property tests: no experiment file text, mutation of a valid experiment
//! file, or `--set` argument makes `load_experiment` panic.

use proptest::prelude::*;

use super::experiments::Dir;
use crate::experiment::config::*;

/// A valid experiment file using every experiment feature.
const VALID: &str = r#"extends = "base.toml"
name = "valid"
description = "every feature"
duration = "10min"
[workload]
tenants = 100
[sweep]
"workload.zipf_s" = { from = 0.6, to = 1.2, steps = 3 }
"do.idle_timeout" = ["10s", { dist = "uniform", min = "70s", max = "140s" }]
[sweep.workload]
tenants = { from = 10, to = 1000, steps = 3, scale = "log" }
[sweep.phases]
data_read = [{ dist = "empirical", samples = ["1ms", "2ms"] }, { dist = "lognormal", p50 = "10ms", p99 = "80ms" }]
"#;

const BASE: &str = "seed = 3\n[sweep]\n\"lazy.parallel_fetch\" = [true, false]\n";

/// Sweep values that exercise every reader, valid and not.
const SWEEP_VALUES: &[&str] = &[
    "[]",
    "[1, 2]",
    "[-1]",
    "[\"10s\", \"1ms\"]",
    "[true, 1]",
    "[{}]",
    "{ from = 0, to = 1, steps = 2 }",
    "{ from = 0, to = 1, steps = 2, scale = \"log\" }",
    "{ from = 1e308, to = 1.7e308, steps = 100000 }",
    "{ from = \"1ns\", to = \"584y\", steps = 3, scale = \"log\" }",
    "{ from = \"0s\", to = \"1000d\", steps = 7 }",
    "{ from = 5, to = 5, steps = 1 }",
    "{ from = 1, to = 2 }",
    "{ dist = \"uniform\" }",
    "1",
    "\"x\"",
];

fn sweep_line() -> impl Strategy<Value = String> {
    let key = prop_oneof![
        proptest::sample::select(known_keys()).prop_map(str::to_string),
        "[a-z_.]{1,20}",
    ];
    let value = prop_oneof![
        proptest::sample::select(SWEEP_VALUES).prop_map(str::to_string),
        "\\PC{0,12}",
    ];
    (key, value).prop_map(|(k, v)| format!("\"{k}\" = {v}"))
}

/// Loads `text` as `e.toml` next to a valid `base.toml`; must not panic.
fn load_text(text: &str, sets: &[String]) {
    let dir = Dir::new();
    dir.write("base.toml", BASE);
    let path = dir.write("e.toml", text);
    let _ = load_experiment(Some(&path), sets);
}

#[test]
fn the_valid_file_is_valid() {
    let dir = Dir::new();
    dir.write("base.toml", BASE);
    let path = dir.write("e.toml", VALID);
    let spec = load_experiment(Some(&path), &[]).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(spec.points.len(), 2 * 3 * 2 * 3 * 2);
}

proptest! {
    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,200}") {
        load_text(&text, &[]);
    }

    #[test]
    fn arbitrary_sweeps_never_panic(lines in proptest::collection::vec(sweep_line(), 1..5)) {
        load_text(&format!("[sweep]\n{}\n", lines.join("\n")), &[]);
        let sets: Vec<String> = lines
            .iter()
            .map(|l| format!("sweep.{}", l.replacen("\" = ", "=", 1).trim_start_matches('"')))
            .collect();
        load_text(VALID, &sets);
    }

    #[test]
    fn arbitrary_set_arguments_never_panic(args in proptest::collection::vec("\\PC{0,40}", 1..4)) {
        load_text(VALID, &args);
        let _ = load_experiment(None, &args);
    }

    #[test]
    fn mutated_experiment_files_never_panic(
        edits in proptest::collection::vec((0u8..3, any::<proptest::sample::Index>(), any::<char>()), 1..8)
    ) {
        let mut chars: Vec<char> = VALID.chars().collect();
        for (op, at, c) in edits {
            match op {
                0 if !chars.is_empty() => { chars.remove(at.index(chars.len())); }
                1 => { chars.insert(at.index(chars.len() + 1), c); }
                _ if !chars.is_empty() => { let i = at.index(chars.len()); chars[i] = c; }
                _ => {}
            }
        }
        let text: String = chars.into_iter().collect();
        load_text(&text, &[]);
    }
}
