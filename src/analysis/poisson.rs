//! Poisson and quasi-Poisson regression of counts on the log link (McCullagh & Nelder 1989,
//! sections 6.2 and 9.2). Poisson's model-based SE assumes `Var(y) = mu`; under the
//! overdispersion of migraine counts it is too small, which is why simulated Poisson power is
//! too high (a known trap). Quasi-Poisson keeps Poisson's estimate and scales its variance by
//! the Pearson dispersion `phi = sum (y - mu)^2 / mu / (n - p)`, with a t reference on `n - p`
//! degrees of freedom, as R's `glm(family = quasipoisson)`.

use super::loglinear::{CountRows, fit};

/// A treatment comparison on the log rate-ratio scale: estimate, SE, and the degrees of
/// freedom of its reference distribution (`f64::INFINITY` for a normal reference).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LogRateRatio {
    pub log_rate_ratio: f64,
    pub se: f64,
    pub df: f64,
}

/// Poisson regression on `columns`; the treatment effect is coefficient `treatment` (an index
/// into `columns`). With `quasi`, the variance is scaled by the Pearson dispersion.
pub fn poisson_test(rows: &mut CountRows, columns: &[usize], treatment: usize, quasi: bool) -> Option<LogRateRatio> {
    let f = fit(rows, columns, 0.0, None)?;
    let variance = f.variance(treatment);
    let (scale, df) = if quasi {
        let pearson: f64 =
            rows.patterns().iter().map(|q| (q.sum_yy - 2.0 * q.mu * q.sum_y + q.n * q.mu * q.mu) / q.mu).sum();
        let df = (rows.len() - columns.len()) as f64;
        (pearson / df, df)
    } else {
        (1.0, f64::INFINITY)
    };
    let se = (variance * scale).sqrt();
    (se.is_finite() && se > 0.0).then_some(LogRateRatio { log_rate_ratio: f.beta[treatment], se, df })
}
