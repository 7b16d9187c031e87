//! Semantic checks of a parsed scenario: ranges, required fields and combinations.
//!
//! Type errors, unknown fields and unknown names are caught earlier by the TOML reader; this
//! module catches values that parse but make no sense. Each error names the field by its
//! dotted path and says which values are allowed.

use crate::scenario::{ArmKind, Biomarker, PopulationModel, ResponseModel, Scenario, SelectionMode};

/// `(field path, message)` of the first problem found.
pub type Problem = (String, String);

fn check(ok: bool, field: impl Into<String>, message: impl Into<String>) -> Result<(), Problem> {
    if ok { Ok(()) } else { Err((field.into(), message.into())) }
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

fn finite(field: &str, v: f64) -> Result<(), Problem> {
    check(v.is_finite(), field, format!("{v} is not a finite number"))
}

fn dropout(field: &str, v: f64) -> Result<(), Problem> {
    probability(field, v)?;
    check(v < 1.0, field, "a dropout probability of 1 leaves nobody to analyse: allowed values are 0 to below 1")
}

/// Checks an assay section (`[biomarker]` or `[confirmation]`).
fn biomarker(section: &str, b: &Biomarker) -> Result<(), Problem> {
    let f = |name: &str| format!("{section}.{name}");
    check(b.repeats >= 1, f("repeats"), "at least 1 measurement is needed: allowed values are 1 or more")?;
    if let Some(v) = b.scale {
        check(
            v.is_finite() && v > 0.0,
            f("scale"),
            format!("{v}: the scale must be greater than 0 (a low reading must mean low Mg)"),
        )?;
    }
    if let Some(v) = b.bias {
        finite(&f("bias"), v)?;
    }
    if let Some(v) = b.persistent_sd {
        non_negative(&f("persistent_sd"), v)?;
    }
    if let Some(v) = b.repeat_sd {
        non_negative(&f("repeat_sd"), v)?;
    }
    if let Some(v) = b.normal_low {
        finite(&f("normal_low"), v)?;
    }
    Ok(())
}

pub fn validate(s: &Scenario) -> Result<(), Problem> {
    let p = &s.population;
    probability("population.deficiency_prevalence", p.deficiency_prevalence)?;
    finite("population.deficient_mean_mmol_per_l", p.deficient_mean_mmol_per_l)?;
    finite("population.replete_mean_mmol_per_l", p.replete_mean_mmol_per_l)?;
    finite("population.mean_mmol_per_l", p.mean_mmol_per_l)?;
    positive_sd("population.deficient_sd_mmol_per_l", p.deficient_sd_mmol_per_l)?;
    positive_sd("population.replete_sd_mmol_per_l", p.replete_sd_mmol_per_l)?;
    positive_sd("population.sd_mmol_per_l", p.sd_mmol_per_l)?;
    finite("population.replete_target_mmol_per_l", p.replete_target_mmol_per_l)?;
    finite("population.deficiency_cutoff_mmol_per_l", p.deficiency_cutoff_mmol_per_l)?;

    biomarker("biomarker", &s.biomarker)?;
    biomarker("confirmation", &s.confirmation)?;

    let sel = &s.selection;
    if let Some(t) = sel.threshold {
        finite("selection.threshold", t)?;
    }
    if let Some(t) = sel.confirm_threshold {
        finite("selection.confirm_threshold", t)?;
    }
    check(sel.blocks_per_ratio >= 1, "selection.blocks_per_ratio", "allowed values are 1 or more")?;
    check(
        sel.min_enrolment_probability > 0.0 && sel.min_enrolment_probability <= 1.0,
        "selection.min_enrolment_probability",
        "allowed values are above 0 and at most 1",
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
                "an active arm needs a formulation: oxide, citrate, chloride, lactate, glycinate, l_threonate or iv_sulfate",
            )?;
            let dose = arm
                .dose_mg_per_day
                .ok_or_else(|| (f("dose_mg_per_day"), "an active arm needs a dose in elemental mg/day".to_string()))?;
            non_negative(&f("dose_mg_per_day"), dose)?;
        }
        if let Some(v) = arm.bioavailability {
            probability(&f("bioavailability"), v)?;
        }
        probability(&f("adherence_mean"), arm.adherence_mean)?;
        check(
            arm.adherence_concentration.is_finite() && arm.adherence_concentration > 0.0,
            f("adherence_concentration"),
            "allowed values are above 0",
        )?;
        check(arm.allocation >= 1, f("allocation"), "allowed values are whole numbers from 1")?;
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
    finite("response.delta", r.delta)?;
    finite("response.max_effect", r.max_effect)?;
    finite("response.effect_replete", r.effect_replete)?;
    positive_sd("response.ref_deficit_mmol_per_l", r.ref_deficit_mmol_per_l)
        .map_err(|(f, _)| (f, "the reference deficit must be greater than 0 mmol/L".to_string()))?;
    check(r.tau_weeks.is_finite() && r.tau_weeks > 0.0, "response.tau_weeks", "allowed values are above 0 weeks")?;
    non_negative("response.a50_mg_per_day", r.a50_mg_per_day)?;

    let out = &s.outcome;
    finite("outcome.baseline_mean", out.baseline_mean)?;
    positive_sd("outcome.baseline_sd", out.baseline_sd)?;
    finite("outcome.natural_change", out.natural_change)?;
    finite("outcome.placebo_response", out.placebo_response)?;
    positive_sd("outcome.change_sd", out.change_sd)?;
    check(
        out.reliability > 0.0 && out.reliability <= 1.0,
        "outcome.reliability",
        format!("{} is not a reliability: allowed values are above 0 and at most 1", out.reliability),
    )?;
    check(out.assessments >= 1, "outcome.assessments", "allowed values are 1 or more")?;
    if let (Some(lo), Some(hi)) = (out.min, out.max) {
        check(lo < hi, "outcome.min", format!("min {lo} must be below max {hi}"))?;
    }

    dropout("dropout.placebo", s.dropout.placebo)?;
    dropout("dropout.active", s.dropout.active)?;

    let a = &s.analysis;
    check(
        a.alpha > 0.0 && a.alpha < 1.0,
        "analysis.alpha",
        format!("{} is not allowed: alpha must be above 0 and below 1", a.alpha),
    )?;

    let d = &s.design;
    check(
        d.n_per_arm >= 2,
        "design.n_per_arm",
        format!("{}: at least 2 participants per arm are needed", d.n_per_arm),
    )?;
    check(d.reps >= 1, "design.reps", "0 replicates: allowed values are 1 or more")?;
    check(
        d.duration_weeks.is_finite() && d.duration_weeks > 0.0,
        "design.duration_weeks",
        "allowed values are above 0 weeks",
    )?;
    Ok(())
}
