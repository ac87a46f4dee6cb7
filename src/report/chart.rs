//! Charts as SVG text (plotters): lines over time with an optional second axis,
//! points with a marked frontier, bars, and stacked blocks. Titles, axis labels with
//! units and legends on every chart; nothing but the data decides a byte.

use plotters::coord::Shift;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;

/// One line (or set of points) of a chart.
#[derive(Clone, Debug)]
pub struct Series {
    /// The legend's name.
    pub name: String,
    /// (x, y); a NaN y breaks the line there.
    pub points: Vec<(f64, f64)>,
    /// Drawn against the right-hand axis.
    pub secondary: bool,
}

impl Series {
    /// A series on the left-hand axis.
    pub fn new(name: impl Into<String>, points: Vec<(f64, f64)>) -> Self {
        Series {
            name: name.into(),
            points,
            secondary: false,
        }
    }

    /// The same series on the right-hand axis.
    pub fn right(mut self) -> Self {
        self.secondary = true;
        self
    }
}

/// A chart's words.
#[derive(Clone, Debug)]
pub struct Labels {
    /// The title.
    pub title: String,
    /// The x axis, with its unit.
    pub x: String,
    /// The left axis, with its unit.
    pub y: String,
    /// The right axis, with its unit (charts with secondary series).
    pub y2: Option<String>,
}

const SIZE: (u32, u32) = (900, 420);

/// The palette, in series order.
pub fn color(i: usize) -> RGBColor {
    const P: [RGBColor; 10] = [
        RGBColor(31, 119, 180),
        RGBColor(255, 127, 14),
        RGBColor(44, 160, 44),
        RGBColor(214, 39, 40),
        RGBColor(148, 103, 189),
        RGBColor(140, 86, 75),
        RGBColor(227, 119, 194),
        RGBColor(127, 127, 127),
        RGBColor(188, 189, 34),
        RGBColor(23, 190, 207),
    ];
    P[i % P.len()]
}

type Result<T> = std::result::Result<T, String>;

fn err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

/// The range of the values, padded; at least `0..1`, and from 0 when all are ≥ 0.
fn range(values: impl Iterator<Item = f64>) -> std::ops::Range<f64> {
    let r = tight(values);
    if r.start >= 0.0 && r.end > 0.0 {
        let top = r.end - (r.end - r.start) * 0.05 / 1.1;
        return 0.0..top + top * 0.05;
    }
    r
}

/// The range of the values, padded 5 % on both sides (1 wide at least).
fn tight(values: impl Iterator<Item = f64>) -> std::ops::Range<f64> {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in values.filter(|v| v.is_finite()) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if !lo.is_finite() {
        return 0.0..1.0;
    }
    if hi - lo < 1e-9 {
        (lo, hi) = (lo - 0.5, hi + 0.5);
    }
    let pad = (hi - lo) * 0.05;
    lo - pad..hi + pad
}

/// Contiguous runs of finite points.
fn segments(points: &[(f64, f64)]) -> Vec<Vec<(f64, f64)>> {
    let mut out: Vec<Vec<(f64, f64)>> = vec![Vec::new()];
    for &(x, y) in points {
        if y.is_finite() {
            out.last_mut().expect("one segment at least").push((x, y));
        } else if !out.last().expect("one segment at least").is_empty() {
            out.push(Vec::new());
        }
    }
    out.retain(|s| !s.is_empty());
    out
}

/// A chart's frame on `root`: its title, margins, and the axes' label areas (the x
/// axis's `x_area` pixels high).
fn frame<'a, 'b, DB: DrawingBackend>(
    root: &'a DrawingArea<DB, Shift>,
    title: &str,
    x_area: u32,
) -> ChartBuilder<'a, 'b, DB> {
    let mut b = ChartBuilder::on(root);
    b.caption(title, ("sans-serif", 22))
        .margin(12)
        .x_label_area_size(x_area)
        .y_label_area_size(70);
    b
}

/// Draws the mesh of an f64-by-f64 chart with its axis labels; `x_mesh` false leaves
/// out the vertical lines.
fn mesh<DB: DrawingBackend>(
    chart: &mut ChartContext<'_, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>,
    labels: &Labels,
    x_mesh: bool,
) -> Result<()> {
    let mut m = chart.configure_mesh();
    m.max_light_lines(1).x_desc(&labels.x).y_desc(&labels.y);
    if !x_mesh {
        m.disable_x_mesh();
    }
    m.draw().map_err(err)
}

/// Draws the legend at `at`.
fn legend<'a, DB: DrawingBackend + 'a, CT: plotters::coord::CoordTranslate>(
    chart: &mut ChartContext<'a, DB, CT>,
    at: SeriesLabelPosition,
) -> Result<()> {
    chart
        .configure_series_labels()
        .position(at)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()
        .map_err(err)
}

fn root(svg: &mut String) -> DrawingArea<SVGBackend<'_>, Shift> {
    let root = SVGBackend::with_string(svg, SIZE).into_drawing_area();
    let _ = root.fill(&WHITE);
    root
}

/// Lines over a shared x axis; series marked `secondary` use the right-hand axis.
pub fn lines(labels: &Labels, series: &[Series]) -> Result<String> {
    let mut svg = String::new();
    {
        let root = root(&mut svg);
        let (lo, hi) = series
            .iter()
            .flat_map(|s| s.points.iter().map(|p| p.0))
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), x| (lo.min(x), hi.max(x)));
        let x = if lo < hi { lo..hi } else { 0.0..1.0 };
        let y = range(
            series
                .iter()
                .filter(|s| !s.secondary)
                .flat_map(|s| s.points.iter().map(|p| p.1)),
        );
        let y2 = range(
            series
                .iter()
                .filter(|s| s.secondary)
                .flat_map(|s| s.points.iter().map(|p| p.1)),
        );
        let mut chart = frame(&root, &labels.title, 42)
            .right_y_label_area_size(if labels.y2.is_some() { 64 } else { 0 })
            .build_cartesian_2d(x.clone(), y)
            .map_err(err)?
            .set_secondary_coord(x, y2);
        mesh(&mut chart, labels, true)?;
        if let Some(y2) = &labels.y2 {
            chart.configure_secondary_axes().y_desc(y2).draw().map_err(err)?;
        }
        for (i, s) in series.iter().enumerate() {
            let c = color(i);
            let style = c.stroke_width(2);
            let name = if s.secondary {
                format!("{} (right axis)", s.name)
            } else {
                s.name.clone()
            };
            for (k, seg) in segments(&s.points).into_iter().enumerate() {
                let line = LineSeries::new(seg, style);
                let drawn = if s.secondary {
                    chart.draw_secondary_series(line).map_err(err)?
                } else {
                    chart.draw_series(line).map_err(err)?
                };
                if k == 0 {
                    drawn
                        .label(name.clone())
                        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], c.stroke_width(2)));
                }
            }
        }
        legend(&mut chart, SeriesLabelPosition::UpperLeft)?;
        root.present().map_err(err)?;
    }
    Ok(svg)
}

/// Points (`runs` small and faint, `means` larger), with `frontier` (sorted by x) joined.
pub fn points(labels: &Labels, runs: &Series, means: &Series, frontier: &Series) -> Result<String> {
    let mut svg = String::new();
    {
        let root = root(&mut svg);
        let x = tight(runs.points.iter().chain(&means.points).map(|p| p.0));
        let y = tight(runs.points.iter().chain(&means.points).map(|p| p.1));
        let mut chart = frame(&root, &labels.title, 42).build_cartesian_2d(x, y).map_err(err)?;
        mesh(&mut chart, labels, true)?;
        let r = color(7);
        chart
            .draw_series(runs.points.iter().map(|&p| Circle::new(p, 3, r.mix(0.6).filled())))
            .map_err(err)?
            .label(runs.name.clone())
            .legend(move |(x, y)| Circle::new((x + 10, y), 3, r.mix(0.6).filled()));
        let c = color(0);
        chart
            .draw_series(means.points.iter().map(|&p| Circle::new(p, 5, c.filled())))
            .map_err(err)?
            .label(means.name.clone())
            .legend(move |(x, y)| Circle::new((x + 10, y), 5, c.filled()));
        let f = color(3);
        chart
            .draw_series(LineSeries::new(frontier.points.clone(), f.stroke_width(2)))
            .map_err(err)?
            .label(frontier.name.clone())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], f.stroke_width(2)));
        chart
            .draw_series(frontier.points.iter().map(|&p| Circle::new(p, 8, f.stroke_width(2))))
            .map_err(err)?;
        legend(&mut chart, SeriesLabelPosition::UpperRight)?;
        root.present().map_err(err)?;
    }
    Ok(svg)
}

/// One bar per named value.
pub fn bars(labels: &Labels, values: &[(String, f64)]) -> Result<String> {
    let mut svg = String::new();
    {
        let root = root(&mut svg);
        let n = values.len().max(1);
        let y = range(values.iter().map(|v| v.1));
        let mut chart = frame(&root, &labels.title, 60)
            .build_cartesian_2d((0..n).into_segmented(), y)
            .map_err(err)?;
        let names: Vec<String> = values.iter().map(|v| v.0.clone()).collect();
        chart
            .configure_mesh()
            .max_light_lines(1)
            .disable_x_mesh()
            .x_desc(&labels.x)
            .y_desc(&labels.y)
            .x_labels(n)
            .x_label_formatter(&|v| match v {
                SegmentValue::CenterOf(i) => names.get(*i).cloned().unwrap_or_default(),
                _ => String::new(),
            })
            .draw()
            .map_err(err)?;
        let c = color(0);
        chart
            .draw_series(values.iter().enumerate().map(|(i, (_, v))| {
                Rectangle::new(
                    [(SegmentValue::Exact(i), 0.0), (SegmentValue::Exact(i + 1), *v)],
                    c.mix(0.8).filled(),
                )
            }))
            .map_err(err)?
            .label(labels.y.clone())
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 16, y + 5)], c.filled()));
        legend(&mut chart, SeriesLabelPosition::UpperRight)?;
        root.present().map_err(err)?;
    }
    Ok(svg)
}

/// A stacked block: in column `column`, from `from` to `to`, of legend group `group`.
#[derive(Clone, Debug)]
pub struct Block {
    /// The column (instance).
    pub column: usize,
    /// Bottom.
    pub from: f64,
    /// Top.
    pub to: f64,
    /// Index into the legend's groups.
    pub group: usize,
}

/// Columns of capacity (`capacity[i]`, drawn as an outline) filled with blocks.
pub fn blocks(labels: &Labels, capacity: &[f64], blocks: &[Block], groups: &[String]) -> Result<String> {
    let mut svg = String::new();
    {
        let root = root(&mut svg);
        let n = capacity.len().max(1);
        let y = range(capacity.iter().copied());
        let mut chart = frame(&root, &labels.title, 42)
            .build_cartesian_2d(0.0..n as f64, y)
            .map_err(err)?;
        mesh(&mut chart, labels, false)?;
        chart
            .draw_series(
                capacity
                    .iter()
                    .enumerate()
                    .map(|(i, c)| Rectangle::new([(i as f64 + 0.1, 0.0), (i as f64 + 0.9, *c)], BLACK.stroke_width(1))),
            )
            .map_err(err)?
            .label("registered")
            .legend(|(x, y)| Rectangle::new([(x, y - 5), (x + 16, y + 5)], BLACK.stroke_width(1)));
        for (g, name) in groups.iter().enumerate() {
            let c = color(g);
            chart
                .draw_series(blocks.iter().filter(|b| b.group == g).map(|b| {
                    Rectangle::new(
                        [(b.column as f64 + 0.1, b.from), (b.column as f64 + 0.9, b.to)],
                        c.mix(0.85).filled(),
                    )
                }))
                .map_err(err)?
                .label(name.clone())
                .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 16, y + 5)], c.filled()));
        }
        chart
            .draw_series(blocks.iter().map(|b| {
                Rectangle::new(
                    [(b.column as f64 + 0.1, b.from), (b.column as f64 + 0.9, b.to)],
                    WHITE.stroke_width(1),
                )
            }))
            .map_err(err)?;
        legend(&mut chart, SeriesLabelPosition::UpperRight)?;
        root.present().map_err(err)?;
    }
    Ok(svg)
}
