//! Side effects, informative dropout and the handling of missing follow-ups, resolved.
//!
//! Dropout mechanisms (Rubin 1976; Little & Rubin 2019, ch. 1), on rating scales:
//! - completely at random: each arm's rate, as before;
//! - at random given the baseline (`baseline_severity`): `P(drop) = logistic(a_arm + b z)`,
//!   `z` the observed baseline's severity in SDs of the observed baseline (before clipping and
//!   rounding, so `z ~ N(0, 1)`), `b = ln(odds ratio per SD)`, `a_arm` solved so that each arm
//!   keeps its stated rate;
//! - not at random (`no_improvement`): `z` the lack of improvement in SDs, `-(I - mu) / sigma`,
//!   `I` a person's improvement from the observed baseline to the (unobserved) follow-up before
//!   clipping and rounding, `mu` and `sigma` its mean and SD on placebo; one `a` for every arm,
//!   solved so that placebo has its stated rate. The same chance at the same improvement in
//!   every arm: an arm that improves more loses fewer.
//!
//! Side effects add dropout among the affected, on top of any mechanism.

use super::Repletion;
use crate::model::outcome::OutcomeModel;
use crate::scenario::schema::{DropoutMechanism, MissingData, Scenario};

/// GI side effects of one Mg arm.
#[derive(Debug, Clone)]
pub struct ArmSideEffects {
    /// Probability that a participant has them.
    pub probability: f64,
    /// Probability that an affected participant drops out because of them.
    pub dropout_if_affected: f64,
    /// The share of their doses an affected participant takes, of what their adherence says.
    pub adherence_factor: f64,
    /// The repleted share of an affected participant, who takes `adherence_factor_if_affected`
    /// of their doses (`None` when the arm repletes nothing).
    pub repletion_if_affected: Option<Repletion>,
}

/// The dropout mechanism, resolved.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Mechanism {
    AtRandom,
    /// `b`; each arm's `a` is its [`super::ArmPlan::dropout_logit`].
    BaselineSeverity {
        log_odds_per_sd: f64,
    },
    /// `b`, the common `a`, and the placebo improvement's mean and SD.
    NoImprovement {
        log_odds_per_sd: f64,
        logit: f64,
        placebo_improvement: f64,
        improvement_sd: f64,
    },
}

/// How a trial loses and analyses its participants, when that is more than today's completely
/// random loss of completers (`Plan::missing` is `None` then, and the engine's loops are the
/// usual ones).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MissingPlan {
    pub mechanism: Mechanism,
    /// The baseline is carried forward for those who drop out (else: complete cases).
    pub carry_baseline_forward: bool,
}

/// The logistic function.
#[inline]
pub fn logistic(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// The intercept `a` with `E[logistic(a + b Z)] = rate` for `Z ~ N(0, 1)`, by bisection on
/// Simpson's rule over `z` in [-12, 12] (the mean is increasing in `a`).
pub fn logit_for_rate(rate: f64, b: f64) -> f64 {
    if rate <= 0.0 {
        return f64::NEG_INFINITY;
    }
    let mean = |a: f64| {
        crate::numeric::simpson(
            |z| logistic(a + b * z) * (-0.5 * z * z).exp() / (2.0 * std::f64::consts::PI).sqrt(),
            -12.0,
            12.0,
            2400,
        )
    };
    let (mut lo, mut hi) = (-60.0, 60.0);
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if mean(mid) < rate {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}

impl Mechanism {
    /// The scenario's mechanism; an odds ratio of 1 is completely at random, whatever the name.
    pub(crate) fn of(s: &Scenario, outcome: &OutcomeModel, placebo_dropout: f64) -> Mechanism {
        let b = s.dropout.odds_ratio_per_sd.map_or(0.0, f64::ln);
        match s.dropout.mechanism {
            _ if b == 0.0 => Mechanism::AtRandom,
            DropoutMechanism::CompletelyAtRandom => Mechanism::AtRandom,
            DropoutMechanism::BaselineSeverity => Mechanism::BaselineSeverity { log_odds_per_sd: b },
            DropoutMechanism::NoImprovement => Mechanism::NoImprovement {
                log_odds_per_sd: b,
                logit: logit_for_rate(placebo_dropout, b),
                placebo_improvement: outcome.benefit_sign * outcome.common_change,
                improvement_sd: (outcome.change_sd.powi(2) + 2.0 * outcome.error_sd.powi(2)).sqrt(),
            },
        }
    }
}

impl MissingPlan {
    /// `None` when dropout is completely at random and the completers are analysed.
    pub(crate) fn of(s: &Scenario, mechanism: Mechanism) -> Option<MissingPlan> {
        let carry_baseline_forward = s.analysis.missing_data == MissingData::BaselineCarriedForward;
        (mechanism != Mechanism::AtRandom || carry_baseline_forward)
            .then_some(MissingPlan { mechanism, carry_baseline_forward })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The solved intercept gives the rate, checked by a finer rule; odds ratio 1 gives the
    /// logit of the rate itself.
    #[test]
    fn the_intercept_gives_the_stated_rate() {
        for (rate, b) in [(0.11, 0.0), (0.11, 0.7), (0.3, -1.2), (0.02, 2.0)] {
            let a = logit_for_rate(rate, b);
            let check = crate::numeric::simpson(
                |z| logistic(a + b * z) * (-0.5 * z * z).exp() / (2.0 * std::f64::consts::PI).sqrt(),
                -14.0,
                14.0,
                20_000,
            );
            assert!((check - rate).abs() < 1e-9, "{rate} {b}: {check}");
        }
        assert!((logit_for_rate(0.11, 0.0) - (0.11f64 / 0.89).ln()).abs() < 1e-9);
        assert_eq!(logit_for_rate(0.0, 1.0), f64::NEG_INFINITY);
    }
}
