//! A study: every design point of a sweep resolved, simulated with common random numbers,
//! summarized, and compared with its neighbour by a paired test.

use crate::calibration::Calibration;
use crate::engine::{PointResults, RejectionBits, Replicates, Runner};
use crate::error::ScenarioError;
use crate::plan::Plan;
use crate::scenario::{Override, Source};
use crate::summary::{ComparisonSummary, summarize};
use crate::sweep::Study;
use statrs::distribution::{Binomial, DiscreteCDF};

/// Fields of a calibration, which is solved once on the base design.
pub const CALIBRATION_FIELDS: [&str; 4] =
    ["response.target_effect", "response.target_among", "response.target_arm", "response.max_effect"];

/// The calibration of the scenario as written in its file (the design in which the target
/// effect was observed), with only the overrides of the calibration's own fields among `base`
/// applied, if it has one. Every run, `--set` and sweep point uses its solved `max_effect`:
/// `max_effect` describes the biology, which stays fixed while `--set` and sweeps vary the
/// design.
pub fn base_calibration(source: &Source, base: &[Override]) -> Result<Option<Calibration>, ScenarioError> {
    if source.resolve(base, None)?.response.target_effect.is_none() {
        return Ok(None);
    }
    let own: Vec<Override> = base.iter().filter(|o| CALIBRATION_FIELDS.contains(&o.path.as_str())).cloned().collect();
    let context = (!own.is_empty()).then(|| {
        format!(
            "with {} (a calibration is solved on the scenario as written)",
            own.iter().map(Override::display).collect::<Vec<_>>().join(" ")
        )
    });
    match plan_with(source, &own, context.as_deref(), None) {
        Ok(plan) => Ok(plan.calibration),
        // The design is valid and the calibration itself has no solution: say so as it is.
        Err(e @ ScenarioError::Invalid { .. }) if matches!(&e, ScenarioError::Invalid { field, .. } if field == "response.target_effect") => {
            Err(e)
        }
        Err(e) => Err(ScenarioError::Calibration {
            file: source.file.clone(),
            message: format!(
                "the calibration (response.target_effect) is solved on the scenario as written, without the \
                 other --set values, and as written it is not a valid design: {e}; give those fields in the file"
            ),
        }),
    }
}

/// The plan of the single design of `source` with `base` overrides (no sweep), calibrated on
/// the scenario as written (see [`base_calibration`]).
pub fn single_plan(source: &Source, base: &[Override]) -> Result<Plan, ScenarioError> {
    let calibration = base_calibration(source, base)?;
    plan_with(source, base, None, calibration.as_ref())
}

/// The resolved plan of every design point, in study order. A calibration is solved on the
/// base design; a sweep may not set the calibration's fields (nor `max_effect` when the base
/// calibrates).
pub fn plans(source: &Source, base: &[Override], study: &Study) -> Result<Vec<Plan>, ScenarioError> {
    let calibration = base_calibration(source, base)?;
    for (path, origin) in study.set_paths() {
        let calibrating = calibration.is_some() || path != "response.max_effect";
        if CALIBRATION_FIELDS.contains(&path.as_str()) && calibrating {
            return Err(ScenarioError::Sweep {
                what: origin,
                message: format!(
                    "sets {path}, but a calibration is solved once, on the base design, and its max_effect holds at \
                     every design point; set {path} in the file or with --set"
                ),
            });
        }
    }
    study
        .points
        .iter()
        .map(|p| {
            let mut overrides = base.to_vec();
            overrides.extend(study.overrides(p));
            let context = (!study.is_single()).then(|| format!("at sweep point {}", study.describe(p)));
            plan_with(source, &overrides, context.as_deref(), calibration.as_ref())
        })
        .collect()
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
    let mut scenario = source.resolve(overrides, context)?;
    scenario.sweep = None;
    Plan::calibrated(&scenario, &source.file, calibration).map_err(|mut e| {
        if let (ScenarioError::Invalid { context: c, .. }, Some(ctx)) = (&mut e, context) {
            *c = format!(" {ctx}");
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
    pub fn for_plan(self, plan: &Plan) -> Replicates {
        match self {
            RepsRule::FromScenario => Replicates::Fixed(plan.scenario.design.reps),
            RepsRule::Precision { half_width, cap } => Replicates::Precision { half_width, cap },
        }
    }
}

/// Simulates one design point and summarizes it.
pub fn simulate_point(runner: &Runner, plan: &Plan, rule: RepsRule) -> (PointResults, Vec<ComparisonSummary>) {
    complete_point(runner, plan, PointResults::new(plan), rule)
}

/// [`simulate_point`] into results prepared by [`Runner::prepare_points`].
fn complete_point(
    runner: &Runner,
    plan: &Plan,
    prepared: PointResults,
    rule: RepsRule,
) -> (PointResults, Vec<ComparisonSummary>) {
    let results = runner.complete_point(plan, prepared, rule.for_plan(plan));
    let rows = summarize(plan, plan.scenario.design.seed, &results);
    (results, rows)
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
/// at the end of a batch when a stop is requested (see `output::stop_requested`). Keeps every
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
    Progress::Done(assemble(study, plans, done.into_iter()))
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
        let vs_previous = rows
            .iter()
            .enumerate()
            .map(|(k, row)| {
                // A swept field may change the arms, analyses or strata: only a row present at
                // both points (same comparison, analysis and subgroup) is paired.
                let (there, there_rows) = there?;
                let j = there_rows.iter().position(|r| key(r) == key(row))?;
                Some(paired(&results.rejections[k], results.reps, &there.rejections[j], there.reps))
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
