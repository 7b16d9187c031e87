//! Exact decisions against Student-t critical values, fast enough for the replicate loop.
//!
//! `stat > t_{1-q}(df)` is decided by bracketing `df` between integers, whose critical values
//! are tabulated once (critical values fall as df rises); only a statistic that lands between
//! the two bracketing values is decided by the exact survival function, `sf(stat; df) < q`.
//! The decision is therefore identical to comparing the p-value from `sf` with `q`.

use statrs::distribution::{ContinuousCDF, StudentsT};

#[derive(Debug, Clone)]
pub struct TCritical {
    /// Upper-tail probability `q`.
    tail: f64,
    /// `table[k]` = critical value at `k` degrees of freedom (index 0 unused).
    table: Vec<f64>,
}

impl TCritical {
    /// Tabulates critical values of upper-tail probability `tail` for df 1..=`max_df`.
    pub fn new(tail: f64, max_df: usize) -> TCritical {
        let mut table = vec![f64::INFINITY; max_df + 1];
        for (df, v) in table.iter_mut().enumerate().skip(1) {
            *v = critical_value(tail, df as f64);
        }
        TCritical { tail, table }
    }

    pub fn tail(&self) -> f64 {
        self.tail
    }

    /// True when `stat` exceeds the critical value at `df` (>= 1, need not be an integer).
    pub fn exceeds(&self, stat: f64, df: f64) -> bool {
        let (lo, hi) = (df.floor() as usize, df.ceil() as usize);
        // The tabulated quantiles are accurate to far better than this margin; a statistic
        // within it of either bracket is decided by the survival function itself.
        const MARGIN: f64 = 1e-7;
        if hi < self.table.len() && lo >= 1 {
            if stat > self.table[lo] + MARGIN {
                return true;
            }
            if stat < self.table[hi] - MARGIN {
                return false;
            }
        }
        upper_tail(stat, df) < self.tail
    }
}

/// `P(T > stat)` for Student's t with `df` degrees of freedom, from the survival function.
pub fn upper_tail(stat: f64, df: f64) -> f64 {
    StudentsT::new(0.0, 1.0, df).expect("df >= 1").sf(stat)
}

/// The `1 - tail` quantile of Student's t.
pub fn critical_value(tail: f64, df: f64) -> f64 {
    StudentsT::new(0.0, 1.0, df).expect("df >= 1").inverse_cdf(1.0 - tail)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bracketing_agrees_with_the_survival_function() {
        let c = TCritical::new(0.025, 200);
        for i in 0..2000 {
            let df = 1.0 + i as f64 * 0.0997;
            for stat in [1.5, 1.96, 2.0, 2.1, 2.3, 3.0, critical_value(0.025, df) + 1e-9] {
                assert_eq!(c.exceeds(stat, df), upper_tail(stat, df) < 0.025, "df {df} stat {stat}");
            }
        }
    }
}
