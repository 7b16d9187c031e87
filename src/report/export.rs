//! Output: the CSV of result rows and the on-screen table (files are written by [`crate::output`]).

use crate::engine::summary::ComparisonSummary;
use crate::scenario::schema::display_value;
use crate::scenario::sweep::Study;
use crate::study::PointOutcome;

/// CSV header, in column order.
pub const COLUMNS: [&str; 39] = [
    "scenario",
    "comparison",
    "analysis",
    "subgroup",
    "sided",
    "alpha",
    "n_per_arm",
    "n_active",
    "n_placebo",
    "reps",
    "seed",
    "power",
    "power_ci_low",
    "power_ci_high",
    "mean_estimate",
    "sd_estimate",
    "true_effect",
    "bias",
    "ci_coverage",
    "mean_screened",
    "mean_confirmatory_tests",
    "mean_enrolled",
    "screened_per_enrolled",
    "ppv_deficient",
    "selection_sensitivity",
    "dropout_rate",
    "normal_at_end_placebo",
    "normal_at_end_active",
    "reps_not_analysable",
    "power_mc_se",
    "estimate_unit",
    "share_not_converged",
    "rate_ratio",
    "true_rate_ratio",
    "mean_ci_low",
    "mean_ci_high",
    "responders_active",
    "responders_placebo",
    "risk_ratio",
];

/// Columns after `scenario_sha256`, added later, so that the columns before keep their
/// places: the assumed effect and the screening assay (see [`ComparisonSummary`]).
pub(crate) const LATER_COLUMNS: [&str; 4] =
    ["max_effect", "assay", "stratum_enrolled_active", "stratum_enrolled_placebo"];

/// Columns last of all, only in the CSV of a trial with several comparisons with placebo: the
/// multiplicity procedure, and a comparison's power before it (`power` is after it).
pub(crate) const MULTIPLICITY_COLUMNS: [&str; 2] = ["multiplicity", "power_unadjusted"];

/// Columns after those, only in the CSV of a trial that lists its comparisons: the arm each
/// row compares with, the hypothesis, and the margin (see [`ComparisonSummary::reference`]).
pub(crate) const COMPARISON_COLUMNS: [&str; 3] = ["reference", "hypothesis", "margin"];

/// Columns after those, only in the CSV of a crossover: `crossover`, or `parallel` for the row
/// of the parallel design with the same number of people (see [`ComparisonSummary::layout`]).
pub(crate) const LAYOUT_COLUMNS: [&str; 1] = ["layout"];

/// Columns after those, only in the CSV of a design with side effects, informative dropout or
/// the baseline carried forward (see [`ComparisonSummary::missing_data`]).
pub(crate) const MISSING_DATA_COLUMNS: [&str; 5] =
    ["missing_data", "dropout_mechanism", "dropout_active", "dropout_reference", "side_effects_active"];

/// Columns after those, only in the CSV of a design with a combination product (an arm with an
/// effect independent of Mg; see [`ComparisonSummary::true_effect_independent`]).
pub(crate) const COMBINATION_COLUMNS: [&str; 1] = ["true_effect_independent"];

/// A column after those, only in the CSV of a design with a vitamin D co-deficiency (see
/// [`ComparisonSummary::ppv_vitamin_d_deficient`]).
pub(crate) const VITAMIN_D_COLUMNS: [&str; 1] = ["ppv_vitamin_d_deficient"];

/// Columns after those, only in the CSV of a design with `[costs]` (see
/// [`ComparisonSummary::expected_cost`]).
pub(crate) const COST_COLUMNS: [&str; 2] = ["expected_cost", "expected_cost_mc_se"];

/// Columns after those, only in the CSV of a design with `[uncertainty]` (see
/// [`crate::engine::summary::AssuranceSummary`]): `power` is then assurance.
pub(crate) const ASSURANCE_COLUMNS: [&str; 8] = [
    "draws",
    "trials_per_draw",
    "power_across_prior_q10",
    "power_across_prior_q50",
    "power_across_prior_q90",
    "power_sd_across_prior",
    "most_influential_prior",
    "most_influential_spread",
];

/// The row's cells of [`ASSURANCE_COLUMNS`].
fn assurance_record(r: &ComparisonSummary) -> Vec<String> {
    let Some(a) = &r.assurance else { return vec![String::new(); ASSURANCE_COLUMNS.len()] };
    let top = a.sensitivity.first();
    vec![
        a.draws.to_string(),
        a.trials_per_draw.to_string(),
        fixed(a.power_quantiles[0]),
        fixed(a.power_quantiles[1]),
        fixed(a.power_quantiles[2]),
        fixed(a.power_sd_across_prior),
        top.map(|s| s.field.clone()).unwrap_or_default(),
        top.map(|s| fixed(s.spread)).unwrap_or_default(),
    ]
}

/// The row's cells of [`LATER_COLUMNS`].
fn later_record(r: &ComparisonSummary) -> Vec<String> {
    let (active, placebo) = r.stratum_enrolled.unzip();
    vec![optional(r.max_effect), r.assay.clone(), optional(active), optional(placebo)]
}

/// Six decimals, and never "-0.000000". A non-finite value (which validation is there to
/// prevent) is written as an empty cell, never as NaN or inf.
pub fn fixed(v: f64) -> String {
    if !v.is_finite() {
        return String::new();
    }
    let s = format!("{v:.6}");
    if s.trim_start_matches('-').chars().all(|c| c == '0' || c == '.') {
        s.trim_start_matches('-').to_string()
    } else {
        s
    }
}

/// Smallest p-value the terminal shows as a number; below it, "p < 0.001".
pub(crate) const P_DISPLAY_FLOOR: f64 = 0.001;

/// A p-value for the terminal: "p 0.034", or "p < 0.001" below [`P_DISPLAY_FLOOR`] (never
/// "p 0.000", which reads as impossible). CSV cells keep the full number ([`fixed`]).
pub(crate) fn format_p(p: f64) -> String {
    if p < P_DISPLAY_FLOOR { "p < 0.001".to_string() } else { format!("p {p:.3}") }
}

fn optional(v: Option<f64>) -> String {
    v.map(fixed).unwrap_or_default()
}

/// The row's cells, in [`COLUMNS`] order.
pub fn record(r: &ComparisonSummary) -> Vec<String> {
    vec![
        r.scenario.clone(),
        r.comparison.clone(),
        r.analysis.clone(),
        r.subgroup.clone(),
        r.sided.clone(),
        fixed(r.alpha),
        r.n_per_arm.map(|n| n.to_string()).unwrap_or_default(),
        r.n_active.to_string(),
        r.n_placebo.to_string(),
        r.reps.to_string(),
        r.seed.to_string(),
        fixed(r.power),
        fixed(r.power_ci_low),
        fixed(r.power_ci_high),
        optional(r.mean_estimate),
        optional(r.sd_estimate),
        optional(r.true_effect),
        optional(r.bias),
        optional(r.ci_coverage),
        fixed(r.mean_screened),
        optional(r.mean_confirmatory_tests),
        fixed(r.mean_enrolled),
        fixed(r.screened_per_enrolled),
        optional(r.ppv_deficient),
        optional(r.selection_sensitivity),
        fixed(r.dropout_rate),
        optional(r.normal_at_end_placebo),
        optional(r.normal_at_end_active),
        r.reps_not_analysable.to_string(),
        fixed(r.power_mc_se),
        r.estimate_unit.clone(),
        optional(r.share_not_converged),
        optional(r.rate_ratio),
        optional(r.true_rate_ratio),
        optional(r.mean_ci_low),
        optional(r.mean_ci_high),
        optional(r.responders_active),
        optional(r.responders_placebo),
        optional(r.risk_ratio),
    ]
}

/// CSV text of a study: per design point and comparison, the series label (if the study has
/// series), one column per swept field (named by its path), the core columns, along a swept
/// axis the paired comparison with the previous point, the SHA-256 of the scenario that
/// produced it (see `provenance.rs`), and last [`LATER_COLUMNS`].
pub fn study_csv(study: &Study, outcomes: &[PointOutcome], scenario_sha256: &str) -> String {
    let labelled = !study.is_single() && study.series.iter().any(|s| !s.label.is_empty());
    let mut header: Vec<String> = Vec::new();
    if labelled {
        header.push("series".into());
    }
    header.extend(study.axes.iter().map(|a| a.path.clone()));
    header.extend(COLUMNS.iter().map(|c| c.to_string()));
    if !study.axes.is_empty() {
        header.extend(["power_change_vs_previous".to_string(), "paired_p_vs_previous".to_string()]);
    }
    header.push("scenario_sha256".into());
    header.extend(LATER_COLUMNS.iter().map(|c| c.to_string()));
    // Several comparisons with placebo: their procedure and each comparison's power before it.
    let multiplicity = outcomes.iter().flat_map(|o| &o.rows).any(|r| r.multiplicity.is_some());
    if multiplicity {
        header.extend(MULTIPLICITY_COLUMNS.iter().map(|c| c.to_string()));
    }
    let listed = outcomes.iter().flat_map(|o| &o.rows).any(|r| r.hypothesis.is_some());
    if listed {
        header.extend(COMPARISON_COLUMNS.iter().map(|c| c.to_string()));
    }
    let crossover = outcomes.iter().flat_map(|o| &o.rows).any(|r| r.layout.is_some());
    if crossover {
        header.extend(LAYOUT_COLUMNS.iter().map(|c| c.to_string()));
    }
    let missing = outcomes.iter().flat_map(|o| &o.rows).any(|r| r.missing_data.is_some());
    if missing {
        header.extend(MISSING_DATA_COLUMNS.iter().map(|c| c.to_string()));
    }
    let combination = outcomes.iter().flat_map(|o| &o.rows).any(|r| r.true_effect_independent.is_some());
    if combination {
        header.extend(COMBINATION_COLUMNS.iter().map(|c| c.to_string()));
    }
    let vitamin_d = outcomes.iter().flat_map(|o| &o.rows).any(|r| r.ppv_vitamin_d_deficient.is_some());
    if vitamin_d {
        header.extend(VITAMIN_D_COLUMNS.iter().map(|c| c.to_string()));
    }
    let costs = outcomes.iter().flat_map(|o| &o.rows).any(|r| r.expected_cost.is_some());
    if costs {
        header.extend(COST_COLUMNS.iter().map(|c| c.to_string()));
    }
    let assurance = outcomes.iter().flat_map(|o| &o.rows).any(|r| r.assurance.is_some());
    if assurance {
        header.extend(ASSURANCE_COLUMNS.iter().map(|c| c.to_string()));
    }
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(&header).expect("writing to memory");
    for (point, outcome) in study.points.iter().zip(outcomes) {
        for (row, paired) in outcome.rows.iter().zip(&outcome.vs_previous) {
            let mut cells: Vec<String> = Vec::with_capacity(header.len());
            if labelled {
                cells.push(study.series[point.series].label.clone());
            }
            cells.extend(study.axes.iter().zip(&point.grid).map(|(a, &i)| display_value(&a.values[i])));
            cells.extend(record(row));
            if !study.axes.is_empty() {
                cells.push(paired.map(|p| fixed(p.power_change)).unwrap_or_default());
                cells.push(paired.map(|p| fixed(p.p_value)).unwrap_or_default());
            }
            cells.push(scenario_sha256.to_string());
            cells.extend(later_record(row));
            if multiplicity {
                cells.push(row.multiplicity.clone().unwrap_or_default());
                cells.push(optional(row.power_unadjusted));
            }
            if listed {
                cells.push(row.reference.clone().unwrap_or_default());
                cells.push(row.hypothesis.clone().unwrap_or_default());
                cells.push(optional(row.margin));
            }
            if crossover {
                cells.push(row.layout.clone().unwrap_or_default());
            }
            if missing {
                let m = row.missing_data.as_ref();
                cells.push(m.map(|m| m.analysis.clone()).unwrap_or_default());
                cells.push(m.map(|m| m.mechanism.clone()).unwrap_or_default());
                cells.push(optional(m.and_then(|m| m.dropout_active)));
                cells.push(optional(m.map(|m| m.dropout_reference)));
                cells.push(optional(m.and_then(|m| m.side_effects_active)));
            }
            if combination {
                cells.push(optional(row.true_effect_independent));
            }
            if vitamin_d {
                cells.push(optional(row.ppv_vitamin_d_deficient));
            }
            if costs {
                cells.push(optional(row.expected_cost));
                cells.push(optional(row.expected_cost_mc_se));
            }
            if assurance {
                cells.extend(assurance_record(row));
            }
            w.write_record(&cells).expect("writing to memory");
        }
    }
    String::from_utf8(w.into_inner().expect("flush to memory")).expect("UTF-8")
}

/// The sizes of the active and placebo arms: `60 + 60`, or `129 + 114` under an allocation
/// ratio.
pub(crate) fn arm_sizes(n_active: u32, n_placebo: u32) -> String {
    format!("{n_active} + {n_placebo}")
}

/// The lines above every table: the effect the study assumes (stated, or calibrated on a
/// published design, and which) and any assumption beyond the literature. A sweep that
/// re-solves its calibration lists each distinct one.
pub fn effect_header(plans: &[crate::engine::plan::Plan]) -> String {
    let mut lines: Vec<String> = Vec::new();
    for plan in plans {
        let line = effect_line(plan);
        if !lines.contains(&line) {
            lines.push(line);
        }
        if let Some(u) = &plan.scenario.uncertainty {
            let priors: Vec<String> =
                u.prior.iter().map(|p| format!("{} ({})", p.field, p.distribution.label())).collect();
            let line = format!(
                "uncertainty: priors on {}; power is assurance, the share of trials that succeed over draws of \
                 these values ({} trials per draw)",
                priors.join(", "),
                u.trials_per_draw
            );
            if !lines.contains(&line) {
                lines.push(line);
            }
        }
        if let Some(a) = plan.scenario.assumptions.describe()
            && !lines.contains(&a)
        {
            lines.push(a);
        }
    }
    lines.iter().map(|l| format!("{l}\n")).collect()
}

/// The assumed effect of one design point, in words.
pub(crate) fn effect_line(plan: &crate::engine::plan::Plan) -> String {
    use crate::scenario::schema::ResponseModel;
    let r = &plan.response;
    let counts = plan.count.is_some();
    let unit = &plan.scale.unit;
    let stated = if counts {
        format!("max_rate_ratio {:.4} per {} mmol/L repleted", (-r.max_effect).exp(), r.ref_deficit_mmol_per_l)
    } else {
        format!("max_effect {:.4} {unit} per {} mmol/L repleted", r.max_effect, r.ref_deficit_mmol_per_l)
    };
    match (plan.scenario.response.model, &plan.calibration) {
        (ResponseModel::Fixed, _) if counts => {
            format!("effect: fixed, rate ratio {:.4} for every treated participant", (-r.delta).exp())
        }
        (ResponseModel::Fixed, _) => format!("effect: fixed, {} {unit} for every treated participant", r.delta),
        (ResponseModel::Repletion, Some(c)) if !c.counts && c.unit != plan.scale.unit => format!(
            "{}; solved max_effect {:.4} {}, transferred at equal standardized effect (baseline SD {} to {}): {stated}",
            c.headline(),
            c.max_effect,
            c.unit,
            c.baseline_sd,
            plan.scale.baseline_sd
        ),
        (ResponseModel::Repletion, Some(c)) => format!("{}; solved {stated}", c.headline()),
        (ResponseModel::Repletion, None) => format!("effect: stated, {stated}"),
        (ResponseModel::Acute, _) if r.acute_effect_low_mg != r.acute_effect => format!(
            "effect: acute, {} {unit}, or {} {unit} if true Mg is below {} mmol/L",
            r.acute_effect, r.acute_effect_low_mg, plan.scenario.population.deficiency_cutoff_mmol_per_l
        ),
        (ResponseModel::Acute, _) => format!("effect: acute, {} {unit} for every treated participant", r.acute_effect),
    }
}

/// A compact table of a study: one line per design point and comparison.
pub fn study_table(study: &Study, outcomes: &[PointOutcome]) -> String {
    if study.is_single() {
        return outcomes.iter().map(|o| table(&o.rows)).collect();
    }
    let mut out = String::new();
    let first = outcomes.first().and_then(|o| o.rows.first());
    let rows = || outcomes.iter().flat_map(|o| &o.rows);
    // The arm sizes go in the heading when every point shares them, else in a column.
    let shared = first.filter(|r| rows().all(|x| (x.n_active, x.n_placebo) == (r.n_active, r.n_placebo)));
    if let Some(r) = first {
        let sizes = shared.map_or(String::new(), |r| format!(" | n {}", arm_sizes(r.n_active, r.n_placebo)));
        out += &format!(
            "{} | {} ({}-sided, alpha {}){sizes} | seed {}\n",
            r.scenario, r.analysis, r.sided, r.alpha, r.seed
        );
    }
    let width = study.points.iter().map(|p| study.describe(p).chars().count()).max().unwrap_or(5).max(5);
    // With several analyses or strata, each row is named by them too.
    let plain = first.is_some_and(|f| rows().all(|x| x.analysis == f.analysis && x.subgroup == "all"));
    let name = |r: &ComparisonSummary| {
        if plain {
            r.comparison.clone()
        } else if r.subgroup == "all" {
            format!("{} {}", r.comparison, r.analysis)
        } else {
            // A stratum's row names the stratum's own mean size.
            let sizes = r.stratum_enrolled.map_or(String::new(), |(a, p)| format!(" (n {a:.1} + {p:.1})"));
            format!("{} {} {}{sizes}", r.comparison, r.analysis, r.subgroup)
        }
    };
    let name_width = rows().map(|r| name(r).chars().count()).max().unwrap_or(16).max(16);
    let size_width = rows().map(|r| arm_sizes(r.n_active, r.n_placebo).len()).max().unwrap_or(1).max(15);
    let size_cell = |r: &ComparisonSummary| match shared {
        Some(_) => String::new(),
        None => format!("{:>size_width$}  ", arm_sizes(r.n_active, r.n_placebo)),
    };
    out += &format!(
        "{:<width$}  {:<name_width$} {}{:>6}  {:<12} {:>7}  {:>19}  {:>6}  vs previous (paired p)\n",
        "point",
        "comparison",
        if shared.is_some() { String::new() } else { format!("{:>size_width$}  ", "n active+placebo") },
        "power",
        "95% CI",
        "reps",
        "screened/enrolled",
        "PPV"
    );
    for (point, outcome) in study.points.iter().zip(outcomes) {
        for (r, paired) in outcome.rows.iter().zip(&outcome.vs_previous) {
            out += &format!(
                "{:<width$}  {:<name_width$} {}{:>6.3}  {:.3}-{:.3}  {:>7}  {:>9.1}/{:<9.1}  {:>6}  {}\n",
                study.describe(point),
                name(r),
                size_cell(r),
                r.power,
                r.power_ci_low,
                r.power_ci_high,
                r.reps,
                r.mean_screened,
                r.mean_enrolled,
                r.ppv_deficient.map_or("-".to_string(), |v| format!("{v:.3}")),
                paired.map_or(String::new(), |p| format!(
                    "{:+.3} ({}){}",
                    p.power_change,
                    format_p(p.p_value),
                    if p.p_value < 0.05 { "" } else { " ~" }
                )),
            );
        }
    }
    out += "~ marks a change from the previous point that a paired McNemar test does not distinguish from Monte Carlo noise (p >= 0.05).\n";
    out
}

/// A readable summary for the terminal.
pub fn table(rows: &[ComparisonSummary]) -> String {
    let mut out = String::new();
    let mut previous: Option<&str> = None;
    for r in rows {
        // Screening and follow-up are the same for every row of a comparison: shown once.
        let first_of_comparison = previous != Some(r.comparison.as_str());
        previous = Some(r.comparison.as_str());
        let pct = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{:.1}%", 100.0 * v));
        let who = match (r.subgroup.as_str(), r.layout.as_deref()) {
            (_, Some("parallel")) => " | parallel design, same number of people".to_string(),
            (_, Some(layout)) => format!(" | {layout}"),
            ("all", None) => String::new(),
            (subgroup, None) => format!(" | {}", subgroup.replace('_', " ")),
        };
        // A stratum's row is headed by the stratum's own mean size, not the arms'.
        let sizes = match r.stratum_enrolled {
            Some((a, p)) => format!("{a:.1} + {p:.1} enrolled in the stratum (mean)"),
            None if r.subgroup == "interaction" => "strata as in the rows above".to_string(),
            None => arm_sizes(r.n_active, r.n_placebo),
        };
        let against = r.reference.as_deref().unwrap_or("placebo");
        let at_margin = r.hypothesis.as_deref().is_some_and(|h| h.ends_with("_at_margin"));
        let hypothesis = match (r.hypothesis.as_deref(), r.margin) {
            (Some(h), Some(m)) => format!(" | {} at margin {m}", h.trim_end_matches("_at_margin").replace('_', "-")),
            _ => String::new(),
        };
        out += &format!(
            "{} | {} vs {against}{who}{hypothesis} | {} ({}-sided, alpha {}) | n {sizes} | {} trials, seed {}\n",
            r.scenario, r.comparison, r.analysis, r.sided, r.alpha, r.reps, r.seed
        );
        out += &format!(
            "  {}{:.3}  (95% CI {:.3}-{:.3}, {}; MC SE {:.4})\n",
            match (at_margin, &r.assurance) {
                (true, _) => "type I error at the margin  ",
                (false, Some(_)) => "assurance        ",
                (false, None) => "power            ",
            },
            r.power,
            r.power_ci_low,
            r.power_ci_high,
            r.assurance.as_ref().map_or("Wilson".to_string(), |a| format!(
                "{} draws x {} trials, SE over draws",
                a.draws, a.trials_per_draw
            )),
            r.power_mc_se
        );
        if let Some(a) = &r.assurance {
            let [q10, q50, q90] = a.power_quantiles;
            out += &format!(
                "  power over prior 10% {q10:.3}, median {q50:.3}, 90% {q90:.3} (each draw's from its {} trials); SD {:.3} \
                 net of that noise\n",
                a.trials_per_draw, a.power_sd_across_prior
            );
            for s in &a.sensitivity {
                let groups: Vec<String> =
                    s.groups.iter().map(|(_, _, v)| v.map_or("-".to_string(), |v| format!("{v:.2}"))).collect();
                let named = match s.groups.first() {
                    Some((first, _, _)) if first == "no effect" => "no effect, then deciles",
                    _ if s.groups.len() == 1 => "drawn",
                    _ => "deciles",
                };
                out += &format!(
                    "  sensitivity      {}: assurance by {named} {} (spread {:.2})\n",
                    s.field,
                    groups.join(" "),
                    s.spread
                );
            }
        }
        let show = |v: Option<f64>, signed: bool| {
            v.map_or("-".to_string(), |v| if signed { format!("{v:+.3}") } else { format!("{v:.3}") })
        };
        out += &format!(
            "  estimate         {} (SD {}) {}; true effect {}; bias {}; 95% CI coverage {}\n",
            show(r.mean_estimate, false),
            show(r.sd_estimate, false),
            r.estimate_unit,
            show(r.true_effect, false),
            show(r.bias, true),
            show(r.ci_coverage, false)
        );
        if let Some(rr) = r.rate_ratio {
            // The mean Wald interval of -ln RR, turned back into rate ratios.
            let interval = match (r.mean_ci_low, r.mean_ci_high) {
                (Some(lo), Some(hi)) => format!("; mean 95% CI {:.3}-{:.3}", (-hi).exp(), (-lo).exp()),
                _ => String::new(),
            };
            out += &format!(
                "  rate ratio       {rr:.3} (geometric mean{interval}); true rate ratio {}; fits not converged {}\n",
                show(r.true_rate_ratio, false),
                pct(r.share_not_converged)
            );
        }
        if let (Some(a), Some(p)) = (r.responders_active, r.responders_placebo) {
            out += &format!(
                "  responders       active {}, placebo {}; risk ratio {}; mean 95% CI of the difference (Newcombe) {} to {}\n",
                pct(Some(a)),
                pct(Some(p)),
                show(r.risk_ratio, false),
                show(r.mean_ci_low, true),
                show(r.mean_ci_high, true)
            );
        }
        if first_of_comparison {
            out += &format!(
                "  screening        {:.1} screened{} for {:.1} enrolled ({:.2} per enrolled); PPV deficient {}; sensitivity {}\n",
                r.mean_screened,
                r.mean_confirmatory_tests.map_or(String::new(), |c| format!(" ({c:.1} confirmatory tests)")),
                r.mean_enrolled,
                r.screened_per_enrolled,
                pct(r.ppv_deficient),
                pct(r.selection_sensitivity)
            );
            out += &format!(
                "  follow-up        dropout {:.1}%; normal Mg at end: placebo {}, active {}\n",
                100.0 * r.dropout_rate,
                pct(r.normal_at_end_placebo),
                pct(r.normal_at_end_active)
            );
        }
        if let (Some(cost), Some(se)) = (r.expected_cost, r.expected_cost_mc_se) {
            out += &format!("  cost             {cost:.1} per trial (MC SE {se:.2}; in the prices' currency)\n");
        }
        if r.reps_not_analysable > 0 {
            out += &format!(
                "  note             {} of {} trials could not be analysed (fewer than 2 completers in an arm, no \
                 variation in the outcome, or a fit that did not converge); they count as not rejecting\n",
                r.reps_not_analysable, r.reps
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn p_values_below_the_floor_are_not_printed_as_zero() {
        assert_eq!(format_p(0.0), "p < 0.001");
        assert_eq!(format_p(0.000_999_9), "p < 0.001");
        assert_eq!(format_p(0.001), "p 0.001");
        assert_eq!(format_p(0.0342), "p 0.034");
        assert_eq!(format_p(1.0), "p 1.000");
    }
}
