//! The simulation plan: a validated scenario resolved into the numbers the replicate loop uses.

use crate::analysis::critical::TCritical;
use crate::biomarker::Assay;
use crate::error::ScenarioError;
use crate::intervention::Exposure;
use crate::outcome::OutcomeModel;
use crate::population::MgStatus;
use crate::response::ResponseModelParams;
use crate::rng::{standard_normal, uniform};
use crate::scenario::{ArmKind, Scenario, SelectionMode, Sided, TestKind};
use crate::selection::Screening;
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
            baseline_level_matters: s.analysis.test == TestKind::Ancova || outcome.is_nonlinear(),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{TrialRng, stream_rng};

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
