//! The record of a calibration: what a published trial saw, and the `max_effect` solved to
//! reproduce it, as a plan carries it and a provenance writes it out. The solving is the
//! parent module's.

use crate::scenario::schema::{Direction, TargetPopulation};
use serde::{Deserialize, Serialize};

/// What a published trial saw (`[response.calibration]`), in the scenario's own terms.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Target {
    /// A rating scale's benefit (outcome units, positive for benefit) among `among`.
    Benefit { benefit: f64, among: TargetPopulation },
    /// A count's published fall from baseline in each arm, percent: the ratio of the arms'
    /// mean follow-up counts is `(1 - active / 100) / (1 - placebo / 100)`.
    CountReduction { active_percent: f64, placebo_percent: f64 },
    /// The published shares of responders, percent: their difference is reproduced.
    Responders { active_percent: f64, placebo_percent: f64 },
}

impl Target {
    /// The target of a validated `[response.calibration]`.
    pub fn of(c: &crate::scenario::schema::CalibrationSpec) -> Target {
        match (c.benefit, c.active_reduction_percent, c.active_responder_percent) {
            (Some(benefit), _, _) => Target::Benefit { benefit, among: c.among.expect("validated: among") },
            (_, Some(active_percent), _) => Target::CountReduction {
                active_percent,
                placebo_percent: c.placebo_reduction_percent.expect("validated: both arms"),
            },
            _ => Target::Responders {
                active_percent: c.active_responder_percent.expect("validated: a target"),
                placebo_percent: c.placebo_responder_percent.expect("validated: both arms"),
            },
        }
    }

    /// The published mean-count ratio, active over placebo, of a count target.
    pub(crate) fn count_ratio(self) -> Option<f64> {
        match self {
            Target::CountReduction { active_percent, placebo_percent } => {
                Some((1.0 - active_percent / 100.0) / (1.0 - placebo_percent / 100.0))
            }
            _ => None,
        }
    }

    /// The target in words, e.g. "a benefit of 5.25 BDI-II points among the completers ...".
    pub fn describe(self, unit: &str) -> String {
        match self {
            Target::Benefit { benefit, among } => format!("a benefit of {benefit} {unit} among {}", among.describe()),
            Target::CountReduction { active_percent, placebo_percent } => format!(
                "a fall of {active_percent}% on treatment and {placebo_percent}% on placebo (mean-count ratio {:.4})",
                self.count_ratio().expect("a count target")
            ),
            Target::Responders { active_percent, placebo_percent } => format!(
                "{active_percent}% responders on treatment and {placebo_percent}% on placebo (a difference of {:.4} \
                 percentage points)",
                active_percent - placebo_percent
            ),
        }
    }
}

/// A solved calibration: the target, the design it was published in, and the `max_effect`
/// (engine units: outcome units, or `-ln` rate ratio on counts) that reproduces it there.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Calibration {
    pub target: Target,
    /// The active arm whose effect is the target.
    pub arm: String,
    /// The solved `response.max_effect` (on counts `-ln response.max_rate_ratio`).
    pub max_effect: f64,
    /// The published outcome's unit and direction it is expressed in, its baseline SD (for a
    /// transfer to another scale) and whether it counts events.
    pub unit: String,
    pub direction: Direction,
    #[serde(default)]
    pub baseline_sd: f64,
    #[serde(default)]
    pub counts: bool,
    /// "quadrature", or "seeded simulation of N trials".
    pub method: String,
    /// Monte Carlo SE of the solved value (seeded simulation only): the SE of the simulated
    /// statistic divided by its slope in `max_effect`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_effect_mc_se: Option<f64>,
    /// The published design in words, and where it came from.
    pub design: String,
    /// The published design with every field written out (for provenance).
    pub published_design: crate::scenario::schema::PublishedDesign,
    /// Responder targets: the share of placebo responders the model gives in the published
    /// design, percent (to compare with the published one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_placebo_responder_percent: Option<f64>,
}

impl Calibration {
    /// One line for headers: what was calibrated, on which design.
    pub fn headline(&self) -> String {
        let mut line = format!(
            "effect: calibrated to {} in arm {}, on the published design: {}",
            self.target.describe(&self.unit),
            self.arm,
            self.design
        );
        if let Some(p) = self.model_placebo_responder_percent {
            line += &format!("; the model gives {p:.1}% placebo responders there");
        }
        line
    }
}
