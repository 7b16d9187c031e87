//! Negative-binomial (NB2) regression with the dispersion estimated by maximum likelihood, as
//! R's `MASS::glm.nb` fits it (Venables & Ripley 2002, *Modern Applied Statistics with S*,
//! sec. 7.4): alternate a Newton fit of the coefficients at a fixed `theta` with a
//! Newton solve of the likelihood equation for `theta` at the fitted means, until both settle.
//! `Var(y) = mu + mu^2 / theta`.
//!
//! For integer counts the digamma and trigamma differences in `theta`'s score and information
//! are finite sums, `psi(theta + y) - psi(theta) = sum_{k<y} 1 / (theta + k)` (Abramowitz &
//! Stegun 6.3.6, 6.4.6), and `ln Gamma(theta + y) - ln Gamma(theta) = sum_{k<y} ln(theta + k)`:
//! exact. Summed over the rows they are `sum_k T_k / (theta + k)` and so on, where `T_k` is
//! the number of rows with a count above `k`: one pass over the counts that occur. The terms
//! in the fitted means are summed over the distinct design rows ([`Pattern`]s).

use super::loglinear::{CountRows, LogLinearFit, MAX_COLUMNS, Pattern, fit};

/// Above this `theta` the counts show no overdispersion the data can resolve: the fit is
/// the Poisson limit (`a = 1 / theta = 0`), as `theta.ml` reaching its limit.
const MAX_THETA: f64 = 1e8;

pub use super::loglinear::MAX_COUNT;

/// Alternations of the coefficients and `theta` at most (R: 25). The alternation converges
/// linearly, slowly where the likelihood is flat in `theta`: strongly overdispersed counts at
/// the Peikert size took up to 84 (86 under seed contract 1; tested), so R's limit would count
/// such fits as failures.
const MAX_ALTERNATIONS: usize = 500;

/// Newton steps for `theta` at most (R's `theta.ml`: 25).
const MAX_THETA_STEPS: usize = 200;

/// A converged negative-binomial fit.
#[derive(Debug, Clone, Copy)]
pub struct NegBinFit {
    pub fit: LogLinearFit,
    /// The ML dispersion parameter (`f64::INFINITY` at the Poisson limit).
    pub theta: f64,
    /// The full log-likelihood, with the `ln y!` terms (R's `logLik`).
    pub log_likelihood: f64,
}

/// Scratch of the fits, reused from trial to trial: `tail[k]`, the rows with a count above `k`.
#[derive(Debug, Default, Clone)]
pub struct NegBinScratch {
    tail: Vec<f64>,
}

impl NegBinScratch {
    fn tabulate(&mut self, histogram: &[f64]) {
        self.tail.clear();
        let mut above: f64 = histogram.iter().sum();
        for &h in histogram.iter().take(histogram.len().saturating_sub(1)) {
            above -= h;
            self.tail.push(above);
        }
    }
}

/// The ML `theta` given the fitted means: Newton's method from `start` (the previous
/// alternation's value) or the moment start `n / sum (y / mu - 1)^2` (as `MASS::theta.ml`),
/// safeguarded by a bracket of the root of the score (the likelihood need not be concave in
/// `theta`: a Newton step that leaves the bracket or meets a non-positive information is
/// replaced by a geometric bisection, or by a tenfold step while one side is open).
/// `Some(f64::INFINITY)` at the Poisson limit, where the score stays positive; `None` if the
/// solve does not settle.
fn theta_ml(patterns: &[Pattern], tail: &[f64], start: Option<f64>) -> Option<f64> {
    let mut theta = match start {
        Some(t) if t.is_finite() => t,
        _ => {
            let n: f64 = patterns.iter().map(|q| q.n).sum();
            let moment: f64 = patterns.iter().map(|q| q.sum_yy / (q.mu * q.mu) - 2.0 * q.sum_y / q.mu + q.n).sum();
            if moment > 0.0 { (n / moment).min(MAX_THETA) } else { MAX_THETA }
        }
    };
    // The score is positive at `below` and negative at `above`.
    let (mut below, mut above) = (0.0f64, f64::INFINITY);
    for _ in 0..MAX_THETA_STEPS {
        if !(theta.is_finite() && theta > 0.0) {
            return None;
        }
        // Per row, `psi(theta + y) - psi(theta) + ln theta + 1 - ln(theta + m) - (y + theta) / (theta + m)`
        // and its negative derivative, written without differences of nearly equal terms
        // (at large theta they are all near 1 / theta and their sum far smaller).
        let (mut score, mut info) = (0.0, 0.0);
        for (k, &t) in tail.iter().enumerate() {
            let inv = 1.0 / (theta + k as f64);
            score += t * inv;
            info += t * inv * inv;
        }
        for q in patterns {
            let tm = theta + q.mu;
            score += -q.n * (q.mu / theta).ln_1p() + (q.n * q.mu - q.sum_y) / tm;
            info -= (q.n * q.mu * q.mu + theta * q.sum_y) / (theta * tm * tm);
        }
        if score > 0.0 {
            if theta >= MAX_THETA {
                return Some(f64::INFINITY);
            }
            below = theta;
        } else {
            above = theta;
        }
        let newton = if info > 0.0 { theta + score / info } else { f64::NAN };
        let next = if newton > below && newton < above {
            newton
        } else if above.is_infinite() {
            (theta * 10.0).min(MAX_THETA)
        } else if below == 0.0 {
            theta / 10.0
        } else {
            (below * above).sqrt()
        };
        if (next - theta).abs() <= 1e-10 * theta {
            return Some(next);
        }
        theta = next;
    }
    None
}

/// The NB2 log-likelihood at the fitted means and dispersion `theta` (Poisson at infinity),
/// less the constant `sum ln y!` (see [`sum_ln_factorials`]): per row
/// `ln Gamma(theta + y) - ln Gamma(theta) - (theta + y) ln(1 + mu / theta) + y (eta - ln theta)`.
fn log_likelihood(patterns: &[Pattern], tail: &[f64], theta: f64) -> f64 {
    if theta.is_infinite() {
        return patterns.iter().map(|q| q.sum_y * q.eta - q.n * q.mu).sum();
    }
    let ln_theta = theta.ln();
    let gamma: f64 = tail.iter().enumerate().map(|(k, &t)| t * (theta + k as f64).ln()).sum();
    gamma
        + patterns
            .iter()
            .map(|q| -(q.n * theta + q.sum_y) * (q.mu / theta).ln_1p() + q.sum_y * (q.eta - ln_theta))
            .sum::<f64>()
}

/// `sum_i ln(y_i!) = sum_{k >= 1} ln(k + 1) T_k`.
fn sum_ln_factorials(tail: &[f64]) -> f64 {
    tail.iter().enumerate().skip(1).map(|(k, &t)| t * ((k + 1) as f64).ln()).sum()
}

/// Fits the NB2 model on `columns` of `rows`, the dispersion by maximum likelihood. `None`
/// if any step fails to converge (counted by the caller, never dropped).
pub fn fit_negbin(rows: &mut CountRows, columns: &[usize], scratch: &mut NegBinScratch) -> Option<NegBinFit> {
    // Each theta step sums over the counts up to the largest: the Poisson start refuses counts
    // beyond MAX_COUNT (far above any migraine window) rather than be slow.
    let mut current = fit(rows, columns, 0.0, None)?;
    scratch.tabulate(rows.count_histogram());
    let tail = &scratch.tail;
    let mut theta = theta_ml(rows.patterns(), tail, None)?;
    let mut ll = log_likelihood(rows.patterns(), tail, theta);
    for _ in 0..MAX_ALTERNATIONS {
        let a = 1.0 / theta;
        current = fit(rows, columns, a, Some(current.beta))?;
        let next = theta_ml(rows.patterns(), tail, Some(theta))?;
        let next_ll = log_likelihood(rows.patterns(), tail, next);
        let settled = (next_ll - ll).abs() <= 1e-10 * (1.0 + ll.abs()) && (1.0 / next - a).abs() <= 1e-9 * (1.0 + a);
        theta = next;
        ll = next_ll;
        if settled {
            // The coefficients' information at the final theta.
            let last = fit(rows, columns, 1.0 / theta, Some(current.beta))?;
            let log_likelihood = ll - sum_ln_factorials(tail);
            return Some(NegBinFit { fit: last, theta, log_likelihood });
        }
    }
    None
}

/// Treatment comparison on the log rate-ratio scale from one NB2 regression.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateRatioTest {
    /// `ln(rate ratio)`, treated vs control.
    pub log_rate_ratio: f64,
    /// Wald SE from the model information.
    pub se: f64,
    /// The likelihood-ratio statistic against the model without the treatment column.
    pub likelihood_ratio: f64,
    pub theta: f64,
}

/// The Wald part of [`rate_ratio_test`]: the full model's fit alone, for a Wald test (half the
/// work of the likelihood ratio, which also fits the model without the treatment).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WaldTest {
    pub log_rate_ratio: f64,
    pub se: f64,
    pub theta: f64,
    pub log_likelihood: f64,
}

/// NB2 regression on `columns` (the intercept first), the treatment effect in column
/// `treatment` (an index into `columns`), with its Wald SE. `None` if the fit does not converge.
pub(crate) fn wald_test(
    rows: &mut CountRows,
    columns: &[usize],
    treatment: usize,
    scratch: &mut NegBinScratch,
) -> Option<WaldTest> {
    let full = fit_negbin(rows, columns, scratch)?;
    let se = full.fit.variance(treatment).sqrt();
    (se.is_finite() && se > 0.0).then_some(WaldTest {
        log_rate_ratio: full.fit.beta[treatment],
        se,
        theta: full.theta,
        log_likelihood: full.log_likelihood,
    })
}

/// The likelihood-ratio statistic of `wald` (from [`wald_test`] on the same rows and
/// columns) against the fit without the treatment column, each model with its own ML theta
/// (as `anova` of two `glm.nb` fits). `None` if the reduced fit does not converge.
pub fn likelihood_ratio(
    rows: &mut CountRows,
    columns: &[usize],
    treatment: usize,
    wald: &WaldTest,
    scratch: &mut NegBinScratch,
) -> Option<f64> {
    let mut reduced_columns = [0usize; MAX_COLUMNS];
    let mut p = 0;
    for (k, &c) in columns.iter().enumerate() {
        if k != treatment {
            reduced_columns[p] = c;
            p += 1;
        }
    }
    let reduced = fit_negbin(rows, &reduced_columns[..p], scratch)?;
    Some((2.0 * (wald.log_likelihood - reduced.log_likelihood)).max(0.0))
}

/// NB2 regression on `columns` (the intercept first) with the treatment effect in column
/// `treatment` (an index into `columns`): the Wald estimate and the likelihood-ratio
/// statistic against the fit without it. `None` if either fit does not converge.
pub fn rate_ratio_test(
    rows: &mut CountRows,
    columns: &[usize],
    treatment: usize,
    scratch: &mut NegBinScratch,
) -> Option<RateRatioTest> {
    let wald = wald_test(rows, columns, treatment, scratch)?;
    let likelihood_ratio = likelihood_ratio(rows, columns, treatment, &wald, scratch)?;
    Some(RateRatioTest { log_rate_ratio: wald.log_rate_ratio, se: wald.se, likelihood_ratio, theta: wald.theta })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::stream_rng;
    use rand::RngExt;
    use rand_distr::{Distribution, Gamma, Poisson};

    /// At the ML theta the score in theta is zero, and the log-likelihood is at its maximum
    /// over theta: lower at theta -+ 5%.
    #[test]
    fn theta_is_the_likelihood_maximum() {
        let mut rng = stream_rng(9, 0, 0);
        let mut rows = CountRows::default();
        let theta_true = 2.0;
        for i in 0..400 {
            let treated = f64::from(u8::from(i % 2 == 1));
            let base = rng.random_range(0.5..2.0f64);
            let mean = 3.0 * (-0.4 * treated).exp() * base;
            let rate = Gamma::new(theta_true, mean / theta_true).unwrap().sample(&mut rng);
            let count = if rate > 0.0 { Poisson::new(rate).unwrap().sample(&mut rng) as u32 } else { 0 };
            rows.push(count, [1.0, treated, base.ln(), 0.0, 0.0, 0.0]);
        }
        let mut scratch = NegBinScratch::default();
        let f = fit_negbin(&mut rows, &[0, 1, 2], &mut scratch).expect("converges");
        assert!(f.theta.is_finite() && f.theta > 0.5 && f.theta < 8.0, "theta {}", f.theta);
        let patterns = rows.patterns().to_vec();
        let at = |t: f64| log_likelihood(&patterns, &scratch.tail, t);
        let best = at(f.theta);
        assert!(best > at(f.theta * 0.95) && best > at(f.theta * 1.05));
        // The coefficients are the NB2 fit at that theta: a refit from scratch agrees.
        let again = fit(&mut rows, &[0, 1, 2], 1.0 / f.theta, None).expect("converges");
        for k in 0..3 {
            assert!((again.beta[k] - f.fit.beta[k]).abs() < 1e-8);
        }
    }

    /// Poisson counts: theta goes to the Poisson limit or stays large, and the NB fit's
    /// coefficients approach Poisson's.
    #[test]
    fn poisson_counts_give_a_large_theta() {
        let mut rng = stream_rng(10, 0, 0);
        let mut rows = CountRows::default();
        for i in 0..300 {
            let treated = f64::from(u8::from(i % 2 == 1));
            let count = Poisson::new(4.0 * (-0.3 * treated).exp()).unwrap().sample(&mut rng) as u32;
            rows.push(count, [1.0, treated, 0.0, 0.0, 0.0, 0.0]);
        }
        let mut scratch = NegBinScratch::default();
        let f = fit_negbin(&mut rows, &[0, 1], &mut scratch).expect("converges");
        assert!(f.theta > 20.0, "theta {}", f.theta);
        let p = fit(&mut rows, &[0, 1], 0.0, None).expect("converges");
        assert!((p.beta[1] - f.fit.beta[1]).abs() < 1e-9, "two groups: both are the log ratio of means");
    }
}
