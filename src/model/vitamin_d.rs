//! A vitamin D co-deficiency (issue 24): a latent vitamin D status related to true Mg status.
//!
//! The review attributes inconsistent Mg trials partly to co-deficiencies that were not
//! measured, vitamin D first; Mg is a cofactor of vitamin D's activation and vitamin D raises
//! Mg absorption (Uwitonze & Razzaque 2018, [Uwitonze18]). The model: a person is vitamin D
//! deficient when a latent normal `z_D = rho z_M + sqrt(1 - rho^2) e` falls below
//! `Phi^-1(prevalence)`, `z_M = Phi^-1(F(m))` the normal score of true Mg status `m` in the
//! screened population (a Gaussian copula), so `P(D | m) = Phi((Phi^-1(p) - rho z_M) /
//! sqrt(1 - rho^2))`. The Mg-mediated benefit of a deficient participant not given vitamin D is
//! multiplied by `benefit_multiplier_if_deficient`: a multiplier rather than "benefit only when
//! both are replete" because the second is its special case (multiplier 0), and no trial has
//! measured either. A vitamin D test reads deficient with its sensitivity, or falsely with one
//! less its specificity.

use crate::model::population::{Acceptance, MgStatus};
use crate::scenario::schema::{VitaminD, VitaminDEnrolment};
use statrs::distribution::{ContinuousCDF, Normal};

/// The vitamin D model, resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct VitaminDModel {
    mg: MgStatus,
    /// `Phi^-1(prevalence)`, `rho` and `sqrt(1 - rho^2)`.
    threshold_z: f64,
    rho: f64,
    residual: f64,
    pub benefit_multiplier: f64,
    /// Enrolment on a vitamin D test: (sensitivity, specificity).
    pub selection: Option<(f64, f64)>,
    /// Whom the test enrols: those it reads deficient (true) or replete (false).
    pub enrols_deficient: bool,
    /// `P(D | m)` at `TABLE_NODES` equally spaced `m` from `table_low`, for the simulation's
    /// per-person draw (linear interpolation; its error is tested below 1e-6).
    table: Vec<f64>,
    table_low: f64,
    table_step_inv: f64,
}

/// Intervals of the `P(D | m)` table over the components' means +- 12 SD.
const TABLE_INTERVALS: usize = 8192;

impl VitaminDModel {
    /// `None` with a prevalence of 0 (nobody deficient: the modifier's neutral value).
    pub fn new(v: &VitaminD, mg: &MgStatus) -> Option<VitaminDModel> {
        if v.deficiency_prevalence <= 0.0 {
            return None;
        }
        let low =
            mg.components.iter().map(|c| c.mean_mmol_per_l - 12.0 * c.sd_mmol_per_l).fold(f64::INFINITY, f64::min);
        let high =
            mg.components.iter().map(|c| c.mean_mmol_per_l + 12.0 * c.sd_mmol_per_l).fold(f64::NEG_INFINITY, f64::max);
        let step = (high - low) / TABLE_INTERVALS as f64;
        // Validated: given with a prevalence below 1 (at 1 everyone is deficient whatever it is);
        // +-1 is taken as +-0.999999 (a copula needs some residual).
        let rho = v.correlation_with_mg.unwrap_or(0.0).clamp(-0.999_999, 0.999_999);
        let mut model = VitaminDModel {
            mg: mg.clone(),
            threshold_z: Normal::standard().inverse_cdf(v.deficiency_prevalence.min(1.0 - 1e-12)),
            rho,
            residual: (1.0 - rho * rho).sqrt(),
            // Validated: given whenever an Mg arm does not give vitamin D (else it scales nobody).
            benefit_multiplier: v.benefit_multiplier_if_deficient.unwrap_or(1.0),
            // Validated: both given under enrolment on vitamin D.
            selection: (v.enrol != VitaminDEnrolment::Any)
                .then(|| (v.assay_sensitivity.unwrap_or(1.0), v.assay_specificity.unwrap_or(1.0))),
            enrols_deficient: v.enrol == VitaminDEnrolment::Deficient,
            table: Vec::new(),
            table_low: low,
            table_step_inv: 1.0 / step,
        };
        model.table = (0..=TABLE_INTERVALS).map(|i| model.prob_deficient(low + i as f64 * step)).collect();
        Some(model)
    }

    /// [`VitaminDModel::prob_deficient`] from the table (for the simulation): within 1e-6.
    #[inline]
    pub fn prob_deficient_tabled(&self, m: f64) -> f64 {
        let x = ((m - self.table_low) * self.table_step_inv).clamp(0.0, TABLE_INTERVALS as f64);
        let i = (x as usize).min(TABLE_INTERVALS - 1);
        let w = x - i as f64;
        self.table[i] + w * (self.table[i + 1] - self.table[i])
    }

    /// `P(vitamin D deficient | true Mg m)` among the screened.
    pub fn prob_deficient(&self, m: f64) -> f64 {
        let f = self.mg.cdf(m).clamp(1e-300, 1.0 - 1e-16);
        let z_m = Normal::standard().inverse_cdf(f);
        Normal::standard().cdf((self.threshold_z - self.rho * z_m) / self.residual)
    }

    /// `P(the test reads deficient)` for the deficient and for the replete: the sensitivity
    /// and one less the specificity; with enrolment of the replete, the reading must be replete.
    fn acceptance_by_status(&self) -> Option<(f64, f64)> {
        self.selection.map(|(sensitivity, specificity)| {
            if self.enrols_deficient { (sensitivity, 1.0 - specificity) } else { (1.0 - sensitivity, specificity) }
        })
    }

    /// The probability that a person of true Mg `m` passes vitamin D selection (1 without it).
    pub fn passes_at(&self, m: f64) -> f64 {
        match self.acceptance_by_status() {
            None => 1.0,
            Some((if_deficient, if_replete)) => {
                let p = self.prob_deficient(m);
                if_deficient * p + if_replete * (1.0 - p)
            }
        }
    }

    /// `P(deficient and passes selection | m)`: the deficient share of the enrolled at `m`,
    /// times the acceptance.
    pub fn deficient_and_accepted(&self, m: f64) -> f64 {
        let p = self.prob_deficient(m);
        match self.acceptance_by_status() {
            None => p,
            Some((if_deficient, _)) => if_deficient * p,
        }
    }

    /// Whether a person (`deficient` or not) passes selection, from a uniform `u`.
    #[inline]
    pub fn passes(&self, deficient: bool, u: f64) -> bool {
        match self.acceptance_by_status() {
            None => true,
            Some((if_deficient, if_replete)) => u < if deficient { if_deficient } else { if_replete },
        }
    }
}

impl Acceptance for VitaminDModel {
    fn acceptance(&self, m: f64) -> f64 {
        self.passes_at(m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::population::Component;

    fn mg() -> MgStatus {
        MgStatus {
            components: vec![
                Component { weight: 0.3, mean_mmol_per_l: 0.7, sd_mmol_per_l: 0.06 },
                Component { weight: 0.7, mean_mmol_per_l: 0.88, sd_mmol_per_l: 0.06 },
            ],
            replete_target_mmol_per_l: 0.85,
            deficiency_cutoff_mmol_per_l: 0.75,
        }
    }

    /// Averaged over the screened, `P(D | m)` is the prevalence; with correlation 0 it is the
    /// prevalence at every `m`; with a positive correlation it is higher at low Mg.
    #[test]
    fn the_copula_keeps_the_prevalence() {
        let m = mg();
        for rho in [0.0, 0.4, -0.6] {
            let v = VitaminD {
                deficiency_prevalence: 0.35,
                correlation_with_mg: Some(rho),
                benefit_multiplier_if_deficient: Some(0.5),
                enrol: VitaminDEnrolment::Any,
                assay_sensitivity: None,
                assay_specificity: None,
            };
            let model = VitaminDModel::new(&v, &m).unwrap();
            let mean =
                m.integrate(&crate::model::population::Filters::none(), f64::INFINITY, |x| model.prob_deficient(x));
            assert!((mean - 0.35).abs() < 1e-6, "rho {rho}: {mean}");
            let (low, high) = (model.prob_deficient(0.68), model.prob_deficient(0.92));
            match rho {
                r if r > 0.0 => assert!(low > 0.35 && high < 0.35, "{low} {high}"),
                r if r < 0.0 => assert!(low < 0.35 && high > 0.35, "{low} {high}"),
                _ => assert!((low - 0.35).abs() < 1e-9 && (high - 0.35).abs() < 1e-9),
            }
            // The simulation's table is within 1e-6 of the exact probability everywhere,
            // including between nodes and beyond the tabled range.
            let worst = (0..=100_000)
                .map(|i| 0.3 + 0.8 * f64::from(i) / 100_000.0)
                .map(|x| (model.prob_deficient_tabled(x) - model.prob_deficient(x)).abs())
                .fold(0.0, f64::max);
            assert!(worst < 1e-6, "rho {rho}: table error {worst}");
        }
    }
}
