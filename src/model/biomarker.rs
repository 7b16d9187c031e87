//! Screening biomarkers: what an assay reports about the latent Mg status.
//!
//! A reading is `b = scale * m + bias + p + e`, where `m` is the true status (serum-equivalent
//! mmol/L), `p ~ N(0, persistent_sd^2)` is the person's lasting discrepancy between this assay
//! and body stores (serum holds ~0.3% of body Mg and can be normal with low cell Mg [IOM97],
//! [Gullestad94]); it does not average out. `e ~ N(0, repeat_sd^2 / k)` is the mean of `k`
//! measurement errors (within-person variation plus analytical error), drawn anew at every
//! occasion. All SDs are in the biomarker's own unit.

use crate::scenario::schema::Biomarker;
pub use crate::scenario::schema::BiomarkerType;

impl BiomarkerType {
    pub fn label(self) -> &'static str {
        match self {
            BiomarkerType::SerumTotal => "serum_total",
            BiomarkerType::Ionized => "ionized",
            BiomarkerType::RedCell => "red_cell",
            BiomarkerType::LoadingTest => "loading_test",
        }
    }

    /// The assay's name in words, for headers and legends.
    pub(crate) fn display_name(self) -> &'static str {
        match self {
            BiomarkerType::SerumTotal => "serum Mg",
            BiomarkerType::Ionized => "ionized Mg",
            BiomarkerType::RedCell => "red-cell Mg",
            BiomarkerType::LoadingTest => "loading-test retention",
        }
    }

    pub fn unit(self) -> &'static str {
        match self {
            BiomarkerType::LoadingTest => "% of load excreted",
            _ => "mmol/L",
        }
    }

    /// Built-in defaults of each assay. Persistent SDs are UNVERIFIED ESTIMATES chosen so that
    /// the ranking of assays matches the literature (serum crudest, loading test best).
    pub fn defaults(self) -> BiomarkerParams {
        match self {
            // Scale 1 by definition of the serum-equivalent status. Normal range from 0.75
            // mmol/L [Costello16], [IOM97]. Lasting SD 0.03: serum poorly reflects stores [IOM97]
            // and loading-test retention is uncorrelated with serum Mg [Gullestad94]. Occasion SD
            // 0.06 is larger than CVI 2-4% + CVA 1.5-3% alone (UNVERIFIED, lit. file s.2): it is
            // set so that a placebo arm selected on one reading < 0.75 partly reads normal 8 weeks
            // later (regression to the mean), as in [Rajizadeh17]: 48.1% of the placebo arm,
            // taken as 13 of 27 analysed (48.1% is no whole count of the 30 randomized; 13/27
            // with 23/26 = 88.5% on Mg fits 53 completers), Wilson 95% CI 30.7-66.0%. It is
            // not fitted to that point: the shipped depression_mgo_enriched.toml gives ~37%,
            // inside the CI of this small trial.
            BiomarkerType::SerumTotal => {
                BiomarkerParams { scale: 1.0, bias: 0.0, persistent_sd: 0.03, repeat_sd: 0.06, normal_low: 0.75 }
            }
            // iMg/tMg ratio 0.60 and healthy range 0.44-0.59 mmol/L [Greenway96]; within-subject
            // CV ~4% and analytical CV 2.3% at 0.52 mmol/L [Lakehead] give repeat SD 0.024.
            BiomarkerType::Ionized => {
                BiomarkerParams { scale: 0.60, bias: 0.0, persistent_sd: 0.027, repeat_sd: 0.024, normal_low: 0.44 }
            }
            // RBC Mg ~1.7-2.8 mmol/L (method dependent) [lab sites]: scale 2.65 maps 0.85 to 2.25.
            // Cells turn over slowly (lifespan ~120 d), so little lasting discrepancy; assay CV ~5%
            // (UNVERIFIED ESTIMATE; RBC Mg methods differ, lit. file s.2).
            BiomarkerType::RedCell => {
                BiomarkerParams { scale: 2.65, bias: 0.0, persistent_sd: 0.08, repeat_sd: 0.10, normal_low: 1.70 }
            }
            // Excretion of an IV load, %: healthy retain 6.3% (excrete ~94%) [Gullestad94];
            // deficiency when < 80% is excreted [Medscape]; map 0.85 -> 94%, 0.70 -> 75%.
            // Repeat-difference SD 8.1% [Gullestad94] gives a single-test SD of 8.1/sqrt(2) = 5.7%.
            BiomarkerType::LoadingTest => {
                BiomarkerParams { scale: 127.0, bias: -14.0, persistent_sd: 2.0, repeat_sd: 5.7, normal_low: 80.0 }
            }
        }
    }
}

/// Resolved parameters of an assay, in its own unit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BiomarkerParams {
    pub scale: f64,
    pub bias: f64,
    pub persistent_sd: f64,
    pub repeat_sd: f64,
    pub normal_low: f64,
}

/// An assay as used in a trial: parameters plus the number of measurements averaged.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Assay {
    pub kind: BiomarkerType,
    pub params: BiomarkerParams,
    pub repeats: u32,
}

impl Assay {
    pub fn from_scenario(b: &Biomarker) -> Assay {
        let d = b.kind.defaults();
        Assay {
            kind: b.kind,
            params: BiomarkerParams {
                scale: b.scale.unwrap_or(d.scale),
                bias: b.bias.unwrap_or(d.bias),
                persistent_sd: b.persistent_sd.unwrap_or(d.persistent_sd),
                repeat_sd: b.repeat_sd.unwrap_or(d.repeat_sd),
                normal_low: b.normal_low.unwrap_or(d.normal_low),
            },
            repeats: b.repeats,
        }
    }

    /// SD of the averaged measurement error at one occasion.
    pub(crate) fn occasion_sd(&self) -> f64 {
        self.params.repeat_sd / f64::from(self.repeats).sqrt()
    }

    /// SD of the whole error of one occasion's reading (persistent + averaged repeat error).
    pub(crate) fn total_error_sd(&self) -> f64 {
        self.params.persistent_sd.hypot(self.occasion_sd())
    }

    /// Correlation of one occasion's reading with true status whose SD is `status_sd_mmol_per_l`:
    /// `a sd / sqrt(a^2 sd^2 + s^2)` (a the scale, s the total error SD).
    pub(crate) fn correlation_with_status(&self, status_sd_mmol_per_l: f64) -> f64 {
        let signal = self.params.scale * status_sd_mmol_per_l;
        signal / signal.hypot(self.total_error_sd())
    }

    /// Expected reading for true status `m`.
    #[inline]
    pub fn expected_reading(&self, m_mmol_per_l: f64) -> f64 {
        self.params.scale * m_mmol_per_l + self.params.bias
    }
}
