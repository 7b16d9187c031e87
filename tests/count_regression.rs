//! The count regressions against R on one data set: `benches/peers/negbin_crosscheck.R`
//! prints a Peikert-sized trial (81 patients, 38:43, attacks in weeks 9-12 against a 4-week
//! baseline) and R's fits: `MASS::glm.nb` (MASS 7.3-58.2, R 4.2.2, Debian's r-cran-mass; epsilon 1e-12) and
//! `glm` with the poisson and quasipoisson families (epsilon 1e-14, so that R's SEs come from converged weights). The model is
//! `follow ~ treated + log(baseline + 1)`.

use mgtrial::analysis::loglinear::{CountRows, MAX_COLUMNS};
use mgtrial::analysis::negbin::{NegBinScratch, fit_negbin, rate_ratio_test};
use mgtrial::analysis::poisson::poisson_test;
use mgtrial::analysis::wilcoxon::{RankScratch, wilcoxon};
use statrs::distribution::{ContinuousCDF, Normal};

const FOLLOW: [u32; 81] = [
    3, 0, 5, 1, 1, 1, 1, 0, 4, 4, 4, 5, 8, 3, 1, 4, 1, 8, 0, 3, 4, 3, 0, 3, 3, 1, 0, 1, 1, 3, 9, 0, 4, 2, 2, 4, 2, 5,
    7, 1, 3, 0, 2, 1, 3, 3, 3, 2, 0, 2, 1, 1, 3, 0, 1, 1, 3, 0, 2, 4, 5, 0, 2, 3, 3, 1, 3, 2, 4, 6, 3, 5, 5, 1, 0, 4,
    4, 1, 5, 4, 0,
];
const BASELINE: [u32; 81] = [
    2, 0, 4, 2, 2, 4, 5, 1, 1, 3, 3, 5, 7, 0, 6, 1, 0, 2, 0, 1, 2, 2, 1, 3, 1, 1, 2, 9, 2, 0, 12, 4, 3, 4, 2, 10, 2, 9,
    6, 2, 2, 0, 0, 1, 1, 5, 9, 1, 2, 3, 1, 1, 4, 2, 3, 8, 2, 2, 6, 3, 6, 1, 1, 1, 4, 14, 7, 5, 1, 12, 6, 5, 4, 3, 0, 2,
    7, 7, 3, 10, 2,
];
const PLACEBO: usize = 38;

fn rows() -> CountRows {
    let mut rows = CountRows::default();
    for (i, (&y, &b)) in FOLLOW.iter().zip(&BASELINE).enumerate() {
        let mut row = [0.0; MAX_COLUMNS];
        row[0] = 1.0;
        row[1] = f64::from(u8::from(i >= PLACEBO));
        row[2] = (f64::from(b) + 1.0).ln();
        rows.push(y, row);
    }
    rows
}

fn close(ours: f64, r: f64, relative: f64, what: &str) {
    assert!((ours - r).abs() <= relative * r.abs(), "{what}: ours {ours}, R {r}");
}

#[test]
fn negative_binomial_matches_mass_glm_nb() {
    let mut rows = rows();
    let mut scratch = NegBinScratch::default();
    let f = fit_negbin(&mut rows, &[0, 1, 2], &mut scratch).expect("converges");
    for (k, r) in [0.350934026120, -0.207227030546, 0.503875909829].into_iter().enumerate() {
        close(f.fit.beta[k], r, 1e-7, "coefficient");
    }
    for (k, r) in [0.201210910093, 0.163029061101, 0.121677095219].into_iter().enumerate() {
        close(f.fit.variance(k).sqrt(), r, 1e-6, "SE");
    }
    close(f.theta, 7.7981985043, 1e-6, "theta");
    close(f.log_likelihood, -155.6426781241, 1e-9, "log-likelihood");
    let test = rate_ratio_test(&mut rows, &[0, 1, 2], 1, &mut scratch).expect("converges");
    close(test.likelihood_ratio, 1.5985118880, 1e-6, "likelihood ratio");
    close(test.log_rate_ratio, -0.207227030546, 1e-7, "log rate ratio");
}

#[test]
fn poisson_and_quasi_poisson_match_r_glm() {
    let mut rows = rows();
    let p = poisson_test(&mut rows, &[0, 1, 2], 1, false).expect("converges");
    close(p.log_rate_ratio, -0.208528995015, 1e-9, "Poisson coefficient");
    close(p.se, 0.139750668957, 1e-8, "Poisson SE");
    assert!(p.df.is_infinite());
    let q = poisson_test(&mut rows, &[0, 1, 2], 1, true).expect("converges");
    close(q.log_rate_ratio, -0.208528995015, 1e-9, "quasi-Poisson coefficient");
    close(q.se, 0.160448490954, 1e-8, "quasi-Poisson SE");
    assert_eq!(q.df, 78.0);
}

/// R: `wilcox.test(change[treated], change[placebo], exact = FALSE, correct = FALSE)` gives
/// W = 660.5 (= U) and p = 0.135399243621 on the change in counts, with many ties.
#[test]
fn wilcoxon_matches_r_with_ties() {
    let change: Vec<f64> = FOLLOW.iter().zip(&BASELINE).map(|(&y, &b)| f64::from(y) - f64::from(b)).collect();
    let (placebo, active) = change.split_at(PLACEBO);
    let e = wilcoxon(active, placebo, 1.0, &mut RankScratch::default()).expect("computable");
    let pairs = (active.len() * placebo.len()) as f64;
    close((e.benefit + 0.5) * pairs, 660.5, 1e-12, "U");
    let p = 2.0 * Normal::standard().sf(e.t().abs());
    close(p, 0.135399243621, 1e-9, "two-sided p");
}
