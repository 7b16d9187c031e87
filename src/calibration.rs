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
//!
//! A published difference in mean change is observed on the scale, after its floor, ceiling
//! and rounding, which shrink it (BDI-II's floor at 0 takes ~0.6 points off a 5-point effect
//! in the Rajizadeh design). For `target_among = "observed_change"` on a bounded or rounded
//! scale, `max_effect` is solved by a seeded simulation instead: [`OBSERVED_CALIBRATION_REPS`]
//! trials of the design, analysed as the difference in mean change, with the same random
//! numbers at every trial value of `max_effect` (so the mean difference is a monotone function
//! of it), and the Illinois variant of regula falsi (Dowell & Jarratt 1971) on a bracket.
//! On an unbounded, unrounded scale the observed difference has the expectation of the true
//! effect among the completers, which under dropout completely at random is the effect among
//! the enrolled: quadrature.

use crate::plan::Plan;
use crate::scenario::{Direction, ResponseModel, TargetPopulation, TestKind};
use serde::{Deserialize, Serialize};
use statrs::distribution::{Beta as BetaDist, ContinuousCDF};
use std::sync::Arc;

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
    /// The outcome scale's unit and direction it is expressed in.
    pub unit: String,
    pub direction: Direction,
    /// "quadrature", or "seeded simulation of N trials".
    pub method: String,
    /// Monte Carlo SE of the solved value (seeded simulation only): the SE of the simulated
    /// mean difference divided by its slope in `max_effect`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_effect_mc_se: Option<f64>,
}

/// Trials behind a calibration to an observed difference on a bounded or rounded scale.
pub const OBSERVED_CALIBRATION_REPS: u64 = 20_000;

/// Seed offset of the calibration's trials, so they are not the trials of the power run.
const CALIBRATION_SEED_OFFSET: u64 = 0x6361_6c69_6272_6174;

/// Fewest analysable trials behind a simulated calibration.
const MIN_ANALYSABLE: usize = 1000;

/// Mean and SE over [`OBSERVED_CALIBRATION_REPS`] trials of the difference in mean observed
/// change (active minus placebo, signed as benefit) of comparison `k`, at `max_effect`; NaN
/// when fewer than [`MIN_ANALYSABLE`] trials can be analysed.
fn simulated_difference(plan: &Plan, k: usize, max_effect: f64) -> (f64, f64) {
    use crate::trial::{Trial, simulate_trial_into};
    use rayon::prelude::*;
    let mut probe = plan.with_only(TestKind::Welch);
    probe.response.max_effect = max_effect;
    let seed = plan.scenario.design.seed.wrapping_add(CALIBRATION_SEED_OFFSET);
    // Collected in replicate order and summed sequentially: the same for any thread count.
    let diffs: Vec<Option<f64>> = (0..OBSERVED_CALIBRATION_REPS)
        .into_par_iter()
        .map_init(
            || Trial::new(&probe),
            |trial, rep| {
                simulate_trial_into(&probe, seed, rep, trial);
                trial.results[k].estimate().map(|e| e.benefit)
            },
        )
        .collect();
    let values: Vec<f64> = diffs.into_iter().flatten().collect();
    if values.len() < MIN_ANALYSABLE {
        return (f64::NAN, f64::NAN);
    }
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, (var / n).sqrt())
}

/// Solves `simulated_difference(m) = target` for `m`, starting from `start` (the quadrature
/// solution for the true effect). Returns the value and its Monte Carlo SE.
/// `true_slope` is the expected true effect per unit of `max_effect` (by quadrature): where
/// the observed difference moves by less than 5% of it, the scale's bounds have flattened it.
fn solve_observed(plan: &Plan, k: usize, target: f64, start: f64, true_slope: f64) -> Result<(f64, f64), String> {
    let limit = crate::validate::MAX_OUTCOME_MAGNITUDE;
    let f = |m: f64| simulated_difference(plan, k, m).0 - target;
    // Bracket: from the start, step outwards by doubling until the sign changes.
    let (mut a, mut fa) = (start, f(start));
    if fa.is_nan() {
        return Err(format!(
            "fewer than {MIN_ANALYSABLE} of {OBSERVED_CALIBRATION_REPS} simulated trials can be analysed (too few \
             completers), so the observed difference cannot be calibrated"
        ));
    }
    let mut step = start.abs().max(1.0) * 0.25 * if fa < 0.0 { 1.0 } else { -1.0 };
    let (mut b, mut fb) = (a, fa);
    while fa.signum() == fb.signum() && fb != 0.0 {
        (a, fa) = (b, fb);
        b = a + step;
        if b.abs() > limit {
            let reached = simulated_difference(plan, k, a).0;
            return Err(format!(
                "no max_effect within +-{limit} gives an observed difference of {target}: the scale's bounds and \
                 rounding hold it near {reached:.4}"
            ));
        }
        fb = f(b);
        step *= 2.0;
    }
    // Illinois regula falsi: the end that stays is halved in weight.
    let mut side = 0;
    // Stop when the bracket or the miss is far below the Monte Carlo error of the mean
    // difference (about 1e-2 outcome units at these replicates).
    for _ in 0..60 {
        if fb.abs() <= 1e-6 * target.abs().max(1e-3) || (b - a).abs() <= 1e-7 * b.abs().max(1e-9) {
            break;
        }
        let c = (a * fb - b * fa) / (fb - fa);
        let fc = f(c);
        if fc.signum() == fb.signum() {
            (b, fb) = (c, fc);
            if side == -1 {
                fa /= 2.0;
            }
            side = -1;
        } else {
            (a, fa) = (b, fb);
            (b, fb) = (c, fc);
            side = 1;
        }
    }
    let (mean, se) = simulated_difference(plan, k, b);
    let h = b.abs().max(1.0) * 0.05;
    let slope = (simulated_difference(plan, k, b + h).0 - mean) / h;
    let max_effect_se = se / slope;
    // Near the scale's ceiling (or floor) the observed difference barely moves with
    // max_effect: the target is then (almost) out of reach, and no value pins it down.
    if !(slope > 0.05 * true_slope.abs() && max_effect_se.is_finite()) {
        return Err(format!(
            "an observed difference of {target} lies where the scale's bounds and rounding hold the difference \
             nearly constant: max_effect {b:.4} reaches it, but with a Monte Carlo SE of {max_effect_se:.3e}; give a \
             smaller target, or calibrate the true effect (target_among = \"enrolled\")"
        ));
    }
    Ok((b, max_effect_se))
}

/// The midpoints `(i + 1/2) / 2000` of the adherence Beta distribution with mean `m` and
/// concentration `c`, computed once per process for each distribution.
fn adherence_quantiles(m: f64, c: f64) -> Arc<[f64]> {
    static CACHE: crate::numeric::Memo<(u64, u64), Arc<[f64]>> = crate::numeric::Memo::new();
    crate::numeric::memoized(&CACHE, (m.to_bits(), c.to_bits()), |_| {
        let beta = BetaDist::new(m * c, (1.0 - m) * c).expect("validated");
        const K: usize = 2000;
        (0..K).map(|i| beta.inverse_cdf((i as f64 + 0.5) / K as f64)).collect()
    })
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
            let quantiles = adherence_quantiles(e.adherence_mean, e.adherence_concentration);
            quantiles.iter().map(|&q| fraction(q)).sum::<f64>() / quantiles.len() as f64
        }
    }
}

/// Mean deficit (mmol/L) among the enrolled whose true status is below `upper` (infinity for
/// all of them), and the share of them with no deficit; `None` when Mg status is not modelled
/// or nobody qualifies.
pub fn enrolled_deficit(plan: &Plan, upper: f64) -> Option<(f64, f64)> {
    let mg = plan.mg.as_ref()?;
    let filters = plan.selection_filters();
    let [p, deficit, no_deficit] = mg.integrate_each(&filters, upper, |m| {
        let d = mg.deficit(m);
        [1.0, d, f64::from(u8::from(d <= 0.0))]
    });
    if p <= 0.0 {
        return None;
    }
    let (mean, none) = (deficit / p, no_deficit / p);
    Some((mean, none))
}

/// Expected benefit of active arm `a` (outcome units) among the enrolled whose true status is
/// below `upper`, in closed form; `delta` for the fixed model, `effect_replete` without Mg status.
pub fn expected_effect_below(plan: &Plan, a: usize, upper: f64) -> f64 {
    let r = &plan.response;
    match (plan.scenario.response.model, enrolled_deficit(plan, upper)) {
        (ResponseModel::Repletion, Some((mean_deficit, share_no_deficit))) => {
            r.max_effect / r.ref_deficit_mmol_per_l * mean_deficit * mean_repleted_fraction(plan, a)
                + r.effect_replete * share_no_deficit
        }
        // Without Mg status nobody has a deficit: every treated person gets `effect_replete`.
        (ResponseModel::Repletion, None) if plan.mg.is_none() => r.effect_replete,
        (ResponseModel::Repletion, None) => 0.0,
        (ResponseModel::Fixed, _) => r.delta,
    }
}

/// Expected benefit of active arm `a` among everyone enrolled: the estimand of `true_effect`.
pub fn expected_effect(plan: &Plan, a: usize) -> f64 {
    expected_effect_below(plan, a, f64::INFINITY)
}

/// The exact estimand of a result row's CI coverage, where one is known:
/// - scales, Welch and ANCOVA over everyone: the expected benefit among the enrolled
///   ([`expected_effect`]);
/// - attack counts when every treated person has the same benefit `b` (the fixed response,
///   or no Mg status): `b` itself on the `-ln` rate-ratio scale, and the expected difference in
///   follow-up attacks `mean rho w / 4 (1 - e^-b)` for Welch and ANCOVA on the counts.
///
/// `None` for strata (whose estimand is an average over readings, not true status), responder
/// and Wilcoxon rows, migraine days (whose days ratio is not the rate ratio) and a benefit
/// that varies from person to person on a count outcome.
pub fn slot_estimand(plan: &Plan, slot: &crate::plan::Slot) -> Option<f64> {
    use crate::outcome::count::CountKind;
    if slot.subgroup != crate::plan::Subgroup::All {
        return None;
    }
    let effect = || expected_effect(plan, slot.arm);
    match (&plan.count, slot.test) {
        (None, TestKind::Welch | TestKind::Ancova) => Some(effect()),
        (None, _) => None,
        (Some((m, _)), test) => {
            let constant = plan.scenario.response.model == ResponseModel::Fixed || plan.mg.is_none();
            if !constant || m.kind != CountKind::Attacks {
                return None;
            }
            let b = effect();
            match test {
                TestKind::NegbinWald | TestKind::NegbinLr | TestKind::Poisson | TestKind::QuasiPoisson => Some(b),
                TestKind::Welch | TestKind::Ancova => {
                    Some(m.expected_count(m.followup_weeks, 1.0) * m.placebo_rate_ratio * -(-b).exp_m1())
                }
                _ => None,
            }
        }
    }
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
        TargetPopulation::Enrolled | TargetPopulation::ObservedChange => f64::INFINITY,
        TargetPopulation::Deficient => mg.deficiency_cutoff_mmol_per_l,
    };
    let who = match among {
        TargetPopulation::Deficient => {
            format!("the truly deficient enrolled (true status < {} mmol/L)", mg.deficiency_cutoff_mmol_per_l)
        }
        _ => "the enrolled".to_string(),
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
    if slope.is_nan() || slope.abs() <= 1e-12 {
        return Err(format!(
            "arm {} repletes no deficit among {who} under this design (dose, bioavailability, adherence or \
             duration give no repletion, or nobody enrolled is below the replete target), so no max_effect can \
             give a benefit of {target}",
            plan.arms[arm].name
        ));
    }
    // No benefit anywhere is exactly max_effect 0, on any scale (both arms then have one
    // distribution, so also the observed difference is 0): no root to search for.
    let no_effect = target == 0.0 && offset == 0.0;
    let max_effect = if no_effect { 0.0 } else { (target - offset) / slope };
    if !max_effect.is_finite() || max_effect.abs() > crate::validate::MAX_OUTCOME_MAGNITUDE {
        return Err(format!(
            "the effect {target} needs max_effect = {max_effect:.4e}, beyond the allowed magnitude of {}",
            crate::validate::MAX_OUTCOME_MAGNITUDE
        ));
    }
    // On a bounded or rounded scale an observed difference needs the seeded simulation.
    let (max_effect, method, max_effect_mc_se) =
        if among == TargetPopulation::ObservedChange && plan.outcome.is_nonlinear() && !no_effect {
            let k = plan.active_arms().position(|a| a == arm).expect("an active arm");
            let (solved, se) = solve_observed(plan, k, target, max_effect, slope)?;
            (solved, format!("seeded simulation of {OBSERVED_CALIBRATION_REPS} trials"), Some(se))
        } else {
            (max_effect, "quadrature".to_string(), None)
        };
    Ok(Calibration {
        target_effect: target,
        among,
        arm: plan.arms[arm].name.clone(),
        max_effect,
        unit: plan.scale.unit.clone(),
        direction: plan.scale.direction,
        method,
        max_effect_mc_se,
    })
}
