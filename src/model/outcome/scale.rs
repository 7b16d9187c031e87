//! Continuous outcome scales and their measurement (model.md section 6).
//!
//! True baseline `~ N(mu0, sd0)`; true follow-up = baseline + natural change + placebo
//! response, plus the benefit (signed by the scale's direction) and `N(0, change_sd^2)`. Each observed score adds a
//! measurement error of variance `sd0^2 (1 - r) / r` (classical test theory: reliability
//! `r = var_true / var_observed`), divided by the number of assessments averaged; then it is
//! clipped to the scale's bounds and rounded if the scale is integer-valued.
//!
//! The observed baseline `x` and follow-up `y` (before clipping and rounding) are jointly
//! normal given the benefit, so they are drawn from two normals, `x` first and `y | x` by
//! regression, rather than from three (true baseline, change noise, baseline error).

use crate::scenario::scales::Scale;
use crate::scenario::schema::Direction;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OutcomeModel {
    pub baseline_mean: f64,
    pub baseline_sd: f64,
    /// Natural change + placebo response: the expected change in every arm without benefit.
    pub common_change: f64,
    pub change_sd: f64,
    /// SD of the averaged measurement error of one occasion (0 with reliability 1).
    pub error_sd: f64,
    /// SD of the follow-up around its expectation given the true baseline:
    /// `sqrt(change_sd^2 + error_sd^2)`.
    pub followup_noise_sd: f64,
    /// SD of the observed baseline: `sqrt(sd0^2 + error_sd^2)`.
    pub observed_baseline_sd: f64,
    /// Regression of the follow-up on the observed baseline's deviation: `sd0^2 / sx^2`.
    pub followup_on_baseline: f64,
    /// SD of the follow-up given the observed baseline: `sqrt(sd0^2 e^2 / sx^2 + change_sd^2 + e^2)`.
    pub followup_sd_given_baseline: f64,
    /// +1 if higher scores are better, -1 if lower are.
    pub benefit_sign: f64,
    pub min: f64,
    pub max: f64,
    pub integer: bool,
}

impl OutcomeModel {
    pub fn new(o: &Scale) -> OutcomeModel {
        let r = o.reliability;
        let error_sd = (o.baseline_sd.powi(2) * (1.0 - r) / r / f64::from(o.assessments)).sqrt();
        let followup_noise_sd = o.change_sd.hypot(error_sd);
        let (var0, var_x) = (o.baseline_sd.powi(2), o.baseline_sd.powi(2) + error_sd.powi(2));
        OutcomeModel {
            observed_baseline_sd: var_x.sqrt(),
            followup_on_baseline: var0 / var_x,
            followup_sd_given_baseline: (var0 * error_sd.powi(2) / var_x + followup_noise_sd.powi(2)).sqrt(),
            baseline_mean: o.baseline_mean,
            baseline_sd: o.baseline_sd,
            common_change: o.natural_change + o.placebo_response,
            change_sd: o.change_sd,
            error_sd,
            followup_noise_sd,
            benefit_sign: match o.direction {
                Direction::HigherIsBetter => 1.0,
                Direction::LowerIsBetter => -1.0,
            },
            min: o.min,
            max: o.max,
            integer: o.integer,
        }
    }

    /// True if observed scores are clipped or rounded, so the true baseline level matters
    /// even to the change score.
    pub(crate) fn is_nonlinear(&self) -> bool {
        self.integer || self.min.is_finite() || self.max.is_finite()
    }

    /// What a participant's observed score becomes on the scale (bounds, then rounding).
    #[inline]
    pub(crate) fn observe(&self, score: f64) -> f64 {
        let clipped = score.clamp(self.min, self.max);
        if self.integer { round_half_even(clipped) } else { clipped }
    }

    /// SD of the observed follow-up and its correlation with the observed baseline, for an
    /// unbounded, unrounded scale: `rho = sd0^2 / (sd_x sd_y)`.
    pub(crate) fn observed_followup_sd_and_rho(&self) -> (f64, f64) {
        let var_x = self.baseline_sd.powi(2) + self.error_sd.powi(2);
        let var_y = self.baseline_sd.powi(2) + self.change_sd.powi(2) + self.error_sd.powi(2);
        (var_y.sqrt(), self.baseline_sd.powi(2) / (var_x * var_y).sqrt())
    }
}

/// Rounds to the nearest integer, ties to even, without a libm call: adding and subtracting
/// 1.5 * 2^52 leaves the value rounded by the FPU's default mode, exact for |x| < 2^51 (larger
/// doubles are already integers).
#[inline]
fn round_half_even(x: f64) -> f64 {
    const SHIFT: f64 = 6_755_399_441_055_744.0;
    if x.abs() < 2_251_799_813_685_248.0 { (x + SHIFT) - SHIFT } else { x }
}

#[cfg(test)]
mod tests {
    use super::round_half_even;

    #[test]
    fn rounds_like_round_ties_even() {
        for x in [-3.5, -2.5, -0.6, -0.5, -0.4, 0.0, 0.4, 0.5, 0.6, 1.5, 2.5, 17.49, 62.5, 1e300, -1e17] {
            assert_eq!(round_half_even(x), x.round_ties_even(), "{x}");
        }
    }
}
