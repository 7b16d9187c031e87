//! The results of a sample-size search ([`crate::study::search`]) as CSV and as a readable
//! table.

use crate::report::export::{arm_sizes, fixed};
use crate::scenario::schema::display_value;
use crate::scenario::sweep::{DesignPoint, Study};
use crate::study::search::{Criterion, SearchResult, SearchSpec, not_reached, uncertain_text};

/// The columns that name a design point: `series` (when the study labels its series) and each
/// swept field.
pub(crate) fn point_header(study: &Study) -> Vec<String> {
    let labelled = study.series.iter().any(|s| !s.label.is_empty());
    let mut header: Vec<String> = Vec::new();
    if labelled {
        header.push("series".into());
    }
    header.extend(study.axes.iter().map(|a| a.path.clone()));
    header
}

/// The cells of [`point_header`] for `point`.
pub(crate) fn point_cells(study: &Study, point: &DesignPoint) -> Vec<String> {
    let mut cells: Vec<String> = Vec::new();
    if study.series.iter().any(|s| !s.label.is_empty()) {
        cells.push(study.series[point.series].label.clone());
    }
    cells.extend(study.axes.iter().zip(&point.grid).map(|(a, &i)| display_value(&a.values[i])));
    cells
}

/// CSV of the search results: one row per design point (series x grid) and comparison.
/// The last column is the SHA-256 of the scenario that produced it (see `provenance.rs`).
pub fn results_csv(study: &Study, spec: &SearchSpec, results: &[SearchResult], scenario_sha256: &str) -> String {
    let mut header = point_header(study);
    header.extend(
        [
            "solved_for",
            "target",
            "criterion",
            "reached",
            "value",
            "value_uncertain_low",
            "value_uncertain_high",
            "direction",
            "comparison",
            "n_per_arm",
            "n_active",
            "n_placebo",
            "mean_enrolled",
            "mean_screened",
            "mean_confirmatory_tests",
            "screened_per_enrolled",
            "ppv_deficient",
            "power",
            "power_ci_low",
            "power_ci_high",
            "reps",
            "evaluations",
            "reps_spent",
            "grid_reps_estimate",
            "scenario_sha256",
        ]
        .map(String::from),
    );
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(&header).expect("writing to memory");
    for (point, r) in study.points.iter().zip(results) {
        for row in &r.rows {
            let mut cells = point_cells(study, point);
            cells.extend([
                spec.path.clone(),
                fixed(spec.target),
                format!("{:?}", spec.criterion).to_lowercase(),
                r.value.is_some().to_string(),
                r.value.map(|v| spec.format_value(v)).unwrap_or_default(),
                r.uncertain.map(|(lo, _)| spec.format_value(lo)).unwrap_or_default(),
                r.uncertain.map(|(_, hi)| spec.format_value(hi)).unwrap_or_default(),
                if r.increasing { "at_least".into() } else { "at_most".into() },
                row.comparison.clone(),
                row.n_per_arm.map(|n| n.to_string()).unwrap_or_default(),
                row.n_active.to_string(),
                row.n_placebo.to_string(),
                fixed(row.mean_enrolled),
                fixed(row.mean_screened),
                row.mean_confirmatory_tests.map(fixed).unwrap_or_default(),
                fixed(row.screened_per_enrolled),
                row.ppv_deficient.map(fixed).unwrap_or_default(),
                fixed(row.power),
                fixed(row.power_ci_low),
                fixed(row.power_ci_high),
                row.reps.to_string(),
                r.evaluations.len().to_string(),
                r.reps_spent.to_string(),
                r.grid_reps_estimate.map(|g| g.to_string()).unwrap_or_default(),
                scenario_sha256.to_string(),
            ]);
            w.write_record(&cells).expect("writing to memory");
        }
    }
    String::from_utf8(w.into_inner().expect("flush to memory")).expect("UTF-8")
}

/// Readable summary of the search results.
pub fn results_table(study: &Study, spec: &SearchSpec, results: &[SearchResult]) -> String {
    let mut out = format!(
        "{} for power >= {} ({}), CI half-width {}:\n",
        spec.path,
        spec.target,
        match spec.criterion {
            Criterion::Estimate => "estimate",
            Criterion::Lower => "lower 95% limit",
        },
        spec.precision
    );
    for (point, r) in study.points.iter().zip(results) {
        let name = if study.is_single() { "design".to_string() } else { study.describe(point) };
        let uncertain = uncertain_text(spec, r);
        out += &match (r.value, not_reached(spec, r)) {
            (Some(v), _) => format!(
                "  {name}: {} {} {}{}\n",
                spec.path,
                if r.increasing { ">=" } else { "<=" },
                spec.format_value(v),
                uncertain.map_or(String::new(), |u| format!(" ({u})"))
            ),
            (None, statement) => format!(
                "  {name}: {}{}\n",
                statement.unwrap_or_default(),
                uncertain.map_or(String::new(), |u| format!("; {u}"))
            ),
        };
        for row in &r.rows {
            out += &format!(
                "    {:<16} n {:>9}  enrolled {:>7.1}  screened {:>9.1}{} ({:.2} per enrolled)  {} {:.3} (95% CI {:.3}-{:.3}, {} trials)\n",
                row.comparison,
                arm_sizes(row.n_active, row.n_placebo),
                row.mean_enrolled,
                row.mean_screened,
                row.mean_confirmatory_tests.map_or(String::new(), |c| format!(" + {c:.1} confirmatory tests")),
                row.screened_per_enrolled,
                if row.assurance.is_some() { "assurance" } else { "power" },
                row.power,
                row.power_ci_low,
                row.power_ci_high,
                row.reps
            );
        }
        out += &format!(
            "    search: {} evaluations, {} replicates{}\n",
            r.evaluations.len(),
            r.reps_spent,
            r.grid_reps_estimate
                .map_or(String::new(), |g| format!(" (a grid over every n from {} at this precision: ~{g})", spec.min))
        );
    }
    out
}
