//! GI side effects of oral Mg: how often they occur at a dose of a formulation.
//!
//! Unabsorbed Mg draws water into the gut; diarrhoea is the critical effect behind the
//! supplemental upper level of 350 mg/day [IOM97]. A participant of an Mg arm has GI side
//! effects with probability `1 - (1 - P600)^(dose / 600 mg)`: each 600 mg/day of elemental Mg
//! carries the same risk P600, so the risk rises with dose, less than in proportion at high
//! doses, and is 0 at dose 0. It is the excess over placebo.
//!
//! P600 by formulation (percent):
//! - citrate: 18.6, the diarrhoea of 600 mg/day trimagnesium dicitrate [Peikert96]. It gives
//!   11.3% at the 350 mg/day upper level.
//! - oxide, chloride, lactate: as citrate (**UNVERIFIED ESTIMATE**). Oxide is the worse absorbed,
//!   so more of it stays in the gut. Pfaffenrath 1996 saw diarrhoea in about half on 486 mg/day
//!   of a salt reported as aspartate [Pfaffenrath96], so 18.6 may be low.
//! - glycinate, L-threonate: half of citrate's, 9.3 (**UNVERIFIED ESTIMATE**: chelates are
//!   marketed as gentler; no trial figure found).

use crate::scenario::schema::Formulation;

/// Percentage with GI side effects at 600 mg/day by default (see the module doc); `None` for an
/// infusion, which does not pass the gut.
pub fn default_percent_at_600_mg(f: Formulation) -> Option<f64> {
    match f {
        Formulation::Oxide | Formulation::Citrate | Formulation::Chloride | Formulation::Lactate => Some(18.6),
        Formulation::Glycinate | Formulation::LThreonate => Some(9.3),
        Formulation::IvSulfate => None,
    }
}

/// Probability of GI side effects at `dose_mg_per_day` for a formulation with `percent_at_600_mg`.
pub fn probability(percent_at_600_mg: f64, dose_mg_per_day: f64) -> f64 {
    1.0 - (1.0 - percent_at_600_mg / 100.0).powf(dose_mg_per_day / 600.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Peikert's 18.6% at 600 mg/day, 11.3% at the upper level, 0 at no dose, rising with dose.
    #[test]
    fn risk_rises_with_dose_from_peikert_1996() {
        let p600 = default_percent_at_600_mg(Formulation::Citrate).unwrap();
        assert!((probability(p600, 600.0) - 0.186).abs() < 1e-12);
        assert!((probability(p600, 350.0) - 0.1131).abs() < 5e-4, "{}", probability(p600, 350.0));
        assert_eq!(probability(p600, 0.0), 0.0);
        assert!(probability(p600, 1200.0) > probability(p600, 600.0));
        assert!((probability(p600, 1200.0) - (1.0 - 0.814f64.powi(2))).abs() < 1e-12);
    }
}
