//! Screening and selection: drawing a screened person's reading and true status together.
//!
//! Within a population component `m ~ N(mu, sd^2)` and the reading `b = a m + bias + e`,
//! `e ~ N(0, s^2)` (`s` the total error SD of one occasion, see `biomarker.rs`), so
//! `b ~ N(a mu + bias, a^2 sd^2 + s^2)` and `m | b ~ N(mu + g (b - a mu - bias), sd^2 s^2 / (a^2 sd^2 + s^2))`
//! with gain `g = a sd^2 / (a^2 sd^2 + s^2)`. Drawing the reading first and the status only for
//! those enrolled costs one normal per screened person instead of two, with the same joint
//! distribution.

use crate::biomarker::Assay;
use crate::population::MgStatus;
use rand::{Rng, RngExt};
use rand_distr::StandardNormal;

/// Precomputed joint model of reading and status for one population component.
#[derive(Debug, Clone, Copy, PartialEq)]
struct ComponentReading {
    /// Probability of this component; with two, a uniform draw at or above the first's
    /// weight picks the second.
    weight: f64,
    status_mean: f64,
    reading_mean: f64,
    reading_sd: f64,
    gain: f64,
    status_sd_given_reading: f64,
}

/// Draws screened people: reading first, true status on demand.
#[derive(Debug, Clone, PartialEq)]
pub struct Screening {
    components: Vec<ComponentReading>,
    /// Share of the total reading error that is lasting: `vp / (vp + vr)`.
    lasting_share: f64,
    /// SD of the end-of-trial error given the screening error: `sqrt(vp vr / (vp + vr) + vr)`.
    end_error_sd: f64,
    /// Two-stage screening: the confirmatory assay and its threshold.
    confirmation: Option<Confirmation>,
}

/// The confirmatory assay of two-stage screening, precomputed.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Confirmation {
    assay: Assay,
    error_sd: f64,
    threshold: f64,
}

/// A screened person: the screening reading and the population component drawn.
#[derive(Debug, Clone, Copy)]
pub struct Screened {
    pub reading: f64,
    component: usize,
}

impl Screening {
    pub fn new(mg: &MgStatus, assay: &Assay, confirmation: Option<(Assay, f64)>) -> Screening {
        let s = assay.total_error_sd();
        let a = assay.params.scale;
        let components = mg
            .components
            .iter()
            .map(|c| {
                let var_b = a * a * c.sd_mmol_per_l.powi(2) + s * s;
                ComponentReading {
                    weight: c.weight,
                    status_mean: c.mean_mmol_per_l,
                    reading_mean: assay.expected_reading(c.mean_mmol_per_l),
                    reading_sd: var_b.sqrt(),
                    gain: a * c.sd_mmol_per_l.powi(2) / var_b,
                    status_sd_given_reading: c.sd_mmol_per_l * s / var_b.sqrt(),
                }
            })
            .collect();
        let (vp, vr) = (assay.params.persistent_sd.powi(2), assay.occasion_sd().powi(2));
        let lasting_share = if vp + vr > 0.0 { vp / (vp + vr) } else { 0.0 };
        Screening {
            components,
            lasting_share,
            end_error_sd: (lasting_share * vr + vr).sqrt(),
            confirmation: confirmation.map(|(assay, threshold)| Confirmation {
                assay,
                error_sd: assay.total_error_sd(),
                threshold,
            }),
        }
    }

    /// Screens one person: draws the component and the reading.
    #[inline]
    pub fn screen<R: Rng>(&self, rng: &mut R) -> Screened {
        let component = usize::from(self.components.len() == 2 && rng.random::<f64>() >= self.components[0].weight);
        let c = &self.components[component];
        let z: f64 = rng.sample(StandardNormal);
        Screened { reading: c.reading_mean + c.reading_sd * z, component }
    }

    /// Draws the true status of a screened person given the reading.
    #[inline]
    pub fn status<R: Rng>(&self, rng: &mut R, person: &Screened) -> f64 {
        let c = &self.components[person.component];
        let z: f64 = rng.sample(StandardNormal);
        c.status_mean + c.gain * (person.reading - c.reading_mean) + c.status_sd_given_reading * z
    }

    /// Two-stage screening: whether the confirmatory reading of a person with true status `m`
    /// falls below its threshold (the assays' errors are independent given `m`).
    #[inline]
    pub fn confirms<R: Rng>(&self, rng: &mut R, m: f64) -> bool {
        let Some(c) = &self.confirmation else { return true };
        let z: f64 = rng.sample(StandardNormal);
        c.assay.expected_reading(m) + c.error_sd * z < c.threshold
    }

    /// Draws the end-of-trial reading of a person whose screening reading had total error
    /// `screening_error` and whose expected reading is now `expected_now`. The lasting error
    /// given the screening error is normal with mean `share * error` and variance
    /// `vp vr / (vp + vr)`; a fresh occasion error is added.
    #[inline]
    pub fn reading_at_end<R: Rng>(&self, rng: &mut R, expected_now: f64, screening_error: f64) -> f64 {
        let z: f64 = rng.sample(StandardNormal);
        expected_now + self.lasting_share * screening_error + self.end_error_sd * z
    }
}
