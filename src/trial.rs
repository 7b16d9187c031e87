//! One simulated trial: screen, enrol, randomize, treat, measure, analyse.
//!
//! Random streams (the seed contract, see README): every replicate `r` draws only from
//! streams keyed by `(seed, r, stream)`. Without stratification each arm screens and enrols
//! from its own stream (`stream` = arm index), so arms and replicates never share draws and
//! adding participants to an arm leaves the earlier ones unchanged. A stratified trial
//! enrols from one stream (`STRATIFIED_STREAM`) and randomizes in permuted blocks within
//! each stratum. Screening per arm is exact: with iid screenees, the total screened to fill
//! all arms is negative binomial either way.

use crate::analysis::{Cell, Estimate, ancova::ancova, welch::welch};
use crate::plan::{ArmPlan, Plan};
use crate::rng::{TrialRng, standard_normal as normal, stream_rng, uniform};
use crate::scenario::{SelectionMode, TestKind};
use rand::{Rng, RngExt};

/// Stream id of the single enrolment stream of a stratified trial.
pub const STRATIFIED_STREAM: u64 = u64::MAX;

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
}

/// What one trial reports.
#[derive(Debug, Clone, PartialEq)]
pub struct TrialResult {
    pub screened: u64,
    /// Two-stage screening: people given the confirmatory test.
    pub confirmed: u64,
    pub arms: Vec<ArmCounts>,
    /// One per active arm, in file order; `None` if the test could not be computed.
    pub comparisons: Vec<Option<Estimate>>,
}

/// An enrolled person's screening reading and true status.
#[derive(Debug, Clone, Copy)]
struct Enrolled {
    reading: f64,
    m: f64,
}

/// People screened, passing the first stage, and given the confirmatory test, in one arm or
/// trial. Under a first-stage threshold only the passers are drawn; [`ScreenCounts::finish`]
/// adds those turned away.
#[derive(Debug, Clone, Copy, Default)]
struct ScreenCounts {
    screened: u64,
    passed: u64,
    confirmed: u64,
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

/// Screens until a person is eligible under the selection mode; counts everyone screened.
/// `None` when Mg status is not modelled.
#[inline(always)]
fn screen<R: Rng>(plan: &Plan, rng: &mut R, counts: &mut ScreenCounts) -> Option<Enrolled> {
    let Some(screening) = plan.screening.as_ref() else {
        counts.screened += 1;
        return None;
    };
    match plan.mode {
        SelectionMode::Enrich => {
            let person = screening.pass_first_stage(rng);
            counts.passed += 1;
            Some(Enrolled { reading: person.reading, m: screening.status(rng, &person) })
        }
        SelectionMode::TwoStage => loop {
            let person = screening.pass_first_stage(rng);
            counts.passed += 1;
            let m = screening.status(rng, &person);
            counts.confirmed += 1;
            if screening.confirms(rng, m) {
                return Some(Enrolled { reading: person.reading, m });
            }
        },
        SelectionMode::AllComers | SelectionMode::Stratify => {
            let person = screening.screen(rng);
            counts.screened += 1;
            Some(Enrolled { reading: person.reading, m: screening.status(rng, &person) })
        }
    }
}

/// Treats, follows up and measures one enrolled person; returns the completer's observed
/// (baseline, follow-up), centred on the baseline mean, or `None` after dropout.
#[inline(always)]
fn follow_up<R: Rng>(
    plan: &Plan,
    rng: &mut R,
    arm: &ArmPlan,
    person: Option<Enrolled>,
    counts: &mut ArmCounts,
) -> Option<(f64, f64)> {
    counts.enrolled += 1;
    let mut repleted = 0.0;
    let mut deficit = 0.0;
    let mut status = None;
    if let (Some(person), Some(screening), Some(mg)) = (person, &plan.screening, &plan.mg) {
        let m = person.m;
        counts.deficient += u32::from(m < mg.deficiency_cutoff_mmol_per_l);
        deficit = mg.deficit(m);
        if let Some(exposure) = &arm.exposure {
            let adherence = match &arm.adherence {
                Some(beta) => beta.sample(rng),
                None => exposure.adherence_mean,
            };
            let absorbed = exposure.bioavailability * exposure.dose_mg_per_day * adherence;
            repleted = deficit * plan.response.repleted_fraction(absorbed);
        }
        status = Some((screening, person.reading - plan.assay.expected_reading(m), m));
    }
    let benefit = if arm.is_active { plan.response.benefit(deficit, repleted) } else { 0.0 };
    counts.benefit_sum += benefit;
    if arm.dropout > 0.0 && uniform(rng) < arm.dropout {
        counts.dropouts += 1;
        return None;
    }
    if let Some((screening, screening_error, m)) = status {
        let reading = screening.reading_at_end(rng, plan.assay.expected_reading(m + repleted), screening_error);
        counts.normal_at_end += u32::from(reading >= plan.assay.params.normal_low);
    }
    let o = &plan.outcome;
    let expected_change = o.common_change + o.benefit_sign * benefit;
    let (x, y) = if plan.baseline_level_matters {
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
    };
    Some((o.observe(x) - o.baseline_mean, o.observe(y) - o.baseline_mean))
}

/// What filling one arm leaves: the arm's counts, its completers' cell and its screening
/// counts.
type FilledArm = (ArmCounts, Cell, ScreenCounts);

/// Screens, enrols, treats and follows up one arm's participants. The generator and the
/// accumulators are locals, so they stay in registers: no loop-carried chain through memory.
#[inline(always)]
fn fill_arm_screened(plan: &Plan, stream: (u64, u64, u64), arm: &ArmPlan) -> FilledArm {
    // A generator made here is a local the loop keeps in registers.
    let mut rng = stream_rng(stream.0, stream.1, stream.2);
    let (mut counts, mut cell, mut screening) = (ArmCounts::default(), Cell::default(), ScreenCounts::default());
    for _ in 0..arm.n_target {
        let person = screen(plan, &mut rng, &mut screening);
        if let Some((x, y)) = follow_up(plan, &mut rng, arm, person, &mut counts) {
            cell.add(x, y);
        }
    }
    // Those turned away at the first stage, from the same stream after the participants.
    screening.finish(plan, &mut rng);
    (counts, cell, screening)
}

/// [`fill_arm_screened`] when Mg status is not modelled: a loop of its own, without the
/// screening and status code, has fewer live values and keeps its accumulators in registers.
#[inline(never)]
fn fill_arm_without_status(plan: &Plan, stream: (u64, u64, u64), arm: &ArmPlan) -> FilledArm {
    let mut rng = stream_rng(stream.0, stream.1, stream.2);
    let (mut counts, mut cell) = (ArmCounts::default(), Cell::default());
    for _ in 0..arm.n_target {
        if let Some((x, y)) = follow_up(plan, &mut rng, arm, None, &mut counts) {
            cell.add(x, y);
        }
    }
    (counts, cell, ScreenCounts { screened: u64::from(arm.n_target), ..ScreenCounts::default() })
}

/// One trial's results, reused from trial to trial so that simulating one allocates nothing.
#[derive(Debug, Clone)]
pub struct Trial {
    pub screened: u64,
    /// Two-stage screening: people given the confirmatory test.
    pub confirmed: u64,
    pub arms: Vec<ArmCounts>,
    /// One per active arm, in file order; `None` if the test could not be computed.
    pub comparisons: Vec<Option<Estimate>>,
    /// `cells[arm * n_strata + stratum]`.
    cells: Vec<Cell>,
    /// Stratified randomization: the block in arm order, and each stratum's permuted block.
    block_in_arm_order: Vec<usize>,
    blocks: [Vec<usize>; 2],
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
            arms: vec![ArmCounts::default(); plan.arms.len()],
            comparisons: vec![None; plan.active_arms().count()],
            cells: vec![Cell::default(); plan.arms.len() * plan.n_strata],
            blocks: [block.clone(), block.clone()],
            block_in_arm_order: block,
        }
    }

    fn reset(&mut self) {
        self.screened = 0;
        self.confirmed = 0;
        self.arms.fill(ArmCounts::default());
        self.cells.fill(Cell::default());
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
    let benefit = if arm.is_active { plan.response.benefit(0.0, 0.0) } else { 0.0 };
    let expected_followup = o.baseline_mean + (o.common_change + o.benefit_sign * benefit);
    let (mean, noise_sd, error_sd, dropout) = (o.baseline_mean, o.followup_noise_sd, o.error_sd, arm.dropout);
    let (mut benefit_sum, mut dropouts) = (0.0, 0u32);
    let (mut n, mut sum_x, mut sum_y, mut sum_xx, mut sum_xy, mut sum_yy) = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
    for _ in 0..arm.n_target {
        benefit_sum += benefit;
        if dropout > 0.0 && uniform(&mut rng) < dropout {
            dropouts += 1;
            continue;
        }
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
    let counts = ArmCounts { enrolled: arm.n_target, dropouts, benefit_sum, ..ArmCounts::default() };
    let cell = Cell { n, sum_x, sum_y, sum_xx, sum_xy, sum_yy };
    (counts, cell, ScreenCounts { screened: u64::from(arm.n_target), ..ScreenCounts::default() })
}

/// Fills one arm of an unstratified trial with the loop specialised to the design.
#[inline(always)]
fn fill_arm(plan: &Plan, seed: u64, rep: u64, a: usize, arm: &ArmPlan) -> FilledArm {
    let stream = (seed, rep, a as u64);
    match (plan.screening.is_some(), plan.baseline_level_matters, plan.outcome.error_sd > 0.0) {
        (true, _, _) => fill_arm_screened(plan, stream, arm),
        (false, false, false) => fill_arm_linear::<false>(plan, stream, arm),
        (false, false, true) => fill_arm_linear::<true>(plan, stream, arm),
        (false, true, _) => fill_arm_without_status(plan, stream, arm),
    }
}

/// Simulates replicate `rep` of the plan with master seed `seed`.
pub fn simulate_trial(plan: &Plan, seed: u64, rep: u64) -> TrialResult {
    let mut t = Trial::new(plan);
    simulate_trial_into(plan, seed, rep, &mut t);
    TrialResult { screened: t.screened, confirmed: t.confirmed, arms: t.arms, comparisons: t.comparisons }
}

/// Simulates replicate `rep` of the plan with master seed `seed` into `t` (made by
/// [`Trial::new`] for this plan).
pub fn simulate_trial_into(plan: &Plan, seed: u64, rep: u64, t: &mut Trial) {
    t.reset();
    match plan.mode {
        SelectionMode::AllComers | SelectionMode::Enrich | SelectionMode::TwoStage => {
            for (a, arm) in plan.arms.iter().enumerate() {
                let (counts, cell, screening) = fill_arm(plan, seed, rep, a, arm);
                t.arms[a] = counts;
                t.cells[a] = cell;
                t.screened += screening.screened;
                t.confirmed += screening.confirmed;
            }
        }
        SelectionMode::Stratify => stratified(plan, seed, rep, t),
    }
    let placebo = plan.placebo;
    let ns = plan.n_strata;
    let sign = plan.outcome.benefit_sign;
    let cells = &t.cells;
    for (slot, a) in t.comparisons.iter_mut().zip(plan.active_arms()) {
        let (act, pla) = (&cells[a * ns..(a + 1) * ns], &cells[placebo * ns..(placebo + 1) * ns]);
        *slot = match plan.test {
            TestKind::Welch => {
                let merge = |cs: &[Cell]| cs.iter().fold(Cell::default(), |acc, c| acc.merged(*c));
                welch(&merge(act), &merge(pla), sign)
            }
            TestKind::Ancova => ancova(act, pla, ns > 1, sign),
        };
    }
}

/// Stratified randomization: everyone screened is enrolled until the total is reached; each
/// stratum (reading below / at-or-above the threshold) has its own sequence of permuted
/// blocks holding `blocks_per_ratio * allocation` slots per arm. Slots of an arm that already
/// has its size are skipped, so the arms end with exactly their sizes (as a trial closes an
/// arm that has recruited its target).
fn stratified(plan: &Plan, seed: u64, rep: u64, t: &mut Trial) {
    let mut rng: TrialRng = stream_rng(seed, rep, STRATIFIED_STREAM);
    // Every trial starts from the blocks in arm order, as if freshly made.
    for b in &mut t.blocks {
        b.copy_from_slice(&t.block_in_arm_order);
    }
    let blocks = &mut t.blocks;
    let mut next = [usize::MAX; 2];
    let total = plan.total_enrolled();
    let mut screening = ScreenCounts::default();
    for _ in 0..total {
        let person = screen(plan, &mut rng, &mut screening);
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
        if let Some((x, y)) = follow_up(plan, &mut rng, &plan.arms[a], person, &mut t.arms[a]) {
            t.cells[a * 2 + stratum].add(x, y);
        }
    }
    t.screened += screening.screened;
}
