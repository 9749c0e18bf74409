//! What every chart shares: the embedded font, the colour-blind-safe
//! Okabe-Ito palette, one style per architecture (colour, dash, marker),
//! the chart frame (grid, ticks, axis labels; the axes are in `super::axis`),
//! titles, and a legend drawn outside the plot so it never covers data.
//!
//! Charts need no system fonts: DejaVu Sans is compiled in (the `dejavu`
//! crate) and registered with plotters' `ab_glyph` text renderer, so a fresh
//! machine renders the same pixels. SVG files name the `sans-serif` family
//! and the viewer draws the text.

use std::sync::OnceLock;

use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::FontStyle;

pub use super::axis::{extent, short, Axis, Coord2, Unit};
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
    /// Every shape, most distinct first.
    pub const ALL: [Shape; 6] = [
        Shape::Circle,
        Shape::Square,
        Shape::Triangle,
        Shape::Diamond,
        Shape::TriangleDown,
        Shape::Plus,
    ];

    /// The outline, in pixels around the centre, for a marker of `r` pixels.
    pub fn outline(self, r: i32) -> Vec<(i32, i32)> {
        // A square of about the circle's area (at 2/3 of r it looked like a
        // minor series), and a plus with arms wide enough to show their
        // colour inside the black outline.
        let h = r * 7 / 8;
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
                let t = (r / 2).max(1);
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

/// Builds a chart on `area` with the given axes and labels, grid and ticks
/// drawn, and `caption` (if not empty) centred above it. The label areas
/// are sized to the widest tick label, so no label is cut off.
pub fn chart<'c, DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    caption: &str,
    x: &Axis,
    y: &Axis,
    x_desc: &str,
    y_desc: &str,
) -> Result<ChartContext<'c, DB, Coord2>, DrawError> {
    let area = if caption.is_empty() {
        area.clone()
    } else {
        let (w, _) = area.dim_in_pixel();
        area.draw_text(
            caption,
            &bold(SUBTITLE).pos(Pos::new(HPos::Center, VPos::Top)),
            (w as i32 / 2, 4),
        )?;
        area.split_vertically(SUBTITLE as i32 + 16).1
    };
    let tick = text(TICK);
    let widest = y
        .labels()
        .iter()
        .map(|l| area.estimate_text_size(l, &tick).map_or(0, |s| s.0))
        .max()
        .unwrap_or(0) as i32;
    let desc_room = |desc: &str| if desc.is_empty() { 0 } else { AXIS as i32 + 16 };
    let mut chart = ChartBuilder::on(&area)
        .margin_top(8)
        .margin_right(24)
        .margin_bottom(6)
        .margin_left(4)
        .x_label_area_size(TICK as i32 + 16 + desc_room(x_desc))
        .y_label_area_size(widest + 16 + desc_room(y_desc))
        .build_cartesian_2d(x.coord(), y.coord())?;
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
    /// A line through a hollow ring (the runs on a frontier).
    Ring(RGBColor),
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

/// The radius of the ring around a frontier's marker, in pixels: wider
/// than a marker (radius 6) so that the marker shows inside it.
pub const RING_RADIUS: i32 = 10;

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
        Mark::Ring(c) => {
            area.draw(&PathElement::new(
                vec![(x, y), (x + MARK_W, y)],
                c.stroke_width(2),
            ))?;
            area.draw(&Circle::new(mid, RING_RADIUS, c.stroke_width(2)))?;
        }
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
