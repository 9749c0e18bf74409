//! One test per kind of configuration error; each checks the error's
//! source, 1-based line and column, and full dotted key.

use super::{check, error_of, layer, model, over_default, pricing};
use crate::experiment::config::*;

#[test]
fn unknown_top_level_key_suggests_the_nearest() {
    let e = error_of("seed = 3\nreplication = 2\n");
    let shown = check(&e, "x.toml", 2, 1, Some("replication"));
    assert_eq!(e.kind(), ErrorKind::UnknownKey);
    assert!(shown.contains("did you mean `replications`?"), "{shown}");
    assert!(
        shown.contains("valid top-level keys: seed, replications"),
        "{shown}"
    );
    // A key in the wrong table is pointed to its table.
    let shown = check(&error_of("tenants = 3"), "x.toml", 1, 1, Some("tenants"));
    assert!(
        shown.contains("did you mean `workload.tenants`?"),
        "{shown}"
    );
    // Nothing close: no suggestion.
    let shown = check(&error_of("colour = 3"), "x.toml", 1, 1, Some("colour"));
    assert!(!shown.contains("did you mean"), "{shown}");
}

#[test]
fn unknown_key_in_a_table_suggests_the_nearest() {
    let e = error_of("[workload]\nzipf_s = 0.8\ntenats = 1000\n");
    let shown = check(&e, "x.toml", 3, 1, Some("workload.tenats"));
    assert_eq!(
        shown,
        "x.toml:3:1: unknown key `workload.tenats`; did you mean `workload.tenants`? \
         (valid keys in [workload]: tenants, zipf_s, rate_rps, arrivals, trace, trace_tenant, \
         trace_spread, diurnal, mmpp)"
    );
    let shown = check(
        &error_of("[workloads]\ntenants = 3"),
        "x.toml",
        1,
        2,
        Some("workloads"),
    );
    assert!(shown.contains("did you mean `workload`?"), "{shown}");
}

#[test]
fn unknown_key_in_a_distribution_table_suggests_the_nearest() {
    let e =
        error_of("[phases]\ncache_check = { dist = \"uniform\", min = \"5ms\", maxx = \"9ms\" }\n");
    let shown = check(&e, "x.toml", 2, 48, Some("phases.cache_check.maxx"));
    assert!(
        shown.contains("did you mean `phases.cache_check.max`? (valid keys for a uniform distribution: dist, min, max)"),
        "{shown}"
    );
    let e = error_of("architectures = [{ architecture = \"lazy\", compile = \"allowed\" }]");
    let shown = check(&e, "x.toml", 1, 43, Some("architectures[0].compile"));
    assert_eq!(e.kind(), ErrorKind::UnknownKey, "{shown}");
}

#[test]
fn wrong_type_says_expected_and_found() {
    let e = error_of("[workload]\ntenants = \"abc\"\n");
    let shown = check(&e, "x.toml", 2, 11, Some("workload.tenants"));
    assert_eq!(e.kind(), ErrorKind::WrongType);
    assert!(
        shown.ends_with(
            "`workload.tenants`: expected an integer from 1 to 100000000, found the string \"abc\""
        ),
        "{shown}"
    );
    let shown = check(
        &error_of("[lazy]\nparallel_fetch = 1"),
        "x.toml",
        2,
        18,
        Some("lazy.parallel_fetch"),
    );
    assert!(
        shown.contains("expected true or false, found the integer 1"),
        "{shown}"
    );
    let shown = check(
        &error_of("[do]\nidle_timeout = [1]"),
        "x.toml",
        2,
        16,
        Some("do.idle_timeout"),
    );
    assert!(shown.contains("found an array"), "{shown}");
    let shown = check(&error_of("workload = 5"), "x.toml", 1, 12, Some("workload"));
    assert!(shown.contains("expected a table ([workload])"), "{shown}");
}

#[test]
fn out_of_range_numbers_are_refused() {
    for (text, column, key) in [
        ("seed = -1", 8, "seed"),
        ("replications = 0", 16, "replications"),
        ("replications = 10001", 16, "replications"),
        ("workload.rate_rps = 0", 21, "workload.rate_rps"),
        ("workload.zipf_s = nan", 19, "workload.zipf_s"),
        ("workload.tenants = 100000001", 20, "workload.tenants"),
        ("lazy.cache_hit_ratio = 1.5", 24, "lazy.cache_hit_ratio"),
        ("memory.bundle_mb = -inf", 20, "memory.bundle_mb"),
        ("duration = \"0s\"", 12, "duration"),
    ] {
        let e = error_of(text);
        check(&e, "x.toml", 1, column, Some(key));
        assert_eq!(e.kind(), ErrorKind::InvalidValue, "{e}");
    }
}

#[test]
fn a_bare_number_duration_asks_for_a_unit() {
    let e = error_of("[phases]\ncache_check = 10\n");
    let shown = check(&e, "x.toml", 2, 15, Some("phases.cache_check"));
    assert!(
        shown.contains("a duration needs a unit, found the bare number 10"),
        "{shown}"
    );
    let e = error_of("[phases]\ncache_check = { dist = \"uniform\", min = 5, max = \"9ms\" }\n");
    let shown = check(&e, "x.toml", 2, 41, Some("phases.cache_check.min"));
    assert!(shown.contains("needs a unit"), "{shown}");
}

#[test]
fn a_negative_duration_is_refused() {
    let e = error_of("warmup = \"-5s\"");
    let shown = check(&e, "x.toml", 1, 10, Some("warmup"));
    assert!(
        shown.contains("durations cannot be negative, found \"-5s\""),
        "{shown}"
    );
}

#[test]
fn uniform_min_above_max_is_refused() {
    let e = error_of(
        "\n[phases]\ncache_check = { dist = \"uniform\", min = \"20ms\", max = \"5ms\" }\n",
    );
    let shown = check(&e, "x.toml", 3, 15, Some("phases.cache_check"));
    assert_eq!(
        shown,
        "x.toml:3:15: `phases.cache_check`: uniform needs min <= max, found min = 20ms and max = 5ms"
    );
}

#[test]
fn distribution_tables_are_checked() {
    let shown = check(
        &error_of("query_exec = { dist = \"unifrom\", min = \"1ms\", max = \"2ms\" }"),
        "x.toml",
        1,
        23,
        Some("query_exec.dist"),
    );
    assert!(shown.contains("did you mean \"uniform\"?"), "{shown}");
    let shown = check(
        &error_of("phases.r2_fetch.max = \"9ms\""),
        "x.toml",
        1,
        8,
        Some("phases.r2_fetch"),
    );
    assert!(
        shown.contains("needs `dist`") && shown.contains("replaced whole"),
        "{shown}"
    );
    let shown = check(
        &error_of("query_exec = { dist = \"lognormal\", p50 = \"1ms\" }"),
        "x.toml",
        1,
        14,
        Some("query_exec"),
    );
    assert!(
        shown.contains("exactly two quantiles") && shown.contains("found 1 (p50)"),
        "{shown}"
    );
    let e = error_of("query_exec = { dist = \"normal\", mean = \"1ms\" }");
    let shown = check(&e, "x.toml", 1, 14, Some("query_exec.sd"));
    assert!(
        shown.contains("a normal distribution needs `sd`"),
        "{shown}"
    );
    let shown = check(
        &error_of("[compute]\nidle_timeout = { dist = \"exponential\", mean = \"60s\" }"),
        "x.toml",
        2,
        16,
        Some("compute.idle_timeout"),
    );
    assert!(
        shown.contains("expire in the order they went idle"),
        "{shown}"
    );
}

#[test]
fn a_bad_enum_value_lists_the_valid_values() {
    let e = error_of("[platform]\nruntime_wasm_compile = \"alowed\"\n");
    let shown = check(&e, "x.toml", 2, 24, Some("platform.runtime_wasm_compile"));
    assert!(
        shown.ends_with("expected one of \"blocked\", \"allowed\", \"loader\", found \"alowed\"; did you mean \"allowed\"?"),
        "{shown}"
    );
    let shown = check(
        &error_of("architectures = [\"thin\", \"lazy\",\n  \"lazzy\"]"),
        "x.toml",
        2,
        3,
        Some("architectures[2]"),
    );
    assert!(
        shown.contains("\"traditional\", \"hybrid\", \"thin\", \"lazy\""),
        "{shown}"
    );
}

#[test]
fn warmup_must_be_less_than_duration() {
    // Set together: the error is at warmup.
    let e = error_of("duration = \"10min\"\nwarmup = \"10min\"\n");
    let shown = check(&e, "x.toml", 2, 10, Some("warmup"));
    assert_eq!(e.kind(), ErrorKind::Conflict);
    assert!(shown.contains(
        "expected a duration less than `duration` = 10min (set at x.toml:1:12), found 10min"
    ));
    // Warmup set last (by `--set`): the error is there.
    let set = set_layer("warmup=2h").unwrap_or_else(|e| panic!("{e}"));
    let e = load(&[model(), pricing(), set])
        .err()
        .unwrap_or_else(|| panic!("expected an error"));
    let shown = check(&e, "--set warmup=2h", 1, 8, Some("warmup"));
    assert!(
        shown.contains("(set at <embedded models/cloudflare.toml>:"),
        "{shown}"
    );
    // Duration shortened below an earlier warmup: the error is at duration.
    let set = set_layer("duration=10min").unwrap_or_else(|e| panic!("{e}"));
    let e = load(&[
        model(),
        pricing(),
        layer("x.toml", "warmup = \"30min\""),
        set,
    ])
    .err();
    let e = e.unwrap_or_else(|| panic!("expected an error"));
    let shown = check(&e, "--set duration=10min", 1, 10, Some("duration"));
    assert!(
        shown.contains("greater than `warmup` = 30min (set at x.toml:1:10)"),
        "{shown}"
    );
}

#[test]
fn duplicate_architectures_are_refused() {
    let e = error_of(
        "architectures = [\n  \"lazy\",\n  \"thin\",\n  { architecture = \"lazy\" },\n]\n",
    );
    let shown = check(&e, "x.toml", 4, 3, Some("architectures[2]"));
    assert_eq!(e.kind(), ErrorKind::Conflict);
    assert!(shown.contains("duplicate of `architectures[0]`"), "{shown}");
    // Made duplicate by a later platform setting: the error is at that setting.
    let set = set_layer("platform.runtime_wasm_compile=allowed").unwrap_or_else(|e| panic!("{e}"));
    let e = load(&[model(), pricing(), set])
        .err()
        .unwrap_or_else(|| panic!("expected an error"));
    let shown = check(
        &e,
        "--set platform.runtime_wasm_compile=allowed",
        1,
        31,
        Some("platform.runtime_wasm_compile"),
    );
    assert!(
        shown.contains("makes `architectures[3]` and `architectures[4]`"),
        "{shown}"
    );
    // Distinct runtime_wasm_compile: not duplicates.
    let c = over_default("architectures = [\"lazy\", { architecture = \"lazy\", runtime_wasm_compile = \"loader\" }]");
    assert_eq!(c.map(|c| c.architectures.len()).ok(), Some(2));
}

#[test]
fn a_toml_syntax_error_is_located() {
    let e = error_of("seed = 1\n[workload\ntenants = 3\n");
    check(&e, "x.toml", 2, 10, None);
    assert_eq!(e.kind(), ErrorKind::Syntax);
    let e = error_of("duration = 5ms");
    let shown = check(&e, "x.toml", 1, 12, None);
    assert!(shown.contains("invalid TOML"), "{shown}");
}

#[test]
fn an_unreadable_file_names_the_path_and_the_os_error() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let path = dir.path().join("missing.toml");
    let e = load_file(&path, &[])
        .err()
        .unwrap_or_else(|| panic!("expected an error"));
    assert_eq!(e.source(), path.display().to_string());
    assert_eq!((e.line(), e.column(), e.key()), (None, None, None));
    assert_eq!(e.kind(), ErrorKind::Read);
    assert!(e.to_string().contains("os error"), "{e}");
}

#[test]
fn a_bad_set_form_says_the_expected_form() {
    for (arg, found) in [("workload.tenants", "no `=`"), (" =5", "an empty KEY")] {
        let e = set_layer(arg)
            .err()
            .unwrap_or_else(|| panic!("expected an error"));
        assert_eq!(e.source(), format!("--set {arg}"));
        assert_eq!((e.line(), e.column(), e.key()), (None, None, None));
        assert_eq!(e.kind(), ErrorKind::SetForm);
        assert!(
            e.to_string().contains("expected --set KEY=VALUE") && e.to_string().contains(found)
        );
    }
}

#[test]
fn a_quoted_dotted_key_is_one_unknown_key() {
    let e = error_of("\"workload.tenants\" = 5");
    let shown = check(&e, "x.toml", 1, 1, Some("workload.tenants"));
    assert_eq!(e.kind(), ErrorKind::UnknownKey);
    assert!(
        shown.contains("write workload.tenants without quotes"),
        "{shown}"
    );
}
