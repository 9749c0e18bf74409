//! The traffic keys: `workload.arrivals`, the trace keys,
//! `[workload.diurnal]` and `[workload.mmpp]`: layering key by key at three
//! levels, `--set`, sweeps, located errors and the `to_toml` round trip.

use super::experiments::{ok, Dir};
use super::model_types::*;
use super::{check, error_of, layer, model, over_default, pricing};
use crate::experiment::config::*;
use crate::time::SECOND;

const HOUR: u64 = 3600 * SECOND;

#[test]
fn defaults_and_key_by_key_layering_of_nested_tables() {
    let c = load_default().unwrap_or_else(|e| panic!("{e}"));
    let d = &c.workload.diurnal;
    assert_eq!((d.amplitude, d.period, d.peak), (0.5, 24 * HOUR, 14 * HOUR));
    assert!(d.profile.is_empty());
    assert_eq!(c.workload.mmpp.states.len(), 2);
    assert_eq!(c.workload.trace.path, std::path::PathBuf::new());
    assert_eq!(c.workload.trace.tenant, TraceTenant::Function);
    assert_eq!(c.workload.trace.spread, TraceSpread::Uniform);
    assert_eq!(c.workload.trace.index, None);

    let c =
        over_default("[workload]\narrivals = \"diurnal\"\n[workload.diurnal]\namplitude = 0.8\n")
            .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(c.workload.arrivals, Arrivals::Diurnal);
    assert_eq!(c.workload.diurnal.amplitude, 0.8);
    assert_eq!(c.workload.diurnal.period, 24 * HOUR, "the rest is kept");

    let sets = ["workload.diurnal.period=12h", "workload.arrivals=mmpp"];
    let mut layers = vec![model(), pricing(), pricing()];
    for s in sets {
        layers.push(set_layer(s).unwrap_or_else(|e| panic!("{e}")));
    }
    let c = load(&layers).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(c.workload.diurnal.period, 12 * HOUR);
    assert_eq!(c.workload.arrivals, Arrivals::Mmpp);

    // Array-of-tables syntax for the states.
    let c = over_default(
        "[[workload.mmpp.states]]\nrate_rps = 1\nmean_sojourn = \"1s\"\n\
         [[workload.mmpp.states]]\nrate_rps = 0\nmean_sojourn = \"2s\"\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        c.workload.mmpp.states,
        vec![
            MmppState {
                rate_rps: 1.0,
                mean_sojourn: SECOND
            },
            MmppState {
                rate_rps: 0.0,
                mean_sojourn: 2 * SECOND
            }
        ]
    );
}

#[test]
fn to_toml_round_trips_the_traffic_keys() {
    let dir = Dir::new();
    let trace = dir.write("t/trace.csv", "timestamp_ms,tenant\n0,a\n1.5,b\n2000,a\n");
    let path = dir.write(
        "x.toml",
        "[workload]\narrivals = \"trace\"\ntrace = \"t/trace.csv\"\ntrace_tenant = \"app\"\n\
         trace_spread = \"poisson\"\n\
         [workload.diurnal]\namplitude = 0.25\nperiod = \"7d\"\npeak = \"1.5h\"\n\
         profile = [1, 0.5, 2.25]\n\
         [workload.mmpp]\nstates = [{ rate_rps = 3.3333333333333335, mean_sojourn = \"1.234s\" }]\n",
    );
    let c = load_file(&path, &[]).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(c.workload.trace.path, trace);
    assert_eq!(c.workload.trace.tenant, TraceTenant::App);
    let index = c
        .workload
        .trace
        .index
        .clone()
        .unwrap_or_else(|| panic!("no index"));
    assert_eq!((index.tenants(), index.requests()), (2, 3));
    assert_eq!(index.span(), 2000 * 1_000_000);
    assert_eq!(c.workload.diurnal.profile, vec![1.0, 0.5, 2.25]);
    let text = c.to_toml();
    let again = load(&[model(), pricing(), layer("resolved.toml", &text)])
        .unwrap_or_else(|e| panic!("{e}\n{text}"));
    assert_eq!(again, c, "{text}");
    assert!(text.contains("[workload.diurnal]") && text.contains("[workload.mmpp]"));
}

#[test]
fn nested_keys_sweep_like_any_other() {
    let spec = ok(
        "[workload]\narrivals = \"diurnal\"\n\
         [sweep]\n\"workload.diurnal.amplitude\" = { from = 0.0, to = 1.0, steps = 3 }\n",
        &[],
    );
    let amplitudes: Vec<f64> = spec
        .points
        .iter()
        .map(|p| p.config.workload.diurnal.amplitude)
        .collect();
    assert_eq!(amplitudes, vec![0.0, 0.5, 1.0]);
    let spec = ok(
        "[sweep.workload.diurnal]\nprofile = [[1, 2], [3]]\n[sweep.workload]\n\
         arrivals = [\"poisson\", \"mmpp\"]\n",
        &[],
    );
    assert_eq!(spec.points.len(), 4);
    let again = load_experiment(None, &[]).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(again.points.len(), 1);

    // A swept trace path is written absolute (it means the same file
    // wherever the resolved experiment is loaded); its cell as written.
    let dir = Dir::new();
    let trace = dir.write("data/t.csv", "0,a\n5,b\n");
    dir.write("data/u.csv", "0,a\n");
    // The base (outside the sweep) must be valid too: it names a trace.
    let path = dir.write(
        "e.toml",
        "[workload]\narrivals = \"trace\"\ntrace = \"data/u.csv\"\n\
         [sweep]\n\"workload.trace\" = [\"data/t.csv\", \"data/u.csv\"]\n",
    );
    let spec = load_experiment(Some(&path), &[]).unwrap_or_else(|e| panic!("{e}"));
    let values = &spec.sweep[0].1;
    assert_eq!(values[0].cell, "data/t.csv");
    assert_eq!(values[0].toml, format!("{:?}", trace.display().to_string()));
    let resolved = spec.to_toml();
    let moved = dir.write("elsewhere/r.toml", &resolved);
    let again = load_experiment(Some(&moved), &[]).unwrap_or_else(|e| panic!("{e}\n{resolved}"));
    assert_eq!(again.points[0].config.workload.trace.path, trace);
}

#[test]
fn traffic_errors_are_located_and_say_what_was_expected() {
    let shown = check(
        &error_of("[workload]\narrivals = \"diurnl\"\n"),
        "x.toml",
        2,
        12,
        Some("workload.arrivals"),
    );
    assert!(shown.contains("did you mean \"diurnal\"?"), "{shown}");

    let shown = check(
        &error_of("[workload.diurnal]\namplitude = 1.5\n"),
        "x.toml",
        2,
        13,
        Some("workload.diurnal.amplitude"),
    );
    assert!(shown.contains("expected a number from 0 to 1"), "{shown}");

    let shown = check(
        &error_of("[workload.diurnal]\nprofile = [1, -2]\n"),
        "x.toml",
        2,
        15,
        Some("workload.diurnal.profile[1]"),
    );
    assert!(shown.contains("expected a finite number >= 0"), "{shown}");
    let shown = check(
        &error_of("[workload.diurnal]\nprofile = [0, 0]\n"),
        "x.toml",
        2,
        11,
        Some("workload.diurnal.profile"),
    );
    assert!(shown.contains("at least one value > 0"), "{shown}");
    let shown = check(
        &error_of("[workload.diurnal]\nperiod = \"0s\"\n"),
        "x.toml",
        2,
        10,
        Some("workload.diurnal.period"),
    );
    assert!(shown.contains("expected a duration > 0"), "{shown}");
    let shown = check(
        &error_of("[workload.diurnl]\namplitude = 1\n"),
        "x.toml",
        1,
        11,
        Some("workload.diurnl"),
    );
    assert!(
        shown.contains("did you mean `workload.diurnal`?"),
        "{shown}"
    );
    let shown = check(
        &error_of("[workload.diurnal]\namplitud = 1\n"),
        "x.toml",
        2,
        1,
        Some("workload.diurnal.amplitud"),
    );
    assert!(
        shown.contains("did you mean `workload.diurnal.amplitude`?")
            && shown.contains("valid keys in [workload.diurnal]: amplitude, period, peak, profile"),
        "{shown}"
    );

    let shown = check(
        &error_of("[workload.mmpp]\nstates = [{ rate_rps = 1, mean_sojourn = \"1s\" }, { rate_rps = 2 }]\n"),
        "x.toml",
        2,
        50,
        Some("workload.mmpp.states[1].mean_sojourn"),
    );
    assert!(shown.contains("`mean_sojourn` is missing"), "{shown}");
    let shown = check(
        &error_of("[workload.mmpp]\nstates = [{ rate_rps = 1, mean_sojourn = 5 }]\n"),
        "x.toml",
        2,
        42,
        Some("workload.mmpp.states[0].mean_sojourn"),
    );
    assert!(shown.contains("a duration needs a unit"), "{shown}");
    let shown = check(
        &error_of("[workload.mmpp]\nstates = [{ rate = 1, mean_sojourn = \"1s\" }]\n"),
        "x.toml",
        2,
        13,
        Some("workload.mmpp.states[0].rate"),
    );
    assert!(
        shown.contains("did you mean `workload.mmpp.states[0].rate_rps`?"),
        "{shown}"
    );
    let shown = check(
        &error_of("[workload.mmpp]\nstates = []\n"),
        "x.toml",
        2,
        10,
        Some("workload.mmpp.states"),
    );
    assert!(
        shown.contains("expected 1 to 1000 states, found 0"),
        "{shown}"
    );
    let shown = check(
        &error_of("[workload.mmpp]\nstates = [{ rate_rps = 0, mean_sojourn = \"1s\" }]\n"),
        "x.toml",
        2,
        10,
        Some("workload.mmpp.states"),
    );
    assert!(
        shown.contains("at least one state with rate_rps > 0"),
        "{shown}"
    );
}

#[test]
fn trace_errors_point_at_the_setting_and_into_the_trace() {
    let dir = Dir::new();
    // Missing file: at the value, with the resolved path.
    let path = dir.write("x.toml", "[workload]\ntrace = \"nope.csv\"\n");
    let e = load_file(&path, &[])
        .err()
        .unwrap_or_else(|| panic!("expected an error"));
    let shown = check(
        &e,
        &path.display().to_string(),
        2,
        9,
        Some("workload.trace"),
    );
    assert!(
        shown.contains("cannot read the file") && shown.contains("nope.csv"),
        "{shown}"
    );
    // Trace arrivals without a trace: at the key set last.
    let shown = check(
        &error_of("[workload]\narrivals = \"trace\"\n"),
        "x.toml",
        2,
        12,
        Some("workload.arrivals"),
    );
    assert!(shown.contains("needs `workload.trace`"), "{shown}");
    // An out-of-order trace: at the setting, naming the trace's line.
    dir.write("bad.csv", "0,a\n5,b\n# a comment\n3,a\n");
    let path = dir.write(
        "y.toml",
        "[workload]\narrivals = \"trace\"\ntrace = \"bad.csv\"\n",
    );
    let e = load_file(&path, &[])
        .err()
        .unwrap_or_else(|| panic!("expected an error"));
    let shown = check(
        &e,
        &path.display().to_string(),
        3,
        9,
        Some("workload.trace"),
    );
    assert!(
        shown.contains("bad.csv, line 4: out of order: timestamp 3 ms is 2ms before"),
        "{shown}"
    );
}
