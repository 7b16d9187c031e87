//! Summaries of many trials: one row per active-vs-placebo comparison of a design point.

use crate::plan::Plan;
use crate::power::wilson_95;
use crate::trial::TrialResult;
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
    pub n_per_arm: u32,
    pub reps: u32,
    pub seed: u64,
    /// Share of trials whose test rejected.
    pub power: f64,
    /// 95% Wilson score interval of `power`.
    pub power_ci_low: f64,
    pub power_ci_high: f64,
    /// Mean and empirical SD of the estimated benefit (outcome units, positive = active better).
    pub mean_estimate: f64,
    pub sd_estimate: f64,
    /// Average individual benefit among the enrolled of the active arm: the estimand.
    pub true_effect: f64,
    /// `mean_estimate - true_effect`.
    pub bias: f64,
    /// Share of trials whose two-sided 95% t interval contains `true_effect`.
    pub ci_coverage: f64,
    /// People screened per trial (all arms).
    pub mean_screened: f64,
    /// People enrolled per trial (all arms).
    pub mean_enrolled: f64,
    pub screened_per_enrolled: f64,
    /// Share of the enrolled who are truly deficient (true status below the cut-off).
    pub ppv_deficient: Option<f64>,
    /// Share of the truly deficient screened who were enrolled: (enrolled deficient per
    /// screened, simulated) / P(deficient among the screened, exact from the population model).
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

/// Summarizes `results` (in replicate order) into one row per comparison.
pub fn summarize(plan: &Plan, seed: u64, results: &[TrialResult]) -> Vec<ComparisonSummary> {
    let s = &plan.scenario;
    let reps = results.len() as f64;
    let screened: f64 = results.iter().map(|r| r.screened as f64).sum();
    let arm_total =
        |a: usize, f: &dyn Fn(&crate::trial::ArmCounts) -> f64| -> f64 { results.iter().map(|r| f(&r.arms[a])).sum() };
    let enrolled_all: f64 = (0..plan.arms.len()).map(|a| arm_total(a, &|c| f64::from(c.enrolled))).sum();
    let deficient_all: f64 = (0..plan.arms.len()).map(|a| arm_total(a, &|c| f64::from(c.deficient))).sum();
    let mg = plan.mg.is_some();
    let normal_at_end = |a: usize| {
        let completers = arm_total(a, &|c| f64::from(c.enrolled - c.dropouts));
        ratio(arm_total(a, &|c| f64::from(c.normal_at_end)), completers).filter(|_| mg)
    };
    let p = plan.placebo;
    plan.active_arms()
        .enumerate()
        .map(|(k, a)| {
            let true_effect = arm_total(a, &|c| c.benefit_sum) / arm_total(a, &|c| f64::from(c.enrolled));
            let estimates: Vec<_> = results.iter().filter_map(|r| r.comparisons[k]).collect();
            let analysable = estimates.len() as f64;
            let rejections = estimates
                .iter()
                .filter(|e| {
                    let t = e.t();
                    plan.reject.exceeds(if plan.two_sided() { t.abs() } else { t }, e.df)
                })
                .count() as f64;
            let mean_estimate = estimates.iter().map(|e| e.benefit).sum::<f64>() / analysable.max(1.0);
            let sd_estimate = if analysable > 1.0 {
                (estimates.iter().map(|e| (e.benefit - mean_estimate).powi(2)).sum::<f64>() / (analysable - 1.0)).sqrt()
            } else {
                0.0
            };
            let covered = estimates
                .iter()
                .filter(|e| !plan.coverage.exceeds((e.benefit - true_effect).abs() / e.se, e.df))
                .count() as f64;
            let (lo, hi) = wilson_95(rejections, reps);
            let enrolled_pair = arm_total(a, &|c| f64::from(c.enrolled)) + arm_total(p, &|c| f64::from(c.enrolled));
            let dropouts_pair = arm_total(a, &|c| f64::from(c.dropouts)) + arm_total(p, &|c| f64::from(c.dropouts));
            ComparisonSummary {
                scenario: s.name.clone(),
                comparison: plan.arms[a].name.clone(),
                analysis: format!("{:?}", s.analysis.test).to_lowercase(),
                sided: format!("{:?}", s.analysis.sided).to_lowercase(),
                alpha: s.analysis.alpha,
                n_per_arm: s.design.n_per_arm,
                reps: results.len() as u32,
                seed,
                power: rejections / reps,
                power_ci_low: lo,
                power_ci_high: hi,
                mean_estimate,
                sd_estimate,
                true_effect,
                bias: mean_estimate - true_effect,
                ci_coverage: covered / analysable.max(1.0),
                mean_screened: screened / reps,
                mean_enrolled: enrolled_all / reps,
                screened_per_enrolled: screened / enrolled_all,
                ppv_deficient: ratio(deficient_all, enrolled_all).filter(|_| mg),
                selection_sensitivity: ratio(deficient_all / screened, plan.prob_deficient).filter(|_| mg),
                dropout_rate: dropouts_pair / enrolled_pair,
                normal_at_end_placebo: normal_at_end(p),
                normal_at_end_active: normal_at_end(a),
                reps_not_analysable: (reps - analysable) as u32,
            }
        })
        .collect()
}
