//! The simulation plan: a validated scenario resolved into the numbers the replicate loop uses.

use crate::analysis::critical::TCritical;
use crate::analysis::dunnett::DunnettCritical;
use crate::engine::calibration::record::Calibration;
use crate::error::ScenarioError;
use crate::model::biomarker::Assay;
use crate::model::intervention::Exposure;
use crate::model::outcome::OutcomeModel;
use crate::model::outcome::count::{CountModel, CountSampler};
use crate::model::population::{Acceptance, Filters, MgStatus};
use crate::model::response::ResponseModelParams;
use crate::model::selection::Screening;
use crate::model::vitamin_d::VitaminDModel;
use crate::rng::{BinomialTable, QuantileTable};
use crate::scenario::comparisons::{Comparison, MarginUnit};
use crate::scenario::scales::Scale;
use crate::scenario::schema::{
    ArmKind, Direction, DoseTrend, DropoutMechanism, Hypothesis, Multiplicity, ResponderRule, Scenario, SelectionMode,
    Sided, TestKind,
};
use rand::Rng;
use std::sync::Arc;

mod missing;
mod responders;

pub use missing::{ArmSideEffects, Mechanism, MissingPlan, logistic};

/// Per-person adherence `~ Beta(mean c, (1 - mean) c)`, drawn by its quantile function from a
/// [`QuantileTable`] (one random word per person; Kolmogorov distance to the exact Beta at most
/// `1 / 4096`, and far below it where the density is smooth: see the tests). The table is built
/// once per process for each (mean, concentration) and shared by every arm and design point
/// that has them.
#[derive(Debug, Clone)]
pub struct Adherence {
    quantiles: Arc<QuantileTable>,
}

impl Adherence {
    /// `mean` in (0, 1), `concentration` > 0 (validated).
    pub fn new(mean: f64, concentration: f64) -> Adherence {
        static CACHE: crate::numeric::Memo<(u64, u64), Arc<QuantileTable>> = crate::numeric::Memo::new();
        let quantiles = crate::numeric::memoized(&CACHE, (mean.to_bits(), concentration.to_bits()), |_| {
            let (a, b) = (mean * concentration, (1.0 - mean) * concentration);
            // Each node starts from the one before it (nodes come in rising probability).
            let mut last = None;
            Arc::new(QuantileTable::new(|u| {
                let x = crate::numeric::beta_quantile_near(a, b, u, last);
                last = Some(x);
                x
            }))
        });
        Adherence { quantiles }
    }

    #[inline(always)]
    pub fn sample<R: Rng>(&self, rng: &mut R) -> f64 {
        self.quantiles.sample(rng)
    }

    /// The table the draws come from.
    pub fn quantiles(&self) -> &QuantileTable {
        &self.quantiles
    }
}

/// An active arm's share of a person's deficit repleted by the end of the trial,
/// `(1 - exp(-t / tau)) a / (a + A50)` at absorbed dose `a = bioavailability x dose x
/// adherence` (see `model::response`).
#[derive(Debug, Clone)]
pub enum Repletion {
    /// Adherence is the same for everyone, and so is the repleted share.
    Same(f64),
    /// Adherence varies: the share is drawn by its quantile function, the adherence table with
    /// the (increasing) repleted share applied to every node, so one random word gives both
    /// (the table's error bound carries over unchanged: see [`QuantileTable::map`]).
    Varies(Arc<QuantileTable>),
}

impl Repletion {
    /// The arm's repleted share when its participants take `adherence_factor` of the doses
    /// their adherence says (1: as drawn; below 1: those whose side effects make them skip doses).
    fn of_arm(
        response: &ResponseModelParams,
        exposure: &Exposure,
        adherence: Option<&Adherence>,
        adherence_factor: f64,
    ) -> Repletion {
        let absorbed_per_adherence = exposure.absorbed_at_full_adherence_mg_per_day() * adherence_factor;
        let Some(adherence) = adherence else {
            return Repletion::Same(response.repleted_fraction(absorbed_per_adherence * exposure.adherence_mean));
        };
        static CACHE: crate::numeric::Memo<[u64; 4], Arc<QuantileTable>> = crate::numeric::Memo::new();
        let key = [
            std::ptr::from_ref(adherence.quantiles()) as u64,
            absorbed_per_adherence.to_bits(),
            response.a50_mg_per_day.to_bits(),
            response.time_factor.to_bits(),
        ];
        // The adherence table lives as long as the process (memoized), so its address is a key.
        Repletion::Varies(crate::numeric::memoized(&CACHE, key, |_| {
            Arc::new(adherence.quantiles().map(|adh| response.repleted_fraction(absorbed_per_adherence * adh)))
        }))
    }

    #[inline(always)]
    pub fn sample<R: Rng>(&self, rng: &mut R) -> f64 {
        match self {
            Repletion::Same(share) => *share,
            Repletion::Varies(table) => table.sample(rng),
        }
    }

    /// The repleted share and the adherence that gives it, from one random word (`adherence`:
    /// the arm's, `mean` when it does not vary).
    #[inline(always)]
    pub fn sample_with_adherence<R: Rng>(&self, rng: &mut R, adherence: Option<&Adherence>, mean: f64) -> (f64, f64) {
        match (self, adherence) {
            (Repletion::Varies(table), Some(adherence)) => {
                let bits = rng.next_u64();
                (table.at_bits(bits), adherence.quantiles().at_bits(bits))
            }
            _ => (self.sample(rng), mean),
        }
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
    /// The repleted share of the deficit, when the arm takes Mg.
    pub repletion: Option<Repletion>,
    /// The arm's number of dropouts, Binomial(`n_target`, `dropout`); `None` when `dropout` is 0.
    pub dropouts: Option<BinomialTable>,
    /// A comparator's own effect, independent of Mg status.
    pub comparator: Option<ComparatorEffect>,
    /// Added to every participant's benefit (engine units): 0, except in the tested arm of a
    /// trial's twin at a non-inferiority margin ([`DecidingTwin`]).
    pub benefit_offset: f64,
    /// GI side effects, for an Mg arm under `[side_effects]` whose risk is above 0.
    pub side_effects: Option<ArmSideEffects>,
    /// Dropout at random given the baseline: the intercept that keeps the arm's rate
    /// ([`Mechanism::BaselineSeverity`]).
    pub dropout_logit: f64,
    /// A combination product's effect that does not go through Mg (engine units, at full
    /// adherence): each participant's is this times their adherence; 0 without one.
    pub independent_benefit: f64,
    /// The arm also gives vitamin D (Mg + vitamin D), repleting it.
    pub repletes_vitamin_d: bool,
}

/// The prices of `[costs]` that apply to a design (validated: each one its design uses is given).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CostPlan {
    /// Per person screened: the first-stage assay's price, 0 when nobody is tested to enter
    /// (all comers).
    pub per_screened: f64,
    pub per_confirmatory_test: f64,
    pub per_vitamin_d_test: f64,
    /// Per randomized participant: enrolment and the weeks of the trial.
    pub per_enrolled: f64,
}

impl CostPlan {
    fn of(s: &Scenario, c: &crate::scenario::schema::Costs) -> CostPlan {
        let tested = crate::scenario::validate::costs::assay_read_at_entry(s);
        let weeks = if s.response.model == crate::scenario::schema::ResponseModel::Acute {
            0.0
        } else {
            s.design.duration_weeks
        };
        CostPlan {
            per_screened: if tested { c.per_screened.of(s.biomarker.kind).unwrap_or(0.0) } else { 0.0 },
            per_confirmatory_test: if s.selection.mode == SelectionMode::TwoStage {
                c.per_confirmatory_test.of(s.confirmation.kind).unwrap_or(0.0)
            } else {
                0.0
            },
            per_vitamin_d_test: c.per_vitamin_d_test.unwrap_or(0.0),
            per_enrolled: c.per_enrolled + c.per_participant_week.unwrap_or(0.0) * weeks,
        }
    }

    /// The part of a trial's cost that varies from trial to trial: the screened, and the
    /// confirmatory and vitamin D tests. (Kept apart from the fixed part, so that the SE of a
    /// cost that does not vary is exactly 0.)
    pub fn variable_of_trial(&self, screened: u64, confirmatory: u64, vitamin_d: u64) -> f64 {
        self.per_screened * screened as f64
            + self.per_confirmatory_test * confirmatory as f64
            + self.per_vitamin_d_test * vitamin_d as f64
    }

    /// The part every trial of the design pays: enrolment and weeks of `enrolled` participants.
    pub fn fixed_per_trial(&self, enrolled: u32) -> f64 {
        self.per_enrolled * f64::from(enrolled)
    }
}

/// A comparator's effect: `full_dose_benefit` (engine units: outcome units, or `-ln` rate
/// ratio) times each person's adherence, drawn from the arm's [`Adherence`] when it varies.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ComparatorEffect {
    pub full_dose_benefit: f64,
    pub adherence_mean: f64,
}

impl ArmPlan {
    /// An Mg arm's mean adherence (1 for an arm that takes no Mg).
    pub(crate) fn adherence_mean(&self) -> f64 {
        self.exposure.map_or(1.0, |e| e.adherence_mean)
    }

    /// The share of the arm expected to drop out completely at random or for side effects:
    /// `1 - (1 - dropout) (1 - p q)`, `p` the chance of side effects and `q` of dropping out
    /// with them.
    pub fn expected_dropout(&self) -> f64 {
        let from_side_effects = self.side_effects.as_ref().map_or(0.0, |se| se.probability * se.dropout_if_affected);
        if from_side_effects == 0.0 { self.dropout } else { 1.0 - (1.0 - self.dropout) * (1.0 - from_side_effects) }
    }

    /// Whether every participant of the arm has the same benefit, whatever their Mg status:
    /// placebo, a comparator whose adherence does not vary, or an Mg arm without Mg status.
    pub(crate) fn benefit_is_constant(&self) -> bool {
        self.comparator.is_none() || self.adherence.is_none()
    }

    /// `benefit` with the arm's offset (only the tested arm of a twin at a margin has one).
    #[inline(always)]
    pub(crate) fn offset(&self, benefit: f64) -> f64 {
        if self.benefit_offset != 0.0 { benefit + self.benefit_offset } else { benefit }
    }

    /// Every participant's benefit in an arm whose benefit is constant
    /// ([`ArmPlan::benefit_is_constant`]; an Mg arm without Mg status).
    pub(crate) fn constant_benefit(&self, response: &ResponseModelParams) -> f64 {
        self.offset(match &self.comparator {
            _ if self.is_active => response.benefit(0.0, 0.0, false),
            Some(c) => c.full_dose_benefit * c.adherence_mean,
            None => 0.0,
        })
    }

    /// The benefit of a participant of a comparator arm (one draw of adherence when it varies).
    #[inline(always)]
    pub(crate) fn comparator_benefit<R: Rng>(&self, c: &ComparatorEffect, rng: &mut R) -> f64 {
        match &self.adherence {
            Some(adherence) => c.full_dose_benefit * adherence.sample(rng),
            None => c.full_dose_benefit * c.adherence_mean,
        }
    }

    /// The expected benefit of a participant of a comparator or placebo arm (engine units; for
    /// counts the mean of `-ln` rate ratio); `None` for an Mg arm.
    pub(crate) fn expected_own_benefit(&self) -> Option<f64> {
        if self.is_active {
            return None;
        }
        Some(self.comparator.map_or(0.0, |c| c.full_dose_benefit * c.adherence_mean) + self.benefit_offset)
    }
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
    /// The placebo arm, if the trial has one.
    pub placebo: Option<usize>,
    /// The comparisons, in order (every Mg arm against placebo unless the scenario lists them).
    pub comparisons: Vec<Comparison>,
    /// One twin per non-inferiority or equivalence comparison, at its margin, and for a
    /// crossover the parallel design with the same number of people ([`DecidingTwin`]).
    pub deciding_twins: Vec<DecidingTwin>,
    /// The crossover, when the trial is one.
    pub crossover: Option<CrossoverPlan>,
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
    /// Several comparisons with placebo: how they are adjusted, and their families.
    pub multiplicity: Option<MultiplicityPlan>,
    /// The power that precision control and sample-size searches judge (`--power-of`).
    pub power_of: PowerOf,
    /// The dose-trend contrast over all arms, when `analysis.dose_trend` asks for it.
    pub dose_trend: Option<DoseTrendPlan>,
    /// A twin of a trial (which makes no twins of its own, nor rows at a margin).
    pub(crate) is_twin: bool,
    /// The vitamin D co-deficiency, when modelled (with a prevalence above 0).
    pub vitamin_d: Option<VitaminDModel>,
    /// The prices of `[costs]`, resolved for this design; `None` without it.
    pub costs: Option<CostPlan>,
    /// Informative dropout or the baseline carried forward; `None`: dropout completely at random
    /// and complete cases, the usual loops.
    pub missing: Option<MissingPlan>,
    /// Whether anything reads the screening assay: selection, strata, or the reading at the end
    /// (which the acute response and a crossover do not report). Without, an all-comers trial
    /// draws true status alone.
    pub reads_assay: bool,
    /// Under `[uncertainty]`: the plan of each draw of the uncertain values, which the engine
    /// simulates in this plan's stead (this plan is the central design, at the priors' medians).
    pub draws: Option<DrawnPlans>,
}

/// The plans of the draws of `[uncertainty]` (see `scenario::prior`): draw `k` holds for
/// replicates `k trials_per_draw ..`, and `build(k)` makes its plan.
#[derive(Clone)]
pub struct DrawnPlans {
    /// A multiple of the engine's chunk.
    pub trials_per_draw: u64,
    /// Every draw is the same (point masses without a chance of no effect): the trials are
    /// independent, as without `[uncertainty]`.
    pub identical: bool,
    pub build: std::sync::Arc<dyn Fn(u64) -> Result<Plan, String> + Send + Sync>,
}

impl std::fmt::Debug for DrawnPlans {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DrawnPlans {{ trials_per_draw: {} }}", self.trials_per_draw)
    }
}

impl DrawnPlans {
    /// The draw that replicate `rep` belongs to.
    pub fn draw_of(&self, rep: u64) -> u64 {
        rep / self.trials_per_draw
    }
}

/// The dose-trend test: a contrast of the arms' adjusted means in one ANCOVA.
#[derive(Debug, Clone, PartialEq)]
pub struct DoseTrendPlan {
    /// Per arm (placebo included): `c_a = n_a (d_a - dbar) / sum n_a (d_a - dbar)^2`, with
    /// `d_a` the arm's score (dose in 100 mg/day, or rank by dose; placebo 0), `n_a` its planned
    /// size and `dbar` their size-weighted mean. So the estimate `sum c_a mu_a` is the
    /// size-weighted least-squares slope of the arms' means on the score.
    pub contrast: Vec<f64>,
    /// What one unit of the score is (`100 mg/day`, `dose step`).
    pub per: &'static str,
}

impl DoseTrendPlan {
    fn new(s: &Scenario, arms: &[ArmPlan], scores: DoseTrend) -> DoseTrendPlan {
        let doses: Vec<f64> =
            s.arms.iter().map(|a| a.dose_mg_per_day.filter(|_| a.kind == ArmKind::Active).unwrap_or(0.0)).collect();
        let score: Vec<f64> = match scores {
            DoseTrend::Dose => doses.iter().map(|d| d / 100.0).collect(),
            DoseTrend::Rank => doses
                .iter()
                .map(|&d| if d == 0.0 { 0.0 } else { doses.iter().filter(|&&e| e > 0.0 && e <= d).count() as f64 })
                .collect(),
        };
        let n: Vec<f64> = arms.iter().map(|a| f64::from(a.n_target)).collect();
        let total: f64 = n.iter().sum();
        let mean = score.iter().zip(&n).map(|(d, n)| d * n).sum::<f64>() / total;
        let spread: f64 = score.iter().zip(&n).map(|(d, n)| n * (d - mean).powi(2)).sum();
        let contrast = score.iter().zip(&n).map(|(d, n)| n * (d - mean) / spread).collect();
        DoseTrendPlan { contrast, per: if scores == DoseTrend::Dose { "100 mg/day" } else { "dose step" } }
    }
}

/// The power that `--precision` and `sample-size` judge, among the primary analysis's rows
/// over everyone.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum PowerOf {
    /// Each comparison with placebo: the smallest of their powers (every arm must reach it).
    #[default]
    Each,
    /// At least one comparison rejected (disjunctive power).
    AnyComparison,
    /// Every comparison rejected (conjunctive power).
    EveryComparison,
    /// The comparison of this index.
    Comparison(usize),
}

impl Plan {
    /// The name of comparison `k` for `--power-of`: its arm's name when the arm is tested in no
    /// other comparison, else `ARM_vs_AGAINST`.
    pub fn comparison_name(&self, k: usize) -> String {
        let c = &self.comparisons[k];
        let name = &self.arms[c.arm].name;
        if self.comparisons.iter().filter(|o| o.arm == c.arm).count() == 1 {
            name.clone()
        } else {
            format!("{name}_vs_{}", self.arms[c.against].name)
        }
    }

    /// Judges `power_of` (`each`, `any_comparison`, `every_comparison`, or a comparison's name,
    /// [`Plan::comparison_name`]); the message names the allowed values.
    pub fn judging(&mut self, power_of: &str) -> Result<(), String> {
        let names: Vec<String> = (0..self.comparisons.len()).map(|k| self.comparison_name(k)).collect();
        let allowed = || {
            let mut v = vec!["each".to_string()];
            if self.multiplicity.is_some() {
                v.extend(["any_comparison".to_string(), "every_comparison".to_string()]);
            }
            v.extend(names.iter().cloned());
            v.join(", ")
        };
        self.power_of = match power_of {
            "each" => PowerOf::Each,
            "any_comparison" | "every_comparison" if self.multiplicity.is_none() => {
                return Err(format!(
                    "--power-of {power_of}: the family's rows exist with several comparisons and \
                     analysis.multiplicity; allowed values here are {}",
                    allowed()
                ));
            }
            "any_comparison" => PowerOf::AnyComparison,
            "every_comparison" => PowerOf::EveryComparison,
            name => match names.iter().position(|n| n == name) {
                Some(k) => PowerOf::Comparison(k),
                None => return Err(format!("--power-of {name}: allowed values are {}", allowed())),
            },
        };
        Ok(())
    }

    /// Whether `slot` is one of the rows that [`Plan::power_of`] judges.
    pub fn judged(&self, slot: &Slot) -> bool {
        if slot.test != self.test || slot.subgroup != Subgroup::All {
            return false;
        }
        match self.power_of {
            PowerOf::Each => slot.role == SlotRole::Comparison,
            PowerOf::AnyComparison => slot.role == SlotRole::AnyComparison,
            PowerOf::EveryComparison => slot.role == SlotRole::EveryComparison,
            PowerOf::Comparison(k) => slot.role == SlotRole::Comparison && slot.comparison == k,
        }
    }
}

/// The multiplicity procedure of a trial with several comparisons with placebo.
#[derive(Debug, Clone)]
pub struct MultiplicityPlan {
    pub procedure: Multiplicity,
    /// Dunnett's critical values, from the arms' expected completers.
    pub dunnett: Option<DunnettCritical>,
    /// The families of comparisons adjusted together: one per analysis and subgroup.
    pub families: Vec<Family>,
    /// Critical values of the levels `alpha / k`, `k` = 1..=comparisons (halved two-sided),
    /// for deciding `p < alpha / k` from a statistic.
    pub levels: Vec<TCritical>,
    /// The design under the global null (no arm has any effect), simulated beside each trial
    /// from the same random streams, for the family-wise error rate of the superiority
    /// comparisons; `None` in that twin, without superiority comparisons, and under
    /// `analysis.report_family_wise_error = false`.
    pub global_null: Option<Twin>,
}

/// A trial's twin: the same design with other truths, simulated beside each trial from the
/// same random streams, whose arms that do not change are copied from the trial, not drawn.
#[derive(Debug, Clone)]
pub struct Twin {
    pub plan: Box<Plan>,
    /// Per arm, whether the twin draws it again (a stratified trial, whose arms share one
    /// stream, draws every arm again whatever this says).
    pub redrawn: Vec<bool>,
}

/// A twin whose decisions are rows of the trial:
/// - at the margin of a non-inferiority or equivalence comparison: the tested arm is given the
///   treatment of the arm it is compared with, shifted to be worse by exactly the margin (in
///   outcome units on a scale, as a rate ratio on counts), so that its rejections are the type I
///   error at the margin (at the lower margin, for equivalence);
/// - of a crossover: the parallel design with the same number of people, so that its rejections are the
///   power of that design.
#[derive(Debug, Clone)]
pub struct DecidingTwin {
    pub twin: Twin,
    /// `(row of the trial, row of the twin)`: each row the twin decides and the comparison's row
    /// in the twin whose decision it counts.
    pub rows: Vec<(usize, usize)>,
}

/// A crossover's two periods, resolved (see [`crate::scenario::schema::Crossover`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CrossoverPlan {
    /// The Mg arm: its participants are the Mg-first sequence (AB), the control arm's the
    /// Mg-second sequence (BA).
    pub mg_arm: usize,
    /// Share of a person's period-1 benefit still present at the end of period 2 (sequence AB):
    /// stated, or under repletion `exp(-(washout + duration) / tau)`.
    pub carryover: f64,
    /// Change of every score in period 2 against period 1, in the scale's own direction.
    pub period_shift: f64,
    /// Each arm's own dropout in its period (the arms' `dropout` is the crossover's: a person
    /// lost in either period).
    pub period_dropout: [f64; 2],
}

impl CrossoverPlan {
    fn new(s: &Scenario, c: &crate::scenario::schema::Crossover, benefit_sign: f64, arms: &[ArmPlan]) -> CrossoverPlan {
        CrossoverPlan {
            period_dropout: [arms[0].dropout, arms[1].dropout],
            mg_arm: s.arms.iter().position(|a| a.kind == ArmKind::Active).expect("validated: an Mg arm"),
            carryover: match c.carryover_fraction {
                Some(f) => f,
                None => {
                    let washout = c.washout_weeks.expect("validated: the repletion response's washout");
                    (-(washout + s.design.duration_weeks) / s.response.tau_weeks).exp()
                }
            },
            period_shift: benefit_sign * c.period_effect.unwrap_or(0.0),
        }
    }

    /// Probability that a participant completes both periods: a dropout in either period loses
    /// the person, whose period difference is then missing.
    fn completion(&self) -> f64 {
        self.period_dropout.iter().map(|d| 1.0 - d).product()
    }
}

/// Comparisons adjusted together (the same analysis in the same subgroup), with the rows that
/// summarize them.
#[derive(Debug, Clone)]
pub struct Family {
    pub test: TestKind,
    pub subgroup: Subgroup,
    /// Slots of the comparisons, in arm order.
    pub members: Vec<usize>,
    /// Slots of the family's rows ([`SlotRole`]), for everyone analysed only.
    pub any: Option<usize>,
    pub every: Option<usize>,
    /// With the twin: this row's slot, and the twin's slots of the family's superiority
    /// comparisons (at least one of them rejected is a family-wise error).
    pub under_global_null: Option<(usize, Vec<usize>)>,
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
    /// The quantile tables this plan's trials draw from (screening readings, adherence), by
    /// address: plans with the same threshold or adherence share them, so a run holds each
    /// distinct table once.
    pub(crate) fn table_addresses(&self) -> impl Iterator<Item = usize> + '_ {
        let screening = self.screening.iter().flat_map(|s| s.tables());
        let adherence = self.arms.iter().filter_map(|a| a.adherence.as_ref().map(Adherence::quantiles));
        let repletion = self.arms.iter().filter_map(|a| match &a.repletion {
            Some(Repletion::Varies(table)) => Some(&**table),
            _ => None,
        });
        screening.chain(adherence).chain(repletion).map(|t| std::ptr::from_ref(t) as usize)
    }
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
        let counts_outcome = s.outcome.count.is_some();
        let arms: Vec<ArmPlan> = s
            .arms
            .iter()
            .enumerate()
            .map(|(i, a)| {
                let exposure = Exposure::of_arm(s, i);
                let comparator = (a.kind == ArmKind::Comparator).then(|| ComparatorEffect {
                    full_dose_benefit: match (a.effect, a.rate_ratio, a.responder_percent) {
                        (_, Some(rr), _) if counts_outcome => -rr.ln(),
                        (Some(effect), _, _) => effect,
                        // Solved below, once the outcome model is known.
                        (_, _, Some(_)) => f64::NAN,
                        _ => unreachable!("validated: a comparator states its effect"),
                    },
                    adherence_mean: a.adherence_mean(),
                });
                let takes_doses = exposure.is_some() || comparator.is_some();
                let adherence = takes_doses
                    .then(|| (a.adherence_mean(), a.adherence_concentration))
                    .filter(|&(m, _)| m > 0.0 && m < 1.0)
                    .map(|(m, c)| Adherence::new(m, c));
                ArmPlan {
                    comparator,
                    benefit_offset: 0.0,
                    name: a.name.clone(),
                    is_active: a.kind == ArmKind::Active,
                    n_target: a
                        .n
                        .unwrap_or_else(|| a.allocation.unwrap_or(1) * s.design.n_per_arm.expect("validated: a size")),
                    allocation: a.n.map_or(a.allocation.unwrap_or(1), |n| n / gcd),
                    dropout: a.dropout.unwrap_or(match a.kind {
                        ArmKind::Placebo => s.dropout.placebo,
                        ArmKind::Active => s.dropout.active,
                        // Validated: a comparator states its dropout, unless its improvement decides it
                        // (then placebo's rate is every arm's).
                        ArmKind::Comparator => s.dropout.placebo,
                    }),
                    exposure,
                    adherence,
                    repletion: None,
                    dropouts: None,
                    side_effects: None,
                    dropout_logit: 0.0,
                    repletes_vitamin_d: a.vitamin_d == Some(true),
                    independent_benefit: match (a.independent_effect, a.independent_rate_ratio) {
                        (_, Some(rr)) if counts_outcome => -rr.ln(),
                        (Some(effect), _) if !counts_outcome => effect,
                        _ => 0.0,
                    },
                }
            })
            .collect();
        let placebo = s.arms.iter().position(|a| a.kind == ArmKind::Placebo);
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
            None => crate::scenario::scales::resolve_in(s).expect("validated outcome"),
        };
        let outcome = OutcomeModel::new(&scale);
        let reject_tail = match s.analysis.sided {
            Sided::Two => s.analysis.alpha / 2.0,
            Sided::One => s.analysis.alpha,
        };
        let counts = count.is_some();
        let response = ResponseModelParams::new(&s.response, s.design.duration_weeks, counts);
        let mut arms = arms;
        for (arm, spec) in arms.iter_mut().zip(&s.arms) {
            if let (Some(c), Some(percent)) = (&mut arm.comparator, spec.responder_percent) {
                let rule = responder_plan(s, &scale);
                let target = responders::Solve::FullDose { target: percent / 100.0 };
                c.full_dose_benefit =
                    responders::solve(&outcome, &rule, arm.adherence.as_ref(), c.adherence_mean, target).ok_or_else(
                        || {
                            invalid(
                                &format!("arms.{}.responder_percent", spec.name),
                                format!(
                                    "no effect within {span} SDs either way gives {percent}% responders \
                                     among the comparator's completers on this scale and rule: check the percentage \
                                     and analysis.responder",
                                    span = responders::SPAN_SDS
                                ),
                            )
                        },
                    )?;
            }
        }
        let crossover = s.crossover.as_ref().map(|c| CrossoverPlan::new(s, c, outcome.benefit_sign, &arms));
        if let Some(x) = &crossover {
            for arm in &mut arms {
                arm.dropout = 1.0 - x.completion();
            }
        }
        // Dropout by lack of improvement: one chance at each improvement, set by placebo's rate,
        // so with no dependence (odds ratio 1) every arm loses placebo's share.
        if s.dropout.mechanism == DropoutMechanism::NoImprovement
            && let Some(p) = placebo
        {
            let rate = arms[p].dropout;
            for arm in &mut arms {
                arm.dropout = rate;
            }
        }
        for (arm, spec) in arms.iter_mut().zip(&s.arms) {
            arm.dropouts = (arm.dropout > 0.0).then(|| BinomialTable::new(arm.n_target, arm.dropout));
            arm.repletion = arm.exposure.map(|e| Repletion::of_arm(&response, &e, arm.adherence.as_ref(), 1.0));
            arm.side_effects = s.side_effects.as_ref().and_then(|se| {
                let probability = side_effect_probability(se, spec)?;
                (probability > 0.0).then(|| ArmSideEffects {
                    probability,
                    dropout_if_affected: se.dropout_if_affected,
                    adherence_factor: se.adherence_factor_if_affected,
                    repletion_if_affected: arm.exposure.map(|e| {
                        Repletion::of_arm(&response, &e, arm.adherence.as_ref(), se.adherence_factor_if_affected)
                    }),
                })
            });
        }
        let mechanism = Mechanism::of(s, &outcome, placebo.map_or(0.0, |p| arms[p].dropout));
        if let Mechanism::BaselineSeverity { log_odds_per_sd } = mechanism {
            for arm in &mut arms {
                arm.dropout_logit = missing::logit_for_rate(arm.dropout, log_odds_per_sd);
            }
        }
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
            comparisons: crate::scenario::comparisons::resolved(s),
            deciding_twins: Vec::new(),
            crossover,
            response,
            baseline_level_matters: analyses.contains(&TestKind::Ancova)
                || outcome.is_nonlinear()
                || responder.is_some()
                || matches!(mechanism, Mechanism::BaselineSeverity { .. }),
            missing: MissingPlan::of(s, mechanism),
            vitamin_d: s.vitamin_d.as_ref().zip(mg.as_ref()).and_then(|(v, m)| VitaminDModel::new(v, m)),
            costs: s.costs.as_ref().map(|c| CostPlan::of(s, c)),
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
            multiplicity: None,
            power_of: PowerOf::Each,
            dose_trend: None,
            is_twin: false,
            reads_assay: s.end_reading_unreported().is_none()
                || s.selection.mode != SelectionMode::AllComers
                || by_stratum,
            draws: None,
            screening: mg.as_ref().map(|m| {
                let first_stage = matches!(s.selection.mode, SelectionMode::Enrich | SelectionMode::TwoStage);
                Screening::new(m, &assay, first_stage.then_some(threshold), confirmation)
            }),
            prob_deficient: mg.as_ref().map_or(0.0, |m| m.prob_deficient()),
            mg,
            assay,
            arms,
        };
        // One comparison has nothing to adjust, one Mg arm no trend (the fields are inert
        // there, see `inert.rs`).
        let several = plan.comparisons.len() >= 2;
        // A vitamin D test must leave enough people to enrol, as a threshold must.
        let vitamin_d_test = plan.vitamin_d.as_ref().is_some_and(|v| v.selection.is_some());
        if let Some(mg) = plan.mg.as_ref().filter(|_| vitamin_d_test) {
            let p = mg.integrate(&plan.selection_filters(), f64::INFINITY, |_| 1.0);
            let min = s.selection.min_enrolment_probability;
            if p < min {
                return Err(invalid(
                    "vitamin_d.enrol",
                    format!(
                        "the vitamin D test {}enrols {:.2e} of those screened ({:.0} screened per enrolled), below \
                         selection.min_enrolment_probability = {min}: check vitamin_d.deficiency_prevalence and the \
                         test's accuracy",
                        if plan.mode == SelectionMode::AllComers { "" } else { "with the Mg selection " },
                        p,
                        1.0 / p
                    ),
                ));
            }
        }
        let mg_arms = plan.active_arms().count() >= 2;
        plan.dose_trend = s.analysis.dose_trend.filter(|_| mg_arms).map(|t| DoseTrendPlan::new(s, &plan.arms, t));
        plan.multiplicity = s.analysis.multiplicity.filter(|_| several).map(|m| plan.multiplicity_plan(m));
        plan.slots = plan.build_slots();
        plan.set_families();
        for k in 0..plan.comparisons.len() {
            let twins = plan.margin_twins(k).map_err(|(f, m)| invalid(&f, m))?;
            plan.deciding_twins.extend(twins);
        }
        if plan.crossover.is_some() {
            let twin = plan.parallel_twin(file)?;
            plan.deciding_twins.push(twin);
        }
        Ok(plan)
    }

    /// The parallel design with the same number of people as this crossover: its arms as parallel arms of
    /// the same sizes, each with its own dropout, analysed as parallel arms are.
    fn parallel_twin(&self, file: &str) -> Result<DecidingTwin, ScenarioError> {
        let mut parallel = self.scenario.clone();
        parallel.crossover = None;
        // On an unbounded scale the crossover needs no placebo response (it cancels), nor do
        // parallel arms compared with each other.
        if parallel.outcome.count.is_none() && parallel.outcome.placebo_improvement.is_none() {
            parallel.outcome.placebo_improvement = Some(0.0);
        }
        let mut twin = Plan::resolved(&parallel, file)?;
        twin.is_twin = true;
        let rows = self.decided_rows(&twin, |slot| slot.role == SlotRole::ParallelSameN);
        let redrawn = vec![true; self.arms.len()];
        Ok(DecidingTwin { twin: Twin { plan: Box::new(twin), redrawn }, rows })
    }

    /// The margin unit whose shift a twin can set exactly: outcome units on a scale, a rate
    /// ratio on counts (the at-margin rows are those of the analyses reading it).
    pub(crate) fn shifted_margin_unit(&self) -> MarginUnit {
        if self.count.is_some() { MarginUnit::RateRatio } else { MarginUnit::Outcome }
    }

    /// The unit of comparison `c`'s margin that a twin can set for `test`, if it has a row at its
    /// margin: the shifted unit ([`Plan::shifted_margin_unit`]); or, on a scale, responder
    /// points, when the reference's benefit does not depend on Mg status (placebo, a comparator),
    /// so that the shift moving its responder share by the margin can be solved.
    fn margin_row_unit(&self, c: &Comparison, test: TestKind) -> Option<MarginUnit> {
        if self.is_twin || c.hypothesis == Hypothesis::Superiority {
            return None;
        }
        match MarginUnit::of(test)? {
            unit if unit == self.shifted_margin_unit() => Some(unit),
            MarginUnit::ResponderPoints if self.count.is_none() && !self.arms[c.against].is_active => {
                Some(MarginUnit::ResponderPoints)
            }
            _ => None,
        }
    }

    /// Whether comparison `c` analysed by `test` has a row at its margin.
    fn has_margin_row(&self, c: &Comparison, test: TestKind) -> bool {
        self.margin_row_unit(c, test).is_some()
    }

    /// The twins of comparison `k` at its margin (see [`DecidingTwin`]), one per margin unit a
    /// twin can set (none for superiority). A responder margin whose shift cannot be solved
    /// (a share the scale cannot reach) is an error naming the field.
    fn margin_twins(&self, k: usize) -> Result<Vec<DecidingTwin>, (String, String)> {
        let c = self.comparisons[k].clone();
        let mut twins = Vec::new();
        for unit in [self.shifted_margin_unit(), MarginUnit::ResponderPoints] {
            let Some(test) = self.analyses.iter().copied().find(|&t| self.margin_row_unit(&c, t) == Some(unit)) else {
                continue;
            };
            let reference = &self.arms[c.against];
            let shift = match unit {
                MarginUnit::ResponderPoints => {
                    let (full_dose, adherence_mean) =
                        reference.comparator.map_or((0.0, 1.0), |r| (r.full_dose_benefit, r.adherence_mean));
                    let what = responders::Solve::LowerBy {
                        full_dose,
                        shift0: reference.benefit_offset,
                        points: c.margin_for(test),
                    };
                    let rule = self.responder.expect("a responder analysis has its rule");
                    responders::solve(&self.outcome, &rule, reference.adherence.as_ref(), adherence_mean, what)
                        .ok_or_else(|| {
                            (
                                format!("analysis.comparisons[{k}].margin_responder_points"),
                                format!(
                                    "no shift of {}'s benefit lowers its responder share by {} points on this scale \
                                     and rule: check the margin",
                                    reference.name,
                                    100.0 * c.margin_for(test)
                                ),
                            )
                        })?
                }
                _ => -c.margin_for(test),
            };
            let twin = self.twin(|twin| {
                if let Some(m) = &mut twin.multiplicity {
                    m.global_null = None;
                }
                let tested = &mut twin.arms[c.arm];
                tested.is_active = reference.is_active;
                tested.exposure = reference.exposure;
                tested.adherence = reference.adherence.clone();
                tested.repletion = reference.repletion.clone();
                tested.comparator = reference.comparator;
                tested.benefit_offset = reference.benefit_offset + shift;
                // Everything else the reference's benefit depends on (its side effects cut
                // adherence, and add their dropout); otherwise the tested arm keeps its dropout.
                tested.repletes_vitamin_d = reference.repletes_vitamin_d;
                tested.independent_benefit = reference.independent_benefit;
                tested.side_effects = reference.side_effects.clone();
            });
            let rows = self.decided_rows(&twin, |slot| {
                slot.role == SlotRole::AtMargin && slot.comparison == k && MarginUnit::of(slot.test) == Some(unit)
            });
            let redrawn = (0..self.arms.len()).map(|a| a == c.arm).collect();
            twins.push(DecidingTwin { twin: Twin { plan: Box::new(twin), redrawn }, rows });
        }
        Ok(twins)
    }

    /// The rows of this plan that `decides` picks, each with the row of `twin` whose decision it
    /// counts: the same comparison by the same analysis, over everyone.
    fn decided_rows(&self, twin: &Plan, decides: impl Fn(&Slot) -> bool) -> Vec<(usize, usize)> {
        let rows = self.slots.iter().enumerate().filter(|(_, slot)| decides(slot));
        rows.map(|(j, slot)| {
            let in_twin = twin
                .slots
                .iter()
                .position(|t| {
                    t.role == SlotRole::Comparison
                        && t.comparison == slot.comparison
                        && t.test == slot.test
                        && t.subgroup == Subgroup::All
                })
                .expect("the twin makes every comparison");
            (j, in_twin)
        })
        .collect()
    }

    /// A twin of this plan with `truth` changed: only the rows over everyone (no strata rows, no
    /// trend), and no twins or rows at a margin of its own.
    fn twin(&self, truth: impl FnOnce(&mut Plan)) -> Plan {
        let mut twin = self.clone();
        twin.is_twin = true;
        twin.by_stratum = false;
        twin.dose_trend = None;
        twin.deciding_twins = Vec::new();
        truth(&mut twin);
        twin.slots = twin.build_slots();
        twin.set_families();
        twin
    }

    /// The multiplicity plan of `procedure`: Dunnett's critical values from the arms' expected
    /// completers, and the global-null twin (this plan with no effect in any arm).
    fn multiplicity_plan(&self, procedure: Multiplicity) -> MultiplicityPlan {
        let completers = |a: &ArmPlan| f64::from(a.n_target) * (1.0 - a.dropout);
        let dunnett = (procedure == Multiplicity::Dunnett).then(|| {
            let sizes: Vec<f64> = self.comparisons.iter().map(|c| completers(&self.arms[c.arm])).collect();
            DunnettCritical::new(
                &sizes,
                completers(&self.arms[self.placebo.expect("validated: Dunnett's test has a placebo arm")]),
                self.scenario.analysis.alpha,
                self.two_sided(),
                self.total_enrolled() as usize,
            )
        });
        let comparisons = self.comparisons.len();
        let levels: Vec<TCritical> = (1..=comparisons)
            .map(|k| {
                let level = self.scenario.analysis.alpha / k as f64;
                TCritical::shared(if self.two_sided() { level / 2.0 } else { level })
            })
            .collect();
        // The twin needs only the families' rows over everyone: no strata rows, no trend.
        let superiority = self.comparisons.iter().any(|c| c.hypothesis == Hypothesis::Superiority);
        let report = self.scenario.analysis.report_family_wise_error.unwrap_or(true);
        let twin = (report && superiority && !self.is_twin).then(|| {
            let twin = self.twin(|twin| {
                twin.response = self.response.null();
                for arm in &mut twin.arms {
                    arm.comparator = arm.comparator.map(|c| ComparatorEffect { full_dose_benefit: 0.0, ..c });
                    arm.benefit_offset = 0.0;
                    arm.independent_benefit = 0.0;
                }
                twin.multiplicity = Some(MultiplicityPlan {
                    procedure,
                    dunnett: dunnett.clone(),
                    families: Vec::new(),
                    levels: levels.clone(),
                    global_null: None,
                });
            });
            // Arms with no treatment (placebo) are the trial's own.
            let redrawn = self.arms.iter().map(|a| a.is_active || a.comparator.is_some()).collect();
            Twin { plan: Box::new(twin), redrawn }
        });
        MultiplicityPlan { procedure, dunnett, families: Vec::new(), levels, global_null: twin }
    }

    /// The families of the multiplicity plan, from the slots.
    fn set_families(&mut self) {
        let slots = &self.slots;
        let mut families: Vec<Family> = Vec::new();
        for (k, slot) in slots.iter().enumerate() {
            if matches!(slot.role, SlotRole::DoseTrend | SlotRole::AtMargin | SlotRole::ParallelSameN) {
                continue;
            }
            let family = match families.iter_mut().find(|f| f.test == slot.test && f.subgroup == slot.subgroup) {
                Some(f) => f,
                None => {
                    families.push(Family {
                        test: slot.test,
                        subgroup: slot.subgroup,
                        members: Vec::new(),
                        any: None,
                        every: None,
                        under_global_null: None,
                    });
                    families.last_mut().expect("just pushed")
                }
            };
            match slot.role {
                SlotRole::Comparison => family.members.push(k),
                SlotRole::AnyComparison => family.any = Some(k),
                SlotRole::EveryComparison => family.every = Some(k),
                SlotRole::AnyUnderGlobalNull => family.under_global_null = Some((k, Vec::new())),
                SlotRole::DoseTrend | SlotRole::AtMargin | SlotRole::ParallelSameN => {}
            }
        }
        if let Some(m) = &mut self.multiplicity {
            // The twin's superiority comparisons, for each family's error-rate row.
            for family in &mut families {
                if let (Some((_, members)), Some(twin)) = (&mut family.under_global_null, &m.global_null) {
                    let twin = &twin.plan;
                    *members = twin
                        .multiplicity
                        .iter()
                        .flat_map(|t| &t.families)
                        .find(|f| f.test == family.test && f.subgroup == family.subgroup)
                        .expect("the twin has every family over everyone")
                        .members
                        .iter()
                        .copied()
                        .filter(|&j| twin.slots[j].hypothesis == Hypothesis::Superiority)
                        .collect();
                }
            }
            m.families = families;
        }
    }

    /// The rows of a trial: per comparison, per analysis, the whole trial and, by stratum,
    /// each stratum and the interaction (and, for non-inferiority and equivalence, the row at
    /// the margin); then the families' rows and the dose trend.
    fn build_slots(&self) -> Vec<Slot> {
        let subgroups: &[Subgroup] = if self.by_stratum {
            &[Subgroup::All, Subgroup::LowStratum, Subgroup::OtherStratum, Subgroup::Interaction]
        } else {
            &[Subgroup::All]
        };
        let mut slots = Vec::new();
        for (comparison, c) in self.comparisons.iter().enumerate() {
            let (arm, reference) = (c.arm, c.against);
            for &test in &self.analyses {
                for &subgroup in subgroups {
                    // The interaction compares the strata's effects: a test of no difference.
                    let (hypothesis, margin) = match subgroup {
                        Subgroup::Interaction => (Hypothesis::Superiority, 0.0),
                        _ => (c.hypothesis, c.margin_for(test)),
                    };
                    let role = SlotRole::Comparison;
                    slots.push(Slot { comparison, arm, reference, test, subgroup, role, hypothesis, margin });
                }
                if self.crossover.is_some() {
                    let (hypothesis, margin, role) = (c.hypothesis, 0.0, SlotRole::ParallelSameN);
                    let subgroup = Subgroup::All;
                    slots.push(Slot { comparison, arm, reference, test, subgroup, role, hypothesis, margin });
                }
                if self.has_margin_row(c, test) {
                    let (hypothesis, margin, role) = (c.hypothesis, c.margin_for(test), SlotRole::AtMargin);
                    let subgroup = Subgroup::All;
                    slots.push(Slot { comparison, arm, reference, test, subgroup, role, hypothesis, margin });
                }
            }
        }
        // A family's rows, for everyone analysed: after the comparisons, so that a design with
        // one comparison keeps its rows. They stand for every arm: arm and reference are the
        // first comparison's.
        let (first_arm, first_reference) = (self.comparisons[0].arm, self.comparisons[0].against);
        let family_slot = |test, role| Slot {
            comparison: 0,
            arm: first_arm,
            reference: first_reference,
            test,
            subgroup: Subgroup::All,
            role,
            hypothesis: Hypothesis::Superiority,
            margin: 0.0,
        };
        if let Some(m) = &self.multiplicity {
            let mut roles = vec![SlotRole::AnyComparison, SlotRole::EveryComparison];
            if m.global_null.is_some() {
                roles.push(SlotRole::AnyUnderGlobalNull);
            }
            for &test in &self.analyses {
                for &role in &roles {
                    slots.push(family_slot(test, role));
                }
            }
        }
        if self.dose_trend.is_some() {
            slots.push(family_slot(TestKind::Ancova, SlotRole::DoseTrend));
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
        p.multiplicity = None;
        p.dose_trend = None;
        p.deciding_twins = Vec::new();
        p.n_strata = if p.mode == SelectionMode::Stratify { 2 } else { 1 };
        p.slots = p.build_slots();
        p
    }

    /// This plan with only the placebo arm and Mg arm `arm` (in their order), compared for
    /// superiority, so that a calibration of one comparison simulates no other arm. A two-arm
    /// plan of Mg against placebo is unchanged.
    pub(crate) fn with_placebo_and(&self, arm: usize) -> Plan {
        let mut p = self.clone();
        let placebo = self.placebo.expect("validated: a calibration has a placebo arm");
        if p.arms.len() > 2 || p.comparisons.len() != 1 || p.comparisons[0].hypothesis != Hypothesis::Superiority {
            let keep: Vec<usize> = (0..p.arms.len()).filter(|&a| a == arm || a == placebo).collect();
            p.arms = keep.iter().map(|&a| self.arms[a].clone()).collect();
            let placebo = keep.iter().position(|&a| a == placebo).expect("the placebo arm is kept");
            p.placebo = Some(placebo);
            p.comparisons = vec![Comparison {
                arm: keep.iter().position(|&a| a == arm).expect("the arm is kept"),
                against: placebo,
                hypothesis: Hypothesis::Superiority,
                margin: None,
                margin_rate_ratio: None,
                margin_responder_points: None,
            }];
            p.multiplicity = None;
            p.dose_trend = None;
            p.deciding_twins = Vec::new();
            p.slots = p.build_slots();
        }
        p
    }

    /// The statistic a row's test compares with its critical value (`t` is
    /// `estimate / se`, positive when the arm did better):
    /// - superiority: `t` one-sided, `|t|` two-sided;
    /// - non-inferiority: `(estimate + margin) / se`, one-sided;
    /// - equivalence: the smaller of the two one-sided statistics,
    ///   `(estimate + margin) / se` and `(margin - estimate) / se`.
    ///
    /// The critical value is of the tail `alpha` (one-sided) or `alpha / 2` (two-sided) for
    /// every hypothesis, so the margins' tests are one-sided at that level.
    pub fn statistic(&self, slot: &Slot, e: &crate::analysis::Estimate) -> f64 {
        match slot.hypothesis {
            Hypothesis::Superiority => {
                let t = e.t();
                if self.two_sided() { t.abs() } else { t }
            }
            Hypothesis::NonInferiority => (e.benefit + slot.margin) / e.se,
            Hypothesis::Equivalence => ((e.benefit + slot.margin) / e.se).min((slot.margin - e.benefit) / e.se),
        }
    }

    /// Whether a trial's row rejects its null at alpha, unadjusted ([`Plan::statistic`]).
    pub fn rejects(&self, slot: &Slot, e: &crate::analysis::Estimate) -> bool {
        self.reject.exceeds(self.statistic(slot, e), e.df)
    }

    /// The unit of the response's benefit: the outcome's, or for counts `-ln rate ratio`.
    pub(crate) fn effect_unit(&self) -> String {
        if self.count.is_some() { "-ln rate ratio".into() } else { self.scale.unit.clone() }
    }

    pub(crate) fn two_sided(&self) -> bool {
        self.scenario.analysis.sided == Sided::Two
    }

    /// The `(assay, threshold)` readings an enrolled person must fall below.
    pub fn selection_filters(&self) -> Filters<'_> {
        Filters {
            assays: filters(self.mode, &self.assay, self.threshold, self.confirmation.as_ref()),
            other: self.vitamin_d.as_ref().filter(|v| v.selection.is_some()).map(|v| v as &dyn Acceptance),
        }
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

/// One result row of a trial: a comparison of two arms, by one analysis, in one subgroup; or,
/// with several comparisons, a row of their family ([`SlotRole`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Slot {
    /// Index among the plan's comparisons (0 for a family's row).
    pub comparison: usize,
    /// Index of the arm tested among all arms (the first comparison's for a family's row).
    pub arm: usize,
    /// Index of the arm it is compared with.
    pub reference: usize,
    pub test: TestKind,
    pub subgroup: Subgroup,
    pub role: SlotRole,
    pub hypothesis: Hypothesis,
    /// The margin on the scale of the test's estimate of benefit (0 for superiority).
    pub margin: f64,
}

/// What a row's rejections count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlotRole {
    /// One comparison (after the multiplicity adjustment, when there is one).
    Comparison,
    /// At least one comparison of the family rejected: disjunctive power.
    AnyComparison,
    /// Every comparison rejected: conjunctive power.
    EveryComparison,
    /// At least one rejected in the trial's twin under the global null: the family-wise
    /// error rate.
    AnyUnderGlobalNull,
    /// The dose-trend contrast over all arms (not adjusted with the comparisons).
    DoseTrend,
    /// A non-inferiority or equivalence comparison rejected in the trial's twin at the margin:
    /// its type I error.
    AtMargin,
    /// A crossover's comparison rejected in the trial's twin of parallel design with the same
    /// people: that design's power.
    ParallelSameN,
}

impl SlotRole {
    /// The `comparison` cell of a family's row.
    pub fn label(self) -> Option<&'static str> {
        match self {
            SlotRole::Comparison => None,
            SlotRole::AnyComparison => Some("any_comparison"),
            SlotRole::EveryComparison => Some("every_comparison"),
            SlotRole::AnyUnderGlobalNull => Some("any_under_global_null"),
            SlotRole::DoseTrend => Some("dose_trend"),
            SlotRole::AtMargin | SlotRole::ParallelSameN => None,
        }
    }
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
            mg.integrate(&Filters::of_assays(vec![(first, t), (assay, x)]), f64::INFINITY, |_| 1.0)
                / mg.prob_reading_below(first, t)
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
            let both = mg.integrate(&Filters::of_assays(vec![(assay, threshold), (c, *t2)]), f64::INFINITY, |_| 1.0);
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

/// The probability of GI side effects in arm `spec` under `se` ([`crate::model::tolerability`]):
/// the arm's own percentage at 600 mg/day, else its formulation's override, else the default;
/// `None` for an arm that takes no Mg by mouth.
fn side_effect_probability(
    se: &crate::scenario::schema::SideEffects,
    spec: &crate::scenario::schema::Arm,
) -> Option<f64> {
    if spec.kind != ArmKind::Active {
        return None;
    }
    let dose = spec.dose_mg_per_day?;
    let percent = spec.side_effect_percent_at_600_mg.or_else(|| {
        let f = spec.formulation?;
        se.percent_at_600_mg.of(f).or_else(|| crate::model::tolerability::default_percent_at_600_mg(f))
    })?;
    Some(crate::model::tolerability::probability(percent, dose))
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
    /// shapes from 0.05 to 166.
    #[test]
    fn adherence_has_the_beta_moments() {
        let mut rng: TrialRng = stream_rng(3, 0, 0);
        for (mean, c) in [(0.83, 20.0), (0.5, 0.5), (0.9, 3.0), (0.3, 200.0), (0.5, 0.1)] {
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

    /// The adherence table's drawn distribution against the exact Beta CDF: its largest CDF
    /// error, checked at 16 points in each of the 4096 cells, is below the bound `1 / 4096` for
    /// shapes down to 0.25, and below 1e-5 where the density is bounded (both shapes above 1).
    /// (At smaller shapes most of the mass lies closer to 0 or 1 than a double can tell apart,
    /// so any sampler's draws round to the ends there; the moments test covers shape 0.05.)
    #[test]
    fn adherence_table_is_within_its_error_bound() {
        use statrs::function::beta::beta_reg;
        let bound = 1.0 / QuantileTable::CELLS as f64;
        for (mean, c, smooth_limit) in [(0.83, 20.0, 1e-5), (0.5, 20.0, 1e-5), (0.9, 3.0, bound), (0.5, 0.5, bound)] {
            let (a, b) = (mean * c, (1.0 - mean) * c);
            let table = Adherence::new(mean, c);
            let error = table.quantiles().cdf_error(|x| beta_reg(a, b, x), 16);
            println!("Beta({a:.2}, {b:.2}): largest CDF error {error:.3e}");
            assert!(error <= smooth_limit && error <= bound, "Beta({a}, {b}): CDF error {error:.3e}");
        }
    }

    /// 1e7 draws of the shipped adherence (mean 0.83, concentration 20) against the exact Beta
    /// CDF: the Kolmogorov-Smirnov distance is below its 1% critical value, 1.63 / sqrt(n), plus
    /// the table's own error; their mean within 4 SE of the Beta's.
    #[test]
    fn adherence_draws_pass_a_ks_test_at_ten_million() {
        use statrs::function::beta::beta_reg;
        let (mean, c) = (0.83, 20.0);
        let (a, b) = (mean * c, (1.0 - mean) * c);
        let table = Adherence::new(mean, c);
        let mut rng: TrialRng = stream_rng(5, 0, 0);
        let n = 10_000_000usize;
        let mut xs: Vec<f64> = (0..n).map(|_| table.sample(&mut rng)).collect();
        let m = xs.iter().sum::<f64>() / n as f64;
        let se = (mean * (1.0 - mean) / (c + 1.0) / n as f64).sqrt();
        assert!((m - mean).abs() < 4.0 * se, "mean {m} vs {mean}");
        xs.sort_by(f64::total_cmp);
        let d = xs
            .iter()
            .enumerate()
            .map(|(i, &x)| {
                let f = beta_reg(a, b, x);
                (f - i as f64 / n as f64).abs().max((f - (i + 1) as f64 / n as f64).abs())
            })
            .fold(0.0, f64::max);
        let table_error = table.quantiles().cdf_error(|x| beta_reg(a, b, x), 16);
        assert!(d < 1.63 / (n as f64).sqrt() + table_error, "KS distance {d:.3e}");
    }
}
