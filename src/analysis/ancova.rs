//! ANCOVA: ordinary least squares of follow-up on treatment + baseline (+ stratum), the
//! analysis recommended for RCTs with a baseline measurement (Vickers & Altman, BMJ 2001;
//! EMA guideline on adjustment for baseline covariates, 2015).
//!
//! The normal equations are assembled from the per-cell sums and solved by Cholesky
//! decomposition; the treatment coefficient's SE is `sqrt(s^2 [(X'X)^-1]_tt)` with
//! `s^2 = RSS / (n - p)`.

use super::linalg::{cholesky, solve};
use super::{Cell, Estimate};

/// Largest model: intercept, treatment, stratum, baseline.
const MAX_P: usize = 4;

/// ANCOVA of `active` vs `placebo`, each given as cells by stratum (`[below, at_or_above]`).
/// With `use_stratum`, a stratum term is included when both strata are present.
pub fn ancova(active: &[Cell], placebo: &[Cell], use_stratum: bool, benefit_sign: f64) -> Option<Estimate> {
    let n_strata_present = (0..active.len().max(placebo.len()))
        .filter(|&s| active.get(s).map_or(0.0, |c| c.n) + placebo.get(s).map_or(0.0, |c| c.n) > 0.0)
        .count();
    let with_stratum = use_stratum && n_strata_present > 1;
    let p = if with_stratum { 4 } else { 3 };
    let mut xtx = [[0.0f64; MAX_P]; MAX_P];
    let mut xty = [0.0f64; MAX_P];
    let mut yty = 0.0;
    let mut n = 0.0;
    let cells =
        active.iter().enumerate().map(|(s, c)| (1.0, s, c)).chain(placebo.iter().enumerate().map(|(s, c)| (0.0, s, c)));
    for (treat, stratum, c) in cells {
        if c.n == 0.0 {
            continue;
        }
        // Row of the categorical part for this cell: [1, treat, stratum?]; baseline is last.
        let mut dummies = [1.0, treat, 0.0];
        let k = if with_stratum {
            dummies[2] = if stratum == 1 { 1.0 } else { 0.0 };
            3
        } else {
            2
        };
        let xi = p - 1;
        for a in 0..k {
            for b in 0..k {
                xtx[a][b] += c.n * dummies[a] * dummies[b];
            }
            xtx[a][xi] += dummies[a] * c.sum_x;
            xtx[xi][a] += dummies[a] * c.sum_x;
            xty[a] += dummies[a] * c.sum_y;
        }
        xtx[xi][xi] += c.sum_xx;
        xty[xi] += c.sum_xy;
        yty += c.sum_yy;
        n += c.n;
    }
    if n - p as f64 <= 0.0 {
        return None;
    }
    let l = cholesky(&xtx, p)?;
    let beta = solve(&l, &xty, p);
    let mut e_t = [0.0; MAX_P];
    e_t[1] = 1.0;
    let inv_col = solve(&l, &e_t, p);
    let fitted: f64 = (0..p).map(|i| beta[i] * xty[i]).sum();
    let rss = (yty - fitted).max(0.0);
    let df = n - p as f64;
    let se = (rss / df * inv_col[1]).sqrt();
    Estimate::checked(benefit_sign * beta[1], se, df)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Hand-checkable case: two groups, baseline equal to follow-up minus a group shift.
    #[test]
    fn recovers_exact_shift_and_slope() {
        let mut a = Cell::default();
        let mut p = Cell::default();
        // y = 2 + 0.5 x + 3 treat + small alternating residual
        for i in 0..20 {
            let x = i as f64;
            let r = if i % 2 == 0 { 0.1 } else { -0.1 };
            a.add(x, 2.0 + 0.5 * x + 3.0 + r);
            p.add(x + 0.5, 2.0 + 0.5 * (x + 0.5) - r);
        }
        let est = ancova(&[a], &[p], false, 1.0).unwrap();
        assert!((est.benefit - 3.0).abs() < 0.05, "{est:?}");
        assert_eq!(est.df, 37.0);
    }

    /// The singularity test is relative: the same data in units 1e-8 as large give the same t.
    #[test]
    fn small_units_are_not_mistaken_for_a_singular_design() {
        let (mut a, mut p, mut a_small, mut p_small) =
            (Cell::default(), Cell::default(), Cell::default(), Cell::default());
        for i in 0..30 {
            let x = (i as f64 * 0.37).sin();
            let noise = (i as f64 * 1.91).cos();
            a.add(x, 0.6 * x + 0.4 + noise);
            p.add(-x, -0.6 * x + noise * 0.8);
            a_small.add(x * 1e-8, (0.6 * x + 0.4 + noise) * 1e-8);
            p_small.add(-x * 1e-8, (-0.6 * x + noise * 0.8) * 1e-8);
        }
        let t = ancova(&[a], &[p], false, 1.0).unwrap().t();
        let t_small = ancova(&[a_small], &[p_small], false, 1.0).expect("not singular").t();
        assert!((t - t_small).abs() < 1e-6 * t.abs(), "{t} vs {t_small}");
    }
}
