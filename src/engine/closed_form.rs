//! The closed-form approximation of a plan's power, without simulation: a t-test (or the
//! negative-binomial Wald test for counts) at the expected completers, the expected effect
//! among the enrolled and the analysis' residual SD. `explain` prints it, and the sample-size
//! search starts from it.

use crate::analysis::power::{negbin_wald_power, t_test_power, tost_power};
use crate::engine::calibration::expected_arm_benefit;
use crate::engine::plan::Plan;
use crate::scenario::schema::{Hypothesis, TestKind};

/// Residual SD of the analysis on an unbounded scale: the change-score SD for Welch, the
/// follow-up SD times `sqrt(1 - rho^2)` for ANCOVA; for a crossover the SD of half a period
/// difference, `sqrt((change_sd^2 + error_sd^2) / 2)`.
fn residual_sd(plan: &Plan) -> f64 {
    let o = &plan.outcome;
    let (sd_y, rho) = o.observed_followup_sd_and_rho();
    if plan.crossover.is_some() {
        // Half a period difference: two periods' own changes and measurement errors.
        return o.followup_noise_sd / std::f64::consts::SQRT_2;
    }
    match plan.test {
        TestKind::Welch => o.change_sd.hypot(o.error_sd * std::f64::consts::SQRT_2),
        _ => sd_y * (1.0 - rho * rho).sqrt(),
    }
}

/// The closed-form approximation of one comparison's power: a t-test with the expected
/// completers, the expected difference of the two arms' effects and the residual SD (for a
/// margin, the one-sided test of the shifted difference; for equivalence, [`tost_power`]).
/// Ignores effect heterogeneity, scale bounds and rounding. Built once per plan and
/// comparison; [`ClosedForm::power`] at any n.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ClosedForm {
    /// The expected benefit of the arm tested over the arm it is compared with.
    pub effect: f64,
    pub residual_sd: f64,
    /// Count outcomes: the reference arm's expected follow-up count and the gamma shape, for the
    /// negative-binomial Wald power of Zhu & Lakkis (2014) at rate ratio `exp(-effect)`.
    pub counts: Option<(f64, f64)>,
    pub hypothesis: Hypothesis,
    /// The margin on the estimate's scale (outcome units, or `ln` rate ratio on counts).
    pub margin: f64,
    /// Expected completers per unit of n per arm: (arm tested, reference).
    completers_per_n: (f64, f64),
    /// Units of n per arm in the plan itself (`design.n_per_arm`, or with per-arm sizes the
    /// sizes' greatest common divisor, the unit of their block weights).
    plan_units: f64,
    alpha: f64,
    two_sided: bool,
    /// False for a crossover of counts, whose rank test of period differences has no closed
    /// form here, for a margin in responder points, and under informative dropout or the
    /// baseline carried forward.
    pub exists: bool,
}

impl ClosedForm {
    /// For comparison `k` of the plan, by its primary analysis.
    pub fn new(plan: &Plan, k: usize) -> ClosedForm {
        let c = &plan.comparisons[k];
        let (p, arm) = (&plan.arms[c.against], &plan.arms[c.arm]);
        let reference_benefit = expected_arm_benefit(plan, c.against);
        // A crossover's sequences differ by the effect less half its carry-over into period 2.
        let carried = plan.crossover.map_or(0.0, |x| x.carryover / 2.0);
        ClosedForm {
            effect: (expected_arm_benefit(plan, c.arm) - reference_benefit) * (1.0 - carried),
            residual_sd: residual_sd(plan),
            counts: plan.count.as_ref().map(|(m, _)| {
                (m.expected_count(m.followup_weeks, m.placebo_rate_ratio) * (-reference_benefit).exp(), m.theta)
            }),
            hypothesis: c.hypothesis,
            margin: c.margin_for(plan.test),
            completers_per_n: (
                f64::from(arm.allocation) * (1.0 - arm.expected_dropout()),
                f64::from(p.allocation) * (1.0 - p.expected_dropout()),
            ),
            plan_units: f64::from(arm.n_target) / f64::from(arm.allocation),
            alpha: plan.scenario.analysis.alpha,
            two_sided: plan.two_sided(),
            // Not for a crossover of counts (a rank test of period differences), nor for a margin
            // in responder points, which the t test of the scale does not read.
            exists: {
                let crossover_of_counts = plan.crossover.is_some() && plan.count.is_some();
                let responder_margin = c.hypothesis != Hypothesis::Superiority
                    && crate::scenario::comparisons::MarginUnit::of(plan.test)
                        == Some(crate::scenario::comparisons::MarginUnit::ResponderPoints);
                // Nor where who drops out depends on their outcome, or dropouts are analysed.
                !crossover_of_counts && !responder_margin && plan.missing.is_none()
            },
        }
    }

    /// Approximate power at the plan's own arm sizes.
    pub(crate) fn power_at_plan(&self) -> Option<f64> {
        self.power(self.plan_units)
    }

    /// Approximate power with `n_per_arm` per allocation unit; `None` with too few completers,
    /// or where the closed form is not finite (an SD that underflows): never NaN or infinity.
    pub fn power(&self, n_per_arm: f64) -> Option<f64> {
        let (n_a, n_p) = (n_per_arm * self.completers_per_n.0, n_per_arm * self.completers_per_n.1);
        let finite = self.effect.is_finite() && (self.counts.is_some() || self.residual_sd.is_finite());
        // The margins' tests are one-sided at the tail of the superiority test.
        let tail = if self.two_sided { self.alpha / 2.0 } else { self.alpha };
        let one_sided = |shifted: f64| match self.counts {
            Some((m0, theta)) => negbin_wald_power(n_a, n_p, m0, m0 * (-shifted).exp(), theta, tail, false),
            None => t_test_power(n_a, n_p, shifted, self.residual_sd, tail, false),
        };
        (self.exists && finite && n_a >= 2.0 && n_p >= 2.0 && n_a + n_p > 5.0)
            .then(|| match (self.hypothesis, self.counts) {
                (Hypothesis::Superiority, Some((m0, theta))) => {
                    negbin_wald_power(n_a, n_p, m0, m0 * (-self.effect).exp(), theta, self.alpha, self.two_sided)
                }
                (Hypothesis::Superiority, None) => {
                    t_test_power(n_a, n_p, self.effect, self.residual_sd, self.alpha, self.two_sided)
                }
                (Hypothesis::NonInferiority, _) => one_sided(self.effect + self.margin),
                (Hypothesis::Equivalence, None) => {
                    tost_power(n_a, n_p, self.effect, self.margin, self.residual_sd, tail)
                }
                // Both one-sided tests pass: at least P1 + P2 - 1.
                (Hypothesis::Equivalence, Some(_)) => {
                    (one_sided(self.effect + self.margin) + one_sided(self.margin - self.effect) - 1.0).max(0.0)
                }
            })
            .filter(|p| p.is_finite())
    }
}
