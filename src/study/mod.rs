//! A study: every design point of a sweep resolved, simulated with common random numbers,
//! summarized, and compared with its neighbour by a paired test.
//!
//! Around it: what a command asks for ([`request`]), the sample-size [`search`], saving and
//! resuming a run ([`checkpoint`]), [`shard`]s and their merge, and the self-checks of
//! `mgtrial validate` ([`validation`]). This layer returns data, and `report` makes it text;
//! the one exception is the table of `mgtrial validate`.

pub mod assurance;
pub mod checkpoint;
pub mod request;
pub mod search;
pub mod shard;
pub mod validation;

use crate::engine::calibration::Calibration;
use crate::engine::plan::Plan;
use crate::engine::summary::{ComparisonSummary, summarize};
use crate::engine::{PointResults, RejectionBits, Replicates, Runner};
use crate::error::ScenarioError;
use crate::scenario::schema::Override;
use crate::scenario::source::Source;
use crate::scenario::sweep::Study;
use statrs::distribution::{Binomial, DiscreteCDF};

/// Fields of the calibration itself (the published effect, or the stated `max_effect`).
pub(crate) const CALIBRATION_FIELDS: [&str; 3] =
    ["response.calibration", "response.max_effect", "response.max_rate_ratio"];

/// Sections of the biology, which a published trial and the design under study share: their
/// overrides (`--set`, sweep points) apply to the calibration too. Every other field describes
/// a design, and the published design takes it from the file as written unless
/// `[response.calibration.published_design]` pins it.
const BIOLOGY_SECTIONS: [&str; 5] = ["population", "bioavailability", "absorption", "response", "vitamin_d"];

/// Sizes, and the multiplicity procedure of several arms, which a calibration does not depend
/// on (a simulated one takes its own size, and calibrates one arm against placebo), but which
/// a file may leave to `--set`: they reach the published design so that it is complete.
fn completes_the_published_design(path: &str) -> bool {
    let keys: Vec<&str> = path.split('.').collect();
    matches!(
        keys.as_slice(),
        ["design", "n_per_arm" | "reps"] | ["arms", _, "n" | "allocation"] | ["analysis", "multiplicity"]
    )
}

/// The overrides among `overrides` that apply to the published design: those of the biology
/// (and the sizes).
fn biology_overrides(source: &Source, overrides: &[Override]) -> Vec<Override> {
    overrides
        .iter()
        .filter(|o| {
            let path = source.canonical_path(overrides, &o.path);
            BIOLOGY_SECTIONS.iter().any(|s| crate::scenario::sweep::same_field(s, &path))
                || completes_the_published_design(&path)
        })
        .cloned()
        .collect()
}

/// The overrides of the published design of the point with `overrides`: the biology's (its
/// pins are applied when its plan is made, see [`crate::engine::calibration::published_scenario`]);
/// `None` without a calibration.
fn published_overrides(
    source: &Source,
    overrides: &[Override],
    context: Option<&str>,
) -> Result<Option<Vec<Override>>, ScenarioError> {
    let scenario = source.resolve_point(overrides, context)?;
    Ok(scenario.response.calibration.is_some().then(|| biology_overrides(source, overrides)))
}

/// Calibrations already solved in this process, by their published design's overrides.
pub(crate) type CalibrationMemo = Vec<(Vec<Override>, Option<Calibration>)>;

/// The calibration of the design point with `overrides`: solved on the published design
/// (the file as written, with the point's biology overrides and the published design's pins),
/// so that `--set` and a sweep point give the same answer; `None` without a calibration.
pub(crate) fn calibration_at(
    source: &Source,
    overrides: &[Override],
    point: Option<&str>,
    memo: &mut CalibrationMemo,
) -> Result<Option<Calibration>, ScenarioError> {
    let Some(published) = published_overrides(source, overrides, point)? else { return Ok(None) };
    // Sizes do not change a calibration: designs that differ only in them share one.
    let key: Vec<Override> = published
        .iter()
        .filter(|o| !completes_the_published_design(&source.canonical_path(overrides, &o.path)))
        .cloned()
        .collect();
    if let Some((_, c)) = memo.iter().find(|(o, _)| *o == key) {
        return Ok(c.clone());
    }
    let context = format!(
        "in the published design of [response.calibration] (this file as written{})",
        if published.is_empty() {
            String::new()
        } else {
            format!(", with {}", published.iter().map(Override::display).collect::<Vec<_>>().join(" "))
        }
    );
    let solved = match published_plan(source, &published, &context) {
        Ok(plan) => {
            refuse_inert_pins(source, &plan)?;
            plan.calibration
        }
        Err(e @ ScenarioError::Invalid { .. }) => return Err(e),
        Err(e) => {
            return Err(ScenarioError::Calibration {
                file: source.file.clone(),
                message: format!(
                    "the calibration is solved on the published design, {context}, and it is not a valid design: {e}; \
                     give those fields in the file or pin them in [response.calibration.published_design]"
                ),
            });
        }
    };
    memo.push((key, solved.clone()));
    Ok(solved)
}

/// Refuses a pin of `[response.calibration.published_design]` that does nothing in the
/// published design (a threshold under all comers, a confirmation without two stages).
fn refuse_inert_pins(source: &Source, plan: &Plan) -> Result<(), ScenarioError> {
    let published = crate::engine::calibration::published_scenario(&plan.scenario);
    let Some(spec) = published.response.calibration.as_ref() else { return Ok(()) };
    let d = &spec.published_design;
    let arm = spec
        .arm
        .clone()
        .or_else(|| {
            published.arms.iter().find(|a| a.kind == crate::scenario::schema::ArmKind::Active).map(|a| a.name.clone())
        })
        .unwrap_or_default();
    for (pin, given, field) in [
        ("threshold", d.threshold.is_some(), "selection.threshold"),
        ("assay", d.assay.is_some(), "selection.threshold"),
        ("confirmation_assay", d.confirmation_assay.is_some(), "confirmation.type"),
        ("confirm_threshold", d.confirm_threshold.is_some(), "selection.confirm_threshold"),
        ("formulation", d.formulation.is_some(), &format!("arms.{arm}.formulation")),
    ] {
        if let Some(why) = given.then(|| crate::scenario::inert::why_inert(&published, field)).flatten() {
            let why = why.replace("selection.mode", "its selection mode");
            return Err(ScenarioError::Invalid {
                file: source.file.clone(),
                context: String::new(),
                field: format!("response.calibration.published_design.{pin}"),
                message: format!("does nothing in the published design: {why}"),
            });
        }
    }
    Ok(())
}

/// The calibration of the base design (see [`calibration_at`]).
pub fn base_calibration(source: &Source, base: &[Override]) -> Result<Option<Calibration>, ScenarioError> {
    calibration_at(source, base, None, &mut Vec::new())
}

/// The plan of the single design of `source` with `base` overrides (no sweep).
pub fn single_plan(source: &Source, base: &[Override]) -> Result<Plan, ScenarioError> {
    assurance::check_priors(source, base, &Study::new(None, Vec::new())?)?;
    let calibration = base_calibration(source, base)?;
    let plan = plan_with(source, base, None, calibration.as_ref())?;
    refuse_inert(source, base, &Study::new(None, Vec::new())?, std::slice::from_ref(&plan))?;
    Ok(plan)
}

/// Refuses a field that is given but does nothing (see `inert.rs`): a field of the file or of
/// `--set` that is inert at every design point, or a field a sweep sets at a point where it is
/// inert there.
pub(crate) fn refuse_inert(
    source: &Source,
    base: &[Override],
    study: &Study,
    plans: &[Plan],
) -> Result<(), ScenarioError> {
    let set_by_user: Vec<String> = base.iter().map(|o| source.canonical_path(base, &o.path)).collect();
    let mut base_inert: Option<Vec<(String, String)>> = None;
    for (point, plan) in study.points.iter().zip(plans) {
        let mut overrides = base.to_vec();
        let swept = study.overrides(point);
        overrides.extend(swept.iter().cloned());
        let table = source.merged_point(&overrides)?;
        let inert = crate::scenario::inert::inert_given(&table, &plan.scenario);
        for o in &swept {
            let path = source.canonical_path(&overrides, &o.path);
            if let Some((field, why)) = inert.iter().find(|(p, _)| crate::scenario::sweep::same_field(p, &path)) {
                return Err(ScenarioError::Sweep {
                    what: format!("point {}", study.describe(point)),
                    message: format!("sets {field}, which does nothing there: {why}"),
                });
            }
        }
        base_inert = Some(match base_inert {
            None => inert,
            Some(before) => before.into_iter().filter(|(p, _)| inert.iter().any(|(q, _)| q == p)).collect(),
        });
    }
    let given_by_base = crate::scenario::inert::given_paths(&source.merged(base)?);
    if let Some((field, why)) = base_inert.unwrap_or_default().into_iter().find(|(p, _)| given_by_base.contains(p)) {
        let context = match set_by_user.iter().position(|p| *p == field) {
            Some(i) => format!(" with --set {}", base[i].display()),
            None if study.is_single() => String::new(),
            None => " at every design point".to_string(),
        };
        // A field with a prior is given by the prior (at its median, see `Source`).
        let prior = source.priors().and_then(|u| {
            u.prior
                .iter()
                .position(|p| crate::scenario::sweep::same_field(&source.canonical_path(base, &p.field), &field))
        });
        let given = prior.map_or_else(|| "is given".to_string(), |i| format!("has a prior (uncertainty.prior[{i}])"));
        return Err(ScenarioError::Invalid {
            file: source.file.clone(),
            context,
            field,
            message: format!("{given} but does nothing: {why}"),
        });
    }
    Ok(())
}

/// Design points set up before a long set-up is projected and announced (or 2% of them, if
/// more: the first points of a large study are the cheapest).
const SETUP_PROBE_POINTS: usize = 200;

/// The resolved plan of every design point, in study order. A calibration is solved on the
/// published design of each point (see [`calibration_at`]): once, unless a sweep varies the
/// biology or the calibration itself.
pub fn plans(source: &Source, base: &[Override], study: &Study) -> Result<Vec<Plan>, ScenarioError> {
    assurance::check_priors(source, base, study)?;
    let mut memo = CalibrationMemo::new();
    let started = std::time::Instant::now();
    let total = study.points.len();
    let plans = study
        .points
        .iter()
        .enumerate()
        .map(|(i, p)| {
            // A long set-up says so early: projected from its first points, doubled for the
            // checks of every point's fields that follow (about half of a large study's set-up,
            // measured on 80,000 points).
            if i == SETUP_PROBE_POINTS.max(total / 50) && total > 2 * SETUP_PROBE_POINTS {
                let seconds = 2.0 * started.elapsed().as_secs_f64() * total as f64 / i as f64;
                if seconds > crate::output::NOTE_SECONDS {
                    crate::output::note(&format!(
                        "note: setting up {total} design points takes about {seconds:.0} s (projected from the first \
                         {i}) before any replicate runs"
                    ));
                }
            }
            let mut overrides = base.to_vec();
            overrides.extend(study.overrides(p));
            let context = (!study.is_single()).then(|| format!("at sweep point {}", study.describe(p)));
            let calibration =
                calibration_at(source, &overrides, context.as_deref(), &mut memo).map_err(|e| match (e, &context) {
                    // An error of the point's own fields names the point already.
                    (ScenarioError::Invalid { file, context: c, field, message }, Some(ctx)) if !c.contains(ctx) => {
                        ScenarioError::Invalid { file, context: format!("{c} {ctx}"), field, message }
                    }
                    (e, _) => e,
                })?;
            plan_with(source, &overrides, context.as_deref(), calibration.as_ref())
        })
        .collect::<Result<Vec<Plan>, ScenarioError>>()?;
    refuse_inert(source, base, study, &plans)?;
    Ok(plans)
}

/// The plan of one design point: the scenario with `overrides`, without its sweep, using
/// `calibration`'s solved `max_effect` if given (else solving its own, if it has a target).
/// Errors name `context` (e.g. the sweep point) after the file.
pub fn plan_with(
    source: &Source,
    overrides: &[Override],
    context: Option<&str>,
    calibration: Option<&Calibration>,
) -> Result<Plan, ScenarioError> {
    let mut plan = plan_of_point(source, overrides, context, calibration)?;
    assurance::attach_draws(source, overrides, context, &mut plan);
    Ok(plan)
}

/// [`plan_with`] without the draws of `[uncertainty]`: a draw's own plan.
pub(crate) fn plan_of_point(
    source: &Source,
    overrides: &[Override],
    context: Option<&str>,
    calibration: Option<&Calibration>,
) -> Result<Plan, ScenarioError> {
    let scenario = source.resolve_point(overrides, context)?;
    // Each price a design point uses is given (checked here, on the point, not on a study's file
    // as written, whose own design its sweep may replace everywhere).
    let checked = crate::scenario::validate::costs::required_prices(&scenario).map_err(|(field, message)| {
        ScenarioError::Invalid { file: source.file.clone(), context: String::new(), field, message }
    });
    checked.and_then(|()| crate::engine::calibration::plan(&scenario, &source.file, calibration)).map_err(|mut e| {
        if let (ScenarioError::Invalid { context: c, .. }, Some(ctx)) = (&mut e, context) {
            *c = format!(" {ctx}");
        }
        e
    })
}

/// The plan of a calibration's published design: [`plan_with`] without the prices, which no
/// calibration asks about.
fn published_plan(source: &Source, overrides: &[Override], context: &str) -> Result<Plan, ScenarioError> {
    let mut scenario = source.resolve_point(overrides, Some(context))?;
    scenario.costs = None;
    crate::engine::calibration::plan(&scenario, &source.file, None).map_err(|mut e| {
        if let ScenarioError::Invalid { context: c, .. } = &mut e {
            *c = format!(" {context}");
        }
        e
    })
}

/// A paired comparison of power at two design points over their shared replicates.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Paired {
    /// Power here minus power at the neighbour, over the shared replicates.
    pub power_change: f64,
    /// Two-sided exact McNemar p-value (binomial test on the discordant replicates;
    /// McNemar 1947).
    pub p_value: f64,
}

/// McNemar's exact test of `here` against `there` (rejections of `here_reps` and
/// `there_reps` replicates), replicate by replicate over the replicates both have.
pub fn paired(here: &RejectionBits, here_reps: u32, there: &RejectionBits, there_reps: u32) -> Paired {
    let shared = here_reps.min(there_reps);
    let (gained, lost) = here.discordant(there, u64::from(shared));
    let discordant = gained + lost;
    let p_value = if discordant == 0 {
        1.0
    } else {
        let b = Binomial::new(0.5, discordant).expect("valid binomial");
        (2.0 * b.cdf(gained.min(lost))).min(1.0)
    };
    Paired { power_change: (gained as f64 - lost as f64) / f64::from(shared.max(1)), p_value }
}

/// [`paired`] under `[uncertainty]`, whose trials are clustered by draw (the same draws at
/// both points): the change in power over the shared draws, tested by a z test on the
/// per-draw differences in rejections, with the SE of a ratio estimator over draws (as
/// [`PointResults::power_interval`]); p = 1 with fewer than [`crate::engine::MIN_DRAWS`] draws.
fn paired_over_draws(here: &PointResults, k: usize, there: &PointResults, j: usize) -> Paired {
    let pairs: Vec<((u32, u32), (u32, u32))> = here.draws_of_row(k).zip(there.draws_of_row(j)).collect();
    let trials: f64 = pairs.iter().map(|((m, _), (n, _))| f64::from(*m.min(n))).sum();
    // Over the trials both points have: a partial last draw counts at its shorter length.
    let diffs: Vec<(f64, f64)> = pairs
        .iter()
        .map(|((m, y), (n, x))| if m == n { (f64::from(*m), f64::from(*y) - f64::from(*x)) } else { (0.0, 0.0) })
        .filter(|(m, _)| *m > 0.0)
        .collect();
    let shared: f64 = diffs.iter().map(|(m, _)| m).sum();
    let change = if shared > 0.0 { diffs.iter().map(|(_, d)| d).sum::<f64>() / shared } else { 0.0 };
    let kd = diffs.len() as f64;
    let p_value = if diffs.len() < crate::engine::MIN_DRAWS || trials <= 0.0 {
        1.0
    } else {
        let sum_sq: f64 = diffs.iter().map(|(m, d)| (d - change * m).powi(2)).sum();
        let se = (kd / (kd - 1.0) * sum_sq).sqrt() / shared;
        if se > 0.0 {
            let z = change / se;
            (2.0 * statrs::distribution::ContinuousCDF::sf(&statrs::distribution::Normal::standard(), z.abs())).min(1.0)
        } else if change == 0.0 {
            1.0
        } else {
            0.0
        }
    };
    Paired { power_change: change, p_value }
}

/// One simulated design point.
#[derive(Debug, Clone)]
pub struct PointOutcome {
    /// One row per comparison.
    pub rows: Vec<ComparisonSummary>,
    /// Per comparison: paired test against the previous point along the last axis.
    pub vs_previous: Vec<Option<Paired>>,
}

/// How many replicates each point gets: its own `design.reps`, or precision control.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RepsRule {
    FromScenario,
    Precision { half_width: f64, cap: u32 },
}

impl RepsRule {
    pub(crate) fn for_plan(self, plan: &Plan) -> Replicates {
        match self {
            RepsRule::FromScenario => Replicates::Fixed(plan.scenario.design.reps),
            RepsRule::Precision { half_width, cap } => Replicates::Precision { half_width, cap },
        }
    }
}

/// Simulates every point of the study in order. Only the previous point's rejections are
/// kept, for the paired test: the previous point along the last axis is always the one just
/// simulated.
pub fn run(study: &Study, plans: &[Plan], runner: &Runner, rule: RepsRule) -> Vec<PointOutcome> {
    let points = plans.iter().zip(runner.prepare_points(plans)).enumerate().map(|(i, (plan, prepared))| {
        runner.bar.set_message(format!("point {}/{}: {}", i + 1, plans.len(), study.describe(&study.points[i])));
        runner.complete_point(plan, prepared, rule.for_plan(plan))
    });
    assemble(study, plans, points)
}

/// How a resumable run ended.
pub enum Progress {
    Done(Vec<PointOutcome>),
    /// Stopped by `signal`: the results of the points begun, the last one possibly partial.
    Stopped {
        signal: i32,
        points: Vec<PointResults>,
    },
}

/// [`run`], starting from `saved` results of the first points (a checkpoint), and stopping
/// within a trial when a stop is requested (see `output::stop_requested`). Keeps every
/// point's results until the end, for the checkpoint.
pub fn run_resumable(
    study: &Study,
    plans: &[Plan],
    runner: &Runner,
    rule: RepsRule,
    saved: Vec<PointResults>,
) -> Progress {
    let mut saved = saved.into_iter();
    let mut done: Vec<PointResults> = Vec::with_capacity(plans.len());
    for (i, (plan, fresh)) in plans.iter().zip(runner.prepare_points(plans)).enumerate() {
        runner.bar.set_message(format!("point {}/{}: {}", i + 1, plans.len(), study.describe(&study.points[i])));
        let start = saved.next().unwrap_or(fresh);
        done.push(runner.complete_point(plan, start, rule.for_plan(plan)));
        if let Some(signal) = crate::output::stop_requested() {
            return Progress::Stopped { signal, points: done };
        }
    }
    // A stop asked for while the rows are made keeps every point: the resumed run only writes.
    let outcomes =
        assemble(study, plans, done.iter().cloned().take_while(|_| crate::output::stop_requested().is_none()));
    match crate::output::stop_requested() {
        Some(signal) => Progress::Stopped { signal, points: done },
        None => Progress::Done(outcomes),
    }
}

/// Summarizes the results of every point, in study order, and pairs each row with the same
/// row at the previous point along the last axis. Only the previous point's results are kept,
/// so `results` may simulate lazily ([`run`]) or come from merged shards.
pub fn assemble(study: &Study, plans: &[Plan], results: impl Iterator<Item = PointResults>) -> Vec<PointOutcome> {
    let mut out: Vec<PointOutcome> = Vec::with_capacity(plans.len());
    let mut previous: Option<(PointResults, Vec<ComparisonSummary>)> = None;
    for (i, (plan, results)) in plans.iter().zip(results).enumerate() {
        let rows = summarize(plan, plan.scenario.design.seed, &results);
        let there = study.previous_along_last_axis(i).and_then(|j| {
            debug_assert_eq!(j + 1, i, "the previous point along the last axis is the one before");
            previous.as_ref().map(|(p, r)| (p, r))
        });
        let key = |r: &ComparisonSummary| (r.comparison.clone(), r.analysis.clone(), r.subgroup.clone());
        // The previous point's rows by key, once: pairing is linear in rows.
        let mut index = std::collections::HashMap::new();
        for (j, r) in there.map(|(_, rows)| rows.as_slice()).unwrap_or_default().iter().enumerate() {
            index.entry(key(r)).or_insert(j);
        }
        let vs_previous = rows
            .iter()
            .enumerate()
            .map(|(k, row)| {
                // A swept field may change the arms, analyses or strata: only a row present at
                // both points (same comparison, analysis and subgroup) is paired.
                let (there, _) = there?;
                let &j = index.get(&key(row))?;
                Some(if results.trials_per_draw.is_some() && !results.identical_draws {
                    paired_over_draws(&results, k, there, j)
                } else {
                    paired(&results.rejections[k], results.reps, &there.rejections[j], there.reps)
                })
            })
            .collect();
        out.push(PointOutcome { rows: rows.clone(), vs_previous });
        previous = Some((results, rows));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bits(reps: usize, rejected: impl Fn(usize) -> bool) -> RejectionBits {
        let mut b = RejectionBits::default();
        for r in 0..reps {
            if rejected(r) {
                b.set_bit(r as u64);
            }
        }
        b
    }

    #[test]
    fn mcnemar_exact() {
        // 10 gained, 2 lost: two-sided exact p = 2 P(X <= 2), X ~ Bin(12, 0.5) = 2 * 79 / 4096.
        let here = bits(100, |i| i < 10 || (20..50).contains(&i));
        let there = bits(100, |i| (10..12).contains(&i) || (20..50).contains(&i));
        let p = paired(&here, 100, &there, 100);
        assert!((p.p_value - 2.0 * 79.0 / 4096.0).abs() < 1e-12, "{p:?}");
        assert!((p.power_change - 0.08).abs() < 1e-12);
        // Only the shared replicates count: beyond 70, `here` rejects everywhere.
        let more = bits(130, |i| i < 10 || (20..50).contains(&i) || i >= 100);
        assert_eq!(paired(&more, 130, &there, 100), p);
    }
}
