//! Responder analyses of a 2x2 table (active / placebo by responder / not): Pearson's
//! chi-square with and without Yates' continuity correction, Fisher's exact test, and the
//! risk difference with Newcombe's hybrid score interval, with the risk ratio.
//!
//! - Chi-square: `X^2 = sum (|O - E| - c)^2 / E` with `c = 0` or Yates' `c = min(1/2, |O - E|)`
//!   (as R's `chisq.test`); the two-sided p-value is `P(chi^2_1 > X^2)`, and the one-sided test
//!   in the direction of benefit uses the signed root `sign(p_a - p_p) sqrt(X^2)` as a z.
//! - Fisher's exact test conditions on both margins: the active responders are
//!   hypergeometric. Two-sided p sums the tables no more probable than the one observed
//!   (with R's relative tolerance `1 + 1e-7`); one-sided p is the upper tail (more active
//!   responders). Probabilities come from the ratio recurrence around the mode, so no
//!   factorial or logarithm is computed.
//! - Newcombe (1998), "Interval estimation for the difference between independent
//!   proportions", Stat. Med. 17:873-890, method 10: from the Wilson score limits `l, u` of
//!   each proportion, `RD - sqrt((p_a - l_a)^2 + (u_p - p_p)^2)` to
//!   `RD + sqrt((u_a - p_a)^2 + (p_p - l_p)^2)`.
//! - Whether the effect differs between strata (Mg status): the Breslow-Day test of equal odds
//!   ratios (Breslow & Day 1980, *Statistical Methods in Cancer Research* I, sec. 4.4) with
//!   Tarone's (1985) correction, Biometrika 72:91-95, as statsmodels' `test_equal_odds`.

use statrs::function::erf::erfc;

/// Responders and participants analysed in each arm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResponderTable {
    pub active_responders: u32,
    pub active_n: u32,
    pub placebo_responders: u32,
    pub placebo_n: u32,
}

/// Chi-square tests of one table: two-sided p-value and the signed root (a z, positive when
/// the active arm has the higher responder rate).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ChiSquare {
    pub p_two_sided: f64,
    pub signed_root: f64,
}

/// Fisher's exact test: two-sided and upper-tail (active better) p-values.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FisherExact {
    pub p_two_sided: f64,
    pub p_greater: f64,
}

impl ResponderTable {
    /// Both arms non-empty and no more responders than participants: every analysis below
    /// returns `None` for any other table.
    pub(crate) fn is_valid(&self) -> bool {
        self.active_n > 0
            && self.placebo_n > 0
            && self.active_responders <= self.active_n
            && self.placebo_responders <= self.placebo_n
    }

    pub fn rates(&self) -> (f64, f64) {
        (
            f64::from(self.active_responders) / f64::from(self.active_n),
            f64::from(self.placebo_responders) / f64::from(self.placebo_n),
        )
    }

    /// `p_active - p_placebo`.
    pub fn risk_difference(&self) -> f64 {
        let (a, p) = self.rates();
        a - p
    }

    /// `p_active / p_placebo`: infinite with no placebo responder; `None` when neither arm
    /// has a responder (0/0) or the table is invalid.
    pub fn risk_ratio(&self) -> Option<f64> {
        let (a, p) = self.rates();
        (self.is_valid() && (p > 0.0 || a > 0.0)).then(|| a / p)
    }

    /// Pearson's chi-square; `yates` applies the continuity correction. `None` when a margin
    /// is zero (no responders or no non-responders at all, or an empty arm).
    pub fn chi_square(&self, yates: bool) -> Option<ChiSquare> {
        if !self.is_valid() {
            return None;
        }
        let (a, n1) = (f64::from(self.active_responders), f64::from(self.active_n));
        let (c, n2) = (f64::from(self.placebo_responders), f64::from(self.placebo_n));
        let n = n1 + n2;
        let responders = a + c;
        let others = n - responders;
        if n1 == 0.0 || n2 == 0.0 || responders == 0.0 || others == 0.0 {
            return None;
        }
        // |O - E| is the same in every cell of a 2x2 table.
        let deviation = (a - n1 * responders / n).abs();
        let correction = if yates { deviation.min(0.5) } else { 0.0 };
        let d = deviation - correction;
        let inverse_expected = n / (n1 * responders) + n / (n1 * others) + n / (n2 * responders) + n / (n2 * others);
        let x2 = d * d * inverse_expected;
        let sign = (a / n1 - c / n2).signum();
        Some(ChiSquare { p_two_sided: erfc((x2 / 2.0).sqrt()), signed_root: sign * x2.sqrt() })
    }

    /// Fisher's exact test. `None` for an empty arm.
    pub fn fisher(&self) -> Option<FisherExact> {
        if !self.is_valid() {
            return None;
        }
        let (m, n2) = (u64::from(self.active_n), u64::from(self.placebo_n));
        let n = m + n2;
        let k = u64::from(self.active_responders) + u64::from(self.placebo_responders);
        let observed = u64::from(self.active_responders);
        let (lo, hi) = (k.saturating_sub(n2), k.min(m));
        // Relative probabilities: 1 at the mode, by P(x + 1) / P(x) = (m - x)(k - x) /
        // ((x + 1)(n - m - k + x + 1)) upwards and its inverse downwards.
        let mode = (((k + 1) * (m + 1)) / (n + 2)).clamp(lo, hi);
        // `n - m + x + 1 - k` >= 1 for x >= lo, written so that no intermediate underflows.
        let ratio_up = |x: u64| ((m - x) * (k - x)) as f64 / ((x + 1) * (n - m + x + 1 - k)) as f64;
        // Visits every table of the support with its relative probability, outwards from the
        // mode; two passes (the first finds the observed table's), so nothing is allocated.
        let walk = |visit: &mut dyn FnMut(u64, f64)| {
            visit(mode, 1.0);
            let mut r = 1.0;
            for x in mode..hi {
                r *= ratio_up(x);
                visit(x + 1, r);
            }
            let mut r = 1.0;
            for x in (lo..mode).rev() {
                r /= ratio_up(x);
                visit(x, r);
            }
        };
        let mut at_observed = 0.0;
        walk(&mut |x, r| {
            if x == observed {
                at_observed = r;
            }
        });
        let (mut total, mut two_sided, mut greater) = (0.0, 0.0, 0.0);
        walk(&mut |x, r| {
            total += r;
            if r <= at_observed * (1.0 + 1e-7) {
                two_sided += r;
            }
            if x >= observed {
                greater += r;
            }
        });
        Some(FisherExact { p_two_sided: (two_sided / total).min(1.0), p_greater: (greater / total).min(1.0) })
    }

    /// Newcombe's hybrid score interval for the risk difference at normal quantile `z`
    /// (1.96 for 95%). `None` for an empty arm.
    pub(crate) fn newcombe_interval(&self, z: f64) -> Option<(f64, f64)> {
        if !self.is_valid() {
            return None;
        }
        let (pa, pp) = self.rates();
        let (la, ua) = wilson(pa, f64::from(self.active_n), z);
        let (lp, up) = wilson(pp, f64::from(self.placebo_n), z);
        let rd = pa - pp;
        Some((rd - ((pa - la).powi(2) + (up - pp).powi(2)).sqrt(), rd + ((ua - pa).powi(2) + (pp - lp).powi(2)).sqrt()))
    }
}

/// The Breslow-Day statistic with Tarone's correction for tables by stratum, and its p-value
/// on `strata - 1` degrees of freedom (computed for two strata, the interaction with Mg
/// status). Under the Mantel-Haenszel common odds ratio `psi`, each stratum's expected active
/// responders `A` solve `A (N - n_a - m + A) = psi (n_a - A)(m - A)` within the margins, with
/// variance `1 / (1 / A + 1 / (n_a - A) + 1 / (m - A) + 1 / (N - n_a - m + A))`. `None` when an
/// odds ratio or a variance is undefined (an empty margin, or `psi` 0 or infinite).
pub fn breslow_day(strata: &[ResponderTable; 2]) -> Option<(f64, f64)> {
    if !strata.iter().all(ResponderTable::is_valid) {
        return None;
    }
    let cells = |t: &ResponderTable| {
        let (a, c) = (f64::from(t.active_responders), f64::from(t.placebo_responders));
        (a, f64::from(t.active_n) - a, c, f64::from(t.placebo_n) - c)
    };
    let (mut numerator, mut denominator) = (0.0, 0.0);
    for t in strata {
        let (a, b, c, d) = cells(t);
        let n = a + b + c + d;
        numerator += a * d / n;
        denominator += b * c / n;
    }
    let psi = numerator / denominator;
    if !(psi.is_finite() && psi > 0.0) {
        return None;
    }
    let (mut statistic, mut sum_deviation, mut sum_variance) = (0.0, 0.0, 0.0);
    for t in strata {
        let (a, b, c, d) = cells(t);
        let (n, n_active, m) = (a + b + c + d, a + b, a + c);
        let rest = n - n_active - m;
        let (lo, hi) = ((m - (c + d)).max(0.0), n_active.min(m));
        // (1 - psi) A^2 + (rest + psi (n_a + m)) A - psi n_a m = 0, the root within [lo, hi].
        let (qa, qb, qc) = (1.0 - psi, rest + psi * (n_active + m), -psi * n_active * m);
        // The stable quadratic formula (no cancellation between -b and the root).
        let expected = if qa.abs() < 1e-12 {
            -qc / qb
        } else {
            let q = -0.5 * (qb + qb.signum() * (qb * qb - 4.0 * qa * qc).sqrt());
            let (r1, r2) = (q / qa, qc / q);
            if r1 >= lo - 1e-9 && r1 <= hi + 1e-9 { r1 } else { r2 }
        };
        let variance =
            1.0 / (1.0 / expected + 1.0 / (n_active - expected) + 1.0 / (m - expected) + 1.0 / (rest + expected));
        if !(variance.is_finite() && variance > 0.0) {
            return None;
        }
        statistic += (a - expected).powi(2) / variance;
        sum_deviation += a - expected;
        sum_variance += variance;
    }
    let tarone = statistic - sum_deviation * sum_deviation / sum_variance;
    Some((tarone, erfc((tarone.max(0.0) / 2.0).sqrt())))
}

/// Wilson's (1927) score interval for a proportion `p` of `n`.
fn wilson(p: f64, n: f64, z: f64) -> (f64, f64) {
    let z2 = z * z;
    let centre = (p + z2 / (2.0 * n)) / (1.0 + z2 / n);
    let half = z * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt() / (1.0 + z2 / n);
    (centre - half, centre + half)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(t: [u32; 4]) -> ResponderTable {
        // Rows active, placebo; columns responders, non-responders.
        ResponderTable {
            active_responders: t[0],
            active_n: t[0] + t[1],
            placebo_responders: t[2],
            placebo_n: t[2] + t[3],
        }
    }

    /// R 4.2.2, `benches/peers/responders_crosscheck.R`: fisher.test (two-sided and
    /// "greater"), chisq.test with correct = FALSE and TRUE.
    #[test]
    fn tests_match_r() {
        let cases = [
            ([10, 25, 12, 22], [0.611349299208, 0.804257977191, 0.549123252964, 0.733311684471]),
            ([15, 28, 7, 31], [0.133823665803, 0.0782002526287, 0.0964357536459, 0.157920625514]),
            ([3, 17, 0, 20], [0.230769230769, 0.115384615385, 0.0717185365084, 0.229906226272]),
            ([56, 14, 48, 32], [0.0125211297492, 0.0063247111299, 0.0080450813682, 0.0134094751787]),
        ];
        // More responders than placebo participants (the hypergeometric support starts above 0).
        let f = table([20, 0, 15, 5]).fisher().unwrap();
        assert!(
            (f.p_two_sided - 0.047124047124).abs() < 1e-10 && (f.p_greater - 0.023562023562).abs() < 1e-10,
            "{f:?}"
        );
        for (t, r) in cases {
            let tab = table(t);
            let f = tab.fisher().unwrap();
            let ours = [
                f.p_two_sided,
                f.p_greater,
                tab.chi_square(false).unwrap().p_two_sided,
                tab.chi_square(true).unwrap().p_two_sided,
            ];
            for (o, e) in ours.iter().zip(r) {
                assert!((o - e).abs() <= 1e-9 * e, "{t:?}: {ours:?} vs R {r:?}");
            }
        }
    }

    /// statsmodels 0.15 `StratifiedTable(...).test_equal_odds(adjust=True)`
    /// (`benches/peers/breslow_day_crosscheck.py`).
    #[test]
    fn breslow_day_matches_statsmodels() {
        let cases = [
            ([[12, 18, 5, 25], [9, 21, 8, 22]], 1.54142639026, 0.214405614658),
            ([[20, 10, 10, 20], [11, 19, 10, 20]], 2.61059671498, 0.106151812755),
            ([[3, 27, 1, 29], [15, 15, 14, 16]], 0.671554851365, 0.412510039807),
        ];
        for (strata, statistic, p) in cases {
            let (x, q) = breslow_day(&strata.map(table)).unwrap();
            assert!((x - statistic).abs() < 1e-9 * statistic && (q - p).abs() < 1e-9, "{strata:?}: {x} {q}");
        }
    }

    /// Invalid tables (more responders than participants, an empty arm) give `None`, never
    /// a panic or a NaN.
    #[test]
    fn invalid_tables_are_refused() {
        let over = ResponderTable { active_responders: 6, active_n: 5, placebo_responders: 1, placebo_n: 5 };
        let empty = ResponderTable { active_responders: 0, active_n: 0, placebo_responders: 1, placebo_n: 5 };
        for t in [over, empty] {
            assert!(t.fisher().is_none() && t.chi_square(false).is_none() && t.newcombe_interval(1.96).is_none());
            assert!(t.risk_ratio().is_none() && breslow_day(&[t, t]).is_none());
        }
    }

    /// Newcombe (1998), Table II, example (a): 56/70 against 48/80, RD 0.2000, method 10 gives
    /// 0.0524 to 0.3339.
    #[test]
    fn newcombe_interval_matches_the_paper() {
        let (lo, hi) = table([56, 14, 48, 32]).newcombe_interval(1.959_963_984_540_054).unwrap();
        assert!((lo - 0.0524).abs() < 5e-5 && (hi - 0.3339).abs() < 5e-5, "({lo}, {hi})");
    }
}
