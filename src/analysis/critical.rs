//! Exact decisions against Student-t critical values, fast enough for the replicate loop.
//! Tails are at most 1/2 (alpha at most 0.5, validated), where critical values fall as df rises.
//!
//! `stat > t_{1-q}(df)` is decided by bracketing `df` between integers, whose critical values
//! are tabulated once (critical values fall as df rises); only a statistic that lands between
//! the two bracketing values is decided by the exact survival function, `sf(stat; df) < q`.
//! Beyond the table, the critical value lies between the last tabulated one and the normal
//! quantile (its limit as df grows). The decision is therefore identical to comparing the
//! p-value from `sf` with `q`.

use statrs::distribution::{ContinuousCDF, Normal, StudentsT};
use std::sync::Arc;

#[derive(Debug, Clone)]
pub struct TCritical {
    /// Upper-tail probability `q`.
    tail: f64,
    /// `table[k]` = critical value at `k` degrees of freedom (index 0 unused).
    table: Arc<[f64]>,
    /// The normal quantile `z_{1-q}`, below every Student-t critical value.
    normal_limit: f64,
}

/// Degrees of freedom tabulated at most; larger df use the normal limit as the lower bracket.
const MAX_TABULATED_DF: usize = 1024;

/// Statistics within this relative distance (`MARGIN (1 + |c|)`) of a bracketing critical
/// value `c` are decided by the survival function itself. The tabulated quantiles (statrs' inverse CDF, a root search on the CDF) are
/// accurate to about 1e-9 and more; the margin leaves three orders of magnitude of room.
const MARGIN: f64 = 1e-6;

impl TCritical {
    /// Tabulates critical values of upper-tail probability `tail` for df 1..=`max_df` (at
    /// most [`MAX_TABULATED_DF`]).
    pub fn new(tail: f64, max_df: usize) -> TCritical {
        let mut table = vec![f64::INFINITY; max_df.min(MAX_TABULATED_DF) + 1];
        for (df, v) in table.iter_mut().enumerate().skip(1) {
            *v = critical_value(tail, df as f64);
        }
        let normal_limit = Normal::standard().inverse_cdf(1.0 - tail);
        TCritical { tail, table: table.into(), normal_limit }
    }

    /// [`TCritical::new`] tabulated to [`MAX_TABULATED_DF`], built once per process for each
    /// tail and shared by every design point (decisions are exact whatever the table's length).
    pub fn shared(tail: f64) -> TCritical {
        static CACHE: crate::numeric::Memo<u64, TCritical> = crate::numeric::Memo::new();
        crate::numeric::memoized(&CACHE, tail.to_bits(), |_| TCritical::new(tail, MAX_TABULATED_DF))
    }

    /// True when `stat` exceeds the critical value at `df` (>= 1, need not be an integer).
    pub fn exceeds(&self, stat: f64, df: f64) -> bool {
        if df == f64::INFINITY {
            // A normal reference (Wald, score and rank tests).
            return stat > self.normal_limit;
        }
        let last = self.table.len() - 1;
        // Critical values fall as df rises: c(hi) <= c(df) <= c(lo).
        let (above, below) = if df >= last as f64 {
            (self.table[last], self.normal_limit)
        } else {
            // df >= 1: truncation is the floor, without a libm call (no SSE4.1 rounding in the
            // baseline x86-64 target).
            let floor = df as usize;
            let ceil = if (floor as f64) < df { floor + 1 } else { floor };
            (self.table[floor.max(1)], self.table[ceil.max(1)])
        };
        if stat > above + MARGIN * (1.0 + above.abs()) {
            return true;
        }
        if stat < below - MARGIN * (1.0 + below.abs()) {
            return false;
        }
        upper_tail(stat, df) < self.tail
    }
}

/// `P(T > stat)` for Student's t with `df` degrees of freedom, from the survival function.
pub(crate) fn upper_tail(stat: f64, df: f64) -> f64 {
    StudentsT::new(0.0, 1.0, df).expect("df >= 1").sf(stat)
}

/// Degrees of freedom above which quantiles come from the Cornish-Fisher expansion. Measured
/// at tail 0.025: the expansion agrees with statrs' inverse CDF to 1e-12 from 300 to 1e4 df;
/// above that statrs loses accuracy (off by 6.5e-7 at 3e4 df, 6.8e-6 at 1e5) and near 2e7 df
/// its root search does not return.
const EXPANSION_MIN_DF: f64 = 1000.0;

/// The `1 - tail` quantile of Student's t. Above [`EXPANSION_MIN_DF`] df, the Cornish-Fisher
/// expansion around the normal quantile to order `df^-4` (Abramowitz & Stegun 1964, 26.7.5),
/// whose first omitted term is below 1e-15 there.
pub(crate) fn critical_value(tail: f64, df: f64) -> f64 {
    if df <= EXPANSION_MIN_DF {
        return StudentsT::new(0.0, 1.0, df).expect("df >= 1").inverse_cdf(1.0 - tail);
    }
    let z = Normal::standard().inverse_cdf(1.0 - tail);
    let (z2, nu) = (z * z, df);
    let g1 = z * (z2 + 1.0) / 4.0;
    let g2 = z * ((5.0 * z2 + 16.0) * z2 + 3.0) / 96.0;
    let g3 = z * (((3.0 * z2 + 19.0) * z2 + 17.0) * z2 - 15.0) / 384.0;
    let g4 = z * ((((79.0 * z2 + 776.0) * z2 + 1482.0) * z2 - 1920.0) * z2 - 945.0) / 92160.0;
    z + g1 / nu + g2 / nu.powi(2) + g3 / nu.powi(3) + g4 / nu.powi(4)
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

    /// The expansion joins statrs' quantile where both are accurate, and stays finite and
    /// fast where statrs' would not return.
    #[test]
    fn quantiles_at_huge_df_use_the_expansion() {
        for tail in [0.025, 0.05, 1e-4] {
            let exact = StudentsT::new(0.0, 1.0, 1000.0).unwrap().inverse_cdf(1.0 - tail);
            let expanded = critical_value(tail, 1000.0 * (1.0 + 1e-15));
            assert!((expanded - exact).abs() < 1e-9, "tail {tail}: {expanded} vs {exact}");
        }
        // At 1e5 df the expansion's quantile has the survival function's tail to 1e-11.
        let q = critical_value(0.025, 1e5);
        assert!((upper_tail(q, 1e5) - 0.025).abs() < 1e-11);
        let z = Normal::standard().inverse_cdf(0.975);
        let c = critical_value(0.025, 2e7);
        assert!(c > z && c - z < 1e-6, "{c}");
        // Decisions beyond the table stay exact at huge df.
        let t = TCritical::new(0.025, 30);
        for stat in [1.9599, z - 1e-9, z + 1e-7, 1.9601] {
            assert_eq!(t.exceeds(stat, 2e7), upper_tail(stat, 2e7) < 0.025, "stat {stat}");
        }
    }

    #[test]
    fn beyond_the_table_agrees_with_the_survival_function() {
        // A table of 30 df decides df up to 5000 against the normal limit.
        let c = TCritical::new(0.025, 30);
        for df in [30.0, 30.5, 31.0, 99.7, 1000.0, 5000.0] {
            let exact = critical_value(0.025, df);
            for stat in [1.9, 1.959, 1.96, 1.97, 2.0, 2.05, 2.1, exact - 1e-9, exact + 1e-9] {
                assert_eq!(c.exceeds(stat, df), upper_tail(stat, df) < 0.025, "df {df} stat {stat}");
            }
        }
    }
}
