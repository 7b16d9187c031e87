//! Checks of `[costs]`: prices are finite and non-negative, and each price the design uses is
//! given (the first-stage assay's when people are tested to enter, the confirmation assay's
//! under two stages, the vitamin D test's when enrolling on one, the weekly one unless the
//! effect is acute). A price the design does not use is the rules' of
//! [`crate::scenario::inert`].

use super::{Problem, check, within};
use crate::scenario::schema::{ResponseModel, Scenario, SelectionMode, VitaminDEnrolment};

/// The largest price accepted, in any currency: far above any assay or trial visit.
pub(crate) const MAX_PRICE: f64 = 1e9;

/// Prices are finite and within range; a crossover is refused.
pub(crate) fn costs(s: &Scenario) -> Result<(), Problem> {
    let Some(c) = &s.costs else { return Ok(()) };
    check(s.crossover.is_none(), "costs", "the costs of a crossover are not built (remove [costs])")?;
    let price = |field: String, v: f64| within(&field, v, 0.0, MAX_PRICE, " (a price in the file's currency)");
    for (kind, v) in c.per_screened.given() {
        price(format!("costs.per_screened.{kind}"), v)?;
    }
    for (kind, v) in c.per_confirmatory_test.given() {
        price(format!("costs.per_confirmatory_test.{kind}"), v)?;
    }
    if let Some(v) = c.per_vitamin_d_test {
        price("costs.per_vitamin_d_test".into(), v)?;
    }
    price("costs.per_enrolled".into(), c.per_enrolled)?;
    if let Some(v) = c.per_participant_week {
        price("costs.per_participant_week".into(), v)?;
    }
    Ok(())
}

/// Whether everyone screened is tested with the first-stage assay to enter: every selection
/// but all comers, and all comers analysed by strata of the reading.
pub(crate) fn assay_read_at_entry(s: &Scenario) -> bool {
    s.selection.mode != SelectionMode::AllComers || s.analysis.by_stratum == Some(true)
}

/// Each price the design uses is given. Checked on each design point's scenario (not on a
/// study's file as written, whose own design a sweep may replace at every point).
pub(crate) fn required_prices(s: &Scenario) -> Result<(), Problem> {
    let Some(c) = &s.costs else { return Ok(()) };
    let required = |given: bool, field: String, why: &str| {
        check(given, &field, format!("is required: {why} (a price in the file's currency, 0 or more)"))
    };
    let first = s.biomarker.kind;
    required(
        !assay_read_at_entry(s) || c.per_screened.of(first).is_some(),
        format!("costs.per_screened.{}", first.label()),
        "everyone screened is tested with this assay to enter",
    )?;
    if s.selection.mode == SelectionMode::TwoStage {
        let second = s.confirmation.kind;
        required(
            c.per_confirmatory_test.of(second).is_some(),
            format!("costs.per_confirmatory_test.{}", second.label()),
            "those who pass the first stage are tested again with this assay",
        )?;
    }
    let vitamin_d_test =
        s.vitamin_d.as_ref().is_some_and(|v| v.enrol != VitaminDEnrolment::Any && v.deficiency_prevalence > 0.0);
    if vitamin_d_test {
        required(
            c.per_vitamin_d_test.is_some(),
            "costs.per_vitamin_d_test".into(),
            "those who pass the Mg selection are tested for vitamin D",
        )?;
    }
    required(
        s.response.model == ResponseModel::Acute || c.per_participant_week.is_some(),
        "costs.per_participant_week".into(),
        "every randomized participant is followed for design.duration_weeks",
    )
}
