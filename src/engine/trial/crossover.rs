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

use super::{FilledArm, arm_completers, screen};
use crate::engine::plan::Plan;
use crate::rng::{standard_normal as normal, stream_rng};

/// Enrols, treats and measures sequence `a` (the participants of arm `a`) of a crossover.
pub(super) fn fill_sequence(plan: &Plan, stream: (u64, u64, u64), a: usize) -> FilledArm {
    let crossover = plan.crossover.as_ref().expect("a crossover plan");
    let (arm, mg_arm) = (&plan.arms[a], &plan.arms[crossover.mg_arm]);
    let mg_first = a == crossover.mg_arm;
    let o = &plan.outcome;
    let mut rng = stream_rng(stream.0, stream.1, stream.2);
    let mut out = FilledArm::default();
    let completers = arm_completers(&mut rng, arm);
    for i in 0..arm.n_target {
        let person = screen(plan, &mut rng, &mut out.screening);
        let (mut deficit, mut repleted, mut low_mg) = (0.0, 0.0, false);
        if let (Some(person), Some(mg)) = (person, &plan.mg) {
            low_mg = person.m < mg.deficiency_cutoff_mmol_per_l;
            out.counts.deficient += u32::from(low_mg);
            deficit = mg.deficit(person.m);
            if let Some(repletion) = &mg_arm.repletion {
                repleted = deficit * repletion.sample(&mut rng);
            }
        }
        let benefit = plan.response.benefit(deficit, repleted, low_mg);
        out.counts.enrolled += 1;
        // The true effect is the mean benefit of Mg: one sequence's, against none in the other.
        if mg_first {
            out.counts.benefit_sum += benefit;
        }
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
