//! The scenario's schema: every section and field as plain data, with its literature default,
//! and `--set` overrides as paths and values.
//!
//! A scenario is a TOML file with the sections `population`, `biomarker`, `selection`,
//! `arms`, `bioavailability`, `response`, `outcome`, `dropout`, `analysis` and `design`.
//! Every field has a default (documented in `docs/scenarios.md`, with its source) except the
//! arms, whose name and kind (and, for an active arm, formulation and dose) must be given;
//! unknown fields are an error so that a typo is never silently ignored. Sources in brackets refer to
//! the reference list of `docs/scenarios.md` (from the project's literature-parameters file).

use crate::error::ScenarioError;
use serde::{Deserialize, Serialize};

// Limits that the schema's validation and the model share.

/// Longest trial duration and response time constant (weeks).
pub const MAX_WEEKS: f64 = 1e4;

/// Placebo falls of the count within the range of prevention trials, percent: pooled attack
/// reductions of 16.8% (22 trials) [vdKuy02]; a median fall of 1.8 of ~8 monthly migraine days,
/// IQR 1.0-3.0 (1990-2021) [Tepper23]; up to 29% responders on placebo in Mg trials
/// [Pfaffenrath96]. Beyond -10 to 50 needs `assumptions.beyond_literature`.
pub const PLACEBO_REDUCTION_PERCENT_RANGE: (f64, f64) = (-10.0, 50.0);

// The schema's enums and the `[sweep]` section: plain data, read by the model (whose modules
// give them their behaviour: an assay's defaults, a formulation's bioavailability, a preset's
// scale, a count family's moments).

/// A screening assay ([`crate::model::biomarker`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BiomarkerType {
    /// Serum total Mg, mmol/L.
    #[default]
    SerumTotal,
    /// Ionized Mg (whole blood), mmol/L.
    Ionized,
    /// Red-blood-cell Mg, mmol/L.
    RedCell,
    /// IV loading test: share of the load excreted in 24 h, percent (low = deficient).
    LoadingTest,
}

/// A Mg formulation ([`crate::model::intervention`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Formulation {
    Oxide,
    Citrate,
    Chloride,
    Lactate,
    Glycinate,
    LThreonate,
    IvSulfate,
}

/// A built-in outcome scale.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ScalePreset {
    /// Beck Depression Inventory II, 0-63.
    #[serde(rename = "bdi_ii")]
    BdiIi,
    /// Patient Health Questionnaire 9, 0-27.
    #[serde(rename = "phq_9")]
    Phq9,
    /// Hamilton Depression Rating Scale, 17 items, 0-52.
    #[serde(rename = "ham_d_17")]
    HamD17,
    /// Montgomery-Asberg Depression Rating Scale, 0-60.
    #[serde(rename = "madrs")]
    Madrs,
    /// Geriatric Depression Scale (Yesavage), 30 items, 0-30.
    #[serde(rename = "gds_30")]
    Gds30,
    /// Montreal Cognitive Assessment, 0-30.
    #[serde(rename = "moca")]
    Moca,
    /// A standardized cognitive composite (z-score), unbounded.
    #[serde(rename = "cognitive_composite_z")]
    CognitiveCompositeZ,
    /// Pain on a 0-100 mm visual analogue scale, for acute attacks.
    #[serde(rename = "vas_pain")]
    VasPain,
}

/// What a window counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CountKind {
    Attacks,
    MigraineDays,
}

/// The `[sweep]` section.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SweepSpec {
    /// Field path -> values (array, `"v1,v2"` or `"start:stop:step"`).
    #[serde(default)]
    pub grid: toml::Table,
    /// Labelled override sets crossed with the grid.
    #[serde(default)]
    pub series: Vec<SeriesSpec>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeriesSpec {
    pub label: String,
    /// Field path -> value.
    #[serde(default)]
    pub set: toml::Table,
}

/// A whole trial design, as read from a scenario file, with every default filled in.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Name shown in the output; defaults to the file stem.
    #[serde(default)]
    pub name: String,
    /// Free text shown by `explain`.
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub population: Population,
    #[serde(default)]
    pub biomarker: Biomarker,
    #[serde(default)]
    pub selection: Selection,
    /// The confirmatory assay of two-stage screening (`selection.mode = "two_stage"`); unset
    /// fields take the defaults of its `type` (default red-cell Mg).
    #[serde(default = "default_confirmation")]
    pub confirmation: Biomarker,
    /// The arms: exactly one placebo arm and one or more active arms.
    #[serde(default)]
    pub arms: Vec<Arm>,
    #[serde(default)]
    pub bioavailability: BioavailabilityOverrides,
    /// How absorbed Mg grows with the dose: in proportion (the default), or saturable
    /// [Fine91].
    #[serde(default, skip_serializing_if = "Absorption::is_default")]
    pub absorption: Absorption,
    #[serde(default)]
    pub response: Response,
    #[serde(default)]
    pub outcome: Outcome,
    #[serde(default)]
    pub dropout: Dropout,
    /// A vitamin D co-deficiency that modifies the Mg benefit; `None`: not modelled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vitamin_d: Option<VitaminD>,
    /// GI side effects of the Mg arms, which lower adherence and add dropout; `None`: none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub side_effects: Option<SideEffects>,
    /// What a trial costs (issue 25); `None`: costs are not reported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub costs: Option<Costs>,
    /// Priors on the unknowns, for assurance (issue 25); `None`: every value as given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uncertainty: Option<Uncertainty>,
    #[serde(default)]
    pub analysis: Analysis,
    #[serde(default)]
    pub design: Design,
    /// An AB/BA crossover instead of parallel arms (see `engine::crossover`); `None` for a
    /// parallel trial.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crossover: Option<Crossover>,
    /// Inputs the scenario deliberately takes beyond the literature; shown in every output.
    #[serde(default, skip_serializing_if = "Assumptions::is_default")]
    pub assumptions: Assumptions,
    /// Design points to simulate (see `sweep.rs`); `None` for a single design.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sweep: Option<SweepSpec>,
}

impl Scenario {
    /// Why no Mg reading at the end of the trial is reported, or `None` where it is: under the
    /// acute response serum Mg is transiently high after an infusion, which the weeks-long
    /// model of repletion does not describe; a crossover's last period is Mg's for some and
    /// the control's for others.
    pub fn end_reading_unreported(&self) -> Option<&'static str> {
        if self.response.model == ResponseModel::Acute {
            Some("under the acute response")
        } else if self.crossover.is_some() {
            Some("in a crossover")
        } else {
            None
        }
    }
}

/// `[assumptions]`: explicit permission to explore beyond what trials have seen. Each
/// permission is recorded in the provenance and printed in every output's header.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Assumptions {
    /// Field paths whose value may lie outside the published range that `validate.rs` checks
    /// (e.g. `["outcome.placebo_improvement"]`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub beyond_literature: Vec<String>,
    /// The treatment may do harm: a negative benefit or a rate ratio above 1 is then allowed.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub harmful_effect: bool,
}

impl Assumptions {
    pub fn is_default(&self) -> bool {
        *self == Assumptions::default()
    }

    /// Whether `field` may lie beyond the literature's range.
    pub fn allows_beyond(&self, field: &str) -> bool {
        self.beyond_literature.iter().any(|f| f == field)
    }

    /// One line for headers, or `None` when nothing is assumed beyond the literature.
    pub fn describe(&self) -> Option<String> {
        let mut parts = Vec::new();
        if self.harmful_effect {
            parts.push("the effect may be harmful".to_string());
        }
        if !self.beyond_literature.is_empty() {
            parts.push(format!("beyond the published range: {}", self.beyond_literature.join(", ")));
        }
        (!parts.is_empty()).then(|| format!("assumptions: {}", parts.join("; ")))
    }
}

/// How the latent true Mg status `m` (serum-equivalent mmol/L) is distributed among the screened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PopulationModel {
    /// Two normal components: deficient with probability `deficiency_prevalence`, else replete.
    Mixture,
    /// A single normal `N(mean, sd)`.
    Normal,
    /// Mg status is not modelled (textbook designs): needs all-comers and a fixed response.
    None,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Population {
    pub model: PopulationModel,
    /// Share of the screened who belong to the deficient component. 14.5% of ~16,000 unselected
    /// Germans had serum Mg < 0.76 mmol/L [Schimatschek01].
    pub deficiency_prevalence: f64,
    /// Mean true status of the deficient component, mmol/L (model.md example; UNVERIFIED).
    pub deficient_mean_mmol_per_l: f64,
    pub deficient_sd_mmol_per_l: f64,
    /// Mean of the replete component, mmol/L: 0.88, model.md's example, inside the 0.75-0.95
    /// reference interval [Costello16] (UNVERIFIED ESTIMATE). Component SDs 0.06 likewise.
    pub replete_mean_mmol_per_l: f64,
    pub replete_sd_mmol_per_l: f64,
    /// Mean and SD for `model = "normal"`: the classic 0.75-0.95 mmol/L interval as mean +- 2 SD [Costello16].
    pub mean_mmol_per_l: f64,
    pub sd_mmol_per_l: f64,
    /// Replete level: `deficit = max(0, target - m)`. 0.85 mmol/L, the evidence-based cut-off proposed by [Rosanoff22].
    pub replete_target_mmol_per_l: f64,
    /// True status below which a person counts as truly deficient (for PPV and sensitivity): 0.75 mmol/L [IOM97].
    pub deficiency_cutoff_mmol_per_l: f64,
}

impl Default for Population {
    fn default() -> Self {
        Population {
            model: PopulationModel::Mixture,
            deficiency_prevalence: 0.145,
            deficient_mean_mmol_per_l: 0.70,
            deficient_sd_mmol_per_l: 0.06,
            replete_mean_mmol_per_l: 0.88,
            replete_sd_mmol_per_l: 0.06,
            mean_mmol_per_l: 0.85,
            sd_mmol_per_l: 0.05,
            replete_target_mmol_per_l: 0.85,
            deficiency_cutoff_mmol_per_l: 0.75,
        }
    }
}

/// The screening assay. Unset fields take the defaults of its `type` (see `biomarker.rs`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Biomarker {
    #[serde(rename = "type")]
    pub kind: BiomarkerType,
    /// Number of measurements averaged at each occasion (screening and end of trial).
    pub repeats: u32,
    /// Reading per unit of true status (biomarker units per mmol/L).
    pub scale: Option<f64>,
    /// Additive bias, biomarker units.
    pub bias: Option<f64>,
    /// SD of the person's lasting discrepancy between this assay and body stores (does not average out).
    pub persistent_sd: Option<f64>,
    /// SD of one measurement around the person's own level (within-person + analytical; averages out).
    pub repeat_sd: Option<f64>,
    /// Lower limit of the assay's normal range, biomarker units ("normal at end of trial").
    pub normal_low: Option<f64>,
}

fn default_confirmation() -> Biomarker {
    Biomarker { kind: BiomarkerType::RedCell, ..Biomarker::default() }
}

impl Default for Biomarker {
    fn default() -> Self {
        Biomarker {
            kind: BiomarkerType::SerumTotal,
            repeats: 1,
            scale: None,
            bias: None,
            persistent_sd: None,
            repeat_sd: None,
            normal_low: None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SelectionMode {
    /// Enrol everyone screened.
    AllComers,
    /// Enrol only those whose biomarker is below `threshold`; screen until every arm is full.
    Enrich,
    /// Enrol everyone; randomize in permuted blocks within the strata below / at-or-above `threshold`.
    Stratify,
    /// Screen with `[biomarker]` below `threshold`, then confirm with `[confirmation]` below
    /// `confirm_threshold`; enrol those below both.
    TwoStage,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Selection {
    pub mode: SelectionMode,
    /// Biomarker threshold, in the biomarker's unit; defaults to its `normal_low`.
    pub threshold: Option<f64>,
    /// Two-stage screening: threshold of the confirmatory assay, in its unit; defaults to its `normal_low`.
    pub confirm_threshold: Option<f64>,
    /// Permuted-block size for stratified randomization, in multiples of the allocation ratio.
    pub blocks_per_ratio: u32,
    /// Below this enrolment probability `enrich` and `two_stage` are refused instead of
    /// screening for ever.
    pub min_enrolment_probability: f64,
}

impl Default for Selection {
    fn default() -> Self {
        Selection {
            mode: SelectionMode::AllComers,
            threshold: None,
            confirm_threshold: None,
            blocks_per_ratio: 2,
            min_enrolment_probability: 1e-3,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ArmKind {
    Placebo,
    /// Mg: its effect comes from repletion (or the fixed response).
    Active,
    /// A drug of known effect, given as its own (`effect` or `rate_ratio`), independent of Mg
    /// status: imipramine, metoclopramide, valproate.
    Comparator,
}

impl ArmKind {
    pub fn label(self) -> &'static str {
        match self {
            ArmKind::Placebo => "placebo",
            ArmKind::Active => "active",
            ArmKind::Comparator => "comparator",
        }
    }
}

/// One arm of the trial.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Arm {
    pub name: String,
    pub kind: ArmKind,
    /// Mg salt; required for an active arm.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub formulation: Option<Formulation>,
    /// Elemental Mg, mg/day; required for an active arm.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dose_mg_per_day: Option<f64>,
    /// Fractional absorption for this arm only, overriding the formulation table.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bioavailability: Option<f64>,
    /// The number of intakes the daily dose is split into (e.g. 2 for 2 x 250 mg): under
    /// saturable absorption each intake is absorbed on its own curve; required there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub intakes_per_day: Option<u32>,
    /// An Mg arm of a combination product, rating scale: the benefit of its other ingredients,
    /// independent of Mg status, in outcome units for a person who takes every dose (each
    /// person's is this times their adherence); added to the Mg-mediated benefit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub independent_effect: Option<f64>,
    /// The same on a count outcome, as a rate ratio (each person's is this to the power of their
    /// adherence).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub independent_rate_ratio: Option<f64>,
    /// Under `[vitamin_d]`: this Mg arm also gives vitamin D, which repletes it (Mg + vitamin D).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vitamin_d: Option<bool>,
    /// Under `[side_effects]`: the percentage of this arm's participants with GI side effects
    /// at 600 mg/day, in place of its formulation's (required for an arm without one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub side_effect_percent_at_600_mg: Option<f64>,
    /// Mean share of doses taken: 83% in the MgCl2 depression trial [Tarleton17] by default for
    /// an Mg arm; required for a comparator, whose effect it scales (see [`Arm::adherence_mean`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adherence_mean: Option<f64>,
    /// Beta concentration (alpha + beta) of per-person adherence; larger is less spread (UNVERIFIED).
    #[serde(default = "default_adherence_concentration")]
    pub adherence_concentration: f64,
    /// Integer allocation weight: this arm enrols `allocation * design.n_per_arm` (default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allocation: Option<u32>,
    /// Participants to enrol in this arm, instead of `allocation * design.n_per_arm`: either
    /// every arm gives `n` or none does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub n: Option<u32>,
    /// Dropout probability of this arm, overriding `[dropout]` (required for a comparator).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dropout: Option<f64>,
    /// Comparator, rating scale: benefit over placebo, in outcome units (positive = better), of
    /// a person who takes every dose; each person's is this times their adherence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effect: Option<f64>,
    /// Comparator, count outcome: rate ratio against placebo of a person who takes every dose
    /// (below 1 = fewer events); each person's is this to the power of their adherence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_ratio: Option<f64>,
    /// Comparator, rating scale, instead of `effect`: the percentage of its completers who
    /// respond by `analysis.responder`'s rule, as a published trial reports it; the effect in
    /// outcome units that gives it in this scenario is solved (see `engine::plan`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub responder_percent: Option<f64>,
}

/// Mean adherence of an Mg arm that states none: 83% [Tarleton17].
pub const DEFAULT_ADHERENCE_MEAN: f64 = 0.83;

impl Arm {
    /// The arm's mean adherence: as given, else [`DEFAULT_ADHERENCE_MEAN`] (a comparator must give
    /// its own: validated).
    pub fn adherence_mean(&self) -> f64 {
        self.adherence_mean.unwrap_or(DEFAULT_ADHERENCE_MEAN)
    }
}
fn default_adherence_concentration() -> f64 {
    20.0
}

/// How absorbed Mg grows with the dose (see `model::intervention`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AbsorptionModel {
    /// Absorbed = bioavailability x dose x adherence.
    #[default]
    Linear,
    /// Per intake, a saturable (hyperbolic) term plus a passive term that absorbs a fixed share
    /// of any load [Fine91], scaled by the salt's bioavailability relative to a soluble salt.
    Saturable,
}

/// `[absorption]`: the absorption curve. The saturable defaults are solved from [Fine91]'s
/// figures (fractional absorption 65% at the lowest load, 11% at 80 mEq = 972 mg, 7% passive;
/// see `model::intervention`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Absorption {
    pub model: AbsorptionModel,
    /// Most the saturable term absorbs from one intake of a soluble salt, mg.
    pub max_active_mg_per_intake: f64,
    /// The load of one intake at which the saturable term absorbs half its maximum, mg.
    pub half_saturation_mg_per_intake: f64,
    /// Share of any load absorbed by the passive term.
    pub passive_fraction: f64,
}

impl Default for Absorption {
    /// Solved from [Fine91]: fractional absorption 0.65 at a vanishing load and 0.11 at 80 mEq
    /// (972 mg), 0.07 passive, so `Km = 972 (0.11 - 0.07) / (0.65 - 0.11)` and `Vmax = (0.65 -
    /// 0.07) Km`.
    fn default() -> Self {
        let (low, high, passive, high_load_mg) = (0.65, 0.11, 0.07, 80.0 * 12.153);
        let half_saturation_mg_per_intake = high_load_mg * (high - passive) / (low - high);
        Absorption {
            model: AbsorptionModel::Linear,
            max_active_mg_per_intake: (low - passive) * half_saturation_mg_per_intake,
            half_saturation_mg_per_intake,
            passive_fraction: passive,
        }
    }
}

impl Absorption {
    pub fn is_default(&self) -> bool {
        *self == Absorption::default()
    }
}

/// Fractional-absorption overrides of the built-in formulation table (see `intervention.rs`).
pub type BioavailabilityOverrides = SaltValues;

/// One optional value per formulation: a table of overrides of a built-in one.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SaltValues {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub oxide: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub citrate: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chloride: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lactate: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub glycinate: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub l_threonate: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iv_sulfate: Option<f64>,
}

impl SaltValues {
    pub fn is_empty(&self) -> bool {
        *self == SaltValues::default()
    }

    /// The value given for `f`, if any.
    pub fn of(&self, f: Formulation) -> Option<f64> {
        match f {
            Formulation::Oxide => self.oxide,
            Formulation::Citrate => self.citrate,
            Formulation::Chloride => self.chloride,
            Formulation::Lactate => self.lactate,
            Formulation::Glycinate => self.glycinate,
            Formulation::LThreonate => self.l_threonate,
            Formulation::IvSulfate => self.iv_sulfate,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResponseModel {
    /// Every treated participant benefits by exactly `delta` outcome units (the textbook case).
    Fixed,
    /// Benefit proportional to the Mg repleted (model.md section 5).
    Repletion,
    /// A direct effect within hours of an infusion, which does not wait for repletion:
    /// `acute_effect` for every treated participant, or `acute_effect_low_mg` for those whose
    /// true Mg is below the deficiency cut-off (Mauskop's low ionized Mg [Mauskop95]).
    Acute,
}

impl ResponseModel {
    /// The name used in scenario files.
    pub fn label(self) -> &'static str {
        match self {
            ResponseModel::Fixed => "fixed",
            ResponseModel::Repletion => "repletion",
            ResponseModel::Acute => "acute",
        }
    }
}

/// The treatment effect: stated by the scenario, never borrowed (see `validate.rs`).
///
/// On a rating scale effects are benefits in outcome units (positive = better, in the scale's
/// direction); on a count outcome they are rate ratios (below 1 = fewer events), in fields
/// named so that a number written for one family is never read in the other.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Response {
    pub model: ResponseModel,
    /// `fixed`, rating scale: benefit of treatment in outcome units for every treated participant.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delta: Option<f64>,
    /// `fixed`, count outcome: rate ratio of treatment for every treated participant.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rate_ratio: Option<f64>,
    /// `repletion`, rating scale: benefit, in outcome units, of repleting `ref_deficit_mmol_per_l`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_effect: Option<f64>,
    /// `repletion`, count outcome: rate ratio of a person whose `ref_deficit_mmol_per_l` is
    /// fully repleted (a larger repletion gives a proportionally larger `-ln` rate ratio).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_rate_ratio: Option<f64>,
    /// Instead of `max_effect` / `max_rate_ratio`: the effect a published trial saw, from
    /// which it is solved (see `calibration.rs`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub calibration: Option<CalibrationSpec>,
    /// Deficit whose full repletion gives `max_effect`, mmol/L: 0.15, the gap between the
    /// deficient (0.70) and replete (0.85) levels (UNVERIFIED ESTIMATE).
    pub ref_deficit_mmol_per_l: f64,
    /// Rating scale: benefit for treated participants with no deficit, outcome units (default 0:
    /// the model's hypothesis that Mg helps through repletion).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub effect_replete: Option<f64>,
    /// Count outcome: rate ratio for treated participants with no deficit (default 1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replete_rate_ratio: Option<f64>,
    /// `acute`, rating scale: benefit, in outcome units at the assessment after dosing, of the
    /// infusion in every treated participant (or in those whose Mg is not low, when
    /// `acute_effect_low_mg` is given).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub acute_effect: Option<f64>,
    /// `acute`, rating scale: benefit, in outcome units, in treated participants whose true Mg
    /// is below `population.deficiency_cutoff_mmol_per_l` (relief lasted 24 h in 86% with
    /// ionized Mg < 0.54 mmol/L against 16% of the others [Mauskop95]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub acute_effect_low_mg: Option<f64>,
    /// The U-shape: harm when status after supplementation overshoots an upper level (rating
    /// scales, repletion response); `None`: no harm.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub overshoot: Option<Overshoot>,
    /// Time constant of repletion, weeks: serum approaches its new level with tau 3-6 wk (UNVERIFIED, lit. file s.4).
    pub tau_weeks: f64,
    /// Absorbed Mg (mg/day) giving half the maximal repletion: circulating Mg plateaus near
    /// 300 mg/day intake [Zhang16JN], i.e. ~100 mg/day absorbed; A50 = 40 (UNVERIFIED).
    pub a50_mg_per_day: f64,
    /// Fields of earlier versions, refused with the name that replaced them.
    #[serde(default, skip_serializing)]
    pub target_effect: Option<toml::Value>,
    #[serde(default, skip_serializing)]
    pub target_among: Option<toml::Value>,
    #[serde(default, skip_serializing)]
    pub target_arm: Option<toml::Value>,
}

impl Default for Response {
    fn default() -> Self {
        Response {
            model: ResponseModel::Repletion,
            delta: None,
            rate_ratio: None,
            max_effect: None,
            max_rate_ratio: None,
            calibration: None,
            ref_deficit_mmol_per_l: 0.15,
            effect_replete: None,
            replete_rate_ratio: None,
            acute_effect: None,
            acute_effect_low_mg: None,
            overshoot: None,
            tau_weeks: 4.0,
            a50_mg_per_day: 40.0,
            target_effect: None,
            target_among: None,
            target_arm: None,
        }
    }
}

/// The effect parameters in the engine's units: outcome units on a scale, `-ln` rate ratio on
/// counts (`None` where the scenario leaves them to a calibration).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EffectParameters {
    pub delta: f64,
    pub max_effect: Option<f64>,
    pub effect_replete: f64,
    /// The acute response's benefit, and its benefit when Mg is low (scales only; 0 on counts).
    pub acute_effect: f64,
    pub acute_effect_low_mg: f64,
}

impl Response {
    /// States `max_effect` (engine units: `-ln` rate ratio on counts) in the family's own field,
    /// in place of a calibration.
    pub fn state_max_effect(&mut self, max_effect: f64, counts: bool) {
        self.calibration = None;
        if counts {
            self.max_rate_ratio = Some((-max_effect).exp());
        } else {
            self.max_effect = Some(max_effect);
        }
    }

    /// The stated effect in the engine's units (validated first: rate ratios are positive).
    pub fn effect_parameters(&self, counts: bool) -> EffectParameters {
        if counts {
            let neg_ln = |rr: f64| -rr.ln();
            EffectParameters {
                delta: self.rate_ratio.map_or(0.0, neg_ln),
                max_effect: self.max_rate_ratio.map(neg_ln),
                effect_replete: self.replete_rate_ratio.map_or(0.0, neg_ln),
                acute_effect: 0.0,
                acute_effect_low_mg: 0.0,
            }
        } else {
            EffectParameters {
                delta: self.delta.unwrap_or(0.0),
                max_effect: self.max_effect,
                effect_replete: self.effect_replete.unwrap_or(0.0),
                acute_effect: self.acute_effect.unwrap_or(0.0),
                acute_effect_low_mg: self.acute_effect_low_mg.or(self.acute_effect).unwrap_or(0.0),
            }
        }
    }
}

/// `[response.calibration]`: what a published trial saw, and the design it saw it in.
/// `max_effect` (or `max_rate_ratio`) is solved so that the published design reproduces it;
/// the design under study (the file, `--set`, a sweep) then uses that biology.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CalibrationSpec {
    /// Rating scale: the published benefit (difference between arms), outcome units, positive
    /// when the active arm did better in the scale's direction.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub benefit: Option<f64>,
    /// Rating scale: among whom `benefit` was seen (required with `benefit`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub among: Option<TargetPopulation>,
    /// Count outcome: the published fall of the mean count from baseline, percent, in the
    /// active and the placebo arm (e.g. 41.6 and 15.8 [Peikert96]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active_reduction_percent: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub placebo_reduction_percent: Option<f64>,
    /// Responders (either family): the published share of responders, percent, in the active
    /// and the placebo arm, under `analysis.responder`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active_responder_percent: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub placebo_responder_percent: Option<f64>,
    /// The active arm whose effect was published (default: the first active arm).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arm: Option<String>,
    /// The design the effect was published in; unset fields are those of the file as written.
    #[serde(default, skip_serializing_if = "PublishedDesign::is_empty")]
    pub published_design: PublishedDesign,
}

/// `[response.calibration.published_design]`: the published trial's design, where it differs
/// from the file's base design.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublishedDesign {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selection_mode: Option<SelectionMode>,
    /// The screening assay (`biomarker.type`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assay: Option<BiomarkerType>,
    /// Selection threshold, in the assay's unit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threshold: Option<f64>,
    /// Two-stage screening: the confirmatory assay and its threshold.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirmation_assay: Option<BiomarkerType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirm_threshold: Option<f64>,
    /// The calibrated arm's formulation and elemental dose (mg/day).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub formulation: Option<Formulation>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dose_mg_per_day: Option<f64>,
    /// The calibrated arm's intakes per day (read under saturable absorption).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub intakes_per_day: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_weeks: Option<f64>,
    /// The published trial's outcome, a whole `[outcome]` table, where it differs from the
    /// file's: a benefit on another rating scale transfers at equal standardized effect (in
    /// baseline SDs); a count's rate ratio transfers as it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<Outcome>,
}

impl PublishedDesign {
    pub fn is_empty(&self) -> bool {
        *self == PublishedDesign::default()
    }
}

/// `[response.overshoot]`: a person's true Mg rises by `rise_mmol_per_l` times their repleted
/// share of the reachable repletion, on top of any deficit repleted, and every mmol/L of status
/// above `upper_mmol_per_l` costs `harm_per_mmol_per_l` outcome units (benefit lost), net of
/// what the person's baseline status already cost: `harm = h ((m_end - U)+ - (m - U)+)`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Overshoot {
    pub rise_mmol_per_l: f64,
    pub upper_mmol_per_l: f64,
    pub harm_per_mmol_per_l: f64,
}

/// Among whom a calibration's target effect is expected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TargetPopulation {
    /// Everyone enrolled in the active arm (the `true_effect` column's estimand).
    Enrolled,
    /// The enrolled whose true status is below `population.deficiency_cutoff_mmol_per_l`.
    Deficient,
    /// The difference between arms in the mean observed change of the completers, on the
    /// scale with its bounds and rounding: what a trial publishes (solved by a seeded
    /// simulation when the scale is bounded or rounded).
    ObservedChange,
}

impl TargetPopulation {
    /// "the enrolled" / "the truly deficient enrolled", for messages.
    pub fn describe(self) -> &'static str {
        match self {
            TargetPopulation::Enrolled => "the enrolled",
            TargetPopulation::Deficient => "the truly deficient enrolled",
            TargetPopulation::ObservedChange => "the completers, as the difference in mean observed change",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    LowerIsBetter,
    HigherIsBetter,
}

/// A continuous outcome scale: a preset (`scale`, see `scales.rs`) with any field
/// overridden, or every field that shapes the scores given (see [`crate::scenario::scales::resolve`]).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Outcome {
    /// Named preset: bdi_ii, phq_9, ham_d_17, madrs, gds_30, moca, cognitive_composite_z.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scale: Option<ScalePreset>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Unit of scores and effects as printed (e.g. "BDI-II points").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub direction: Option<Direction>,
    /// Mean and SD of the true baseline score.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baseline_mean: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baseline_sd: Option<f64>,
    /// Improvement without treatment or placebo (natural course) over the trial, outcome units
    /// in the direction of benefit: negative for a decline (default 0).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub natural_improvement: Option<f64>,
    /// Improvement on placebo over the trial, outcome units in the direction of benefit
    /// ("BDI-II fell 10.4 on placebo" is 10.4); required: it is a trial's, not a scale's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub placebo_improvement: Option<f64>,
    /// SD of the true individual change.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub change_sd: Option<f64>,
    /// Test-retest reliability of one assessment.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reliability: Option<f64>,
    /// Assessments averaged at baseline and at follow-up (default 1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assessments: Option<u32>,
    /// Scale bounds (`-inf` / `inf` for none); observed scores are clipped to them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    /// Round observed scores to whole points.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub integer: Option<bool>,
    /// Count family (instead of a scale): `attacks` or `migraine_days`, each with its sourced
    /// defaults (see `outcome/count.rs`). `baseline_mean` and `baseline_sd` are then the mean
    /// and SD of the count in the baseline window.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub count: Option<CountKind>,
    /// Gamma shape of the person's rate (negative-binomial size); instead of `baseline_sd`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub theta: Option<f64>,
    /// Length of the baseline window, weeks (default 4).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baseline_weeks: Option<f64>,
    /// Length of the follow-up window at the end of treatment, weeks (default 4: weeks 9-12).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub followup_weeks: Option<f64>,
    /// Fall of the mean count from baseline to follow-up on placebo (placebo response and
    /// natural course), percent per 4 weeks: "-15.8% on placebo" is 15.8 [Peikert96].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub placebo_reduction_percent: Option<f64>,
    /// Coefficient of variation of each window's rate around the person's own (period-to-period
    /// variation; default 0).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub period_cv: Option<f64>,
    /// Fields of earlier versions, refused with the name that replaced them.
    #[serde(default, skip_serializing)]
    pub placebo_response: Option<toml::Value>,
    #[serde(default, skip_serializing)]
    pub natural_change: Option<toml::Value>,
    #[serde(default, skip_serializing)]
    pub placebo_rate_ratio: Option<toml::Value>,
}

/// Dropout before the follow-up assessment: completely at random by default, or depending on
/// the baseline or on the improvement (rating scales; see `engine::plan::missing`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Dropout {
    /// 11% in [Tarleton17] (126 randomized, 112 analysed).
    pub placebo: f64,
    pub active: f64,
    #[serde(skip_serializing_if = "DropoutMechanism::is_default")]
    pub mechanism: DropoutMechanism,
    /// Odds ratio of dropping out per SD of the baseline's severity or of the lack of
    /// improvement; required by those mechanisms.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub odds_ratio_per_sd: Option<f64>,
}

impl Default for Dropout {
    fn default() -> Self {
        Dropout { placebo: 0.11, active: 0.11, mechanism: DropoutMechanism::default(), odds_ratio_per_sd: None }
    }
}

/// Why participants drop out (Rubin's MCAR / MAR / MNAR).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DropoutMechanism {
    /// Completely at random, with each arm's rate.
    #[default]
    CompletelyAtRandom,
    /// At random given the observed baseline: the odds rise by `odds_ratio_per_sd` per SD of
    /// baseline severity; each arm keeps its rate.
    BaselineSeverity,
    /// Not at random: the odds rise by `odds_ratio_per_sd` per SD of lack of improvement (the
    /// unobserved follow-up), the same function in every arm, set so that placebo has its rate.
    NoImprovement,
}

impl DropoutMechanism {
    pub fn is_default(&self) -> bool {
        *self == DropoutMechanism::CompletelyAtRandom
    }

    pub fn label(self) -> &'static str {
        match self {
            DropoutMechanism::CompletelyAtRandom => "completely_at_random",
            DropoutMechanism::BaselineSeverity => "baseline_severity",
            DropoutMechanism::NoImprovement => "no_improvement",
        }
    }
}

/// `[side_effects]`: GI side effects (mostly diarrhoea) of the Mg arms, beyond placebo's. A
/// participant of an Mg arm has them with probability `1 - (1 - P600)^(dose / 600 mg)`, P600
/// the formulation's percentage at 600 mg/day (see `model::tolerability`); an affected
/// participant takes `adherence_factor_if_affected` of their doses and drops out with
/// `dropout_if_affected` on top of the arm's dropout.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SideEffects {
    pub dropout_if_affected: f64,
    pub adherence_factor_if_affected: f64,
    /// Overrides of the built-in percentages at 600 mg/day, by formulation.
    #[serde(default, skip_serializing_if = "SideEffectPercents::is_empty")]
    pub percent_at_600_mg: SideEffectPercents,
}

/// Percentages with GI side effects at 600 mg/day, by formulation (overrides; an infusion's is
/// refused).
pub type SideEffectPercents = SaltValues;

/// `[vitamin_d]`: a latent vitamin D status, deficient in `deficiency_prevalence` of the screened,
/// related to true Mg status by a Gaussian copula of correlation `correlation_with_mg` (positive:
/// low Mg goes with low vitamin D). The benefit of repleting Mg of a participant deficient in
/// vitamin D who is not given it is multiplied by `benefit_multiplier_if_deficient`. With `enrol =
/// "deficient"` (or `"replete"`) only those whose vitamin D test reads deficient (replete), by
/// its sensitivity and specificity, are enrolled.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VitaminD {
    pub deficiency_prevalence: f64,
    /// Required with a prevalence strictly between 0 and 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub correlation_with_mg: Option<f64>,
    /// Required when an Mg arm does not give vitamin D (else it scales nobody's benefit).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub benefit_multiplier_if_deficient: Option<f64>,
    #[serde(default, skip_serializing_if = "VitaminDEnrolment::is_default")]
    pub enrol: VitaminDEnrolment,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assay_sensitivity: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assay_specificity: Option<f64>,
}

/// `[costs]`: the prices of a trial, in the trialist's currency (any one unit throughout). A
/// trial's cost is the people screened times the first-stage assay's price, the confirmatory
/// tests times the confirmation assay's, the vitamin D tests times theirs, and every randomized
/// participant's enrolment and weeks of follow-up (the whole duration: a dropout's budgeted
/// visits are counted).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Costs {
    /// Per person screened, by the first-stage assay (visit and test).
    #[serde(default, skip_serializing_if = "AssayPrices::is_empty")]
    pub per_screened: AssayPrices,
    /// Per confirmatory test (two-stage screening), by the confirmation assay.
    #[serde(default, skip_serializing_if = "AssayPrices::is_empty")]
    pub per_confirmatory_test: AssayPrices,
    /// Per vitamin D test (enrolment on one, `[vitamin_d]`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per_vitamin_d_test: Option<f64>,
    /// Per randomized participant.
    pub per_enrolled: f64,
    /// Per participant-week of treatment and follow-up.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per_participant_week: Option<f64>,
}

/// `[uncertainty]`: a prior on each of some numeric fields, for assurance, the probability of
/// success averaged over the priors (O'Hagan, Stevens & Campbell 2005, Pharm. Stat. 4:187-201).
/// Nested Monte Carlo: each draw of the uncertain values is simulated for `trials_per_draw`
/// trials, so assurance is a share of trials as power is (see `scenario::prior`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Uncertainty {
    /// Trials simulated per draw of the uncertain values: a multiple of 64, the engine's chunk
    /// of replicates (so that a draw never straddles two threads' work). 64 is near the
    /// cheapest for a given assurance SE when a draw's plan costs about 150 trials.
    #[serde(default = "default_trials_per_draw")]
    pub trials_per_draw: u32,
    /// `[[uncertainty.prior]]`, one per field.
    #[serde(default)]
    pub prior: Vec<Prior>,
}

fn default_trials_per_draw() -> u32 {
    64
}

/// One prior: a distribution on the field `field` (a dotted path, as `--set` takes it), and
/// optionally a probability that the value is that of no effect (Alhussain & Oakley 2020).
/// Each distribution takes its own parameters only.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Prior {
    pub field: String,
    pub distribution: PriorDistribution,
    /// Normal and truncated normal (before truncation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mean: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sd: Option<f64>,
    /// Truncated normal (at least one) and uniform (both).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lower: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upper: Option<f64>,
    /// Lognormal: the median and the SD of the natural log.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub median: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_sd: Option<f64>,
    /// Beta on (0, 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alpha: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub beta: Option<f64>,
    /// Point mass.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<f64>,
    /// The probability that the field takes its value of no effect (0 for a benefit or an
    /// effect, 1 for a rate ratio) instead of a draw from the distribution; effect fields only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probability_of_no_effect: Option<f64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PriorDistribution {
    Normal,
    TruncatedNormal,
    Lognormal,
    Beta,
    Uniform,
    PointMass,
}

impl PriorDistribution {
    pub fn label(self) -> &'static str {
        match self {
            PriorDistribution::Normal => "normal",
            PriorDistribution::TruncatedNormal => "truncated_normal",
            PriorDistribution::Lognormal => "lognormal",
            PriorDistribution::Beta => "beta",
            PriorDistribution::Uniform => "uniform",
            PriorDistribution::PointMass => "point_mass",
        }
    }
}

/// One optional price per assay.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AssayPrices {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub serum_total: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ionized: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub red_cell: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub loading_test: Option<f64>,
}

impl AssayPrices {
    pub fn is_empty(&self) -> bool {
        *self == AssayPrices::default()
    }

    /// The price given for `kind`, if any.
    pub fn of(&self, kind: BiomarkerType) -> Option<f64> {
        match kind {
            BiomarkerType::SerumTotal => self.serum_total,
            BiomarkerType::Ionized => self.ionized,
            BiomarkerType::RedCell => self.red_cell,
            BiomarkerType::LoadingTest => self.loading_test,
        }
    }

    /// Every price given, with its assay's name.
    pub fn given(&self) -> Vec<(&'static str, f64)> {
        [
            ("serum_total", self.serum_total),
            ("ionized", self.ionized),
            ("red_cell", self.red_cell),
            ("loading_test", self.loading_test),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.map(|v| (k, v)))
        .collect()
    }
}

/// Who is enrolled by vitamin D status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VitaminDEnrolment {
    /// Everyone, whatever their vitamin D status.
    #[default]
    Any,
    /// Only those whose vitamin D test reads deficient.
    Deficient,
    /// Only those whose vitamin D test reads replete (the deficient excluded).
    Replete,
}

impl VitaminDEnrolment {
    pub fn is_default(&self) -> bool {
        *self == VitaminDEnrolment::Any
    }
}

/// How the analysis treats those who dropped out.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MissingData {
    /// The completers only.
    #[default]
    CompleteCases,
    /// Everyone randomized, a dropout's follow-up set to their observed baseline (no change).
    BaselineCarriedForward,
}

impl MissingData {
    pub fn is_default(&self) -> bool {
        *self == MissingData::CompleteCases
    }

    pub fn label(self) -> &'static str {
        match self {
            MissingData::CompleteCases => "complete_cases",
            MissingData::BaselineCarriedForward => "baseline_carried_forward",
        }
    }
}

/// An analysis of the treatment comparison (see `docs/analyses.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TestKind {
    /// Welch t-test on the change from baseline (scales and counts).
    Welch,
    /// Follow-up on treatment + baseline (+ stratum when stratified) (scales and counts).
    Ancova,
    /// Negative-binomial (NB2) regression of the follow-up count on treatment + ln(baseline
    /// count + 1) (+ stratum), Wald test of the rate ratio.
    NegbinWald,
    /// The same regression, likelihood-ratio test.
    NegbinLr,
    /// Poisson regression with model-based SEs (overstates power under overdispersion).
    Poisson,
    /// Poisson regression with the Pearson dispersion, t reference.
    QuasiPoisson,
    /// Wilcoxon-Mann-Whitney on the change in counts (normal approximation, tie-corrected).
    Wilcoxon,
    /// Responders: Pearson chi-square.
    ChiSquare,
    /// Responders: chi-square with Yates' continuity correction.
    ChiSquareYates,
    /// Responders: Fisher's exact test.
    Fisher,
}

impl TestKind {
    pub const ALL: [TestKind; 10] = [
        TestKind::Welch,
        TestKind::Ancova,
        TestKind::NegbinWald,
        TestKind::NegbinLr,
        TestKind::Poisson,
        TestKind::QuasiPoisson,
        TestKind::Wilcoxon,
        TestKind::ChiSquare,
        TestKind::ChiSquareYates,
        TestKind::Fisher,
    ];

    /// The name used in scenario files and in the `analysis` column.
    pub fn label(self) -> &'static str {
        match self {
            TestKind::Welch => "welch",
            TestKind::Ancova => "ancova",
            TestKind::NegbinWald => "negbin_wald",
            TestKind::NegbinLr => "negbin_lr",
            TestKind::Poisson => "poisson",
            TestKind::QuasiPoisson => "quasi_poisson",
            TestKind::Wilcoxon => "wilcoxon",
            TestKind::ChiSquare => "chi_square",
            TestKind::ChiSquareYates => "chi_square_yates",
            TestKind::Fisher => "fisher",
        }
    }

    /// Whether the test compares responder rates.
    pub fn is_responder(self) -> bool {
        matches!(self, TestKind::ChiSquare | TestKind::ChiSquareYates | TestKind::Fisher)
    }

    /// Whether the test needs count outcomes.
    pub fn needs_counts(self) -> bool {
        matches!(
            self,
            TestKind::NegbinWald | TestKind::NegbinLr | TestKind::Poisson | TestKind::QuasiPoisson | TestKind::Wilcoxon
        )
    }
}

/// Who counts as a responder (for the chi-square and Fisher analyses).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResponderRule {
    /// Improvement of at least `fraction` of the person's own baseline (default: a 50% fall in
    /// attacks, migraine days or score [vdKuy02]).
    RelativeImprovement,
    /// Follow-up at or beyond `cutoff` on the side of health (remission, e.g. HAM-D <= 7).
    Remission,
}

/// The responder endpoint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Responder {
    pub rule: ResponderRule,
    /// `relative_improvement`: the share of the baseline by which a responder improves (0.5).
    pub fraction: f64,
    /// `remission`: the follow-up value a remitter reaches (outcome units; required). Which way
    /// is improvement is the outcome's direction (counts: fewer).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cutoff: Option<f64>,
}

impl Responder {
    fn is_default(&self) -> bool {
        *self == Responder::default()
    }
}

impl Default for Responder {
    fn default() -> Self {
        Responder { rule: ResponderRule::RelativeImprovement, fraction: 0.5, cutoff: None }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sided {
    Two,
    /// One-sided in the direction of benefit.
    One,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Analysis {
    /// The primary analysis; default `ancova` for scales, `negbin_wald` for counts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub test: Option<TestKind>,
    /// Further analyses of the same simulated trials, each with its own rows.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub secondary: Vec<TestKind>,
    pub alpha: f64,
    pub sided: Sided,
    /// Also report each biomarker stratum (reading below / at or above `selection.threshold`)
    /// and the treatment x stratum interaction; default on for `selection.mode = "stratify"`,
    /// and allowed for all comers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub by_stratum: Option<bool>,
    #[serde(skip_serializing_if = "Responder::is_default")]
    pub responder: Responder,
    /// How the comparisons of several active arms with placebo hold the family-wise error
    /// rate; required with two or more active arms, refused with one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub multiplicity: Option<Multiplicity>,
    /// With several comparisons: simulate each trial's twin under the global null for the
    /// family-wise error rate row (`any_under_global_null`), which draws the active arms a
    /// second time; `false` leaves the row out and the twin undrawn.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub report_family_wise_error: Option<bool>,
    /// A test of a dose trend across placebo and the active arms (ANCOVA over all arms): a
    /// linear contrast of the arms' adjusted means with scores of their elemental dose, or of
    /// their rank by dose. Reported as its own row, not adjusted with the comparisons.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dose_trend: Option<DoseTrend>,
    /// The comparisons to make, when not every Mg arm against placebo for superiority (the
    /// default): required with a comparator arm or without a placebo arm.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub comparisons: Vec<ComparisonSpec>,
    /// Who is analysed: the completers, or everyone with the baseline carried forward.
    #[serde(skip_serializing_if = "MissingData::is_default")]
    pub missing_data: MissingData,
}

/// One comparison: arm `arm` against arm `against`, for superiority, non-inferiority or
/// equivalence. Margins are how much worse `arm` may be than `against`, each in the unit of
/// the analyses that read it (a number written for one unit is never read in another).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ComparisonSpec {
    /// The arm tested: an Mg arm or a comparator.
    pub arm: String,
    /// The arm it is compared with: placebo, a comparator or another Mg arm.
    pub against: String,
    #[serde(default)]
    pub hypothesis: Hypothesis,
    /// Margin in outcome units (Welch and ANCOVA, on a scale or on counts).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub margin: Option<f64>,
    /// Margin as a rate ratio above 1 (negative-binomial Wald, Poisson, quasi-Poisson): `arm`'s
    /// event rate may be up to this multiple of `against`'s.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub margin_rate_ratio: Option<f64>,
    /// Margin in percentage points of the responder share (chi-square, by the Wald test of the
    /// risk difference).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub margin_responder_points: Option<f64>,
}

/// What a comparison sets out to show.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Hypothesis {
    /// `arm` is better than `against` (the test of `analysis.sided` at `analysis.alpha`).
    #[default]
    Superiority,
    /// `arm` is worse by less than the margin: one-sided, at `alpha` (`sided = "one"`) or
    /// `alpha / 2` (`sided = "two"`, the lower bound of the two-sided interval).
    NonInferiority,
    /// `arm` and `against` differ by less than the margin either way: two one-sided tests
    /// (Schuirmann 1987), each at the one-sided level of non-inferiority.
    Equivalence,
}

impl Hypothesis {
    pub fn label(self) -> &'static str {
        match self {
            Hypothesis::Superiority => "superiority",
            Hypothesis::NonInferiority => "non_inferiority",
            Hypothesis::Equivalence => "equivalence",
        }
    }
}

/// The scores of the dose-trend contrast (placebo scores 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DoseTrend {
    /// Elemental Mg in mg/day: the estimate is the benefit per 100 mg/day.
    Dose,
    /// 1, 2, ... in order of dose: the estimate is the benefit per dose step.
    Rank,
}

/// Arms of a trial under Dunnett's test at most (placebo included): the largest many-to-one
/// ANCOVA fitted per trial.
pub const MAX_ARMS_WITH_DUNNETT: usize = 10;

/// Comparisons with placebo under any multiplicity procedure at most.
pub const MAX_COMPARISONS: usize = 63;

/// Multiplicity procedures for the comparisons of several arms with placebo (see
/// `analysis::multiplicity`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Multiplicity {
    /// Each comparison at alpha, unadjusted (the family-wise error rate is reported).
    #[serde(rename = "none")]
    Unadjusted,
    Bonferroni,
    Holm,
    Hochberg,
    /// Dunnett's many-to-one test: every arm against placebo in one ANCOVA, exact
    /// multivariate-t critical values.
    Dunnett,
}

impl Multiplicity {
    pub const ALL: [Multiplicity; 5] = [
        Multiplicity::Unadjusted,
        Multiplicity::Bonferroni,
        Multiplicity::Holm,
        Multiplicity::Hochberg,
        Multiplicity::Dunnett,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Multiplicity::Unadjusted => "none",
            Multiplicity::Bonferroni => "bonferroni",
            Multiplicity::Holm => "holm",
            Multiplicity::Hochberg => "hochberg",
            Multiplicity::Dunnett => "dunnett",
        }
    }
}

impl Default for Analysis {
    fn default() -> Self {
        Analysis {
            test: None,
            secondary: Vec::new(),
            alpha: 0.05,
            sided: Sided::Two,
            by_stratum: None,
            responder: Responder::default(),
            multiplicity: None,
            report_family_wise_error: None,
            dose_trend: None,
            comparisons: Vec::new(),
            missing_data: MissingData::CompleteCases,
        }
    }
}

impl Analysis {
    /// The primary analysis, with the family's default.
    pub fn primary(&self, counts: bool) -> TestKind {
        self.test.unwrap_or(if counts { TestKind::NegbinWald } else { TestKind::Ancova })
    }

    /// Every analysis, primary first, without repeats.
    pub fn all(&self, counts: bool) -> Vec<TestKind> {
        let mut out = vec![self.primary(counts)];
        for &t in &self.secondary {
            if !out.contains(&t) {
                out.push(t);
            }
        }
        out
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Design {
    /// Participants per unit of allocation (per arm at 1:1); required unless every arm gives
    /// its own `n`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub n_per_arm: Option<u32>,
    /// Simulated trials.
    pub reps: u32,
    /// Master seed; see the seed contract in the README.
    pub seed: u64,
    /// Treatment duration, weeks: 8 in [Rajizadeh17].
    pub duration_weeks: f64,
}

impl Default for Design {
    fn default() -> Self {
        Design { n_per_arm: None, reps: 2000, seed: 1, duration_weeks: 8.0 }
    }
}

/// `[crossover]`: every participant takes the Mg arm's treatment in one period and the other
/// arm's in the other, in the order of their sequence (Mg first: AB; Mg second: BA), each period
/// lasting `design.duration_weeks`, with a washout between them. Analysed as Jones & Kenward
/// (2015, ch. 2): the sequences compared on the period differences, which removes the period
/// effect and each person's own level.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Crossover {
    /// Weeks between the two periods off every treatment (0: none, as in [Tarleton17]). Read by
    /// the repletion response, whose carry-over decays over it; refused under the fixed one,
    /// which states its carry-over.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub washout_weeks: Option<f64>,
    /// Share of a person's benefit from Mg in period 1 still present at the end of period 2
    /// (sequence AB). Stated under the fixed response; under repletion it follows from the
    /// model, `exp(-(washout + duration) / tau)`, and is refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub carryover_fraction: Option<f64>,
    /// Change of every score in period 2 against period 1, in outcome units in the direction of
    /// benefit (e.g. continued natural improvement); default 0. It cancels from the analysis
    /// except through a bounded or rounded scale.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub period_effect: Option<f64>,
}

/// One `PATH=VALUE` override: a dotted field path and a TOML value.
#[derive(Debug, Clone, PartialEq)]
pub struct Override {
    pub path: String,
    pub value: toml::Value,
}

impl Override {
    /// Parses `a.b.c=VALUE`; the value is read as TOML, or else taken as a bare string.
    pub fn parse(assignment: &str) -> Result<Override, ScenarioError> {
        let bad = |message: String| ScenarioError::SetPath { assignment: assignment.to_string(), message };
        let (path, raw) =
            assignment.split_once('=').ok_or_else(|| bad("expected PATH=VALUE, e.g. design.n_per_arm=80".into()))?;
        let path = path.trim();
        if path.is_empty() || path.split('.').any(str::is_empty) {
            return Err(bad(format!("`{path}` is not a dotted field path")));
        }
        Ok(Override { path: path.to_string(), value: parse_value(raw.trim()) })
    }

    /// `path=value` as the user would write it.
    pub fn display(&self) -> String {
        format!("{}={}", self.path, display_value(&self.value))
    }
}

/// A value as shown in messages and CSV cells: strings without quotes, numbers as written.
pub fn display_value(v: &toml::Value) -> String {
    match v {
        toml::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Reads a command-line value as TOML (`80`, `0.7`, `inf`, `"x"`, `[1, 2]`), else as a bare string.
pub fn parse_value(raw: &str) -> toml::Value {
    let doc = format!("v = {raw}");
    match doc.parse::<toml::Table>() {
        Ok(mut t) => t.remove("v").unwrap_or_else(|| toml::Value::String(raw.to_string())),
        Err(_) => toml::Value::String(raw.to_string()),
    }
}
