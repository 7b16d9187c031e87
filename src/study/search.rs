//! Sample size and other solved-for fields: the smallest n per arm (or the boundary value of a
//! monotone field such as a threshold, dose or duration) at which power reaches a target.
//!
//! The search spends replicates where they matter. It starts from the closed-form approximate
//! power (`explain`), brackets the answer by doubling steps, then bisects. Each evaluation adds
//! batches of replicates only until its 95% CI clears the target, or its half-width reaches
//! the requested precision; points far from the target are settled in one batch. Replicate r
//! draws the same random numbers at every evaluation (common random numbers), so neighbouring
//! evaluations are paired and the estimated power curve is smooth. The answer is then
//! simulated to the full precision. Power is the smallest over the comparisons with placebo:
//! every active arm must reach the target.
//!
//! A search that does not reach the target anywhere in its range is an answer, not an error:
//! it states the power at the best end of the range, and `sample-size` exits 1 (as grep does
//! when nothing matches) after writing its output.

use crate::analysis::power::replicates_for_half_width;
use crate::engine::closed_form::ClosedForm;
use crate::engine::plan::Plan;
use crate::engine::summary::{ComparisonSummary, summarize};
use crate::engine::{PRECISION_BATCH, PointResults, Runner, check_precision, next_batch_end};
use crate::error::ScenarioError;
use crate::scenario::schema::{Override, display_value};
use crate::scenario::source::Source;
use crate::scenario::validate::MAX_ENROLLED;
use crate::study::plan_with;

/// Pass rule at an evaluated point.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Criterion {
    /// The power estimate reaches the target.
    Estimate,
    /// The lower end of the 95% CI of power reaches the target.
    Lower,
}

/// What to solve for and how precisely.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchSpec {
    /// Field path (default `design.n_per_arm`).
    pub path: String,
    /// Search over whole numbers.
    pub integer: bool,
    pub min: f64,
    pub max: f64,
    /// A continuous search stops when its bracket is this narrow.
    pub tolerance: f64,
    pub target: f64,
    pub criterion: Criterion,
    /// 95% CI half-width of power at which an evaluation is decided by its estimate.
    pub precision: f64,
    /// Most replicates per evaluation.
    pub cap: u32,
    /// `--power-of`: the power judged (each comparison by default).
    pub power_of: Option<String>,
}

fn bad(message: String) -> ScenarioError {
    ScenarioError::Search(message)
}

impl SearchSpec {
    #[allow(clippy::too_many_arguments)]
    /// `integer`: the field holds whole numbers (see [`Source::is_integer_field`]).
    pub fn new(
        solve_for: Option<&str>,
        integer: bool,
        min: Option<f64>,
        max: Option<f64>,
        tolerance: Option<f64>,
        target: f64,
        criterion: Criterion,
        precision: f64,
        cap: u32,
        power_of: Option<String>,
    ) -> Result<SearchSpec, ScenarioError> {
        if !(target > 0.0 && target < 1.0) {
            return Err(bad(format!("--target {target}: allowed values are above 0 and below 1")));
        }
        check_precision(precision, cap).map_err(bad)?;
        let path = solve_for.unwrap_or("design.n_per_arm").to_string();
        if path == "design.reps" || path == "design.seed" {
            return Err(bad(format!(
                "--solve-for {path}: replicates and the seed are not part of the design; solve for a field that \
                 changes power, e.g. design.n_per_arm, selection.threshold or design.duration_weeks"
            )));
        }
        let is_n = path == "design.n_per_arm";
        let integer = is_n || integer;
        let (min, max) = match (min, max, is_n) {
            (Some(a), Some(b), _) => (a, b),
            (a, b, true) => (a.unwrap_or(2.0), b.unwrap_or(5000.0)),
            _ => return Err(bad(format!("--solve-for {path} needs --min and --max (the range to search)"))),
        };
        if !(min.is_finite() && max.is_finite() && min < max) {
            return Err(bad(format!("--min {min} and --max {max}: need finite numbers with min < max")));
        }
        // A whole-number field searches the whole numbers within the range.
        let (min, max) = if integer { (min.ceil(), max.floor()) } else { (min, max) };
        if min >= max {
            return Err(bad(format!(
                "--min and --max: {path} takes whole numbers, and the range holds fewer than two"
            )));
        }
        let tolerance = tolerance.unwrap_or(if integer { 1.0 } else { (max - min) / 200.0 });
        if tolerance.is_nan() || tolerance <= 0.0 {
            return Err(bad(format!("--tolerance {tolerance}: must be above 0")));
        }
        Ok(SearchSpec { path, integer, min, max, tolerance, target, criterion, precision, cap, power_of })
    }

    fn value(&self, v: f64) -> toml::Value {
        if self.integer { toml::Value::Integer(v.round() as i64) } else { toml::Value::Float(v) }
    }

    /// Decimals a solved continuous value is shown with: those of the tolerance's leading
    /// digit (tolerance 0.0005 -> 4, 0.01 -> 2, 0.3 -> 1, 2 -> 0), at most
    /// [`MAX_VALUE_DECIMALS`].
    pub fn decimals(&self) -> usize {
        (0..MAX_VALUE_DECIMALS)
            .find(|&d| 10f64.powi(-(d as i32)) <= self.tolerance * (1.0 + 1e-9))
            .unwrap_or(MAX_VALUE_DECIMALS)
    }

    /// A value of the solved field as printed and written: a whole number, or a continuous
    /// value rounded to the tolerance's decimals ([`SearchSpec::decimals`]). The search
    /// stops with a bracket at most `tolerance` wide, so digits beyond are noise.
    pub(crate) fn format_value(&self, v: f64) -> String {
        if self.integer {
            return display_value(&self.value(v));
        }
        let text = format!("{v:.*}", self.decimals());
        // Never "-0.00".
        if text.trim_start_matches('-').chars().all(|c| c == '0' || c == '.') {
            text.trim_start_matches('-').to_string()
        } else {
            text
        }
    }
}

/// Most decimals a solved value is shown with: an f64 holds 15-17 significant digits, so a
/// tolerance below float resolution does not ask for more than it can show.
pub(crate) const MAX_VALUE_DECIMALS: usize = 15;

/// One evaluated point of a search.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    pub value: f64,
    pub reps: u32,
    /// Smallest power over the comparisons, and its 95% Wilson interval.
    pub power: f64,
    pub ci: (f64, f64),
    pub passes: bool,
}

/// The answer of one search.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchResult {
    /// The boundary value, or `None` if the target is not reached in the range.
    pub value: Option<f64>,
    /// The smallest and largest evaluated values whose power 95% CI contains the target
    /// (`None` when no evaluation's does): values near the answer that the search's own
    /// evaluations cannot tell from it. This is the span of the values the search happened
    /// to evaluate, each judged by its own Wilson interval, not a confidence interval for the
    /// boundary: a search that evaluates few values near the answer reports a narrow span.
    pub uncertain: Option<(f64, f64)>,
    /// True if larger values raise power (the answer is the smallest passing value); false if
    /// smaller values do (the answer is the largest passing value).
    pub increasing: bool,
    /// The comparison rows at the answer (or at the best end of the range), to full precision.
    pub rows: Vec<ComparisonSummary>,
    pub evaluations: Vec<Evaluation>,
    /// Replicates simulated by the whole search, the final refinement included.
    pub reps_spent: u64,
    /// Replicates a plain grid over every whole value from `min` to the answer would need
    /// at the same precision (closed-form estimate; n per arm only).
    pub grid_reps_estimate: Option<u64>,
}

/// The plan of the design point with the solved field set to `value`, calibrated as a
/// `--set` of that value would be ([`crate::study::calibration_at`]: a design field keeps the
/// point's calibration, a field of the biology re-solves it).
fn plan_at(
    source: &Source,
    overrides: &[Override],
    spec: &SearchSpec,
    value: f64,
    memo: &mut crate::study::CalibrationMemo,
) -> Result<Plan, ScenarioError> {
    let mut o = overrides.to_vec();
    o.push(Override { path: spec.path.clone(), value: spec.value(value) });
    let context = format!("during the search at {}={}", spec.path, display_value(&spec.value(value)));
    let calibration = crate::study::calibration_at(source, &o, Some(&context), memo)?;
    let mut plan = plan_with(source, &o, Some(&context), calibration.as_ref())?;
    if let Some(row) = &spec.power_of {
        // Checked on the scenario's own plan before the search; the rows do not change with it.
        plan.judging(row).map_err(bad)?;
    }
    Ok(plan)
}

/// The evaluation of `value` from its replicates so far: the smallest power over the judged
/// rows (by default each comparison of the primary analysis over everyone; see `--power-of`),
/// its 95% interval ([`PointResults::power_interval`]: Wilson's, or under `[uncertainty]` over
/// draws), and whether it passes the criterion.
fn judge(results: &PointResults, spec: &SearchSpec, value: f64) -> Evaluation {
    let worst = (0..results.comparisons.len())
        .filter(|&k| results.primary[k])
        .min_by_key(|&k| results.comparisons[k].rejected)
        .map(|k| results.power_interval(k));
    let (power, lo, hi) = worst.map_or((0.0, 0.0, 1.0), |i| (i.power, i.low, i.high));
    let passes = match spec.criterion {
        Criterion::Estimate => power >= spec.target,
        Criterion::Lower => lo >= spec.target,
    };
    Evaluation { value, reps: results.reps, power, ci: (lo, hi), passes }
}

/// Adds batches to `results` until the decision against the target is clear: the 95% CI
/// excludes the target (for `lower`: lies wholly above it, or below it), or its half-width
/// reaches the precision, or the cap.
fn decide(runner: &Runner, plan: &Plan, results: &mut PointResults, spec: &SearchSpec, value: f64) -> Evaluation {
    if results.reps == 0 {
        runner.extend_to(plan, results, PRECISION_BATCH.min(spec.cap));
    }
    loop {
        let e = judge(results, spec, value);
        let (lo, hi) = e.ci;
        let settled = match spec.criterion {
            Criterion::Estimate => lo > spec.target || hi < spec.target,
            Criterion::Lower => lo >= spec.target || hi < spec.target,
        };
        if settled || (hi - lo) / 2.0 <= spec.precision || results.reps >= spec.cap {
            return e;
        }
        let need = results.replicates_for(spec.precision);
        if runner.failure().is_some() {
            return e;
        }
        runner.extend_to(plan, results, next_batch_end(results.reps, need, spec.cap));
    }
}

/// Solves one design point (`plan` is the point with the solved field as in the scenario).
pub fn search(
    source: &Source,
    overrides: &[Override],
    plan: &Plan,
    spec: &SearchSpec,
    runner: &Runner,
) -> Result<SearchResult, ScenarioError> {
    // Every evaluated value keeps its plan and replicates: later refinement extends them.
    let mut cache: Vec<(Plan, PointResults)> = Vec::new();
    let mut evaluations: Vec<Evaluation> = Vec::new();
    let memo = std::cell::RefCell::new(crate::study::CalibrationMemo::new());
    let eval = |v: f64,
                cache: &mut Vec<(Plan, PointResults)>,
                evaluations: &mut Vec<Evaluation>|
     -> Result<bool, ScenarioError> {
        let v = if spec.integer { v.round() } else { v };
        if let Some(e) = evaluations.iter().find(|e| e.value == v) {
            return Ok(e.passes);
        }
        let p = plan_at(source, overrides, spec, v, &mut memo.borrow_mut())?;
        let mut results = PointResults::new(&p);
        let e = decide(runner, &p, &mut results, spec, v);
        let passes = e.passes;
        evaluations.push(e);
        cache.push((p, results));
        Ok(passes)
    };
    let (lo_bound, hi_bound) = (spec.min, spec.max);
    let is_n = spec.path == "design.n_per_arm";
    if is_n && plan.n_per_arm.is_none() {
        return Err(bad(
            "the arms give their own sizes (arms.<name>.n), so there is no design.n_per_arm to search: give \
             design.n_per_arm with allocation ratios instead (e.g. allocation = 43 and 38 for 43:38), or solve for \
             one arm's size with --solve-for arms.<name>.n --min A --max B"
                .into(),
        ));
    }
    if is_n {
        let allocation: u64 = plan.arms.iter().map(|a| u64::from(a.allocation)).sum();
        let largest = MAX_ENROLLED / allocation;
        if hi_bound > largest as f64 {
            return Err(bad(format!(
                "--max {hi_bound}: at most {largest} per arm, so that a trial enrols at most {MAX_ENROLLED} \
                 participants (allocation ratios included)"
            )));
        }
    }
    // Direction: n per arm raises power; otherwise compare the ends of the range.
    let increasing = if is_n {
        true
    } else {
        let lo_passes = eval(lo_bound, &mut cache, &mut evaluations)?;
        let hi_passes = eval(hi_bound, &mut cache, &mut evaluations)?;
        let power_at = |v: f64| {
            let v = if spec.integer { v.round() } else { v };
            evaluations.iter().find(|e| e.value == v).map_or(0.0, |e| e.power)
        };
        direction_from_ends(power_at(lo_bound), power_at(hi_bound), lo_passes, hi_passes)
    };
    // `fail` and `pass` bracket the boundary.
    let (mut fail, mut pass): (Option<f64>, Option<f64>) = (None, None);
    if is_n {
        // Start from the closed-form guess and bracket by doubling steps.
        let guess = closed_form_guess(plan, spec).clamp(lo_bound, hi_bound).round();
        let mut step = (guess / 8.0).max(1.0).round();
        let mut v = guess;
        if eval(guess, &mut cache, &mut evaluations)? {
            pass = Some(guess);
            while v > lo_bound {
                v = (v - step).max(lo_bound);
                if eval(v, &mut cache, &mut evaluations)? {
                    pass = Some(v);
                } else {
                    fail = Some(v);
                    break;
                }
                step *= 2.0;
            }
        } else {
            fail = Some(guess);
            while v < hi_bound {
                v = (v + step).min(hi_bound);
                if eval(v, &mut cache, &mut evaluations)? {
                    pass = Some(v);
                    break;
                }
                fail = Some(v);
                step *= 2.0;
            }
        }
    } else {
        let (low_power_end, high_power_end) = if increasing { (lo_bound, hi_bound) } else { (hi_bound, lo_bound) };
        if eval(high_power_end, &mut cache, &mut evaluations)? {
            pass = Some(high_power_end);
            if eval(low_power_end, &mut cache, &mut evaluations)? {
                pass = Some(low_power_end);
            } else {
                fail = Some(low_power_end);
            }
        } else {
            fail = Some(high_power_end);
        }
    }
    // Bisect between the failing and the passing value, then refine the answer to the full
    // precision and judge it again: if it no longer passes, it joins the failing side and the
    // search goes on towards the nearest value that passed.
    let on_power_side = |v: f64, f: f64| if increasing { v > f } else { v < f };
    if let (Some(mut f), Some(mut p)) = (fail, pass) {
        loop {
            while (p - f).abs() > spec.tolerance {
                let mid = if spec.integer { ((p + f) / 2.0).floor() } else { (p + f) / 2.0 };
                // Whole numbers, or floats closer than their resolution: nothing lies between.
                if mid == p || mid == f {
                    break;
                }
                if eval(mid, &mut cache, &mut evaluations)? {
                    p = mid;
                } else {
                    f = mid;
                }
            }
            let idx = evaluations.iter().position(|e| e.value == p).expect("evaluated");
            let (p_plan, p_results) = &mut cache[idx];
            runner.refine(p_plan, p_results, spec.precision, spec.cap);
            evaluations[idx] = judge(p_results, spec, p);
            if evaluations[idx].passes {
                pass = Some(p);
                break;
            }
            f = p;
            let next = evaluations
                .iter()
                .filter(|e| e.passes && on_power_side(e.value, f))
                .min_by(|a, b| (a.value - f).abs().total_cmp(&(b.value - f).abs()));
            match next {
                Some(e) => p = e.value,
                None => {
                    pass = None;
                    break;
                }
            }
        }
    }
    // The answer (or the best end of the range), refined to the full precision.
    let report_at = pass.unwrap_or(if increasing { hi_bound } else { lo_bound });
    let report_at = if spec.integer { report_at.round() } else { report_at };
    eval(report_at, &mut cache, &mut evaluations)?;
    let idx = evaluations.iter().position(|e| e.value == report_at).expect("evaluated above");
    let (final_plan, final_results) = &mut cache[idx];
    runner.refine(final_plan, final_results, spec.precision, spec.cap);
    evaluations[idx] = judge(final_results, spec, report_at);
    // The primary rows: those the search judged.
    let rows = summarize(final_plan, final_plan.scenario.design.seed, final_results)
        .into_iter()
        .zip(&final_results.primary)
        .filter_map(|(row, &primary)| primary.then_some(row))
        .collect();
    let reps_spent = cache.iter().map(|(_, r)| u64::from(r.reps)).sum();
    let grid_reps_estimate = (is_n && pass.is_some()).then(|| grid_cost(plan, spec, report_at));
    let uncertain = straddling_span(&evaluations, spec.target);
    Ok(SearchResult { value: pass, uncertain, increasing, rows, evaluations, reps_spent, grid_reps_estimate })
}

/// [`search`] at every design point of `study` (whose plans are `plans`), in study order, the
/// progress bar naming each as `what` i/n.
pub fn search_points(
    source: &Source,
    base: &[Override],
    study: &crate::scenario::sweep::Study,
    plans: &[Plan],
    spec: &SearchSpec,
    runner: &Runner,
    what: &str,
) -> Result<Vec<SearchResult>, ScenarioError> {
    let mut results = Vec::with_capacity(study.points.len());
    for (i, (point, plan)) in study.points.iter().zip(plans).enumerate() {
        runner.bar.set_message(format!("{what} {}/{}: {}", i + 1, plans.len(), study.describe(point)));
        let mut overrides = base.to_vec();
        overrides.extend(study.overrides(point));
        results.push(search(source, &overrides, plan, spec, runner)?);
    }
    runner.bar.finish_and_clear();
    Ok(results)
}

/// The smallest and largest evaluated values whose 95% CI of power contains `target`.
fn straddling_span(evaluations: &[Evaluation], target: f64) -> Option<(f64, f64)> {
    evaluations.iter().filter(|e| e.ci.0 <= target && target <= e.ci.1).fold(None, |span, e| match span {
        None => Some((e.value, e.value)),
        Some((lo, hi)) => Some((e.value.min(lo), e.value.max(hi))),
    })
}

/// The statement of a search that did not reach its target: the range, and the power (the
/// smallest over the comparisons) at the end of the range where it is highest, e.g.
/// "design.n_per_arm: target power 0.8 not reached in 2..50: power at 50 is 0.393 (95% CI
/// 0.383-0.403)". `None` when the target was reached.
pub(crate) fn not_reached(spec: &SearchSpec, result: &SearchResult) -> Option<String> {
    if result.value.is_some() {
        return None;
    }
    let end = if result.increasing { spec.max } else { spec.min };
    let power = result.rows.iter().min_by(|a, b| a.power.total_cmp(&b.power)).map_or(String::new(), |w| {
        format!(
            ": power at {} is {:.3} (95% CI {:.3}-{:.3})",
            display_value(&spec.value(end)),
            w.power,
            w.power_ci_low,
            w.power_ci_high
        )
    });
    Some(format!(
        "{}: target power {} not reached in {}..{}{power}",
        spec.path,
        spec.target,
        display_value(&spec.value(spec.min)),
        display_value(&spec.value(spec.max)),
    ))
}

/// The span of [`SearchResult::uncertain`] for the table: "for 52-56" ("for -0.5 to -0.3"
/// with negative ends), or "for 54" when it is one value.
pub(crate) fn uncertain_text(spec: &SearchSpec, result: &SearchResult) -> Option<String> {
    result.uncertain.map(|(lo, hi)| {
        let (lo, hi) = (spec.format_value(lo), spec.format_value(hi));
        let separator = if lo.starts_with('-') || hi.starts_with('-') { " to " } else { "-" };
        let span = if lo == hi { lo } else { format!("{lo}{separator}{hi}") };
        format!("power CI straddles {} for {span}", spec.target)
    })
}

/// Whether power rises with the solved field, from the evaluations at the two ends of the
/// range: towards the end that passes when only one does (under `--criterion lower` two
/// ends can share an estimate and differ in their CI); otherwise towards the higher power
/// estimate, and rising on a tie (then both pass or both fail, and the direction does not
/// change the answer: the whole range, or none of it).
fn direction_from_ends(power_lo: f64, power_hi: f64, lo_passes: bool, hi_passes: bool) -> bool {
    match (lo_passes, hi_passes) {
        (false, true) => true,
        (true, false) => false,
        _ => power_hi >= power_lo,
    }
}

/// The n per arm at which the closed-form approximate power reaches the target.
fn closed_form_guess(plan: &Plan, spec: &SearchSpec) -> f64 {
    let closed: Vec<ClosedForm> = (0..plan.comparisons.len()).map(|k| ClosedForm::new(plan, k)).collect();
    let reaches = |n: f64| closed.iter().all(|c| c.power(n).is_some_and(|p| p >= spec.target));
    let (mut lo, mut hi) = (spec.min.max(2.0), spec.max);
    if !reaches(hi) {
        return (lo + hi) / 2.0;
    }
    while hi - lo > 1.0 {
        let mid = ((lo + hi) / 2.0).floor();
        if reaches(mid) { hi = mid } else { lo = mid }
    }
    hi
}

/// Most closed-form evaluations behind a grid-cost estimate; beyond, n is sampled evenly.
const GRID_COST_SAMPLES: f64 = 400.0;

/// Replicates a grid over every n from `min` to `answer` needs at the requested precision,
/// from the closed-form power at each n: `sum p (1 - p) (1.96 / H)^2`, in whole batches. Over
/// long ranges the sum is estimated from [`GRID_COST_SAMPLES`] evenly spaced n, each standing
/// for its share of the range.
fn grid_cost(plan: &Plan, spec: &SearchSpec, answer: f64) -> u64 {
    let closed: Vec<ClosedForm> = (0..plan.comparisons.len()).map(|k| ClosedForm::new(plan, k)).collect();
    let lo = spec.min.max(2.0);
    let count = (answer - lo + 1.0).max(0.0);
    let step = (count / GRID_COST_SAMPLES).ceil().max(1.0);
    let mut total = 0.0;
    let mut n = lo;
    while n <= answer {
        let p = closed.iter().filter_map(|c| c.power(n)).fold(1.0, f64::min);
        let reps = next_batch_end(0, replicates_for_half_width(p, spec.precision), spec.cap);
        total += f64::from(reps) * step.min(answer - n + 1.0);
        n += step;
    }
    total as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Under `--criterion lower` both ends can share a power estimate and differ in their CI:
    /// the search must head for the end that passes, not default to "rising".
    #[test]
    fn direction_follows_the_passing_end_on_a_tie() {
        assert!(!direction_from_ends(0.9, 0.9, true, false));
        assert!(direction_from_ends(0.9, 0.9, false, true));
        assert!(direction_from_ends(0.3, 0.9, false, false));
        assert!(!direction_from_ends(0.9, 0.3, true, true));
    }

    /// Solved continuous values are shown to the tolerance's leading decimal; a tolerance
    /// below float resolution asks for no more digits than an f64 holds.
    #[test]
    fn decimals_follow_the_tolerance() {
        let spec = |tolerance: f64| {
            SearchSpec::new(
                Some("response.delta"),
                false,
                Some(0.0),
                Some(1.0),
                Some(tolerance),
                0.8,
                Criterion::Estimate,
                0.01,
                1000,
                None,
            )
            .unwrap()
        };
        for (tolerance, decimals) in [(0.0005, 4), (0.001, 3), (0.0015, 3), (0.01, 2), (0.3, 1), (1.0, 0), (2.0, 0)] {
            assert_eq!(spec(tolerance).decimals(), decimals, "tolerance {tolerance}");
        }
        assert_eq!(spec(1e-300).decimals(), MAX_VALUE_DECIMALS);
        assert_eq!(spec(0.0005).format_value(0.7512939453125), "0.7513");
        assert_eq!(spec(0.01).format_value(-0.001), "0.00");
    }
}
