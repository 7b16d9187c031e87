//! Log-linear regression of counts, `ln E[y] = x'beta`, by Newton's method in iteratively
//! reweighted least-squares form (McCullagh & Nelder 1989, *Generalized Linear Models*, 2nd
//! ed., sections 2.5 and 6.2; for the Poisson's canonical log link it is Fisher scoring), for a variance `V(mu) = mu (1 + a mu)`: Poisson with `a = 0`, the
//! negative binomial NB2 with `a = 1 / theta` (Hilbe 2011, *Negative Binomial Regression*,
//! ch. 8). The Poisson, quasi-Poisson and negative-binomial analyses are built on it.

use super::linalg::{cholesky, solve};

/// Most columns of a count design (intercept, treatment, stratum, interaction, covariates).
pub const MAX_COLUMNS: usize = 6;

/// Largest count a fit accepts: a fit tallies the counts up to the largest (the negative
/// binomial's dispersion sums over them), so a larger one is refused rather than slow or
/// memory-hungry; far above any migraine window.
pub const MAX_COUNT: f64 = 1e6;

// Every expected count a scenario may ask for, with ten times its room for the tail, fits a
// fit's histogram.
const _: () = assert!(10.0 * crate::scenario::validate::MAX_EXPECTED_COUNT <= MAX_COUNT);

/// Newton iterations at most (R's `glm.control` allows 25; Newton converges quadratically).
const MAX_ITERATIONS: usize = 50;

/// A linear predictor beyond this (a rate ratio of e^30) means separation, e.g. an arm whose
/// counts are all zero: the maximum likelihood estimate does not exist.
const MAX_LINEAR_PREDICTOR: f64 = 30.0;

/// Rows sharing one design row: the sufficient statistics of a log-linear fit (with a
/// categorical treatment and a covariate of few values, such as a baseline count, a trial of
/// 81 rows has some 25), and the fitted mean.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Pattern {
    pub x: [f64; MAX_COLUMNS],
    /// Rows with this design row, and the sums of their counts and squared counts.
    pub n: f64,
    pub sum_y: f64,
    pub sum_yy: f64,
    /// Fitted mean and its logarithm, from the last successful [`fit`].
    pub mu: f64,
    pub eta: f64,
}

/// The completers of one trial as rows of a count regression, reused from trial to trial.
/// Fits work on the distinct design rows ([`Pattern`]s), built once per set of rows.
#[derive(Debug, Clone, Default)]
pub struct CountRows {
    /// Counts (integer-valued).
    pub y: Vec<f64>,
    /// Design rows; the model chooses its columns from them.
    pub x: Vec<[f64; MAX_COLUMNS]>,
    patterns: Vec<Pattern>,
    /// `histogram[c]`: rows with count `c`.
    histogram: Vec<f64>,
    order: Vec<usize>,
    /// Whether `patterns` and `histogram` describe the current rows.
    compressed: bool,
    /// Whether a count exceeds [`MAX_COUNT`] (then no histogram is built and no fit made).
    too_large: bool,
}

impl CountRows {
    pub fn clear(&mut self) {
        self.y.clear();
        self.x.clear();
        self.compressed = false;
    }

    pub fn push(&mut self, count: u32, row: [f64; MAX_COLUMNS]) {
        self.y.push(f64::from(count));
        self.x.push(row);
        self.compressed = false;
    }

    pub fn len(&self) -> usize {
        self.y.len()
    }

    pub fn is_empty(&self) -> bool {
        self.y.is_empty()
    }

    /// The distinct design rows with their counts' sums and the last fit's means.
    pub(crate) fn patterns(&self) -> &[Pattern] {
        &self.patterns
    }

    /// `count_histogram()[c]`: the rows with count `c` (up to the largest count).
    pub(crate) fn count_histogram(&self) -> &[f64] {
        &self.histogram
    }

    /// Groups the rows by design row (exact equality) and tallies the counts.
    fn compress(&mut self) {
        if self.compressed {
            return;
        }
        let CountRows { y, x, patterns, histogram, order, .. } = self;
        order.clear();
        order.extend(0..y.len());
        let key = |i: usize| x[i];
        order.sort_unstable_by(|&a, &b| {
            key(a)
                .iter()
                .zip(key(b).iter())
                .map(|(u, v)| u.total_cmp(v))
                .find(|o| o.is_ne())
                .unwrap_or(std::cmp::Ordering::Equal)
        });
        patterns.clear();
        for &i in order.iter() {
            match patterns.last_mut() {
                Some(last) if last.x == x[i] => {
                    last.n += 1.0;
                    last.sum_y += y[i];
                    last.sum_yy += y[i] * y[i];
                }
                _ => patterns.push(Pattern { x: x[i], n: 1.0, sum_y: y[i], sum_yy: y[i] * y[i], mu: 0.0, eta: 0.0 }),
            }
        }
        histogram.clear();
        self.too_large = y.iter().any(|&c| c > MAX_COUNT);
        if self.too_large {
            self.compressed = true;
            return;
        }
        for &c in y.iter() {
            let c = c as usize;
            if histogram.len() <= c {
                histogram.resize(c + 1, 0.0);
            }
            histogram[c] += 1.0;
        }
        self.compressed = true;
    }
}

/// A converged fit: coefficients of the model's columns (in the model's order) and the
/// Cholesky factor of the Fisher information, from which any variance follows.
#[derive(Debug, Clone, Copy)]
pub struct LogLinearFit {
    pub beta: [f64; MAX_COLUMNS],
    pub p: usize,
    information_factor: [[f64; MAX_COLUMNS]; MAX_COLUMNS],
    pub iterations: usize,
}

impl LogLinearFit {
    /// `[I^-1]_kk`: the model-based variance of coefficient `k`.
    pub fn variance(&self, k: usize) -> f64 {
        let mut e = [0.0; MAX_COLUMNS];
        e[k] = 1.0;
        solve(&self.information_factor, &e, self.p)[k]
    }
}

/// The `beta`-dependent part of the log-likelihood, `sum y ln mu - (y + 1/a) ln(1 + a mu)`
/// (for `a = 0`, `sum y ln mu - mu`), summed by pattern, which a Newton step must not
/// decrease, and the sum of its terms' magnitudes, the scale of its rounding error (the sum
/// itself can be near 0).
fn kernel(patterns: &[Pattern], a: f64) -> (f64, f64) {
    patterns.iter().fold((0.0, 0.0), |(sum, scale), q| {
        let spread = if a > 0.0 { (q.sum_y + q.n / a) * (a * q.mu).ln_1p() } else { q.n * q.mu };
        let term = q.sum_y * q.eta - spread;
        (sum + term, scale + term.abs())
    })
}

/// Fits `ln mu = sum_k beta_k x[columns[k]]` with variance `mu (1 + a mu)` from `start`
/// (the model's coefficients) or, without one, from the start of R's `glm` applied to each
/// pattern's mean (`mu = mean y + 0.1`, one weighted least-squares step). `None` when the fit
/// does not converge: a singular design, separation, or no convergence within the
/// iteration limit. Rows with equal design rows enter through their sums, which gives the
/// same normal equations as row by row.
pub fn fit(rows: &mut CountRows, columns: &[usize], a: f64, start: Option<[f64; MAX_COLUMNS]>) -> Option<LogLinearFit> {
    let p = columns.len();
    if p == 0 || p > MAX_COLUMNS || rows.len() <= p {
        return None;
    }
    rows.compress();
    if rows.too_large {
        return None;
    }
    let patterns = &mut rows.patterns;
    let eta_of = |beta: &[f64; MAX_COLUMNS], row: &[f64; MAX_COLUMNS]| -> f64 {
        columns.iter().enumerate().map(|(k, &c)| beta[k] * row[c]).sum()
    };
    // One weighted least-squares step: from each pattern's weight and working value, the
    // normal equations' factor and solution.
    let step = |patterns: &[Pattern],
                weight_and_z: &dyn Fn(&Pattern) -> (f64, f64)|
     -> Option<([f64; MAX_COLUMNS], [[f64; MAX_COLUMNS]; MAX_COLUMNS])> {
        let mut info = [[0.0; MAX_COLUMNS]; MAX_COLUMNS];
        let mut rhs = [0.0; MAX_COLUMNS];
        for q in patterns {
            let (w, z) = weight_and_z(q);
            for (k, &ck) in columns.iter().enumerate() {
                let wx = w * q.x[ck];
                rhs[k] += wx * z;
                for (l, &cl) in columns.iter().enumerate().take(k + 1) {
                    info[k][l] += wx * q.x[cl];
                }
            }
        }
        // Only the lower triangle is filled: all that the Cholesky factor reads.
        let factor = cholesky(&info, p)?;
        Some((solve(&factor, &rhs, p), factor))
    };
    let weight = |m: f64| m / (1.0 + a * m);
    // Newton's method with the observed information, whose weight for NB2 on the log link is
    // `mu (n + a sum y) / (1 + a mu)^2` per pattern (positive): Fisher scoring, with the
    // expected weight `n mu / (1 + a mu)`, converges only linearly when `a > 0`. As a
    // weighted least-squares step, the working value is the score contribution
    // `(sum y - n mu) / (1 + a mu)` over the weight, and the solution is the change in beta.
    let newton = |q: &Pattern| {
        let spread = 1.0 + a * q.mu;
        let w = q.mu * (q.n + a * q.sum_y) / (spread * spread);
        (w, (q.sum_y - q.n * q.mu) / spread / w)
    };
    // The expected (Fisher) information, whose inverse gives the reported variances, as
    // R's `glm` and `glm.nb` report them.
    let information = |q: &Pattern| (q.n * weight(q.mu), 0.0);
    let mut beta = match start {
        Some(b) => b,
        None => {
            step(patterns, &|q| {
                let m = q.sum_y / q.n + 0.1;
                (q.n * weight(m), m.ln() + (q.sum_y / q.n - m) / m)
            })?
            .0
        }
    };
    let update_mu = |beta: &[f64; MAX_COLUMNS], patterns: &mut [Pattern]| -> bool {
        for q in patterns.iter_mut() {
            q.eta = eta_of(beta, &q.x);
            if q.eta.is_nan() || q.eta.abs() > MAX_LINEAR_PREDICTOR {
                return false;
            }
            q.mu = q.eta.exp();
        }
        true
    };
    if !update_mu(&beta, patterns) {
        return None;
    }
    let (mut objective, mut scale) = kernel(patterns, a);
    for iteration in 1..=MAX_ITERATIONS {
        let (delta, _) = step(patterns, &newton)?;
        let mut candidate = beta;
        for k in 0..p {
            candidate[k] += delta[k];
        }
        // A full step below rounding of the coefficients has converged, whatever the
        // objective's last digits say.
        let negligible = (0..p).all(|k| (candidate[k] - beta[k]).abs() <= 1e-10 * (1.0 + beta[k].abs()));
        if negligible && update_mu(&candidate, patterns) {
            let (_, factor) = step(patterns, &information)?;
            return Some(LogLinearFit { beta: candidate, p, information_factor: factor, iterations: iteration });
        }
        // A full step that does not lower the objective either converges or continues; one
        // that does is halved (as R's glm does), and a halved step never counts as converged.
        let mut halvings = 0;
        let value = loop {
            if update_mu(&candidate, patterns) {
                let (value, value_scale) = kernel(patterns, a);
                if value >= objective - 1e-12 * scale {
                    scale = value_scale;
                    break value;
                }
            }
            halvings += 1;
            if halvings > 30 {
                return None;
            }
            for k in 0..p {
                candidate[k] = (candidate[k] + beta[k]) / 2.0;
            }
        };
        let change = (value - objective).abs();
        objective = value;
        // Under separation the objective flattens while the steps stay near 1 (a
        // coefficient heading for infinity): a small change alone is not convergence.
        let small_step = (0..p).all(|k| (candidate[k] - beta[k]).abs() <= 1e-6 * (1.0 + beta[k].abs()));
        beta = candidate;
        if halvings == 0 && small_step && change <= 1e-12 * (scale + 0.1) {
            // The information at the converged coefficients.
            let (_, factor) = step(patterns, &information)?;
            return Some(LogLinearFit { beta, p, information_factor: factor, iterations: iteration });
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two groups without covariates: the Poisson MLE is the log ratio of the group means and
    /// its variance `1 / sum y_1 + 1 / sum y_0` (e.g. Agresti 2013, sec. 4.3).
    #[test]
    fn two_group_poisson_is_the_log_ratio_of_means() {
        let mut rows = CountRows::default();
        let control = [3u32, 0, 5, 2, 4, 1, 2, 6];
        let treated = [1u32, 0, 2, 1, 3, 0, 1, 2, 2];
        for &c in &control {
            rows.push(c, [1.0, 0.0, 0.0, 0.0, 0.0, 0.0]);
        }
        for &c in &treated {
            rows.push(c, [1.0, 1.0, 0.0, 0.0, 0.0, 0.0]);
        }
        let f = fit(&mut rows, &[0, 1], 0.0, None).expect("converges");
        let (s0, s1) = (control.iter().sum::<u32>() as f64, treated.iter().sum::<u32>() as f64);
        let log_ratio = (s1 / treated.len() as f64 / (s0 / control.len() as f64)).ln();
        assert!((f.beta[1] - log_ratio).abs() < 1e-10, "{} vs {log_ratio}", f.beta[1]);
        assert!((f.variance(1) - (1.0 / s0 + 1.0 / s1)).abs() < 1e-10);
        // NB2 with a known dispersion: the same point estimate (group means are the MLE), and
        // variance sum over groups of (1 + a mu) / (n mu).
        let a = 0.7;
        let f = fit(&mut rows, &[0, 1], a, None).expect("converges");
        assert!((f.beta[1] - log_ratio).abs() < 1e-10);
        let (m0, m1) = (s0 / control.len() as f64, s1 / treated.len() as f64);
        let var = (1.0 + a * m0) / (control.len() as f64 * m0) + (1.0 + a * m1) / (treated.len() as f64 * m1);
        assert!((f.variance(1) - var).abs() < 1e-10, "{} vs {var}", f.variance(1));
    }

    /// An arm whose counts are all zero has no finite MLE: the fit says so.
    #[test]
    fn separation_does_not_converge() {
        let mut rows = CountRows::default();
        for c in [2u32, 3, 1, 4] {
            rows.push(c, [1.0, 0.0, 0.0, 0.0, 0.0, 0.0]);
        }
        for _ in 0..4 {
            rows.push(0, [1.0, 1.0, 0.0, 0.0, 0.0, 0.0]);
        }
        assert!(fit(&mut rows, &[0, 1], 0.0, None).is_none());
    }
}
