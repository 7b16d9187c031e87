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

/// Arms a many-to-one ANCOVA fits at most (with the control): one column each beyond the
/// intercept, with a stratum and the baseline.
pub use crate::scenario::schema::MAX_ARMS_WITH_DUNNETT as MANY_TO_ONE_MAX_ARMS;
const MANY_P: usize = MANY_TO_ONE_MAX_ARMS + 2;

/// Every arm against the control in one model, `y ~ arm + stratum + baseline` (the model of
/// Dunnett's test with a covariate: one residual variance and one baseline slope pooled over
/// all arms). `cells[arm * n_strata + stratum]`; with `use_stratum`, a stratum term when both
/// strata are present. Writes arm `a`'s benefit over the control into `out[a]`, `None` for the
/// control, for an arm without completers, and for all when the model cannot be fitted.
pub fn ancova_many_to_one(
    cells: &[Cell],
    n_strata: usize,
    control: usize,
    use_stratum: bool,
    benefit_sign: f64,
    out: &mut [Option<Estimate>],
) {
    out.fill(None);
    assert!(out.len() == cells.len() / n_strata, "one estimate per arm");
    let Some(m) = ManyToOneFit::new(cells, n_strata, control, use_stratum) else { return };
    for (a, estimate) in out.iter_mut().enumerate() {
        if let Some(j) = m.column[a] {
            let (beta, variance) = m.fit.coefficient(j);
            *estimate = Estimate::checked(benefit_sign * beta, variance.sqrt(), m.fit.df);
        }
    }
}

/// The contrast `sum_a c_a mu_a` of the arms' adjusted means in the same model (`contrast`
/// per arm, summing to 0, so that the control's mean cancels): its benefit-signed estimate,
/// SE `s sqrt(c' (X'X)^-1 c)` and residual df. `None` when the model cannot be fitted or an
/// arm with a non-zero coefficient has no completers.
pub fn ancova_contrast(
    cells: &[Cell],
    n_strata: usize,
    control: usize,
    use_stratum: bool,
    benefit_sign: f64,
    contrast: &[f64],
) -> Option<Estimate> {
    let m = ManyToOneFit::new(cells, n_strata, control, use_stratum)?;
    let mut c = [0.0; MANY_P];
    for (a, &weight) in contrast.iter().enumerate() {
        match m.column[a] {
            Some(j) => c[j] = weight,
            None if a == control || weight == 0.0 => {}
            None => return None,
        }
    }
    let (estimate, variance) = m.fit.contrast(&c);
    Estimate::checked(benefit_sign * estimate, variance.sqrt(), m.fit.df)
}

/// The least-squares fit of `y ~ arm + stratum + baseline` over all arms, from cell sums.
struct ManyToOneFit {
    /// Column of each non-control arm with completers (1, 2, ...), in arm order.
    column: [Option<usize>; MANY_TO_ONE_MAX_ARMS],
    fit: CellFit<MANY_P>,
}

impl ManyToOneFit {
    fn new(cells: &[Cell], n_strata: usize, control: usize, use_stratum: bool) -> Option<ManyToOneFit> {
        let arms = cells.len() / n_strata;
        assert!(arms <= MANY_TO_ONE_MAX_ARMS, "validated number of arms");
        let arm_n = |a: usize| cells[a * n_strata..(a + 1) * n_strata].iter().map(|c| c.n).sum::<f64>();
        if arm_n(control) == 0.0 {
            return None;
        }
        let mut column = [None; MANY_TO_ONE_MAX_ARMS];
        let mut k = 1;
        for (a, col) in column.iter_mut().enumerate().take(arms) {
            if a != control && arm_n(a) > 0.0 {
                *col = Some(k);
                k += 1;
            }
        }
        let stratum_present = |s: usize| (0..arms).any(|a| cells[a * n_strata + s].n > 0.0);
        let with_stratum = use_stratum && n_strata > 1 && stratum_present(0) && stratum_present(1);
        let stratum_column = with_stratum.then_some(k);
        let p = k + usize::from(with_stratum) + 1;
        let xi = p - 1;
        let (mut xtx, mut xty, mut yty, mut n) = ([[0.0f64; MANY_P]; MANY_P], [0.0f64; MANY_P], 0.0, 0.0);
        for a in 0..arms {
            for s in 0..n_strata {
                let c = &cells[a * n_strata + s];
                if c.n == 0.0 {
                    continue;
                }
                // The categorical columns of this cell: intercept, its arm's, its stratum's.
                let mut d = [0usize; 3];
                let mut used = 1;
                if let Some(j) = column[a] {
                    d[used] = j;
                    used += 1;
                }
                if let (Some(j), 1) = (stratum_column, s) {
                    d[used] = j;
                    used += 1;
                }
                for &i in &d[..used] {
                    for &j in &d[..used] {
                        xtx[i][j] += c.n;
                    }
                    xtx[i][xi] += c.sum_x;
                    xtx[xi][i] += c.sum_x;
                    xty[i] += c.sum_y;
                }
                xtx[xi][xi] += c.sum_xx;
                xty[xi] += c.sum_xy;
                yty += c.sum_yy;
                n += c.n;
            }
        }
        Some(ManyToOneFit { column, fit: CellFit::solved(&xtx, &xty, yty, n, p)? })
    }
}

/// A least-squares fit assembled from cell sums, on `N x N` arrays of which `p` are used.
struct CellFit<const N: usize> {
    factor: [[f64; N]; N],
    beta: [f64; N],
    p: usize,
    /// Residual variance `RSS / (n - p)`.
    residual_variance: f64,
    df: f64,
}

impl<const N: usize> CellFit<N> {
    /// Solves the normal equations `X'X b = X'y` of `n` observations and `p` columns (`y'y`
    /// for the residual sum of squares); `None` without residual df or when `X'X` is singular.
    fn solved(xtx: &[[f64; N]; N], xty: &[f64; N], yty: f64, n: f64, p: usize) -> Option<CellFit<N>> {
        if n - p as f64 <= 0.0 {
            return None;
        }
        let factor = cholesky(xtx, p)?;
        let beta = solve(&factor, xty, p);
        let fitted: f64 = (0..p).map(|i| beta[i] * xty[i]).sum();
        let rss = (yty - fitted).max(0.0);
        let df = n - p as f64;
        Some(CellFit { factor, beta, p, residual_variance: rss / df, df })
    }

    /// Coefficient `k` and its variance `s^2 [(X'X)^-1]_kk`.
    fn coefficient(&self, k: usize) -> (f64, f64) {
        let mut e = [0.0; N];
        e[k] = 1.0;
        (self.beta[k], self.residual_variance * solve(&self.factor, &e, self.p)[k])
    }

    /// The contrast `c'b` and its variance `s^2 c' (X'X)^-1 c`.
    fn contrast(&self, c: &[f64; N]) -> (f64, f64) {
        let v = solve(&self.factor, c, self.p);
        let value = (0..self.p).map(|j| c[j] * self.beta[j]).sum();
        (value, self.residual_variance * (0..self.p).map(|j| c[j] * v[j]).sum::<f64>())
    }
}

/// Least squares of follow-up on the `k` categorical columns that `dummies(treat, stratum)`
/// gives each cell (the rest of its array unused) and the baseline, from the cells' sums.
fn least_squares(
    active: &[Cell],
    placebo: &[Cell],
    k: usize,
    dummies: impl Fn(f64, usize) -> [f64; 4],
) -> Option<CellFit<MAX_P>> {
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
    CellFit::solved(&xtx, &xty, yty, n, p)
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

    /// With two arms the many-to-one model is the two-arm ANCOVA; with three, its arms share
    /// the slope and residual variance: checked against the closed form of the pooled
    /// within-arm regression, `b = Sxy_w / Sxx_w`, adjusted differences, and
    /// `var = s^2 (1/n_j + 1/n_0 + (xbar_j - xbar_0)^2 / Sxx_w)` with `n - 4` df.
    #[test]
    fn many_to_one_reduces_to_the_closed_form() {
        let mut arms = [Cell::default(); 3];
        for i in 0..40 {
            let x = (i as f64 * 0.73).sin() * 3.0;
            for (a, cell) in arms.iter_mut().enumerate() {
                let noise = ((i * 7 + a * 13) as f64 * 1.37).cos();
                cell.add(x + a as f64 * 0.2, 1.0 + 0.6 * x + 0.8 * a as f64 + noise);
            }
        }
        let mut out = [None; 2];
        ancova_many_to_one(&arms[..2], 1, 0, false, 1.0, &mut out);
        let two_arm = ancova(&arms[1..2], &arms[0..1], false, 1.0).unwrap();
        let many = out[1].unwrap();
        assert!((many.benefit - two_arm.benefit).abs() < 1e-12 && (many.se - two_arm.se).abs() < 1e-12);
        assert_eq!(many.df, two_arm.df);
        let mut out = [None; 3];
        ancova_many_to_one(&arms, 1, 0, false, 1.0, &mut out);
        let within = |c: &Cell| {
            let (mx, my) = (c.sum_x / c.n, c.sum_y / c.n);
            (c.sum_xx - c.n * mx * mx, c.sum_xy - c.n * mx * my, c.sum_yy - c.n * my * my, mx, my)
        };
        let w: Vec<_> = arms.iter().map(within).collect();
        let (sxx, sxy, syy) = w.iter().fold((0.0, 0.0, 0.0), |t, v| (t.0 + v.0, t.1 + v.1, t.2 + v.2));
        let b = sxy / sxx;
        let s2 = (syy - sxy * sxy / sxx) / (120.0 - 4.0);
        for j in 1..3 {
            let diff = (w[j].4 - w[0].4) - b * (w[j].3 - w[0].3);
            let se = (s2 * (2.0 / 40.0 + (w[j].3 - w[0].3).powi(2) / sxx)).sqrt();
            let e = out[j].unwrap();
            assert!((e.benefit - diff).abs() < 1e-10 && (e.se - se).abs() < 1e-10, "arm {j}: {e:?} vs {diff}, {se}");
            assert_eq!(e.df, 116.0);
        }
        assert!(out[0].is_none());
        // A contrast of the adjusted means: sum c_j (adjusted difference_j), variance
        // s^2 (sum c_j^2 / n_j + (sum c_j xbar_j)^2 / Sxx_w) with c_0 = -(c_1 + c_2).
        let c = [-3.0, 1.0, 2.0];
        let e = ancova_contrast(&arms, 1, 0, false, 1.0, &c).unwrap();
        let value: f64 = (0..3).map(|j| c[j] * (w[j].4 - b * w[j].3)).sum();
        let cx: f64 = (0..3).map(|j| c[j] * w[j].3).sum();
        let se = (s2 * (c.iter().map(|v| v * v).sum::<f64>() / 40.0 + cx * cx / sxx)).sqrt();
        assert!((e.benefit - value).abs() < 1e-10 && (e.se - se).abs() < 1e-10, "{e:?} vs {value}, {se}");
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
