//! The simulation plan: a validated scenario resolved into the numbers the replicate loop uses.

use crate::analysis::critical::TCritical;
use crate::biomarker::Assay;
use crate::error::ScenarioError;
use crate::intervention::Exposure;
use crate::outcome::OutcomeModel;
use crate::population::MgStatus;
use crate::response::ResponseModelParams;
use crate::scenario::{ArmKind, Scenario, SelectionMode, Sided, TestKind};
use crate::selection::Screening;
use rand::Rng;
use rand_distr::{Distribution, Gamma};

/// Per-person adherence `~ Beta(mean c, (1 - mean) c)`, drawn as `X / (X + Y)` with
/// `X ~ Gamma(mean c)`, `Y ~ Gamma((1 - mean) c)` (e.g. Devroye 1986, ch. IX.4): exact, and
/// cheaper than a direct Beta sampler because Marsaglia-Tsang gamma draws rarely need a log.
#[derive(Debug, Clone)]
pub struct Adherence {
    taken: Gamma<f64>,
    missed: Gamma<f64>,
}

impl Adherence {
    /// `mean` in (0, 1), `concentration` > 0 (validated).
    pub fn new(mean: f64, concentration: f64) -> Adherence {
        Adherence {
            taken: Gamma::new(mean * concentration, 1.0).expect("validated adherence"),
            missed: Gamma::new((1.0 - mean) * concentration, 1.0).expect("validated adherence"),
        }
    }

    #[inline]
    pub fn sample<R: Rng>(&self, rng: &mut R) -> f64 {
        let x = self.taken.sample(rng);
        let y = self.missed.sample(rng);
        // Both draws underflow to 0 only for shapes far below the validated minimum; then
        // the person is as likely to have taken as missed.
        if x + y > 0.0 { x / (x + y) } else { 0.5 }
    }
}

/// One arm, resolved.
#[derive(Debug, Clone)]
pub struct ArmPlan {
    pub name: String,
    pub is_active: bool,
    /// Participants to enrol: `allocation * n_per_arm`.
    pub n_target: u32,
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
    pub test: TestKind,
    /// Whether the true baseline must be drawn (ANCOVA or a clipped/rounded scale).
    pub needs_true_baseline: bool,
    /// Strata for randomization and cells: 2 when stratified, else 1.
    pub n_strata: usize,
    /// Rejection: `t > c` (one-sided) or `|t| > c` (two-sided).
    pub reject: TCritical,
    /// Two-sided 95% interval, for coverage.
    pub coverage: TCritical,
}

impl Plan {
    /// Resolves a validated scenario; fails when `enrich` would enrol almost nobody.
    pub fn new(s: &Scenario, file: &str) -> Result<Plan, ScenarioError> {
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
            // Exact, by quadrature over true status (1 for all comers and stratification).
            let p = mg.integrate(
                &filters(s.selection.mode, &assay, threshold, confirmation.as_ref()),
                f64::INFINITY,
                |_| 1.0,
            );
            if p < s.selection.min_enrolment_probability {
                let (field, what) = match &confirmation {
                    Some((c, t2)) => (
                        "selection.confirm_threshold",
                        format!("two-stage screening at {threshold} {} then {t2} {}", assay.kind.unit(), c.kind.unit()),
                    ),
                    None => ("selection.threshold", format!("threshold {threshold} {}", assay.kind.unit())),
                };
                return Err(invalid(
                    field,
                    format!(
                        "{what} enrols only {p:.2e} of those screened ({:.0} screened per enrolled), below \
                         selection.min_enrolment_probability = {}; raise the threshold",
                        1.0 / p,
                        s.selection.min_enrolment_probability
                    ),
                ));
            }
        }
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
                    n_target: a.allocation * s.design.n_per_arm,
                    allocation: a.allocation,
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
        let outcome = OutcomeModel::new(&s.outcome);
        let total: u32 = arms.iter().map(|a| a.n_target).sum();
        let reject_tail = match s.analysis.sided {
            Sided::Two => s.analysis.alpha / 2.0,
            Sided::One => s.analysis.alpha,
        };
        Ok(Plan {
            scenario: s.clone(),
            threshold,
            confirmation,
            mode: s.selection.mode,
            placebo,
            response: ResponseModelParams::new(&s.response, s.design.duration_weeks),
            needs_true_baseline: s.analysis.test == TestKind::Ancova || outcome.is_nonlinear(),
            outcome,
            test: s.analysis.test,
            n_strata: if s.selection.mode == SelectionMode::Stratify { 2 } else { 1 },
            reject: TCritical::new(reject_tail, total as usize + 8),
            coverage: TCritical::new(0.025, total as usize + 8),
            screening: mg.as_ref().map(|m| {
                let first_stage = matches!(s.selection.mode, SelectionMode::Enrich | SelectionMode::TwoStage);
                Screening::new(m, &assay, first_stage.then_some(threshold), confirmation)
            }),
            prob_deficient: mg.as_ref().map_or(0.0, |m| m.prob_deficient()),
            mg,
            assay,
            arms,
        })
    }

    /// Whether a trial's test rejects: `t > c` one-sided (benefit), `|t| > c` two-sided.
    pub fn rejects(&self, e: &crate::analysis::Estimate) -> bool {
        let t = e.t();
        self.reject.exceeds(if self.two_sided() { t.abs() } else { t }, e.df)
    }

    pub fn two_sided(&self) -> bool {
        self.scenario.analysis.sided == Sided::Two
    }

    /// The `(assay, threshold)` readings an enrolled person must fall below.
    pub fn selection_filters(&self) -> Vec<(&Assay, f64)> {
        filters(self.mode, &self.assay, self.threshold, self.confirmation.as_ref())
    }

    /// Indices of the active arms, in file order: one comparison with placebo each.
    pub fn active_arms(&self) -> impl Iterator<Item = usize> + '_ {
        self.arms.iter().enumerate().filter(|(_, a)| a.is_active).map(|(i, _)| i)
    }
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
