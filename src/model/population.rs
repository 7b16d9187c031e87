//! The screened population: the latent true Mg status `m` (serum-equivalent mmol/L).
//!
//! A mixture of normal components (model.md section 1): deficient with probability
//! `deficiency_prevalence`, else replete; a single normal is the one-component case.
//! Sampling lives in `selection.rs` (reading and status are drawn jointly); this module
//! integrates over `m` by quadrature to give the closed-form quantities `explain` prints and
//! the tests check the simulator against.

use crate::model::biomarker::Assay;
use crate::numeric::{simpson, simpson_each};
use crate::scenario::schema::{Population, PopulationModel};
use statrs::distribution::{Continuous, ContinuousCDF, Normal as NormalDist};

/// One normal component with its weight.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Component {
    pub weight: f64,
    pub mean_mmol_per_l: f64,
    pub sd_mmol_per_l: f64,
}

/// Distribution of the true Mg status among the screened.
#[derive(Debug, Clone, PartialEq)]
pub struct MgStatus {
    /// One or two components; with two, the first is the deficient one.
    pub components: Vec<Component>,
    pub replete_target_mmol_per_l: f64,
    pub deficiency_cutoff_mmol_per_l: f64,
}

/// What an enrolled person must pass: each assay's reading below its threshold, and any other
/// selection that depends on true status only (`other`: its probability given `m`, e.g. a
/// vitamin D test).
#[derive(Clone, Default)]
pub struct Filters<'a> {
    pub assays: Vec<(&'a Assay, f64)>,
    pub other: Option<&'a dyn Acceptance>,
}

impl<'a> Filters<'a> {
    /// No selection: everyone screened.
    pub fn none() -> Filters<'static> {
        Filters::default()
    }

    /// Selection by assay readings only.
    pub fn of_assays(assays: Vec<(&'a Assay, f64)>) -> Filters<'a> {
        Filters { assays, other: None }
    }
}

/// A selection that depends on true status only: the probability of passing it given `m`.
pub trait Acceptance: Sync + std::fmt::Debug {
    fn acceptance(&self, m: f64) -> f64;
}

/// The probability that a person of true status `m` passes every filter (an assay and its
/// threshold: reading below it), as a function of `m`; readings are normal about the assay's
/// expected reading, or exact when the assay has no error.
fn acceptance<'a>(filters: &Filters<'a>) -> impl Fn(f64) -> f64 + 'a {
    let assays: Vec<(&Assay, f64, f64)> = filters.assays.iter().map(|(a, t)| (*a, *t, a.total_error_sd())).collect();
    let other = filters.other;
    move |m: f64| {
        let by_assays = assays
            .iter()
            .map(|(assay, t, s)| {
                if *s > 0.0 {
                    std_normal().cdf((t - assay.expected_reading(m)) / s)
                } else {
                    f64::from(u8::from(assay.expected_reading(m) < *t))
                }
            })
            .product::<f64>();
        match other {
            Some(f) => by_assays * f.acceptance(m),
            None => by_assays,
        }
    }
}

impl MgStatus {
    /// `None` when the scenario does not model Mg status.
    pub fn from_scenario(p: &Population) -> Option<MgStatus> {
        let components = match p.model {
            PopulationModel::None => return None,
            PopulationModel::Normal => {
                vec![Component { weight: 1.0, mean_mmol_per_l: p.mean_mmol_per_l, sd_mmol_per_l: p.sd_mmol_per_l }]
            }
            PopulationModel::Mixture => vec![
                Component {
                    weight: p.deficiency_prevalence,
                    mean_mmol_per_l: p.deficient_mean_mmol_per_l,
                    sd_mmol_per_l: p.deficient_sd_mmol_per_l,
                },
                Component {
                    weight: 1.0 - p.deficiency_prevalence,
                    mean_mmol_per_l: p.replete_mean_mmol_per_l,
                    sd_mmol_per_l: p.replete_sd_mmol_per_l,
                },
            ],
        };
        Some(MgStatus {
            components,
            replete_target_mmol_per_l: p.replete_target_mmol_per_l,
            deficiency_cutoff_mmol_per_l: p.deficiency_cutoff_mmol_per_l,
        })
    }

    /// Deficit below the replete target, mmol/L.
    #[inline]
    pub fn deficit(&self, m_mmol_per_l: f64) -> f64 {
        (self.replete_target_mmol_per_l - m_mmol_per_l).max(0.0)
    }

    pub fn mean(&self) -> f64 {
        self.components.iter().map(|c| c.weight * c.mean_mmol_per_l).sum()
    }

    pub fn variance(&self) -> f64 {
        let mu = self.mean();
        self.components.iter().map(|c| c.weight * (c.sd_mmol_per_l.powi(2) + (c.mean_mmol_per_l - mu).powi(2))).sum()
    }

    /// Probability that one screening reading falls below `threshold`:
    /// `sum_c w_c Phi((t - scale mu_c - bias) / sqrt(scale^2 sd_c^2 + s^2))`.
    pub fn prob_reading_below(&self, assay: &Assay, threshold: f64) -> f64 {
        let s = assay.total_error_sd();
        self.components
            .iter()
            .map(|c| {
                let mean = assay.expected_reading(c.mean_mmol_per_l);
                let sd = (assay.params.scale * c.sd_mmol_per_l).hypot(s);
                c.weight * std_normal().cdf((threshold - mean) / sd)
            })
            .sum()
    }

    /// `E[w(m) f(m); m < upper]` over the screened, where `w(m)` is the probability that every
    /// `(assay, threshold)` filter reads below its threshold given `m` (the assays' errors are
    /// independent given `m`; `w = 1` with no filter). Composite Simpson rule over each
    /// component's mean +- 12 SD, cut at `upper`; accurate to ~1e-9 for smooth `f`.
    pub fn integrate<F: Fn(f64) -> f64>(&self, filters: &Filters, upper: f64, f: F) -> f64 {
        self.integrate_each(filters, upper, |m| [f(m)])[0]
    }

    /// [`MgStatus::integrate`] of `N` functions at once, sharing the density and the filters'
    /// probabilities at each node.
    pub(crate) fn integrate_each<const N: usize, F: Fn(f64) -> [f64; N]>(
        &self,
        filters: &Filters,
        upper: f64,
        f: F,
    ) -> [f64; N] {
        const INTERVALS: usize = 6000;
        let accept = acceptance(filters);
        let mut total = [0.0; N];
        for c in &self.components {
            let density = NormalDist::new(c.mean_mmol_per_l, c.sd_mmol_per_l).expect("validated SD > 0");
            let lo = c.mean_mmol_per_l - 12.0 * c.sd_mmol_per_l;
            let hi = (c.mean_mmol_per_l + 12.0 * c.sd_mmol_per_l).min(upper);
            if hi <= lo {
                continue;
            }
            let parts = simpson_each(
                |m| {
                    let w = density.pdf(m) * accept(m);
                    f(m).map(|v| w * v)
                },
                lo,
                hi,
                INTERVALS,
            );
            for (t, p) in total.iter_mut().zip(parts) {
                *t += c.weight * p;
            }
        }
        total
    }

    /// [`MgStatus::integrate`] of 1 up to each of `uppers` (ascending) at once: the mass of
    /// status below each, among those the filters pass. Each component is integrated segment
    /// by segment between consecutive uppers, with about as many Simpson nodes in all as one
    /// [`MgStatus::integrate`] uses, and the segments accumulated: one pass instead of one
    /// integration per upper limit.
    pub(crate) fn cumulative(&self, filters: &Filters, uppers: &[f64]) -> Vec<f64> {
        const INTERVALS: f64 = 6000.0;
        debug_assert!(uppers.windows(2).all(|w| w[0] <= w[1]), "uppers ascending");
        let accept = acceptance(filters);
        let mut out = vec![0.0; uppers.len()];
        for c in &self.components {
            let density = NormalDist::new(c.mean_mmol_per_l, c.sd_mmol_per_l).expect("validated SD > 0");
            let (lo, hi) = (c.mean_mmol_per_l - 12.0 * c.sd_mmol_per_l, c.mean_mmol_per_l + 12.0 * c.sd_mmol_per_l);
            let (mut from, mut mass) = (lo, 0.0);
            for (o, &upper) in out.iter_mut().zip(uppers) {
                let to = upper.clamp(lo, hi);
                if to > from {
                    let intervals = ((INTERVALS * (to - from) / (hi - lo)).ceil() as usize).max(2).next_multiple_of(2);
                    mass += simpson(|m| density.pdf(m) * accept(m), from, to, intervals);
                    from = to;
                }
                *o += c.weight * mass;
            }
        }
        out
    }

    /// The CDF of true status among the screened, `P(m' <= m)`.
    pub fn cdf(&self, m: f64) -> f64 {
        self.components.iter().map(|c| c.weight * std_normal().cdf((m - c.mean_mmol_per_l) / c.sd_mmol_per_l)).sum()
    }

    /// P(truly deficient) among the screened: `P(m < cutoff)`.
    pub(crate) fn prob_deficient(&self) -> f64 {
        self.components
            .iter()
            .map(|c| {
                c.weight * std_normal().cdf((self.deficiency_cutoff_mmol_per_l - c.mean_mmol_per_l) / c.sd_mmol_per_l)
            })
            .sum()
    }
}

fn std_normal() -> NormalDist {
    NormalDist::standard()
}
