//! Closed-form power and interval formulas the simulator is checked against.

use crate::analysis::critical::critical_value;
use crate::numeric::simpson;
use statrs::distribution::{ChiSquared, Continuous, ContinuousCDF, Normal};

/// 97.5% quantile of the standard normal (for 95% intervals).
pub(crate) const Z_975: f64 = 1.959_963_984_540_054;

/// Power of the two-sample Student t-test with `n1`, `n2` per arm, true difference `delta` and
/// common SD `sd`, from the noncentral t distribution (e.g. Cohen 1988, ch. 2):
/// `P(T' > c) [+ P(T' < -c)]` with `T' = (Z + lambda) / sqrt(V / nu)`, `V ~ chi^2_nu`,
/// `lambda = delta / (sd sqrt(1/n1 + 1/n2))`, computed as `E_V[Phi-bar(c sqrt(V/nu) - lambda)]`
/// by Simpson's rule over the chi-square density.
pub fn t_test_power(n1: f64, n2: f64, delta: f64, sd: f64, alpha: f64, two_sided: bool) -> f64 {
    let lambda = delta / (sd * (1.0 / n1 + 1.0 / n2).sqrt());
    noncentral_t_power(lambda, n1 + n2 - 2.0, alpha, two_sided)
}

/// Power of the paired t test of `n` within-person differences with mean `mean_difference` and
/// SD `sd_difference`, on `nu` degrees of freedom (`n - 1`; `n - 2` for an AB/BA crossover,
/// whose period term takes one, Jones & Kenward 2015, s. 2.5): noncentrality
/// `mean_difference sqrt(n) / sd_difference`.
pub fn paired_t_power(n: f64, mean_difference: f64, sd_difference: f64, nu: f64, alpha: f64, two_sided: bool) -> f64 {
    noncentral_t_power(mean_difference * n.sqrt() / sd_difference, nu, alpha, two_sided)
}

/// Rejection probability of a t test on `nu` degrees of freedom whose statistic is noncentral
/// t with noncentrality `lambda`.
fn noncentral_t_power(lambda: f64, nu: f64, alpha: f64, two_sided: bool) -> f64 {
    let c = critical_value(if two_sided { alpha / 2.0 } else { alpha }, nu);
    let z = Normal::standard();
    let g = |v: f64| {
        let s = c * (v / nu).sqrt();
        let upper = z.sf(s - lambda);
        if two_sided { upper + z.cdf(-s - lambda) } else { upper }
    };
    expect_chi_square(nu, g)
}

/// Power of an equivalence trial by two one-sided t tests (Schuirmann 1987), each at level
/// `alpha` (one tail), with `n1`, `n2` per arm, true difference `delta`, margin `margin` either
/// way and common SD `sd`: with `s` the estimated SE, the trial shows equivalence when
/// `-margin + c s < estimate < margin - c s`, so the power is
/// `E_V[max(0, Phi((margin - c s - delta) / se) - Phi((-margin + c s - delta) / se))]`, `s = se
/// sqrt(V / nu)`, exact (the form of Owen 1965 by quadrature over `V ~ chi^2_nu`).
pub fn tost_power(n1: f64, n2: f64, delta: f64, margin: f64, sd: f64, alpha: f64) -> f64 {
    let nu = n1 + n2 - 2.0;
    let se = sd * (1.0 / n1 + 1.0 / n2).sqrt();
    let c = critical_value(alpha, nu);
    let z = Normal::standard();
    expect_chi_square(nu, |v| {
        let s = se * (v / nu).sqrt();
        (z.cdf((margin - c * s - delta) / se) - z.cdf((-margin + c * s - delta) / se)).max(0.0)
    })
}

/// Exact power of the ANCOVA treatment test with one normal covariate, `n1`, `n2` per arm,
/// true difference `delta` and residual SD `sd`: given the covariate, the estimate's variance
/// is `sd^2 (1/n1 + 1/n2)(1 + F / (n - 2))` with `F ~ F(1, n - 2)` the squared standardized
/// difference of the arms' covariate means, and the statistic is noncentral t on `n - 3` df;
/// the power is its expectation over `F` (e.g. Shieh 2020, "Power analysis and sample size
/// planning in ANCOVA designs", Psychometrika 85:101-120), by the midpoint rule on 400
/// quantiles of `F`. The shortcut `t_test_power` with `sd` ignores the covariate's chance
/// imbalance and the lost degree of freedom, and overstates power at small n.
pub(crate) fn ancova_power(n1: f64, n2: f64, delta: f64, sd: f64, alpha: f64, two_sided: bool) -> f64 {
    use statrs::distribution::FisherSnedecor;
    const NODES: usize = 400;
    let n = n1 + n2;
    let f = FisherSnedecor::new(1.0, n - 2.0).expect("n > 2");
    (0..NODES)
        .map(|k| {
            let u = f.inverse_cdf((k as f64 + 0.5) / NODES as f64);
            let lambda = delta / (sd * ((1.0 / n1 + 1.0 / n2) * (1.0 + u / (n - 2.0))).sqrt());
            noncentral_t_power(lambda, n - 3.0, alpha, two_sided)
        })
        .sum::<f64>()
        / NODES as f64
}

/// `E[g(V)]` for `V ~ chi^2_nu` (nu >= 3), by composite Simpson over mean +- 40 SD.
fn expect_chi_square<G: Fn(f64) -> f64>(nu: f64, g: G) -> f64 {
    const INTERVALS: usize = 20_000;
    let chi = ChiSquared::new(nu).expect("nu > 0");
    let spread = 40.0 * (2.0 * nu).sqrt();
    let (lo, hi) = ((nu - spread).max(0.0), nu + spread);
    // The density through its logarithm: pdf itself overflows (inf) at about 210-340 df.
    simpson(|v| if v <= 0.0 { 0.0 } else { chi.ln_pdf(v).exp() * g(v) }, lo, hi, INTERVALS)
}

/// Power of the negative-binomial Wald test of the log rate ratio with `n1`, `n0` per arm,
/// expected counts `m1` (active) and `m0` (placebo) per window and gamma shape `theta`, by
/// Zhu & Lakkis (2014), "Sample size calculation for comparing two negative binomial rates",
/// Stat. Med. 33:376-387, with `V0 = V1`: `Var(ln RR) = 1/(n0 m0) + 1/(n1 m1) + (1/n0 + 1/n1)/theta`
/// and a normal reference.
pub fn negbin_wald_power(n1: f64, n0: f64, m0: f64, m1: f64, theta: f64, alpha: f64, two_sided: bool) -> f64 {
    let sd = (1.0 / (n0 * m0) + 1.0 / (n1 * m1) + (1.0 / n0 + 1.0 / n1) / theta).sqrt();
    let d = (m0 / m1).ln() / sd;
    let z = Normal::standard();
    let c = z.inverse_cdf(1.0 - if two_sided { alpha / 2.0 } else { alpha });
    if two_sided { z.cdf(d - c) + z.cdf(-d - c) } else { z.cdf(d - c) }
}

/// Smallest power whose binomial variance is used to plan replicates: a run of zeros (or of
/// ones) must not stop the projection, so `p` is held within [0.02, 0.98].
const PLANNING_POWER_FLOOR: f64 = 0.02;

/// Replicates for a 95% Wald half-width of `half_width` at power `p`,
/// `p (1 - p) (z_0.975 / H)^2`, with `p` held within [0.02, 0.98]; saturating, never overflows.
pub(crate) fn replicates_for_half_width(p: f64, half_width: f64) -> u64 {
    let q = p.clamp(PLANNING_POWER_FLOOR, 1.0 - PLANNING_POWER_FLOOR);
    let need = (q * (1.0 - q) * (Z_975 / half_width).powi(2)).ceil();
    // `as` saturates: an absurdly small half-width asks for u64::MAX, and the cap decides.
    need as u64
}

/// Wilson score interval for a binomial proportion `k / n` at 95% (Wilson 1927).
pub(crate) fn wilson_95(k: f64, n: f64) -> (f64, f64) {
    if n <= 0.0 {
        return (0.0, 1.0);
    }
    let p = k / n;
    let z2 = Z_975 * Z_975;
    let centre = (p + z2 / (2.0 * n)) / (1.0 + z2 / n);
    let half = Z_975 / (1.0 + z2 / n) * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt();
    ((centre - half).max(0.0), (centre + half).min(1.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reference values from SciPy 1.x `stats.nct` (two-sided, alpha 0.05, equal n): d = 0.5
    /// with 64 per arm is the classic 0.80 (Cohen 1988, Table 2.4.1).
    #[test]
    fn matches_reference_t_test_power() {
        for (n, delta, sd, reference) in [
            (64.0, 0.5, 1.0, 0.801459557922254),
            (86.0, 0.5, 1.0, 0.9032299799904954),
            (20.0, 3.0, 4.0, 0.6374017213008892),
            (100.0, 0.3, 1.0, 0.5600592535808472),
            (30.0, 10.0, 12.0, 0.8875573141605647),
            (12.0, 1.2, 1.0, 0.802078791767169),
        ] {
            let p = t_test_power(n, n, delta, sd, 0.05, true);
            assert!((p - reference).abs() < 1e-7, "n {n}: {p} vs {reference}");
        }
        // Under the null, the rejection probability is alpha exactly.
        assert!((t_test_power(20.0, 20.0, 0.0, 1.0, 0.05, true) - 0.05).abs() < 1e-6);
        assert!((t_test_power(20.0, 20.0, 0.0, 1.0, 0.05, false) - 0.05).abs() < 1e-6);
    }

    /// The exact ANCOVA power lies below the residual-SD shortcut (a t test with the residual
    /// SD on n - 2 df), by more at small n; both agree as n grows.
    #[test]
    fn ancova_power_is_below_the_shortcut_at_small_n() {
        for (n, delta) in [(10.0, 0.8), (20.0, 0.6), (40.0, 0.4), (200.0, 0.2)] {
            let exact = ancova_power(n, n, delta, 1.0, 0.05, true);
            let shortcut = t_test_power(n, n, delta, 1.0, 0.05, true);
            println!("n {n}: exact {exact:.5}, shortcut {shortcut:.5}");
            assert!(exact < shortcut && shortcut - exact < 0.02, "n {n}: {exact} vs {shortcut}");
            if n >= 200.0 {
                assert!(shortcut - exact < 0.002);
            }
        }
        // Under the null the exact power is alpha.
        assert!((ancova_power(15.0, 15.0, 0.0, 1.0, 0.05, true) - 0.05).abs() < 1e-6);
    }

    #[test]
    fn wilson_contains_the_estimate() {
        let (lo, hi) = wilson_95(80.0, 100.0);
        assert!(lo < 0.8 && 0.8 < hi);
        assert!((lo - 0.7112).abs() < 1e-3 && (hi - 0.8666).abs() < 1e-3);
    }
}

#[cfg(test)]
mod noncentral_t_reference {
    use super::t_test_power;

    /// Two-sided power at alpha 0.05 with n per arm `(df + 2) / 2` and standardized effect
    /// `d`, from scipy 1.x (`nct.sf(c, df, lam) + nct.cdf(-c, df, lam)`, `c = t.isf(0.025, df)`),
    /// an independent implementation. The grid crosses 210-340 df, where the chi-square density
    /// overflowed and the power came out infinite (issue 20, defect 3).
    const SCIPY: [(f64, f64, f64); 29] = [
        (10.0, 0.1, 0.052837747392),
        (10.0, 0.3, 0.075842157512),
        (10.0, 0.5, 0.123104828102),
        (30.0, 0.1, 0.058637944897),
        (30.0, 0.3, 0.130191369266),
        (30.0, 0.5, 0.277744523811),
        (100.0, 0.1, 0.079114301081),
        (100.0, 0.3, 0.323179253513),
        (100.0, 0.5, 0.705612580761),
        (210.0, 0.1, 0.111993858599),
        (210.0, 0.3, 0.584772955623),
        (210.0, 0.5, 0.951883246598),
        (250.0, 0.1, 0.124118454516),
        (250.0, 0.3, 0.659858506032),
        (250.0, 0.5, 0.976889668236),
        (300.0, 0.1, 0.139369468952),
        (300.0, 0.3, 0.738397586352),
        (300.0, 0.5, 0.991120981068),
        (340.0, 0.1, 0.151631235980),
        (340.0, 0.3, 0.789931261255),
        (340.0, 0.5, 0.995978398514),
        (500.0, 0.1, 0.200978455302),
        (500.0, 0.3, 0.918398198455),
        (500.0, 0.5, 0.999858612437),
        (1000.0, 0.1, 0.352630468538),
        (1000.0, 0.3, 0.997312276213),
        (1000.0, 0.5, 0.999999998626),
        (5000.0, 0.1, 0.942440741499),
        (5000.0, 0.5, 1.000000000000),
    ];

    #[test]
    fn t_test_power_matches_scipy_noncentral_t_at_every_df() {
        for (df, d, expected) in SCIPY {
            let n = (df + 2.0) / 2.0;
            let p = t_test_power(n, n, d, 1.0, 0.05, true);
            assert!(p.is_finite() && (p - expected).abs() < 1e-7, "df {df}, d {d}: {p} vs scipy {expected}");
        }
    }
}
