//! Fields that do nothing: a field given (in the file, by `--set` or by a sweep) whose value
//! cannot influence any output under the rest of the scenario is refused, naming the setting
//! that makes it inert. A silently ignored field is a trialist's belief that the design differs
//! from what is simulated.
//!
//! One mechanism: [`RULES`] says, for each field of the schema that can be inert, under which
//! setting of the others it is (a rule per field, not per pair of fields), and [`inert_given`]
//! applies it to every field the scenario's TOML gives. `tests/inert_fields.rs` checks the
//! rules against the simulation itself: across the schema, a field that is not refused changes
//! the output when its value changes.

use crate::scenario::schema::{ArmKind, PopulationModel, ResponseModel, Scenario, SelectionMode};

/// Where a rule is applied: the scenario, and the arm or the table key the path names.
struct At<'a> {
    s: &'a Scenario,
    /// The arm of an `arms.<name>.field` path.
    arm: Option<usize>,
    /// The last key of the path (e.g. the salt of `bioavailability.<salt>`).
    key: &'a str,
}

/// Why a field is inert in this scenario, or `None` when it matters.
type Inert = fn(&At) -> Option<String>;

/// `(path pattern, rule)`: `*` stands for one key (an arm's name); a pattern ending in `.**`
/// covers the whole section. The first pattern that matches a path and finds it inert wins.
const RULES: &[(&str, Inert)] = &[
    ("selection.threshold", threshold_unread),
    ("outcome.baseline_mean", baseline_level_cancels),
    ("outcome.baseline_sd", baseline_spread_cancels),
    ("outcome.assessments", nothing_to_average),
    ("selection.confirm_threshold", not_two_stage),
    ("confirmation.**", not_two_stage),
    ("confirmation.normal_low", confirm_threshold_given),
    ("selection.min_enrolment_probability", not_screening),
    ("selection.blocks_per_ratio", not_stratified),
    ("biomarker.**", no_mg_status),
    ("population.deficiency_prevalence", not_mixture),
    ("population.deficient_mean_mmol_per_l", not_mixture),
    ("population.deficient_sd_mmol_per_l", not_mixture),
    ("population.replete_mean_mmol_per_l", not_mixture),
    ("population.replete_sd_mmol_per_l", not_mixture),
    ("population.mean_mmol_per_l", not_normal),
    ("population.sd_mmol_per_l", not_normal),
    ("population.replete_target_mmol_per_l", no_mg_status),
    ("population.deficiency_cutoff_mmol_per_l", no_mg_status),
    ("response.acute_effect", not_acute),
    ("response.acute_effect_low_mg", not_acute),
    ("response.acute_effect_low_mg", no_mg_status),
    ("response.tau_weeks", acute_before_repletion),
    ("population.replete_target_mmol_per_l", acute_before_repletion),
    ("biomarker.**", reading_unread),
    ("biomarker.normal_low", end_unreported_threshold_given),
    ("response.a50_mg_per_day", acute_before_repletion),
    ("design.duration_weeks", acute_before_repletion),
    ("response.tau_weeks", fixed_crossover_repletes_unseen),
    ("response.a50_mg_per_day", fixed_crossover_repletes_unseen),
    ("population.replete_target_mmol_per_l", fixed_crossover_repletes_unseen),
    ("design.duration_weeks", fixed_crossover_repletes_unseen),
    ("arms.*.formulation", fixed_crossover_repletes_unseen),
    ("arms.*.dose_mg_per_day", fixed_crossover_repletes_unseen),
    ("arms.*.bioavailability", fixed_crossover_repletes_unseen),
    ("arms.*.adherence_mean", fixed_crossover_repletes_unseen),
    ("arms.*.adherence_concentration", fixed_crossover_repletes_unseen),
    ("arms.*.formulation", infusion_given_whole),
    ("arms.*.dose_mg_per_day", infusion_given_whole),
    ("arms.*.bioavailability", infusion_given_whole),
    ("arms.*.adherence_mean", infusion_given_whole),
    ("arms.*.adherence_concentration", infusion_given_whole),
    ("crossover.washout_weeks", carryover_stated),
    ("crossover.period_effect", period_effect_cancels),
    ("outcome.placebo_improvement", common_change_cancels),
    ("outcome.natural_improvement", common_change_cancels),
    ("response.delta", not_fixed),
    ("response.rate_ratio", not_fixed),
    ("response.max_effect", not_repletion),
    ("response.max_rate_ratio", not_repletion),
    ("response.calibration.**", not_repletion),
    ("response.effect_replete", not_repletion),
    ("response.replete_rate_ratio", not_repletion),
    ("response.ref_deficit_mmol_per_l", not_repletion),
    ("response.tau_weeks", no_mg_status),
    ("response.overshoot.**", no_mg_status),
    ("design.duration_weeks", nothing_repletes),
    ("response.a50_mg_per_day", no_mg_status),
    ("analysis.responder.**", no_responders),
    ("analysis.multiplicity", one_comparison),
    ("analysis.report_family_wise_error", one_comparison),
    ("analysis.dose_trend", one_mg_arm),
    ("analysis.responder.cutoff", not_remission),
    ("analysis.responder.fraction", not_relative),
    ("arms.*.formulation", absorbs_nothing),
    ("arms.*.formulation", own_bioavailability),
    ("arms.*.dose_mg_per_day", dose_unused),
    ("arms.*.bioavailability", absorbs_nothing),
    ("arms.*.adherence_mean", absorbs_nothing),
    ("arms.*.adherence_concentration", absorbs_nothing),
    ("arms.*.adherence_concentration", adherence_certain),
    ("bioavailability.*", salt_unused),
    ("absorption.**", absorbed_through_no_gut),
    ("absorption.max_active_mg_per_intake", absorption_linear),
    ("absorption.half_saturation_mg_per_intake", absorption_linear),
    ("absorption.passive_fraction", absorption_linear),
    ("arms.*.intakes_per_day", fixed_crossover_repletes_unseen),
    ("arms.*.intakes_per_day", infusion_given_whole),
    ("arms.*.intakes_per_day", absorbs_nothing),
    ("arms.*.intakes_per_day", absorption_linear),
    ("arms.*.intakes_per_day", infused),
    ("response.calibration.published_design.intakes_per_day", absorption_linear),
    ("side_effects.**", absorbed_through_no_gut),
    ("side_effects.percent_at_600_mg.*", side_effect_salt_unused),
    ("arms.*.side_effect_percent_at_600_mg", no_side_effects),
    ("arms.*.side_effect_percent_at_600_mg", absorbs_nothing),
    ("arms.*.side_effect_percent_at_600_mg", infused),
    ("dropout.odds_ratio_per_sd", dropout_at_random),
    ("dropout.active", improvement_decides),
    ("arms.*.dropout", improvement_decides),
    ("dropout.placebo", placebo_dropout_overridden),
    ("dropout.active", active_dropout_overridden),
    ("vitamin_d.correlation_with_mg", nobody_low_in_vitamin_d),
    ("vitamin_d.correlation_with_mg", everyone_low_in_vitamin_d),
    ("vitamin_d.benefit_multiplier_if_deficient", nobody_low_in_vitamin_d),
    ("vitamin_d.benefit_multiplier_if_deficient", every_mg_arm_gives_vitamin_d),
    ("vitamin_d.enrol", nobody_low_in_vitamin_d),
    ("vitamin_d.assay_sensitivity", no_vitamin_d_test),
    ("vitamin_d.assay_specificity", no_vitamin_d_test),
    ("arms.*.vitamin_d", vitamin_d_scales_nothing),
    ("costs.per_screened.*", screening_assay_unpriced),
    ("costs.per_confirmatory_test.*", confirmation_assay_unpriced),
    ("costs.per_vitamin_d_test", no_vitamin_d_test_to_price),
    ("costs.per_participant_week", acute_weeks_unpriced),
];

fn threshold_unread(at: &At) -> Option<String> {
    let s = at.s;
    (s.selection.mode == SelectionMode::AllComers && s.analysis.by_stratum != Some(true)).then(|| {
        "selection.mode = \"all_comers\" enrols everyone without reading a threshold, and analysis.by_stratum is \
         not on: choose a mode that selects (\"enrich\", \"stratify\", \"two_stage\"), set analysis.by_stratum = \
         true to report strata of the reading, or remove it"
            .into()
    })
}

/// Whether the true baseline level of a rating scale reaches any output: through ANCOVA, a
/// responder rule, or a bounded or rounded scale (otherwise it cancels from every change).
pub(crate) fn baseline_level_matters(s: &Scenario) -> bool {
    let counts = s.outcome.count.is_some();
    let analyses = s.analysis.all(counts);
    let responders = analyses.iter().any(|t| t.is_responder())
        || s.response.calibration.as_ref().is_some_and(|c| c.active_responder_percent.is_some())
        || s.arms.iter().any(|a| a.responder_percent.is_some());
    let nonlinear = crate::scenario::scales::resolve_in(s)
        .map_or(true, |(o, _)| o.integer || o.min.is_finite() || o.max.is_finite());
    counts || responders || nonlinear || analyses.contains(&crate::scenario::schema::TestKind::Ancova)
}

fn baseline_level_cancels(at: &At) -> Option<String> {
    (!baseline_level_matters(at.s)).then(|| {
        "on an unbounded, unrounded scale analysed by the change score alone (welch) the baseline level cancels \
         from every change: it matters to ANCOVA, a responder rule or a bounded scale; remove it"
            .into()
    })
}

fn baseline_spread_cancels(at: &At) -> Option<String> {
    let perfect = crate::scenario::scales::resolve_in(at.s).is_ok_and(|(o, _)| o.reliability >= 1.0);
    baseline_level_cancels(at).filter(|_| perfect).map(|why| {
        why.replace(
            "the baseline level cancels",
            "the baseline spread cancels (reliability 1: no measurement error scales with it)",
        )
    })
}

fn nothing_to_average(at: &At) -> Option<String> {
    let perfect = at.s.outcome.count.is_none()
        && crate::scenario::scales::resolve_in(at.s).is_ok_and(|(o, _)| o.reliability >= 1.0);
    perfect.then(|| {
        "with reliability 1 an assessment has no measurement error for repeated assessments to average: lower \
         outcome.reliability, or remove it"
            .into()
    })
}

fn not_two_stage(at: &At) -> Option<String> {
    (at.s.selection.mode != SelectionMode::TwoStage).then(|| {
        format!(
            "only two-stage screening confirms with a second assay, and selection.mode is \"{}\": set selection.mode = \
             \"two_stage\", or remove it",
            mode_label(at.s.selection.mode)
        )
    })
}

fn confirm_threshold_given(at: &At) -> Option<String> {
    at.s.selection.confirm_threshold.map(|t| {
        format!(
            "the confirmatory assay's normal_low only stands in for an unset selection.confirm_threshold, which is \
             {t}: remove one"
        )
    })
}

fn not_screening(at: &At) -> Option<String> {
    (!matches!(at.s.selection.mode, SelectionMode::Enrich | SelectionMode::TwoStage)).then(|| {
        format!(
            "only enrichment and two-stage screening refuse a threshold that enrols too few, and selection.mode is \
             \"{}\": remove it",
            mode_label(at.s.selection.mode)
        )
    })
}

fn not_stratified(at: &At) -> Option<String> {
    (at.s.selection.mode != SelectionMode::Stratify).then(|| {
        format!(
            "permuted blocks are used only by stratified randomization, and selection.mode is \"{}\": remove it",
            mode_label(at.s.selection.mode)
        )
    })
}

fn no_mg_status(at: &At) -> Option<String> {
    (at.s.population.model == PopulationModel::None).then(|| {
        "population.model = \"none\": Mg status is not modelled, so nothing reads it; set population.model to \
         \"mixture\" or \"normal\", or remove it"
            .into()
    })
}

fn nothing_repletes(at: &At) -> Option<String> {
    // On counts the duration also bounds the follow-up window; a price per participant-week
    // makes it the trial's length in its cost.
    let priced = at.s.costs.as_ref().is_some_and(|c| c.per_participant_week.is_some());
    no_mg_status(at).filter(|_| at.s.outcome.count.is_none() && !priced).map(|why| {
        why.replace("nothing reads it", "nothing repletes over the treatment and its length changes no output")
    })
}

fn not_mixture(at: &At) -> Option<String> {
    (at.s.population.model != PopulationModel::Mixture).then(|| {
        format!(
            "it describes the two-component mixture, and population.model is \"{}\": set population.model = \
             \"mixture\", or remove it",
            population_label(at.s.population.model)
        )
    })
}

fn not_normal(at: &At) -> Option<String> {
    (at.s.population.model != PopulationModel::Normal).then(|| {
        format!(
            "it describes the single normal population, and population.model is \"{}\": set population.model = \
             \"normal\", or remove it",
            population_label(at.s.population.model)
        )
    })
}

/// The effect fields each response model reads, for messages.
fn effect_fields(model: ResponseModel) -> &'static str {
    match model {
        ResponseModel::Fixed => "delta, or rate_ratio on counts",
        ResponseModel::Repletion => "max_effect, max_rate_ratio or a calibration",
        ResponseModel::Acute => "acute_effect, and optionally acute_effect_low_mg",
    }
}

/// Inert unless `response.model` is `model`.
fn not_model(at: &At, model: ResponseModel, what: &str) -> Option<String> {
    let given = at.s.response.model;
    (given != model).then(|| {
        format!(
            "it {what}, and response.model is \"{}\": give that response's effect ({}), or set response.model = \
             \"{}\"",
            given.label(),
            effect_fields(given),
            model.label()
        )
    })
}

fn not_fixed(at: &At) -> Option<String> {
    not_model(at, ResponseModel::Fixed, "is the fixed response's effect")
}

fn not_repletion(at: &At) -> Option<String> {
    not_model(at, ResponseModel::Repletion, "shapes the repletion response")
}

fn not_acute(at: &At) -> Option<String> {
    not_model(at, ResponseModel::Acute, "is the acute response's effect")
}

fn acute_before_repletion(at: &At) -> Option<String> {
    (at.s.response.model == ResponseModel::Acute).then(|| {
        "the acute response acts within hours of the infusion, before anything repletes, so the repletion's \
         target, time course and saturation change no output (the assessment's time is in the effect and the \
         placebo response stated for it): remove it"
            .into()
    })
}

/// The assay's normal limit is read for the share with a normal reading at the end, and as the
/// threshold when none is given.
fn end_unreported_threshold_given(at: &At) -> Option<String> {
    let why = at.s.end_reading_unreported()?;
    at.s.selection.threshold.is_some().then(|| {
        format!(
            "{why} no reading at the end is reported, and selection.threshold is given, so the assay's normal limit \
             is read nowhere: remove it"
        )
    })
}

/// Without a reading at the end, an all-comers trial without strata reads the assay nowhere.
fn reading_unread(at: &At) -> Option<String> {
    let s = at.s;
    let why = s.end_reading_unreported()?;
    (s.selection.mode == SelectionMode::AllComers && s.analysis.by_stratum != Some(true)).then(|| {
        format!(
            "{why} no reading at the end is reported, and selection.mode = \"all_comers\" without \
             analysis.by_stratum reads no screening reading either: select or stratify on it, or remove it"
        )
    })
}

/// A crossover under the fixed response: its Mg arm has the stated effect and no reading at the
/// end is reported, so nothing of absorption or repletion reaches an output (on counts the
/// duration still bounds the follow-up window).
fn fixed_crossover_repletes_unseen(at: &At) -> Option<String> {
    let s = at.s;
    if s.crossover.is_none() || s.response.model != ResponseModel::Fixed {
        return None;
    }
    if at.key == "duration_weeks" && s.outcome.count.is_some() {
        return None;
    }
    if let Some(a) = at.arm
        && s.arms[a].kind != ArmKind::Active
    {
        return None;
    }
    Some(
        "in a crossover under the fixed response the Mg arm has its stated effect and no reading at the end is \
         reported, so what is absorbed and repleted changes no output: remove it (response.model = \"repletion\" \
         uses it)"
            .into(),
    )
}

fn carryover_stated(at: &At) -> Option<String> {
    (at.s.response.model != ResponseModel::Repletion).then(|| {
        "under the fixed response the carry-over is stated (crossover.carryover_fraction), so the washout's length \
         changes no output: remove it (the repletion response derives the carry-over from it)"
            .into()
    })
}

/// Whether the scenario is a crossover on an unbounded, unrounded scale.
fn linear_crossover(s: &Scenario) -> bool {
    s.crossover.is_some() && crate::scenario::scales::resolve_in(s).is_ok_and(|(o, _)| o.is_linear())
}

/// The change every arm sees is in both periods' scores and cancels from their difference
/// unless the scale's bounds or rounding make the score depend on its level.
fn common_change_cancels(at: &At) -> Option<String> {
    linear_crossover(at.s).then(|| {
        "in a crossover on an unbounded, unrounded scale the change every arm sees is in both periods and cancels \
         from the period differences, which the analysis compares: remove it"
            .into()
    })
}

/// The period effect cancels from the period differences unless the scale's bounds or rounding
/// make the score depend on its level.
fn period_effect_cancels(at: &At) -> Option<String> {
    let linear = crate::scenario::scales::resolve_in(at.s).is_ok_and(|(o, _)| o.is_linear());
    linear.then(|| {
        "on an unbounded, unrounded scale the period effect cancels from the period differences, which the \
         crossover analysis compares between sequences: it matters only through a bounded or rounded scale; \
         remove it"
            .into()
    })
}

/// Under the acute response an Mg arm's effect is the infusion's, whatever its dose, salt and
/// absorption (an infusion is given whole).
fn infusion_given_whole(at: &At) -> Option<String> {
    let arm = &at.s.arms[at.arm?];
    (at.s.response.model == ResponseModel::Acute && arm.kind == ArmKind::Active).then(|| {
        format!(
            "under the acute response Mg arm `{}` has the infusion's effect (response.acute_effect), given whole \
             whatever its dose, salt or absorption: remove it (the dose can go in the arm's name)",
            arm.name
        )
    })
}

fn no_responders(at: &At) -> Option<String> {
    let s = at.s;
    let counts = s.outcome.count.is_some();
    let analysed = s.analysis.all(counts).iter().any(|t| t.is_responder());
    let calibrated = s.response.calibration.as_ref().is_some_and(|c| c.active_responder_percent.is_some());
    let comparator = s.arms.iter().any(|a| a.responder_percent.is_some());
    (!analysed && !calibrated && !comparator).then(|| {
        "no responder analysis is asked for (chi_square, chi_square_yates or fisher in analysis.test or \
         analysis.secondary), no calibration counts responders and no comparator gives responder_percent: add one, \
         or remove it"
            .into()
    })
}

fn not_remission(at: &At) -> Option<String> {
    (at.s.analysis.responder.rule != crate::scenario::schema::ResponderRule::Remission).then(|| {
        "a cut-off belongs to the remission rule, and analysis.responder.rule is \"relative_improvement\": set rule \
         = \"remission\", or remove it"
            .into()
    })
}

fn not_relative(at: &At) -> Option<String> {
    (at.s.analysis.responder.rule != crate::scenario::schema::ResponderRule::RelativeImprovement).then(|| {
        "a fraction belongs to the relative-improvement rule, and analysis.responder.rule is \"remission\": set \
         rule = \"relative_improvement\", or remove it"
            .into()
    })
}

fn absorbs_nothing(at: &At) -> Option<String> {
    let s = at.s;
    let arm = &s.arms[at.arm?];
    if arm.kind == ArmKind::Placebo {
        return Some(format!("arm `{}` is the placebo arm, which takes no Mg: remove it", arm.name));
    }
    if arm.kind == ArmKind::Comparator {
        // Its adherence scales its own effect, with or without Mg status (validation refuses
        // the fields of Mg on a comparator).
        return None;
    }
    (s.population.model == PopulationModel::None).then(|| {
        "population.model = \"none\": without Mg status what an arm absorbs changes nothing (the fixed response \
         gives every treated participant its effect); set population.model, or remove it"
            .into()
    })
}

/// An active arm's dose is the score of a dose trend even where nothing is absorbed.
fn dose_unused(at: &At) -> Option<String> {
    let actives = at.s.arms.iter().filter(|a| a.kind == ArmKind::Active).count();
    let scored = at.s.analysis.dose_trend.is_some() && actives >= 2;
    if scored && at.arm.is_some_and(|a| at.s.arms[a].kind == ArmKind::Active) {
        return None;
    }
    absorbs_nothing(at)
}

fn own_bioavailability(at: &At) -> Option<String> {
    let arm = &at.s.arms[at.arm?];
    arm.bioavailability.map(|b| {
        format!(
            "arm `{}` gives its own bioavailability ({b}), which replaces the formulation's: remove one (a product's \
             name can go in the arm's name)",
            arm.name
        )
    })
}

fn adherence_certain(at: &At) -> Option<String> {
    let arm = &at.s.arms[at.arm?];
    let mean = arm.adherence_mean();
    (mean <= 0.0 || mean >= 1.0).then(|| {
        format!(
            "with adherence_mean {mean} every participant of arm `{}` takes the same share of doses, so its spread \
             changes nothing: remove it",
            arm.name
        )
    })
}

fn salt_unused(at: &At) -> Option<String> {
    let s = at.s;
    if s.population.model == PopulationModel::None {
        return no_mg_status(at);
    }
    let uses = s.arms.iter().any(|a| {
        a.kind == ArmKind::Active && a.bioavailability.is_none() && a.formulation.is_some_and(|f| f.label() == at.key)
    });
    (!uses).then(|| {
        format!(
            "no active arm takes `{}` without its own arms.<name>.bioavailability, so its absorption is never used: \
             remove it",
            at.key
        )
    })
}

/// Whether `arm` takes Mg by mouth in a design where what it absorbs can reach an output.
fn absorbs_by_mouth(at: &At, arm: usize) -> bool {
    let a = &at.s.arms[arm];
    let at_arm = At { s: at.s, arm: Some(arm), key: "bioavailability" };
    a.kind == ArmKind::Active
        && a.formulation != Some(crate::scenario::schema::Formulation::IvSulfate)
        && fixed_crossover_repletes_unseen(&at_arm).is_none()
        && infusion_given_whole(&at_arm).is_none()
        && absorbs_nothing(&at_arm).is_none()
}

fn absorbed_through_no_gut(at: &At) -> Option<String> {
    (!(0..at.s.arms.len()).any(|a| absorbs_by_mouth(at, a))).then(|| {
        "no arm takes Mg by mouth where what it absorbs reaches an output (placebo, comparators, infusions, the \
         acute response, no Mg status, or a fixed-response crossover): remove it"
            .into()
    })
}

fn absorption_linear(at: &At) -> Option<String> {
    (at.s.absorption.model == crate::scenario::schema::AbsorptionModel::Linear).then(|| {
        "absorption.model = \"linear\" absorbs the same share of any dose, however it is split and whatever the \
         saturable curve: set absorption.model = \"saturable\" [Fine91], or remove it"
            .into()
    })
}

fn infused(at: &At) -> Option<String> {
    let arm = &at.s.arms[at.arm?];
    (arm.formulation == Some(crate::scenario::schema::Formulation::IvSulfate)).then(|| {
        format!(
            "arm `{}` is infused (iv_sulfate), which does not pass the gut's saturable absorption: remove it",
            arm.name
        )
    })
}

fn side_effect_salt_unused(at: &At) -> Option<String> {
    let uses = at.s.arms.iter().any(|a| {
        a.kind == ArmKind::Active
            && a.side_effect_percent_at_600_mg.is_none()
            && a.formulation.is_some_and(|f| f.label() == at.key)
    });
    (!uses).then(|| {
        format!(
            "no Mg arm takes `{}` without its own arms.<name>.side_effect_percent_at_600_mg, so this percentage is \
             never used: remove it",
            at.key
        )
    })
}

fn no_side_effects(at: &At) -> Option<String> {
    at.s.side_effects.is_none().then(|| {
        "there is no [side_effects] section, so no arm has GI side effects: add it (with dropout_if_affected and \
         adherence_factor_if_affected), or remove this"
            .into()
    })
}

fn dropout_at_random(at: &At) -> Option<String> {
    (at.s.dropout.mechanism == crate::scenario::schema::DropoutMechanism::CompletelyAtRandom).then(|| {
        "dropout.mechanism is \"completely_at_random\" (the default), which no odds ratio changes: set \
         dropout.mechanism = \"baseline_severity\" or \"no_improvement\", or remove it"
            .into()
    })
}

/// Under dropout by lack of improvement, only placebo's rate is stated; the others follow.
fn improvement_decides(at: &At) -> Option<String> {
    if at.s.dropout.mechanism != crate::scenario::schema::DropoutMechanism::NoImprovement {
        return None;
    }
    if let Some(a) = at.arm
        && at.s.arms[a].kind == ArmKind::Placebo
    {
        return None;
    }
    Some(
        "under dropout.mechanism = \"no_improvement\" the chance of dropping out at each improvement is the same in \
         every arm and set by placebo's rate (dropout.placebo), so another arm's rate follows from how much it \
         improves: remove it"
            .into(),
    )
}

fn placebo_dropout_overridden(at: &At) -> Option<String> {
    if !at.s.arms.iter().any(|a| a.kind == ArmKind::Placebo) {
        return Some("the trial has no placebo arm: remove it".into());
    }
    let own = at.s.arms.iter().find(|a| a.kind == ArmKind::Placebo).and_then(|a| a.dropout.map(|_| a));
    own.map(|a| format!("the placebo arm `{}` gives its own dropout (arms.{}.dropout): remove one", a.name, a.name))
}

fn active_dropout_overridden(at: &At) -> Option<String> {
    let mut actives = at.s.arms.iter().filter(|a| a.kind == ArmKind::Active);
    actives
        .all(|a| a.dropout.is_some())
        .then(|| "every active arm gives its own dropout (arms.<name>.dropout): remove one".into())
}

fn mode_label(m: SelectionMode) -> String {
    crate::scenario::schema::display_value(&toml::Value::try_from(m).expect("a named value"))
}

fn population_label(m: PopulationModel) -> String {
    crate::scenario::schema::display_value(&toml::Value::try_from(m).expect("a named value"))
}

/// Sections that describe the file or the study rather than one design point.
const NOT_DESIGN: [&str; 4] = ["name", "description", "sweep", "assumptions"];

/// Every leaf field `table` gives, as a dotted path with array elements named by their `name`
/// (`arms.mgo_500.dose_mg_per_day`), in file order.
pub fn given_paths(table: &toml::Table) -> Vec<String> {
    fn walk(prefix: &str, v: &toml::Value, out: &mut Vec<String>) {
        match v {
            toml::Value::Table(t) => {
                for (k, v) in t {
                    walk(&format!("{prefix}.{k}"), v, out);
                }
            }
            toml::Value::Array(items) if items.iter().all(|i| i.is_table()) && !items.is_empty() => {
                for (i, item) in items.iter().enumerate() {
                    let name = item.get("name").and_then(|n| n.as_str()).map_or_else(|| i.to_string(), str::to_string);
                    walk(&format!("{prefix}.{name}"), item, out);
                }
            }
            _ => out.push(prefix.to_string()),
        }
    }
    let mut out = Vec::new();
    for (k, v) in table {
        if !NOT_DESIGN.contains(&k.as_str()) {
            walk(k, v, &mut out);
        }
    }
    out
}

/// Whether `path` matches `pattern` (`*` one key, a trailing `.**` any rest).
fn matches(pattern: &str, path: &str) -> bool {
    let (pattern, rest) = match pattern.strip_suffix(".**") {
        Some(p) => (p, true),
        None => (pattern, false),
    };
    // Without allocating: this runs for every rule, field and design point.
    let (mut want, mut have) = (pattern.split('.'), path.split('.'));
    loop {
        match (want.next(), have.next()) {
            (Some(w), Some(h)) if w == "*" || w == h => {}
            (None, None) => return true,
            (None, Some(_)) => return rest,
            _ => return false,
        }
    }
}

/// Why the field at `path` is inert in `s`, or `None` when it can change an output.
pub(crate) fn why_inert(s: &Scenario, path: &str) -> Option<String> {
    why_inert_among(s, path, |name| s.arms.iter().position(|a| a.name == name))
}

/// [`why_inert`], with `arm_named` finding an arm's index by its name.
fn why_inert_among(s: &Scenario, path: &str, arm_named: impl Fn(&str) -> Option<usize>) -> Option<String> {
    let keys: Vec<&str> = path.split('.').collect();
    let arm = (keys.first() == Some(&"arms")).then(|| keys.get(1).and_then(|name| arm_named(name))).flatten();
    let at = At { s, arm, key: keys.last().copied().unwrap_or_default() };
    RULES.iter().filter(|(pattern, _)| matches(pattern, path)).find_map(|(_, rule)| rule(&at))
}

/// `analysis.multiplicity` and `analysis.report_family_wise_error` concern several
/// comparisons.
fn one_comparison(at: &At) -> Option<String> {
    let n = crate::scenario::comparisons::count(at.s);
    (n < 2).then(|| format!("it concerns several comparisons, and this trial makes {n}"))
}

/// `analysis.dose_trend` concerns several Mg arms.
fn one_mg_arm(at: &At) -> Option<String> {
    let actives = at.s.arms.iter().filter(|a| a.kind == ArmKind::Active).count();
    (actives < 2).then(|| format!("it concerns a trend over several Mg arms, and this trial has {actives} Mg arm"))
}

/// `table` without the fields that are inert in `s` (and without the sections they empty):
/// a scenario written out in full stays one whose every field does something.
pub(crate) fn remove_inert(table: &mut toml::Table, s: &Scenario) {
    let inert: std::collections::HashSet<String> = inert_given(table, s).into_iter().map(|(p, _)| p).collect();
    if !inert.is_empty() {
        remove_paths(table, &inert);
    }
}

/// Removes every field whose path (named as [`given_paths`] names it) is in `paths`, and the
/// tables they leave empty, in one walk.
fn remove_paths(table: &mut toml::Table, paths: &std::collections::HashSet<String>) {
    fn walk(prefix: &str, v: &mut toml::Value, paths: &std::collections::HashSet<String>) -> bool {
        match v {
            toml::Value::Table(t) => {
                let before = t.len();
                t.retain(|k, v| !walk(&format!("{prefix}.{k}"), v, paths));
                // A table emptied by the removal goes too; one given empty stays.
                t.is_empty() && before > 0
            }
            toml::Value::Array(items) if items.iter().all(|i| i.is_table()) && !items.is_empty() => {
                for (i, item) in items.iter_mut().enumerate() {
                    let name = item.get("name").and_then(|n| n.as_str()).map_or_else(|| i.to_string(), str::to_string);
                    walk(&format!("{prefix}.{name}"), item, paths);
                }
                false
            }
            _ => paths.contains(prefix),
        }
    }
    table.retain(|k, v| NOT_DESIGN.contains(&k) || !walk(k, v, paths));
}

/// The given fields of `table` (the scenario's merged TOML) that are inert in `s`, with why.
pub(crate) fn inert_given(table: &toml::Table, s: &Scenario) -> Vec<(String, String)> {
    // Arms found by name through a map: linear in the arms, however many a scenario has.
    let arms: std::collections::HashMap<&str, usize> =
        s.arms.iter().enumerate().map(|(i, a)| (a.name.as_str(), i)).collect();
    given_paths(table)
        .into_iter()
        .filter_map(|p| why_inert_among(s, &p, |n| arms.get(n).copied()).map(|why| (p, why)))
        .collect()
}

fn nobody_low_in_vitamin_d(at: &At) -> Option<String> {
    at.s.vitamin_d.as_ref().filter(|v| v.deficiency_prevalence == 0.0).map(|_| {
        "vitamin_d.deficiency_prevalence = 0: nobody is low in vitamin D (the neutral value); set a prevalence, or \
         remove it"
            .into()
    })
}

fn everyone_low_in_vitamin_d(at: &At) -> Option<String> {
    at.s.vitamin_d.as_ref().filter(|v| v.deficiency_prevalence == 1.0).map(|_| {
        "vitamin_d.deficiency_prevalence = 1: everyone is low in vitamin D, whatever their Mg status: remove it".into()
    })
}

fn every_mg_arm_gives_vitamin_d(at: &At) -> Option<String> {
    // A calibration's published trial gave Mg alone: the multiplier scales its benefit.
    if at.s.response.calibration.is_some() {
        return None;
    }
    let all = at.s.arms.iter().filter(|a| a.kind == ArmKind::Active).all(|a| a.vitamin_d == Some(true));
    all.then(|| {
        "every Mg arm gives vitamin D (arms.<name>.vitamin_d = true), so the multiplier scales nobody's benefit: \
         remove it"
            .into()
    })
}

fn no_vitamin_d_test(at: &At) -> Option<String> {
    let v = at.s.vitamin_d.as_ref()?;
    if v.deficiency_prevalence == 0.0 {
        return nobody_low_in_vitamin_d(at);
    }
    (v.enrol == crate::scenario::schema::VitaminDEnrolment::Any).then(|| {
        "vitamin_d.enrol = \"any\" enrols whatever a vitamin D test reads: set enrol = \"deficient\" or \
         \"replete\", or remove it"
            .into()
    })
}

fn vitamin_d_scales_nothing(at: &At) -> Option<String> {
    let arm = &at.s.arms[at.arm?];
    let Some(v) = &at.s.vitamin_d else {
        return Some("there is no [vitamin_d] section, so vitamin D changes nothing: add it, or remove this".into());
    };
    if arm.vitamin_d != Some(true) {
        return None;
    }
    (v.deficiency_prevalence == 0.0 || v.benefit_multiplier_if_deficient == Some(1.0)).then(|| {
        "nobody low in vitamin D loses any benefit here (vitamin_d.deficiency_prevalence is 0, or \
         benefit_multiplier_if_deficient is 1): remove it, or set them"
            .into()
    })
}

fn screening_assay_unpriced(at: &At) -> Option<String> {
    let s = at.s;
    if !crate::scenario::validate::costs::assay_read_at_entry(s) {
        return Some(
            "selection.mode = \"all_comers\" without strata tests nobody to enter, so no one is screened with an \
             assay at a price: remove it"
                .into(),
        );
    }
    (s.biomarker.kind.label() != at.key).then(|| {
        format!("the screening assay is biomarker.type = \"{}\", not `{}`: remove it", s.biomarker.kind.label(), at.key)
    })
}

fn confirmation_assay_unpriced(at: &At) -> Option<String> {
    let s = at.s;
    if s.selection.mode != SelectionMode::TwoStage {
        return Some("only selection.mode = \"two_stage\" gives confirmatory tests: remove it".into());
    }
    (s.confirmation.kind.label() != at.key).then(|| {
        format!(
            "the confirmatory assay is confirmation.type = \"{}\", not `{}`: remove it",
            s.confirmation.kind.label(),
            at.key
        )
    })
}

fn no_vitamin_d_test_to_price(at: &At) -> Option<String> {
    let tested =
        at.s.vitamin_d.as_ref().is_some_and(|v| {
            v.enrol != crate::scenario::schema::VitaminDEnrolment::Any && v.deficiency_prevalence > 0.0
        });
    (!tested).then(|| {
        "nobody is given a vitamin D test (it needs [vitamin_d] with enrol = \"deficient\" or \"replete\"): \
         remove it"
            .into()
    })
}

fn acute_weeks_unpriced(at: &At) -> Option<String> {
    (at.s.response.model == ResponseModel::Acute).then(|| {
        "response.model = \"acute\" follows a participant for hours, not weeks: put that visit's cost in \
         costs.per_enrolled, and remove it"
            .into()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_match_one_key_or_a_section() {
        assert!(matches("arms.*.dose_mg_per_day", "arms.mg.dose_mg_per_day"));
        assert!(!matches("arms.*.dose_mg_per_day", "arms.mg.n"));
        assert!(matches("confirmation.**", "confirmation.type"));
        assert!(!matches("confirmation.**", "selection.confirm_threshold"));
        assert!(!matches("selection.threshold", "selection.threshold.x"));
    }

    #[test]
    fn array_elements_are_named() {
        let t: toml::Table =
            "[[arms]]\nname = \"a\"\nkind = \"placebo\"\n[selection]\nmode = \"enrich\"\n".parse().unwrap();
        assert_eq!(given_paths(&t), ["arms.a.name", "arms.a.kind", "selection.mode"]);
    }
}
