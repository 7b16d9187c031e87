//! Semantic checks of a parsed scenario: ranges, required fields and combinations.
//!
//! Type errors, unknown fields and unknown names are caught earlier by the TOML reader; this
//! module catches values that parse but make no sense. Each error names the field by its
//! dotted path and says which values are allowed.

mod combination;
mod comparisons;
pub(crate) mod costs;
mod crossover;
mod missing;
pub(crate) mod uncertainty;
mod vitamin_d;

use crate::scenario::schema::MAX_WEEKS;
use crate::scenario::schema::{AbsorptionModel, Formulation};
use crate::scenario::schema::{
    ArmKind, Biomarker, Direction, MAX_ARMS_WITH_DUNNETT, MAX_COMPARISONS, Multiplicity, PopulationModel,
    ResponderRule, ResponseModel, Scenario, SelectionMode, TestKind,
};

/// Most participants one simulated trial may enrol, over all arms.
pub(crate) const MAX_ENROLLED: u64 = 10_000_000;
/// Largest allocation ratio of an arm.
pub(crate) const MAX_ALLOCATION: u32 = 100;
/// Largest number of allocation-ratio repeats per randomization block.
pub(crate) const MAX_BLOCKS_PER_RATIO: u32 = 100;

/// `(field path, message)` of the first problem found.
pub(crate) type Problem = (String, String);

pub fn check(ok: bool, field: impl Into<String>, message: impl Into<String>) -> Result<(), Problem> {
    if ok { Ok(()) } else { Err((field.into(), message.into())) }
}

/// Largest magnitude of a value on the outcome scale (scores, changes, effects, SDs). Far
/// beyond any rating scale, and small enough that sums of squares over a trial stay exact
/// to many digits in f64.
pub(crate) const MAX_OUTCOME_MAGNITUDE: f64 = 1e6;
/// Largest magnitude of a Mg concentration or biomarker value (mmol/L, or percent excreted for
/// the loading test, whose default scale is 127 % per mmol/L).
pub(crate) const MAX_MG_MAGNITUDE: f64 = 1000.0;
/// Smallest reliability of the outcome instrument: below it, the measurement error SD is more
/// than 10 times the true between-person SD and the scale measures nothing.
pub(crate) const MIN_RELIABILITY: f64 = 0.01;
/// Smallest Beta shape `mean c` or `(1 - mean) c` of per-person adherence: smaller shapes put
/// nearly all mass at 0 and 1 and underflow the gamma draws.
pub(crate) const MIN_ADHERENCE_SHAPE: f64 = 0.05;
/// Largest adherence concentration (beyond it adherence is the same for everyone).
pub(crate) const MAX_ADHERENCE_CONCENTRATION: f64 = 1e6;
/// Smallest significance level: below it the tabulated t quantiles at 1 to 3 df lose the
/// accuracy the exact decisions rely on.
pub(crate) const MIN_ALPHA: f64 = 1e-6;
/// Largest elemental dose (mg/day), and largest dose scale of the response.
pub(crate) const MAX_DOSE_MG_PER_DAY: f64 = 1e5;

/// Most intakes a daily dose is split into.
pub(crate) const MAX_INTAKES_PER_DAY: u32 = 12;

/// Most repeated measurements (biomarker readings or outcome assessments) per occasion.
pub(crate) const MAX_REPEATS: u32 = 1000;

/// `v` within `[lo, hi]`; the message gives the range and `unit`.
fn within(field: &str, v: f64, lo: f64, hi: f64, unit: &str) -> Result<(), Problem> {
    check(
        v.is_finite() && (lo..=hi).contains(&v),
        field,
        format!("{v} is out of range: allowed values are {lo} to {hi}{unit}"),
    )
}

/// A whole number from 1 to `max`.
fn count(field: &str, v: u32, max: u32) -> Result<(), Problem> {
    check((1..=max).contains(&v), field, format!("{v}: allowed values are 1 to {max} (whole numbers)"))
}

/// A finite value above 0 and at most `max`.
fn positive_up_to(field: &str, v: f64, max: f64, unit: &str) -> Result<(), Problem> {
    check(
        v.is_finite() && v > 0.0 && v <= max,
        field,
        format!("{v}: allowed values are above 0 and at most {max}{unit}"),
    )
}

/// A finite value on the outcome scale.
fn outcome_value(field: &str, v: f64) -> Result<(), Problem> {
    within(field, v, -MAX_OUTCOME_MAGNITUDE, MAX_OUTCOME_MAGNITUDE, " outcome units")
}

/// A positive SD on the outcome scale.
fn outcome_sd(field: &str, v: f64) -> Result<(), Problem> {
    positive_sd(field, v)?;
    within(field, v, 0.0, MAX_OUTCOME_MAGNITUDE, " outcome units")
}

/// A Mg concentration or biomarker value.
fn mg_value(field: &str, v: f64) -> Result<(), Problem> {
    within(field, v, -MAX_MG_MAGNITUDE, MAX_MG_MAGNITUDE, "")
}

/// A positive SD of Mg status or of a biomarker.
fn mg_sd(field: &str, v: f64) -> Result<(), Problem> {
    positive_sd(field, v)?;
    within(field, v, 0.0, MAX_MG_MAGNITUDE, "")
}

fn probability(field: &str, v: f64) -> Result<(), Problem> {
    check((0.0..=1.0).contains(&v), field, format!("{v} is not a probability: allowed values are 0 to 1"))
}

fn positive_sd(field: &str, v: f64) -> Result<(), Problem> {
    check(v.is_finite() && v > 0.0, field, format!("{v} is not a valid SD: it must be greater than 0"))
}

fn non_negative(field: &str, v: f64) -> Result<(), Problem> {
    check(v.is_finite() && v >= 0.0, field, format!("{v} is not allowed: it must be 0 or more"))
}

fn dropout(field: &str, v: f64) -> Result<(), Problem> {
    probability(field, v)?;
    check(v < 1.0, field, "a dropout probability of 1 leaves nobody to analyse: allowed values are 0 to below 1")
}

/// Checks an assay section (`[biomarker]` or `[confirmation]`).
fn biomarker(section: &str, b: &Biomarker) -> Result<(), Problem> {
    let f = |name: &str| format!("{section}.{name}");
    count(&f("repeats"), b.repeats, MAX_REPEATS)?;
    if let Some(v) = b.scale {
        check(
            v.is_finite() && v > 0.0,
            f("scale"),
            format!("{v}: the scale must be greater than 0 (a low reading must mean low Mg)"),
        )?;
        within(&f("scale"), v, 0.0, MAX_MG_MAGNITUDE, " assay units per mmol/L")?;
    }
    if let Some(v) = b.bias {
        mg_value(&f("bias"), v)?;
    }
    for (name, v) in [("persistent_sd", b.persistent_sd), ("repeat_sd", b.repeat_sd)] {
        if let Some(v) = v {
            non_negative(&f(name), v)?;
            mg_value(&f(name), v)?;
        }
    }
    if let Some(v) = b.normal_low {
        mg_value(&f("normal_low"), v)?;
    }
    Ok(())
}

pub fn validate(s: &Scenario) -> Result<(), Problem> {
    let p = &s.population;
    probability("population.deficiency_prevalence", p.deficiency_prevalence)?;
    mg_value("population.deficient_mean_mmol_per_l", p.deficient_mean_mmol_per_l)?;
    mg_value("population.replete_mean_mmol_per_l", p.replete_mean_mmol_per_l)?;
    mg_value("population.mean_mmol_per_l", p.mean_mmol_per_l)?;
    mg_sd("population.deficient_sd_mmol_per_l", p.deficient_sd_mmol_per_l)?;
    mg_sd("population.replete_sd_mmol_per_l", p.replete_sd_mmol_per_l)?;
    mg_sd("population.sd_mmol_per_l", p.sd_mmol_per_l)?;
    mg_value("population.replete_target_mmol_per_l", p.replete_target_mmol_per_l)?;
    mg_value("population.deficiency_cutoff_mmol_per_l", p.deficiency_cutoff_mmol_per_l)?;

    biomarker("biomarker", &s.biomarker)?;
    biomarker("confirmation", &s.confirmation)?;
    for (section, b) in [("biomarker", &s.biomarker), ("confirmation", &s.confirmation)] {
        literature_range(
            s,
            &format!("{section}.repeats"),
            f64::from(b.repeats),
            1.0,
            f64::from(MAX_PLAUSIBLE_REPEATS),
            "readings averaged per occasion (UNVERIFIED bound)",
        )?;
    }

    let sel = &s.selection;
    if let Some(t) = sel.threshold {
        mg_value("selection.threshold", t)?;
    }
    if let Some(t) = sel.confirm_threshold {
        mg_value("selection.confirm_threshold", t)?;
    }
    check(
        sel.mode != SelectionMode::TwoStage || s.confirmation.kind != s.biomarker.kind,
        "confirmation.type",
        format!(
            "two-stage screening confirms with a different assay from the first ({} twice): a second reading \
             of the same assay shares the person's lasting deviation, which the two-stage model does not \
             represent; to average repeated readings of one assay use biomarker.repeats, or confirm with \
             another type (serum_total, ionized, red_cell, loading_test)",
            s.biomarker.kind.label()
        ),
    )?;
    count("selection.blocks_per_ratio", sel.blocks_per_ratio, MAX_BLOCKS_PER_RATIO)?;
    check(
        (1e-9..=1.0).contains(&sel.min_enrolment_probability),
        "selection.min_enrolment_probability",
        format!("{}: allowed values are 1e-9 to 1", sel.min_enrolment_probability),
    )?;
    if p.model == PopulationModel::None {
        check(
            sel.mode == SelectionMode::AllComers,
            "selection.mode",
            "selection by a biomarker needs Mg status: set population.model to \"mixture\" or \"normal\"",
        )?;
        check(
            s.response.model != ResponseModel::Repletion,
            "response.model",
            "the repletion response needs Mg status: set population.model to \"mixture\" or \"normal\"",
        )?;
    }

    check(!s.arms.is_empty(), "arms", "no arms: add a placebo arm and at least one active arm ([[arms]] tables)")?;
    comparisons::arms(s, s.outcome.count.is_some())?;
    let mut names = std::collections::HashSet::with_capacity(s.arms.len());
    for (i, arm) in s.arms.iter().enumerate() {
        let f = |name: &str| format!("arms[{i}].{name}");
        check(!arm.name.trim().is_empty(), f("name"), "an arm needs a non-empty name")?;
        check(
            names.insert(arm.name.as_str()),
            f("name"),
            format!("`{}` is used by two arms: arm names must be unique", arm.name),
        )?;
        // Without Mg status an arm's exposure changes nothing (see `inert.rs`).
        // Nor does it under the acute response, whose effect does not wait for repletion.
        // Nor in a crossover under the fixed response, which reports no reading at the end.
        let fixed_crossover = s.crossover.is_some() && s.response.model == ResponseModel::Fixed;
        if arm.kind == ArmKind::Active
            && p.model != PopulationModel::None
            && s.response.model != ResponseModel::Acute
            && !fixed_crossover
        {
            check(
                arm.formulation.is_some() || arm.bioavailability.is_some(),
                f("formulation"),
                format!(
                    "an active arm needs a formulation ({}) or its own bioavailability",
                    Formulation::ALL.map(Formulation::label).join(", ")
                ),
            )?;
            let dose = arm
                .dose_mg_per_day
                .ok_or_else(|| (f("dose_mg_per_day"), "an active arm needs a dose in elemental mg/day".to_string()))?;
            within(&f("dose_mg_per_day"), dose, 0.0, MAX_DOSE_MG_PER_DAY, " mg/day")?;
            let oral = arm.formulation != Some(Formulation::IvSulfate);
            if s.absorption.model == AbsorptionModel::Saturable && oral && arm.intakes_per_day.is_none() {
                return Err((
                    f("intakes_per_day"),
                    format!(
                        "under absorption.model = \"saturable\" each intake is absorbed on its own curve, so the split \
                         of the daily dose matters: give the number of intakes per day (1 to {MAX_INTAKES_PER_DAY}; \
                         2 for 2 x 250 mg)"
                    ),
                ));
            }
        }
        if let Some(v) = arm.intakes_per_day {
            count(&f("intakes_per_day"), v, MAX_INTAKES_PER_DAY)?;
        }
        if let Some(v) = arm.bioavailability {
            probability(&f("bioavailability"), v)?;
        }
        probability(&f("adherence_mean"), arm.adherence_mean())?;
        let (m, c) = (arm.adherence_mean(), arm.adherence_concentration);
        within(&f("adherence_concentration"), c, 0.0, MAX_ADHERENCE_CONCENTRATION, "")?;
        check(
            !(m > 0.0 && m < 1.0) || m.min(1.0 - m) * c >= MIN_ADHERENCE_SHAPE,
            f("adherence_concentration"),
            format!(
                "{c} with adherence_mean {m} gives a Beta shape below {MIN_ADHERENCE_SHAPE}: allowed values are at \
                 least {:.4} for this mean",
                MIN_ADHERENCE_SHAPE / m.min(1.0 - m)
            ),
        )?;
        if let Some(v) = arm.allocation {
            count(&f("allocation"), v, MAX_ALLOCATION)?;
        }
        if let Some(v) = arm.n {
            check(v >= 2, f("n"), format!("{v}: at least 2 participants per arm are needed"))?;
        }
        if let Some(v) = arm.dropout {
            dropout(&f("dropout"), v)?;
        }
    }
    let a = &s.absorption;
    positive_up_to("absorption.max_active_mg_per_intake", a.max_active_mg_per_intake, MAX_DOSE_MG_PER_DAY, " mg")?;
    positive_up_to(
        "absorption.half_saturation_mg_per_intake",
        a.half_saturation_mg_per_intake,
        MAX_DOSE_MG_PER_DAY,
        " mg",
    )?;
    probability("absorption.passive_fraction", a.passive_fraction)?;
    let o = &s.bioavailability;
    for (name, v) in [
        ("oxide", o.oxide),
        ("citrate", o.citrate),
        ("chloride", o.chloride),
        ("lactate", o.lactate),
        ("glycinate", o.glycinate),
        ("l_threonate", o.l_threonate),
        ("iv_sulfate", o.iv_sulfate),
    ] {
        if let Some(v) = v {
            probability(&format!("bioavailability.{name}"), v)?;
        }
    }

    legacy_fields(s)?;
    let counts = s.outcome.count.is_some();
    let r = &s.response;
    effect_stated(s, counts)?;
    if let Some(v) = r.delta {
        outcome_value("response.delta", v)?;
    }
    if let Some(v) = r.max_effect {
        outcome_value("response.max_effect", v)?;
    }
    for (name, v) in [
        ("rate_ratio", r.rate_ratio),
        ("max_rate_ratio", r.max_rate_ratio),
        ("replete_rate_ratio", r.replete_rate_ratio),
    ] {
        if let Some(v) = v {
            check(
                v.is_finite() && v > 0.0 && v <= 100.0,
                format!("response.{name}"),
                format!(
                    "{v} is not allowed: a rate ratio is above 0 (1 is no effect, below 1 fewer events) and at most 100"
                ),
            )?;
        }
    }
    if let Some(c) = &r.calibration {
        calibration_spec(s, c, counts)?;
    }
    harm(s)?;
    overshoot(s, counts)?;
    if let Some(v) = r.effect_replete {
        outcome_value("response.effect_replete", v)?;
    }
    mg_sd("response.ref_deficit_mmol_per_l", r.ref_deficit_mmol_per_l).map_err(|(f, _)| {
        (f, format!("the reference deficit must be above 0 and at most {MAX_MG_MAGNITUDE} mmol/L"))
    })?;
    positive_up_to("response.tau_weeks", r.tau_weeks, MAX_WEEKS, " weeks")?;
    within("response.a50_mg_per_day", r.a50_mg_per_day, 0.0, MAX_DOSE_MG_PER_DAY, " mg/day")?;

    if counts {
        count_outcome(s)?;
    } else {
        scale_outcome(s)?;
    }
    dropout("dropout.placebo", s.dropout.placebo)?;
    dropout("dropout.active", s.dropout.active)?;
    crossover::crossover(s, counts)?;
    missing::missing_data(s, counts)?;
    combination::independent_effects(s, counts)?;
    vitamin_d::vitamin_d(s)?;
    costs::costs(s)?;
    uncertainty::uncertainty(s)?;
    analysis(s, counts)?;
    design(s)
}

/// The fields of `[outcome]` that only a scale has, and those that only a count has.
const SCALE_ONLY: [&str; 9] = [
    "scale",
    "direction",
    "natural_improvement",
    "placebo_improvement",
    "change_sd",
    "reliability",
    "assessments",
    "min",
    "max",
];
const COUNT_ONLY: [&str; 5] = ["theta", "baseline_weeks", "followup_weeks", "placebo_reduction_percent", "period_cv"];

fn count_outcome(s: &Scenario) -> Result<(), Problem> {
    let o = &s.outcome;
    let scale_fields = [
        o.scale.is_some(),
        o.direction.is_some(),
        o.natural_improvement.is_some(),
        o.placebo_improvement.is_some(),
        o.change_sd.is_some(),
        o.reliability.is_some(),
        o.assessments.is_some(),
        o.min.is_some(),
        o.max.is_some(),
    ];
    if let Some(k) = scale_fields.iter().position(|&given| given) {
        return Err((
            format!("outcome.{}", SCALE_ONLY[k]),
            format!(
                "belongs to a rating scale, but outcome.count makes this a count outcome (fewer is better; the \
                 placebo response is outcome.placebo_reduction_percent): remove it. Count fields are baseline_mean, \
                 baseline_sd, {}",
                COUNT_ONLY.join(", ")
            ),
        ));
    }
    check(o.integer.is_none(), "outcome.integer", "counts are whole numbers already: remove outcome.integer")
    // The windows, moments and magnitudes of the count model are checked as the model is
    // built ([`crate::model::outcome::count::checked`]).
}

fn scale_outcome(s: &Scenario) -> Result<(), Problem> {
    let o = &s.outcome;
    let count_fields = [
        o.theta.is_some(),
        o.baseline_weeks.is_some(),
        o.followup_weeks.is_some(),
        o.placebo_reduction_percent.is_some(),
        o.period_cv.is_some(),
    ];
    if let Some(k) = count_fields.iter().position(|&given| given) {
        return Err((
            format!("outcome.{}", COUNT_ONLY[k]),
            "belongs to a count outcome: set outcome.count = \"attacks\" or \"migraine_days\", or remove it".into(),
        ));
    }
    let (out, _) = crate::scenario::scales::resolve_in(s)?;
    outcome_value("outcome.baseline_mean", out.baseline_mean)?;
    outcome_sd("outcome.baseline_sd", out.baseline_sd)?;
    outcome_value("outcome.natural_improvement", out.natural_change)?;
    outcome_value("outcome.placebo_improvement", out.placebo_response)?;
    // The published placebo effects are standardized by the scores' SD; without a preset or a
    // baseline SD (which then reaches no output) the SD of the change stands in.
    let (lo, hi) = PLACEBO_IMPROVEMENT_SD_RANGE;
    let (sd, of) = if o.scale.is_some() || o.baseline_sd.is_some() {
        (out.baseline_sd, "baseline SDs")
    } else {
        (out.change_sd, "SDs of the true change")
    };
    literature_range(
        s,
        "outcome.placebo_improvement",
        out.improvement(out.placebo_response),
        lo * sd,
        hi * sd,
        &format!(
            "{} (that is {lo} to {hi} {of} of {}: placebo pre-post effects reach d 1.69 overall and 1.85 \
             clinician-rated [Rief09]; wait-list change d 0.5 [Rutherford12])",
            out.unit,
            if (1e-3..1e6).contains(&sd) { format!("{sd}") } else { format!("{sd:e}") }
        ),
    )?;
    outcome_sd("outcome.change_sd", out.change_sd)?;
    check(
        out.reliability >= MIN_RELIABILITY && out.reliability <= 1.0,
        "outcome.reliability",
        format!("{} is not allowed: the reliability must be {MIN_RELIABILITY} to 1", out.reliability),
    )?;
    count("outcome.assessments", out.assessments, MAX_REPEATS)?;
    literature_range(
        s,
        "outcome.assessments",
        f64::from(out.assessments),
        1.0,
        f64::from(MAX_PLAUSIBLE_REPEATS),
        "assessments per occasion (trials rate once or a few times a visit; UNVERIFIED bound)",
    )?;
    // Without a preset the baseline's level and spread are given wherever they reach an output.
    if o.scale.is_none() {
        let level = crate::scenario::inert::baseline_level_matters(s);
        for (name, given, needed, why) in [
            (
                "baseline_mean",
                o.baseline_mean.is_some(),
                level,
                "ANCOVA, a responder rule, or a bounded or rounded scale",
            ),
            (
                "baseline_sd",
                o.baseline_sd.is_some(),
                level || out.reliability < 1.0,
                "ANCOVA, a responder rule, a bounded or rounded scale, or measurement error (reliability below 1)",
            ),
        ] {
            check(
                given || !needed,
                format!("outcome.{name}"),
                format!(
                    "the outcome has no preset and does not give {name}, which this design needs ({why}): give it, \
                     or name a preset with outcome.scale ({})",
                    crate::scenario::scales::preset_names()
                ),
            )?;
        }
    }
    // An infinite bound is no bound (-inf for min, inf for max); a finite one is on the scale.
    for (name, v, unbounded) in [("outcome.min", out.min, f64::NEG_INFINITY), ("outcome.max", out.max, f64::INFINITY)] {
        if v != unbounded {
            outcome_value(name, v)?;
        }
    }
    check(out.min < out.max, "outcome.min", format!("min {} must be below max {}", out.min, out.max))?;
    check(
        !out.baseline_mean.is_finite() || (out.min < out.baseline_mean && out.baseline_mean < out.max),
        "outcome.baseline_mean",
        format!(
            "{} lies outside the scale's bounds {} to {}: allowed values are strictly between them",
            out.baseline_mean, out.min, out.max
        ),
    )?;

    Ok(())
}

fn analysis(s: &Scenario, counts: bool) -> Result<(), Problem> {
    let a = &s.analysis;
    check(
        (MIN_ALPHA..=0.5).contains(&a.alpha),
        "analysis.alpha",
        format!("{} is not allowed: alpha must be {MIN_ALPHA} to 0.5", a.alpha),
    )?;
    let allowed = |counts: bool| {
        TestKind::ALL.iter().filter(|t| counts || !t.needs_counts()).map(|t| t.label()).collect::<Vec<_>>().join(", ")
    };
    for (field, t) in std::iter::once(("analysis.test", a.primary(counts)))
        .chain(a.secondary.iter().map(|&t| ("analysis.secondary", t)))
    {
        check(
            counts || !t.needs_counts(),
            field,
            format!(
                "`{}` analyses counts, but the outcome is a rating scale: allowed values are {}",
                t.label(),
                allowed(false)
            ),
        )?;
    }
    check(
        a.primary(counts) != TestKind::Poisson,
        "analysis.test",
        "Poisson regression ignores the overdispersion of migraine counts and rejects 10.7% of null trials at \
         alpha 0.05 (Peikert's design, docs/analyses.md): it cannot be the primary analysis, nor what sample-size \
         solves for; use negbin_wald, negbin_lr or quasi_poisson, and keep poisson among analysis.secondary to see \
         how far it overstates power",
    )?;
    let r = &a.responder;
    check(
        r.fraction > 0.0 && r.fraction <= 1.0,
        "analysis.responder.fraction",
        format!("{} is not allowed: a responder improves by a share of the baseline above 0 and at most 1", r.fraction),
    )?;
    let responder_calibration = s.response.calibration.as_ref().is_some_and(|c| c.active_responder_percent.is_some());
    let responder_comparator = s.arms.iter().any(|arm| arm.responder_percent.is_some());
    if a.all(counts).iter().any(|t| t.is_responder()) || responder_calibration || responder_comparator {
        responder_rule(s, counts)?;
    }
    comparisons::comparisons(s, counts)?;
    multiplicity(s, counts)?;
    dose_trend(s, counts)?;
    if a.by_stratum == Some(true) {
        check(
            matches!(s.selection.mode, SelectionMode::Stratify | SelectionMode::AllComers),
            "analysis.by_stratum",
            "strata are compared only when everyone screened is enrolled (selection.mode = \"stratify\" or \
             \"all_comers\"): enrichment enrols one stratum only",
        )?;
        check(
            s.population.model != PopulationModel::None,
            "analysis.by_stratum",
            "strata are biomarker readings, which need Mg status: population.model = \"none\" has none",
        )?;
    }
    Ok(())
}

/// `analysis.multiplicity`: stated whenever there are several comparisons with placebo (how
/// they are adjusted changes every power), refused with one (it would change nothing); Dunnett
/// only where its pooled model applies.
fn multiplicity(s: &Scenario, counts: bool) -> Result<(), Problem> {
    let a = &s.analysis;
    let n = crate::scenario::comparisons::count(s);
    let allowed = || Multiplicity::ALL.iter().map(|m| format!("\"{}\"", m.label())).collect::<Vec<_>>().join(", ");
    // With one comparison the field is inert, and refused as such (`inert.rs`), so that a
    // sweep over the arms can give it for the points with several.
    let Some(procedure) = a.multiplicity.filter(|_| n >= 2) else {
        return check(
            n < 2,
            "analysis.multiplicity",
            format!(
                "the trial makes {n} comparisons: say how they hold the family-wise error rate, one of {} (\"none\" \
                 tests each at alpha and reports the inflated error rate)",
                allowed()
            ),
        );
    };
    check(
        n <= MAX_COMPARISONS,
        "arms",
        format!("{n} comparisons with a multiplicity procedure: at most {MAX_COMPARISONS}"),
    )?;
    if procedure == Multiplicity::Dunnett {
        check(
            s.arms.len() <= MAX_ARMS_WITH_DUNNETT,
            "arms",
            format!(
                "{} arms under Dunnett's test: its ANCOVA of all arms at once fits at most {MAX_ARMS_WITH_DUNNETT}; \
                 use \"holm\" or \"hochberg\" for more",
                s.arms.len()
            ),
        )?;
        let tests = a.all(counts);
        check(
            tests.iter().all(|&t| t == TestKind::Ancova),
            "analysis.multiplicity",
            format!(
                "Dunnett's test compares every arm with placebo in one ANCOVA (pooled variance and baseline slope), so \
                 every analysis must be ancova, not {}: use \"holm\" or \"hochberg\" for other analyses",
                tests.iter().filter(|&&t| t != TestKind::Ancova).map(|t| t.label()).collect::<Vec<_>>().join(", ")
            ),
        )?;
        let placebo = s.arms.iter().position(|a| a.kind == ArmKind::Placebo);
        let many_to_one = crate::scenario::comparisons::resolved(s)
            .iter()
            .all(|c| Some(c.against) == placebo && c.hypothesis == crate::scenario::schema::Hypothesis::Superiority);
        check(
            many_to_one,
            "analysis.multiplicity",
            "Dunnett's test compares every arm with one placebo for superiority, and this trial makes other \
             comparisons (against a comparator or another arm, or against a margin): use \"holm\", \"hochberg\" or \
             \"bonferroni\"",
        )?;
        check(
            a.by_stratum != Some(true) && !(a.by_stratum.is_none() && s.selection.mode == SelectionMode::Stratify),
            "analysis.by_stratum",
            "Dunnett's test is made over everyone analysed (adjusted for the stratum under stratified \
             randomization), not by stratum: set analysis.by_stratum = false, or use \"holm\" or \"hochberg\"",
        )?;
    }
    Ok(())
}

/// `analysis.dose_trend`: a contrast over placebo and the active arms in one ANCOVA, so the
/// primary analysis is ANCOVA, at most [`MAX_ARMS_WITH_DUNNETT`] arms, and the active arms'
/// doses differ (a trend over equal doses is not defined). With one active arm the field is
/// inert (`inert.rs`).
fn dose_trend(s: &Scenario, counts: bool) -> Result<(), Problem> {
    let actives: Vec<&crate::scenario::schema::Arm> = s.arms.iter().filter(|a| a.kind == ArmKind::Active).collect();
    if s.analysis.dose_trend.is_none() || actives.len() < 2 {
        return Ok(());
    }
    check(
        s.arms.iter().all(|a| a.kind != ArmKind::Comparator) && s.arms.iter().any(|a| a.kind == ArmKind::Placebo),
        "analysis.dose_trend",
        "the trend is over placebo (dose 0) and the Mg arms only: a trial with a comparator arm, or without \
         placebo, has no dose scale for every arm; remove it",
    )?;
    check(
        s.analysis.primary(counts) == TestKind::Ancova,
        "analysis.dose_trend",
        format!(
            "the trend is a contrast of the arms' means in one ANCOVA over all arms, so analysis.test must be ancova, \
             not {}",
            s.analysis.primary(counts).label()
        ),
    )?;
    check(
        s.arms.len() <= MAX_ARMS_WITH_DUNNETT,
        "arms",
        format!(
            "{} arms with a dose trend: its ANCOVA of all arms at once fits at most {MAX_ARMS_WITH_DUNNETT}",
            s.arms.len()
        ),
    )?;
    let without: Vec<&str> = actives.iter().filter(|a| a.dose_mg_per_day.is_none()).map(|a| a.name.as_str()).collect();
    check(
        without.is_empty(),
        "analysis.dose_trend",
        format!(
            "the trend scores each active arm by its dose, and {} give none: add arms.<name>.dose_mg_per_day",
            without.join(", ")
        ),
    )?;
    let mut doses: Vec<f64> = actives.iter().filter_map(|a| a.dose_mg_per_day).collect();
    doses.sort_by(f64::total_cmp);
    check(
        doses.windows(2).all(|w| w[0] < w[1]),
        "analysis.dose_trend",
        format!(
            "the active arms' doses ({} mg/day) repeat: a trend over dose needs a different dose in each active arm",
            doses.iter().map(|d| d.to_string()).collect::<Vec<_>>().join(", ")
        ),
    )
}

/// A responder rule that can classify anyone on this outcome: relative improvement needs a
/// ratio scale (floor 0; room above the baseline when higher is better), and a remission
/// cut-off lies within the scale (counts: at least 0).
fn responder_rule(s: &Scenario, counts: bool) -> Result<(), Problem> {
    let r = &s.analysis.responder;
    let (min, max, baseline, direction, name) = if counts {
        (0.0, f64::INFINITY, 0.0, Direction::LowerIsBetter, "counts".to_string())
    } else {
        let (o, _) = crate::scenario::scales::resolve_in(s)?;
        (o.min, o.max, o.baseline_mean, o.direction, o.name)
    };
    match (r.rule, r.cutoff) {
        (ResponderRule::Remission, None) => Err((
            "analysis.responder.cutoff".into(),
            "the remission rule needs the follow-up value a remitter reaches, in outcome units (e.g. 7 on the \
             HAM-D-17)"
                .into(),
        )),
        (ResponderRule::Remission, Some(c)) => {
            outcome_value("analysis.responder.cutoff", c)?;
            check(
                (min..=max).contains(&c),
                "analysis.responder.cutoff",
                format!("{c} lies outside the range of {name}, {min} to {max}: nobody, or everyone, would remit"),
            )
        }
        (ResponderRule::RelativeImprovement, _) => {
            check(
                min == 0.0,
                "analysis.responder.rule",
                format!(
                    "a relative improvement (a share of the baseline) needs a scale whose floor is 0, and {name} runs \
                     from {min}: use rule = \"remission\" with a cutoff"
                ),
            )?;
            let room = (1.0 + r.fraction) * baseline;
            check(
                direction == Direction::LowerIsBetter || room <= max,
                "analysis.responder.fraction",
                format!(
                    "improving by {} of the mean baseline {baseline} needs a score of {room}, above the maximum \
                     {max} of {name}: choose a smaller fraction, or rule = \"remission\"",
                    r.fraction
                ),
            )
        }
    }
}

/// Most replicates at one design point; each keeps one bit per comparison in memory.
pub const MAX_REPS: u32 = 10_000_000;

/// Largest expected count in a window: far above any migraine diary, and small enough that
/// every count fits a fit's histogram (a test in `analysis::loglinear` holds it below
/// `MAX_COUNT`).
pub(crate) const MAX_EXPECTED_COUNT: f64 = 1e5;

/// Placebo improvement on a rating scale within the range of published trials, in baseline
/// SDs: pre-post placebo effects reach d 1.69 (1.85 clinician-rated) [Rief09]; a small
/// worsening is allowed, a large one needs `assumptions.beyond_literature`.
pub(crate) const PLACEBO_IMPROVEMENT_SD_RANGE: (f64, f64) = (-0.25, 2.0);

/// Largest expected benefit among the enrolled on a rating scale, in SDs of the observed
/// change: the upper 95% limit of the pooled SMD of Mg in depression is 1.44 (7 RCTs,
/// SMD 0.92) [Moabedi23]; MgT on a cognitive composite gave d 0.91 [Liu16].
pub(crate) const MAX_STANDARDIZED_EFFECT: f64 = 1.5;

/// Smallest expected rate ratio among the enrolled on a count outcome: oral Mg's pooled odds
/// ratio of attack frequency, 0.20 [Chiu16], the most extreme published figure.
pub(crate) const MIN_RATE_RATIO: f64 = 0.2;

/// Plausible length of a migraine diary's baseline window, weeks (4 in the Mg trials
/// [Peikert96], [Gaul15]; UNVERIFIED bounds).
pub(crate) const BASELINE_WEEKS_RANGE: (f64, f64) = (2.0, 12.0);

/// Plausible assessments averaged at one occasion (ratings or assay readings): trials take one
/// to a few (UNVERIFIED bound); more needs `assumptions.beyond_literature`.
pub(crate) const MAX_PLAUSIBLE_REPEATS: u32 = 10;

/// Fields whose published range `assumptions.beyond_literature` may lift.
pub(crate) const BEYOND_LITERATURE_FIELDS: [&str; 7] = [
    "outcome.placebo_improvement",
    "outcome.placebo_reduction_percent",
    "outcome.baseline_weeks",
    "outcome.assessments",
    "biomarker.repeats",
    "confirmation.repeats",
    "response.expected_effect",
];

/// `v` within the literature's `[lo, hi]` unless the scenario's assumptions lift it.
pub(crate) fn literature_range(
    s: &Scenario,
    field: &str,
    v: f64,
    lo: f64,
    hi: f64,
    unit_and_source: &str,
) -> Result<(), Problem> {
    check(
        s.assumptions.allows_beyond(field) || (lo..=hi).contains(&v),
        field,
        format!(
            "{v:.4} lies outside the range seen in the literature, {lo:.4} to {hi:.4} {unit_and_source}; check the \
             sign and unit, or to explore beyond it add \"{field}\" to assumptions.beyond_literature"
        ),
    )
}

/// Fields renamed so that their sign or unit cannot be misread: refused with the new name.
fn legacy_fields(s: &Scenario) -> Result<(), Problem> {
    let r = &s.response;
    let o = &s.outcome;
    let renamed = [
        (
            r.target_effect.is_some() || r.target_among.is_some() || r.target_arm.is_some(),
            "response.target_effect",
            "calibration targets are now a table: [response.calibration] with benefit (outcome units, positive when \
             the active arm did better), among and arm, and the published design in \
             [response.calibration.published_design]",
        ),
        (
            o.placebo_response.is_some(),
            "outcome.placebo_response",
            "renamed outcome.placebo_improvement, signed by benefit: \"BDI-II fell 10.4 on placebo\" is 10.4",
        ),
        (
            o.natural_change.is_some(),
            "outcome.natural_change",
            "renamed outcome.natural_improvement, signed by benefit: a natural decline is negative",
        ),
        (
            o.placebo_rate_ratio.is_some(),
            "outcome.placebo_rate_ratio",
            "replaced by outcome.placebo_reduction_percent, the published fall on placebo: \"-15.8%\" is 15.8",
        ),
    ];
    for (given, field, message) in renamed {
        check(!given, field, message)?;
    }
    for f in &s.assumptions.beyond_literature {
        check(
            BEYOND_LITERATURE_FIELDS.contains(&f.as_str()),
            "assumptions.beyond_literature",
            format!(
                "`{f}` has no published range to go beyond: allowed values are {}",
                BEYOND_LITERATURE_FIELDS.join(", ")
            ),
        )?;
    }
    Ok(())
}

/// The scenario states its effect in the outcome family's own fields: nothing is borrowed.
fn effect_stated(s: &Scenario, counts: bool) -> Result<(), Problem> {
    let r = &s.response;
    let family = if counts { "a count outcome" } else { "a rating scale" };
    // Fields of the other family: a number written for one unit is never read in another.
    let foreign: [(&str, bool, &str); 3] = if counts {
        [
            ("delta", r.delta.is_some(), "response.rate_ratio (e.g. 0.7 for 30% fewer events)"),
            (
                "max_effect",
                r.max_effect.is_some(),
                "response.max_rate_ratio (the rate ratio when ref_deficit_mmol_per_l is fully repleted, e.g. 0.6)",
            ),
            ("effect_replete", r.effect_replete.is_some(), "response.replete_rate_ratio"),
        ]
    } else {
        [
            ("rate_ratio", r.rate_ratio.is_some(), "response.delta (outcome units)"),
            ("max_rate_ratio", r.max_rate_ratio.is_some(), "response.max_effect (outcome units)"),
            ("replete_rate_ratio", r.replete_rate_ratio.is_some(), "response.effect_replete (outcome units)"),
        ]
    };
    for (name, given, instead) in foreign {
        check(
            !given,
            format!("response.{name}"),
            format!("is not a field of {family}, whose effect is given as {instead}"),
        )?;
    }
    let (fixed_field, max_field) = if counts { ("rate_ratio", "max_rate_ratio") } else { ("delta", "max_effect") };
    let (fixed_given, max_given) = if counts {
        (r.rate_ratio.is_some(), r.max_rate_ratio.is_some())
    } else {
        (r.delta.is_some(), r.max_effect.is_some())
    };
    match r.model {
        ResponseModel::Acute => {
            check(
                !counts,
                "response.model",
                "the acute response acts within hours of an infusion, on a rating scale measured then (e.g. \
                 outcome.scale = \"vas_pain\"); a count over weeks needs response.model = \"fixed\" or \"repletion\"",
            )?;
            check(
                r.acute_effect.is_some(),
                "response.acute_effect",
                "the effect is not given: the acute response needs response.acute_effect, the benefit of the \
                 infusion in outcome units at the assessment (positive for benefit), and optionally \
                 response.acute_effect_low_mg for those whose Mg is low",
            )?;
            let mg_arms = s.arms.iter().filter(|a| a.kind == ArmKind::Active).count();
            check(
                mg_arms <= 1,
                "arms",
                format!(
                    "{mg_arms} Mg arms under the acute response, which gives every Mg arm the same effect (a dose \
                     response of the acute effect is not modelled): keep one Mg arm, with its dose in its name"
                ),
            )
        }
        ResponseModel::Fixed => check(
            fixed_given,
            format!("response.{fixed_field}"),
            format!(
                "the effect is not given: the fixed response needs response.{fixed_field}, the effect of treatment \
                 on every treated participant ({})",
                if counts { "a rate ratio, below 1 for fewer events" } else { "outcome units, positive for benefit" }
            ),
        ),
        ResponseModel::Repletion => {
            check(
                !(max_given && r.calibration.is_some()),
                format!("response.{max_field}"),
                format!(
                    "both response.{max_field} and [response.calibration] are given: give {max_field}, or the \
                     calibration to have it solved, not both"
                ),
            )?;
            check(
                max_given || r.calibration.is_some(),
                format!("response.{max_field}"),
                format!(
                    "the effect is not given, and mgtrial borrows none: state response.{max_field} ({}), or the \
                     effect a published trial saw in [response.calibration] to have it solved, or use \
                     response.model = \"fixed\" with response.{fixed_field}",
                    if counts {
                        "the rate ratio of a person whose ref_deficit_mmol_per_l is fully repleted"
                    } else {
                        "the benefit, in outcome units, of repleting ref_deficit_mmol_per_l"
                    }
                ),
            )
        }
    }
}

/// `[response.calibration]`: one target of the outcome family, with its own fields.
fn calibration_spec(s: &Scenario, c: &crate::scenario::schema::CalibrationSpec, counts: bool) -> Result<(), Problem> {
    let r = &s.response;
    check(
        r.model == ResponseModel::Repletion,
        "response.calibration",
        "a calibration solves the repletion response's max_effect; under the fixed response give its effect \
         directly (response.delta, or response.rate_ratio on counts)",
    )?;
    check(
        s.arms.iter().any(|a| a.kind == ArmKind::Placebo),
        "response.calibration",
        "a calibration reproduces a published effect of Mg against placebo, and this trial has no placebo arm: give \
         response.max_effect (or max_rate_ratio) directly",
    )?;
    let benefit = c.benefit.is_some() || c.among.is_some();
    let reduction = c.active_reduction_percent.is_some() || c.placebo_reduction_percent.is_some();
    let responders = c.active_responder_percent.is_some() || c.placebo_responder_percent.is_some();
    let kinds = [benefit, reduction, responders].iter().filter(|&&k| k).count();
    check(
        kinds == 1,
        "response.calibration",
        "give one published effect: benefit and among (a rating scale's difference), active_reduction_percent and \
         placebo_reduction_percent (a count's fall in each arm), or active_responder_percent and \
         placebo_responder_percent",
    )?;
    let f = |name: &str| format!("response.calibration.{name}");
    // The published outcome's family decides which figures describe its effect.
    let counts = c.published_design.outcome.as_ref().map_or(counts, |o| o.count.is_some());
    if benefit {
        check(
            !counts,
            f("benefit"),
            "a count outcome's published effect is its fall in each arm: give active_reduction_percent and placebo_reduction_percent",
        )?;
        let v = c.benefit.ok_or_else(|| {
            (
                f("benefit"),
                "the published benefit is not given (outcome units, positive when the active arm did better)"
                    .to_string(),
            )
        })?;
        outcome_value(&f("benefit"), v)?;
        check(
            c.among.is_some(),
            f("among"),
            "among whom the benefit was seen is not given: \"observed_change\" (the published difference in mean \
             change of the completers), \"enrolled\" (the true mean benefit) or \"deficient\"",
        )?;
    }
    if reduction {
        check(
            counts,
            f("active_reduction_percent"),
            "a fall in counts calibrates a count outcome; on a rating scale give benefit and among",
        )?;
        for (name, v) in [
            ("active_reduction_percent", c.active_reduction_percent),
            ("placebo_reduction_percent", c.placebo_reduction_percent),
        ] {
            let v = v.ok_or_else(|| {
                (
                    f(name),
                    "both arms' published falls are needed, in percent (\"-41.6% vs -15.8%\" is 41.6 and 15.8)"
                        .to_string(),
                )
            })?;
            check(
                v.is_finite() && v < 100.0 && v > -1000.0,
                f(name),
                format!("{v} is not allowed: a fall in percent is below 100"),
            )?;
        }
    }
    if responders {
        for (name, v) in [
            ("active_responder_percent", c.active_responder_percent),
            ("placebo_responder_percent", c.placebo_responder_percent),
        ] {
            let v = v.ok_or_else(|| {
                (f(name), "both arms' published shares of responders are needed, in percent".to_string())
            })?;
            check(
                v > 0.0 && v < 100.0,
                f(name),
                format!("{v} is not allowed: a share of responders is above 0 and below 100 percent"),
            )?;
        }
    }
    if let Some(name) = &c.arm {
        let actives: Vec<&str> = s.arms.iter().filter(|a| a.kind == ArmKind::Active).map(|a| a.name.as_str()).collect();
        check(
            actives.contains(&name.as_str()),
            f("arm"),
            format!("`{name}` is not an active arm: allowed values are {}", actives.join(", ")),
        )?;
    }
    let d = &c.published_design;
    if let Some(v) = d.threshold {
        mg_value(&f("published_design.threshold"), v)?;
    }
    if let Some(v) = d.confirm_threshold {
        mg_value(&f("published_design.confirm_threshold"), v)?;
    }
    if let Some(v) = d.intakes_per_day {
        count(&f("published_design.intakes_per_day"), v, MAX_INTAKES_PER_DAY)?;
    }
    if let Some(v) = d.dose_mg_per_day {
        within(&f("published_design.dose_mg_per_day"), v, 0.0, MAX_DOSE_MG_PER_DAY, " mg/day")?;
    }
    if let Some(v) = d.duration_weeks {
        positive_up_to(&f("published_design.duration_weeks"), v, MAX_WEEKS, " weeks")?;
    }
    Ok(())
}

/// A harmful effect is refused unless the scenario says it models harm.
/// `[response.overshoot]`: the U-shape on a rating scale under the repletion response, above the
/// replete target.
fn overshoot(s: &Scenario, counts: bool) -> Result<(), Problem> {
    let Some(o) = &s.response.overshoot else { return Ok(()) };
    let f = |name: &str| format!("response.overshoot.{name}");
    check(
        s.response.model == ResponseModel::Repletion,
        "response.overshoot",
        "the U-shape follows status after repletion: it needs response.model = \"repletion\" (remove it)",
    )?;
    check(
        !counts,
        "response.overshoot",
        "the U-shape's harm is in outcome units of a rating scale (cognition); it is not built for counts (remove it)",
    )?;
    check(s.crossover.is_none(), "response.overshoot", "the U-shape is not built for a crossover (remove it)")?;
    within(&f("rise_mmol_per_l"), o.rise_mmol_per_l, 0.0, 1.0, " mmol/L")?;
    let target = s.population.replete_target_mmol_per_l;
    check(
        o.upper_mmol_per_l.is_finite() && o.upper_mmol_per_l >= target && o.upper_mmol_per_l <= MAX_MG_MAGNITUDE,
        f("upper_mmol_per_l"),
        format!(
            "{} is not allowed: the level above which status harms must be at or above the replete target \
             (population.replete_target_mmol_per_l = {target}) and at most {MAX_MG_MAGNITUDE} mmol/L",
            o.upper_mmol_per_l
        ),
    )?;
    within(&f("harm_per_mmol_per_l"), o.harm_per_mmol_per_l, 0.0, MAX_OUTCOME_MAGNITUDE, " outcome units per mmol/L")?;
    if let Some(c) = &s.response.calibration {
        check(
            missing::calibration_is_exact(c),
            "response.calibration",
            "with [response.overshoot] a calibration must be of a benefit among = \"enrolled\" or \"deficient\" \
             (exact by quadrature with the harm), or give response.max_effect",
        )?;
    }
    Ok(())
}

fn harm(s: &Scenario) -> Result<(), Problem> {
    if s.assumptions.harmful_effect {
        return Ok(());
    }
    let r = &s.response;
    let harmful = |field: &str, what: String| -> Result<(), Problem> {
        Err((
            field.to_string(),
            format!(
                "{what}: a benefit is entered as a benefit, so this models harm; check the sign (a fall on a \
                 lower-is-better scale is a positive benefit), or set assumptions.harmful_effect = true to model harm"
            ),
        ))
    };
    let c = r.calibration.as_ref();
    for (field, v) in [
        ("response.delta", r.delta),
        ("response.max_effect", r.max_effect),
        ("response.effect_replete", r.effect_replete),
        ("response.calibration.benefit", c.and_then(|c| c.benefit)),
        ("response.acute_effect", r.acute_effect),
        ("response.acute_effect_low_mg", r.acute_effect_low_mg),
    ] {
        if let Some(v) = v.filter(|&v| v < 0.0) {
            harmful(field, format!("{v} is a negative benefit"))?;
        }
    }
    for (field, v) in [
        ("response.rate_ratio", r.rate_ratio),
        ("response.max_rate_ratio", r.max_rate_ratio),
        ("response.replete_rate_ratio", r.replete_rate_ratio),
    ] {
        if let Some(v) = v.filter(|&v| v > 1.0) {
            harmful(field, format!("a rate ratio of {v} means more events on treatment"))?;
        }
    }
    if let Some((a, p)) = c.and_then(|c| c.active_reduction_percent.zip(c.placebo_reduction_percent))
        && a < p
    {
        harmful(
            "response.calibration.active_reduction_percent",
            format!("a fall of {a}% on treatment against {p}% on placebo"),
        )?;
    }
    if let Some((a, p)) = c.and_then(|c| c.active_responder_percent.zip(c.placebo_responder_percent))
        && a < p
    {
        harmful(
            "response.calibration.active_responder_percent",
            format!("{a}% responders on treatment against {p}% on placebo"),
        )?;
    }
    Ok(())
}

fn design(s: &Scenario) -> Result<(), Problem> {
    let d = &s.design;
    let names = || s.arms.iter().map(|a| a.name.as_str()).collect::<Vec<_>>().join(", ");
    let per_arm = s.arms.iter().filter(|a| a.n.is_some()).count();
    let enrolled: u64 = if per_arm > 0 {
        let without: Vec<&str> = s.arms.iter().filter(|a| a.n.is_none()).map(|a| a.name.as_str()).collect();
        check(
            without.is_empty(),
            "arms",
            format!(
                "sizes are given per arm for some arms but not for {}: give arms.<name>.n for every arm ({}), or \
                 none and use design.n_per_arm with allocation ratios",
                without.join(", "),
                names()
            ),
        )?;
        check(
            d.n_per_arm.is_none(),
            "design.n_per_arm",
            "every arm gives its own size (arms.<name>.n): remove design.n_per_arm, or remove the per-arm sizes",
        )?;
        let with_ratio: Vec<&str> = s.arms.iter().filter(|a| a.allocation.is_some()).map(|a| a.name.as_str()).collect();
        check(
            with_ratio.is_empty(),
            "arms",
            format!(
                "arms {} give both a size (n) and an allocation ratio: with per-arm sizes the ratio is the sizes' \
                 own; remove allocation",
                with_ratio.join(", ")
            ),
        )?;
        s.arms.iter().map(|a| u64::from(a.n.unwrap_or(0))).sum()
    } else {
        let n = d.n_per_arm.ok_or_else(|| {
            (
                "design.n_per_arm".to_string(),
                format!(
                    "the trial size is not given: set design.n_per_arm (participants per arm at 1:1, or per unit of \
                     allocation), or arms.<name>.n for every arm ({})",
                    names()
                ),
            )
        })?;
        let smallest = s.arms.iter().map(|a| a.allocation.unwrap_or(1)).min().unwrap_or(1);
        check(
            u64::from(n) * u64::from(smallest) >= 2,
            "design.n_per_arm",
            format!("{n}: at least 2 participants per arm are needed (n_per_arm times the smallest allocation)"),
        )?;
        s.arms.iter().map(|a| u64::from(a.allocation.unwrap_or(1)) * u64::from(n)).sum()
    };
    check(
        enrolled <= MAX_ENROLLED,
        if per_arm > 0 { "arms" } else { "design.n_per_arm" },
        format!(
            "the arms enrol {enrolled} participants per trial (allocation ratios included): at most {MAX_ENROLLED} \
             are allowed"
        ),
    )?;
    count("design.reps", d.reps, MAX_REPS)?;
    positive_up_to("design.duration_weeks", d.duration_weeks, MAX_WEEKS, " weeks")?;
    Ok(())
}
