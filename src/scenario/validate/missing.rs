//! Checks of `[side_effects]`, the dropout mechanism and the handling of missing follow-ups:
//! ranges, the designs they are built for, and the calibrations that stay exact under them.

use super::{Problem, check, probability, within};
use crate::scenario::schema::{
    ArmKind, DropoutMechanism, Formulation, MissingData, PopulationModel, ResponseModel, Scenario, TargetPopulation,
};

/// Odds ratios per SD allowed for an informative dropout mechanism.
const ODDS_RATIO_RANGE: (f64, f64) = (0.01, 100.0);

pub(crate) fn missing_data(s: &Scenario, counts: bool) -> Result<(), Problem> {
    side_effects(s)?;
    let d = &s.dropout;
    let informative = d.mechanism != DropoutMechanism::CompletelyAtRandom;
    let carried = s.analysis.missing_data == MissingData::BaselineCarriedForward;
    if informative {
        let or = d.odds_ratio_per_sd.ok_or_else(|| {
            (
                "dropout.odds_ratio_per_sd".to_string(),
                format!(
                    "dropout.mechanism = \"{}\" needs the odds ratio of dropping out per SD of {} ({} to {}; 1 is \
                     completely at random)",
                    d.mechanism.label(),
                    if d.mechanism == DropoutMechanism::BaselineSeverity {
                        "baseline severity"
                    } else {
                        "lack of improvement"
                    },
                    ODDS_RATIO_RANGE.0,
                    ODDS_RATIO_RANGE.1
                ),
            )
        })?;
        within("dropout.odds_ratio_per_sd", or, ODDS_RATIO_RANGE.0, ODDS_RATIO_RANGE.1, "")?;
        if d.mechanism == DropoutMechanism::NoImprovement {
            check(
                s.arms.iter().any(|a| a.kind == ArmKind::Placebo),
                "dropout.mechanism",
                "\"no_improvement\" sets the chance of dropping out at each improvement so that placebo loses \
                 dropout.placebo, and this trial has no placebo arm: use \"baseline_severity\" or \
                 \"completely_at_random\"",
            )?;
        }
    }
    for (on, field, what) in [
        (informative, "dropout.mechanism", "an informative dropout mechanism"),
        (carried, "analysis.missing_data", "the baseline carried forward"),
    ] {
        if !on {
            continue;
        }
        check(
            !counts,
            field,
            format!(
                "{what} is built for rating scales; a count outcome analyses its completers, dropping out completely \
                 at random (remove it)"
            ),
        )?;
        check(
            s.crossover.is_none(),
            field,
            format!("{what} is not built for a crossover, whose analysis needs both periods (remove it)"),
        )?;
    }
    if informative || carried || s.side_effects.is_some() {
        exact_calibration(s)?;
    }
    Ok(())
}

fn side_effects(s: &Scenario) -> Result<(), Problem> {
    for (i, arm) in s.arms.iter().enumerate() {
        if let Some(v) = arm.side_effect_percent_at_600_mg {
            within(&format!("arms[{i}].side_effect_percent_at_600_mg"), v, 0.0, 100.0, " percent")?;
        }
    }
    let Some(se) = &s.side_effects else { return Ok(()) };
    probability("side_effects.dropout_if_affected", se.dropout_if_affected)?;
    probability("side_effects.adherence_factor_if_affected", se.adherence_factor_if_affected)?;
    check(
        se.percent_at_600_mg.iv_sulfate.is_none(),
        "side_effects.percent_at_600_mg.iv_sulfate",
        "an infusion does not pass the gut, so it has no GI side effects of oral Mg: remove it",
    )?;
    for f in Formulation::ALL {
        if let Some(v) = se.percent_at_600_mg.of(f) {
            within(&format!("side_effects.percent_at_600_mg.{}", f.label()), v, 0.0, 100.0, " percent")?;
        }
    }
    let (why, ok) = if s.response.model == ResponseModel::Acute {
        ("under the acute response an infusion bypasses the gut", false)
    } else if s.crossover.is_some() {
        ("side effects are not built for a crossover", false)
    } else if s.population.model == PopulationModel::None {
        ("without Mg status the Mg arms state no dose to set the risk", false)
    } else {
        ("", true)
    };
    check(ok, "side_effects", format!("{why}: remove [side_effects]"))?;
    for (i, arm) in s.arms.iter().enumerate() {
        let oral = arm.kind == ArmKind::Active && arm.formulation != Some(Formulation::IvSulfate);
        check(
            !oral || arm.formulation.is_some() || arm.side_effect_percent_at_600_mg.is_some(),
            format!("arms[{i}].side_effect_percent_at_600_mg"),
            format!(
                "arm `{}` gives its own bioavailability, not a formulation, so under [side_effects] it needs its own \
                 percentage with GI side effects at 600 mg/day (0 to 100)",
                arm.name
            ),
        )?;
    }
    Ok(())
}

/// A published effect among the completers (an observed change, a count's fall, responders)
/// depends on who dropped out, which the calibration's quadrature does not follow when side
/// effects or the mechanism select them; the true benefit among the enrolled is exact.
fn exact_calibration(s: &Scenario) -> Result<(), Problem> {
    let Some(c) = &s.response.calibration else { return Ok(()) };
    check(
        calibration_is_exact(c),
        "response.calibration",
        "with [side_effects], an informative dropout mechanism or the baseline carried forward, a published effect \
         among the completers (an observed change, a fall in counts, responders) depends on who dropped out, which \
         the calibration does not model: calibrate a benefit among = \"enrolled\" or \"deficient\", or give \
         response.max_effect",
    )
}

/// Whether a calibration's target is a true benefit among the enrolled or the deficient, which
/// the quadrature meets exactly whoever drops out.
pub(super) fn calibration_is_exact(c: &crate::scenario::schema::CalibrationSpec) -> bool {
    c.benefit.is_some() && matches!(c.among, Some(TargetPopulation::Enrolled | TargetPopulation::Deficient))
}
