//! Outcome scales: named presets with their sources, and the resolution of an `[outcome]`
//! section into a fully specified [`Scale`].
//!
//! An outcome names a preset (`scale = "bdi_ii"`) and may override any of its fields, or it
//! gives every field that shapes the result itself. Nothing is silently borrowed from another
//! scale: a missing field without a preset is an error that names it and lists the presets.
//! Sources in brackets refer to the reference list of `docs/scenarios.md` (from the project's
//! literature-parameters file); UNVERIFIED marks values without a traced primary source.

pub use crate::scenario::schema::ScalePreset;
use crate::scenario::schema::{Direction, Outcome};
use serde::Serialize;

/// A fully specified continuous outcome scale.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Scale {
    pub name: String,
    /// Unit of scores, changes and effects, as printed (e.g. "BDI-II points", "SD units").
    pub unit: String,
    pub direction: Direction,
    /// Mean and SD of the true baseline score.
    pub baseline_mean: f64,
    pub baseline_sd: f64,
    /// Change without treatment or placebo, per trial (every arm).
    pub natural_change: f64,
    /// Placebo response, signed change per trial (every arm).
    pub placebo_response: f64,
    /// SD of the true individual change.
    pub change_sd: f64,
    /// Test-retest reliability of one assessment.
    pub reliability: f64,
    /// Assessments averaged at each occasion.
    pub assessments: u32,
    /// Bounds (`-inf` / `inf` for none) and integer scoring.
    pub min: f64,
    pub max: f64,
    pub integer: bool,
}

impl Scale {
    /// An unbounded, unrounded, perfectly reliable scale with unit SDs and no change: the base
    /// of a scale given in full, and the description of a count outcome.
    pub fn plain(name: &str, unit: &str, direction: Direction, baseline_mean: f64) -> Scale {
        Scale {
            name: name.into(),
            unit: unit.into(),
            direction,
            baseline_mean,
            baseline_sd: 1.0,
            natural_change: 0.0,
            placebo_response: 0.0,
            change_sd: 1.0,
            reliability: 1.0,
            assessments: 1,
            min: f64::NEG_INFINITY,
            max: f64::INFINITY,
            integer: false,
        }
    }
}

impl Scale {
    /// A signed change on the scale as an improvement (positive in the direction of benefit).
    pub(crate) fn improvement(&self, change: f64) -> f64 {
        match self.direction {
            Direction::LowerIsBetter => -change,
            Direction::HigherIsBetter => change,
        }
    }
}

impl ScalePreset {
    pub(crate) const ALL: [ScalePreset; 8] = [
        ScalePreset::BdiIi,
        ScalePreset::Phq9,
        ScalePreset::HamD17,
        ScalePreset::Madrs,
        ScalePreset::Gds30,
        ScalePreset::Moca,
        ScalePreset::CognitiveCompositeZ,
        ScalePreset::VasPain,
    ];

    /// The name used in scenario files.
    pub fn label(self) -> &'static str {
        match self {
            ScalePreset::BdiIi => "bdi_ii",
            ScalePreset::Phq9 => "phq_9",
            ScalePreset::HamD17 => "ham_d_17",
            ScalePreset::Madrs => "madrs",
            ScalePreset::Gds30 => "gds_30",
            ScalePreset::Moca => "moca",
            ScalePreset::CognitiveCompositeZ => "cognitive_composite_z",
            ScalePreset::VasPain => "vas_pain",
        }
    }

    /// The preset's values: properties of the scale in its usual population. The placebo
    /// response is a trial's, not a scale's: it is always given by the scenario
    /// (`outcome.placebo_improvement`), and the values in the comments below only guide it.
    pub fn scale(self) -> Scale {
        let lower = Direction::LowerIsBetter;
        let higher = Direction::HigherIsBetter;
        let s = |name: &str, unit: &str, direction, mean, sd, change_sd, r, min, max, integer| Scale {
            name: name.into(),
            unit: unit.into(),
            direction,
            baseline_mean: mean,
            baseline_sd: sd,
            natural_change: 0.0,
            placebo_response: 0.0,
            change_sd,
            reliability: r,
            assessments: 1,
            min,
            max,
            integer,
        };
        match self {
            // Range 0-63, 1-week retest r = 0.93 [BeckManual via review]; moderate MDE 27 (10)
            // [Steer01]; placebo -10.4 over 8 weeks [Rajizadeh17]; true change SD 7.8 gives the
            // observed 7.9-8.9 of [Rajizadeh17] once measurement error is added.
            ScalePreset::BdiIi => s("BDI-II", "BDI-II points", lower, 27.0, 10.0, 7.8, 0.93, 0.0, 63.0, true),
            // Range 0-27 [Kroenke01]; 2-week retest r = 0.74 in MDD [BMCPsych20]; baseline 12 (4.5)
            // for an entry range of 5-19 as in [Tarleton17] (UNVERIFIED ESTIMATE, SD 4-5 in the
            // literature file); change SD 5 (UNVERIFIED ESTIMATE); placebo -3, a self-rated
            // pre-post d of 0.67 [Rief09] times SD 4.5 (UNVERIFIED).
            ScalePreset::Phq9 => s("PHQ-9", "PHQ-9 points", lower, 12.0, 4.5, 5.0, 0.74, 0.0, 27.0, true),
            // Range 0-52; retest 0.65-0.98, alpha 0.79 [Trajkovic11]: 0.80; baseline 22 (5) for a
            // typical entry of >= 18 and change SD 7 (UNVERIFIED ESTIMATES); placebo -9, the
            // middle of 8-10 points at 6-8 weeks (UNVERIFIED, lit. file s.7).
            ScalePreset::HamD17 => s("HAM-D17", "HAM-D points", lower, 22.0, 5.0, 7.0, 0.80, 0.0, 52.0, true),
            // Range 0-60. Not in the literature file: baseline 30 (6), reliability 0.85, change SD
            // 9 and placebo -11 are UNVERIFIED ESTIMATES typical of antidepressant trials.
            ScalePreset::Madrs => s("MADRS", "MADRS points", lower, 30.0, 6.0, 9.0, 0.85, 0.0, 60.0, true),
            // Range 0-30; baseline 17.9 (3.9) and 16.1 (4.5) in older people with type 2 diabetes,
            // end SD 3.8-4.3 [BarraganR08]; reliability 0.85 and placebo -3 UNVERIFIED ESTIMATES.
            ScalePreset::Gds30 => s("GDS-30", "GDS points", lower, 17.0, 4.2, 3.8, 0.85, 0.0, 30.0, true),
            // Range 0-30; community >= 55 y: mean 24.8 (SD 3.6), ICC 0.81, retest gain +0.4 over
            // 2-4 months [Feeney16]; 90% reliable change +-4 over 1-3 y [Kopecek17] is an observed
            // change SD of ~2.4, of which measurement error (SEM 1.5 [Feeney16]) is ~2.1: true
            // change SD 1.2 (derived).
            ScalePreset::Moca => s("MoCA", "MoCA points", higher, 24.8, 3.6, 1.2, 0.81, 0.0, 30.0, true),
            // Standardized: mean 0, SD 1 by definition, unbounded. Reliability 0.85, above MoCA's
            // 0.81 [Feeney16] as a composite averages tests; retest gain 0.1 SD (MoCA +0.4 points
            // ~ 0.1 SD [Feeney16]); change SD 0.45 (UNVERIFIED ESTIMATES).
            ScalePreset::CognitiveCompositeZ => s(
                "cognitive composite z",
                "SD units",
                higher,
                0.0,
                1.0,
                0.45,
                0.85,
                f64::NEG_INFINITY,
                f64::INFINITY,
                false,
            ),
            // Pain on a 0-100 mm line, read to the mm. Observed change SD 30 mm, derived from the
            // 95% CI of Corbo's 16 mm difference (-2 to 34, 21 vs 23 patients) [Corbo01]; acute-pain
            // VAS retest ICC 0.97 (Bijur, Silver & Gallagher 2001, Acad Emerg Med 8:1153; not in the
            // literature file), so true change SD 29.7; baseline 75 (17) mm in an emergency
            // department (UNVERIFIED ESTIMATE: Cete and Corbo report comparable arms, not values).
            // Placebo (saline) falls > 25 mm at 30 min [Cete05].
            ScalePreset::VasPain => s("pain VAS", "mm", lower, 75.0, 17.0, 29.7, 0.97, 0.0, 100.0, true),
        }
    }
}

/// Names of the presets, for messages.
pub(crate) fn preset_names() -> String {
    ScalePreset::ALL.map(ScalePreset::label).join(", ")
}

/// Fields an outcome without a preset must give: each shapes the simulated scores.
/// (`baseline_mean` and `baseline_sd` too, where they reach an output: see `validate.rs`.)
pub(crate) const REQUIRED_WITHOUT_PRESET: [&str; 6] =
    ["direction", "change_sd", "reliability", "min", "max", "integer"];

/// The outcome's fields that are set in the file, in [`REQUIRED_WITHOUT_PRESET`] order plus
/// the optional ones.
fn given(o: &Outcome) -> Vec<&'static str> {
    let mut out = Vec::new();
    let mut note = |name: &'static str, set: bool| {
        if set {
            out.push(name);
        }
    };
    note("name", o.name.is_some());
    note("unit", o.unit.is_some());
    note("direction", o.direction.is_some());
    note("baseline_mean", o.baseline_mean.is_some());
    note("baseline_sd", o.baseline_sd.is_some());
    note("natural_improvement", o.natural_improvement.is_some());
    note("placebo_improvement", o.placebo_improvement.is_some());
    note("change_sd", o.change_sd.is_some());
    note("reliability", o.reliability.is_some());
    note("assessments", o.assessments.is_some());
    note("min", o.min.is_some());
    note("max", o.max.is_some());
    note("integer", o.integer.is_some());
    out
}

/// [`resolve`] for the outcome of scenario `s`: a crossover on an unbounded, unrounded scale,
/// from whose period differences the change every arm sees cancels, needs no placebo response
/// (it is 0, and refused if given: see `inert.rs`).
pub fn resolve_in(s: &crate::scenario::schema::Scenario) -> Result<(Scale, Vec<&'static str>), (String, String)> {
    let o = &s.outcome;
    if s.crossover.is_some() && o.placebo_improvement.is_none() {
        let mut with_none = o.clone();
        with_none.placebo_improvement = Some(0.0);
        if let Ok((scale, overridden)) = resolve(&with_none)
            && scale.is_linear()
        {
            return Ok((scale, overridden));
        }
    }
    resolve(o)
}

impl Scale {
    /// Unbounded and unrounded: every observed score is the score itself.
    pub(crate) fn is_linear(&self) -> bool {
        !self.integer && self.min == f64::NEG_INFINITY && self.max == f64::INFINITY
    }
}

/// The scale an `[outcome]` section describes, and the preset fields it overrides (empty
/// without a preset). Errors are `(field, message)`.
pub fn resolve(o: &Outcome) -> Result<(Scale, Vec<&'static str>), (String, String)> {
    let given = given(o);
    let base = match o.scale {
        Some(p) => p.scale(),
        None => {
            let missing: Vec<&str> = REQUIRED_WITHOUT_PRESET.iter().copied().filter(|f| !given.contains(f)).collect();
            if !missing.is_empty() {
                let field = format!("outcome.{}", missing[0]);
                return Err((
                    field,
                    format!(
                        "the outcome has no preset and does not give {}: name a preset with outcome.scale ({}), \
                         whose values can be overridden field by field, or give every field that shapes the \
                         scores ({})",
                        missing.iter().map(|m| format!("`{m}`")).collect::<Vec<_>>().join(", "),
                        preset_names(),
                        REQUIRED_WITHOUT_PRESET.join(", ")
                    ),
                ));
            }
            Scale::plain("outcome", "outcome units", Direction::HigherIsBetter, 0.0)
        }
    };
    let Some(placebo_improvement) = o.placebo_improvement else {
        return Err((
            "outcome.placebo_improvement".into(),
            "the placebo response is not given: set outcome.placebo_improvement, the improvement on placebo over \
             the trial in outcome units, positive in the direction of benefit (e.g. 10.4 for BDI-II falling \
             10.4 points over 8 weeks [Rajizadeh17]); it is a trial's, so no preset carries it"
                .into(),
        ));
    };
    let direction = o.direction.unwrap_or(base.direction);
    // Improvements are in the direction of benefit; the scale's changes are signed scores.
    let toward_benefit = match direction {
        Direction::LowerIsBetter => -1.0,
        Direction::HigherIsBetter => 1.0,
    };
    let scale = Scale {
        name: o.name.clone().unwrap_or(base.name),
        unit: o.unit.clone().unwrap_or(base.unit),
        direction,
        baseline_mean: o.baseline_mean.unwrap_or(base.baseline_mean),
        baseline_sd: o.baseline_sd.unwrap_or(base.baseline_sd),
        natural_change: toward_benefit * o.natural_improvement.unwrap_or(0.0),
        placebo_response: toward_benefit * placebo_improvement,
        change_sd: o.change_sd.unwrap_or(base.change_sd),
        reliability: o.reliability.unwrap_or(base.reliability),
        assessments: o.assessments.unwrap_or(base.assessments),
        min: o.min.unwrap_or(base.min),
        max: o.max.unwrap_or(base.max),
        integer: o.integer.unwrap_or(base.integer),
    };
    // The placebo and natural course are the trial's, never the preset's: not overrides.
    let own = ["name", "placebo_improvement", "natural_improvement"];
    let overridden =
        if o.scale.is_some() { given.into_iter().filter(|f| !own.contains(f)).collect() } else { Vec::new() };
    Ok((scale, overridden))
}

/// The `[outcome]` section with every field written out (for `explain` and provenance),
/// keeping the preset's name.
pub(crate) fn written_out(o: &Outcome, s: &Scale) -> Outcome {
    Outcome {
        scale: o.scale,
        name: Some(s.name.clone()),
        unit: Some(s.unit.clone()),
        direction: Some(s.direction),
        baseline_mean: Some(s.baseline_mean),
        baseline_sd: Some(s.baseline_sd),
        natural_improvement: Some(s.improvement(s.natural_change)),
        placebo_improvement: Some(s.improvement(s.placebo_response)),
        change_sd: Some(s.change_sd),
        reliability: Some(s.reliability),
        assessments: Some(s.assessments),
        min: Some(s.min),
        max: Some(s.max),
        integer: Some(s.integer),
        ..Outcome::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_preset_is_valid_and_named_as_in_files() {
        for p in ScalePreset::ALL {
            let s = p.scale();
            assert!(s.baseline_sd > 0.0 && s.change_sd > 0.0 && s.reliability > 0.0 && s.reliability <= 1.0);
            assert!(s.min < s.max);
            if s.min.is_finite() {
                assert!(s.baseline_mean > s.min && s.baseline_mean < s.max, "{}", p.label());
            }
            let parsed: Outcome = toml::from_str(&format!("scale = \"{}\"", p.label())).unwrap();
            assert_eq!(parsed.scale, Some(p));
            // No preset carries a trial's placebo response.
            let err = resolve(&parsed).unwrap_err();
            assert_eq!(err.0, "outcome.placebo_improvement");
        }
    }
}
