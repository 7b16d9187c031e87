//! Checks of `[uncertainty]`: each prior's parameters (those of its distribution only, each
//! in range), its field (an unknown of the biology or the outcome, not a design choice), and
//! the trials per draw. Whether a field takes real numbers, and whether every value a prior can
//! draw is allowed there, is checked on the design itself (`study::assurance`).

use super::{Problem, check};
use crate::scenario::schema::{Prior, PriorDistribution, Scenario};

/// Most trials per draw (a draw's power from more trials than this gains nothing).
pub(crate) const MAX_TRIALS_PER_DRAW: u32 = 1 << 16;

/// Sections whose fields are choices of the design, which a sweep varies, not unknowns.
const DESIGN_SECTIONS: [&str; 9] =
    ["design", "selection", "confirmation", "analysis", "costs", "sweep", "uncertainty", "assumptions", "crossover"];

/// Fields of an arm that are choices of the design.
const ARM_DESIGN_FIELDS: [&str; 6] = ["dose_mg_per_day", "n", "allocation", "formulation", "kind", "name"];

pub(crate) fn uncertainty(s: &Scenario) -> Result<(), Problem> {
    let Some(u) = &s.uncertainty else { return Ok(()) };
    check(
        u.trials_per_draw >= 64 && u.trials_per_draw % 64 == 0 && u.trials_per_draw <= MAX_TRIALS_PER_DRAW,
        "uncertainty.trials_per_draw",
        format!(
            "{}: allowed values are multiples of 64 (the engine's chunk of replicates) from 64 to {MAX_TRIALS_PER_DRAW}",
            u.trials_per_draw
        ),
    )?;
    check(
        !u.prior.is_empty(),
        "uncertainty.prior",
        "is empty: give at least one [[uncertainty.prior]], or remove [uncertainty]",
    )?;
    for (i, p) in u.prior.iter().enumerate() {
        prior(p, &format!("uncertainty.prior[{i}]"))?;
        if let Some(j) = u.prior[..i].iter().position(|q| q.field == p.field) {
            return Err((
                format!("uncertainty.prior[{i}].field"),
                format!("{} already has a prior (uncertainty.prior[{j}]): give one prior per field", p.field),
            ));
        }
    }
    Ok(())
}

/// One prior's field and parameters; `at` is its place, e.g. `uncertainty.prior[0]`.
pub(crate) fn prior(p: &Prior, at: &str) -> Result<(), Problem> {
    let keys: Vec<&str> = p.field.split('.').collect();
    let design_choice = DESIGN_SECTIONS.contains(&keys[0])
        || matches!(keys.as_slice(), ["arms", _, last] if ARM_DESIGN_FIELDS.contains(last))
        || matches!(keys.as_slice(), ["name" | "description"]);
    check(
        !design_choice,
        format!("{at}.field"),
        format!(
            "{} is a choice of the design, not an unknown: vary it with a sweep; a prior goes on a field of the \
             biology or the outcome (population, bioavailability, absorption, response, outcome, dropout, vitamin_d, \
             side_effects, biomarker error, an arm's adherence or effect)",
            p.field
        ),
    )?;
    let d = p.distribution;
    let given = [
        ("mean", p.mean),
        ("sd", p.sd),
        ("lower", p.lower),
        ("upper", p.upper),
        ("median", p.median),
        ("log_sd", p.log_sd),
        ("alpha", p.alpha),
        ("beta", p.beta),
        ("value", p.value),
    ];
    let takes: &[&str] = match d {
        PriorDistribution::Normal => &["mean", "sd"],
        PriorDistribution::TruncatedNormal => &["mean", "sd", "lower", "upper"],
        PriorDistribution::Lognormal => &["median", "log_sd"],
        PriorDistribution::Beta => &["alpha", "beta"],
        PriorDistribution::Uniform => &["lower", "upper"],
        PriorDistribution::PointMass => &["value"],
    };
    let needs: &[&str] = if d == PriorDistribution::TruncatedNormal { &["mean", "sd"] } else { takes };
    for (name, v) in given {
        check(
            v.is_none() || takes.contains(&name),
            format!("{at}.{name}"),
            format!("does nothing for a {} prior, which takes {}", d.label(), takes.join(", ")),
        )?;
        check(
            v.is_some() || !needs.contains(&name),
            format!("{at}.{name}"),
            format!("is required by a {} prior ({})", d.label(), needs.join(", ")),
        )?;
        check(v.is_none_or(f64::is_finite), format!("{at}.{name}"), "must be a finite number")?;
    }
    let positive = |name: &str, v: Option<f64>| {
        check(v.is_none_or(|v| v > 0.0), format!("{at}.{name}"), format!("{}: must be above 0", v.unwrap_or(0.0)))
    };
    positive("sd", p.sd)?;
    positive("log_sd", p.log_sd)?;
    positive("median", p.median)?;
    positive("alpha", p.alpha)?;
    positive("beta", p.beta)?;
    if d == PriorDistribution::TruncatedNormal {
        check(
            p.lower.is_some() || p.upper.is_some(),
            format!("{at}.lower"),
            "a truncated_normal prior needs lower, upper or both (without either it is normal)",
        )?;
    }
    if let (Some(lo), Some(hi)) = (p.lower, p.upper) {
        check(lo < hi, format!("{at}.upper"), format!("{hi} must be above lower ({lo})"))?;
    }
    if let (PriorDistribution::TruncatedNormal, Some(m), Some(sd)) = (d, p.mean, p.sd) {
        // A truncation more than 8 SD from the mean keeps too little mass to invert accurately.
        let far = |b: Option<f64>, side: f64| b.is_some_and(|b| side * (b - m) / sd > 8.0);
        check(
            !far(p.lower, 1.0) && !far(p.upper, -1.0),
            format!("{at}.mean"),
            "the truncation keeps less than 1e-15 of the normal: put the mean within 8 SD of the interval",
        )?;
    }
    if let Some(p0) = p.probability_of_no_effect {
        check(
            (0.0..1.0).contains(&p0),
            format!("{at}.probability_of_no_effect"),
            format!("{p0}: allowed values are 0 to below 1 (the probability that the effect is none)"),
        )?;
        check(
            crate::scenario::prior::no_effect_value(&p.field).is_some(),
            format!("{at}.probability_of_no_effect"),
            format!("{} is not an effect (a benefit, effect or rate ratio), so it has no value of no effect", p.field),
        )?;
    }
    Ok(())
}
