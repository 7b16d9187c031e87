//! Wilcoxon-Mann-Whitney rank-sum test for ordinal or heavily tied outcomes such as changes in
//! counts: the normal approximation with the tie correction of the variance, without a
//! continuity correction (Lehmann 1975, *Nonparametrics*, sec. 1.4; R's `wilcox.test` with
//! `exact = FALSE, correct = FALSE`). Ties get midranks.
//!
//! The estimate is on the probability scale: `U / (n_a n_p) - 1/2`, where `U / (n_a n_p)` is
//! the probability that an active participant's value exceeds a placebo participant's (ties
//! counting one half), so that 0 is no effect; its SE is that of `U` under the null divided
//! by `n_a n_p`, and the test statistic `estimate / SE` is the usual z.

use super::Estimate;

/// Pooled values with their group, reused from trial to trial.
#[derive(Debug, Clone, Default)]
pub struct RankScratch {
    pooled: Vec<(f64, bool)>,
}

/// Rank-sum comparison of `active` with `placebo`, values oriented so that higher is better
/// for active (`benefit_sign` +1), or lower (`-1`). `None` with an empty group or when every
/// value is tied (no variance).
pub fn wilcoxon(active: &[f64], placebo: &[f64], benefit_sign: f64, scratch: &mut RankScratch) -> Option<Estimate> {
    let (na, np) = (active.len() as f64, placebo.len() as f64);
    if active.is_empty() || placebo.is_empty() {
        return None;
    }
    let pooled = &mut scratch.pooled;
    pooled.clear();
    pooled.extend(active.iter().map(|&v| (benefit_sign * v, true)));
    pooled.extend(placebo.iter().map(|&v| (benefit_sign * v, false)));
    pooled.sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
    let n = na + np;
    let (mut rank_sum, mut ties) = (0.0, 0.0);
    let mut start = 0;
    while start < pooled.len() {
        let mut end = start + 1;
        while end < pooled.len() && pooled[end].0 == pooled[start].0 {
            end += 1;
        }
        // Ranks start + 1 ..= end share their mean.
        let midrank = (start + 1 + end) as f64 / 2.0;
        let in_active = pooled[start..end].iter().filter(|p| p.1).count() as f64;
        rank_sum += midrank * in_active;
        let t = (end - start) as f64;
        ties += t * t * t - t;
        start = end;
    }
    let u = rank_sum - na * (na + 1.0) / 2.0;
    let variance = na * np / 12.0 * ((n + 1.0) - ties / (n * (n - 1.0)));
    let pairs = na * np;
    Estimate::checked(u / pairs - 0.5, variance.sqrt() / pairs, f64::INFINITY)
}
