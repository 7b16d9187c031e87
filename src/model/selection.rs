//! Screening and selection: drawing a screened person's reading and true status together.
//!
//! Within a population component `m ~ N(mu, sd^2)` and the reading `b = a m + bias + e`,
//! `e ~ N(0, s^2)` (`s` the total error SD of one occasion, see `biomarker.rs`), so
//! `b ~ N(a mu + bias, a^2 sd^2 + s^2)` and `m | b ~ N(mu + g (b - a mu - bias), sd^2 s^2 / (a^2 sd^2 + s^2))`
//! with gain `g = a sd^2 / (a^2 sd^2 + s^2)`. Drawing the reading first and the status only for
//! those enrolled costs one normal per screened person instead of two, with the same joint
//! distribution.
//!
//! Selection below a threshold `t` does not draw the people it turns away. Screenees are iid,
//! so the readings of those who pass are iid from the reading distribution truncated to
//! `b < t` (a mixture whose component weights are `w_k P_k(b < t)`, normalized), and the number
//! turned away before the `r`-th pass is negative binomial, `NB(r, p)` with `p = P(b < t)`,
//! independently of the passers' readings. [`Screening::pass_first_stage`] draws a passer
//! directly and [`Screening::turned_away`] the count, which gives the joint distribution of
//! screening one by one at a cost that does not grow as the threshold tightens.

use crate::model::biomarker::Assay;
use crate::model::population::MgStatus;
use crate::rng::{QuantileTable, standard_normal, uniform};
use rand::Rng;
use rand_distr::{Distribution, Gamma, Poisson};
use statrs::distribution::{ContinuousCDF, Normal};
use std::sync::Arc;

/// Precomputed joint model of reading and status for one population component.
#[derive(Debug, Clone, PartialEq)]
struct ComponentReading {
    /// Probability of this component; with two, a uniform draw at or above the first's
    /// weight picks the second.
    weight: f64,
    status_mean: f64,
    reading_mean: f64,
    reading_sd: f64,
    gain: f64,
    status_sd_given_reading: f64,
    /// Readings below the first-stage threshold: `z < beta`, `beta = (t - mean) / sd`.
    below: TruncatedBelow,
}

/// Draws of `z ~ N(0, 1)` given `z < beta`, by the quantile function `Phi^-1(v Phi(beta))`
/// tabulated in a [`QuantileTable`] (one random word per draw, no rejection and so no branch
/// that a predictor cannot learn; Kolmogorov distance to the exact truncated normal at most
/// `1 / 4096`, measured below 2e-6: see the tests). Tables are built once per process for each
/// `beta` and shared by every design point that has it.
#[derive(Debug, Clone, PartialEq)]
struct TruncatedBelow {
    /// `P(z < beta)`.
    pass_probability: f64,
    quantiles: Arc<QuantileTable>,
}

impl TruncatedBelow {
    fn new(beta: f64) -> TruncatedBelow {
        let n = Normal::standard();
        let pass_probability = n.cdf(beta);
        static CACHE: crate::numeric::Memo<u64, Arc<QuantileTable>> = crate::numeric::Memo::new();
        let quantiles = crate::numeric::memoized(&CACHE, beta.to_bits(), |_| {
            // The lowest node stands for minus infinity: the quantile 2^-60 of the way into the
            // first sub-cell (its mass, 1e-6, bounds what the stand-in can move).
            let lowest = 2f64.powi(-60);
            let top = beta.next_down();
            Arc::new(QuantileTable::new(|v| {
                if pass_probability <= 0.0 {
                    return top;
                }
                n.inverse_cdf(v.max(lowest) * pass_probability).min(top)
            }))
        });
        TruncatedBelow { pass_probability, quantiles }
    }

    #[inline(always)]
    fn sample<R: Rng>(&self, rng: &mut R) -> f64 {
        self.quantiles.sample(rng)
    }
}

/// Draws screened people: reading first, true status on demand.
#[derive(Debug, Clone, PartialEq)]
pub struct Screening {
    components: Vec<ComponentReading>,
    /// Among first-stage passers, the probability of the first component.
    first_component_among_passers: f64,
    /// `P(reading < t)` of one screened person (1 without a first-stage threshold).
    pass_probability: f64,
    /// Share of the total reading error that is lasting: `vp / (vp + vr)`.
    lasting_share: f64,
    /// SD of the end-of-trial error given the screening error: `sqrt(vp vr / (vp + vr) + vr)`.
    end_error_sd: f64,
    /// Two-stage screening: the confirmatory assay and its threshold.
    confirmation: Option<Confirmation>,
}

/// The confirmatory assay of two-stage screening, precomputed.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Confirmation {
    assay: Assay,
    error_sd: f64,
    threshold: f64,
}

/// A screened person: the screening reading and the population component drawn.
#[derive(Debug, Clone, Copy)]
pub struct Screened {
    pub reading: f64,
    component: usize,
}

impl Screening {
    /// `threshold`: the first-stage threshold of enrichment or two-stage screening, if any.
    pub fn new(mg: &MgStatus, assay: &Assay, threshold: Option<f64>, confirmation: Option<(Assay, f64)>) -> Screening {
        let s = assay.total_error_sd();
        let a = assay.params.scale;
        let components: Vec<ComponentReading> = mg
            .components
            .iter()
            .map(|c| {
                let var_b = a * a * c.sd_mmol_per_l.powi(2) + s * s;
                let reading_mean = assay.expected_reading(c.mean_mmol_per_l);
                let beta = threshold.map_or(f64::INFINITY, |t| (t - reading_mean) / var_b.sqrt());
                ComponentReading {
                    weight: c.weight,
                    status_mean: c.mean_mmol_per_l,
                    reading_mean,
                    reading_sd: var_b.sqrt(),
                    gain: a * c.sd_mmol_per_l.powi(2) / var_b,
                    status_sd_given_reading: c.sd_mmol_per_l * s / var_b.sqrt(),
                    below: TruncatedBelow::new(beta),
                }
            })
            .collect();
        let passing: Vec<f64> = components.iter().map(|c| c.weight * c.below.pass_probability).collect();
        let pass_probability: f64 = passing.iter().sum();
        let (vp, vr) = (assay.params.persistent_sd.powi(2), assay.occasion_sd().powi(2));
        let lasting_share = if vp + vr > 0.0 { vp / (vp + vr) } else { 0.0 };
        Screening {
            first_component_among_passers: if pass_probability > 0.0 { passing[0] / pass_probability } else { 1.0 },
            pass_probability,
            components,
            lasting_share,
            end_error_sd: (lasting_share * vr + vr).sqrt(),
            confirmation: confirmation.map(|(assay, threshold)| Confirmation {
                assay,
                error_sd: assay.total_error_sd(),
                threshold,
            }),
        }
    }

    /// The quantile tables this screening draws from (shared between screenings of the same
    /// standardized threshold).
    pub(crate) fn tables(&self) -> impl Iterator<Item = &QuantileTable> {
        self.components.iter().map(|c| &*c.below.quantiles)
    }

    /// Screens one person: draws the component and the reading.
    #[inline]
    pub(crate) fn screen<R: Rng>(&self, rng: &mut R) -> Screened {
        let component = usize::from(self.components.len() == 2 && uniform(rng) >= self.components[0].weight);
        let c = &self.components[component];
        let z = standard_normal(rng);
        Screened { reading: c.reading_mean + c.reading_sd * z, component }
    }

    /// Draws a person whose screening reading is below the first-stage threshold (see the
    /// module doc); those turned away are counted by [`Screening::turned_away`].
    #[inline(always)]
    pub(crate) fn pass_first_stage<R: Rng>(&self, rng: &mut R) -> Screened {
        let component = usize::from(self.components.len() == 2 && uniform(rng) >= self.first_component_among_passers);
        let c = &self.components[component];
        Screened { reading: c.reading_mean + c.reading_sd * c.below.sample(rng), component }
    }

    /// The number of people turned away at the first stage while `passed` people passed: the
    /// failures before the `passed`-th success of Bernoulli(`p`) screening, negative binomial,
    /// drawn as Poisson with a Gamma(`passed`, (1 - p) / p) mean.
    pub(crate) fn turned_away<R: Rng>(&self, rng: &mut R, passed: u64) -> u64 {
        let p = self.pass_probability;
        if passed == 0 || p >= 1.0 {
            return 0;
        }
        let mean = Gamma::new(passed as f64, (1.0 - p) / p).expect("shape > 0, scale > 0").sample(rng);
        if mean > 0.0 {
            Poisson::new(mean).expect("validated enrolment probability keeps the mean in range").sample(rng) as u64
        } else {
            0
        }
    }

    /// Draws a screened person's true status alone, for a design that reads no assay: the
    /// distribution of [`Screening::status`] after [`Screening::screen`], from one normal, so
    /// that the assay's parameters change nothing drawn.
    #[inline(always)]
    pub(crate) fn status_unread<R: Rng>(&self, rng: &mut R) -> f64 {
        let component = usize::from(self.components.len() == 2 && uniform(rng) >= self.components[0].weight);
        let c = &self.components[component];
        let sd = (c.gain * c.reading_sd).hypot(c.status_sd_given_reading);
        c.status_mean + sd * standard_normal(rng)
    }

    /// Draws the true status of a screened person given the reading.
    #[inline(always)]
    pub fn status<R: Rng>(&self, rng: &mut R, person: &Screened) -> f64 {
        let c = &self.components[person.component];
        let z = standard_normal(rng);
        c.status_mean + c.gain * (person.reading - c.reading_mean) + c.status_sd_given_reading * z
    }

    /// Two-stage screening: whether the confirmatory reading of a person with true status `m`
    /// falls below its threshold (the assays' errors are independent given `m`).
    #[inline]
    pub fn confirms<R: Rng>(&self, rng: &mut R, m: f64) -> bool {
        let Some(c) = &self.confirmation else { return true };
        let z = standard_normal(rng);
        c.assay.expected_reading(m) + c.error_sd * z < c.threshold
    }

    /// Draws the end-of-trial reading of a person whose screening reading had total error
    /// `screening_error` and whose expected reading is now `expected_now`. The lasting error
    /// given the screening error is normal with mean `share * error` and variance
    /// `vp vr / (vp + vr)`; a fresh occasion error is added.
    #[inline]
    pub(crate) fn reading_at_end<R: Rng>(&self, rng: &mut R, expected_now: f64, screening_error: f64) -> f64 {
        let z = standard_normal(rng);
        expected_now + self.lasting_share * screening_error + self.end_error_sd * z
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{TrialRng, stream_rng};
    use statrs::distribution::Continuous;

    /// Mean and variance of `z ~ N(0, 1)` given `z < beta` (Johnson, Kotz & Balakrishnan 1994,
    /// sec. 13.10): mean `-phi/Phi`, variance `1 - beta phi/Phi - (phi/Phi)^2`.
    #[test]
    fn truncated_draws_have_the_truncated_normal_moments() {
        let n = Normal::standard();
        let mut rng: TrialRng = stream_rng(11, 0, 0);
        // Near the middle, and near and far in the tail.
        for beta in [1.0, 0.0, -0.7, -1.5, -4.0, -9.0] {
            let t = TruncatedBelow::new(beta);
            let draws = 200_000;
            let (mut sum, mut sum_sq) = (0.0, 0.0);
            for _ in 0..draws {
                let z = t.sample(&mut rng);
                assert!(z < beta, "beta {beta}: draw {z}");
                sum += z;
                sum_sq += z * z;
            }
            let ratio = n.pdf(beta) / n.cdf(beta);
            let (mean, var) = (-ratio, 1.0 - beta * ratio - ratio * ratio);
            let mean_hat = sum / f64::from(draws);
            let var_hat = sum_sq / f64::from(draws) - mean_hat * mean_hat;
            let se = (var / f64::from(draws)).sqrt();
            assert!((mean_hat - mean).abs() < 4.0 * se, "beta {beta}: mean {mean_hat} vs {mean} (SE {se})");
            // The variance estimate's SE is about var sqrt(2 / draws) for these near-normal shapes
            // (kurtosis below 3 under truncation); 5 such SEs.
            assert!(
                (var_hat - var).abs() < 5.0 * var * (2.0 / f64::from(draws)).sqrt(),
                "beta {beta}: var {var_hat} vs {var}"
            );
        }
    }

    /// The truncated normal's table against the exact CDF `Phi(z) / Phi(beta)`, checked at 16
    /// points in every cell: within 2e-6 from past the median to far in the tail (the largest
    /// error lies in the first inner cells, where the quantile function bends most).
    #[test]
    fn truncated_table_is_within_2e_6_of_the_exact_cdf() {
        let n = Normal::standard();
        for beta in [1.0, 0.0, -0.7, -1.5, -4.0, -9.0] {
            let t = TruncatedBelow::new(beta);
            let error = t.quantiles.cdf_error(|z| n.cdf(z) / t.pass_probability, 16);
            println!("beta {beta}: CDF error {error:.3e}");
            assert!(error < 2e-6, "beta {beta}: CDF error {error:.3e}");
        }
    }

    /// Those turned away before `r` passes are NB(r, p): mean `r (1 - p) / p`, variance
    /// `r (1 - p) / p^2`.
    #[test]
    fn turned_away_counts_are_negative_binomial() {
        let mg = MgStatus {
            components: vec![crate::model::population::Component {
                weight: 1.0,
                mean_mmol_per_l: 0.85,
                sd_mmol_per_l: 0.07,
            }],
            deficiency_cutoff_mmol_per_l: 0.75,
            replete_target_mmol_per_l: 0.9,
        };
        let assay = Assay::from_scenario(&crate::scenario::schema::Biomarker::default());
        let screening = Screening::new(&mg, &assay, Some(0.75), None);
        let p = screening.pass_probability;
        assert!(p > 0.05 && p < 0.3, "{p}");
        let mut rng: TrialRng = stream_rng(5, 0, 0);
        let (r, draws) = (30u64, 50_000);
        let counts: Vec<f64> = (0..draws).map(|_| screening.turned_away(&mut rng, r) as f64).collect();
        let mean_hat = counts.iter().sum::<f64>() / f64::from(draws);
        let var_hat = counts.iter().map(|c| (c - mean_hat).powi(2)).sum::<f64>() / f64::from(draws - 1);
        let (mean, var) = (r as f64 * (1.0 - p) / p, r as f64 * (1.0 - p) / (p * p));
        let se = (var / f64::from(draws)).sqrt();
        assert!((mean_hat - mean).abs() < 4.0 * se, "mean {mean_hat} vs {mean} (SE {se})");
        // Relative SE of a sample variance: sqrt((2 + excess kurtosis) / draws), with the NB
        // excess kurtosis 6 / r + p^2 / (r (1 - p)); 5 such SEs.
        let excess = 6.0 / r as f64 + p * p / (r as f64 * (1.0 - p));
        let rel_se = ((2.0 + excess) / f64::from(draws)).sqrt();
        assert!((var_hat / var - 1.0).abs() < 5.0 * rel_se, "variance {var_hat} vs {var}");
        assert_eq!(screening.turned_away(&mut rng, 0), 0);
    }
}
