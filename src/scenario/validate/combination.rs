//! Checks of a combination product's effect that does not go through Mg
//! (`arms.<name>.independent_effect`, `independent_rate_ratio`).

use super::{MAX_OUTCOME_MAGNITUDE, Problem, check, within};
use crate::scenario::schema::{ArmKind, ResponseModel, Scenario};

pub(crate) fn independent_effects(s: &Scenario, counts: bool) -> Result<(), Problem> {
    for (i, arm) in s.arms.iter().enumerate() {
        let f = |name: &str| format!("arms[{i}].{name}");
        let (given, wrong) = if counts {
            (
                arm.independent_rate_ratio.is_some(),
                arm.independent_effect.is_some().then_some(("independent_effect", "independent_rate_ratio")),
            )
        } else {
            (
                arm.independent_effect.is_some(),
                arm.independent_rate_ratio.is_some().then_some(("independent_rate_ratio", "independent_effect")),
            )
        };
        if let Some((field, right)) = wrong {
            return Err((
                f(field),
                format!(
                    "is not a field of {} outcome: a combination's effect beyond Mg is given as arms.<name>.{right}",
                    if counts { "a count" } else { "a rating-scale" }
                ),
            ));
        }
        if !given {
            continue;
        }
        let field = f(if counts { "independent_rate_ratio" } else { "independent_effect" });
        check(
            arm.kind == ArmKind::Active,
            &field,
            format!(
                "arm `{}` is not an Mg arm: only an Mg arm of a combination product has an effect beside Mg's",
                arm.name
            ),
        )?;
        check(
            s.response.model == ResponseModel::Repletion,
            &field,
            "an effect beside Mg's is added to the repletion response's; under the fixed or acute response the arm's \
             effect is stated whole (put both parts in it)",
        )?;
        check(s.crossover.is_none(), &field, "an effect beside Mg's is not built for a crossover (remove it)")?;
        if let Some(v) = arm.independent_effect {
            within(&field, v, -MAX_OUTCOME_MAGNITUDE, MAX_OUTCOME_MAGNITUDE, " outcome units")?;
            check(
                v >= 0.0 || s.assumptions.harmful_effect,
                &field,
                format!(
                    "{v} is a negative benefit: check the sign, or set assumptions.harmful_effect = true to model harm"
                ),
            )?;
        }
        if let Some(v) = arm.independent_rate_ratio {
            check(
                v.is_finite() && v > 0.0 && v <= 100.0,
                &field,
                format!(
                    "{v} is not allowed: a rate ratio is above 0 (1 is no effect, below 1 fewer events) and at most 100"
                ),
            )?;
            check(
                v <= 1.0 || s.assumptions.harmful_effect,
                &field,
                format!(
                    "a rate ratio of {v} means more events on treatment: check it, or set assumptions.harmful_effect = true"
                ),
            )?;
        }
        if let Some(c) = &s.response.calibration {
            check(
                super::missing::calibration_is_exact(c),
                "response.calibration",
                "with an arm's effect beside Mg's a calibration must be of a benefit among = \"enrolled\" or \
                 \"deficient\" (exact by quadrature with that part), or give response.max_effect",
            )?;
        }
    }
    Ok(())
}
