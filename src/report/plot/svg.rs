//! Layout and SVG text of a figure: the title (wrapped), one or two panels sharing the x axis
//! (power with its CI bands and target line; below it, screened per enrolled), a legend in a
//! column right of the panels, and the caption under them. Written directly rather than
//! through a plotting library, for dash patterns (`stroke-dasharray`), the embedded font's
//! family and metrics, and a `<desc>` with provenance.

use super::data::{Data, Line};
use super::style::{self, SeriesStyle};
use super::text::{self, FONT_FAMILY_CSS, escape};
use std::fmt::Write;

/// Font sizes, px.
const TITLE_SIZE: f64 = 26.0;
const AXIS_TITLE_SIZE: f64 = 20.0;
const TICK_SIZE: f64 = 16.0;
const LEGEND_SIZE: f64 = 16.0;
const CAPTION_SIZE: f64 = 16.0;
const PANEL_TITLE_SIZE: f64 = 18.0;
/// Height reserved over a panel for its title, px.
const PANEL_TITLE_H: f64 = PANEL_TITLE_SIZE * 1.3 + 12.0;
/// Line heights as a multiple of the font size.
const LEADING: f64 = 1.3;
/// Outer margin, px.
const MARGIN: f64 = 28.0;
/// Tick mark length, px.
const TICK_LEN: f64 = 6.0;
/// Half-size of a point marker, px.
const MARKER_R: f64 = 4.5;
/// Length of the line sample in the legend, px.
const LEGEND_SAMPLE: f64 = 46.0;
/// Widest a legend label may be before it wraps, as a share of the figure's width.
const LEGEND_MAX_SHARE: f64 = 0.25;
/// Height of the screening panel relative to the power panel.
pub(crate) const SCREENING_SHARE: f64 = 0.45;

/// One numeric axis: its range, tick values and the decimals of their labels.
#[derive(Debug, Clone)]
pub struct Axis {
    pub lo: f64,
    pub hi: f64,
    pub ticks: Vec<f64>,
    pub decimals: usize,
}

impl Axis {
    fn label(&self, v: f64) -> String {
        let s = format!("{v:.*}", self.decimals);
        if s.trim_start_matches('-').chars().all(|c| c == '0' || c == '.') {
            s.trim_start_matches('-').into()
        } else {
            s
        }
    }
}

/// Nice tick steps (Heckbert, "Nice numbers for graph labels", Graphics Gems, 1990), with 2.5
/// added: the smallest of 1, 2, 2.5 and 5 times a power of ten that gives at most `max_ticks`
/// ticks over [lo, hi]. Integer axes take whole steps only.
fn tick_step(lo: f64, hi: f64, max_ticks: usize, integer: bool) -> (f64, usize) {
    let span = (hi - lo).max(f64::MIN_POSITIVE);
    let mut exp = (span / max_ticks as f64).log10().floor() as i32 - 1;
    loop {
        for (m, extra) in [(1.0, 0), (2.0, 0), (2.5, 1), (5.0, 0)] {
            let step = m * 10f64.powi(exp);
            if integer && (step < 1.0 || step.fract() != 0.0) {
                continue;
            }
            if span / step <= max_ticks as f64 {
                let decimals = ((-exp).max(0) as usize + if exp <= 0 { extra } else { 0 }).min(12);
                return (step, decimals);
            }
        }
        exp += 1;
    }
}

fn ticks_of(lo: f64, hi: f64, step: f64) -> Vec<f64> {
    let (a, b) = ((lo / step - 1e-9).ceil() as i64, (hi / step + 1e-9).floor() as i64);
    (a..=b).map(|k| k as f64 * step).collect()
}

/// The x axis over the data's range, padded by 2.5% so markers at the ends stay inside,
/// with ticks far enough apart that their labels never touch.
pub(crate) fn x_axis(lo: f64, hi: f64, integer: bool, width_px: f64) -> Axis {
    let (lo, hi) = if hi > lo { (lo, hi) } else { (lo - (lo.abs() * 0.05).max(1.0), hi + (hi.abs() * 0.05).max(1.0)) };
    let pad = (hi - lo) * 0.025;
    let (lo, hi) = (lo - pad, hi + pad);
    let mut max_ticks = ((width_px / 90.0) as usize).clamp(2, 12);
    loop {
        let (step, decimals) = tick_step(lo, hi, max_ticks, integer);
        let axis = Axis { lo, hi, ticks: ticks_of(lo, hi, step), decimals };
        let widest = axis.ticks.iter().map(|&t| text::width(&axis.label(t), TICK_SIZE)).fold(0.0, f64::max);
        let step_px = step / (hi - lo) * width_px;
        if widest + 14.0 <= step_px || max_ticks <= 2 {
            return axis;
        }
        max_ticks -= 1;
    }
}

/// A y axis over [lo, hi] padded by 5% of the span (from 0 when `from_zero` and the data are
/// positive), with nice ticks inside it.
pub(crate) fn y_axis(lo: f64, hi: f64, max_ticks: usize, from_zero: bool) -> Axis {
    let (lo, hi) = if hi > lo { (lo, hi) } else { (lo - (lo.abs() * 0.05).max(1.0), hi + (hi.abs() * 0.05).max(1.0)) };
    let pad = (hi - lo.min(if from_zero { 0.0 } else { lo })) * 0.05;
    let lo = if from_zero && lo >= 0.0 { 0.0 } else { lo - pad };
    let hi = hi + pad;
    let (step, decimals) = tick_step(lo, hi, max_ticks, false);
    Axis { lo, hi, ticks: ticks_of(lo, hi, step), decimals }
}

pub(crate) fn power_axis() -> Axis {
    Axis { lo: 0.0, hi: 1.0, ticks: (0..=5).map(|k| f64::from(k) * 0.2).collect(), decimals: 1 }
}

/// A point as a panel draws it: x, y and the CI band (power only).
pub(crate) type PanelPoint = (f64, f64, Option<(f64, f64)>);

/// Height of a subgroup's panel relative to a lone power panel.
pub(crate) const FACET_SHARE: f64 = 0.55;

/// One panel: a y axis and, for each line of the figure, its points in this panel.
pub struct Panel {
    /// `id` of the panel's group (`panel-power`, `panel-screening`, `panel-power-low_stratum`).
    pub id: String,
    /// Title over the panel (a subgroup's name).
    pub title: Option<String>,
    pub y_title: String,
    pub y: Axis,
    /// Per line: (x, y, CI band).
    pub lines: Vec<Vec<PanelPoint>>,
    pub target: Option<f64>,
    /// Height relative to the first panel.
    pub share: f64,
}

impl Panel {
    pub fn new(
        id: String,
        y_title: String,
        y: Axis,
        lines: &[Line],
        value: impl Fn(&super::data::Point) -> (f64, Option<(f64, f64)>),
    ) -> Panel {
        let lines = lines
            .iter()
            .map(|l| {
                l.points
                    .iter()
                    .map(|p| {
                        let (v, band) = value(p);
                        (p.x, v, band)
                    })
                    .collect()
            })
            .collect();
        Panel { id, title: None, y_title, y, lines, target: None, share: 1.0 }
    }

    /// Leaves out the points of every line not in panel `panel` of the data.
    pub(crate) fn keep_only(&mut self, lines: &[Line], panel: usize) {
        for (points, line) in self.lines.iter_mut().zip(lines) {
            if line.panel != panel {
                points.clear();
            }
        }
    }
}

/// What [`draw`] lays out.
pub struct Figure<'a> {
    pub width: f64,
    /// Fixed height, or `None` to fit the content.
    pub height: Option<f64>,
    pub title: &'a str,
    pub caption: &'a str,
    pub x_title: &'a str,
    pub x_integer: bool,
    pub panels: Vec<Panel>,
    pub data: &'a Data,
    /// Label of the target line's legend entry.
    pub target_label: Option<String>,
    pub metadata: Option<&'a str>,
    /// Markers only, without the lines joining a series' points.
    pub points_only: bool,
}

/// Default height of the power panel's plotting area when the figure fits its content.
const DEFAULT_PANEL_HEIGHT: f64 = 470.0;

fn num(v: f64) -> String {
    let s = format!("{v:.1}");
    s.strip_suffix(".0").map(String::from).unwrap_or(s)
}

/// A text element: single line as plain text, several lines as `tspan`s with their own `y`.
fn text_el(out: &mut String, x: f64, y: f64, size: f64, anchor: &str, extra: &str, lines: &[String]) {
    let _ = write!(
        out,
        "<text x=\"{}\" y=\"{}\" font-size=\"{}\" fill=\"{}\"",
        num(x),
        num(y),
        num(size),
        style::TEXT_COLOUR
    );
    if anchor != "start" {
        let _ = write!(out, " text-anchor=\"{anchor}\"");
    }
    out.push_str(extra);
    out.push('>');
    if lines.len() == 1 {
        out.push_str(&escape(&lines[0]));
    } else {
        for (i, l) in lines.iter().enumerate() {
            let _ = write!(
                out,
                "<tspan x=\"{}\" y=\"{}\">{}</tspan>",
                num(x),
                num(y + i as f64 * size * LEADING),
                escape(l)
            );
        }
    }
    out.push_str("</text>\n");
}

/// The figure's SVG text.
pub fn draw(fig: &Figure) -> String {
    let w = fig.width;
    let styles: Vec<SeriesStyle> = fig.data.lines.iter().map(|l| style::series_style(l.style)).collect();

    // Legend entries, one per style (a label in several panels is listed once): wrapped
    // label, style (None for the target line).
    let legend_max = (w * LEGEND_MAX_SHARE).max(120.0);
    let mut listed: Vec<usize> = Vec::new();
    let mut legend: Vec<(Vec<String>, Option<SeriesStyle>)> = Vec::new();
    for (l, s) in fig.data.lines.iter().zip(&styles) {
        if listed.contains(&l.style) {
            continue;
        }
        listed.push(l.style);
        let label = if l.label.is_empty() { &fig.panels[0].y_title } else { &l.label };
        legend.push((text::wrap_balanced(label, LEGEND_SIZE, legend_max), Some(*s)));
    }
    if let Some(t) = &fig.target_label {
        legend.push((text::wrap(t, LEGEND_SIZE, legend_max), None));
    }
    let label_w = legend.iter().flat_map(|(ls, _)| ls.iter().map(|l| text::width(l, LEGEND_SIZE))).fold(0.0, f64::max);
    let legend_w = LEGEND_SAMPLE + 10.0 + label_w;
    let legend_h: f64 = legend.iter().map(|(ls, _)| ls.len() as f64 * LEGEND_SIZE * LEADING + 8.0).sum();

    // Horizontal: y-axis title, tick labels, plotting area, legend column.
    let tick_w = fig
        .panels
        .iter()
        .flat_map(|p| p.y.ticks.iter().map(|&t| text::width(&p.y.label(t), TICK_SIZE)))
        .fold(0.0, f64::max);
    let plot_left = MARGIN + AXIS_TITLE_SIZE * 1.2 + 14.0 + tick_w + 8.0 + TICK_LEN;
    let plot_right = (w - MARGIN - legend_w - 28.0).max(plot_left + 100.0);
    let plot_w = plot_right - plot_left;
    let xs = fig.data.lines.iter().flat_map(|l| l.points.iter().map(|p| p.x));
    let (x_lo, x_hi) = xs.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), x| (a.min(x), b.max(x)));
    let x_axis = x_axis(x_lo, x_hi, fig.x_integer, plot_w);

    // Vertical: title, panels (each with its x tick labels), x-axis title, caption.
    let title_lines = text::wrap(fig.title, TITLE_SIZE, w - 2.0 * MARGIN);
    let caption_lines =
        if fig.caption.is_empty() { Vec::new() } else { text::wrap(fig.caption, CAPTION_SIZE, w - 2.0 * MARGIN) };
    let title_h = title_lines.len() as f64 * TITLE_SIZE * LEADING;
    let ticks_h = TICK_LEN + 8.0 + TICK_SIZE; // below a panel: ticks and their labels
    let gap_between = ticks_h + 26.0;
    let x_title_h = 14.0 + AXIS_TITLE_SIZE * LEADING;
    let caption_h =
        if caption_lines.is_empty() { 0.0 } else { 16.0 + caption_lines.len() as f64 * CAPTION_SIZE * LEADING };
    let top = MARGIN + title_h + 18.0;
    let n = fig.panels.len();
    let titles_h: f64 = fig.panels.iter().filter(|p| p.title.is_some()).map(|_| PANEL_TITLE_H).sum();
    let fixed = top + (n - 1) as f64 * gap_between + titles_h + ticks_h + x_title_h + caption_h + MARGIN;
    let shares: f64 = fig.panels.iter().map(|p| p.share).sum();
    let h = match fig.height {
        Some(h) => h,
        None => (fixed + DEFAULT_PANEL_HEIGHT * shares).max(top + legend_h + MARGIN).ceil(),
    };
    let unit = ((h - fixed) / shares).max(40.0);

    let mut out = String::with_capacity(64 * 1024);
    let _ = writeln!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" viewBox=\"0 0 {} {}\" font-family=\"{}\">",
        num(w),
        num(h),
        num(w),
        num(h),
        FONT_FAMILY_CSS
    );
    let _ = writeln!(out, "<title>{}</title>", escape(fig.title));
    if let Some(m) = fig.metadata {
        let _ = writeln!(out, "<desc>{}</desc>", escape(m));
    }
    let _ = writeln!(out, "<rect x=\"0\" y=\"0\" width=\"{}\" height=\"{}\" fill=\"#FFFFFF\"/>", num(w), num(h));
    text_el(&mut out, MARGIN, MARGIN + TITLE_SIZE * 0.95, TITLE_SIZE, "start", " id=\"title\"", &title_lines);

    let mut y0 = top;
    let mut last_bottom = top;
    for (pi, panel) in fig.panels.iter().enumerate() {
        if let Some(title) = &panel.title {
            y0 += PANEL_TITLE_H;
            let extra = format!(" class=\"panel-title\" font-weight=\"bold\" data-panel=\"{}\"", panel.id);
            text_el(&mut out, plot_left, y0 - 10.0, PANEL_TITLE_SIZE, "start", &extra, std::slice::from_ref(title));
        }
        let ph = unit * panel.share;
        let (py0, py1) = (y0, y0 + ph);
        let sx = |x: f64| plot_left + (x - x_axis.lo) / (x_axis.hi - x_axis.lo) * plot_w;
        let sy = |y: f64| py1 - (y - panel.y.lo) / (panel.y.hi - panel.y.lo) * ph;
        let _ = writeln!(out, "<g id=\"{}\">", panel.id);
        let _ = writeln!(
            out,
            "<clipPath id=\"clip-{}\"><rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"/></clipPath>",
            panel.id,
            num(plot_left - MARKER_R - 2.0),
            num(py0 - MARKER_R - 2.0),
            num(plot_w + 2.0 * MARKER_R + 4.0),
            num(ph + 2.0 * MARKER_R + 4.0)
        );
        // Grid.
        for &t in &x_axis.ticks {
            let _ = writeln!(
                out,
                "<line x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\" stroke=\"{3}\" stroke-width=\"1\"/>",
                num(sx(t)),
                num(py0),
                num(py1),
                style::GRID_COLOUR
            );
        }
        for &t in &panel.y.ticks {
            let _ = writeln!(
                out,
                "<line x1=\"{0}\" y1=\"{1}\" x2=\"{2}\" y2=\"{1}\" stroke=\"{3}\" stroke-width=\"1\"/>",
                num(plot_left),
                num(sy(t)),
                num(plot_right),
                style::GRID_COLOUR
            );
        }
        let _ = writeln!(out, "<g clip-path=\"url(#clip-{})\">", panel.id);
        if let Some(t) = panel.target {
            let _ = writeln!(
                out,
                "<line class=\"target\" x1=\"{0}\" y1=\"{2}\" x2=\"{1}\" y2=\"{2}\" stroke=\"{3}\" stroke-width=\"1.6\" \
                 stroke-dasharray=\"{4}\"/>",
                num(plot_left),
                num(plot_right),
                num(sy(t)),
                style::TARGET_COLOUR,
                style::TARGET_DASH
            );
        }
        for (points, s) in panel.lines.iter().zip(&styles) {
            // A band joins the points as a line does: not for a scatter.
            if !fig.points_only && points.len() > 1 && points.iter().all(|p| p.2.is_some()) {
                let mut d = String::new();
                for (k, &(x, _, b)) in points.iter().enumerate() {
                    let _ = write!(
                        d,
                        "{}{} {}",
                        if k == 0 { "M" } else { "L" },
                        num(sx(x)),
                        num(sy(b.map_or(0.0, |b| b.1)))
                    );
                }
                for &(x, _, b) in points.iter().rev() {
                    let _ = write!(d, "L{} {}", num(sx(x)), num(sy(b.map_or(0.0, |b| b.0))));
                }
                let _ = writeln!(
                    out,
                    "<path class=\"band\" d=\"{d}Z\" fill=\"{}\" fill-opacity=\"{}\" stroke=\"none\"/>",
                    s.colour,
                    style::BAND_OPACITY
                );
            }
        }
        for (li, (points, s)) in panel.lines.iter().zip(&styles).enumerate() {
            let mut d = String::new();
            for (k, &(x, y, _)) in points.iter().enumerate() {
                let _ = write!(d, "{}{} {}", if k == 0 { "M" } else { "L" }, num(sx(x)), num(sy(y)));
            }
            if !fig.points_only {
                let _ = writeln!(
                    out,
                    "<path class=\"series\" data-series=\"{li}\" d=\"{d}\" fill=\"none\" stroke=\"{}\" stroke-width=\"{}\" \
                     stroke-dasharray=\"{}\" stroke-linejoin=\"round\" stroke-linecap=\"butt\"/>",
                    s.colour,
                    style::LINE_WIDTH,
                    s.dash
                );
            }
            for &(x, y, _) in points {
                out.push_str(&style::marker_svg(s.marker, sx(x), sy(y), MARKER_R, s.colour));
                out.push('\n');
            }
        }
        out.push_str("</g>\n");
        // Axes, ticks and tick labels.
        let _ = writeln!(
            out,
            "<path d=\"M{0} {1}L{0} {2}L{3} {2}\" fill=\"none\" stroke=\"{4}\" stroke-width=\"1.3\"/>",
            num(plot_left),
            num(py0),
            num(py1),
            num(plot_right),
            style::AXIS_COLOUR
        );
        for &t in &x_axis.ticks {
            let x = sx(t);
            let _ = writeln!(
                out,
                "<line x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\" stroke=\"{3}\" stroke-width=\"1.3\"/>",
                num(x),
                num(py1),
                num(py1 + TICK_LEN),
                style::AXIS_COLOUR
            );
            text_el(
                &mut out,
                x,
                py1 + TICK_LEN + 6.0 + TICK_SIZE * text::CAP_HEIGHT,
                TICK_SIZE,
                "middle",
                "",
                &[x_axis.label(t)],
            );
        }
        for &t in &panel.y.ticks {
            let y = sy(t);
            let _ = writeln!(
                out,
                "<line x1=\"{0}\" y1=\"{1}\" x2=\"{2}\" y2=\"{1}\" stroke=\"{3}\" stroke-width=\"1.3\"/>",
                num(plot_left - TICK_LEN),
                num(y),
                num(plot_left),
                style::AXIS_COLOUR
            );
            text_el(
                &mut out,
                plot_left - TICK_LEN - 6.0,
                y + TICK_SIZE * text::CAP_HEIGHT / 2.0,
                TICK_SIZE,
                "end",
                "",
                &[panel.y.label(t)],
            );
        }
        // The y-axis title, turned, centred on the panel.
        let (tx, ty) = (MARGIN + AXIS_TITLE_SIZE * 0.9, (py0 + py1) / 2.0);
        text_el(
            &mut out,
            tx,
            ty,
            AXIS_TITLE_SIZE,
            "middle",
            &format!(" class=\"axis-title\" transform=\"rotate(-90 {} {})\"", num(tx), num(ty)),
            std::slice::from_ref(&panel.y_title),
        );
        out.push_str("</g>\n");
        last_bottom = py1;
        if pi + 1 < n {
            y0 = py1 + gap_between;
        }
    }
    // The x-axis title under the last panel.
    let x_title_y = last_bottom + ticks_h + 14.0 + AXIS_TITLE_SIZE * 0.95;
    text_el(
        &mut out,
        (plot_left + plot_right) / 2.0,
        x_title_y,
        AXIS_TITLE_SIZE,
        "middle",
        " class=\"axis-title\"",
        &[fig.x_title.to_string()],
    );

    // Legend, right of the first panel.
    let _ = writeln!(out, "<g id=\"legend\">");
    let lx = plot_right + 28.0;
    let mut ly = top + 4.0;
    for (lines, s) in &legend {
        let mid = ly + LEGEND_SIZE * 0.5;
        match s {
            Some(s) => {
                if !fig.points_only {
                    let _ = writeln!(
                        out,
                        "<line x1=\"{0}\" y1=\"{2}\" x2=\"{1}\" y2=\"{2}\" stroke=\"{3}\" stroke-width=\"{4}\" stroke-dasharray=\"{5}\"/>",
                        num(lx),
                        num(lx + LEGEND_SAMPLE),
                        num(mid),
                        s.colour,
                        style::LINE_WIDTH,
                        s.dash
                    );
                }
                out.push_str(&style::marker_svg(s.marker, lx + LEGEND_SAMPLE / 2.0, mid, MARKER_R, s.colour));
                out.push('\n');
            }
            None => {
                let _ = writeln!(
                    out,
                    "<line x1=\"{0}\" y1=\"{2}\" x2=\"{1}\" y2=\"{2}\" stroke=\"{3}\" stroke-width=\"1.6\" stroke-dasharray=\"{4}\"/>",
                    num(lx),
                    num(lx + LEGEND_SAMPLE),
                    num(mid),
                    style::TARGET_COLOUR,
                    style::TARGET_DASH
                );
            }
        }
        text_el(
            &mut out,
            lx + LEGEND_SAMPLE + 10.0,
            mid + LEGEND_SIZE * text::CAP_HEIGHT / 2.0,
            LEGEND_SIZE,
            "start",
            "",
            lines,
        );
        ly += lines.len() as f64 * LEGEND_SIZE * LEADING + 8.0;
    }
    out.push_str("</g>\n");

    if !caption_lines.is_empty() {
        let cy = x_title_y + 16.0 + CAPTION_SIZE * LEADING;
        text_el(&mut out, MARGIN, cy, CAPTION_SIZE, "start", " id=\"caption\"", &caption_lines);
    }
    out.push_str("</svg>\n");
    out
}
