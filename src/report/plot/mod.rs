//! Figures for a protocol from a CSV written by `mgtrial run`: power curves, one line per
//! series with its 95% CI band and the target power, and, for selection studies, the screening
//! cost in a second panel; as SVG ([`render`]) or PNG ([`render_png`]).
//!
//! - Title: [`PlotSpec::title`], else the scenario's name from the CSV; `run --plot` passes the
//!   scenario's `description` ([`study_spec`]), and `plot` the same from the CSV's provenance
//!   ([`with_provenance`]).
//! - Axis titles: human names with units ([`labels::axis_title`]), or the spec's overrides.
//! - Series: the Okabe-Ito colour-blind-safe palette without its yellow, with dash patterns and
//!   point markers cycled so that neighbouring series differ in all three ([`style`]); legends
//!   use display names ([`labels`]).
//! - Caption: analysis, sidedness, alpha, n per arm (when not on x), replicates per point
//!   (a range under precision control) and seed, the assumed effect (`max_effect`, the true
//!   effect among the enrolled) and the dropout, from the CSV's columns, with a calibration's
//!   target from the scenario ([`calibration_note`]).
//! - Panels: one per subgroup when the rows hold several (a stratified trial's overall,
//!   within-stratum and interaction rows), sharing one legend.
//! - Screening panel ([`ScreeningPanel::Auto`]): drawn under the power panel, against the same
//!   x and with the same series styles, when y is power and `screened_per_enrolled` differs
//!   between the plotted points; a constant value other than 1 is stated in the caption.
//! - Text is set in the embedded DejaVu Sans ([`text`]); the PNG is drawn by `resvg` with that
//!   font alone, so neither output needs a system font library.

pub mod data;
pub mod labels;
pub(crate) mod raster;
pub mod style;
pub mod svg;
pub mod text;

use crate::engine::calibration::Calibration;
use crate::engine::plan::Plan;
use crate::model::biomarker::BiomarkerType;
use crate::scenario::schema::ArmKind;
use crate::scenario::sweep::Study;
use std::path::Path;
use thiserror::Error;

pub(crate) use labels::axis_title;

#[derive(Debug, Error)]
pub enum PlotError {
    /// The input is not CSV.
    #[error("not a CSV written by mgtrial: {0}")]
    Csv(String),
    /// A column the plot needs is missing.
    #[error("no column `{column}`; columns are: {available}")]
    NoColumn { column: String, available: String },
    /// A plotted cell is not a finite number within [`data::MAX_PLOTTED`].
    #[error("column `{column}` has a value `{value}` (row {row}) that is not a number within +-1e12")]
    NotNumeric { column: String, value: String, row: usize },
    /// The CSV has a header only.
    #[error("no rows to plot")]
    Empty,
    /// The renderer or encoder failed.
    #[error("drawing failed: {0}")]
    Draw(String),
    /// A setting of the spec is out of range.
    #[error("{0}")]
    Invalid(String),
}

/// When the screening panel is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ScreeningPanel {
    /// When y is power and `screened_per_enrolled` differs between the plotted points.
    #[default]
    Auto,
    /// Always (the CSV must have `screened_per_enrolled`).
    Always,
    Never,
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
    /// Dashed horizontal line (power only), above 0 and below 1.
    pub target: Option<f64>,
    /// Title (default: the scenario name in the CSV).
    pub title: Option<String>,
    /// Caption under the figure (default: the design, from the CSV's columns); empty for none.
    pub caption: Option<String>,
    /// How `max_effect` was solved, for the default caption ([`calibration_note`]).
    pub calibration: Option<String>,
    /// The scenario's `[assumptions]` in words, closing the default caption.
    pub assumptions: Option<String>,
    /// x-axis title (default: the column's human name with its unit).
    pub x_label: Option<String>,
    /// y-axis title of the main panel (default: the column's human name).
    pub y_label: Option<String>,
    pub screening_panel: ScreeningPanel,
    /// Width and height in SVG pixels (default: 1200 wide, height to fit the content: about 700
    /// with one panel, about 1000 with the screening panel).
    pub size: Option<(u32, u32)>,
    /// PNG pixels per SVG pixel (the PNG is `size x png_scale`).
    pub png_scale: f32,
    /// Provenance: a `<desc>` in the SVG, a `Description` text chunk in the PNG.
    pub metadata: Option<String>,
    /// Points without the lines joining them (a scatter, e.g. `optimize`'s candidates by role).
    pub points_only: bool,
}

/// Default width of a figure, SVG pixels.
pub const DEFAULT_WIDTH: u32 = 1200;
/// Default PNG pixels per SVG pixel: 2400 pixels across, 8 inches at 300 dpi.
pub(crate) const DEFAULT_PNG_SCALE: f32 = 2.0;
/// Allowed width and height, SVG pixels.
pub(crate) const SIZE_RANGE: std::ops::RangeInclusive<u32> = 400..=8000;

impl PlotSpec {
    /// Power against `x` with every default: series from the `series` column, target 0.8.
    pub fn new(x: impl Into<String>) -> PlotSpec {
        PlotSpec {
            x: x.into(),
            series: Vec::new(),
            y: "power".into(),
            target: Some(0.8),
            title: None,
            caption: None,
            calibration: None,
            assumptions: None,
            x_label: None,
            y_label: None,
            screening_panel: ScreeningPanel::Auto,
            size: None,
            png_scale: DEFAULT_PNG_SCALE,
            metadata: None,
            points_only: false,
        }
    }
}

/// Output format, from a file name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Svg,
    Png,
}

impl Format {
    /// `.svg` or `.png` (any case).
    ///
    /// # Errors
    /// [`PlotError::Invalid`] for any other name.
    pub fn from_path(path: &Path) -> Result<Format, PlotError> {
        match path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref() {
            Some("svg") => Ok(Format::Svg),
            Some("png") => Ok(Format::Png),
            _ => Err(PlotError::Invalid(format!(
                "{}: a figure's file name must end in .svg or .png (the format)",
                path.display()
            ))),
        }
    }
}

/// Checks the spec's settings that do not depend on the CSV.
fn check(spec: &PlotSpec) -> Result<(), PlotError> {
    if let Some(t) = spec.target
        && !(t > 0.0 && t < 1.0)
    {
        return Err(PlotError::Invalid(format!("--target {t}: allowed values are above 0 and below 1")));
    }
    if let Some((w, h)) = spec.size
        && (!SIZE_RANGE.contains(&w) || !SIZE_RANGE.contains(&h))
    {
        return Err(PlotError::Invalid(format!(
            "size {w}x{h}: width and height must be {} to {} pixels",
            SIZE_RANGE.start(),
            SIZE_RANGE.end()
        )));
    }
    Ok(())
}

/// Renders the SVG text of the figure of a CSV written by `mgtrial run`.
///
/// # Errors
/// [`PlotError::Invalid`] for a target outside (0, 1) or a size outside [`SIZE_RANGE`], and the
/// errors of [`data::read`] for a CSV that lacks the columns or holds unplottable values.
///
/// # Examples
/// ```
/// let csv = "series,design.n_per_arm,power,power_ci_low,power_ci_high\n\
///            a,10,0.2,0.15,0.25\na,20,0.5,0.45,0.55\n";
/// let spec = mgtrial::report::plot::PlotSpec { title: Some("Power".into()), ..mgtrial::report::plot::PlotSpec::new("design.n_per_arm") };
/// let svg = mgtrial::report::plot::render(csv, &spec).unwrap();
/// assert!(svg.starts_with("<svg") && svg.contains(">n per arm<"));
/// ```
pub fn render(csv_text: &str, spec: &PlotSpec) -> Result<String, PlotError> {
    check(spec)?;
    let data = data::read(csv_text, spec)?;
    let is_power = spec.y == "power";
    let screening = data.screening_range();
    let screening_varies = screening.is_some_and(|(lo, hi)| hi - lo > 1e-9 * hi.abs().max(1.0));
    let show_screening = match spec.screening_panel {
        ScreeningPanel::Never => false,
        ScreeningPanel::Auto => is_power && screening_varies,
        ScreeningPanel::Always if screening.is_some() => true,
        ScreeningPanel::Always => {
            return Err(PlotError::NoColumn {
                column: "screened_per_enrolled (a number in every row)".into(),
                available: csv_text.lines().next().unwrap_or("").replace(',', ", "),
            });
        }
    };
    let y_title = spec.y_label.clone().unwrap_or_else(|| axis_title(&spec.y));
    let y_axis = if is_power {
        svg::power_axis()
    } else {
        let ys = data.lines.iter().flat_map(|l| l.points.iter().map(|p| p.y));
        let (lo, hi) = ys.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), y| (a.min(y), b.max(y)));
        svg::y_axis(lo, hi, 6, false)
    };
    let main_id = if is_power { "panel-power" } else { "panel-main" };
    let mut panels: Vec<svg::Panel> = Vec::new();
    if data.panels.is_empty() {
        panels.push(svg::Panel::new(main_id.into(), y_title, y_axis, &data.lines, |p| (p.y, p.band)));
    } else {
        // Small multiples: a panel per subgroup, each with that subgroup's lines.
        for (k, (code, name)) in data.panels.iter().enumerate() {
            let mut p =
                svg::Panel::new(format!("{main_id}-{code}"), y_title.clone(), y_axis.clone(), &data.lines, |p| {
                    (p.y, p.band)
                });
            p.keep_only(&data.lines, k);
            p.title = Some(name.clone());
            p.share = svg::FACET_SHARE;
            panels.push(p);
        }
    }
    for p in &mut panels {
        p.target = spec.target.filter(|_| is_power);
    }
    if show_screening && let Some((lo, hi)) = screening {
        let axis = svg::y_axis(lo, hi, 4, true);
        let mut p =
            svg::Panel::new("panel-screening".into(), axis_title("screened_per_enrolled"), axis, &data.lines, |p| {
                (p.screened.unwrap_or(f64::NAN), None)
            });
        // A point's screening is the same in every subgroup: the first panel's lines show it.
        p.keep_only(&data.lines, 0);
        p.share = svg::SCREENING_SHARE;
        panels.push(p);
    }
    let note = match screening {
        Some((lo, hi)) if is_power && !show_screening && !screening_varies && (lo - 1.0).abs() > 1e-9 => {
            Some(format!("{} screened per enrolled throughout", labels::short_number(&format!("{:.2}", hi))))
        }
        _ => None,
    };
    let band = is_power && data.lines.iter().any(|l| l.points.len() > 1);
    let title = spec.title.clone().or_else(|| data.scenario.clone()).unwrap_or_else(|| "mgtrial".into());
    let caption = spec.caption.clone().unwrap_or_else(|| {
        let text = labels::caption(&data.design, &spec.x, band, note.as_deref(), spec.calibration.as_deref());
        // What the scenario takes beyond the literature is said wherever its results are.
        match &spec.assumptions {
            Some(a) if !text.is_empty() => format!("{text}; {a}"),
            Some(a) => a.clone(),
            None => text,
        }
    });
    // A threshold on one assay is titled by the assay and its unit, as `run --plot` does.
    let threshold_title = match (spec.x.as_str(), data.assay.as_deref().and_then(labels::assay_kind)) {
        ("selection.threshold", Some(k)) => Some(format!("{} threshold ({})", assay_name(k), k.unit())),
        _ => None,
    };
    let x_title = spec.x_label.clone().or(threshold_title).unwrap_or_else(|| axis_title(&spec.x));
    let x_integer = data.lines.iter().all(|l| l.points.iter().all(|p| p.x.fract() == 0.0));
    let target_label = panels[0].target.map(|t| format!("target power {}", labels::short_number(&t.to_string())));
    let figure = svg::Figure {
        width: f64::from(spec.size.map_or(DEFAULT_WIDTH, |s| s.0)),
        height: spec.size.map(|s| f64::from(s.1)),
        title: &title,
        caption: &caption,
        x_title: &x_title,
        x_integer,
        panels,
        data: &data,
        target_label,
        metadata: spec.metadata.as_deref(),
        points_only: spec.points_only,
    };
    Ok(svg::draw(&figure))
}

/// Renders the figure as PNG: the SVG of [`render`], drawn at `spec.png_scale`.
///
/// # Errors
/// Those of [`render`] and of [`raster::svg_to_png`].
pub fn render_png(csv_text: &str, spec: &PlotSpec) -> Result<Vec<u8>, PlotError> {
    let svg = render(csv_text, spec)?;
    let title = spec.title.clone().or_else(|| data::read(csv_text, spec).ok().and_then(|d| d.scenario));
    let text = raster::PngText { title: title.as_deref(), metadata: spec.metadata.as_deref() };
    raster::svg_to_png(&svg, spec.png_scale, &text)
}

/// The file's bytes in `format`.
///
/// # Errors
/// Those of [`render`] and [`render_png`].
pub fn render_as(csv_text: &str, spec: &PlotSpec, format: Format) -> Result<Vec<u8>, PlotError> {
    match format {
        Format::Svg => render(csv_text, spec).map(String::into_bytes),
        Format::Png => render_png(csv_text, spec),
    }
}

/// How a reader names an assay.
fn assay_name(kind: BiomarkerType) -> &'static str {
    match kind {
        BiomarkerType::SerumTotal => "serum Mg",
        BiomarkerType::Ionized => "ionized Mg",
        BiomarkerType::RedCell => "red-cell Mg",
        BiomarkerType::LoadingTest => "loading-test excretion",
    }
}

/// The figure `run --plot` draws of a study: x is the last swept field, one line per series
/// and per value of the other swept fields, target 0.8; the title is the scenario's
/// description (if it has one); a threshold's axis title names the assay and its unit when
/// every point uses the same assay, and a per-arm field drops the arm's name when the trial has
/// one active arm. `None` when nothing is swept.
pub fn study_spec(study: &Study, plans: &[Plan]) -> Option<PlotSpec> {
    let x = study.axes.last()?.path.clone();
    let mut series: Vec<String> = Vec::new();
    if study.series.first().is_some_and(|s| !s.label.is_empty()) {
        series.push("series".into());
    }
    series.extend(study.axes[..study.axes.len() - 1].iter().map(|a| a.path.clone()));
    let first = plans.first()?;
    let description = first.scenario.description.trim();
    let same = |kinds: &mut dyn Iterator<Item = Option<BiomarkerType>>| {
        let kinds: Vec<Option<BiomarkerType>> = kinds.collect();
        match kinds.first() {
            Some(Some(k)) if kinds.iter().all(|o| o == &Some(*k)) => Some(*k),
            _ => None,
        }
    };
    let x_label = match x.as_str() {
        "selection.threshold" => same(&mut plans.iter().map(|p| Some(p.assay.kind)))
            .map(|k| format!("{} threshold ({})", assay_name(k), k.unit())),
        "selection.confirm_threshold" => same(&mut plans.iter().map(|p| p.confirmation.as_ref().map(|c| c.0.kind)))
            .map(|k| format!("confirmatory {} threshold ({})", assay_name(k), k.unit())),
        path => {
            let field = labels::field(path);
            let active = first.scenario.arms.iter().filter(|a| a.kind == ArmKind::Active).count();
            (field.arm.is_some() && active == 1).then(|| labels::Field { arm: None, ..field }.axis_title())
        }
    };
    Some(PlotSpec {
        series,
        title: (!description.is_empty()).then(|| description.to_string()),
        calibration: first.calibration.as_ref().map(calibration_note),
        assumptions: first.scenario.assumptions.describe(),
        x_label,
        ..PlotSpec::new(x)
    })
}

/// `spec` with what `run --plot` takes from the scenario, read from the provenance record
/// written beside the CSV when every row comes from the record's scenario (its
/// `scenario_sha256`): the title, if `spec` has none (the scenario's `description`; without
/// one the title stays the scenario's name, from the CSV), and the calibration's note.
pub fn with_provenance(spec: PlotSpec, csv_text: &str, record: &crate::report::provenance::Provenance) -> PlotSpec {
    let same_scenario = || {
        let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
        let Some(column) = reader.headers().ok().and_then(|h| h.iter().position(|h| h == "scenario_sha256")) else {
            return false;
        };
        let mut rows = reader.records().peekable();
        rows.peek().is_some() && rows.all(|r| r.is_ok_and(|r| r.get(column) == Some(record.scenario_sha256.as_str())))
    };
    if !same_scenario() {
        return spec;
    }
    let description = toml::from_str::<toml::Table>(&record.scenario)
        .ok()
        .and_then(|t| t.get("description").and_then(|d| d.as_str()).map(|d| d.trim().to_string()))
        .filter(|d| !d.is_empty());
    let assumptions = toml::from_str::<toml::Table>(&record.scenario)
        .ok()
        .and_then(|t| t.get("assumptions").cloned())
        .and_then(|a| a.try_into::<crate::scenario::schema::Assumptions>().ok())
        .and_then(|a| a.describe());
    PlotSpec {
        title: spec.title.or(description),
        calibration: spec.calibration.or_else(|| record.calibration.as_ref().map(calibration_note)),
        assumptions: spec.assumptions.or(assumptions),
        ..spec
    }
}

/// How a calibration solved `max_effect`, for a caption: "calibrated to 5.25 BDI-II points in
/// observed change (between arms)". The one place figures read a calibration.
pub(crate) fn calibration_note(c: &Calibration) -> String {
    // The published design without where it was written ("(... as written)").
    let design = c.design.split(" (").next().unwrap_or(&c.design);
    format!("calibrated to {} in the published design ({design})", c.target.describe(&c.unit))
}

/// Provenance of a figure: the program, its version and the command line that made it (the
/// arguments after the program's name; quoted where a shell would need it).
pub fn provenance<S: AsRef<std::ffi::OsStr>>(args: impl IntoIterator<Item = S>) -> String {
    let quoted: Vec<String> = args
        .into_iter()
        .map(|a| {
            let a = a.as_ref().to_string_lossy();
            if !a.is_empty() && a.chars().all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c)) {
                a.into_owned()
            } else {
                format!("'{}'", a.replace('\'', r"'\''"))
            }
        })
        .collect();
    format!("made by mgtrial {}: mgtrial {}", env!("CARGO_PKG_VERSION"), quoted.join(" "))
}
