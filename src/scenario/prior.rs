//! Priors on the unknowns, and their draws (assurance, `[uncertainty]`).
//!
//! Nested Monte Carlo (O'Hagan, Stevens & Campbell 2005): draw `k` of the uncertain values
//! holds for replicates `k M .. (k + 1) M`, with `M = uncertainty.trials_per_draw`, so that
//! assurance is the share of all trials that succeed, as power is. Every value is drawn by
//! inversion, `quantile(u)`, from its own uniforms: prior `j` of draw `k` takes the first two
//! words of stream `PRIOR_STREAM ^ j` of "replicate" `k` (see `rng.rs`), the first deciding
//! the point mass of no effect (if the prior has one) and the second the value. A draw thus
//! depends only on the seed, `k` and the prior itself: the same at every design point (common
//! random numbers across a sweep), and unchanged by priors added after it. The decile of a
//! draw within its prior is `floor(10 u)`, which is what the sensitivity table groups by.

use crate::rng::{open01, stream_rng};
use crate::scenario::schema::{Prior, PriorDistribution};
use statrs::distribution::{ContinuousCDF, Normal};

/// Key of the streams of the priors' draws (bit 61; the enrolment streams are small integers
/// and vitamin D's is bit 62).
pub(crate) const PRIOR_STREAM: u64 = 1 << 61;

/// The smallest and largest uniform a draw uses ([`open01`]: `2^-53` and `1 - 2^-53`): the
/// quantiles there are the most extreme values a prior can give (a normal's reach 8.2 SD).
pub const U_MIN: f64 = f64::EPSILON / 2.0;
pub const U_MAX: f64 = 1.0 - f64::EPSILON / 2.0;

/// One drawn value of a prior.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Drawn {
    pub value: f64,
    /// `None` for the point mass of no effect, else the decile of the draw within the
    /// distribution (0 to 9).
    pub decile: Option<usize>,
}

/// The value of no effect of the field at `path`: 0 for a benefit or an effect, 1 for a rate
/// ratio; `None` for a field that is not an effect.
pub fn no_effect_value(path: &str) -> Option<f64> {
    let last = path.rsplit('.').next().unwrap_or(path);
    match last {
        "delta"
        | "max_effect"
        | "effect_replete"
        | "acute_effect"
        | "acute_effect_low_mg"
        | "benefit"
        | "independent_effect"
        | "effect" => Some(0.0),
        "rate_ratio" | "max_rate_ratio" | "replete_rate_ratio" | "independent_rate_ratio" => Some(1.0),
        _ => None,
    }
}

/// The `u`-quantile of the prior's distribution (without its point mass of no effect), for a
/// prior whose parameters are valid (see `scenario::validate::uncertainty`).
pub fn quantile(p: &Prior, u: f64) -> f64 {
    let std = Normal::standard();
    let need = |v: Option<f64>| v.unwrap_or(f64::NAN);
    match p.distribution {
        PriorDistribution::Normal => need(p.mean) + need(p.sd) * std.inverse_cdf(u),
        PriorDistribution::TruncatedNormal => {
            let (m, sd) = (need(p.mean), need(p.sd));
            let lo = p.lower.map_or(0.0, |l| std.cdf((l - m) / sd));
            let hi = p.upper.map_or(1.0, |h| std.cdf((h - m) / sd));
            // In the upper tail, invert the survival function: the CDF rounds to 1 there.
            let v = if lo > 0.5 {
                let upper_tail = |b: Option<f64>| b.map_or(0.0, |b| std.sf((b - m) / sd));
                let (slo, shi) = (std.sf((p.lower.unwrap_or(f64::NEG_INFINITY) - m) / sd), upper_tail(p.upper));
                m - sd * std.inverse_cdf(slo - u * (slo - shi))
            } else {
                m + sd * std.inverse_cdf(lo + u * (hi - lo))
            };
            v.clamp(p.lower.unwrap_or(f64::NEG_INFINITY), p.upper.unwrap_or(f64::INFINITY))
        }
        PriorDistribution::Lognormal => need(p.median) * (need(p.log_sd) * std.inverse_cdf(u)).exp(),
        // Newton on the regularized incomplete beta, each tail in relative terms (statrs'
        // inverse is off in the tails of small shapes; see `numeric`).
        PriorDistribution::Beta => crate::numeric::beta_quantile_near(need(p.alpha), need(p.beta), u, None),
        PriorDistribution::Uniform => need(p.lower) + u * (need(p.upper) - need(p.lower)),
        PriorDistribution::PointMass => need(p.value),
    }
}

/// The median of the distribution: the value a field with a prior takes in the central design
/// (the one `explain` and `check` describe), and where the draws' design is checked.
pub fn median(p: &Prior) -> f64 {
    quantile(p, 0.5)
}

/// Draw `k` of prior `j` under `seed` (see the module's contract), for the field at `p.field`.
pub fn draw(p: &Prior, j: usize, seed: u64, k: u64) -> Drawn {
    let mut rng = stream_rng(seed, k, PRIOR_STREAM ^ j as u64);
    let (first, second) = (open01(&mut rng), open01(&mut rng));
    if let (Some(p0), Some(none)) = (p.probability_of_no_effect, no_effect_value(&p.field))
        && first < p0
    {
        return Drawn { value: none, decile: None };
    }
    Drawn { value: quantile(p, second), decile: Some(((second * 10.0) as usize).min(9)) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prior(distribution: PriorDistribution) -> Prior {
        Prior {
            field: "response.delta".into(),
            distribution,
            mean: None,
            sd: None,
            lower: None,
            upper: None,
            median: None,
            log_sd: None,
            alpha: None,
            beta: None,
            value: None,
            probability_of_no_effect: None,
        }
    }

    /// Each distribution's draws have its mean and stay in its support; the point mass of no
    /// effect takes its share.
    #[test]
    fn draws_follow_their_distributions() {
        let n = 20_000u64;
        let check = |p: &Prior, mean: f64, sd: f64, lo: f64, hi: f64| {
            let draws: Vec<f64> = (0..n).map(|k| draw(p, 0, 7, k).value).collect();
            let m = draws.iter().sum::<f64>() / n as f64;
            assert!((m - mean).abs() < 4.0 * sd / (n as f64).sqrt(), "{:?}: mean {m} vs {mean}", p.distribution);
            assert!(draws.iter().all(|v| (lo..=hi).contains(v)), "{:?} outside its support", p.distribution);
        };
        let mut normal = prior(PriorDistribution::Normal);
        (normal.mean, normal.sd) = (Some(2.0), Some(0.5));
        check(&normal, 2.0, 0.5, f64::NEG_INFINITY, f64::INFINITY);
        // Truncated at the mean: half-normal, mean m + sd sqrt(2/pi).
        let mut half = prior(PriorDistribution::TruncatedNormal);
        (half.mean, half.sd, half.lower) = (Some(1.0), Some(2.0), Some(1.0));
        check(&half, 1.0 + 2.0 * (2.0 / std::f64::consts::PI).sqrt(), 2.0, 1.0, f64::INFINITY);
        // Far in the upper tail: the survival-function branch (mean ~ lower + sd^2/(lower-m)).
        let mut tail = prior(PriorDistribution::TruncatedNormal);
        (tail.mean, tail.sd, tail.lower, tail.upper) = (Some(0.0), Some(1.0), Some(9.0), Some(10.0));
        check(&tail, 9.1085, 0.11, 9.0, 10.0);
        let mut lognormal = prior(PriorDistribution::Lognormal);
        (lognormal.median, lognormal.log_sd) = (Some(4.0), Some(0.3));
        check(&lognormal, 4.0 * (0.045f64).exp(), 1.3, 0.0, f64::INFINITY);
        let mut beta = prior(PriorDistribution::Beta);
        (beta.alpha, beta.beta) = (Some(2.0), Some(6.0));
        check(&beta, 0.25, 0.15, 0.0, 1.0);
        let mut uniform = prior(PriorDistribution::Uniform);
        (uniform.lower, uniform.upper) = (Some(-1.0), Some(3.0));
        check(&uniform, 1.0, 1.2, -1.0, 3.0);
        let mut point = prior(PriorDistribution::PointMass);
        point.value = Some(0.4);
        point.probability_of_no_effect = Some(0.25);
        let zeros = (0..n).filter(|&k| draw(&point, 0, 7, k).decile.is_none()).count() as f64 / n as f64;
        assert!((zeros - 0.25).abs() < 4.0 * (0.25f64 * 0.75 / n as f64).sqrt(), "no effect {zeros}");
        check(&point, 0.75 * 0.4, 0.2, 0.0, 0.4);
    }

    /// A draw depends on the seed, its index and its prior's position only.
    #[test]
    fn draws_are_keyed_by_seed_draw_and_prior() {
        let mut p = prior(PriorDistribution::Normal);
        (p.mean, p.sd) = (Some(0.0), Some(1.0));
        assert_eq!(draw(&p, 1, 3, 5), draw(&p, 1, 3, 5));
        assert_ne!(draw(&p, 1, 3, 5), draw(&p, 0, 3, 5));
        assert_ne!(draw(&p, 1, 3, 5), draw(&p, 1, 4, 5));
        assert_ne!(draw(&p, 1, 3, 5), draw(&p, 1, 3, 6));
    }
}
