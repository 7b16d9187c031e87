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
        // Per pattern, sum (y - mu)^2 = (sum y^2 - (sum y)^2 / n) + n (mean y - mu)^2: the
        // within-pattern part from integer sums, so that equal counts give exactly 0.
        let pearson: f64 = rows
            .patterns()
            .iter()
            .map(|q| {
                let within = (q.sum_yy - q.sum_y * q.sum_y / q.n).max(0.0);
                (within + q.n * (q.sum_y / q.n - q.mu).powi(2)) / q.mu
            })
            .sum();
        let df = (rows.len() - columns.len()) as f64;
        // A dispersion at rounding level means counts without variation around the fit: no
        // usable SE.
        if pearson.is_nan() || pearson / df <= 1e-12 {
            return None;
        }
        (pearson / df, df)
    } else {
        (1.0, f64::INFINITY)
    };
    let se = (variance * scale).sqrt();
    (se.is_finite() && se > 0.0).then_some(LogRateRatio { log_rate_ratio: f.beta[treatment], se, df })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::loglinear::MAX_COLUMNS;

    /// Counts constant within each arm fit exactly: quasi-Poisson has no dispersion to scale
    /// by and gives no SE (rather than one of rounding size); Poisson still gives its own.
    #[test]
    fn constant_counts_have_no_quasi_poisson_se() {
        let mut rows = CountRows::default();
        for (arm, count) in [(0.0, 3), (1.0, 5)] {
            for _ in 0..10 {
                let mut row = [0.0; MAX_COLUMNS];
                row[..2].copy_from_slice(&[1.0, arm]);
                rows.push(count, row);
            }
        }
        assert!(poisson_test(&mut rows, &[0, 1], 1, true).is_none());
        let p = poisson_test(&mut rows, &[0, 1], 1, false).expect("Poisson SE from the model");
        assert!((p.log_rate_ratio - (5.0f64 / 3.0).ln()).abs() < 1e-10);
    }
}
