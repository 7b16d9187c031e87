//! Checks of `[vitamin_d]`, the vitamin D co-deficiency, and of the arms that give vitamin D
//! (`arms.<name>.vitamin_d`): ranges, and each part required where it matters (the correlation
//! with a prevalence strictly between 0 and 1, the multiplier while an Mg arm does not give
//! vitamin D, the test's accuracy when enrolling on it). Where a given part does nothing is the
//! rules' of [`crate::scenario::inert`].

use super::{Problem, check, within};
use crate::scenario::schema::{ArmKind, ResponseModel, Scenario, VitaminDEnrolment};

pub(crate) fn vitamin_d(s: &Scenario) -> Result<(), Problem> {
    let Some(v) = &s.vitamin_d else { return Ok(()) };
    let f = |name: &str| format!("vitamin_d.{name}");
    check(s.crossover.is_none(), "vitamin_d", "a vitamin D co-deficiency is not built for a crossover (remove it)")?;
    check(
        s.response.model == ResponseModel::Repletion,
        "vitamin_d",
        "vitamin D deficiency scales the benefit of repleting Mg: it needs response.model = \"repletion\" (remove it)",
    )?;
    let p = v.deficiency_prevalence;
    within(&f("deficiency_prevalence"), p, 0.0, 1.0, " (a share of the screened)")?;
    match (v.correlation_with_mg, p > 0.0 && p < 1.0) {
        (Some(rho), _) => within(&f("correlation_with_mg"), rho, -1.0, 1.0, "")?,
        (None, true) => {
            return Err((
                f("correlation_with_mg"),
                "is required: the correlation of vitamin D with Mg status (a Gaussian copula of the two; -1 to 1, \
                 positive when the low in Mg are more often low in vitamin D)"
                    .into(),
            ));
        }
        (None, false) => {}
    }
    let mg_arm_without = s.arms.iter().any(|a| a.kind == ArmKind::Active && a.vitamin_d != Some(true));
    match (v.benefit_multiplier_if_deficient, mg_arm_without && p > 0.0) {
        (Some(m), _) => check(
            m.is_finite() && (0.0..=1.0).contains(&m),
            f("benefit_multiplier_if_deficient"),
            format!(
                "{m} is out of range: allowed values are 0 (no benefit of repletion while low in vitamin D) to 1 \
                 (vitamin D does not matter); a multiplier above 1 has no support in the review"
            ),
        )?,
        (None, true) => {
            return Err((
                f("benefit_multiplier_if_deficient"),
                "is required: the share of the benefit of repleting Mg kept by a participant low in vitamin D who \
                 is not given it (0 to 1)"
                    .into(),
            ));
        }
        (None, false) => {}
    }
    let test_fields = [("assay_sensitivity", v.assay_sensitivity), ("assay_specificity", v.assay_specificity)];
    match v.enrol {
        VitaminDEnrolment::Any => {}
        VitaminDEnrolment::Deficient | VitaminDEnrolment::Replete => {
            for (name, value) in test_fields {
                let Some(value) = value else {
                    return Err((
                        f(name),
                        "is required with vitamin_d.enrol = \"deficient\" or \"replete\": the vitamin D test's \
                         accuracy against deficiency, above 0 and at most 1"
                            .to_string(),
                    ));
                };
                check(
                    value.is_finite() && value > 0.0 && value <= 1.0,
                    f(name),
                    format!("{value} is out of range: allowed values are above 0 and at most 1"),
                )?;
            }
            let (sensitivity, specificity) = (v.assay_sensitivity.unwrap_or(1.0), v.assay_specificity.unwrap_or(1.0));
            check(
                sensitivity + specificity > 1.0,
                f("assay_specificity"),
                format!(
                    "a test with sensitivity {sensitivity} and specificity {specificity} reads deficient no more \
                     often in the deficient than in the replete: it cannot select (their sum must be above 1)"
                ),
            )?;
        }
    }
    for (i, arm) in s.arms.iter().enumerate() {
        check(
            arm.kind == ArmKind::Active || arm.vitamin_d.is_none(),
            format!("arms[{i}].vitamin_d"),
            format!("arm `{}` is not an Mg arm: vitamin D is given with Mg (an Mg + vitamin D arm)", arm.name),
        )?;
    }
    Ok(())
}
