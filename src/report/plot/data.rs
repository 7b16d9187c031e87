//! Reading a CSV written by `mgtrial run` into the lines of a figure: one line per series
//! (and per value of the other grouping columns), sorted along x, with power's CI band, the
//! screening cost of each point and the design columns the caption states. Rows of several
//! subgroups (a stratified trial) go to one panel per subgroup. Legend labels use display
//! names ("NB rate ratio (Wald)", "red cell < 1.99 mmol/L"), never the CSV's codes.

use super::labels::{self, DesignColumns};
use super::{PlotError, PlotSpec};

/// Largest magnitude of a plotted value: beyond it, axis ranges lose their resolution in f64.
pub(crate) const MAX_PLOTTED: f64 = 1e12;

/// A point of a line.
#[derive(Debug, Clone, Copy)]
pub struct Point {
    pub x: f64,
    pub y: f64,
    /// Power's 95% CI, when y is power.
    pub band: Option<(f64, f64)>,
    /// Participants screened per participant enrolled, when the CSV has it.
    pub screened: Option<f64>,
}

/// One line of the figure.
#[derive(Debug, Clone)]
pub struct Line {
    pub label: String,
    /// The line's style: lines of one label share it in every panel.
    pub style: usize,
    /// Its panel, an index into [`Data::panels`] (0 when there is one).
    pub panel: usize,
    pub points: Vec<Point>,
}

/// Everything a figure shows of its CSV.
#[derive(Debug, Clone)]
pub struct Data {
    pub lines: Vec<Line>,
    /// The `scenario` column's first value, the title when neither a title nor a description
    /// is given.
    pub scenario: Option<String>,
    pub design: DesignColumns,
    /// One panel per subgroup, as (code, display name), when the rows hold several subgroups
    /// and `subgroup` is not a series column; empty for a single panel.
    pub panels: Vec<(String, String)>,
    /// The assay (`assay` column) when every row has the same.
    pub assay: Option<String>,
}

impl Data {
    /// Whether every point has a screening cost.
    pub(crate) fn has_screening(&self) -> bool {
        self.lines.iter().all(|l| l.points.iter().all(|p| p.screened.is_some()))
    }

    /// The range of screened per enrolled over all points, if every point has it.
    pub(crate) fn screening_range(&self) -> Option<(f64, f64)> {
        if !self.has_screening() {
            return None;
        }
        let values = self.lines.iter().flat_map(|l| l.points.iter().filter_map(|p| p.screened));
        Some(values.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| (a.min(v), b.max(v))))
    }
}

fn parse_num(column: &str, value: &str, row: usize) -> Result<f64, PlotError> {
    value.parse::<f64>().ok().filter(|v| v.is_finite() && v.abs() <= MAX_PLOTTED).ok_or_else(|| PlotError::NotNumeric {
        column: column.into(),
        value: value.into(),
        row,
    })
}

/// Reads the lines `spec` asks for.
///
/// # Errors
/// [`PlotError::Csv`] for text that is not CSV, [`PlotError::NoColumn`] for a column the CSV
/// lacks, [`PlotError::NotNumeric`] for an x or y cell that is not a plottable number, and
/// [`PlotError::Empty`] for a CSV without rows.
pub fn read(csv_text: &str, spec: &PlotSpec) -> Result<Data, PlotError> {
    let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
    let header: Vec<String> =
        reader.headers().map_err(|e| PlotError::Csv(e.to_string()))?.iter().map(String::from).collect();
    let col = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| PlotError::NoColumn { column: name.into(), available: header.join(", ") })
    };
    let optional = |name: &str| header.iter().position(|h| h == name);
    let (ix, iy) = (col(&spec.x)?, col(&spec.y)?);
    let band = if spec.y == "power" { Some((col("power_ci_low")?, col("power_ci_high")?)) } else { None };
    let series_cols: Vec<usize> = if spec.series.is_empty() {
        optional("series").into_iter().collect()
    } else {
        spec.series.iter().map(|s| col(s)).collect::<Result<_, _>>()?
    };
    // Legend names of the grouping columns other than `series`, with the arm when two would
    // otherwise read the same.
    let names: Vec<labels::Field> = series_cols.iter().map(|&c| labels::field(&header[c])).collect();
    let with_arm = |i: usize| names.iter().enumerate().any(|(j, f)| j != i && f.name == names[i].name);
    let comparison_col = optional("comparison");
    let screened_col = optional("screened_per_enrolled");
    // A threshold's assay: the `assay` column, else a swept `biomarker.type`.
    let assay_col = optional("assay").or_else(|| optional("biomarker.type"));
    let threshold_in_series = series_cols.iter().any(|&c| header[c] == "selection.threshold");
    let records: Vec<csv::StringRecord> =
        reader.records().collect::<Result<_, _>>().map_err(|e| PlotError::Csv(e.to_string()))?;
    if records.is_empty() {
        return Err(PlotError::Empty);
    }
    let distinct = |col: Option<usize>| {
        let mut values: Vec<&str> = Vec::new();
        for r in &records {
            if let Some(c) = col
                && !values.contains(&&r[c])
            {
                values.push(&r[c]);
            }
        }
        values
    };
    let subgroup_col = optional("subgroup");
    let facets: Vec<(String, String)> = if spec.series.iter().any(|s| s == "subgroup") {
        Vec::new()
    } else {
        match distinct(subgroup_col)[..] {
            [_] | [] => Vec::new(),
            ref many => many.iter().map(|g| (g.to_string(), labels::subgroup_name(g))).collect(),
        }
    };
    // Rows of one point that differ by comparison, analysis or subgroup (unless subgroups
    // have panels of their own) are lines of their own, named by whichever of these columns
    // takes more than one value.
    let facet_col = subgroup_col.filter(|_| !facets.is_empty());
    let row_columns: Vec<usize> = [comparison_col, optional("analysis"), subgroup_col, optional("layout")]
        .into_iter()
        .filter(|&c| c != facet_col && distinct(c).len() > 1)
        .flatten()
        .collect();
    let display = |c: usize, value: &str| match header[c].as_str() {
        "analysis" => labels::analysis_name(value),
        "subgroup" => labels::subgroup_name(value),
        _ => value.to_string(),
    };
    let mut lines: Vec<Line> = Vec::new();
    let mut styles: Vec<String> = Vec::new();
    for (i, r) in records.iter().enumerate() {
        let row = i + 2;
        let assay = assay_col.map(|c| &r[c]).filter(|a| labels::assay_name(a).is_some());
        let mut parts: Vec<String> = Vec::new();
        for (k, &c) in series_cols.iter().enumerate() {
            let value = &r[c];
            let part = match (header[c].as_str(), assay) {
                ("series", _) => Some(value.to_string()),
                ("selection.threshold", Some(a)) => labels::threshold_label(a, value),
                // Said by the threshold's label.
                ("biomarker.type", Some(_)) if threshold_in_series => None,
                ("biomarker.type", _) => labels::assay_name(value).map(|(name, _)| name.to_string()),
                _ => Some(names[k].with_value(value, with_arm(k))),
            };
            parts.extend(part);
        }
        let mut label = parts.join(", ");
        for &c in &row_columns {
            let name = display(c, &r[c]);
            label = if label.is_empty() { name } else { format!("{label} / {name}") };
        }
        let panel = facet_col.and_then(|c| facets.iter().position(|(g, _)| g == &r[c])).unwrap_or(0);
        let x = parse_num(&spec.x, &r[ix], row)?;
        let y = parse_num(&spec.y, &r[iy], row)?;
        let band = match band {
            Some((lo, hi)) => Some((parse_num("power_ci_low", &r[lo], row)?, parse_num("power_ci_high", &r[hi], row)?)),
            None => None,
        };
        // An empty or unplottable screening cell only takes the screening panel away.
        let screened = screened_col.and_then(|c| parse_num("screened_per_enrolled", &r[c], row).ok());
        let point = Point { x, y, band, screened };
        match lines.iter_mut().find(|l| l.label == label && l.panel == panel) {
            Some(l) => l.points.push(point),
            None => {
                let style = styles.iter().position(|s| s == &label).unwrap_or_else(|| {
                    styles.push(label.clone());
                    styles.len() - 1
                });
                lines.push(Line { label, style, panel, points: vec![point] });
            }
        }
    }
    for l in &mut lines {
        l.points.sort_by(|a, b| a.x.total_cmp(&b.x));
    }
    let column = |name: &str| -> Vec<String> {
        optional(name).map(|c| records.iter().map(|r| r[c].to_string()).collect()).unwrap_or_default()
    };
    let design = DesignColumns {
        analysis: column("analysis"),
        sided: column("sided"),
        alpha: column("alpha"),
        reps: column("reps"),
        seed: column("seed"),
        n_per_arm: column("n_per_arm"),
        subgroup: column("subgroup"),
        true_effect: column("true_effect"),
        estimate_unit: column("estimate_unit"),
        true_rate_ratio: column("true_rate_ratio"),
        dropout_rate: column("dropout_rate"),
        max_effect: column("max_effect"),
    };
    let scenario = optional("scenario").map(|c| records[0][c].to_string()).filter(|s| !s.is_empty());
    let assay = match distinct(optional("assay"))[..] {
        [a] => Some(a.to_string()),
        _ => None,
    };
    Ok(Data { lines, scenario, design, panels: facets, assay })
}
