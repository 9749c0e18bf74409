//! Charts of an output directory, drawn with plotters as PNG and SVG next to
//! its CSV files.
//!
//! Every chart is drawn from the directory alone: the CSVs (read back by
//! [`data`]) and, for the cold-start timelines, the resolved `config.toml`,
//! which is simulated again with an observer. `dofleet run` and
//! `dofleet plot DIR` therefore write the same files.
//!
//! | file | chart |
//! |---|---|
//! | `latency_cdf[-pN].{png,svg}` | latency CDF per architecture, p50 and p99 marked (one per point) |
//! | `sweep-KEY.{png,svg}` | headline metrics against each swept key, 95% confidence bands |
//! | `memory_vs_p99.{png,svg}` | memory against p99 for every run, Pareto frontier |
//! | `latency_by_ordinal[-pN].{png,svg}` | median latency and share delegated by request number since the DO started |
//! | `cold_start_timeline[-pN].{png,svg}` | one simulated cold start per architecture: phases and requests |
//!
//! `-pN` (N from 1) appears when the experiment has several sweep points; at
//! most [`MAX_POINT_CHARTS`] points get per-point charts (evenly chosen,
//! first and last included; the HTML report lists every point with its
//! tables, and says which points have no charts). Drawing never panics on odd data: values that
//! cannot be drawn (empty, infinite, non-positive on a log axis) are left
//! out, and a panic inside plotters is caught and reported as an error.

mod axis;
pub(crate) use axis::grouped;
mod cdf;
pub mod data;
mod ordinal;
mod pareto;
mod raster;
pub mod style;
mod sweep;
mod timeline;
pub mod tornado;

use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::atomic_write::write_atomically;
use crate::experiment::{Experiment, ObservedTimeline};
pub use data::{compact_value, Results, Variant};

/// At most this many sweep points get their own CDF, ordinal and timeline
/// charts (every shipped experiment has fewer; the report gives every
/// point its tables and says which have no charts).
pub const MAX_POINT_CHARTS: usize = 48;

/// Why charts could not be made.
#[derive(Debug, thiserror::Error)]
pub enum PlotError {
    #[error(
        "{path} not found: expected the results of a finished `dofleet run` \
             (summary.csv, runs.csv, latency_cdf.csv); {status}"
    )]
    NoResults { path: PathBuf, status: String },
    #[error("{path}, line {line}: {message}")]
    Format {
        path: PathBuf,
        line: usize,
        message: String,
    },
    #[error("{path}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: expected the resolved experiment that `dofleet run` writes: {message}")]
    Config { path: PathBuf, message: String },
    #[error("could not draw {chart}: {message}")]
    Draw { chart: String, message: String },
}

/// A drawing failure inside a chart.
#[derive(Debug, Clone)]
pub struct DrawError(pub String);

impl<E: std::error::Error + Send + Sync> From<DrawingAreaErrorKind<E>> for DrawError {
    fn from(e: DrawingAreaErrorKind<E>) -> Self {
        DrawError(e.to_string())
    }
}

/// One chart, ready to draw.
#[derive(Debug, Clone)]
pub enum Chart {
    Cdf(cdf::CdfChart),
    Sweep(sweep::SweepChart),
    Pareto(pareto::ParetoChart),
    Ordinal(ordinal::OrdinalChart),
    Timeline(timeline::TimelineChart),
    Tornado(tornado::TornadoChart),
}

/// A chart with its file name (without extension).
#[derive(Debug, Clone)]
pub struct NamedChart {
    pub stem: String,
    pub chart: Chart,
}

impl Chart {
    /// The chart's title.
    pub fn title(&self) -> String {
        match self {
            Chart::Cdf(c) => c.title(),
            Chart::Sweep(c) => c.title(),
            Chart::Pareto(c) => c.title(),
            Chart::Ordinal(c) => c.title(),
            Chart::Timeline(c) => c.title(),
            Chart::Tornado(c) => c.title(),
        }
    }

    /// Width and height in pixels.
    pub fn size(&self) -> (u32, u32) {
        match self {
            Chart::Cdf(c) => c.size(),
            Chart::Sweep(c) => c.size(),
            Chart::Pareto(c) => c.size(),
            Chart::Ordinal(c) => c.size(),
            Chart::Timeline(c) => c.size(),
            Chart::Tornado(c) => c.size(),
        }
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), DrawError> {
        style::ensure_fonts()?;
        root.fill(&WHITE)?;
        match self {
            Chart::Cdf(c) => c.draw(root),
            Chart::Sweep(c) => c.draw(root),
            Chart::Pareto(c) => c.draw(root),
            Chart::Ordinal(c) => c.draw(root),
            Chart::Timeline(c) => c.draw(root),
            Chart::Tornado(c) => c.draw(root),
        }?;
        root.present()?;
        Ok(())
    }

    /// Runs `f`, turning an error or a panic inside plotters into a
    /// [`PlotError::Draw`].
    fn guarded<T>(&self, f: impl FnOnce() -> Result<T, DrawError>) -> Result<T, PlotError> {
        let failed = |message: String| PlotError::Draw {
            chart: self.title(),
            message,
        };
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(e)) => Err(failed(e.0)),
            Err(panic) => Err(failed(format!(
                "the plotting library failed: {}",
                panic
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_default()
            ))),
        }
    }

    /// The chart as a PNG file's bytes.
    pub fn png(&self) -> Result<Vec<u8>, PlotError> {
        let (w, h) = self.size();
        self.guarded(|| {
            let mut pixels = vec![255u8; w as usize * h as usize * 3];
            {
                let root = raster::Raster::with_buffer(&mut pixels, (w, h)).into_drawing_area();
                self.draw(&root)?;
            }
            encode_png(&pixels, w, h).map_err(|e| DrawError(format!("PNG encoding: {e}")))
        })
    }

    /// The chart as an SVG document.
    pub fn svg(&self) -> Result<String, PlotError> {
        let (w, h) = self.size();
        self.guarded(|| {
            let mut out = String::new();
            {
                let root = SVGBackend::with_string(&mut out, (w, h)).into_drawing_area();
                self.draw(&root)?;
            }
            Ok(out)
        })
    }
}

fn encode_png(rgb: &[u8], w: u32, h: u32) -> Result<Vec<u8>, png::EncodingError> {
    let mut out = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut out, w, h);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        // Default: Best made the four charts of a 1M-tenant run take
        // 0.66 s instead of 0.4 s, for files of the same size (Fast: 0.25 s,
        // files 2.8x larger).
        encoder.set_compression(png::Compression::Default);
        let mut writer = encoder.write_header()?;
        writer.write_image_data(rgb)?;
    }
    Ok(out)
}

/// The points that get per-point charts: all of them up to
/// [`MAX_POINT_CHARTS`], else that many evenly spaced, first and last
/// included.
pub fn charted_points(points: usize) -> Vec<usize> {
    if points <= MAX_POINT_CHARTS {
        return (0..points).collect();
    }
    let n = MAX_POINT_CHARTS;
    let mut chosen: Vec<usize> = (0..n).map(|i| i * (points - 1) / (n - 1)).collect();
    chosen.dedup();
    chosen
}

/// Reads an output directory: its CSVs and its resolved experiment.
pub fn load_dir(dir: &Path) -> Result<(Results, Experiment), PlotError> {
    let results = Results::read(dir)?;
    let config = dir.join("config.toml");
    if !config.is_file() {
        return Err(PlotError::Config {
            path: config,
            message: "file not found".into(),
        });
    }
    let spec = crate::experiment::config::load_experiment(Some(&config), &[]).map_err(|e| {
        PlotError::Config {
            path: config.clone(),
            message: e.to_string(),
        }
    })?;
    let experiment = Experiment::from_spec(spec);
    Ok((results, experiment))
}

/// The index in `experiment.points` of the results' point `point`.
fn experiment_point(results: &Results, experiment: &Experiment, point: usize) -> Option<usize> {
    let values = results.points.get(point)?;
    experiment.points.iter().position(|p| {
        p.swept.len() == values.len() && p.swept.iter().zip(values).all(|((_, a), b)| a == b)
    })
}

/// Every chart of an output directory, in the order the report shows them;
/// `timelines` holds what the runs observed, by experiment point
/// ([`crate::experiment::observe_timelines`]).
pub fn charts(
    results: &Results,
    experiment: &Experiment,
    timelines: &[Option<ObservedTimeline>],
) -> Result<Vec<NamedChart>, PlotError> {
    let several = results.points.len() > 1;
    let suffix = |p: usize| {
        if several {
            format!("-p{}", p + 1)
        } else {
            String::new()
        }
    };
    let mut out = Vec::new();
    for (key_index, key) in results.swept_keys.iter().enumerate() {
        if let Some(c) = sweep::SweepChart::of(results, key_index) {
            out.push(NamedChart {
                stem: format!("sweep-{}", file_safe(key)),
                chart: Chart::Sweep(c),
            });
        }
    }
    if let Some(c) = pareto::ParetoChart::of(results) {
        out.push(NamedChart {
            stem: "memory_vs_p99".into(),
            chart: Chart::Pareto(c),
        });
    }
    for p in charted_points(results.points.len()) {
        let label = results.point_label(p);
        let Some(e) = experiment_point(results, experiment, p) else {
            return Err(PlotError::Config {
                path: results.dir.join("config.toml"),
                message: format!(
                    "it has no sweep point {label:?} of summary.csv: the files come from different runs"
                ),
            });
        };
        let config = &experiment.points[e].config;
        let mut label = label;
        match results.shared_policy(p) {
            Some(policy) if policy != "none" && !label.contains("policies = ") => {
                let named = format!("policies = {policy}");
                label = if label.is_empty() {
                    named
                } else {
                    format!("{label}, {named}")
                };
            }
            _ => {}
        }
        let subtitle = if label.is_empty() {
            crate::report::workload_line(config)
        } else {
            format!("{label}; {}", crate::report::workload_line(config))
        };
        if let Some(c) = cdf::CdfChart::of(results, p, subtitle.clone()) {
            out.push(NamedChart {
                stem: format!("latency_cdf{}", suffix(p)),
                chart: Chart::Cdf(c),
            });
        }
        if let Some(c) = ordinal::OrdinalChart::of(results, p, subtitle.clone()) {
            out.push(NamedChart {
                stem: format!("latency_by_ordinal{}", suffix(p)),
                chart: Chart::Ordinal(c),
            });
        }
        let observed = timelines.get(e).and_then(Option::as_ref);
        if let Some(c) = observed.and_then(|o| timeline::TimelineChart::of(o, label)) {
            out.push(NamedChart {
                stem: format!("cold_start_timeline{}", suffix(p)),
                chart: Chart::Timeline(c),
            });
        }
    }
    Ok(out)
}

/// A swept key as part of a file name: `workload.zipf_s` stays, anything
/// but letters, digits, `.`, `_` and `-` becomes `_`.
pub fn file_safe(key: &str) -> String {
    key.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// What the charts of an output directory are drawn from: its results, its
/// experiment, and the cold-start timelines its runs observed.
#[derive(Debug, Clone)]
pub struct ChartData {
    pub results: Results,
    pub experiment: Experiment,
    pub timelines: Vec<Option<ObservedTimeline>>,
}

impl ChartData {
    /// The data of `dir`, with the timelines `observe` gives for its
    /// experiment (the caller simulates: a report only renders).
    pub fn of_dir(
        dir: &Path,
        observe: impl FnOnce(&Experiment) -> Vec<Option<ObservedTimeline>>,
    ) -> Result<Self, PlotError> {
        let (results, experiment) = load_dir(dir)?;
        let timelines = observe(&experiment);
        Ok(ChartData {
            results,
            experiment,
            timelines,
        })
    }

    /// Every chart, in the order the report shows them.
    pub fn charts(&self) -> Result<Vec<NamedChart>, PlotError> {
        charts(&self.results, &self.experiment, &self.timelines)
    }
}

/// Draws every chart of `data` into `dir`, as `.png` and `.svg`, each
/// written atomically; returns the files written.
pub fn write_plots(dir: &Path, data: &ChartData) -> Result<Vec<PathBuf>, PlotError> {
    let mut written = Vec::new();
    for named in data.charts()? {
        let png = named.chart.png()?;
        let svg = named.chart.svg()?;
        for (ext, bytes) in [("png", png), ("svg", svg.into_bytes())] {
            let path = dir.join(format!("{}.{ext}", named.stem));
            write_atomically(&path, &bytes).map_err(|source| PlotError::Io {
                path: path.clone(),
                source,
            })?;
            written.push(path);
        }
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chooses_at_most_the_cap_of_points_first_and_last_included() {
        assert_eq!(charted_points(3), vec![0, 1, 2]);
        let many = charted_points(100);
        assert_eq!(many.len(), MAX_POINT_CHARTS);
        assert_eq!(many.first(), Some(&0));
        assert_eq!(many.last(), Some(&99));
        assert!(charted_points(0).is_empty());
    }

    #[test]
    fn file_names_are_safe() {
        assert_eq!(file_safe("workload.zipf_s"), "workload.zipf_s");
        assert_eq!(file_safe("a/b c"), "a_b_c");
    }
}
