//! Summaries of many trials: one row per active-vs-placebo comparison of a design point.

use crate::engine::{ArmTotals, PointResults};
use crate::plan::Plan;
use crate::power::wilson_95;
use crate::scenario::SelectionMode;
use serde::Serialize;

/// One result row. Rates with no meaning for the design (e.g. PPV when Mg status is not
/// modelled) are `None` and written as empty CSV cells.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ComparisonSummary {
    /// Scenario name.
    pub scenario: String,
    /// Active arm compared with placebo.
    pub comparison: String,
    /// `welch` or `ancova`.
    pub analysis: String,
    /// `two` or `one`.
    pub sided: String,
    pub alpha: f64,
    /// `design.n_per_arm`; `None` when every arm gives its own size.
    pub n_per_arm: Option<u32>,
    /// Participants enrolled per trial in the active and in the placebo arm.
    pub n_active: u32,
    pub n_placebo: u32,
    /// Unit of the estimates and effects (from the outcome scale).
    pub unit: String,
    pub reps: u32,
    pub seed: u64,
    /// Share of trials whose test rejected.
    pub power: f64,
    /// 95% Wilson score interval of `power`.
    pub power_ci_low: f64,
    pub power_ci_high: f64,
    /// Monte Carlo standard error of `power`, `sqrt(p (1 - p) / reps)`.
    pub power_mc_se: f64,
    /// Mean and empirical SD of the estimated benefit (outcome units, positive = active
    /// better) over the analysable trials; `None` without any (the SD: without two).
    pub mean_estimate: Option<f64>,
    pub sd_estimate: Option<f64>,
    /// Average individual benefit among the enrolled of the active arm: the estimand.
    pub true_effect: f64,
    /// `mean_estimate - true_effect`.
    pub bias: Option<f64>,
    /// Share of the analysable trials whose two-sided 95% t interval contains the expected
    /// benefit among the enrolled of the active arm, exact by quadrature (the estimand that
    /// `true_effect` estimates by simulation).
    pub ci_coverage: Option<f64>,
    /// People screened per trial (all arms).
    pub mean_screened: f64,
    /// Two-stage screening: confirmatory tests per trial.
    pub mean_confirmatory_tests: Option<f64>,
    /// People enrolled per trial (all arms).
    pub mean_enrolled: f64,
    pub screened_per_enrolled: f64,
    /// Share of the enrolled who are truly deficient (true status below the cut-off).
    pub ppv_deficient: Option<f64>,
    /// Share of the truly deficient screened who were enrolled: (enrolled deficient per
    /// screened, simulated) / P(deficient among the screened, exact from the population model).
    /// Exactly 1 for all comers and stratification; for enrichment a Monte Carlo estimate,
    /// capped at 1.
    pub selection_sensitivity: Option<f64>,
    /// Share of the enrolled in the two compared arms who dropped out.
    pub dropout_rate: f64,
    /// Share of placebo / active completers whose end-of-trial reading is normal.
    pub normal_at_end_placebo: Option<f64>,
    pub normal_at_end_active: Option<f64>,
    /// Trials whose test could not be computed (counted as not rejecting).
    pub reps_not_analysable: u32,
}

fn ratio(num: f64, den: f64) -> Option<f64> {
    (den > 0.0).then(|| num / den)
}

/// Summarizes the replicates of one design point into one row per comparison.
pub fn summarize(plan: &Plan, seed: u64, results: &PointResults) -> Vec<ComparisonSummary> {
    let s = &plan.scenario;
    let reps = f64::from(results.reps);
    let screened = results.screened;
    let enrolled_all: f64 = results.arms.iter().map(|a| a.enrolled).sum();
    let deficient_all: f64 = results.arms.iter().map(|a| a.deficient).sum();
    let mg = plan.mg.is_some();
    let normal_at_end = |a: &ArmTotals| ratio(a.normal_at_end, a.enrolled - a.dropouts).filter(|_| mg);
    let placebo = &results.arms[plan.placebo];
    plan.active_arms()
        .enumerate()
        .map(|(k, a)| {
            let arm = &results.arms[a];
            let true_effect = arm.benefit_sum / arm.enrolled;
            let totals = &results.comparisons[k];
            let analysable = f64::from(totals.analysable);
            let rejections = f64::from(totals.rejected);
            let mean_estimate = totals.mean_estimate();
            let sd_estimate = totals.sd_estimate();
            let covered = f64::from(totals.covered);
            let power = rejections / reps;
            let (lo, hi) = wilson_95(rejections, reps);
            ComparisonSummary {
                scenario: s.name.clone(),
                comparison: plan.arms[a].name.clone(),
                analysis: format!("{:?}", s.analysis.test).to_lowercase(),
                sided: format!("{:?}", s.analysis.sided).to_lowercase(),
                alpha: s.analysis.alpha,
                n_per_arm: s.design.n_per_arm,
                n_active: plan.arms[a].n_target,
                n_placebo: plan.arms[plan.placebo].n_target,
                unit: plan.scale.unit.clone(),
                reps: results.reps,
                seed,
                power,
                power_ci_low: lo,
                power_ci_high: hi,
                power_mc_se: (power * (1.0 - power) / reps).sqrt(),
                mean_estimate,
                sd_estimate,
                true_effect,
                bias: mean_estimate.map(|m| m - true_effect),
                ci_coverage: ratio(covered, analysable),
                mean_screened: screened / reps,
                mean_confirmatory_tests: plan.confirmation.as_ref().map(|_| results.confirmed / reps),
                mean_enrolled: enrolled_all / reps,
                screened_per_enrolled: screened / enrolled_all,
                ppv_deficient: ratio(deficient_all, enrolled_all).filter(|_| mg),
                selection_sensitivity: match plan.mode {
                    // Everyone screened is enrolled: every deficient person is, exactly.
                    SelectionMode::AllComers | SelectionMode::Stratify => Some(1.0),
                    // A share of all the deficient screened: at most 1 even where Monte Carlo
                    // noise in the enrolled count would put the ratio above it.
                    SelectionMode::Enrich | SelectionMode::TwoStage => {
                        ratio(deficient_all / screened, plan.prob_deficient).map(|v| v.min(1.0))
                    }
                }
                .filter(|_| mg),
                dropout_rate: (arm.dropouts + placebo.dropouts) / (arm.enrolled + placebo.enrolled),
                normal_at_end_placebo: normal_at_end(placebo),
                normal_at_end_active: normal_at_end(arm),
                reps_not_analysable: (reps - analysable) as u32,
            }
        })
        .collect()
}
