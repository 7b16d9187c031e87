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

pub mod record;

pub use record::{Calibration, Target};

use crate::engine::plan::Plan;
use crate::error::ScenarioError;
use crate::scenario::schema::{AbsorptionModel, PublishedDesign, ResponseModel, Scenario, TargetPopulation, TestKind};
use std::sync::Arc;

/// The plan of a validated scenario: [`Plan::resolved`], with `response.max_effect`
/// calibrated when the scenario has a `[response.calibration]` (solved here, on the published
/// design, or `fixed`'s solution transferred to this design's outcome: a sweep solves once, on
/// its base design), and its expected effect checked against the range the literature has seen.
/// Errors name the field: a threshold implausible for its assay, a calibration without a
/// solution, an effect beyond the literature.
pub fn plan(s: &Scenario, file: &str, fixed: Option<&Calibration>) -> Result<Plan, ScenarioError> {
    let invalid = |field: &str, message: String| ScenarioError::Invalid {
        file: file.to_string(),
        context: String::new(),
        field: field.to_string(),
        message,
    };
    let mut plan = Plan::resolved(s, file)?;
    if let Some(c) = fixed {
        // max_effect is in the published outcome's units: transferred to this design's.
        plan.response.max_effect =
            transferred(c, &plan.scale, plan.count.is_some()).map_err(|m| invalid("outcome", m))?;
        plan.calibration = Some(c.clone());
    } else if s.response.calibration.is_some() {
        let published = published_scenario(s);
        let same = |a: &Scenario, b: &Scenario| toml::to_string(a).ok() == toml::to_string(b).ok();
        let c = if same(&published, s) {
            let (design, pinned) = published_design_of(&plan);
            solve(&plan, design, pinned).map_err(|m| invalid("response.calibration", m))?
        } else {
            // Solved on the published design, used on this one.
            crate::scenario::validate::validate(&published).map_err(|(field, m)| {
                invalid(&field, format!("in the published design of [response.calibration]: {m}"))
            })?;
            let at_publication = self::plan(&published, file, None)?;
            at_publication.calibration.expect("a calibrated plan")
        };
        plan.response.max_effect =
            transferred(&c, &plan.scale, plan.count.is_some()).map_err(|m| invalid("outcome", m))?;
        plan.calibration = Some(c);
    }
    check_plausible_effect(&plan).map_err(|(f, m)| invalid(&f, m))?;
    Ok(plan)
}

/// The expected effect among the enrolled within the range the literature has seen,
/// unless `assumptions.beyond_literature` lists `response.expected_effect`: on a scale at
/// most [`crate::scenario::validate::MAX_STANDARDIZED_EFFECT`] SDs of the observed change, on counts a
/// geometric-mean rate ratio of at least [`crate::scenario::validate::MIN_RATE_RATIO`]. An effect
/// far beyond it is almost always a number written in another unit.
fn check_plausible_effect(plan: &Plan) -> Result<(), (String, String)> {
    let s = &plan.scenario;
    if s.assumptions.allows_beyond("response.expected_effect") {
        return Ok(());
    }
    let counts = plan.count.is_some();
    let field = match (s.response.model, s.response.calibration.is_some()) {
        (ResponseModel::Fixed, _) => {
            if counts {
                "response.rate_ratio"
            } else {
                "response.delta"
            }
        }
        (ResponseModel::Acute, _) => "response.acute_effect",
        (ResponseModel::Repletion, true) => "response.calibration",
        (ResponseModel::Repletion, false) => {
            if counts {
                "response.max_rate_ratio"
            } else {
                "response.max_effect"
            }
        }
    };
    let beyond = "to explore beyond it add \"response.expected_effect\" to assumptions.beyond_literature";
    let comparators = plan.arms.iter().enumerate().filter(|(_, a)| a.comparator.is_some()).map(|(i, _)| i);
    for a in plan.active_arms().chain(comparators) {
        let effect = expected_arm_benefit(plan, a);
        let name = &plan.arms[a].name;
        let field = if plan.arms[a].comparator.is_some() {
            &format!("arms.{name}.{}", if counts { "rate_ratio" } else { "effect" })
        } else {
            field
        };
        if counts {
            let ratio = (-effect).exp();
            if ratio < crate::scenario::validate::MIN_RATE_RATIO {
                return Err((
                    field.into(),
                    format!(
                        "arm {name} gives a geometric-mean rate ratio of {ratio:.4} among the enrolled, below the \
                         {} of the most extreme published figure (oral Mg, attack frequency [Chiu16]); a rate ratio \
                         is events on treatment over events without it; {beyond}",
                        crate::scenario::validate::MIN_RATE_RATIO
                    ),
                ));
            }
        } else {
            let o = &plan.outcome;
            let sd = o.change_sd.hypot(std::f64::consts::SQRT_2 * o.error_sd);
            let standardized = effect.abs() / sd;
            if standardized > crate::scenario::validate::MAX_STANDARDIZED_EFFECT {
                return Err((
                    field.into(),
                    format!(
                        "arm {name} gives an expected benefit of {effect:.4} {} among the enrolled, {standardized:.2} \
                         SDs of the observed change ({sd:.4}), beyond the {} SD the literature has seen (pooled SMD of \
                         Mg in depression 0.92, upper 95% limit 1.44 [Moabedi23]; MgT on cognition d 0.91 [Liu16]); \
                         check the unit ({}); {beyond}",
                        plan.scale.unit,
                        crate::scenario::validate::MAX_STANDARDIZED_EFFECT,
                        if field.starts_with("arms.") {
                            "a comparator's effect is its benefit at full adherence, in outcome units"
                        } else if field == "response.delta" {
                            "delta is the benefit of every treated participant, in outcome units"
                        } else if field == "response.acute_effect" {
                            "the acute effects are benefits of the infusion, in outcome units at the assessment"
                        } else {
                            "max_effect is outcome units per ref_deficit_mmol_per_l repleted"
                        },
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// Trials behind a calibration solved by simulation.
pub const OBSERVED_CALIBRATION_REPS: u64 = 20_000;
/// Participants per arm of each trial behind a calibration solved by simulation, whatever the
/// design's own size (the statistic's expectation does not depend on it): 30, Rajizadeh's
/// [Rajizadeh17], so that the shipped calibration gives the same value in every file.
pub(crate) const CALIBRATION_N_PER_ARM: u32 = 30;

/// Seed offset of the calibration's trials, so they are not the trials of the power run.
const CALIBRATION_SEED_OFFSET: u64 = 0x6361_6c69_6272_6174;

/// Trials of the timed pilot that projects a calibration's cost.
const CALIBRATION_PILOT_TRIALS: u64 = 200;

/// Evaluations of the statistic a calibration by simulation typically takes (bracket, Illinois
/// steps, the slope): 8 on every shipped calibration, more where the bracket must widen.
const TYPICAL_EVALUATIONS: f64 = 8.0;

/// Fewest analysable trials behind a simulated calibration.
const MIN_ANALYSABLE: usize = 1000;

/// A statistic of simulated trials that a calibration reproduces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Statistic {
    /// The difference in mean observed change, signed as benefit (Welch's estimate).
    ObservedChange,
    /// The difference in the shares of responders, active minus placebo, percentage points
    /// (pooled over trials, as published).
    ResponderDifference,
}

/// The statistic over [`OBSERVED_CALIBRATION_REPS`] trials of the plan at `max_effect`, for
/// comparison `k`, with its SE; NaN when fewer than [`MIN_ANALYSABLE`] trials can be analysed.
/// Also the placebo responders' share (percent) for a responder statistic.
fn simulated(plan: &Plan, k: usize, statistic: Statistic, max_effect: f64) -> (f64, f64, f64) {
    simulated_trials(plan, k, statistic, max_effect, OBSERVED_CALIBRATION_REPS)
}

/// [`simulated`] over the first `trials` trials.
fn simulated_trials(plan: &Plan, k: usize, statistic: Statistic, max_effect: f64, trials: u64) -> (f64, f64, f64) {
    use crate::engine::trial::{Trial, simulate_trial_into};
    use rayon::prelude::*;
    let test = match statistic {
        Statistic::ObservedChange => TestKind::Welch,
        Statistic::ResponderDifference => TestKind::ChiSquare,
    };
    // Only the calibrated arm and placebo are simulated: comparison `k` becomes the only one.
    let arm = plan.active_arms().nth(k).expect("an active arm");
    let mut probe = plan.with_placebo_and(arm).with_only(test);
    let k = 0;
    probe.response.max_effect = max_effect;
    // The statistic's expectation does not depend on the trial's size: every calibration
    // simulates the same size, so the solution does not move with the design's n.
    for arm in &mut probe.arms {
        arm.n_target = CALIBRATION_N_PER_ARM;
        arm.allocation = 1;
    }
    let seed = plan.scenario.design.seed.wrapping_add(CALIBRATION_SEED_OFFSET);
    // Collected in replicate order and summed sequentially: the same for any thread count.
    let per_trial: Vec<Option<[f64; 4]>> = (0..trials)
        .into_par_iter()
        .map_init(
            || Trial::new(&probe),
            |trial, rep| {
                simulate_trial_into(&probe, seed, rep, trial);
                let r = &trial.results[k];
                match statistic {
                    Statistic::ObservedChange => r.estimate().map(|e| [e.benefit, 0.0, 0.0, 0.0]),
                    Statistic::ResponderDifference => {
                        let table = match r {
                            crate::engine::comparison::SlotOutcome::Analysed(a) => a.table,
                            crate::engine::comparison::SlotOutcome::NotAnalysable { table } => *table,
                            crate::engine::comparison::SlotOutcome::NotConverged
                            | crate::engine::comparison::SlotOutcome::Decided(_) => None,
                        }?;
                        Some([
                            f64::from(table.active_responders),
                            f64::from(table.active_n),
                            f64::from(table.placebo_responders),
                            f64::from(table.placebo_n),
                        ])
                    }
                }
            },
        )
        .collect();
    let values: Vec<[f64; 4]> = per_trial.into_iter().flatten().collect();
    if values.len() < MIN_ANALYSABLE.min(trials as usize / 2) {
        return (f64::NAN, f64::NAN, f64::NAN);
    }
    let n = values.len() as f64;
    match statistic {
        Statistic::ObservedChange => {
            let mean = values.iter().map(|v| v[0]).sum::<f64>() / n;
            let var = values.iter().map(|v| (v[0] - mean).powi(2)).sum::<f64>() / (n - 1.0);
            (mean, (var / n).sqrt(), f64::NAN)
        }
        Statistic::ResponderDifference => {
            // Pooled shares, and the SE of their difference as a ratio estimator over trials.
            let total = |i: usize| values.iter().map(|v| v[i]).sum::<f64>();
            let (pa, pp) = (total(0) / total(1), total(2) / total(3));
            let (na, np) = (total(1) / n, total(3) / n);
            let resid = |v: &[f64; 4]| (v[0] - pa * v[1]) / na - (v[2] - pp * v[3]) / np;
            let var = values.iter().map(|v| resid(v).powi(2)).sum::<f64>() / (n - 1.0);
            (100.0 * (pa - pp), 100.0 * (var / n).sqrt(), 100.0 * pp)
        }
    }
}

/// Solves `simulated(m) = target` for `m`, starting from `start`. Returns the value and its
/// Monte Carlo SE. `flat_below` is the smallest slope that pins `m` down: where the statistic
/// moves by less, the scale's bounds have flattened it.
fn solve_simulated(
    plan: &Plan,
    k: usize,
    statistic: Statistic,
    target: f64,
    start: f64,
    flat_below: f64,
) -> Result<(f64, f64), String> {
    let limit = crate::scenario::validate::MAX_OUTCOME_MAGNITUDE;
    // A slow calibration (large trials, slow analyses) says so first, from a timed pilot of
    // 1% of one evaluation: a solve takes about TYPICAL_EVALUATIONS of them.
    let pilot = std::time::Instant::now();
    simulated_trials(plan, k, statistic, start, CALIBRATION_PILOT_TRIALS);
    let seconds = pilot.elapsed().as_secs_f64()
        * (OBSERVED_CALIBRATION_REPS / CALIBRATION_PILOT_TRIALS) as f64
        * TYPICAL_EVALUATIONS;
    if seconds > crate::output::NOTE_SECONDS {
        crate::output::note(&format!(
            "note: calibrating the effect by simulation takes about {seconds:.0} s (about {TYPICAL_EVALUATIONS} \
             evaluations of {OBSERVED_CALIBRATION_REPS} trials, timed on a pilot of {CALIBRATION_PILOT_TRIALS})"
        ));
    }
    let f = |m: f64| simulated(plan, k, statistic, m).0 - target;
    // Bracket: from the start, step outwards by doubling until the sign changes.
    let (mut a, mut fa) = (start, f(start));
    if fa.is_nan() {
        return Err(format!(
            "fewer than {MIN_ANALYSABLE} of {OBSERVED_CALIBRATION_REPS} simulated trials can be analysed (too few \
             completers), so the published effect cannot be calibrated"
        ));
    }
    let mut step = start.abs().max(1.0) * 0.25 * if fa < 0.0 { 1.0 } else { -1.0 };
    let (mut b, mut fb) = (a, fa);
    while fa.signum() == fb.signum() && fb != 0.0 {
        (a, fa) = (b, fb);
        b = a + step;
        if b.abs() > limit {
            let reached = simulated(plan, k, statistic, a).0;
            return Err(format!(
                "no max_effect within +-{limit} reproduces {target}: the outcome's bounds and rounding hold the \
                 simulated figure near {reached:.4}"
            ));
        }
        fb = f(b);
        step *= 2.0;
    }
    // Illinois regula falsi: the end that stays is halved in weight.
    let mut side = 0;
    // Stop when the bracket or the miss is far below the Monte Carlo error of the statistic.
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
    let (value, se, _) = simulated(plan, k, statistic, b);
    let h = b.abs().max(1.0) * 0.05;
    let slope = (simulated(plan, k, statistic, b + h).0 - value) / h;
    let max_effect_se = se / slope;
    // Near the scale's ceiling (or floor) the statistic barely moves with max_effect: the
    // target is then (almost) out of reach, and no value pins it down.
    if !(slope > flat_below && max_effect_se.is_finite()) {
        return Err(format!(
            "the published figure {target} lies where the outcome's bounds and rounding hold it nearly constant: \
             max_effect {b:.4} reaches it, but with a Monte Carlo SE of {max_effect_se:.3e}; give a smaller target, \
             or calibrate the true effect (among = \"enrolled\")"
        ));
    }
    Ok((b, max_effect_se))
}

/// The midpoints `(i + 1/2) / 2000` of the adherence Beta distribution with mean `m` and
/// concentration `c`, computed once per process for each distribution.
fn adherence_quantiles(m: f64, c: f64) -> Arc<[f64]> {
    static CACHE: crate::numeric::Memo<(u64, u64), Arc<[f64]>> = crate::numeric::Memo::new();
    crate::numeric::memoized(&CACHE, (m.to_bits(), c.to_bits()), |_| {
        const K: usize = 2000;
        let mut last = None;
        (0..K)
            .map(|i| {
                let x = crate::numeric::beta_quantile_near(m * c, (1.0 - m) * c, (i as f64 + 0.5) / K as f64, last);
                last = Some(x);
                x
            })
            .collect()
    })
}

/// Expected share of a deficit repleted by the end, `(1 - exp(-t/tau)) E[a / (a + A50)]`, over
/// per-person adherence, by the midpoint rule on 2000 quantiles of the Beta distribution.
/// With side effects, the mixture of the unaffected and the affected, who take
/// `adherence_factor` of their doses.
pub fn mean_repleted_fraction(plan: &Plan, arm: usize) -> f64 {
    let a = &plan.arms[arm];
    let Some(e) = a.exposure else { return 0.0 };
    let mean_at = |factor: f64| {
        let fraction =
            |adh: f64| plan.response.repleted_fraction(e.absorbed_at_full_adherence_mg_per_day() * factor * adh);
        match a.adherence {
            None => fraction(e.adherence_mean),
            Some(_) => {
                let quantiles = adherence_quantiles(e.adherence_mean, e.adherence_concentration);
                quantiles.iter().map(|&q| fraction(q)).sum::<f64>() / quantiles.len() as f64
            }
        }
    };
    match &a.side_effects {
        None => mean_at(1.0),
        Some(se) => (1.0 - se.probability) * mean_at(1.0) + se.probability * mean_at(se.adherence_factor),
    }
}

/// Mean deficit (mmol/L) among the enrolled whose true status is below `upper` (infinity for
/// all of them), and the share of them with no deficit; `None` when Mg status is not modelled
/// or nobody qualifies.
pub(crate) fn enrolled_deficit(plan: &Plan, upper: f64) -> Option<(f64, f64)> {
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

/// The share of arm `a`'s enrolled of true status `m` whose benefit of repletion the vitamin D
/// multiplier scales: the vitamin D deficient among them, or nobody in an arm that gives vitamin
/// D or without `[vitamin_d]`.
fn vitamin_d_limited_share(plan: &Plan, a: usize) -> impl Fn(f64) -> f64 + '_ {
    let vd = plan.vitamin_d.as_ref().filter(|v| !plan.arms[a].repletes_vitamin_d && v.benefit_multiplier != 1.0);
    move |m: f64| match vd {
        None => 0.0,
        Some(vd) => {
            let accepted = vd.passes_at(m);
            if accepted > 0.0 { vd.deficient_and_accepted(m) / accepted } else { 0.0 }
        }
    }
}

/// [`enrolled_deficit`] with each person's deficit weighted by the vitamin D multiplier of arm
/// `a`'s benefit of repletion: `1 - (1 - multiplier) P(vitamin D deficient | m, enrolled)`.
fn enrolled_deficit_with_vitamin_d(plan: &Plan, a: usize, upper: f64) -> Option<(f64, f64)> {
    let (mg, vd) = (plan.mg.as_ref()?, plan.vitamin_d.as_ref()?);
    let limited = vitamin_d_limited_share(plan, a);
    let [p, deficit, no_deficit] = mg.integrate_each(&plan.selection_filters(), upper, |m| {
        let d = mg.deficit(m);
        [1.0, d * (1.0 - (1.0 - vd.benefit_multiplier) * limited(m)), f64::from(u8::from(d <= 0.0))]
    });
    (p > 0.0).then(|| (deficit / p, no_deficit / p))
}

/// The mean rate ratio `E[exp(-benefit)]` among arm `a`'s enrolled on a count outcome, by the
/// quadrature of the repleted share's distribution (the estimand of a row's `true_rate_ratio`);
/// `None` without Mg status.
pub fn expected_rate_ratio(plan: &Plan, a: usize) -> Option<f64> {
    let (groups, no_deficit) = repletion_distribution(plan, a)?;
    let r = &plan.response;
    let deficient: f64 = groups.iter().map(|&(x, w)| w * (-r.max_effect * x).exp()).sum();
    Some((1.0 - no_deficit) * deficient + no_deficit * (-r.effect_replete).exp())
}

/// The share of the enrolled who are vitamin D deficient, by quadrature; `None` without
/// `[vitamin_d]`.
pub fn enrolled_vitamin_d_deficient(plan: &Plan) -> Option<f64> {
    let (mg, vd) = (plan.mg.as_ref()?, plan.vitamin_d.as_ref()?);
    let [p, deficient] = mg.integrate_each(&plan.selection_filters(), f64::INFINITY, |m| {
        let accepted = vd.passes_at(m);
        [1.0, if accepted > 0.0 { vd.deficient_and_accepted(m) / accepted } else { 0.0 }]
    });
    (p > 0.0).then(|| deficient / p)
}

/// Expected benefit of active arm `a` (outcome units) among the enrolled whose true status is
/// below `upper`, in closed form; `delta` for the fixed model, `effect_replete` without Mg status;
/// the acute effects weighted by the share with low Mg.
pub fn expected_effect_below(plan: &Plan, a: usize, upper: f64) -> f64 {
    let r = &plan.response;
    let deficit = match &plan.vitamin_d {
        None => enrolled_deficit(plan, upper),
        Some(_) => enrolled_deficit_with_vitamin_d(plan, a, upper),
    };
    match (plan.scenario.response.model, deficit) {
        (ResponseModel::Repletion, Some((mean_deficit, share_no_deficit))) => {
            r.max_effect / r.ref_deficit_mmol_per_l * mean_deficit * mean_repleted_fraction(plan, a)
                + r.effect_replete * share_no_deficit
                - expected_overshoot_harm(plan, a, upper)
                + expected_independent_benefit(plan, a)
        }
        // Without Mg status nobody has a deficit: every treated person gets `effect_replete`.
        (ResponseModel::Repletion, None) if plan.mg.is_none() => r.effect_replete,
        (ResponseModel::Repletion, None) => 0.0,
        (ResponseModel::Fixed, _) => r.delta,
        (ResponseModel::Acute, _) => match enrolled_low_mg_share(plan, upper) {
            Some(low) => r.acute_effect + (r.acute_effect_low_mg - r.acute_effect) * low,
            None => r.acute_effect,
        },
    }
}

/// A combination's expected benefit that does not go through Mg: its full-dose effect times the
/// mean adherence, the affected by side effects taking `adherence_factor` of their doses.
fn expected_independent_benefit(plan: &Plan, a: usize) -> f64 {
    let arm = &plan.arms[a];
    if arm.independent_benefit == 0.0 {
        return 0.0;
    }
    let taken = arm.side_effects.as_ref().map_or(1.0, |se| 1.0 - se.probability + se.probability * se.adherence_factor);
    arm.independent_benefit * arm.adherence_mean() * taken
}

/// The U-shape's expected harm in arm `a` among the enrolled whose true status is below
/// `upper` (0 without it): `h E[(m + (deficit + rise) f - U)+ - (m - U)+]` over true status and
/// the repleted share `f`, by quadrature over status and the share's 400 group means.
fn expected_overshoot_harm(plan: &Plan, a: usize, upper: f64) -> f64 {
    let (Some(o), Some(mg)) = (plan.response.overshoot, plan.mg.as_ref()) else { return 0.0 };
    let Some(lists) = repleted_share_lists(plan, a) else { return 0.0 };
    let [p, harm] = mg.integrate_each(&plan.selection_filters(), upper, |m| {
        let raise = mg.deficit(m) + o.rise_mmol_per_l;
        let h: f64 = lists
            .iter()
            .map(|(share, fractions)| {
                let mean: f64 = fractions.iter().map(|&f| plan.response.overshoot_harm(m, m + raise * f)).sum::<f64>()
                    / fractions.len() as f64;
                share * mean
            })
            .sum();
        [1.0, h]
    });
    if p > 0.0 { harm / p } else { 0.0 }
}

/// The share of the enrolled whose true status is below `upper` that is below the deficiency
/// cut-off (the acute response's low Mg); `None` without Mg status or when nobody qualifies.
pub(crate) fn enrolled_low_mg_share(plan: &Plan, upper: f64) -> Option<f64> {
    let mg = plan.mg.as_ref()?;
    let cutoff = mg.deficiency_cutoff_mmol_per_l;
    let [p, low] = mg.integrate_each(&plan.selection_filters(), upper, |m| [1.0, f64::from(u8::from(m < cutoff))]);
    (p > 0.0).then(|| low / p)
}

/// The expected benefit of arm `a` among the enrolled (engine units): an Mg arm's
/// [`expected_effect`], a comparator's own, 0 for placebo.
pub(crate) fn expected_arm_benefit(plan: &Plan, a: usize) -> f64 {
    plan.arms[a].expected_own_benefit().unwrap_or_else(|| expected_effect(plan, a))
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
pub(crate) fn slot_estimand(plan: &Plan, slot: &crate::engine::plan::Slot) -> Option<f64> {
    use crate::model::outcome::count::CountKind;
    if slot.subgroup != crate::engine::plan::Subgroup::All || slot.role != crate::engine::plan::SlotRole::Comparison {
        return None;
    }
    let (arm, reference) = (slot.arm, slot.reference);
    let effect = || expected_arm_benefit(plan, arm) - expected_arm_benefit(plan, reference);
    match (&plan.count, slot.test) {
        (None, TestKind::Welch | TestKind::Ancova) => Some(effect()),
        (None, _) => None,
        (Some((m, _)), test) => {
            // Every participant of an arm has the same rate ratio.
            let mg_constant = plan.scenario.response.model == ResponseModel::Fixed || plan.mg.is_none();
            let constant = |a: usize| {
                let p = &plan.arms[a];
                if p.is_active { mg_constant } else { p.benefit_is_constant() }
            };
            if !constant(arm) || !constant(reference) || m.kind != CountKind::Attacks {
                return None;
            }
            let (b, b_ref) = (expected_arm_benefit(plan, arm), expected_arm_benefit(plan, reference));
            match test {
                TestKind::NegbinWald | TestKind::NegbinLr | TestKind::Poisson | TestKind::QuasiPoisson => {
                    Some(effect())
                }
                // The difference in expected follow-up counts, the reference's minus the arm's.
                TestKind::Welch | TestKind::Ancova if b_ref == 0.0 => {
                    Some(m.expected_count(m.followup_weeks, 1.0) * m.placebo_rate_ratio * -(-b).exp_m1())
                }
                TestKind::Welch | TestKind::Ancova => {
                    Some(m.expected_count(m.followup_weeks, 1.0) * m.placebo_rate_ratio * ((-b_ref).exp() - (-b).exp()))
                }
                _ => None,
            }
        }
    }
}

/// Solves `max_effect` so that the plan, the published design, reproduces the target of
/// `[response.calibration]` in its arm: a benefit by quadrature (or, observed on a bounded or
/// rounded scale, by seeded simulation), a count's fall by quadrature, responder shares by
/// seeded simulation. The plan's response is used for everything but `max_effect`. `design`
/// describes the published design for headers. Errors explain why no value can reach it.
pub fn solve(plan: &Plan, design: String, published_design: PublishedDesign) -> Result<Calibration, String> {
    let spec = plan.scenario.response.calibration.as_ref().ok_or("no response.calibration")?;
    let target = Target::of(spec);
    let arm = match &spec.arm {
        Some(name) => plan.arms.iter().position(|a| &a.name == name).ok_or("validated: an active arm")?,
        None => plan.active_arms().next().ok_or("validated: an active arm")?,
    };
    let k = plan.active_arms().position(|a| a == arm).expect("an active arm");
    let mg = plan.mg.as_ref().ok_or("the repletion response needs Mg status")?;
    let upper = match target {
        Target::Benefit { among: TargetPopulation::Deficient, .. } => mg.deficiency_cutoff_mmol_per_l,
        _ => f64::INFINITY,
    };
    let who = if upper.is_finite() {
        format!("the truly deficient enrolled (true status < {} mmol/L)", mg.deficiency_cutoff_mmol_per_l)
    } else {
        "the enrolled".to_string()
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
             reproduce {}",
            plan.arms[arm].name,
            target.describe(&plan.scale.unit)
        ));
    }
    let simulation = || format!("seeded simulation of {OBSERVED_CALIBRATION_REPS} trials");
    let mut model_placebo_responder_percent = None;
    let (max_effect, method, max_effect_mc_se) = match target {
        Target::Benefit { benefit, among } => {
            // No benefit anywhere is exactly max_effect 0, on any scale (both arms then have
            // one distribution, so also the observed difference is 0): no root to search for.
            let no_effect = benefit == 0.0 && offset == 0.0;
            let max_effect = if no_effect { 0.0 } else { (benefit - offset) / slope };
            if !max_effect.is_finite() || max_effect.abs() > crate::scenario::validate::MAX_OUTCOME_MAGNITUDE {
                return Err(format!(
                    "the effect {benefit} needs max_effect = {max_effect:.4e}, beyond the allowed magnitude of {}",
                    crate::scenario::validate::MAX_OUTCOME_MAGNITUDE
                ));
            }
            if among == TargetPopulation::ObservedChange && plan.outcome.is_nonlinear() && !no_effect {
                match solve_observed_change(plan, arm, benefit, max_effect) {
                    Some(solved) => (solved?, "quadrature".to_string(), None),
                    None => {
                        let (solved, se) = solve_simulated(
                            plan,
                            k,
                            Statistic::ObservedChange,
                            benefit,
                            max_effect,
                            0.05 * slope.abs(),
                        )?;
                        (solved, simulation(), Some(se))
                    }
                }
            } else {
                (max_effect, "quadrature".to_string(), None)
            }
        }
        Target::CountReduction { .. } => {
            let ratio = target.count_ratio().expect("a count target");
            (solve_count_ratio(plan, arm, ratio)?, "quadrature".to_string(), None)
        }
        Target::Responders { active_percent, placebo_percent } => {
            let difference = active_percent - placebo_percent;
            // A start near the answer: a 10-point difference is about 0.25 SD of the change
            // on a scale, or a rate ratio of about 0.8 on counts.
            let guess =
                if plan.count.is_some() { 0.02 * difference } else { 0.025 * difference * plan.scale.change_sd };
            let start = (guess - offset) / slope;
            let (solved, se) = solve_simulated(plan, k, Statistic::ResponderDifference, difference, start, 0.0)?;
            model_placebo_responder_percent = Some(simulated(plan, k, Statistic::ResponderDifference, solved).2);
            (solved, simulation(), Some(se))
        }
    };
    Ok(Calibration {
        target,
        arm: plan.arms[arm].name.clone(),
        max_effect,
        unit: plan.scale.unit.clone(),
        direction: plan.scale.direction,
        baseline_sd: plan.scale.baseline_sd,
        counts: plan.count.is_some(),
        method,
        max_effect_mc_se,
        design,
        published_design,
        model_placebo_responder_percent,
    })
}

/// The expected observed score of a normal score with mean `mean` and SD `sd` on a bounded or
/// rounded scale (`OutcomeModel::observe`: clamped to its bounds, then rounded half to even):
/// for a rounded scale `lo + sum_k P(Y > k - 1/2)` over the integers `k` in `(lo, hi]`, for a
/// bounded one the mean of the clamped normal. `None` where the sum would be long or the
/// bounds of a rounded scale are not whole numbers.
fn expected_observed(o: &crate::model::outcome::OutcomeModel, mean: f64, sd: f64) -> Option<f64> {
    use statrs::distribution::{Continuous, ContinuousCDF, Normal};
    let n = Normal::standard();
    if o.integer {
        let lo = if o.min.is_finite() { o.min } else { (mean - 40.0 * sd).floor() };
        let hi = if o.max.is_finite() { o.max } else { (mean + 40.0 * sd).ceil() };
        if lo.fract() != 0.0 || hi.fract() != 0.0 || hi - lo > 100_000.0 {
            return None;
        }
        let mut expected = lo;
        let mut k = lo + 1.0;
        while k <= hi {
            expected += n.cdf((mean - (k - 0.5)) / sd);
            k += 1.0;
        }
        Some(expected)
    } else {
        // E[clamp(Y)] = lo P(Y < lo) + hi P(Y > hi) + E[Y; lo < Y < hi].
        let (a, b) = ((o.min - mean) / sd, (o.max - mean) / sd);
        let (pa, pb) = (n.cdf(a), n.cdf(b));
        let below = if o.min.is_finite() { o.min * pa } else { 0.0 };
        let above = if o.max.is_finite() { o.max * (1.0 - pb) } else { 0.0 };
        let density = |z: f64| if z.is_finite() { n.pdf(z) } else { 0.0 };
        Some(below + above + mean * (pb - pa) + sd * (density(a) - density(b)))
    }
}

/// Solves `max_effect` for a published difference in mean observed change on a bounded or
/// rounded scale, by quadrature instead of simulation: the observed baseline is the same in
/// both arms, so the difference is that of the expected observed follow-up (normal with SD
/// `sqrt(sd0^2 + change_sd^2 + error_sd^2)` around the baseline mean, the common change and the
/// person's benefit), averaged over the enrolled's benefits ([`repletion_distribution`]), and
/// bisected on `max_effect`. `None` where the scale or the model is not covered (then the
/// caller simulates); `Some(Err)` when no `max_effect` reaches the target.
fn solve_observed_change(plan: &Plan, arm: usize, target: f64, start: f64) -> Option<Result<f64, String>> {
    let o = &plan.outcome;
    let (groups, no_deficit) = repletion_distribution(plan, arm)?;
    let sd = (o.baseline_sd.powi(2) + o.change_sd.powi(2) + o.error_sd.powi(2)).sqrt();
    let centre = o.baseline_mean + o.common_change;
    let placebo = expected_observed(o, centre, sd)?;
    let replete = expected_observed(o, centre + o.benefit_sign * plan.response.effect_replete, sd)?;
    // The difference, signed as benefit, at `max_effect = m` (rising in m).
    let difference = |m: f64| -> f64 {
        let with_deficit = groups
            .iter()
            .map(|&(share, weight)| {
                weight * expected_observed(o, centre + o.benefit_sign * m * share, sd).unwrap_or(f64::NAN)
            })
            .sum::<f64>();
        o.benefit_sign * ((1.0 - no_deficit) * with_deficit + no_deficit * replete - placebo)
    };
    let limit = crate::scenario::validate::MAX_OUTCOME_MAGNITUDE;
    let f = |m: f64| difference(m) - target;
    // Bracket from the linear solution outwards, doubling the step.
    let mut step = start.abs().max(1.0) * 0.25;
    let (mut lo, mut hi) = (start, start);
    while f(lo) > 0.0 {
        lo -= step;
        step *= 2.0;
        if lo < -limit {
            return Some(Err(not_reached(target, difference(-limit))));
        }
    }
    step = start.abs().max(1.0) * 0.25;
    while f(hi) < 0.0 {
        hi += step;
        step *= 2.0;
        if hi > limit {
            return Some(Err(not_reached(target, difference(limit))));
        }
    }
    // Regula falsi with the Illinois modification (Dowell & Jarratt 1971): the difference is
    // smooth in max_effect, so a few evaluations reach a relative width of 1e-12.
    let (mut f_lo, mut f_hi) = (f(lo), f(hi));
    let mut side = 0;
    for _ in 0..200 {
        if hi - lo <= 1e-12 * hi.abs().max(lo.abs()) || f_lo == 0.0 || f_hi == 0.0 {
            break;
        }
        let mid = (lo * f_hi - hi * f_lo) / (f_hi - f_lo);
        let mid = if mid > lo && mid < hi { mid } else { 0.5 * (lo + hi) };
        let f_mid = f(mid);
        if f_mid < 0.0 {
            (lo, f_lo) = (mid, f_mid);
            if side == -1 {
                f_hi *= 0.5;
            }
            side = -1;
        } else {
            (hi, f_hi) = (mid, f_mid);
            if side == 1 {
                f_lo *= 0.5;
            }
            side = 1;
        }
    }
    Some(Ok(if f_lo.abs() < f_hi.abs() { lo } else { hi }))
}

/// The message when no `max_effect` within the allowed magnitude reproduces `target`.
fn not_reached(target: f64, reached: f64) -> String {
    format!(
        "no max_effect within +-{} reproduces {target}: the outcome's bounds and rounding hold the expected figure \
         near {reached:.4}",
        crate::scenario::validate::MAX_OUTCOME_MAGNITUDE
    )
}

/// Deficit bins for the count quadrature.
const DEFICIT_BINS: usize = 300;
/// Groups of about equal weight of the repleted share, for the quadratures.
const REPLETION_GROUPS: usize = 200;

/// The distribution of `dm / ref_deficit` (the repleted share of the reference deficit) among
/// the enrolled of arm `a` who have a deficit, as `REPLETION_GROUPS` group means with their
/// weights (summing to 1; each about `1 / REPLETION_GROUPS`, as the points fall), and the share
/// of the enrolled with no deficit. Deficits by bins of their exact distribution
/// (`P(deficit > t) = P(m < target - t | enrolled)`, by quadrature), times the 2000 adherence
/// quantiles of [`mean_repleted_fraction`]; grouping the sorted values keeps smooth integrands
/// accurate to ~1e-5.
fn repletion_distribution(plan: &Plan, a: usize) -> Option<(Vec<(f64, f64)>, f64)> {
    let mg = plan.mg.as_ref()?;
    let filters = plan.selection_filters();
    let total = mg.integrate(&filters, f64::INFINITY, |_| 1.0);
    if total <= 0.0 {
        return None;
    }
    let target = mg.replete_target_mmol_per_l;
    let lowest = mg.components.iter().map(|c| c.mean_mmol_per_l - 12.0 * c.sd_mmol_per_l).fold(f64::INFINITY, f64::min);
    let max_deficit = (target - lowest).max(0.0);
    let width = max_deficit / DEFICIT_BINS as f64;
    // P(deficit > j width) = P(m < target - j width), for every bin edge in one pass.
    let uppers: Vec<f64> = (0..=DEFICIT_BINS).rev().map(|j| target - j as f64 * width).collect();
    let below = mg.cumulative(&filters, &uppers);
    let above = |j: usize| below[DEFICIT_BINS - j] / total;
    let share_with_deficit = above(0);
    if share_with_deficit <= 0.0 {
        return Some((Vec::new(), 1.0));
    }
    // The repleted fraction at the 2000 adherence midpoints, as the means of groups of 5
    // consecutive ones (400 equal-weight values with the same mean), so that the products to
    // sort stay few.
    let lists = repleted_share_lists(plan, a)?;
    let per_list = lists[0].1.len();
    let limited_at = vitamin_d_limited_share(plan, a);
    let multiplier = plan.vitamin_d.as_ref().map_or(1.0, |v| v.benefit_multiplier);
    let mut points: Vec<(f64, f64)> = Vec::with_capacity(DEFICIT_BINS * per_list * lists.len());
    let mut upper_share = share_with_deficit;
    for j in 0..DEFICIT_BINS {
        let next = above(j + 1);
        let mass = (upper_share - next).max(0.0) / share_with_deficit;
        upper_share = next;
        let deficit = (j as f64 + 0.5) * width;
        // Under [vitamin_d], the vitamin D deficient share of the bin has its benefit scaled.
        let limited = limited_at(target - deficit);
        for (share, fractions) in &lists {
            for &f in fractions {
                let (x, w) = (deficit * f / plan.response.ref_deficit_mmol_per_l, mass / per_list as f64 * share);
                if limited > 0.0 {
                    points.push((x * multiplier, w * limited));
                }
                points.push((x, w * (1.0 - limited)));
            }
        }
    }
    points.sort_unstable_by(|x, y| x.0.total_cmp(&y.0).then(x.1.total_cmp(&y.1)));
    let total_mass: f64 = points.iter().map(|p| p.1).sum();
    let mut groups = Vec::with_capacity(REPLETION_GROUPS);
    let (mut sum, mut mass, mut edge) = (0.0, 0.0, total_mass / REPLETION_GROUPS as f64);
    for (x, w) in points {
        sum += x * w;
        mass += w;
        if mass >= edge - 1e-15 && groups.len() + 1 < REPLETION_GROUPS {
            groups.push((sum / mass, mass / total_mass));
            (sum, mass) = (0.0, 0.0);
            edge = total_mass / REPLETION_GROUPS as f64;
        }
    }
    if mass > 0.0 {
        groups.push((sum / mass, mass / total_mass));
    }
    Some((groups, 1.0 - share_with_deficit))
}

/// The repleted share of the reachable repletion (`time_factor * a / (a + A50)`) among arm
/// `a`'s participants: the 2000 adherence midpoints as the means of groups of 5 consecutive
/// ones (400 equal-weight values with the same mean); with side effects, the same for the
/// affected (who take `adherence_factor` of their doses), each list with its share. `None` for
/// an arm that takes no Mg.
fn repleted_share_lists(plan: &Plan, a: usize) -> Option<Vec<(f64, Vec<f64>)>> {
    let e = plan.arms[a].exposure?;
    let fractions_at = |factor: f64| -> Vec<f64> {
        match plan.arms[a].adherence {
            None => vec![
                plan.response.repleted_fraction(e.absorbed_at_full_adherence_mg_per_day() * factor * e.adherence_mean),
            ],
            Some(_) => adherence_quantiles(e.adherence_mean, e.adherence_concentration)
                .chunks(5)
                .map(|group| {
                    let sum: f64 = group
                        .iter()
                        .map(|&q| {
                            plan.response.repleted_fraction(e.absorbed_at_full_adherence_mg_per_day() * factor * q)
                        })
                        .sum();
                    sum / group.len() as f64
                })
                .collect(),
        }
    };
    Some(match &plan.arms[a].side_effects {
        None => vec![(1.0, fractions_at(1.0))],
        Some(se) => {
            vec![(1.0 - se.probability, fractions_at(1.0)), (se.probability, fractions_at(se.adherence_factor))]
        }
    })
}

/// Solves `max_effect` (`-ln` rate ratio at the reference deficit) so that the mean follow-up
/// count of arm `a` over the placebo arm's is `ratio` in the plan's design, by bisection on the
/// quadrature of [`repletion_distribution`] (the count falls as the effect grows). A person's
/// rate and Mg status are independent, so the expected count given a benefit `b` is the count
/// model's at rate ratio `placebo_rr e^-b` ([`crate::model::outcome::count::CountModel::expected_count`]).
fn solve_count_ratio(plan: &Plan, a: usize, ratio: f64) -> Result<f64, String> {
    let (model, _) = plan.count.as_ref().ok_or("a count outcome")?;
    let (groups, no_deficit) = repletion_distribution(plan, a).ok_or("the repletion response needs Mg status")?;
    let weeks = model.followup_weeks;
    let count_at = |b: f64| model.expected_count(weeks, model.placebo_rate_ratio * (-b).exp());
    let placebo = count_at(0.0);
    let replete = plan.response.effect_replete;
    let ratio_at = |k: f64| {
        let deficient = groups.iter().map(|&(x, weight)| weight * count_at(k * x)).sum::<f64>();
        ((1.0 - no_deficit) * deficient + no_deficit * count_at(replete)) / placebo
    };
    // The ratio falls as k grows; bracket by doubling in the direction of the target.
    let limit = crate::scenario::validate::MAX_OUTCOME_MAGNITUDE;
    let mut hi = 0.0;
    let mut step = if ratio < ratio_at(0.0) { 0.5 } else { -0.5 };
    let mut lo = loop {
        let k: f64 = hi + step;
        if k.abs() > 50.0 || k.abs() > limit {
            return Err(format!(
                "no max_rate_ratio reproduces a mean-count ratio of {ratio:.4} in this design: {:.1}% of the enrolled \
                 have no deficit to replete, and the rest reach at most a ratio of {:.4}",
                100.0 * no_deficit,
                ratio_at(if step > 0.0 { 50.0 } else { -50.0 })
            ));
        }
        if (ratio_at(k) - ratio).signum() != (ratio_at(hi) - ratio).signum() {
            let lo = hi;
            hi = k;
            break lo;
        }
        hi = k;
        step *= 2.0;
    };
    for _ in 0..80 {
        let mid = 0.5 * (lo + hi);
        if (ratio_at(mid) - ratio).signum() == (ratio_at(lo) - ratio).signum() {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    Ok(0.5 * (lo + hi))
}

/// The published design of `s`: `s` with the pins of `[response.calibration.published_design]`
/// applied (the calibrated arm's formulation and dose), and under `[vitamin_d]` no vitamin D test
/// nor co-supplement.
pub(crate) fn published_scenario(s: &crate::scenario::schema::Scenario) -> crate::scenario::schema::Scenario {
    let mut out = s.clone();
    let Some(spec) = s.response.calibration.as_ref() else { return out };
    let d = &spec.published_design;
    let arm = spec
        .arm
        .as_ref()
        .and_then(|name| s.arms.iter().position(|a| &a.name == name))
        .or_else(|| s.arms.iter().position(|a| a.kind == crate::scenario::schema::ArmKind::Active));
    if let Some(m) = d.selection_mode {
        out.selection.mode = m;
    }
    if let Some(a) = d.assay
        && a != out.biomarker.kind
    {
        // Another assay: its own defaults, not the file's assay's settings.
        out.biomarker = crate::scenario::schema::Biomarker { kind: a, ..Default::default() };
    }
    if d.threshold.is_some() {
        out.selection.threshold = d.threshold;
    }
    if let Some(a) = d.confirmation_assay
        && a != out.confirmation.kind
    {
        out.confirmation = crate::scenario::schema::Biomarker { kind: a, ..Default::default() };
    }
    if d.confirm_threshold.is_some() {
        out.selection.confirm_threshold = d.confirm_threshold;
    }
    if let Some(i) = arm {
        if d.formulation.is_some() {
            out.arms[i].formulation = d.formulation;
        }
        if d.dose_mg_per_day.is_some() {
            out.arms[i].dose_mg_per_day = d.dose_mg_per_day;
        }
        if d.intakes_per_day.is_some() {
            out.arms[i].intakes_per_day = d.intakes_per_day;
        }
    }
    if let Some(w) = d.duration_weeks {
        out.design.duration_weeks = w;
    }
    // What the published trial cost is not asked.
    out.costs = None;
    // The published Mg trials enrolled whatever the vitamin D status and gave Mg alone: the file's
    // vitamin D prevalence and correlation, with neither its vitamin D test nor its co-supplement.
    if let Some(v) = &mut out.vitamin_d {
        v.enrol = crate::scenario::schema::VitaminDEnrolment::Any;
        v.assay_sensitivity = None;
        v.assay_specificity = None;
        // (Without a multiplier every Mg arm gives vitamin D and nobody's benefit is scaled: the
        // flag stays, as it must for the design to be valid.)
        if let Some(i) = arm.filter(|_| v.benefit_multiplier_if_deficient.is_some()) {
            out.arms[i].vitamin_d = None;
        }
    }
    if let Some(o) = &d.outcome {
        out.outcome = o.clone();
    }
    out
}

/// The calibrated `max_effect` in the units of a design measured on `scale` (`counts`: a
/// count outcome): as solved on the same scale or between counts (a rate ratio has no unit);
/// from one rating scale to another at equal standardized effect, `max_effect * sd / sd_published`
/// with the scales' baseline SDs (the usual assumption of a standardized mean difference, as in
/// the meta-analyses of Mg in depression [Moabedi23]). Errors between a scale and counts.
pub fn transferred(c: &Calibration, scale: &crate::scenario::scales::Scale, counts: bool) -> Result<f64, String> {
    match (c.counts, counts) {
        (true, true) => Ok(c.max_effect),
        (false, false) if c.unit == scale.unit && c.direction == scale.direction => Ok(c.max_effect),
        (false, false) => Ok(c.max_effect * scale.baseline_sd / c.baseline_sd),
        _ => Err(format!(
            "the effect was calibrated on {} and this design measures {}: a rate ratio and a difference in \
             scores cannot stand for each other; calibrate on the same outcome family",
            c.unit, scale.unit
        )),
    }
}

/// The published design of a calibration plan in words (selection, the calibrated arm's
/// formulation and dose, duration; and which fields `[response.calibration.published_design]`
/// pinned), and every one of those fields written out.
pub(crate) fn published_design_of(plan: &Plan) -> (String, PublishedDesign) {
    let s = &plan.scenario;
    let spec = s.response.calibration.as_ref();
    let arm_index = spec
        .and_then(|c| c.arm.as_ref())
        .and_then(|name| s.arms.iter().position(|a| &a.name == name))
        .or_else(|| plan.active_arms().next())
        .unwrap_or(0);
    let arm = &s.arms[arm_index];
    let assay = s.biomarker.kind;
    let confirmation = plan.confirmation.as_ref().map(|(_, t)| (s.confirmation.kind, *t));
    let selection = match plan.mode {
        crate::scenario::schema::SelectionMode::AllComers => "all comers".to_string(),
        crate::scenario::schema::SelectionMode::Enrich => {
            format!("enrolled if {} < {} {}", assay.display_name(), plan.threshold, assay.unit())
        }
        crate::scenario::schema::SelectionMode::Stratify => {
            format!("stratified by {} < {} {}", assay.display_name(), plan.threshold, assay.unit())
        }
        crate::scenario::schema::SelectionMode::TwoStage => {
            let (kind, t) = confirmation.expect("two-stage has a confirmation");
            format!(
                "{} < {} {}, then {} < {t} {}",
                assay.display_name(),
                plan.threshold,
                assay.unit(),
                kind.display_name(),
                kind.unit()
            )
        }
    };
    let screened = plan.mode != crate::scenario::schema::SelectionMode::AllComers;
    let mut written = PublishedDesign {
        selection_mode: Some(plan.mode),
        assay: screened.then_some(assay),
        threshold: screened.then_some(plan.threshold),
        confirmation_assay: confirmation.map(|c| c.0),
        confirm_threshold: confirmation.map(|c| c.1),
        formulation: arm.formulation,
        dose_mg_per_day: arm.dose_mg_per_day,
        intakes_per_day: arm.intakes_per_day.filter(|_| s.absorption.model == AbsorptionModel::Saturable),
        duration_weeks: Some(s.design.duration_weeks),
        outcome: None,
    };
    let pinned = spec.map(|c| c.published_design.clone()).unwrap_or_default();
    // The outcome counts as pinned only where the file pins it; provenance writes it always.
    written.outcome = pinned.outcome.clone();
    let origin = if pinned.is_empty() {
        "this file's base design as written; pin it in [response.calibration.published_design]".to_string()
    } else if pinned == written {
        "[response.calibration.published_design]".to_string()
    } else {
        "[response.calibration.published_design], the rest from this file as written".to_string()
    };
    let product = match (arm.formulation, arm.bioavailability) {
        (_, Some(b)) => format!("at bioavailability {b}"),
        (Some(f), None) => f.label().to_string(),
        (None, None) => String::new(),
    };
    let dose = arm.dose_mg_per_day.unwrap_or(0.0);
    let outcome = pinned.outcome.as_ref().map_or(String::new(), |_| format!("; {}", plan.scale.name));
    let words = format!(
        "{selection}; {} {dose} mg/day {product}; {} weeks{outcome} ({origin})",
        arm.name, s.design.duration_weeks
    );
    written.outcome = Some(s.outcome.clone());
    (words, written)
}

#[cfg(test)]
mod tests {
    /// Under `[vitamin_d]` the binned distribution of the repleted share (the count and bounded
    /// scale quadratures) scales the effect as the direct quadrature of the expected effect does:
    /// the ratio of an Mg arm's effect to an Mg + vitamin D arm's (0.40 here, a multiplier of 0.2
    /// for 40% of the enrolled, more of them among the low in Mg) agrees to 1e-4, below the
    /// binning's own error of ~1.4e-4 in each (which the ratio cancels).
    #[test]
    fn the_binned_repletion_keeps_the_vitamin_d_weight() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/depression_mgo_all_comers.toml");
        let text = std::fs::read_to_string(path).unwrap()
            + "\n[vitamin_d]\ndeficiency_prevalence = 0.4\ncorrelation_with_mg = 0.6\n\
               benefit_multiplier_if_deficient = 0.2\n";
        let effects = |gives: bool| {
            let text = if gives {
                // Its only Mg arm gives vitamin D: the multiplier would scale nobody (refused).
                text.replace("adherence_mean = 0.83", "adherence_mean = 0.83\nvitamin_d = true")
                    .replace("benefit_multiplier_if_deficient = 0.2\n", "")
            } else {
                text.clone()
            };
            let source = crate::scenario::Source::parse(text, "t.toml", "t").unwrap();
            let mut plan = crate::study::single_plan(&source, &[]).unwrap();
            plan.response.max_effect = 10.0;
            plan.response.effect_replete = 0.0;
            let (groups, no_deficit) = super::repletion_distribution(&plan, 1).unwrap();
            let binned = plan.response.max_effect * (1.0 - no_deficit) * groups.iter().map(|(x, w)| x * w).sum::<f64>();
            (binned, super::expected_effect(&plan, 1))
        };
        let ((binned, direct), (binned_d, direct_d)) = (effects(false), effects(true));
        let (ratio_binned, ratio_direct) = (binned / binned_d, direct / direct_d);
        assert!(ratio_direct < 0.5, "{ratio_direct}");
        assert!((ratio_binned - ratio_direct).abs() < 1e-4, "{ratio_binned} vs {ratio_direct}");
    }

    /// The 2000 midpoint quantiles of the adherence Beta are its quantiles, for every shape the
    /// scenario allows (0.05 and up): the expected repletion of a calibration rests on them.
    /// statrs' inverse put those of Beta(0.05, 0.05) up to 0.07 off in probability.
    #[test]
    fn adherence_quantiles_are_the_beta_quantiles() {
        use statrs::function::beta::beta_reg;
        for (mean, c) in [(0.5, 0.1), (0.83, 0.3), (0.83, 20.0), (0.2, 1.0), (0.9, 3.0)] {
            let (a, b) = (mean * c, (1.0 - mean) * c);
            let q = super::adherence_quantiles(mean, c);
            for (i, &x) in q.iter().enumerate() {
                let u = (i as f64 + 0.5) / q.len() as f64;
                // The tail the quantile lies in, as a lower tail (`1 - x` is exact for x >= 1/2;
                // statrs' `beta_reg` loses the upper tail of small shapes), within 1e-9 of its
                // probability over the doubles either side of x: the exact quantile to a
                // double's resolution (near 1 a double keeps few digits of 1 - x).
                let (x_below, x_above) = (x.next_down().max(0.0), x.next_up().min(1.0));
                let (p, below, above) = if u > 0.5 {
                    (1.0 - u, beta_reg(b, a, 1.0 - x_above), beta_reg(b, a, 1.0 - x_below))
                } else {
                    (u, beta_reg(a, b, x_below), beta_reg(a, b, x_above))
                };
                assert!(
                    p > below.min(above) - 1e-9 && p < below.max(above) + 1e-9,
                    "Beta({a}, {b}) at {u}: x = {x}, its tail {below:.6e} to {above:.6e}, not {p}"
                );
            }
        }
    }

    /// The quadrature that solves an observed-change calibration on a bounded, rounded scale
    /// agrees with the seeded simulation it replaced, within 4 of the simulation's Monte Carlo
    /// SEs, on the shipped enriched scenario (BDI-II, 0-63, whole points) and with the scale
    /// unrounded (bounds only).
    #[test]
    fn observed_change_quadrature_matches_the_simulation() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/depression_mgo_enriched.toml");
        for set in [vec![], vec!["outcome.integer=false".to_string()]] {
            let s = crate::scenario::load(&path, &set).expect("shipped scenario");
            let plan = super::Plan::resolved(&s, "depression_mgo_enriched.toml").expect("a plan");
            let arm = plan.active_arms().next().expect("an active arm");
            let quadrature = super::solve_observed_change(&plan, arm, 5.25, 18.0).expect("covered").expect("solved");
            let (simulated, se) =
                super::solve_simulated(&plan, 0, super::Statistic::ObservedChange, 5.25, 18.0, 0.05).expect("solved");
            assert!(
                (quadrature - simulated).abs() < 4.0 * se,
                "{set:?}: quadrature {quadrature}, simulation {simulated} (SE {se})"
            );
        }
    }
}
