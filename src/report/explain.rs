//! `mgtrial explain`: the resolved scenario and the quantities derivable without simulation.

pub use crate::engine::calibration::expected_effect;
use crate::engine::calibration::{enrolled_deficit, mean_repleted_fraction};
use crate::engine::closed_form::ClosedForm;
use crate::engine::plan::Plan;
use crate::model::biomarker::Assay;
use crate::model::intervention::Absorption;
use crate::scenario::schema::{Biomarker, Scenario, SelectionMode};
use crate::scenario::schema::{Hypothesis, Multiplicity};

/// Writes an assay's resolved parameters into its scenario section.
fn write_out(section: &mut Biomarker, assay: &Assay) {
    let p = assay.params;
    section.scale = Some(p.scale);
    section.bias = Some(p.bias);
    section.persistent_sd = Some(p.persistent_sd);
    section.repeat_sd = Some(p.repeat_sd);
    section.normal_low = Some(p.normal_low);
}

/// [`resolved_scenario`] as TOML, without the fields that do nothing in it (a threshold under
/// all comers, the confirmation assay without two stages...): a valid scenario file.
pub fn resolved_text(plan: &Plan) -> String {
    let resolved = resolved_scenario(plan);
    let mut table = toml::Table::try_from(&resolved).expect("a scenario serializes");
    crate::scenario::inert::remove_inert(&mut table, &resolved);
    table.retain(|_, v| v.as_table().is_none_or(|t| !t.is_empty()));
    toml::to_string_pretty(&table).expect("a table serializes")
}

/// The scenario with every default written out (assays, thresholds, bioavailability, dropout).
pub fn resolved_scenario(plan: &Plan) -> Scenario {
    let mut s = plan.scenario.clone();
    write_out(&mut s.biomarker, &plan.assay);
    s.selection.threshold = Some(plan.threshold);
    if let Some((c, t2)) = &plan.confirmation {
        write_out(&mut s.confirmation, c);
        s.selection.confirm_threshold = Some(*t2);
    }
    for (i, (arm, ap)) in s.arms.iter_mut().zip(&plan.arms).enumerate() {
        // A formulation's absorption stays the formulation's (its table value is a derived
        // quantity below); an arm's own stays its own.
        if arm.formulation.is_none() {
            arm.bioavailability = ap.exposure.map(|e| e.bioavailability);
        }
        // A crossover's arms lose a person in either period; each states its own period's.
        arm.dropout = Some(plan.crossover.map_or(ap.dropout, |x| x.period_dropout[i]));
    }
    s.outcome = match &plan.count {
        Some((m, _)) => crate::model::outcome::count::written_out(&s.outcome, m),
        None => crate::scenario::scales::written_out(&s.outcome, &plan.scale),
    };
    if s.response.model == crate::scenario::schema::ResponseModel::Repletion {
        // A solved value stands in for the calibration, so the text is a valid scenario.
        s.response.state_max_effect(plan.response.max_effect, plan.count.is_some());
    }
    s
}

/// What `explain` says about the outcome preset, the calibration and the sweep, as comment
/// lines above the resolved scenario.
fn provenance_notes(plan: &Plan) -> String {
    let mut out = String::new();
    match plan.scenario.outcome.scale {
        _ if plan.count.is_some() => {
            let (m, _) = plan.count.as_ref().expect("a count outcome");
            out += &format!(
                "# outcome: counts of {}, every field given; person rate ~ Gamma(theta {:.4}, mean {:.4} per 4 \
                 weeks); baseline SD {:.4}; placebo rate ratio {:.4} (a fall of {:.2}% in the mean count)\n",
                m.kind.label().replace('_', " "),
                m.theta,
                m.mean_rate_per_4_weeks,
                m.baseline_sd(),
                m.placebo_rate_ratio,
                m.reduction_percent(m.placebo_rate_ratio)
            )
        }
        Some(p) if plan.scale_overridden.is_empty() => {
            out += &format!("# outcome: preset `{}` ({}), no field overridden\n", p.label(), plan.scale.name)
        }
        Some(p) => {
            out += &format!(
                "# outcome: preset `{}` ({}), overridden: {}\n",
                p.label(),
                plan.scale.name,
                plan.scale_overridden.join(", ")
            )
        }
        None => out += "# outcome: no preset; every field given in the scenario\n",
    }
    if let Some(c) = &plan.calibration {
        let solved = if plan.count.is_some() {
            format!("response.max_rate_ratio = {:.6}", (-c.max_effect).exp())
        } else {
            format!("response.max_effect = {:.6}", c.max_effect)
        };
        out += &format!(
            "# calibration: {solved} solved (by {}{}) so that the published design reproduces {}\n#   published \
             design: {}\n",
            c.method,
            c.max_effect_mc_se.map_or(String::new(), |se| if plan.count.is_some() {
                // Delta method: SE of exp(-b) is exp(-b) SE(b).
                format!("; Monte Carlo SE {:.4} of max_rate_ratio", (-c.max_effect).exp() * se)
            } else {
                format!("; Monte Carlo SE {se:.4} of max_effect")
            }),
            c.target.describe(&c.unit),
            c.design
        );
        if let Some(p) = c.model_placebo_responder_percent {
            out += &format!("#   the model gives {p:.1}% placebo responders in the published design\n");
        }
    }
    if let Some(a) = plan.scenario.assumptions.describe() {
        out += &format!("# {a}\n");
    }
    if let Some(u) = &plan.scenario.uncertainty {
        let fields: Vec<&str> = u.prior.iter().map(|p| p.field.as_str()).collect();
        out += &format!(
            "# uncertainty: {} take their priors' medians here; `mgtrial run` draws them ({} trials per draw) and \
             reports assurance\n",
            fields.join(", "),
            u.trials_per_draw
        );
    }
    out
}

pub fn explain(plan: &Plan) -> String {
    let s = &plan.scenario;
    let mut out = String::new();
    out += &format!("# Resolved scenario `{}` (every default that does something filled in)\n", s.name);
    out += &provenance_notes(plan);
    out += &resolved_text(plan);
    out += "\n# Derived quantities\n";
    let Some(mg) = &plan.mg else {
        out += "Mg status is not modelled (population.model = \"none\").\n";
        out += &crossover_line(plan);
        out += &power_lines(plan);
        return out;
    };
    let assay = &plan.assay;
    let (unit, t) = (assay.kind.unit(), plan.threshold);
    let sd_m = mg.variance().sqrt();
    out += &format!(
        "true Mg status: mean {:.3} mmol/L, SD {:.3}; truly deficient (< {} mmol/L): {:.1}% of those screened\n",
        mg.mean(),
        sd_m,
        mg.deficiency_cutoff_mmol_per_l,
        100.0 * mg.prob_deficient()
    );
    out += &format!(
        "biomarker {} ({unit}), mean of {}: error SD {:.4} (lasting {:.4}, per occasion {:.4}); correlation with true status {:.3}\n",
        assay.kind.label(),
        assay.repeats,
        assay.total_error_sd(),
        assay.params.persistent_sd,
        assay.occasion_sd(),
        assay.correlation_with_status(sd_m)
    );
    let below = mg.prob_reading_below(assay, t);
    let cutoff = mg.deficiency_cutoff_mmol_per_l;
    let filters = plan.selection_filters();
    let p_enrol = mg.integrate(&filters, f64::INFINITY, |_| 1.0);
    let ppv = mg.integrate(&filters, cutoff, |_| 1.0) / p_enrol;
    match plan.mode {
        SelectionMode::AllComers => out += "selection: all comers (enrolment probability 1, 1 screened per enrolled)\n",
        SelectionMode::Enrich => {
            out += &format!(
                "selection: enrol if reading < {t} {unit}: enrolment probability {below:.4}, expected screened per enrolled {:.2}\n",
                1.0 / below
            )
        }
        SelectionMode::Stratify => {
            out += &format!("selection: stratify at {t} {unit}: {:.1}% in the low stratum\n", 100.0 * below)
        }
        SelectionMode::TwoStage => {
            if let Some((c, t2)) = &plan.confirmation {
                out += &format!(
                    "selection: screen with {} < {t} {unit} (passed by {below:.4}), confirm with {} < {t2} {} \
                     (correlation with true status {:.3}): enrolment probability {p_enrol:.4}; per enrolled, \
                     {:.2} screened and {:.2} confirmatory tests\n",
                    assay.kind.label(),
                    c.kind.label(),
                    c.kind.unit(),
                    c.correlation_with_status(sd_m),
                    1.0 / p_enrol,
                    below / p_enrol
                )
            }
        }
    }
    out += &format!("PPV (share of the enrolled truly deficient): {ppv:.4}\n");
    if let (Some(vd), Some(v)) = (&plan.vitamin_d, &plan.scenario.vitamin_d) {
        out += &format!(
            "vitamin D: {:.1}% of the screened deficient (correlation {} with Mg status); the benefit of repletion \
             times {} while deficient unless the arm gives vitamin D\n",
            100.0 * v.deficiency_prevalence,
            v.correlation_with_mg.map_or("-".to_string(), |c| c.to_string()),
            vd.benefit_multiplier
        );
        if let Some((sensitivity, specificity)) = vd.selection {
            out += &format!(
                "selection on vitamin D: enrol if its test (sensitivity {sensitivity}, specificity {specificity}) \
                 reads {}: enrolment probability with any Mg selection {p_enrol:.4}, {:.2} screened per enrolled \
                 (this replaces the Mg selection's figures above)\n",
                if vd.enrols_deficient { "deficient" } else { "replete" },
                1.0 / p_enrol
            );
        }
        if let Some(share) = crate::engine::calibration::enrolled_vitamin_d_deficient(plan) {
            out += &format!("PPV for vitamin D (share of the enrolled deficient in vitamin D): {share:.4}\n");
        }
    }
    let (mean_deficit, _) = enrolled_deficit(plan, f64::INFINITY).unwrap_or((0.0, 1.0));
    let acute = plan.scenario.response.model == crate::scenario::schema::ResponseModel::Acute;
    if !acute {
        out += &format!("mean deficit among the enrolled: {mean_deficit:.4} mmol/L\n");
    }
    let effect = |a: usize| expected_effect(plan, a);
    for a in 0..plan.arms.len() {
        let arm = &plan.arms[a];
        match arm.exposure {
            None => match arm.comparator {
                Some(c) => {
                    let solved = plan.scenario.arms[a].responder_percent.map_or(String::new(), |p| {
                        format!(" (solved so that {p}% of its completers respond, from 100,000 simulated)")
                    });
                    out += &format!(
                        "arm {}: comparator, {:.3} {}{solved} at full adherence x adherence {:.2} = expected effect \
                         {:.3} {} (independent of Mg status); n {}, dropout {:.1}%\n",
                        arm.name,
                        c.full_dose_benefit,
                        plan.effect_unit(),
                        c.adherence_mean,
                        c.full_dose_benefit * c.adherence_mean,
                        plan.effect_unit(),
                        arm.n_target,
                        100.0 * arm.dropout
                    )
                }
                None if arm.is_active => {
                    let r = &plan.response;
                    out += &format!(
                        "arm {}: Mg infusion, acute effect {} {unit}, {} {unit} if true Mg < {cutoff} mmol/L ({:.1}% of \
                         the enrolled) = expected effect {:.3} {unit}; n {}, dropout {:.1}%\n",
                        arm.name,
                        r.acute_effect,
                        r.acute_effect_low_mg,
                        100.0 * ppv,
                        effect(a),
                        arm.n_target,
                        100.0 * arm.dropout,
                        unit = plan.effect_unit(),
                    )
                }
                None => {
                    out +=
                        &format!("arm {}: placebo, n {}, dropout {:.1}%\n", arm.name, arm.n_target, 100.0 * arm.dropout)
                }
            },
            Some(e) => {
                let absorbed = match e.absorption {
                    Absorption::Linear => format!("F {:.3} x {} mg/day", e.bioavailability, e.dose_mg_per_day),
                    Absorption::Saturable { intakes_per_day, .. } => format!(
                        "{intakes_per_day} x {} mg, saturable at F {:.3} ({:.1}% of the dose absorbed)",
                        e.dose_mg_per_day / f64::from(intakes_per_day),
                        e.bioavailability,
                        100.0 * e.absorbed_at_full_adherence_mg_per_day() / e.dose_mg_per_day
                    ),
                };
                out += &format!(
                    "arm {}: {absorbed} x adherence {:.2} = {:.1} mg/day absorbed; mean repletion {:.4} mmol/L; expected effect {:.3} {}; n {}, dropout {:.1}%\n",
                    arm.name,
                    e.adherence_mean,
                    e.mean_absorbed_mg_per_day(),
                    mean_deficit * mean_repleted_fraction(plan, a),
                    effect(a),
                    plan.effect_unit(),
                    arm.n_target,
                    100.0 * arm.expected_dropout()
                );
                if arm.independent_benefit != 0.0 {
                    let mean = arm.independent_benefit * e.adherence_mean;
                    out += &format!(
                        "  beside Mg: {:.4} {} at full adherence x {:.2} = {:.3} of the expected effect, whatever the Mg status\n",
                        arm.independent_benefit,
                        plan.effect_unit(),
                        e.adherence_mean,
                        mean
                    );
                }
                if let Some(o) = &plan.response.overshoot {
                    out += &format!(
                        "  U-shape: status rises up to {} mmol/L past any deficit; each mmol/L above {} costs {} {}\n",
                        o.rise_mmol_per_l,
                        o.upper_mmol_per_l,
                        o.harm_per_mmol_per_l,
                        plan.effect_unit()
                    );
                }
                if let Some(se) = &arm.side_effects {
                    out += &format!(
                        "  side effects: GI in {:.1}%, who take {} of their doses and {:.0}% of whom drop out (dropout {:.1}% at random, {:.1}% in all)\n",
                        100.0 * se.probability,
                        se.adherence_factor,
                        100.0 * se.dropout_if_affected,
                        100.0 * arm.dropout,
                        100.0 * arm.expected_dropout()
                    );
                }
            }
        }
    }
    out += &missing_data_line(plan);
    out += &multiplicity_line(plan);
    out += &crossover_line(plan);
    out += &power_lines(plan);
    out
}

/// Informative dropout, and the analysis of those who drop out.
fn missing_data_line(plan: &Plan) -> String {
    use crate::engine::plan::Mechanism;
    let Some(m) = &plan.missing else { return String::new() };
    let who = match m.mechanism {
        Mechanism::AtRandom => "completely at random".to_string(),
        Mechanism::BaselineSeverity { log_odds_per_sd } => format!(
            "at random given the baseline: odds x {:.2} per SD of baseline severity, each arm keeping its rate",
            log_odds_per_sd.exp()
        ),
        Mechanism::NoImprovement { log_odds_per_sd, .. } => format!(
            "not at random: odds x {:.2} per SD of lack of improvement, the same in every arm, placebo losing its rate \
             (an arm that improves more loses fewer)",
            log_odds_per_sd.exp()
        ),
    };
    let analysed = if m.carry_baseline_forward {
        "everyone randomized, a dropout's baseline carried forward as their follow-up"
    } else {
        "the complete cases"
    };
    format!("dropout: {who}; analysed: {analysed}\n")
}

/// A crossover's sequences, its loss in either period, and its carry-over.
fn crossover_line(plan: &Plan) -> String {
    let Some(x) = &plan.crossover else { return String::new() };
    let mg = &plan.arms[x.mg_arm].name;
    let other = &plan.arms[1 - x.mg_arm].name;
    let carried = match plan.scenario.crossover.as_ref().and_then(|c| c.carryover_fraction) {
        Some(_) => "stated".to_string(),
        None => "exp(-(washout + duration) / tau) under the repletion response".to_string(),
    };
    format!(
        "crossover: sequences {mg} then {other} (AB) and {other} then {mg} (BA); a person lost in either period \
         ({:.1}% and {:.1}% per period, {:.1}% in all); carry-over {:.4} of the period-1 benefit ({carried}), so \
         the sequences differ by {:.4} of the effect; analysed by {}\n",
        100.0 * x.period_dropout[x.mg_arm],
        100.0 * x.period_dropout[1 - x.mg_arm],
        100.0 * plan.arms[0].dropout,
        x.carryover,
        1.0 - x.carryover / 2.0,
        if plan.count.is_some() {
            "the rank-sum test of the period differences between the sequences (Koch 1972)"
        } else {
            "the t test of half the period differences between the sequences (Jones & Kenward)"
        }
    )
}

/// With several comparisons: the procedure and its thresholds at the expected completers (the
/// powers below are unadjusted).
fn multiplicity_line(plan: &Plan) -> String {
    let Some(m) = &plan.multiplicity else { return String::new() };
    let comparisons = plan.comparisons.len();
    let alpha = plan.scenario.analysis.alpha;
    let completers: f64 = plan.arms.iter().map(|a| f64::from(a.n_target) * (1.0 - a.expected_dropout())).sum();
    // ANCOVA over all arms: an intercept, one column per active arm and the baseline.
    let df = (completers - comparisons as f64 - 2.0).floor();
    let tail = |level: f64| if plan.two_sided() { level / 2.0 } else { level };
    let critical = |level: f64| crate::analysis::critical::critical_value(tail(level), df.max(1.0));
    let detail = match (m.procedure, &m.dunnett) {
        (Multiplicity::Dunnett, Some(d)) => format!(
            "critical value {:.3} at {df} residual df (the expected completers), against Bonferroni's {:.3} and {:.3} \
             unadjusted",
            d.value(df.max(1.0)),
            critical(alpha / comparisons as f64),
            critical(alpha)
        ),
        (Multiplicity::Unadjusted, _) => "each comparison at alpha; the family-wise error rate is reported".into(),
        (Multiplicity::Bonferroni, _) => {
            format!("each comparison at alpha / {comparisons} = {:.4}", alpha / comparisons as f64)
        }
        (Multiplicity::Holm, _) | (Multiplicity::Hochberg, _) => format!(
            "the p-values in order against alpha / {comparisons}, ..., alpha / 1 ({})",
            if m.procedure == Multiplicity::Holm { "step-down" } else { "step-up" }
        ),
        _ => String::new(),
    };
    format!(
        "multiplicity: {} over {comparisons} comparisons{}: {detail}; the approximate powers below are \
         unadjusted\n",
        m.procedure.label(),
        if plan.comparisons.iter().all(|c| Some(c.against) == plan.placebo) { " with placebo" } else { "" }
    )
}

/// Approximate closed-form power per comparison (see [`ClosedForm`]).
fn power_lines(plan: &Plan) -> String {
    let mut out = String::new();
    for (k, c) in plan.comparisons.iter().enumerate() {
        let (arm, p) = (&plan.arms[c.arm], &plan.arms[c.against]);
        let closed = ClosedForm::new(plan, k);
        let against = if Some(c.against) == plan.placebo { "placebo".to_string() } else { p.name.clone() };
        let what = match c.hypothesis {
            Hypothesis::Superiority => String::new(),
            h => format!(
                " ({} at margin {:.4} {}, one-sided at {})",
                h.label().replace('_', "-"),
                c.margin_as_given(plan.test).unwrap_or_default(),
                match crate::scenario::comparisons::MarginUnit::of(plan.test) {
                    Some(crate::scenario::comparisons::MarginUnit::RateRatio) => "(rate ratio)",
                    Some(crate::scenario::comparisons::MarginUnit::ResponderPoints) => "responder points",
                    _ => plan.scale.unit.as_str(),
                },
                if plan.two_sided() { plan.scenario.analysis.alpha / 2.0 } else { plan.scenario.analysis.alpha }
            ),
        };
        let power = closed.power_at_plan().map_or("n/a".to_string(), |v| format!("{v:.3}"));
        let completers = |a: &crate::engine::plan::ArmPlan| f64::from(a.n_target) * (1.0 - a.expected_dropout());
        if !closed.exists {
            out += &format!(
                "approximate power, {} vs {against}{what}: n/a (no closed form here for {}; simulate)\n",
                arm.name,
                if plan.crossover.is_some() {
                    "the rank test of a crossover's period differences"
                } else if plan.missing.is_some() {
                    "dropout that depends on the outcome, or dropouts analysed with their baseline carried forward"
                } else {
                    "a margin in responder points"
                }
            );
            continue;
        }
        if let Some((m0, theta)) = closed.counts {
            out += &format!(
                "approximate power, {} vs {against}{what}: {power} (negative-binomial Wald test without the baseline \
                 covariate, Zhu & Lakkis 2014: rate ratio {:.3}, {against} follow-up count {:.3}, theta {:.3}, {:.1} + \
                 {:.1} completers; ignores effect heterogeneity and the covariate's gain)\n",
                arm.name,
                (-closed.effect).exp(),
                m0,
                theta,
                completers(arm),
                completers(p),
            );
            continue;
        }
        out += &format!(
            "approximate power, {} vs {against}{what}: {power} (t-test, effect {:.3}, residual SD {}, {:.1} + {:.1} completers; ignores effect heterogeneity, scale bounds and rounding)\n",
            arm.name,
            closed.effect,
            if closed.residual_sd.is_finite() {
                format!("{:.3}", closed.residual_sd)
            } else {
                "n/a (not finite at these SDs)".to_string()
            },
            completers(arm),
            completers(p),
        );
    }
    out
}
