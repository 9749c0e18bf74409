//! What every chart shares: the embedded font, the colour-blind-safe
//! Okabe-Ito palette, one style per architecture (colour, dash, marker),
//! axes (linear, log or categorical, with their own tick labels and units),
//! and a legend drawn outside the plot so it never covers data.
//!
//! Charts need no system fonts: DejaVu Sans is compiled in (the `dejavu`
//! crate) and registered with plotters' `ab_glyph` text renderer, so a fresh
//! machine renders the same pixels. SVG files name the `sans-serif` family
//! and the viewer draws the text.

use std::sync::OnceLock;

use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, Ranged};
use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::FontStyle;

use super::data::Variant;
use super::DrawError;

/// The font family every text uses (registered by [`ensure_fonts`]).
pub const FONT: &str = "sans-serif";
/// Text sizes, in pixels.
pub const TITLE: f64 = 22.0;
pub const SUBTITLE: f64 = 16.0;
pub const AXIS: f64 = 16.0;
pub const TICK: f64 = 13.0;
pub const LEGEND: f64 = 14.0;

/// Registers the embedded DejaVu Sans as `sans-serif` (once).
pub fn ensure_fonts() -> Result<(), DrawError> {
    static DONE: OnceLock<bool> = OnceLock::new();
    let ok = *DONE.get_or_init(|| {
        plotters::style::register_font(FONT, FontStyle::Normal, dejavu::sans::regular()).is_ok()
            && plotters::style::register_font(FONT, FontStyle::Bold, dejavu::sans::bold()).is_ok()
    });
    if ok {
        Ok(())
    } else {
        Err(DrawError(
            "the embedded DejaVu Sans font could not be loaded".into(),
        ))
    }
}

/// A text style of `size` pixels.
pub fn text(size: f64) -> TextStyle<'static> {
    (FONT, size).into_font().color(&BLACK)
}

/// A bold text style of `size` pixels.
pub fn bold(size: f64) -> TextStyle<'static> {
    (FONT, size)
        .into_font()
        .style(FontStyle::Bold)
        .color(&BLACK)
}

/// The Okabe-Ito palette (Okabe & Ito 2008), safe for the common forms of
/// colour blindness.
pub mod okabe_ito {
    use plotters::style::RGBColor;
    pub const BLACK: RGBColor = RGBColor(0, 0, 0);
    pub const ORANGE: RGBColor = RGBColor(0xE6, 0x9F, 0x00);
    pub const SKY_BLUE: RGBColor = RGBColor(0x56, 0xB4, 0xE9);
    pub const BLUISH_GREEN: RGBColor = RGBColor(0x00, 0x9E, 0x73);
    pub const YELLOW: RGBColor = RGBColor(0xF0, 0xE4, 0x42);
    pub const BLUE: RGBColor = RGBColor(0x00, 0x72, 0xB2);
    pub const VERMILLION: RGBColor = RGBColor(0xD5, 0x5E, 0x00);
    pub const REDDISH_PURPLE: RGBColor = RGBColor(0xCC, 0x79, 0xA7);
}

/// Light grey for grids and bands' edges.
pub const GRID: RGBColor = RGBColor(0xDD, 0xDD, 0xDD);
pub const GREY: RGBColor = RGBColor(0x77, 0x77, 0x77);

/// A marker shape: with colour and dashes, a series stays identifiable in
/// greyscale and for every kind of colour vision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    Circle,
    Square,
    Triangle,
    Diamond,
    TriangleDown,
    Plus,
}

impl Shape {
    /// The outline, in pixels around the centre, for a marker of `r` pixels.
    pub fn outline(self, r: i32) -> Vec<(i32, i32)> {
        let h = r * 2 / 3;
        match self {
            Shape::Circle => (0..16)
                .map(|i| {
                    let a = f64::from(i) * std::f64::consts::PI / 8.0;
                    (
                        (f64::from(r) * a.cos()).round() as i32,
                        (f64::from(r) * a.sin()).round() as i32,
                    )
                })
                .collect(),
            Shape::Square => vec![(-h, -h), (h, -h), (h, h), (-h, h)],
            Shape::Triangle => vec![(0, -r), (r, r * 3 / 4), (-r, r * 3 / 4)],
            Shape::TriangleDown => vec![(0, r), (r, -r * 3 / 4), (-r, -r * 3 / 4)],
            Shape::Diamond => vec![(0, -r), (r, 0), (0, r), (-r, 0)],
            Shape::Plus => {
                let t = (r / 3).max(1);
                vec![
                    (-t, -r),
                    (t, -r),
                    (t, -t),
                    (r, -t),
                    (r, t),
                    (t, t),
                    (t, r),
                    (-t, r),
                    (-t, t),
                    (-r, t),
                    (-r, -t),
                    (-t, -t),
                ]
            }
        }
    }
}

/// How one series is drawn.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SeriesStyle {
    pub color: RGBColor,
    pub dashed: bool,
    pub shape: Shape,
}

/// The style of an architecture, the same in every chart. Lazy variants
/// are dashed, so that lazy (blocked), which behaves exactly like thin,
/// does not hide it.
pub fn variant_style(variant: &Variant, index: usize) -> SeriesStyle {
    use okabe_ito::*;
    let (color, dashed, shape) = match (
        variant.architecture.as_str(),
        variant.runtime_wasm_compile.as_str(),
    ) {
        ("traditional", _) => (VERMILLION, false, Shape::Square),
        ("hybrid", _) => (ORANGE, false, Shape::Triangle),
        ("thin", _) => (BLUE, false, Shape::Circle),
        ("lazy", "blocked") => (SKY_BLUE, true, Shape::Diamond),
        ("lazy", "allowed") => (BLUISH_GREEN, true, Shape::Plus),
        ("lazy", _) => (REDDISH_PURPLE, true, Shape::TriangleDown),
        _ => {
            let extra = [BLACK, GREY, YELLOW];
            (extra[index % extra.len()], index % 2 == 1, Shape::Circle)
        }
    };
    SeriesStyle {
        color,
        dashed,
        shape,
    }
}

/// Draws a marker of radius `r` pixels at `at` (plot coordinates), filled
/// with `color`, outlined in black.
pub fn draw_marker<DB: DrawingBackend>(
    chart: &mut ChartContext<'_, DB, Coord2>,
    at: (f64, f64),
    shape: Shape,
    r: i32,
    color: RGBColor,
) -> Result<(), DrawError> {
    if !(at.0.is_finite() && at.1.is_finite()) {
        return Ok(());
    }
    let outline = shape.outline(r);
    let mut closed = outline.clone();
    if let Some(first) = outline.first() {
        closed.push(*first);
    }
    let element = EmptyElement::at(at)
        + Polygon::new(outline, color.filled())
        + PathElement::new(closed, BLACK.stroke_width(1));
    chart.draw_series(std::iter::once(element))?;
    Ok(())
}

/// Draws a polyline in a series' style (dashed or solid), `width` pixels
/// wide; points that cannot be drawn are skipped.
pub fn draw_line<DB: DrawingBackend>(
    chart: &mut ChartContext<'_, DB, Coord2>,
    points: Vec<(f64, f64)>,
    style: SeriesStyle,
    width: u32,
) -> Result<(), DrawError> {
    let points: Vec<(f64, f64)> = points
        .into_iter()
        .filter(|p| p.0.is_finite() && p.1.is_finite())
        .collect();
    let s = style.color.stroke_width(width);
    if style.dashed {
        chart.draw_series(std::iter::once(DashedPathElement::new(points, 9, 5, s)))?;
    } else {
        chart.draw_series(std::iter::once(PathElement::new(points, s)))?;
    }
    Ok(())
}

/// The unit an axis's tick labels carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// Milliseconds: `10 ms`, `1.5 s`.
    Ms,
    /// A fraction shown as a percentage: `40%`.
    Percent,
    /// Gigabytes (GiB): `32 GB`, `0.5 GB`.
    Gb,
    /// A plain number: `0.8`, `10k`.
    Plain,
}

/// Formats a number briefly: at most three significant digits, no
/// trailing zeros.
pub fn short(v: f64) -> String {
    if !v.is_finite() {
        return "-".into();
    }
    if v.abs() >= 10_000.0 {
        return super::data::si_count(v);
    }
    let digits = if v == 0.0 {
        0
    } else {
        (2 - v.abs().log10().floor() as i32).clamp(0, 6) as usize
    };
    let s = format!("{v:.digits$}");
    let s = if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    };
    if s == "-0" {
        "0".into()
    } else {
        s
    }
}

impl Unit {
    /// A tick label for the value `v` (in the data's unit).
    pub fn label(self, v: f64) -> String {
        match self {
            Unit::Ms if v.abs() >= 1000.0 => format!("{} s", short(v / 1000.0)),
            Unit::Ms => format!("{} ms", short(v)),
            Unit::Percent => format!("{}%", short(v * 100.0)),
            Unit::Gb => format!("{} GB", short(v)),
            Unit::Plain => short(v),
        }
    }
}

/// An axis: its range, ticks and labels, in plot coordinates (log10 of the
/// value on a log axis, the index on a categorical one).
#[derive(Debug, Clone)]
pub struct Axis {
    pub lo: f64,
    pub hi: f64,
    pub log: bool,
    ticks: Vec<f64>,
    light: Vec<f64>,
    labels: Vec<String>,
}

/// A "nice" step (1, 2 or 5 times a power of ten) near `raw`.
fn nice_step(raw: f64) -> f64 {
    if !(raw.is_finite() && raw > 0.0) {
        return 1.0;
    }
    let p = 10f64.powf(raw.log10().floor());
    let m = raw / p;
    let n = if m < 1.5 {
        1.0
    } else if m < 3.5 {
        2.0
    } else if m < 7.5 {
        5.0
    } else {
        10.0
    };
    n * p
}

/// `(min, max)` of the finite values, or `None`.
pub fn extent(values: impl IntoIterator<Item = f64>) -> Option<(f64, f64)> {
    values
        .into_iter()
        .filter(|v| v.is_finite())
        .fold(None, |acc, v| match acc {
            None => Some((v, v)),
            Some((lo, hi)) => Some((lo.min(v), hi.max(v))),
        })
}

impl Axis {
    /// A linear axis covering `[min, max]` with about `target` ticks.
    /// `from_zero` extends it to zero (bars, fractions).
    pub fn linear(min: f64, max: f64, unit: Unit, target: usize, from_zero: bool) -> Axis {
        let (mut lo, mut hi) = if min.is_finite() && max.is_finite() && min <= max {
            (min, max)
        } else {
            (0.0, 1.0)
        };
        if from_zero {
            lo = lo.min(0.0);
            hi = hi.max(0.0);
        }
        if hi - lo < 1e-12 * hi.abs().max(1.0) {
            let pad = if hi == 0.0 { 1.0 } else { hi.abs() * 0.1 };
            lo -= pad;
            hi += pad;
            if from_zero && min >= 0.0 {
                lo = 0.0;
            }
        }
        let step = nice_step((hi - lo) / target.max(1) as f64);
        let first = (lo / step).floor() * step;
        let last = (hi / step).ceil() * step;
        let (lo, hi) = if from_zero {
            (first.max(lo.min(0.0)), last)
        } else {
            (lo - (hi - lo) * 0.04, hi + (hi - lo) * 0.04)
        };
        let mut ticks = Vec::new();
        let mut t = first;
        while t <= hi + step * 1e-9 && ticks.len() < 50 {
            if t >= lo - step * 1e-9 {
                ticks.push(if t.abs() < step * 1e-9 { 0.0 } else { t });
            }
            t += step;
        }
        let labels = ticks.iter().map(|&t| unit.label(t)).collect();
        Axis {
            lo,
            hi,
            log: false,
            ticks,
            light: Vec::new(),
            labels,
        }
    }

    /// A log axis covering `[min, max]` (both positive), ticks at 1, 2 and 5
    /// times powers of ten when it spans few decades, at powers of ten
    /// otherwise.
    pub fn log(min: f64, max: f64, unit: Unit) -> Axis {
        let (min, max) = if min > 0.0 && max >= min && max.is_finite() {
            (min, max)
        } else {
            (1.0, 10.0)
        };
        let lo = min.log10() - 0.05;
        let hi = (max.log10() + 0.05).max(lo + 0.3);
        let decades = hi - lo;
        let mults: &[f64] = if decades <= 1.5 {
            &[1.0, 2.0, 3.0, 5.0]
        } else if decades <= 3.5 {
            &[1.0, 2.0, 5.0]
        } else {
            &[1.0]
        };
        let mut ticks = Vec::new();
        let mut light = Vec::new();
        let first = lo.floor() as i32;
        let last = hi.ceil() as i32;
        for e in first..=last.min(first + 40) {
            for m in 1..10 {
                let v = f64::from(m) * 10f64.powi(e);
                let x = v.log10();
                if x < lo || x > hi {
                    continue;
                }
                if mults.contains(&f64::from(m)) {
                    ticks.push(x);
                } else {
                    light.push(x);
                }
            }
        }
        let labels = ticks.iter().map(|&x| unit.label(10f64.powf(x))).collect();
        Axis {
            lo,
            hi,
            log: true,
            ticks,
            light,
            labels,
        }
    }

    /// A log axis if the finite positive values span at least `ratio`,
    /// a linear one otherwise.
    pub fn auto(values: &[f64], unit: Unit, ratio: f64, from_zero: bool) -> Axis {
        match extent(values.iter().copied()) {
            Some((lo, hi)) if lo > 0.0 && hi / lo >= ratio => Axis::log(lo, hi, unit),
            Some((lo, hi)) => Axis::linear(lo, hi, unit, 6, from_zero),
            None => Axis::linear(0.0, 1.0, unit, 5, from_zero),
        }
    }

    /// A categorical axis: one tick per label, at 0, 1, 2...
    pub fn categories(labels: Vec<String>) -> Axis {
        let n = labels.len().max(1) as f64;
        Axis {
            lo: -0.5,
            hi: n - 0.5,
            log: false,
            ticks: (0..labels.len()).map(|i| i as f64).collect(),
            light: Vec::new(),
            labels,
        }
    }

    /// An axis whose ticks sit at `positions` (plot coordinates) with
    /// `labels`, over `[lo, hi]`.
    pub fn custom(lo: f64, hi: f64, positions: Vec<f64>, labels: Vec<String>, log: bool) -> Axis {
        Axis {
            lo,
            hi,
            log,
            ticks: positions,
            light: Vec::new(),
            labels,
        }
    }

    /// The plot coordinate of value `v` (NaN if it cannot be drawn).
    pub fn pos(&self, v: f64) -> f64 {
        if self.log {
            if v > 0.0 {
                v.log10()
            } else {
                f64::NAN
            }
        } else {
            v
        }
    }

    /// `pos(v)`, clamped into the axis (for bands and bars).
    pub fn clamped(&self, v: f64) -> f64 {
        let p = self.pos(v);
        if p.is_nan() {
            self.lo
        } else {
            p.clamp(self.lo, self.hi)
        }
    }

    /// The label of the tick at plot coordinate `x`.
    pub fn label_at(&self, x: f64) -> String {
        self.ticks
            .iter()
            .zip(&self.labels)
            .find(|(t, _)| (*t - x).abs() < 1e-9 * (1.0 + x.abs()))
            .map(|(_, l)| l.clone())
            .unwrap_or_default()
    }

    /// The plotters coordinate, with these ticks.
    pub fn coord(&self) -> Ticked {
        Ticked {
            lo: self.lo,
            hi: self.hi,
            bold: self.ticks.clone(),
            light: self.light.clone(),
        }
    }
}

/// A linear plotters coordinate whose tick marks and grid lines are given
/// (the axes' labels come from [`Axis::label_at`]).
#[derive(Debug, Clone)]
pub struct Ticked {
    lo: f64,
    hi: f64,
    bold: Vec<f64>,
    light: Vec<f64>,
}

impl Ranged for Ticked {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, v: &f64, limit: (i32, i32)) -> i32 {
        let span = self.hi - self.lo;
        if span.is_nan() || span <= 0.0 || !v.is_finite() {
            return limit.0;
        }
        let fraction = ((v - self.lo) / span).clamp(-4.0, 5.0);
        limit.0 + (f64::from(limit.1 - limit.0) * fraction + 1e-3).floor() as i32
    }

    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            self.light.clone()
        } else {
            self.bold.clone()
        }
    }

    fn range(&self) -> std::ops::Range<f64> {
        self.lo..self.hi
    }
}

/// The chart type of every plot: both axes linear in plot coordinates.
pub type Coord2 = Cartesian2d<Ticked, Ticked>;

/// Builds a chart on `area` with the given axes and labels, grid and ticks
/// drawn. `caption` may be empty.
pub fn chart<'a, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    caption: &str,
    x: &Axis,
    y: &Axis,
    x_desc: &str,
    y_desc: &str,
) -> Result<ChartContext<'a, DB, Coord2>, DrawError> {
    let mut builder = ChartBuilder::on(area);
    builder
        .margin_top(8)
        .margin_right(24)
        .margin_bottom(10)
        .margin_left(4)
        .x_label_area_size(if x_desc.is_empty() { 30 } else { 52 })
        .y_label_area_size(if y_desc.is_empty() { 64 } else { 84 });
    if !caption.is_empty() {
        builder.caption(caption, bold(SUBTITLE));
    }
    let mut chart = builder.build_cartesian_2d(x.coord(), y.coord())?;
    let (xa, ya) = (x.clone(), y.clone());
    let x_fmt = move |v: &f64| xa.label_at(*v);
    let y_fmt = move |v: &f64| ya.label_at(*v);
    chart
        .configure_mesh()
        .bold_line_style(GRID.stroke_width(1))
        .light_line_style(RGBColor(0xF0, 0xF0, 0xF0).stroke_width(1))
        .axis_style(GREY.stroke_width(1))
        .x_label_style(text(TICK))
        .y_label_style(text(TICK))
        .x_label_formatter(&x_fmt)
        .y_label_formatter(&y_fmt)
        .x_desc(x_desc)
        .y_desc(y_desc)
        .axis_desc_style(text(AXIS))
        .draw()?;
    Ok(chart)
}

/// How a legend entry is drawn.
#[derive(Debug, Clone, Copy)]
pub enum Mark {
    /// A series: its line and marker.
    Series(SeriesStyle),
    /// A filled box (phases, bars).
    Block(RGBColor),
    /// A marker alone.
    Point(Shape, RGBColor),
    /// A plain line.
    Line(RGBColor, bool),
}

/// One legend entry.
#[derive(Debug, Clone)]
pub struct LegendEntry {
    pub label: String,
    pub mark: Mark,
}

const MARK_W: i32 = 34;
const ENTRY_GAP: i32 = 22;

/// How many rows a legend of `entries` takes at `width` pixels.
pub fn legend_rows<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    entries: &[LegendEntry],
    width: i32,
) -> usize {
    legend_layout(area, entries, width)
        .last()
        .map_or(0, |e| e.2 + 1)
}

/// The height in pixels of a legend with `rows` rows.
pub fn legend_height(rows: usize) -> i32 {
    (rows as i32) * 24 + 8
}

/// `(x, entry index, row)` of each entry, flowing left to right.
fn legend_layout<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    entries: &[LegendEntry],
    width: i32,
) -> Vec<(i32, usize, usize)> {
    let font = text(LEGEND);
    let mut out = Vec::new();
    let (mut x, mut row) = (0, 0);
    for (i, e) in entries.iter().enumerate() {
        let w = area
            .estimate_text_size(&e.label, &font)
            .map_or(e.label.len() as i32 * 8, |(w, _)| w as i32)
            + MARK_W
            + 6;
        if x > 0 && x + w > width {
            x = 0;
            row += 1;
        }
        out.push((x, i, row));
        x += w + ENTRY_GAP;
    }
    out
}

/// Draws a legend into `area`, entries flowing left to right, centred.
pub fn draw_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    entries: &[LegendEntry],
) -> Result<(), DrawError> {
    let (w, _) = area.dim_in_pixel();
    let width = w as i32 - 20;
    let layout = legend_layout(area, entries, width);
    let font = text(LEGEND).pos(Pos::new(HPos::Left, VPos::Center));
    let rows = layout.last().map_or(0, |e| e.2 + 1);
    for row in 0..rows {
        let items: Vec<&(i32, usize, usize)> = layout.iter().filter(|e| e.2 == row).collect();
        let row_width = items.last().map_or(0, |&&(x, i, _)| {
            x + MARK_W
                + 6
                + area
                    .estimate_text_size(&entries[i].label, &text(LEGEND))
                    .map_or(0, |(w, _)| w as i32)
        });
        let left = 10 + (width - row_width).max(0) / 2;
        let y = 4 + row as i32 * 24 + 12;
        for &&(x, i, _) in &items {
            let x = left + x;
            draw_mark(area, entries[i].mark, (x, y))?;
            area.draw_text(&entries[i].label, &font, (x + MARK_W + 6, y))?;
        }
    }
    Ok(())
}

fn draw_mark<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    mark: Mark,
    (x, y): (i32, i32),
) -> Result<(), DrawError> {
    let mid = (x + MARK_W / 2, y);
    match mark {
        Mark::Series(s) => {
            let stroke = s.color.stroke_width(3);
            if s.dashed {
                area.draw(&DashedPathElement::new(
                    vec![(x, y), (x + MARK_W, y)],
                    7,
                    4,
                    stroke,
                ))?;
            } else {
                area.draw(&PathElement::new(vec![(x, y), (x + MARK_W, y)], stroke))?;
            }
            draw_shape(area, s.shape, mid, s.color)?;
        }
        Mark::Block(c) => {
            area.draw(&Rectangle::new(
                [(x + 4, y - 7), (x + MARK_W - 4, y + 7)],
                c.filled(),
            ))?;
            area.draw(&Rectangle::new(
                [(x + 4, y - 7), (x + MARK_W - 4, y + 7)],
                GREY.stroke_width(1),
            ))?;
        }
        Mark::Point(shape, c) => draw_shape(area, shape, mid, c)?,
        Mark::Line(c, dashed) => {
            let stroke = c.stroke_width(2);
            if dashed {
                area.draw(&DashedPathElement::new(
                    vec![(x, y), (x + MARK_W, y)],
                    5,
                    4,
                    stroke,
                ))?;
            } else {
                area.draw(&PathElement::new(vec![(x, y), (x + MARK_W, y)], stroke))?;
            }
        }
    }
    Ok(())
}

fn draw_shape<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    shape: Shape,
    (cx, cy): (i32, i32),
    color: RGBColor,
) -> Result<(), DrawError> {
    let pts: Vec<(i32, i32)> = shape
        .outline(6)
        .into_iter()
        .map(|(dx, dy)| (cx + dx, cy + dy))
        .collect();
    let mut closed = pts.clone();
    if let Some(f) = pts.first() {
        closed.push(*f);
    }
    area.draw(&Polygon::new(pts, color.filled()))?;
    area.draw(&PathElement::new(closed, BLACK.stroke_width(1)))?;
    Ok(())
}

/// Draws a figure title (and a smaller subtitle below it, if any) centred
/// at the top of `area`; returns the area below.
pub fn titled<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    title: &str,
    subtitle: &str,
) -> Result<DrawingArea<DB, Shift>, DrawError> {
    let (w, _) = area.dim_in_pixel();
    let centre = Pos::new(HPos::Center, VPos::Top);
    area.draw_text(title, &bold(TITLE).pos(centre), (w as i32 / 2, 10))?;
    let mut used = 10 + TITLE as i32 + 8;
    if !subtitle.is_empty() {
        area.draw_text(
            subtitle,
            &text(LEGEND).color(&GREY).pos(centre),
            (w as i32 / 2, used),
        )?;
        used += LEGEND as i32 + 8;
    }
    Ok(area.split_vertically(used).1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_carry_units_and_few_digits() {
        assert_eq!(Unit::Ms.label(10.0), "10 ms");
        assert_eq!(Unit::Ms.label(2000.0), "2 s");
        assert_eq!(Unit::Ms.label(1500.0), "1.5 s");
        assert_eq!(Unit::Ms.label(0.5), "0.5 ms");
        assert_eq!(Unit::Percent.label(0.4), "40%");
        assert_eq!(Unit::Gb.label(32.25), "32.2 GB");
        assert_eq!(Unit::Plain.label(0.6000000001), "0.6");
        assert_eq!(short(-0.0), "0");
    }

    #[test]
    fn linear_ticks_are_nice_and_inside() {
        let a = Axis::linear(0.0, 0.93, Unit::Percent, 5, true);
        assert_eq!(a.lo, 0.0);
        assert!(a.hi >= 0.93);
        assert!(a.ticks.iter().all(|t| *t >= a.lo && *t <= a.hi + 1e-9));
        assert_eq!(a.label_at(0.2), "20%");
        let flat = Axis::linear(5.0, 5.0, Unit::Plain, 5, false);
        assert!(flat.lo < 5.0 && flat.hi > 5.0);
        let bad = Axis::linear(f64::NAN, 3.0, Unit::Plain, 5, false);
        assert!(bad.lo < bad.hi);
    }

    #[test]
    fn log_ticks_cover_the_decades() {
        let a = Axis::log(8.0, 2300.0, Unit::Ms);
        let labels: Vec<String> = a.ticks.iter().map(|&t| a.label_at(t)).collect();
        assert!(labels.contains(&"10 ms".to_string()), "{labels:?}");
        assert!(labels.contains(&"1 s".to_string()), "{labels:?}");
        assert!(a.pos(-1.0).is_nan());
        assert_eq!(a.clamped(-1.0), a.lo);
        let degenerate = Axis::log(0.0, -3.0, Unit::Ms);
        assert!(degenerate.lo < degenerate.hi);
    }
}
