//! Dunnett's many-to-one critical values: exact multivariate-t quantiles for comparing `m`
//! arms with one control (Dunnett 1955, "A multiple comparison procedure for comparing several
//! treatments with a control", JASA 50:1096-1121), computed by quadrature once per design and
//! degrees of freedom, never simulated.
//!
//! The `m` statistics `T_j = (ybar_j - ybar_0) / (s sqrt(1/n_j + 1/n_0))` share the control's
//! mean, so their correlations are `rho_jl = lambda_j lambda_l` with
//! `lambda_j = sqrt(n_j / (n_j + n_0))`: one common normal factor `Z`. Given `Z = z` and the
//! pooled SD ratio `S = s / sigma` (`nu S^2 ~ chi^2_nu`), the statistics are independent, so
//! - two-sided: `P(max |T_j| <= c) = E_S[H(c S)]`,
//!   `H(t) = E_Z prod_j [Phi((t - lambda_j Z) / tau_j) - Phi((-t - lambda_j Z) / tau_j)]`;
//! - one-sided (benefit): `H(t) = E_Z prod_j Phi((t - lambda_j Z) / tau_j)`;
//!
//! with `tau_j = sqrt(1 - lambda_j^2)`. `H` does not depend on the df: it is tabulated once per
//! design (the trapezoid rule over `z`, spectrally accurate for a smooth integrand decaying
//! like the normal density) and interpolated by cubic Hermite splines with exact derivatives.
//! The expectation over `S` is the trapezoid rule in `ln S`, whose density is smooth and
//! decays double-exponentially. The critical value is the root of `P(c) = 1 - alpha` by
//! bisection between the unadjusted and the Bonferroni critical values, which bracket it.
//!
//! The correlations come from the planned sizes (expected completers), once per design point;
//! the df from each trial's analysis (the residual df of the pooled model), cached per df.

use crate::analysis::critical::critical_value;
use statrs::function::erf::erfc;
use std::f64::consts::{FRAC_1_SQRT_2, PI};
use std::sync::{Arc, OnceLock};

/// Step of the table of `H` in `t`, and its end: beyond it `H` is 1 to within `m Phi(-T_MAX)`
/// (below 1e-22 for any `m` the validation allows).
const T_STEP: f64 = 0.02;
const T_MAX: f64 = 10.0;
/// Trapezoid rule over the common factor `z`: step and half-range (the normal density beyond
/// 9 is below 1e-17).
const Z_STEP: f64 = 0.05;
const Z_HALF_RANGE: f64 = 9.0;
/// Largest df cached; larger df are computed on each call (they do not occur in the trials
/// mgtrial simulates, whose participants are at most a few thousand).
const MAX_CACHED_DF: usize = 100_000;

/// Dunnett critical values of one design: `m` comparisons with a control, at level `alpha`.
#[derive(Debug, Clone)]
pub struct DunnettCritical {
    alpha: f64,
    two_sided: bool,
    comparisons: usize,
    /// `lambda_j = sqrt(n_j / (n_j + n_0))`, the loadings on the common factor.
    lambdas: Arc<[f64]>,
    /// `H(k T_STEP)` and its derivative, `k = 0..=T_MAX / T_STEP`.
    h: Arc<[(f64, f64)]>,
    /// Critical value by integer df, computed on first use.
    by_df: Arc<[OnceLock<f64>]>,
    infinite_df: f64,
}

/// Standard normal CDF.
fn phi_cdf(x: f64) -> f64 {
    0.5 * erfc(-x * FRAC_1_SQRT_2)
}

/// Standard normal density.
fn phi_pdf(x: f64) -> f64 {
    (-0.5 * x * x).exp() / (2.0 * PI).sqrt()
}

impl DunnettCritical {
    /// Critical values for comparing arms of `sizes` (expected completers each) with a control
    /// of `control` completers, at level `alpha`, two-sided or one-sided (benefit). `sizes`
    /// and `control` positive; at least one comparison; `max_df` the largest residual df a
    /// trial of the design can have (cached up to it).
    pub fn new(sizes: &[f64], control: f64, alpha: f64, two_sided: bool, max_df: usize) -> DunnettCritical {
        assert!(!sizes.is_empty() && control > 0.0 && sizes.iter().all(|&n| n > 0.0), "validated sizes");
        let lambdas: Vec<f64> = sizes.iter().map(|&n| (n / (n + control)).sqrt()).collect();
        let steps = (T_MAX / T_STEP).round() as usize;
        let h: Arc<[(f64, f64)]> = (0..=steps).map(|k| h_and_slope(&lambdas, k as f64 * T_STEP, two_sided)).collect();
        let by_df = (0..=max_df.min(MAX_CACHED_DF)).map(|_| OnceLock::new()).collect();
        let lambdas: Arc<[f64]> = lambdas.into();
        let mut d = DunnettCritical { alpha, two_sided, comparisons: sizes.len(), lambdas, h, by_df, infinite_df: 0.0 };
        d.infinite_df = d.solve(f64::INFINITY);
        d
    }

    /// The critical value at `df` residual degrees of freedom (>= 1; rounded down when not an
    /// integer): reject comparison `j` when `|T_j|` (two-sided) or `T_j` (one-sided) exceeds it.
    pub fn value(&self, df: f64) -> f64 {
        if df == f64::INFINITY {
            return self.infinite_df;
        }
        let df = df.max(1.0).floor();
        match self.by_df.get(df as usize) {
            Some(cell) => *cell.get_or_init(|| self.solve(df)),
            None => self.solve(df),
        }
    }

    /// `P(no statistic exceeds c)` at `df` (infinite: a known variance).
    pub fn coverage(&self, c: f64, df: f64) -> f64 {
        if df == f64::INFINITY {
            return self.h_at(c);
        }
        sd_ratio_nodes(df).iter().map(|&(weight, s)| weight * self.h_at(c * s)).sum()
    }

    /// The chance that at least one and that every comparison exceeds `c`, when comparison `j`'s
    /// statistic is `(Z_j + shifts[j]) / S` (its true effect over its SE as the shift: Dunnett's
    /// statistics under an alternative), at `df` (infinite: a known variance). By the same
    /// quadrature, without the table: for checking simulated power against it.
    pub fn rejection_chances(&self, c: f64, df: f64, shifts: &[f64]) -> (f64, f64) {
        assert_eq!(shifts.len(), self.lambdas.len(), "one shift per comparison");
        let nodes = if df == f64::INFINITY { vec![(1.0, 1.0)] } else { sd_ratio_nodes(df) };
        let (mut none, mut every) = (0.0, 0.0);
        for &(weight, s) in &nodes {
            for (z, z_weight) in factor_nodes() {
                let (mut accept_all, mut reject_all) = (1.0, 1.0);
                for (&lambda, &shift) in self.lambdas.iter().zip(shifts) {
                    let tau = (1.0 - lambda * lambda).sqrt();
                    let upper = phi_cdf((c * s - shift - lambda * z) / tau);
                    let accept =
                        if self.two_sided { upper - phi_cdf((-c * s - shift - lambda * z) / tau) } else { upper };
                    accept_all *= accept;
                    reject_all *= 1.0 - accept;
                }
                none += weight * z_weight * accept_all;
                every += weight * z_weight * reject_all;
            }
        }
        (1.0 - none, every)
    }

    /// `H(t)` by cubic Hermite interpolation of the table (1 beyond it).
    fn h_at(&self, t: f64) -> f64 {
        if t >= T_MAX {
            return 1.0;
        }
        let x = t / T_STEP;
        let k = x.floor() as usize;
        let u = x - k as f64;
        let ((h0, d0), (h1, d1)) = (self.h[k], self.h[k + 1]);
        let (u2, u3) = (u * u, u * u * u);
        (2.0 * u3 - 3.0 * u2 + 1.0) * h0
            + (u3 - 2.0 * u2 + u) * T_STEP * d0
            + (-2.0 * u3 + 3.0 * u2) * h1
            + (u3 - u2) * T_STEP * d1
    }

    /// The root of `coverage(c, df) = 1 - alpha`, between the unadjusted critical value and
    /// Bonferroni's.
    fn solve(&self, df: f64) -> f64 {
        let tail = if self.two_sided { self.alpha / 2.0 } else { self.alpha };
        let quantile = |q: f64| {
            if df == f64::INFINITY {
                statrs::distribution::ContinuousCDF::inverse_cdf(&statrs::distribution::Normal::standard(), 1.0 - q)
            } else {
                critical_value(q, df)
            }
        };
        let (mut lo, mut hi) = (quantile(tail) - 1e-9, quantile(tail / self.comparisons as f64) + 1e-9);
        let target = 1.0 - self.alpha;
        for _ in 0..60 {
            let mid = 0.5 * (lo + hi);
            if self.coverage(mid, df) < target { lo = mid } else { hi = mid }
        }
        0.5 * (lo + hi)
    }
}

/// The expectation over `S = s / sigma` (`nu S^2 ~ chi^2_nu`) as `(weight, S)` nodes whose
/// weights sum to 1: the trapezoid rule in `w = ln S` over the nodes where the density of `w` is
/// above e^-40 of its peak (at w = 0), log-density `nu (w - (e^{2w} - 1) / 2) + const`.
fn sd_ratio_nodes(df: f64) -> Vec<(f64, f64)> {
    let log_density = |w: f64| df * (w - 0.5 * ((2.0 * w).exp() - 1.0));
    let edge = |mut inside: f64, mut outside: f64| {
        for _ in 0..200 {
            let mid = 0.5 * (inside + outside);
            if log_density(mid) > -40.0 { inside = mid } else { outside = mid }
        }
        outside
    };
    let (lo, hi) = (edge(0.0, -50.0 - 60.0 / df), edge(0.0, 10.0));
    let step = 0.25 / (2.0 * df).sqrt();
    let nodes = ((hi - lo) / step).ceil() as usize;
    let step = (hi - lo) / nodes as f64;
    let mut out: Vec<(f64, f64)> = (0..=nodes)
        .map(|i| {
            let w = lo + i as f64 * step;
            (log_density(w).exp(), w.exp())
        })
        .collect();
    let total: f64 = out.iter().map(|(weight, _)| weight).sum();
    for (weight, _) in &mut out {
        *weight /= total;
    }
    out
}

/// The common factor `z` and its trapezoid weight `phi(z) dz`.
fn factor_nodes() -> impl Iterator<Item = (f64, f64)> {
    let nodes = (2.0 * Z_HALF_RANGE / Z_STEP).round() as usize;
    (0..=nodes).map(|i| {
        let z = -Z_HALF_RANGE + i as f64 * Z_STEP;
        (z, phi_pdf(z) * Z_STEP)
    })
}

/// `H(t)` and `H'(t)` by the trapezoid rule over the common factor.
fn h_and_slope(lambdas: &[f64], t: f64, two_sided: bool) -> (f64, f64) {
    let (mut h, mut slope) = (0.0, 0.0);
    for (z, weight) in factor_nodes() {
        // The product and its derivative in t (product rule over the factors).
        let (mut product, mut derivative) = (1.0, 0.0);
        for &lambda in lambdas {
            let tau = (1.0 - lambda * lambda).sqrt();
            let (factor, factor_slope) = if two_sided {
                let (a, b) = ((t - lambda * z) / tau, (-t - lambda * z) / tau);
                (phi_cdf(a) - phi_cdf(b), (phi_pdf(a) + phi_pdf(b)) / tau)
            } else {
                let a = (t - lambda * z) / tau;
                (phi_cdf(a), phi_pdf(a) / tau)
            };
            derivative = derivative * factor + product * factor_slope;
            product *= factor;
        }
        h += weight * product;
        slope += weight * derivative;
    }
    (h, slope)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Dunnett's published two-sided 5% values for equal groups and a known variance
    /// (Dunnett 1964, Biometrics 20:482-491, Table II, df = infinity): 2.21, 2.35, 2.44 for 2,
    /// 3 and 4 comparisons; one-sided (Dunnett 1955, Table 1a): 1.92, 2.06, 2.16.
    #[test]
    fn matches_the_published_tables() {
        for (m, two, one) in [(2, 2.21, 1.92), (3, 2.35, 2.06), (4, 2.44, 2.16)] {
            let sizes = vec![50.0; m];
            let c2 = DunnettCritical::new(&sizes, 50.0, 0.05, true, 10).value(f64::INFINITY);
            let c1 = DunnettCritical::new(&sizes, 50.0, 0.05, false, 10).value(f64::INFINITY);
            assert!((c2 - two).abs() < 0.006, "m {m}: two-sided {c2}");
            assert!((c1 - one).abs() < 0.006, "m {m}: one-sided {c1}");
        }
    }

    /// Against R's mvtnorm (Genz & Bretz; TVPACK for 2 and 3 comparisons, Miwa for a known
    /// variance), unequal groups included: `benches/peers/dunnett_reference.R`.
    #[test]
    fn matches_mvtnorm_to_1e4() {
        // (sizes, control, df, alpha, two-sided, mvtnorm's critical value)
        type Case<'a> = (&'a [f64], f64, f64, f64, bool, f64);
        let cases: [Case; 7] = [
            (&[40.0, 60.0], 50.0, 147.0, 0.05, true, 2.2344245),
            (&[40.0, 60.0], 50.0, 147.0, 0.05, false, 1.9318768),
            (&[30.0, 30.0, 30.0], 30.0, 115.0, 0.05, true, 2.3804424),
            (&[30.0, 30.0, 30.0], 30.0, 10.0, 0.05, true, 2.7589970),
            (&[20.0, 45.0, 90.0], 60.0, 8.0, 0.025, false, 2.9091428),
            (&[25.0, 25.0, 25.0, 25.0], 50.0, f64::INFINITY, 0.05, true, 2.4709909),
            (&[25.0, 35.0, 45.0, 55.0], 50.0, f64::INFINITY, 0.01, false, 2.7813181),
        ];
        for (sizes, control, df, alpha, two_sided, reference) in cases {
            let c = DunnettCritical::new(sizes, control, alpha, two_sided, 200).value(df);
            assert!((c - reference).abs() < 1e-4, "{sizes:?} df {df}: {c} against {reference}");
        }
    }

    /// One comparison: Dunnett is the t-test.
    #[test]
    fn one_comparison_is_the_t_test() {
        for df in [5.0, 30.0, 200.0] {
            let c = DunnettCritical::new(&[40.0], 40.0, 0.05, true, 300).value(df);
            assert!((c - critical_value(0.025, df)).abs() < 1e-7, "df {df}: {c}");
        }
    }
}
