//! The Monte Carlo engine: replicates in parallel, in deterministic order.
//!
//! Replicates are cut into fixed chunks that rayon runs on a pool of the requested size; the
//! chunks are collected back in replicate order and folded sequentially into [`PointResults`],
//! so results do not depend on the number of threads (see `rng.rs`). Replicate `r` draws the
//! same random streams at every design point (common random numbers), so results at two
//! points are paired by replicate.

use crate::analysis::Estimate;
use crate::plan::Plan;
use crate::power::{replicates_for_half_width, wilson_95};
use crate::trial::{ArmCounts, TrialResult, simulate_trial};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rayon::prelude::*;
use std::ops::Range;

/// Replicates per parallel task.
const CHUNK: u64 = 64;

/// Replicates per batch under precision control.
pub const PRECISION_BATCH: u32 = 1000;

/// Most replicates at one design point: each keeps its estimates in memory (about 40 bytes
/// per comparison), so this bounds a point's memory to a few hundred MB.
pub const MAX_REPS: u32 = 10_000_000;

/// Smallest 95% CI half-width of power that precision control accepts: 1e-4 already needs
/// about 1e8 replicates at power 1/2, ten times [`MAX_REPS`].
pub const MIN_PRECISION: f64 = 1e-4;

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
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ArmTotals {
    pub enrolled: f64,
    pub deficient: f64,
    pub dropouts: f64,
    pub normal_at_end: f64,
    pub benefit_sum: f64,
}

impl ArmTotals {
    fn add(&mut self, c: &ArmCounts) {
        self.enrolled += f64::from(c.enrolled);
        self.deficient += f64::from(c.deficient);
        self.dropouts += f64::from(c.dropouts);
        self.normal_at_end += f64::from(c.normal_at_end);
        self.benefit_sum += c.benefit_sum;
    }
}

/// Everything kept of the replicates of one design point: additive totals, and each
/// comparison's estimate per replicate (for rejection, coverage and paired comparisons).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PointResults {
    pub reps: u32,
    pub screened: f64,
    /// Two-stage screening: confirmatory tests.
    pub confirmed: f64,
    pub arms: Vec<ArmTotals>,
    /// `estimates[k][r]`: comparison `k` (active arms in file order), replicate `r`.
    pub estimates: Vec<Vec<Option<Estimate>>>,
}

impl PointResults {
    pub fn new(plan: &Plan) -> PointResults {
        PointResults {
            reps: 0,
            screened: 0.0,
            confirmed: 0.0,
            arms: vec![ArmTotals::default(); plan.arms.len()],
            estimates: vec![Vec::new(); plan.active_arms().count()],
        }
    }

    fn extend(&mut self, batch: Vec<TrialResult>) {
        for t in batch {
            self.reps += 1;
            self.screened += t.screened as f64;
            self.confirmed += t.confirmed as f64;
            for (total, c) in self.arms.iter_mut().zip(&t.arms) {
                total.add(c);
            }
            for (list, e) in self.estimates.iter_mut().zip(t.comparisons) {
                list.push(e);
            }
        }
    }

    /// Whether comparison `k` rejected, per replicate.
    pub fn rejections(&self, plan: &Plan, k: usize) -> Vec<bool> {
        self.estimates[k].iter().map(|e| e.is_some_and(|e| plan.rejects(&e))).collect()
    }

    /// Largest 95% Wilson half-width of power over the comparisons.
    pub fn max_half_width(&self, plan: &Plan) -> f64 {
        (0..self.estimates.len())
            .map(|k| {
                let rejected = self.rejections(plan, k).iter().filter(|&&r| r).count() as f64;
                let (lo, hi) = wilson_95(rejected, f64::from(self.reps));
                (hi - lo) / 2.0
            })
            .fold(0.0, f64::max)
    }

    /// The power, over the comparisons, nearest 1/2 (the one whose CI is widest).
    fn widest_power(&self, plan: &Plan) -> f64 {
        (0..self.estimates.len())
            .map(|k| self.rejections(plan, k).iter().filter(|&&r| r).count() as f64 / f64::from(self.reps))
            .min_by(|a, b| (a - 0.5).abs().total_cmp(&(b - 0.5).abs()))
            .unwrap_or(0.5)
    }
}

/// The replicate count to extend a point to when `need` replicates are projected: whole
/// batches of [`PRECISION_BATCH`], at least one batch more than `reps`, at most `cap`.
/// Saturating arithmetic: any projection, however large, ends at the cap.
pub fn next_batch_end(reps: u32, need: u64, cap: u32) -> u32 {
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

/// A thread pool and a progress bar shared by all the design points of a run.
pub struct Runner {
    pool: rayon::ThreadPool,
    pub bar: ProgressBar,
}

impl Runner {
    /// `threads` = 0 for one per core. The bar's length grows as replicates are scheduled.
    pub fn new(threads: usize, progress: bool) -> Runner {
        let bar = if progress {
            let b = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
            b.set_style(
                ProgressStyle::with_template(
                    "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} replicates (eta {eta}) {msg}",
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
        }
    }

    /// Sets the bar's length to the replicates a run is known to need (e.g. a sweep with a
    /// fixed number per point), so its ETA covers the whole run.
    pub fn schedule(&self, total_reps: u64) {
        self.bar.set_length(total_reps);
    }

    /// Simulates replicates `range` of `plan` (with its `design.seed`), in replicate order.
    fn simulate(&self, plan: &Plan, range: Range<u64>) -> Vec<TrialResult> {
        let (start, end) = (range.start, range.end);
        let seed = plan.scenario.design.seed;
        let chunks: Vec<Vec<TrialResult>> = self.pool.install(|| {
            (start / CHUNK..end.div_ceil(CHUNK))
                .into_par_iter()
                .map(|c| {
                    let r = (c * CHUNK).max(start)..((c + 1) * CHUNK).min(end);
                    let len = r.end - r.start;
                    let out: Vec<TrialResult> = r.map(|rep| simulate_trial(plan, seed, rep)).collect();
                    self.bar.inc(len);
                    out
                })
                .collect()
        });
        chunks.into_iter().flatten().collect()
    }

    /// Adds replicates `results.reps..reps` of `plan` to `results`.
    pub fn extend_to(&self, plan: &Plan, results: &mut PointResults, reps: u32) {
        if reps > results.reps {
            // Grow the bar only beyond what was scheduled up front (see `schedule`).
            let needed = self.bar.position() + u64::from(reps - results.reps);
            if needed > self.bar.length().unwrap_or(0) {
                self.bar.set_length(needed);
            }
            results.extend(self.simulate(plan, u64::from(results.reps)..u64::from(reps)));
        }
    }

    /// Adds batches of [`PRECISION_BATCH`] replicates until the 95% CI half-width of power
    /// is at most `half_width` for every comparison, or `cap` replicates are reached. The
    /// number of batches is projected from the current estimate (Wald, 10% margin), so the
    /// stopping point depends only on the results: deterministic for any thread count.
    pub fn refine(&self, plan: &Plan, results: &mut PointResults, half_width: f64, cap: u32) {
        if results.reps == 0 {
            self.extend_to(plan, results, PRECISION_BATCH.min(cap));
        }
        while results.max_half_width(plan) > half_width && results.reps < cap {
            let need = replicates_for_half_width(results.widest_power(plan), half_width);
            self.extend_to(plan, results, next_batch_end(results.reps, need.saturating_add(need / 10), cap));
        }
    }

    /// Runs one design point.
    pub fn run_point(&self, plan: &Plan, reps: Replicates) -> PointResults {
        let mut results = PointResults::new(plan);
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
