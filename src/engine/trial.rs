//! One simulated trial: screen, enrol, randomize, treat, measure, analyse.
//!
//! Random streams (the seed contract, see README): every replicate `r` draws only from
//! streams keyed by `(seed, r, stream)`. Without stratification each arm screens and enrols
//! from its own stream (`stream` = arm index), so arms and replicates never share draws and
//! adding participants to an arm leaves the draws of those who completed at the smaller size
//! unchanged (an arm's dropouts are its last participants, one binomial count). A stratified trial
//! enrols from one stream (`STRATIFIED_STREAM`) and randomizes in permuted blocks within
//! each stratum. Under `[vitamin_d]` vitamin D draws come from a stream beside each enrolment
//! stream (`VITAMIN_D_STREAM`). Screening per arm is exact: with iid screenees, the total screened to fill
//! all arms is negative binomial either way.

use crate::analysis::{Cell, Estimate};
use crate::engine::comparison::{ComparisonScratch, CountRecord, SlotOutcome, adjust, analyse};
use crate::engine::plan::{ArmPlan, Mechanism, MissingPlan, Plan, logistic};
use crate::rng::{TrialRng, standard_normal as normal, stream_rng, uniform};
use crate::scenario::schema::SelectionMode;
use rand::{Rng, RngExt};

mod crossover;

/// Stream id of the single enrolment stream of a stratified trial.
pub(crate) const STRATIFIED_STREAM: u64 = u64::MAX;

/// Under `[vitamin_d]`, vitamin D statuses and test readings come from a stream of their own,
/// keyed `VITAMIN_D_STREAM ^ stream` for the enrolment stream `stream`, so that the
/// participants' other draws are those of the same design without vitamin D (only a vitamin D
/// test that turns people away adds screening draws to the enrolment stream).
pub(crate) const VITAMIN_D_STREAM: u64 = 1 << 62;

/// The vitamin D stream beside enrolment stream `(seed, rep, stream)`; `None` without it.
fn vitamin_d_rng(plan: &Plan, (seed, rep, stream): (u64, u64, u64)) -> Option<TrialRng> {
    plan.vitamin_d.as_ref().map(|_| stream_rng(seed, rep, VITAMIN_D_STREAM ^ stream))
}

/// Counts of one arm in one trial.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ArmCounts {
    pub enrolled: u32,
    /// Enrolled with true status below the deficiency cut-off.
    pub deficient: u32,
    pub dropouts: u32,
    /// Completers whose end-of-trial reading is at or above the assay's normal limit.
    pub normal_at_end: u32,
    /// Sum of the individual benefits of the enrolled (outcome units; 0 in placebo).
    pub benefit_sum: f64,
    /// Count outcomes: sum over the enrolled of the treatment's rate ratio `exp(-benefit)`.
    pub rate_ratio_sum: f64,
    /// By stratum: the enrolled of the low stratum (reading below the threshold), and their
    /// sums of benefit and of rate ratio.
    pub low_enrolled: u32,
    pub low_benefit_sum: f64,
    pub low_rate_ratio_sum: f64,
    /// Enrolled with GI side effects (Mg arms under `[side_effects]`).
    pub affected: u32,
    /// Sum over the enrolled of a combination's benefit that does not go through Mg.
    pub independent_sum: f64,
    /// Enrolled who are vitamin D deficient (under `[vitamin_d]`).
    pub vitamin_d_low: u32,
}

/// What one trial reports.
#[derive(Debug, Clone, PartialEq)]
pub struct TrialResult {
    pub screened: u64,
    /// Two-stage screening: people given the confirmatory test.
    pub confirmed: u64,
    pub arms: Vec<ArmCounts>,
    /// One per slot of the plan (see [`Plan::slots`]); `None` if the test could not be
    /// computed.
    pub comparisons: Vec<Option<Estimate>>,
}

/// An enrolled person's screening reading and true status.
#[derive(Debug, Clone, Copy)]
struct Enrolled {
    reading: f64,
    m: f64,
    /// Vitamin D deficient (under `[vitamin_d]`; else false).
    vitamin_d_low: bool,
}

/// People screened, passing the first stage, and given the confirmatory test, in one arm or
/// trial. Under a first-stage threshold only the passers are drawn; [`ScreenCounts::finish`]
/// adds those turned away.
#[derive(Debug, Clone, Copy, Default)]
struct ScreenCounts {
    screened: u64,
    passed: u64,
    confirmed: u64,
    /// Under enrolment on a vitamin D test: people given it.
    vitamin_d_tests: u64,
}

impl ScreenCounts {
    /// Adds the people turned away at the first stage (drawn from the same stream, after the
    /// arm's participants).
    fn finish<R: Rng>(&mut self, plan: &Plan, rng: &mut R) {
        if let Some(screening) = &plan.screening {
            self.screened += self.passed + screening.turned_away(rng, self.passed);
        }
    }
}

/// Screens until a person is eligible under the selection mode and, under `[vitamin_d]`, draws
/// their vitamin D status given true Mg (a uniform from `vitamin_d_rng`) and with vitamin D
/// selection screens on until a test reads deficient (a second uniform from it); counts everyone
/// screened. `None` when Mg status is not modelled. `MODIFIED`: vitamin D may be modelled (else
/// its code is compiled out).
#[inline(always)]
fn screen<R: Rng, const MODIFIED: bool>(
    plan: &Plan,
    rng: &mut R,
    vitamin_d_rng: &mut Option<R>,
    counts: &mut ScreenCounts,
) -> Option<Enrolled> {
    loop {
        let person = screen_mg(plan, rng, counts);
        let (true, Some(mut p), Some(vd), Some(vd_rng)) = (MODIFIED, person, &plan.vitamin_d, vitamin_d_rng.as_mut())
        else {
            return person;
        };
        p.vitamin_d_low = uniform(vd_rng) < vd.prob_deficient_tabled(p.m);
        if vd.selection.is_none() {
            return Some(p);
        }
        counts.vitamin_d_tests += 1;
        if vd.passes(p.vitamin_d_low, uniform(vd_rng)) {
            return Some(p);
        }
    }
}

/// Screens until a person is eligible under the Mg selection mode; counts everyone screened.
#[inline(always)]
fn screen_mg<R: Rng>(plan: &Plan, rng: &mut R, counts: &mut ScreenCounts) -> Option<Enrolled> {
    let Some(screening) = plan.screening.as_ref() else {
        counts.screened += 1;
        return None;
    };
    match plan.mode {
        SelectionMode::Enrich => {
            let person = screening.pass_first_stage(rng);
            counts.passed += 1;
            Some(Enrolled { reading: person.reading, m: screening.status(rng, &person), vitamin_d_low: false })
        }
        SelectionMode::TwoStage => loop {
            let person = screening.pass_first_stage(rng);
            counts.passed += 1;
            let m = screening.status(rng, &person);
            counts.confirmed += 1;
            if screening.confirms(rng, m) {
                return Some(Enrolled { reading: person.reading, m, vitamin_d_low: false });
            }
        },
        SelectionMode::AllComers if !plan.reads_assay => {
            counts.screened += 1;
            let m = screening.status_unread(rng);
            Some(Enrolled { reading: plan.assay.expected_reading(m), m, vitamin_d_low: false })
        }
        SelectionMode::AllComers | SelectionMode::Stratify => {
            let person = screening.screen(rng);
            counts.screened += 1;
            Some(Enrolled { reading: person.reading, m: screening.status(rng, &person), vitamin_d_low: false })
        }
    }
}

/// Whether a participant drops out (completely at random, with the arm's probability).
#[derive(Debug, Clone, Copy)]
enum Dropout {
    /// Decided for this person by a uniform drawn after treatment (stratified trials, which
    /// enrol the arms from one stream).
    Drawn,
    /// Decided for the arm beforehand: the arm's number of dropouts is one binomial draw, and
    /// its last participants are the ones who drop out ([`arm_completers`]).
    Decided(bool),
}

/// The number of an arm's participants who complete it, `n - D` with `D ~ Binomial(n, p)`
/// drawn as the stream's first words. The first `n - D` participants complete it: the
/// participants are independent and identically distributed, so which `D` of them drop out
/// does not change any result's distribution, and one draw per arm replaces a uniform and an
/// unpredictable branch per person.
#[inline(always)]
fn arm_completers<R: Rng>(rng: &mut R, arm: &ArmPlan) -> u32 {
    match &arm.dropouts {
        Some(dropouts) => arm.n_target - dropouts.sample(rng),
        None => arm.n_target,
    }
}

/// An enrolled person's Mg status as a treatment meets it (all zero without Mg status).
#[derive(Debug, Clone, Copy, Default)]
struct Status {
    /// Deficit below the replete target, and the part of it `arm` repletes (mmol/L).
    deficit: f64,
    repleted: f64,
    /// True Mg below the deficiency cut-off.
    low_mg: bool,
    /// The rise of true Mg by the end (mmol/L): the deficit repleted, plus the overshoot's rise.
    raised: f64,
    /// The U-shape's harm (outcome units; 0 without it).
    harm: f64,
    /// A combination's benefit that does not go through Mg (engine units; 0 without it).
    independent: f64,
}

/// The status of `person` under `arm`'s repletion, counting the deficient in `counts`; an
/// `affected` participant (side effects) repletes by the arm's table for those who skip doses.
/// `MODIFIED`: side effects or the U-shape may act (else their code is compiled out of the loop).
#[inline(always)]
fn status_under<R: Rng, const MODIFIED: bool>(
    plan: &Plan,
    rng: &mut R,
    person: Option<Enrolled>,
    arm: &ArmPlan,
    affected: bool,
    counts: &mut ArmCounts,
) -> Status {
    let (Some(person), Some(mg)) = (person, &plan.mg) else { return Status::default() };
    let low_mg = person.m < mg.deficiency_cutoff_mmol_per_l;
    counts.deficient += u32::from(low_mg);
    let deficit = mg.deficit(person.m);
    let repletion = match &arm.side_effects {
        Some(se) if MODIFIED && affected => se.repletion_if_affected.as_ref(),
        _ => arm.repletion.as_ref(),
    };
    if MODIFIED && arm.independent_benefit != 0.0 {
        // The other ingredients' benefit at the adherence that gives the repleted share.
        let (share, adherence) = match repletion {
            Some(r) => r.sample_with_adherence(rng, arm.adherence.as_ref(), arm.adherence_mean()),
            None => (0.0, arm.adherence_mean()),
        };
        let factor = match &arm.side_effects {
            Some(se) if affected => se.adherence_factor,
            _ => 1.0,
        };
        let independent = arm.independent_benefit * adherence * factor;
        return Status { independent, ..raise(plan, person.m, deficit, share, low_mg) };
    }
    let share = repletion.map_or(0.0, |repletion| repletion.sample(rng));
    let repleted = deficit * share;
    if !MODIFIED {
        return Status { deficit, repleted, low_mg, raised: repleted, harm: 0.0, independent: 0.0 };
    }
    raise(plan, person.m, deficit, share, low_mg)
}

/// The status reached with `share` of the reachable repletion: the deficit repleted, and under
/// the U-shape the rise past it and its harm.
#[inline(always)]
fn raise(plan: &Plan, m: f64, deficit: f64, share: f64, low_mg: bool) -> Status {
    let repleted = deficit * share;
    let Some(o) = &plan.response.overshoot else {
        return Status { deficit, repleted, low_mg, raised: repleted, harm: 0.0, independent: 0.0 };
    };
    let raised = repleted + o.rise_mmol_per_l * share;
    let harm = plan.response.overshoot_harm(m, m + raised);
    Status { deficit, repleted, low_mg, raised, harm, independent: 0.0 }
}

/// An enrolled person once treated: the individual benefit, whether side effects struck, and
/// what the end-of-trial reading needs.
#[derive(Debug, Clone, Copy)]
struct Treated {
    benefit: f64,
    affected: bool,
    /// The rise of true Mg by the end (mmol/L).
    raised: f64,
}

/// Enrols and treats one person (`low`: in the low stratum, when strata are reported): side
/// effects (a uniform, in an arm that has them), repletion, the benefit and its sums. With
/// `COUNTS`, the treatment's rate ratio `exp(-benefit)` is summed too.
#[inline(always)]
fn start_treatment<R: Rng, const COUNTS: bool, const MODIFIED: bool>(
    plan: &Plan,
    rng: &mut R,
    arm: &ArmPlan,
    person: Option<Enrolled>,
    low: bool,
    counts: &mut ArmCounts,
) -> Treated {
    counts.enrolled += 1;
    let affected = MODIFIED && arm.side_effects.as_ref().is_some_and(|se| uniform(rng) < se.probability);
    if MODIFIED {
        counts.affected += u32::from(affected);
        counts.vitamin_d_low += u32::from(person.is_some_and(|p| p.vitamin_d_low));
    }
    let mg = status_under::<R, MODIFIED>(plan, rng, person, arm, affected, counts);
    let benefit = match &arm.comparator {
        _ if arm.is_active && MODIFIED => {
            counts.independent_sum += mg.independent;
            // Vitamin D deficiency scales the benefit of repleting a deficit.
            let multiplier = match (person, &plan.vitamin_d) {
                (Some(p), Some(vd)) if p.vitamin_d_low && !arm.repletes_vitamin_d && mg.deficit > 0.0 => {
                    vd.benefit_multiplier
                }
                _ => 1.0,
            };
            plan.response.benefit(mg.deficit, mg.repleted, mg.low_mg) * multiplier - mg.harm + mg.independent
        }
        _ if arm.is_active => plan.response.benefit(mg.deficit, mg.repleted, mg.low_mg),
        Some(c) => arm.comparator_benefit(c, rng),
        None => 0.0,
    };
    let benefit = arm.offset(benefit);
    counts.benefit_sum += benefit;
    let rate_ratio = if COUNTS { (-benefit).exp() } else { 0.0 };
    counts.rate_ratio_sum += rate_ratio;
    if low {
        counts.low_enrolled += 1;
        counts.low_benefit_sum += benefit;
        counts.low_rate_ratio_sum += rate_ratio;
    }
    Treated { benefit, affected, raised: mg.raised }
}

/// Whether a participant drops out completely at random.
#[inline(always)]
fn drops_out_at_random<R: Rng>(rng: &mut R, arm: &ArmPlan, dropout: Dropout) -> bool {
    match dropout {
        Dropout::Drawn => arm.dropout > 0.0 && uniform(rng) < arm.dropout,
        Dropout::Decided(drops_out) => drops_out,
    }
}

/// Whether an affected participant drops out because of the side effects (a uniform, drawn
/// only for the affected).
#[inline(always)]
fn drops_out_for_side_effects<R: Rng, const MODIFIED: bool>(rng: &mut R, arm: &ArmPlan, affected: bool) -> bool {
    match &arm.side_effects {
        Some(se) if MODIFIED && affected => uniform(rng) < se.dropout_if_affected,
        _ => false,
    }
}

/// A completer's end-of-trial reading, counted when normal.
#[inline(always)]
fn read_at_end<R: Rng>(plan: &Plan, rng: &mut R, person: Option<Enrolled>, raised: f64, counts: &mut ArmCounts) {
    if let (Some(person), Some(screening)) = (person, &plan.screening) {
        let screening_error = person.reading - plan.assay.expected_reading(person.m);
        let reading = screening.reading_at_end(rng, plan.assay.expected_reading(person.m + raised), screening_error);
        counts.normal_at_end += u32::from(reading >= plan.assay.params.normal_low);
    }
}

/// Treats and follows up one enrolled person (`low`: in the low stratum, when strata are
/// reported); returns the individual benefit and whether the person completed the trial.
/// With `COUNTS`, the treatment's rate ratio `exp(-benefit)` is summed too.
#[inline(always)]
fn treat<R: Rng, const COUNTS: bool, const MODIFIED: bool>(
    plan: &Plan,
    rng: &mut R,
    arm: &ArmPlan,
    (person, dropout): (Option<Enrolled>, Dropout),
    low: bool,
    counts: &mut ArmCounts,
) -> (f64, bool) {
    let treated = start_treatment::<R, COUNTS, MODIFIED>(plan, rng, arm, person, low, counts);
    if drops_out_at_random(rng, arm, dropout) || drops_out_for_side_effects::<R, MODIFIED>(rng, arm, treated.affected) {
        counts.dropouts += 1;
        return (treated.benefit, false);
    }
    read_at_end(plan, rng, person, treated.raised, counts);
    (treated.benefit, true)
}

/// A person's scores on the scale before bounds and rounding, (baseline, follow-up).
#[inline(always)]
fn latent_scores<R: Rng>(plan: &Plan, rng: &mut R, benefit: f64) -> (f64, f64) {
    let o = &plan.outcome;
    let expected_change = o.common_change + o.benefit_sign * benefit;
    if plan.baseline_level_matters {
        // Observed baseline, then the follow-up given it (see outcome.rs): two normals.
        let dx = o.observed_baseline_sd * normal(rng);
        let y = o.baseline_mean
            + expected_change
            + o.followup_on_baseline * dx
            + o.followup_sd_given_baseline * normal(rng);
        (o.baseline_mean + dx, y)
    } else {
        // Unbounded, unrounded scale analysed as change: the true baseline cancels from
        // `y - x`. Follow-up noise = true change noise + follow-up measurement error.
        let y = o.baseline_mean + expected_change + o.followup_noise_sd * normal(rng);
        let x = if o.error_sd > 0.0 { o.baseline_mean + o.error_sd * normal(rng) } else { o.baseline_mean };
        (x, y)
    }
}

/// A completer's observed (baseline, follow-up) on the scale, centred on the baseline mean.
#[inline(always)]
fn measure_scale<R: Rng>(plan: &Plan, rng: &mut R, benefit: f64) -> (f64, f64) {
    let o = &plan.outcome;
    let (x, y) = latent_scores(plan, rng, benefit);
    (o.observe(x) - o.baseline_mean, o.observe(y) - o.baseline_mean)
}

/// [`follow_up`] when dropout is informative or the baseline is carried forward (`missing`):
/// everyone is measured before dropout is decided, and a dropout's observed baseline is
/// analysed as their follow-up under baseline carried forward. Draws after treatment: the
/// scores, a uniform for dropout (at random: the arm's count decides it, unless stratified), a
/// uniform for dropout from side effects (the affected), the end-of-trial reading (completers).
#[inline(always)]
fn follow_up_informative<R: Rng>(
    plan: &Plan,
    missing: &MissingPlan,
    rng: &mut R,
    arm: &ArmPlan,
    (person, dropout): (Option<Enrolled>, Dropout),
    low: bool,
    counts: &mut ArmCounts,
) -> Option<(f64, f64)> {
    let treated = start_treatment::<R, false, true>(plan, rng, arm, person, low, counts);
    let o = &plan.outcome;
    let (x, y) = latent_scores(plan, rng, treated.benefit);
    let at_random = match missing.mechanism {
        Mechanism::AtRandom => drops_out_at_random(rng, arm, dropout),
        Mechanism::BaselineSeverity { log_odds_per_sd } => {
            let severity = -o.benefit_sign * (x - o.baseline_mean) / o.observed_baseline_sd;
            uniform(rng) < logistic(arm.dropout_logit + log_odds_per_sd * severity)
        }
        Mechanism::NoImprovement { log_odds_per_sd, logit, placebo_improvement, improvement_sd } => {
            let lack = -(o.benefit_sign * (y - x) - placebo_improvement) / improvement_sd;
            uniform(rng) < logistic(logit + log_odds_per_sd * lack)
        }
    };
    let observed_x = o.observe(x) - o.baseline_mean;
    if at_random || drops_out_for_side_effects::<R, true>(rng, arm, treated.affected) {
        counts.dropouts += 1;
        return missing.carry_baseline_forward.then_some((observed_x, observed_x));
    }
    read_at_end(plan, rng, person, treated.raised, counts);
    Some((observed_x, o.observe(y) - o.baseline_mean))
}

/// [`fill_arm_screened`] when dropout is informative or the baseline is carried forward: strata
/// and responders always recorded, with or without Mg status.
#[inline(never)]
fn fill_arm_informative(plan: &Plan, missing: &MissingPlan, stream: (u64, u64, u64), arm: &ArmPlan) -> FilledArm {
    let mut rng = stream_rng(stream.0, stream.1, stream.2);
    let mut vd_rng = vitamin_d_rng(plan, stream);
    let mut out = FilledArm::default();
    // At random, the arm's dropouts are one binomial count as in the usual loops.
    let completers =
        if missing.mechanism == Mechanism::AtRandom { arm_completers(&mut rng, arm) } else { arm.n_target };
    for i in 0..arm.n_target {
        let person =
            (screen::<_, true>(plan, &mut rng, &mut vd_rng, &mut out.screening), Dropout::Decided(i >= completers));
        let stratum = stratum_of(plan, person.0);
        let low = stratum == 0 && plan.n_strata > 1;
        if let Some(xy) = follow_up_informative(plan, missing, &mut rng, arm, person, low, &mut out.counts) {
            add_scale_completer(plan, &mut out.cells[stratum], &mut out.responders[stratum], xy);
        }
    }
    out.screening.finish(plan, &mut rng);
    out
}

/// Treats, follows up and measures one enrolled person on the scale; returns the completer's
/// observed (baseline, follow-up), centred on the baseline mean, or `None` after dropout.
#[inline(always)]
fn follow_up<R: Rng, const MODIFIED: bool>(
    plan: &Plan,
    rng: &mut R,
    arm: &ArmPlan,
    person: (Option<Enrolled>, Dropout),
    low: bool,
    counts: &mut ArmCounts,
) -> Option<(f64, f64)> {
    let (benefit, completed) = treat::<R, false, MODIFIED>(plan, rng, arm, person, low, counts);
    completed.then(|| measure_scale(plan, rng, benefit))
}

/// The stratum of an enrolled person when strata are reported: 0 below the threshold, 1 at
/// or above it (and 0 when they are not).
#[inline(always)]
fn stratum_of(plan: &Plan, person: Option<Enrolled>) -> usize {
    match person {
        Some(p) if plan.n_strata > 1 && p.reading >= plan.threshold => 1,
        _ => 0,
    }
}

/// Adds a scale completer to its cell, and to the responders when they are counted.
#[inline(always)]
fn add_scale_completer(plan: &Plan, cell: &mut Cell, responders: &mut u32, (x, y): (f64, f64)) {
    cell.add(x, y);
    if let Some(r) = &plan.responder {
        let mean = plan.outcome.baseline_mean;
        *responders += u32::from(r.responds(x + mean, y + mean));
    }
}

/// What filling one arm leaves: the arm's counts, its completers' cells and responders by
/// stratum, and its screening counts.
#[derive(Debug, Clone, Copy, Default)]
struct FilledArm {
    counts: ArmCounts,
    cells: [Cell; 2],
    responders: [u32; 2],
    screening: ScreenCounts,
}

/// Screens, enrols, treats and follows up one arm's participants. The generator and the
/// accumulators are locals, so they stay in registers: no loop-carried chain through memory.
/// `EXTRAS`: strata or responders are recorded (a loop of its own, so that the usual design
/// pays nothing for them).
#[inline(always)]
fn fill_arm_screened<const EXTRAS: bool, const MODIFIED: bool>(
    plan: &Plan,
    stream: (u64, u64, u64),
    arm: &ArmPlan,
) -> FilledArm {
    // A generator made here is a local the loop keeps in registers.
    let mut rng = stream_rng(stream.0, stream.1, stream.2);
    let mut vd_rng = if MODIFIED { vitamin_d_rng(plan, stream) } else { None };
    let mut out = FilledArm::default();
    let completers = arm_completers(&mut rng, arm);
    for i in 0..arm.n_target {
        let person =
            (screen::<_, MODIFIED>(plan, &mut rng, &mut vd_rng, &mut out.screening), Dropout::Decided(i >= completers));
        if !EXTRAS {
            if let Some((x, y)) = follow_up::<_, MODIFIED>(plan, &mut rng, arm, person, false, &mut out.counts) {
                out.cells[0].add(x, y);
            }
            continue;
        }
        let stratum = stratum_of(plan, person.0);
        let low = stratum == 0 && plan.n_strata > 1;
        if let Some(xy) = follow_up::<_, MODIFIED>(plan, &mut rng, arm, person, low, &mut out.counts) {
            add_scale_completer(plan, &mut out.cells[stratum], &mut out.responders[stratum], xy);
        }
    }
    // Those turned away at the first stage, from the same stream after the participants.
    out.screening.finish(plan, &mut rng);
    out
}

/// [`fill_arm_screened`] when Mg status is not modelled: a loop of its own, without the
/// screening and status code, has fewer live values and keeps its accumulators in registers.
#[inline(never)]
fn fill_arm_without_status(plan: &Plan, stream: (u64, u64, u64), arm: &ArmPlan) -> FilledArm {
    let mut rng = stream_rng(stream.0, stream.1, stream.2);
    let mut out = FilledArm::default();
    let completers = arm_completers(&mut rng, arm);
    for i in 0..arm.n_target {
        if let Some(xy) = follow_up::<_, false>(
            plan,
            &mut rng,
            arm,
            (None, Dropout::Decided(i >= completers)),
            false,
            &mut out.counts,
        ) {
            add_scale_completer(plan, &mut out.cells[0], &mut out.responders[0], xy);
        }
    }
    out.screening = ScreenCounts { screened: u64::from(arm.n_target), ..ScreenCounts::default() };
    out
}

/// Screens, enrols, treats and follows up one arm's participants on a count outcome, into
/// `records` (cleared first): the loop of the count family.
#[inline(never)]
fn fill_arm_counts(
    plan: &Plan,
    stream: (u64, u64, u64),
    arm: &ArmPlan,
    records: &mut Vec<CountRecord>,
) -> (ArmCounts, ScreenCounts) {
    let (_, sampler) = plan.count.as_ref().expect("a count outcome");
    let mut rng = stream_rng(stream.0, stream.1, stream.2);
    let mut vd_rng = vitamin_d_rng(plan, stream);
    let (mut counts, mut screening) = (ArmCounts::default(), ScreenCounts::default());
    records.clear();
    let completers = arm_completers(&mut rng, arm);
    for i in 0..arm.n_target {
        let person = screen::<_, true>(plan, &mut rng, &mut vd_rng, &mut screening);
        let stratum = stratum_of(plan, person);
        let low = stratum == 0 && plan.n_strata > 1;
        let dropout = Dropout::Decided(i >= completers);
        let (benefit, completed) = treat::<_, true, true>(plan, &mut rng, arm, (person, dropout), low, &mut counts);
        if completed {
            let pair = sampler.draw(&mut rng, (-benefit).exp());
            records.push(CountRecord { baseline: pair.baseline, followup: pair.followup, stratum: stratum as u8 });
        }
    }
    if plan.screening.is_some() {
        screening.finish(plan, &mut rng);
    }
    (counts, screening)
}

/// One trial's results, reused from trial to trial so that simulating one allocates nothing.
#[derive(Debug, Clone)]
pub(crate) struct Trial {
    pub screened: u64,
    /// Two-stage screening: people given the confirmatory test.
    pub confirmed: u64,
    /// Enrolment on a vitamin D test: people given it.
    pub vitamin_d_tests: u64,
    pub arms: Vec<ArmCounts>,
    /// One per slot of the plan.
    pub results: Vec<SlotOutcome>,
    /// `cells[arm * n_strata + stratum]`, and the responders among their completers.
    cells: Vec<Cell>,
    responders: Vec<u32>,
    /// Count outcomes: each arm's completers.
    records: Vec<Vec<CountRecord>>,
    scratch: ComparisonScratch,
    /// Stratified randomization: the block in arm order, and each stratum's permuted block.
    block_in_arm_order: Vec<usize>,
    blocks: [Vec<usize>; 2],
    /// With several comparisons, the trial under the global null, from the same streams.
    twin: Option<Box<Trial>>,
    /// The trials at the margins of the plan's non-inferiority and equivalence comparisons.
    deciding_twins: Vec<Trial>,
}

impl Trial {
    pub fn new(plan: &Plan) -> Trial {
        let block: Vec<usize> = plan
            .arms
            .iter()
            .enumerate()
            .flat_map(|(a, arm)| {
                std::iter::repeat_n(a, (arm.allocation * plan.scenario.selection.blocks_per_ratio) as usize)
            })
            .collect();
        Trial {
            screened: 0,
            confirmed: 0,
            vitamin_d_tests: 0,
            arms: vec![ArmCounts::default(); plan.arms.len()],
            results: vec![SlotOutcome::NOT_ANALYSABLE; plan.slots.len()],
            cells: vec![Cell::default(); plan.arms.len() * plan.n_strata],
            responders: vec![0; plan.arms.len() * plan.n_strata],
            records: vec![Vec::new(); plan.arms.len()],
            scratch: ComparisonScratch::default(),
            blocks: [block.clone(), block.clone()],
            block_in_arm_order: block,
            twin: plan
                .multiplicity
                .as_ref()
                .and_then(|m| m.global_null.as_ref())
                .map(|null| Box::new(Trial::new(&null.plan))),
            deciding_twins: plan.deciding_twins.iter().map(|m| Trial::new(&m.twin.plan)).collect(),
        }
    }

    fn reset(&mut self) {
        self.screened = 0;
        self.confirmed = 0;
        self.vitamin_d_tests = 0;
        self.arms.fill(ArmCounts::default());
        self.cells.fill(Cell::default());
        self.responders.fill(0);
    }
}

/// [`fill_arm_without_status`] on an unbounded, unrounded scale analysed by change (no Mg
/// status, so every participant of the arm has the same benefit): the observed baseline is
/// the mean plus measurement error (exactly the mean with `MEASUREMENT_ERROR` false), and the
/// loop keeps only the sums the cell needs. It draws the same numbers in the
/// same order as [`follow_up`], so results are identical.
#[inline(never)]
fn fill_arm_linear<const MEASUREMENT_ERROR: bool>(plan: &Plan, stream: (u64, u64, u64), arm: &ArmPlan) -> FilledArm {
    // A generator made here is a local the loop keeps in registers.
    let mut rng = stream_rng(stream.0, stream.1, stream.2);
    let o = &plan.outcome;
    let benefit = arm.constant_benefit(&plan.response);
    let expected_followup = o.baseline_mean + (o.common_change + o.benefit_sign * benefit);
    let (mean, noise_sd, error_sd) = (o.baseline_mean, o.followup_noise_sd, o.error_sd);
    let (mut n, mut sum_x, mut sum_y, mut sum_xx, mut sum_xy, mut sum_yy) = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
    let completers = arm_completers(&mut rng, arm);
    for _ in 0..completers {
        let y = (expected_followup + noise_sd * normal(&mut rng)) - mean;
        n += 1.0;
        sum_y += y;
        sum_yy += y * y;
        if MEASUREMENT_ERROR {
            let x = (mean + error_sd * normal(&mut rng)) - mean;
            sum_x += x;
            sum_xx += x * x;
            sum_xy += x * y;
        }
    }
    let benefit_sum = benefit * f64::from(arm.n_target);
    let dropouts = arm.n_target - completers;
    let counts = ArmCounts { enrolled: arm.n_target, dropouts, benefit_sum, ..ArmCounts::default() };
    let cell = Cell { n, sum_x, sum_y, sum_xx, sum_xy, sum_yy };
    FilledArm {
        counts,
        cells: [cell, Cell::default()],
        responders: [0; 2],
        screening: ScreenCounts { screened: u64::from(arm.n_target), ..ScreenCounts::default() },
    }
}

/// Fills one arm of an unstratified trial with the loop specialised to the design.
#[inline(always)]
fn fill_arm(plan: &Plan, seed: u64, rep: u64, a: usize, arm: &ArmPlan) -> FilledArm {
    let stream = (seed, rep, a as u64);
    // Responders and strata need the participant-level loops (validated: strata need Mg status).
    // The linear loop gives every participant the arm's one benefit.
    if let Some(missing) = &plan.missing {
        return fill_arm_informative(plan, missing, stream, arm);
    }
    let level_or_varying = plan.baseline_level_matters || !arm.benefit_is_constant();
    match (plan.screening.is_some(), level_or_varying, plan.outcome.error_sd > 0.0) {
        // Side effects and the U-shape in loops of their own, so that the usual design pays nothing.
        (true, _, _) => {
            let extras = plan.n_strata > 1 || plan.responder.is_some();
            let modified = arm.side_effects.is_some()
                || plan.response.overshoot.is_some()
                || arm.independent_benefit != 0.0
                || plan.vitamin_d.is_some();
            match (extras, modified) {
                (true, true) => fill_arm_screened::<true, true>(plan, stream, arm),
                (true, false) => fill_arm_screened::<true, false>(plan, stream, arm),
                (false, true) => fill_arm_screened::<false, true>(plan, stream, arm),
                (false, false) => fill_arm_screened::<false, false>(plan, stream, arm),
            }
        }
        (false, false, false) => fill_arm_linear::<false>(plan, stream, arm),
        (false, false, true) => fill_arm_linear::<true>(plan, stream, arm),
        (false, true, _) => fill_arm_without_status(plan, stream, arm),
    }
}

/// Simulates replicate `rep` of the plan with master seed `seed`.
pub fn simulate_trial(plan: &Plan, seed: u64, rep: u64) -> TrialResult {
    let mut t = Trial::new(plan);
    simulate_trial_into(plan, seed, rep, &mut t);
    let comparisons = t.results.iter().map(SlotOutcome::estimate).collect();
    TrialResult { screened: t.screened, confirmed: t.confirmed, arms: t.arms, comparisons }
}

/// Simulates replicate `rep` of the plan with master seed `seed` into `t` (made by
/// [`Trial::new`] for this plan).
pub(crate) fn simulate_trial_into(plan: &Plan, seed: u64, rep: u64, t: &mut Trial) {
    simulate_with(plan, seed, rep, t, None);
}

/// [`simulate_trial_into`], the arms a twin does not draw again copied from `trial` (the
/// trial it is the twin of).
fn simulate_with(plan: &Plan, seed: u64, rep: u64, t: &mut Trial, trial: Option<(&Trial, &[bool])>) {
    fill_trial(plan, seed, rep, t, trial);
    let Trial { cells, responders, records, scratch, results, .. } = t;
    analyse(plan, cells, responders, records, scratch, results);
    if plan.multiplicity.is_none() && plan.deciding_twins.is_empty() {
        return;
    }
    // Twins draw the same streams with other truths; arms whose truth is the same are this
    // trial's (unless one stream enrols every arm: stratified).
    let mut twin = t.twin.take();
    if let (Some(m), Some(twin)) = (&plan.multiplicity, &mut twin)
        && let Some(null) = &m.global_null
    {
        simulate_with(&null.plan, seed, rep, twin, Some((t, &null.redrawn)));
    }
    let mut deciding_twins = std::mem::take(&mut t.deciding_twins);
    for (m, twin) in plan.deciding_twins.iter().zip(&mut deciding_twins) {
        simulate_with(&m.twin.plan, seed, rep, twin, Some((t, &m.twin.redrawn)));
    }
    if let Some(m) = &plan.multiplicity {
        adjust(plan, m, &mut t.results, twin.as_deref().map(|twin| twin.results.as_slice()));
    }
    for (m, twin) in plan.deciding_twins.iter().zip(&deciding_twins) {
        for &(row, in_twin) in &m.rows {
            let rejected = match &twin.results[in_twin] {
                SlotOutcome::Analysed(r) => r.rejected_in(&m.twin.plan, &m.twin.plan.slots[in_twin]),
                _ => false,
            };
            t.results[row] = SlotOutcome::Decided(rejected);
        }
    }
    t.twin = twin;
    t.deciding_twins = deciding_twins;
}

/// Fills `t` with replicate `rep`'s participants, arm by arm (stratified: from one stream);
/// with `trial`, the arms not marked redrawn are copied from that trial instead of drawn (the
/// twin's screening counts then leave them out: only the twin's analyses are used).
fn fill_trial(plan: &Plan, seed: u64, rep: u64, t: &mut Trial, trial: Option<(&Trial, &[bool])>) {
    t.reset();
    let ns = plan.n_strata;
    match (plan.mode, plan.count.is_some()) {
        (SelectionMode::Stratify, false) => stratified::<false>(plan, seed, rep, t),
        (SelectionMode::Stratify, true) => stratified::<true>(plan, seed, rep, t),
        (_, counts) => {
            for (a, arm) in plan.arms.iter().enumerate() {
                if let Some((from, redrawn)) = trial
                    && !redrawn[a]
                {
                    t.arms[a] = from.arms[a];
                    t.cells[a * ns..(a + 1) * ns].copy_from_slice(&from.cells[a * ns..(a + 1) * ns]);
                    t.responders[a * ns..(a + 1) * ns].copy_from_slice(&from.responders[a * ns..(a + 1) * ns]);
                    t.records[a].clear();
                    t.records[a].extend_from_slice(&from.records[a]);
                    continue;
                }
                let (counts, screening) = if counts {
                    match plan.crossover {
                        Some(_) => crossover::fill_sequence_counts(plan, (seed, rep, a as u64), a, &mut t.records[a]),
                        None => fill_arm_counts(plan, (seed, rep, a as u64), arm, &mut t.records[a]),
                    }
                } else {
                    let filled = match plan.crossover {
                        Some(_) => crossover::fill_sequence(plan, (seed, rep, a as u64), a),
                        None => fill_arm(plan, seed, rep, a, arm),
                    };
                    t.cells[a * ns..(a + 1) * ns].copy_from_slice(&filled.cells[..ns]);
                    t.responders[a * ns..(a + 1) * ns].copy_from_slice(&filled.responders[..ns]);
                    (filled.counts, filled.screening)
                };
                t.arms[a] = counts;
                t.screened += screening.screened;
                t.confirmed += screening.confirmed;
                t.vitamin_d_tests += screening.vitamin_d_tests;
            }
        }
    }
}

/// Stratified randomization: everyone screened is enrolled until the total is reached; each
/// stratum (reading below / at-or-above the threshold) has its own sequence of permuted
/// blocks holding `blocks_per_ratio * allocation` slots per arm. Slots of an arm that already
/// has its size are skipped, so the arms end with exactly their sizes (as a trial closes an
/// arm that has recruited its target).
/// `COUNTS`: the loop of a count outcome (else of a scale), chosen once per trial.
fn stratified<const COUNTS: bool>(plan: &Plan, seed: u64, rep: u64, t: &mut Trial) {
    let mut rng: TrialRng = stream_rng(seed, rep, STRATIFIED_STREAM);
    let mut vd_rng = vitamin_d_rng(plan, (seed, rep, STRATIFIED_STREAM));
    let sampler = plan.count.as_ref().map(|(_, s)| s);
    // Every trial starts from the blocks in arm order, as if freshly made.
    for b in &mut t.blocks {
        b.copy_from_slice(&t.block_in_arm_order);
    }
    let blocks = &mut t.blocks;
    let mut next = [usize::MAX; 2];
    let total = plan.total_enrolled();
    let mut screening = ScreenCounts::default();
    for r in &mut t.records {
        r.clear();
    }
    for _ in 0..total {
        let person = screen::<_, true>(plan, &mut rng, &mut vd_rng, &mut screening);
        let stratum = match person {
            Some(p) if p.reading < plan.threshold => 0,
            _ => 1,
        };
        // The next slot of the stratum's block whose arm is not yet full: an arm that has its
        // size gets no more participants, so every arm ends with exactly its size.
        let a = loop {
            if next[stratum] >= blocks[stratum].len() {
                // Fisher-Yates shuffle of a fresh block.
                let b = &mut blocks[stratum];
                for i in (1..b.len()).rev() {
                    let j = rng.random_range(0..=i);
                    b.swap(i, j);
                }
                next[stratum] = 0;
            }
            let a = blocks[stratum][next[stratum]];
            next[stratum] += 1;
            if t.arms[a].enrolled < plan.arms[a].n_target {
                break a;
            }
        };
        let arm = &plan.arms[a];
        if COUNTS {
            let person = (person, Dropout::Drawn);
            let (benefit, completed) =
                treat::<_, true, true>(plan, &mut rng, arm, person, stratum == 0, &mut t.arms[a]);
            if let (true, Some(sampler)) = (completed, sampler) {
                let pair = sampler.draw(&mut rng, (-benefit).exp());
                t.records[a].push(CountRecord {
                    baseline: pair.baseline,
                    followup: pair.followup,
                    stratum: stratum as u8,
                });
            }
        } else {
            let person = (person, Dropout::Drawn);
            let low = stratum == 0;
            let followed = match &plan.missing {
                Some(missing) => follow_up_informative(plan, missing, &mut rng, arm, person, low, &mut t.arms[a]),
                None => follow_up::<_, true>(plan, &mut rng, arm, person, low, &mut t.arms[a]),
            };
            if let Some(xy) = followed {
                let k = a * plan.n_strata + stratum;
                add_scale_completer(plan, &mut t.cells[k], &mut t.responders[k], xy);
            }
        }
    }
    t.screened += screening.screened;
    t.vitamin_d_tests += screening.vitamin_d_tests;
}
