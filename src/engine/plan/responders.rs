//! Effects solved from responder shares, by bisection over one fixed set of simulated
//! completers (common random numbers, so the share never falls as the benefit rises), each
//! drawn as the trial draws a scale completer (observed baseline, then the follow-up given it,
//! bounds and rounding) with their own adherence:
//! - a comparator given by its responder percentage (`arms.<name>.responder_percent`): the
//!   full-dose effect;
//! - the twin at a responder margin: the shift of the reference's benefit that lowers its
//!   responder share by exactly the margin.

use super::{Adherence, ResponderPlan};
use crate::model::outcome::OutcomeModel;

/// Completers simulated: the MC SE of a share is at most 0.0016, about 0.004 SD of the change
/// in a solved effect.
pub(crate) const PEOPLE: usize = 100_000;
/// Bisection steps, from a span of [`SPAN_SDS`] SDs either way (to ~1e-7 SD).
const STEPS: usize = 30;
/// A solved effect or shift lies within this many SDs of the follow-up either way.
pub(crate) const SPAN_SDS: f64 = 20.0;
/// The stream seed of the solve (fixed: the same scenario always solves the same value,
/// whatever its own seed).
const SEED: u64 = 0x6d67_7472_6961_6c31;

/// A person's benefit is `full_dose * adherence + shift`; one of the two is solved.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Solve {
    /// The full-dose benefit that gives a share of `target` (no shift).
    FullDose { target: f64 },
    /// The shift of a benefit `full_dose * adherence + shift0` that lowers its share by `points`
    /// (a share, 0.1 for 10 points); the result is the shift to add to `shift0`.
    LowerBy { full_dose: f64, shift0: f64, points: f64 },
}

/// The solved value of `solve` (see [`Solve`]); `None` if nothing within [`SPAN_SDS`] SDs
/// either way reaches it. Memoized: sweeps resolve many plans.
pub(crate) fn solve(
    o: &OutcomeModel,
    rule: &ResponderPlan,
    adherence: Option<&Adherence>,
    adherence_mean: f64,
    what: Solve,
) -> Option<f64> {
    static CACHE: crate::numeric::Memo<Vec<u64>, Option<f64>> = crate::numeric::Memo::new();
    let (mode, a, b, c) = match what {
        Solve::FullDose { target } => (0.0, target, 0.0, 0.0),
        Solve::LowerBy { full_dose, shift0, points } => (1.0, full_dose, shift0, points),
    };
    let key: Vec<u64> = [
        o.baseline_mean,
        o.observed_baseline_sd,
        o.common_change,
        o.followup_on_baseline,
        o.followup_sd_given_baseline,
        o.benefit_sign,
        o.min,
        o.max,
        f64::from(u8::from(o.integer)),
        f64::from(rule.rule as u8),
        rule.fraction,
        rule.cutoff,
        f64::from(u8::from(rule.lower_is_better)),
        adherence_mean,
        mode,
        a,
        b,
        c,
    ]
    .iter()
    .map(|v| v.to_bits())
    // The adherence table lives as long as the process (memoized), so its address is a key.
    .chain([adherence.map_or(0, |t| std::ptr::from_ref(t.quantiles()) as u64)])
    .collect();
    crate::numeric::memoized(&CACHE, key, |_| {
        let mut rng = crate::rng::stream_rng(SEED, 0, 0);
        let people: Vec<(f64, f64, f64)> = (0..PEOPLE)
            .map(|_| {
                let share = adherence.map_or(adherence_mean, |t| t.sample(&mut rng));
                let dx = o.observed_baseline_sd * crate::rng::standard_normal(&mut rng);
                (share, dx, o.followup_sd_given_baseline * crate::rng::standard_normal(&mut rng))
            })
            .collect();
        let responding = |full_dose: f64, shift: f64| {
            let responders = people
                .iter()
                .filter(|(share, dx, noise)| {
                    let x = o.baseline_mean + dx;
                    let benefit = full_dose * share + shift;
                    let y = o.baseline_mean
                        + o.common_change
                        + o.benefit_sign * benefit
                        + o.followup_on_baseline * dx
                        + noise;
                    rule.responds(o.observe(x), o.observe(y))
                })
                .count();
            responders as f64 / PEOPLE as f64
        };
        let span = SPAN_SDS * o.followup_sd_given_baseline.max(o.change_sd);
        // The unknown `x`: the full dose with no shift, or the shift added to `shift0`.
        let share = |x: f64| match what {
            Solve::FullDose { .. } => responding(x, 0.0),
            Solve::LowerBy { full_dose, shift0, .. } => responding(full_dose, shift0 + x),
        };
        let (target, (mut lo, mut hi)) = match what {
            Solve::FullDose { target } => (target, (-span, span)),
            Solve::LowerBy { points, .. } => (share(0.0) - points, (-span, 0.0)),
        };
        if share(lo) > target || share(hi) < target {
            return None;
        }
        for _ in 0..STEPS {
            let mid = 0.5 * (lo + hi);
            if share(mid) < target { lo = mid } else { hi = mid }
        }
        Some(0.5 * (lo + hi))
    })
}
