//! The Monte Carlo engine: replicates in parallel, in deterministic order.
//!
//! Replicates are cut into fixed chunks that rayon runs on a pool of the requested size; the
//! chunks are collected back in replicate order and every summary is a sequential reduction
//! over that order, so results do not depend on the number of threads (see `rng.rs`).

use crate::plan::Plan;
use crate::trial::{TrialResult, simulate_trial};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rayon::prelude::*;

/// Replicates per parallel task (and per progress-bar update).
const CHUNK: u64 = 64;

#[derive(Debug, Clone, Copy)]
pub struct RunOptions {
    pub reps: u32,
    pub seed: u64,
    /// Worker threads; 0 = one per core.
    pub threads: usize,
    /// Show a progress bar on stderr (only drawn when stderr is a terminal).
    pub progress: bool,
}

/// Simulates replicates `0..reps` of `plan`, returned in replicate order.
pub fn run(plan: &Plan, opts: RunOptions) -> Vec<TrialResult> {
    let reps = u64::from(opts.reps);
    let bar = progress_bar(reps, opts.progress);
    let pool =
        rayon::ThreadPoolBuilder::new().num_threads(opts.threads).build().expect("a rayon thread pool can be built");
    let chunks: Vec<Vec<TrialResult>> = pool.install(|| {
        (0..reps.div_ceil(CHUNK))
            .into_par_iter()
            .map(|c| {
                let range = c * CHUNK..((c + 1) * CHUNK).min(reps);
                let len = range.end - range.start;
                let out: Vec<TrialResult> = range.map(|r| simulate_trial(plan, opts.seed, r)).collect();
                bar.inc(len);
                out
            })
            .collect()
    });
    bar.finish_and_clear();
    chunks.into_iter().flatten().collect()
}

fn progress_bar(len: u64, show: bool) -> ProgressBar {
    if !show {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template("{spinner} [{elapsed_precise}] {bar:40} {pos}/{len} replicates (eta {eta})")
            .expect("valid template"),
    );
    bar
}
