//! Power curves as SVG: one line per series with its 95% CI band, axis titles with units, a
//! legend, and a dashed line at the target power. Drawn by `plotters` with its SVG backend
//! (text is left to the browser's fonts, so no system font library is needed).

use plotters::prelude::*;
use std::collections::BTreeSet;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum PlotError {
    #[error("not a CSV written by mgtrial: {0}")]
    Csv(String),
    #[error("no column `{column}`; columns are: {available}")]
    NoColumn { column: String, available: String },
    #[error("column `{column}` has a value `{value}` (row {row}) that is not a number within +-1e12")]
    NotNumeric { column: String, value: String, row: usize },
    #[error("no rows to plot")]
    Empty,
    #[error("drawing failed: {0}")]
    Draw(String),
    #[error("{0}")]
    Invalid(String),
}

/// What to draw.
#[derive(Debug, Clone, PartialEq)]
pub struct PlotSpec {
    /// Column on the x axis.
    pub x: String,
    /// Columns whose values make separate lines (default: `series` if present).
    pub series: Vec<String>,
    /// Column on the y axis; `power` is drawn with its 95% CI band.
    pub y: String,
    /// Dashed horizontal line (power only).
    pub target: Option<f64>,
    pub title: Option<String>,
}

/// Axis title of a CSV column, with its unit.
pub fn axis_title(column: &str) -> String {
    let field = column.rsplit('.').next().unwrap_or(column);
    let unit = if field == "n_per_arm" {
        "participants per arm"
    } else if field.ends_with("threshold") {
        "biomarker unit"
    } else if field.ends_with("_mg_per_day") {
        "mg/day"
    } else if field.ends_with("_weeks") {
        "weeks"
    } else if field.ends_with("_mmol_per_l") {
        "mmol/L"
    } else if matches!(column, "power" | "power_ci_low" | "power_ci_high") {
        "share of trials rejecting"
    } else {
        ""
    };
    if unit.is_empty() { column.to_string() } else { format!("{column} ({unit})") }
}

/// Line colours (Tableau 10 without its grey, kept for the target line), readable on white.
const COLOURS: [(u8, u8, u8); 9] = [
    (31, 119, 180),
    (255, 127, 14),
    (44, 160, 44),
    (214, 39, 40),
    (148, 103, 189),
    (140, 86, 75),
    (227, 119, 194),
    (188, 189, 34),
    (23, 190, 207),
];

/// A point of a line: x, y, and the y band (power's 95% CI) if any.
#[derive(Debug, Clone, Copy)]
struct Point {
    x: f64,
    y: f64,
    band: Option<(f64, f64)>,
}

/// One line of the plot.
struct Line {
    label: String,
    points: Vec<Point>,
}

/// Largest magnitude of a plotted value: beyond it, axis ranges lose their resolution in f64.
const MAX_PLOTTED: f64 = 1e12;

fn parse_num(column: &str, value: &str, row: usize) -> Result<f64, PlotError> {
    value.parse::<f64>().ok().filter(|v| v.is_finite() && v.abs() <= MAX_PLOTTED).ok_or_else(|| PlotError::NotNumeric {
        column: column.into(),
        value: value.into(),
        row,
    })
}

/// The axis range of values from `lo` to `hi`, padded by 5% of the span, and widened around a
/// single value, so the range is never empty.
fn axis_range(lo: f64, hi: f64, pad_share: f64) -> (f64, f64) {
    let span = hi - lo;
    let pad = if span > 0.0 { span * pad_share } else { (lo.abs() * 0.05).max(1.0) };
    (lo - pad, hi + pad)
}

fn lines(csv_text: &str, spec: &PlotSpec) -> Result<(Vec<Line>, String), PlotError> {
    let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
    let header: Vec<String> =
        reader.headers().map_err(|e| PlotError::Csv(e.to_string()))?.iter().map(String::from).collect();
    let col = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| PlotError::NoColumn { column: name.into(), available: header.join(", ") })
    };
    let (ix, iy) = (col(&spec.x)?, col(&spec.y)?);
    let band = if spec.y == "power" { Some((col("power_ci_low")?, col("power_ci_high")?)) } else { None };
    let series_cols: Vec<usize> = if spec.series.is_empty() {
        header.iter().position(|h| h == "series").into_iter().collect()
    } else {
        spec.series.iter().map(|s| col(s)).collect::<Result<_, _>>()?
    };
    let comparison_col = header.iter().position(|h| h == "comparison");
    let scenario_col = header.iter().position(|h| h == "scenario");
    let records: Vec<csv::StringRecord> =
        reader.records().collect::<Result<_, _>>().map_err(|e| PlotError::Csv(e.to_string()))?;
    if records.is_empty() {
        return Err(PlotError::Empty);
    }
    let comparisons: BTreeSet<&str> = records.iter().filter_map(|r| comparison_col.map(|c| &r[c])).collect();
    let mut out: Vec<Line> = Vec::new();
    for (i, r) in records.iter().enumerate() {
        let mut label = series_cols
            .iter()
            .map(|&c| if header[c] == "series" { r[c].to_string() } else { format!("{}={}", header[c], &r[c]) })
            .collect::<Vec<_>>()
            .join(", ");
        if comparisons.len() > 1
            && let Some(c) = comparison_col
        {
            label = if label.is_empty() { r[c].to_string() } else { format!("{label} / {}", &r[c]) };
        }
        let x = parse_num(&spec.x, &r[ix], i + 2)?;
        let y = parse_num(&spec.y, &r[iy], i + 2)?;
        let b = match band {
            Some((lo, hi)) => {
                Some((parse_num("power_ci_low", &r[lo], i + 2)?, parse_num("power_ci_high", &r[hi], i + 2)?))
            }
            None => None,
        };
        match out.iter_mut().find(|l| l.label == label) {
            Some(l) => l.points.push(Point { x, y, band: b }),
            None => out.push(Line { label, points: vec![Point { x, y, band: b }] }),
        }
    }
    for l in &mut out {
        l.points.sort_by(|a, b| a.x.total_cmp(&b.x));
    }
    let title = spec
        .title
        .clone()
        .unwrap_or_else(|| scenario_col.map(|c| records[0][c].to_string()).unwrap_or_else(|| "mgtrial".into()));
    Ok((out, title))
}

/// Renders the SVG text of the plot of a CSV written by `mgtrial run`.
pub fn render(csv_text: &str, spec: &PlotSpec) -> Result<String, PlotError> {
    if let Some(t) = spec.target
        && !(t > 0.0 && t < 1.0)
    {
        return Err(PlotError::Invalid(format!("--target {t}: allowed values are above 0 and below 1")));
    }
    let (lines, title) = lines(csv_text, spec)?;
    let xs = lines.iter().flat_map(|l| l.points.iter().map(|p| p.x));
    let (x_min, x_max) = xs.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), x| (a.min(x), b.max(x)));
    let (x_min, x_max) = if x_min < x_max { (x_min, x_max) } else { axis_range(x_min, x_max, 0.0) };
    let is_power = spec.y == "power";
    let integer_x = lines.iter().all(|l| l.points.iter().all(|p| p.x.fract() == 0.0));
    let (y_min, y_max) = if is_power {
        (0.0, 1.0)
    } else {
        let ys = lines.iter().flat_map(|l| l.points.iter().map(|p| p.y));
        let (a, b) = ys.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), y| (a.min(y), b.max(y)));
        axis_range(a, b, 0.05)
    };
    let draw_err = |e: &dyn std::fmt::Display| PlotError::Draw(e.to_string());
    let mut svg = String::new();
    {
        // The legend sits in a column right of the plot, so it never hides a curve.
        let longest = lines.iter().map(|l| l.label.chars().count()).max().unwrap_or(10).clamp(14, 200);
        let legend_width = 20 + 8 * longest as u32;
        let (width, height) = (720 + legend_width, 560);
        let root = SVGBackend::with_string(&mut svg, (width, height)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| draw_err(&e))?;
        let mut chart = ChartBuilder::on(&root)
            .caption(&title, ("sans-serif", 22))
            .margin(16)
            .margin_right(16 + legend_width)
            .x_label_area_size(48)
            .y_label_area_size(64)
            .build_cartesian_2d(x_min..x_max, y_min..y_max)
            .map_err(|e| draw_err(&e))?;
        chart
            .configure_mesh()
            .light_line_style(WHITE)
            .x_label_formatter(&|x| if integer_x { format!("{x:.0}") } else { format!("{x}") })
            .x_desc(axis_title(&spec.x))
            .y_desc(axis_title(&spec.y))
            .axis_desc_style(("sans-serif", 16))
            .draw()
            .map_err(|e| draw_err(&e))?;
        // Legend entries: (label, colour, dashed).
        let grey = RGBColor(90, 90, 90).to_rgba();
        let mut legend: Vec<(String, RGBAColor, bool)> = Vec::new();
        for (i, line) in lines.iter().enumerate() {
            let (r, g, b) = COLOURS[i % COLOURS.len()];
            let color = RGBColor(r, g, b).to_rgba();
            if line.points.iter().all(|p| p.band.is_some()) && line.points.len() > 1 {
                let upper = line.points.iter().map(|p| (p.x, p.band.map_or(p.y, |b| b.1)));
                let lower = line.points.iter().rev().map(|p| (p.x, p.band.map_or(p.y, |b| b.0)));
                chart
                    .draw_series(std::iter::once(Polygon::new(upper.chain(lower).collect::<Vec<_>>(), color.mix(0.18))))
                    .map_err(|e| draw_err(&e))?;
            }
            chart
                .draw_series(LineSeries::new(line.points.iter().map(|p| (p.x, p.y)), color.stroke_width(2)))
                .map_err(|e| draw_err(&e))?;
            chart
                .draw_series(line.points.iter().map(|p| Circle::new((p.x, p.y), 3, color.filled())))
                .map_err(|e| draw_err(&e))?;
            legend.push((if line.label.is_empty() { spec.y.clone() } else { line.label.clone() }, color, false));
        }
        if let (true, Some(t)) = (is_power, spec.target) {
            chart
                .draw_series(DashedLineSeries::new(vec![(x_min, t), (x_max, t)], 8, 6, grey.stroke_width(1)))
                .map_err(|e| draw_err(&e))?;
            legend.push((format!("target power {t}"), grey, true));
        }
        // The legend, in the column right of the plotting area.
        let (plot_x, plot_y) = chart.plotting_area().get_pixel_range();
        let (x0, y0) = (plot_x.end + 16, plot_y.start + 8);
        for (i, (label, color, dashed)) in legend.iter().enumerate() {
            let y = y0 + 22 * i as i32;
            let style = color.stroke_width(if *dashed { 1 } else { 2 });
            if *dashed {
                for k in 0..3 {
                    root.draw(&PathElement::new(vec![(x0 + 9 * k, y), (x0 + 9 * k + 5, y)], style))
                        .map_err(|e| draw_err(&e))?;
                }
            } else {
                root.draw(&PathElement::new(vec![(x0, y), (x0 + 24, y)], style)).map_err(|e| draw_err(&e))?;
            }
            root.draw(&Text::new(label.clone(), (x0 + 32, y - 7), ("sans-serif", 14).into_font().color(&BLACK)))
                .map_err(|e| draw_err(&e))?;
        }
        root.present().map_err(|e| draw_err(&e))?;
    }
    Ok(svg)
}
