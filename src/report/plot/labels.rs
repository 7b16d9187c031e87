//! Human names with units for CSV columns (axis titles and legend entries), and the caption
//! that states the design behind a figure.

use crate::model::biomarker::BiomarkerType;

/// A CSV column as a reader of the protocol would name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    /// The arm a per-arm field belongs to (`arms.NAME.FIELD`).
    pub arm: Option<String>,
    /// What it is, without the arm or the unit ("elemental dose").
    pub name: String,
    /// Its unit ("mg/day"), if it has one.
    pub unit: Option<&'static str>,
}

impl Field {
    /// Axis title: "name (unit)", prefixed "arm: " for a per-arm field.
    pub(crate) fn axis_title(&self) -> String {
        let arm = self.arm.as_ref().map(|a| format!("{a}: ")).unwrap_or_default();
        match self.unit {
            Some(u) => format!("{arm}{} ({u})", self.name),
            None => format!("{arm}{}", self.name),
        }
    }

    /// Legend text of one value: "name value unit" ("n per arm 40", "duration 8 weeks").
    pub(crate) fn with_value(&self, value: &str, with_arm: bool) -> String {
        let arm = match (&self.arm, with_arm) {
            (Some(a), true) => format!("{a}: "),
            _ => String::new(),
        };
        match self.unit {
            Some(u) if !u.contains("unit") && !u.contains("share") => format!("{arm}{} {value} {u}", self.name),
            _ => format!("{arm}{} {value}", self.name),
        }
    }
}

/// Fields whose full path (or result column) has its own name.
const NAMED: &[(&str, &str, Option<&str>)] = &[
    ("design.n_per_arm", "n per arm", None),
    ("n_per_arm", "n per arm", None),
    ("design.duration_weeks", "duration", Some("weeks")),
    ("design.reps", "trials per point", None),
    ("selection.threshold", "selection threshold", Some("biomarker unit")),
    ("selection.confirm_threshold", "confirmatory threshold", Some("biomarker unit")),
    ("selection.min_enrolment_probability", "least enrolment probability", None),
    ("biomarker.repeats", "biomarker measurements averaged", None),
    ("population.deficiency_prevalence", "prevalence of deficiency", Some("share")),
    ("response.delta", "effect", Some("outcome units")),
    ("response.max_effect", "largest effect", Some("outcome units")),
    ("response.effect_replete", "effect when replete", Some("outcome units")),
    ("response.tau_weeks", "repletion time constant", Some("weeks")),
    ("response.a50_mg_per_day", "dose of half-maximal absorption", Some("mg/day")),
    ("response.ref_deficit_mmol_per_l", "reference deficit", Some("mmol/L")),
    ("outcome.change_sd", "SD of change", Some("outcome units")),
    ("outcome.placebo_response", "placebo response", Some("outcome units")),
    ("outcome.natural_change", "natural change", Some("outcome units")),
    ("outcome.reliability", "reliability", None),
    ("outcome.assessments", "assessments averaged", None),
    ("dropout.placebo", "dropout, placebo", Some("share")),
    ("dropout.active", "dropout, active", Some("share")),
    ("analysis.alpha", "alpha", None),
    ("power", "power", None),
    ("power_ci_low", "power, lower 95% limit", None),
    ("power_ci_high", "power, upper 95% limit", None),
    ("screened_per_enrolled", "screened per enrolled", None),
    ("mean_screened", "screened (mean per trial)", None),
    ("mean_enrolled", "enrolled (mean per trial)", None),
    ("mean_confirmatory_tests", "confirmatory tests (mean per trial)", None),
    ("ppv_deficient", "share of enrolled truly deficient", None),
    ("ppv_vitamin_d_deficient", "share of enrolled low in vitamin D", None),
    ("vitamin_d.deficiency_prevalence", "vitamin D deficiency prevalence", Some("share")),
    ("vitamin_d.correlation_with_mg", "correlation of vitamin D with Mg status", None),
    ("vitamin_d.benefit_multiplier_if_deficient", "Mg benefit multiplier if low in vitamin D", None),
    ("selection_sensitivity", "selection sensitivity", None),
    ("dropout_rate", "dropout rate", None),
    ("mean_estimate", "mean estimated effect", Some("outcome units")),
    ("sd_estimate", "SD of estimated effect", Some("outcome units")),
    ("true_effect", "true effect", Some("outcome units")),
    ("bias", "bias", Some("outcome units")),
    ("ci_coverage", "CI coverage", None),
];

/// Fields of an arm (`arms.NAME.FIELD`).
const ARM_FIELDS: &[(&str, &str, Option<&str>)] = &[
    ("dose_mg_per_day", "elemental dose", Some("mg/day")),
    ("formulation", "formulation", None),
    ("bioavailability", "fractional absorption", None),
    ("adherence_mean", "mean adherence", Some("share of doses")),
    ("adherence_concentration", "adherence concentration", None),
    ("allocation", "allocation ratio", None),
    ("dropout", "dropout", Some("share")),
];

/// Unit suffixes of field names.
const SUFFIXES: &[(&str, &str)] = &[("_mg_per_day", "mg/day"), ("_mmol_per_l", "mmol/L"), ("_weeks", "weeks")];

/// The human name of a column: a known field, an arm's field, or the last path segment with
/// its unit suffix turned into a unit.
pub fn field(column: &str) -> Field {
    if let Some(&(_, name, unit)) = NAMED.iter().find(|(c, _, _)| *c == column) {
        return Field { arm: None, name: name.into(), unit };
    }
    let mut parts = column.splitn(3, '.');
    if let (Some("arms"), Some(arm), Some(rest)) = (parts.next(), parts.next(), parts.next())
        && let Some(&(_, name, unit)) = ARM_FIELDS.iter().find(|(f, _, _)| *f == rest)
    {
        return Field { arm: Some(arm.into()), name: name.into(), unit };
    }
    let last = column.rsplit('.').next().unwrap_or(column);
    for &(suffix, unit) in SUFFIXES {
        if let Some(stem) = last.strip_suffix(suffix) {
            return Field { arm: None, name: stem.replace('_', " "), unit: Some(unit) };
        }
    }
    Field { arm: None, name: last.replace('_', " "), unit: None }
}

/// Axis title of a CSV column, with its unit (e.g. "n per arm", "duration (weeks)",
/// "mgo_500: elemental dose (mg/day)").
pub(crate) fn axis_title(column: &str) -> String {
    field(column).axis_title()
}

/// A number as written in a caption: at most 6 significant decimals, no trailing zeros.
pub(crate) fn short_number(text: &str) -> String {
    match text.parse::<f64>() {
        Ok(v) if v.is_finite() => {
            let s = format!("{v:.6}");
            let s = s.trim_end_matches('0').trim_end_matches('.');
            if s == "-0" { "0".into() } else { s.into() }
        }
        _ => text.to_string(),
    }
}

/// Display name of an `analysis` code (`negbin_wald` -> "NB rate ratio (Wald)"); an unknown
/// code as written, with spaces for underscores.
pub(crate) fn analysis_name(code: &str) -> String {
    let name = match code {
        "ancova" => "ANCOVA",
        "welch" => "Welch t-test",
        "negbin_wald" => "NB rate ratio (Wald)",
        "negbin_lr" => "NB rate ratio (likelihood ratio)",
        "poisson" => "Poisson rate ratio",
        "quasi_poisson" => "quasi-Poisson rate ratio",
        "wilcoxon" => "Wilcoxon-Mann-Whitney",
        "chi_square" => "responders (chi-square)",
        "chi_square_yates" => "responders (chi-square, Yates)",
        "fisher" => "responders (Fisher's exact)",
        other => return other.replace('_', " "),
    };
    name.into()
}

/// Display name of a `subgroup` code (`low_stratum` -> "low-Mg stratum").
pub(crate) fn subgroup_name(code: &str) -> String {
    let name = match code {
        "all" => "all enrolled",
        "low_stratum" => "low-Mg stratum",
        "other_stratum" => "other stratum",
        "interaction" => "treatment × stratum interaction",
        other => return other.replace('_', " "),
    };
    name.into()
}

/// Display name and unit of an `assay` (`biomarker.type`) code, as series labels write them
/// ("red cell", "mmol/L"); `None` for an unknown code.
pub(crate) fn assay_name(code: &str) -> Option<(&'static str, &'static str)> {
    let kind = assay_kind(code)?;
    let name = match kind {
        BiomarkerType::SerumTotal => "serum",
        BiomarkerType::Ionized => "ionized",
        BiomarkerType::RedCell => "red cell",
        BiomarkerType::LoadingTest => "loading test",
    };
    Some((name, kind.unit()))
}

/// The assay of an `assay` (`biomarker.type`) code.
pub(crate) fn assay_kind(code: &str) -> Option<BiomarkerType> {
    Some(match code {
        "serum_total" => BiomarkerType::SerumTotal,
        "ionized" => BiomarkerType::Ionized,
        "red_cell" => BiomarkerType::RedCell,
        "loading_test" => BiomarkerType::LoadingTest,
        _ => return None,
    })
}

/// Legend text of a selection threshold on an assay: "red cell < 1.99 mmol/L".
pub(crate) fn threshold_label(assay: &str, value: &str) -> Option<String> {
    assay_name(assay).map(|(name, unit)| format!("{name} < {} {unit}", short_number(value)))
}

/// The distinct values of a column in order of first appearance.
fn distinct(values: &[String]) -> Vec<&str> {
    let mut out: Vec<&str> = Vec::new();
    for v in values {
        if !out.contains(&v.as_str()) {
            out.push(v);
        }
    }
    out
}

/// Columns of the CSV that the caption reads (each empty when the CSV lacks the column).
#[derive(Debug, Default, Clone)]
pub struct DesignColumns {
    pub analysis: Vec<String>,
    pub sided: Vec<String>,
    pub alpha: Vec<String>,
    pub reps: Vec<String>,
    pub seed: Vec<String>,
    pub n_per_arm: Vec<String>,
    /// Columns of the assumed effect and dropout.
    pub subgroup: Vec<String>,
    pub true_effect: Vec<String>,
    pub estimate_unit: Vec<String>,
    pub true_rate_ratio: Vec<String>,
    pub dropout_rate: Vec<String>,
    pub max_effect: Vec<String>,
}

/// `v` to 4 significant digits, without trailing zeros (17.983342 -> "17.98").
pub fn significant(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return short_number(&v.to_string());
    }
    let decimals = (3 - v.abs().log10().floor() as i32).clamp(0, 6) as usize;
    short_number(&format!("{v:.decimals$}"))
}

/// "5.25" when all are equal, "1.566-7.931" when they differ; cells that are empty or not
/// numbers are skipped.
fn number_range(values: &[&str], show: impl Fn(f64) -> String) -> Option<String> {
    let nums: Vec<f64> = values.iter().filter_map(|v| v.parse::<f64>().ok()).filter(|v| v.is_finite()).collect();
    let lo = nums.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = nums.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    match (nums.is_empty(), show(lo), show(hi)) {
        (true, ..) => None,
        (false, a, b) if a == b => Some(a),
        (false, a, b) => Some(format!("{a}-{b}")),
    }
}

/// The assumed effect: "max_effect 17.98, calibrated to 5.25 BDI-II points in observed change
/// (between arms); true effect among the enrolled 1.566-7.931 BDI-II points", where
/// `calibration` says how `max_effect` was solved, if it was. The true effect is the first
/// analysis's, over everyone enrolled (subgroup `all`); a CSV without these columns gives less,
/// or nothing.
fn effect_text(cols: &DesignColumns, calibration: Option<&str>) -> Option<String> {
    fn cell(c: &[String], i: usize) -> &str {
        c.get(i).map(String::as_str).unwrap_or("")
    }
    let primary = cols.analysis.first().map(String::as_str).unwrap_or("");
    let rows: Vec<usize> = (0..cols.true_effect.len())
        .filter(|&i| cell(&cols.analysis, i) == primary && matches!(cell(&cols.subgroup, i), "all" | ""))
        .collect();
    let unit_of = |units: Vec<&str>| match distinct_str(&units)[..] {
        [u] if !u.is_empty() => format!(" {u}"),
        _ => String::new(),
    };
    let effect_rows: Vec<usize> = rows.iter().copied().filter(|&i| !cell(&cols.true_effect, i).is_empty()).collect();
    let true_effect =
        number_range(&effect_rows.iter().map(|&i| cell(&cols.true_effect, i)).collect::<Vec<_>>(), significant).map(
            |r| {
                let unit = unit_of(effect_rows.iter().map(|&i| cell(&cols.estimate_unit, i)).collect());
                format!("true effect among the enrolled {r}{unit}")
            },
        );
    // max_effect is in the outcome's unit: the estimates' of a Welch or ANCOVA row, or -ln
    // rate ratio for counts.
    let scale_unit = if cols.true_rate_ratio.iter().any(|v| !v.is_empty()) {
        " -ln rate ratio".to_string()
    } else {
        let scale_rows =
            (0..cols.estimate_unit.len()).filter(|&i| matches!(cell(&cols.analysis, i), "ancova" | "welch"));
        unit_of(scale_rows.map(|i| cell(&cols.estimate_unit, i)).collect())
    };
    let max_effect = number_range(&cols.max_effect.iter().map(String::as_str).collect::<Vec<_>>(), significant);
    let assumed = match (max_effect, calibration) {
        (Some(m), Some(c)) => Some(format!("max_effect {m}, {c}")),
        (Some(m), None) => Some(format!("max_effect {m}{scale_unit}")),
        (None, _) => None,
    };
    let parts: Vec<String> = [assumed, true_effect].into_iter().flatten().collect();
    (!parts.is_empty()).then(|| parts.join("; "))
}

/// "dropout 11%", or a range over the points.
fn dropout_text(cols: &DesignColumns) -> Option<String> {
    let values: Vec<&str> = cols.dropout_rate.iter().map(String::as_str).collect();
    let percent = |v: f64| {
        let p = 100.0 * v;
        let decimals = if p == 0.0 || p >= 10.0 { 0 } else { 1 };
        short_number(&format!("{p:.decimals$}"))
    };
    number_range(&values, percent).map(|r| format!("dropout {r}%"))
}

/// The distinct values of `values` in order of first appearance.
fn distinct_str<'a>(values: &[&'a str]) -> Vec<&'a str> {
    let mut out: Vec<&str> = Vec::new();
    for v in values {
        if !out.contains(v) {
            out.push(v);
        }
    }
    out
}

/// The caption stating the design, the assumed effect (`calibration`: how `max_effect` was
/// solved, if it was) and the dropout, e.g. "ANCOVA, two-sided
/// alpha 0.05, 2000 trials per point, seed 2017; max_effect 17.98, calibrated to 5.25 BDI-II
/// points in observed change (between arms); true effect among the enrolled 6.006 BDI-II points;
/// dropout 11%; shaded: 95% Wilson CI". Values that differ between rows are given as a range
/// (numbers) or a list.
pub fn caption(
    cols: &DesignColumns,
    x_column: &str,
    band: bool,
    screened_note: Option<&str>,
    calibration: Option<&str>,
) -> String {
    let mut parts: Vec<String> = Vec::new();
    let analysis: Vec<String> = distinct(&cols.analysis).into_iter().map(analysis_name).collect();
    if !analysis.is_empty() {
        parts.push(analysis.join(" / "));
    }
    let sided: Vec<String> = distinct(&cols.sided).into_iter().map(|s| format!("{s}-sided")).collect();
    let alpha: Vec<String> = distinct(&cols.alpha).into_iter().map(short_number).collect();
    match (sided.is_empty(), alpha.is_empty()) {
        (false, false) => parts.push(format!("{} alpha {}", sided.join(" / "), alpha.join(" / "))),
        (false, true) => parts.push(sided.join(" / ")),
        (true, false) => parts.push(format!("alpha {}", alpha.join(" / "))),
        (true, true) => {}
    }
    // Empty with per-arm sizes (arms.<name>.n): then the caption has no "per arm".
    let sizes: Vec<String> = cols.n_per_arm.iter().filter(|v| !v.is_empty()).cloned().collect();
    if x_column != "design.n_per_arm"
        && x_column != "n_per_arm"
        && let Some(n) = range_text(&sizes)
    {
        parts.push(format!("{n} per arm"));
    }
    if let Some(r) = range_text(&cols.reps) {
        parts.push(format!("{r} trials per point"));
    }
    let seeds = distinct(&cols.seed);
    match seeds.len() {
        0 => {}
        1 => parts.push(format!("seed {}", seeds[0])),
        _ => parts.push(format!("seeds {}", seeds.join(", "))),
    }
    let mut text = parts.join(", ");
    let mut notes: Vec<String> = [effect_text(cols, calibration), dropout_text(cols)].into_iter().flatten().collect();
    if band {
        notes.push("shaded: 95% Wilson CI".into());
    }
    if let Some(n) = screened_note {
        notes.push(n.to_string());
    }
    for n in notes {
        if text.is_empty() {
            text = n;
        } else {
            text = format!("{text}; {n}");
        }
    }
    text
}

/// "2000" when all values are equal, "1000-5000" when they are numbers that differ, or a list.
fn range_text(values: &[String]) -> Option<String> {
    let d = distinct(values);
    match d.len() {
        0 => None,
        1 => Some(short_number(d[0])),
        _ => {
            let nums: Option<Vec<f64>> = d.iter().map(|v| v.parse::<f64>().ok()).collect();
            match nums {
                Some(n) => {
                    let lo = n.iter().copied().fold(f64::INFINITY, f64::min);
                    let hi = n.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                    Some(format!("{}-{}", short_number(&lo.to_string()), short_number(&hi.to_string())))
                }
                None => Some(d.join(", ")),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_get_human_names_with_units() {
        assert_eq!(axis_title("design.n_per_arm"), "n per arm");
        assert_eq!(axis_title("arms.mgo_500.dose_mg_per_day"), "mgo_500: elemental dose (mg/day)");
        assert_eq!(axis_title("design.duration_weeks"), "duration (weeks)");
        assert_eq!(axis_title("selection.threshold"), "selection threshold (biomarker unit)");
        assert_eq!(axis_title("power"), "power");
        assert_eq!(axis_title("screened_per_enrolled"), "screened per enrolled");
        assert_eq!(axis_title("population.replete_mean_mmol_per_l"), "replete mean (mmol/L)");
        assert_eq!(axis_title("x"), "x");
        assert_eq!(field("design.n_per_arm").with_value("40", false), "n per arm 40");
        assert_eq!(field("arms.mg.formulation").with_value("oxide", false), "formulation oxide");
        assert_eq!(field("design.duration_weeks").with_value("8", false), "duration 8 weeks");
    }

    #[test]
    fn the_caption_states_the_design_and_ranges_of_replicates() {
        let v = |xs: &[&str]| xs.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let cols = DesignColumns {
            analysis: v(&["ancova", "ancova"]),
            sided: v(&["two", "two"]),
            alpha: v(&["0.050000", "0.050000"]),
            reps: v(&["2000", "2000"]),
            seed: v(&["2017", "2017"]),
            n_per_arm: v(&["10", "20"]),
            ..DesignColumns::default()
        };
        assert_eq!(
            caption(&cols, "design.n_per_arm", true, None, None),
            "ANCOVA, two-sided alpha 0.05, 2000 trials per point, seed 2017; shaded: 95% Wilson CI"
        );
        let cols = DesignColumns { reps: v(&["1000", "5000", "3000"]), n_per_arm: v(&["40", "40"]), ..cols };
        assert_eq!(
            caption(&cols, "design.duration_weeks", false, None, None),
            "ANCOVA, two-sided alpha 0.05, 40 per arm, 1000-5000 trials per point, seed 2017"
        );
        assert_eq!(caption(&DesignColumns::default(), "x", false, None, None), "");
    }

    #[test]
    fn the_caption_states_the_assumed_effect_and_the_dropout() {
        let v = |xs: &[&str]| xs.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let cols = DesignColumns {
            analysis: v(&["ancova", "ancova", "ancova"]),
            subgroup: v(&["all", "interaction", "all"]),
            true_effect: v(&["1.565832", "5.3", "6.005893"]),
            estimate_unit: v(&["BDI-II points"; 3]),
            dropout_rate: v(&["0.110200", "0.110200", "0.108"]),
            max_effect: v(&["17.983342"; 3]),
            true_rate_ratio: v(&["", "", ""]),
            ..DesignColumns::default()
        };
        let calibrated = "calibrated to 5.25 BDI-II points in observed change (between arms)";
        assert_eq!(
            caption(&cols, "x", false, None, Some(calibrated)),
            "ANCOVA; max_effect 17.98, calibrated to 5.25 BDI-II points in observed change (between arms); true \
             effect among the enrolled 1.566-6.006 BDI-II points; dropout 11%"
        );
        // Without a calibration, max_effect with its unit; under `fixed`, the true effect alone.
        assert!(caption(&cols, "x", false, None, None).contains("; max_effect 17.98 BDI-II points; true effect"));
        let fixed = DesignColumns { max_effect: v(&["", "", ""]), dropout_rate: v(&["0.05"; 3]), ..cols };
        assert!(
            caption(&fixed, "x", false, None, None)
                .ends_with("; true effect among the enrolled 1.566-6.006 BDI-II points; dropout 5%")
        );
        assert_eq!(analysis_name("negbin_wald"), "NB rate ratio (Wald)");
        assert_eq!(subgroup_name("low_stratum"), "low-Mg stratum");
        assert_eq!(threshold_label("red_cell", "1.99").as_deref(), Some("red cell < 1.99 mmol/L"));
    }
}
