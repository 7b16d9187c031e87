//! The Monte Carlo engine: replicates in parallel, in deterministic order.
//!
//! This layer takes a scenario from plan to result rows: [`plan`] resolves it into the numbers
//! the loop uses (with [`calibration`] of the effect), [`trial`] simulates one trial and
//! [`comparison`] analyses it, this module runs the replicates, and [`summary`] turns their
//! totals into rows. It imports `model`, `analysis`, `scenario` and the foundations.
//!
//! Replicates are cut into fixed chunks of [`CHUNK`] that rayon runs on a pool of the requested
//! size; each chunk folds its trials into fixed-size totals, and the chunks are folded in
//! replicate order into [`PointResults`], so results do not depend on the number of threads
//! (see `rng.rs`) and memory per design point does not grow with replicates (one bit per
//! replicate and comparison aside, for pairing). Replicate `r` draws the
//! same random streams at every design point (common random numbers), so results at two
//! points are paired by replicate.

pub mod calibration;
pub(crate) mod closed_form;
pub mod comparison;
pub mod plan;
pub mod summary;
pub mod trial;

use crate::analysis::power::{replicates_for_half_width, wilson_95};
use crate::engine::comparison::{SlotOutcome, SlotResult};
use crate::engine::plan::{Plan, Subgroup};
use crate::engine::trial::{ArmCounts, Trial, simulate_trial_into};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::ops::Range;

/// Replicates per parallel task: one word of [`RejectionBits`]; the unit of work of a shard.
pub(crate) const CHUNK: u64 = 64;

/// Chunks simulated in parallel between two in-order folds: enough that the threads seldom
/// wait for each other at a fold, few enough that the chunk totals waiting to be folded take
/// a few hundred kB.
const SEGMENT_CHUNKS: u64 = 1024;

/// Chunks simulated in parallel between two folds under `[uncertainty]`, whose draws' plans
/// (each with its own sampling tables when a prior moves them) are held meanwhile.
const DRAWN_SEGMENT_CHUNKS: u64 = 32;

/// Replicates per batch under precision control.
pub(crate) const PRECISION_BATCH: u32 = 1000;

pub use crate::scenario::validate::MAX_REPS;

/// Smallest 95% CI half-width of power that precision control accepts: 1e-4 already needs
/// about 1e8 replicates at power 1/2, ten times [`MAX_REPS`].
pub(crate) const MIN_PRECISION: f64 = 1e-4;

/// Checks a requested CI half-width of power and cap of replicates; the message names the
/// options and their allowed values.
pub fn check_precision(half_width: f64, cap: u32) -> Result<(), String> {
    if !(MIN_PRECISION..0.5).contains(&half_width) {
        return Err(format!(
            "--precision {half_width}: the 95% CI half-width of power must be at least {MIN_PRECISION} and below 0.5"
        ));
    }
    if !(1..=MAX_REPS).contains(&cap) {
        return Err(format!("--max-reps {cap}: allowed values are 1 to {MAX_REPS}"));
    }
    Ok(())
}

/// Sums over replicates of one arm's counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct ArmTotals {
    pub enrolled: f64,
    pub deficient: f64,
    pub dropouts: f64,
    pub normal_at_end: f64,
    pub benefit_sum: f64,
    pub rate_ratio_sum: f64,
    pub low_enrolled: f64,
    pub low_benefit_sum: f64,
    pub low_rate_ratio_sum: f64,
    /// Enrolled with GI side effects (absent from the files of designs without them).
    #[serde(default, skip_serializing_if = "no_one")]
    pub affected: f64,
    /// Sum of a combination's benefit that does not go through Mg (absent without one).
    #[serde(default, skip_serializing_if = "no_one")]
    pub independent_sum: f64,
    /// Enrolled who are vitamin D deficient (absent without `[vitamin_d]`).
    #[serde(default, skip_serializing_if = "no_one")]
    pub vitamin_d_low: f64,
}

fn no_one(v: &f64) -> bool {
    *v == 0.0
}

impl ArmTotals {
    /// Whether these totals could have come from a simulation: finite, counts non-negative
    /// and none above the enrolled.
    fn possible(&self) -> bool {
        let counts = [
            self.enrolled,
            self.deficient,
            self.dropouts,
            self.normal_at_end,
            self.low_enrolled,
            self.affected,
            self.vitamin_d_low,
        ];
        let sums = [
            self.benefit_sum,
            self.rate_ratio_sum,
            self.low_benefit_sum,
            self.low_rate_ratio_sum,
            self.independent_sum,
        ];
        counts.iter().all(|v| v.is_finite() && *v >= 0.0 && *v <= self.enrolled) && sums.iter().all(|v| v.is_finite())
    }

    fn add(&mut self, c: &ArmCounts) {
        self.enrolled += f64::from(c.enrolled);
        self.deficient += f64::from(c.deficient);
        self.dropouts += f64::from(c.dropouts);
        self.normal_at_end += f64::from(c.normal_at_end);
        self.benefit_sum += c.benefit_sum;
        self.rate_ratio_sum += c.rate_ratio_sum;
        self.low_enrolled += f64::from(c.low_enrolled);
        self.low_benefit_sum += c.low_benefit_sum;
        self.low_rate_ratio_sum += c.low_rate_ratio_sum;
        self.affected += f64::from(c.affected);
        self.independent_sum += c.independent_sum;
        self.vitamin_d_low += f64::from(c.vitamin_d_low);
    }

    fn merge(&mut self, o: &ArmTotals) {
        self.enrolled += o.enrolled;
        self.deficient += o.deficient;
        self.dropouts += o.dropouts;
        self.normal_at_end += o.normal_at_end;
        self.benefit_sum += o.benefit_sum;
        self.rate_ratio_sum += o.rate_ratio_sum;
        self.low_enrolled += o.low_enrolled;
        self.low_benefit_sum += o.low_benefit_sum;
        self.low_rate_ratio_sum += o.low_rate_ratio_sum;
        self.affected += o.affected;
        self.independent_sum += o.independent_sum;
        self.vitamin_d_low += o.vitamin_d_low;
    }

    /// (enrolled, sum of benefit, sum of rate ratio) in `subgroup` (`None` for the
    /// interaction, which is a contrast of the two strata).
    pub(crate) fn in_subgroup(&self, subgroup: Subgroup) -> Option<(f64, f64, f64)> {
        match subgroup {
            Subgroup::All => Some((self.enrolled, self.benefit_sum, self.rate_ratio_sum)),
            Subgroup::LowStratum => Some((self.low_enrolled, self.low_benefit_sum, self.low_rate_ratio_sum)),
            Subgroup::OtherStratum => Some((
                self.enrolled - self.low_enrolled,
                self.benefit_sum - self.low_benefit_sum,
                self.rate_ratio_sum - self.low_rate_ratio_sum,
            )),
            Subgroup::Interaction => None,
        }
    }
}

/// What one comparison's trials add up to: counts, and the mean and sum of squared
/// deviations of the estimates (Welford 1962 within a chunk; Chan, Golub & LeVeque 1979 to
/// merge chunks), so no estimate is kept.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct ComparisonTotals {
    /// Trials whose test could be computed.
    pub analysable: u32,
    /// Trials whose iterative fit did not converge (counted as not rejecting).
    pub not_converged: u32,
    /// Trials whose test rejected (after the multiplicity adjustment, when there is one).
    pub rejected: u32,
    /// With a multiplicity adjustment, the trials whose test rejected at alpha on its own.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub rejected_unadjusted: u32,
    /// Analysable trials whose two-sided 95% interval contains the estimand.
    pub covered: u32,
    /// Sums of the 95% interval's bounds, over the analysable trials that have one
    /// ([`SlotResult::interval`]), and their number.
    pub interval_low_sum: f64,
    pub interval_high_sum: f64,
    pub intervals: u32,
    /// Responder rows: responders and completers analysed, active and placebo, summed.
    pub responders_active: f64,
    pub analysed_active: f64,
    pub responders_placebo: f64,
    pub analysed_placebo: f64,
    mean: f64,
    sum_sq_dev: f64,
}

impl ComparisonTotals {
    /// Whether these totals of `reps` replicates with `marked` rejections in their bits could
    /// have come from a simulation: the rejections those marked; analysable and not converged
    /// within the replicates; rejected, covered and intervals within the analysable;
    /// responders within those analysed; sums finite and non-negative.
    fn possible(&self, reps: u64, marked: u64) -> bool {
        let counts = u64::from(self.analysable) + u64::from(self.not_converged) <= reps
            && self.rejected <= self.analysable
            && self.rejected_unadjusted <= self.analysable
            && self.covered <= self.analysable
            && self.intervals <= self.analysable
            && u64::from(self.rejected) == marked;
        let sums = [self.responders_active, self.analysed_active, self.responders_placebo, self.analysed_placebo];
        counts
            && sums.iter().chain([&self.sum_sq_dev]).all(|v| v.is_finite() && *v >= 0.0)
            && self.mean.is_finite()
            && self.responders_active <= self.analysed_active
            && self.responders_placebo <= self.analysed_placebo
    }

    /// Adds a family row's decision (a trial without an estimate of its own).
    #[inline]
    fn add_decision(&mut self, rejected: bool) {
        self.analysable += 1;
        self.rejected += u32::from(rejected);
    }

    #[inline]
    fn add(&mut self, r: &SlotResult, rejected: bool, covered: bool) {
        self.analysable += 1;
        self.rejected += u32::from(rejected);
        self.covered += u32::from(covered);
        let b = r.estimate.benefit;
        let d = b - self.mean;
        self.mean += d / f64::from(self.analysable);
        self.sum_sq_dev += d * (b - self.mean);
        if let Some((lo, hi)) = r.interval {
            self.interval_low_sum += lo;
            self.interval_high_sum += hi;
            self.intervals += 1;
        }
        if let Some(t) = &r.table {
            self.add_table(t);
        }
    }

    /// Adds a trial's responder table (of every trial, analysable or not).
    #[inline]
    fn add_table(&mut self, t: &crate::analysis::responders::ResponderTable) {
        self.responders_active += f64::from(t.active_responders);
        self.analysed_active += f64::from(t.active_n);
        self.responders_placebo += f64::from(t.placebo_responders);
        self.analysed_placebo += f64::from(t.placebo_n);
    }

    fn merge(&mut self, o: &ComparisonTotals) {
        self.not_converged += o.not_converged;
        if o.analysable == 0 {
            return;
        }
        let (na, nb) = (f64::from(self.analysable), f64::from(o.analysable));
        let n = na + nb;
        let d = o.mean - self.mean;
        self.mean += d * nb / n;
        self.sum_sq_dev += o.sum_sq_dev + d * d * na * nb / n;
        self.analysable += o.analysable;
        self.rejected += o.rejected;
        self.rejected_unadjusted += o.rejected_unadjusted;
        self.covered += o.covered;
        self.interval_low_sum += o.interval_low_sum;
        self.interval_high_sum += o.interval_high_sum;
        self.intervals += o.intervals;
        self.responders_active += o.responders_active;
        self.analysed_active += o.analysed_active;
        self.responders_placebo += o.responders_placebo;
        self.analysed_placebo += o.analysed_placebo;
    }

    /// Mean estimate over the analysable trials; `None` without any.
    pub fn mean_estimate(&self) -> Option<f64> {
        (self.analysable > 0).then_some(self.mean)
    }

    /// Empirical SD of the estimates; `None` with fewer than two.
    pub fn sd_estimate(&self) -> Option<f64> {
        (self.analysable > 1).then(|| (self.sum_sq_dev / f64::from(self.analysable - 1)).sqrt())
    }
}

fn is_zero(v: &u32) -> bool {
    *v == 0
}

/// Which replicates of one comparison rejected: bit `r % 64` of word `r / 64` for replicate
/// `r`. One bit per replicate is all that pairing neighbouring design points needs.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RejectionBits {
    words: Vec<u64>,
}

impl RejectionBits {
    /// The words, bit `r % 64` of word `r / 64` for replicate `r`.
    pub fn words(&self) -> &[u64] {
        &self.words
    }

    pub(crate) fn from_words(words: Vec<u64>) -> RejectionBits {
        RejectionBits { words }
    }

    fn set(&mut self, word: usize, bits: u64) {
        if self.words.len() <= word {
            self.words.resize(word + 1, 0);
        }
        self.words[word] |= bits;
    }

    /// Marks replicate `r` as rejected.
    #[cfg(test)]
    pub(crate) fn set_bit(&mut self, r: u64) {
        self.set((r / 64) as usize, 1 << (r % 64));
    }

    /// Over replicates `0..reps`: (rejected here and not there, rejected there and not here).
    pub(crate) fn discordant(&self, there: &RejectionBits, reps: u64) -> (u64, u64) {
        let (mut gained, mut lost) = (0u64, 0u64);
        for w in 0..reps.div_ceil(64) as usize {
            let keep = if (w as u64 + 1) * 64 <= reps { u64::MAX } else { (1u64 << (reps % 64)) - 1 };
            let (h, t) = (self.words.get(w).copied().unwrap_or(0), there.words.get(w).copied().unwrap_or(0));
            gained += u64::from((h & !t & keep).count_ones());
            lost += u64::from((!h & t & keep).count_ones());
        }
        (gained, lost)
    }
}

/// Everything kept of the replicates of one design point: additive totals folded as they
/// come, so memory does not grow with replicates except for one bit per replicate and
/// comparison ([`RejectionBits`]).
#[derive(Debug, Clone, PartialEq)]
pub struct PointResults {
    pub reps: u32,
    pub screened: f64,
    /// Two-stage screening: confirmatory tests.
    pub confirmed: f64,
    /// Under `[costs]`: the sum of the varying part of the trials' costs (screening and tests)
    /// and of its squares; the fixed part is [`crate::engine::plan::CostPlan::fixed_per_trial`].
    pub cost_sum: f64,
    pub cost_sq_sum: f64,
    pub arms: Vec<ArmTotals>,
    /// Per slot of the plan (see [`Plan::slots`]), named `comparisons` as each is a
    /// comparison with placebo.
    pub comparisons: Vec<ComparisonTotals>,
    pub rejections: Vec<RejectionBits>,
    /// Per slot, the estimand of CI coverage where it is known exactly
    /// ([`crate::engine::calibration::slot_estimand`]).
    pub estimands: Vec<Option<f64>>,
    /// Per slot, whether it is a judged row ([`Plan::judged`]: by default each comparison of
    /// the primary analysis over everyone): the rows that precision control and sample-size
    /// searches judge.
    pub primary: Vec<bool>,
    /// Under `[uncertainty]`: the trials of each draw of the uncertain values (see
    /// `scenario::prior`), whose shared values make its trials a cluster.
    pub trials_per_draw: Option<u64>,
    /// Under `[uncertainty]` whose draws are all the same: trials independent as without it.
    pub identical_draws: bool,
    /// Under `[uncertainty]` and `[costs]`: the sum of the varying cost of each draw's trials,
    /// for the SE of the expected cost over draws.
    pub draw_costs: Vec<f64>,
}

/// Fewest draws of `[uncertainty]` whose spread gives an SE of assurance (with fewer, the
/// interval is [0, 1], so precision control and searches go on).
pub const MIN_DRAWS: usize = 4;

/// A row's power (under `[uncertainty]`, assurance) with its Monte Carlo SE and 95% interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PowerInterval {
    pub power: f64,
    pub se: f64,
    pub low: f64,
    pub high: f64,
}

impl PointResults {
    pub fn new(plan: &Plan) -> PointResults {
        // Under draws the estimand varies with them: coverage is not reported.
        let estimands: Vec<Option<f64>> = plan
            .slots
            .iter()
            .map(|s| {
                crate::engine::calibration::slot_estimand(plan, s)
                    .filter(|_| plan.draws.as_ref().is_none_or(|d| d.identical))
            })
            .collect();
        PointResults {
            primary: plan.slots.iter().map(|s| plan.judged(s)).collect(),
            reps: 0,
            screened: 0.0,
            confirmed: 0.0,
            cost_sum: 0.0,
            cost_sq_sum: 0.0,
            arms: vec![ArmTotals::default(); plan.arms.len()],
            comparisons: vec![ComparisonTotals::default(); estimands.len()],
            rejections: vec![RejectionBits::default(); estimands.len()],
            estimands,
            trials_per_draw: plan.draws.as_ref().map(|d| d.trials_per_draw),
            identical_draws: plan.draws.as_ref().is_some_and(|d| d.identical),
            draw_costs: Vec::new(),
        }
    }

    /// Per draw of the uncertain values, in order: (trials, rejections of row `k`), from the
    /// rejection bits (the last draw may be partial). Empty without `[uncertainty]`.
    pub fn draws_of_row(&self, k: usize) -> impl Iterator<Item = (u32, u32)> + '_ {
        let per = self.trials_per_draw.unwrap_or(0);
        let reps = u64::from(self.reps);
        let draws = if per == 0 { 0 } else { reps.div_ceil(per) };
        let words = self.rejections[k].words();
        (0..draws).map(move |d| {
            let (start, end) = (d * per, ((d + 1) * per).min(reps));
            let rejected: u32 = (start / CHUNK..end.div_ceil(CHUNK))
                .map(|w| {
                    let word = words.get(w as usize).copied().unwrap_or(0);
                    let keep = if (w + 1) * CHUNK <= end { u64::MAX } else { (1u64 << (end % CHUNK)) - 1 };
                    (word & keep).count_ones()
                })
                .sum();
            ((end - start) as u32, rejected)
        })
    }

    /// Power of row `k` (the share of trials that rejected) with its Monte Carlo SE and 95%
    /// interval: Wilson's for independent trials; under `[uncertainty]`, where the trials of one
    /// draw share its values, the SE of a ratio estimator over draws as clusters (Cochran 1977,
    /// Sampling Techniques, s. 6.11), `sqrt(K / (K - 1) sum_d (y_d - p m_d)^2) / sum_d m_d`, and
    /// the interval `p +- 1.96 SE` within [0, 1].
    pub fn power_interval(&self, k: usize) -> PowerInterval {
        let n = f64::from(self.reps);
        let rejected = f64::from(self.comparisons[k].rejected);
        let power = if n > 0.0 { rejected / n } else { 0.0 };
        let binomial = (power * (1.0 - power) / n).sqrt();
        let draws: Vec<(u32, u32)> = self.draws_of_row(k).collect();
        if self.trials_per_draw.is_none() || self.identical_draws {
            let (low, high) = wilson_95(rejected, n);
            return PowerInterval { power, se: binomial, low, high };
        }
        // Too few draws to estimate their spread: nothing is known yet.
        if draws.len() < MIN_DRAWS {
            return PowerInterval { power, se: f64::INFINITY, low: 0.0, high: 1.0 };
        }
        let kd = draws.len() as f64;
        let sum_sq: f64 = draws.iter().map(|&(m, y)| (f64::from(y) - power * f64::from(m)).powi(2)).sum();
        // Never below the binomial SE: iid draws make trials of one draw positively correlated
        // (design effect at least 1), and a run of agreeing draws must not end a search.
        let se = ((kd / (kd - 1.0) * sum_sq).sqrt() / n).max(binomial);
        let z = crate::analysis::power::Z_975;
        PowerInterval { power, se, low: (power - z * se).max(0.0), high: (power + z * se).min(1.0) }
    }

    /// The Monte Carlo SE of the mean varying cost per trial: from the sums of cost and of its
    /// squares (independent trials), or under `[uncertainty]` over draws as clusters (as
    /// [`PointResults::power_interval`]; never below the independent SE; unknown with fewer
    /// than [`MIN_DRAWS`] draws).
    pub fn cost_se(&self) -> f64 {
        let n = f64::from(self.reps);
        let mean = self.cost_sum / n;
        let independent = ((self.cost_sq_sum / n - mean * mean).max(0.0) / n).sqrt();
        let Some(per) = self.trials_per_draw.filter(|_| !self.identical_draws) else { return independent };
        let draws = u64::from(self.reps).div_ceil(per) as usize;
        if draws < MIN_DRAWS {
            return f64::INFINITY;
        }
        let trials = |d: usize| ((d as u64 + 1) * per).min(u64::from(self.reps)) as f64 - (d as u64 * per) as f64;
        let sum_sq: f64 =
            (0..draws).map(|d| (self.draw_costs.get(d).copied().unwrap_or(0.0) - mean * trials(d)).powi(2)).sum();
        let k = draws as f64;
        ((k / (k - 1.0) * sum_sq).sqrt() / n).max(independent)
    }

    /// The variance of a row's power (its interval `i`) over that of as many independent trials
    /// (at least 1): what clustering by draw costs, for projecting replicates.
    fn design_effect(&self, i: &PowerInterval) -> f64 {
        let binomial = i.power * (1.0 - i.power) / f64::from(self.reps.max(1));
        if self.trials_per_draw.is_none() || self.identical_draws || binomial <= 0.0 {
            return 1.0;
        }
        if !i.se.is_finite() {
            // Too few draws yet: as if each draw were one trial.
            return self.trials_per_draw.unwrap_or(1) as f64;
        }
        (i.se * i.se / binomial).max(1.0)
    }

    /// Folds in the totals of one chunk; chunks must come in replicate order.
    pub fn absorb(&mut self, c: &ChunkTotals) {
        self.reps += c.reps;
        self.screened += c.screened as f64;
        self.confirmed += c.confirmed as f64;
        self.cost_sum += c.cost_sum;
        self.cost_sq_sum += c.cost_sq_sum;
        if let Some(per) = self.trials_per_draw.filter(|_| !self.identical_draws && c.cost_sum != 0.0) {
            let d = (c.chunk * CHUNK / per) as usize;
            if self.draw_costs.len() <= d {
                self.draw_costs.resize(d + 1, 0.0);
            }
            self.draw_costs[d] += c.cost_sum;
        }
        for (total, a) in self.arms.iter_mut().zip(&c.arms) {
            total.merge(a);
        }
        for (total, k) in self.comparisons.iter_mut().zip(&c.comparisons) {
            total.merge(k);
        }
        for (bits, &word) in self.rejections.iter_mut().zip(&c.rejected_bits) {
            bits.set(c.chunk as usize, word);
        }
    }

    /// Checks saved results against their own redundant fields (as
    /// [`ChunkTotals::check_consistent`] does for one chunk): each row's rejections equal to
    /// the replicates marked in its rejection bits, none marked beyond the replicates, and no
    /// count above what contains it.
    ///
    /// # Errors
    /// What does not hold, naming the row or arm.
    pub(crate) fn check_consistent(&self) -> Result<(), String> {
        let reps = u64::from(self.reps);
        if self.confirmed > self.screened || !self.screened.is_finite() {
            return Err("more confirmatory tests than people screened".into());
        }
        if !(self.cost_sum.is_finite()
            && self.cost_sum >= 0.0
            && self.cost_sq_sum.is_finite()
            && self.cost_sq_sum >= 0.0)
        {
            return Err("its costs are not possible".into());
        }
        for (k, (c, bits)) in self.comparisons.iter().zip(&self.rejections).enumerate() {
            let words = bits.words();
            let marked: u64 = words.iter().map(|w| u64::from(w.count_ones())).sum();
            let (full, rest) = ((reps / 64) as usize, reps % 64);
            // Bits at replicates `reps` and above: the high bits of word `full`, all of later words.
            let beyond =
                words.iter().enumerate().skip(full).any(|(w, &x)| if w == full { x >> rest != 0 } else { x != 0 });
            if beyond || !c.possible(reps, marked) {
                return Err(format!("row {k}: its counts do not agree with each other or with its rejection bits"));
            }
        }
        if let Some(a) = self.arms.iter().position(|arm| !arm.possible()) {
            return Err(format!("arm {a}: its totals are not possible"));
        }
        Ok(())
    }

    /// The primary rows' indices.
    fn primary_rows(&self) -> impl Iterator<Item = usize> + '_ {
        self.primary.iter().enumerate().filter(|(_, p)| **p).map(|(k, _)| k)
    }

    /// Largest 95% half-width of power over the primary rows ([`PointResults::power_interval`]).
    pub(crate) fn max_half_width(&self) -> f64 {
        self.primary_rows()
            .map(|k| {
                let i = self.power_interval(k);
                // Under draws the interval is clipped to [0, 1]: its half-width is 1.96 SE.
                if self.trials_per_draw.is_some() && !self.identical_draws {
                    crate::analysis::power::Z_975 * i.se
                } else {
                    (i.high - i.low) / 2.0
                }
            })
            .fold(0.0, f64::max)
    }

    /// Replicates that would give every primary row a 95% half-width of `half_width`: Wald's
    /// projection at its power, times its design effect under draws.
    pub(crate) fn replicates_for(&self, half_width: f64) -> u64 {
        self.primary_rows()
            .map(|k| {
                let i = self.power_interval(k);
                let need = replicates_for_half_width(i.power, half_width);
                (need as f64 * self.design_effect(&i)).min(u64::MAX as f64) as u64
            })
            .max()
            .unwrap_or(0)
    }
}

/// The totals of one chunk of at most [`CHUNK`] replicates, all in word `chunk` of the
/// rejection bits: what a shard writes, and what folding in chunk order makes exactly the
/// results of a single run (floats in Rust's shortest round-trip form, rejection words as
/// their bit patterns in signed 64-bit integers, for TOML).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ChunkTotals {
    pub chunk: u64,
    reps: u32,
    screened: u64,
    confirmed: u64,
    /// Under `[costs]`: the sum of the trials' costs and of their squares (absent without).
    #[serde(default, skip_serializing_if = "no_one")]
    cost_sum: f64,
    #[serde(default, skip_serializing_if = "no_one")]
    cost_sq_sum: f64,
    arms: Vec<ArmTotals>,
    comparisons: Vec<ComparisonTotals>,
    #[serde(with = "words_as_i64")]
    rejected_bits: Vec<u64>,
}

/// `Vec<u64>` as the same bits in `i64`s (TOML integers are signed).
mod words_as_i64 {
    use serde::{Deserialize, Deserializer, Serializer};

    pub(crate) fn serialize<S: Serializer>(words: &[u64], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(words.iter().map(|&w| w as i64))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u64>, D::Error> {
        Ok(Vec::<i64>::deserialize(d)?.into_iter().map(|w| w as u64).collect())
    }
}

impl ChunkTotals {
    /// Replicates in this chunk.
    pub fn reps(&self) -> u32 {
        self.reps
    }

    /// Checks the chunk against its own redundant fields, so that an edited or damaged shard
    /// is refused rather than merged: between 1 and [`CHUNK`] replicates, each row's rejections
    /// equal to the replicates marked in its rejection word (and none beyond the chunk's
    /// replicates), and no count above what contains it (analysable and not converged within
    /// the replicates; rejected, covered and intervals within the analysable; responders within
    /// those analysed; confirmations within the screened; per arm, finite non-negative totals).
    ///
    /// # Errors
    /// What does not hold, naming the row or arm.
    pub(crate) fn check_consistent(&self) -> Result<(), String> {
        let reps = self.reps;
        if reps == 0 || u64::from(reps) > CHUNK {
            return Err(format!("chunk {} holds {reps} replicates (1 to {CHUNK})", self.chunk));
        }
        if self.rejected_bits.len() != self.comparisons.len() {
            return Err(format!("chunk {}: rejection words do not match its rows", self.chunk));
        }
        if self.confirmed > self.screened {
            return Err(format!("chunk {}: more confirmatory tests than people screened", self.chunk));
        }
        if !(self.cost_sum.is_finite()
            && self.cost_sum >= 0.0
            && self.cost_sq_sum.is_finite()
            && self.cost_sq_sum >= 0.0)
        {
            return Err(format!("chunk {}: its costs are not possible", self.chunk));
        }
        let mask = if u64::from(reps) == CHUNK { u64::MAX } else { (1u64 << reps) - 1 };
        for (k, (c, &bits)) in self.comparisons.iter().zip(&self.rejected_bits).enumerate() {
            if bits & !mask != 0 || !c.possible(u64::from(reps), u64::from(bits.count_ones())) {
                return Err(format!(
                    "chunk {}, row {k}: its counts do not agree with each other or with its rejection word",
                    self.chunk
                ));
            }
        }
        if let Some(a) = self.arms.iter().position(|arm| !arm.possible()) {
            return Err(format!("chunk {}, arm {a}: its totals are not possible", self.chunk));
        }
        Ok(())
    }

    /// Whether its per-arm and per-row vectors fit `plan`.
    pub fn fits(&self, plan: &Plan) -> bool {
        self.arms.len() == plan.arms.len()
            && self.comparisons.len() == plan.slots.len()
            && self.rejected_bits.len() == plan.slots.len()
    }

    fn new(plan: &Plan, comparisons: usize) -> ChunkTotals {
        ChunkTotals {
            arms: vec![ArmTotals::default(); plan.arms.len()],
            comparisons: vec![ComparisonTotals::default(); comparisons],
            rejected_bits: vec![0; comparisons],
            ..ChunkTotals::default()
        }
    }
}

/// Simulates replicates `range` (within chunk `chunk`) into `out`, a chunk's totals made by
/// [`ChunkTotals::new`] for this plan. Returns false, leaving `out` incomplete, when a stop
/// is requested (`output::stop_requested`) before its last trial: a stop waits for one trial,
/// not a batch.
fn simulate_chunk(
    plan: &Plan,
    estimands: &[Option<f64>],
    chunk: u64,
    range: Range<u64>,
    trial: &mut Trial,
    out: &mut ChunkTotals,
) -> bool {
    let seed = plan.scenario.design.seed;
    out.chunk = chunk;
    out.reps = (range.end - range.start) as u32;
    (out.screened, out.confirmed) = (0, 0);
    (out.cost_sum, out.cost_sq_sum) = (0.0, 0.0);
    out.arms.fill(ArmTotals::default());
    out.comparisons.fill(ComparisonTotals::default());
    out.rejected_bits.fill(0);
    for rep in range {
        if crate::output::stop_requested().is_some() {
            return false;
        }
        simulate_trial_into(plan, seed, rep, trial);
        out.screened += trial.screened;
        out.confirmed += trial.confirmed;
        if let Some(prices) = &plan.costs {
            let cost = prices.variable_of_trial(trial.screened, trial.confirmed, trial.vitamin_d_tests);
            out.cost_sum += cost;
            out.cost_sq_sum += cost * cost;
        }
        for (total, c) in out.arms.iter_mut().zip(&trial.arms) {
            total.add(c);
        }
        for (k, outcome) in trial.results.iter().enumerate() {
            match outcome {
                &SlotOutcome::Decided(rejected) => {
                    out.comparisons[k].add_decision(rejected);
                    out.rejected_bits[k] |= u64::from(rejected) << (rep % CHUNK);
                }
                SlotOutcome::Analysed(r) => {
                    let rejected = r.rejected_in(plan, &plan.slots[k]);
                    if r.adjusted.is_some() {
                        out.comparisons[k].rejected_unadjusted +=
                            u32::from(r.rejected_unadjusted(plan, &plan.slots[k]));
                    }
                    let covered = estimands[k].is_some_and(|t| match r.interval {
                        Some((lo, hi)) => lo <= t && t <= hi,
                        None => !plan.coverage.exceeds((r.estimate.benefit - t).abs() / r.estimate.se, r.estimate.df),
                    });
                    out.comparisons[k].add(r, rejected, covered);
                    out.rejected_bits[k] |= u64::from(rejected) << (rep % CHUNK);
                }
                SlotOutcome::NotConverged => out.comparisons[k].not_converged += 1,
                SlotOutcome::NotAnalysable { table } => {
                    if let Some(t) = table {
                        out.comparisons[k].add_table(t);
                    }
                }
            }
        }
    }
    true
}

/// The replicate count to extend a point to when `need` replicates are projected: whole
/// batches of [`PRECISION_BATCH`], at least one batch more than `reps`, at most `cap`.
/// Saturating arithmetic: any projection, however large, ends at the cap.
pub(crate) fn next_batch_end(reps: u32, need: u64, cap: u32) -> u32 {
    let batch = u64::from(PRECISION_BATCH);
    let batches = need.div_ceil(batch).max(u64::from(reps) / batch + 1);
    batches.saturating_mul(batch).min(u64::from(cap)) as u32
}

/// How many replicates to run at a design point.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Replicates {
    Fixed(u32),
    /// Batches of [`PRECISION_BATCH`] until the 95% CI half-width of power is at most
    /// `half_width`, or `cap` replicates.
    Precision {
        half_width: f64,
        cap: u32,
    },
}

#[derive(Debug, Clone, Copy)]
pub struct RunOptions {
    pub reps: u32,
    /// Worker threads; 0 = one per core.
    pub threads: usize,
    /// Show a progress bar on stderr (only drawn when stderr is a terminal).
    pub progress: bool,
}

/// More than any design has taken per participant on one thread (about 70 ns enriched):
/// runs that would stay short even at this cost get no pilot.
pub const SLOWEST_SECONDS_PER_PARTICIPANT: f64 = 1e-6;

/// Wall time a run-time estimate's pilot aims to take.
pub(crate) const PILOT_SECONDS: f64 = 0.05;

/// Resident memory of a run apart from its rejection bits (binary, pool, tables), measured:
/// 6.5 MB peak at 1e7 textbook replicates, of which 2.5 MB are bits.
const BASE_MEMORY_BYTES: u64 = 6_000_000;

/// Memory each design point keeps until the CSV is written (its plan, results, summary and
/// CSV text), beside [`ROW_MEMORY_BYTES`] per row: measured 4.8 kB, from peaks of 147 MB and
/// 568 MB for textbook sweeps of 20,000 and 80,000 points of one row at 64 replicates, and
/// 286 MB for 10 points of 12,001 rows.
const POINT_MEMORY_BYTES: u64 = 5_000;

/// Memory per result row of a design point (each active arm's comparison, analysis and
/// subgroup, with the arm's share of the plan): measured 2.25 kB (see [`POINT_MEMORY_BYTES`]).
const ROW_MEMORY_BYTES: u64 = 2_300;

/// Memory per participant of one trial on each thread for count outcomes, whose analyses
/// (negative-binomial and Poisson fits, Wilcoxon's ranks) keep every completer's counts:
/// measured 139 B at 2e6 participants per trial with every count analysis. Scale outcomes are
/// folded as they are drawn and keep none.
const COUNT_PARTICIPANT_MEMORY_BYTES: u64 = 150;

/// What a run is expected to cost.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RunEstimate {
    /// Participants enrolled over all trials of all design points.
    pub participants: u64,
    /// Expected wall time, from the pilot.
    pub seconds: f64,
    /// Trials the pilot timed.
    pub pilot_trials: u64,
    /// Expected peak resident memory.
    pub memory_bytes: u64,
}

/// A thread pool and a progress bar shared by all the design points of a run.
pub struct Runner {
    pool: rayon::ThreadPool,
    pub bar: ProgressBar,
    /// The first draw of `[uncertainty]` whose plan could not be made: the run stops, and
    /// the command reports it ([`Runner::failure`]).
    failure: std::sync::Mutex<Option<String>>,
}

impl Runner {
    /// `threads` = 0 for one per core. The bar's length grows as replicates are scheduled.
    pub fn new(threads: usize, progress: bool) -> Runner {
        let bar = if progress {
            let b = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
            b.set_style(
                ProgressStyle::with_template(
                    "{spinner} [{elapsed_precise}] {bar:30} {percent}% of participants (eta {eta}) {msg}",
                )
                .expect("valid template"),
            );
            b
        } else {
            ProgressBar::hidden()
        };
        Runner {
            pool: rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .expect("a rayon thread pool can be built"),
            bar,
            failure: std::sync::Mutex::new(None),
        }
    }

    /// Why the run stopped early, if a draw's plan could not be made (see [`DrawnPlans`]):
    /// its results are incomplete and must not be written.
    pub fn failure(&self) -> Option<String> {
        self.failure.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    fn failed(&self) -> bool {
        self.failure.lock().unwrap_or_else(|p| p.into_inner()).is_some()
    }

    /// Whether simulation must stop: a requested stop, or a failed draw.
    pub(crate) fn halted(&self) -> bool {
        crate::output::stop_requested().is_some() || self.failed()
    }

    /// Sets the bar's length to the participants a run is known to simulate (e.g. a sweep
    /// with a fixed number of replicates per point), so its ETA covers the whole run.
    pub fn schedule(&self, total_participants: u64) {
        self.bar.set_length(total_participants);
    }

    /// Simulates replicates `range` of `plan` (with its `design.seed`) and folds them into
    /// `results`. The range is cut into chunks of [`CHUNK`] replicates aligned to multiples of
    /// [`CHUNK`]; each segment of [`SEGMENT_CHUNKS`] chunks runs in parallel, and its chunk
    /// totals are folded in replicate order, so the result is the same for any thread count.
    fn simulate_into(&self, plan: &Plan, results: &mut PointResults, range: Range<u64>) {
        self.simulate_counted(plan, results, range, &self.bar);
    }

    /// [`Runner::simulate_into`], counting participants on `bar`.
    fn simulate_counted(&self, plan: &Plan, results: &mut PointResults, range: Range<u64>, bar: &ProgressBar) {
        let estimands = results.estimands.clone();
        self.simulate_chunks(plan, &estimands, range, bar, |c| results.absorb(c));
    }

    /// The totals of chunks `chunks` (of [`CHUNK`] replicates each, the last cut at `reps`) of
    /// `plan`: a shard's work at one design point.
    pub fn chunk_totals(&self, plan: &Plan, chunks: Range<u64>, reps: u32) -> Vec<ChunkTotals> {
        let estimands = PointResults::new(plan).estimands;
        let range = (chunks.start * CHUNK).min(u64::from(reps))..(chunks.end * CHUNK).min(u64::from(reps));
        let mut out = Vec::new();
        self.simulate_chunks(plan, &estimands, range, &ProgressBar::hidden(), |c| out.push(c.clone()));
        out
    }

    /// Simulates replicates `range` chunk by chunk in parallel, handing each chunk's totals to
    /// `sink` in replicate order.
    fn simulate_chunks(
        &self,
        plan: &Plan,
        estimands: &[Option<f64>],
        range: Range<u64>,
        bar: &ProgressBar,
        mut sink: impl FnMut(&ChunkTotals),
    ) {
        let (start, end) = (range.start, range.end);
        if start >= end || self.failed() {
            return;
        }
        if let Some(draws) = &plan.draws {
            return self.simulate_drawn(draws, estimands, range, bar, sink);
        }
        let participants_per_trial = u64::from(plan.total_enrolled());
        let (first, last) = (start / CHUNK, end.div_ceil(CHUNK));
        let size = SEGMENT_CHUNKS.min(last - first) as usize;
        let (mut chunks, mut complete) = (vec![ChunkTotals::new(plan, estimands.len()); size], vec![false; size]);
        let mut segment = first;
        // A requested stop ends the work within a trial: the chunks completed before the
        // first incomplete one are folded, in order, and the rest are dropped.
        while segment < last && crate::output::stop_requested().is_none() {
            let count = (SEGMENT_CHUNKS.min(last - segment)) as usize;
            self.pool.install(|| {
                chunks[..count].par_iter_mut().zip(&mut complete[..count]).enumerate().for_each_init(
                    || Trial::new(plan),
                    |trial, (i, (totals, done))| {
                        let c = segment + i as u64;
                        let r = (c * CHUNK).max(start)..((c + 1) * CHUNK).min(end);
                        let len = r.end - r.start;
                        *done = simulate_chunk(plan, estimands, c, r, trial, totals);
                        bar.inc(len * participants_per_trial);
                    },
                )
            });
            for (c, _) in chunks[..count].iter().zip(&complete[..count]).take_while(|(_, done)| **done) {
                sink(c);
            }
            if complete[..count].iter().any(|done| !done) {
                return;
            }
            segment += count as u64;
        }
    }

    /// [`Runner::simulate_chunks`] under `[uncertainty]`: each chunk is simulated with the plan
    /// of its draw. Segments of [`DRAWN_SEGMENT_CHUNKS`] chunks: their draws' plans are made in
    /// parallel (a plan costs about as much as 150 trials), then their chunks run in parallel,
    /// and their totals are folded in replicate order. A draw whose plan cannot be made stops
    /// the run (see [`Runner::failure`]).
    fn simulate_drawn(
        &self,
        draws: &crate::engine::plan::DrawnPlans,
        estimands: &[Option<f64>],
        range: Range<u64>,
        bar: &ProgressBar,
        mut sink: impl FnMut(&ChunkTotals),
    ) {
        let (start, end) = (range.start, range.end);
        let per = draws.trials_per_draw / CHUNK;
        let (first, last) = (start / CHUNK, end.div_ceil(CHUNK));
        let mut segment = first;
        while segment < last && crate::output::stop_requested().is_none() {
            let count = DRAWN_SEGMENT_CHUNKS.min(last - segment);
            let first_draw = segment / per;
            let made: Vec<Result<Plan, String>> = self.pool.install(|| {
                (first_draw..=(segment + count - 1) / per).into_par_iter().map(|k| (draws.build)(k)).collect()
            });
            let mut plans = Vec::with_capacity(made.len());
            for p in made {
                match p {
                    Ok(p) => plans.push(p),
                    Err(message) => {
                        let mut failure = self.failure.lock().unwrap_or_else(|p| p.into_inner());
                        failure.get_or_insert(message);
                        return;
                    }
                }
            }
            let mut chunks: Vec<(ChunkTotals, bool)> = (segment..segment + count)
                .map(|c| (ChunkTotals::new(&plans[(c / per - first_draw) as usize], estimands.len()), false))
                .collect();
            self.pool.install(|| {
                chunks.par_iter_mut().enumerate().for_each(|(i, (totals, done))| {
                    let c = segment + i as u64;
                    let plan = &plans[(c / per - first_draw) as usize];
                    let r = (c * CHUNK).max(start)..((c + 1) * CHUNK).min(end);
                    let len = r.end - r.start;
                    *done = simulate_chunk(plan, estimands, c, r, &mut Trial::new(plan), totals);
                    bar.inc(len * u64::from(plan.total_enrolled()));
                })
            });
            for (c, _) in chunks.iter().take_while(|(_, done)| *done) {
                sink(c);
            }
            if chunks.iter().any(|(_, done)| !done) {
                return;
            }
            segment += count;
        }
    }

    /// Adds replicates `results.reps..reps` of `plan` to `results`.
    pub(crate) fn extend_to(&self, plan: &Plan, results: &mut PointResults, reps: u32) {
        if reps > results.reps {
            // Grow the bar only beyond what was scheduled up front (see `schedule`).
            let needed = self.bar.position() + u64::from(reps - results.reps) * u64::from(plan.total_enrolled());
            if needed > self.bar.length().unwrap_or(0) {
                self.bar.set_length(needed);
            }
            self.simulate_into(plan, results, u64::from(results.reps)..u64::from(reps));
        }
    }

    /// Adds batches of [`PRECISION_BATCH`] replicates until the 95% CI half-width of power
    /// is at most `half_width` for every comparison, or `cap` replicates are reached. The
    /// number of batches is projected from the current estimate (Wald, 10% margin), so the
    /// stopping point depends only on the results: deterministic for any thread count.
    pub(crate) fn refine(&self, plan: &Plan, results: &mut PointResults, half_width: f64, cap: u32) {
        if results.reps == 0 {
            self.extend_to(plan, results, PRECISION_BATCH.min(cap));
        }
        while results.max_half_width() > half_width && results.reps < cap && !self.halted() {
            let need = results.replicates_for(half_width);
            self.extend_to(plan, results, next_batch_end(results.reps, need.saturating_add(need / 10), cap));
        }
    }

    /// Estimates a run of `reps[i]` replicates of `plans[i]`: the participants to simulate, the
    /// wall time from a timed pilot on this runner's threads (replicates of the plan with the
    /// most participants per trial, doubled until they take [`PILOT_SECONDS`] or a sixteenth of
    /// the run's trials; their results are discarded; each point's share scaled by the threads
    /// its chunks keep busy against the pilot's), and the memory the results keep. Without
    /// a pilot (a run that cannot take `min_seconds` even at [`SLOWEST_SECONDS_PER_PARTICIPANT`])
    /// the time is 0. Points of 0 replicates (already done) take no part.
    pub fn estimate(&self, plans: &[Plan], reps: &[u32], min_seconds: f64, keep_all: bool) -> RunEstimate {
        let participants: u64 =
            plans.iter().zip(reps).map(|(p, &r)| u64::from(r) * u64::from(p.total_enrolled())).sum();
        // No pilot where even a slow participant could not make the run long.
        let largest = plans
            .iter()
            .zip(reps)
            .filter(|(_, r)| **r > 0)
            .max_by_key(|(p, _)| p.total_enrolled())
            .filter(|_| participants as f64 * SLOWEST_SECONDS_PER_PARTICIPANT > min_seconds);
        let (mut pilot_trials, mut seconds_per_participant, mut point_seconds) = (0u64, 0.0, 0.0);
        if let Some((plan, _)) = largest {
            let hidden = ProgressBar::hidden();
            // At most a sixteenth of the run's trials, so a short run stays short (the pilot's
            // trials are discarded, so it may take more than this point has: a sweep of many
            // small points is timed on enough trials that the fixed cost of a batch, about
            // 0.2 ms, does not dominate; 4 trials made it 4x too slow).
            let run_trials: u64 = reps.iter().map(|&n| u64::from(n)).sum();
            let most = (run_trials / 16).max(1);
            let mut trials = CHUNK.min(most);
            // Under `[uncertainty]` the first use of a draw builds its tables, which the points
            // after the first share: the pilot's draws are made once, untimed.
            if plan.draws.is_some() {
                self.simulate_counted(plan, &mut PointResults::new(plan), 0..(4 * CHUNK).min(most), &hidden);
            }
            // The point's empty results (whose estimands take a quadrature) are made once,
            // timed apart with a one-trial run: every point pays this fixed cost (a batch's
            // dispatch, a trial's buffers), which matters in a sweep of many small points.
            // The least of three timings: the first pays for cold caches and a waking pool.
            let empty = PointResults::new(plan);
            point_seconds = (0..3)
                .map(|_| {
                    let start = std::time::Instant::now();
                    let _ = PointResults::new(plan);
                    self.simulate_counted(plan, &mut empty.clone(), 0..1, &hidden);
                    start.elapsed().as_secs_f64()
                })
                .fold(f64::INFINITY, f64::min);
            loop {
                let mut results = empty.clone();
                let start = std::time::Instant::now();
                self.simulate_counted(plan, &mut results, 0..trials, &hidden);
                let elapsed = start.elapsed().as_secs_f64();
                pilot_trials = trials;
                seconds_per_participant = elapsed / (trials * u64::from(plan.total_enrolled())).max(1) as f64;
                if elapsed >= PILOT_SECONDS || trials >= most {
                    break;
                }
                trials = (trials * 2).min(most);
            }
        }
        // The pilot ran its chunks of 64 trials on up to all threads; a point runs its own
        // chunks in parallel, so a point of fewer chunks than threads runs slower per
        // participant (a sweep of many one-chunk points runs on one thread at a time).
        let threads = self.pool.current_num_threads() as u64;
        let busy = |trials: u64| trials.div_ceil(CHUNK).clamp(1, threads) as f64;
        let pilot_threads = busy(pilot_trials);
        let seconds: f64 = plans
            .iter()
            .zip(reps)
            .filter(|(_, n)| **n > 0)
            .map(|(p, &n)| {
                let participants = u64::from(n) * u64::from(p.total_enrolled());
                point_seconds + participants as f64 * seconds_per_participant * pilot_threads / busy(u64::from(n))
            })
            .sum();
        RunEstimate { participants, seconds, pilot_trials, memory_bytes: self.memory_bytes(plans, reps, keep_all) }
    }

    /// Peak memory of a run of `reps[i]` replicates of `plans[i]`: a fixed footprint; each
    /// point's and each row's state, kept until the CSV is written; the rejection bits of every
    /// point when `keep_all` (a run that can write a checkpoint keeps all its points' results),
    /// else of two neighbouring points; each thread's trial buffers for count outcomes; and the
    /// distinct sampling tables of all the points.
    pub fn memory_bytes(&self, plans: &[Plan], reps: &[u32], keep_all: bool) -> u64 {
        let rows: u64 = plans.iter().map(|p| p.slots.len() as u64).sum();
        let bits = |(p, &r): (&Plan, &u32)| p.slots.len() as u64 * u64::from(r).div_ceil(8);
        let kept_bits: u64 = if keep_all {
            plans.iter().zip(reps).map(bits).sum()
        } else {
            2 * plans.iter().zip(reps).map(bits).max().unwrap_or(0)
        };
        let count_participants =
            plans.iter().filter(|p| p.count.is_some()).map(|p| u64::from(p.total_enrolled())).max().unwrap_or(0);
        // A thread works on a chunk of replicates: a point of fewer chunks busies fewer threads.
        let chunks = reps.iter().map(|&r| u64::from(r).div_ceil(CHUNK)).max().unwrap_or(0);
        let threads = (self.pool.current_num_threads() as u64).min(chunks);
        // The sampling tables, each held once however many points share it.
        let tables: std::collections::HashSet<usize> = plans.iter().flat_map(Plan::table_addresses).collect();
        // Under `[uncertainty]` each draw may have its own tables (kept for the points that
        // follow, up to the memo's bound).
        let drawn_tables: u64 = plans
            .iter()
            .zip(reps)
            .filter_map(|(p, &r)| {
                let d = p.draws.as_ref()?;
                let draws = u64::from(r).div_ceil(d.trials_per_draw).min(crate::numeric::MEMO_ENTRIES as u64);
                Some(draws * p.table_addresses().count() as u64)
            })
            .max()
            .unwrap_or(0);
        BASE_MEMORY_BYTES
            + (tables.len() as u64 + drawn_tables) * crate::rng::QuantileTable::BYTES
            + plans.len() as u64 * POINT_MEMORY_BYTES
            + rows * ROW_MEMORY_BYTES
            + kept_bits
            + threads * count_participants * COUNT_PARTICIPANT_MEMORY_BYTES
    }

    /// Runs one design point.
    pub fn run_point(&self, plan: &Plan, reps: Replicates) -> PointResults {
        self.complete_point(plan, PointResults::new(plan), reps)
    }

    /// Empty results for every plan, their estimands computed in parallel on this runner's
    /// threads (a quadrature per point that would otherwise run on one core between points).
    pub(crate) fn prepare_points(&self, plans: &[Plan]) -> Vec<PointResults> {
        self.pool.install(|| plans.par_iter().map(PointResults::new).collect())
    }

    /// Runs one design point into `results` from [`Runner::prepare_points`].
    pub(crate) fn complete_point(&self, plan: &Plan, mut results: PointResults, reps: Replicates) -> PointResults {
        match reps {
            Replicates::Fixed(n) => self.extend_to(plan, &mut results, n),
            Replicates::Precision { half_width, cap } => self.refine(plan, &mut results, half_width, cap),
        }
        results
    }
}

/// Simulates replicates `0..reps` of one plan (no sweep), with the plan's seed.
pub fn run(plan: &Plan, opts: RunOptions) -> PointResults {
    let runner = Runner::new(opts.threads, opts.progress);
    let out = runner.run_point(plan, Replicates::Fixed(opts.reps));
    runner.bar.finish_and_clear();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The memory estimate holds each distinct sampling table once: points that share a
    /// threshold share its tables, and each new threshold adds its components' tables.
    #[test]
    fn memory_counts_each_distinct_table_once() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/depression_mgo_enriched.toml");
        let plan_at = |threshold: &str| {
            let s =
                crate::scenario::load(&path, &[format!("selection.threshold={threshold}")]).expect("shipped scenario");
            Plan::resolved(&s, "depression_mgo_enriched.toml").expect("a plan")
        };
        let runner = Runner::new(1, false);
        let (a, b) = (plan_at("0.75"), plan_at("0.72"));
        let reps = [1000, 1000];
        let same = runner.memory_bytes(&[a.clone(), a.clone()], &reps, false);
        let two = runner.memory_bytes(&[a.clone(), b], &reps, false);
        // The second threshold adds one table per population component (two).
        assert_eq!(two - same, 2 * crate::rng::QuantileTable::BYTES);
        let one = runner.memory_bytes(&[a], &reps[..1], false);
        assert!(same - one < crate::rng::QuantileTable::BYTES, "a shared table is counted once");
    }
}
