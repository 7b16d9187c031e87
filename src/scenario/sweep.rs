//! Sweeps: the design points of a study.
//!
//! A `[sweep]` section (or `--sweep PATH=SPEC` on the command line) names fields by their
//! dotted path and the values each takes; several fields give their cartesian product, the
//! first named varying slowest. Named series are labelled override sets (for example one per
//! selection strategy), crossed with the grid:
//!
//! ```toml
//! [sweep]
//! grid = { "design.n_per_arm" = "20:200:20", "arms.mg.dose_mg_per_day" = [250, 500] }
//!
//! [[sweep.series]]
//! label = "serum < 0.75"
//! set = { "selection.mode" = "enrich", "selection.threshold" = 0.75 }
//! ```
//!
//! A grid spec is an array of values, a `"v1,v2,..."` list, or an inclusive numeric range
//! `"start:stop:step"` (integers if all three are integers).

use crate::error::ScenarioError;
use crate::scenario::schema::{Override, display_value, parse_value};
pub use crate::scenario::schema::{SeriesSpec, SweepSpec};

/// One swept field and its values, in order.
#[derive(Debug, Clone, PartialEq)]
pub struct Axis {
    pub path: String,
    pub values: Vec<toml::Value>,
    /// Given on the command line (`--sweep`) rather than in the file's `[sweep]` grid.
    pub from_command_line: bool,
}

/// A labelled set of overrides.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub label: String,
    pub overrides: Vec<Override>,
}

/// One design point: a series and one value per axis.
#[derive(Debug, Clone, PartialEq)]
pub struct DesignPoint {
    pub series: usize,
    /// Index into each axis's values.
    pub grid: Vec<usize>,
}

/// The whole study: series x grid.
#[derive(Debug, Clone, PartialEq)]
pub struct Study {
    pub series: Vec<Series>,
    pub axes: Vec<Axis>,
    pub points: Vec<DesignPoint>,
}

/// Most design points a study may have.
pub(crate) const MAX_POINTS: usize = 100_000;

/// Whether two field paths name the same field, or one a section holding the other.
pub(crate) fn same_field(a: &str, b: &str) -> bool {
    a == b
        || a.strip_prefix(b).is_some_and(|r| r.starts_with('.'))
        || b.strip_prefix(a).is_some_and(|r| r.starts_with('.'))
}

fn sweep_err(what: &str, message: impl Into<String>) -> ScenarioError {
    ScenarioError::Sweep { what: what.to_string(), message: message.into() }
}

/// Values of one grid spec (see the module doc).
pub(crate) fn parse_axis(path: &str, spec: &toml::Value) -> Result<Axis, ScenarioError> {
    let values = match spec {
        toml::Value::Array(items) => items.clone(),
        toml::Value::String(s) if s.contains(':') => parse_range(path, s)?,
        toml::Value::String(s) => s.split(',').map(|v| parse_value(v.trim())).collect(),
        other => vec![other.clone()],
    };
    if values.is_empty() {
        return Err(sweep_err(path, "no values"));
    }
    Ok(Axis { path: path.to_string(), values, from_command_line: false })
}

/// `start:stop:step`, inclusive of `stop`.
fn parse_range(path: &str, spec: &str) -> Result<Vec<toml::Value>, ScenarioError> {
    let bad = || sweep_err(path, format!("`{spec}` is not START:STOP:STEP with numbers, STEP > 0 and START <= STOP"));
    let parts: Vec<&str> = spec.split(':').map(str::trim).collect();
    if parts.len() != 3 {
        return Err(bad());
    }
    let too_many = |n: String| sweep_err(path, format!("`{spec}` has {n} values; at most {MAX_POINTS}"));
    if let (Ok(a), Ok(b), Ok(c)) = (parts[0].parse::<i64>(), parts[1].parse::<i64>(), parts[2].parse::<i64>()) {
        if c <= 0 || a > b {
            return Err(bad());
        }
        // In i128: the span of two i64 cannot overflow.
        let n = (i128::from(b) - i128::from(a)) / i128::from(c) + 1;
        if n > MAX_POINTS as i128 {
            return Err(too_many(n.to_string()));
        }
        // Every value lies between a and b, so it fits in i64.
        return Ok((0..n).map(|i| toml::Value::Integer((i128::from(a) + i * i128::from(c)) as i64)).collect());
    }
    let nums: Vec<f64> = parts.iter().map(|p| p.parse::<f64>()).collect::<Result<_, _>>().map_err(|_| bad())?;
    let (a, b, c) = (nums[0], nums[1], nums[2]);
    if !(a.is_finite() && b.is_finite() && c.is_finite()) || c <= 0.0 || a > b {
        return Err(bad());
    }
    // Inclusive of `stop` to 1e-9 of a step, or to the rounding error of `stop - start`.
    let steps = (b - a) / c + 1e-9 + 4.0 * f64::EPSILON * a.abs().max(b.abs()) / c;
    if steps.is_nan() || steps >= MAX_POINTS as f64 {
        return Err(too_many(format!("{:.0}", steps.floor() + 1.0)));
    }
    let n = steps.floor() as usize + 1;
    // Round to 15 significant digits of the range's largest magnitude, so 0.1 steps print as
    // 0.3, not 0.30000000000000004 (the rounding error of `a + i c` is about 2 ulp), while
    // every value the step can tell apart stays distinct.
    let magnitude = a.abs().max(b.abs()).max(c);
    let decimals = (15.0 - magnitude.log10().ceil()).clamp(0.0, 17.0) as usize;
    Ok((0..n)
        .map(|i| {
            let v = a + i as f64 * c;
            toml::Value::Float(format!("{v:.decimals$}").parse().expect("a formatted float parses"))
        })
        .collect())
}

/// Parses a command-line `--sweep PATH=SPEC`.
pub fn parse_cli_axis(arg: &str) -> Result<Axis, ScenarioError> {
    let (path, spec) =
        arg.split_once('=').ok_or_else(|| sweep_err(arg, "expected PATH=V1,V2,... or PATH=START:STOP:STEP"))?;
    let path = path.trim();
    if path.is_empty() || path.split('.').any(str::is_empty) {
        return Err(sweep_err(arg, format!("`{path}` is not a dotted field path")));
    }
    let mut axis = parse_axis(path, &toml::Value::String(spec.trim().to_string()))?;
    axis.from_command_line = true;
    Ok(axis)
}

/// `path -> value` pairs of a TOML table whose keys may be quoted dotted paths
/// (`"selection.mode" = "enrich"`) or nested tables (`selection.mode = "enrich"`, which TOML
/// reads as `{ selection = { mode = "enrich" } }`); both mean the same field.
fn flatten(prefix: &str, table: &toml::Table, out: &mut Vec<(String, toml::Value)>) {
    for (k, v) in table {
        let path = if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") };
        match v {
            toml::Value::Table(t) => flatten(&path, t, out),
            other => out.push((path, other.clone())),
        }
    }
}

impl Study {
    /// The study of a `[sweep]` section (if any) and command-line axes; command-line axes
    /// replace file axes of the same path. Without series there is one unnamed series.
    pub fn new(spec: Option<&crate::scenario::sweep::SweepSpec>, cli_axes: Vec<Axis>) -> Result<Study, ScenarioError> {
        Study::with_paths(spec, cli_axes, |p| p.to_string())
    }

    /// Like [`Study::new`], with every field path first written in one spelling by
    /// `canonical` (e.g. arm indices as names, [`crate::scenario::source::Source::canonical_path`]),
    /// so two spellings of one field are one field. Two grid axes on one field, or an axis on a
    /// field that a series also sets (one would silently replace the other), are errors.
    pub fn with_paths(
        spec: Option<&crate::scenario::sweep::SweepSpec>,
        cli_axes: Vec<Axis>,
        canonical: impl Fn(&str) -> String,
    ) -> Result<Study, ScenarioError> {
        let mut axes: Vec<Axis> = Vec::new();
        if let Some(spec) = spec {
            let mut grid = Vec::new();
            flatten("", &spec.grid, &mut grid);
            for (path, v) in &grid {
                let mut axis = parse_axis(&canonical(path), v)?;
                if axes.iter().any(|a| a.path == axis.path) {
                    return Err(sweep_err(
                        "grid",
                        format!("{path} is swept twice (as {}): give each field once", axis.path),
                    ));
                }
                axis.from_command_line = false;
                axes.push(axis);
            }
        }
        for mut a in cli_axes {
            a.path = canonical(&a.path);
            match axes.iter_mut().find(|x| x.path == a.path) {
                Some(existing) if existing.from_command_line => {
                    return Err(sweep_err(&a.path, "is given to --sweep twice: give each field once"));
                }
                Some(existing) => *existing = a,
                None => axes.push(a),
            }
        }
        let series: Vec<Series> = match spec.map(|s| s.series.as_slice()) {
            Some(list) if !list.is_empty() => list
                .iter()
                .map(|s| {
                    let mut set = Vec::new();
                    flatten("", &s.set, &mut set);
                    Series {
                        label: s.label.clone(),
                        overrides: set
                            .into_iter()
                            .map(|(path, value)| Override { path: canonical(&path), value })
                            .collect(),
                    }
                })
                .collect(),
            _ => vec![Series { label: String::new(), overrides: Vec::new() }],
        };
        for (i, s) in series.iter().enumerate() {
            if series[..i].iter().any(|o| o.label == s.label) {
                return Err(sweep_err("series", format!("label `{}` is used twice", s.label)));
            }
            if let Some(o) = s.overrides.iter().find(|o| axes.iter().any(|a| same_field(&a.path, &o.path))) {
                let axis = axes.iter().find(|a| same_field(&a.path, &o.path)).expect("found above");
                let by = if axis.from_command_line { "--sweep" } else { "the [sweep] grid" };
                return Err(sweep_err(
                    &axis.path,
                    format!(
                        "is swept by {by} and also set by series \"{}\" ({}), whose value the grid would replace \
                         at every point: sweep it or set it in the series, not both",
                        s.label,
                        o.display()
                    ),
                ));
            }
        }
        let points = axes.iter().try_fold(series.len(), |n, a| n.checked_mul(a.values.len()));
        match points {
            Some(n) if n <= MAX_POINTS => {}
            _ => {
                let sizes: Vec<String> = axes.iter().map(|a| a.values.len().to_string()).collect();
                return Err(sweep_err(
                    "grid",
                    format!(
                        "{} series x {} values is more than {MAX_POINTS} design points",
                        series.len(),
                        sizes.join(" x ")
                    ),
                ));
            }
        }
        let mut study = Study { series, axes, points: Vec::new() };
        study.points = study.enumerate_points();
        Ok(study)
    }

    /// The same study without the axis of `path` (the field a search solves for).
    pub(crate) fn without_axis(self, path: &str) -> Study {
        let axes: Vec<Axis> = self.axes.into_iter().filter(|a| a.path != path).collect();
        let spec_series = self.series;
        let mut study = Study { series: spec_series, axes, points: Vec::new() };
        study.points = study.enumerate_points();
        study
    }

    /// Every (series, grid) combination, series slowest, last axis fastest.
    fn enumerate_points(&self) -> Vec<DesignPoint> {
        let grid_size: usize = self.axes.iter().map(|a| a.values.len()).product();
        let mut points = Vec::with_capacity(grid_size * self.series.len());
        for s in 0..self.series.len() {
            for flat in 0..grid_size {
                // Mixed-radix digits, last axis fastest.
                let mut rest = flat;
                let mut grid = vec![0; self.axes.len()];
                for (k, a) in self.axes.iter().enumerate().rev() {
                    grid[k] = rest % a.values.len();
                    rest /= a.values.len();
                }
                points.push(DesignPoint { series: s, grid });
            }
        }
        points
    }

    /// True when the study is a single design (no axes, one unnamed series).
    pub fn is_single(&self) -> bool {
        self.axes.is_empty() && self.series.len() == 1 && self.series[0].label.is_empty()
    }

    /// "3 series x design.n_per_arm (20 values)": the study's shape, for messages.
    pub fn summary(&self) -> String {
        let mut parts: Vec<String> = Vec::new();
        if !(self.series.len() == 1 && self.series[0].label.is_empty()) {
            parts.push(format!("{} series", self.series.len()));
        }
        parts.extend(self.axes.iter().map(|a| format!("{} ({} values)", a.path, a.values.len())));
        parts.join(" x ")
    }

    /// Every field path the study sets, with where it is set (for messages): the grid's
    /// axes and each series' overrides.
    pub(crate) fn set_paths(&self) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = self
            .axes
            .iter()
            .map(|a| {
                let origin = if a.from_command_line {
                    format!("--sweep {}", a.path)
                } else {
                    format!("grid field {} of the [sweep] section", a.path)
                };
                (a.path.clone(), origin)
            })
            .collect();
        for s in &self.series {
            for o in &s.overrides {
                out.push((o.path.clone(), format!("series \"{}\" of the [sweep] section", s.label)));
            }
        }
        out
    }

    /// The overrides that make design point `p`: the series' set, then the grid values.
    pub fn overrides(&self, p: &DesignPoint) -> Vec<Override> {
        let mut o = self.series[p.series].overrides.clone();
        o.extend(
            self.axes.iter().zip(&p.grid).map(|(a, &i)| Override { path: a.path.clone(), value: a.values[i].clone() }),
        );
        o
    }

    /// Human-readable description of a point, for messages and the progress bar.
    pub fn describe(&self, p: &DesignPoint) -> String {
        let mut parts = Vec::new();
        if !self.series[p.series].label.is_empty() {
            parts.push(format!("series \"{}\"", self.series[p.series].label));
        }
        parts
            .extend(self.axes.iter().zip(&p.grid).map(|(a, &i)| format!("{}={}", a.path, display_value(&a.values[i]))));
        parts.join(", ")
    }

    /// Index of the point just before `i` along the last axis (same series, same other
    /// coordinates), if any: the neighbour whose difference the paired test reports.
    pub fn previous_along_last_axis(&self, i: usize) -> Option<usize> {
        let last = self.axes.len().checked_sub(1)?;
        (self.points[i].grid[last] > 0).then(|| i - 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_lists_and_arrays() {
        let a = parse_cli_axis("design.n_per_arm=20:60:20").unwrap();
        assert_eq!(a.values, vec![toml::Value::Integer(20), toml::Value::Integer(40), toml::Value::Integer(60)]);
        let b = parse_cli_axis("selection.threshold=0.7:0.8:0.05").unwrap();
        assert_eq!(b.values.iter().map(display_value).collect::<Vec<_>>(), vec!["0.7", "0.75", "0.8"]);
        let c = parse_cli_axis("arms.mg.formulation=oxide,citrate").unwrap();
        assert_eq!(c.values.iter().map(display_value).collect::<Vec<_>>(), vec!["oxide", "citrate"]);
        assert!(parse_cli_axis("design.n_per_arm=60:20:20").is_err());
        assert!(parse_cli_axis("design.n_per_arm=1:2:0").is_err());
        assert!(parse_cli_axis("design.n_per_arm").is_err());
    }

    #[test]
    fn extreme_ranges_are_refused_or_exact() {
        // Spans that overflow i64 or f64, and steps too fine for the point limit.
        assert!(parse_cli_axis("x.y=-9000000000000000000:9000000000000000000:1").is_err());
        assert!(parse_cli_axis("x.y=-1e308:1e308:1e300").is_err());
        assert!(parse_cli_axis("x.y=0:1:1e-300").is_err());
        // A fine step keeps its values distinct.
        let fine = parse_cli_axis("x.y=1:1.0000000000004:1e-13").unwrap();
        let shown: Vec<String> = fine.values.iter().map(display_value).collect();
        assert_eq!(shown, vec!["1.0", "1.0000000000001", "1.0000000000002", "1.0000000000003", "1.0000000000004"]);
        // Exact values of a coarse step keep their decimals.
        let coarse = parse_cli_axis("x.y=0.5:2000000.5:1000000").unwrap();
        assert_eq!(coarse.values.iter().map(display_value).collect::<Vec<_>>(), vec!["0.5", "1000000.5", "2000000.5"]);
        // Integer ranges at the ends of i64 do not overflow.
        let wide = parse_cli_axis("x.y=-9000000000000000000:9000000000000000000:9000000000000000000").unwrap();
        assert_eq!(wide.values.len(), 3);
        // Huge but finite values stay finite.
        let huge = parse_cli_axis("x.y=1e300:3e300:1e300").unwrap();
        assert!(huge.values.iter().all(|v| v.as_float().is_some_and(f64::is_finite)));
        // A grid whose size overflows is an error, not a wrap.
        let big = |k: usize| parse_cli_axis(&format!("a.b{k}=1:100000:1")).unwrap();
        assert!(Study::new(None, (0..4).map(big).collect()).is_err());
    }

    #[test]
    fn dotted_keys_and_nested_tables_name_the_same_field() {
        let spec: SweepSpec = toml::from_str(
            r#"
            grid = { design.n_per_arm = [10, 20] }
            [[series]]
            label = "a"
            set = { selection.mode = "enrich", "selection.threshold" = 0.7 }
            "#,
        )
        .unwrap();
        let study = Study::new(Some(&spec), Vec::new()).unwrap();
        assert_eq!(study.axes[0].path, "design.n_per_arm");
        let paths: Vec<&str> = study.series[0].overrides.iter().map(|o| o.path.as_str()).collect();
        assert_eq!(paths, vec!["selection.mode", "selection.threshold"]);
    }

    #[test]
    fn cartesian_product_last_axis_fastest() {
        let axes = vec![parse_cli_axis("a.x=1,2").unwrap(), parse_cli_axis("a.y=10,20,30").unwrap()];
        let study = Study::new(None, axes).unwrap();
        assert_eq!(study.points.len(), 6);
        assert_eq!(study.points[1].grid, vec![0, 1]);
        assert_eq!(study.points[3].grid, vec![1, 0]);
        assert_eq!(study.previous_along_last_axis(3), None);
        assert_eq!(study.previous_along_last_axis(4), Some(3));
    }
}
