//! Assurance (`[uncertainty]`): the plans of the draws of the uncertain values, and the checks
//! that every value a prior can draw is one its field allows.
//!
//! A design point's plan is the central design (each uncertain field at its prior's median);
//! [`attach_draws`] gives it the plan of each draw, made as a `--set` of the drawn values
//! would make it: a drawn value of the biology re-solves a calibration (once per draw, shared
//! by the design points that differ only in their design), any other is the design's own.

use crate::engine::plan::{DrawnPlans, Plan};
use crate::error::ScenarioError;
use crate::scenario::prior::{U_MAX, U_MIN, draw, no_effect_value, quantile};
use crate::scenario::schema::{Override, Prior};
use crate::scenario::source::Source;
use crate::scenario::sweep::{Study, same_field};
use crate::study::CalibrationMemo;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Draws whose calibrations are kept for the design points that follow (a study runs its
/// points in order, each over the same draws); beyond it the memo starts again.
const MEMO_DRAWS: usize = 4096;

/// The calibrations of the draws solved so far in this process, by the scenario's text and the
/// draw, then by published design.
type DrawMemo = Arc<Mutex<HashMap<(u64, u64), CalibrationMemo>>>;

fn draw_memo() -> DrawMemo {
    static MEMO: std::sync::OnceLock<DrawMemo> = std::sync::OnceLock::new();
    MEMO.get_or_init(Default::default).clone()
}

/// The values of draw `k`, as overrides of their fields.
pub(crate) fn drawn_overrides(priors: &[Prior], seed: u64, k: u64) -> Vec<Override> {
    priors
        .iter()
        .enumerate()
        .map(|(j, p)| Override { path: p.field.clone(), value: toml::Value::Float(draw(p, j, seed, k).value) })
        .collect()
}

/// Gives `plan`, the central plan of the design point with `overrides`, the plans of its
/// draws, when the scenario has `[uncertainty]`.
pub(crate) fn attach_draws(source: &Source, overrides: &[Override], context: Option<&str>, plan: &mut Plan) {
    let Some(u) = plan.scenario.uncertainty.clone() else { return };
    let (source, overrides) = (Arc::new(source.clone()), overrides.to_vec());
    let context = context.map_or_else(String::new, |c| format!("{c}, "));
    let seed = plan.scenario.design.seed;
    let (rows, arms) = (plan.slots.len(), plan.arms.len());
    let identical = u.prior.iter().all(|p| {
        p.distribution == crate::scenario::schema::PriorDistribution::PointMass && p.probability_of_no_effect.is_none()
    });
    let memo = draw_memo();
    // Files of one name may differ (a test's, an edited file): the memo is keyed by the text.
    let text_hash = {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        source.text().hash(&mut h);
        h.finish()
    };
    let build = move |k: u64| -> Result<Plan, String> {
        let drawn = drawn_overrides(&u.prior, seed, k);
        let shown: Vec<String> = drawn.iter().map(Override::display).collect();
        let here = format!("{context}at draw {k} of [uncertainty] ({})", shown.join(", "));
        let mut o = overrides.clone();
        o.extend(drawn);
        let key = (text_hash, k);
        let mut solved = memo.lock().unwrap_or_else(|p| p.into_inner()).remove(&key).unwrap_or_default();
        let calibration = crate::study::calibration_at(&source, &o, Some(&here), &mut solved);
        {
            let mut m = memo.lock().unwrap_or_else(|p| p.into_inner());
            if m.len() >= MEMO_DRAWS {
                m.clear();
            }
            m.insert(key, solved);
        }
        let with = |e: ScenarioError| {
            let e = e.to_string();
            if e.contains(&here) { e } else { format!("{e} ({here})") }
        };
        let p =
            crate::study::plan_of_point(&source, &o, Some(&here), calibration.map_err(with)?.as_ref()).map_err(with)?;
        if p.slots.len() != rows || p.arms.len() != arms {
            return Err(format!(
                "{}: {here}, the trial's arms or result rows differ from the central design's: a prior may not change \
                 what the trial compares",
                source.file
            ));
        }
        Ok(p)
    };
    plan.draws = Some(DrawnPlans { trials_per_draw: u64::from(u.trials_per_draw), identical, build: Arc::new(build) });
}

/// Refuses a target of `sample-size` or `optimize` that assurance cannot reach: with
/// probability `p0` of no effect, a trial succeeds at most with probability `alpha` then, so
/// assurance is at most `1 - p0 (1 - alpha)` however large the trial.
pub fn check_reachable(plans: &[Plan], target: f64) -> Result<(), String> {
    for plan in plans {
        let Some(u) = &plan.scenario.uncertainty else { continue };
        let alpha = plan.scenario.analysis.alpha;
        for (i, p) in u.prior.iter().enumerate() {
            if let Some(p0) = p.probability_of_no_effect {
                let most = 1.0 - p0 * (1.0 - alpha);
                if target > most {
                    return Err(format!(
                        "--target {target}: assurance cannot reach it: with probability {p0} that {} has no effect \
                         (uncertainty.prior[{i}]), a trial succeeds at most with probability 1 - {p0} x (1 - alpha \
                         {alpha}) = {most:.4}, however large; lower the target",
                        p.field
                    ));
                }
            }
        }
    }
    Ok(())
}

/// Refuses a prior whose draws can reach a value its field does not allow, checked at the
/// design with `base` overrides: the most extreme values it can draw (its quantiles at the
/// smallest and largest uniform a draw uses, so a normal's reach 8.2 SD from its mean) and its
/// value of no effect. Also refuses a prior whose field `--set` or the study sets, which would
/// replace its draws, a second prior on one field spelled another way, a `--set` or sweep of
/// `[uncertainty]` itself (the priors are read from the file); and at least
/// [`crate::engine::MIN_DRAWS`] draws per design point.
pub(crate) fn check_priors(source: &Source, base: &[Override], study: &Study) -> Result<(), ScenarioError> {
    let Some(u) = source.priors() else { return Ok(()) };
    let scenario = source.resolve(base, None)?;
    let invalid = |i: usize, part: &str, message: String| ScenarioError::Invalid {
        file: source.file.clone(),
        context: String::new(),
        field: format!("uncertainty.prior[{i}]{part}"),
        message,
    };
    let reps = scenario.design.reps;
    let min = crate::engine::MIN_DRAWS as u32;
    if reps < min * u.trials_per_draw {
        return Err(ScenarioError::Invalid {
            file: source.file.clone(),
            context: String::new(),
            field: "design.reps".into(),
            message: format!(
                "{reps} replicates: assurance needs at least {min} draws of the uncertain values, {min} x \
                 uncertainty.trials_per_draw = {} replicates",
                min * u.trials_per_draw
            ),
        });
    }
    let canonical = |p: &str| source.canonical_path(base, p);
    let mut elsewhere: Vec<(String, String)> = study.set_paths();
    elsewhere.extend(base.iter().map(|o| (o.path.clone(), format!("--set {}", o.display()))));
    if let Some((path, origin)) = elsewhere.iter().find(|(p, _)| p.split('.').next() == Some("uncertainty")) {
        return Err(ScenarioError::Invalid {
            file: source.file.clone(),
            context: String::new(),
            field: path.clone(),
            message: format!("is set by {origin}: the priors are read from the file; edit [uncertainty] there"),
        });
    }
    let mut seen: Vec<String> = Vec::new();
    for (i, p) in u.prior.iter().enumerate() {
        let path = canonical(&p.field);
        if let Some(j) = seen.iter().position(|q| *q == path) {
            return Err(invalid(
                i,
                ".field",
                format!(
                    "{} is the field of uncertainty.prior[{j}] too, spelled another way: one prior per field",
                    p.field
                ),
            ));
        }
        seen.push(path.clone());
        if let Some((_, origin)) = elsewhere.iter().find(|(q, _)| same_field(&path, &canonical(q))) {
            return Err(invalid(
                i,
                ".field",
                format!("{} is also set by {origin}, which would replace its draws: remove one of them", p.field),
            ));
        }
        let mut probes = vec![quantile(p, U_MIN), quantile(p, U_MAX)];
        probes.extend(p.probability_of_no_effect.and_then(|_| no_effect_value(&p.field)));
        for v in probes {
            let mut o = base.to_vec();
            o.push(Override { path: p.field.clone(), value: toml::Value::Float(v) });
            // Resolved and planned as a draw would be (its calibration, the plan's own checks).
            let planned = source.resolve(&o, None).and_then(|_| {
                let calibration = crate::study::calibration_at(source, &o, None, &mut CalibrationMemo::new())?;
                crate::study::plan_of_point(source, &o, None, calibration.as_ref()).map(|_| ())
            });
            if let Err(e) = planned {
                let why = match e {
                    ScenarioError::Invalid { field, message, .. } => format!("{field} {message}"),
                    e => e.to_string(),
                };
                return Err(invalid(
                    i,
                    "",
                    format!(
                        "the {} prior on {} can draw {v}, which the field does not allow: {why}; narrow the prior \
                         (e.g. a truncated_normal within the allowed range)",
                        p.distribution.label(),
                        p.field
                    ),
                ));
            }
        }
    }
    Ok(())
}
