//! Checks of `[crossover]`: two arms, Mg and its control; the analyses the crossover has; the
//! carry-over stated where the response model does not give it.

use super::{MAX_OUTCOME_MAGNITUDE, Problem, check};
use crate::scenario::schema::{ArmKind, MAX_WEEKS, ResponseModel, Scenario, SelectionMode, TestKind};

pub(crate) fn crossover(s: &Scenario, counts: bool) -> Result<(), Problem> {
    let Some(c) = &s.crossover else { return Ok(()) };
    let kinds: Vec<ArmKind> = s.arms.iter().map(|a| a.kind).collect();
    check(
        kinds.len() == 2 && kinds.contains(&ArmKind::Active) && kinds.contains(&ArmKind::Placebo),
        "arms",
        "a crossover has two arms, one Mg arm (kind = \"active\") and its control (kind = \"placebo\", also for an \
         open-label period off treatment): each participant takes both, in the order of their sequence",
    )?;
    check(
        s.analysis.comparisons.is_empty(),
        "analysis.comparisons",
        "a crossover compares its Mg arm with its control, for superiority: remove [[analysis.comparisons]]",
    )?;
    // The sequences compared on the period differences: by t on a scale, by ranks on counts.
    let (analysed_by, how) = if counts {
        (
            TestKind::Wilcoxon,
            "on counts by the rank-sum test of the period differences between the sequences (Koch 1972)",
        )
    } else {
        (TestKind::Welch, "on a scale by the t test of the period differences between the sequences (Jones & Kenward)")
    };
    let analyses = s.analysis.all(counts);
    if let Some(t) = analyses.iter().find(|t| **t != analysed_by) {
        let primary = s.analysis.primary(counts) == *t;
        return Err((
            if primary { "analysis.test".into() } else { "analysis.secondary".into() },
            format!(
                "\"{}\"{} is not an analysis of a crossover: it is analysed {how}, analysis.test = \"{}\"",
                t.label(),
                if primary && s.analysis.test.is_none() { " (the default for this outcome)" } else { "" },
                analysed_by.label()
            ),
        ));
    }
    check(
        !(counts && c.period_effect.is_some()),
        "crossover.period_effect",
        "a period effect is in outcome units of a rating scale; on counts it is not built: remove it",
    )?;
    check(
        s.response.model != ResponseModel::Acute,
        "crossover",
        "the acute response acts on one attack within hours: a crossover of attacks is not modelled; remove \
         [crossover], or use response.model = \"fixed\" or \"repletion\"",
    )?;
    check(
        s.selection.mode != SelectionMode::Stratify && s.analysis.by_stratum != Some(true),
        if s.selection.mode == SelectionMode::Stratify { "selection.mode" } else { "analysis.by_stratum" },
        "strata of the reading are not built for a crossover: select with \"all_comers\", \"enrich\" or \
         \"two_stage\", without analysis.by_stratum",
    )?;
    check(
        s.response.calibration.is_none(),
        "response.calibration",
        "a calibration reproduces a parallel published design; in a crossover state the effect \
         (response.max_effect, or response.model = \"fixed\" with response.delta)",
    )?;
    let derived = s.response.model == ResponseModel::Repletion;
    match c.washout_weeks {
        Some(w) => check(
            w.is_finite() && (0.0..=MAX_WEEKS).contains(&w),
            "crossover.washout_weeks",
            format!("{w}: allowed values are 0 to {MAX_WEEKS} weeks"),
        ),
        None => check(
            !derived,
            "crossover.washout_weeks",
            "the washout is not given: under the repletion response the Mg repleted in period 1 decays over the \
             washout and period 2, so the carry-over depends on it; give it in weeks (0 for none)",
        ),
    }?;
    match c.carryover_fraction {
        Some(_) if derived => Err((
            "crossover.carryover_fraction".to_string(),
            "under the repletion response the carry-over follows from the model: the Mg repleted in period 1 \
             decays with response.tau_weeks over the washout and period 2, exp(-(washout + duration) / tau); \
             remove it (set response.tau_weeks or crossover.washout_weeks instead)"
                .to_string(),
        )),
        None if !derived => Err((
            "crossover.carryover_fraction".to_string(),
            "the carry-over is not given: under the fixed response state the share of the period-1 benefit still \
             present at the end of period 2 in the Mg-first sequence, 0 to 1 (0: the washout clears it)"
                .to_string(),
        )),
        Some(f) => check(
            f.is_finite() && (0.0..=1.0).contains(&f),
            "crossover.carryover_fraction",
            format!("{f}: allowed values are 0 (none) to 1 (the whole period-1 benefit persists)"),
        ),
        None => Ok(()),
    }?;
    if let Some(p) = c.period_effect {
        check(
            p.is_finite() && p.abs() <= MAX_OUTCOME_MAGNITUDE,
            "crossover.period_effect",
            format!("{p}: allowed values are finite, at most {MAX_OUTCOME_MAGNITUDE:e} outcome units either way"),
        )?;
    }
    Ok(())
}
