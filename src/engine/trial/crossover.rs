//! The participants of a crossover (AB/BA; Jones & Kenward 2015, ch. 2). Each arm's stream
//! enrols one sequence: the Mg arm's takes Mg in period 1 and the control in period 2 (AB),
//! the control arm's the reverse (BA).
//!
//! A participant's score at the end of period `p` is their own level (the true baseline, which
//! makes the periods correlated), plus the change every arm sees, plus the period shift in
//! period 2, plus the benefit they carry then, plus `N(0, change_sd^2)` of their own change in
//! that period and the occasion's measurement error; then clipped and rounded as the scale is.
//! The benefit is Mg's in its period, and in period 2 of sequence AB the carried-over share of
//! the period-1 benefit. A dropout in either period loses the person (complete cases: the
//! period difference needs both).
//!
//! The cell of the sequence receives `(x, y) = (y2 / 2, y1 / 2)`, so that the change score the
//! two-sample analyses read is the half period difference `(y1 - y2) / 2`: the difference of
//! its means between the sequences estimates the treatment effect with the period effect
//! removed, and Welch's t on it is Jones & Kenward's t test of the period differences.

use super::{ArmCounts, CountRecord, Enrolled, FilledArm, ScreenCounts, arm_completers, screen, status_under};
use crate::engine::plan::{ArmPlan, CrossoverPlan, Plan};
use crate::rng::{TrialRng, standard_normal as normal, stream_rng};

/// The crossover, the Mg arm, and whether arm `a`'s sequence takes Mg first.
fn sequence(plan: &Plan, a: usize) -> (&CrossoverPlan, &ArmPlan, bool) {
    let crossover = plan.crossover.as_ref().expect("a crossover plan");
    (crossover, &plan.arms[crossover.mg_arm], a == crossover.mg_arm)
}

/// An enrolled person's benefit from Mg in its period (engine units), counted in `counts`: the
/// Mg-first sequence carries the true effect (its mean benefit), the other none, as a placebo
/// arm would.
fn benefit_of_mg(
    plan: &Plan,
    rng: &mut TrialRng,
    person: Option<Enrolled>,
    mg_arm: &ArmPlan,
    mg_first: bool,
    counts: &mut ArmCounts,
) -> f64 {
    let status = status_under::<_, false>(plan, rng, person, mg_arm, false, counts);
    let benefit = plan.response.benefit(status.deficit, status.repleted, status.low_mg);
    counts.enrolled += 1;
    let counted = if mg_first { benefit } else { 0.0 };
    counts.benefit_sum += counted;
    counts.rate_ratio_sum += (-counted).exp();
    benefit
}

/// Enrols, treats and measures sequence `a` (the participants of arm `a`) of a crossover on a
/// rating scale.
pub(super) fn fill_sequence(plan: &Plan, stream: (u64, u64, u64), a: usize) -> FilledArm {
    let (crossover, mg_arm, mg_first) = sequence(plan, a);
    let o = &plan.outcome;
    let mut rng = stream_rng(stream.0, stream.1, stream.2);
    let mut out = FilledArm::default();
    let completers = arm_completers(&mut rng, &plan.arms[a]);
    for i in 0..plan.arms[a].n_target {
        let person = screen::<_, false>(plan, &mut rng, &mut None, &mut out.screening);
        let benefit = benefit_of_mg(plan, &mut rng, person, mg_arm, mg_first, &mut out.counts);
        if i >= completers {
            out.counts.dropouts += 1;
            continue;
        }
        let signed = o.benefit_sign * benefit;
        let (in_period_1, in_period_2) = if mg_first { (signed, crossover.carryover * signed) } else { (0.0, signed) };
        let level = o.baseline_mean + o.baseline_sd * normal(&mut rng) + o.common_change;
        let y1 = level + in_period_1 + o.followup_noise_sd * normal(&mut rng);
        let y2 = level + crossover.period_shift + in_period_2 + o.followup_noise_sd * normal(&mut rng);
        let (y1, y2) = (o.observe(y1) - o.baseline_mean, o.observe(y2) - o.baseline_mean);
        out.cells[0].add(0.5 * y2, 0.5 * y1);
    }
    out.screening.finish(plan, &mut rng);
    out
}

/// [`fill_sequence`] on a count outcome: each completer's counts in the last window of each
/// period, at their own rate (shared by the periods), into `records` as `baseline` = period 2
/// and `followup` = period 1, so that the change the rank analysis reads is the period
/// difference (Koch 1972).
pub(super) fn fill_sequence_counts(
    plan: &Plan,
    stream: (u64, u64, u64),
    a: usize,
    records: &mut Vec<CountRecord>,
) -> (ArmCounts, ScreenCounts) {
    let (crossover, mg_arm, mg_first) = sequence(plan, a);
    let (_, sampler) = plan.count.as_ref().expect("a count outcome");
    let mut rng = stream_rng(stream.0, stream.1, stream.2);
    let (mut counts, mut screening) = (ArmCounts::default(), ScreenCounts::default());
    records.clear();
    let completers = arm_completers(&mut rng, &plan.arms[a]);
    for i in 0..plan.arms[a].n_target {
        let person = screen::<_, false>(plan, &mut rng, &mut None, &mut screening);
        let benefit = benefit_of_mg(plan, &mut rng, person, mg_arm, mg_first, &mut counts);
        if i >= completers {
            counts.dropouts += 1;
            continue;
        }
        let (in_period_1, in_period_2) =
            if mg_first { (benefit, crossover.carryover * benefit) } else { (0.0, benefit) };
        let (period_1, period_2) = sampler.draw_periods(&mut rng, (-in_period_1).exp(), (-in_period_2).exp());
        records.push(CountRecord { baseline: period_2, followup: period_1, stratum: 0 });
    }
    screening.finish(plan, &mut rng);
    (counts, screening)
}
