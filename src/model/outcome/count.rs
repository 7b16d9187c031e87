//! Count outcomes: migraine attacks, or migraine days, in a baseline window and a follow-up
//! window (model.md section 6).
//!
//! - A person's underlying rate (events per 4 weeks) is `lambda ~ Gamma(theta, mean / theta)`:
//!   mean `mean`, variance `mean^2 / theta`, so that a window's count given no other variation
//!   is negative binomial with size `theta` (the Poisson-gamma mixture; Greenwood & Yule
//!   1920), the distribution that fits patient-level migraine frequencies (Di Tanna 2019;
//!   Paget 2018; lit. file, "Migraine frequency").
//! - Optional period-to-period variation: each window's rate is multiplied by an independent
//!   `Gamma(v, 1 / v)` factor (mean 1, variance `1 / v`), so baseline and follow-up are not
//!   tied by the person's rate alone.
//! - Placebo and treatment act as rate ratios on the follow-up rate.
//! - **Attacks**: Poisson with mean `rate * weeks / 4`.
//! - **Migraine days**: each day of the window is a migraine day when it holds at least one
//!   attack, with attacks Poisson within the day, so the days are `Binomial(7 weeks, 1 -
//!   exp(-rate / 28))` given the rate: never more than the days in the window, and close to
//!   the attack count when attacks are rare.

pub use crate::scenario::schema::CountKind;
use crate::scenario::schema::{ResponseModel, Scenario};
use crate::scenario::validate::{BASELINE_WEEKS_RANGE, MAX_EXPECTED_COUNT, Problem, check, literature_range};
use rand::Rng;
use rand_distr::{Binomial, Distribution, Gamma, Poisson};

/// The count outcome of a design, validated (positive rates, windows and shapes).
#[derive(Debug, Clone, PartialEq)]
pub struct CountModel {
    pub kind: CountKind,
    /// Mean of the person's underlying rate at baseline, events per 4 weeks.
    pub mean_rate_per_4_weeks: f64,
    /// Gamma shape of the person's rate (the negative binomial's size `theta`).
    pub theta: f64,
    /// Gamma shape of each window's variation factor; `None` for none.
    pub period_shape: Option<f64>,
    pub baseline_weeks: f64,
    pub followup_weeks: f64,
    /// Ratio of the follow-up rate to the baseline rate without treatment (placebo response
    /// and natural course together).
    pub placebo_rate_ratio: f64,
}

/// One person's observed counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CountPair {
    pub baseline: u32,
    pub followup: u32,
}

impl CountModel {
    /// Attacks per 4 weeks as in Peikert 1996 [Peikert96]: 3.6 attacks per 4 weeks at
    /// baseline, placebo -15.8% (rate ratio 0.842), 4-week baseline and follow-up windows
    /// (weeks 9-12); the gamma shape 2.5 is an UNVERIFIED ESTIMATE (patient-level counts are
    /// overdispersed [DiTanna19], [Paget18]; no trial reports the shape).
    pub fn peikert_attacks() -> CountModel {
        CountModel {
            kind: CountKind::Attacks,
            mean_rate_per_4_weeks: 3.6,
            theta: 2.5,
            period_shape: None,
            baseline_weeks: 4.0,
            followup_weeks: 4.0,
            placebo_rate_ratio: 0.842,
        }
    }

    /// The model whose baseline counts (in the baseline window, period variation included)
    /// have mean `mean` and SD `sd`: how trials report their populations. A window's count is
    /// drawn at the person's rate times the window's factor `eps` (mean 1, shape `v` =
    /// `period_shape`, none: 1), independent of the rate.
    ///
    /// - Attacks: the variance is `m + m^2 ((1 + 1/theta)(1 + 1/v) - 1)` with `m` the mean
    ///   (without period variation the NB variance `m + m^2 / theta`), so `1/theta =
    ///   (1 + (sd^2 - m) / m^2) / (1 + 1/v) - 1`, which needs more spread than the period
    ///   variation alone gives.
    /// - Migraine days in `D` days, with `p = 1 - exp(-rate eps / 28)`: `E[days] = D E p` and
    ///   `Var(days) = D (E p - E p^2) + D^2 Var(p)`, where `E p = 1 - E L(eps / 28)`, `E p^2 =
    ///   1 - 2 E L(eps / 28) + E L(2 eps / 28)`, `L(s) = (1 + s mean_rate / theta)^-theta`, and
    ///   the expectations over `eps` are those of [`CountModel::expected_count`] (the midpoint
    ///   rule on its quantiles); both are solved by bisection (the mean rises with the rate,
    ///   the SD falls as theta rises). The solution is kept per process for each set of inputs.
    ///
    /// Errors name what is out of reach.
    pub(crate) fn from_baseline_moments(
        kind: CountKind,
        mean: f64,
        sd: f64,
        baseline_weeks: f64,
        followup_weeks: f64,
        period_shape: Option<f64>,
        placebo_rate_ratio: f64,
    ) -> Result<CountModel, String> {
        type Key = (bool, u64, u64, u64, u64);
        static CACHE: crate::numeric::Memo<Key, Result<(f64, f64), String>> = crate::numeric::Memo::new();
        let key = (
            kind == CountKind::Attacks,
            mean.to_bits(),
            sd.to_bits(),
            baseline_weeks.to_bits(),
            period_shape.unwrap_or(0.0).to_bits(),
        );
        let solved =
            crate::numeric::memoized(&CACHE, key, |_| solve_moments(kind, mean, sd, baseline_weeks, period_shape))?;
        Ok(CountModel {
            kind,
            mean_rate_per_4_weeks: solved.0,
            theta: solved.1,
            period_shape,
            baseline_weeks,
            followup_weeks,
            placebo_rate_ratio,
        })
    }

    /// SD of the baseline window's count, period variation included (see
    /// [`CountModel::from_baseline_moments`]).
    pub fn baseline_sd(&self) -> f64 {
        match self.kind {
            CountKind::Attacks => {
                let mean = self.expected_count(self.baseline_weeks, 1.0);
                let period = self.period_shape.map_or(1.0, |v| 1.0 + 1.0 / v);
                (mean + mean * mean * ((1.0 + 1.0 / self.theta) * period - 1.0)).sqrt()
            }
            CountKind::MigraineDays => days_sd(
                (7.0 * self.baseline_weeks).round(),
                self.mean_rate_per_4_weeks,
                self.theta,
                &period_nodes(self.period_shape),
            ),
        }
    }

    /// The sampler of this model's people: the rate distribution built once.
    pub fn sampler(&self) -> CountSampler {
        CountSampler {
            model: self.clone(),
            person_rate: Gamma::new(self.theta, self.mean_rate_per_4_weeks / self.theta).expect("validated shape > 0"),
            period_factor: self.period_shape.map(|v| Gamma::new(v, 1.0 / v).expect("validated shape > 0")),
        }
    }

    /// Expected count in a window of `weeks` at rate ratio `ratio` against baseline, over
    /// people: attacks `mean ratio weeks / 4`; days `7 weeks (1 - E[exp(-ratio lambda eps / 28)])`
    /// with the gamma Laplace transform `E[exp(-s lambda)] = (1 + s mean / theta)^-theta`, and
    /// with period variation its mean over the factor `eps`, by the midpoint rule on the
    /// factor's quantiles (the integrand is smooth and bounded by 1).
    pub fn expected_count(&self, weeks: f64, ratio: f64) -> f64 {
        match self.kind {
            CountKind::Attacks => self.mean_rate_per_4_weeks * ratio * weeks / 4.0,
            CountKind::MigraineDays => days_mean(
                (7.0 * weeks).round(),
                self.mean_rate_per_4_weeks * ratio,
                self.theta,
                &period_nodes(self.period_shape),
            ),
        }
    }

    /// The fall, percent, of the mean count per 4 weeks at rate ratio `ratio` against baseline:
    /// how trials report it (for attacks `100 (1 - ratio)`; for migraine days, whose count
    /// saturates, less).
    pub(crate) fn reduction_percent(&self, ratio: f64) -> f64 {
        let per_4_weeks = |r: f64| self.expected_count(DEFAULT_WINDOW_WEEKS, r);
        100.0 * (1.0 - per_4_weeks(ratio) / per_4_weeks(1.0))
    }

    /// The rate ratio whose mean count falls by `percent` (the inverse of
    /// [`CountModel::reduction_percent`], by bisection: the count rises with the ratio);
    /// `None` when no ratio reaches it (migraine days cannot rise beyond every day).
    pub(crate) fn rate_ratio_for_reduction(&self, percent: f64) -> Option<f64> {
        let target = 1.0 - percent / 100.0;
        let base = self.expected_count(DEFAULT_WINDOW_WEEKS, 1.0);
        let share = |r: f64| self.expected_count(DEFAULT_WINDOW_WEEKS, r) / base;
        if self.kind == CountKind::Attacks {
            return (target > 0.0).then_some(target);
        }
        let (mut lo, mut hi) = (0.0, 1.0);
        while share(hi) < target {
            hi *= 2.0;
            if hi > 1e6 {
                return None;
            }
        }
        for _ in 0..60 {
            let mid = 0.5 * (lo + hi);
            if share(mid) < target { lo = mid } else { hi = mid }
        }
        Some(0.5 * (lo + hi))
    }
}

/// Midpoint quantiles `(k + 1/2) / 4000` of the period factor `Gamma(v, 1/v)` (mean 1), once
/// per process for each shape. From shape 1000 (a CV of 0.032 or less) by the Wilson-Hilferty
/// cube-root normal approximation (Wilson & Hilferty 1931; relative error below 1e-4 there,
/// falling as 1 / shape), which costs the same at any shape; below it by the gamma's own
/// inverse CDF, whose cost grows with the shape.
fn period_quantiles(v: f64) -> std::sync::Arc<[f64]> {
    use statrs::distribution::ContinuousCDF;
    static CACHE: crate::numeric::Memo<u64, std::sync::Arc<[f64]>> = crate::numeric::Memo::new();
    crate::numeric::memoized(&CACHE, v.to_bits(), |_| {
        const NODES: usize = 4000;
        let p = |k: usize| (k as f64 + 0.5) / NODES as f64;
        if v >= 1000.0 {
            let normal = statrs::distribution::Normal::standard();
            let c = 1.0 / (9.0 * v);
            (0..NODES).map(|k| (1.0 - c + normal.inverse_cdf(p(k)) * c.sqrt()).powi(3)).collect()
        } else {
            let g = statrs::distribution::Gamma::new(v, v).expect("validated shape > 0");
            (0..NODES).map(|k| g.inverse_cdf(p(k))).collect()
        }
    })
}

/// The period factors over which a window's expectations are taken: [`period_quantiles`], or
/// the single factor 1 without period variation.
fn period_nodes(period_shape: Option<f64>) -> std::sync::Arc<[f64]> {
    static NONE: std::sync::LazyLock<std::sync::Arc<[f64]>> = std::sync::LazyLock::new(|| std::sync::Arc::from([1.0]));
    match period_shape {
        Some(v) => period_quantiles(v),
        None => NONE.clone(),
    }
}

/// `E L(k eps / 28)` over the period factors, `L(s) = (1 + s rate / theta)^-theta`.
fn mean_laplace(rate: f64, theta: f64, k: f64, nodes: &[f64]) -> f64 {
    let c = k * rate / (28.0 * theta);
    nodes.iter().map(|&e| (-theta * (c * e).ln_1p()).exp()).sum::<f64>() / nodes.len() as f64
}

/// Mean migraine days in `days` days.
fn days_mean(days: f64, rate: f64, theta: f64, nodes: &[f64]) -> f64 {
    days * (1.0 - mean_laplace(rate, theta, 1.0, nodes))
}

/// SD of migraine days in `days` days: `sqrt(D (E p - E p^2) + D^2 (E p^2 - (E p)^2))`.
fn days_sd(days: f64, rate: f64, theta: f64, nodes: &[f64]) -> f64 {
    let (l1, l2) = (mean_laplace(rate, theta, 1.0, nodes), mean_laplace(rate, theta, 2.0, nodes));
    let (ep, ep2) = (1.0 - l1, 1.0 - 2.0 * l1 + l2);
    (days * (ep - ep2) + days * days * (ep2 - ep * ep)).max(0.0).sqrt()
}

/// The rate per 4 weeks and gamma shape whose baseline window has mean `mean` and SD `sd` (see
/// [`CountModel::from_baseline_moments`]).
fn solve_moments(
    kind: CountKind,
    mean: f64,
    sd: f64,
    baseline_weeks: f64,
    period_shape: Option<f64>,
) -> Result<(f64, f64), String> {
    if !(mean > 0.0 && sd > 0.0 && baseline_weeks > 0.0) {
        return Err(format!("baseline mean {mean} and SD {sd} must be positive, over a positive window"));
    }
    match kind {
        CountKind::Attacks => {
            // The variance beyond Poisson's, relative to the squared mean, is (1 + 1/theta)
            // (1 + 1/v) - 1: the period variation alone gives 1/v of it.
            let period = period_shape.map_or(1.0, |v| 1.0 + 1.0 / v);
            let inverse_theta = (1.0 + (sd * sd - mean) / (mean * mean)) / period - 1.0;
            if !(inverse_theta > 0.0 && inverse_theta.is_finite()) {
                let floor = (mean + mean * mean * (period - 1.0)).sqrt();
                return Err(format!(
                    "attack counts with mean {mean} need an SD above {floor:.3} (Poisson's{}): migraine counts are \
                     overdispersed",
                    if period > 1.0 { ", with the period variation of outcome.period_cv" } else { "" }
                ));
            }
            Ok((mean * DEFAULT_WINDOW_WEEKS / baseline_weeks, 1.0 / inverse_theta))
        }
        CountKind::MigraineDays => {
            let days = (7.0 * baseline_weeks).round();
            if mean >= days {
                return Err(format!("mean migraine days {mean} must be below the {days} days of the window"));
            }
            let nodes = period_nodes(period_shape);
            // The rate giving the mean at a given theta (mean days rise with the rate), by
            // bisection on its logarithm until the bracket is a few ulps wide.
            let rate_for = |theta: f64| -> Option<f64> {
                let (mut lo, mut hi) = (0.0, 1.0);
                while days_mean(days, hi, theta, &nodes) < mean {
                    (lo, hi) = (hi, hi * 2.0);
                    if hi > 1e9 {
                        return None;
                    }
                }
                for _ in 0..100 {
                    let mid = 0.5 * (lo + hi);
                    if mid <= lo || mid >= hi {
                        break;
                    }
                    if days_mean(days, mid, theta, &nodes) < mean { lo = mid } else { hi = mid }
                }
                Some(0.5 * (lo + hi))
            };
            if rate_for(1e6).is_none() {
                return Err(format!(
                    "with the period variation of outcome.period_cv, almost every baseline window has next to no \
                     migraine days, so a mean of {mean} in {days} days cannot be reached: lower period_cv"
                ));
            }
            let sd_at = |theta: f64| rate_for(theta).map(|r| days_sd(days, r, theta, &nodes));
            // Days in a window have at most the SD of all-or-nothing people,
            // sqrt(mean (days - mean)); at least that of everyone at one rate.
            let (most, least) = ((mean * (days - mean)).sqrt(), sd_at(1e6).unwrap_or(0.0));
            let out_of_reach = || {
                format!(
                    "migraine days with mean {mean} in {days} days can have an SD between {least:.3} (everyone at the \
                     same rate{}) and {most:.3} (everyone at none or every day); {sd} is outside",
                    if period_shape.is_some() { ", with the period variation of outcome.period_cv" } else { "" }
                )
            };
            if !(sd < most && sd > least) {
                return Err(out_of_reach());
            }
            // Bisection on ln theta (the SD falls as theta rises), to a relative width of 1e-13.
            let (mut lo, mut hi) = (1e-6f64, 1e6f64);
            while hi / lo > 1.0 + 1e-13 {
                let mid = (lo * hi).sqrt();
                if sd_at(mid).unwrap_or(f64::INFINITY) > sd { lo = mid } else { hi = mid }
            }
            let theta = (lo * hi).sqrt();
            let rate = rate_for(theta).ok_or_else(out_of_reach)?;
            // Near the ceiling the gamma cannot reach the SD: check what was reached.
            if (days_sd(days, rate, theta, &nodes) / sd - 1.0).abs() > 1e-6 {
                return Err(out_of_reach());
            }
            Ok((rate, theta))
        }
    }
}

/// The period in which rates are expressed, weeks (rates are per 4 weeks, as trials report them).
pub(crate) const DEFAULT_WINDOW_WEEKS: f64 = 4.0;

/// The placebo rate ratio while the model's shape is resolved; [`from_outcome`] then solves it.
const RATIO_SOLVED_BELOW: f64 = 1.0;

pub use crate::scenario::schema::PLACEBO_REDUCTION_PERCENT_RANGE;

impl CountKind {
    pub fn label(self) -> &'static str {
        match self {
            CountKind::Attacks => "attacks",
            CountKind::MigraineDays => "migraine_days",
        }
    }

    /// The unit of a window's count, e.g. "attacks per 4 weeks".
    pub fn unit(self, weeks: f64) -> String {
        let what = match self {
            CountKind::Attacks => "attacks",
            CountKind::MigraineDays => "migraine days",
        };
        format!("{what} per {weeks} weeks")
    }
}

/// The count model of scenario `s`, checked against the design: the windows (within the
/// treatment, a baseline of plausible length), the placebo response within the literature,
/// and expected counts within [`MAX_EXPECTED_COUNT`] at any effect the response can give.
/// These are the checks of a count outcome that need its model; [`crate::scenario::validate`]
/// makes the others when the file is read, and the plan makes these when it is built.
pub fn checked(s: &Scenario) -> Result<CountModel, Problem> {
    let m = from_outcome(&s.outcome)?;
    magnitudes(s, &m)?;
    check(
        m.followup_weeks <= s.design.duration_weeks,
        "outcome.followup_weeks",
        format!(
            "the follow-up window of {} weeks ends the treatment, which lasts design.duration_weeks = {} weeks: the \
             window lies within the treatment (weeks 9-12 of 12 in [Peikert96])",
            m.followup_weeks, s.design.duration_weeks
        ),
    )?;
    let (lo, hi) = BASELINE_WEEKS_RANGE;
    literature_range(
        s,
        "outcome.baseline_weeks",
        m.baseline_weeks,
        lo,
        hi,
        "weeks (a prospective baseline of 4 weeks in [Peikert96] and [Gaul15]; diaries of 2 to 12 weeks are \
         plausible, UNVERIFIED)",
    )?;
    let (lo, hi) = PLACEBO_REDUCTION_PERCENT_RANGE;
    literature_range(
        s,
        "outcome.placebo_reduction_percent",
        m.reduction_percent(m.placebo_rate_ratio),
        lo,
        hi,
        "% (placebo falls of 16.8% in 22 prevention trials [vdKuy02]; median 1.8 of ~8 migraine days, IQR 1.0-3.0 \
         [Tepper23])",
    )?;
    Ok(m)
}

/// The expected follow-up count at the largest treatment rate ratio the response can give
/// (a negative benefit raises the rate) stays within [`MAX_EXPECTED_COUNT`], as do both windows'
/// counts without treatment.
fn magnitudes(s: &Scenario, m: &CountModel) -> Result<(), Problem> {
    let (baseline, followup) =
        (m.expected_count(m.baseline_weeks, 1.0), m.expected_count(m.followup_weeks, m.placebo_rate_ratio));
    for (field, v) in [("outcome.baseline_weeks", baseline), ("outcome.followup_weeks", followup)] {
        check(
            v <= MAX_EXPECTED_COUNT,
            field,
            format!(
                "the window's expected count is {v:.4e}, above the {MAX_EXPECTED_COUNT:e} allowed: shorten it or lower the rate"
            ),
        )?;
    }
    // The most negative benefit: `delta` (fixed), or `max_effect` times the largest repleted
    // share of the reference deficit (a deficit can be many times it), or `effect_replete`.
    let r = &s.response;
    let (field, worst) = match r.model {
        ResponseModel::Fixed => ("response.rate_ratio", r.effect_parameters(true).delta),
        // Validated: the acute response acts on a rating scale, not on counts.
        ResponseModel::Acute => return Ok(()),
        ResponseModel::Repletion => {
            let effect = r.effect_parameters(true);
            // A calibrated effect is checked once solved; a stated one here.
            let Some(max_effect) = effect.max_effect else { return Ok(()) };
            let p = &s.population;
            let lowest = (p.deficient_mean_mmol_per_l - 12.0 * p.deficient_sd_mmol_per_l)
                .min(p.replete_mean_mmol_per_l - 12.0 * p.replete_sd_mmol_per_l)
                .min(p.mean_mmol_per_l - 12.0 * p.sd_mmol_per_l);
            let largest_share = ((p.replete_target_mmol_per_l - lowest) / r.ref_deficit_mmol_per_l).max(0.0);
            if max_effect * largest_share < effect.effect_replete {
                ("response.max_rate_ratio", max_effect * largest_share)
            } else {
                ("response.replete_rate_ratio", effect.effect_replete)
            }
        }
    };
    let highest = followup * (-worst.min(0.0)).exp();
    check(
        highest <= MAX_EXPECTED_COUNT,
        field,
        format!(
            "this effect multiplies the follow-up rate by up to {:.4e}, to an expected count of {highest:.4e}, above \
             the {MAX_EXPECTED_COUNT:e} allowed",
            (-worst.min(0.0)).exp()
        ),
    )
}

/// The count model an `[outcome]` section with `count` describes: the kind's defaults with
/// any field overridden. Errors are `(field, message)` and name what is allowed.
pub(crate) fn from_outcome(o: &crate::scenario::schema::Outcome) -> Result<CountModel, (String, String)> {
    let kind = o.count.ok_or_else(|| ("outcome.count".to_string(), "not a count outcome".to_string()))?;
    let err = |f: &str, m: String| (format!("outcome.{f}"), m);
    let window = |f: &str, v: Option<f64>| -> Result<f64, (String, String)> {
        let w = v.ok_or_else(|| {
            err(
                f,
                format!("the window's length is not given: set outcome.{f} in weeks (4 in [Peikert96] and [Gaul15])"),
            )
        })?;
        if !(w.is_finite() && (7.0 * w).round() >= 1.0 && w <= crate::scenario::schema::MAX_WEEKS) {
            return Err(err(
                f,
                format!(
                    "{w} is not allowed: a window is from 1 day (1/7 week) to {} weeks",
                    crate::scenario::schema::MAX_WEEKS
                ),
            ));
        }
        Ok(w)
    };
    let baseline_weeks = window("baseline_weeks", o.baseline_weeks)?;
    let followup_weeks = window("followup_weeks", o.followup_weeks)?;
    let reduction = o.placebo_reduction_percent.ok_or_else(|| {
        err(
            "placebo_reduction_percent",
            "the placebo response is not given: set outcome.placebo_reduction_percent, the fall of the mean count \
             on placebo from baseline to follow-up in percent (\"-15.8% on placebo\" is 15.8 [Peikert96]; a rise \
             is negative)"
                .into(),
        )
    })?;
    if !(reduction.is_finite() && (-1000.0..100.0).contains(&reduction)) {
        return Err(err(
            "placebo_reduction_percent",
            format!("{reduction} is not allowed: a fall in percent is below 100 (and a rise at most 1000%)"),
        ));
    }
    let period_shape = match o.period_cv {
        None => None,
        Some(0.0) => None,
        Some(cv) if cv > 0.0 && cv <= 10.0 => Some(1.0 / (cv * cv)),
        Some(cv) => {
            return Err(err("period_cv", format!("{cv} is not allowed: the coefficient of variation is 0 to 10")));
        }
    };
    let mean = o.baseline_mean.ok_or_else(|| {
        err(
            "baseline_mean",
            "the mean count in the baseline window is not given: set outcome.baseline_mean (e.g. 3.6 attacks in 4 \
             weeks [Peikert96]); it is a trial's population, so no default is assumed"
                .into(),
        )
    })?;
    if !(mean > 0.0 && mean <= MAX_EXPECTED_COUNT) {
        return Err(err(
            "baseline_mean",
            format!("{mean} is not allowed: the mean baseline count is above 0 and at most {}", MAX_EXPECTED_COUNT),
        ));
    }
    let mut model = match (kind, o.baseline_sd, o.theta) {
        (_, Some(_), Some(_)) => {
            return Err(err(
                "theta",
                "both baseline_sd and theta are given: the SD of the baseline counts fixes theta; give one".into(),
            ));
        }
        (CountKind::Attacks, None, None) => {
            return Err(err(
                "theta",
                "the spread of attack rates is not given: set outcome.theta (the negative binomial's size) or \
                 outcome.baseline_sd (the SD of the baseline counts, from which theta is solved)"
                    .into(),
            ));
        }
        (CountKind::MigraineDays, None, None) => {
            return Err(err(
                "baseline_sd",
                "the spread of migraine days is not given: set outcome.baseline_sd, the SD of the baseline days \
                 (e.g. 2.5, UNVERIFIED ESTIMATE after [Goadsby17])"
                    .into(),
            ));
        }
        (CountKind::Attacks, None, Some(theta)) => {
            if !(theta > 0.0 && theta <= 1e6) {
                return Err(err(
                    "theta",
                    format!("{theta} is not allowed: the gamma shape is above 0 and at most 1e6"),
                ));
            }
            CountModel {
                kind,
                mean_rate_per_4_weeks: mean * DEFAULT_WINDOW_WEEKS / baseline_weeks,
                theta,
                period_shape: None,
                baseline_weeks,
                followup_weeks,
                placebo_rate_ratio: RATIO_SOLVED_BELOW,
            }
        }
        (CountKind::MigraineDays, None, Some(_)) => {
            return Err(err("theta", "migraine days are described by baseline_mean and baseline_sd (theta is solved from them); remove theta".into()));
        }
        (_, Some(sd), None) => CountModel::from_baseline_moments(
            kind,
            mean,
            sd,
            baseline_weeks,
            followup_weeks,
            period_shape,
            RATIO_SOLVED_BELOW,
        )
        .map_err(|m| err("baseline_sd", m))?,
    };
    model.period_shape = period_shape;
    model.placebo_rate_ratio = model.rate_ratio_for_reduction(reduction).ok_or_else(|| {
        err(
            "placebo_reduction_percent",
            format!("a fall of {reduction}% in the mean count cannot be reached in a window of {followup_weeks} weeks"),
        )
    })?;
    Ok(model)
}

/// The `[outcome]` section of a count model with every field written out (for `explain` and
/// provenance): the gamma shape for attacks, the baseline mean and SD for migraine days (from
/// which the shape is solved), so that the text reads back as the same model.
pub(crate) fn written_out(o: &crate::scenario::schema::Outcome, m: &CountModel) -> crate::scenario::schema::Outcome {
    let days = m.kind == CountKind::MigraineDays;
    crate::scenario::schema::Outcome {
        count: Some(m.kind),
        name: o.name.clone(),
        unit: o.unit.clone(),
        // The fields as given where they were (every one a count model needs is required, so
        // all are): the model is solved from them, and solving the same numbers again gives
        // the same model bit for bit, where a moment recomputed from the model would differ in
        // its last digits.
        baseline_mean: o.baseline_mean.or_else(|| Some(m.expected_count(m.baseline_weeks, 1.0))),
        baseline_sd: o.baseline_sd.or_else(|| days.then(|| m.baseline_sd())),
        theta: o.theta.or_else(|| (!days && o.baseline_sd.is_none()).then_some(m.theta)),
        baseline_weeks: Some(m.baseline_weeks),
        followup_weeks: Some(m.followup_weeks),
        placebo_reduction_percent: o
            .placebo_reduction_percent
            .or_else(|| Some(m.reduction_percent(m.placebo_rate_ratio))),
        period_cv: Some(o.period_cv.unwrap_or(0.0)),
        ..crate::scenario::schema::Outcome::default()
    }
}

/// Draws people's counts for one [`CountModel`].
#[derive(Debug, Clone)]
pub struct CountSampler {
    model: CountModel,
    person_rate: Gamma<f64>,
    period_factor: Option<Gamma<f64>>,
}

impl CountSampler {
    /// One person's baseline and follow-up counts, with `treatment_rate_ratio` (1 in
    /// placebo) acting on the follow-up rate on top of the placebo rate ratio.
    pub fn draw<R: Rng>(&self, rng: &mut R, treatment_rate_ratio: f64) -> CountPair {
        let m = &self.model;
        let rate = self.person_rate.sample(rng);
        let mut factor = || self.period_factor.as_ref().map_or(1.0, |g| g.sample(rng));
        let (baseline_factor, followup_factor) = (factor(), factor());
        let baseline = self.window(rng, rate * baseline_factor, m.baseline_weeks);
        let followup =
            self.window(rng, rate * followup_factor * m.placebo_rate_ratio * treatment_rate_ratio, m.followup_weeks);
        CountPair { baseline, followup }
    }

    /// One person's counts in the follow-up windows of the two periods of a crossover, at their
    /// own rate (which makes the periods correlated), each period with its own window factor,
    /// the placebo rate ratio and its treatment's rate ratio.
    pub fn draw_periods<R: Rng>(&self, rng: &mut R, rate_ratio_1: f64, rate_ratio_2: f64) -> (u32, u32) {
        let m = &self.model;
        let rate = self.person_rate.sample(rng) * m.placebo_rate_ratio;
        let mut factor = || self.period_factor.as_ref().map_or(1.0, |g| g.sample(rng));
        let (factor_1, factor_2) = (factor(), factor());
        let period_1 = self.window(rng, rate * factor_1 * rate_ratio_1, m.followup_weeks);
        let period_2 = self.window(rng, rate * factor_2 * rate_ratio_2, m.followup_weeks);
        (period_1, period_2)
    }

    /// The count in a window of `weeks` at `rate_per_4_weeks`.
    fn window<R: Rng>(&self, rng: &mut R, rate_per_4_weeks: f64, weeks: f64) -> u32 {
        match self.model.kind {
            CountKind::Attacks => poisson(rng, rate_per_4_weeks * weeks / 4.0),
            CountKind::MigraineDays => {
                let p = -(-rate_per_4_weeks / 28.0).exp_m1();
                let days = (7.0 * weeks).round() as u64;
                if p <= 0.0 { 0 } else { Binomial::new(days, p.min(1.0)).expect("p in [0, 1]").sample(rng) as u32 }
            }
        }
    }
}

/// A Poisson draw with mean `mean` (0 at mean 0).
fn poisson<R: Rng>(rng: &mut R, mean: f64) -> u32 {
    if mean > 0.0 { Poisson::new(mean).expect("finite mean > 0").sample(rng) as u32 } else { 0 }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::stream_rng;

    fn model(kind: CountKind, period_shape: Option<f64>) -> CountModel {
        CountModel {
            kind,
            mean_rate_per_4_weeks: 3.6,
            theta: 2.5,
            period_shape,
            baseline_weeks: 4.0,
            followup_weeks: 4.0,
            placebo_rate_ratio: 0.84,
        }
    }

    /// Mean and variance of `draws` samples, and the SE of the mean.
    fn moments(values: &[f64]) -> (f64, f64, f64) {
        let n = values.len() as f64;
        let mean = values.iter().sum::<f64>() / n;
        let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0);
        (mean, var, (var / n).sqrt())
    }

    /// Attacks without period variation are negative binomial: mean `m`, variance
    /// `m + m^2 / theta`; the covariance of baseline and follow-up is that of the shared rate,
    /// `m_b m_f / theta`.
    #[test]
    fn attacks_are_negative_binomial() {
        let m = model(CountKind::Attacks, None);
        let s = m.sampler();
        let mut rng = stream_rng(21, 0, 0);
        let draws = 200_000;
        let pairs: Vec<CountPair> = (0..draws).map(|_| s.draw(&mut rng, 0.7)).collect();
        let base: Vec<f64> = pairs.iter().map(|p| f64::from(p.baseline)).collect();
        let follow: Vec<f64> = pairs.iter().map(|p| f64::from(p.followup)).collect();
        let (mb, vb, seb) = moments(&base);
        let (mf, vf, sef) = moments(&follow);
        let (eb, ef) = (m.expected_count(4.0, 1.0), m.expected_count(4.0, 0.84 * 0.7));
        assert!((mb - eb).abs() < 4.0 * seb, "baseline mean {mb} vs {eb}");
        assert!((mf - ef).abs() < 4.0 * sef, "follow-up mean {mf} vs {ef}");
        // Variance: the relative SE of a sample variance is sqrt((2 + excess kurtosis) / n),
        // with the NB's excess kurtosis `6 / theta + theta / (m (m + theta))`.
        for (v, e) in [(vb, eb), (vf, ef)] {
            let expected = e + e * e / m.theta;
            let rel = ((2.0 + 6.0 / m.theta + m.theta / (e * (e + m.theta))) / draws as f64).sqrt();
            assert!((v / expected - 1.0).abs() < 4.0 * rel, "variance {v} vs {expected}");
        }
        // Covariance: the mean of the products of deviations, with its own empirical SE.
        let products: Vec<f64> = base.iter().zip(&follow).map(|(b, f)| (b - mb) * (f - mf)).collect();
        let (cov, _, cov_se) = moments(&products);
        let expected_cov = eb * ef / m.theta;
        assert!((cov - expected_cov).abs() < 4.0 * cov_se, "covariance {cov} vs {expected_cov} (SE {cov_se})");
    }

    /// Period-to-period variation raises each window's variance to
    /// `m + m^2 ((1 + 1/theta)(1 + 1/v) - 1)` (the rate is a product of independent gamma
    /// factors of means `m` and 1) and leaves the covariance of the windows, `m_b m_f / theta`,
    /// to the person's own rate.
    #[test]
    fn period_variation_adds_variance_within_windows_only() {
        let v = 4.0;
        let m = model(CountKind::Attacks, Some(v));
        let s = m.sampler();
        let mut rng = stream_rng(24, 0, 0);
        let pairs: Vec<CountPair> = (0..200_000).map(|_| s.draw(&mut rng, 1.0)).collect();
        let base: Vec<f64> = pairs.iter().map(|p| f64::from(p.baseline)).collect();
        let follow: Vec<f64> = pairs.iter().map(|p| f64::from(p.followup)).collect();
        let (mb, vb, _) = moments(&base);
        let (mf, _, _) = moments(&follow);
        let e = m.expected_count(4.0, 1.0);
        let expected_var = e + e * e * ((1.0 + 1.0 / m.theta) * (1.0 + 1.0 / v) - 1.0);
        let n = base.len() as f64;
        let mu4 = base.iter().map(|x| (x - mb).powi(4)).sum::<f64>() / n;
        let var_se = ((mu4 - vb * vb) / n).sqrt();
        assert!((vb - expected_var).abs() < 4.0 * var_se, "variance {vb} vs {expected_var} (SE {var_se})");
        let products: Vec<f64> = base.iter().zip(&follow).map(|(b, f)| (b - mb) * (f - mf)).collect();
        let (cov, _, cov_se) = moments(&products);
        let expected_cov = e * m.expected_count(4.0, 0.84) / m.theta;
        assert!((cov - expected_cov).abs() < 4.0 * cov_se, "covariance {cov} vs {expected_cov}");
    }

    /// The model solved from baseline moments gives them back: Gaul 2015's 6.2 migraine days
    /// per 4 weeks with an SD of 2.75 (UNVERIFIED ESTIMATE, lit. file "MMD SD at baseline"),
    /// Peikert 1996's 3.6 attacks with an SD of 2.8, and twice Gaul's days over 8 weeks.
    #[test]
    fn moments_are_matched() {
        // The last case has an 8-week baseline window: the moments are those of its 56 days.
        let cases = [
            (CountKind::MigraineDays, 6.2, 2.75, 4.0),
            (CountKind::Attacks, 3.6, 2.8, 4.0),
            (CountKind::MigraineDays, 12.4, 5.0, 8.0),
        ];
        for (kind, mean, sd, weeks) in cases {
            let m = CountModel::from_baseline_moments(kind, mean, sd, weeks, 4.0, None, 0.84).unwrap();
            let s = m.sampler();
            let mut rng = stream_rng(23, 0, 0);
            let values: Vec<f64> = (0..200_000).map(|_| f64::from(s.draw(&mut rng, 1.0).baseline)).collect();
            let (mean_hat, var_hat, se) = moments(&values);
            assert!((mean_hat - mean).abs() < 4.0 * se, "{kind:?}: mean {mean_hat} vs {mean}");
            // The sample variance's SE, sqrt((mu_4 - sigma^4) / n), from the sample's own fourth
            // central moment.
            let n = values.len() as f64;
            let mu4 = values.iter().map(|v| (v - mean_hat).powi(4)).sum::<f64>() / n;
            let var_se = ((mu4 - var_hat * var_hat) / n).sqrt();
            assert!((var_hat - sd * sd).abs() < 4.0 * var_se, "{kind:?}: SD {} vs {sd}", var_hat.sqrt());
        }
        // Out of reach: near the all-or-nothing ceiling, and below the fixed-rate floor.
        assert!(CountModel::from_baseline_moments(CountKind::MigraineDays, 6.2, 20.0, 4.0, 4.0, None, 1.0).is_err());
        assert!(CountModel::from_baseline_moments(CountKind::MigraineDays, 6.2, 11.5, 4.0, 4.0, None, 1.0).is_err());
        assert!(CountModel::from_baseline_moments(CountKind::Attacks, 3.6, 1.5, 4.0, 4.0, None, 1.0).is_err());
        assert!(CountModel::from_baseline_moments(CountKind::MigraineDays, 6.2, 0.5, 4.0, 4.0, None, 1.0).is_err());
        assert!(CountModel::from_baseline_moments(CountKind::MigraineDays, 30.0, 3.0, 4.0, 4.0, None, 1.0).is_err());
    }

    /// Migraine days never exceed the window's days, and their mean is the closed form, with
    /// and without period-to-period variation.
    #[test]
    fn migraine_days_stay_in_the_window_with_the_expected_mean() {
        for period in [None, Some(4.0)] {
            let mut m = model(CountKind::MigraineDays, period);
            m.mean_rate_per_4_weeks = 8.0;
            m.theta = 0.8;
            let s = m.sampler();
            let mut rng = stream_rng(22, 0, 0);
            let draws = 200_000;
            let days: Vec<f64> = (0..draws)
                .map(|_| {
                    let p = s.draw(&mut rng, 1.0);
                    assert!(p.baseline <= 28 && p.followup <= 28, "{p:?}");
                    f64::from(p.baseline)
                })
                .collect();
            let (mean, _, se) = moments(&days);
            let expected = m.expected_count(4.0, 1.0);
            assert!((mean - expected).abs() < 4.0 * se, "{period:?}: days {mean} vs {expected}");
            assert!(expected < 8.0, "days are fewer than attacks: {expected}");
        }
    }
}

#[cfg(test)]
mod period_tests {
    use super::*;
    use statrs::distribution::ContinuousCDF;

    /// Where the Wilson-Hilferty quantiles take over (shape 1000), they agree with the gamma's
    /// own inverse CDF to 1e-4 relative over the 4000 midpoints, and keep mean 1 and variance
    /// 1 / shape; a CV of 1e-6 costs the same as any other.
    #[test]
    fn period_quantiles_match_the_gamma_where_the_approximation_takes_over() {
        let v = 1000.0;
        let q = period_quantiles(v);
        let g = statrs::distribution::Gamma::new(v, v).unwrap();
        let worst = q
            .iter()
            .enumerate()
            .map(|(k, &x)| (x / g.inverse_cdf((k as f64 + 0.5) / 4000.0) - 1.0).abs())
            .fold(0.0, f64::max);
        assert!(worst < 1e-4, "{worst}");
        let mean = q.iter().sum::<f64>() / 4000.0;
        let var = q.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / 4000.0;
        assert!((mean - 1.0).abs() < 1e-4 && (var * v - 1.0).abs() < 0.01, "{mean} {var}");
        let tiny = period_quantiles(1e12);
        assert!(tiny.iter().all(|&x| (x - 1.0).abs() < 1e-5));
    }
}
