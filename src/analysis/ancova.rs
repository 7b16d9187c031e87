//! ANCOVA: ordinary least squares of follow-up on treatment + baseline (+ stratum), the
//! analysis recommended for RCTs with a baseline measurement (Vickers & Altman, BMJ 2001;
//! EMA guideline on adjustment for baseline covariates, 2015).
//!
//! The normal equations are assembled from the per-cell sums and solved by Cholesky
//! decomposition; the treatment coefficient's SE is `sqrt(s^2 [(X'X)^-1]_tt)` with
//! `s^2 = RSS / (n - p)`.

use super::linalg::{cholesky, solve};
use super::{Cell, Estimate};

/// Largest model: intercept, treatment, stratum, treatment x stratum, baseline.
const MAX_P: usize = 5;

/// ANCOVA of `active` vs `placebo`, each given as cells by stratum (`[below, at_or_above]`).
/// With `use_stratum`, a stratum term is included when both strata are present.
pub fn ancova(active: &[Cell], placebo: &[Cell], use_stratum: bool, benefit_sign: f64) -> Option<Estimate> {
    let n_strata_present = (0..active.len().max(placebo.len()))
        .filter(|&s| active.get(s).map_or(0.0, |c| c.n) + placebo.get(s).map_or(0.0, |c| c.n) > 0.0)
        .count();
    let with_stratum = use_stratum && n_strata_present > 1;
    // Categorical part of a cell's rows: [1, treat, stratum?]; the baseline comes last.
    let k = if with_stratum { 3 } else { 2 };
    let fit = least_squares(active, placebo, k, |treat, stratum| {
        [1.0, treat, if with_stratum && stratum == 1 { 1.0 } else { 0.0 }, 0.0]
    })?;
    let (beta, variance) = fit.coefficient(1);
    Estimate::checked(benefit_sign * beta, variance.sqrt(), fit.df)
}

/// The treatment x stratum interaction of an ANCOVA with both strata
/// (`y ~ treat + stratum + treat:stratum + baseline`, as R's `lm`): the estimate is the
/// treatment's benefit in the low stratum (`[0]`, reading below the threshold) less its
/// benefit in the other, with its SE and the residual degrees of freedom. `None` unless
/// every (arm, stratum) cell has participants.
pub fn ancova_interaction(active: &[Cell], placebo: &[Cell], benefit_sign: f64) -> Option<Estimate> {
    if active.len() != 2 || placebo.len() != 2 || active.iter().chain(placebo).any(|c| c.n == 0.0) {
        return None;
    }
    let fit = least_squares(active, placebo, 4, |treat, stratum| {
        let s = if stratum == 1 { 1.0 } else { 0.0 };
        [1.0, treat, s, treat * s]
    })?;
    // The coefficient of treat:stratum is the effect at or above the threshold less the
    // effect below it.
    let (gamma, variance) = fit.coefficient(3);
    Estimate::checked(-benefit_sign * gamma, variance.sqrt(), fit.df)
}

/// A least-squares fit assembled from cell sums.
struct CellFit {
    factor: [[f64; MAX_P]; MAX_P],
    beta: [f64; MAX_P],
    p: usize,
    /// Residual variance `RSS / (n - p)`.
    residual_variance: f64,
    df: f64,
}

impl CellFit {
    /// Coefficient `k` and its variance `s^2 [(X'X)^-1]_kk`.
    fn coefficient(&self, k: usize) -> (f64, f64) {
        let mut e = [0.0; MAX_P];
        e[k] = 1.0;
        (self.beta[k], self.residual_variance * solve(&self.factor, &e, self.p)[k])
    }
}

/// Least squares of follow-up on the `k` categorical columns that `dummies(treat, stratum)`
/// gives each cell (the rest of its array unused) and the baseline, from the cells' sums.
fn least_squares(
    active: &[Cell],
    placebo: &[Cell],
    k: usize,
    dummies: impl Fn(f64, usize) -> [f64; 4],
) -> Option<CellFit> {
    let p = k + 1;
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
        let d = dummies(treat, stratum);
        let xi = p - 1;
        for a in 0..k {
            for b in 0..k {
                xtx[a][b] += c.n * d[a] * d[b];
            }
            xtx[a][xi] += d[a] * c.sum_x;
            xtx[xi][a] += d[a] * c.sum_x;
            xty[a] += d[a] * c.sum_y;
        }
        xtx[xi][xi] += c.sum_xx;
        xty[xi] += c.sum_xy;
        yty += c.sum_yy;
        n += c.n;
    }
    if n - p as f64 <= 0.0 {
        return None;
    }
    let factor = cholesky(&xtx, p)?;
    let beta = solve(&factor, &xty, p);
    let fitted: f64 = (0..p).map(|i| beta[i] * xty[i]).sum();
    let rss = (yty - fitted).max(0.0);
    let df = n - p as f64;
    Some(CellFit { factor, beta, p, residual_variance: rss / df, df })
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
