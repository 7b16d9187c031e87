//! Semantic checks of a parsed scenario: ranges, required fields and combinations.
//!
//! Type errors, unknown fields and unknown names are caught earlier by the TOML reader; this
//! module catches values that parse but make no sense. Each error names the field by its
//! dotted path and says which values are allowed.

use crate::engine::MAX_REPS;
use crate::intervention::Formulation;
use crate::scenario::{
    ArmKind, Biomarker, Direction, PopulationModel, ResponderRule, ResponseModel, Scenario, SelectionMode, TestKind,
};

/// Most participants one simulated trial may enrol, over all arms.
pub const MAX_ENROLLED: u64 = 10_000_000;
/// Largest allocation ratio of an arm.
pub const MAX_ALLOCATION: u32 = 100;
/// Largest number of allocation-ratio repeats per randomization block.
pub const MAX_BLOCKS_PER_RATIO: u32 = 100;

/// `(field path, message)` of the first problem found.
pub type Problem = (String, String);

fn check(ok: bool, field: impl Into<String>, message: impl Into<String>) -> Result<(), Problem> {
    if ok { Ok(()) } else { Err((field.into(), message.into())) }
}

/// Largest magnitude of a value on the outcome scale (scores, changes, effects, SDs). Far
/// beyond any rating scale, and small enough that sums of squares over a trial stay exact
/// to many digits in f64.
pub const MAX_OUTCOME_MAGNITUDE: f64 = 1e6;
/// Largest magnitude of a Mg concentration or biomarker value (mmol/L, or percent excreted for
/// the loading test, whose default scale is 127 % per mmol/L).
pub const MAX_MG_MAGNITUDE: f64 = 1000.0;
/// Smallest reliability of the outcome instrument: below it, the measurement error SD is more
/// than 10 times the true between-person SD and the scale measures nothing.
pub const MIN_RELIABILITY: f64 = 0.01;
/// Smallest Beta shape `mean c` or `(1 - mean) c` of per-person adherence: smaller shapes put
/// nearly all mass at 0 and 1 and underflow the gamma draws.
pub const MIN_ADHERENCE_SHAPE: f64 = 0.05;
/// Largest adherence concentration (beyond it adherence is the same for everyone).
pub const MAX_ADHERENCE_CONCENTRATION: f64 = 1e6;
/// Smallest significance level: below it the tabulated t quantiles at 1 to 3 df lose the
/// accuracy the exact decisions rely on.
pub const MIN_ALPHA: f64 = 1e-6;
/// Largest elemental dose (mg/day), and largest dose scale of the response.
pub const MAX_DOSE_MG_PER_DAY: f64 = 1e5;
/// Longest trial duration and response time constant (weeks).
pub const MAX_WEEKS: f64 = 1e4;
/// Most repeated measurements (biomarker readings or outcome assessments) per occasion.
pub const MAX_REPEATS: u32 = 1000;

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
            s.response.model == ResponseModel::Fixed,
            "response.model",
            "the repletion response needs Mg status: set population.model to \"mixture\" or \"normal\"",
        )?;
    }

    check(!s.arms.is_empty(), "arms", "no arms: add a placebo arm and at least one active arm ([[arms]] tables)")?;
    let placebo = s.arms.iter().filter(|a| a.kind == ArmKind::Placebo).count();
    check(placebo == 1, "arms", format!("{placebo} placebo arms: exactly one arm must have kind = \"placebo\""))?;
    check(
        s.arms.iter().any(|a| a.kind == ArmKind::Active),
        "arms",
        "no active arm: at least one arm must have kind = \"active\"",
    )?;
    for (i, arm) in s.arms.iter().enumerate() {
        let f = |name: &str| format!("arms[{i}].{name}");
        check(!arm.name.trim().is_empty(), f("name"), "an arm needs a non-empty name")?;
        check(
            s.arms[..i].iter().all(|a| a.name != arm.name),
            f("name"),
            format!("`{}` is used by two arms: arm names must be unique", arm.name),
        )?;
        if arm.kind == ArmKind::Active {
            check(
                arm.formulation.is_some(),
                f("formulation"),
                format!("an active arm needs a formulation: {}", Formulation::ALL.map(Formulation::label).join(", ")),
            )?;
            let dose = arm
                .dose_mg_per_day
                .ok_or_else(|| (f("dose_mg_per_day"), "an active arm needs a dose in elemental mg/day".to_string()))?;
            within(&f("dose_mg_per_day"), dose, 0.0, MAX_DOSE_MG_PER_DAY, " mg/day")?;
        }
        if let Some(v) = arm.bioavailability {
            probability(&f("bioavailability"), v)?;
        }
        probability(&f("adherence_mean"), arm.adherence_mean)?;
        let (m, c) = (arm.adherence_mean, arm.adherence_concentration);
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

    let r = &s.response;
    outcome_value("response.delta", r.delta)?;
    if let Some(v) = r.max_effect {
        outcome_value("response.max_effect", v)?;
    }
    if let Some(v) = r.target_effect {
        outcome_value("response.target_effect", v)?;
        check(
            r.model == ResponseModel::Repletion,
            "response.target_effect",
            "a calibration solves for max_effect of the repletion response; under the fixed response every \
             treated participant benefits by response.delta: set that instead",
        )?;
        check(
            r.max_effect.is_none(),
            "response.max_effect",
            "both max_effect and target_effect are given: give max_effect, or target_effect to have max_effect \
             solved for, not both",
        )?;
    }
    for (name, set) in [("target_among", r.target_among.is_some()), ("target_arm", r.target_arm.is_some())] {
        check(
            !set || r.target_effect.is_some(),
            format!("response.{name}"),
            "describes a calibration, but response.target_effect is not given",
        )?;
    }
    if let Some(name) = &r.target_arm {
        let actives: Vec<&str> = s.arms.iter().filter(|a| a.kind == ArmKind::Active).map(|a| a.name.as_str()).collect();
        check(
            actives.contains(&name.as_str()),
            "response.target_arm",
            format!("`{name}` is not an active arm: allowed values are {}", actives.join(", ")),
        )?;
    }
    outcome_value("response.effect_replete", r.effect_replete)?;
    mg_sd("response.ref_deficit_mmol_per_l", r.ref_deficit_mmol_per_l).map_err(|(f, _)| {
        (f, format!("the reference deficit must be above 0 and at most {MAX_MG_MAGNITUDE} mmol/L"))
    })?;
    positive_up_to("response.tau_weeks", r.tau_weeks, MAX_WEEKS, " weeks")?;
    within("response.a50_mg_per_day", r.a50_mg_per_day, 0.0, MAX_DOSE_MG_PER_DAY, " mg/day")?;

    let counts = s.outcome.count.is_some();
    if counts {
        count_outcome(s)?;
    } else {
        scale_outcome(s)?;
    }
    dropout("dropout.placebo", s.dropout.placebo)?;
    dropout("dropout.active", s.dropout.active)?;
    analysis(s, counts)?;
    design(s)
}

/// The fields of `[outcome]` that only a scale has, and those that only a count has.
const SCALE_ONLY: [&str; 9] = [
    "scale",
    "direction",
    "natural_change",
    "placebo_response",
    "change_sd",
    "reliability",
    "assessments",
    "min",
    "max",
];
const COUNT_ONLY: [&str; 5] = ["theta", "baseline_weeks", "followup_weeks", "placebo_rate_ratio", "period_cv"];

fn count_outcome(s: &Scenario) -> Result<(), Problem> {
    let o = &s.outcome;
    let scale_fields = [
        o.scale.is_some(),
        o.direction.is_some(),
        o.natural_change.is_some(),
        o.placebo_response.is_some(),
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
                 placebo response is outcome.placebo_rate_ratio): remove it. Count fields are baseline_mean, \
                 baseline_sd, {}",
                COUNT_ONLY.join(", ")
            ),
        ));
    }
    check(o.integer.is_none(), "outcome.integer", "counts are whole numbers already: remove outcome.integer")?;
    count_magnitudes(s)?;
    let r = &s.response;
    check(
        r.target_effect.is_none(),
        "response.target_effect",
        "a calibration is solved on a scale's mean difference; for a count outcome give response.max_effect (the \
         benefit of repleting ref_deficit_mmol_per_l, as -ln rate ratio) or, with response.model = \"fixed\", \
         response.delta",
    )?;
    Ok(())
}

fn scale_outcome(s: &Scenario) -> Result<(), Problem> {
    let o = &s.outcome;
    let count_fields = [
        o.theta.is_some(),
        o.baseline_weeks.is_some(),
        o.followup_weeks.is_some(),
        o.placebo_rate_ratio.is_some(),
        o.period_cv.is_some(),
    ];
    if let Some(k) = count_fields.iter().position(|&given| given) {
        return Err((
            format!("outcome.{}", COUNT_ONLY[k]),
            "belongs to a count outcome: set outcome.count = \"attacks\" or \"migraine_days\", or remove it".into(),
        ));
    }
    let (out, _) = crate::scales::resolve(o)?;
    outcome_value("outcome.baseline_mean", out.baseline_mean)?;
    outcome_sd("outcome.baseline_sd", out.baseline_sd)?;
    outcome_value("outcome.natural_change", out.natural_change)?;
    outcome_value("outcome.placebo_response", out.placebo_response)?;
    outcome_sd("outcome.change_sd", out.change_sd)?;
    check(
        out.reliability >= MIN_RELIABILITY && out.reliability <= 1.0,
        "outcome.reliability",
        format!("{} is not allowed: the reliability must be {MIN_RELIABILITY} to 1", out.reliability),
    )?;
    count("outcome.assessments", out.assessments, MAX_REPEATS)?;
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
    let r = &a.responder;
    check(
        r.fraction > 0.0 && r.fraction <= 1.0,
        "analysis.responder.fraction",
        format!("{} is not allowed: a responder improves by a share of the baseline above 0 and at most 1", r.fraction),
    )?;
    if a.all(counts).iter().any(|t| t.is_responder()) {
        responder_rule(s, counts)?;
    }
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

/// A responder rule that can classify anyone on this outcome: relative improvement needs a
/// ratio scale (floor 0; room above the baseline when higher is better), and a remission
/// cut-off lies within the scale (counts: at least 0).
fn responder_rule(s: &Scenario, counts: bool) -> Result<(), Problem> {
    let r = &s.analysis.responder;
    let (min, max, baseline, direction, name) = if counts {
        (0.0, f64::INFINITY, 0.0, Direction::LowerIsBetter, "counts".to_string())
    } else {
        let (o, _) = crate::scales::resolve(&s.outcome)?;
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

/// Largest expected count in a window: far above any migraine diary, and small enough that
/// every count fits a fit's histogram ([`crate::analysis::negbin::MAX_COUNT`]).
pub const MAX_EXPECTED_COUNT: f64 = 1e5;

/// The expected follow-up count at the largest treatment rate ratio the response can give
/// (a negative benefit raises the rate) stays within [`MAX_EXPECTED_COUNT`], as do both windows'
/// counts without treatment.
fn count_magnitudes(s: &Scenario) -> Result<(), Problem> {
    let m = crate::outcome::count::from_outcome(&s.outcome)?;
    let (baseline, followup) =
        (m.expected_count(m.baseline_weeks, 1.0), m.expected_count(m.followup_weeks, m.placebo_rate_ratio));
    for (field, v) in [("outcome.baseline_weeks", baseline), ("outcome.followup_weeks", followup)] {
        check(
            v <= MAX_EXPECTED_COUNT,
            field,
            format!(
                "the window's expected count is {v:.4e}, above the {MAX_EXPECTED_COUNT:e} allowed: shorten it or lower the rate"
            ),
        )?;
    }
    // The most negative benefit: `delta` (fixed), or `max_effect` times the largest repleted
    // share of the reference deficit (a deficit can be many times it), or `effect_replete`.
    let r = &s.response;
    let (field, worst) = match r.model {
        ResponseModel::Fixed => ("response.delta", r.delta),
        ResponseModel::Repletion => {
            let max_effect = r.max_effect.unwrap_or(crate::scenario::DEFAULT_MAX_EFFECT_COUNTS);
            let p = &s.population;
            let lowest = (p.deficient_mean_mmol_per_l - 12.0 * p.deficient_sd_mmol_per_l)
                .min(p.replete_mean_mmol_per_l - 12.0 * p.replete_sd_mmol_per_l)
                .min(p.mean_mmol_per_l - 12.0 * p.sd_mmol_per_l);
            let largest_share = ((p.replete_target_mmol_per_l - lowest) / r.ref_deficit_mmol_per_l).max(0.0);
            if max_effect * largest_share < r.effect_replete {
                ("response.max_effect", max_effect * largest_share)
            } else {
                ("response.effect_replete", r.effect_replete)
            }
        }
    };
    let highest = followup * (-worst.min(0.0)).exp();
    check(
        highest <= MAX_EXPECTED_COUNT,
        field,
        format!(
            "a benefit of {worst:.4} (-ln rate ratio) multiplies the follow-up rate by {:.4e}, to an expected count of \
             {highest:.4e}, above the {MAX_EXPECTED_COUNT:e} allowed: on counts a benefit is -ln of a rate ratio \
             (0.5 is a ratio of 0.61)",
            (-worst.min(0.0)).exp()
        ),
    )
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
