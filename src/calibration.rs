//! Expected effects by quadrature, and the calibration of `response.max_effect` to an effect
//! as published.
//!
//! Under the repletion response a treated person's benefit is `max_effect * dm / ref_deficit`
//! with `dm = deficit * repleted_fraction(absorbed)`, or `effect_replete` with no deficit
//! (`response.rs`). Deficit and adherence are independent, so the expected benefit among those
//! enrolled is `max_effect / ref_deficit * E[deficit | enrolled] * E[repleted_fraction] +
//! effect_replete * P(no deficit | enrolled)`: exact by quadrature over true status (the
//! enrolment filter is a product of normal CDFs given `m`, see `population.rs`) and over the
//! Beta adherence, and linear in `max_effect`. A target effect therefore fixes `max_effect` in
//! closed form, without simulation.

use crate::plan::Plan;
use crate::scenario::{ResponseModel, TargetPopulation};
use serde::{Deserialize, Serialize};
use statrs::distribution::{Beta as BetaDist, ContinuousCDF};

/// A solved calibration: the target, and the `max_effect` that reproduces it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Calibration {
    /// Expected benefit to reproduce, outcome units.
    pub target_effect: f64,
    pub among: TargetPopulation,
    /// The active arm whose expected benefit is the target.
    pub arm: String,
    /// The solved `response.max_effect`.
    pub max_effect: f64,
}

/// Expected share of a deficit repleted by the end, `(1 - exp(-t/tau)) E[a / (a + A50)]`, over
/// per-person adherence, by the midpoint rule on 2000 quantiles of the Beta distribution.
pub fn mean_repleted_fraction(plan: &Plan, arm: usize) -> f64 {
    let a = &plan.arms[arm];
    let Some(e) = a.exposure else { return 0.0 };
    let fraction = |adh: f64| plan.response.repleted_fraction(e.bioavailability * e.dose_mg_per_day * adh);
    match a.adherence {
        None => fraction(e.adherence_mean),
        Some(_) => {
            let (m, c) = (e.adherence_mean, e.adherence_concentration);
            let beta = BetaDist::new(m * c, (1.0 - m) * c).expect("validated");
            const K: usize = 2000;
            (0..K).map(|i| fraction(beta.inverse_cdf((i as f64 + 0.5) / K as f64))).sum::<f64>() / K as f64
        }
    }
}

/// Mean deficit (mmol/L) among the enrolled whose true status is below `upper` (infinity for
/// all of them), and the share of them with no deficit; `None` when Mg status is not modelled
/// or nobody qualifies.
pub fn enrolled_deficit(plan: &Plan, upper: f64) -> Option<(f64, f64)> {
    let mg = plan.mg.as_ref()?;
    let filters = plan.selection_filters();
    let p = mg.integrate(&filters, upper, |_| 1.0);
    if p <= 0.0 {
        return None;
    }
    let mean = mg.integrate(&filters, upper, |m| mg.deficit(m)) / p;
    let none = mg.integrate(&filters, upper, |m| f64::from(u8::from(mg.deficit(m) <= 0.0))) / p;
    Some((mean, none))
}

/// Expected benefit of active arm `a` (outcome units) among the enrolled whose true status is
/// below `upper`, in closed form; `delta` for the fixed model.
pub fn expected_effect_below(plan: &Plan, a: usize, upper: f64) -> f64 {
    let r = &plan.response;
    match (plan.scenario.response.model, enrolled_deficit(plan, upper)) {
        (ResponseModel::Repletion, Some((mean_deficit, share_no_deficit))) => {
            r.max_effect / r.ref_deficit_mmol_per_l * mean_deficit * mean_repleted_fraction(plan, a)
                + r.effect_replete * share_no_deficit
        }
        (ResponseModel::Repletion, None) => 0.0,
        (ResponseModel::Fixed, _) => r.delta,
    }
}

/// Expected benefit of active arm `a` among everyone enrolled: the estimand of `true_effect`.
pub fn expected_effect(plan: &Plan, a: usize) -> f64 {
    expected_effect_below(plan, a, f64::INFINITY)
}

/// Solves `max_effect` so that the expected benefit of the target arm, among the target
/// population of the plan's own design, equals `response.target_effect`. The plan's response
/// is used for everything but `max_effect`. Errors explain why no value can reach the target.
pub fn solve(plan: &Plan) -> Result<Calibration, String> {
    let r = &plan.scenario.response;
    let target = r.target_effect.ok_or("no response.target_effect")?;
    let among = r.target_among.unwrap_or(TargetPopulation::Enrolled);
    let arm = match &r.target_arm {
        Some(name) => plan.arms.iter().position(|a| &a.name == name).ok_or("validated: an active arm")?,
        None => plan.active_arms().next().ok_or("validated: an active arm")?,
    };
    let mg = plan.mg.as_ref().ok_or("the repletion response needs Mg status")?;
    let upper = match among {
        TargetPopulation::Enrolled => f64::INFINITY,
        TargetPopulation::Deficient => mg.deficiency_cutoff_mmol_per_l,
    };
    let who = match among {
        TargetPopulation::Enrolled => "the enrolled".to_string(),
        TargetPopulation::Deficient => {
            format!("the truly deficient enrolled (true status < {} mmol/L)", mg.deficiency_cutoff_mmol_per_l)
        }
    };
    if enrolled_deficit(plan, upper).is_none() {
        return Err(format!("nobody among {who} can be enrolled under this design, so no effect can be calibrated"));
    }
    // The expected effect is `max_effect * slope + offset`.
    let mut probe = plan.clone();
    probe.response.max_effect = 0.0;
    let offset = expected_effect_below(&probe, arm, upper);
    probe.response.max_effect = 1.0;
    let slope = expected_effect_below(&probe, arm, upper) - offset;
    if !(slope.abs() > 1e-12) {
        return Err(format!(
            "arm {} repletes no deficit among {who} under this design (dose, bioavailability, adherence or \
             duration give no repletion, or nobody enrolled is below the replete target), so no max_effect can \
             give a benefit of {target}",
            plan.arms[arm].name
        ));
    }
    let max_effect = (target - offset) / slope;
    if !max_effect.is_finite() || max_effect.abs() > crate::validate::MAX_OUTCOME_MAGNITUDE {
        return Err(format!(
            "the effect {target} needs max_effect = {max_effect:.4e}, beyond the allowed magnitude of {}",
            crate::validate::MAX_OUTCOME_MAGNITUDE
        ));
    }
    Ok(Calibration { target_effect: target, among, arm: plan.arms[arm].name.clone(), max_effect })
}
