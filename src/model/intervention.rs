//! Interventions: Mg formulations, their bioavailability, and the exposure of each arm.
//!
//! Absorbed Mg per day `a = F * dose * adherence` (model.md section 4), with `F` the fractional
//! absorption of the formulation, `dose` elemental mg/day, and per-person adherence drawn from
//! `Beta(mean * c, (1 - mean) * c)`.
//!
//! Saturable absorption (`absorption.model = "saturable"`): Fine et al. 1991 [Fine91] measured
//! net absorption of Mg acetate taken with a meal at loads of 0 to 80 mEq; the fraction absorbed
//! fell from 65% at the lowest load to 11% at the highest, and absorption against load was
//! "almost perfectly" a hyperbola plus a line absorbing 7% of any load. Per intake of load `L`
//! (mg) of a soluble salt, absorbed `A(L) = Vmax L / (Km + L) + p L`; a day of `n` intakes of
//! `dose / n` taken with adherence `adh` absorbs `adh n r A(dose / n)`, with `r = F / 0.35` the
//! salt's bioavailability relative to a soluble salt's in the linear table (adherence is the
//! share of intakes taken, so a missed tablet does not make the others absorb better). The
//! defaults solve `A(L)/L -> Vmax/Km + p = 0.65` at a vanishing load and `A(L)/L = 0.11` at
//! `L = 80 mEq = 972 mg`: `Km = 972 (0.11 - p) / (0.65 - 0.11)` = 72 mg, `Vmax = (0.65 - p) Km`
//! = 41.8 mg. The lowest load was the meal's own Mg, not zero (not stated in the abstract), so
//! `Km` is a lower bound (UNVERIFIED ESTIMATE: a lowest load of 1-2 mEq would raise it by a
//! few mg).

pub use crate::scenario::schema::Formulation;
use crate::scenario::schema::{AbsorptionModel, ArmKind, Scenario};

/// The saturable absorption curve of one intake of a soluble salt (see the module doc).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SaturableCurve {
    /// `Vmax`, mg per intake.
    pub max_active_mg: f64,
    /// `Km`, mg per intake.
    pub half_saturation_mg: f64,
    /// `p`.
    pub passive_fraction: f64,
}

impl SaturableCurve {
    /// The curve of an `[absorption]` section (its defaults are [Fine91]'s).
    pub fn of(a: &crate::scenario::schema::Absorption) -> SaturableCurve {
        SaturableCurve {
            max_active_mg: a.max_active_mg_per_intake,
            half_saturation_mg: a.half_saturation_mg_per_intake,
            passive_fraction: a.passive_fraction,
        }
    }

    /// Mg absorbed from one intake of `load_mg` of a soluble salt, mg.
    pub fn absorbed_mg(&self, load_mg: f64) -> f64 {
        self.max_active_mg * load_mg / (self.half_saturation_mg + load_mg) + self.passive_fraction * load_mg
    }
}

/// How an arm's dose is absorbed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Absorption {
    /// `bioavailability x dose x adherence`.
    Linear,
    /// `adherence x intakes x (bioavailability / 0.35) x curve(dose / intakes)`.
    Saturable { intakes_per_day: u32, curve: SaturableCurve },
}

/// The fractional absorption of a soluble salt (citrate, chloride, lactate) in the linear
/// table: the reference of a salt's relative bioavailability under saturable absorption.
pub const SOLUBLE_SALT_BIOAVAILABILITY: f64 = 0.35;

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
            | Formulation::LThreonate => SOLUBLE_SALT_BIOAVAILABILITY,
            Formulation::IvSulfate => 1.0,
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
    pub absorption: Absorption,
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
                s.bioavailability.of(formulation).unwrap_or_else(|| formulation.default_bioavailability())
            }
        };
        // An infusion does not pass the gut: it stays linear (all of it, at bioavailability 1).
        let oral = arm.formulation != Some(Formulation::IvSulfate);
        let absorption = match (s.absorption.model, arm.intakes_per_day) {
            (AbsorptionModel::Saturable, Some(intakes_per_day)) if oral => {
                Absorption::Saturable { intakes_per_day, curve: SaturableCurve::of(&s.absorption) }
            }
            _ => Absorption::Linear,
        };
        Some(Exposure {
            bioavailability,
            dose_mg_per_day: arm.dose_mg_per_day?,
            adherence_mean: arm.adherence_mean(),
            adherence_concentration: arm.adherence_concentration,
            absorption,
        })
    }

    /// Absorbed Mg, mg/day, of a person who takes every intake; a person's is this times
    /// their adherence.
    pub fn absorbed_at_full_adherence_mg_per_day(&self) -> f64 {
        match self.absorption {
            Absorption::Linear => self.bioavailability * self.dose_mg_per_day,
            Absorption::Saturable { intakes_per_day, curve } => {
                let n = f64::from(intakes_per_day);
                n * (self.bioavailability / SOLUBLE_SALT_BIOAVAILABILITY) * curve.absorbed_mg(self.dose_mg_per_day / n)
            }
        }
    }

    /// Absorbed Mg, mg/day, at mean adherence.
    pub fn mean_absorbed_mg_per_day(&self) -> f64 {
        self.absorbed_at_full_adherence_mg_per_day() * self.adherence_mean
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The defaults reproduce [Fine91]'s two figures: 65% absorbed from a vanishing load, 11%
    /// from 80 mEq (972 mg); the passive term alone absorbs 7%; the fraction falls at every load
    /// in between (the 10, 20 and 40 mEq loads of the study) and absorption still rises.
    #[test]
    fn fine91_curve_reproduces_its_published_fractions() {
        let c = SaturableCurve::of(&crate::scenario::schema::Absorption::default());
        let fraction = |load: f64| c.absorbed_mg(load) / load;
        assert!((fraction(1e-9) - 0.65).abs() < 1e-9, "{}", fraction(1e-9));
        assert!((fraction(80.0 * 12.153) - 0.11).abs() < 1e-12, "{}", fraction(972.24));
        assert!((fraction(1e9) - 0.07).abs() < 1e-6);
        let loads = [0.0, 10.0, 20.0, 40.0, 80.0].map(|meq| (meq * 12.153_f64).max(1e-9));
        for w in loads.windows(2) {
            assert!(fraction(w[1]) < fraction(w[0]), "{w:?}");
            assert!(c.absorbed_mg(w[1]) > c.absorbed_mg(w[0]), "{w:?}");
        }
        assert!((c.half_saturation_mg - 72.0).abs() < 0.05 && (c.max_active_mg - 41.76).abs() < 0.05, "{c:?}");
    }
}
