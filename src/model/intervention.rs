//! Interventions: Mg formulations, their bioavailability, and the exposure of each arm.
//!
//! Absorbed Mg per day `a = F * dose * adherence` (model.md section 4), with `F` the fractional
//! absorption of the formulation, `dose` elemental mg/day, and per-person adherence drawn from
//! `Beta(mean * c, (1 - mean) * c)`.

pub use crate::scenario::schema::Formulation;
use crate::scenario::schema::{ArmKind, BioavailabilityOverrides, Scenario};

impl Formulation {
    pub(crate) const ALL: [Formulation; 7] = [
        Formulation::Oxide,
        Formulation::Citrate,
        Formulation::Chloride,
        Formulation::Lactate,
        Formulation::Glycinate,
        Formulation::LThreonate,
        Formulation::IvSulfate,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Formulation::Oxide => "oxide",
            Formulation::Citrate => "citrate",
            Formulation::Chloride => "chloride",
            Formulation::Lactate => "lactate",
            Formulation::Glycinate => "glycinate",
            Formulation::LThreonate => "l_threonate",
            Formulation::IvSulfate => "iv_sulfate",
        }
    }

    /// Default fractional absorption (0-1).
    ///
    /// Soluble salts: 0.35, the middle of the 30-40% usually quoted for dietary Mg [AusNRV] and
    /// below the 48% of a small 70 mg isotope dose [Sabatier03] (absorption falls with load
    /// [Fine91]). Chloride and lactate absorb like each other and better than oxide [Firoz01];
    /// citrate beats oxide [Kappeler17], [Walker03]. Oxide = 0.4 x citrate, inside the 0.3-0.5
    /// ratio of the literature file's simulator note ([Firoz01], [Walker03]; UNVERIFIED ESTIMATE). Glycinate and
    /// L-threonate have no human absorption data [Pardo21], [Slutsky10]: UNVERIFIED, taken as
    /// citrate. IV sulfate is 100% by definition.
    pub(crate) fn default_bioavailability(self) -> f64 {
        match self {
            Formulation::Oxide => 0.14,
            Formulation::Citrate
            | Formulation::Chloride
            | Formulation::Lactate
            | Formulation::Glycinate
            | Formulation::LThreonate => 0.35,
            Formulation::IvSulfate => 1.0,
        }
    }

    fn override_in(self, o: &BioavailabilityOverrides) -> Option<f64> {
        match self {
            Formulation::Oxide => o.oxide,
            Formulation::Citrate => o.citrate,
            Formulation::Chloride => o.chloride,
            Formulation::Lactate => o.lactate,
            Formulation::Glycinate => o.glycinate,
            Formulation::LThreonate => o.l_threonate,
            Formulation::IvSulfate => o.iv_sulfate,
        }
    }
}

/// Exposure of one arm, resolved from the scenario.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Exposure {
    /// Fractional absorption used (arm override, else table override, else default).
    pub bioavailability: f64,
    pub dose_mg_per_day: f64,
    pub adherence_mean: f64,
    pub adherence_concentration: f64,
}

impl Exposure {
    /// Exposure of arm `index`; `None` for an arm that takes no Mg (placebo, comparator).
    pub(crate) fn of_arm(s: &Scenario, index: usize) -> Option<Exposure> {
        let arm = &s.arms[index];
        // An infusion's acute effect does not go through what is absorbed and repleted.
        if arm.kind != ArmKind::Active || s.response.model == crate::scenario::schema::ResponseModel::Acute {
            return None;
        }
        let bioavailability = match arm.bioavailability {
            Some(b) => b,
            None => {
                let formulation = arm.formulation?;
                formulation.override_in(&s.bioavailability).unwrap_or_else(|| formulation.default_bioavailability())
            }
        };
        Some(Exposure {
            bioavailability,
            dose_mg_per_day: arm.dose_mg_per_day?,
            adherence_mean: arm.adherence_mean(),
            adherence_concentration: arm.adherence_concentration,
        })
    }

    /// Absorbed Mg, mg/day, at mean adherence.
    pub(crate) fn mean_absorbed_mg_per_day(&self) -> f64 {
        self.bioavailability * self.dose_mg_per_day * self.adherence_mean
    }
}
