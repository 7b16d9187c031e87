//! The simulation plan: a validated scenario resolved into the numbers the replicate loop uses.

use crate::analysis::critical::TCritical;
use crate::engine::calibration::record::Calibration;
use crate::error::ScenarioError;
use crate::model::biomarker::Assay;
use crate::model::intervention::Exposure;
use crate::model::outcome::OutcomeModel;
use crate::model::outcome::count::{CountModel, CountSampler};
use crate::model::population::MgStatus;
use crate::model::response::ResponseModelParams;
use crate::model::selection::Screening;
use crate::rng::{standard_normal, uniform};
use crate::scenario::scales::Scale;
use crate::scenario::schema::{ArmKind, Direction, ResponderRule, Scenario, SelectionMode, Sided, TestKind};
use rand::Rng;

/// Per-person adherence `~ Beta(mean c, (1 - mean) c)`, drawn as `X / (X + Y)` with
/// `X ~ Gamma(mean c)`, `Y ~ Gamma((1 - mean) c)` (e.g. Devroye 1986, ch. IX.4): exact, and
/// cheaper than a direct Beta sampler because Marsaglia-Tsang gamma draws rarely need a log.
#[derive(Debug, Clone)]
pub struct Adherence {
    taken: UnitGamma,
    missed: UnitGamma,
}

impl Adherence {
    /// `mean` in (0, 1), `concentration` > 0 (validated).
    pub fn new(mean: f64, concentration: f64) -> Adherence {
        Adherence { taken: UnitGamma::new(mean * concentration), missed: UnitGamma::new((1.0 - mean) * concentration) }
    }

    #[inline(always)]
    pub fn sample<R: Rng>(&self, rng: &mut R) -> f64 {
        let x = self.taken.sample(rng);
        let y = self.missed.sample(rng);
        // Both draws underflow to 0 only for shapes far below the validated minimum; then
        // the person is as likely to have taken as missed.
        if x + y > 0.0 { x / (x + y) } else { 0.5 }
    }
}

/// Gamma(`shape`, 1) by Marsaglia & Tsang (2000), "A simple method for generating gamma
/// variables", ACM TOMS 26:363-372: for shape `a >= 1`, `d v` with `d = a - 1/3`,
/// `v = (1 + x / sqrt(9 d))^3`, `x` standard normal, accepted by their squeeze or log test;
/// for `a < 1`, `Gamma(a + 1) U^(1/a)` (their section 6). Written here rather than taken from
/// rand_distr so that its normal and uniform draws inline into the participant loop.
#[derive(Debug, Clone, Copy)]
struct UnitGamma {
    d: f64,
    c: f64,
    /// `1 / a` when the shape `a` is below 1, else 0.
    boost_exponent: f64,
}

impl UnitGamma {
    fn new(shape: f64) -> UnitGamma {
        let (a, boost_exponent) = if shape < 1.0 { (shape + 1.0, 1.0 / shape) } else { (shape, 0.0) };
        let d = a - 1.0 / 3.0;
        UnitGamma { d, c: 1.0 / (9.0 * d).sqrt(), boost_exponent }
    }

    #[inline(always)]
    fn sample<R: Rng>(&self, rng: &mut R) -> f64 {
        let g = loop {
            let x = standard_normal(rng);
            let v = 1.0 + self.c * x;
            if v <= 0.0 {
                continue;
            }
            let v = v * v * v;
            let u = uniform(rng);
            let x2 = x * x;
            if u < 1.0 - 0.0331 * x2 * x2 || u.ln() < 0.5 * x2 + self.d * (1.0 - v + v.ln()) {
                break self.d * v;
            }
        };
        if self.boost_exponent > 0.0 { g * uniform(rng).powf(self.boost_exponent) } else { g }
    }
}

/// One arm, resolved.
#[derive(Debug, Clone)]
pub struct ArmPlan {
    pub name: String,
    pub is_active: bool,
    /// Participants to enrol: `allocation * n_per_arm`, or the arm's own `n`.
    pub n_target: u32,
    /// Weight in a randomization block: the allocation ratio, or with per-arm sizes the
    /// sizes divided by their greatest common divisor.
    pub allocation: u32,
    pub dropout: f64,
    pub exposure: Option<Exposure>,
    /// Per-person adherence; `None` when adherence is the same for everyone (mean 0 or 1).
    pub adherence: Option<Adherence>,
}

/// Everything one replicate needs, computed once per design point.
#[derive(Debug, Clone)]
pub struct Plan {
    pub scenario: Scenario,
    /// The outcome scale, resolved from its preset and overrides.
    pub scale: Scale,
    /// Fields of the preset the scenario overrides (empty without a preset).
    pub scale_overridden: Vec<&'static str>,
    /// `design.n_per_arm`; `None` when every arm gives its own size.
    pub n_per_arm: Option<u32>,
    /// The calibration that solved `response.max_effect`, if any.
    pub calibration: Option<Calibration>,
    /// `None` when Mg status is not modelled.
    pub mg: Option<MgStatus>,
    pub assay: Assay,
    /// Joint draws of reading and status; `None` when Mg status is not modelled.
    pub screening: Option<Screening>,
    /// P(truly deficient) among the screened, exact from the population model.
    pub prob_deficient: f64,
    /// Selection threshold in the biomarker's unit (the assay's `normal_low` if unset).
    pub threshold: f64,
    /// Two-stage screening: the confirmatory assay and its threshold.
    pub confirmation: Option<(Assay, f64)>,
    pub mode: SelectionMode,
    pub arms: Vec<ArmPlan>,
    pub placebo: usize,
    pub response: ResponseModelParams,
    pub outcome: OutcomeModel,
    /// The count model and its sampler, for a count outcome.
    pub count: Option<(CountModel, CountSampler)>,
    /// The primary analysis.
    pub test: TestKind,
    /// Every analysis, primary first.
    pub analyses: Vec<TestKind>,
    /// The responder rule, when a responder analysis is asked for.
    pub responder: Option<ResponderPlan>,
    /// Whether strata and their interaction with treatment are reported.
    pub by_stratum: bool,
    /// The result rows of each trial, in output order (see [`Slot`]).
    pub slots: Vec<Slot>,
    /// Whether the baseline level matters (ANCOVA, or a clipped or rounded scale), so the
    /// observed baseline is drawn with its full SD; otherwise only its measurement error.
    pub baseline_level_matters: bool,
    /// Strata for randomization and cells: 2 when stratified, else 1.
    pub n_strata: usize,
    /// Rejection: `t > c` (one-sided) or `|t| > c` (two-sided).
    pub reject: TCritical,
    /// Two-sided 95% interval, for coverage.
    pub coverage: TCritical,
}

/// The responder rule of `analysis.responder` on this outcome.
fn responder_plan(s: &Scenario, scale: &Scale) -> ResponderPlan {
    let r = &s.analysis.responder;
    ResponderPlan {
        rule: r.rule,
        fraction: r.fraction,
        cutoff: r.cutoff.unwrap_or(0.0),
        lower_is_better: scale.direction == Direction::LowerIsBetter,
    }
}

impl Plan {
    /// Resolves a validated scenario, with `response.max_effect` as the scenario gives it;
    /// fails when a selection threshold is implausible for its assay (see
    /// [`check_thresholds`]). A scenario's plan, with its calibration solved and its expected
    /// effect checked, is [`crate::engine::calibration::plan`]'s.
    pub fn resolved(s: &Scenario, file: &str) -> Result<Plan, ScenarioError> {
        let invalid = |field: &str, message: String| ScenarioError::Invalid {
            file: file.to_string(),
            context: String::new(),
            field: field.to_string(),
            message,
        };
        let mg = MgStatus::from_scenario(&s.population);
        let assay = Assay::from_scenario(&s.biomarker);
        let threshold = s.selection.threshold.unwrap_or(assay.params.normal_low);
        let confirmation = (s.selection.mode == SelectionMode::TwoStage).then(|| {
            let a = Assay::from_scenario(&s.confirmation);
            (a, s.selection.confirm_threshold.unwrap_or(a.params.normal_low))
        });
        if let Some(mg) = &mg {
            check_thresholds(s, mg, &assay, threshold, confirmation.as_ref()).map_err(|(f, m)| invalid(f, m))?;
        }
        let gcd = s.arms.iter().filter_map(|a| a.n).fold(0, gcd);
        let arms: Vec<ArmPlan> = s
            .arms
            .iter()
            .enumerate()
            .map(|(i, a)| {
                let exposure = Exposure::of_arm(s, i);
                let adherence = exposure.and_then(|e| {
                    let (m, c) = (e.adherence_mean, e.adherence_concentration);
                    (m > 0.0 && m < 1.0).then(|| Adherence::new(m, c))
                });
                ArmPlan {
                    name: a.name.clone(),
                    is_active: a.kind == ArmKind::Active,
                    n_target: a
                        .n
                        .unwrap_or_else(|| a.allocation.unwrap_or(1) * s.design.n_per_arm.expect("validated: a size")),
                    allocation: a.n.map_or(a.allocation.unwrap_or(1), |n| n / gcd),
                    dropout: a.dropout.unwrap_or(match a.kind {
                        ArmKind::Placebo => s.dropout.placebo,
                        ArmKind::Active => s.dropout.active,
                    }),
                    exposure,
                    adherence,
                }
            })
            .collect();
        let placebo = arms.iter().position(|a| !a.is_active).expect("validated: one placebo arm");
        let count = match s.outcome.count {
            Some(_) => {
                let model = crate::model::outcome::count::checked(s).map_err(|(f, m)| invalid(&f, m))?;
                let sampler = model.sampler();
                Some((model, sampler))
            }
            None => None,
        };
        let (scale, scale_overridden) = match &count {
            Some((m, _)) => (count_scale(s, m), Vec::new()),
            None => crate::scenario::scales::resolve(&s.outcome).expect("validated outcome"),
        };
        let outcome = OutcomeModel::new(&scale);
        let reject_tail = match s.analysis.sided {
            Sided::Two => s.analysis.alpha / 2.0,
            Sided::One => s.analysis.alpha,
        };
        let counts = count.is_some();
        let response = ResponseModelParams::new(&s.response, s.design.duration_weeks, counts);
        let analyses = s.analysis.all(counts);
        let by_stratum = s.analysis.by_stratum.unwrap_or(s.selection.mode == SelectionMode::Stratify);
        let responder = analyses.iter().any(|t| t.is_responder()).then(|| responder_plan(s, &scale));
        let mut plan = Plan {
            scenario: s.clone(),
            scale,
            scale_overridden,
            n_per_arm: s.design.n_per_arm,
            calibration: None,
            threshold,
            confirmation,
            mode: s.selection.mode,
            placebo,
            response,
            baseline_level_matters: analyses.contains(&TestKind::Ancova)
                || outcome.is_nonlinear()
                || responder.is_some(),
            outcome,
            count,
            test: analyses[0],
            slots: Vec::new(),
            analyses,
            responder,
            by_stratum,
            n_strata: if by_stratum || s.selection.mode == SelectionMode::Stratify { 2 } else { 1 },
            reject: TCritical::shared(reject_tail),
            coverage: TCritical::shared(0.025),
            screening: mg.as_ref().map(|m| {
                let first_stage = matches!(s.selection.mode, SelectionMode::Enrich | SelectionMode::TwoStage);
                Screening::new(m, &assay, first_stage.then_some(threshold), confirmation)
            }),
            prob_deficient: mg.as_ref().map_or(0.0, |m| m.prob_deficient()),
            mg,
            assay,
            arms,
        };
        plan.slots = plan.build_slots();
        Ok(plan)
    }

    /// The rows of a trial: per comparison, per analysis, the whole trial and, by stratum,
    /// each stratum and the interaction.
    fn build_slots(&self) -> Vec<Slot> {
        let subgroups: &[Subgroup] = if self.by_stratum {
            &[Subgroup::All, Subgroup::LowStratum, Subgroup::OtherStratum, Subgroup::Interaction]
        } else {
            &[Subgroup::All]
        };
        let mut slots = Vec::new();
        for (comparison, arm) in self.active_arms().enumerate() {
            for &test in &self.analyses {
                for &subgroup in subgroups {
                    slots.push(Slot { comparison, arm, test, subgroup });
                }
            }
        }
        slots
    }

    /// This plan analysed by `test` alone, over the whole trial (for calibration probes).
    pub(crate) fn with_only(&self, test: TestKind) -> Plan {
        let mut p = self.clone();
        if test.is_responder() && p.responder.is_none() {
            p.responder = Some(responder_plan(&p.scenario, &p.scale));
            p.baseline_level_matters = true;
        }
        p.test = test;
        p.analyses = vec![test];
        p.by_stratum = false;
        p.n_strata = if p.mode == SelectionMode::Stratify { 2 } else { 1 };
        p.slots = p.build_slots();
        p
    }

    /// This plan with only the placebo arm and active arm `arm` (in their order), so that a
    /// calibration of one comparison simulates no other arm. A two-arm plan is unchanged.
    pub(crate) fn with_placebo_and(&self, arm: usize) -> Plan {
        let mut p = self.clone();
        if p.arms.len() > 2 {
            let keep: Vec<usize> = (0..p.arms.len()).filter(|&a| a == arm || a == p.placebo).collect();
            p.arms = keep.iter().map(|&a| self.arms[a].clone()).collect();
            p.placebo = keep.iter().position(|&a| a == self.placebo).expect("the placebo arm is kept");
            p.slots = p.build_slots();
        }
        p
    }

    /// Whether a trial's test rejects: `t > c` one-sided (benefit), `|t| > c` two-sided.
    pub fn rejects(&self, e: &crate::analysis::Estimate) -> bool {
        let t = e.t();
        self.reject.exceeds(if self.two_sided() { t.abs() } else { t }, e.df)
    }

    /// The unit of the response's benefit: the outcome's, or for counts `-ln rate ratio`.
    pub(crate) fn effect_unit(&self) -> String {
        if self.count.is_some() { "-ln rate ratio".into() } else { self.scale.unit.clone() }
    }

    pub(crate) fn two_sided(&self) -> bool {
        self.scenario.analysis.sided == Sided::Two
    }

    /// The `(assay, threshold)` readings an enrolled person must fall below.
    pub fn selection_filters(&self) -> Vec<(&Assay, f64)> {
        filters(self.mode, &self.assay, self.threshold, self.confirmation.as_ref())
    }

    /// Indices of the active arms, in file order: one comparison with placebo each.
    /// Participants enrolled in one trial, all arms.
    pub fn total_enrolled(&self) -> u32 {
        self.arms.iter().map(|a| a.n_target).sum()
    }

    pub(crate) fn active_arms(&self) -> impl Iterator<Item = usize> + '_ {
        self.arms.iter().enumerate().filter(|(_, a)| a.is_active).map(|(i, _)| i)
    }
}

/// The scale-like description of a count outcome: its name, the unit of a follow-up
/// window's count, and fewer is better (the mean is the baseline window's).
fn count_scale(s: &Scenario, m: &CountModel) -> Scale {
    let name = s.outcome.name.clone().unwrap_or_else(|| m.kind.label().replace('_', " "));
    let unit = s.outcome.unit.clone().unwrap_or_else(|| m.kind.unit(m.followup_weeks));
    Scale::plain(&name, &unit, Direction::LowerIsBetter, m.expected_count(m.baseline_weeks, 1.0))
}

/// Which participants a result row describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Subgroup {
    /// Everyone analysed (stratum-adjusted where the analysis allows, when by stratum).
    All,
    /// The stratum whose screening reading is below the threshold.
    LowStratum,
    /// The stratum at or above it.
    OtherStratum,
    /// The treatment x stratum interaction: the effect in the low stratum minus the other's.
    Interaction,
}

impl Subgroup {
    pub fn label(self) -> &'static str {
        match self {
            Subgroup::All => "all",
            Subgroup::LowStratum => "low_stratum",
            Subgroup::OtherStratum => "other_stratum",
            Subgroup::Interaction => "interaction",
        }
    }
}

/// One result row of a trial: a comparison of an active arm with placebo, by one analysis,
/// in one subgroup.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slot {
    /// Index among the active arms.
    pub comparison: usize,
    /// Index of the active arm among all arms.
    pub arm: usize,
    pub test: TestKind,
    pub subgroup: Subgroup,
}

/// Relative slack of the responder threshold, far above rounding (1e-16) and far below any
/// real difference of scores or counts.
const RESPONDER_TOLERANCE: f64 = 1e-9;

/// Who responds: improvement of a share of the baseline, or remission past a cut-off.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ResponderPlan {
    pub rule: ResponderRule,
    pub fraction: f64,
    pub cutoff: f64,
    pub lower_is_better: bool,
}

impl ResponderPlan {
    /// Whether a participant with observed `baseline` and `follow_up` (same units; for counts
    /// the baseline scaled to the follow-up window) responds. Relative improvement needs a
    /// baseline above 0: from 0 nobody improves by a share.
    #[inline]
    pub(crate) fn responds(&self, baseline: f64, follow_up: f64) -> bool {
        // An improvement of exactly the fraction counts, whatever the rounding of
        // `fraction * baseline` (a fall from 5 attacks to 1 is 80%).
        let needed = self.fraction * baseline * (1.0 - RESPONDER_TOLERANCE);
        match (self.rule, self.lower_is_better) {
            (ResponderRule::RelativeImprovement, true) => baseline > 0.0 && baseline - follow_up >= needed,
            (ResponderRule::RelativeImprovement, false) => baseline > 0.0 && follow_up - baseline >= needed,
            (ResponderRule::Remission, true) => follow_up <= self.cutoff,
            (ResponderRule::Remission, false) => follow_up >= self.cutoff,
        }
    }
}

/// Largest share of those screened that an enrichment or two-stage threshold may enrol, and
/// that a confirmatory threshold may pass of those reaching it: above it selection turns
/// (almost) nobody away, which is the sign of a threshold in the wrong unit (75 for 0.75).
pub(crate) const MAX_SELECTED_SHARE: f64 = 0.999;
/// Smallest share of those screened in each stratum of a stratified trial: below it the
/// smaller stratum is empty in most trials of usual sizes.
pub(crate) const MIN_STRATUM_SHARE: f64 = 0.01;

/// A share of the screened as a percentage, with enough digits to tell 99.96% from 100%.
fn percent(p: f64) -> String {
    if p >= 1e-3 { format!("{:.2}%", 100.0 * p) } else { format!("{:.2e} ({:.4}%)", p, 100.0 * p) }
}

/// The reading of `assay` below which a share `p` of those screened fall, or, `given` a first
/// stage `(assay, threshold)`, a share `p` of those who pass it (by bisection on the exact
/// shares).
fn reading_quantile(mg: &MgStatus, assay: &Assay, given: Option<(&Assay, f64)>, p: f64) -> f64 {
    let centre = assay.expected_reading(mg.mean());
    let spread = (assay.params.scale * mg.variance().sqrt()).hypot(assay.total_error_sd()).max(1e-12);
    let share_below = |x: f64| match given {
        None => mg.prob_reading_below(assay, x),
        Some((first, t)) => {
            mg.integrate(&[(first, t), (assay, x)], f64::INFINITY, |_| 1.0) / mg.prob_reading_below(first, t)
        }
    };
    let (mut lo, mut hi) = (centre - 40.0 * spread, centre + 40.0 * spread);
    for _ in 0..100 {
        let mid = 0.5 * (lo + hi);
        if share_below(mid) < p { lo = mid } else { hi = mid }
    }
    0.5 * (lo + hi)
}

/// "readings ... typically lie between A and B unit (1st to 99th percentile)", and the
/// thresholds that would select a share of `lo` to `hi` of those screened, or, `given` a first
/// stage, of those who pass it and reach this assay.
fn typical_readings(mg: &MgStatus, assay: &Assay, given: Option<(&Assay, f64)>, lo: f64, hi: f64) -> String {
    let q = |p: f64| reading_quantile(mg, assay, given, p);
    let unit = assay.kind.unit();
    let who = match given {
        None => "those screened".to_string(),
        Some((first, t)) => {
            format!("those whose {} reading passes the first stage (< {t} {})", first.kind.label(), first.kind.unit())
        }
    };
    format!(
        "among {who}, {} readings typically lie between {:.4} and {:.4} {unit} (1st to 99th percentile); \
         thresholds from {:.4} to {:.4} {unit} select {} to {} of them",
        assay.kind.label(),
        q(0.01),
        q(0.99),
        q(lo),
        q(hi),
        percent(lo),
        percent(hi),
    )
}

/// Checks that each selection threshold is plausible for its assay and unit, judged by the
/// share of those screened it selects (exact, by quadrature over the population):
/// - `enrich`: the threshold enrols from `selection.min_enrolment_probability` (default 1e-3,
///   at least 1e-9) to [`MAX_SELECTED_SHARE`] of those screened;
/// - `two_stage`: the first stage passes, and the whole screening enrols, at least the minimum;
///   each stage passes at most [`MAX_SELECTED_SHARE`] of those who reach it;
/// - `stratify`: each stratum holds at least [`MIN_STRATUM_SHARE`] of those screened.
///
/// Errors name the field, the assay, its unit, the typical range of readings and the share
/// that would be selected.
pub(crate) fn check_thresholds(
    s: &Scenario,
    mg: &MgStatus,
    assay: &Assay,
    threshold: f64,
    confirmation: Option<&(Assay, f64)>,
) -> Result<(), (&'static str, String)> {
    let min = s.selection.min_enrolment_probability;
    let unit = assay.kind.unit();
    let below = mg.prob_reading_below(assay, threshold);
    let name = assay.kind.label();
    match s.selection.mode {
        SelectionMode::AllComers if s.analysis.by_stratum != Some(true) => Ok(()),
        SelectionMode::Stratify | SelectionMode::AllComers => {
            if (MIN_STRATUM_SHARE..=1.0 - MIN_STRATUM_SHARE).contains(&below) {
                return Ok(());
            }
            Err((
                "selection.threshold",
                format!(
                    "{threshold} {unit} on the {name} assay puts {} of those screened in the low stratum: each \
                     stratum must hold at least {} ({})",
                    percent(below),
                    percent(MIN_STRATUM_SHARE),
                    typical_readings(mg, assay, None, MIN_STRATUM_SHARE, 1.0 - MIN_STRATUM_SHARE)
                ),
            ))
        }
        SelectionMode::Enrich | SelectionMode::TwoStage => {
            let stage = if confirmation.is_some() { "the first screening stage" } else { "enrichment" };
            if below > MAX_SELECTED_SHARE {
                return Err((
                    "selection.threshold",
                    format!(
                        "{threshold} {unit} on the {name} assay enrols {} of those screened, so {stage} turns \
                         (almost) nobody away: is the threshold in another unit? At most {} may pass ({})",
                        percent(below),
                        percent(MAX_SELECTED_SHARE),
                        typical_readings(mg, assay, None, min, MAX_SELECTED_SHARE)
                    ),
                ));
            }
            if below < min {
                return Err((
                    "selection.threshold",
                    format!(
                        "{threshold} {unit} on the {name} assay enrols only {} of those screened ({:.0} screened \
                         per enrolled), below selection.min_enrolment_probability = {min}; raise the threshold ({})",
                        percent(below),
                        1.0 / below,
                        typical_readings(mg, assay, None, min, MAX_SELECTED_SHARE)
                    ),
                ));
            }
            let Some((c, t2)) = confirmation else { return Ok(()) };
            let both = mg.integrate(&[(assay, threshold), (c, *t2)], f64::INFINITY, |_| 1.0);
            let confirmed = both / below;
            let (cname, cunit) = (c.kind.label(), c.kind.unit());
            if confirmed > MAX_SELECTED_SHARE {
                return Err((
                    "selection.confirm_threshold",
                    format!(
                        "{t2} {cunit} on the confirmatory {cname} assay confirms {} of those who pass the first \
                         stage, so confirmation turns (almost) nobody away: is the threshold in another unit? ({})",
                        percent(confirmed),
                        typical_readings(mg, c, Some((assay, threshold)), min, MAX_SELECTED_SHARE)
                    ),
                ));
            }
            if both < min {
                return Err((
                    "selection.confirm_threshold",
                    format!(
                        "two-stage screening at {threshold} {unit} ({name}) then {t2} {cunit} ({cname}) enrols only {} \
                         of those screened ({:.0} screened per enrolled), below selection.min_enrolment_probability \
                         = {min}; raise the thresholds ({})",
                        percent(both),
                        1.0 / both,
                        typical_readings(
                            mg,
                            c,
                            Some((assay, threshold)),
                            (min / below).min(MAX_SELECTED_SHARE),
                            MAX_SELECTED_SHARE
                        )
                    ),
                ));
            }
            Ok(())
        }
    }
}

fn gcd(a: u32, b: u32) -> u32 {
    if b == 0 { a } else { gcd(b, a % b) }
}

/// The `(assay, threshold)` readings an enrolled person must fall below under `mode`.
fn filters<'a>(
    mode: SelectionMode,
    assay: &'a Assay,
    threshold: f64,
    confirmation: Option<&'a (Assay, f64)>,
) -> Vec<(&'a Assay, f64)> {
    match (mode, confirmation) {
        (SelectionMode::Enrich, _) => vec![(assay, threshold)],
        (SelectionMode::TwoStage, Some((c, t2))) => vec![(assay, threshold), (c, *t2)],
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{TrialRng, stream_rng};

    /// An improvement of exactly the fraction responds, whatever the rounding of
    /// `fraction * baseline`; one count less does not; a baseline of 0 never does.
    #[test]
    fn responders_at_the_exact_boundary() {
        for fraction in [0.3, 0.5, 0.7, 0.8, 0.9] {
            let r = ResponderPlan {
                rule: ResponderRule::RelativeImprovement,
                fraction,
                cutoff: 0.0,
                lower_is_better: true,
            };
            for baseline in 1..=60u32 {
                let b = f64::from(baseline);
                for follow_up in 0..=baseline {
                    // Integer arithmetic decides: baseline - follow_up >= fraction * baseline,
                    // with the fraction as tenths.
                    let tenths = (fraction * 10.0f64).round() as u32;
                    let exact = 10 * (baseline - follow_up) >= tenths * baseline;
                    assert_eq!(r.responds(b, f64::from(follow_up)), exact, "{fraction}: {baseline} -> {follow_up}");
                }
            }
            assert!(!r.responds(0.0, 0.0));
            let up = ResponderPlan { lower_is_better: false, ..r };
            assert!(up.responds(10.0, 10.0 + 10.0 * fraction) && !up.responds(10.0, 9.99 + 10.0 * fraction));
        }
    }

    /// Beta(mean c, (1 - mean) c) has mean `mean` and variance `mean (1 - mean) / (c + 1)`;
    /// shapes above and below 1 (the small-shape boost) are both exercised.
    #[test]
    fn adherence_has_the_beta_moments() {
        let mut rng: TrialRng = stream_rng(3, 0, 0);
        for (mean, c) in [(0.83, 20.0), (0.5, 0.5), (0.9, 3.0), (0.3, 200.0)] {
            let a = Adherence::new(mean, c);
            let draws = 200_000;
            let xs: Vec<f64> = (0..draws).map(|_| a.sample(&mut rng)).collect();
            assert!(xs.iter().all(|x| (0.0..=1.0).contains(x)));
            let m = xs.iter().sum::<f64>() / f64::from(draws);
            let v = xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / f64::from(draws - 1);
            let var = mean * (1.0 - mean) / (c + 1.0);
            let se_mean = (var / f64::from(draws)).sqrt();
            assert!((m - mean).abs() < 4.0 * se_mean, "mean {m} vs {mean} (c {c})");
            // SE of a sample variance, sqrt((mu4 - var^2) / n), at most sqrt(var / n) for a law
            // on [0, 1] (there (x - m)^2 <= 1, so mu4 <= var); 5 such SEs.
            let se_var = (var / f64::from(draws)).sqrt();
            assert!((v - var).abs() < 5.0 * se_var, "variance {v} vs {var} (c {c})");
        }
    }

    /// Gamma(a, 1) has mean and variance `a`; the mean of `n` draws has SE `sqrt(a / n)`, and
    /// the variance estimate SE `sqrt((mu4 - a^2) / n)` with `mu4 = 3 a^2 + 6 a`.
    #[test]
    fn unit_gamma_has_the_gamma_moments() {
        let mut rng: TrialRng = stream_rng(4, 0, 0);
        for a in [0.05, 0.3, 1.0, 3.4, 16.6] {
            let g = UnitGamma::new(a);
            let n = 200_000;
            let xs: Vec<f64> = (0..n).map(|_| g.sample(&mut rng)).collect();
            assert!(xs.iter().all(|x| *x >= 0.0 && x.is_finite()));
            let m = xs.iter().sum::<f64>() / f64::from(n);
            let v = xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / f64::from(n - 1);
            assert!((m - a).abs() < 4.0 * (a / f64::from(n)).sqrt(), "shape {a}: mean {m}");
            let se_var = ((3.0 * a * a + 6.0 * a - a * a) / f64::from(n)).sqrt();
            assert!((v - a).abs() < 5.0 * se_var, "shape {a}: variance {v}");
        }
    }
}
