//! Multiplicity: which of a trial's comparisons with the control are rejected when the
//! family-wise error rate is held at alpha.
//!
//! - Bonferroni: each `p_j < alpha / m`.
//! - Holm (1979), "A simple sequentially rejective multiple test procedure", Scand. J.
//!   Statist. 6:65-70: step-down; the `i`-th smallest p-value is rejected while every one up
//!   to it is below `alpha / (m - i + 1)`.
//! - Hochberg (1988), "A sharper Bonferroni procedure for multiple tests of significance",
//!   Biometrika 75:800-802: step-up; all p-values up to the largest `i` with
//!   `p_(i) < alpha / (m - i + 1)` are rejected (valid under positive dependence, as in
//!   many-to-one comparisons).
//!
//! Dunnett's test is decided by its critical value ([`super::dunnett`]), not here. A comparison
//! that could not be analysed enters with p = 1: it is never rejected and still counts in `m`.
//! Rejection is `p < threshold`, as every unadjusted test in mgtrial decides `p < alpha`.

use crate::scenario::schema::Multiplicity;

/// Comparisons in one family at most (validated).
pub use crate::scenario::schema::MAX_COMPARISONS;

/// Decides the family of `p_values` under `procedure` at family-wise level `alpha`, into
/// `rejected` (same length). `Dunnett` and `Unadjusted` decide each comparison at `alpha` here
/// (Dunnett's own decision is by critical value, made by the caller).
pub fn decide(procedure: Multiplicity, p_values: &[f64], alpha: f64, rejected: &mut [bool]) {
    decide_by_levels(procedure, p_values.len(), |j, k| p_values[j] < alpha / k as f64, rejected);
}

/// [`decide`] from `below(j, k)`: whether comparison `j`'s p-value is below `alpha / k`
/// (`k` = 1..=m), which a t statistic answers against a tabulated critical value without
/// computing its p-value. Every procedure needs only these: with `N(k)` the comparisons below
/// `alpha / k`, the `i` smallest p-values pass their steps exactly when `N(m - l + 1) >= l`
/// for every `l <= i` (Holm), or for `l = i` (Hochberg); with `R` rejections (`R < m`) the
/// rejected are exactly those below `alpha / (m - R + 1)`, since one more below it would pass
/// step `R + 1` too.
pub fn decide_by_levels(
    procedure: Multiplicity,
    m: usize,
    below: impl Fn(usize, usize) -> bool,
    rejected: &mut [bool],
) {
    assert!(m <= MAX_COMPARISONS && rejected.len() == m, "validated family size");
    match procedure {
        Multiplicity::Unadjusted | Multiplicity::Dunnett => {
            for (j, r) in rejected.iter_mut().enumerate() {
                *r = below(j, 1);
            }
        }
        Multiplicity::Bonferroni => {
            for (j, r) in rejected.iter_mut().enumerate() {
                *r = below(j, m);
            }
        }
        Multiplicity::Holm | Multiplicity::Hochberg => {
            let count = |k: usize| (0..m).filter(|&j| below(j, k)).count();
            // Step l (1-based) passes when N(m - l + 1) >= l.
            let passes = |l: usize| count(m - l + 1) >= l;
            let rejections = if procedure == Multiplicity::Holm {
                (1..=m).take_while(|&l| passes(l)).count()
            } else {
                (1..=m).rev().find(|&l| passes(l)).unwrap_or(0)
            };
            for (j, r) in rejected.iter_mut().enumerate() {
                *r = rejections == m || (rejections > 0 && below(j, m - rejections + 1));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decided(procedure: Multiplicity, p: &[f64]) -> Vec<bool> {
        let mut out = vec![false; p.len()];
        decide(procedure, p, 0.05, &mut out);
        out
    }

    /// Hand-checked families (R's `p.adjust(p, method) < 0.05` agrees on each).
    #[test]
    fn the_procedures_on_hand_checked_families() {
        use Multiplicity::*;
        // Holm and Hochberg reject all three; Bonferroni only the smallest (0.02 > 0.0167).
        let p = [0.04, 0.01, 0.02];
        assert_eq!(decided(Bonferroni, &p), [false, true, false]);
        assert_eq!(decided(Holm, &p), [true, true, true]);
        assert_eq!(decided(Hochberg, &p), [true, true, true]);
        // Holm stops at the smallest (0.03 > 0.05 / 3); Hochberg's step-up rejects all, the
        // largest being below 0.05.
        let p = [0.045, 0.03, 0.04];
        assert_eq!(decided(Holm, &p), [false, false, false]);
        assert_eq!(decided(Hochberg, &p), [true, true, true]);
        // 0.04 is above 0.05 / 2 for both, so only 0.01 falls.
        let p = [0.06, 0.04, 0.01];
        assert_eq!(decided(Holm, &p), [false, false, true]);
        assert_eq!(decided(Hochberg, &p), [false, false, true]);
        assert_eq!(decided(Unadjusted, &p), [false, true, true]);
        // A comparison not analysed (p = 1) counts in m.
        assert_eq!(decided(Bonferroni, &[0.02, 1.0]), [true, false]);
        assert_eq!(decided(Bonferroni, &[0.03, 1.0]), [false, false]);
    }

    /// The textbook statement of the stepwise procedures, on sorted p-values: the reference the
    /// counting form is checked against.
    fn sorted_reference(step_up: bool, p: &[f64], alpha: f64) -> Vec<bool> {
        let m = p.len();
        let mut order: Vec<usize> = (0..m).collect();
        order.sort_by(|&a, &b| p[a].total_cmp(&p[b]).then(a.cmp(&b)));
        let below = |rank: usize| p[order[rank]] < alpha / (m - rank) as f64;
        let up_to = if step_up {
            (0..m).rev().find(|&rank| below(rank)).map_or(0, |rank| rank + 1)
        } else {
            (0..m).take_while(|&rank| below(rank)).count()
        };
        let mut out = vec![false; m];
        for &i in &order[..up_to] {
            out[i] = true;
        }
        out
    }

    /// The counting form decides exactly as the sorted one, ties included.
    #[test]
    fn counting_levels_decide_as_sorting_p_values() {
        let mut state = 11u64;
        let mut next = || {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        for _ in 0..50_000 {
            let m = 2 + (next() * 6.0) as usize;
            // Coarse values, so that ties and values at the thresholds occur.
            let p: Vec<f64> = (0..m).map(|_| (next() * 12.0).floor() / 120.0).collect();
            assert_eq!(decided(Multiplicity::Holm, &p), sorted_reference(false, &p, 0.05), "Holm {p:?}");
            assert_eq!(decided(Multiplicity::Hochberg, &p), sorted_reference(true, &p, 0.05), "Hochberg {p:?}");
        }
    }

    /// Holm rejects everything Bonferroni does, and Hochberg everything Holm does.
    #[test]
    fn each_procedure_rejects_at_least_what_the_more_conservative_does() {
        let mut state = 7u64;
        for _ in 0..10_000 {
            let m = 2 + (state % 4) as usize;
            let p: Vec<f64> = (0..m)
                .map(|_| {
                    state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                    (state >> 11) as f64 / (1u64 << 53) as f64 * 0.1
                })
                .collect();
            let (b, h, g) = (decided(Multiplicity::Bonferroni, &p), decided(Multiplicity::Holm, &p), {
                decided(Multiplicity::Hochberg, &p)
            });
            for i in 0..m {
                assert!(!b[i] || h[i], "{p:?}");
                assert!(!h[i] || g[i], "{p:?}");
            }
        }
    }
}
