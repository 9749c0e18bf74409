//! Charts and the HTML report: the files `run` and `plot` draw, the errors
//! `plot` gives on a directory without results, the report's
//! self-containedness, and the report opened in headless Chromium (skipped
//! with a message where Chromium is not installed, never under CI).

use std::path::{Path, PathBuf};
use std::process::{Command as Process, Stdio};
use std::time::{Duration, Instant};

use assert_cmd::Command;
use dofleet::experiment::observe_timelines;
use dofleet::report::plots::ChartData;
use predicates::prelude::*;
use proptest::prelude::*;

fn dofleet() -> Command {
    Command::cargo_bin("dofleet").unwrap()
}

/// The architectures of the default model, as the charts name them.
const TITLES: [&str; 5] = [
    "Traditional",
    "Hybrid",
    "Thin State",
    "Lazy WASM (blocked)",
    "Lazy WASM (allowed)",
];

/// The charts of a two-point sweep.
const SWEEP_CHARTS: [&str; 8] = [
    "sweep-workload.zipf_s",
    "memory_vs_p99",
    "latency_cdf-p1",
    "latency_by_ordinal-p1",
    "cold_start_timeline-p1",
    "latency_cdf-p2",
    "latency_by_ordinal-p2",
    "cold_start_timeline-p2",
];

/// Runs a small sweep (2 points x 5 architectures x 2 replications) into
/// `dir/out`, with `extra` arguments.
fn run_sweep(dir: &Path, extra: &[&str]) -> PathBuf {
    let file = dir.join("small-sweep.toml");
    std::fs::write(
        &file,
        "duration = \"2min\"\nreplications = 2\n[workload]\ntenants = 300\n\
         [sweep]\n\"workload.zipf_s\" = [0.8, 1.1]\n",
    )
    .unwrap();
    let out = dir.join("out");
    dofleet()
        .arg("run")
        .arg(&file)
        .arg("--out")
        .arg(&out)
        .args(extra)
        .assert()
        .success();
    out
}

/// Runs the default model for a simulated minute into `dir/single`.
fn run_single(dir: &Path) -> PathBuf {
    let file = dir.join("single.toml");
    std::fs::write(&file, "duration = \"1min\"\nreplications = 2\n").unwrap();
    let out = dir.join("single");
    dofleet()
        .arg("run")
        .arg(&file)
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    out
}

/// Decodes a PNG file: width, height, and how many distinct colours it has.
fn decode_png(path: &Path) -> (u32, u32, usize) {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert!(
        bytes.starts_with(b"\x89PNG\r\n\x1a\n"),
        "{} is not a PNG",
        path.display()
    );
    let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    let channels = info.color_type.samples();
    let mut colours: Vec<&[u8]> = buf[..info.buffer_size()].chunks(channels).collect();
    colours.sort_unstable();
    colours.dedup();
    (info.width, info.height, colours.len())
}

#[test]
fn run_draws_every_chart_as_png_and_svg_next_to_the_csvs() {
    let tmp = tempfile::tempdir().unwrap();
    let out = run_sweep(tmp.path(), &[]);
    for stem in SWEEP_CHARTS {
        let (w, h, colours) = decode_png(&out.join(format!("{stem}.png")));
        assert!(w >= 800 && h >= 500, "{stem}.png is {w}x{h}");
        assert!(colours > 20, "{stem}.png has {colours} colours: blank?");
        let svg = std::fs::read_to_string(out.join(format!("{stem}.svg"))).unwrap();
        assert!(svg.starts_with("<svg"), "{stem}.svg: {}", &svg[..40]);
        assert!(svg.trim_end().ends_with("</svg>"), "{stem}.svg is cut off");
        assert!(svg.contains("<text"), "{stem}.svg has no text");
    }
    // Every architecture is in the legend of the CDF and of the timeline.
    for stem in ["latency_cdf-p1", "cold_start_timeline-p2"] {
        let svg = std::fs::read_to_string(out.join(format!("{stem}.svg"))).unwrap();
        for title in TITLES {
            assert!(svg.contains(title), "{stem}.svg does not name {title}");
        }
    }
}

#[test]
fn no_plots_draws_nothing_and_plot_draws_the_same_bytes_later() {
    let tmp = tempfile::tempdir().unwrap();
    let with = run_sweep(tmp.path(), &[]);
    let other = tempfile::tempdir().unwrap();
    let without = run_sweep(other.path(), &["--no-plots"]);
    let images = |dir: &Path| {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".png") || n.ends_with(".svg"))
            .collect();
        names.sort();
        names
    };
    assert!(images(&without).is_empty(), "{:?}", images(&without));
    dofleet()
        .arg("plot")
        .arg(&without)
        .assert()
        .success()
        .stderr(predicate::str::contains("Drew 8 charts"));
    assert_eq!(images(&with), images(&without));
    for name in images(&with) {
        assert!(
            std::fs::read(with.join(&name)).unwrap() == std::fs::read(without.join(&name)).unwrap(),
            "{name} differs between run and plot"
        );
    }
}

#[test]
fn plot_on_a_directory_without_results_names_the_missing_file() {
    let tmp = tempfile::tempdir().unwrap();
    dofleet()
        .arg("plot")
        .arg(tmp.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("summary.csv not found"))
        .stderr(predicate::str::contains("finished `dofleet run`"))
        .stderr(predicate::str::contains("no manifest.toml"));
    dofleet()
        .arg("report")
        .arg(tmp.path().join("nothing-here"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("summary.csv not found"));
}

#[test]
fn plot_on_a_shard_says_to_merge_or_resume() {
    let tmp = tempfile::tempdir().unwrap();
    let out = run_sweep(tmp.path(), &["--shard", "1/2"]);
    dofleet()
        .arg("plot")
        .arg(&out)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("status \"shard\""))
        .stderr(predicate::str::contains("--resume"));
}

#[test]
fn plot_on_a_damaged_csv_names_the_file_line_and_column() {
    let tmp = tempfile::tempdir().unwrap();
    let out = run_sweep(tmp.path(), &["--no-plots"]);
    let path = out.join("summary.csv");
    let text = std::fs::read_to_string(&path).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let header: Vec<&str> = lines[0].split(',').collect();
    let column = header.iter().position(|c| *c == "latency_p99_ms").unwrap();
    let mut cells: Vec<String> = lines[2].split(',').map(str::to_string).collect();
    cells[column] = "fast".into();
    lines[2] = cells.join(",");
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    dofleet()
        .arg("plot")
        .arg(&out)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("summary.csv, line 3"))
        .stderr(predicate::str::contains(
            "column latency_p99_ms: expected a number, found \"fast\"",
        ));
    std::fs::write(out.join("config.toml"), "workload = 3\n").unwrap();
    std::fs::write(&path, text).unwrap();
    dofleet()
        .arg("plot")
        .arg(&out)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "config.toml: expected the resolved experiment",
        ));
}

#[test]
fn plot_and_report_take_no_set() {
    dofleet()
        .args(["plot", "somewhere", "--set", "seed=2"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("plot takes no --set"));
}

/// The report of a directory, written by `dofleet report`.
fn report(dir: &Path) -> (PathBuf, String) {
    dofleet()
        .arg("report")
        .arg(dir)
        .assert()
        .success()
        .stderr(predicate::str::contains("report.html"));
    let path = dir.join("report.html");
    let html = std::fs::read_to_string(&path).unwrap();
    (path, html)
}

#[test]
fn the_report_is_self_contained_and_shows_every_architecture_and_chart() {
    let tmp = tempfile::tempdir().unwrap();
    let out = run_sweep(tmp.path(), &[]);
    let (_, html) = report(&out);
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.trim_end().ends_with("</html>"));
    for title in TITLES {
        assert!(html.contains(title), "the report does not name {title}");
    }
    assert_eq!(html.matches("<svg").count(), SWEEP_CHARTS.len());
    for stem in SWEEP_CHARTS {
        assert!(html.contains(&format!("id=\"chart-{stem}\"")), "no {stem}");
    }
    for section in [
        "Resolved configuration",
        "The sweep",
        "Comparison with other",
    ] {
        assert!(html.contains(section), "no section {section}");
    }
    // Loads nothing from anywhere: no URL, script, stylesheet or image.
    for outside in [
        "http:", "https:", "//", "<script", "<link", "<img", "<iframe", "url(", "@import", "src=",
    ] {
        let found = html.match_indices(outside).next();
        assert!(
            found.is_none(),
            "the report refers outside itself: {:?}",
            found.map(|(i, _)| &html[i.saturating_sub(60)..(i + 60).min(html.len())])
        );
    }
    for link in html.match_indices("href=\"").map(|(i, _)| &html[i + 6..]) {
        assert!(
            link.starts_with('#'),
            "a link leaves the page: {}",
            &link[..40]
        );
    }
}

/// Chromium's binary: `DOFLEET_CHROMIUM`, else the first of the usual names
/// on the PATH.
fn chromium() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("DOFLEET_CHROMIUM") {
        return Some(PathBuf::from(p));
    }
    let path = std::env::var_os("PATH")?;
    ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .flat_map(|name| std::env::split_paths(&path).map(move |d| d.join(name)))
        .find(|p| p.is_file())
}

/// Runs headless Chromium on `url` with `args`, killing it after a minute;
/// returns (success, stdout, stderr). Output goes through files, so that a
/// talkative browser never blocks on a full pipe.
fn headless(browser: &Path, profile: &Path, args: &[String], url: &str) -> (bool, String, String) {
    let stdout = profile.join("stdout.txt");
    let stderr = profile.join("stderr.txt");
    let mut child = Process::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
        ])
        .arg(format!(
            "--user-data-dir={}",
            profile.join("profile").display()
        ))
        .args(args)
        .arg(url)
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&stdout).unwrap())
        .stderr(std::fs::File::create(&stderr).unwrap())
        .spawn()
        .expect("chromium starts");
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("chromium did not finish within a minute");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let read =
        |p: &Path| String::from_utf8_lossy(&std::fs::read(p).unwrap_or_default()).into_owned();
    (status.success(), read(&stdout), read(&stderr))
}

#[test]
fn the_report_loads_in_headless_chromium_without_errors() {
    let Some(browser) = chromium() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must install Chromium (.ci/run does: apt-get install chromium)"
        );
        eprintln!(
            "SKIPPED the_report_loads_in_headless_chromium_without_errors: no chromium on the \
             PATH (apt-get install chromium, or set DOFLEET_CHROMIUM)"
        );
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let out = run_single(tmp.path());
    let (path, _) = report(&out);
    let url = format!("file://{}", path.canonicalize().unwrap().display());

    let profile = tempfile::tempdir().unwrap();
    let (ok, dom, log) = headless(
        &browser,
        profile.path(),
        &[
            "--enable-logging=stderr".into(),
            "--v=1".into(),
            "--dump-dom".into(),
        ],
        &url,
    );
    assert!(ok, "chromium failed: {log}");
    assert!(dom.contains("<title>dofleet: single</title>"), "{dom:.300}");
    assert_eq!(dom.matches("<svg").count(), 4, "charts parsed");
    for title in TITLES {
        assert!(dom.contains(title), "the rendered page lacks {title}");
    }
    // The page logs nothing to the console and loads no other file.
    for line in log.lines() {
        assert!(!line.contains(":CONSOLE"), "console message: {line}");
        if let Some((_, loaded)) = line.split_once("FileURLLoader::Start: ") {
            assert!(loaded.ends_with("report.html"), "loaded {loaded}");
        }
    }

    let shot = tmp.path().join("report.png");
    let profile = tempfile::tempdir().unwrap();
    let (ok, _, log) = headless(
        &browser,
        profile.path(),
        &[
            format!("--screenshot={}", shot.display()),
            "--window-size=1280,2400".into(),
        ],
        &url,
    );
    assert!(ok, "chromium failed: {log}");
    let (w, h, colours) = decode_png(&shot);
    assert_eq!((w, h), (1280, 2400));
    assert!(colours > 50, "the screenshot has {colours} colours: blank?");
}

/// A cell value a damaged or hand-made CSV might hold.
fn odd_value() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "", "0", "-1", "1e308", "-1e308", "NaN", "inf", "-inf", "1e-300", "abc", "0.5", "1e6",
    ])
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, .. ProptestConfig::default() })]

    /// Odd numbers in the CSVs give charts or an error, never a panic.
    #[test]
    fn odd_values_never_panic(
        edits in prop::collection::vec((0usize..3, 1usize..40, 3usize..90, odd_value()), 1..30)
    ) {
        let (tmp, out) = fixture();
        for (file, line, column, value) in edits {
            let name = ["summary.csv", "runs.csv", "latency_cdf.csv"][file];
            let path = out.join(name);
            let text = std::fs::read_to_string(&path).unwrap();
            let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
            if line < lines.len() {
                let mut cells: Vec<String> = lines[line].split(',').map(str::to_string).collect();
                if column < cells.len() {
                    cells[column] = value.to_string();
                }
                lines[line] = cells.join(",");
            }
            std::fs::write(&path, lines.join("\n") + "\n").unwrap();
        }
        let data = std::panic::catch_unwind(|| ChartData::of_dir(&out, observe_timelines));
        prop_assert!(data.is_ok(), "reading the directory panicked");
        if let Ok(Ok(data)) = data {
            let result = std::panic::catch_unwind(|| dofleet::report::plots::write_plots(&out, &data));
            prop_assert!(result.is_ok(), "write_plots panicked");
            let result = std::panic::catch_unwind(|| dofleet::report::html::render_report(&out, &data));
            prop_assert!(result.is_ok(), "render_report panicked");
        }
        drop(tmp);
    }
}

/// A fresh copy of a small run's output directory (the run is made once).
fn fixture() -> (tempfile::TempDir, PathBuf) {
    use std::sync::OnceLock;
    static MADE: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    let (_, source) = MADE.get_or_init(|| {
        let tmp = tempfile::tempdir().unwrap();
        let out = run_sweep(tmp.path(), &["--no-plots"]);
        (tmp, out)
    });
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("copy");
    std::fs::create_dir_all(&out).unwrap();
    for name in [
        "summary.csv",
        "runs.csv",
        "latency_cdf.csv",
        "config.toml",
        "manifest.toml",
    ] {
        std::fs::copy(source.join(name), out.join(name)).unwrap();
    }
    (tmp, out)
}

#[test]
fn the_notebook_is_committed_without_outputs_and_reads_its_experiment_from_the_environment() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/notebooks/analysis.ipynb");
    let text = std::fs::read_to_string(path).unwrap();
    assert!(
        !text.contains("\"output_type\""),
        "{path} carries outputs: clear them before committing"
    );
    let counts = text.match_indices("\"execution_count\":").count();
    let cleared = text.matches("\"execution_count\": null").count();
    assert_eq!(counts, cleared, "{path} carries execution counts");
    assert!(counts >= 5, "{path} has {counts} code cells");
    // It runs the experiment through the Python package (python/).
    for needed in [
        "DOFLEET_EXPERIMENT",
        "DOFLEET_SET",
        "DOFLEET_COMPARE_SET",
        "dofleet.run(",
        "latency_cdf",
    ] {
        assert!(text.contains(needed), "{path} does not mention {needed}");
    }
}
